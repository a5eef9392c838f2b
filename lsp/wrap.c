/* wrap: wrap mode. `understudy --wrap -- CMD ARGS...` runs CMD (clangd, pyright, ...) as a child
 * on pipes and stands between it and the editor, so an editor that runs one server per buffer
 * (Eglot) gets both the real server and Understudy.
 *
 * Routing (client -> us), decided from a peek at the message's top-level keys, never a full
 * parse for traffic we only pass on:
 *   - responses (to the child's requests) and every method not listed below: forwarded raw to
 *     the child; requests are remembered by id so the child's answer goes back raw, and so a
 *     dead child's pending requests can be failed.
 *   - document sync, initialized, didChangeConfiguration, $/setTrace, $/cancelRequest, exit:
 *     forwarded raw AND handled by Understudy (its documents follow the child's).
 *   - initialize, shutdown, textDocument/completion: forwarded, handled by Understudy too, and
 *     both answers merged into one (wrap_local_reply takes Understudy's answer over).
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

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"
#include "server_int.h"

#define WRAP_COMPLETION_CHILD_MS 2000
#define WRAP_INIT_CHILD_MS 20000
#define WRAP_SHUTDOWN_CHILD_MS 3000
#define WRAP_EXIT_GRACE_MS 1000
#define WRAP_READ_CHUNK (64 * 1024)

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
    struct call *prev, *next;
};

struct wrap {
    struct lsp_server *s;
    char *name;           /* the child's program, for messages */
    uv_process_t proc;
    uv_pipe_t in, out;    /* child's stdin (we write), child's stdout (we read) */
    uv_shutdown_t shut;
    uv_timer_t deadline;  /* earliest call deadline */
    uv_timer_t kill_timer;
    bool proc_open, in_open, out_open, timers_open;
    bool alive;           /* the child is running and we may write to it */
    bool finishing;
    bool exit_forwarded;
    bool death_reported, death_message_due;
    int kill_stage;
    int64_t exit_status;
    int term_signal;
    struct framer *fr;
    char *read_buf;
    struct call *calls;
    uint64_t next_internal;
};

/* ------------------------------------------------------------------ peeking */

/* What routing needs from a message, read without building a JSON tree. */
struct peek {
    const char *id;      /* raw JSON text of the id, or NULL */
    size_t id_len;
    bool has_method, has_result;
    char params0;        /* first byte of params, 0 when absent */
    char method[128];    /* empty when absent, escaped or too long */
};

static size_t skip_ws(const char *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i;
}

/* Index just past the string starting at p[i] == '"', or n + 1 when unterminated. */
static size_t skip_string(const char *p, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '"')
            return i + 1;
    }
    return n + 1;
}

/* Index just past the JSON value at p[i], or n + 1 when malformed. Nesting is tracked only as
 * a depth count: the value's inside is validated later by whoever parses it. */
static size_t skip_value(const char *p, size_t n, size_t i)
{
    if (i >= n)
        return n + 1;
    if (p[i] == '"')
        return skip_string(p, n, i);
    if (p[i] == '{' || p[i] == '[') {
        size_t depth = 0;
        while (i < n) {
            char c = p[i];
            if (c == '"') {
                i = skip_string(p, n, i);
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return i + 1;
            }
            i++;
        }
        return n + 1;
    }
    while (i < n && !strchr(",}] \t\r\n", p[i]))
        i++;
    return i;
}

static int peek_message(const char *p, size_t n, struct peek *pk)
{
    memset(pk, 0, sizeof(*pk));
    size_t i = skip_ws(p, n, 0);
    if (i >= n || p[i] != '{')
        return US_EPARSE;
    i = skip_ws(p, n, i + 1);
    if (i < n && p[i] == '}')
        return 0;
    while (i < n) {
        if (p[i] != '"')
            return US_EPARSE;
        size_t kstart = i + 1, kend = skip_string(p, n, i);
        if (kend > n)
            return US_EPARSE;
        size_t klen = kend - 1 - kstart;
        i = skip_ws(p, n, kend);
        if (i >= n || p[i] != ':')
            return US_EPARSE;
        i = skip_ws(p, n, i + 1);
        size_t vstart = i, vend = skip_value(p, n, i);
        if (vend > n || vend == vstart)
            return US_EPARSE;
        const char *k = p + kstart;
        if (klen == 2 && memcmp(k, "id", 2) == 0) {
            pk->id = p + vstart;
            pk->id_len = vend - vstart;
        } else if (klen == 6 && memcmp(k, "method", 6) == 0) {
            pk->has_method = true;
            size_t mlen = vend - vstart;
            if (p[vstart] == '"' && mlen - 2 < sizeof(pk->method) &&
                !memchr(p + vstart + 1, '\\', mlen - 2)) {
                memcpy(pk->method, p + vstart + 1, mlen - 2);
                pk->method[mlen - 2] = '\0';
            }
        } else if (klen == 6 && memcmp(k, "params", 6) == 0) {
            pk->params0 = p[vstart];
        } else if ((klen == 6 && memcmp(k, "result", 6) == 0) ||
                   (klen == 5 && memcmp(k, "error", 5) == 0)) {
            pk->has_result = true;
        }
        i = skip_ws(p, n, vend);
        if (i < n && p[i] == ',') {
            i = skip_ws(p, n, i + 1);
            continue;
        }
        if (i < n && p[i] == '}')
            return 0;
        return US_EPARSE;
    }
    return US_EPARSE;
}

/* ------------------------------------------------------------------ output */

static void to_client_raw(struct wrap *w, const char *body, size_t len)
{
    if (!w->finishing && w->s->tr)
        transport_send(w->s->tr, body, len);
}

static void to_client_json(struct wrap *w, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (text)
        to_client_raw(w, text, strlen(text));
    free(text);
}

struct child_write {
    uv_write_t req;
    char data[];
};

static void child_write_cb(uv_write_t *req, int status)
{
    if (status < 0 && status != UV_ECANCELED)
        LOG_D("wrap", "write to the child failed: %s", uv_strerror(status));
    free(req);
}

static void to_child_raw(struct wrap *w, const char *body, size_t len)
{
    if (!w->alive || !w->in_open)
        return;
    char header[64];
    int hl = snprintf(header, sizeof(header), "Content-Length: %zu\r\n\r\n", len);
    struct child_write *cw = xmalloc(sizeof(*cw) + (size_t)hl + len);
    memcpy(cw->data, header, (size_t)hl);
    memcpy(cw->data + hl, body, len);
    uv_buf_t b = uv_buf_init(cw->data, (unsigned)((size_t)hl + len));
    if (uv_write(&cw->req, (uv_stream_t *)&w->in, &b, 1, child_write_cb) < 0)
        free(cw);
}

static void to_child_json(struct wrap *w, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (text)
        to_child_raw(w, text, strlen(text));
    free(text);
}

/* ------------------------------------------------------------------ calls */

static struct call *call_find(struct wrap *w, const char *key, size_t len)
{
    for (struct call *c = w->calls; c; c = c->next)
        if (strlen(c->key) == len && memcmp(c->key, key, len) == 0)
            return c;
    return NULL;
}

static void arm_deadline(struct wrap *w);

static struct call *call_add(struct wrap *w, const char *key, size_t len, enum call_kind kind)
{
    struct call *c = xcalloc(1, sizeof(*c));
    c->key = xstrndup(key, len);
    c->kind = kind;
    c->next = w->calls;
    if (w->calls)
        w->calls->prev = c;
    w->calls = c;
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

static void call_free(struct wrap *w, struct call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        w->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c->key);
    json_decref(c->id);
    json_decref(c->child_msg);
    json_decref(c->local_result);
    free(c->local_msg);
    free(c);
}

static json_t *call_id(struct call *c)
{
    if (!c->id)
        c->id = json_loads(c->key, JSON_DECODE_ANY, NULL);
    return c->id ? c->id : json_null();
}

/* ------------------------------------------------------------------ merging */

static void apply_encoding(struct wrap *w, json_t *result)
{
    json_t *caps = json_object_get(result, "capabilities");
    json_t *enc = json_object_get(caps, "positionEncoding");
    if (!json_is_string(enc))
        enc = json_object_get(result, "offsetEncoding"); /* clangd's pre-3.17 extension */
    const char *name = json_is_string(enc) ? json_string_value(enc) : "utf-16";
    if (strcmp(name, "utf-8") == 0) {
        w->s->enc = POS_UTF8;
    } else {
        if (strcmp(name, "utf-16") != 0)
            LOG_W("wrap", "%s chose position encoding %s, which Understudy cannot convert; "
                          "its completions assume utf-16", w->name, name);
        w->s->enc = POS_UTF16;
    }
    LOG_I("wrap", "position encoding: %s (chosen by %s)", name, w->name);
}

/* Append the strings of `from` missing in the array `into`. */
static void union_strings(json_t *into, json_t *from)
{
    size_t i, j;
    json_t *v, *u;
    json_array_foreach(from, i, v) {
        bool found = false;
        json_array_foreach(into, j, u) {
            if (json_equal(u, v)) {
                found = true;
                break;
            }
        }
        if (!found)
            json_array_append(into, v);
    }
}

/* Union the string array at obj[key] with other[key]. */
static void union_member(json_t *obj, json_t *other, const char *key)
{
    json_t *from = json_object_get(other, key);
    if (!json_is_array(from))
        return;
    json_t *into = json_object_get(obj, key);
    if (!json_is_array(into)) {
        json_object_set_new(obj, key, json_array());
        into = json_object_get(obj, key);
    }
    union_strings(into, from);
}

/* The child's initialize result with Understudy's features added. Both borrowed; returns a
 * new reference. */
static json_t *merge_init(struct wrap *w, json_t *child, json_t *local)
{
    json_t *res = json_deep_copy(json_is_object(child) ? child : json_object());
    json_t *caps = json_object_get(res, "capabilities");
    if (!json_is_object(caps)) {
        json_object_set_new(res, "capabilities", json_object());
        caps = json_object_get(res, "capabilities");
    }
    json_t *lcaps = json_object_get(local, "capabilities");
    json_t *inl = json_object_get(lcaps, "inlineCompletionProvider");
    if (inl)
        json_object_set(caps, "inlineCompletionProvider", inl);

    json_t *cp = json_object_get(caps, "completionProvider");
    json_t *lcp = json_object_get(lcaps, "completionProvider");
    if (!json_is_object(cp)) {
        if (lcp)
            json_object_set_new(caps, "completionProvider", json_deep_copy(lcp));
    } else {
        union_member(cp, lcp, "triggerCharacters");
    }

    json_t *ec = json_object_get(caps, "executeCommandProvider");
    json_t *lec = json_object_get(lcaps, "executeCommandProvider");
    if (!json_is_object(ec)) {
        if (lec)
            json_object_set_new(caps, "executeCommandProvider", json_deep_copy(lec));
    } else {
        union_member(ec, lec, "commands");
    }
    if (!json_object_get(res, "serverInfo"))
        json_object_set(res, "serverInfo", json_object_get(local, "serverInfo"));
    apply_encoding(w, res);
    return res;
}

static bool is_ai_item(json_t *item)
{
    const char *src = json_string_value(json_object_get(json_object_get(item, "data"), "source"));
    return src && strncmp(src, "local:", 6) != 0;
}

/* Label without the decoration some servers add (clangd: a leading space or "•"). */
static char *label_key(json_t *item)
{
    const char *l = json_string_value(json_object_get(item, "label"));
    if (!l)
        return NULL;
    for (;;) {
        if (*l == ' ' || *l == '\t')
            l++;
        else if (strncmp(l, "\xe2\x80\xa2", 3) == 0) /* U+2022 bullet */
            l += 3;
        else
            break;
    }
    size_t n = strlen(l);
    while (n && (l[n - 1] == ' ' || l[n - 1] == '\t'))
        n--;
    return xstrndup(l, n);
}

static const char *insert_text(json_t *item)
{
    const char *t = json_string_value(json_object_get(json_object_get(item, "textEdit"), "newText"));
    if (!t)
        t = json_string_value(json_object_get(item, "insertText"));
    return t;
}

/* Add item (borrowed) unless its label or inserted text was seen; seen is a set (object). */
static void add_unique(json_t *out, json_t *seen, json_t *item, const char *sort_prefix)
{
    char *key = label_key(item);
    const char *ins = insert_text(item);
    bool dup = (key && json_object_get(seen, key)) || (ins && json_object_get(seen, ins));
    if (!dup) {
        if (key)
            json_object_set_new(seen, key, json_true());
        if (ins)
            json_object_set_new(seen, ins, json_true());
        if (sort_prefix) {
            json_t *copy = json_copy(item);
            const char *st = json_string_value(json_object_get(item, "sortText"));
            char *ns = xasprintf("%s%s", sort_prefix, st ? st : key ? key : "");
            json_object_set_new(copy, "sortText", json_string(ns));
            free(ns);
            json_array_append_new(out, copy);
        } else {
            json_array_append(out, item);
        }
    }
    free(key);
}

/* Understudy's popup answer and the child's (either may be NULL), as one CompletionList. */
static json_t *merge_completion(json_t *child, json_t *local, bool child_timed_out)
{
    json_t *citems = json_is_array(child) ? child : json_object_get(child, "items");
    json_t *litems = json_object_get(local, "items");
    bool incomplete = child_timed_out || json_is_true(json_object_get(child, "isIncomplete")) ||
                      json_is_true(json_object_get(local, "isIncomplete"));
    json_t *out = json_array(), *seen = json_object();
    size_t i;
    json_t *it;
    /* "!" and "~" sort before and after the digits and letters servers use in sortText. */
    json_array_foreach(litems, i, it) {
        if (is_ai_item(it))
            add_unique(out, seen, it, "!");
    }
    json_array_foreach(citems, i, it) add_unique(out, seen, it, NULL);
    json_array_foreach(litems, i, it) {
        if (!is_ai_item(it))
            add_unique(out, seen, it, "~");
    }
    json_decref(seen);
    return json_pack("{s:b, s:o}", "isIncomplete", incomplete, "items", out);
}

static void show_death(struct wrap *w);

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
            json_t *res = child_result ? merge_init(w, child_result, c->local_result)
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
            to_client_json(w, rpc_response(id, merge_completion(child_result, c->local_result,
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
        call_free(w, c);
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
    for (struct call *c = w->calls, *next; c; c = next) {
        next = c->next;
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
    if (!w->timers_open)
        return;
    uint64_t first = 0;
    for (struct call *c = w->calls; c; c = c->next)
        if (c->deadline_ms && !c->child_done && (!first || c->deadline_ms < first))
            first = c->deadline_ms;
    if (!first) {
        uv_timer_stop(&w->deadline);
        return;
    }
    uint64_t now = us_now_ms();
    uv_timer_start(&w->deadline, on_deadline, first > now ? first - now : 0, 0);
}

/* ------------------------------------------------------------------ child -> client */

static void on_child_body(struct wrap *w, const char *body, size_t len)
{
    struct peek pk;
    if (peek_message(body, len, &pk) < 0) {
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
        call_free(w, c);
        return;
    case CALL_DROP:
        call_free(w, c);
        return;
    default:
        break;
    }
    c->child_msg = json_loadb(body, len, 0, NULL);
    c->child_done = true;
    c->deadline_ms = 0;
    call_maybe_finish(w, c);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct wrap *w = h->data;
    (void)suggested;
    if (!w->read_buf)
        w->read_buf = xmalloc(WRAP_READ_CHUNK);
    buf->base = w->read_buf;
    buf->len = WRAP_READ_CHUNK;
}

static void handle_closed(uv_handle_t *h)
{
    (void)h; /* the handles live inside struct wrap, freed after the loop ends */
}

static void close_out(struct wrap *w)
{
    if (w->out_open) {
        w->out_open = false;
        uv_close((uv_handle_t *)&w->out, handle_closed);
    }
}

static void close_in(struct wrap *w)
{
    if (w->in_open) {
        w->in_open = false;
        uv_close((uv_handle_t *)&w->in, handle_closed);
    }
}

static void read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    struct wrap *w = st->data;
    if (n < 0) {
        close_out(w);
        return;
    }
    if (n == 0)
        return;
    framer_feed(w->fr, buf->base, (size_t)n);
    for (;;) {
        const char *body, *why = NULL;
        size_t blen;
        int rc = framer_next(w->fr, &body, &blen, &why);
        if (rc == 0)
            break;
        if (rc < 0) {
            LOG_W("wrap", "bad framing from %s: %s", w->name, why);
            continue;
        }
        on_child_body(w, body, blen);
    }
}

/* ------------------------------------------------------------------ child life */

static void show_death(struct wrap *w)
{
    if (w->death_reported || w->finishing)
        return;
    if (w->s->state == LSP_STATE_UNINIT) {
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
    lsp_show_message(w->s, 1, msg);
}

/* The child is gone: answer everything that waited on it. */
static void child_gone(struct wrap *w)
{
    w->alive = false;
    close_in(w);
    for (struct call *c = w->calls, *next; c; c = next) {
        next = c->next;
        if (c->kind == CALL_PASS) {
            fail_pass(w, c);
            call_free(w, c);
        } else if (c->kind == CALL_DROP) {
            call_free(w, c);
        } else if (!c->child_done) {
            c->child_done = true;
            c->deadline_ms = 0;
            call_maybe_finish(w, c);
        }
    }
    arm_deadline(w);
}

static void close_timers(struct wrap *w)
{
    if (w->timers_open) {
        w->timers_open = false;
        uv_close((uv_handle_t *)&w->deadline, handle_closed);
        uv_close((uv_handle_t *)&w->kill_timer, handle_closed);
    }
}

static void exit_cb(uv_process_t *p, int64_t status, int sig)
{
    struct wrap *w = p->data;
    w->exit_status = status;
    w->term_signal = sig;
    LOG_I("wrap", "%s exited (status %lld, signal %d)", w->name, (long long)status, sig);
    w->proc_open = false;
    uv_close((uv_handle_t *)&w->proc, handle_closed);
    if (w->finishing) {
        w->alive = false;
        close_in(w);
        close_out(w);
        close_timers(w);
        return;
    }
    child_gone(w);
    show_death(w);
}

int wrap_start(struct lsp_server *s, char *const *argv)
{
    struct wrap *w = xcalloc(1, sizeof(*w));
    w->s = s;
    s->wrap = w;
    const char *slash = strrchr(argv[0], '/');
    w->name = xstrdup(slash ? slash + 1 : argv[0]);
    w->fr = framer_new(FRAMER_DEFAULT_MAX_BODY);
    uv_timer_init(s->loop, &w->deadline);
    uv_timer_init(s->loop, &w->kill_timer);
    w->deadline.data = w->kill_timer.data = w;
    w->timers_open = true;

    uv_pipe_init(s->loop, &w->in, 0);
    uv_pipe_init(s->loop, &w->out, 0);
    w->in.data = w->out.data = w;
    w->in_open = w->out_open = true;
    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
    stdio[0].data.stream = (uv_stream_t *)&w->in;
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&w->out;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = 2;
    uv_process_options_t opt;
    memset(&opt, 0, sizeof(opt));
    opt.file = argv[0];
    opt.args = (char **)argv;
    opt.exit_cb = exit_cb;
    opt.stdio = stdio;
    opt.stdio_count = 3;
    w->proc.data = w;
    int rc = uv_spawn(s->loop, &w->proc, &opt);
    if (rc < 0) {
        LOG_E("wrap", "cannot start %s: %s", argv[0], uv_strerror(rc));
        /* libuv wants the handle closed even when spawning failed. */
        uv_close((uv_handle_t *)&w->proc, handle_closed);
        close_in(w);
        close_out(w);
        w->exit_status = -1;
        w->death_message_due = true;
        return rc == UV_ENOENT ? US_ENOENT : US_EIO;
    }
    w->proc_open = true;
    w->alive = true;
    uv_read_start((uv_stream_t *)&w->out, alloc_cb, read_cb);
    LOG_I("wrap", "started %s (pid %d)", argv[0], w->proc.pid);
    return 0;
}

static void kill_tick(uv_timer_t *t)
{
    struct wrap *w = t->data;
    if (!w->proc_open)
        return;
    int sig = w->kill_stage++ == 0 ? SIGTERM : SIGKILL;
    LOG_W("wrap", "%s still running after exit; sending signal %d", w->name, sig);
    uv_process_kill(&w->proc, sig);
    if (sig == SIGTERM)
        uv_timer_start(&w->kill_timer, kill_tick, WRAP_EXIT_GRACE_MS, 0);
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    struct wrap *w = req->data;
    (void)status;
    close_in(w);
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
    while (w->calls)
        call_free(w, w->calls);
    if (!w->proc_open) {
        close_in(w);
        close_out(w);
        close_timers(w);
        return;
    }
    uv_timer_stop(&w->deadline);
    /* EOF on its stdin once the queued messages are written: most servers exit on that. */
    if (w->in_open) {
        w->shut.data = w;
        if (uv_shutdown(&w->shut, (uv_stream_t *)&w->in, shutdown_cb) < 0)
            close_in(w);
    }
    uv_timer_start(&w->kill_timer, kill_tick, WRAP_EXIT_GRACE_MS, 0);
}

void wrap_free(struct wrap *w)
{
    if (!w)
        return;
    while (w->calls)
        call_free(w, w->calls);
    framer_free(w->fr);
    free(w->read_buf);
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
static void forward_request(struct wrap *w, const struct peek *pk, const char *body, size_t len)
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
static bool forward_merged(struct wrap *w, const struct peek *pk, const char *body, size_t len,
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
    struct peek pk;
    if (w->finishing || peek_message(body, len, &pk) < 0)
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
    enum lsp_state st = w->s->state;
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
            own = is_ai_item(params) ||
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

bool wrap_local_reply(struct wrap *w, json_t *id, json_t *result, int code, const char *msg)
{
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
