/* symbols: names in scope, members and keywords. */
#include "symbols.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "fuzzy.h"
#include "languages.h"

/* Candidates with a hash set of their names: a file-level scope of a big file holds thousands
 * of names, and a linear duplicate check per name would cost milliseconds per keystroke. */
struct list {
    struct sym_candidate *items;
    size_t n, cap;
    uint32_t *slots; /* index + 1 into items, 0 = empty; size nslots (a power of two) */
    size_t nslots;
};

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void rehash(struct list *l)
{
    free(l->slots);
    l->nslots = l->nslots ? l->nslots * 2 : 64;
    l->slots = xcalloc(l->nslots, sizeof(*l->slots));
    for (size_t i = 0; i < l->n; i++) {
        size_t k = name_hash(l->items[i].name) & (l->nslots - 1);
        while (l->slots[k])
            k = (k + 1) & (l->nslots - 1);
        l->slots[k] = (uint32_t)i + 1;
    }
}

static void add(struct list *l, const char *name, enum syn_kind kind, enum sym_kind_out what,
                enum sym_scope scope, int match, int bonus)
{
    if (2 * (l->n + 1) > l->nslots)
        rehash(l);
    size_t k = name_hash(name) & (l->nslots - 1);
    for (; l->slots[k]; k = (k + 1) & (l->nslots - 1))
        if (strcmp(l->items[l->slots[k] - 1].name, name) == 0)
            return; /* the first (nearest) definition wins */
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
    }
    l->items[l->n++] = (struct sym_candidate){xstrdup(name), kind, what, scope, match,
                                              match + bonus};
    l->slots[k] = (uint32_t)l->n;
}

static int cmp_score(const void *a, const void *b)
{
    const struct sym_candidate *x = a, *y = b;
    if (x->score != y->score)
        return y->score - x->score;
    return strcmp(x->name, y->name);
}

/* Member candidates from one document. */
static void members_from(struct list *l, struct syn_doc *doc, uint32_t byte, const char *receiver,
                         const char *partial, size_t plen, enum sym_scope scope, int bonus)
{
    struct syn_def *defs;
    size_t n;
    syn_doc_members(doc, byte, receiver, &defs, &n);
    for (size_t i = 0; i < n; i++) {
        int s = fuzzy_score(partial, plen, defs[i].name, strlen(defs[i].name));
        if (s > 0)
            add(l, defs[i].name, defs[i].kind, SYM_MEMBER, scope, s, bonus);
    }
    syn_defs_free(defs, n);
}

static bool is_ident(unsigned char c) { return fuzzy_is_word(c); }

/* Does a line of text mention word as a whole identifier? */
static bool mentions(const char *s, size_t n, const char *word, size_t wl)
{
    for (size_t i = 0; i + wl <= n; i++)
        if (!memcmp(s + i, word, wl) && (i == 0 || !is_ident((unsigned char)s[i - 1])) &&
            (i + wl == n || !is_ident((unsigned char)s[i + wl])))
            return true;
    return false;
}

/* The receiver is a variable whose declaration names a type defined in another open file
 * (`p = Point(1, 2)`, `Point *p;`, `let p: Point`, `p := Point{}`): look at the lines before
 * the cursor that mention it, nearest first, for the name of a class or type of that file. */
static void members_via_other_types(struct list *l, const struct sym_query *q, const char *recv,
                                    const char *partial, size_t plen)
{
    if (!q->text || !q->n_others)
        return;
    size_t rl = strlen(recv);
    uint32_t end = (uint32_t)US_MIN((size_t)q->offset, q->text_len);
    for (size_t k = 0; k < q->n_others; k++) {
        struct syn_def *defs;
        size_t nd;
        syn_doc_definitions(q->others[k], &defs, &nd);
        size_t le = end, lines = 0;
        bool found = false;
        while (le > 0 && lines < 400 && !found) {
            size_t ls = le;
            while (ls > 0 && q->text[ls - 1] != '\n')
                ls--;
            if (mentions(q->text + ls, le - ls, recv, rl)) {
                for (size_t i = 0; i < nd && !found; i++) {
                    if (defs[i].kind != SYN_KIND_CLASS && defs[i].kind != SYN_KIND_TYPE)
                        continue;
                    if (mentions(q->text + ls, le - ls, defs[i].name, strlen(defs[i].name))) {
                        members_from(l, q->others[k], 0, defs[i].name, partial, plen,
                                     SYM_SCOPE_MEMBER_ELSEWHERE, 200);
                        found = true;
                    }
                }
            }
            le = ls ? ls - 1 : 0;
            lines++;
        }
        syn_defs_free(defs, nd);
    }
}

/* The last part of a receiver expression names the object: "self.pos" -> "pos". */
static const char *receiver_tail(const char *r)
{
    const char *t = r;
    for (const char *p = r; *p; p++)
        if (*p == '.' || (*p == '>' && p > r && p[-1] == '-') || (*p == ':' && p[1] != ':'))
            t = p + 1;
    return t;
}

size_t sym_complete(const struct sym_query *q, struct sym_candidate **out, size_t max)
{
    struct list l = {0};
    const char *partial = q->partial ? q->partial : "";
    size_t plen = strlen(partial);
    const struct syn_cursor *cur = q->cursor;

    if (cur && cur->situation == SYN_SIT_MEMBER && cur->receiver) {
        /* Members only: nothing else is valid after `x.`. */
        if (q->doc)
            members_from(&l, q->doc, q->offset, cur->receiver, partial, plen, SYM_SCOPE_MEMBER,
                         300);
        if (!l.n)
            members_via_other_types(&l, q, receiver_tail(cur->receiver), partial, plen);
        const char *tail = receiver_tail(cur->receiver);
        for (size_t i = 0; i < q->n_others; i++) {
            /* Other files: the receiver may name a type defined there. */
            members_from(&l, q->others[i], 0, cur->receiver, partial, plen,
                         SYM_SCOPE_MEMBER_ELSEWHERE, 100);
            if (tail != cur->receiver)
                members_from(&l, q->others[i], 0, tail, partial, plen,
                             SYM_SCOPE_MEMBER_ELSEWHERE, 50);
        }
    } else if (cur) {
        for (size_t i = 0; i < cur->n_names; i++) {
            const struct syn_name *nm = &cur->names[i];
            if (plen && strcmp(nm->name, partial) == 0)
                continue; /* the word being typed is not a suggestion for itself */
            int s = fuzzy_score(partial, plen, nm->name, strlen(nm->name));
            if (s <= 0)
                continue;
            /* Nearer scopes first: locals and parameters above file-level names. */
            int depth_bonus = nm->depth < cur->n_scopes ? 400 - (int)US_MIN(nm->depth, 3u) * 80
                                                        : 0;
            enum sym_scope scope = nm->depth >= cur->n_scopes ? SYM_SCOPE_FILE
                                   : nm->depth == 0           ? SYM_SCOPE_LOCAL
                                                              : SYM_SCOPE_OUTER;
            if (nm->kind == SYN_KIND_PARAMETER) {
                depth_bonus += 40;
                scope = SYM_SCOPE_PARAM;
            } else if (nm->kind == SYN_KIND_IMPORT) {
                scope = SYM_SCOPE_IMPORT;
            }
            add(&l, nm->name, nm->kind, SYM_NAME, scope, s, depth_bonus);
        }
    }
    if (!cur || (cur->situation != SYN_SIT_MEMBER && cur->situation != SYN_SIT_COMMENT &&
                 cur->situation != SYN_SIT_STRING)) {
        const struct lang_info *lang = lang_for_name(q->language);
        if (!lang)
            lang = lang_for_id(q->language);
        if (lang && lang->keywords && plen > 0) {
            for (const char *const *k = lang->keywords; *k; k++) {
                if (strcmp(*k, partial) == 0)
                    continue;
                int s = fuzzy_score(partial, plen, *k, strlen(*k));
                /* Keywords only on a real prefix: scattered matches are noise for them. */
                if (s > 0 && fuzzy_class_of(s) >= FUZZY_PREFIX_CI)
                    add(&l, *k, SYN_KIND_VAR, SYM_KEYWORD, SYM_SCOPE_KEYWORD, s, -200);
            }
        }
    }
    if (l.n > 1) /* qsort(NULL, 0) is undefined */
        qsort(l.items, l.n, sizeof(*l.items), cmp_score);
    while (l.n > max) {
        free(l.items[l.n - 1].name);
        l.n--;
    }
    free(l.slots);
    *out = l.items;
    return l.n;
}

void sym_candidates_free(struct sym_candidate *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i].name);
    free(c);
}
