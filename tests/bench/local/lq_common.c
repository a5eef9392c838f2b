/* lq_common: the benchmark's corpora (a manifest of installed files, split by path hash), its
 * random numbers, and the request the server builds for the engine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lq.h"
#include "settings.h"

uint64_t lq_rng = 1;

uint64_t lq_rnd(void)
{
    uint64_t x = lq_rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    lq_rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

size_t lq_rnd_below(size_t n) { return n ? (size_t)(lq_rnd() % n) : 0; }

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ^ (h >> 29); /* the low bits decide the roles: mix the high ones in */
}

static bool read_file(const char *path, struct file *f)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 1000 ||
        st.st_size > 200000)
        return false;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    f->text = xmalloc((size_t)st.st_size + 1);
    f->len = fread(f->text, 1, (size_t)st.st_size, fp);
    f->text[f->len] = 0;
    fclose(fp);
    if (memchr(f->text, 0, f->len)) { /* binary after all */
        free(f->text);
        return false;
    }
    f->path = xstrdup(path);
    return true;
}

size_t lq_load(struct corpus *c, const char *manifest, const char *language, int split)
{
    memset(c, 0, sizeof *c);
    c->name = language;
    FILE *m = fopen(manifest, "r");
    if (!m)
        return 0;
    char line[4096];
    size_t cap_ws = 0, cap = 0;
    size_t ll = strlen(language);
    while (fgets(line, sizeof line, m)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == '#' || strncmp(line, language, ll) != 0 || line[ll] != '\t')
            continue;
        const char *path = line + ll + 1;
        uint64_t h = fnv1a(path);
        if ((int)(h & 1) != split)
            continue;
        struct file f = {0};
        if (access(path, F_OK) != 0)
            c->missing++;
        if (!read_file(path, &f))
            continue;
        f.hash = h;
        if (h & 2) {
            if (c->n == cap)
                c->f = xrealloc(c->f, (cap = cap ? cap * 2 : 64) * sizeof *c->f);
            c->f[c->n++] = f;
        } else {
            if (c->n_ws == cap_ws)
                c->ws = xrealloc(c->ws, (cap_ws = cap_ws ? cap_ws * 2 : 64) * sizeof *c->ws);
            c->ws[c->n_ws++] = f;
        }
    }
    fclose(m);
    return c->n + c->n_ws;
}

void lq_corpus_release(struct corpus *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->f[i].path);
        free(c->f[i].text);
    }
    for (size_t i = 0; i < c->n_ws; i++) {
        free(c->ws[i].path);
        free(c->ws[i].text);
    }
    free(c->f);
    free(c->ws);
}

const struct file *lq_sample_file(const struct corpus *c) { return &c->f[lq_rnd_below(c->n)]; }

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

uint64_t lq_pctl(uint64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_u64);
    return v[(size_t)(p * (double)(n - 1) + 0.5)];
}

struct local_engine *lq_engine(uv_loop_t *loop, const struct corpus *c, bool learn)
{
    struct us_settings st;
    settings_init(&st);
    st.local.learn_accepted = learn;
    struct local_engine *e = local_engine_new(loop, &st);
    settings_release(&st);
    for (size_t i = 0; i < c->n_ws; i++)
        local_engine_add_workspace_text(e, c->ws[i].text, c->ws[i].len);
    return e;
}

void lq_build_request(struct req_buf *rb, const char *language, const char *uri,
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
    /* the server's partial word (lsp/completion.c partial_word) takes '$' along */
    while (ps > ls && (lq_is_w((unsigned char)doc[ps - 1]) || doc[ps - 1] == '$') &&
           cursor - ps < sizeof rb->partial - 1)
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

void lq_release_request(struct req_buf *rb) { syn_cursor_release(&rb->cur); }
