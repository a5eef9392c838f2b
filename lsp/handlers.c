/* handlers: initialize, document sync, configuration and the debugging requests. Completion
 * and status live in completion.c. */
#include <stdlib.h>
#include <string.h>

#include "completion.h"
#include "config_watch.h"
#include "context.h"
#include "logsink.h"
#include "outbox.h"
#include "rpc.h"
#include "server_int.h"
#include "syntax.h"
#include "syntax_glue.h"

void lsp__report_config(struct lsp_server *s, struct strbuf *warnings, struct strbuf *errors)
{
    if (warnings->len)
        LOG_W("config", "%.*s", (int)(warnings->len - 1), warnings->data);
    if (errors->len) {
        LOG_E("config", "%.*s", (int)(errors->len - 1), errors->data);
        struct strbuf msg;
        sb_init(&msg);
        sb_adds(&msg, "Understudy configuration error (the rest of the configuration applies):\n");
        sb_add(&msg, errors->data, errors->len);
        outbox_show_message(s->out, 1, msg.data);
        sb_release(&msg);
    }
}

static bool client_offers_utf8(json_t *caps)
{
    json_t *encs = json_object_get(json_object_get(caps, "general"), "positionEncodings");
    size_t i;
    json_t *e;
    json_array_foreach(encs, i, e) {
        if (json_is_string(e) && strcmp(json_string_value(e), "utf-8") == 0)
            return true;
    }
    return false;
}

void lsp_on_initialize(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    json_t *caps = json_object_get(params, "capabilities");
    s->client_caps = json_incref(json_is_object(caps) ? caps : json_object());
    s->enc = client_offers_utf8(caps) ? POS_UTF8 : POS_UTF16;
    json_t *snip = json_object_get(
        json_object_get(json_object_get(json_object_get(caps, "textDocument"), "completion"),
                        "completionItem"),
        "snippetSupport");
    s->snippet_support = json_is_true(snip);

    json_t *root = json_object_get(params, "rootUri");
    free(s->root_path);
    s->root_path = context_path_from_uri(json_is_string(root) ? json_string_value(root) : NULL);
    if (!s->root_path) {
        json_t *rp = json_object_get(params, "rootPath");
        if (json_is_string(rp))
            s->root_path = xstrdup(json_string_value(rp));
    }

    if (lsp_config_load_ignore_file(s->cfg, s->root_path) > 0)
        LOG_I("config", "%s/.understudyignore: files matching it are never sent to any "
                        "provider", s->root_path);

    json_t *opts = json_object_get(params, "initializationOptions");
    if (opts && !json_is_null(opts)) {
        struct strbuf w, e;
        sb_init(&w);
        sb_init(&e);
        lsp_config_set_layer(s->cfg, "initializationOptions", opts, &w, &e);
        lsp_config_apply_log(s->cfg); /* before anything else logs: trace from the start */
        lsp__report_config(s, &w, &e);
        sb_release(&w);
        sb_release(&e);
    }
    completion_engine_reconfigure(s->engine);

    s->state = LSP_STATE_RUNNING;
    /* "(" and " " open the popup so that clients without ghost text get the AI item there. A
     * client that shows inline completions gets it as ghost text instead: popping the menu
     * up at every space would be noise, and VS Code hides the ghost text while the menu loads
     * (it blinked off when typing through "(" of a suggestion). */
    json_t *tdc = json_object_get(json_object_get(params, "capabilities"), "textDocument");
    bool inline_client = json_is_object(json_object_get(tdc, "inlineCompletion"));
    json_t *triggers = json_pack("[s,s,s]", ".", ":", ">");
    if (!inline_client) {
        json_array_append_new(triggers, json_string("("));
        json_array_append_new(triggers, json_string(" "));
    }
    json_t *result = json_pack(
        "{s:{s:s, s:{s:b, s:i, s:{s:b}}, s:{s:o, s:b}, s:{}, s:{s:[s,s,s]}},"
        " s:{s:s, s:s}}",
        "capabilities", "positionEncoding", s->enc == POS_UTF8 ? "utf-8" : "utf-16",
        "textDocumentSync", "openClose", 1, "change", 2, "save", "includeText", 0,
        "completionProvider", "triggerCharacters", triggers, "resolveProvider", 0,
        "inlineCompletionProvider", "executeCommandProvider", "commands", "understudy.status",
        "understudy.accepted", "understudy.retryProviders", "serverInfo", "name", "understudy",
        "version", UNDERSTUDY_VERSION);
    outbox_reply(req, result);
}

void lsp_on_initialized(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    if (s->initialized_notified)
        return;
    s->initialized_notified = true;
    logsink_attach(s); /* log lines as window/logMessage from now on */
    /* A real session (not the fuzzer's) follows the files; watched before the first status
     * goes out, so an edit made once the client has heard from us is seen. */
    if (s->tr && !s->cfg_watch)
        s->cfg_watch = config_watch_start(s);
    completion_engine_started(s->engine);
}

void lsp_on_did_change_configuration(struct lsp_server *s, struct lsp_request *req,
                                     json_t *params)
{
    json_t *settings = json_object_get(params, "settings");
    struct strbuf w, e;
    sb_init(&w);
    sb_init(&e);
    lsp_config_set_layer(s->cfg, "didChangeConfiguration", settings, &w, &e);
    lsp_config_apply_log(s->cfg);
    lsp__report_config(s, &w, &e);
    sb_release(&w);
    sb_release(&e);
    completion_engine_reconfigure(s->engine);
}

void lsp_on_did_open(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    json_t *td = json_object_get(params, "textDocument");
    const char *uri = lsp_param_uri(params);
    json_t *text = json_object_get(td, "text");
    json_t *lang = json_object_get(td, "languageId");
    json_t *version = json_object_get(td, "version");
    if (!uri || !json_is_string(text)) {
        LOG_W("lsp", "didOpen without uri or text ignored");
        return;
    }
    int rc = docstore_open(s->docs, uri, json_is_string(lang) ? json_string_value(lang) : "",
                           json_is_integer(version) ? json_integer_value(version) : 0,
                           json_string_value(text), json_string_length(text));
    struct doc *opened = rc == 0 ? docstore_get(s->docs, uri) : NULL;
    if (opened)
        syntax_glue_warm(s->loop, opened->language_id, opened->uri);
    if (rc == US_ETOOBIG) {
        char msg[512];
        snprintf(msg, sizeof(msg), "Understudy: %.300s is larger than %u MiB; not tracked.", uri,
                 (unsigned)(DOC_DEFAULT_MAX_BYTES >> 20));
        LOG_W("lsp", "%s", msg);
        outbox_show_message(s->out, 2, msg);
    }
}

void lsp_on_did_change(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    const char *uri = lsp_param_uri(params);
    struct doc *d = uri ? docstore_get(s->docs, uri) : NULL;
    if (!d) {
        LOG_W("lsp", "didChange for a document that is not open: %s", uri ? uri : "(no uri)");
        return;
    }
    json_t *version = json_object_get(json_object_get(params, "textDocument"), "version");
    json_t *changes = json_object_get(params, "contentChanges");
    if (!json_is_array(changes)) {
        LOG_W("lsp", "didChange without contentChanges ignored");
        return;
    }
    if (json_is_integer(version) && json_integer_value(version) < d->version)
        LOG_W("lsp", "didChange version went backwards (%lld after %lld) for %s",
              (long long)json_integer_value(version), (long long)d->version, uri);
    size_t i;
    json_t *ch;
    json_array_foreach(changes, i, ch) {
        json_t *text = json_object_get(ch, "text");
        if (!json_is_string(text)) {
            LOG_W("lsp", "change %zu without text skipped", i);
            continue;
        }
        json_t *range = json_object_get(ch, "range");
        struct lsp_pos a = {0, 0}, b = {0, 0};
        bool has_range = range && !json_is_null(range);
        if (has_range && (!lsp_param_position(json_object_get(range, "start"), &a) ||
                          !lsp_param_position(json_object_get(range, "end"), &b))) {
            LOG_W("lsp", "change %zu has a malformed range; skipped", i);
            continue;
        }
        if (doc_apply_change(s->docs, d, has_range, a, b, json_string_value(text),
                             json_string_length(text), s->enc) == US_ETOOBIG)
            LOG_W("lsp", "change %zu would exceed the document size cap; skipped", i);
    }
    if (json_is_integer(version))
        d->version = json_integer_value(version);
}

void lsp_on_did_close(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    const char *uri = lsp_param_uri(params);
    if (uri && docstore_close(s->docs, uri) < 0)
        LOG_W("lsp", "didClose for a document that is not open: %s", uri);
    else if (uri)
        completion_doc_closed(s->engine, uri);
}

void lsp_on_did_save(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    /* The buffer is already in sync through didChange; saving changes nothing we track. */
}

void lsp_on_document_text(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    struct doc *d = lsp_request_doc(s->docs, req, params);
    if (!d)
        return;
    outbox_reply(req, json_pack("{s:s%, s:I}", "text", d->text.data, d->text.len, "version",
                                (json_int_t)d->version));
}

void lsp_on_syntax_tree(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    struct doc *d = lsp_request_doc(s->docs, req, params);
    if (!d)
        return;
    /* Where the tree held before this request came from: built by a worker after didOpen,
     * or on the loop (on demand, or by this request). */
    bool from_worker = d->syntax && d->tree_from_worker;
    struct syn_doc *syn = doc_syntax_current(d);
    char *sexp = syn_doc_sexp(syn);
    struct syn_stats st;
    syn_doc_stats(syn, &st);
    json_t *res = json_pack("{s:s, s:s?, s:I, s:b}", "language", d->language_id, "tree", sexp,
                            "background_reparses", (json_int_t)st.background_reparses,
                            "built_on_worker", from_worker);
    free(sexp);
    outbox_reply(req, res);
}
