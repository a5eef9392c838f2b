/* server_int: the session's state, shared by server.c (the dispatcher) and the handler files
 * (handlers.c, completion.c), as curl's vtls_int.h is shared by its TLS backends. Nothing
 * outside lsp/ includes it. The server owns every pointer in struct lsp_server; handlers borrow
 * them for the call. Answers and notifications go through s->out (outbox.h), never server.c. */
#ifndef US_SERVER_INT_H
#define US_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <uv.h>

#include "base.h"
#include "config.h"
#include "documents.h"
#include "framer.h"
#include "methods.h"
#include "outbox.h"
#include "position.h"
#include "transport.h"

struct completion_engine;
struct wrap;

/* A filter on the client's message bodies (borrowed), before they are parsed and dispatched:
 * returns true when it handled the body, which is then not dispatched. */
typedef bool (*lsp_input_filter)(void *ud, const char *body, size_t len);

struct lsp_server {
    uv_loop_t *loop;       /* borrowed */
    struct transport *tr;  /* NULL when headless or after the session ended */
    struct framer *fr;
    struct outbox *out;    /* answers, notifications, pending requests */
    enum lsp_state state;
    bool initialized_notified;
    enum pos_encoding enc;
    struct docstore *docs;
    struct lsp_config *cfg;
    json_t *client_caps;   /* owned */
    bool snippet_support;
    char *root_path;       /* workspace folder, or NULL */
    int exit_code;
    struct completion_engine *engine; /* completion.c */
    struct wrap *wrap;     /* wrap mode (wrap.c), or NULL */
    lsp_input_filter in_filter; /* wrap mode's, or a test's; NULL */
    void *in_filter_ud;
};

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

/* Handlers, one per row of the method table (methods.h). req is NULL for notifications; a
 * request is the handler's to answer through outbox_reply/outbox_reply_error (now or later). */
#define LSP__DECLARE_HANDLER(name, fn, kind, when) \
    void fn(struct lsp_server *s, struct lsp_request *req, json_t *params);
LSP_METHOD_MAP(LSP__DECLARE_HANDLER)
#undef LSP__DECLARE_HANDLER

#endif
