/* outbox: the pending requests and everything sent to the client. */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "documents.h"
#include "rpc.h"

struct outbox {
    outbox_send_fn send;
    void *send_ud;
    outbox_reply_hook hook;
    void *hook_ud;
    struct us_list pending; /* of lsp_request.link, newest first */
};

struct outbox *outbox_new(void)
{
    struct outbox *ob = xcalloc(1, sizeof(struct outbox));
    us_list_init(&ob->pending);
    return ob;
}

static void request_unlink(struct lsp_request *req)
{
    us_list_del(&req->link);
    json_decref(req->id);
    free(req);
}

void outbox_free(struct outbox *ob)
{
    if (!ob)
        return;
    struct us_list *l;
    while ((l = us_list_first(&ob->pending)))
        request_unlink(US_LIST_ENTRY(l, struct lsp_request, link));
    free(ob);
}

void outbox_set_sink(struct outbox *ob, outbox_send_fn send, void *ud)
{
    ob->send = send;
    ob->send_ud = send ? ud : NULL;
}

bool outbox_has_sink(const struct outbox *ob)
{
    return ob->send != NULL;
}

void outbox_set_reply_hook(struct outbox *ob, outbox_reply_hook hook, void *ud)
{
    ob->hook = hook;
    ob->hook_ud = hook ? ud : NULL;
}

/* ---- output ---- */

void outbox_send_raw(struct outbox *ob, const char *body, size_t len)
{
    if (ob->send)
        ob->send(ob->send_ud, body, len);
}

void outbox_send(struct outbox *ob, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        return;
    outbox_send_raw(ob, text, strlen(text));
    free(text);
}

void outbox_notify(struct outbox *ob, const char *method, json_t *params)
{
    outbox_send(ob, rpc_notification(method, params));
}

void outbox_show_message(struct outbox *ob, int type, const char *text)
{
    outbox_notify(ob, "window/showMessage",
                  json_pack("{s:i, s:s}", "type", type, "message", text));
}

/* ---- pending requests ---- */

struct lsp_request *outbox_request_new(struct outbox *ob, json_t *id, const char *method)
{
    struct lsp_request *req = xcalloc(1, sizeof(*req));
    req->id = json_incref(id);
    req->method = method;
    req->ob = ob;
    req->start_us = us_now_us();
    us_list_add_head(&ob->pending, &req->link);
    return req;
}

void outbox_reply(struct lsp_request *req, json_t *result)
{
    struct outbox *ob = req->ob;
    /* Wrap mode merges some answers with the wrapped server's (wrap.c). */
    if (ob->hook && ob->hook(ob->hook_ud, req->id, result, 0, NULL)) {
        request_unlink(req);
        return;
    }
    outbox_send(ob, rpc_response(req->id, result));
    LOG_D("lsp", "%s answered in %.2f ms", req->method,
          (double)(us_now_us() - req->start_us) / 1000.0);
    request_unlink(req);
}

void outbox_reply_error(struct lsp_request *req, int code, const char *msg)
{
    struct outbox *ob = req->ob;
    if (ob->hook && ob->hook(ob->hook_ud, req->id, NULL, code, msg)) {
        request_unlink(req);
        return;
    }
    outbox_send(ob, rpc_error(req->id, code, msg, NULL));
    request_unlink(req);
}

bool outbox_cancel(struct outbox *ob, json_t *id, const char *msg)
{
    struct us_list *l;
    US_LIST_FOREACH(l, &ob->pending) {
        struct lsp_request *req = US_LIST_ENTRY(l, struct lsp_request, link);
        if (!json_equal(req->id, id))
            continue;
        if (req->cancel)
            req->cancel(req->cancel_ud);
        outbox_reply_error(req, RPC_REQUEST_CANCELLED, msg);
        return true;
    }
    return false;
}

void outbox_cancel_all(struct outbox *ob, const char *msg)
{
    struct us_list *l;
    while ((l = us_list_first(&ob->pending))) {
        struct lsp_request *req = US_LIST_ENTRY(l, struct lsp_request, link);
        if (req->cancel)
            req->cancel(req->cancel_ud);
        outbox_reply_error(req, RPC_REQUEST_CANCELLED, msg);
    }
}

struct lsp_request *outbox_pending(const struct outbox *ob)
{
    struct us_list *l = us_list_first(&ob->pending);
    return l ? US_LIST_ENTRY(l, struct lsp_request, link) : NULL;
}

size_t outbox_pending_count(const struct outbox *ob)
{
    return us_list_count(&ob->pending);
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

struct doc *lsp_request_doc(struct docstore *docs, struct lsp_request *req, json_t *params)
{
    const char *uri = lsp_param_uri(params);
    if (!uri) {
        outbox_reply_error(req, RPC_INVALID_PARAMS, "missing textDocument.uri");
        return NULL;
    }
    struct doc *d = docstore_get(docs, uri);
    if (!d) {
        char msg[512];
        snprintf(msg, sizeof(msg), "document not open: %.400s", uri);
        outbox_reply_error(req, RPC_INVALID_PARAMS, msg);
    }
    return d;
}
