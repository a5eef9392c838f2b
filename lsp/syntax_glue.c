/* syntax_glue: grammars/syntax work on libuv worker threads. */
#include "syntax_glue.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "languages.h"
#include "syntax.h"

/* Work on libuv's threads is background work (first trees, reparses, the workspace index):
 * each worker thread lowers its own priority once (nice 10; it cannot be raised back without
 * privileges, and every job of the pool is background work), so on a busy machine the loop
 * thread, which answers the editor, gets the CPU first. */
static void background_priority(void)
{
    static __thread bool done;
    if (!done) {
        done = true;
        setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    }
}

struct warm_job {
    uv_work_t req;
    const struct lang_info *lang;
};

static void warm_work(uv_work_t *req)
{
    struct warm_job *job = req->data;
    background_priority();
    syn_lang_warm(job->lang);
}

static void warm_done(uv_work_t *req, int status)
{
    free(req->data);
}

void syntax_glue_warm(uv_loop_t *loop, const char *language_id, const char *uri)
{
    static const struct lang_info *requested[64];
    static size_t n_requested;
    const struct lang_info *lang = lang_for_document(language_id, uri);
    if (!lang)
        return;
    for (size_t i = 0; i < n_requested; i++)
        if (requested[i] == lang)
            return;
    if (n_requested < US_ARRAY_LEN(requested))
        requested[n_requested++] = lang;
    struct warm_job *job = xcalloc(1, sizeof(*job));
    job->lang = lang;
    job->req.data = job;
    if (uv_queue_work(loop, &job->req, warm_work, warm_done) < 0)
        free(job);
}

struct syntax_glue_job {
    uv_work_t req;
    struct syn_parse_job *job;
    void (*done)(void *ud, bool installed);
    void *ud;
};

static void reparse_work(uv_work_t *req)
{
    struct syntax_glue_job *g = req->data;
    background_priority();
    syn_parse_job_run(g->job);
}

static void free_work(uv_work_t *req)
{
    struct syntax_glue_job *g = req->data;
    syn_parse_job_free(g->job);
}

static void free_done(uv_work_t *req, int status)
{
    (void)status;
    free(req->data);
}

static void reparse_done(uv_work_t *req, int status)
{
    (void)status; /* never cancelled; a job that did not run has no tree and is dropped */
    struct syntax_glue_job *g = req->data;
    bool installed = syn_doc_reparse_end(g->job);
    if (g->done)
        g->done(g->ud, installed);
    /* The replaced tree goes back to a worker to be freed: milliseconds for a big file. */
    g->done = NULL;
    if (uv_queue_work(req->loop, &g->req, free_work, free_done) < 0) {
        syn_parse_job_free(g->job);
        free(g);
    }
}

struct syntax_glue_job *syntax_glue_reparse_background(uv_loop_t *loop, struct syn_doc *syn,
                                                       const char *text, size_t len,
                                                       void (*done)(void *ud, bool installed),
                                                       void *ud)
{
    if (!loop || !syn)
        return NULL;
    struct syn_parse_job *job = syn_doc_reparse_begin(syn, text, len);
    if (!job)
        return NULL;
    struct syntax_glue_job *g = xcalloc(1, sizeof(*g));
    g->job = job;
    g->done = done;
    g->ud = ud;
    g->req.data = g;
    if (uv_queue_work(loop, &g->req, reparse_work, reparse_done) < 0) {
        /* No thread to run it: finish it here, on the loop, like a foreground reparse. */
        syn_parse_job_run(job);
        syn_doc_reparse_end(job);
        syn_parse_job_free(job);
        free(g);
        return NULL;
    }
    return g;
}

void syntax_glue_job_forget(struct syntax_glue_job *job)
{
    if (job) {
        job->done = NULL;
        job->ud = NULL;
    }
}

/* ---------------------------------------------------------------- first tree after didOpen */

enum { BUILD_QUEUED, BUILD_RUNNING, BUILD_DONE, BUILD_TAKEN };

struct syntax_glue_build {
    uv_work_t req;
    pthread_mutex_t mu;
    pthread_cond_t cv;   /* signalled when state becomes BUILD_DONE */
    int state;           /* under mu */
    bool forgotten;      /* loop thread only */
    const struct lang_info *lang;
    char *text;
    size_t len;
    bool defs_only;      /* the tree is deleted on the worker: only definitions go back */
    struct syntax_glue_result res;
    void (*done)(void *ud, struct syntax_glue_result *result);
    void *ud;
};

/* A name and where its definition comes in text order: sorted by name, then by that place,
 * so the first of equal names is the one the document defines first. */
struct name_at {
    const char *name;
    size_t at;
};

static int cmp_name_at(const void *a, const void *b)
{
    const struct name_at *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->at > y->at) - (x->at < y->at);
}

static bool shared_kind(enum syn_kind k)
{
    return k != SYN_KIND_VAR && k != SYN_KIND_PARAMETER && k != SYN_KIND_IMPORT &&
           k != SYN_KIND_BLOCK;
}

/* One block, array then names, as syn_defs_free expects: defs[pick[k]] for k < n (pick NULL:
 * defs[k]). */
static struct syn_def *pack_definitions(const struct syn_def *defs, const size_t *pick, size_t n)
{
    size_t bytes = 0;
    for (size_t k = 0; k < n; k++)
        bytes += strlen(defs[pick ? pick[k] : k].name) + 1;
    char *block = xmalloc(n * sizeof(struct syn_def) + bytes + 1);
    struct syn_def *v = (struct syn_def *)(void *)block;
    char *names = block + n * sizeof(struct syn_def);
    for (size_t k = 0; k < n; k++) {
        const struct syn_def *d = &defs[pick ? pick[k] : k];
        size_t len = strlen(d->name);
        v[k] = *d;
        memcpy(names, d->name, len + 1);
        v[k].name = names;
        names += len + 1;
    }
    return v;
}

void syntax_glue_definitions(struct syn_doc *syn, struct syn_def **out, size_t *n)
{
    struct syn_def *all;
    size_t na, kept = 0, keep = 0;
    syn_doc_definitions(syn, &all, &na);
    struct name_at *order = xmalloc((na ? na : 1) * sizeof(*order));
    for (size_t i = 0; i < na; i++)
        if (shared_kind(all[i].kind))
            order[kept++] = (struct name_at){all[i].name, i};
    if (kept > 1)
        qsort(order, kept, sizeof(*order), cmp_name_at);
    /* Only the first definition of each name is kept: the reader (context.c's excerpts) takes
     * the first of equal names, and a hundred open files repeat __init__, fields and
     * overloads enough that the duplicates were over half of what every document kept. */
    size_t *pick = xmalloc((kept ? kept : 1) * sizeof(*pick));
    for (size_t i = 0; i < kept; i++)
        if (i == 0 || strcmp(order[i].name, order[i - 1].name) != 0)
            pick[keep++] = order[i].at;
    *out = pack_definitions(all, pick, keep);
    *n = keep;
    free(pick);
    free(order);
    syn_defs_free(all, na);
}

struct syn_def *syntax_glue_definitions_copy(const struct syn_def *defs, size_t n)
{
    return pack_definitions(defs, NULL, n);
}

static uint64_t build_delay_us;

void syntax_glue_set_build_delay_us(uint64_t us)
{
    build_delay_us = us;
}

/* The work itself, on whichever thread claimed the job. */
static void build_run(struct syntax_glue_build *b)
{
    uint64_t t0 = us_now_us();
    b->res.syn = syn_doc_new(b->lang, b->text, b->len);
    syntax_glue_definitions(b->res.syn, &b->res.defs, &b->res.n_defs);
    if (b->defs_only) {
        syn_doc_free(b->res.syn);
        b->res.syn = NULL;
    }
    free(b->text);
    b->text = NULL;
    b->res.took_us = us_now_us() - t0;
}

static void build_work(uv_work_t *req)
{
    struct syntax_glue_build *b = req->data;
    background_priority();
    pthread_mutex_lock(&b->mu);
    bool mine = b->state == BUILD_QUEUED;
    if (mine)
        b->state = BUILD_RUNNING;
    pthread_mutex_unlock(&b->mu);
    if (!mine)
        return; /* the loop ran it itself (syntax_glue_build_take) */
    if (build_delay_us)
        usleep((useconds_t)build_delay_us);
    build_run(b);
    pthread_mutex_lock(&b->mu);
    b->state = BUILD_DONE;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

void syntax_glue_result_release(struct syntax_glue_result *r)
{
    if (!r)
        return;
    if (r->defs)
        syn_defs_free(r->defs, r->n_defs);
    syn_doc_free(r->syn);
    memset(r, 0, sizeof(*r));
}

static void build_free(struct syntax_glue_build *b)
{
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    free(b->text);
    free(b);
}

struct free_job {
    uv_work_t req;
    struct syntax_glue_result res;
};

static void release_work(uv_work_t *req)
{
    struct free_job *f = req->data;
    syntax_glue_result_release(&f->res);
}

static void release_done(uv_work_t *req, int status)
{
    (void)status;
    free(req->data);
}

void syntax_glue_free_background(uv_loop_t *loop, struct syn_doc *syn, struct syn_def *defs,
                                 size_t n_defs)
{
    if (!syn && !defs)
        return;
    struct free_job *f = xcalloc(1, sizeof(*f));
    f->res.syn = syn;
    f->res.defs = defs;
    f->res.n_defs = n_defs;
    f->req.data = f;
    if (!loop || uv_queue_work(loop, &f->req, release_work, release_done) < 0) {
        syntax_glue_result_release(&f->res);
        free(f);
    }
}

static void build_back(uv_work_t *req, int status)
{
    (void)status; /* cancelled: still BUILD_QUEUED, nothing was built */
    struct syntax_glue_build *b = req->data;
    if (b->state == BUILD_DONE) {
        if (!b->forgotten && b->done)
            b->done(b->ud, &b->res); /* the result is the callee's now */
        else /* nobody wants it: freed where it costs the loop nothing */
            syntax_glue_free_background(req->loop, b->res.syn, b->res.defs, b->res.n_defs);
    }
    build_free(b);
}

static struct syntax_glue_build *build_start(
    uv_loop_t *loop, const struct lang_info *lang, const char *text, size_t len, bool defs_only,
    void (*done)(void *ud, struct syntax_glue_result *result), void *ud)
{
    if (!loop || !lang)
        return NULL;
    struct syntax_glue_build *b = xcalloc(1, sizeof(*b));
    pthread_mutex_init(&b->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->cv, &ca);
    pthread_condattr_destroy(&ca);
    b->lang = lang;
    b->defs_only = defs_only;
    b->text = xstrndup(text, len);
    b->len = len;
    b->done = done;
    b->ud = ud;
    b->req.data = b;
    if (uv_queue_work(loop, &b->req, build_work, build_back) < 0) {
        build_free(b);
        return NULL;
    }
    return b;
}

struct syntax_glue_build *syntax_glue_build_background(
    uv_loop_t *loop, const struct lang_info *lang, const char *text, size_t len,
    void (*done)(void *ud, struct syntax_glue_result *result), void *ud)
{
    return build_start(loop, lang, text, len, false, done, ud);
}

struct syntax_glue_build *syntax_glue_defs_background(
    uv_loop_t *loop, const struct lang_info *lang, const char *text, size_t len,
    void (*done)(void *ud, struct syntax_glue_result *result), void *ud)
{
    return build_start(loop, lang, text, len, true, done, ud);
}

bool syntax_glue_build_take(struct syntax_glue_build *b, uint64_t wait_us, bool run_if_queued,
                            struct syntax_glue_result *out)
{
    if (!b || b->forgotten)
        return false;
    pthread_mutex_lock(&b->mu);
    if (b->state == BUILD_QUEUED && run_if_queued) {
        b->state = BUILD_RUNNING; /* claimed: the worker will skip it */
        pthread_mutex_unlock(&b->mu);
        build_run(b);
        pthread_mutex_lock(&b->mu);
        b->state = BUILD_DONE;
    }
    if (b->state != BUILD_DONE && wait_us) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        uint64_t ns = (uint64_t)until.tv_nsec + wait_us * 1000u;
        until.tv_sec += (time_t)(ns / 1000000000u);
        until.tv_nsec = (long)(ns % 1000000000u);
        while (b->state != BUILD_DONE)
            if (pthread_cond_timedwait(&b->cv, &b->mu, &until) != 0)
                break;
    }
    bool took = b->state == BUILD_DONE;
    if (took) {
        *out = b->res;
        memset(&b->res, 0, sizeof(b->res));
        b->state = BUILD_TAKEN;
    }
    pthread_mutex_unlock(&b->mu);
    return took;
}

void syntax_glue_build_forget(struct syntax_glue_build *b)
{
    if (!b)
        return;
    b->forgotten = true;
    b->done = NULL;
    b->ud = NULL;
    uv_cancel((uv_req_t *)&b->req); /* fails harmlessly once a worker has it */
}
