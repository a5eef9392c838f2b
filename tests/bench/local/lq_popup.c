/* lq_popup: popup samples (an identifier cut to two characters), the naive distance baseline
 * on the same samples, and the engine's rank as the server serves it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq.h"

/* ------------------------------------------------------------------ popup */

/* mode 0: the identifier occurs earlier in its file; mode 1: it does not (only later, or in
 * the workspace, or nowhere) */
size_t lq_draw_popup(const struct corpus *c, int mode, int n, struct psample *out)
{
    size_t got = 0;
    for (int tries = 0; got < (size_t)n && tries < n * 400; tries++) {
        const struct file *f = lq_sample_file(c);
        size_t pos = lq_rnd_below(f->len);
        while (pos > 0 && lq_is_w((unsigned char)f->text[pos - 1]))
            pos--;
        if (!lq_is_w((unsigned char)f->text[pos]) || isdigit((unsigned char)f->text[pos]))
            continue;
        size_t end = pos;
        while (end < f->len && lq_is_w((unsigned char)f->text[end]))
            end++;
        if (end - pos < 4 || end - pos >= sizeof out->want)
            continue;
        struct psample *s = &out[got];
        memcpy(s->want, f->text + pos, end - pos);
        s->want[end - pos] = 0;
        bool earlier = false;
        for (const char *h = f->text; (h = strstr(h, s->want)) && h < f->text + pos; h++)
            if ((h == f->text || !lq_is_w((unsigned char)h[-1])) &&
                !lq_is_w((unsigned char)h[end - pos])) {
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
char *lq_cut_doc(const struct psample *s, size_t *len)
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
        if (!lq_is_w((unsigned char)doc[i]) || isdigit((unsigned char)doc[i])) {
            if (isdigit((unsigned char)doc[i]))
                while (i < len && lq_is_w((unsigned char)doc[i]))
                    i++;
            else
                i++;
            continue;
        }
        size_t s = i;
        while (i < len && lq_is_w((unsigned char)doc[i]))
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

static void count_rank(struct hits *h, int rank)
{
    h->top1 += rank == 0;
    h->top5 += rank >= 0 && rank < 5;
}

/* Rank of want among the labels starting with the typed characters (the method's rule). */
static int label_rank(const char *const *labels, size_t n, const char *want, const char *typed)
{
    int r = 0;
    for (size_t i = 0; i < n; i++) {
        /* after a shell `$` the items carry the sigil the user typed before the two letters
         * (and what the partial word glued before it: `-I$in` -> `-I$includedir`) */
        const char *d = typed[0] != '$' ? strrchr(labels[i], '$') : NULL;
        const char *l = d ? d + 1 : labels[i];
        if (strncmp(l, typed, 2) != 0)
            continue;
        if (!strcmp(l, want))
            return r;
        r++;
    }
    return -1;
}

void lq_popup(const struct corpus *c, struct local_engine *e, struct words *ws,
                  const struct psample *s, size_t n, struct popup_result *pr)
{
    memset(pr, 0, sizeof *pr);
    pr->lat = xcalloc(n + 1, sizeof *pr->lat);
    const struct lang_info *lang = lang_for_name(c->name);
    const char *uri = "file:///bench/current";
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *doc = lq_cut_doc(&s[i], &len);
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
        if (getenv("US_LOCAL_FEATURES"))
            fprintf(stderr, "S %s %s\n", s[i].want, typed);
        uint64_t t0 = us_now_us();
        lq_build_request(&rb, c->name, uri, sd, doc, len, cursor);
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
            for (size_t k = 0; k < ni; k++)
                if (!strcmp(items[k].label, s[i].want))
                    fprintf(stderr, " | want(%s %.0f)", items[k].source + 6, items[k].score);
            fprintf(stderr, "\n");
        }
        free(labels);
        local_items_free(items, ni);
        lq_release_request(&rb);
        syn_doc_free(sd);
        local_engine_doc_close(e, uri);
        free(doc);
        pr->n++;
    }
}
