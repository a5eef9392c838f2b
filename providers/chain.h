/* chain: the whole fallback chain of one completion, cache -> providers (router) -> stale ->
 * local engine, and the popup's budget; the lsp floor only turns what comes back into items.
 * Boundary: the chain owns the router and the local engine (made on first use) and the local
 * engine's view of the open documents (it reads them through the caller's each_doc hook, and
 * re-reads one only when its edit count moved); contexts and local requests are borrowed for
 * the call (the router keeps its one copy of a context while a request runs). */
#ifndef US_CHAIN_H
#define US_CHAIN_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "local.h"
#include "router.h"
#include "settings.h"

#define CHAIN_POPUP_MAX_LOCAL 50

struct chain;
struct chain_request;

struct chain_hooks {
    struct router_callbacks router; /* health changed, provider disabled */
    /* Call fn for every open document (struct local_doc borrowed for the call). */
    void (*each_doc)(void *ud, void (*fn)(void *arg, const struct local_doc *d), void *arg);
};

/* What a request ends with. ai is the router's answer (never NULL from a request; how ==
 * ROUTER_NONE when no AI text came); line is the local engine's ghost text for an inline
 * request without AI text (NULL when none); incomplete: a popup answered at its budget while
 * the AI request goes on to fill the cache. Everything is borrowed for the callback. */
struct chain_answer {
    const struct router_answer *ai;
    const char *line;
    size_t line_len;
    bool incomplete;
};

/* Runs once, from the loop, unless chain_cancel came first. The request is gone after it
 * returns (do not cancel it from inside). */
typedef void (*chain_done_fn)(void *ud, const struct chain_answer *answer);
/* Fill lr for the local engine as the document is now (borrowed until the chain returns);
 * false when the document moved on since the request (no local line then). */
typedef bool (*chain_fill_fn)(void *ud, struct local_request *lr);

/* settings and hooks borrowed for the call. */
struct chain *chain_new(uv_loop_t *loop, const struct us_settings *settings,
                        const struct chain_hooks *hooks, void *ud);
/* Cancel nothing (the caller cancels its requests first); run the loop afterwards. */
void chain_free(struct chain *c);
void chain_configure(struct chain *c, const struct us_settings *settings);
/* The server is up: make the local engine and index root (may be NULL) in the background. */
void chain_started(struct chain *c, const char *root);
void chain_doc_closed(struct chain *c, const char *uri);
/* The owner's cache of masked open documents (keyed by edit_count; borrowed, must outlive the
 * chain): the local engine masks through it, so an edit is masked once for context and engine. */
void chain_share_masked(struct chain *c, struct privacy_cache *cache);
/* Borrowed, for status and commands. */
struct router *chain_router(struct chain *c);
struct local_accept;
struct local_stats;
/* The local engine's index figures (local.h). */
void chain_local_stats(struct chain *c, struct local_stats *out);
/* understudy.accepted: the local engine learns an accepted AI suggestion (local.h). */
int chain_local_learn(struct chain *c, const struct local_accept *a);

/* Ghost text: waits up to the deadline for AI text, then asks fill for the local line.
 * Returns NULL when nothing started (the router is shutting down; done never runs). */
struct chain_request *chain_inline(struct chain *c, const struct prov_context *ctx,
                                   chain_fill_fn fill, chain_done_fn done, void *ud);
/* Ghost text from the local engine alone, now (lr borrowed). Appends to out; true if any. */
bool chain_local_line(struct chain *c, const struct local_request *lr, struct strbuf *out);

/* Popup: local items at once (*items: caller frees with local_items_free) and the AI part.
 * Returns NULL when the AI part is known now (*now: a cache hit, or how == ROUTER_NONE when
 * there is nothing to wait for; its text borrowed until the next chain call), else a request
 * whose done runs once, at the AI answer or at the popup budget at the latest. */
struct chain_request *chain_popup(struct chain *c, const struct local_request *lr,
                                  chain_done_fn done, void *ud, struct local_item **items,
                                  size_t *n_items, struct router_answer *now);

/* The caller no longer wants the answer: no callback; transfers stop unless another request
 * waits on them. */
void chain_cancel(struct chain_request *cr);

#endif
