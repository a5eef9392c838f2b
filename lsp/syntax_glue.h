/* syntax_glue: runs grammars/syntax's slow work on libuv's worker threads: compiling a
 * language's queries, and reparsing big documents off the loop. Adapts the worker, nothing else:
 * documents.c, context.c, handlers.c and completion.c call grammars/syntax.h directly.
 * Ownership: a job frees itself (on a worker, after done); the document stays its caller's and
 * may be freed while a job is out (syntax.h allows it) once the job is forgotten. */
#ifndef US_SYNTAX_GLUE_H
#define US_SYNTAX_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct syn_doc;
struct lang_info;

/* Compile the document language's queries on a libuv worker thread, once per language, so the
 * first completion does not stall the loop. Strings borrowed for the call. */
void syntax_glue_warm(uv_loop_t *loop, const char *language_id, const char *uri);

/* Reparse on a libuv worker thread, for documents whose reparse is slow (see
 * syn_doc_reparse_is_slow): the loop goes on answering from the edited previous tree. done(ud,
 * installed) runs on the loop thread when the job is back; installed is false when edits came
 * in meanwhile (the tree is still behind). Returns NULL when the document cannot be reparsed in
 * the background; reparse in place then. */
struct syntax_glue_job;
struct syntax_glue_job *syntax_glue_reparse_background(uv_loop_t *loop, struct syn_doc *syn,
                                                       const char *text, size_t len,
                                                       void (*done)(void *ud, bool installed),
                                                       void *ud);
/* The owner of ud is going away: done will not be called. */
void syntax_glue_job_forget(struct syntax_glue_job *job);

/* A document's first tree, built on a libuv worker right after didOpen (documents.c decides
 * which documents get one): the parse, the query records and the definitions sorted by name,
 * so the first completion finds them ready. The result is handed over once, either by
 * syntax_glue_build_take on the loop (a completion that cannot wait for the job's callback)
 * or by done(ud, result) when the job is back. text is copied. NULL when no worker could be
 * asked (build on demand then). */
struct syntax_glue_build;
/* The definitions a document shares with other documents' completions (functions, methods,
 * classes, types, fields: not variables, parameters or imports), sorted by name, one per name
 * (the first in text order), one block freed with syn_defs_free. Any thread (the document
 * must be its alone). */
struct syn_def;
void syntax_glue_definitions(struct syn_doc *syn, struct syn_def **out, size_t *n);
/* A copy of such a block made by the calling thread (caller frees with syn_defs_free). The
 * loop copies what a worker made: left where the worker allocated it, among the freed pages of
 * the tree it parsed, each small block pins pages of the workers' arena that trimming could
 * otherwise give back. */
struct syn_def *syntax_glue_definitions_copy(const struct syn_def *defs, size_t n);
struct syntax_glue_result {
    struct syn_doc *syn;
    struct syn_def *defs; /* syntax_glue_definitions; freed with syn_defs_free */
    size_t n_defs;
    uint64_t took_us;     /* the worker's time for all of it */
};
struct syntax_glue_build *syntax_glue_build_background(
    uv_loop_t *loop, const struct lang_info *lang, const char *text, size_t len,
    void (*done)(void *ud, struct syntax_glue_result *result), void *ud);
/* The same job for a document read only for its definitions (another document's completion
 * wants them, and parsing it on the loop would stall every keystroke): the tree is deleted on
 * the worker; the result has definitions only (syn NULL). */
struct syntax_glue_build *syntax_glue_defs_background(
    uv_loop_t *loop, const struct lang_info *lang, const char *text, size_t len,
    void (*done)(void *ud, struct syntax_glue_result *result), void *ud);
/* Tests: every first build and definitions job sleeps this long on its worker before it
 * starts (0: none), so a test can show what the loop does while one is out. Set before the
 * loop runs. */
void syntax_glue_set_build_delay_us(uint64_t us);
/* Wait at most wait_us for the job (0: only look). True when it was done: *out is the result,
 * now the caller's, and done will not be called. A job a worker has not picked up yet is not
 * run here: false, unless run_if_queued, which runs it on the calling thread at once. */
bool syntax_glue_build_take(struct syntax_glue_build *b, uint64_t wait_us, bool run_if_queued,
                            struct syntax_glue_result *out);
/* The owner goes away or no longer wants the result: done will not be called, the result is
 * freed on a worker when the job is back (a job still queued is cancelled). */
void syntax_glue_build_forget(struct syntax_glue_build *b);
/* Frees a result (NULL members allowed). */
void syntax_glue_result_release(struct syntax_glue_result *r);
/* Frees a document (no background reparse of it may be out) and definitions on a worker:
 * deleting a big tree takes milliseconds. In place when there is no loop or worker. */
void syntax_glue_free_background(uv_loop_t *loop, struct syn_doc *syn, struct syn_def *defs,
                                 size_t n_defs);

#endif
