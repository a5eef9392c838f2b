/* completion: textDocument/inlineCompletion (ghost text) and textDocument/completion (popup)
 * as LSP: builds the context, hands it to the fallback chain (providers/chain.h: cache,
 * providers, stale, local engine, the popup's budget) and turns what comes back into items with
 * provenance; the understudy/status notification and the understudy.* commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "completion.h"
#include "context.h"
#include "item_kind.h"
#include "list.h"
#include "local.h"
#include "router.h"
#include "rpc.h"
#include "outbox.h"
#include "server_int.h"

struct completion_engine {
    struct lsp_server *s;
    struct chain *chain;
    struct router *router;       /* the chain's, for status and commands */
    char *last_signature;        /* of the last status notification */
    char *last_state;            /* "ok" / "degraded" / "offline" at the last notification */
    bool started;                /* `initialized` arrived */
    uint64_t next_item_id;
    uint64_t accepted;
    struct us_list pending;      /* of pending.link: inline and popup requests waiting on the
                                    chain, newest first */
    struct privacy_cache *masked; /* open documents' masked texts, per edit */
    struct privacy_exclude *exclude; /* built from the settings at each reconfigure */
    /* AI suggestions shown lately, so understudy.accepted {source, id} can teach the local
     * engine what was accepted and where (a ring: older offers are forgotten) */
    struct offer {
        char id[32];
        char *source, *path, *before, *text;
    } offers[32];
    size_t next_offer;
};

static void offer_clear(struct offer *o);

/* One LSP request waiting on the chain. */
struct pending {
    struct completion_engine *e;
    struct lsp_request *req;     /* NULL for the CLI */
    struct chain_request *cr;
    bool inline_mode;
    char *uri;
    struct completion_context cc;
    struct local_item *local_items; /* popup: computed up front (owned) */
    size_t n_local;
    char *partial;
    struct lsp_pos cursor;       /* in the client's encoding */
    struct lsp_pos word_start;
    uint64_t edit_count;         /* the document's, when the request came */
    struct us_list link;         /* in the engine's pending list */
    /* CLI */
    void (*done)(void *ud, const struct router_answer *a, const char *local_text);
    void *done_ud;
};

/* ------------------------------------------------------------------ status */

static void status_changed(void *ud);
static void provider_disabled(void *ud, const char *provider, const char *hint);
static void provider_notice(void *ud, int level, const char *message);

static void each_doc(void *ud, void (*fn)(void *arg, const struct local_doc *d), void *arg);

static const struct chain_hooks chain_hooks = {{status_changed, provider_disabled, provider_notice},
                                              each_doc};

static void send_status(struct completion_engine *e, bool force)
{
    if (!e->started || !outbox_has_sink(e->s->out))
        return;
    char *sig = router_status_signature(e->router);
    if (!force && e->last_signature && strcmp(sig, e->last_signature) == 0) {
        free(sig);
        return;
    }
    free(e->last_signature);
    e->last_signature = sig;
    outbox_notify(e->s->out, "understudy/status", router_status(e->router));

    /* showMessage once per transition of the overall state, not per request. */
    const char *state = router_overall_state(e->router);
    if (e->last_state && router_provider_count(e->router) > 0 && strcmp(state, e->last_state)) {
        if (strcmp(state, "offline") == 0)
            outbox_show_message(e->s->out, 2,
                             "Understudy: every AI provider is down; serving local suggestions "
                             "until one comes back.");
        else if (strcmp(e->last_state, "offline") == 0)
            outbox_show_message(e->s->out, 3, "Understudy: AI completions restored.");
    }
    free(e->last_state);
    e->last_state = xstrdup(state);
}

static void status_changed(void *ud)
{
    send_status(ud, false);
}

static void provider_disabled(void *ud, const char *provider, const char *hint)
{
    struct completion_engine *e = ud;
    char msg[512];
    snprintf(msg, sizeof(msg),
             "Understudy: provider \"%s\" was disabled after an authentication or billing "
             "error. Check %s; it is tried again when the configuration changes.",
             provider, hint && *hint ? hint : "its API key");
    if (outbox_has_sink(e->s->out))
        outbox_show_message(e->s->out, 1, msg);
    LOG_W("router", "%s", msg);
}

static void provider_notice(void *ud, int level, const char *message)
{
    struct completion_engine *e = ud;
    if (outbox_has_sink(e->s->out))
        outbox_show_message(e->s->out, level, message);
}

/* ------------------------------------------------------------------ engine life */

struct completion_engine *completion_engine_new(struct lsp_server *s)
{
    struct completion_engine *e = xcalloc(1, sizeof(*e));
    e->s = s;
    us_list_init(&e->pending);
    e->chain = chain_new(s->loop, &s->cfg->settings, &chain_hooks, e);
    e->router = chain_router(e->chain);
    e->masked = privacy_cache_new(0);
    chain_share_masked(e->chain, e->masked);
    e->exclude = privacy_exclude_new((const char *const *)s->cfg->settings.privacy.exclude,
                                     s->cfg->settings.privacy.root);
    return e;
}

static void pending_free(struct pending *p);

void completion_engine_free(struct completion_engine *e)
{
    if (!e)
        return;
    struct us_list *l;
    while ((l = us_list_first(&e->pending))) {
        struct pending *p = US_LIST_ENTRY(l, struct pending, link);
        if (p->cr)
            chain_cancel(p->cr);
        p->cr = NULL;
        pending_free(p);
    }
    chain_free(e->chain);
    privacy_cache_free(e->masked);
    privacy_exclude_free(e->exclude);
    for (size_t i = 0; i < US_ARRAY_LEN(e->offers); i++)
        offer_clear(&e->offers[i]);
    free(e->last_signature);
    free(e->last_state);
    free(e);
}

void completion_engine_reconfigure(struct completion_engine *e)
{
    const struct us_settings *st = &e->s->cfg->settings;
    privacy_exclude_free(e->exclude);
    e->exclude = privacy_exclude_new((const char *const *)st->privacy.exclude, st->privacy.root);
    chain_configure(e->chain, st);
    send_status(e, false);
}

void completion_engine_started(struct completion_engine *e)
{
    e->started = true;
    send_status(e, true);
    chain_started(e->chain, e->s->root_path);
}

/* The open documents as the local engine sees them (it decides when to read one again). */
struct each_doc_arg {
    void (*fn)(void *arg, const struct local_doc *d);
    void *arg;
};

static void each_doc_one(struct doc *d, void *ud)
{
    struct each_doc_arg *a = ud;
    struct local_doc ld = {d->uri, d->language_id, d->text.data, d->text.len, d->edit_count};
    a->fn(a->arg, &ld);
}

static void each_doc(void *ud, void (*fn)(void *arg, const struct local_doc *d), void *arg)
{
    struct completion_engine *e = ud;
    struct each_doc_arg a = {fn, arg};
    docstore_each(e->s->docs, each_doc_one, &a);
}

void completion_doc_closed(struct completion_engine *e, const char *uri)
{
    chain_doc_closed(e->chain, uri);
    privacy_cache_drop(e->masked, uri);
}

/* ------------------------------------------------------------------ items */

static char *partial_word(const char *text, size_t line_start, size_t offset, size_t *start)
{
    size_t i = offset;
    while (i > line_start) {
        unsigned char c = (unsigned char)text[i - 1];
        if (!(c == '_' || c == '$' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z') || c >= 0x80))
            break;
        i--;
    }
    *start = i;
    return xstrndup(text + i, offset - i);
}

static json_t *range_json(struct lsp_pos a, struct lsp_pos b)
{
    return json_pack("{s:{s:i, s:i}, s:{s:i, s:i}}", "start", "line", (int)a.line, "character",
                     (int)a.character, "end", "line", (int)b.line, "character", (int)b.character);
}

#define OFFER_BEFORE_BYTES 2048

static void offer_clear(struct offer *o)
{
    free(o->source);
    free(o->path);
    free(o->before);
    free(o->text);
    memset(o, 0, sizeof(*o));
}

static void offer_record(struct completion_engine *e, const char *id, struct pending *p,
                         const char *source, const char *text, size_t len)
{
    if (!strncmp(source, "local:", 6))
        return;
    struct offer *o = &e->offers[e->next_offer++ % US_ARRAY_LEN(e->offers)];
    offer_clear(o);
    snprintf(o->id, sizeof(o->id), "%s", id);
    o->source = xstrdup(source);
    o->path = p->cc.path ? xstrdup(p->cc.path) : NULL;
    const char *pre = p->cc.ctx.prefix ? p->cc.ctx.prefix : "";
    size_t pl = p->cc.ctx.prefix ? p->cc.ctx.prefix_len : 0;
    size_t from = pl > OFFER_BEFORE_BYTES ? pl - OFFER_BEFORE_BYTES : 0;
    o->before = xstrndup(pre + from, pl - from);
    o->text = xstrndup(text, len);
}

static void offer_accepted(struct completion_engine *e, const char *source, const char *id)
{
    for (size_t i = 0; id && i < US_ARRAY_LEN(e->offers); i++) {
        struct offer *o = &e->offers[i];
        if (!o->source || strcmp(o->id, id) != 0)
            continue;
        struct local_accept a = {
            .source = source ? source : o->source,
            .path = o->path,
            .before = o->before,
            .before_len = strlen(o->before),
            .suggestion = o->text,
            .suggestion_len = strlen(o->text),
        };
        int rc = chain_local_learn(e->chain, &a);
        LOG_D("completion", "accepted %s from %s: %s", id, a.source,
              rc == 0 ? "learned" : us_strerror(rc));
        offer_clear(o);
        return;
    }
}

static json_t *accepted_command(struct completion_engine *e, const char *source,
                                struct pending *p, const char *text, size_t len)
{
    char id[32];
    snprintf(id, sizeof(id), "us-%llu", (unsigned long long)++e->next_item_id);
    if (p)
        offer_record(e, id, p, source, text, len);
    return json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "title", "Understudy suggestion accepted",
                     "command", "understudy.accepted", "arguments", "source", source, "id", id);
}

static json_t *inline_item(struct completion_engine *e, struct pending *p, const char *text,
                           size_t len, const char *source)
{
    json_t *item = json_pack("{s:s%, s:o, s:o}", "insertText", text, len, "range",
                             range_json(p->cursor, p->cursor), "command",
                             accepted_command(e, source, p, text, len));
    return item;
}

/* The AI suggestion as a popup item: it replaces the partial word so clients' filtering (which
 * matches the item's filterText against the typed word) keeps it. */
static json_t *ai_popup_item(struct completion_engine *e, struct pending *p, const char *text,
                             size_t len, const char *source)
{
    struct strbuf full, label;
    sb_init(&full);
    sb_init(&label);
    sb_adds(&full, p->partial);
    sb_add(&full, text, len);
    const char *nl = memchr(full.data, '\n', full.len);
    size_t first = nl ? (size_t)(nl - full.data) : full.len;
    sb_add(&label, full.data, US_MIN(first, (size_t)80));
    if (nl)
        sb_adds(&label, " …");
    json_t *item = json_pack(
        "{s:s, s:i, s:s, s:s, s:{s:o, s:s%}, s:i, s:{s:s}, s:s, s:{s:s}, s:o}", "label",
        label.data, "kind", 1, "sortText", "0000", "filterText", full.data, "textEdit", "range",
        range_json(p->word_start, p->cursor), "newText", full.data, full.len, "insertTextFormat",
        1, "labelDetails", "description", source, "detail", source, "data", "source", source,
        "command", accepted_command(e, source, p, text, len));
    /* The model's continuation lines carry the file's indentation already: clients must not
     * add the cursor line's indentation to them (VS Code does unless asIs). */
    if (nl)
        json_object_set_new(item, "insertTextMode", json_integer(1));
    sb_release(&full);
    sb_release(&label);
    return item;
}

static json_t *local_popup_item(struct pending *p, const struct local_item *it, size_t rank)
{
    char sort[24], detail[160];
    snprintf(sort, sizeof(sort), "%04zu", rank + 1);
    /* Clients that show only `detail` (Neovim's popup menu) still show the source. */
    if (it->detail && *it->detail)
        snprintf(detail, sizeof(detail), "%s %.120s", it->source, it->detail);
    else
        snprintf(detail, sizeof(detail), "%s", it->source);
    return json_pack("{s:s, s:i, s:s, s:s, s:{s:o, s:s}, s:i, s:{s:s}, s:s?, s:{s:s}}", "label",
                     it->label, "kind", lsp_item_kind(it->kind), "sortText", sort, "filterText", it->label,
                     "textEdit", "range", range_json(p->word_start, p->cursor), "newText",
                     it->insert_text, "insertTextFormat", it->snippet ? 2 : 1, "labelDetails",
                     "description", it->source, "detail", detail, "data", "source",
                     it->source);
}

/* ------------------------------------------------------------------ requests */

static void pending_free(struct pending *p)
{
    us_list_del(&p->link);
    context_release(&p->cc);
    local_items_free(p->local_items, p->n_local);
    free(p->partial);
    free(p->uri);
    free(p);
}

/* Other open documents of the same language, for members of types defined there. One request
 * at a time on the loop, so a static array serves every call. */
struct same_lang {
    struct doc *self;
    const struct lang_info *lang;
    struct syn_doc *docs[32];
    size_t n;
};

static void collect_same_lang(struct doc *o, void *ud)
{
    struct same_lang *sl = ud;
    if (o != sl->self && o->syntax && sl->n < US_ARRAY_LEN(sl->docs) &&
        syn_doc_lang(o->syntax) == sl->lang)
        sl->docs[sl->n++] = doc_syntax(o);
}

static void fill_local_request(struct pending *p, struct doc *d, struct local_request *lr)
{
    static struct same_lang sl;
    memset(lr, 0, sizeof(*lr));
    lr->ctx = &p->cc.ctx;
    lr->syntax = d ? doc_syntax(d) : NULL;
    lr->cursor = p->cc.has_cursor ? &p->cc.cursor : NULL;
    sl.self = d;
    sl.lang = d && d->syntax ? syn_doc_lang(d->syntax) : NULL;
    sl.n = 0;
    if (sl.lang)
        docstore_each(p->e->s->docs, collect_same_lang, &sl);
    lr->others = sl.docs;
    lr->n_others = sl.n;
    lr->uri = p->uri;
    lr->text = d ? d->text.data : "";
    lr->text_len = d ? d->text.len : 0;
    lr->offset = p->cc.offset;
    lr->partial = p->partial;
    lr->edit_count = d ? d->edit_count : 0;
    lr->workspace_folder = p->e->s->root_path;
    lr->snippet_support = p->e->s->snippet_support;
}

/* For the chain's local fallback: the local request as the document is now. */
static bool fill_inline_local(void *ud, struct local_request *lr)
{
    struct pending *p = ud;
    struct doc *d = docstore_get(p->e->s->docs, p->uri);
    /* If the user typed on while we waited, the cursor moved: the editor asks again. */
    if (d && d->edit_count != p->edit_count)
        d = NULL;
    fill_local_request(p, d, lr);
    return d != NULL;
}

/* ans NULL: the chain could not start; the local line now. */
static void reply_inline(struct pending *p, const struct chain_answer *ans)
{
    struct completion_engine *e = p->e;
    const struct router_answer *a = ans ? ans->ai : NULL;
    json_t *items = json_array();
    const char *local_text = NULL;
    struct strbuf line;
    sb_init(&line);
    if (a && a->how != ROUTER_NONE && a->len > 0) {
        json_array_append_new(items, inline_item(e, p, a->text, a->len, a->source));
    } else {
        if (ans) {
            sb_add(&line, ans->line, ans->line_len);
        } else {
            struct local_request lr;
            if (fill_inline_local(p, &lr))
                chain_local_line(e->chain, &lr, &line);
        }
        /* No AI answer in time: the best local line suggestion, or nothing. */
        if (line.len) {
            json_array_append_new(items, inline_item(e, p, line.data, line.len,
                                                     PROV_SOURCE_LINE));
            local_text = line.data;
        }
    }
    if (p->done) {
        p->done(p->done_ud, a, local_text);
        json_decref(items);
    } else if (p->req) {
        outbox_reply(p->req, json_pack("{s:o}", "items", items));
        p->req = NULL;
    } else {
        json_decref(items);
    }
    sb_release(&line);
}

static void reply_popup(struct pending *p, const struct router_answer *a, bool incomplete)
{
    struct completion_engine *e = p->e;
    json_t *items = json_array();
    bool ai = a && a->how != ROUTER_NONE && a->len > 0;
    if (ai)
        json_array_append_new(items, ai_popup_item(e, p, a->text, a->len, a->source));
    /* With nothing typed yet, an AI suggestion stands alone: every name in scope next to it
     * would bury it. Once a prefix narrows the list, local items join it. */
    if (!ai || p->partial[0])
        for (size_t i = 0; i < p->n_local; i++)
            json_array_append_new(items, local_popup_item(p, &p->local_items[i], i));
    outbox_reply(p->req, json_pack("{s:b, s:o}", "isIncomplete", incomplete, "items", items));
    p->req = NULL;
}

static void on_chain_answer(void *ud, const struct chain_answer *ans)
{
    struct pending *p = ud;
    p->cr = NULL; /* the chain is done with it */
    if (p->inline_mode)
        reply_inline(p, ans);
    else
        reply_popup(p, ans->ai, ans->incomplete);
    pending_free(p);
}

static void cancel_pending(void *ud)
{
    struct pending *p = ud;
    if (p->cr)
        chain_cancel(p->cr);
    p->cr = NULL;
    p->req = NULL; /* the server answers -32800 and frees it */
    pending_free(p);
}

/* A newer inline request for the same document supersedes older ones. Called after the new
 * one reached the router, so a running request it extends keeps its transfer. */
static void supersede_others(struct completion_engine *e, struct pending *keep)
{
    struct us_list *l, *tmp;
    US_LIST_FOREACH_SAFE(l, tmp, &e->pending) {
        struct pending *p = US_LIST_ENTRY(l, struct pending, link);
        if (p == keep || !p->inline_mode || !p->req || strcmp(p->uri, keep->uri) != 0)
            continue;
        if (p->cr)
            chain_cancel(p->cr);
        p->cr = NULL;
        outbox_reply(p->req, json_pack("{s:[]}", "items"));
        p->req = NULL;
        pending_free(p);
    }
}

static struct pending *pending_new(struct completion_engine *e, struct lsp_request *req,
                                   struct doc *d, struct lsp_pos pos, bool inline_mode)
{
    struct pending *p = xcalloc(1, sizeof(*p));
    p->e = e;
    p->req = req;
    p->inline_mode = inline_mode;
    p->uri = xstrdup(d->uri);
    p->edit_count = d->edit_count;
    size_t offset = pos_to_offset(doc_lines(d), d->text.data, d->text.len, pos, e->s->enc);
    /* The cursor as the client should see it: clamped like the offset. */
    p->cursor = pos_from_offset(doc_lines(d), d->text.data, d->text.len, offset, e->s->enc);
    const struct us_settings *st = &e->s->cfg->settings;
    /* Under loopback_raw the windows stay raw for loopback providers and the router masks
     * what goes to the others. */
    struct context_privacy pv = {e->masked, e->exclude,
                                 st->privacy.redact_secrets && !st->privacy.loopback_raw};
    context_build(e->s->docs, d, offset, st->completion.max_lines, &pv, &p->cc);
    size_t ws;
    p->partial = partial_word(d->text.data, p->cc.line_start, offset, &ws);
    p->word_start = pos_from_offset(doc_lines(d), d->text.data, d->text.len, ws, e->s->enc);
    us_list_add_head(&e->pending, &p->link);
    return p;
}

static struct doc *request_doc(struct lsp_server *s, struct lsp_request *req, json_t *params,
                               struct lsp_pos *pos)
{
    if (!lsp_param_position(json_object_get(params, "position"), pos)) {
        outbox_reply_error(req, RPC_INVALID_PARAMS, "missing or invalid position");
        return NULL;
    }
    return lsp_request_doc(s->docs, req, params);
}

void lsp_on_inline_completion(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    struct completion_engine *e = s->engine;
    struct lsp_pos pos;
    struct doc *d = request_doc(s, req, params, &pos);
    if (!d)
        return;
    struct pending *p = pending_new(e, req, d, pos, true);
    req->cancel = cancel_pending;
    req->cancel_ud = p;
    p->cr = chain_inline(e->chain, &p->cc.ctx, fill_inline_local, on_chain_answer, p);
    supersede_others(e, p);
    if (!p->cr) {
        reply_inline(p, NULL);
        pending_free(p);
    }
}

void lsp_on_completion(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    struct completion_engine *e = s->engine;
    struct lsp_pos pos;
    struct doc *d = request_doc(s, req, params, &pos);
    if (!d)
        return;
    struct pending *p = pending_new(e, req, d, pos, false);
    req->cancel = cancel_pending;
    req->cancel_ud = p;
    struct local_request lr;
    fill_local_request(p, d, &lr);
    struct router_answer now;
    p->cr = chain_popup(e->chain, &lr, on_chain_answer, p, &p->local_items, &p->n_local, &now);
    if (!p->cr) {
        reply_popup(p, &now, false);
        pending_free(p);
    }
}

/* ------------------------------------------------------------------ commands */

void lsp_on_execute_command(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    json_t *cmd = json_object_get(params, "command");
    const char *name = json_is_string(cmd) ? json_string_value(cmd) : "";
    if (strcmp(name, "understudy.status") == 0) {
        outbox_reply(req, router_status(s->engine->router));
    } else if (strcmp(name, "understudy.retryProviders") == 0) {
        /* Reset every breaker and probe now; the reply is the status right after the reset
         * (the probes' outcomes follow as understudy/status notifications). */
        router_retry_providers(s->engine->router);
        outbox_reply(req, router_status(s->engine->router));
    } else if (strcmp(name, "understudy.accepted") == 0) {
        json_t *arg = json_array_get(json_object_get(params, "arguments"), 0);
        const char *src = json_string_value(json_object_get(arg, "source"));
        s->engine->accepted++;
        offer_accepted(s->engine, src, json_string_value(json_object_get(arg, "id")));
        LOG_D("completion", "suggestion from %s accepted", src ? src : "?");
        outbox_reply(req, json_null());
    } else {
        char msg[256];
        snprintf(msg, sizeof(msg), "unknown command: %.200s", name);
        outbox_reply_error(req, RPC_INVALID_PARAMS, msg);
    }
}

/* understudy/localStats: the local engine's workspace index (tests, benchmarks). */
void lsp_on_local_stats(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    (void)params;
    struct local_stats st;
    chain_local_stats(s->engine->chain, &st);
    outbox_reply(req, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "files",
                                (json_int_t)st.files, "bytes", (json_int_t)st.bytes, "skipped",
                                (json_int_t)st.skipped, "distinct", (json_int_t)st.distinct,
                                "dropped", (json_int_t)st.dropped, "memory",
                                (json_int_t)st.memory, "docs", (json_int_t)st.docs,
                                "line_doc_bytes", (json_int_t)st.line_doc_bytes, "scanning",
                                st.scanning));
}

/* ------------------------------------------------------------------ one-shot */

int completion_run_once(struct completion_engine *e, struct doc *d, struct lsp_pos pos,
                        void (*done)(void *ud, const struct router_answer *a,
                                     const char *local_text),
                        void *ud)
{
    struct pending *p = pending_new(e, NULL, d, pos, true);
    p->done = done;
    p->done_ud = ud;
    p->cr = chain_inline(e->chain, &p->cc.ctx, fill_inline_local, on_chain_answer, p);
    if (!p->cr) {
        pending_free(p);
        return US_ESTATE;
    }
    return 0;
}

static void index_wait_over(uv_timer_t *t)
{
    *(bool *)t->data = true;
}

int completion_index_workspace_now(struct completion_engine *e, uint64_t wait_ms)
{
    if (!e->s->root_path)
        return 0;
    chain_started(e->chain, e->s->root_path);
    bool over = false;
    uv_timer_t timer;
    uv_timer_init(e->s->loop, &timer);
    timer.data = &over;
    uv_timer_start(&timer, index_wait_over, wait_ms, 0);
    struct local_stats st;
    chain_local_stats(e->chain, &st);
    while (st.scanning && !over && uv_run(e->s->loop, UV_RUN_ONCE))
        chain_local_stats(e->chain, &st);
    uv_close((uv_handle_t *)&timer, NULL);
    uv_run(e->s->loop, UV_RUN_NOWAIT); /* the timer's close */
    return st.scanning ? US_ETIMEDOUT : 0;
}
