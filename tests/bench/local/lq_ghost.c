/* lq_ghost: ghost-text samples (a point after a non-word character), the trigram and copy
 * baselines on the same samples, the engine's line, and the learning benchmark. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "local/engine_int.h"
#include "lq.h"

size_t lq_first_token(const char *s, size_t n, const char **start)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    *start = s + i;
    if (i >= n)
        return 0;
    size_t j = i;
    unsigned char c = (unsigned char)s[i];
    if (lq_is_w(c)) {
        while (j < n && (lq_is_w((unsigned char)s[j]) || (isdigit(c) && s[j] == '.')))
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

size_t lq_draw_ghost(const struct corpus *c, int n, struct gsample *out)
{
    size_t got = 0;
    for (int tries = 0; got < (size_t)n && tries < n * 400; tries++) {
        const struct file *f = lq_sample_file(c);
        size_t pos = lq_rnd_below(f->len);
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
            if (!lq_is_w((unsigned char)f->text[p - 1]))
                cands[nc++] = p;
        if (!nc)
            continue;
        size_t cursor = cands[lq_rnd_below(nc)];
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
        size_t an = lq_first_token(t + i, e - i, &a);
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

static void score_answer(struct gscore *g, const char *ans, size_t an, const char *rest, size_t rn)
{
    while (an && (ans[an - 1] == ' ' || ans[an - 1] == '\t'))
        an--;
    if (!an)
        return;
    g->answered++;
    const char *a, *b;
    size_t ta = lq_first_token(ans, an, &a), tb = lq_first_token(rest, rn, &b);
    g->next_ok += ta && ta == tb && !memcmp(a, b, ta);
    g->exact += an == rn && !memcmp(ans, rest, rn);
}

/* One sample for US_BENCH_DEBUG: the cursor's line and the one above (line breaks shown as
 * '$'), what the file has after the cursor, and what the engine offered. */
static void debug_sample(const char *verdict, const char *t, size_t cur, const char *rest,
                         size_t rn, const char *got, size_t gn)
{
    size_t b = cur;
    int nl = 0;
    while (b > 0 && cur - b < 160 && !(t[b - 1] == '\n' && ++nl == 2))
        b--;
    fprintf(stderr, "GHOST %s [", verdict);
    for (size_t i = b; i < cur; i++)
        fputc(t[i] == '\n' ? '$' : t[i], stderr);
    fprintf(stderr, "|%.*s] got [%.*s]\n", (int)rn, rest, (int)gn, got);
}

/* The engine's ghost text for the sample, scored into g; false when it offered nothing. */
static bool engine_answer(struct local_engine *e, const struct req_buf *rb, const char *rest,
                          size_t rn, struct gscore *g, struct strbuf *out)
{
    enum log_level lv = log_get_level();
    if (getenv("US_BENCH_DEBUG"))
        log_set_level(LOG_DEBUG); /* the engine says which rule answered, how confident */
    bool ok = local_engine_line(e, &rb->lr, out);
    log_set_level(lv);
    if (ok)
        score_answer(g, out->data, out->len, rest, rn);
    return ok;
}

/* Every floor of ghost.c (engine_int.h) at its lowest: the mid-identifier finish keeps its
 * own, fixed one. */
static void floors_off(void)
{
    struct ghost_tune *t = &local_ghost_tune;
    t->ghost = t->comment = t->ngram = t->copy = t->analogy = t->start = t->follow = t->match =
        t->match_start = t->other = 0.001;
}

void lq_ghost(const struct corpus *c, struct local_engine *e, bool floorless,
              const struct gsample *s, size_t n, struct ghost_result *gr)
{
    memset(gr, 0, sizeof *gr);
    gr->lat = xcalloc(n + 1, sizeof *gr->lat);
    const struct lang_info *lang = lang_for_name(c->name);
    const char *uri = "file:///bench/current";
    bool debug = getenv("US_BENCH_DEBUG") != NULL;
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
        lq_build_request(&rb, c->name, uri, sd, t, cur, cur);
        struct strbuf out;
        sb_init(&out);
        int before = gr->engine.next_ok;
        uint64_t t0 = us_now_us();
        bool ok = engine_answer(e, &rb, rest, rn, &gr->engine, &out);
        gr->lat[i] = us_now_us() - t0;
        if (debug)
            debug_sample(!ok ? "none" : gr->engine.next_ok > before ? "ok" : "bad", t, cur, rest,
                         rn, out.data ? out.data : "", out.len);
        if (floorless) {
            struct ghost_tune saved = local_ghost_tune;
            floors_off();
            sb_clear(&out);
            engine_answer(e, &rb, rest, rn, &gr->floorless, &out);
            local_ghost_tune = saved;
        }
        sb_release(&out);
        lq_release_request(&rb);
        syn_doc_free(sd);
        local_engine_doc_close(e, uri);
        gr->n++;
    }
}

/* ------------------------------------------------------------------ learning */

/* Ghost points of the sample files whose hash bit 2 equals half. */
static size_t draw_half(const struct corpus *c, int half, int n, struct gsample *out)
{
    struct corpus sub = *c;
    sub.f = xcalloc(c->n + 1, sizeof *sub.f);
    sub.n = 0;
    for (size_t i = 0; i < c->n; i++)
        if ((int)((c->f[i].hash >> 2) & 1) == half)
            sub.f[sub.n++] = c->f[i];
    size_t got = sub.n ? lq_draw_ghost(&sub, n, out) : 0;
    /* the samples point into sub.f's copies: point them back at c's files */
    for (size_t i = 0; i < got; i++)
        for (size_t k = 0; k < c->n; k++)
            if (c->f[k].text == out[i].f->text) {
                out[i].f = &c->f[k];
                break;
            }
    free(sub.f);
    return got;
}

void lq_learn(const struct corpus *c, uv_loop_t *loop, int samples, struct learn_result *lr)
{
    memset(lr, 0, sizeof *lr);
    struct local_engine *with = lq_engine(loop, c, true);
    struct local_engine *without = lq_engine(loop, c, false);
    /* the user accepts what the AI (an oracle: the file's own rest of line) offers */
    int n_accept = samples * 4;
    struct gsample *acc = xcalloc((size_t)n_accept, sizeof *acc);
    size_t na = draw_half(c, 0, n_accept, acc);
    for (size_t i = 0; i < na; i++) {
        const char *t = acc[i].f->text;
        struct local_accept a = {
            .source = "claude",
            .path = acc[i].f->path,
            .before = t,
            .before_len = acc[i].cursor,
            .suggestion = t + acc[i].cursor,
            .suggestion_len = acc[i].rn,
        };
        lr->accepted += local_engine_learn(with, &a) == 0;
    }
    free(acc);
    /* then the providers are cut: ghost text on the other half, with and without learning */
    struct gsample *gs = xcalloc((size_t)samples, sizeof *gs);
    size_t ng = draw_half(c, 1, samples, gs);
    lq_ghost(c, with, false, gs, ng, &lr->with);
    lq_ghost(c, without, false, gs, ng, &lr->without);
    free(gs);
    local_engine_free(with);
    local_engine_free(without);
    uv_run(loop, UV_RUN_NOWAIT);
}
