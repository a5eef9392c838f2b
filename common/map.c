/* map: open addressing with linear probing; the table doubles at 3/4 load (tombstones count). */
#include "map.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"

struct slot {
    const char *key; /* NULL: empty; TOMB: deleted */
    void *value;
    uint64_t hash;
};

struct us_map {
    struct slot *slots;
    size_t cap;   /* power of two */
    size_t count; /* live entries */
    size_t used;  /* live + tombstones */
    bool copy_keys;
};

static const char tomb_key;
#define TOMB (&tomb_key)

uint64_t us_hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

struct us_map *us_map_new(bool copy_keys)
{
    struct us_map *m = xcalloc(1, sizeof(*m));
    m->cap = 16;
    m->slots = xcalloc(m->cap, sizeof(*m->slots));
    m->copy_keys = copy_keys;
    return m;
}

static bool live(const struct slot *s)
{
    return s->key && s->key != TOMB;
}

void us_map_clear(struct us_map *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->copy_keys && live(&m->slots[i]))
            free((char *)m->slots[i].key);
        m->slots[i] = (struct slot){0};
    }
    m->count = m->used = 0;
}

void us_map_free(struct us_map *m)
{
    if (!m)
        return;
    us_map_clear(m);
    free(m->slots);
    free(m);
}

size_t us_map_count(const struct us_map *m)
{
    return m->count;
}

/* The slot holding key, or NULL. */
static struct slot *find(const struct us_map *m, const char *key, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != TOMB && s->hash == h && strcmp(s->key, key) == 0)
            return s;
    }
}

static void rehash(struct us_map *m, size_t cap)
{
    struct slot *old = m->slots;
    size_t old_cap = m->cap;
    m->slots = xcalloc(cap, sizeof(*m->slots));
    m->cap = cap;
    m->used = m->count;
    for (size_t i = 0; i < old_cap; i++) {
        if (!live(&old[i]))
            continue;
        size_t j = old[i].hash & (cap - 1);
        while (m->slots[j].key)
            j = (j + 1) & (cap - 1);
        m->slots[j] = old[i];
    }
    free(old);
}

void *us_map_get(const struct us_map *m, const char *key)
{
    struct slot *s = find(m, key, us_hash_str(key));
    return s ? s->value : NULL;
}

void *us_map_put(struct us_map *m, const char *key, void *value)
{
    uint64_t h = us_hash_str(key);
    struct slot *s = find(m, key, h);
    if (s) {
        void *old = s->value;
        s->value = value;
        return old;
    }
    if ((m->used + 1) * 4 > m->cap * 3)
        rehash(m, (m->count + 1) * 2 > m->cap ? m->cap * 2 : m->cap); /* mostly tombs: same size */
    size_t mask = m->cap - 1;
    size_t i = h & mask;
    while (live(&m->slots[i]))
        i = (i + 1) & mask;
    if (!m->slots[i].key)
        m->used++;
    m->slots[i] = (struct slot){m->copy_keys ? xstrdup(key) : key, value, h};
    m->count++;
    return NULL;
}

void *us_map_del(struct us_map *m, const char *key)
{
    struct slot *s = find(m, key, us_hash_str(key));
    if (!s)
        return NULL;
    void *old = s->value;
    if (m->copy_keys)
        free((char *)s->key);
    s->key = TOMB;
    s->value = NULL;
    m->count--;
    return old;
}

bool us_map_next(const struct us_map *m, size_t *it, const char **key, void **value)
{
    for (size_t i = *it; i < m->cap; i++) {
        if (!live(&m->slots[i]))
            continue;
        if (key)
            *key = m->slots[i].key;
        if (value)
            *value = m->slots[i].value;
        *it = i + 1;
        return true;
    }
    *it = m->cap;
    return false;
}
