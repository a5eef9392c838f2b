/* server: one LSP session on stdio: reads framed JSON-RPC, dispatches through the method
 * table, enforces the LSP 3.17 lifecycle, and owns the documents and configuration. */
#ifndef US_SERVER_H
#define US_SERVER_H

#include <uv.h>

struct lsp_config;
struct lsp_server;

/* Steals cfg. Returns NULL when stdio cannot be used. */
struct lsp_server *lsp_server_new(uv_loop_t *loop, struct lsp_config *cfg, int in_fd, int out_fd);
/* Runs the loop until `exit` or end of input; returns the process exit status. Frees srv. */
int lsp_server_run(struct lsp_server *srv);

#endif
