/* router_int: what the router's two halves share. router_pool.c keeps the providers and their
 * health (keys, samples, breakers, status, background probes, starting attempts);
 * router_request.c runs one request (slots, hedge, deadline, retry, joiners, finish).
 * Boundary: struct router owns its providers (refcounted: attempts hold a ref), the cache, the
 * HTTP engine and the orphaned probes; a request owns its timers, its slots and one counted
 * reference to its context (shared with r->last_ctx). Not for use
 * outside providers/policy/ except by unit tests (router__set_attempt_ops). */
#ifndef US_ROUTER_INT_H
#define US_ROUTER_INT_H

#include "attempt.h"
#include "breaker.h"
#include "cache.h"
#include "files.h"
#include "latency.h"
#include "list.h"
#include "router.h"

struct privacy_exclude;

#define HEDGE_MIN_MS 150
#define HEDGE_MAX_MS 600
#define STALL_MS 500
#define CONNECT_REMOTE_MS 300
#define CONNECT_LOOPBACK_MS 100
#define MAX_IN_FLIGHT 2
/* How often a request looks at its attempts: no text far past the provider's normal, a
 * stream that will not end before the deadline (latency.h). */
#define WATCH_MS 25
/* A stream's rate is judged after this many text deltas and this long since its first text. */
#define TRICKLE_MIN_DELTAS 2
#define TRICKLE_MIN_MS 150
/* The transfer's own time limit runs this much past the request's deadline. */
#define DEADLINE_GRACE_MS 50
#define TOKENS_MAX 10.0
#define TOKENS_FLOOR 5.0
#define TOKEN_REFUND 0.1
#define MAX_RESPONSE_BYTES (4u << 20)
/* A background probe's own budget: nobody waits on it, but a hanging provider must not hold
 * the one probe slot for long. */
#define PROBE_BUDGET_MS 4000

/* The seam between the request state machine and the network: how an attempt is started and
 * aborted. The default is attempt_start/attempt_abort on the router's HTTP engine; unit tests
 * put a fake here (no HTTP). start follows attempt_start's contract exactly (cfg borrowed for
 * the attempt's life, ctx and key only during the call, no callback when it fails). */
struct router_attempt_ops {
    int (*start)(struct http_engine *eng, const struct prov_config *cfg,
                 const struct prov_context *ctx, const char *key,
                 const struct attempt_opts *opts, const struct attempt_callbacks *cb, void *ud,
                 struct attempt **out);
    void (*abort)(struct attempt *a);
};

/* A context shared by a request and the router's "latest context" for probes: one deep copy
 * per request instead of one each. */
struct ctx_ref {
    int refs;
    struct prov_context *ctx; /* owned */
};

struct provider {
    int refs;                /* the router's list + attempts still running */
    struct prov_config cfg;  /* deep copy */
    bool loopback;
    struct breaker breaker;
    char key_hint[160];      /* "$OPENAI_API_KEY" or "key file /path" */
    char key_error[240];     /* why its key file is unusable (names the file, never the key) */
    bool key_error_said;     /* the user was told about key_error once */
    struct us_file_stamp key_file_stamp; /* when disabled: re-enable if the file changes */
    bool no_key;             /* required key missing at last check */
    struct latency lat;      /* its own normal speed (policy/latency.h) */
    uint64_t requests, failures;
    bool key_worked;           /* a request with the key of worked_key_hash succeeded */
    uint64_t worked_key_hash;
    bool auth_said;            /* the "rejects a key that worked" message went out */
};

struct router {
    uv_loop_t *loop;
    struct http_engine *http;
    const struct router_attempt_ops *aops;
    struct router_callbacks cb;
    void *ud;
    struct provider **providers;
    size_t n_providers;
    struct us_settings_copy {
        int deadline_ms, hedge_ms;
        struct breaker_policy breaker;
        bool remote_allowed, redact, loopback_raw;
        struct privacy_exclude *exclude; /* privacy.exclude + .understudyignore, every provider */
    } st;
    struct cache *cache;
    double tokens;
    char served_by[128];
    struct us_list live;          /* requests not yet answered (or detached and running) */
    struct us_list orphans;       /* probes that lost a race, running to their own end */
    uv_timer_t wake;              /* next breaker open -> half_open transition */
    struct ctx_ref *last_ctx;     /* the latest request's; only read for a non-tiny orphan
                                   * (none now: probes send router__probe_ctx) */
    bool closing;
    uint32_t seed;
};

struct attempt_slot {
    struct router_request *rq; /* NULL for an orphaned probe */
    struct router *r;
    struct provider *p;
    struct attempt *a;
    bool is_probe;
    bool tiny;      /* a background probe with the fixed tiny context (router__probe_ctx) */
    uint64_t key_hash; /* of the key sent (0: none) */
    bool has_text;  /* usable text arrived (hedging and deadline look at it) */
    uint64_t started_ms;
    /* The stream so far, for its rate, its projected end and a partial answer at the
     * deadline (complete lines only). */
    struct strbuf text;
    size_t lines;
    int deltas;
    uint64_t first_text_ms, last_text_ms;
    bool late;      /* projected past the deadline: the next provider was started */
    struct us_list link;       /* in r->orphans */
};

struct router_request {
    struct router *r;
    struct ctx_ref *ctx_ref;   /* a counted reference to the one copy of the caller's context */
    const struct prov_context *ctx; /* ctx_ref->ctx */
    struct cache_key key;
    uint64_t start_us;
    uint64_t deadline_ms;      /* absolute, monotonic */
    router_answer_fn cb;
    void *ud;
    bool wants_answer;         /* false after cancel/detach */
    bool answered;
    /* Set while router_complete runs: an answer found then (say, every provider's breaker is
     * open) is delivered from defer_timer, since callers rely on the callback never running
     * inside router_complete. */
    bool starting, finish_deferred;
    size_t next_provider;
    struct attempt_slot *slots[MAX_IN_FLIGHT];
    int attempts;
    int timers_open;
    uv_timer_t deadline_timer;
    uv_timer_t hedge_timer;
    uv_timer_t defer_timer;    /* delivers instant answers asynchronously */
    uv_timer_t watch_timer;    /* WATCH_MS: judges slow attempts against their providers */
    struct router_answer pending; /* for defer_timer */
    char *pending_text;
    char *pending_source;
    char why[160];
    struct provider *retry_p;  /* the last failed provider, if a retry on it may help */
    bool retried;              /* at most one retry per request */
    bool partial;              /* answered with a stream's complete lines at the deadline */
    struct router_request *join_of;    /* we wait for this request's answer */
    struct us_list link;       /* in r->live */
};

/* ---- router_pool.c: providers and health */
struct ctx_ref *router__ctx_ref(struct ctx_ref *c);
void router__ctx_unref(struct ctx_ref *c);
void router__provider_unref(struct provider *p);
enum breaker_state router__provider_state(struct provider *p, uint64_t now);
/* The state shown in the status: the breaker's, or "slow" for a closed provider whose recent
 * answers are far slower than its own normal. */
const char *router__state_name(struct provider *p, uint64_t now);
bool router__eligible(struct router *r, struct provider *p, const struct prov_context *ctx);
int router__hedge_delay_ms(struct router *r, struct provider *p);
void router__notify_status(struct router *r);
void router__schedule_wake(struct router *r);
/* Start the background probes that are due (tiny requests, never a user's keystroke). */
void router__background_probes(struct router *r);
/* The fixed tiny context background probes send. */
extern const struct prov_context router__probe_ctx;
/* Start an attempt for rq (NULL: a background probe) on p; NULL when it could not start. */
struct attempt_slot *router__slot_start(struct router *r, struct router_request *rq,
                                        struct provider *p, const struct prov_context *ctx,
                                        bool is_probe,
                                        int remaining_ms);
/* Stop a slot's transfer (a probe runs on as an orphan) and free it. */
void router__slot_drop(struct router *r, struct attempt_slot *s);
void router__slot_free(struct attempt_slot *s);
void router__record_outcome(struct router *r, struct attempt_slot *s,
                            const struct attempt_result *res, bool usable);
/* Tests: replace how attempts start (ops borrowed, must outlive r). */
void router__set_attempt_ops(struct router *r, const struct router_attempt_ops *ops);

/* ---- router_request.c: one request */
extern const struct attempt_callbacks router__attempt_cbs;
/* Drop a request at once (no callback): slots dropped, timers closed. */
void router__request_free(struct router_request *rq);

#endif
