/* fuzz_rpc: JSON-RPC parsing and dispatch of a headless server. Each input line is one message
 * body; it goes through rpc_parse and the same checks server.c's dispatch makes, into the real
 * handlers (document sync, completion on the local engine, the understudy requests); the first
 * byte of the input only chooses the position encoding (odd: UTF-16). After
 * every message the open documents must still be self-consistent. Methods that would reach
 * outside the process (configuration that could add network providers, initialize with a
 * workspace to scan, exit) are left out. */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "fuzz_util.h"
#include "rpc.h"
#include "server_int.h"

typedef void (*handler_fn)(struct lsp_server *s, struct lsp_request *req, json_t *params);

struct row {
    const char *name;
    handler_fn fn;
    int is_request;
};

static const struct row rows[] = {
    {"textDocument/didOpen", lsp_on_did_open, 0},
    {"textDocument/didChange", lsp_on_did_change, 0},
    {"textDocument/didClose", lsp_on_did_close, 0},
    {"textDocument/didSave", lsp_on_did_save, 0},
    {"textDocument/completion", lsp_on_completion, 1},
    {"textDocument/inlineCompletion", lsp_on_inline_completion, 1},
    {"understudy/documentText", lsp_on_document_text, 1},
    {"understudy/syntaxTree", lsp_on_syntax_tree, 1},
    {"workspace/executeCommand", lsp_on_execute_command, 1},
    {"$/cancelRequest", lsp_on_cancel, 0},
    {"$/setTrace", lsp_on_ignore, 0},
};

static uv_loop_t loop;
static struct lsp_server *srv;

/* One server for the whole run: building the completion engine (snippet library, local
 * engine) per input would make this target a hundred times slower. Each input starts with no
 * open document and no pending request; caches may carry over, as in a long editor session. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
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

/* Back to an empty session: cancel what is pending, close every document. */
static void reset_session(struct lsp_server *s)
{
    while (s->pending) {
        struct lsp_request *req = s->pending;
        if (req->cancel)
            req->cancel(req->cancel_ud);
        lsp_reply_error(s, req, RPC_REQUEST_CANCELLED, "fuzz input done");
    }
    uv_run(&loop, UV_RUN_NOWAIT);
    struct uris u = {NULL, 0};
    docstore_each(s->docs, collect_uri, &u);
    for (size_t i = 0; i < u.n; i++) {
        docstore_close(s->docs, u.v[i]);
        completion_doc_closed(s->engine, u.v[i]);
        free(u.v[i]);
    }
    free(u.v);
    FZ_ASSERT(docstore_count(s->docs) == 0, "documents left after closing all");
}

static void check_doc(struct doc *d, void *ud)
{
    (void)ud;
    FZ_ASSERT(d->text.data[d->text.len] == 0, "document text not NUL-terminated");
    struct line_index li;
    line_index_init(&li);
    line_index_build(&li, d->text.data, d->text.len);
    FZ_ASSERT(li.count == d->lines.count, "%s: line index has %zu lines, text has %zu", d->uri,
              d->lines.count, li.count);
    FZ_ASSERT(memcmp(li.starts, d->lines.starts, li.count * sizeof(*li.starts)) == 0,
              "%s: line index out of step with the text", d->uri);
    line_index_release(&li);
}

static void dispatch(struct lsp_server *s, struct rpc_msg *m)
{
    if (m->kind != RPC_REQUEST && m->kind != RPC_NOTIFICATION)
        return;
    int is_request = m->kind == RPC_REQUEST;
    const struct row *row = NULL;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (strcmp(rows[i].name, m->method) == 0)
            row = &rows[i];
    if (!row || row->is_request != is_request)
        return;
    if (m->params && !json_is_object(m->params) && !json_is_null(m->params))
        return;
    struct lsp_request *req = NULL;
    if (is_request) {
        req = xcalloc(1, sizeof(*req));
        req->id = json_incref(m->id);
        req->method = row->name;
        req->srv = s;
        req->next = s->pending;
        if (s->pending)
            s->pending->prev = req;
        s->pending = req;
    }
    row->fn(s, req, m->params ? m->params : json_null());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lsp_server *s = srv;
    s->enc = size > 0 && (data[0] & 1) ? POS_UTF16 : POS_UTF8;

    /* The first byte only picks the encoding; the lines after it are the messages. */
    const char *p = (const char *)data + (size > 0), *end = (const char *)data + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        struct rpc_msg m;
        if (rpc_parse(p, len, &m) == 0) {
            FZ_ASSERT(m.root != NULL, "parsed message without root");
            if (m.kind == RPC_REQUEST || m.kind == RPC_NOTIFICATION)
                FZ_ASSERT(m.method != NULL, "request without method");
            if (m.kind == RPC_REQUEST)
                FZ_ASSERT(json_is_integer(m.id) || json_is_string(m.id),
                          "request id of a type JSON-RPC does not allow");
            dispatch(s, &m);
            rpc_msg_release(&m);
        }
        uv_run(&loop, UV_RUN_NOWAIT);
        docstore_each(s->docs, check_doc, NULL);
        p += len + (nl ? 1 : 0);
    }
    reset_session(s);
    return 0;
}
