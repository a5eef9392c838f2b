/* outbox: answers free their pending request, cancellation answers -32800, messages leave in
 * order, the reply hook sees (and may take) answers, the params helpers. */
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "documents.h"
#include "outbox.h"
#include "rpc.h"

/* An in-memory sink: every body sent, parsed. */
struct sink {
    json_t *msgs;
};

static void sink_send(void *ud, const char *body, size_t len)
{
    struct sink *s = ud;
    json_t *m = json_loadb(body, len, 0, NULL);
    CHECK(m != NULL);
    json_array_append_new(s->msgs, m ? m : json_null());
}

static json_t *msg(struct sink *s, size_t i)
{
    return json_array_get(s->msgs, i);
}

static long long err_code(json_t *m)
{
    return json_integer_value(json_object_get(json_object_get(m, "error"), "code"));
}

static void reply_frees_request(void)
{
    struct outbox *ob = outbox_new();
    struct sink s = {json_array()};
    outbox_set_sink(ob, sink_send, &s);
    json_t *id1 = json_integer(1), *id2 = json_string("two");
    struct lsp_request *a = outbox_request_new(ob, id1, "textDocument/completion");
    struct lsp_request *b = outbox_request_new(ob, id2, "shutdown");
    json_decref(id1);
    json_decref(id2);
    CHECK_EQ_INT(outbox_pending_count(ob), 2);
    CHECK(outbox_pending(ob) == b); /* newest first */
    CHECK(a->ob == ob);
    outbox_reply(a, json_pack("{s:[]}", "items"));
    CHECK_EQ_INT(outbox_pending_count(ob), 1);
    CHECK(outbox_pending(ob) == b);
    outbox_reply_error(b, RPC_INVALID_PARAMS, "bad");
    CHECK_EQ_INT(outbox_pending_count(ob), 0);
    CHECK_EQ_INT(json_array_size(s.msgs), 2);
    CHECK_EQ_INT(json_integer_value(json_object_get(msg(&s, 0), "id")), 1);
    CHECK(json_is_array(json_object_get(json_object_get(msg(&s, 0), "result"), "items")));
    CHECK_EQ_STR(json_string_value(json_object_get(msg(&s, 1), "id")), "two");
    CHECK_EQ_INT(err_code(msg(&s, 1)), RPC_INVALID_PARAMS);
    json_decref(s.msgs);
    outbox_free(ob);
}

static int cancelled;

static void on_cancel(void *ud)
{
    cancelled += *(int *)ud;
}

static void cancel_answers_32800(void)
{
    struct outbox *ob = outbox_new();
    struct sink s = {json_array()};
    outbox_set_sink(ob, sink_send, &s);
    json_t *id = json_integer(7), *other = json_integer(8);
    int one = 1, ten = 10;
    struct lsp_request *r = outbox_request_new(ob, id, "textDocument/inlineCompletion");
    r->cancel = on_cancel;
    r->cancel_ud = &one;
    struct lsp_request *r2 = outbox_request_new(ob, other, "textDocument/completion");
    r2->cancel = on_cancel;
    r2->cancel_ud = &ten;
    cancelled = 0;
    json_t *unknown = json_integer(99);
    CHECK(!outbox_cancel(ob, unknown, "request cancelled"));
    CHECK_EQ_INT(json_array_size(s.msgs), 0);
    CHECK(outbox_cancel(ob, id, "request cancelled"));
    CHECK_EQ_INT(cancelled, 1);
    CHECK_EQ_INT(outbox_pending_count(ob), 1);
    CHECK_EQ_INT(err_code(msg(&s, 0)), RPC_REQUEST_CANCELLED);
    CHECK_EQ_INT(json_integer_value(json_object_get(msg(&s, 0), "id")), 7);
    /* Cancelled once: a second cancel finds nothing. */
    CHECK(!outbox_cancel(ob, id, "request cancelled"));
    outbox_cancel_all(ob, "server exiting");
    CHECK_EQ_INT(cancelled, 11);
    CHECK_EQ_INT(outbox_pending_count(ob), 0);
    CHECK_EQ_INT(err_code(msg(&s, 1)), RPC_REQUEST_CANCELLED);
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(msg(&s, 1), "error"),
                                                   "message")), "server exiting");
    json_decref(id);
    json_decref(other);
    json_decref(unknown);
    json_decref(s.msgs);
    outbox_free(ob);
}

static void notifications_in_order(void)
{
    struct outbox *ob = outbox_new();
    struct sink s = {json_array()};
    outbox_set_sink(ob, sink_send, &s);
    json_t *id = json_integer(3);
    struct lsp_request *r = outbox_request_new(ob, id, "initialize");
    json_decref(id);
    outbox_notify(ob, "understudy/status", json_pack("{s:s}", "state", "ok"));
    outbox_show_message(ob, 2, "warned");
    outbox_reply(r, json_object());
    outbox_notify(ob, "$/progress", NULL);
    const char *raw = "{\"jsonrpc\":\"2.0\",\"method\":\"raw\"}";
    outbox_send_raw(ob, raw, strlen(raw));
    CHECK_EQ_INT(json_array_size(s.msgs), 5);
    CHECK_EQ_STR(json_string_value(json_object_get(msg(&s, 0), "method")), "understudy/status");
    CHECK_EQ_STR(json_string_value(json_object_get(msg(&s, 1), "method")), "window/showMessage");
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(msg(&s, 1), "params"),
                                                    "type")), 2);
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(msg(&s, 1), "params"),
                                                   "message")), "warned");
    CHECK_EQ_INT(json_integer_value(json_object_get(msg(&s, 2), "id")), 3);
    CHECK_EQ_STR(json_string_value(json_object_get(msg(&s, 3), "method")), "$/progress");
    CHECK_EQ_STR(json_string_value(json_object_get(msg(&s, 4), "method")), "raw");
    /* Without a sink nothing is sent, and nothing breaks. */
    outbox_set_sink(ob, NULL, NULL);
    CHECK(!outbox_has_sink(ob));
    outbox_show_message(ob, 1, "nobody hears this");
    CHECK_EQ_INT(json_array_size(s.msgs), 5);
    json_decref(s.msgs);
    outbox_free(ob);
}

/* A hook that records what it saw and takes answers to string ids. */
struct seen {
    int calls;
    int last_code;
    json_t *taken; /* results it took (stolen) */
};

static bool hook(void *ud, json_t *id, json_t *result, int code, const char *m)
{
    struct seen *sn = ud;
    sn->calls++;
    sn->last_code = code;
    if (!json_is_string(id))
        return false;
    json_array_append_new(sn->taken, result ? result : json_string(m));
    return true;
}

static void hook_sees_answers(void)
{
    struct outbox *ob = outbox_new();
    struct sink s = {json_array()};
    struct seen sn = {0, 0, json_array()};
    outbox_set_sink(ob, sink_send, &s);
    outbox_set_reply_hook(ob, hook, &sn);
    json_t *num = json_integer(1), *str = json_string("merged");
    struct lsp_request *a = outbox_request_new(ob, num, "textDocument/completion");
    struct lsp_request *b = outbox_request_new(ob, str, "textDocument/completion");
    outbox_reply(a, json_pack("{s:i}", "n", 1)); /* left to the outbox */
    outbox_reply(b, json_pack("{s:i}", "n", 2)); /* taken */
    CHECK_EQ_INT(sn.calls, 2);
    CHECK_EQ_INT(json_array_size(s.msgs), 1);
    CHECK_EQ_INT(json_array_size(sn.taken), 1);
    CHECK_EQ_INT(json_integer_value(json_object_get(json_array_get(sn.taken, 0), "n")), 2);
    CHECK_EQ_INT(outbox_pending_count(ob), 0); /* a taken answer frees its request too */
    /* Errors and cancellations go through the hook; notifications and plain sends do not. */
    struct lsp_request *c = outbox_request_new(ob, str, "textDocument/completion");
    (void)c;
    outbox_cancel(ob, str, "request cancelled");
    CHECK_EQ_INT(sn.calls, 3);
    CHECK_EQ_INT(sn.last_code, RPC_REQUEST_CANCELLED);
    outbox_notify(ob, "understudy/status", NULL);
    outbox_send(ob, rpc_error(NULL, RPC_PARSE_ERROR, "parse error", NULL));
    CHECK_EQ_INT(sn.calls, 3);
    CHECK_EQ_INT(json_array_size(s.msgs), 3);
    outbox_set_reply_hook(ob, NULL, NULL);
    struct lsp_request *d = outbox_request_new(ob, str, "shutdown");
    outbox_reply(d, json_null());
    CHECK_EQ_INT(sn.calls, 3);
    CHECK_EQ_INT(json_array_size(s.msgs), 4);
    json_decref(num);
    json_decref(str);
    json_decref(sn.taken);
    json_decref(s.msgs);
    outbox_free(ob);
}

static void params_helpers(void)
{
    json_t *p = json_pack("{s:{s:s}, s:{s:i, s:i}}", "textDocument", "uri", "file:///a.c",
                          "position", "line", 2, "character", 5);
    CHECK_EQ_STR(lsp_param_uri(p), "file:///a.c");
    struct lsp_pos pos;
    CHECK(lsp_param_position(json_object_get(p, "position"), &pos));
    CHECK_EQ_INT(pos.line, 2);
    CHECK_EQ_INT(pos.character, 5);
    json_t *neg = json_pack("{s:i, s:i}", "line", -1, "character", 0);
    CHECK(!lsp_param_position(neg, &pos));
    json_t *huge = json_pack("{s:I, s:i}", "line", (json_int_t)1 << 40, "character", 0);
    CHECK(lsp_param_position(huge, &pos));
    CHECK_EQ_INT(pos.line, UINT32_MAX); /* clamped */
    json_t *bad = json_pack("{s:{s:i}}", "textDocument", "uri", 3);
    CHECK(lsp_param_uri(bad) == NULL);
    CHECK(lsp_param_uri(NULL) == NULL);
    CHECK(!lsp_param_position(NULL, &pos));

    /* lsp_request_doc answers -32602 and frees the request when the document is not open. */
    struct outbox *ob = outbox_new();
    struct sink s = {json_array()};
    outbox_set_sink(ob, sink_send, &s);
    struct docstore *docs = docstore_new(DOC_DEFAULT_MAX_BYTES);
    json_t *id = json_integer(4);
    struct lsp_request *r = outbox_request_new(ob, id, "understudy/documentText");
    CHECK(lsp_request_doc(docs, r, p) == NULL);
    CHECK_EQ_INT(outbox_pending_count(ob), 0);
    CHECK_EQ_INT(err_code(msg(&s, 0)), RPC_INVALID_PARAMS);
    r = outbox_request_new(ob, id, "understudy/documentText");
    CHECK(lsp_request_doc(docs, r, bad) == NULL);
    CHECK_EQ_INT(err_code(msg(&s, 1)), RPC_INVALID_PARAMS);
    CHECK_EQ_INT(docstore_open(docs, "file:///a.c", "c", 1, "int x;\n", 7), 0);
    r = outbox_request_new(ob, id, "understudy/documentText");
    struct doc *d = lsp_request_doc(docs, r, p);
    CHECK(d != NULL && strcmp(d->uri, "file:///a.c") == 0);
    CHECK_EQ_INT(outbox_pending_count(ob), 1); /* still the caller's to answer */
    outbox_reply(r, json_null());
    CHECK_EQ_INT(json_array_size(s.msgs), 3);
    docstore_free(docs);
    json_decref(id);
    json_decref(p);
    json_decref(neg);
    json_decref(huge);
    json_decref(bad);
    json_decref(s.msgs);
    outbox_free(ob);
}

#define TESTS(X)                                                                          \
    X(reply_frees_request)                                                                \
    X(cancel_answers_32800)                                                               \
    X(notifications_in_order)                                                             \
    X(hook_sees_answers)                                                                  \
    X(params_helpers)
CHECK_MAIN(TESTS)
