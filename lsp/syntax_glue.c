/* syntax_glue: documents <-> grammars/syntax. */
#include "syntax_glue.h"

#include <stdlib.h>

#include "base.h"
#include "syntax.h"

const struct lang_info *syntax_glue_lang(const char *language_id, const char *uri)
{
    const struct lang_info *lang = lang_for_id(language_id);
    if (!lang && uri)
        lang = lang_for_path(uri); /* editors send odd ids ("plaintext" for a .py scratch) */
    return lang;
}

struct syn_doc *syntax_glue_open(const char *language_id, const char *uri, const char *text,
                                 size_t len)
{
    const struct lang_info *lang = syntax_glue_lang(language_id, uri);
    if (!lang)
        return NULL;
    struct syn_doc *syn = syn_doc_new(lang, text, len);
    if (!syn_doc_has_tree(syn))
        LOG_D("syntax", "%s: no tree (over a size cap or parse budget)", uri ? uri : "?");
    return syn;
}

void syntax_glue_free(struct syn_doc *syn)
{
    if (syn)
        syn_doc_free(syn);
}

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
    const struct lang_info *lang = syntax_glue_lang(language_id, uri);
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

char *syntax_glue_sexp(struct syn_doc *syn)
{
    return syn ? syn_doc_sexp(syn) : NULL;
}

void syntax_glue_edit_begin(struct syntax_glue_edit *e, const struct line_index *old_lines,
                            const char *old_text, size_t start, size_t old_end)
{
    e->start_byte = start;
    e->old_end_byte = old_end;
    pos_ts_point(old_lines, old_text, start, &e->start_row, &e->start_col);
    pos_ts_point(old_lines, old_text, old_end, &e->old_end_row, &e->old_end_col);
}

void syntax_glue_edit_end(struct syn_doc *syn, const struct syntax_glue_edit *e,
                          const struct line_index *new_lines, const char *new_text,
                          size_t new_len, size_t new_end)
{
    struct syn_edit edit = {
        .start_byte = (uint32_t)e->start_byte,
        .old_end_byte = (uint32_t)e->old_end_byte,
        .new_end_byte = (uint32_t)new_end,
        .start = {e->start_row, e->start_col},
        .old_end = {e->old_end_row, e->old_end_col},
    };
    pos_ts_point(new_lines, new_text, new_end, &edit.new_end.row, &edit.new_end.column);
    syn_doc_edit(syn, &edit);
}

void syntax_glue_reparse(struct syn_doc *syn, const char *text, size_t len)
{
    syn_doc_reparse(syn, text, len);
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

void syntax_glue_set_text(struct syn_doc *syn, const char *text, size_t len)
{
    syn_doc_set_text(syn, text, len);
}

void syntax_glue_job_forget(struct syntax_glue_job *job)
{
    if (job) {
        job->done = NULL;
        job->ud = NULL;
    }
}
