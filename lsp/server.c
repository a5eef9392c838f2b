/* server: framing -> JSON-RPC -> method table, lifecycle, replies and cancellation. */
#include "server.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "methods.h"
#include "rpc.h"
#include "server_int.h"
#include "wrap.h"

enum lsp_kind { LSP_KIND_REQUEST, LSP_KIND_NOTIFICATION };
enum lsp_when { LSP_WHEN_BEFORE_INIT, LSP_WHEN_RUNNING, LSP_WHEN_ALWAYS };

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

/* ---- output ---- */

static void send_json(struct lsp_server *s, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        return;
    if (s->tr)
        transport_send(s->tr, text, strlen(text));
    free(text);
}

static void request_unlink(struct lsp_server *s, struct lsp_request *req)
{
    if (req->prev)
        req->prev->next = req->next;
    else
        s->pending = req->next;
    if (req->next)
        req->next->prev = req->prev;
    json_decref(req->id);
    free(req);
}

void lsp_reply(struct lsp_server *s, struct lsp_request *req, json_t *result)
{
    /* Wrap mode merges some answers with the wrapped server's (wrap.c). */
    if (s->wrap && wrap_local_reply(s->wrap, req->id, result, 0, NULL)) {
        request_unlink(s, req);
        return;
    }
    send_json(s, rpc_response(req->id, result));
    LOG_D("lsp", "%s answered in %.2f ms", req->method,
          (double)(us_now_us() - req->start_us) / 1000.0);
    request_unlink(s, req);
}

void lsp_reply_error(struct lsp_server *s, struct lsp_request *req, int code, const char *msg)
{
    if (s->wrap && wrap_local_reply(s->wrap, req->id, NULL, code, msg)) {
        request_unlink(s, req);
        return;
    }
    send_json(s, rpc_error(req->id, code, msg, NULL));
    request_unlink(s, req);
}

void lsp_notify(struct lsp_server *s, const char *method, json_t *params)
{
    send_json(s, rpc_notification(method, params));
}

void lsp_show_message(struct lsp_server *s, int type, const char *text)
{
    lsp_notify(s, "window/showMessage", json_pack("{s:i, s:s}", "type", type, "message", text));
}

/* ---- params ---- */

const char *lsp_param_uri(json_t *params)
{
    json_t *td = json_object_get(params, "textDocument");
    json_t *uri = json_object_get(td, "uri");
    return json_is_string(uri) ? json_string_value(uri) : NULL;
}

bool lsp_param_position(json_t *pos, struct lsp_pos *out)
{
    json_t *l = json_object_get(pos, "line"), *c = json_object_get(pos, "character");
    if (!json_is_integer(l) || !json_is_integer(c))
        return false;
    json_int_t li = json_integer_value(l), ci = json_integer_value(c);
    if (li < 0 || ci < 0)
        return false;
    /* Huge values clamp to the end of the line / document, as the spec asks. */
    out->line = li > UINT32_MAX ? UINT32_MAX : (uint32_t)li;
    out->character = ci > UINT32_MAX ? UINT32_MAX : (uint32_t)ci;
    return true;
}

struct doc *lsp_request_doc(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    const char *uri = lsp_param_uri(params);
    if (!uri) {
        lsp_reply_error(s, req, RPC_INVALID_PARAMS, "missing textDocument.uri");
        return NULL;
    }
    struct doc *d = docstore_get(s->docs, uri);
    if (!d) {
        char msg[512];
        snprintf(msg, sizeof(msg), "document not open: %.400s", uri);
        lsp_reply_error(s, req, RPC_INVALID_PARAMS, msg);
    }
    return d;
}

/* ---- dispatch ---- */

static void dispatch(struct lsp_server *s, struct rpc_msg *m)
{
    if (m->kind == RPC_RESPONSE)
        return; /* answers to our own requests: none are outstanding that need them */
    if (m->kind == RPC_INVALID) {
        LOG_W("lsp", "invalid message: %s", m->why);
        send_json(s, rpc_error(m->id, RPC_INVALID_REQUEST, m->why, NULL));
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
            send_json(s, rpc_error(m->id, RPC_METHOD_NOT_FOUND, msg, NULL));
        }
        return; /* unknown notifications are ignored (LSP 3.17) */
    }
    if (row->when != LSP_WHEN_ALWAYS) {
        if (s->state == LSP_STATE_UNINIT && row->when != LSP_WHEN_BEFORE_INIT) {
            if (is_request)
                send_json(s, rpc_error(m->id, RPC_SERVER_NOT_INITIALIZED,
                                       "server not initialized", NULL));
            return;
        }
        if (s->state == LSP_STATE_SHUTDOWN) {
            if (is_request)
                send_json(s, rpc_error(m->id, RPC_INVALID_REQUEST,
                                       "server is shutting down", NULL));
            return;
        }
        if (s->state == LSP_STATE_RUNNING && row->when == LSP_WHEN_BEFORE_INIT) {
            if (is_request)
                send_json(s, rpc_error(m->id, RPC_INVALID_REQUEST, "already initialized", NULL));
            return;
        }
    }
    if (m->params && !json_is_object(m->params) && !json_is_null(m->params)) {
        if (is_request)
            send_json(s, rpc_error(m->id, RPC_INVALID_PARAMS, "params must be an object", NULL));
        return;
    }
    struct lsp_request *req = NULL;
    if (is_request) {
        req = xcalloc(1, sizeof(*req));
        req->id = json_incref(m->id);
        req->method = row->name;
        req->srv = s;
        req->start_us = us_now_us();
        req->next = s->pending;
        if (s->pending)
            s->pending->prev = req;
        s->pending = req;
    }
    json_t *params = m->params ? m->params : json_null();
    row->fn(s, req, params);
}

static void handle_body(struct lsp_server *s, const char *body, size_t len)
{
    struct rpc_msg m;
    if (s->wrap && wrap_from_client(s->wrap, body, len))
        return; /* the wrapped server's alone */
    if (rpc_parse(body, len, &m) == RPC_PARSE_ERROR) {
        send_json(s, rpc_error(NULL, RPC_PARSE_ERROR, "parse error: not valid JSON", NULL));
        return;
    }
    dispatch(s, &m);
    rpc_msg_release(&m);
}

static void finish(struct lsp_server *s);

static void on_read(void *ud, const char *buf, size_t len)
{
    struct lsp_server *s = ud;
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
            send_json(s, rpc_error(NULL, rc == US_ETOOBIG ? RPC_INVALID_REQUEST : RPC_PARSE_ERROR,
                                   why, NULL));
            continue;
        }
        handle_body(s, body, blen);
    }
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
    while (s->pending) {
        struct lsp_request *req = s->pending;
        if (req->cancel)
            req->cancel(req->cancel_ud);
        lsp_reply_error(s, req, RPC_REQUEST_CANCELLED, "server exiting");
    }
    completion_engine_free(s->engine);
    s->engine = NULL;
    transport_close(s->tr);
    s->tr = NULL;
}

/* ---- lifecycle handlers ---- */

void lsp_on_shutdown(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    s->state = LSP_STATE_SHUTDOWN;
    lsp_reply(s, req, json_null());
}

void lsp_on_exit(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    s->exit_code = s->state == LSP_STATE_SHUTDOWN ? 0 : 1;
    finish(s);
}

void lsp_on_cancel(struct lsp_server *s, struct lsp_request *req_unused, json_t *params)
{
    json_t *id = json_object_get(params, "id");
    for (struct lsp_request *req = s->pending; req; req = req->next) {
        if (!json_equal(req->id, id))
            continue;
        if (req->cancel)
            req->cancel(req->cancel_ud);
        lsp_reply_error(s, req, RPC_REQUEST_CANCELLED, "request cancelled");
        return;
    }
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
    s->engine = completion_engine_new(s);
    return s;
}

void lsp_server_free_headless(struct lsp_server *s)
{
    completion_engine_free(s->engine);
    s->engine = NULL;
    uv_run(s->loop, UV_RUN_DEFAULT); /* let handles close */
    framer_free(s->fr);
    docstore_free(s->docs);
    lsp_config_free(s->cfg);
    free(s->root_path);
    free(s);
}

int lsp_server_run(struct lsp_server *s)
{
    uv_run(s->loop, UV_RUN_DEFAULT);
    int code = s->exit_code;
    wrap_free(s->wrap);
    completion_engine_free(s->engine);
    framer_free(s->fr);
    docstore_free(s->docs);
    lsp_config_free(s->cfg);
    json_decref(s->client_caps);
    free(s->root_path);
    free(s);
    return code;
}
