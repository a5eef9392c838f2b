/* local_quality: the local engine's quality on real code nobody here wrote, measured the way the
 * server serves it (shared/reference/local-quality.md), next to re-measured baselines.
 *
 * Popup: a random identifier (4+ chars) cut to its first two characters; the engine's ranked
 * items (tree-sitter symbols in scope + keywords + buffer/workspace words + snippets, exactly as
 * local_engine_complete combines them) vs the distance baseline and words alone. Ghost text: a
 * random point after a non-word character; the engine's line (local_engine_line, the server's
 * threshold) and the line model always answering, vs a trigram-with-backoff and a copy-the-last-
 * line baseline. Latency: per-keystroke cost on a 10,000-line file.
 *
 * Usage: local_quality [--samples N] [--seed S] [--split test|tune] [--keys K] [--json FILE]
 * Corpus: /usr/lib/python3.11/ *.py and /usr/include/ *.h (no space), files of 2..200 kB.
 * Files at even positions form the workspace (the engine learns words and lines from them);
 * samples come from files at position 4k+1 (split "tune": for choosing weights) or 4k+3 (split
 * "test": the numbers we report), so tuning never sees a reported sample or its file.
 * Exit status 77 (skipped) when the corpus is missing. */
#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <uv.h>

#include "base.h"
#include "languages.h"
#include "local/lines.h"
#include "local/local.h"
#include "local/words.h"
#include "settings.h"
#include "syntax.h"

struct file {
    char *path;
    char *text;
    size_t len;
};

struct corpus {
    const char *name;     /* LSP language id and lang_info name */
    struct file *f;
    size_t n;
};

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}
static size_t rnd_below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

static void load_corpus(struct corpus *c, const char *name, const char *pattern)
{
    c->name = name;
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0)
        return;
    c->f = xcalloc(g.gl_pathc, sizeof *c->f);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct stat st;
        if (stat(g.gl_pathv[i], &st) != 0 || st.st_size < 2000 || st.st_size > 200000)
            continue;
        FILE *fp = fopen(g.gl_pathv[i], "rb");
        if (!fp)
            continue;
        struct file *f = &c->f[c->n++];
        f->path = xstrdup(g.gl_pathv[i]);
        f->text = xmalloc((size_t)st.st_size + 1);
        f->len = fread(f->text, 1, (size_t)st.st_size, fp);
        f->text[f->len] = 0;
        fclose(fp);
    }
    globfree(&g);
}

static bool is_w(unsigned char c) { return isalnum(c) || c == '_' || c >= 0x80; }

static int split_rem = 3; /* files i with i % 4 == split_rem give samples */

static const struct file *random_sample_file(const struct corpus *c)
{
    size_t groups = c->n / 4 + 1;
    for (int t = 0; t < 100; t++) {
        size_t fi = 4 * rnd_below(groups) + (size_t)split_rem;
        if (fi < c->n)
            return &c->f[fi];
    }
    return &c->f[c->n - 1];
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t pctl(uint64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_u64);
    return v[(size_t)(p * (double)(n - 1) + 0.5)];
}

static double pct(int a, int b) { return b ? 100.0 * a / b : 0; }

/* An engine as the server has it with no providers: defaults, learned workspace files. */
static struct local_engine *engine_for(uv_loop_t *loop, const struct corpus *c)
{
    struct us_settings st;
    settings_init(&st);
    struct local_engine *e = local_engine_new(loop, &st);
    settings_release(&st);
    for (size_t i = 0; i < c->n; i += 2)
        local_engine_add_workspace_text(e, c->f[i].text, c->f[i].len);
    return e;
}

/* The request the server builds (lsp/completion.c fill_local_request + lsp/context.c). */
struct req_buf {
    struct prov_context ctx;
    struct local_request lr;
    struct syn_cursor cur;
    char partial[80];
};

static void build_request(struct req_buf *rb, const char *language, const char *uri,
                          struct syn_doc *sd, const char *doc, size_t len, size_t cursor)
{
    memset(rb, 0, sizeof *rb);
    syn_doc_analyze(sd, (uint32_t)cursor, &rb->cur);
    size_t ls = cursor;
    while (ls > 0 && doc[ls - 1] != '\n')
        ls--;
    uint32_t line = 0;
    for (size_t i = 0; i < ls; i++)
        line += doc[i] == '\n';
    size_t ps = cursor;
    while (ps > ls && is_w((unsigned char)doc[ps - 1]) && cursor - ps < sizeof rb->partial - 1)
        ps--;
    memcpy(rb->partial, doc + ps, cursor - ps);
    rb->partial[cursor - ps] = 0;
    struct prov_context *c = &rb->ctx;
    c->language = language;
    c->uri = uri;
    c->prefix = doc;
    c->prefix_len = cursor;
    c->suffix = doc + cursor;
    c->suffix_len = len - cursor;
    c->line = line;
    c->column = (uint32_t)(cursor - ls);
    c->situation = rb->cur.situation;
    c->shape = rb->cur.shape;
    c->member_receiver = rb->cur.receiver;
    c->indent = "";
    struct local_request *r = &rb->lr;
    r->ctx = c;
    r->syntax = sd;
    r->cursor = &rb->cur;
    r->uri = uri;
    r->text = doc;
    r->text_len = len;
    r->offset = cursor;
    r->partial = rb->partial;
    r->snippet_support = true;
}

static void release_request(struct req_buf *rb) { syn_cursor_release(&rb->cur); }

/* ------------------------------------------------------------------ popup */

struct psample {
    const struct file *f;
    size_t pos, end; /* the identifier in f */
    char want[72];
};

/* mode 0: the identifier occurs earlier in its file; mode 1: it does not (only later, or in
 * the workspace, or nowhere) */
static size_t draw_popup(const struct corpus *c, int mode, int n, struct psample *out)
{
    size_t got = 0;
    for (int tries = 0; got < (size_t)n && tries < n * 400; tries++) {
        const struct file *f = random_sample_file(c);
        size_t pos = rnd_below(f->len);
        while (pos > 0 && is_w((unsigned char)f->text[pos - 1]))
            pos--;
        if (!is_w((unsigned char)f->text[pos]) || isdigit((unsigned char)f->text[pos]))
            continue;
        size_t end = pos;
        while (end < f->len && is_w((unsigned char)f->text[end]))
            end++;
        if (end - pos < 4 || end - pos >= sizeof out->want)
            continue;
        struct psample *s = &out[got];
        memcpy(s->want, f->text + pos, end - pos);
        s->want[end - pos] = 0;
        bool earlier = false;
        for (const char *h = f->text; (h = strstr(h, s->want)) && h < f->text + pos; h++)
            if ((h == f->text || !is_w((unsigned char)h[-1])) &&
                !is_w((unsigned char)h[end - pos])) {
                earlier = true;
                break;
            }
        if (earlier != (mode == 0))
            continue;
        s->f = f;
        s->pos = pos;
        s->end = end;
        got++;
    }
    return got;
}

/* The document as the user has it: the identifier cut to its first two characters. */
static char *cut_doc(const struct psample *s, size_t *len)
{
    const struct file *f = s->f;
    size_t dlen = f->len - (s->end - s->pos) + 2;
    char *doc = xmalloc(dlen + 1);
    memcpy(doc, f->text, s->pos + 2);
    memcpy(doc + s->pos + 2, f->text + s->end, f->len - s->end);
    doc[dlen] = 0;
    *len = dlen;
    return doc;
}

/* The distance baseline of local-quality.md: buffer words starting with the two typed
 * characters, nearest to the cursor first (occurrences after it count double). */
static int baseline_rank(const char *doc, size_t len, size_t cursor, const char *want,
                         const char *typed)
{
    struct cand { const char *s; size_t n; size_t d; } *c = NULL;
    size_t nc = 0, cap = 0;
    for (size_t i = 0; i < len;) {
        if (!is_w((unsigned char)doc[i]) || isdigit((unsigned char)doc[i])) {
            if (isdigit((unsigned char)doc[i]))
                while (i < len && is_w((unsigned char)doc[i]))
                    i++;
            else
                i++;
            continue;
        }
        size_t s = i;
        while (i < len && is_w((unsigned char)doc[i]))
            i++;
        if (s <= cursor && i >= cursor)
            continue;
        if (i - s <= 2 || strncmp(doc + s, typed, 2) != 0)
            continue;
        size_t d = i <= cursor ? cursor - i : 2 * (s - cursor);
        size_t k;
        for (k = 0; k < nc; k++)
            if (c[k].n == i - s && !memcmp(c[k].s, doc + s, i - s))
                break;
        if (k == nc) {
            if (nc == cap) {
                cap = cap ? cap * 2 : 64;
                c = xrealloc(c, cap * sizeof *c);
            }
            c[nc++] = (struct cand){doc + s, i - s, d};
        } else if (d < c[k].d) {
            c[k].d = d;
        }
    }
    size_t wl = strlen(want);
    int rank = -1;
    for (size_t k = 0; k < nc; k++) {
        if (c[k].n != wl || memcmp(c[k].s, want, wl))
            continue;
        rank = 0;
        for (size_t j = 0; j < nc; j++)
            if (c[j].d < c[k].d)
                rank++;
    }
    free(c);
    return rank;
}

struct hits {
    int top1, top5;
};

static void count_rank(struct hits *h, int rank)
{
    h->top1 += rank == 0;
    h->top5 += rank >= 0 && rank < 5;
}

struct popup_result {
    int n;
    struct hits base, words, engine;
    int by_source[3]; /* engine top-1 hits served as local:symbol, local:word, local:snippet */
    uint64_t *lat;    /* analysis + local_engine_complete, microseconds */
};

/* Rank of want among the labels starting with the typed characters (the method's rule). */
static int label_rank(const char *const *labels, size_t n, const char *want, const char *typed)
{
    int r = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(labels[i], typed, 2) != 0)
            continue;
        if (!strcmp(labels[i], want))
            return r;
        r++;
    }
    return -1;
}

static void popup(const struct corpus *c, struct local_engine *e, struct words *ws,
                  const struct psample *s, size_t n, struct popup_result *pr)
{
    memset(pr, 0, sizeof *pr);
    pr->lat = xcalloc(n + 1, sizeof *pr->lat);
    const struct lang_info *lang = lang_for_name(c->name);
    const char *uri = "file:///bench/current";
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *doc = cut_doc(&s[i], &len);
        size_t cursor = s[i].pos + 2;
        char typed[3] = {s[i].want[0], s[i].want[1], 0};
        count_rank(&pr->base, baseline_rank(doc, len, cursor, s[i].want, typed));

        /* words alone (the module's own ranking, buffer + workspace) */
        struct words_item wi[8];
        words_doc_set(ws, uri, doc, len);
        struct words_query wq = {uri, doc, len, cursor, typed, 2};
        size_t nw = words_query(ws, &wq, wi, US_ARRAY_LEN(wi));
        const char *wl[8];
        for (size_t k = 0; k < nw; k++)
            wl[k] = wi[k].word;
        count_rank(&pr->words, label_rank(wl, nw, s[i].want, typed));
        words_doc_remove(ws, uri);

        /* the engine, as the server calls it */
        local_engine_doc_update(e, uri, c->name, doc, len);
        struct syn_doc *sd = syn_doc_new(lang, doc, len);
        struct req_buf rb;
        uint64_t t0 = us_now_us();
        build_request(&rb, c->name, uri, sd, doc, len, cursor);
        struct local_item *items;
        size_t ni = local_engine_complete(e, &rb.lr, &items, 50);
        pr->lat[i] = us_now_us() - t0;
        const char **labels = xcalloc(ni + 1, sizeof *labels);
        for (size_t k = 0; k < ni; k++)
            labels[k] = items[k].label;
        int r = label_rank(labels, ni, s[i].want, typed);
        count_rank(&pr->engine, r);
        if (r == 0)
            for (size_t k = 0; k < ni; k++)
                if (!strcmp(items[k].label, s[i].want)) {
                    const char *src = items[k].source;
                    pr->by_source[!strcmp(src, "local:word") ? 1
                                  : !strcmp(src, "local:snippet") ? 2 : 0]++;
                    break;
                }
        if (getenv("US_BENCH_DEBUG") && r != 0) {
            size_t ls = cursor;
            while (ls > 0 && doc[ls - 1] != '\n')
                ls--;
            fprintf(stderr, "POPUP want %s rank %d [%.*s|] top:", s[i].want, r,
                    (int)US_MIN(cursor - ls, 60u), doc + cursor - US_MIN(cursor - ls, 60u));
            for (size_t k = 0, shown = 0; k < ni && shown < 5; k++)
                if (!strncmp(labels[k], typed, 2)) {
                    fprintf(stderr, " %s(%s %.0f)", labels[k], items[k].source + 6,
                            items[k].score);
                    shown++;
                }
            fprintf(stderr, "\n");
        }
        free(labels);
        local_items_free(items, ni);
        release_request(&rb);
        syn_doc_free(sd);
        local_engine_doc_close(e, uri);
        free(doc);
        pr->n++;
    }
}
/* First token of s after leading blanks: identifier, number, string or operator run. */
static size_t first_token(const char *s, size_t n, const char **start)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    *start = s + i;
    if (i >= n)
        return 0;
    size_t j = i;
    unsigned char c = (unsigned char)s[i];
    if (is_w(c)) {
        while (j < n && (is_w((unsigned char)s[j]) || (isdigit(c) && s[j] == '.')))
            j++;
    } else if (c == '"' || c == '\'') {
        j++;
        while (j < n && s[j] != (char)c) {
            if (s[j] == '\\')
                j++;
            j++;
        }
        if (j < n)
            j++;
    } else {
        static const char *const ops[] = {"...", "->", "=>", "::", "==", "!=", "<=", ">=", "&&",
                                          "||", "++", "--", "+=", "-=", "*=", "/=", "<<", ">>",
                                          "**", "//", ":=", "%=", "&=", "|=", "^="};
        j++;
        for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
            size_t ol = strlen(ops[o]);
            if (n - i >= ol && !memcmp(s + i, ops[o], ol)) {
                j = i + ol;
                break;
            }
        }
    }
    return j > n ? n - i : j - i;
}

/* ------------------------------------------------------------------ ghost text */

struct gsample {
    const struct file *f;
    size_t cursor, rn; /* the rest of the line: f->text[cursor .. cursor + rn) */
};

static size_t draw_ghost(const struct corpus *c, int n, struct gsample *out)
{
    size_t got = 0;
    for (int tries = 0; got < (size_t)n && tries < n * 400; tries++) {
        const struct file *f = random_sample_file(c);
        size_t pos = rnd_below(f->len);
        size_t ls = pos, le = pos;
        while (ls > 0 && f->text[ls - 1] != '\n')
            ls--;
        while (le < f->len && f->text[le] != '\n')
            le++;
        if (le - ls <= 12)
            continue;
        /* a random point after a non-word character (blanks included), something left after it */
        size_t cands[1024], nc = 0;
        for (size_t p = ls + 1; p < le && nc < 1024; p++)
            if (!is_w((unsigned char)f->text[p - 1]))
                cands[nc++] = p;
        if (!nc)
            continue;
        size_t cursor = cands[rnd_below(nc)];
        size_t rn = le - cursor;
        while (rn && (f->text[cursor + rn - 1] == ' ' || f->text[cursor + rn - 1] == '\t' ||
                      f->text[cursor + rn - 1] == '\r'))
            rn--;
        bool blank = true;
        for (size_t i = 0; i < rn; i++)
            blank &= f->text[cursor + i] == ' ' || f->text[cursor + i] == '\t';
        if (!rn || blank)
            continue;
        out[got++] = (struct gsample){f, cursor, rn};
    }
    return got;
}

struct span {
    const char *s;
    size_t n;
};

static bool span_eq(struct span a, struct span b) { return a.n == b.n && !memcmp(a.s, b.s, a.n); }

/* The text before the cursor as a token stream (line breaks are blanks). */
static size_t tokens_of(const char *t, size_t n, struct span **out)
{
    size_t cap = n / 3 + 16, k = 0;
    struct span *v = xmalloc(cap * sizeof *v);
    for (size_t i = 0; i < n;) {
        while (i < n && isspace((unsigned char)t[i]))
            i++;
        if (i >= n)
            break;
        size_t e = i;
        while (e < n && t[e] != '\n')
            e++;
        const char *a;
        size_t an = first_token(t + i, e - i, &a);
        if (!an)
            an = 1;
        if (k == cap) {
            cap *= 2;
            v = xrealloc(v, cap * sizeof *v);
        }
        v[k++] = (struct span){a, an};
        i = (size_t)(a - t) + an;
    }
    *out = v;
    return k;
}

/* Trigram baseline: the most frequent follower of the last two tokens in the text before the
 * cursor, backing off to the last token, then to the most frequent token. */
static struct span trigram_next(const char *t, size_t n)
{
    struct span *tk;
    size_t k = tokens_of(t, n, &tk);
    struct span best = {"", 0};
    for (int order = 2; order >= 0 && !best.n; order--) {
        if ((size_t)order > k)
            continue;
        struct span cand[64];
        int cnt[64], nc = 0, top = 0;
        for (size_t i = (size_t)order; i < k; i++) {
            bool match = true;
            for (int o = 1; o <= order && match; o++)
                match = span_eq(tk[i - (size_t)o], tk[k - (size_t)o]);
            if (!match)
                continue;
            int j;
            for (j = 0; j < nc; j++)
                if (span_eq(cand[j], tk[i]))
                    break;
            if (j == nc) {
                if (nc == 64)
                    continue;
                cand[nc] = tk[i];
                cnt[nc++] = 0;
            }
            if (++cnt[j] > top) {
                top = cnt[j];
                best = cand[j];
            }
        }
    }
    free(tk);
    return best;
}

/* Copy baseline: the rest of the latest earlier line whose text up to the cursor column is the
 * same as the cursor line's. */
static struct span copy_rest(const char *t, size_t cursor)
{
    size_t ls = cursor;
    while (ls > 0 && t[ls - 1] != '\n')
        ls--;
    size_t pl = cursor - ls;
    size_t e = ls;
    while (e > 0) {
        size_t le = e - 1, b = le;
        while (b > 0 && t[b - 1] != '\n')
            b--;
        if (le - b >= pl && !memcmp(t + b, t + ls, pl)) {
            size_t rn = le - b - pl;
            while (rn && (t[b + pl + rn - 1] == ' ' || t[b + pl + rn - 1] == '\r'))
                rn--;
            return (struct span){t + b + pl, rn};
        }
        e = b;
    }
    return (struct span){"", 0};
}

struct gscore {
    int answered, next_ok, exact;
};

static void score_answer(struct gscore *g, const char *ans, size_t an, const char *rest, size_t rn)
{
    while (an && (ans[an - 1] == ' ' || ans[an - 1] == '\t'))
        an--;
    if (!an)
        return;
    g->answered++;
    const char *a, *b;
    size_t ta = first_token(ans, an, &a), tb = first_token(rest, rn, &b);
    g->next_ok += ta && ta == tb && !memcmp(a, b, ta);
    g->exact += an == rn && !memcmp(ans, rest, rn);
}

struct ghost_result {
    int n;
    struct gscore trigram, copy, engine, always;
    int rule_n[6], rule_exact[6];
    uint64_t *lat;
};

static const char *const rules[] = {"repeat", "analogy", "copy", "ngram", "close", "?"};

static void ghost(const struct corpus *c, struct local_engine *e, struct lines *always,
                  const struct gsample *s, size_t n, struct ghost_result *gr)
{
    memset(gr, 0, sizeof *gr);
    gr->lat = xcalloc(n + 1, sizeof *gr->lat);
    const struct lang_info *lang = lang_for_name(c->name);
    const char *uri = "file:///bench/current";
    for (size_t i = 0; i < n; i++) {
        const char *t = s[i].f->text;
        size_t cur = s[i].cursor;
        const char *rest = t + cur;
        size_t rn = s[i].rn;
        struct span tg = trigram_next(t, cur);
        score_answer(&gr->trigram, tg.s, tg.n, rest, rn);
        struct span cp = copy_rest(t, cur);
        score_answer(&gr->copy, cp.s, cp.n, rest, rn);

        /* the engine sees the file before the cursor, as someone typing it */
        local_engine_doc_update(e, uri, c->name, t, cur);
        struct syn_doc *sd = syn_doc_new(lang, t, cur);
        struct req_buf rb;
        build_request(&rb, c->name, uri, sd, t, cur, cur);
        struct strbuf out;
        sb_init(&out);
        uint64_t t0 = us_now_us();
        bool ok = local_engine_line(e, &rb.lr, &out);
        gr->lat[i] = us_now_us() - t0;
        if (ok)
            score_answer(&gr->engine, out.data, out.len, rest, rn);
        else if (getenv("US_BENCH_DEBUG"))
            fprintf(stderr, "GHOST none [%.*s|%.*s]\n", 40, cur > 40 ? t + cur - 40 : t,
                    (int)rn, rest);
        sb_release(&out);
        release_request(&rb);
        syn_doc_free(sd);
        local_engine_doc_close(e, uri);

        /* the line model answering whenever it has anything, for the next-token comparison */
        lines_doc_set(always, uri, t, cur);
        struct lines_query q = {t, cur, cur, 0.001, uri};
        struct lines_suggestion ls;
        if (lines_suggest(always, &q, &ls) == 0) {
            int before = gr->always.exact;
            score_answer(&gr->always, ls.text, strlen(ls.text), rest, rn);
            int ri = 5;
            for (int r = 0; r < 5; r++)
                if (!strcmp(ls.rule, rules[r]))
                    ri = r;
            gr->rule_n[ri]++;
            gr->rule_exact[ri] += gr->always.exact > before;
            lines_suggestion_release(&ls);
        }
        lines_doc_remove(always, uri);
        gr->n++;
    }
}

/* ------------------------------------------------------------------ latency */

struct latency {
    size_t lines, bytes;
    int keys;
    uint64_t complete_p50, complete_p99, complete_max;
    uint64_t analyze_p50, analyze_p99;
    uint64_t update_p50, update_p99;
    uint64_t line_p50, line_p99;
    uint64_t reparse_p50, reparse_p99;
};

static struct syn_point point_at(const char *t, size_t byte)
{
    struct syn_point p = {0, 0};
    size_t ls = 0;
    for (size_t i = 0; i < byte; i++)
        if (t[i] == '\n') {
            p.row++;
            ls = i + 1;
        }
    p.column = (uint32_t)(byte - ls);
    return p;
}

/* Replace text[a..b) by the bytes rep (rn) in the document, the tree and the engine. */
static void apply_edit(struct strbuf *doc, struct syn_doc *sd, size_t a, size_t b,
                       const char *rep, size_t rn, uint64_t *reparse_us)
{
    struct syn_edit ed;
    ed.start_byte = (uint32_t)a;
    ed.old_end_byte = (uint32_t)b;
    ed.new_end_byte = (uint32_t)(a + rn);
    ed.start = point_at(doc->data, a);
    ed.old_end = point_at(doc->data, b);
    struct strbuf nb;
    sb_init(&nb);
    sb_add(&nb, doc->data, a);
    sb_add(&nb, rep, rn);
    sb_add(&nb, doc->data + b, doc->len - b);
    ed.new_end = point_at(nb.data, a + rn);
    sb_release(doc);
    *doc = nb;
    uint64_t t0 = us_now_us();
    syn_doc_edit(sd, &ed);
    syn_doc_reparse(sd, doc->data, doc->len);
    if (reparse_us)
        *reparse_us = us_now_us() - t0;
}

/* Typing in a 10,000-line Python file: at random identifiers, the document with the identifier
 * cut to two characters (one edit, as a keystroke delivers it), then what the server does for
 * that keystroke: update the engine's models, analyse the cursor and fill the popup, and ask
 * for a ghost line. */
static void latency(const struct corpus *c, uv_loop_t *loop, int keys, struct latency *lt)
{
    memset(lt, 0, sizeof *lt);
    struct strbuf doc;
    sb_init(&doc);
    for (size_t i = 1; i < c->n && lt->lines < 10000; i += 2) {
        const struct file *f = &c->f[i];
        for (size_t k = 0; k < f->len && lt->lines < 10000; k++) {
            sb_add(&doc, f->text + k, 1);
            lt->lines += f->text[k] == '\n';
        }
    }
    lt->bytes = doc.len;
    const struct lang_info *lang = lang_for_name(c->name);
    struct syn_doc *sd = syn_doc_new(lang, doc.data, doc.len);
    struct local_engine *e = engine_for(loop, c);
    const char *uri = "file:///bench/big";
    local_engine_doc_update(e, uri, c->name, doc.data, doc.len);
    uint64_t *lc = xcalloc((size_t)keys + 1, sizeof *lc), *lu = xcalloc((size_t)keys + 1, 8),
             *ll = xcalloc((size_t)keys + 1, 8), *lr = xcalloc((size_t)keys + 1, 8),
             *la = xcalloc((size_t)keys + 1, 8);
    int n = 0;
    for (int tries = 0; n < keys && tries < keys * 100; tries++) {
        size_t pos = rnd_below(doc.len);
        while (pos > 0 && is_w((unsigned char)doc.data[pos - 1]))
            pos--;
        if (!is_w((unsigned char)doc.data[pos]) || isdigit((unsigned char)doc.data[pos]))
            continue;
        size_t end = pos;
        while (end < doc.len && is_w((unsigned char)doc.data[end]))
            end++;
        if (end - pos < 4 || end - pos > 64)
            continue;
        char saved[72];
        memcpy(saved, doc.data + pos + 2, end - pos - 2);
        size_t sn = end - pos - 2;
        apply_edit(&doc, sd, pos + 2, end, "", 0, &lr[n]);
        uint64_t t0 = us_now_us();
        local_engine_doc_update(e, uri, c->name, doc.data, doc.len);
        lu[n] = us_now_us() - t0;
        struct req_buf rb;
        t0 = us_now_us();
        build_request(&rb, c->name, uri, sd, doc.data, doc.len, pos + 2);
        la[n] = us_now_us() - t0;
        struct local_item *items;
        t0 = us_now_us();
        size_t ni = local_engine_complete(e, &rb.lr, &items, 50);
        lc[n] = us_now_us() - t0;
        local_items_free(items, ni);
        struct strbuf out;
        sb_init(&out);
        t0 = us_now_us();
        local_engine_line(e, &rb.lr, &out);
        ll[n] = us_now_us() - t0;
        sb_release(&out);
        release_request(&rb);
        apply_edit(&doc, sd, pos + 2, pos + 2, saved, sn, NULL);
        local_engine_doc_update(e, uri, c->name, doc.data, doc.len);
        n++;
    }
    lt->keys = n;
    lt->complete_p50 = pctl(lc, (size_t)n, 0.5);
    lt->complete_p99 = pctl(lc, (size_t)n, 0.99);
    lt->complete_max = n ? lc[n - 1] : 0;
    lt->analyze_p50 = pctl(la, (size_t)n, 0.5);
    lt->analyze_p99 = pctl(la, (size_t)n, 0.99);
    lt->update_p50 = pctl(lu, (size_t)n, 0.5);
    lt->update_p99 = pctl(lu, (size_t)n, 0.99);
    lt->line_p50 = pctl(ll, (size_t)n, 0.5);
    lt->line_p99 = pctl(ll, (size_t)n, 0.99);
    lt->reparse_p50 = pctl(lr, (size_t)n, 0.5);
    lt->reparse_p99 = pctl(lr, (size_t)n, 0.99);
    free(lc);
    free(lu);
    free(ll);
    free(lr);
    free(la);
    local_engine_free(e);
    uv_run(loop, UV_RUN_NOWAIT); /* the engine's handle closes on the loop */
    syn_doc_free(sd);
    sb_release(&doc);
}

/* ------------------------------------------------------------------ main */

struct corpus_result {
    struct popup_result earlier, later;
    struct ghost_result ghost;
    uint64_t popup_p50, popup_p99, line_p50, line_p99;
};

static void print_hits(const char *label, const struct hits *h, int n)
{
    printf("  %-46s top-1 %5.1f %%  top-5 %5.1f %%\n", label, pct(h->top1, n), pct(h->top5, n));
}

static void print_ghost(const char *label, const struct gscore *g, int n)
{
    printf("  %-46s next token %5.1f %%  exact rest %5.1f %%  answered %5.1f %%\n", label,
           pct(g->next_ok, n), pct(g->exact, n), pct(g->answered, n));
}

static void json_hits(FILE *o, const char *key, const struct hits *h, int n)
{
    fprintf(o, "\"%s\":{\"top1\":%.1f,\"top5\":%.1f}", key, pct(h->top1, n), pct(h->top5, n));
}

static void json_ghost(FILE *o, const char *key, const struct gscore *g, int n)
{
    fprintf(o, "\"%s\":{\"next_token\":%.1f,\"exact_rest\":%.1f,\"answered\":%.1f}", key,
            pct(g->next_ok, n), pct(g->exact, n), pct(g->answered, n));
}

int main(int argc, char **argv)
{
    int samples = 400, keys = 300;
    uint64_t seed = 20240601;
    const char *json_path = NULL;
    const char *split = "test";
    bool popup_only = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--samples") && i + 1 < argc)
            samples = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--keys") && i + 1 < argc)
            keys = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--popup-only"))
            popup_only = true; /* for tuning runs: no ghost text, no latency */
        else if (!strcmp(argv[i], "--split") && i + 1 < argc)
            split = argv[++i];
        else if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json_path = argv[++i];
        else {
            fprintf(stderr, "usage: local_quality [--samples N] [--seed S] [--split test|tune] "
                            "[--keys K] [--json FILE] [--popup-only]\n");
            return 2;
        }
    }
    if (samples < 1)
        samples = 1;
    split_rem = strcmp(split, "tune") == 0 ? 1 : 3;
    syn_set_parse_budget_us(5000000); /* a busy machine must not turn a parse into no tree */
    uv_loop_t loop;
    uv_loop_init(&loop);

    struct corpus cs[2] = {{0}, {0}};
    load_corpus(&cs[0], "python", "/usr/lib/python3.11/*.py");
    load_corpus(&cs[1], "c", "/usr/include/*.h");
    if (cs[0].n < 8 || cs[1].n < 8) {
        printf("corpus missing (/usr/lib/python3.11, /usr/include): skipped\n");
        return 77;
    }
    /* from shared/reference/local-quality.md */
    static const double doc_dist[2][2] = {{72, 96}, {62, 88}};
    static const double doc_next[2] = {35, 41};
    static const double doc_exact[2] = {2, 2};

    struct corpus_result res[2];
    printf("local engine quality: split %s, seed %llu, %d samples per row\n\n", split,
           (unsigned long long)seed, samples);
    for (int k = 0; k < 2; k++) {
        struct corpus *c = &cs[k];
        struct corpus_result *r = &res[k];
        struct local_engine *e = engine_for(&loop, c);
        struct words *ws = words_new();
        struct lines *always = lines_new(NULL);
        for (size_t i = 0; i < c->n; i += 2) {
            words_add_workspace_text(ws, c->f[i].text, c->f[i].len);
            lines_add_text(always, c->f[i].text, c->f[i].len);
        }
        struct psample *ps = xcalloc((size_t)samples, sizeof *ps);
        rng_state = seed + (uint64_t)k;
        size_t np = draw_popup(c, 0, samples, ps);
        popup(c, e, ws, ps, np, &r->earlier);
        rng_state = seed + 100 + (uint64_t)k;
        np = draw_popup(c, 1, samples, ps);
        popup(c, e, ws, ps, np, &r->later);
        free(ps);
        struct gsample *gs = xcalloc((size_t)samples, sizeof *gs);
        rng_state = seed + 200 + (uint64_t)k;
        size_t ng = popup_only ? 0 : draw_ghost(c, samples, gs);
        ghost(c, e, always, gs, ng, &r->ghost);
        free(gs);
        r->popup_p50 = pctl(r->earlier.lat, (size_t)r->earlier.n, 0.5);
        r->popup_p99 = pctl(r->earlier.lat, (size_t)r->earlier.n, 0.99);
        r->line_p50 = pctl(r->ghost.lat, (size_t)r->ghost.n, 0.5);
        r->line_p99 = pctl(r->ghost.lat, (size_t)r->ghost.n, 0.99);
        lines_free(always);
        words_free(ws);
        local_engine_free(e);
        uv_run(&loop, UV_RUN_NOWAIT);

        const struct popup_result *pe = &r->earlier, *pl = &r->later;
        const struct ghost_result *g = &r->ghost;
        printf("== %s (%zu files: workspace = even positions, samples from split %s)\n", c->name,
               c->n, split);
        printf("popup after 2 typed characters, identifier occurs earlier in the file (%d)\n",
               pe->n);
        printf("  %-46s top-1 %5.1f %%  top-5 %5.1f %%\n", "baseline: distance (reference doc)",
               doc_dist[k][0], doc_dist[k][1]);
        print_hits("baseline: distance, re-measured here", &pe->base, pe->n);
        print_hits("words alone (buffer + workspace)", &pe->words, pe->n);
        print_hits("ENGINE: symbols + keywords + words + snippets", &pe->engine, pe->n);
        printf("  engine top-1 hits by source: symbol %d, word %d, snippet %d\n",
               pe->by_source[0], pe->by_source[1], pe->by_source[2]);
        printf("popup, identifier NOT earlier in the file (%d)\n", pl->n);
        print_hits("baseline: distance, re-measured here", &pl->base, pl->n);
        print_hits("words alone (buffer + workspace)", &pl->words, pl->n);
        print_hits("ENGINE", &pl->engine, pl->n);
        printf("  popup latency (analysis + complete) p50 %llu us, p99 %llu us\n",
               (unsigned long long)r->popup_p50, (unsigned long long)r->popup_p99);
        printf("ghost text after a non-word character (%d)\n", g->n);
        printf("  %-46s next token %5.1f %%  exact rest %5.1f %%\n",
               "baselines (reference doc: trigram / copy)", doc_next[k], doc_exact[k]);
        print_ghost("baseline: trigram with backoff, re-measured", &g->trigram, g->n);
        print_ghost("baseline: copy latest same-prefix line", &g->copy, g->n);
        print_ghost("ENGINE: local_engine_line (server threshold)", &g->engine, g->n);
        print_ghost("line model, always answering", &g->always, g->n);
        printf("  always answering, by rule:");
        for (int q = 0; q < 5; q++)
            printf(" %s %d/%d", rules[q], g->rule_exact[q], g->rule_n[q]);
        printf(" exact\n  line latency p50 %llu us, p99 %llu us\n\n",
               (unsigned long long)r->line_p50, (unsigned long long)r->line_p99);
    }

    struct latency lt;
    rng_state = seed + 300;
    latency(&cs[0], &loop, popup_only ? 0 : keys, &lt);
    printf("== per keystroke on a %zu-line python file (%zu bytes, %d keystrokes)\n", lt.lines,
           lt.bytes, lt.keys);
    printf("  popup: local_engine_complete                 p50 %llu us, p99 %llu us, max %llu "
           "us  (goal: p99 < 5000 us)\n",
           (unsigned long long)lt.complete_p50, (unsigned long long)lt.complete_p99,
           (unsigned long long)lt.complete_max);
    printf("  before it, the server's cursor analysis (grammars floor, syn_doc_analyze) p50 %llu us, p99 %llu us\n",
           (unsigned long long)lt.analyze_p50, (unsigned long long)lt.analyze_p99);
    printf("  engine update after the edit (words + lines)  p50 %llu us, p99 %llu us\n",
           (unsigned long long)lt.update_p50, (unsigned long long)lt.update_p99);
    printf("  ghost line (local_engine_line)                 p50 %llu us, p99 %llu us\n",
           (unsigned long long)lt.line_p50, (unsigned long long)lt.line_p99);
    printf("  (grammar floor, for reference: incremental reparse p50 %llu us, p99 %llu us)\n",
           (unsigned long long)lt.reparse_p50, (unsigned long long)lt.reparse_p99);

    FILE *o = json_path ? (strcmp(json_path, "-") ? fopen(json_path, "w") : stdout) : NULL;
    if (json_path && !o)
        fprintf(stderr, "cannot write %s\n", json_path);
    if (o) {
        fprintf(o, "{\"split\":\"%s\",\"seed\":%llu,\"samples\":%d,\"corpora\":[", split,
                (unsigned long long)seed, samples);
        for (int k = 0; k < 2; k++) {
            const struct corpus_result *r = &res[k];
            fprintf(o, "%s{\"corpus\":\"%s\",\"files\":%zu,\"popup\":{\"samples\":%d,", k ? "," : "",
                    cs[k].name, cs[k].n, r->earlier.n);
            fprintf(o, "\"reference_distance\":{\"top1\":%.1f,\"top5\":%.1f},", doc_dist[k][0],
                    doc_dist[k][1]);
            json_hits(o, "distance_baseline", &r->earlier.base, r->earlier.n);
            fputc(',', o);
            json_hits(o, "words", &r->earlier.words, r->earlier.n);
            fputc(',', o);
            json_hits(o, "engine", &r->earlier.engine, r->earlier.n);
            fprintf(o, ",\"not_earlier\":{\"samples\":%d,", r->later.n);
            json_hits(o, "distance_baseline", &r->later.base, r->later.n);
            fputc(',', o);
            json_hits(o, "words", &r->later.words, r->later.n);
            fputc(',', o);
            json_hits(o, "engine", &r->later.engine, r->later.n);
            fprintf(o, "},\"p50_us\":%llu,\"p99_us\":%llu},", (unsigned long long)r->popup_p50,
                    (unsigned long long)r->popup_p99);
            fprintf(o, "\"ghost\":{\"samples\":%d,\"reference_next_token\":%.1f,"
                       "\"reference_exact_rest\":%.1f,",
                    r->ghost.n, doc_next[k], doc_exact[k]);
            json_ghost(o, "trigram_baseline", &r->ghost.trigram, r->ghost.n);
            fputc(',', o);
            json_ghost(o, "copy_baseline", &r->ghost.copy, r->ghost.n);
            fputc(',', o);
            json_ghost(o, "engine", &r->ghost.engine, r->ghost.n);
            fputc(',', o);
            json_ghost(o, "always", &r->ghost.always, r->ghost.n);
            fprintf(o, ",\"p50_us\":%llu,\"p99_us\":%llu}}", (unsigned long long)r->line_p50,
                    (unsigned long long)r->line_p99);
        }
        fprintf(o, "],\"latency\":{\"lines\":%zu,\"keystrokes\":%d,\"popup_p50_us\":%llu,"
                   "\"popup_p99_us\":%llu,\"popup_max_us\":%llu,\"update_p50_us\":%llu,"
                   "\"update_p99_us\":%llu,\"line_p50_us\":%llu,\"line_p99_us\":%llu,"
                   "\"reparse_p50_us\":%llu,\"reparse_p99_us\":%llu,"
                   "\"analyze_p50_us\":%llu,\"analyze_p99_us\":%llu}}\n",
                lt.lines, lt.keys, (unsigned long long)lt.complete_p50,
                (unsigned long long)lt.complete_p99, (unsigned long long)lt.complete_max,
                (unsigned long long)lt.update_p50, (unsigned long long)lt.update_p99,
                (unsigned long long)lt.line_p50, (unsigned long long)lt.line_p99,
                (unsigned long long)lt.reparse_p50, (unsigned long long)lt.reparse_p99,
                (unsigned long long)lt.analyze_p50, (unsigned long long)lt.analyze_p99);
        if (o != stdout)
            fclose(o);
    }
    for (int k = 0; k < 2; k++) {
        free(res[k].earlier.lat);
        free(res[k].later.lat);
        free(res[k].ghost.lat);
        for (size_t i = 0; i < cs[k].n; i++) {
            free(cs[k].f[i].path);
            free(cs[k].f[i].text);
        }
        free(cs[k].f);
    }
    uv_loop_close(&loop);
    return 0;
}
