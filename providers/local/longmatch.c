/* longmatch: see longmatch.h. The workspace stream is indexed by the hash of every 4-token
 * window (a chain per bucket, newest first), so a query walks only the places that share its
 * last four tokens and extends each match backwards. The document is not indexed: it changes on
 * every keystroke and is a few thousand tokens, so a scan for its last token is cheaper than
 * keeping an index in step with the edits. */
#include "longmatch.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "line_rules.h"
#include "lines_int.h"

#define LM_K 4            /* the index's window: shorter matches are the n-gram's business */
#define LM_MAX_LEN 32     /* matched tokens counted at most: beyond, longer says no more */
#define LM_MAX_OCC 64     /* occurrences of the longest match kept */
#define LM_CHAIN_MAX 4096 /* workspace places visited per query (common windows: "):\n") */
#define LM_DOC_WEIGHT 4.0 /* as lines.c's DOC_WEIGHT: the open file speaks for itself */
#define LM_AGREE 0.6      /* later tokens: the share of the occurrences that must agree */

struct longmatch {
    uint32_t eol, unk;
    size_t max_ws;
    uint32_t *ws;   /* the workspace stream */
    uint32_t *next; /* next[i]: the previous window end in i's bucket, + 1 (0: none) */
    size_t n, cap;
    uint32_t *head; /* bucket -> newest window end + 1 */
    size_t head_cap;
    uint32_t *q;    /* the query's stream (reused) */
    size_t qn, q_cap;
    size_t doc_n;   /* q[0, doc_n): the document's lines before the cursor's, as of doc_key */
    uint64_t doc_key;
    bool prev_blank; /* the last of those lines, for the cursor line's indentation change */
    size_t prev_indent;
};

static uint64_t window_hash(const uint32_t *w)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < LM_K; i++) {
        h ^= w[i] + 0x632be59bd9b4e019ULL * (uint64_t)(i + 1);
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
    }
    return h;
}

struct longmatch *lm_new(uint32_t eol, uint32_t unk, size_t max_ws_tokens)
{
    struct longmatch *lm = xcalloc(1, sizeof *lm);
    lm->eol = eol;
    lm->unk = unk;
    lm->max_ws = max_ws_tokens;
    return lm;
}

void lm_free(struct longmatch *lm)
{
    if (!lm)
        return;
    free(lm->ws);
    free(lm->next);
    free(lm->head);
    free(lm->q);
    free(lm);
}

static void link_window(struct longmatch *lm, size_t i)
{
    size_t b = window_hash(lm->ws + i + 1 - LM_K) & (lm->head_cap - 1);
    lm->next[i] = lm->head[b];
    lm->head[b] = (uint32_t)i + 1;
}

/* One bucket per two tokens: the chains stay short, the table costs 2 bytes a token. */
static void rehash(struct longmatch *lm, size_t cap)
{
    free(lm->head);
    lm->head = xcalloc(cap, sizeof *lm->head);
    lm->head_cap = cap;
    for (size_t i = LM_K - 1; i < lm->n; i++)
        link_window(lm, i);
}

void lm_ws_append(struct longmatch *lm, const uint32_t *ids, size_t n)
{
    if (lm->n + n > lm->max_ws)
        n = lm->max_ws > lm->n ? lm->max_ws - lm->n : 0;
    if (!n)
        return;
    if (lm->n + n > lm->cap) {
        size_t cap = lm->cap ? lm->cap : 1024;
        while (cap < lm->n + n)
            cap *= 2;
        lm->ws = xrealloc(lm->ws, cap * sizeof *lm->ws);
        lm->next = xrealloc(lm->next, cap * sizeof *lm->next);
        lm->cap = cap;
    }
    memcpy(lm->ws + lm->n, ids, n * sizeof *ids);
    size_t old = lm->n;
    lm->n += n;
    if (lm->head_cap * 2 < lm->n) {
        size_t cap = lm->head_cap ? lm->head_cap : 512;
        while (cap * 2 < lm->n)
            cap *= 2;
        rehash(lm, cap);
        return;
    }
    for (size_t i = old < LM_K - 1 ? LM_K - 1 : old; i < lm->n; i++)
        link_window(lm, i);
}

size_t lm_ws_tokens(const struct longmatch *lm) { return lm->n; }

size_t lm_mem_bytes(const struct longmatch *lm)
{
    return sizeof *lm + lm->cap * 2 * sizeof(uint32_t) + lm->head_cap * sizeof(uint32_t);
}

struct occ {
    const uint32_t *cont; /* what followed */
    size_t cont_n;
    double w;
    bool alive;
};

struct occs {
    struct occ v[LM_MAX_OCC];
    size_t n;
    uint32_t len; /* the longest match so far */
};

/* Tokens before (and at) at that equal the query's last ones, up to LM_MAX_LEN. */
static uint32_t match_len(const uint32_t *s, size_t at, const uint32_t *q, size_t qn, uint32_t unk)
{
    uint32_t l = 0;
    while (l < LM_MAX_LEN && l <= at && l < qn && s[at - l] == q[qn - 1 - l] && s[at - l] != unk)
        l++;
    return l;
}

static void occ_add(struct occs *o, uint32_t len, const uint32_t *cont, size_t cont_n, double w)
{
    if (!cont_n || len < o->len)
        return;
    if (len > o->len) {
        o->len = len;
        o->n = 0;
    }
    if (o->n < LM_MAX_OCC)
        o->v[o->n++] = (struct occ){cont, cont_n, w, true};
}

bool lm_predict(const struct longmatch *lm, const uint32_t *q, size_t qn, size_t doc_n,
                size_t min_len, lm_first_fn first_ok, void *ud, struct lm_answer *out)
{
    memset(out, 0, sizeof *out);
    if (qn < min_len || !qn || q[qn - 1] == lm->unk)
        return false;
    static struct occs o; /* one query at a time on the loop; 1.5 KB off the stack */
    o.n = 0;
    o.len = (uint32_t)(min_len ? min_len : 1);
    /* the document, newest first: among equals the newest occurrence leads the tie-break */
    uint32_t last = q[qn - 1];
    for (size_t i = doc_n; i-- > 0;) {
        if (q[i] != last)
            continue;
        uint32_t l = match_len(q, i, q, qn, lm->unk);
        occ_add(&o, l, q + i + 1, doc_n - i - 1, LM_DOC_WEIGHT);
        if (o.len == LM_MAX_LEN && o.n == LM_MAX_OCC)
            break; /* older places could only agree some more (a repetitive file) */
    }
    if (lm->head_cap && qn >= LM_K) {
        size_t b = window_hash(q + qn - LM_K) & (lm->head_cap - 1);
        size_t seen = 0;
        for (uint32_t p = lm->head[b]; p && seen < LM_CHAIN_MAX; p = lm->next[p - 1], seen++) {
            size_t i = p - 1;
            uint32_t l = match_len(lm->ws, i, q, qn, lm->unk);
            occ_add(&o, l, lm->ws + i + 1, lm->n - i - 1, 1.0);
        }
    }
    if (!o.n)
        return false;
    out->len = o.len;
    /* token by token, the continuation most of the occurrences share; the ones that went
     * another way drop out, and it stops where the rest no longer agree */
    for (size_t s = 0; s < LM_MAX_OUT; s++) {
        uint32_t cand[16];
        double cw[16], total = 0;
        size_t nc = 0;
        for (size_t i = 0; i < o.n; i++) {
            struct occ *c = &o.v[i];
            if (!c->alive || c->cont_n <= s)
                continue;
            total += c->w;
            uint32_t id = c->cont[s];
            if (s == 0 && id != lm->eol && first_ok && !first_ok(ud, id))
                continue;
            size_t j = 0;
            while (j < nc && cand[j] != id)
                j++;
            if (j == nc) {
                if (nc == 16)
                    continue;
                cand[nc] = id;
                cw[nc++] = 0;
            }
            cw[j] += c->w;
        }
        size_t bj = 0;
        for (size_t j = 1; j < nc; j++)
            if (cw[j] > cw[bj])
                bj = j;
        if (!nc || total <= 0)
            break;
        double agree = cw[bj] / total;
        if (s == 0) {
            if (cand[bj] == lm->eol)
                return false; /* the line ends here: nothing to offer */
            out->agree = agree;
            out->weight = cw[bj];
        } else if (agree < LM_AGREE) {
            break;
        }
        if (cand[bj] == lm->eol) {
            out->done = true;
            break;
        }
        out->ids[out->n++] = cand[bj];
        for (size_t i = 0; i < o.n; i++)
            if (o.v[i].alive && (o.v[i].cont_n <= s || o.v[i].cont[s] != cand[bj]))
                o.v[i].alive = false;
    }
    return out->n > 0;
}

/* ---------------------------------------------------------------- the rule */

/* The document's text read back: reading it costs ~1 ms per 64 KiB (test_lines speed), and on
 * the tuning half 32, 64 and 256 KiB answered the same. */
#define LM_DOC_BYTES (64u << 10)
#define LM_MIN_LEN 4              /* shorter: the 4-gram's business (tuning half) */
#define LM_HALF 4.0               /* a match this long is half-way to sure (tuning half) */

static void q_push(struct longmatch *lm, uint32_t id)
{
    if (lm->qn == lm->q_cap) {
        lm->q_cap = lm->q_cap ? lm->q_cap * 2 : 4096;
        lm->q = xrealloc(lm->q, lm->q_cap * sizeof *lm->q);
    }
    lm->q[lm->qn++] = id;
}

/* A line's tokens as lines.c streams the workspace: after the line's indentation change,
 * before its end. */
static void q_push_tokens(struct longmatch *lm, struct lines *m, const char *s,
                          const struct line_tok *t, size_t k)
{
    for (size_t i = 0; i < k; i++)
        q_push(lm, lines__token_id(m, t[i].gap > 0, s + t[i].start, t[i].len));
}

struct first {
    const struct lines *m;
    const struct line_cursor *qs;
    const char *part;
    size_t part_n;
    bool part_space;
};

static bool first_ok(void *ud, uint32_t id)
{
    const struct first *f = ud;
    return lines__first_ok(f->m, f->qs, id, f->part, f->part_n, f->part_space);
}

/* The document's lines above the cursor's into lm->q (kept from the last query while they hash
 * the same); returns their length, with the last line's blank/indentation state. */
static size_t stream_above(struct lines *m, struct longmatch *lm, const struct line_cursor *qs,
                           bool *blank_out, size_t *indent_out)
{
    const char *t = qs->q->text;
    size_t pos = qs->ls > LM_DOC_BYTES ? qs->ls - LM_DOC_BYTES : 0;
    while (pos > 0 && pos < qs->ls && t[pos - 1] != '\n')
        pos++;
    /* The lines above the cursor's rarely change between keystrokes (and ghost.c asks twice
     * per request): their stream is kept while their text hashes the same, a tenth of the
     * cost of reading them again. */
    uint64_t key = 0xcbf29ce484222325ULL ^ (qs->ls - pos);
    for (size_t i = pos; i < qs->ls; i++)
        key = (key ^ (unsigned char)t[i]) * 0x100000001b3ULL;
    bool prev_blank = true;
    size_t prev_indent = 0;
    if (key == lm->doc_key && lm->qn >= lm->doc_n) {
        lm->qn = lm->doc_n;
        prev_blank = lm->prev_blank;
        prev_indent = lm->prev_indent;
        pos = qs->ls;
    } else {
        lm->qn = 0;
    }
    static struct line_tok toks[LINE_MAX_TOKENS]; /* one query at a time on the loop */
    while (pos < qs->ls) {
        size_t e = pos;
        while (e < qs->ls && t[e] != '\n')
            e++;
        size_t k = e - pos > LINE_MAX_BYTES
                       ? 0
                       : line_tokenize(t + pos, e - pos, toks, LINE_MAX_TOKENS);
        size_t ind = line_indent(t + pos, e - pos);
        if (k) {
            q_push(lm, lines__indent_rel(prev_blank, prev_indent, ind));
            q_push_tokens(lm, m, t + pos, toks, k);
            q_push(lm, ID_EOL);
        }
        prev_blank = !k;
        prev_indent = ind;
        pos = e + 1;
    }
    lm->doc_n = lm->qn;
    lm->doc_key = key;
    lm->prev_blank = *blank_out = prev_blank;
    lm->prev_indent = *indent_out = prev_indent;
    return lm->qn;
}

/* How sure a continuation is: longer and more often seen is surer (the document's own
 * occurrences weigh four): on the tuning half the first token was right 85-100 % of the time
 * from 0.45 up, ~55 % below. */
static double answer_conf(const struct lm_answer *a)
{
    return a->agree * a->len / (a->len + LM_HALF) * (a->weight / (a->weight + 1.0));
}

/* A match at least floor sure answers when it is surer than the other rules, and finishes a
 * shorter answer of theirs that it agrees with: they stop where their statistics do, the
 * match knows how the line went on. */
static void offer_or_finish(const struct line_cursor *qs, struct line_cand *best,
                            const struct strbuf *out, double conf, double floor, const char *rule)
{
    if (conf < floor)
        return;
    if (conf > best->conf) {
        line_offer(qs, best, out->data, out->len, conf, rule);
        return;
    }
    struct line_cand mine = {.conf = 0, .rule = NULL};
    sb_init(&mine.text);
    line_offer(qs, &mine, out->data, out->len, conf, rule); /* trimmed as any offer is */
    if (mine.rule && best->rule && mine.text.len > best->text.len &&
        !memcmp(mine.text.data, best->text.data, best->text.len)) {
        sb_clear(&best->text);
        sb_add(&best->text, mine.text.data, mine.text.len);
    }
    sb_release(&mine.text);
}

void lm_suggest(struct lines *m, struct longmatch *lm, const struct line_cursor *qs,
                struct line_cand *best)
{
    bool prev_blank;
    size_t prev_indent;
    size_t doc_n = stream_above(m, lm, qs, &prev_blank, &prev_indent);
    const struct line_view *v = &qs->pre;
    q_push(lm, lines__indent_rel(prev_blank, prev_indent, qs->indent));
    q_push_tokens(lm, m, v->s, v->toks, qs->partial ? v->k - 1 : v->k);
    struct first f = {m, qs, NULL, 0, false};
    if (qs->partial) {
        f.part = v->s + v->toks[v->k - 1].start;
        f.part_n = v->toks[v->k - 1].len;
        f.part_space = v->toks[v->k - 1].gap > 0;
    }
    struct lm_answer a;
    if (!lm_predict(lm, lm->q, lm->qn, doc_n, LM_MIN_LEN, first_ok, &f, &a))
        return;
    struct strbuf out;
    sb_init(&out);
    for (size_t i = 0; i < a.n; i++) {
        size_t tn;
        const char *tx = lines__token_text(m, a.ids[i], &tn);
        size_t skip = i ? 0 : f.part_n ? f.part_n + (tx[0] == ' ') : qs->ends_space && tx[0] == ' ';
        sb_add(&out, tx + skip, tn - skip);
    }
    if (out.len)
        offer_or_finish(qs, best, &out, answer_conf(&a), qs->q->min_match, "match");
    sb_release(&out);
}

/* At a line start the next line's indentation change comes first: after a blank line that
 * is the blank itself, else the same level, one in or one out. */
static bool start_ok(void *ud, uint32_t id)
{
    const struct indent_geom *g = ud;
    return g->prev_blank ? id == ID_EMPTY : id == ID_SAME || id == ID_INDENT || id == ID_DEDENT;
}

void lm_suggest_line_start(struct lines *m, struct longmatch *lm, const struct line_cursor *qs,
                           const struct indent_geom *g, struct line_cand *best)
{
    bool prev_blank;
    size_t prev_indent;
    if (qs->q->min_start_match <= 0)
        return;
    size_t doc_n = stream_above(m, lm, qs, &prev_blank, &prev_indent);
    /* the stream ends with the line above's end: occurrences are looked for before it */
    struct lm_answer a;
    if (!doc_n || !lm_predict(lm, lm->q, doc_n, doc_n - 1, LM_MIN_LEN, start_ok, (void *)g, &a) ||
        a.n < 2)
        return;
    size_t target = a.ids[0] == ID_EMPTY  ? g->target[3]
                    : a.ids[0] == ID_SAME ? g->target[1]
                    : a.ids[0] == ID_INDENT ? g->target[2]
                                            : g->target[0];
    if (target == SIZE_MAX)
        return; /* the cursor is past that level, or no enclosing level is known */
    struct strbuf out;
    sb_init(&out);
    line_start_pad(g, target, &out);
    for (size_t i = 1; i < a.n; i++) {
        size_t tn;
        const char *tx = lines__token_text(m, a.ids[i], &tn);
        size_t skip = i == 1 && tx[0] == ' '; /* the indentation stands for its gap */
        sb_add(&out, tx + skip, tn - skip);
    }
    offer_or_finish(qs, best, &out, answer_conf(&a), qs->q->min_start_match, "match-start");
    sb_release(&out);
}
