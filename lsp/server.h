/* server: one LSP session on stdio: reads framed JSON-RPC, dispatches through the method
 * table, enforces the LSP 3.17 lifecycle, and owns the documents and configuration.
 * Ownership: the server owns its transport, outbox, documents, engine and wrap; the loop is
 * borrowed and must outlive it. */
#ifndef US_SERVER_H
#define US_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

struct lsp_config;
struct lsp_server;

/* Returns NULL when stdio cannot be used; cfg then stays the caller's to free. Otherwise the
 * server steals cfg. */
struct lsp_server *lsp_server_new(uv_loop_t *loop, struct lsp_config *cfg, int in_fd, int out_fd);
/* Wrap mode: run argv[0] (argv borrowed, NULL-terminated) as the wrapped language server (see
 * wrap.h). Returns 0, or a negative US_ code when it could not be started: Understudy then
 * serves alone and says so once after `initialize`. At most once, before lsp_server_run. */
int lsp_server_wrap(struct lsp_server *srv, char *const *argv);
/* Runs the loop until `exit` or end of input; returns the process exit status. Frees srv. */
int lsp_server_run(struct lsp_server *srv);

/* A filter on the client's message bodies (borrowed), before they are parsed and dispatched:
 * returns true when it handled the body, which is then not dispatched. */
typedef bool (*lsp_input_filter)(void *ud, const char *body, size_t len);

/* A server without stdio, for one-shot commands, tests and the fuzzer: documents,
 * configuration and the completion engine, running (positions in UTF-8), with an outbox that
 * has no sink until the caller sets one. Steals cfg. */
struct lsp_server *lsp_server_new_headless(uv_loop_t *loop, struct lsp_config *cfg);
/* Frees it, running the loop until every handle closed. */
void lsp_server_free_headless(struct lsp_server *s);
/* Bytes from the client (borrowed), as the transport hands them on: framing, JSON-RPC,
 * dispatch. */
void lsp_server_feed(struct lsp_server *s, const char *buf, size_t len);
/* One filter at a time (NULL removes it); ud borrowed. */
void lsp_server_set_input_filter(struct lsp_server *s, lsp_input_filter fn, void *ud);

#endif
