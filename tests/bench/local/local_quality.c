/* local_quality: the local engine's quality on real code nobody here wrote, following
 * shared/reference/local-quality.md: popup top-1/top-5 after two typed characters (words) and
 * offline ghost text (next token, exact rest of line), printed next to the baselines.
 *
 * Usage: local_quality [--samples N] [--seed S] [--json]
 * Corpus: /usr/lib/python3.11/ *.py and /usr/include/ *.h (no space), files of 2..200 kB.
 * Files at even positions form the "workspace" (other files the engine may learn from); samples
 * are drawn from files at odd positions only, so no sample's own file is ever in the workspace. */
#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base.h"
#include "local/lines.h"
#include "local/words.h"

struct file {
    char *path;
    char *text;
    size_t len;
};

struct corpus {
    const char *name;
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

/* ------------------------------------------------------------------ popup */

struct popup_stats {
    int n, top1, top5;
    int base_top1, base_top5;
    int ws_top1, ws_top5;
    uint64_t *lat;
};

/* The distance baseline of local-quality.md, reimplemented to check our sampling: candidates
 * starting with the two typed characters from the buffer, nearest first (after counts double). */
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

static int item_rank(const struct words_item *it, size_t n, const char *want)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(it[i].word, want))
            return (int)i;
    return -1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* mode 0: identifier occurs earlier in the file; mode 1: it does not (only later or elsewhere) */
static void popup(const struct corpus *c, int samples, int mode, struct popup_stats *ps)
{
    memset(ps, 0, sizeof *ps);
    ps->lat = xcalloc((size_t)samples, sizeof *ps->lat);
    struct words *ws = words_new();
    for (size_t i = 0; i < c->n; i += 2)
        words_add_workspace_text(ws, c->f[i].text, c->f[i].len);
    int tries = 0;
    while (ps->n < samples && tries++ < samples * 200) {
        size_t fi = 1 + 2 * rnd_below(c->n / 2);
        if (fi >= c->n)
            continue;
        const struct file *f = &c->f[fi];
        size_t pos = rnd_below(f->len);
        while (pos > 0 && is_w((unsigned char)f->text[pos - 1]))
            pos--;
        if (!is_w((unsigned char)f->text[pos]) || isdigit((unsigned char)f->text[pos]))
            continue;
        size_t end = pos;
        while (end < f->len && is_w((unsigned char)f->text[end]))
            end++;
        if (end - pos < 4 || end - pos > 64)
            continue;
        char want[80];
        memcpy(want, f->text + pos, end - pos);
        want[end - pos] = 0;
        /* occurs earlier as a whole word? */
        bool earlier = false;
        for (const char *h = f->text; (h = strstr(h, want)) && h < f->text + pos; h++) {
            if ((h == f->text || !is_w((unsigned char)h[-1])) && !is_w((unsigned char)h[end - pos])) {
                earlier = true;
                break;
            }
        }
        if (earlier != (mode == 0))
            continue;
        /* the document as the user has it: the identifier cut to its first two characters */
        size_t dlen = f->len - (end - pos) + 2;
        char *doc = xmalloc(dlen + 1);
        memcpy(doc, f->text, pos + 2);
        memcpy(doc + pos + 2, f->text + end, f->len - end);
        doc[dlen] = 0;
        size_t cursor = pos + 2;
        char typed[3] = {want[0], want[1], 0};

        int br = baseline_rank(doc, dlen, cursor, want, typed);
        ps->base_top1 += br == 0;
        ps->base_top5 += br >= 0 && br < 5;

        struct words_item it[5];
        words_doc_set(ws, "file:///current", doc, dlen);
        struct words_query q = {"file:///current", doc, dlen, cursor, typed, 2};
        uint64_t t0 = us_now_us();
        size_t n = words_query(ws, &q, it, 5);
        ps->lat[ps->n] = us_now_us() - t0;
        /* hits count only candidates starting with the two typed characters (the method) */
        struct words_item pre[5];
        size_t np = 0;
        for (size_t i = 0; i < n; i++)
            if (!strncmp(it[i].word, typed, 2))
                pre[np++] = it[i];
        int r = item_rank(pre, np, want);
        ps->ws_top1 += r == 0;
        ps->ws_top5 += r >= 0;
        words_doc_remove(ws, "file:///current");
        ps->n++;
        free(doc);
    }
    /* buffer-only ranking: same queries without the workspace */
    words_free(ws);
}

/* Buffer-only pass: our ranking with no workspace words (replays the same samples). */
static void popup_buffer_only(const struct corpus *c, int samples, int mode, uint64_t seed,
                              struct popup_stats *ps)
{
    rng_state = seed;
    struct words *w = words_new();
    int got = 0, tries = 0;
    while (got < samples && tries++ < samples * 200) {
        size_t fi = 1 + 2 * rnd_below(c->n / 2);
        if (fi >= c->n)
            continue;
        const struct file *f = &c->f[fi];
        size_t pos = rnd_below(f->len);
        while (pos > 0 && is_w((unsigned char)f->text[pos - 1]))
            pos--;
        if (!is_w((unsigned char)f->text[pos]) || isdigit((unsigned char)f->text[pos]))
            continue;
        size_t end = pos;
        while (end < f->len && is_w((unsigned char)f->text[end]))
            end++;
        if (end - pos < 4 || end - pos > 64)
            continue;
        char want[80];
        memcpy(want, f->text + pos, end - pos);
        want[end - pos] = 0;
        bool earlier = false;
        for (const char *h = f->text; (h = strstr(h, want)) && h < f->text + pos; h++) {
            if ((h == f->text || !is_w((unsigned char)h[-1])) && !is_w((unsigned char)h[end - pos])) {
                earlier = true;
                break;
            }
        }
        if (earlier != (mode == 0))
            continue;
        size_t dlen = f->len - (end - pos) + 2;
        char *doc = xmalloc(dlen + 1);
        memcpy(doc, f->text, pos + 2);
        memcpy(doc + pos + 2, f->text + end, f->len - end);
        doc[dlen] = 0;
        char typed[3] = {want[0], want[1], 0};
        words_doc_set(w, "file:///current", doc, dlen);
        struct words_item it[5];
        struct words_query q = {"file:///current", doc, dlen, pos + 2, typed, 2};
        size_t n = words_query(w, &q, it, 5);
        struct words_item pre[5];
        size_t np = 0;
        for (size_t i = 0; i < n; i++)
            if (!strncmp(it[i].word, typed, 2))
                pre[np++] = it[i];
        int r = item_rank(pre, np, want);
        ps->top1 += r == 0;
        ps->top5 += r >= 0;
        words_doc_remove(w, "file:///current");
        got++;
        free(doc);
    }
    words_free(w);
}

/* ------------------------------------------------------------------ ghost text */

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

struct ghost_stats {
    int n, answered, next_ok, exact;
    int rule_n[6], rule_exact[6];
    uint64_t *lat;
};

static const char *const rules[] = {"repeat", "analogy", "copy", "ngram", "close", "?"};

static void ghost(const struct corpus *c, int samples, double min_conf, struct ghost_stats *gs)
{
    memset(gs, 0, sizeof *gs);
    gs->lat = xcalloc((size_t)samples, sizeof *gs->lat);
    struct lines *m = lines_new(NULL);
    for (size_t i = 0; i < c->n; i += 2)
        if (lines_add_text(m, c->f[i].text, c->f[i].len) != 0)
            break;
    int tries = 0;
    while (gs->n < samples && tries++ < samples * 200) {
        size_t fi = 1 + 2 * rnd_below(c->n / 2);
        if (fi >= c->n)
            continue;
        const struct file *f = &c->f[fi];
        size_t pos = rnd_below(f->len);
        size_t ls = pos, le = pos;
        while (ls > 0 && f->text[ls - 1] != '\n')
            ls--;
        while (le < f->len && f->text[le] != '\n')
            le++;
        if (le - ls <= 12)
            continue;
        /* a random point after a non-word character (blanks included, as the method says),
         * with something left on the line */
        size_t cands[1024], nc = 0;
        for (size_t p = ls + 1; p < le && nc < 1024; p++)
            if (!is_w((unsigned char)f->text[p - 1]))
                cands[nc++] = p;
        if (!nc)
            continue;
        size_t cursor = cands[rnd_below(nc)];
        const char *rest = f->text + cursor;
        size_t rn = le - cursor;
        while (rn && (rest[rn - 1] == ' ' || rest[rn - 1] == '\t' || rest[rn - 1] == '\r'))
            rn--;
        if (!rn)
            continue;
        bool blank = true;
        for (size_t i = 0; i < rn; i++)
            blank &= rest[i] == ' ' || rest[i] == '\t';
        if (blank)
            continue;
        /* the engine sees the file before the cursor, as someone typing it */
        lines_doc_set(m, "file:///current", f->text, cursor);
        struct lines_query q = {f->text, cursor, cursor, min_conf, "file:///current"};
        struct lines_suggestion s;
        uint64_t t0 = us_now_us();
        int rc = lines_suggest(m, &q, &s);
        gs->lat[gs->n] = us_now_us() - t0;
        gs->n++;
        if (rc != 0) {
            if (getenv("US_BENCH_DEBUG"))
                fprintf(stderr, "MISS [%.*s|%.*s]\n", (int)(cursor - ls), f->text + ls, (int)rn, rest);
            continue;
        }
        gs->answered++;
        const char *a, *b;
        size_t an = first_token(s.text, strlen(s.text), &a);
        size_t bn = first_token(rest, rn, &b);
        if (an && an == bn && !memcmp(a, b, an))
            gs->next_ok++;
        else if (getenv("US_BENCH_DEBUG") && min_conf > 0)
            fprintf(stderr, "WRONG [%.*s|%.*s] got [%s] %s\n", (int)(cursor - ls), f->text + ls,
                    (int)rn, rest, s.text, s.rule);
        size_t sn = strlen(s.text);
        while (sn && s.text[sn - 1] == ' ')
            sn--;
        bool ex = sn == rn && !memcmp(s.text, rest, rn);
        gs->exact += ex;
        int ri = 5;
        for (int r = 0; r < 5; r++)
            if (!strcmp(s.rule, rules[r]))
                ri = r;
        gs->rule_n[ri]++;
        gs->rule_exact[ri] += ex;
        lines_suggestion_release(&s);
    }
    lines_doc_remove(m, "file:///current");
    lines_free(m);
}

static double pct(int a, int b) { return b ? 100.0 * a / b : 0; }

static uint64_t pctl(uint64_t *v, int n, double p)
{
    if (!n)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_u64);
    int i = (int)(p * (n - 1));
    return v[i];
}

int main(int argc, char **argv)
{
    int samples = 400;
    uint64_t seed = 20240601;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--samples") && i + 1 < argc)
            samples = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--json"))
            json = true;
    }
    struct corpus cs[2] = {{0}, {0}};
    load_corpus(&cs[0], "python", "/usr/lib/python3.11/*.py");
    load_corpus(&cs[1], "c", "/usr/include/*.h");
    /* baselines from shared/reference/local-quality.md */
    static const double base_dist[2][2] = {{72, 96}, {62, 88}};
    static const double base_next[2] = {35, 41};
    static const double base_exact[2] = {2, 2};

    if (!json)
        printf("local engine quality (seed %llu, %d samples per row)\n\n",
               (unsigned long long)seed, samples);
    for (int k = 0; k < 2; k++) {
        struct corpus *c = &cs[k];
        if (c->n < 4) {
            printf("%s: corpus missing, skipped\n", c->name);
            continue;
        }
        struct popup_stats ps, ps_new;
        rng_state = seed + (uint64_t)k;
        popup(c, samples, 0, &ps);
        popup_buffer_only(c, samples, 0, seed + (uint64_t)k, &ps);
        rng_state = seed + 100 + (uint64_t)k;
        popup(c, samples, 1, &ps_new);
        struct ghost_stats gs, ga;
        rng_state = seed + 200 + (uint64_t)k;
        ghost(c, samples, 0, &gs);
        rng_state = seed + 200 + (uint64_t)k;
        ghost(c, samples, 0.001, &ga);
        uint64_t wp50 = pctl(ps.lat, ps.n, 0.5), wp99 = pctl(ps.lat, ps.n, 0.99);
        uint64_t lp50 = pctl(gs.lat, gs.n, 0.5), lp99 = pctl(gs.lat, gs.n, 0.99);
        if (json) {
            printf("{\"corpus\":\"%s\",\"files\":%zu,\"popup\":{\"samples\":%d,"
                   "\"distance_baseline_top1\":%.1f,\"distance_baseline_top5\":%.1f,"
                   "\"words_buffer_top1\":%.1f,\"words_buffer_top5\":%.1f,"
                   "\"words_workspace_top1\":%.1f,\"words_workspace_top5\":%.1f,"
                   "\"not_earlier_top1\":%.1f,\"not_earlier_top5\":%.1f,"
                   "\"p50_us\":%llu,\"p99_us\":%llu},"
                   "\"ghost\":{\"samples\":%d,\"answered\":%.1f,\"next_token\":%.1f,"
                   "\"exact_rest\":%.1f,\"always_next_token\":%.1f,\"always_exact_rest\":%.1f,"
                   "\"p50_us\":%llu,\"p99_us\":%llu}}\n",
                   c->name, c->n, ps.n, pct(ps.base_top1, ps.n), pct(ps.base_top5, ps.n),
                   pct(ps.top1, ps.n), pct(ps.top5, ps.n), pct(ps.ws_top1, ps.n),
                   pct(ps.ws_top5, ps.n), pct(ps_new.ws_top1, ps_new.n),
                   pct(ps_new.ws_top5, ps_new.n), (unsigned long long)wp50,
                   (unsigned long long)wp99, gs.n, pct(gs.answered, gs.n),
                   pct(gs.next_ok, gs.n), pct(gs.exact, gs.n), pct(ga.next_ok, ga.n),
                   pct(ga.exact, ga.n), (unsigned long long)lp50,
                   (unsigned long long)lp99);
        } else {
            printf("== %s (%zu files; workspace = even-numbered files, samples from the others)\n",
                   c->name, c->n);
            printf("popup, 2 typed chars, identifier occurs earlier  (%d samples)\n", ps.n);
            printf("  %-44s top-1 %5.1f %%  top-5 %5.1f %%\n", "baseline (doc: distance, before x2)",
                   base_dist[k][0], base_dist[k][1]);
            printf("  %-44s top-1 %5.1f %%  top-5 %5.1f %%\n", "baseline re-measured here",
                   pct(ps.base_top1, ps.n), pct(ps.base_top5, ps.n));
            printf("  %-44s top-1 %5.1f %%  top-5 %5.1f %%\n", "words: buffer only",
                   pct(ps.top1, ps.n), pct(ps.top5, ps.n));
            printf("  %-44s top-1 %5.1f %%  top-5 %5.1f %%\n", "words: buffer + workspace",
                   pct(ps.ws_top1, ps.n), pct(ps.ws_top5, ps.n));
            printf("  %-44s top-1 %5.1f %%  top-5 %5.1f %%  (%d samples)\n",
                   "words, identifier NOT earlier in the file", pct(ps_new.ws_top1, ps_new.n),
                   pct(ps_new.ws_top5, ps_new.n), ps_new.n);
            printf("  query latency p50 %llu us, p99 %llu us\n", (unsigned long long)wp50,
                   (unsigned long long)wp99);
            printf("ghost text, after a non-word character  (%d samples)\n", gs.n);
            printf("  %-44s next token %5.1f %%   exact rest %5.1f %%\n",
                   "baselines (trigram / copy latest line)", base_next[k], base_exact[k]);
            printf("  %-44s next token %5.1f %%   exact rest %5.1f %%   answered %5.1f %%\n",
                   "lines (workspace + file before cursor)", pct(gs.next_ok, gs.n),
                   pct(gs.exact, gs.n), pct(gs.answered, gs.n));
            printf("  %-44s next token %5.1f %%   exact rest %5.1f %%   answered %5.1f %%\n",
                   "lines, always answering (min_confidence ~0)", pct(ga.next_ok, ga.n),
                   pct(ga.exact, ga.n), pct(ga.answered, ga.n));
            printf("  by rule (default threshold):");
            for (int r = 0; r < 5; r++)
                printf(" %s %d/%d exact", rules[r], gs.rule_exact[r], gs.rule_n[r]);
            printf("\n  suggest latency p50 %llu us, p99 %llu us\n\n", (unsigned long long)lp50,
                   (unsigned long long)lp99);
        }
        free(ps.lat);
        free(ps_new.lat);
        free(gs.lat);
        free(ga.lat);
    }
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < cs[k].n; i++) {
            free(cs[k].f[i].path);
            free(cs[k].f[i].text);
        }
        free(cs[k].f);
    }
    return 0;
}
