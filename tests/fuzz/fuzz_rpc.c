/* fuzz_rpc: the server's real input path: each input line is one message body, framed with a
 * Content-Length header and fed in random chunks to lsp_server_feed (the framer, rpc_parse,
 * the method table with its lifecycle gating, the real handlers: document sync, completion on
 * the local engine, cancellation, shutdown, the understudy requests). What the server sends goes
 * to an in-memory outbox sink, where every message must be valid JSON-RPC. The first byte of
 * the input only chooses the position encoding (odd: UTF-16). After every message the open
 * documents must still be self-consistent. An input filter (the hook wrap mode uses) keeps out
 * what would end the run's session or reach outside the process: `exit` and
 * workspace/didChangeConfiguration (it could add network providers). */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "fuzz_util.h"
#include "rpc.h"
#include "server.h"
#include "server_int.h"

static uv_loop_t loop;
static struct lsp_server *srv;
static uint64_t sent;

/* The outbox's sink: everything the server says must be a JSON-RPC 2.0 object. */
static void sink(void *ud, const char *body, size_t len)
{
    (void)ud;
    /* JSON_ALLOW_NUL: a document with a NUL is sent back as \u0000, which is valid JSON. */
    json_t *m = json_loadb(body, len, JSON_ALLOW_NUL, NULL);
    FZ_ASSERT(json_is_object(m), "the server sent something that is not a JSON object: %.*s",
              (int)(len > 200 ? 200 : len), body);
    json_t *v = json_object_get(m, "jsonrpc");
    FZ_ASSERT(json_is_string(v) && strcmp(json_string_value(v), "2.0") == 0,
              "the server sent a message without jsonrpc 2.0");
    FZ_ASSERT(json_object_get(m, "method") || json_object_get(m, "id"),
              "the server sent neither a notification nor a response");
    json_decref(m);
    sent++;
}

/* Sees every message before dispatch: checks rpc_parse's promises and drops what the run must
 * not do. */
static bool filter(void *ud, const char *body, size_t len)
{
    (void)ud;
    struct rpc_msg m;
    bool drop = false;
    if (rpc_parse(body, len, &m) != 0)
        return false;
    FZ_ASSERT(m.root != NULL, "parsed message without root");
    if (m.kind == RPC_REQUEST || m.kind == RPC_NOTIFICATION)
        FZ_ASSERT(m.method != NULL, "request without method");
    if (m.kind == RPC_REQUEST)
        FZ_ASSERT(json_is_integer(m.id) || json_is_string(m.id),
                  "request id of a type JSON-RPC does not allow");
    if (m.method && (strcmp(m.method, "exit") == 0 ||
                     strcmp(m.method, "workspace/didChangeConfiguration") == 0))
        drop = true;
    rpc_msg_release(&m);
    return drop;
}

static void feed_framed(struct lsp_server *s, const char *body, size_t len, uint64_t *rng)
{
    char header[64];
    int hl = snprintf(header, sizeof(header), "Content-Length: %zu\r\n\r\n", len);
    lsp_server_feed(s, header, (size_t)hl);
    for (size_t off = 0; off < len;) {
        size_t n = fz_chunk(rng, len - off);
        lsp_server_feed(s, body + off, n);
        off += n;
    }
}

static void feed_json(struct lsp_server *s, json_t *msg)
{
    uint64_t rng = 1;
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    feed_framed(s, text, strlen(text), &rng);
    free(text);
}

/* One server for the whole run: building the completion engine (snippet library, local
 * engine) per input would make this target a hundred times slower. It is initialized through
 * the real path; each input starts running, with no open document and no pending request;
 * caches may carry over, as in a long editor session. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Never read a developer's configuration. */
    setenv("XDG_CONFIG_HOME", "/nonexistent-understudy-fuzz", 1);
    setenv("HOME", "/nonexistent-understudy-fuzz", 1);
    unsetenv("UNDERSTUDY_CONFIG");
    log_set_level(LOG_ERROR);
    uv_loop_init(&loop);
    struct strbuf w, e;
    sb_init(&w);
    sb_init(&e);
    int rc;
    struct lsp_config *cfg = lsp_config_load(NULL, &w, &e, &rc);
    sb_release(&w);
    sb_release(&e);
    srv = lsp_server_new_headless(&loop, cfg);
    srv->state = LSP_STATE_UNINIT; /* as a stdio server starts */
    outbox_set_sink(srv->out, sink, NULL);
    lsp_server_set_input_filter(srv, filter, NULL);
    feed_json(srv, json_pack("{s:s, s:i, s:s, s:{s:{}}}", "jsonrpc", "2.0", "id", 0, "method",
                             "initialize", "params", "capabilities"));
    feed_json(srv, json_pack("{s:s, s:s, s:{}}", "jsonrpc", "2.0", "method", "initialized",
                             "params"));
    uv_run(&loop, UV_RUN_NOWAIT);
    FZ_ASSERT(srv->state == LSP_STATE_RUNNING && sent >= 1, "initialize was not answered");
    return 0;
}

struct uris {
    char **v;
    size_t n;
};

static void collect_uri(struct doc *d, void *ud)
{
    struct uris *u = ud;
    u->v = xrealloc(u->v, (u->n + 1) * sizeof(*u->v));
    u->v[u->n++] = xstrdup(d->uri);
}

/* Back to an empty running session: cancel what is pending, close every document (through
 * didClose, the real path). */
static void reset_session(struct lsp_server *s)
{
    outbox_cancel_all(s->out, "fuzz input done");
    uv_run(&loop, UV_RUN_NOWAIT);
    s->state = LSP_STATE_RUNNING; /* undo a `shutdown` */
    struct uris u = {NULL, 0};
    docstore_each(s->docs, collect_uri, &u);
    for (size_t i = 0; i < u.n; i++) {
        feed_json(s, json_pack("{s:s, s:s, s:{s:{s:s}}}", "jsonrpc", "2.0", "method",
                               "textDocument/didClose", "params", "textDocument", "uri",
                               u.v[i]));
        free(u.v[i]);
    }
    free(u.v);
    FZ_ASSERT(docstore_count(s->docs) == 0, "documents left after closing all");
    FZ_ASSERT(outbox_pending_count(s->out) == 0, "requests left pending");
}

static void check_doc(struct doc *d, void *ud)
{
    (void)ud;
    FZ_ASSERT(d->text.data[d->text.len] == 0, "document text not NUL-terminated");
    struct line_index li;
    line_index_init(&li);
    line_index_build(&li, d->text.data, d->text.len);
    const struct line_index *held = doc_lines(d);
    FZ_ASSERT(li.count == held->count, "%s: line index has %zu lines, text has %zu", d->uri,
              held->count, li.count);
    FZ_ASSERT(memcmp(li.starts, held->starts, li.count * sizeof(*li.starts)) == 0,
              "%s: line index out of step with the text", d->uri);
    line_index_release(&li);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lsp_server *s = srv;
    s->enc = size > 0 && (data[0] & 1) ? POS_UTF16 : POS_UTF8;
    uint64_t rng = fz_seed(data, size);

    /* The first byte only picks the encoding; the lines after it are the messages. */
    const char *p = (const char *)data + (size > 0), *end = (const char *)data + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        feed_framed(s, p, len, &rng);
        FZ_ASSERT(s->state != LSP_STATE_EXITED, "the session ended");
        uv_run(&loop, UV_RUN_NOWAIT);
        docstore_each(s->docs, check_doc, NULL);
        p += len + (nl ? 1 : 0);
    }
    reset_session(s);
    return 0;
}
