/* server: the dispatcher: framing -> JSON-RPC -> method table, with the lifecycle gating and
 * the lifecycle handlers (shutdown, exit, cancel). Answers go out through the outbox. */
#include "server.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "completion.h"
#include "config_watch.h"
#include "methods.h"
#include "outbox.h"
#include "rpc.h"
#include "server_int.h"
#include "wrap.h"

typedef void (*lsp_handler)(struct lsp_server *s, struct lsp_request *req, json_t *params);

struct method_row {
    const char *name;
    lsp_handler fn;
    enum lsp_kind kind;
    enum lsp_when when;
};

static const struct method_row method_table[] = {
#define LSP__ROW(name, fn, kind, when) {name, fn, kind, when},
    LSP_METHOD_MAP(LSP__ROW)
#undef LSP__ROW
};

static const struct method_row *find_method(const char *name)
{
    for (size_t i = 0; i < US_ARRAY_LEN(method_table); i++)
        if (strcmp(method_table[i].name, name) == 0)
            return &method_table[i];
    return NULL;
}

/* ---- output: the transport is the outbox's sink ---- */

static void send_to_transport(void *ud, const char *body, size_t len)
{
    struct lsp_server *s = ud;
    if (s->tr)
        transport_send(s->tr, body, len);
}

/* ---- dispatch ---- */

static void dispatch(struct lsp_server *s, struct rpc_msg *m)
{
    if (m->kind == RPC_RESPONSE)
        return; /* answers to our own requests: none are outstanding that need them */
    if (m->kind == RPC_INVALID) {
        LOG_W("lsp", "invalid message: %s", m->why);
        outbox_send(s->out, rpc_error(m->id, RPC_INVALID_REQUEST, m->why, NULL));
        return;
    }
    bool is_request = m->kind == RPC_REQUEST;
    const struct method_row *row = find_method(m->method);

    if (s->state == LSP_STATE_EXITED)
        return;
    if (!row || (row->kind == LSP_KIND_REQUEST) != is_request) {
        if (is_request) {
            char msg[256];
            snprintf(msg, sizeof(msg), "method not found: %.200s", m->method);
            outbox_send(s->out, rpc_error(m->id, RPC_METHOD_NOT_FOUND, msg, NULL));
        }
        return; /* unknown notifications are ignored (LSP 3.17) */
    }
    if (row->when != LSP_WHEN_ALWAYS) {
        if (s->state == LSP_STATE_UNINIT && row->when != LSP_WHEN_BEFORE_INIT) {
            if (is_request)
                outbox_send(s->out, rpc_error(m->id, RPC_SERVER_NOT_INITIALIZED,
                                       "server not initialized", NULL));
            return;
        }
        if (s->state == LSP_STATE_SHUTDOWN) {
            if (is_request)
                outbox_send(s->out, rpc_error(m->id, RPC_INVALID_REQUEST,
                                       "server is shutting down", NULL));
            return;
        }
        if (s->state == LSP_STATE_RUNNING && row->when == LSP_WHEN_BEFORE_INIT) {
            if (is_request)
                outbox_send(s->out, rpc_error(m->id, RPC_INVALID_REQUEST, "already initialized", NULL));
            return;
        }
    }
    if (m->params && !json_is_object(m->params) && !json_is_null(m->params)) {
        if (is_request)
            outbox_send(s->out, rpc_error(m->id, RPC_INVALID_PARAMS, "params must be an object", NULL));
        return;
    }
    struct lsp_request *req = is_request ? outbox_request_new(s->out, m->id, row->name) : NULL;
    json_t *params = m->params ? m->params : json_null();
    row->fn(s, req, params);
}

static void handle_body(struct lsp_server *s, const char *body, size_t len)
{
    struct rpc_msg m;
    if (s->in_filter && s->in_filter(s->in_filter_ud, body, len))
        return; /* the filter's alone (wrap mode: the wrapped server's) */
    if (rpc_parse(body, len, &m) == RPC_PARSE_ERROR) {
        outbox_send(s->out, rpc_error(NULL, RPC_PARSE_ERROR, "parse error: not valid JSON", NULL));
        return;
    }
    dispatch(s, &m);
    rpc_msg_release(&m);
}

static void finish(struct lsp_server *s);

void lsp_server_feed(struct lsp_server *s, const char *buf, size_t len)
{
    framer_feed(s->fr, buf, len);
    for (;;) {
        if (s->state == LSP_STATE_EXITED)
            return;
        const char *body, *why = NULL;
        size_t blen;
        int rc = framer_next(s->fr, &body, &blen, &why);
        if (rc == 0)
            break;
        if (rc < 0) {
            LOG_W("lsp", "bad message framing: %s", why);
            outbox_send(s->out, rpc_error(NULL, rc == US_ETOOBIG ? RPC_INVALID_REQUEST : RPC_PARSE_ERROR,
                                   why, NULL));
            continue;
        }
        handle_body(s, body, blen);
    }
}

static void on_read(void *ud, const char *buf, size_t len)
{
    lsp_server_feed(ud, buf, len);
}

void lsp_server_set_input_filter(struct lsp_server *s, lsp_input_filter fn, void *ud)
{
    s->in_filter = fn;
    s->in_filter_ud = fn ? ud : NULL;
}

static void on_eof(void *ud)
{
    struct lsp_server *s = ud;
    if (s->state == LSP_STATE_EXITED)
        return;
    LOG_I("lsp", "input closed; exiting");
    s->exit_code = 0;
    finish(s);
}

/* Stop everything: cancel pending work, stop reading; the loop ends once writes drain and
 * handles close. */
static void finish(struct lsp_server *s)
{
    s->state = LSP_STATE_EXITED;
    if (s->wrap)
        wrap_finish(s->wrap);
    outbox_cancel_all(s->out, "server exiting");
    config_watch_stop(s->cfg_watch);
    s->cfg_watch = NULL;
    completion_engine_free(s->engine);
    s->engine = NULL;
    if (s->tr)
        transport_close(s->tr);
    s->tr = NULL;
    outbox_set_sink(s->out, NULL, NULL);
}

/* ---- lifecycle handlers ---- */

void lsp_on_shutdown(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    s->state = LSP_STATE_SHUTDOWN;
    outbox_reply(req, json_null());
}

void lsp_on_exit(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    s->exit_code = s->state == LSP_STATE_SHUTDOWN ? 0 : 1;
    finish(s);
}

void lsp_on_cancel(struct lsp_server *s, struct lsp_request *req_unused, json_t *params)
{
    outbox_cancel(s->out, json_object_get(params, "id"), "request cancelled");
}

void lsp_on_ignore(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
}

/* ---- life of the server ---- */

struct lsp_server *lsp_server_new(uv_loop_t *loop, struct lsp_config *cfg, int in_fd, int out_fd)
{
    struct lsp_server *s = xcalloc(1, sizeof(*s));
    s->loop = loop;
    s->cfg = cfg;
    s->enc = POS_UTF16;
    s->fr = framer_new(FRAMER_DEFAULT_MAX_BODY);
    s->docs = docstore_new(DOC_DEFAULT_MAX_BYTES);
    docstore_set_loop(s->docs, loop);
    static const struct transport_callbacks cb = {on_read, on_eof};
    s->tr = transport_new(loop, in_fd, out_fd, &cb, s);
    if (!s->tr) {
        framer_free(s->fr);
        docstore_free(s->docs);
        free(s);
        return NULL;
    }
    s->out = outbox_new();
    outbox_set_sink(s->out, send_to_transport, s);
    s->engine = completion_engine_new(s);
    return s;
}

struct lsp_server *lsp_server_new_headless(uv_loop_t *loop, struct lsp_config *cfg)
{
    struct lsp_server *s = xcalloc(1, sizeof(*s));
    s->loop = loop;
    s->cfg = cfg;
    s->enc = POS_UTF8;
    s->state = LSP_STATE_RUNNING;
    s->fr = framer_new(FRAMER_DEFAULT_MAX_BODY);
    s->docs = docstore_new(DOC_DEFAULT_MAX_BYTES);
    s->out = outbox_new();
    s->engine = completion_engine_new(s);
    return s;
}

/* What every session owns besides its engine and wrap (freed first, their handles closed). */
static void server_free_rest(struct lsp_server *s)
{
    outbox_free(s->out);
    framer_free(s->fr);
    docstore_free(s->docs);
    lsp_config_free(s->cfg);
    json_decref(s->client_caps);
    free(s->root_path);
    free(s);
}

void lsp_server_free_headless(struct lsp_server *s)
{
    completion_engine_free(s->engine);
    s->engine = NULL;
    uv_run(s->loop, UV_RUN_DEFAULT); /* let handles close */
    server_free_rest(s);
}

/* ---- wrap mode: the wrapped server sees the client's messages first (input filter) and may
 * take our answers over (the outbox's reply hook); it asks the session for these two. ---- */

static enum lsp_state host_state(void *ud)
{
    return ((struct lsp_server *)ud)->state;
}

static void host_set_encoding(void *ud, enum pos_encoding enc)
{
    ((struct lsp_server *)ud)->enc = enc;
}

static bool wrap_filter(void *ud, const char *body, size_t len)
{
    return wrap_from_client(ud, body, len);
}

int lsp_server_wrap(struct lsp_server *s, char *const *argv)
{
    static const struct wrap_host host = {host_state, host_set_encoding};
    int rc = wrap_start(&s->wrap, s->loop, s->out, &host, s, argv);
    lsp_server_set_input_filter(s, wrap_filter, s->wrap);
    return rc;
}

int lsp_server_run(struct lsp_server *s)
{
    uv_run(s->loop, UV_RUN_DEFAULT);
    int code = s->exit_code;
    wrap_free(s->wrap);
    completion_engine_free(s->engine);
    server_free_rest(s);
    return code;
}
