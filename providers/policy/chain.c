/* chain: cache -> providers -> stale -> local engine for one completion (chain.h), with the
 * popup's budget. The router does the first three; the local engine is the last link. */
#include "chain.h"

#include <stdlib.h>
#include <string.h>

struct chain {
    uv_loop_t *loop;
    struct chain_hooks hooks;
    void *ud;
    struct router *router;
    struct local_engine *local; /* made on first use: local_of */
    const struct us_settings *settings; /* borrowed: the caller's live settings */
    struct privacy_cache *masked;       /* borrowed: the owner's, shared with the local engine */
};

struct chain_request {
    struct chain *c;
    struct router_request *rq;
    bool inline_mode;
    bool budget_armed;
    uv_timer_t budget;          /* popup budget */
    chain_fill_fn fill;
    chain_done_fn done;
    void *ud;
};

struct chain *chain_new(uv_loop_t *loop, const struct us_settings *settings,
                        const struct chain_hooks *hooks, void *ud)
{
    struct chain *c = xcalloc(1, sizeof(*c));
    c->loop = loop;
    c->hooks = *hooks;
    c->ud = ud;
    c->settings = settings;
    c->router = router_new(loop, settings, &c->hooks.router, ud);
    return c;
}

/* The local engine loads its snippet library when made (~2 ms), so it is made once the server
 * has answered `initialize` (chain_started) or when a request needs it first. */
static struct local_engine *local_of(struct chain *c)
{
    if (!c->local) {
        c->local = local_engine_new(c->loop, c->settings);
        local_engine_share_masked(c->local, c->masked);
    }
    return c->local;
}

void chain_share_masked(struct chain *c, struct privacy_cache *cache)
{
    c->masked = cache;
    if (c->local)
        local_engine_share_masked(c->local, cache);
}

void chain_free(struct chain *c)
{
    if (!c)
        return;
    router_free(c->router);
    local_engine_free(c->local);
    free(c);
}

void chain_configure(struct chain *c, const struct us_settings *settings)
{
    c->settings = settings;
    router_configure(c->router, settings);
    if (c->local) /* else made later with these settings */
        local_engine_configure(c->local, settings);
}

void chain_started(struct chain *c, const char *root)
{
    struct local_engine *local = local_of(c);
    if (root)
        local_engine_index_workspace(local, root);
}

void chain_doc_closed(struct chain *c, const char *uri)
{
    if (c->local) /* else it never saw the document */
        local_engine_doc_close(c->local, uri);
}

struct router *chain_router(struct chain *c)
{
    return c->router;
}

void chain_local_stats(struct chain *c, struct local_stats *out)
{
    local_engine_stats(local_of(c), out);
}

int chain_local_learn(struct chain *c, const struct local_accept *a)
{
    return local_engine_learn(local_of(c), a);
}

/* ------------------------------------------------------------------ local engine */

static void sync_doc(void *arg, const struct local_doc *d)
{
    local_engine_doc_sync(arg, d);
}

/* Bring the local engine's models up to the open documents (cheap when nothing moved). */
static struct local_engine *local_synced(struct chain *c)
{
    struct local_engine *local = local_of(c);
    if (c->hooks.each_doc)
        c->hooks.each_doc(c->ud, sync_doc, local);
    return local;
}

bool chain_local_line(struct chain *c, const struct local_request *lr, struct strbuf *out)
{
    return local_engine_line(local_synced(c), lr, out);
}

/* ------------------------------------------------------------------ requests */

static void request_closed(uv_handle_t *h)
{
    free(h->data);
}

static void request_free(struct chain_request *cr)
{
    uv_close((uv_handle_t *)&cr->budget, request_closed);
}

static struct chain_request *request_new(struct chain *c, bool inline_mode, chain_done_fn done,
                                         void *ud)
{
    struct chain_request *cr = xcalloc(1, sizeof(*cr));
    cr->c = c;
    cr->inline_mode = inline_mode;
    cr->done = done;
    cr->ud = ud;
    uv_timer_init(c->loop, &cr->budget);
    cr->budget.data = cr;
    return cr;
}

static void on_router_answer(void *ud, const struct router_answer *a)
{
    struct chain_request *cr = ud;
    cr->rq = NULL; /* the router is done with it */
    LOG_D("completion", "%s answer: %s in %.1f ms (%d attempts)",
          cr->inline_mode ? "inline" : "popup", a->how == ROUTER_NONE ? a->why : a->source,
          (double)a->elapsed_us / 1000.0, a->attempts);
    struct chain_answer ans = {.ai = a};
    struct strbuf line;
    sb_init(&line);
    if (cr->inline_mode && !(a->how != ROUTER_NONE && a->len > 0)) {
        /* No AI answer in time: the best local line suggestion, or nothing. */
        struct local_engine *local = local_synced(cr->c);
        struct local_request lr;
        memset(&lr, 0, sizeof(lr));
        if (cr->fill(cr->ud, &lr) && local_engine_line(local, &lr, &line) && line.len) {
            ans.line = line.data;
            ans.line_len = line.len;
        }
    }
    cr->done(cr->ud, &ans);
    sb_release(&line);
    request_free(cr);
}

struct chain_request *chain_inline(struct chain *c, const struct prov_context *ctx,
                                   chain_fill_fn fill, chain_done_fn done, void *ud)
{
    struct chain_request *cr = request_new(c, true, done, ud);
    cr->fill = fill;
    /* Ghost text has its own deadline (settings.h): later than the popup's request. */
    cr->rq = router_complete(c->router, ctx, c->settings->completion.inline_deadline_ms,
                             on_router_answer, cr);
    if (!cr->rq) {
        request_free(cr);
        return NULL;
    }
    return cr;
}

static void on_budget(uv_timer_t *t)
{
    struct chain_request *cr = t->data;
    /* Past the popup budget: answer with what we have and let the AI request go on to fill the
     * cache for the next keystroke. */
    if (cr->rq) {
        router_detach(cr->rq);
        cr->rq = NULL;
    }
    struct router_answer none = {.how = ROUTER_NONE, .why = "popup budget"};
    struct chain_answer ans = {.ai = &none, .incomplete = true};
    cr->done(cr->ud, &ans);
    request_free(cr);
}

struct chain_request *chain_popup(struct chain *c, const struct local_request *lr,
                                  chain_done_fn done, void *ud, struct local_item **items,
                                  size_t *n_items, struct router_answer *now)
{
    const struct prov_context *ctx = lr->ctx;
    *n_items = local_engine_complete(local_synced(c), lr, items, CHAIN_POPUP_MAX_LOCAL);
    memset(now, 0, sizeof(*now));
    now->how = ROUTER_NONE;

    int budget = c->settings->completion.popup_budget_ms;
    /* AI in the popup only where code is being written, not in comments and strings. */
    bool want_ai = ctx->situation != SYN_SIT_COMMENT && ctx->situation != SYN_SIT_STRING;
    if (want_ai && router_lookup(c->router, ctx, now))
        return NULL; /* the one cache lookup: a miss here goes straight to the providers */
    if (!want_ai || router_provider_count(c->router) == 0 ||
        strcmp(router_overall_state(c->router), "offline") == 0)
        return NULL;
    struct chain_request *cr = request_new(c, false, done, ud);
    cr->rq = router_complete_uncached(c->router, ctx, 0, on_router_answer, cr);
    if (!cr->rq) {
        request_free(cr);
        return NULL;
    }
    /* A provider that usually takes longer than the budget will not make it: answer now and
     * let the request fill the cache for the next keystroke. */
    int expected = router_expected_ms(c->router, ctx);
    if (expected > budget)
        budget = 0;
    uv_timer_start(&cr->budget, on_budget, (uint64_t)budget, 0);
    return cr;
}

void chain_cancel(struct chain_request *cr)
{
    if (cr->rq)
        router_cancel(cr->rq);
    cr->rq = NULL;
    uv_timer_stop(&cr->budget);
    request_free(cr);
}
