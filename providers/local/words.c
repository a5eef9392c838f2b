/* words: see words.h. One interned table of distinct words (24 bytes each, characters once in
 * a chunked arena) with counts per origin; open documents keep their (word, count) lists sorted
 * by id, and the document updated last keeps its text, so its next version is counted by
 * difference (the changed lines' words out, the new ones in). The workspace walk is in
 * words_walk.c. */
#include "words_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "fuzzy.h"
#include "line_diff.h"

#define WINDOW_BEFORE (64u << 10)
#define WINDOW_AFTER (32u << 10)
/* Documents whose text is kept for counting by difference, and the biggest text kept. */
#define KEEP_TEXTS 2
#define KEEP_TEXT_MAX (4u << 20)

/* ---------------------------------------------------------------- interning */

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static uint32_t arena_copy(struct words *w, const char *s, size_t n)
{
    if (!w->n_chunks || w->chunk_used + n + 1 > ARENA_CHUNK) {
        w->chunks = xrealloc(w->chunks, (w->n_chunks + 1) * sizeof *w->chunks);
        w->chunks[w->n_chunks++] = xmalloc(ARENA_CHUNK);
        w->chunk_used = 0;
    }
    char *d = w->chunks[w->n_chunks - 1] + w->chunk_used;
    memcpy(d, s, n);
    d[n] = 0;
    uint32_t off = (uint32_t)((w->n_chunks - 1) << ARENA_CHUNK_BITS | w->chunk_used);
    w->chunk_used += n + 1;
    return off;
}

static void table_grow(struct words *w)
{
    size_t cap = w->table_cap ? w->table_cap * 2 : 4096;
    uint32_t *t = xcalloc(cap, sizeof *t);
    for (size_t i = 0; i < w->n; i++) {
        size_t j = w->v[i].hash & (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = (uint32_t)i + 1;
    }
    free(w->table);
    w->table = t;
    w->table_cap = cap;
}

long words__intern(struct words *w, const char *s, size_t n, bool create)
{
    if (!w->table_cap || (create && w->n * 2 >= w->table_cap))
        table_grow(w); /* lookups never rehash: queries stay cheap */
    uint32_t h = hash_bytes(s, n);
    size_t j = h & (w->table_cap - 1);
    while (w->table[j]) {
        uint32_t id = w->table[j] - 1;
        struct word *x = &w->v[id];
        if (x->hash == h && x->len == n && !memcmp(words__str(w, id), s, n))
            return id;
        j = (j + 1) & (w->table_cap - 1);
    }
    if (!create)
        return -1;
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4096;
        w->v = xrealloc(w->v, w->cap * sizeof *w->v);
    }
    uint32_t id = (uint32_t)w->n++;
    struct word *x = &w->v[id];
    memset(x, 0, sizeof *x);
    x->off = arena_copy(w, s, n);
    x->len = (uint8_t)n;
    x->hash = h;
    w->table[j] = id + 1;
    unsigned char b = (unsigned char)tolower((unsigned char)s[0]);
    if (w->bucket_n[b] == w->bucket_cap[b]) {
        size_t nc = w->bucket_cap[b] ? w->bucket_cap[b] * 2 : 64;
        w->bucket_bytes += (nc - w->bucket_cap[b]) * sizeof **w->bucket;
        w->bucket_cap[b] = nc;
        w->bucket[b] = xrealloc(w->bucket[b], nc * sizeof **w->bucket);
    }
    w->bucket[b][w->bucket_n[b]++] = id;
    return id;
}

bool words__next(const char *t, size_t len, size_t *pos, size_t *start, size_t *wlen)
{
    size_t i = *pos;
    while (i < len) {
        unsigned char c = (unsigned char)t[i];
        if (!fuzzy_is_word(c)) {
            i++;
            continue;
        }
        size_t s = i;
        while (i < len && fuzzy_is_word((unsigned char)t[i]))
            i++;
        if (isdigit((unsigned char)t[s]) || i - s < MIN_WORD || i - s > MAX_WORD)
            continue;
        *start = s;
        *wlen = i - s;
        *pos = i;
        return true;
    }
    *pos = i;
    return false;
}

size_t words__memory(const struct words *w)
{
    return w->cap * sizeof *w->v + w->table_cap * sizeof *w->table + w->bucket_bytes +
           w->n_chunks * (size_t)ARENA_CHUNK; /* the scratch table is transient: not counted */
}

/* May the workspace add one more distinct word? What the index would hold after it, growth
 * of the arrays and the arena included, must stay within the bound. */
static bool admit(const struct words *w)
{
    if (w->n >= w->max_words)
        return false;
    size_t after = words__memory(w) + 256; /* a bucket's growth, roughly */
    if (w->n == w->cap)
        after += (w->cap ? w->cap : 4096) * sizeof *w->v;
    if (!w->table_cap || (w->n + 1) * 2 >= w->table_cap)
        after += (w->table_cap ? w->table_cap : 4096) * sizeof *w->table;
    if (!w->n_chunks || w->chunk_used + MAX_WORD + 1 > ARENA_CHUNK)
        after += ARENA_CHUNK;
    return after <= w->max_bytes;
}

void words__merge_ws(struct words *w, const struct words *src)
{
    for (size_t i = 0; i < src->n; i++) {
        const struct word *s = &src->v[i];
        long id = words__intern(w, words__str(src, (uint32_t)i), s->len, false);
        if (id < 0) {
            if (!admit(w)) {
                w->dropped++;
                continue;
            }
            id = words__intern(w, words__str(src, (uint32_t)i), s->len, true);
        }
        w->v[id].ws += s->ws;
    }
}

void words_add_workspace_text(struct words *w, const char *text, size_t len)
{
    size_t pos = 0, s, wl;
    while (words__next(text, len, &pos, &s, &wl)) {
        long id = words__intern(w, text + s, wl, false);
        if (id < 0) {
            if (!admit(w)) {
                w->dropped++;
                continue;
            }
            id = words__intern(w, text + s, wl, true);
        }
        w->v[id].ws++;
    }
}

/* ---------------------------------------------------------------- documents */

struct words *words_new(void)
{
    struct words *w = xcalloc(1, sizeof(struct words));
    w->max_words = WORDS_DEFAULT_MAX_WORDS;
    w->max_bytes = WORDS_DEFAULT_MAX_BYTES;
    return w;
}

static void doc_release(struct wdoc *d)
{
    free(d->uri);
    free(d->ids);
    free(d->counts);
    free(d->prev);
}

void words_free(struct words *w)
{
    if (!w)
        return;
    words__walk_release(w);
    for (size_t i = 0; i < w->n_docs; i++)
        doc_release(&w->docs[i]);
    free(w->docs);
    for (int b = 0; b < 256; b++)
        free(w->bucket[b]);
    for (size_t i = 0; i < w->n_chunks; i++)
        free(w->chunks[i]);
    free(w->chunks);
    free(w->table);
    free(w->v);
    free(w->qkeys);
    free(w->qhere);
    free(w->qdist);
    free(w);
}

static struct wdoc *doc_find(struct words *w, const char *uri)
{
    for (size_t i = 0; uri && i < w->n_docs; i++)
        if (!strcmp(w->docs[i].uri, uri))
            return &w->docs[i];
    return NULL;
}

/* Scratch table: word id -> two counters (a query: count here, nearest distance; a whole
 * count: new count, old count), open addressing, reused between calls, grown as needed. */
static void q_alloc(struct words *w, size_t cap)
{
    w->qkeys = xrealloc(w->qkeys, cap * sizeof *w->qkeys);
    w->qhere = xrealloc(w->qhere, cap * sizeof *w->qhere);
    w->qdist = xrealloc(w->qdist, cap * sizeof *w->qdist);
    w->qcap = cap;
}

static void q_clear(struct words *w, size_t need)
{
    size_t cap = 1024;
    while (cap < 2 * need)
        cap *= 2;
    if (cap > w->qcap || w->qcap > 4 * cap + 65536)
        q_alloc(w, cap); /* shrinks after an unusually big document */
    w->qused = 0;
    memset(w->qkeys, 0, w->qcap * sizeof *w->qkeys);
}

static size_t q_slot(struct words *w, uint32_t id, bool create);

static void q_grow(struct words *w)
{
    size_t old = w->qcap;
    uint32_t *k = w->qkeys, *h = w->qhere, *d = w->qdist;
    w->qkeys = w->qhere = w->qdist = NULL;
    q_alloc(w, old * 2);
    memset(w->qkeys, 0, w->qcap * sizeof *w->qkeys);
    w->qused = 0;
    for (size_t i = 0; i < old; i++)
        if (k[i]) {
            size_t j = q_slot(w, k[i] - 1, true);
            w->qhere[j] = h[i];
            w->qdist[j] = d[i];
        }
    free(k);
    free(h);
    free(d);
}

/* Slot of id, or SIZE_MAX when absent and !create. */
static size_t q_slot(struct words *w, uint32_t id, bool create)
{
    if (create && 2 * (w->qused + 1) > w->qcap)
        q_grow(w);
    size_t mask = w->qcap - 1, j = (id * 2654435761u) & mask;
    for (;; j = (j + 1) & mask) {
        if (w->qkeys[j] == id + 1)
            return j;
        if (!w->qkeys[j]) {
            if (!create)
                return SIZE_MAX;
            w->qkeys[j] = id + 1;
            w->qhere[j] = 0;
            w->qdist[j] = UINT32_MAX;
            w->qused++;
            return j;
        }
    }
}

/* An (id, count change) of one update; sorted by id and combined. */
struct delta {
    uint32_t id;
    int32_t d;
};

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_delta(const void *a, const void *b)
{
    return cmp_u32(&((const struct delta *)a)->id, &((const struct delta *)b)->id);
}

/* Append the words of t[from, to) to *ds with change d each. */
static void collect(struct words *w, const char *t, size_t from, size_t to, int32_t d,
                    struct delta **ds, size_t *n, size_t *cap)
{
    size_t pos = from, s, wl;
    while (words__next(t, to, &pos, &s, &wl)) {
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 256;
            *ds = xrealloc(*ds, *cap * sizeof **ds);
        }
        (*ds)[(*n)++] = (struct delta){(uint32_t)words__intern(w, t + s, wl, true), d};
    }
}

/* Apply sorted, combined changes to the document's lists and the words' counts; words whose
 * count grew become recent when bump. */
static void apply(struct words *w, struct wdoc *d, const struct delta *ds, size_t nd, bool bump)
{
    uint32_t *ids = xmalloc((d->n + nd + 1) * sizeof *ids);
    uint32_t *counts = xmalloc((d->n + nd + 1) * sizeof *counts);
    size_t i = 0, k = 0, n = 0;
    bool bumped = false;
    while (i < d->n || k < nd) {
        uint32_t id;
        int64_t c;
        if (k == nd || (i < d->n && d->ids[i] < ds[k].id)) {
            id = d->ids[i];
            c = d->counts[i++];
        } else {
            id = ds[k].id;
            int32_t ch = ds[k++].d;
            int64_t old = 0;
            if (i < d->n && d->ids[i] == id)
                old = d->counts[i++];
            c = old + ch;
            if (c < 0)
                c = 0; /* cannot happen: a word leaves only where it was counted */
            w->v[id].docs = (uint32_t)((int64_t)w->v[id].docs + (c - old));
            if (bump && ch > 0) {
                if (!bumped) {
                    w->tick++;
                    bumped = true;
                }
                w->v[id].recent = w->tick;
            }
        }
        if (c > 0) {
            ids[n] = id;
            counts[n++] = (uint32_t)c;
        }
    }
    free(d->ids);
    free(d->counts);
    d->ids = ids;
    d->counts = counts;
    d->n = n;
}

/* Combine a sorted delta array in place (same ids summed, zeros dropped). */
static size_t combine(struct delta *ds, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        struct delta c = ds[i++];
        while (i < n && ds[i].id == c.id)
            c.d += ds[i++].d;
        if (c.d)
            ds[o++] = c;
    }
    return o;
}

/* Word deltas of the changed lines (whole lines, so no word straddles an edge). */
struct collect_changes {
    struct words *w;
    const char *old, *new_text;
    struct delta **ds;
    size_t *n, *cap;
};

static void collect_change(const struct line_change *c, void *ud)
{
    struct collect_changes *cc = ud;
    collect(cc->w, cc->old, c->old_start, c->old_end, -1, cc->ds, cc->n, cc->cap);
    collect(cc->w, cc->new_text, c->new_start, c->new_end, +1, cc->ds, cc->n, cc->cap);
}

/* Keep the document's text for its next update; at most KEEP_TEXTS documents keep theirs. */
static void keep_text(struct words *w, struct wdoc *d, const char *text, size_t len)
{
    d->stamp = ++w->stamps;
    if (len > KEEP_TEXT_MAX) {
        free(d->prev);
        d->prev = NULL;
        return;
    }
    if (!d->prev || d->prev_len < len || d->prev_len > 2 * len + 4096) {
        free(d->prev);
        d->prev = xmalloc(len + 1);
    }
    memcpy(d->prev, text, len);
    d->prev_len = len;
    size_t kept = 0;
    struct wdoc *oldest = NULL;
    for (size_t i = 0; i < w->n_docs; i++)
        if (w->docs[i].prev) {
            kept++;
            if (!oldest || w->docs[i].stamp < oldest->stamp)
                oldest = &w->docs[i];
        }
    if (kept > KEEP_TEXTS) {
        free(oldest->prev);
        oldest->prev = NULL;
    }
}

void words_doc_set(struct words *w, const char *uri, const char *text, size_t len)
{
    struct wdoc *d = doc_find(w, uri);
    bool known = d != NULL;
    if (!d) {
        w->docs = xrealloc(w->docs, (w->n_docs + 1) * sizeof *w->docs);
        d = &w->docs[w->n_docs++];
        memset(d, 0, sizeof *d);
        d->uri = xstrdup(uri);
    }
    struct delta *ds = NULL;
    size_t nd = 0, cap = 0;
    if (d->prev) {
        struct collect_changes cc = {w, d->prev, text, &ds, &nd, &cap};
        line_diff(d->prev, d->prev_len, text, len, 0, collect_change, &cc);
    } else {
        /* Counted whole, in the scratch table (new count, old count), then the differences. */
        q_clear(w, d->n + 1024);
        for (size_t i = 0; i < d->n; i++) {
            size_t j = q_slot(w, d->ids[i], true);
            w->qdist[j] = d->counts[i];
        }
        size_t pos = 0, st, wl;
        while (words__next(text, len, &pos, &st, &wl)) {
            size_t j = q_slot(w, (uint32_t)words__intern(w, text + st, wl, true), true);
            w->qhere[j]++;
        }
        cap = w->qused;
        ds = xmalloc((cap ? cap : 1) * sizeof *ds);
        for (size_t j = 0; j < w->qcap; j++) {
            if (!w->qkeys[j])
                continue;
            int64_t was = w->qdist[j] == UINT32_MAX ? 0 : w->qdist[j];
            if ((int64_t)w->qhere[j] != was)
                ds[nd++] = (struct delta){w->qkeys[j] - 1, (int32_t)(w->qhere[j] - was)};
        }
    }
    if (nd > 1)
        qsort(ds, nd, sizeof *ds, cmp_delta);
    nd = combine(ds, nd);
    if (nd)
        apply(w, d, ds, nd, known);
    free(ds);
    keep_text(w, d, text, len);
}

void words_doc_remove(struct words *w, const char *uri)
{
    struct wdoc *d = doc_find(w, uri);
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        w->v[d->ids[i]].docs -= d->counts[i];
    doc_release(d);
    *d = w->docs[--w->n_docs];
}

uint32_t words_doc_count(struct words *w, const char *uri, const char *word)
{
    long id = words__intern(w, word, strlen(word), false);
    if (id < 0)
        return 0;
    if (!uri)
        return w->v[id].docs;
    struct wdoc *d = doc_find(w, uri);
    if (!d || d->n == 0) /* bsearch on an empty (NULL) array is undefined */
        return 0;
    uint32_t key = (uint32_t)id;
    const uint32_t *hit = bsearch(&key, d->ids, d->n, sizeof *d->ids, cmp_u32);
    return hit ? d->counts[hit - d->ids] : 0;
}

size_t words_doc_distinct(struct words *w, const char *uri)
{
    struct wdoc *d = doc_find(w, uri);
    return d ? d->n : 0;
}

void words_stats(const struct words *w, struct words_stats *out)
{
    memset(out, 0, sizeof *out);
    out->files = w->files;
    out->bytes = w->bytes;
    out->skipped = w->skipped;
    out->distinct = w->n;
    out->docs = w->n_docs;
    out->scanning = w->scanning;
    out->dropped_words = w->dropped;
    out->memory = words__memory(w);
}

/* ---------------------------------------------------------------- queries */

static int item_cmp(const void *a, const void *b)
{
    const struct words_item *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return strcmp(x->word, y->word);
}

size_t words_query(struct words *w, const struct words_query *q, struct words_item *out,
                   size_t max)
{
    if (!max || !q->typed || !q->typed_len || !w->n)
        return 0;
    const char *typed = q->typed;
    size_t tl = q->typed_len;
    unsigned char c0 = (unsigned char)tolower((unsigned char)typed[0]);

    /* counts in the current document */
    struct wdoc *d = doc_find(w, q->uri);
    size_t window = q->text && q->cursor <= q->len
                        ? US_MIN(q->len, q->cursor + WINDOW_AFTER) -
                              (q->cursor > WINDOW_BEFORE ? q->cursor - WINDOW_BEFORE : 0)
                        : 0;
    q_clear(w, (d ? d->n : 0) + window / 16);
    if (d)
        for (size_t i = 0; i < d->n; i++) {
            size_t j = q_slot(w, d->ids[i], true); /* may grow the table: index after */
            w->qhere[j] = d->counts[i];
        }

    /* nearest occurrence around the cursor; after the cursor counts as twice as far */
    if (q->text && q->cursor <= q->len) {
        size_t from = q->cursor > WINDOW_BEFORE ? q->cursor - WINDOW_BEFORE : 0;
        size_t to = US_MIN(q->len, q->cursor + WINDOW_AFTER);
        /* start at a word boundary */
        while (from > 0 && from < to && fuzzy_is_word((unsigned char)q->text[from - 1]))
            from++;
        size_t pos = from, s, wl;
        while (words__next(q->text, to, &pos, &s, &wl)) {
            if (tolower((unsigned char)q->text[s]) != c0 || wl <= tl)
                continue;
            if (s <= q->cursor && s + wl >= q->cursor)
                continue; /* the word being typed */
            long id = words__intern(w, q->text + s, wl, false);
            if (id < 0)
                continue;
            size_t j = q_slot(w, (uint32_t)id, true);
            size_t dd = s + wl <= q->cursor ? q->cursor - (s + wl) : 2 * (s - q->cursor);
            if (dd < w->qdist[j])
                w->qdist[j] = (uint32_t)US_MIN(dd, UINT32_MAX - 1);
        }
    }

    size_t n = 0;
    for (size_t bi = 0; bi < w->bucket_n[c0]; bi++) {
        uint32_t id = w->bucket[c0][bi];
        struct word *x = &w->v[id];
        const char *xs = words__str(w, id);
        size_t j = q_slot(w, id, false);
        bool mine = j != SIZE_MAX;
        uint32_t here = mine ? w->qhere[j] : 0;
        uint32_t dist = mine ? w->qdist[j] : UINT32_MAX;
        uint32_t other = x->docs - here;
        if (!x->ws && !other && !(mine && (here || dist != UINT32_MAX)))
            continue;
        if (x->len == tl && !memcmp(xs, typed, tl))
            continue;
        int fs = fuzzy_score(typed, tl, xs, x->len);
        if (!fs)
            continue;
        enum fuzzy_class cls = fuzzy_class_of(fs);
        double score = cls >= FUZZY_PREFIX_CI ? 100.0 : cls * 20.0;
        if (cls == FUZZY_PREFIX)
            score += 4.0;
        if (mine && dist != UINT32_MAX)
            score += 2.2 * (22.0 - log2(2.0 + dist));
        score += 2.0 * log2(1.0 + here) + 1.0 * log2(1.0 + other) + 0.5 * log2(1.0 + x->ws);
        if (x->recent && w->tick - x->recent < 64)
            score += 3.0 * (1.0 - (w->tick - x->recent) / 64.0);
        score += (fs % 1000) / 1000.0; /* shorter first among equals */
        struct words_item it = {xs, score,
                                mine && (here || dist != UINT32_MAX) ? WORDS_HERE
                                : other                                  ? WORDS_OPEN_DOC
                                                                         : WORDS_WORKSPACE};
        if (n < max) {
            out[n++] = it;
            continue;
        }
        size_t worst = 0;
        for (size_t k = 1; k < n; k++)
            if (item_cmp(&out[k], &out[worst]) > 0)
                worst = k;
        if (item_cmp(&it, &out[worst]) < 0)
            out[worst] = it;
    }
    qsort(out, n, sizeof *out, item_cmp);
    return n;
}
