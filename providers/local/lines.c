/* lines: the n-gram model (see lines.h), and lines_suggest, which weighs it against the
 * structural rules of line_rules.c. The n-gram counts lines independently (each line's
 * contexts reach back only to the previous line's last token), which is what makes document
 * updates incremental: an edit re-counts just the lines it touched and the one after. Tokens
 * carry their leading space ("x" and " x" are different tokens), so decoding reproduces the
 * code's own spacing. */
#include "lines.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "doc_window.h"
#include "line_diff.h"
#include "line_rules.h"
#include "lines_int.h"
#include "longmatch.h"

#define MAX_ORDER 3         /* context tokens: a 4-gram model */
#define MAX_OUT_TOKENS 40
#define MIN_CONFIDENCE 0.25
#define NGRAM_FIRST_SCALE 0.62 /* first step's score -> confidence floor (tuning half) */
#define DOC_WEIGHT 4        /* an open document's counts weigh this much more than the workspace's */


struct vocab_ent {
    char *s; /* with the leading space when the token had one */
    uint32_t len, hash;
};

struct ctx {
    uint64_t key; /* 0 = empty slot */
    uint32_t total;
    uint32_t head; /* pair index + 1 */
    uint32_t distinct; /* successors with a positive count */
};

struct pair {
    uint64_t ctx;
    uint32_t next;
    int32_t count;
    uint32_t link; /* next pair of the same context, index + 1 */
};

struct doc {
    char *uri;
    char *text;      /* the part learned: [base, base + len) of a text of full_len bytes */
    size_t len, base, full_len;
    struct doc_window window;
};

struct lines {
    struct lines_caps caps;
    struct vocab_ent *vocab;
    size_t n_vocab, cap_vocab;
    uint32_t *vtable;
    size_t vtable_cap;
    struct ctx *ctxs;
    size_t n_ctx, ctx_cap;
    struct pair *pairs;
    size_t n_pairs, cap_pairs;
    uint32_t *ptable;
    size_t ptable_cap;
    struct doc *docs;
    size_t n_docs;
    size_t ws_bytes;
    struct longmatch *lm; /* the workspace's token stream, for the longest match */
    bool feeding;         /* count_region is learning workspace text: stream it to lm too */
};


/* First size of each table (a power of two; they double as they fill). Small: the model often
 * learns just the few files ghost text was asked in, and tables first sized for a workspace
 * (8-16 K entries) took ~0.7 MB for a 4-line buffer. Nothing iterates a table in slot order, so
 * the size never changes a suggestion. */
#define LINES_FIRST_CAP 512

/* ---------------------------------------------------------------- vocabulary */

static uint32_t hash32(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void vocab_grow(struct lines *m)
{
    size_t cap = m->vtable_cap ? m->vtable_cap * 2 : LINES_FIRST_CAP;
    uint32_t *t = xcalloc(cap, sizeof *t);
    for (size_t i = 0; i < m->n_vocab; i++) {
        size_t j = m->vocab[i].hash & (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = (uint32_t)i + 1;
    }
    free(m->vtable);
    m->vtable = t;
    m->vtable_cap = cap;
}

/* Id of a token given as (space flag, text); ID_UNK when unknown and !create. */
static uint32_t vocab_id(struct lines *m, bool space, const char *s, size_t n, bool create)
{
    char buf[256];
    if (n + 1 >= sizeof buf)
        return ID_UNK;
    size_t bl = 0;
    if (space)
        buf[bl++] = ' ';
    memcpy(buf + bl, s, n);
    bl += n;
    if (!m->vtable_cap || (create && m->n_vocab * 2 >= m->vtable_cap))
        vocab_grow(m);
    uint32_t h = hash32(buf, bl);
    size_t j = h & (m->vtable_cap - 1);
    while (m->vtable[j]) {
        struct vocab_ent *e = &m->vocab[m->vtable[j] - 1];
        if (e->hash == h && e->len == bl && !memcmp(e->s, buf, bl))
            return m->vtable[j] - 1;
        j = (j + 1) & (m->vtable_cap - 1);
    }
    if (!create)
        return ID_UNK;
    if (m->n_vocab == m->cap_vocab) {
        m->cap_vocab = m->cap_vocab ? m->cap_vocab * 2 : LINES_FIRST_CAP;
        m->vocab = xrealloc(m->vocab, m->cap_vocab * sizeof *m->vocab);
    }
    uint32_t id = (uint32_t)m->n_vocab++;
    m->vocab[id] = (struct vocab_ent){xstrndup(buf, bl), (uint32_t)bl, h};
    m->vtable[j] = id + 1;
    return id;
}

uint32_t lines__token_id(struct lines *m, bool space, const char *s, size_t n)
{
    return vocab_id(m, space, s, n, false);
}

/* ---------------------------------------------------------------- counts */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t ctx_key(const uint32_t *ids, size_t k)
{
    uint64_t h = mix64(k + 0x9e3779b97f4a7c15ULL);
    for (size_t i = 0; i < k; i++)
        h = mix64(h ^ (ids[i] + 0x632be59bd9b4e019ULL * (i + 1)));
    return h | 1;
}

static void ctx_grow(struct lines *m)
{
    size_t cap = m->ctx_cap ? m->ctx_cap * 2 : LINES_FIRST_CAP;
    struct ctx *t = xcalloc(cap, sizeof *t);
    for (size_t i = 0; i < m->ctx_cap; i++) {
        if (!m->ctxs[i].key)
            continue;
        size_t j = m->ctxs[i].key & (cap - 1);
        while (t[j].key)
            j = (j + 1) & (cap - 1);
        t[j] = m->ctxs[i];
    }
    free(m->ctxs);
    m->ctxs = t;
    m->ctx_cap = cap;
}

static struct ctx *ctx_find(const struct lines *m, uint64_t key)
{
    if (!m->ctx_cap)
        return NULL;
    size_t j = key & (m->ctx_cap - 1);
    while (m->ctxs[j].key) {
        if (m->ctxs[j].key == key)
            return &m->ctxs[j];
        j = (j + 1) & (m->ctx_cap - 1);
    }
    return NULL;
}

static struct ctx *ctx_get(struct lines *m, uint64_t key)
{
    if ((m->n_ctx + 1) * 2 >= m->ctx_cap)
        ctx_grow(m);
    size_t j = key & (m->ctx_cap - 1);
    while (m->ctxs[j].key) {
        if (m->ctxs[j].key == key)
            return &m->ctxs[j];
        j = (j + 1) & (m->ctx_cap - 1);
    }
    m->ctxs[j].key = key;
    m->n_ctx++;
    return &m->ctxs[j];
}

static void ptable_grow(struct lines *m)
{
    size_t cap = m->ptable_cap ? m->ptable_cap * 2 : LINES_FIRST_CAP;
    uint32_t *t = xcalloc(cap, sizeof *t);
    for (size_t i = 0; i < m->n_pairs; i++) {
        size_t j = mix64(m->pairs[i].ctx ^ m->pairs[i].next) & (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = (uint32_t)i + 1;
    }
    free(m->ptable);
    m->ptable = t;
    m->ptable_cap = cap;
}

static void add_pair(struct lines *m, uint64_t key, uint32_t next, int delta)
{
    struct ctx *c = ctx_get(m, key);
    if (m->n_pairs * 2 >= m->ptable_cap)
        ptable_grow(m);
    size_t j = mix64(key ^ next) & (m->ptable_cap - 1);
    while (m->ptable[j]) {
        struct pair *p = &m->pairs[m->ptable[j] - 1];
        if (p->ctx == key && p->next == next) {
            if (p->count <= 0 && p->count + delta > 0)
                c->distinct++;
            else if (p->count > 0 && p->count + delta <= 0)
                c->distinct--;
            p->count += delta;
            c->total += delta;
            return;
        }
        j = (j + 1) & (m->ptable_cap - 1);
    }
    if (delta < 0)
        return; /* removing something never added: the counts were capped; ignore */
    if (m->n_pairs == m->cap_pairs) {
        m->cap_pairs = m->cap_pairs ? m->cap_pairs * 2 : LINES_FIRST_CAP;
        m->pairs = xrealloc(m->pairs, m->cap_pairs * sizeof *m->pairs);
    }
    uint32_t idx = (uint32_t)m->n_pairs++;
    m->pairs[idx] = (struct pair){key, next, delta, c->head};
    c->head = idx + 1;
    c->total += delta;
    c->distinct++;
    m->ptable[j] = idx + 1;
}

/* Ids of a line's tokens into ids[2..]: ids[0] = prev, ids[1] = BOL. Returns the count of
 * line tokens (0 for blank or unlearnable lines). */
static size_t line_ids(struct lines *m, const char *s, size_t n, bool create, uint32_t *ids)
{
    struct line_tok toks[LINE_MAX_TOKENS];
    if (n > LINE_MAX_BYTES)
        return 0;
    size_t k = line_tokenize(s, n, toks, LINE_MAX_TOKENS);
    for (size_t i = 0; i < k; i++)
        ids[2 + i] = vocab_id(m, toks[i].gap > 0, s + toks[i].start, toks[i].len, create);
    return k;
}

static void count_seq(struct lines *m, const uint32_t *seq, size_t n, int delta)
{
    /* seq = prev, BOL, t1..tk, EOL; predict from t1 on */
    for (size_t j = 2; j < n; j++)
        for (size_t k = 1; k <= MAX_ORDER && k <= j; k++)
            add_pair(m, ctx_key(seq + j - k, k), seq[j], delta);
}

/* What the line-start model needs of the line above a line: its first and last token ids
 * (ID_START at the top, ID_EMPTY for a blank or unlearnable line) and its indentation. */
struct prev_line {
    uint32_t first, last;
    size_t indent;
    bool blank;
};

static void prev_line_info(struct lines *m, const char *text, size_t start, bool create,
                           struct prev_line *pl)
{
    *pl = (struct prev_line){ID_START, ID_START, 0, true};
    if (start == 0)
        return;
    size_t e = start - 1; /* the '\n' */
    size_t b = e;
    while (b > 0 && text[b - 1] != '\n')
        b--;
    uint32_t ids[LINE_MAX_TOKENS + 3];
    size_t k = line_ids(m, text + b, e - b, create, ids);
    pl->first = k ? ids[2] : ID_EMPTY;
    pl->last = k ? ids[1 + k] : ID_EMPTY;
    pl->indent = line_indent(text + b, e - b);
    pl->blank = !k;
}

/* Last token id of the line ending just before `start` (START at the beginning). */
static uint32_t prev_line_last(struct lines *m, const char *text, size_t start, bool create)
{
    struct prev_line pl;
    prev_line_info(m, text, start, create, &pl);
    return pl.last;
}

/* The line-start model: a line's first token given the line above (its first and last
 * tokens) and whether the indentation went in, stayed or went out (A, backing off to B and C),
 * and that indentation change given the line above (D, backing off to E). */
static void count_start(struct lines *m, const struct prev_line *pl, uint32_t rel, uint32_t t1,
                        int delta)
{
    uint32_t a[4] = {ID_LS_A, pl->first, pl->last, rel}, b[3] = {ID_LS_B, pl->last, rel},
             c[2] = {ID_LS_C, rel}, d[3] = {ID_LS_D, pl->first, pl->last}, e[2] = {ID_LS_E, pl->last};
    add_pair(m, ctx_key(a, 4), t1, delta);
    add_pair(m, ctx_key(b, 3), t1, delta);
    add_pair(m, ctx_key(c, 2), t1, delta);
    add_pair(m, ctx_key(d, 3), rel, delta);
    add_pair(m, ctx_key(e, 2), rel, delta);
}

/* (Un)learn the lines in [start, end): start is a line start, end a line end or text end. */
static void count_region(struct lines *m, const char *text, size_t start, size_t end, int delta)
{
    struct prev_line prev;
    prev_line_info(m, text, start, delta > 0, &prev);
    uint32_t ids[LINE_MAX_TOKENS + 3];
    size_t pos = start;
    while (pos < end) {
        size_t e = pos;
        while (e < end && text[e] != '\n')
            e++;
        size_t k = line_ids(m, text + pos, e - pos, delta > 0, ids);
        if (k) {
            size_t ind = line_indent(text + pos, e - pos);
            uint32_t rel = lines__indent_rel(prev.blank, prev.indent, ind);
            count_start(m, &prev, rel, ids[2], delta);
            ids[0] = prev.last;
            ids[1] = ID_BOL;
            ids[2 + k] = ID_EOL;
            count_seq(m, ids, k + 3, delta);
            if (m->feeding) {
                ids[1] = rel;
                lm_ws_append(m->lm, ids + 1, k + 2);
            }
            prev = (struct prev_line){ids[2], ids[1 + k], ind, false};
        } else {
            prev = (struct prev_line){ID_EMPTY, ID_EMPTY, 0, true};
        }
        pos = e + 1;
    }
}

/* ---------------------------------------------------------------- public: learning */

struct lines *lines_new(const struct lines_caps *caps)
{
    struct lines *m = xcalloc(1, sizeof *m);
    if (caps)
        m->caps = *caps;
    if (!m->caps.max_workspace_bytes)
        m->caps.max_workspace_bytes = 8u << 20;
    if (!m->caps.max_doc_bytes)
        m->caps.max_doc_bytes = 2u << 20;
    static const char *const specials[] = {
        "\001UNK", "\001BOL", "\001EOL", "\001EMPTY", "\001START", "\001DEDENT", "\001SAME",
        "\001INDENT", "\001LSA", "\001LSB", "\001LSC", "\001LSD", "\001LSE"};
    for (size_t i = 0; i < US_ARRAY_LEN(specials); i++)
        vocab_id(m, false, specials[i], strlen(specials[i]), true);
    m->lm = lm_new(ID_EOL, ID_UNK, m->caps.max_workspace_bytes / 3);
    return m;
}

void lines_free(struct lines *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_vocab; i++)
        free(m->vocab[i].s);
    free(m->vocab);
    free(m->vtable);
    free(m->ctxs);
    free(m->pairs);
    free(m->ptable);
    for (size_t i = 0; i < m->n_docs; i++) {
        free(m->docs[i].uri);
        free(m->docs[i].text);
    }
    free(m->docs);
    lm_free(m->lm);
    free(m);
}

int lines_add_text(struct lines *m, const char *text, size_t len)
{
    if (m->ws_bytes + len > m->caps.max_workspace_bytes)
        return US_ETOOBIG;
    m->ws_bytes += len;
    m->feeding = true;
    count_region(m, text, 0, len, +1);
    m->feeding = false;
    return 0;
}

void lines_add_learned(struct lines *m, const char *text, size_t len, int delta)
{
    count_region(m, text, 0, len, delta > 0 ? 2 * DOC_WEIGHT : -2 * DOC_WEIGHT);
}

static struct doc *doc_find(struct lines *m, const char *uri)
{
    for (size_t i = 0; i < m->n_docs; i++)
        if (!strcmp(m->docs[i].uri, uri))
            return &m->docs[i];
    return NULL;
}

/* An edit re-counts the lines it changed and the line after each run of them (whose start
 * is predicted from the line above). */
struct recount {
    struct lines *m;
    const char *old, *new_text;
};

static void recount_change(const struct line_change *c, void *ud)
{
    struct recount *r = ud;
    count_region(r->m, r->old, c->old_start, c->old_end, -DOC_WEIGHT);
    count_region(r->m, r->new_text, c->new_start, c->new_end, +DOC_WEIGHT);
}

size_t lines_doc_set(struct lines *m, const char *uri, const char *text, size_t len,
                     size_t cursor_line)
{
    struct doc *d = doc_find(m, uri);
    struct doc_window w = d ? d->window : (struct doc_window){0};
    size_t a, b;
    doc_window_pick(&w, text, len, cursor_line, &a, &b);
    if (b - a > m->caps.max_doc_bytes) {
        lines_doc_remove(m, uri);
        return 0;
    }
    if (!d) {
        m->docs = xrealloc(m->docs, (m->n_docs + 1) * sizeof *m->docs);
        d = &m->docs[m->n_docs++];
        d->uri = xstrdup(uri);
        d->text = xstrndup(text + a, b - a);
        d->len = b - a;
        count_region(m, d->text, 0, d->len, +DOC_WEIGHT);
    } else {
        struct recount r = {m, d->text, text + a};
        if (line_diff(d->text, d->len, text + a, b - a, 1, recount_change, &r)) {
            free(d->text);
            d->text = xstrndup(text + a, b - a);
            d->len = b - a;
        }
    }
    d->base = a;
    d->full_len = len;
    d->window = w;
    return b - a;
}

void lines_doc_remove(struct lines *m, const char *uri)
{
    struct doc *d = doc_find(m, uri);
    if (!d)
        return;
    count_region(m, d->text, 0, d->len, -DOC_WEIGHT);
    free(d->uri);
    free(d->text);
    *d = m->docs[--m->n_docs];
}

/* ---------------------------------------------------------------- popup */

void lines_follow_init(struct lines *m, const char *text, size_t ws, struct lines_follow *f)
{
    memset(f, 0, sizeof *f);
    size_t ls = ws;
    while (ls > 0 && text[ls - 1] != '\n')
        ls--;
    uint32_t ids[LINE_MAX_TOKENS + 3];
    if (ws - ls > LINE_MAX_BYTES || !m->n_vocab)
        return;
    size_t k = line_ids(m, text + ls, ws - ls, false, ids);
    if (k >= LINE_MAX_TOKENS)
        return; /* the tokenizer stopped before the word: its context is unknown */
    ids[0] = prev_line_last(m, text, ls, false);
    ids[1] = ID_BOL;
    f->gap = k && (text[ws - 1] == ' ' || text[ws - 1] == '\t');
    for (size_t o = 1; o <= 2; o++) {
        const struct ctx *c = ctx_find(m, ctx_key(ids + 2 + k - o, o));
        if (c && c->total) {
            f->key[o - 1] = c->key;
            f->total[o - 1] = c->total;
        }
    }
}

void lines_follow_count(struct lines *m, const struct lines_follow *f, const char *w, size_t n,
                        uint32_t out[2])
{
    out[0] = out[1] = 0;
    if ((!f->key[0] && !f->key[1]) || !m->ptable_cap)
        return;
    uint32_t id = vocab_id(m, f->gap, w, n, false);
    if (id == ID_UNK)
        return;
    for (int o = 0; o < 2; o++) {
        if (!f->key[o])
            continue;
        size_t j = mix64(f->key[o] ^ id) & (m->ptable_cap - 1);
        for (; m->ptable[j]; j = (j + 1) & (m->ptable_cap - 1)) {
            const struct pair *p = &m->pairs[m->ptable[j] - 1];
            if (p->ctx == f->key[o] && p->next == id) {
                out[o] = p->count > 0 ? (uint32_t)p->count : 0;
                break;
            }
        }
    }
}

void lines_stats(const struct lines *m, struct lines_stats *out)
{
    out->tokens = m->n_vocab;
    out->contexts = m->n_ctx;
    out->pairs = m->n_pairs;
    out->workspace_bytes = m->ws_bytes;
    out->docs = m->n_docs;
    out->match_tokens = lm_ws_tokens(m->lm);
    out->match_bytes = lm_mem_bytes(m->lm);
}

uint64_t lines_counts_hash(const struct lines *m)
{
    uint64_t h = 0;
    for (size_t i = 0; i < m->n_pairs; i++) {
        const struct pair *p = &m->pairs[i];
        if (p->count)
            h += mix64(p->ctx ^ ((uint64_t)p->next << 32) ^ (uint32_t)p->count);
    }
    return h;
}

void lines_suggestion_release(struct lines_suggestion *s)
{
    free(s->text);
    s->text = NULL;
}

/* ---------------------------------------------------------------- n-gram decoding */

struct pick {
    uint32_t id;
    double p;
    uint32_t total;
};

/* Text of a vocabulary entry, with its leading space. */
const char *lines__token_text(const struct lines *m, uint32_t id, size_t *n)
{
    *n = m->vocab[id].len;
    return m->vocab[id].s;
}

/* Does candidate id pass the first-step filter? */
bool lines__first_ok(const struct lines *m, const struct line_cursor *qs, uint32_t id,
                     const char *part, size_t part_n, bool part_space)
{
    /* Never end the line at once: an empty suggestion is no suggestion, and the line being
     * typed was itself learned (up to the cursor) from the document, followed by an EOL. */
    if (id < ID_FIRST)
        return false;
    size_t n;
    const char *s = lines__token_text(m, id, &n);
    bool space = s[0] == ' ';
    if (part_n) {
        if (space != part_space)
            return false;
        s += space;
        n -= space;
        return n >= part_n && !memcmp(s, part, part_n);
    }
    if (qs->ends_space)
        return space;
    return true;
}

static int32_t pair_count(const struct lines *m, uint64_t key, uint32_t next)
{
    if (!m->ptable_cap)
        return 0;
    size_t j = mix64(key ^ next) & (m->ptable_cap - 1);
    while (m->ptable[j]) {
        const struct pair *p = &m->pairs[m->ptable[j] - 1];
        if (p->ctx == key && p->next == next)
            return p->count;
        j = (j + 1) & (m->ptable_cap - 1);
    }
    return 0;
}

/* The most likely next token: Witten-Bell interpolation of the 2-, 3- and 4-gram estimates.
 * Every successor of a longer context is also a successor of the one-token context, so that
 * list holds all candidates. */
static bool pick_next(const struct lines *m, const struct line_cursor *qs, const uint32_t *seq,
                      size_t n, bool first, const char *part, size_t part_n, bool part_space,
                      struct pick *out)
{
    size_t kmax = US_MIN((size_t)MAX_ORDER, n);
    uint64_t keys[MAX_ORDER + 1];
    double tot[MAX_ORDER + 1] = {0}, lam[MAX_ORDER + 1] = {0};
    const struct ctx *c1 = ctx_find(m, keys[1] = ctx_key(seq + n - 1, 1));
    if (!c1 || !c1->head)
        return false;
    /* totals per order; only a filtered first step needs a pass over the lists */
    bool filtered = first && (part_n || qs->ends_space);
    const struct ctx *cs[MAX_ORDER + 1] = {0};
    for (size_t k = 1; k <= kmax; k++) {
        if (k > 1)
            keys[k] = ctx_key(seq + n - k, k);
        const struct ctx *c = cs[k] = k == 1 ? c1 : ctx_find(m, keys[k]);
        if (!c)
            continue;
        double t = 0, d = 0;
        if (filtered) {
            uint32_t seen = 0;
            for (uint32_t pi = c->head; pi && seen < 20000; pi = m->pairs[pi - 1].link, seen++) {
                const struct pair *p = &m->pairs[pi - 1];
                if (p->count <= 0 || !lines__first_ok(m, qs, p->next, part, part_n, part_space))
                    continue;
                t += p->count;
                d += 1;
            }
        } else {
            t = c->total;
            d = c->distinct;
        }
        tot[k] = t;
        lam[k] = t > 0 ? t / (t + d * DOC_WEIGHT) : 0;
    }
    if (tot[1] <= 0)
        return false;
    double best_p = -1;
    uint32_t best_id = 0;
    /* Candidates: the longest context with some mass carries the likely ones; the one-token
     * context's list (thousands after "(" or a line start) only when nothing longer knows. */
    size_t from = 1;
    for (size_t k = kmax; k > 1; k--)
        if (tot[k] >= 3 && lam[k] >= 0.3) {
            from = k;
            break;
        }
    uint32_t seen = 0;
    for (uint32_t pi = cs[from]->head; pi && seen < 4096; pi = m->pairs[pi - 1].link, seen++) {
        const struct pair *p = &m->pairs[pi - 1];
        if (p->count <= 0 || (first && !lines__first_ok(m, qs, p->next, part, part_n, part_space)))
            continue;
        int32_t c1n = from == 1 ? p->count : pair_count(m, keys[1], p->next);
        double pr = (c1n > 0 ? c1n : 0) / tot[1];
        for (size_t k = 2; k <= kmax; k++) {
            if (tot[k] <= 0)
                continue;
            int32_t ck = pair_count(m, keys[k], p->next);
            pr = lam[k] * (ck > 0 ? ck : 0) / tot[k] + (1 - lam[k]) * pr;
        }
        if (pr > best_p || (pr == best_p && p->next < best_id)) {
            best_p = pr;
            best_id = p->next;
        }
    }
    if (best_p <= 0 && from > 1) {
        for (uint32_t pi = c1->head; pi && seen < 8192; pi = m->pairs[pi - 1].link, seen++) {
            const struct pair *p = &m->pairs[pi - 1];
            if (p->count <= 0 ||
                (first && !lines__first_ok(m, qs, p->next, part, part_n, part_space)))
                continue;
            double pr = p->count / tot[1];
            for (size_t k = 2; k <= kmax; k++) {
                if (tot[k] <= 0)
                    continue;
                int32_t ck = pair_count(m, keys[k], p->next);
                pr = lam[k] * (ck > 0 ? ck : 0) / tot[k] + (1 - lam[k]) * pr;
            }
            if (pr > best_p || (pr == best_p && p->next < best_id)) {
                best_p = pr;
                best_id = p->next;
            }
        }
    }
    if (best_p <= 0)
        return false;
    size_t top = kmax;
    while (top > 1 && tot[top] <= 0)
        top--;
    *out = (struct pick){best_id, best_p, (uint32_t)tot[top]};
    return true;
}

/* Extend seq[0, n) token by token while each step stays likely; the first step completes
 * the partial token part (when part_n) if first. Appends the text to out; returns the product
 * of the steps' scores (times conf), *done when the line's end was predicted, *first_sc the
 * first step's score (0 when there was none). */
static double decode(struct lines *m, const struct line_cursor *qs, uint32_t *seq, size_t n,
                     bool first, const char *part, size_t part_n, bool part_space, double conf,
                     struct strbuf *out, bool *done, double *first_sc)
{
    *done = false;
    *first_sc = 0;
    for (int step = 0; step < MAX_OUT_TOKENS; step++) {
        struct pick pk;
        bool f = first && step == 0;
        if (!pick_next(m, qs, seq, n, f, part, part_n, part_space, &pk))
            break;
        /* one example is a hint, not a rule: discount thin evidence (doc counts weigh 4) */
        double sc = pk.p * (pk.total / (pk.total + 2.0));
        /* the first token may be a guess when the caller asks for one; later tokens must be
         * likely, or the line would drift into noise */
        if ((!f && sc < 0.3) || conf * sc < qs->min_conf)
            break;
        conf *= sc;
        if (step == 0)
            *first_sc = sc;
        if (pk.id == ID_EOL) {
            *done = true;
            break;
        }
        size_t tn;
        const char *t = lines__token_text(m, pk.id, &tn);
        if (f && part_n) {
            size_t skip = part_n + (t[0] == ' ');
            sb_add(out, t + skip, tn - skip);
        } else if (f && qs->ends_space && t[0] == ' ') {
            sb_add(out, t + 1, tn - 1);
        } else {
            sb_add(out, t, tn);
        }
        seq[n++] = pk.id;
    }
    return conf;
}

static void try_ngram(struct lines *m, const struct line_cursor *qs, struct line_cand *best)
{
    uint32_t seq[LINE_MAX_TOKENS + MAX_OUT_TOKENS + 4];
    size_t n = 0;
    size_t prev_start = qs->ls;
    seq[n++] = prev_line_last(m, qs->q->text, prev_start, false);
    seq[n++] = ID_BOL;
    const struct line_view *v = &qs->pre;
    size_t complete = qs->partial ? v->k - 1 : v->k;
    for (size_t i = 0; i < complete; i++)
        seq[n++] = vocab_id(m, v->toks[i].gap > 0, v->s + v->toks[i].start, v->toks[i].len,
                            false);
    const char *part = NULL;
    size_t part_n = 0;
    bool part_space = false;
    if (qs->partial) {
        part = v->s + v->toks[v->k - 1].start;
        part_n = v->toks[v->k - 1].len;
        part_space = v->toks[v->k - 1].gap > 0;
    }
    struct strbuf out;
    sb_init(&out);
    bool done;
    double first_sc;
    double conf = decode(m, qs, seq, n, true, part, part_n, part_space, 1.0, &out, &done,
                         &first_sc);
    /* The product of the steps measures the whole line; whether the ghost text is worth
     * showing is mostly whether its first token is right, which the first step alone measures
     * well (tuning half: a first step >= 0.4, the floor's reach at the default 0.25, gives the
     * first token right ~75 % of the time, even where a long line's product is low). decode
     * already stopped where the line got unlikely. */
    conf = done ? conf : conf * 0.8;
    if (first_sc * NGRAM_FIRST_SCALE > conf)
        conf = first_sc * NGRAM_FIRST_SCALE;
    if (out.len)
        line_offer(qs, best, out.data, out.len, conf, "ngram");
    sb_release(&out);
}

/* ---------------------------------------------------------------- a cursor in the indentation */

struct ls_ctx {
    uint64_t key;
    const struct ctx *c;
    double lam;
};

static void ls_open(const struct lines *m, const uint32_t *ids, size_t k, struct ls_ctx *o)
{
    o->key = ctx_key(ids, k);
    o->c = ctx_find(m, o->key);
    o->lam = o->c && o->c->total > 0
                 ? (double)o->c->total / (o->c->total + (double)o->c->distinct * DOC_WEIGHT)
                 : 0;
}

static double ls_p(const struct lines *m, const struct ls_ctx *o, uint32_t id, double lower)
{
    if (!o->c || o->c->total <= 0)
        return lower;
    int32_t c = pair_count(m, o->key, id);
    return o->lam * (c > 0 ? c : 0) / o->c->total + (1 - o->lam) * lower;
}

static const double lines_start_scale = 1.0; /* first-token probability -> confidence (tuning half) */

/* The line's first token from the line-start model, for each level the line may start at,
 * weighed by how likely that level is after the line above; then the n-gram's rest. */
static void try_line_start(struct lines *m, const struct line_cursor *qs,
                           const struct indent_geom *g, struct line_cand *best)
{
    struct prev_line pl;
    prev_line_info(m, qs->q->text, qs->ls, false, &pl);
    static const uint32_t rels[4] = {ID_DEDENT, ID_SAME, ID_INDENT, ID_EMPTY};
    double prel[4] = {0};
    double sum = 0;
    if (pl.blank) {
        prel[3] = g->target[3] != SIZE_MAX;
        sum = prel[3];
    } else {
        struct ls_ctx d, e;
        uint32_t kd[3] = {ID_LS_D, pl.first, pl.last}, ke[2] = {ID_LS_E, pl.last};
        ls_open(m, kd, 3, &d);
        ls_open(m, ke, 2, &e);
        for (int r = 0; r < 3; r++) {
            if (g->target[r] == SIZE_MAX)
                continue;
            prel[r] = ls_p(m, &d, rels[r], ls_p(m, &e, rels[r], 1.0 / 3));
            sum += prel[r];
        }
    }
    if (sum <= 0)
        return;
    double best_sc = 0;
    uint32_t best_id = 0;
    int best_r = -1;
    for (int r = 0; r < 4; r++) {
        if (prel[r] <= 0)
            continue;
        struct ls_ctx a, b, c;
        uint32_t ka[4] = {ID_LS_A, pl.first, pl.last, rels[r]}, kb[3] = {ID_LS_B, pl.last, rels[r]},
                 kc[2] = {ID_LS_C, rels[r]};
        ls_open(m, ka, 4, &a);
        ls_open(m, kb, 3, &b);
        ls_open(m, kc, 2, &c);
        const struct ls_ctx *from = a.c && a.c->total >= 3 ? &a : b.c && b.c->total >= 3 ? &b : &c;
        if (!from->c)
            continue;
        double ev = from->c->total / (from->c->total + 2.0);
        /* a line's first token carries no space: its indentation is not a gap */
        uint32_t seen = 0;
        for (uint32_t pi = from->c->head; pi && seen < 2048; pi = m->pairs[pi - 1].link, seen++) {
            const struct pair *p = &m->pairs[pi - 1];
            if (p->count <= 0 || p->next < ID_FIRST)
                continue;
            double pr = ls_p(m, &a, p->next, ls_p(m, &b, p->next, ls_p(m, &c, p->next, 0)));
            double sc = prel[r] / sum * pr * ev;
            if (sc > best_sc || (sc == best_sc && p->next < best_id)) {
                best_sc = sc;
                best_id = p->next;
                best_r = r;
            }
        }
    }
    if (best_r < 0 || best_sc * lines_start_scale < qs->min_conf * 0.5)
        return;
    struct strbuf out;
    sb_init(&out);
    line_start_pad(g, g->target[best_r], &out);
    size_t tn;
    const char *tx = lines__token_text(m, best_id, &tn);
    sb_add(&out, tx + (tx[0] == ' '), tn - (tx[0] == ' '));
    uint32_t seq[MAX_OUT_TOKENS + 4] = {pl.last, ID_BOL, best_id};
    bool done;
    double first_sc;
    decode(m, qs, seq, 3, false, NULL, 0, false, 1.0, &out, &done, &first_sc);
    double conf = best_sc * lines_start_scale;
    line_offer(qs, best, out.data, out.len, conf > 0.85 ? 0.85 : conf, "start");
    sb_release(&out);
}

int lines_suggest(struct lines *m, const struct lines_query *q, struct lines_suggestion *out)
{
    out->text = NULL;
    out->confidence = 0;
    out->rule = NULL;
    if (!q->text || q->cursor > q->len)
        return US_EINVAL;
    static struct line_cursor qs; /* the views are large; one query at a time on the loop */
    memset(&qs, 0, sizeof qs);
    qs.q = q;
    qs.min_conf = q->min_confidence > 0 ? q->min_confidence : MIN_CONFIDENCE;
    size_t ls = q->cursor;
    while (ls > 0 && q->text[ls - 1] != '\n')
        ls--;
    qs.ls = ls;
    if (q->cursor - ls > LINE_MAX_BYTES)
        return US_ENOENT;
    size_t le = q->cursor;
    while (le < q->len && q->text[le] != '\n')
        le++;
    for (size_t i = q->cursor; i < le; i++) {
        char c = q->text[i];
        if (c == ' ' || c == '\t' || c == '\r')
            continue;
        if (!strchr(")]}\"'`;,:", c) || qs.suffix_n + 1 >= sizeof qs.suffix)
            return US_ENOENT;
        qs.suffix[qs.suffix_n++] = c;
    }
    line_view_init(&qs.pre, q->text + ls, q->cursor - ls);
    qs.indent = line_indent(qs.pre.s, qs.pre.n);
    if (qs.pre.k) {
        const struct line_tok *t = &qs.pre.toks[qs.pre.k - 1];
        bool at_end = t->start + t->len == qs.pre.n;
        qs.partial = at_end && (t->kind == LTOK_ID || t->kind == LTOK_NUM || t->open_string);
        qs.ends_space = !at_end;
    }

    /* The half-typed cursor line was learned with the document; it would teach "the line
     * ends here". Leave it out for this query. */
    struct doc *d = q->uri ? doc_find(m, q->uri) : NULL;
    bool unlearned = d && d->full_len == q->len && ls >= d->base && le <= d->base + d->len &&
                     !memcmp(d->text + (ls - d->base), q->text + ls, le - ls);
    if (unlearned)
        count_region(m, q->text, ls, le, -DOC_WEIGHT);
    struct line_cand best;
    sb_init(&best.text);
    best.conf = 0;
    best.rule = NULL;
    struct indent_geom g;
    if (q->prose) {
        if (line_start_geometry(&qs, &g)) {
            try_line_start(m, &qs, &g, &best);
            lm_suggest_line_start(m, m->lm, &qs, &g, &best);
        } else
            lm_suggest(m, m->lm, &qs, &best);
        goto done;
    }
    if (line_start_geometry(&qs, &g)) {
        /* nothing typed on the line yet: where its code starts and what it is */
        line_rules_repeat(&qs, &best);
        line_rules_start(&qs, &g, &best);
        try_line_start(m, &qs, &g, &best);
        lm_suggest_line_start(m, m->lm, &qs, &g, &best);
        goto done;
    }
    line_rules_repeat(&qs, &best);
    if (best.conf < 0.9)
        line_rules_analogy(&qs, &best);
    /* An earlier line that the statistics agree with as far as they reach is the better
     * answer: the n-gram stops at the first unlikely token ("TypeError("), the line knows the
     * rest ("TypeError(\"unknown shape\")"). */
    struct strbuf structural;
    sb_init(&structural);
    sb_add(&structural, best.text.data ? best.text.data : "", best.text.len);
    const char *structural_rule = best.rule;
    try_ngram(m, &qs, &best);
    if (best.rule && !strcmp(best.rule, "ngram") && structural_rule &&
        structural.len > best.text.len && !memcmp(structural.data, best.text.data, best.text.len)) {
        sb_clear(&best.text);
        sb_add(&best.text, structural.data, structural.len);
        best.rule = structural_rule;
    }
    sb_release(&structural);
    lm_suggest(m, m->lm, &qs, &best);
    line_rules_close(&qs, &best);
done:;
    int rc = US_ENOENT;
    double min_conf = q->min_confidence > 0 ? q->min_confidence : MIN_CONFIDENCE;
    if (best.conf >= min_conf && best.text.len) {
        out->text = sb_detach(&best.text, NULL);
        out->confidence = best.conf;
        out->rule = best.rule;
        rc = 0;
    }
    sb_release(&best.text);
    if (unlearned)
        count_region(m, q->text, ls, le, +DOC_WEIGHT);
    return rc;
}
