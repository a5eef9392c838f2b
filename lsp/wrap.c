/* wrap: wrap mode. `understudy --wrap -- CMD ARGS...` runs CMD (clangd, pyright, ...) as a child
 * on pipes and stands between it and the editor, so an editor that runs one server per buffer
 * (Eglot) gets both the real server and Understudy. This file routes and keeps the call
 * table; wrap_peek.c reads messages, wrap_merge.c merges answers, wrap_child.c runs the process.
 *
 * Routing (client -> us), decided from a peek at the message's top-level keys, never a full
 * parse for traffic we only pass on:
 *   - responses (to the child's requests) and every method not listed below: forwarded raw to
 *     the child; requests are remembered by id so the child's answer goes back raw, and so a
 *     dead child's pending requests can be failed.
 *   - document sync, initialized, didChangeConfiguration, $/setTrace, $/cancelRequest, exit:
 *     forwarded raw AND handled by Understudy (its documents follow the child's).
 *   - initialize, shutdown, textDocument/completion: forwarded, handled by Understudy too, and
 *     both answers merged into one (the outbox's reply hook hands wrap Understudy's answer).
 *   - textDocument/inlineCompletion, understudy/ methods, workspace/executeCommand of understudy.*
 *     commands, completionItem/resolve of Understudy's own items: Understudy's only.
 * Child -> us: requests and notifications go to the client raw (publishDiagnostics,
 * workspace/configuration, client/registerCapability, ...); responses are matched by id.
 *
 * Ids: forwarded requests keep the client's ids (the client keeps them unique), and the child's
 * requests keep the child's ids (the client answers them, and Understudy sends no requests to
 * the client). Understudy's own requests to the child use string ids "us-wrap-N"; their answers
 * are never forwarded.
 *
 * Merges: initialize = the child's result plus inlineCompletionProvider, completion trigger
 * characters and executeCommand commands unioned; the child's position encoding is kept and
 * Understudy's documents switch to it. completion = Understudy's AI item first, then the
 * child's items, then Understudy's local items (sorted after the child's), deduplicated by
 * label and inserted text; isIncomplete when either side says so. The child gets
 * WRAP_COMPLETION_CHILD_MS to answer a completion (a generous bound: the editor would have
 * waited for it without us); past that, Understudy's items go out alone with isIncomplete so
 * the next keystroke asks again, and the child's late answer is dropped.
 *
 * Child death: one window/showMessage; pending and later forwarded requests get RequestFailed
 * (-32803); Understudy's own features keep working. */
#include "wrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "list.h"
#include "outbox.h"
#include "rpc.h"
#include "wrap_child.h"
#include "wrap_merge.h"
#include "wrap_peek.h"

#define WRAP_COMPLETION_CHILD_MS 2000
#define WRAP_INIT_CHILD_MS 20000
#define WRAP_SHUTDOWN_CHILD_MS 3000

enum call_kind {
    CALL_PASS,       /* plain forwarded request: the child's answer goes back raw */
    CALL_INIT,       /* merged */
    CALL_COMPLETION, /* merged */
    CALL_SHUTDOWN,   /* merged: answered when the child has shut down */
    CALL_DROP,       /* answered already (timeout) or our own: swallow the child's answer */
};

/* A client request the child has been asked. */
struct call {
    char *key;           /* the id's JSON text, as both sides write it */
    json_t *id;          /* NULL for CALL_PASS until needed */
    enum call_kind kind;
    bool child_done, local_done;
    bool child_timed_out;
    json_t *child_msg;   /* the child's whole response, owned; NULL when it had none */
    json_t *local_result; /* owned; NULL when Understudy's part failed */
    int local_code;
    char *local_msg;
    uint64_t deadline_ms; /* 0: none */
    struct us_list link;  /* in wrap.calls */
};

struct wrap {
    struct outbox *ob;    /* borrowed: the server's */
    const struct wrap_host *host;
    void *host_ud;
    char *name;           /* the child's program, for messages */
    struct wrap_child *child;
    uv_timer_t deadline;  /* earliest call deadline */
    bool timer_open;
    bool alive;           /* the child is running and we may write to it */
    bool finishing;
    bool exit_forwarded;
    bool death_reported, death_message_due;
    int64_t exit_status;
    int term_signal;
    struct us_list calls; /* of call.link, newest first */
    uint64_t next_internal;
};

/* ------------------------------------------------------------------ output */

static void to_client_raw(struct wrap *w, const char *body, size_t len)
{
    if (!w->finishing)
        outbox_send_raw(w->ob, body, len);
}

static void to_child_raw(struct wrap *w, const char *body, size_t len)
{
    if (w->alive)
        wrap_child_send(w->child, body, len);
}

/* Serialise msg (stolen) and hand it to one side. */
static void send_json(struct wrap *w, json_t *msg,
                      void (*raw)(struct wrap *, const char *, size_t))
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (text)
        raw(w, text, strlen(text));
    free(text);
}

static void to_client_json(struct wrap *w, json_t *msg)
{
    send_json(w, msg, to_client_raw);
}

static void to_child_json(struct wrap *w, json_t *msg)
{
    send_json(w, msg, to_child_raw);
}

/* ------------------------------------------------------------------ calls */

static struct call *call_find(struct wrap *w, const char *key, size_t len)
{
    struct us_list *l;
    US_LIST_FOREACH(l, &w->calls) {
        struct call *c = US_LIST_ENTRY(l, struct call, link);
        if (strlen(c->key) == len && memcmp(c->key, key, len) == 0)
            return c;
    }
    return NULL;
}

static void arm_deadline(struct wrap *w);

static struct call *call_add(struct wrap *w, const char *key, size_t len, enum call_kind kind)
{
    struct call *c = xcalloc(1, sizeof(*c));
    c->key = xstrndup(key, len);
    c->kind = kind;
    us_list_add_head(&w->calls, &c->link);
    uint64_t ms = kind == CALL_COMPLETION ? WRAP_COMPLETION_CHILD_MS
                  : kind == CALL_INIT     ? WRAP_INIT_CHILD_MS
                  : kind == CALL_SHUTDOWN ? WRAP_SHUTDOWN_CHILD_MS
                                          : 0;
    if (ms) {
        c->deadline_ms = us_now_ms() + ms;
        arm_deadline(w);
    }
    return c;
}

static void call_free(struct call *c)
{
    us_list_del(&c->link);
    free(c->key);
    json_decref(c->id);
    json_decref(c->child_msg);
    json_decref(c->local_result);
    free(c->local_msg);
    free(c);
}

static void free_calls(struct wrap *w)
{
    struct us_list *l;
    while ((l = us_list_first(&w->calls)))
        call_free(US_LIST_ENTRY(l, struct call, link));
}

static json_t *call_id(struct call *c)
{
    if (!c->id)
        c->id = json_loads(c->key, JSON_DECODE_ANY, NULL);
    return c->id ? c->id : json_null();
}

/* ------------------------------------------------------------------ merging */

/* The merged initialize chose the position encoding: Understudy's documents follow it. */
static void apply_encoding(struct wrap *w, json_t *result)
{
    const char *name;
    enum pos_encoding enc = wrap_merge_encoding(result, &name);
    if (strcmp(name, "utf-8") != 0 && strcmp(name, "utf-16") != 0)
        LOG_W("wrap", "%s chose position encoding %s, which Understudy cannot convert; "
                      "its completions assume utf-16", w->name, name);
    w->host->set_encoding(w->host_ud, enc);
    LOG_I("wrap", "position encoding: %s (chosen by %s)", name, w->name);
}

static void show_death(struct wrap *w);

static json_t *merge_init_applied(struct wrap *w, json_t *child, json_t *local)
{
    json_t *res = wrap_merge_init(child, local);
    apply_encoding(w, res);
    return res;
}

/* Both halves of a merged call are in: answer the client. */
static void call_finish(struct wrap *w, struct call *c)
{
    json_t *child_result = c->child_msg ? json_object_get(c->child_msg, "result") : NULL;
    json_t *child_error = c->child_msg ? json_object_get(c->child_msg, "error") : NULL;
    json_t *id = call_id(c);
    bool show_after = false;
    switch (c->kind) {
    case CALL_INIT:
        if (child_error && !child_result) {
            to_client_json(w, json_pack("{s:s, s:O, s:O}", "jsonrpc", "2.0", "id", id, "error",
                                        child_error));
        } else if (!c->local_result) {
            to_client_json(w, rpc_error(id, c->local_code, c->local_msg, NULL));
        } else {
            json_t *res = child_result ? merge_init_applied(w, child_result, c->local_result)
                                       : json_incref(c->local_result);
            to_client_json(w, rpc_response(id, res));
            show_after = !w->alive;
        }
        break;
    case CALL_COMPLETION:
        if (!c->local_result && !child_result) {
            if (child_error)
                to_client_json(w, json_pack("{s:s, s:O, s:O}", "jsonrpc", "2.0", "id", id,
                                            "error", child_error));
            else
                to_client_json(w, rpc_error(id, c->local_code ? c->local_code
                                                              : RPC_REQUEST_FAILED,
                                            c->local_msg ? c->local_msg : "no completion",
                                            NULL));
        } else {
            to_client_json(w, rpc_response(id, wrap_merge_completion(
                                                   child_result, c->local_result,
                                                   c->child_timed_out)));
        }
        break;
    case CALL_SHUTDOWN:
        to_client_json(w, rpc_response(id, json_null()));
        break;
    default:
        break;
    }
    if (c->child_timed_out && c->kind != CALL_SHUTDOWN && w->alive) {
        /* Keep the entry so the late answer is swallowed, and ask the child to stop. */
        c->kind = CALL_DROP;
        c->deadline_ms = 0;
        to_child_json(w, rpc_notification("$/cancelRequest", json_pack("{s:O}", "id", id)));
    } else {
        call_free(c);
    }
    if (show_after)
        show_death(w);
}

static void call_maybe_finish(struct wrap *w, struct call *c)
{
    if (c->child_done && c->local_done)
        call_finish(w, c);
}

static void fail_pass(struct wrap *w, struct call *c)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "the wrapped language server (%.100s) is not running", w->name);
    to_client_json(w, rpc_error(call_id(c), RPC_REQUEST_FAILED, msg, NULL));
}

/* ------------------------------------------------------------------ deadlines */

static void on_deadline(uv_timer_t *t)
{
    struct wrap *w = t->data;
    uint64_t now = us_now_ms();
    struct us_list *l, *tmp;
    US_LIST_FOREACH_SAFE(l, tmp, &w->calls) {
        struct call *c = US_LIST_ENTRY(l, struct call, link);
        if (!c->deadline_ms || c->deadline_ms > now || c->child_done)
            continue;
        LOG_W("wrap", "%s did not answer request %s in time; answering without it", w->name,
              c->key);
        c->deadline_ms = 0;
        c->child_done = true;
        c->child_timed_out = true;
        call_maybe_finish(w, c);
    }
    arm_deadline(w);
}

static void arm_deadline(struct wrap *w)
{
    if (!w->timer_open)
        return;
    uint64_t first = 0;
    struct us_list *l;
    US_LIST_FOREACH(l, &w->calls) {
        struct call *c = US_LIST_ENTRY(l, struct call, link);
        if (c->deadline_ms && !c->child_done && (!first || c->deadline_ms < first))
            first = c->deadline_ms;
    }
    if (!first) {
        uv_timer_stop(&w->deadline);
        return;
    }
    uint64_t now = us_now_ms();
    uv_timer_start(&w->deadline, on_deadline, first > now ? first - now : 0, 0);
}

/* ------------------------------------------------------------------ child -> client */

static void on_child_body(void *ud, const char *body, size_t len)
{
    struct wrap *w = ud;
    struct wrap_peek pk;
    if (wrap_peek_message(body, len, &pk) < 0) {
        LOG_W("wrap", "%s sent a message that is not a JSON object; dropped", w->name);
        return;
    }
    if (pk.has_method) {
        /* The child's requests and notifications: the client deals with them. */
        to_client_raw(w, body, len);
        return;
    }
    struct call *c = pk.id ? call_find(w, pk.id, pk.id_len) : NULL;
    if (!c) {
        LOG_D("wrap", "answer from %s to an unknown request %.*s dropped", w->name,
              (int)US_MIN(pk.id_len, (size_t)64), pk.id ? pk.id : "");
        return;
    }
    switch (c->kind) {
    case CALL_PASS:
        to_client_raw(w, body, len);
        call_free(c);
        return;
    case CALL_DROP:
        call_free(c);
        return;
    default:
        break;
    }
    c->child_msg = json_loadb(body, len, 0, NULL);
    c->child_done = true;
    c->deadline_ms = 0;
    call_maybe_finish(w, c);
}

/* ------------------------------------------------------------------ child life */

static void show_death(struct wrap *w)
{
    if (w->death_reported || w->finishing)
        return;
    if (w->host->state(w->host_ud) == LSP_STATE_UNINIT) {
        w->death_message_due = true; /* said after initialize */
        return;
    }
    w->death_reported = true;
    w->death_message_due = false;
    char msg[512];
    if (w->term_signal)
        snprintf(msg, sizeof(msg),
                 "Understudy: the language server %.200s was killed by signal %d. Understudy's "
                 "completions keep working; its other features are unavailable until you "
                 "restart the server.", w->name, w->term_signal);
    else if (w->exit_status == -1)
        snprintf(msg, sizeof(msg),
                 "Understudy: could not start the language server %.200s. Understudy's "
                 "completions work; its other features are unavailable.", w->name);
    else
        snprintf(msg, sizeof(msg),
                 "Understudy: the language server %.200s exited (status %lld). Understudy's "
                 "completions keep working; its other features are unavailable until you "
                 "restart the server.", w->name, (long long)w->exit_status);
    LOG_W("wrap", "%s", msg);
    outbox_show_message(w->ob, 1, msg);
}

/* The child is gone: answer everything that waited on it. */
static void child_gone(struct wrap *w)
{
    w->alive = false;
    wrap_child_close_stdin(w->child);
    struct us_list *l, *tmp;
    US_LIST_FOREACH_SAFE(l, tmp, &w->calls) {
        struct call *c = US_LIST_ENTRY(l, struct call, link);
        if (c->kind == CALL_PASS) {
            fail_pass(w, c);
            call_free(c);
        } else if (c->kind == CALL_DROP) {
            call_free(c);
        } else if (!c->child_done) {
            c->child_done = true;
            c->deadline_ms = 0;
            call_maybe_finish(w, c);
        }
    }
    arm_deadline(w);
}

static void close_timer(struct wrap *w)
{
    if (w->timer_open) {
        w->timer_open = false;
        uv_close((uv_handle_t *)&w->deadline, NULL);
    }
}

static void on_child_exit(void *ud, int64_t status, int sig)
{
    struct wrap *w = ud;
    w->exit_status = status;
    w->term_signal = sig;
    if (w->finishing) {
        w->alive = false;
        close_timer(w);
        return;
    }
    child_gone(w);
    show_death(w);
}

static bool local_reply(void *ud, json_t *id, json_t *result, int code, const char *msg);

int wrap_start(struct wrap **out, uv_loop_t *loop, struct outbox *ob,
               const struct wrap_host *host, void *host_ud, char *const *argv)
{
    static const struct wrap_child_callbacks child_cb = {on_child_body, on_child_exit};
    struct wrap *w = xcalloc(1, sizeof(*w));
    us_list_init(&w->calls);
    *out = w;
    w->ob = ob;
    w->host = host;
    w->host_ud = host_ud;
    uv_timer_init(loop, &w->deadline);
    w->deadline.data = w;
    w->timer_open = true;
    outbox_set_reply_hook(ob, local_reply, w);
    int rc = wrap_child_spawn(&w->child, loop, argv, &child_cb, w);
    w->name = xstrdup(wrap_child_name(w->child));
    if (rc < 0) {
        w->exit_status = -1;
        w->death_message_due = true;
        return rc == UV_ENOENT ? US_ENOENT : US_EIO;
    }
    w->alive = true;
    return 0;
}

void wrap_finish(struct wrap *w)
{
    if (w->finishing)
        return;
    if (!w->exit_forwarded && w->alive) {
        /* The client went away without `exit`: end the child's session politely. */
        char id[32];
        snprintf(id, sizeof(id), "us-wrap-%llu", (unsigned long long)++w->next_internal);
        to_child_json(w, rpc_request(json_string(id), "shutdown", NULL));
        to_child_json(w, rpc_notification("exit", NULL));
    }
    w->finishing = true;
    free_calls(w);
    if (!wrap_child_running(w->child))
        close_timer(w);
    else
        uv_timer_stop(&w->deadline);
    wrap_child_end(w->child);
}

void wrap_free(struct wrap *w)
{
    if (!w)
        return;
    free_calls(w);
    wrap_child_free(w->child);
    free(w->name);
    free(w);
}

/* ------------------------------------------------------------------ client -> child */

enum route {
    ROUTE_CHILD,      /* forward only */
    ROUTE_BOTH,       /* forward, and Understudy handles it too */
    ROUTE_OWN,        /* Understudy only */
    ROUTE_INIT,       /* merged */
    ROUTE_COMPLETION, /* merged */
    ROUTE_SHUTDOWN,   /* merged */
    ROUTE_EXIT,       /* forward, then Understudy exits */
    ROUTE_COMMAND,    /* by command name */
    ROUTE_RESOLVE,    /* by whose item it is */
};

/* The routing table, as data (methods not listed go to the child only). */
static const struct {
    const char *method;
    enum route route;
} routes[] = {
    {"initialize", ROUTE_INIT},
    {"initialized", ROUTE_BOTH},
    {"shutdown", ROUTE_SHUTDOWN},
    {"exit", ROUTE_EXIT},
    {"$/cancelRequest", ROUTE_BOTH},
    {"$/setTrace", ROUTE_BOTH},
    {"textDocument/didOpen", ROUTE_BOTH},
    {"textDocument/didChange", ROUTE_BOTH},
    {"textDocument/didClose", ROUTE_BOTH},
    {"textDocument/didSave", ROUTE_BOTH},
    {"workspace/didChangeConfiguration", ROUTE_BOTH},
    {"textDocument/completion", ROUTE_COMPLETION},
    {"textDocument/inlineCompletion", ROUTE_OWN},
    {"workspace/executeCommand", ROUTE_COMMAND},
    {"completionItem/resolve", ROUTE_RESOLVE},
};

static enum route route_of(const char *method)
{
    if (strncmp(method, "understudy/", 11) == 0)
        return ROUTE_OWN;
    for (size_t i = 0; i < US_ARRAY_LEN(routes); i++)
        if (strcmp(routes[i].method, method) == 0)
            return routes[i].route;
    return ROUTE_CHILD;
}

/* Forward a request to the child, or fail it at once when the child is gone. */
static void forward_request(struct wrap *w, const struct wrap_peek *pk, const char *body, size_t len)
{
    if (!w->alive) {
        struct call tmp;
        memset(&tmp, 0, sizeof(tmp));
        tmp.key = xstrndup(pk->id, pk->id_len);
        fail_pass(w, &tmp);
        free(tmp.key);
        json_decref(tmp.id);
        return;
    }
    call_add(w, pk->id, pk->id_len, CALL_PASS);
    to_child_raw(w, body, len);
}

/* A merged request: forward it and let Understudy answer too. Returns false (dispatch it). */
static bool forward_merged(struct wrap *w, const struct wrap_peek *pk, const char *body, size_t len,
                           enum call_kind kind)
{
    if (w->alive && !call_find(w, pk->id, pk->id_len)) {
        call_add(w, pk->id, pk->id_len, kind);
        to_child_raw(w, body, len);
    }
    return false;
}

bool wrap_from_client(struct wrap *w, const char *body, size_t len)
{
    struct wrap_peek pk;
    if (w->finishing || wrap_peek_message(body, len, &pk) < 0)
        return false; /* the server reports malformed messages */
    if (!pk.has_method) {
        /* The client's answer to one of the child's requests. */
        if (pk.id && pk.has_result)
            to_child_raw(w, body, len);
        return true;
    }
    if (!pk.method[0])
        return false; /* a method name we cannot route: the server answers it */
    bool is_request = pk.id != NULL;
    enum route r = route_of(pk.method);
    enum lsp_state st = w->host->state(w->host_ud);
    switch (r) {
    case ROUTE_OWN:
        return false;
    case ROUTE_BOTH:
        to_child_raw(w, body, len);
        if (w->death_message_due && strcmp(pk.method, "initialized") == 0)
            show_death(w);
        return false;
    case ROUTE_EXIT:
        to_child_raw(w, body, len);
        w->exit_forwarded = true;
        return false;
    case ROUTE_INIT:
    case ROUTE_COMPLETION:
    case ROUTE_SHUTDOWN: {
        /* Merge only when Understudy will answer too (the right state); else the child's
         * answer (an error, most likely) goes back alone. */
        enum lsp_state want = r == ROUTE_INIT ? LSP_STATE_UNINIT : LSP_STATE_RUNNING;
        bool params_ok = !pk.params0 || pk.params0 == '{' || pk.params0 == 'n';
        if (!is_request || st != want || !params_ok) {
            if (is_request)
                forward_request(w, &pk, body, len);
            else
                to_child_raw(w, body, len);
            return true;
        }
        return forward_merged(w, &pk, body, len,
                              r == ROUTE_INIT         ? CALL_INIT
                              : r == ROUTE_COMPLETION ? CALL_COMPLETION
                                                      : CALL_SHUTDOWN);
    }
    case ROUTE_COMMAND:
    case ROUTE_RESOLVE: {
        json_t *msg = json_loadb(body, len, 0, NULL);
        json_t *params = json_object_get(msg, "params");
        bool own;
        if (r == ROUTE_COMMAND) {
            const char *cmd = json_string_value(json_object_get(params, "command"));
            own = cmd && strncmp(cmd, "understudy.", 11) == 0;
        } else {
            own = wrap_is_ai_item(params) ||
                  json_is_string(json_object_get(json_object_get(params, "data"), "source"));
            if (own && is_request) {
                /* Understudy's items are complete as sent: resolving returns them as is. */
                to_client_json(w, rpc_response(json_object_get(msg, "id"),
                                               json_incref(params)));
                json_decref(msg);
                return true;
            }
        }
        json_decref(msg);
        if (own)
            return false;
        break;
    }
    case ROUTE_CHILD:
        break;
    }
    if (is_request)
        forward_request(w, &pk, body, len);
    else
        to_child_raw(w, body, len);
    return true;
}

/* The outbox's reply hook: the server is about to answer the client's request `id` (borrowed)
 * with `result` (code 0) or with the error code/msg. Returns true when wrap mode takes the
 * answer over, to merge it with the child's (result is then stolen). */
static bool local_reply(void *ud, json_t *id, json_t *result, int code, const char *msg)
{
    struct wrap *w = ud;
    if (w->finishing || !id)
        return false;
    char *key = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY);
    struct call *c = key ? call_find(w, key, strlen(key)) : NULL;
    free(key);
    if (!c || c->kind == CALL_PASS || c->kind == CALL_DROP || c->local_done)
        return false;
    c->local_done = true;
    if (code == 0) {
        c->local_result = result ? result : json_null();
    } else {
        c->local_code = code;
        c->local_msg = xstrdup(msg ? msg : "");
    }
    if (!c->id)
        c->id = json_incref(id);
    call_maybe_finish(w, c);
    return true;
}
