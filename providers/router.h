/* router: one completion request across the user's provider chain (design.md §4): cache and
 * typing-through first, then providers in priority order under one deadline, failing over
 * within the request, hedging slow attempts, keeping a circuit breaker per provider, and
 * reporting health for the status line. Never blocks; everything runs on the libuv loop.
 * Boundary: the router owns its copy of the providers' configuration, the cache and the HTTP
 * engine; a request copies its context once (released when the request ends); answers are
 * borrowed for the callback. Implemented in policy/router_pool.c and policy/router_request.c. */
#ifndef US_ROUTER_H
#define US_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "provider.h"
#include "settings.h"

struct router;
struct router_request;

enum router_how {
    ROUTER_NONE,        /* no AI answer: the caller falls back to the local engine */
    ROUTER_PROVIDER,    /* a provider answered this request */
    ROUTER_CACHE,       /* exact cache hit */
    ROUTER_TYPE_THROUGH,/* the rest of a suggestion the user is typing through */
    ROUTER_STALE,       /* every provider failed; an expired entry for the same key */
};

struct router_answer {
    enum router_how how;
    const char *text;   /* borrowed for the callback; NULL when how == ROUTER_NONE */
    size_t len;
    const char *source; /* provider name that produced the text, or NULL */
    const char *why;    /* for ROUTER_NONE: short reason ("no provider configured", ...) */
    uint64_t elapsed_us;
    int attempts;       /* provider attempts started for this request */
    bool partial;       /* the complete lines a stream had sent by the deadline */
};

typedef void (*router_answer_fn)(void *ud, const struct router_answer *answer);

struct router_callbacks {
    /* Health may have changed (a breaker moved, the serving provider changed). */
    void (*on_status)(void *ud);
    /* A provider was disabled by an authentication or billing error. hint names the env var
     * or key file to fix. */
    void (*on_disabled)(void *ud, const char *provider, const char *hint);
    /* Once per transition, a message for the user (level as LSP MessageType: 1 error,
     * 2 warning, 3 info): a provider rejects our requests, a key that worked is refused. */
    void (*on_notice)(void *ud, int level, const char *message);
};

/* settings is borrowed for the call (what the router needs is copied). */
struct router *router_new(uv_loop_t *loop, const struct us_settings *settings,
                          const struct router_callbacks *cb, void *ud);
/* Abort everything in flight (no answer callbacks) and free. Run the loop afterwards so
 * handles can close. */
void router_free(struct router *r);
/* New settings: providers are matched by name+kind+base_url+model and keep their health; a
 * disabled provider is re-enabled (the user changed the configuration). */
void router_configure(struct router *r, const struct us_settings *settings);

/* Start one completion. ctx is copied. cb runs exactly once, always later from the loop
 * (never inside this call), unless router_cancel is called first. deadline_ms <= 0 uses the
 * configured completion.deadline_ms. Returns NULL only if cb will never run (r is shutting
 * down). */
struct router_request *router_complete(struct router *r, const struct prov_context *ctx,
                                       int deadline_ms, router_answer_fn cb, void *ud);
/* router_complete for a caller that has just missed in router_lookup for the same ctx (the
 * popup): the cache is not asked twice. Same contract otherwise. */
struct router_request *router_complete_uncached(struct router *r, const struct prov_context *ctx,
                                                int deadline_ms, router_answer_fn cb, void *ud);
/* The caller no longer wants the answer: abort its transfers (unless another request is
 * waiting on them or a probe must learn its outcome). No callback afterwards. */
void router_cancel(struct router_request *rq);
/* The caller stops waiting but the work goes on so its answer fills the cache (popup
 * completion past its budget). No callback afterwards. */
void router_detach(struct router_request *rq);

/* Synchronous cache lookup: exact key, then typing-through. Fills out and returns true on a
 * hit (out->text borrowed until the next router call). */
bool router_lookup(struct router *r, const struct prov_context *ctx, struct router_answer *out);

/* How long an AI answer for ctx is likely to take: the recent median latency of the first
 * provider that would serve it, or -1 when unknown. Lets the popup skip waiting for a provider
 * that never answers within its budget. */
int router_expected_ms(struct router *r, const struct prov_context *ctx);

/* understudy.retryProviders: reset every breaker (open, rejected, rate limited, auth
 * trouble; not a provider without a key or switched off) and probe each provider now in the
 * background. */
void router_retry_providers(struct router *r);

/* The status object of design.md §3 (new reference). */
json_t *router_status(struct router *r);
/* A short string that changes exactly when the overall state, the serving provider, any
 * provider's breaker state or its reason changes (caller frees). */
char *router_status_signature(struct router *r);
/* "ok", "degraded" or "offline". */
const char *router_overall_state(struct router *r);
size_t router_provider_count(const struct router *r);

#endif
