/* syntax_glue: runs grammars/syntax's slow work on libuv's worker threads: compiling a
 * language's queries, and reparsing big documents off the loop. Adapts the worker, nothing else:
 * documents.c, context.c, handlers.c and completion.c call grammars/syntax.h directly.
 * Ownership: a job frees itself (on a worker, after done); the document stays its caller's and
 * may be freed while a job is out (syntax.h allows it) once the job is forgotten. */
#ifndef US_SYNTAX_GLUE_H
#define US_SYNTAX_GLUE_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

struct syn_doc;

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

#endif
