/* server_int: the session's state, shared by server.c (the dispatcher) and the handler files
 * (handlers.c, completion.c), as curl's vtls_int.h is shared by its TLS backends. Nothing
 * outside lsp/ includes it. The server owns every pointer in struct lsp_server; handlers borrow
 * them for the call. Answers and notifications go through s->out (outbox.h), never server.c;
 * server.c's functions are in server.h. */
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
struct config_watch;
struct wrap;

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
    struct config_watch *cfg_watch; /* config_watch.c, from `initialized` to the end */
    bool (*in_filter)(void *ud, const char *body, size_t len); /* lsp_input_filter (server.h) */
    void *in_filter_ud;
};

/* Handlers, one per row of the method table (methods.h). req is NULL for notifications; a
 * request is the handler's to answer through outbox_reply/outbox_reply_error (now or later). */
/* Log the configuration's warnings and errors; errors are also shown (window/showMessage). */
void lsp__report_config(struct lsp_server *s, struct strbuf *warnings, struct strbuf *errors);

#define LSP__DECLARE_HANDLER(name, fn, kind, when) \
    void fn(struct lsp_server *s, struct lsp_request *req, json_t *params);
LSP_METHOD_MAP(LSP__DECLARE_HANDLER)
#undef LSP__DECLARE_HANDLER

#endif
