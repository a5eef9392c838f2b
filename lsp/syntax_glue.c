/* syntax_glue: grammars/syntax work on libuv worker threads. */
#include "syntax_glue.h"

#include <stdlib.h>

#include "base.h"
#include "languages.h"
#include "syntax.h"

struct warm_job {
    uv_work_t req;
    const struct lang_info *lang;
};

static void warm_work(uv_work_t *req)
{
    struct warm_job *job = req->data;
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
