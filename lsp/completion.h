/* completion: the engine behind both completion methods, the status surface and the
 * understudy.* commands: builds a context, hands it to providers/chain.h (which falls back to
 * the local engine) and shapes LSP items with provenance.
 * Boundary: owns the chain and its pending LSP requests; documents stay the docstore's. */
#ifndef US_COMPLETION_H
#define US_COMPLETION_H

#include "documents.h"
#include "position.h"

struct lsp_server;
struct router_answer;
struct completion_engine;

struct completion_engine *completion_engine_new(struct lsp_server *s);
/* Cancels pending work; run the loop afterwards so handles close. */
void completion_engine_free(struct completion_engine *e);
/* The configuration changed: rebuild providers, keep what can be kept. */
void completion_engine_reconfigure(struct completion_engine *e);
/* After `initialized`: first status notification, workspace indexing. */
void completion_engine_started(struct completion_engine *e);
/* The `complete` command: index the workspace as a session does after `initialized` and run
 * the loop until the index is in (at most wait_ms), so the one-shot answer is the one an
 * editor shows once its index is built. 0, or US_ETIMEDOUT (answers without the rest). */
int completion_index_workspace_now(struct completion_engine *e, uint64_t wait_ms);
/* A document was closed. */
void completion_doc_closed(struct completion_engine *e, const char *uri);

/* One inline completion outside LSP (the `complete` command): done runs once from the loop
 * with the router's answer and, when it had none, the local line suggestion (or NULL).
 * Returns 0, or a negative code when nothing could start (done then never runs). */
int completion_run_once(struct completion_engine *e, struct doc *d, struct lsp_pos pos,
                        void (*done)(void *ud, const struct router_answer *a,
                                     const char *local_text),
                        void *ud);

#endif
