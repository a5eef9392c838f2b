/* syntax_index: the query results (raw records) of a document, kept in step with edits (a
 * reparse re-runs the queries only around what changed), and the index derived from them
 * (nesting, owners) in linear passes. */
#include "syntax_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void syn__index_clear(struct index *ix)
{
    ix->valid = false;
    ix->n_scopes = ix->n_defs = ix->n_imports = 0;
}

void syn__index_release(struct index *ix)
{
    free(ix->scopes);
    free(ix->defs);
    free(ix->imports);
    memset(ix, 0, sizeof(*ix));
}

/* ---------------------------------------------------------------- the index */

/* Where query results go: all of them, or (re-querying around a change) only the matches
 * whose span lies within [lo, hi]. */
struct collect {
    struct index *ix;
    bool filter;
    uint32_t lo, hi;
};

static bool touches(uint32_t s, uint32_t e, uint32_t lo, uint32_t hi)
{
    return s <= hi && e >= lo;
}

/* The span of a match: from its first capture's start to its last capture's end. False when
 * the collector filters it out. */
static bool match_span(const struct collect *c, const TSQueryMatch *m, uint32_t *s, uint32_t *e)
{
    uint32_t a = UINT32_MAX, b = 0;
    for (uint16_t i = 0; i < m->capture_count; i++) {
        uint32_t x = ts_node_start_byte(m->captures[i].node), y = ts_node_end_byte(m->captures[i].node);
        if (x < a)
            a = x;
        if (y > b)
            b = y;
    }
    if (a > b)
        a = b;
    *s = a;
    *e = b;
    return !c->filter || (a >= c->lo && b <= c->hi);
}

static void on_scope(struct syn_doc *doc, const struct cquery *cq, const TSQueryMatch *m, void *ud)
{
    struct collect *c = ud;
    struct index *ix = c->ix;
    struct scope_rec r;
    memset(&r, 0, sizeof(r));
    (void)doc;
    if (!match_span(c, m, &r.span_s, &r.span_e))
        return;
    bool have = false;
    for (uint16_t i = 0; i < m->capture_count; i++) {
        int role = cq->roles[m->captures[i].index];
        TSNode n = m->captures[i].node;
        if (role >= ROLE_SCOPE) {
            r.kind = (enum syn_kind)(role - ROLE_SCOPE);
            r.start = ts_node_start_byte(n);
            r.end = ts_node_end_byte(n);
            have = true;
        } else if (role == ROLE_NAME && !r.name_e) {
            r.name_s = ts_node_start_byte(n);
            r.name_e = ts_node_end_byte(n);
        } else if (role == ROLE_BODY && !r.body_e) {
            r.body_s = ts_node_start_byte(n);
            r.body_e = ts_node_end_byte(n);
        }
    }
    if (!have || r.end <= r.start)
        return;
    xgrow((void **)&ix->scopes, &ix->cap_scopes, ix->n_scopes + 1, sizeof(r));
    ix->scopes[ix->n_scopes++] = r;
}

/* When two patterns capture the same name, the more specific kind wins. */
static int kind_rank(enum syn_kind k)
{
    switch (k) {
    case SYN_KIND_METHOD: return 6;
    case SYN_KIND_CLASS: return 5;
    case SYN_KIND_FIELD: return 5; /* constructor(private x) is a field first */
    case SYN_KIND_PARAMETER: return 4;
    case SYN_KIND_TYPE: return 3;
    case SYN_KIND_IMPORT: return 3;
    case SYN_KIND_FUNCTION: return 2;
    default: return 1;
    }
}

static void add_def(struct index *ix, enum syn_kind kind, TSNode whole, TSNode name,
                    uint32_t span_s, uint32_t span_e)
{
    struct def_rec r = {
        .kind = kind,
        .start = ts_node_start_byte(whole),
        .end = ts_node_end_byte(whole),
        .name_s = ts_node_start_byte(name),
        .name_e = ts_node_end_byte(name),
        .span_s = span_s,
        .span_e = span_e,
        .owner = -1,
    };
    if (r.name_e <= r.name_s)
        return;
    xgrow((void **)&ix->defs, &ix->cap_defs, ix->n_defs + 1, sizeof(r));
    ix->defs[ix->n_defs++] = r;
}

static void on_def(struct syn_doc *doc, const struct cquery *cq, const TSQueryMatch *m, void *ud)
{
    int kind = -1;
    bool have_whole = false, have_name = false;
    TSNode whole, name;
    memset(&whole, 0, sizeof(whole));
    memset(&name, 0, sizeof(name));
    for (uint16_t i = 0; i < m->capture_count; i++) {
        int role = cq->roles[m->captures[i].index];
        if (role >= ROLE_DEF && role < ROLE_SCOPE) {
            kind = role - ROLE_DEF;
            whole = m->captures[i].node;
            have_whole = true;
        } else if (role == ROLE_NAME) {
            name = m->captures[i].node;
            have_name = true;
        }
    }
    if (kind < 0 || !have_whole)
        return;
    struct collect *c = ud;
    uint32_t ss, se;
    (void)doc;
    if (match_span(c, m, &ss, &se))
        add_def(c->ix, (enum syn_kind)kind, whole, have_name ? name : whole, ss, se);
}

static void on_import(struct syn_doc *doc, const struct cquery *cq, const TSQueryMatch *m,
                      void *ud)
{
    struct collect *c = ud;
    struct index *ix = c->ix;
    uint32_t ss, se;
    (void)doc;
    if (!match_span(c, m, &ss, &se))
        return;
    for (uint16_t i = 0; i < m->capture_count; i++) {
        int role = cq->roles[m->captures[i].index];
        TSNode n = m->captures[i].node;
        if (role == ROLE_IMPORT) {
            struct imp_rec r = {ts_node_start_byte(n), ts_node_end_byte(n), ss, se};
            xgrow((void **)&ix->imports, &ix->cap_imports, ix->n_imports + 1, sizeof(r));
            ix->imports[ix->n_imports++] = r;
        } else if (role == ROLE_NAME) {
            add_def(ix, SYN_KIND_IMPORT, n, n, ss, se);
        }
    }
}

/* The orders are total (every field takes part), so records gathered incrementally sort
 * exactly as a fresh pass would, and ties resolve the same way. */
#define CMP_FIELD(f) \
    if (x->f != y->f) \
        return x->f < y->f ? -1 : 1
static int cmp_scope(const void *a, const void *b)
{
    const struct scope_rec *x = a, *y = b;
    CMP_FIELD(start);
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1; /* outer first */
    int bx = x->kind == SYN_KIND_BLOCK, by = y->kind == SYN_KIND_BLOCK;
    if (bx != by)
        return bx - by;
    CMP_FIELD(kind);
    CMP_FIELD(name_s);
    CMP_FIELD(name_e);
    CMP_FIELD(body_s);
    CMP_FIELD(body_e);
    CMP_FIELD(span_s);
    CMP_FIELD(span_e);
    return 0;
}

static int cmp_def(const void *a, const void *b)
{
    const struct def_rec *x = a, *y = b;
    CMP_FIELD(name_s);
    int rx = kind_rank(x->kind), ry = kind_rank(y->kind);
    if (rx != ry)
        return ry - rx; /* best first */
    CMP_FIELD(kind);
    CMP_FIELD(name_e);
    CMP_FIELD(start);
    CMP_FIELD(end);
    CMP_FIELD(span_s);
    CMP_FIELD(span_e);
    return 0;
}

static int cmp_imp(const void *a, const void *b)
{
    const struct imp_rec *x = a, *y = b;
    CMP_FIELD(start);
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1; /* outer first */
    CMP_FIELD(span_s);
    CMP_FIELD(span_e);
    return 0;
}
#undef CMP_FIELD

/* Kinds whose definition node is itself a scope (its own name lies inside it). */
static bool defines_scope(enum syn_kind k)
{
    return k == SYN_KIND_FUNCTION || k == SYN_KIND_METHOD || k == SYN_KIND_CLASS ||
           k == SYN_KIND_TYPE;
}

/* Parents by a sweep over scopes sorted outer-first; tree nodes nest, so a stack suffices. */
static void link_parents(struct index *ix)
{
    int *stack = xmalloc((ix->n_scopes + 1) * sizeof(int));
    size_t sp = 0;
    for (size_t i = 0; i < ix->n_scopes; i++) {
        struct scope_rec *s = &ix->scopes[i];
        while (sp && ix->scopes[stack[sp - 1]].end < s->end)
            sp--;
        s->parent = sp ? stack[sp - 1] : -1;
        stack[sp++] = (int)i;
    }
    free(stack);
}

/* Run the three queries over [from, to) (everything when to <= from) into c. */
static void collect_all(struct syn_doc *doc, struct collect *c, uint32_t from, uint32_t to)
{
    syn__run_query(doc, Q_SCOPES, from, to, on_scope, c);
    syn__run_query(doc, Q_DEFS, from, to, on_def, c);
    syn__run_query(doc, Q_IMPORTS, from, to, on_import, c);
}

static void sort_records(struct index *r)
{
    if (r->n_scopes)
        qsort(r->scopes, r->n_scopes, sizeof(*r->scopes), cmp_scope);
    if (r->n_defs)
        qsort(r->defs, r->n_defs, sizeof(*r->defs), cmp_def);
    if (r->n_imports)
        qsort(r->imports, r->n_imports, sizeof(*r->imports), cmp_imp);
}

/* Every record of the document, sorted, into recs (cleared first). doc may be a view. */
void syn__collect_whole(struct syn_doc *doc, struct index *recs)
{
    syn__index_clear(recs);
    struct collect c = {recs, false, 0, 0};
    collect_all(doc, &c, 0, 0);
    sort_records(recs);
}

static void raw_build(struct syn_doc *doc)
{
    syn__collect_whole(doc, &doc->raw);
    doc->raw.valid = true;
    doc->n_dirty = 0;
    doc->stats.full_builds++;
}

static void copy_records(struct index *to, const struct index *from)
{
    xgrow((void **)&to->scopes, &to->cap_scopes, from->n_scopes, sizeof(*to->scopes));
    xgrow((void **)&to->defs, &to->cap_defs, from->n_defs, sizeof(*to->defs));
    xgrow((void **)&to->imports, &to->cap_imports, from->n_imports, sizeof(*to->imports));
    if (from->n_scopes)
        memcpy(to->scopes, from->scopes, from->n_scopes * sizeof(*to->scopes));
    if (from->n_defs)
        memcpy(to->defs, from->defs, from->n_defs * sizeof(*to->defs));
    if (from->n_imports)
        memcpy(to->imports, from->imports, from->n_imports * sizeof(*to->imports));
    to->n_scopes = from->n_scopes;
    to->n_defs = from->n_defs;
    to->n_imports = from->n_imports;
}

void syn__build_index(struct syn_doc *doc)
{
    struct index *ix = &doc->idx;
    if (ix->valid)
        return;
    syn__index_clear(ix);
    ix->valid = true;
    if (!doc->tree)
        return;
    if (!doc->raw.valid) {
        /* A background reparse is out: it builds the records whole off the loop (a burst of
         * scattered edits on a big file can outrun it); until then the index is empty. */
        if (doc->job)
            return;
        raw_build(doc);
    }
    /* The raw records are sorted already; what follows is linear. */
    copy_records(ix, &doc->raw);

    /* Scopes: drop duplicates and blocks that are merely the body of their parent
     * (a function's braces), so the enclosing list reads function > class, not function >
     * block > function. */
    size_t w = 0;
    for (size_t i = 0; i < ix->n_scopes; i++) {
        struct scope_rec *prev = w ? &ix->scopes[w - 1] : NULL;
        if (prev && prev->start == ix->scopes[i].start && prev->end == ix->scopes[i].end) {
            /* Several patterns for one node: keep what the richer one knows. */
            const struct scope_rec *s = &ix->scopes[i];
            if (!prev->name_e && s->name_e) {
                prev->name_s = s->name_s;
                prev->name_e = s->name_e;
            }
            if (!prev->body_e && s->body_e) {
                prev->body_s = s->body_s;
                prev->body_e = s->body_e;
            }
            continue;
        }
        ix->scopes[w++] = ix->scopes[i];
    }
    ix->n_scopes = w;
    link_parents(ix);
    for (size_t i = 0; i < ix->n_scopes; i++) {
        struct scope_rec *s = &ix->scopes[i];
        const struct scope_rec *p = s->parent >= 0 ? &ix->scopes[s->parent] : NULL;
        s->dropped = s->kind == SYN_KIND_BLOCK && p && p->body_e && p->body_s == s->start &&
                     p->body_e == s->end;
    }
    w = 0;
    for (size_t i = 0; i < ix->n_scopes; i++)
        if (!ix->scopes[i].dropped)
            ix->scopes[w++] = ix->scopes[i];
    ix->n_scopes = w;
    link_parents(ix);

    /* Definitions: by name position, keep the most specific capture of each name. */
    w = 0;
    for (size_t i = 0; i < ix->n_defs; i++) {
        if (w && ix->defs[w - 1].name_s == ix->defs[i].name_s)
            continue;
        ix->defs[w++] = ix->defs[i];
    }
    ix->n_defs = w;
    /* Owner: the innermost scope around the name that is not the definition's own scope
     * (a function's name lies inside the function node). */
    int *stack = xmalloc((ix->n_scopes + 1) * sizeof(int));
    size_t sp = 0, next = 0;
    for (size_t i = 0; i < ix->n_defs; i++) {
        struct def_rec *d = &ix->defs[i];
        while (next < ix->n_scopes && ix->scopes[next].start <= d->name_s) {
            while (sp && ix->scopes[stack[sp - 1]].end <= ix->scopes[next].start)
                sp--;
            stack[sp++] = (int)next++;
        }
        while (sp && ix->scopes[stack[sp - 1]].end <= d->name_s)
            sp--;
        d->owner = -1;
        for (size_t k = sp; k > 0; k--) {
            const struct scope_rec *s = &ix->scopes[stack[k - 1]];
            if (s->end <= d->name_s)
                continue;
            if (defines_scope(d->kind) && s->start >= d->start && s->end <= d->end)
                continue;
            d->owner = stack[k - 1];
            break;
        }
        if (d->kind == SYN_KIND_FUNCTION && d->owner >= 0 &&
            ix->scopes[d->owner].kind == SYN_KIND_CLASS)
            d->kind = SYN_KIND_METHOD;
    }
    free(stack);
    /* Parameters outside any scope belong to prototypes and signatures without a body: they
     * name nothing the file can use. */
    w = 0;
    for (size_t i = 0; i < ix->n_defs; i++)
        if (!(ix->defs[i].kind == SYN_KIND_PARAMETER && ix->defs[i].owner < 0))
            ix->defs[w++] = ix->defs[i];
    ix->n_defs = w;
    /* Imports: in order, without statements nested in one already listed. */
    w = 0;
    for (size_t i = 0; i < ix->n_imports; i++) {
        if (w && ix->imports[i].end <= ix->imports[w - 1].end)
            continue;
        ix->imports[w++] = ix->imports[i];
    }
    ix->n_imports = w;
}

/* ---------------------------------------------------------------- keeping raw records in step */

/* Move a position by an edit that does not overlap it. */
static uint32_t shift_pos(uint32_t p, const struct syn_edit *e)
{
    if (p < e->old_end_byte)
        return p;
    return (uint32_t)((int64_t)p + (int64_t)e->new_end_byte - (int64_t)e->old_end_byte);
}

/* Where a raw record type keeps its byte positions: pos[0], pos[1] are the span the match
 * covered; the optional pair moves only when its end is set (a scope without a body). */
struct rec_layout {
    size_t size;
    size_t pos[6];
    size_t n_pos;
    size_t opt_s, opt_e; /* opt_e == 0: none */
};

#define REC_POS(T, f) offsetof(struct T, f)
static const struct rec_layout scope_layout = {
    sizeof(struct scope_rec),
    {REC_POS(scope_rec, span_s), REC_POS(scope_rec, span_e), REC_POS(scope_rec, start),
     REC_POS(scope_rec, end), REC_POS(scope_rec, name_s), REC_POS(scope_rec, name_e)},
    6, REC_POS(scope_rec, body_s), REC_POS(scope_rec, body_e)};
static const struct rec_layout def_layout = {
    sizeof(struct def_rec),
    {REC_POS(def_rec, span_s), REC_POS(def_rec, span_e), REC_POS(def_rec, start),
     REC_POS(def_rec, end), REC_POS(def_rec, name_s), REC_POS(def_rec, name_e)},
    6, 0, 0};
static const struct rec_layout imp_layout = {
    sizeof(struct imp_rec),
    {REC_POS(imp_rec, span_s), REC_POS(imp_rec, span_e), REC_POS(imp_rec, start),
     REC_POS(imp_rec, end)},
    4, 0, 0};
#undef REC_POS

static uint32_t rec_get(const char *rec, size_t off)
{
    uint32_t v;
    memcpy(&v, rec + off, sizeof v);
    return v;
}

static void rec_shift(char *rec, size_t off, const struct syn_edit *e)
{
    uint32_t v = shift_pos(rec_get(rec, off), e);
    memcpy(rec + off, &v, sizeof v);
}

/* Drop the n records (of the layout's type) whose match touched the edited bytes and move
 * those after the edit with the text, in place; returns how many remain. */
static size_t raw_keep(void *recs, size_t n, const struct rec_layout *l, const struct syn_edit *e)
{
    uint32_t lo = e->start_byte, hi = e->old_end_byte;
    char *base = recs;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        char *r = base + i * l->size;
        uint32_t span_s = rec_get(r, l->pos[0]);
        if (touches(span_s, rec_get(r, l->pos[1]), lo, hi))
            continue;
        if (span_s >= hi) {
            for (size_t k = 0; k < l->n_pos; k++)
                rec_shift(r, l->pos[k], e);
            if (l->opt_e && rec_get(r, l->opt_e)) {
                rec_shift(r, l->opt_s, e);
                rec_shift(r, l->opt_e, e);
            }
        }
        if (w != i)
            memcpy(base + w * l->size, r, l->size);
        w++;
    }
    return w;
}

/* An edit: records whose match touched the edited bytes go (the reparse finds them again);
 * the others move with the text, which keeps them sorted. */
void syn__raw_edit(struct syn_doc *doc, const struct syn_edit *e)
{
    struct index *raw = &doc->raw;
    if (!raw->valid)
        return;
    if (doc->n_dirty == SYN_MAX_DIRTY || e->old_end_byte < e->start_byte ||
        e->new_end_byte < e->start_byte) {
        raw->valid = false;
        return;
    }
    uint32_t lo = e->start_byte, hi = e->old_end_byte;
    raw->n_scopes = raw_keep(raw->scopes, raw->n_scopes, &scope_layout, e);
    raw->n_defs = raw_keep(raw->defs, raw->n_defs, &def_layout, e);
    raw->n_imports = raw_keep(raw->imports, raw->n_imports, &imp_layout, e);
    /* Earlier dirty regions move with the text, or grow to cover this edit. */
    for (size_t i = 0; i < doc->n_dirty; i++) {
        struct range *d = &doc->dirty[i];
        if (d->start >= hi && d->start > lo) {
            d->start = shift_pos(d->start, e);
            d->end = shift_pos(d->end, e);
        } else if (d->end >= lo) {
            uint32_t ne = d->end >= hi ? shift_pos(d->end, e) : e->new_end_byte;
            if (d->start > lo)
                d->start = lo;
            d->end = ne > e->new_end_byte ? ne : e->new_end_byte;
        }
    }
    doc->dirty[doc->n_dirty++] = (struct range){lo, e->new_end_byte};
}

static int cmp_range_start(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort and merge touching ranges in place; returns the new count. */
static size_t merge_ranges(struct range *r, size_t n)
{
    if (!n)
        return 0;
    qsort(r, n, sizeof(*r), cmp_range_start);
    size_t w = 0;
    for (size_t i = 1; i < n; i++) {
        if (r[i].start <= r[w].end) {
            if (r[i].end > r[w].end)
                r[w].end = r[i].end;
        } else {
            r[++w] = r[i];
        }
    }
    return w + 1;
}

/* Extend r to cover the top-level items (children of the root) of tree that touch [s, e].
 * Our patterns are rooted below the root node, so every match lies within one item: the
 * items around a change hold every match the change can affect. */
static void cover_items(TSTree *tree, uint32_t s, uint32_t e, struct range *r)
{
    TSNode root = ts_tree_root_node(tree);
    TSNode n = ts_node_first_child_for_byte(root, s > 0 ? s - 1 : 0);
    for (int guard = 0; !ts_node_is_null(n) && guard < 100000; guard++) {
        uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
        if (a > e)
            break;
        if (b >= s) {
            if (a < r->start)
                r->start = a;
            if (b > r->end)
                r->end = b;
        }
        n = ts_node_next_sibling(n);
    }
}

/* Merge sorted b (nb records of size sz) into sorted a (na, capacity *cap). */
static void merge_sorted(void **a, size_t *na, size_t *cap, const void *b, size_t nb, size_t sz,
                         int (*cmp)(const void *, const void *))
{
    if (!nb)
        return;
    xgrow(a, cap, *na + nb, sz);
    char *base = *a;
    const char *bb = b;
    /* From the back, so nothing is overwritten before it is read. */
    size_t i = *na, j = nb, k = *na + nb;
    while (j > 0) {
        if (i > 0 && cmp(base + (i - 1) * sz, bb + (j - 1) * sz) > 0) {
            memcpy(base + (k - 1) * sz, base + (i - 1) * sz, sz);
            i--;
        } else {
            memcpy(base + (k - 1) * sz, bb + (j - 1) * sz, sz);
            j--;
        }
        k--;
    }
    *na += nb;
}

/* The byte ranges to query again after an incremental parse: what tree-sitter reports as
 * changed between the edited old tree and the new one, plus the edited bytes, each widened to
 * the top-level items of both trees that touch it, merged. Takes `changed`. Returns the count
 * (*out freed by the caller), or SIZE_MAX when they reach over half the file: cheaper to redo
 * whole. Pure: a background reparse runs it on its own thread. */
size_t syn__requery_ranges(TSTree *old, TSTree *fresh, const struct range *dirty,
                           size_t n_dirty, TSRange *changed, uint32_t n_changed, size_t len,
                           struct range **out, uint64_t *total_out)
{
    size_t n_all = n_changed + n_dirty;
    struct range *all = xmalloc((n_all + 1) * sizeof(*all));
    size_t n = 0;
    for (size_t i = 0; i < n_all; i++) {
        uint32_t s = i < n_changed ? changed[i].start_byte : dirty[i - n_changed].start;
        uint32_t e = i < n_changed ? changed[i].end_byte : dirty[i - n_changed].end;
        if (e < s)
            e = s;
        struct range r = {s, e};
        cover_items(fresh, s, e, &r);
        cover_items(old, s, e, &r);
        all[n++] = r;
    }
    free(changed);
    n = merge_ranges(all, n);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += all[i].end - all[i].start;
    *total_out = total;
    if (total * 2 > len) {
        free(all);
        *out = NULL;
        return SIZE_MAX;
    }
    *out = all;
    return n;
}

/* The records the queries find within the ranges (matches wholly inside one), sorted. doc
 * may be a view of a tree and text that are not the document's yet. */
void syn__requery(struct syn_doc *doc, const struct range *all, size_t n, struct index *recs)
{
    memset(recs, 0, sizeof(*recs));
    for (size_t i = 0; i < n; i++) {
        /* Items lie wholly inside or outside [lo, hi], so the cursor's range sees complete
         * matches; the filter keeps the span rule exact. */
        uint32_t lo = all[i].start, hi = all[i].end;
        struct collect c = {recs, true, lo, hi};
        collect_all(doc, &c, lo, hi > lo ? hi : lo + 1);
    }
    sort_records(recs);
}

/* Replace what the raw records said about the ranges with recs (released). */
void syn__apply_requery(struct index *raw, const struct range *all, size_t n,
                        struct index *recs)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t lo = all[i].start, hi = all[i].end;
        size_t w = 0;
        for (size_t j = 0; j < raw->n_scopes; j++)
            if (!(raw->scopes[j].span_s >= lo && raw->scopes[j].span_e <= hi))
                raw->scopes[w++] = raw->scopes[j];
        raw->n_scopes = w;
        w = 0;
        for (size_t j = 0; j < raw->n_defs; j++)
            if (!(raw->defs[j].span_s >= lo && raw->defs[j].span_e <= hi))
                raw->defs[w++] = raw->defs[j];
        raw->n_defs = w;
        w = 0;
        for (size_t j = 0; j < raw->n_imports; j++)
            if (!(raw->imports[j].span_s >= lo && raw->imports[j].span_e <= hi))
                raw->imports[w++] = raw->imports[j];
        raw->n_imports = w;
    }
    merge_sorted((void **)&raw->scopes, &raw->n_scopes, &raw->cap_scopes, recs->scopes,
                 recs->n_scopes, sizeof(*raw->scopes), cmp_scope);
    merge_sorted((void **)&raw->defs, &raw->n_defs, &raw->cap_defs, recs->defs, recs->n_defs,
                 sizeof(*raw->defs), cmp_def);
    merge_sorted((void **)&raw->imports, &raw->n_imports, &raw->cap_imports, recs->imports,
                 recs->n_imports, sizeof(*raw->imports), cmp_imp);
    syn__index_release(recs);
}

/* After an incremental parse (doc->tree is `fresh`): re-run the queries over the items around
 * what changed and merge the results into the raw records. */
void syn__raw_update(struct syn_doc *doc, TSTree *old, TSTree *fresh, size_t n_dirty)
{
    uint32_t n_changed = 0;
    TSRange *changed = ts_tree_get_changed_ranges(old, fresh, &n_changed);
    struct range *all;
    uint64_t total;
    size_t n = syn__requery_ranges(old, fresh, doc->dirty, n_dirty, changed, n_changed, doc->len,
                              &all, &total);
    if (n == SIZE_MAX) {
        doc->raw.valid = false;
        return;
    }
    doc->stats.incremental_updates++;
    doc->stats.requeried_bytes += total;
    struct index recs;
    syn__requery(doc, all, n, &recs);
    syn__apply_requery(&doc->raw, all, n, &recs);
    free(all);
}
