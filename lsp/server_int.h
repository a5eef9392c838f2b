/* server_int: the server's insides, shared by server.c and the handler files (as curl's
 * vtls_int.h is shared by its TLS backends). Nothing outside lsp/ includes it. */
#ifndef US_SERVER_INT_H
#define US_SERVER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "base.h"
#include "config.h"
#include "documents.h"
#include "framer.h"
#include "position.h"
#include "transport.h"

struct lsp_server;

/* A request being answered. Owned by the server's pending list until a reply frees it. */
struct lsp_request {
    json_t *id; /* owned reference */
    const char *method;
    struct lsp_server *srv;
    uint64_t start_us;
    /* Set by an asynchronous handler: called when the client cancels the request (or the
     * server shuts down). It must stop the work; the server then answers -32800 and frees the
     * request, so the handler must not touch it afterwards. */
    void (*cancel)(void *ud);
    void *cancel_ud;
    struct lsp_request *prev, *next;
};

enum lsp_state { LSP_STATE_UNINIT, LSP_STATE_RUNNING, LSP_STATE_SHUTDOWN, LSP_STATE_EXITED };

struct completion_engine;

struct lsp_server {
    uv_loop_t *loop;
    struct transport *tr;
    struct framer *fr;
    enum lsp_state state;
    bool initialized_notified;
    enum pos_encoding enc;
    struct docstore *docs;
    struct lsp_config *cfg;
    json_t *client_caps;   /* owned */
    bool snippet_support;
    char *root_path;       /* workspace folder, or NULL */
    int exit_code;
    struct lsp_request *pending;
    struct completion_engine *engine; /* completion.c */
    struct wrap *wrap;     /* wrap mode (wrap.c), or NULL */
};

/* A server without stdio, for one-shot commands: documents, configuration and the completion
 * engine only (positions in UTF-8). Steals cfg. */
struct lsp_server *lsp_server_new_headless(uv_loop_t *loop, struct lsp_config *cfg);
/* Frees it, running the loop until every handle closed. */
void lsp_server_free_headless(struct lsp_server *s);

/* Answer a request (result stolen) or fail it; both free req. */
void lsp_reply(struct lsp_server *s, struct lsp_request *req, json_t *result);
void lsp_reply_error(struct lsp_server *s, struct lsp_request *req, int code, const char *msg);
/* Send a notification (params stolen). */
void lsp_notify(struct lsp_server *s, const char *method, json_t *params);
/* window/showMessage; type 1 error, 2 warning, 3 info. */
void lsp_show_message(struct lsp_server *s, int type, const char *text);

/* Params helpers: borrowed results, NULL when missing or of the wrong type. */
const char *lsp_param_uri(json_t *params);
/* The open document a request names (textDocument.uri), or NULL after answering the request
 * with -32602 (no uri, or the document is not open). */
struct doc *lsp_request_doc(struct lsp_server *s, struct lsp_request *req, json_t *params);
/* Read {line, character}; returns false when missing or negative. */
bool lsp_param_position(json_t *pos, struct lsp_pos *out);

/* Handlers, one per row of the method table (methods.h). req is NULL for notifications. */
#define LSP__DECLARE_HANDLER(name, fn, kind, when) \
    void fn(struct lsp_server *s, struct lsp_request *req, json_t *params);
#include "methods.h"
LSP_METHOD_MAP(LSP__DECLARE_HANDLER)
#undef LSP__DECLARE_HANDLER

#include "completion.h"

#endif
