/* syntax_defs: a document's definitions (for the workspace symbol index) and the members of a
 * receiver's type (for completion after `receiver.`). */
#include "syntax_int.h"

#include <stdlib.h>

/* ---------------------------------------------------------------- definitions and members */

struct defs_out {
    struct syn_def *v;   /* names not filled in until defs_finish */
    size_t n, cap;
    uint32_t *name_len;  /* per definition, capacity cap */
    size_t name_bytes;   /* sum of name_len + 1 */
    uint32_t *seen;   /* open-addressing set of name_byte + 1 (0 = empty), for dedupe */
    size_t seen_cap;  /* power of two */
};

/* Has a definition at this name position been pushed already? Records it if not. A set, not a
 * scan: a file's definitions number in the thousands. */
static bool seen_before(struct defs_out *o, uint32_t name_byte)
{
    if ((o->n + 1) * 2 > o->seen_cap) {
        size_t cap = o->seen_cap ? o->seen_cap * 2 : 64;
        uint32_t *set = xmalloc(cap * sizeof(*set));
        memset(set, 0, cap * sizeof(*set));
        for (size_t i = 0; i < o->seen_cap; i++) {
            if (!o->seen[i])
                continue;
            size_t j = (o->seen[i] * 2654435761u) & (cap - 1);
            while (set[j])
                j = (j + 1) & (cap - 1);
            set[j] = o->seen[i];
        }
        free(o->seen);
        o->seen = set;
        o->seen_cap = cap;
    }
    uint32_t key = name_byte + 1;
    size_t j = (key * 2654435761u) & (o->seen_cap - 1);
    while (o->seen[j]) {
        if (o->seen[j] == key)
            return true;
        j = (j + 1) & (o->seen_cap - 1);
    }
    o->seen[j] = key;
    return false;
}

static void push_def(struct syn_doc *doc, struct defs_out *o, const struct def_rec *d)
{
    if (seen_before(o, d->name_s))
        return;
    size_t cap = o->cap;
    xgrow((void **)&o->v, &o->cap, o->n + 1, sizeof(*o->v));
    if (o->cap != cap)
        o->name_len = xrealloc(o->name_len, o->cap * sizeof(*o->name_len));
    struct syn_def *x = &o->v[o->n];
    x->name = NULL;
    x->kind = d->kind;
    x->start_byte = d->start;
    x->end_byte = d->end;
    x->name_byte = d->name_s;
    o->name_len[o->n++] = d->name_e - d->name_s;
    o->name_bytes += d->name_e - d->name_s + 1;
}

/* One block for the array and every name after it: a file has thousands of definitions, and
 * a malloc per name cost more than the names (the server caches them for every open file). */
static void defs_finish(const struct syn_doc *doc, struct defs_out *o, struct syn_def **out,
                        size_t *n)
{
    size_t array = o->n * sizeof(struct syn_def);
    char *block = xmalloc(array + o->name_bytes);
    struct syn_def *v = (struct syn_def *)(void *)block;
    char *names = block + array;
    if (o->n)
        memcpy(v, o->v, array);
    for (size_t i = 0; i < o->n; i++) {
        memcpy(names, doc->text + v[i].name_byte, o->name_len[i]);
        names[o->name_len[i]] = 0;
        v[i].name = names;
        names += o->name_len[i] + 1;
    }
    free(o->v);
    free(o->name_len);
    free(o->seen);
    *out = v;
    *n = o->n;
}

void syn_doc_definitions(struct syn_doc *doc, struct syn_def **out, size_t *n)
{
    struct defs_out o = {0};
    if (doc && doc->tree) {
        syn__build_index(doc);
        for (size_t i = 0; i < doc->idx.n_defs; i++)
            push_def(doc, &o, &doc->idx.defs[i]);
    }
    defs_finish(doc, &o, out, n);
}

void syn_defs_free(struct syn_def *defs, size_t n)
{
    (void)n; /* names live in the array's block */
    free(defs);
}

static bool def_name_is(const struct syn_doc *doc, const struct def_rec *d, const char *name,
                        size_t len)
{
    return d->name_e - d->name_s == len && memcmp(doc->text + d->name_s, name, len) == 0;
}

static bool scope_name_is(const struct syn_doc *doc, const struct scope_rec *s, const char *name,
                          size_t len)
{
    return s->name_e - s->name_s == len && memcmp(doc->text + s->name_s, name, len) == 0;
}

/* Where the identifier word w (length wl) occurs in text[a, b) as a whole word, or -1. */
static int64_t find_word(const char *text, uint32_t a, uint32_t b, const char *w, size_t wl)
{
    for (uint32_t i = a; i + wl <= b; i++)
        if (memcmp(text + i, w, wl) == 0 && (i == a || !syn__is_ident((unsigned char)text[i - 1])) &&
            (i + wl == b || !syn__is_ident((unsigned char)text[i + wl])))
            return i;
    return -1;
}

static bool has_word(const char *text, uint32_t a, uint32_t b, const char *w, size_t wl)
{
    return find_word(text, a, b, w, wl) >= 0;
}

/* Collect members of the type named tname (length tl): fields and methods inside every class
 * definition or class scope with that name (Rust impl blocks, reopened Ruby classes), and
 * free-standing methods whose header names the type before the method name (Go receivers). */
static void members_of_type(struct syn_doc *doc, const char *tname, size_t tl,
                            struct defs_out *o)
{
    struct index *ix = &doc->idx;
    for (size_t c = 0; c < ix->n_scopes; c++) {
        const struct scope_rec *cs = &ix->scopes[c];
        bool is_container = cs->kind == SYN_KIND_CLASS && scope_name_is(doc, cs, tname, tl);
        if (!is_container)
            continue;
        for (size_t i = 0; i < ix->n_defs; i++) {
            const struct def_rec *d = &ix->defs[i];
            if (d->name_s < cs->start || d->name_e > cs->end)
                continue;
            if (d->kind == SYN_KIND_FIELD)
                push_def(doc, o, d);
            else if ((d->kind == SYN_KIND_METHOD || d->kind == SYN_KIND_FUNCTION) &&
                     d->owner == (int)c)
                push_def(doc, o, d);
        }
    }
    /* Type definitions with fields but no class scope (C structs, TS interfaces, Go structs). */
    for (size_t i = 0; i < ix->n_defs; i++) {
        const struct def_rec *t = &ix->defs[i];
        if ((t->kind != SYN_KIND_CLASS && t->kind != SYN_KIND_TYPE) ||
            !def_name_is(doc, t, tname, tl))
            continue;
        for (size_t k = 0; k < ix->n_defs; k++) {
            const struct def_rec *d = &ix->defs[k];
            if (d->kind == SYN_KIND_FIELD && d->name_s >= t->start && d->name_e <= t->end)
                push_def(doc, o, d);
        }
    }
    for (size_t i = 0; i < ix->n_defs; i++) {
        const struct def_rec *d = &ix->defs[i];
        if (d->kind == SYN_KIND_METHOD && d->owner < 0 &&
            has_word(doc->text, d->start, d->name_s, tname, tl))
            push_def(doc, o, d);
    }
}

/* Of the classes named in text[a, e), the one nearest pos (`Point p`, `p = Point(...)`);
 * a qualifier (`ns::`, `mod.`) is not a type. NULL when none. */
static const struct def_rec *class_near(const struct syn_doc *doc, uint32_t a, uint32_t e,
                                        uint32_t pos)
{
    const struct index *ix = &doc->idx;
    const struct def_rec *best = NULL;
    uint32_t best_dist = UINT32_MAX;
    for (size_t k = 0; k < ix->n_defs; k++) {
        const struct def_rec *t = &ix->defs[k];
        if (t->kind != SYN_KIND_CLASS && t->kind != SYN_KIND_TYPE)
            continue;
        int64_t at = find_word(doc->text, a, e, doc->text + t->name_s, t->name_e - t->name_s);
        if (at < 0)
            continue;
        uint32_t after = (uint32_t)at + (t->name_e - t->name_s);
        if (after < doc->len && (doc->text[after] == '.' || doc->text[after] == ':'))
            continue;
        uint32_t dist = (uint32_t)(at > pos ? at - pos : pos - at);
        if (dist < best_dist) {
            best_dist = dist;
            best = t;
        }
    }
    return best;
}

void syn_doc_members(struct syn_doc *doc, uint32_t byte, const char *receiver,
                     struct syn_def **out, size_t *n)
{
    struct defs_out o = {0};
    *out = NULL;
    *n = 0;
    if (!doc || !doc->tree || !receiver || !*receiver)
        goto done;
    syn__build_index(doc);
    struct index *ix = &doc->idx;
    if (byte > doc->len)
        byte = (uint32_t)doc->len;
    size_t rl = strlen(receiver);
    if (strcmp(receiver, "self") == 0 || strcmp(receiver, "this") == 0 ||
        strcmp(receiver, "@") == 0 || strcmp(receiver, "Self") == 0) {
        /* The innermost class around the cursor. */
        for (size_t i = ix->n_scopes; i > 0; i--) {
            const struct scope_rec *s = &ix->scopes[i - 1];
            if (s->kind == SYN_KIND_CLASS && syn__scope_contains(doc, s, byte) &&
                s->name_e > s->name_s) {
                members_of_type(doc, doc->text + s->name_s, s->name_e - s->name_s, &o);
                break;
            }
        }
        /* Go/Rust style receivers are named parameters: fall through to the variable case. */
        if (o.n)
            goto done;
    }
    members_of_type(doc, receiver, rl, &o);
    if (o.n)
        goto done;
    /* A variable: the class named in its declaration, or the fields of its object literal. */
    for (size_t i = ix->n_defs; i > 0; i--) {
        const struct def_rec *d = &ix->defs[i - 1];
        if ((d->kind != SYN_KIND_VAR && d->kind != SYN_KIND_PARAMETER &&
             d->kind != SYN_KIND_FIELD) ||
            !def_name_is(doc, d, receiver, rl))
            continue;
        uint32_t a = syn__line_start(doc, d->start), e = syn__line_end(doc, d->name_e);
        if (d->end > e)
            e = d->end < e + 400 ? d->end : e;
        const struct def_rec *best = class_near(doc, a, e, d->name_s);
        if (best)
            members_of_type(doc, doc->text + best->name_s, best->name_e - best->name_s, &o);
        for (size_t k = 0; k < ix->n_defs && !best; k++) {
            const struct def_rec *f = &ix->defs[k];
            if (f->kind == SYN_KIND_FIELD && f->name_s > d->name_e && f->name_e <= d->end)
                push_def(doc, &o, f);
        }
        if (o.n)
            break;
    }
    /* Unfinished code often has no definition for the variable (the function around it does
     * not parse yet): look at the lines before the cursor that mention it. */
    for (uint32_t i = byte, lines = 0; !o.n && i > 0 && lines < 400; i--) {
        if (doc->text[i - 1] == '\n')
            lines++;
        if (i - 1 + rl > byte || memcmp(doc->text + i - 1, receiver, rl) != 0 ||
            (i >= 2 && syn__is_ident((unsigned char)doc->text[i - 2])) ||
            syn__is_ident((unsigned char)doc->text[i - 1 + rl]))
            continue;
        const struct def_rec *t =
            class_near(doc, syn__line_start(doc, i - 1), syn__line_end(doc, i - 1), i - 1);
        if (t)
            members_of_type(doc, doc->text + t->name_s, t->name_e - t->name_s, &o);
    }
done:
    defs_finish(doc, &o, out, n); /* reads doc only for the names it found */
}
