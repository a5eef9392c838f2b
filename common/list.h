/* list: an intrusive, circular, doubly-linked list (redis adlist's job, Linux list_head's shape):
 * embed a struct us_list in your struct, link it into a head, get back with US_LIST_ENTRY.
 * Boundary: the list owns nothing; nodes are borrowed from their containers, which must outlive
 * their membership (unlink before freeing). Header-only, no allocation. */
#ifndef US_LIST_H
#define US_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct us_list {
    struct us_list *prev, *next;
};

/* A head (or an unlinked node) points at itself. */
#define US_LIST_INIT(name) {&(name), &(name)}

static inline void us_list_init(struct us_list *l)
{
    l->prev = l->next = l;
}

static inline bool us_list_empty(const struct us_list *head)
{
    return head->next == head;
}

/* Is node linked into some list? (true only for nodes initialised or unlinked with these calls) */
static inline bool us_list_linked(const struct us_list *node)
{
    return node->next != node;
}

static inline void us_list__insert(struct us_list *node, struct us_list *prev, struct us_list *next)
{
    node->prev = prev;
    node->next = next;
    prev->next = node;
    next->prev = node;
}

static inline void us_list_add_head(struct us_list *head, struct us_list *node)
{
    us_list__insert(node, head, head->next);
}

static inline void us_list_add_tail(struct us_list *head, struct us_list *node)
{
    us_list__insert(node, head->prev, head);
}

/* Unlink node; it is left pointing at itself, so unlinking twice is harmless. */
static inline void us_list_del(struct us_list *node)
{
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->prev = node->next = node;
}

/* First / last node, or NULL when empty. */
static inline struct us_list *us_list_first(const struct us_list *head)
{
    return us_list_empty(head) ? NULL : head->next;
}

static inline struct us_list *us_list_last(const struct us_list *head)
{
    return us_list_empty(head) ? NULL : head->prev;
}

static inline size_t us_list_count(const struct us_list *head)
{
    size_t n = 0;
    for (const struct us_list *l = head->next; l != head; l = l->next)
        n++;
    return n;
}

/* The struct that embeds node as member. */
#define US_LIST_ENTRY(node, type, member) ((type *)((char *)(node) - offsetof(type, member)))

/* Walk head; pos is a struct us_list *. The _SAFE form allows unlinking pos while walking. */
#define US_LIST_FOREACH(pos, head) for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)
#define US_LIST_FOREACH_SAFE(pos, tmp, head)                                                   \
    for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);                          \
         (pos) = (tmp), (tmp) = (pos)->next)

#endif
