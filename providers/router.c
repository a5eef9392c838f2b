/* router: deadline, failover, hedging, breakers, cache and health across the provider chain. */
#include "router.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "attempt.h"
#include "breaker.h"
#include "cache.h"
#include "files.h"
#include "http.h"
#include "loopback.h"
#include "postprocess.h"
#include "privacy.h"
#include "uri.h"

#define TTFB_SAMPLES 20
#define HEDGE_MIN_MS 150
#define HEDGE_MAX_MS 600
#define STALL_MS 500
#define CONNECT_REMOTE_MS 300
#define CONNECT_LOOPBACK_MS 100
#define MAX_IN_FLIGHT 2
#define TOKENS_MAX 10.0
#define TOKENS_FLOOR 5.0
#define TOKEN_REFUND 0.1
#define MAX_RESPONSE_BYTES (4u << 20)

/* ------------------------------------------------------------------ providers */

struct provider {
    int refs;                /* the router's list + attempts still running */
    struct prov_config cfg;  /* deep copy */
    bool loopback;
    struct breaker breaker;
    char key_hint[160];      /* "$OPENAI_API_KEY" or "key file /path" */
    struct us_file_stamp key_file_stamp; /* when disabled: re-enable if the file changes */
    bool no_key;             /* required key missing at last check */
    uint32_t ttfb_ms[TTFB_SAMPLES];
    size_t n_ttfb, ttfb_pos;
    uint32_t total_ms[TTFB_SAMPLES];
    size_t n_total, total_pos;
    uint64_t requests, failures;
};

struct attempt_slot;

struct router {
    uv_loop_t *loop;
    struct http_engine *http;
    struct router_callbacks cb;
    void *ud;
    struct provider **providers;
    size_t n_providers;
    struct us_settings_copy {
        int deadline_ms, hedge_ms;
        struct breaker_policy breaker;
        bool remote_allowed, redact, loopback_raw;
        char **exclude;
    } st;
    struct cache *cache;
    double tokens;
    char served_by[128];
    struct router_request *live;  /* requests not yet answered (or detached and running) */
    struct attempt_slot *orphans; /* probes that lost a race, running to their own end */
    uv_timer_t wake;              /* next breaker open -> half_open transition */
    struct prov_context *last_ctx;/* for background probes */
    bool closing;
    uint32_t seed;
};

/* ------------------------------------------------------------------ requests */

struct attempt_slot {
    struct router_request *rq; /* NULL for an orphaned probe */
    struct router *r;
    struct provider *p;
    struct attempt *a;
    bool is_probe;
    bool has_text;  /* usable text arrived (hedging and deadline look at it) */
    uint64_t started_ms;
    struct attempt_slot *next; /* in r->orphans */
};

struct router_request {
    struct router *r;
    struct prov_context *ctx;  /* owned copy */
    struct cache_key key;
    uint64_t start_us;
    uint64_t deadline_ms;      /* absolute, monotonic */
    router_answer_fn cb;
    void *ud;
    bool wants_answer;         /* false after cancel/detach */
    bool answered;
    size_t next_provider;
    struct attempt_slot *slots[MAX_IN_FLIGHT];
    int attempts;
    int timers_open;
    uv_timer_t deadline_timer;
    uv_timer_t hedge_timer;
    uv_timer_t defer_timer;    /* delivers instant answers asynchronously */
    struct router_answer pending; /* for defer_timer */
    char *pending_text;
    char *pending_source;
    char why[160];
    struct provider *retry_p;  /* the last failed provider, if a retry on it may help */
    bool retried;              /* at most one retry per request */
    struct router_request *join_of;    /* we wait for this request's answer */
    struct router_request *prev, *next;
};

static void request_try_next(struct router_request *rq);
static void request_finish(struct router_request *rq, enum router_how how, const char *text,
                           size_t len, const char *source);
static void schedule_wake(struct router *r);
static void notify_status(struct router *r);

/* ------------------------------------------------------------------ provider helpers */

static void config_copy(struct prov_config *dst, const struct prov_config *src)
{
    *dst = *src;
    dst->name = xstrdup(src->name);
    dst->kind = xstrdup(src->kind);
    dst->model = src->model ? xstrdup(src->model) : NULL;
    dst->base_url = src->base_url ? xstrdup(src->base_url) : NULL;
    dst->api_key_env = src->api_key_env ? xstrdup(src->api_key_env) : NULL;
    dst->api_key_file = src->api_key_file ? xstrdup(src->api_key_file) : NULL;
    dst->headers = src->headers ? json_deep_copy(src->headers) : NULL;
}

static bool same_provider(const struct prov_config *a, const struct prov_config *b)
{
#define SAME(f) ((!a->f && !b->f) || (a->f && b->f && strcmp(a->f, b->f) == 0))
    return SAME(name) && SAME(kind) && SAME(base_url) && SAME(model);
#undef SAME
}

static void provider_unref(struct provider *p)
{
    if (--p->refs > 0)
        return;
    prov_config_release(&p->cfg);
    free(p);
}

/* Read the key at use (keys rotate while the editor runs). Caller frees; NULL when none. A key
 * file that is not one clean line counts as no key; warn says whether to log why. */
static char *provider_key_logged(struct provider *p, bool warn)
{
    char *key = NULL;
    if (p->cfg.api_key_file) {
        char *err = NULL;
        int rc = us_read_key_file(p->cfg.api_key_file, &key, &err, NULL);
        if (rc < 0 && rc != US_ENOENT && warn) /* the message names the file, never the key */
            LOG_W("router", "%s: %s", p->cfg.name, err);
        free(err);
    } else if (p->cfg.api_key_env) {
        const char *v = getenv(p->cfg.api_key_env);
        if (v && *v)
            key = xstrdup(v);
    }
    if (key)
        log_add_secret(key);
    return key;
}

static char *provider_key(struct provider *p)
{
    return provider_key_logged(p, false);
}

static void provider_check_key(struct provider *p)
{
    if (!p->cfg.ops || !p->cfg.ops->key_required) {
        p->no_key = false;
        return;
    }
    char *key = provider_key_logged(p, true);
    p->no_key = key == NULL;
    free(key);
}

static struct provider *provider_new(const struct prov_config *cfg, const struct us_settings *st,
                                     uint32_t seed)
{
    struct provider *p = xcalloc(1, sizeof(*p));
    p->refs = 1;
    config_copy(&p->cfg, cfg);
    p->loopback = cfg->base_url && us_url_is_loopback(cfg->base_url);
    struct breaker_policy pol = {st->breaker.failures, st->breaker.cooldown_ms,
                                 st->breaker.max_cooldown_ms};
    breaker_init(&p->breaker, &pol, seed);
    if (cfg->api_key_file)
        snprintf(p->key_hint, sizeof(p->key_hint), "key file %s", cfg->api_key_file);
    else if (cfg->api_key_env)
        snprintf(p->key_hint, sizeof(p->key_hint), "$%s", cfg->api_key_env);
    provider_check_key(p);
    return p;
}

static uint32_t percentile(const uint32_t *samples, size_t n, double q)
{
    if (n == 0)
        return 0;
    uint32_t sorted[TTFB_SAMPLES];
    memcpy(sorted, samples, n * sizeof(*samples));
    for (size_t i = 1; i < n; i++) /* n <= 20: insertion sort */
        for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            uint32_t t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    size_t idx = (size_t)(q * (double)(n - 1) + 0.5);
    return sorted[idx];
}

static void add_sample(uint32_t *ring, size_t *n, size_t *pos, uint32_t v)
{
    ring[*pos] = v;
    *pos = (*pos + 1) % TTFB_SAMPLES;
    if (*n < TTFB_SAMPLES)
        (*n)++;
}

/* Hedge delay for a provider: configured, or its recent p95 time-to-first-byte clamped. */
static int hedge_delay_ms(struct router *r, struct provider *p)
{
    if (r->st.hedge_ms >= 0)
        return r->st.hedge_ms;
    int ms = p->n_ttfb >= 3 ? (int)percentile(p->ttfb_ms, p->n_ttfb, 0.95) : HEDGE_MAX_MS;
    return US_MAX(HEDGE_MIN_MS, US_MIN(HEDGE_MAX_MS, ms));
}

/* Is the provider usable at all for this context (enabled, keyed, privacy)? */
static bool provider_eligible(struct router *r, struct provider *p, const struct prov_context *ctx)
{
    if (!p->cfg.enabled || !p->cfg.ops || p->no_key)
        return false;
    if (!p->loopback) {
        if (!r->st.remote_allowed)
            return false;
        if (ctx && privacy_path_excluded(ctx->path, (const char *const *)r->st.exclude))
            return false;
    }
    /* A disabled provider whose key file changed gets another chance. */
    if (p->breaker.state == BREAKER_DISABLED && p->cfg.api_key_file &&
        !us_file_stamp_equal(us_file_stamp_of(p->cfg.api_key_file), p->key_file_stamp)) {
        breaker_reset(&p->breaker);
        LOG_I("router", "%s: key file changed; trying again", p->cfg.name);
    }
    return true;
}

/* ------------------------------------------------------------------ status */

static enum breaker_state provider_state(struct provider *p, uint64_t now)
{
    if (!p->cfg.enabled || p->no_key)
        return BREAKER_DISABLED;
    return breaker_state_at(&p->breaker, now);
}

const char *router_overall_state(struct router *r)
{
    uint64_t now = us_now_ms();
    size_t up = 0, considered = 0;
    for (size_t i = 0; i < r->n_providers; i++) {
        struct provider *p = r->providers[i];
        if (!p->cfg.enabled)
            continue; /* switched off on purpose: not an outage */
        considered++;
        if (provider_state(p, now) == BREAKER_CLOSED)
            up++;
    }
    if (up == 0)
        return "offline";
    return up == considered ? "ok" : "degraded";
}

static const char *served_by(struct router *r)
{
    if (strcmp(router_overall_state(r), "offline") == 0)
        return "local";
    uint64_t now = us_now_ms();
    /* The latest provider that answered, while it is healthy; else the first healthy one. */
    for (size_t i = 0; i < r->n_providers; i++)
        if (strcmp(r->providers[i]->cfg.name, r->served_by) == 0 &&
            provider_state(r->providers[i], now) == BREAKER_CLOSED)
            return r->served_by;
    for (size_t i = 0; i < r->n_providers; i++)
        if (r->providers[i]->cfg.enabled && provider_state(r->providers[i], now) == BREAKER_CLOSED)
            return r->providers[i]->cfg.name;
    return "local";
}

json_t *router_status(struct router *r)
{
    uint64_t now = us_now_ms();
    json_t *list = json_array();
    for (size_t i = 0; i < r->n_providers; i++) {
        struct provider *p = r->providers[i];
        enum breaker_state st = provider_state(p, now);
        const char *reason = !p->cfg.enabled ? "disabled in configuration"
                             : p->no_key     ? "no key"
                                             : p->breaker.reason;
        int64_t retry = breaker_retry_in_ms(&p->breaker, now);
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:s, s:s, s:I, s:i, s:I, s:I}", "name", p->cfg.name,
                            "kind", p->cfg.kind, "state", breaker_state_name(st), "reason",
                            reason, "retry_in_ms", (json_int_t)(retry < 0 ? 0 : retry),
                            "p50_ms", (int)percentile(p->total_ms, p->n_total, 0.5),
                            "requests", (json_int_t)p->requests, "failures",
                            (json_int_t)p->failures));
    }
    return json_pack("{s:s, s:s, s:o}", "state", router_overall_state(r), "served_by",
                     served_by(r), "providers", list);
}

char *router_status_signature(struct router *r)
{
    uint64_t now = us_now_ms();
    struct strbuf sb;
    sb_init(&sb);
    sb_addf(&sb, "%s|%s", router_overall_state(r), served_by(r));
    for (size_t i = 0; i < r->n_providers; i++)
        sb_addf(&sb, "|%s=%s", r->providers[i]->cfg.name,
                breaker_state_name(provider_state(r->providers[i], now)));
    return sb_detach(&sb, NULL);
}

size_t router_provider_count(const struct router *r)
{
    return r->n_providers;
}

static void notify_status(struct router *r)
{
    if (r->cb.on_status && !r->closing)
        r->cb.on_status(r->ud);
}

/* ------------------------------------------------------------------ background probes */

static void attempt_done_cb(struct attempt *a, void *ud, const struct attempt_result *res);
static void attempt_text_cb(struct attempt *a, void *ud, const char *delta, size_t len);

static const struct attempt_callbacks attempt_cbs = {attempt_text_cb, attempt_done_cb};

static int connect_timeout(struct provider *p)
{
    return p->loopback ? CONNECT_LOOPBACK_MS : CONNECT_REMOTE_MS;
}

/* What may leave the machine: excerpts taken from excluded files dropped (the file itself is
 * never sent, so neither are pieces of it), secrets masked when redact_secrets is on.
 * Caller frees. */
static struct prov_context *remote_context(struct router *r, const struct prov_context *ctx)
{
    struct prov_context tmp = *ctx;
    struct prov_excerpt *kept = NULL;
    if (ctx->n_excerpts) {
        kept = xcalloc(ctx->n_excerpts, sizeof(*kept));
        size_t n = 0;
        for (size_t i = 0; i < ctx->n_excerpts; i++) {
            /* Excerpt paths are URIs (or plain paths): match excludes on the decoded path. */
            const char *path = ctx->excerpts[i].path;
            char *decoded = NULL;
            if (path && us_uri_to_path(path, &decoded, NULL) == 0)
                path = decoded;
            if (!privacy_path_excluded(path, (const char *const *)r->st.exclude))
                kept[n++] = ctx->excerpts[i];
            free(decoded);
        }
        tmp.excerpts = kept;
        tmp.n_excerpts = n;
    }
    struct prov_context *out = r->st.redact ? privacy_scrub(&tmp) : prov_context_dup(&tmp);
    free(kept);
    return out;
}

static struct attempt_slot *slot_start(struct router *r, struct router_request *rq,
                                       struct provider *p, const struct prov_context *ctx,
                                       bool is_probe, int remaining_ms)
{
    struct attempt_slot *s = xcalloc(1, sizeof(*s));
    s->r = r;
    s->rq = rq;
    s->p = p;
    s->is_probe = is_probe;
    s->started_ms = us_now_ms();
    p->refs++;
    struct attempt_opts opts = {
        .connect_timeout_ms = US_MIN(connect_timeout(p), remaining_ms),
        /* First byte gets at most 60 % of what remains, so failover still fits. */
        .first_byte_timeout_ms = US_MAX(1, remaining_ms * 6 / 10),
        .stall_timeout_ms = STALL_MS,
        .total_timeout_ms = p->cfg.timeout_ms > 0 ? US_MIN(p->cfg.timeout_ms, remaining_ms)
                                                  : remaining_ms,
        .max_response_bytes = MAX_RESPONSE_BYTES,
    };
    if (p->cfg.timeout_ms > 0)
        opts.first_byte_timeout_ms = US_MIN(opts.first_byte_timeout_ms, p->cfg.timeout_ms);
    char *key = provider_key(p);
    struct prov_context *sent = NULL;
    const struct prov_context *use = ctx;
    if (!p->loopback) {
        sent = remote_context(r, ctx);
        use = sent;
    } else if (r->st.redact && !r->st.loopback_raw) {
        /* Even a model on this machine gets masked secrets unless the user opts out: logs of
         * local servers end up in bug reports too. */
        sent = privacy_scrub(ctx);
        use = sent;
    }
    p->requests++;
    int rc = attempt_start(r->http, &p->cfg, use, key, &opts, &attempt_cbs, s, &s->a);
    if (sent)
        prov_context_free(sent);
    free(key);
    if (rc < 0) {
        LOG_W("router", "%s: could not start a request: %s", p->cfg.name, us_strerror(rc));
        p->requests--;
        if (is_probe)
            breaker_probe_abandoned(&p->breaker);
        provider_unref(p);
        free(s);
        return NULL;
    }
    LOG_D("router", "%s: attempt started%s (budget %d ms)", p->cfg.name,
          is_probe ? " as probe" : "", remaining_ms);
    return s;
}

static void orphan_add(struct router *r, struct attempt_slot *s)
{
    s->rq = NULL;
    s->next = r->orphans;
    r->orphans = s;
}

static void orphan_remove(struct router *r, struct attempt_slot *s)
{
    for (struct attempt_slot **pp = &r->orphans; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            return;
        }
}

/* Probe every half-open provider that is not being probed, in the background, with the latest
 * context: health must recover by itself even while another provider serves. */
static void background_probes(struct router *r)
{
    if (!r->last_ctx || r->closing)
        return;
    uint64_t now = us_now_ms();
    for (size_t i = 0; i < r->n_providers; i++) {
        struct provider *p = r->providers[i];
        if (!provider_eligible(r, p, r->last_ctx) || !breaker_probe_due(&p->breaker, now))
            continue;
        bool probe;
        if (!breaker_allow(&p->breaker, now, &probe) || !probe)
            continue;
        int budget = p->cfg.timeout_ms > 0 ? p->cfg.timeout_ms : r->st.deadline_ms;
        struct attempt_slot *s = slot_start(r, NULL, p, r->last_ctx, true, budget);
        if (s)
            orphan_add(r, s);
    }
}

static void wake_cb(uv_timer_t *t)
{
    struct router *r = t->data;
    notify_status(r);      /* open -> half_open is a visible change */
    background_probes(r);
    schedule_wake(r);
}

static void schedule_wake(struct router *r)
{
    if (r->closing)
        return;
    uint64_t now = us_now_ms(), soonest = 0;
    for (size_t i = 0; i < r->n_providers; i++) {
        struct breaker *b = &r->providers[i]->breaker;
        if (b->state == BREAKER_OPEN && (soonest == 0 || b->open_until_ms < soonest))
            soonest = b->open_until_ms;
    }
    if (soonest == 0) {
        uv_timer_stop(&r->wake);
        return;
    }
    uv_timer_start(&r->wake, wake_cb, soonest > now ? soonest - now : 0, 0);
}

/* ------------------------------------------------------------------ outcomes */

static void record_outcome(struct router *r, struct attempt_slot *s,
                           const struct attempt_result *res, bool usable)
{
    struct provider *p = s->p;
    uint64_t now = us_now_ms();
    const struct prov_outcome *o = &res->outcome;
    enum breaker_state before = provider_state(p, now);
    if (usable) {
        /* An answer to a request sent before the breaker opened says nothing about now: the
         * provider has since failed or asked us to wait (Retry-After), so only the probe may
         * close an open breaker. */
        if (before != BREAKER_OPEN || s->is_probe)
            breaker_success(&p->breaker, now);
        if (res->ttfb_ms >= 0)
            add_sample(p->ttfb_ms, &p->n_ttfb, &p->ttfb_pos, (uint32_t)res->ttfb_ms);
        add_sample(p->total_ms, &p->n_total, &p->total_pos, (uint32_t)(now - s->started_ms));
        r->tokens = US_MIN(TOKENS_MAX, r->tokens + TOKEN_REFUND);
    } else {
        char reason[200];
        snprintf(reason, sizeof(reason), "%s", o->message[0] ? o->message
                                                             : prov_outcome_name(o->kind));
        switch (o->kind) {
        case PROV_OUT_CANCELLED:
            if (s->is_probe)
                breaker_probe_abandoned(&p->breaker);
            break;
        case PROV_OUT_BAD_REQUEST:
            /* The request was wrong for this provider, not the provider unhealthy. */
            if (s->is_probe)
                breaker_probe_abandoned(&p->breaker);
            break;
        case PROV_OUT_AUTH: {
            p->failures++;
            char why[400];
            snprintf(why, sizeof(why), "%.200s (check %.160s)", reason,
                     p->key_hint[0] ? p->key_hint : "the provider's key");
            breaker_disable(&p->breaker, why);
            p->key_file_stamp = us_file_stamp_of(p->cfg.api_key_file);
            if (before != BREAKER_DISABLED && r->cb.on_disabled)
                r->cb.on_disabled(r->ud, p->cfg.name, p->key_hint);
            break;
        }
        case PROV_OUT_RATE_LIMITED:
            p->failures++;
            breaker_rate_limited(&p->breaker, now, o->retry_after_ms, reason);
            break;
        case PROV_OUT_SERVER:
            p->failures++;
            if (o->http_status == 503 && o->retry_after_ms >= 0)
                breaker_rate_limited(&p->breaker, now, o->retry_after_ms, reason);
            else
                breaker_failure(&p->breaker, now, o->retry_after_ms, reason);
            break;
        default: /* transport, timeout, stream error, malformed, empty */
            p->failures++;
            breaker_failure(&p->breaker, now, o->retry_after_ms, reason);
            break;
        }
    }
    if (provider_state(p, now) != before) {
        LOG_I("router", "%s: %s -> %s (%s)", p->cfg.name, breaker_state_name(before),
              breaker_state_name(provider_state(p, now)), p->breaker.reason);
        schedule_wake(r);
    }
}

static struct attempt_slot **slot_ref(struct router_request *rq, struct attempt_slot *s)
{
    for (int i = 0; i < MAX_IN_FLIGHT; i++)
        if (rq->slots[i] == s)
            return &rq->slots[i];
    return NULL;
}

static int in_flight(const struct router_request *rq)
{
    int n = 0;
    for (int i = 0; i < MAX_IN_FLIGHT; i++)
        n += rq->slots[i] != NULL;
    return n;
}

/* Stop a slot's transfer. A probe is not aborted: it runs to its own end so the breaker
 * learns the outcome (reference/resilience.md). */
static void slot_drop(struct router *r, struct attempt_slot *s)
{
    if (s->is_probe) {
        orphan_add(r, s);
        return;
    }
    attempt_abort(s->a);
    provider_unref(s->p);
    free(s);
}

static void attempt_text_cb(struct attempt *a, void *ud, const char *delta, size_t len)
{
    struct attempt_slot *s = ud;
    if (!s->has_text) {
        s->has_text = true;
        /* The hedge is only for attempts that have not started to answer. */
        if (s->rq && in_flight(s->rq) == 1)
            uv_timer_stop(&s->rq->hedge_timer);
    }
}

static void attempt_done_cb(struct attempt *a, void *ud, const struct attempt_result *res)
{
    struct attempt_slot *s = ud;
    struct router *r = s->r;
    struct router_request *rq = s->rq;

    /* Shape the raw text into what would be inserted; empty after that is a failure. */
    struct strbuf text;
    sb_init(&text);
    bool usable = false, repeated = false;
    struct prov_outcome outcome = res->outcome;
    const struct prov_context *ctx = rq ? rq->ctx : r->last_ctx;
    if (outcome.kind == PROV_OUT_OK && ctx) {
        size_t n = 0;
        char *clean = pp_clean(ctx, res->text, res->text_len, pp_is_chat(&s->p->cfg), &n);
        sb_add(&text, clean, n);
        free(clean);
        usable = text.len > 0;
        if (!usable && res->text_len > 0) {
            /* The model only repeated text already there: a useless answer, not a sick
             * provider. Fail over without touching its health. */
            outcome.kind = PROV_OUT_BAD_REQUEST;
            repeated = true;
            snprintf(outcome.message, sizeof(outcome.message),
                     "answer only repeated existing text");
        } else if (!usable) {
            outcome.kind = PROV_OUT_MALFORMED;
            snprintf(outcome.message, sizeof(outcome.message), "empty completion");
        }
    }
    struct attempt_result adjusted = *res;
    adjusted.outcome = outcome;
    record_outcome(r, s, &adjusted, usable);

    /* Good answers fill the cache even when nobody waits (probes, detached requests). */
    if (usable && !res->truncated && ctx) {
        struct cache_key key = rq ? rq->key
                                  : cache_key_of(ctx->language, ctx->prefix, ctx->prefix_len,
                                                 ctx->suffix, ctx->suffix_len);
        cache_put(r->cache, key, text.data, text.len, s->p->cfg.name, us_now_ms());
    }

    if (!rq) {
        orphan_remove(r, s);
        provider_unref(s->p);
        free(s);
        sb_release(&text);
        notify_status(r);
        return;
    }
    *slot_ref(rq, s) = NULL;
    struct provider *p = s->p;
    if (usable) {
        snprintf(r->served_by, sizeof(r->served_by), "%s", p->cfg.name);
        request_finish(rq, ROUTER_PROVIDER, text.data, text.len, p->cfg.name);
    } else {
        snprintf(rq->why, sizeof(rq->why), "%.40s: %.110s", p->cfg.name,
                 outcome.message[0] ? outcome.message : prov_outcome_name(outcome.kind));
        if (repeated) /* a useless answer, not a failure (not counted as one either) */
            LOG_D("router", "%s: answer only repeated existing text; next source",
                  p->cfg.name);
        else
            LOG_I("router", "%s failed: %s", p->cfg.name, rq->why);
        /* Transient failures may be retried on the same provider when nobody else is left
         * (reference/resilience.md), unless the provider said not to. */
        bool transient = outcome.kind == PROV_OUT_TRANSPORT || outcome.kind == PROV_OUT_SERVER ||
                         outcome.kind == PROV_OUT_STREAM_ERROR;
        rq->retry_p = transient && !outcome.should_retry_false ? p : NULL;
    }
    provider_unref(p);
    free(s);
    sb_release(&text);
    if (!usable && !rq->answered)
        request_try_next(rq);
    notify_status(r);
}

/* ------------------------------------------------------------------ request life */

static void request_close_cb(uv_handle_t *h)
{
    struct router_request *rq = h->data;
    if (--rq->timers_open == 0) {
        prov_context_free(rq->ctx);
        free(rq->pending_text);
        free(rq->pending_source);
        free(rq);
    }
}

static void request_unlink(struct router_request *rq)
{
    struct router *r = rq->r;
    if (rq->prev)
        rq->prev->next = rq->next;
    else if (r->live == rq)
        r->live = rq->next;
    if (rq->next)
        rq->next->prev = rq->prev;
    rq->prev = rq->next = NULL;
}

static void request_free(struct router_request *rq)
{
    request_unlink(rq);
    for (int i = 0; i < MAX_IN_FLIGHT; i++)
        if (rq->slots[i]) {
            slot_drop(rq->r, rq->slots[i]);
            rq->slots[i] = NULL;
        }
    uv_close((uv_handle_t *)&rq->deadline_timer, request_close_cb);
    uv_close((uv_handle_t *)&rq->hedge_timer, request_close_cb);
    uv_close((uv_handle_t *)&rq->defer_timer, request_close_cb);
}

static bool has_joiners(struct router_request *rq)
{
    for (struct router_request *o = rq->r->live; o; o = o->next)
        if (o->join_of == rq)
            return true;
    return false;
}

static void deliver(struct router_request *rq, enum router_how how, const char *text, size_t len,
                    const char *source)
{
    if (!rq->wants_answer)
        return;
    rq->wants_answer = false;
    struct router_answer a = {
        .how = how,
        .text = how == ROUTER_NONE ? NULL : text,
        .len = how == ROUTER_NONE ? 0 : len,
        .source = source,
        .why = how == ROUTER_NONE ? (rq->why[0] ? rq->why : "no provider answered") : NULL,
        .elapsed_us = us_now_us() - rq->start_us,
        .attempts = rq->attempts,
    };
    rq->cb(rq->ud, &a);
}

static void serve_joiners(struct router_request *rq, enum router_how how, const char *text,
                          size_t len, const char *source);

/* The request's outcome is known: answer the caller and anyone waiting on it, stop work. */
static void request_finish(struct router_request *rq, enum router_how how, const char *text,
                           size_t len, const char *source)
{
    if (rq->answered)
        return;
    rq->answered = true;
    uv_timer_stop(&rq->deadline_timer);
    uv_timer_stop(&rq->hedge_timer);
    if (how == ROUTER_NONE) {
        /* Stale-if-error: an expired answer for the same place beats nothing. */
        struct cache_hit hit;
        if (cache_get(rq->r->cache, rq->key, us_now_ms(), true, &hit)) {
            char *copy = xstrndup(hit.text, hit.len);
            char *src = xstrdup(hit.source);
            size_t n = hit.len;
            deliver(rq, ROUTER_STALE, copy, n, src);
            serve_joiners(rq, ROUTER_STALE, copy, n, src);
            free(copy);
            free(src);
            request_free(rq);
            return;
        }
    }
    deliver(rq, how, text, len, source);
    serve_joiners(rq, how, text, len, source);
    request_free(rq);
}

static void start_chain(struct router_request *rq);
/* The first CACHE_SUFFIX_HEAD bytes of `suffix` are those of then's suffix. */
static bool same_suffix_head(const struct prov_context *then, const char *suffix, size_t len)
{
    size_t sl = US_MIN(len, (size_t)CACHE_SUFFIX_HEAD);
    return then->suffix_len >= sl && memcmp(then->suffix, suffix, sl) == 0;
}

/* Requests that waited for rq: serve them the rest of its answer when they typed its start,
 * else let them run their own chain. */
static void serve_joiners(struct router_request *rq, enum router_how how, const char *text,
                          size_t len, const char *source)
{
    struct router *r = rq->r;
    for (struct router_request *o = r->live, *next; o; o = next) {
        next = o->next;
        if (o->join_of != rq)
            continue;
        o->join_of = NULL;
        size_t typed = o->ctx->prefix_len - rq->ctx->prefix_len;
        const char *t = o->ctx->prefix + rq->ctx->prefix_len;
        if (how != ROUTER_NONE && len > typed && memcmp(text, t, typed) == 0) {
            /* A closer the editor auto-inserted already follows the cursor. */
            size_t ac = cache_autoclosed(t, typed, o->ctx->suffix, o->ctx->suffix_len);
            size_t rest = len - typed;
            if (ac == 0 || same_suffix_head(rq->ctx, o->ctx->suffix, o->ctx->suffix_len) ||
                (cache_trim_autoclosed(text + typed, &rest, o->ctx->suffix, ac) && rest > 0)) {
                request_finish(o, ROUTER_TYPE_THROUGH, text + typed, rest, source);
                continue;
            }
        }
        if (us_now_ms() < o->deadline_ms) {
            start_chain(o);
        } else {
            request_finish(o, ROUTER_NONE, NULL, 0, NULL);
        }
    }
}

static void deadline_cb(uv_timer_t *t)
{
    struct router_request *rq = t->data;
    /* An attempt that has not produced usable text by the deadline was too slow to serve,
     * even if bytes kept trickling in (no stall): that counts against its provider, so the
     * next request goes elsewhere. A probe keeps running and reports for itself. */
    uint64_t now = us_now_ms();
    for (int i = 0; i < MAX_IN_FLIGHT; i++) {
        struct attempt_slot *s = rq->slots[i];
        if (!s || s->has_text || s->is_probe)
            continue;
        s->p->failures++;
        breaker_failure(&s->p->breaker, now, -1, "no answer before the deadline");
        schedule_wake(rq->r);
    }
    snprintf(rq->why, sizeof(rq->why), "deadline reached");
    LOG_I("router", "request deadline reached after %d attempts", rq->attempts);
    request_finish(rq, ROUTER_NONE, NULL, 0, NULL);
}

static int remaining_ms(struct router_request *rq)
{
    uint64_t now = us_now_ms();
    return now >= rq->deadline_ms ? 0 : (int)(rq->deadline_ms - now);
}

/* Start an attempt on the next eligible provider in priority order. Returns true if one
 * started. */
static bool start_next_provider(struct router_request *rq, bool extra)
{
    struct router *r = rq->r;
    uint64_t now = us_now_ms();
    while (rq->next_provider < r->n_providers) {
        struct provider *p = r->providers[rq->next_provider++];
        if (!provider_eligible(r, p, rq->ctx))
            continue;
        bool is_probe;
        if (!breaker_allow(&p->breaker, now, &is_probe))
            continue;
        /* A request can reach a provider whose cooldown just ended before the wake timer
         * does: report half_open first, so every state shows up in the status. */
        if (is_probe)
            notify_status(r);
        int left = remaining_ms(rq);
        if (left <= 0) {
            if (is_probe)
                breaker_probe_abandoned(&p->breaker);
            return false;
        }
        if (extra)
            r->tokens -= 1.0;
        struct attempt_slot *s = slot_start(r, rq, p, rq->ctx, is_probe, left);
        if (!s)
            continue;
        for (int i = 0; i < MAX_IN_FLIGHT; i++)
            if (!rq->slots[i]) {
                rq->slots[i] = s;
                break;
            }
        rq->attempts++;
        return true;
    }
    return false;
}

static bool another_provider_ready(struct router_request *rq)
{
    struct router *r = rq->r;
    uint64_t now = us_now_ms();
    for (size_t i = rq->next_provider; i < r->n_providers; i++) {
        struct provider *p = r->providers[i];
        if (provider_eligible(r, p, rq->ctx) &&
            (provider_state(p, now) == BREAKER_CLOSED || breaker_probe_due(&p->breaker, now)))
            return true;
    }
    return false;
}

static void hedge_cb(uv_timer_t *t)
{
    struct router_request *rq = t->data;
    if (rq->answered || in_flight(rq) >= MAX_IN_FLIGHT)
        return;
    bool probing = false;
    for (int i = 0; i < MAX_IN_FLIGHT; i++)
        if (rq->slots[i] && rq->slots[i]->is_probe)
            probing = true;
    /* Hedges cost extra requests; the token bucket keeps them under ~20 %. Hedging a probe
     * is always worth it: the user must not wait on a provider that was just down. */
    if ((probing || rq->r->tokens >= TOKENS_FLOOR) && another_provider_ready(rq)) {
        LOG_D("router", "hedging after %d ms without a first byte",
              (int)((us_now_us() - rq->start_us) / 1000));
        start_next_provider(rq, true);
    }
}

static void first_text_cb(uv_timer_t *t)
{
    struct router_request *rq = t->data;
    if (rq->answered)
        return;
    uint64_t now = us_now_ms();
    for (int i = 0; i < MAX_IN_FLIGHT; i++) {
        struct attempt_slot *s = rq->slots[i];
        if (!s || s->has_text || s->is_probe)
            continue;
        struct provider *p = s->p;
        p->failures++;
        breaker_failure(&p->breaker, now, -1, "no text in time");
        snprintf(rq->why, sizeof(rq->why), "%.40s: no text in time", p->cfg.name);
        LOG_I("router", "%s: no text after %d ms; failing over", p->cfg.name,
              (int)(now - s->started_ms));
        rq->slots[i] = NULL;
        slot_drop(rq->r, s);
        schedule_wake(rq->r);
    }
    request_try_next(rq);
    notify_status(rq->r);
}

static void arm_hedge(struct router_request *rq)
{
    struct router *r = rq->r;
    struct attempt_slot *s = NULL;
    for (int i = 0; i < MAX_IN_FLIGHT; i++)
        if (rq->slots[i])
            s = rq->slots[i];
    if (!s || in_flight(rq) >= MAX_IN_FLIGHT)
        return;
    int delay = hedge_delay_ms(r, s->p);
    /* A probe is always hedged at once when someone healthy can serve: the user must never
     * wait on a provider that was just down. */
    if (s->is_probe)
        delay = 0;
    if (delay > 0 || s->is_probe) {
        uv_timer_start(&rq->hedge_timer, hedge_cb, (uint64_t)delay, 0);
    } else {
        /* Hedging is off: still give up on an attempt that sends bytes but no text (a drip)
         * once 60 % of what remains has passed, so failover fits in the deadline. */
        int wait = US_MAX(1, remaining_ms(rq) * 6 / 10);
        uv_timer_start(&rq->hedge_timer, first_text_cb, (uint64_t)wait, 0);
    }
}

static void retry_cb(uv_timer_t *t)
{
    struct router_request *rq = t->data;
    if (rq->answered)
        return;
    /* Point the chain back at the provider and let the usual path start it. */
    for (size_t i = 0; i < rq->r->n_providers; i++)
        if (rq->r->providers[i] == rq->retry_p)
            rq->next_provider = i;
    rq->retry_p = NULL;
    if (remaining_ms(rq) > 0 && start_next_provider(rq, true)) {
        arm_hedge(rq);
        return;
    }
    request_finish(rq, ROUTER_NONE, NULL, 0, NULL);
}

/* One retry on the same provider after full-jitter backoff (base 50 ms, cap 250 ms), only
 * when the chain is exhausted, the failure was transient, the provider is still closed, the
 * retry budget has tokens and the wait fits well inside the deadline. */
static bool try_retry(struct router_request *rq)
{
    struct router *r = rq->r;
    struct provider *p = rq->retry_p;
    if (!p || rq->retried || r->tokens < TOKENS_FLOOR)
        return false;
    /* Compare pointers first: a provider dropped by a reconfigure may be gone. */
    bool still_listed = false;
    for (size_t i = 0; i < r->n_providers; i++)
        still_listed |= r->providers[i] == p;
    if (!still_listed || provider_state(p, us_now_ms()) != BREAKER_CLOSED)
        return false;
    uint32_t cap = 50;
    for (int i = 0; i < rq->attempts && cap < 250; i++)
        cap *= 2;
    cap = US_MIN(cap, 250u);
    uint32_t delay = (uint32_t)(us_now_us() % (cap + 1));
    if ((int)delay + 100 >= remaining_ms(rq))
        return false;
    rq->retried = true;
    LOG_D("router", "%s: retrying in %u ms (no other provider left)", p->cfg.name, delay);
    uv_timer_start(&rq->hedge_timer, retry_cb, delay, 0);
    return true;
}

/* Failover: the current attempt failed; start the next provider at once, or end. */
static void request_try_next(struct router_request *rq)
{
    if (rq->answered)
        return;
    if (in_flight(rq) > 0)
        return; /* the hedge still runs; it may yet answer */
    if (remaining_ms(rq) > 0 && start_next_provider(rq, false)) {
        arm_hedge(rq);
        return;
    }
    if (try_retry(rq))
        return;
    if (!rq->why[0])
        snprintf(rq->why, sizeof(rq->why), "%s",
                 rq->r->n_providers ? "every provider is down" : "no provider configured");
    request_finish(rq, ROUTER_NONE, NULL, 0, NULL);
}

static void start_chain(struct router_request *rq)
{
    uv_timer_start(&rq->deadline_timer, deadline_cb, (uint64_t)remaining_ms(rq), 0);
    request_try_next(rq);
}

static void defer_cb(uv_timer_t *t)
{
    struct router_request *rq = t->data;
    request_finish(rq, rq->pending.how, rq->pending_text, rq->pending.len, rq->pending_source);
}

/* ------------------------------------------------------------------ public API */

static void copy_settings(struct router *r, const struct us_settings *st)
{
    r->st.deadline_ms = st->completion.deadline_ms;
    r->st.hedge_ms = st->completion.hedge_ms;
    r->st.breaker.failures = st->breaker.failures;
    r->st.breaker.cooldown_ms = st->breaker.cooldown_ms;
    r->st.breaker.max_cooldown_ms = st->breaker.max_cooldown_ms;
    r->st.remote_allowed = st->privacy.remote;
    r->st.redact = st->privacy.redact_secrets;
    r->st.loopback_raw = st->privacy.loopback_raw;
    if (r->st.exclude)
        for (char **p = r->st.exclude; *p; p++)
            free(*p);
    free(r->st.exclude);
    size_t n = 0;
    while (st->privacy.exclude && st->privacy.exclude[n])
        n++;
    r->st.exclude = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        r->st.exclude[i] = xstrdup(st->privacy.exclude[i]);
}

struct router *router_new(uv_loop_t *loop, const struct us_settings *settings,
                          const struct router_callbacks *cb, void *ud)
{
    struct router *r = xcalloc(1, sizeof(*r));
    r->loop = loop;
    r->http = http_engine_new(loop);
    if (cb)
        r->cb = *cb;
    r->ud = ud;
    r->tokens = TOKENS_MAX;
    r->seed = (uint32_t)us_now_us() | 1u;
    uv_timer_init(loop, &r->wake);
    r->wake.data = r;
    r->cache = cache_new((size_t)settings->cache.entries, settings->cache.max_bytes,
                         (uint32_t)settings->cache.ttl_s);
    router_configure(r, settings);
    return r;
}

void router_configure(struct router *r, const struct us_settings *settings)
{
    copy_settings(r, settings);
    cache_resize(r->cache, (size_t)settings->cache.entries, settings->cache.max_bytes,
                 (uint32_t)settings->cache.ttl_s);
    struct provider **next = xcalloc(settings->n_providers + 1, sizeof(*next));
    for (size_t i = 0; i < settings->n_providers; i++) {
        const struct prov_config *c = &settings->providers[i];
        struct provider *keep = NULL;
        for (size_t j = 0; j < r->n_providers; j++)
            if (r->providers[j] && same_provider(&r->providers[j]->cfg, c)) {
                keep = r->providers[j];
                r->providers[j] = NULL;
                break;
            }
        if (keep) {
            /* Same provider: keep its health, take the new details; a configuration change
             * is the user's answer to an auth error, so a disabled provider is reset. */
            struct prov_config fresh;
            config_copy(&fresh, c);
            prov_config_release(&keep->cfg);
            keep->cfg = fresh;
            keep->breaker.policy = r->st.breaker;
            if (keep->breaker.state == BREAKER_DISABLED)
                breaker_reset(&keep->breaker);
            provider_check_key(keep);
            next[i] = keep;
        } else {
            next[i] = provider_new(c, settings, r->seed + (uint32_t)i * 7919u);
        }
    }
    for (size_t j = 0; j < r->n_providers; j++)
        if (r->providers[j]) {
            provider_unref(r->providers[j]);
        }
    free(r->providers);
    r->providers = next;
    r->n_providers = settings->n_providers;
    schedule_wake(r);
    /* Curl's set-up waits until a provider can use it, and then for the loop to finish what it
     * is doing (answering `initialize`, say) rather than for the first completion. */
    if (r->n_providers > 0)
        http_engine_warm_up(r->http);
}

static void wake_close_cb(uv_handle_t *h)
{
    struct router *r = h->data;
    free(r);
}

void router_free(struct router *r)
{
    if (!r)
        return;
    r->closing = true;
    while (r->live) {
        struct router_request *rq = r->live;
        rq->wants_answer = false;
        rq->answered = true;
        request_free(rq);
    }
    while (r->orphans) {
        struct attempt_slot *s = r->orphans;
        r->orphans = s->next;
        attempt_abort(s->a);
        provider_unref(s->p);
        free(s);
    }
    for (size_t i = 0; i < r->n_providers; i++)
        provider_unref(r->providers[i]);
    free(r->providers);
    if (r->st.exclude)
        for (char **p = r->st.exclude; *p; p++)
            free(*p);
    free(r->st.exclude);
    cache_free(r->cache);
    prov_context_free(r->last_ctx);
    http_engine_free(r->http);
    uv_close((uv_handle_t *)&r->wake, wake_close_cb);
}

bool router_lookup(struct router *r, const struct prov_context *ctx, struct router_answer *out)
{
    uint64_t now = us_now_ms();
    struct cache_hit hit;
    memset(out, 0, sizeof(*out));
    struct cache_key key =
        cache_key_of(ctx->language, ctx->prefix, ctx->prefix_len, ctx->suffix, ctx->suffix_len);
    if (cache_get(r->cache, key, now, false, &hit)) {
        out->how = ROUTER_CACHE;
    } else if (cache_type_through(r->cache, ctx->language, ctx->prefix, ctx->prefix_len,
                                  ctx->suffix, ctx->suffix_len, now, &hit)) {
        out->how = ROUTER_TYPE_THROUGH;
    } else {
        return false;
    }
    out->text = hit.text;
    out->len = hit.len;
    out->source = hit.source;
    return true;
}

int router_expected_ms(struct router *r, const struct prov_context *ctx)
{
    uint64_t now = us_now_ms();
    for (size_t i = 0; i < r->n_providers; i++) {
        struct provider *p = r->providers[i];
        if (!provider_eligible(r, p, ctx) || provider_state(p, now) != BREAKER_CLOSED)
            continue;
        return p->n_total >= 3 ? (int)percentile(p->total_ms, p->n_total, 0.5) : -1;
    }
    return -1;
}

/* A running request this one extends by a few typed characters on the same line. */
static struct router_request *find_extendable(struct router *r, const struct prov_context *ctx)
{
    for (struct router_request *o = r->live; o; o = o->next) {
        if (o->answered || o->join_of || strcmp(o->ctx->language, ctx->language) != 0)
            continue;
        size_t n = o->ctx->prefix_len;
        if (ctx->prefix_len <= n || ctx->prefix_len - n > CACHE_TYPE_THROUGH)
            continue;
        if (memcmp(o->ctx->prefix, ctx->prefix, n) != 0 ||
            memchr(ctx->prefix + n, '\n', ctx->prefix_len - n))
            continue;
        /* The suffix then, or now minus the closers the editor auto-inserted since. */
        size_t ac = cache_autoclosed(ctx->prefix + n, ctx->prefix_len - n, ctx->suffix,
                                     ctx->suffix_len);
        if (!same_suffix_head(o->ctx, ctx->suffix, ctx->suffix_len) &&
            (ac == 0 || !same_suffix_head(o->ctx, ctx->suffix + ac, ctx->suffix_len - ac)))
            continue;
        return o;
    }
    return NULL;
}

struct router_request *router_complete(struct router *r, const struct prov_context *ctx,
                                       int deadline_ms, router_answer_fn cb, void *ud)
{
    if (r->closing)
        return NULL;
    struct router_request *rq = xcalloc(1, sizeof(*rq));
    rq->r = r;
    rq->ctx = prov_context_dup(ctx);
    rq->key = cache_key_of(ctx->language, ctx->prefix, ctx->prefix_len, ctx->suffix,
                           ctx->suffix_len);
    rq->start_us = us_now_us();
    rq->deadline_ms = us_now_ms() + (uint64_t)(deadline_ms > 0 ? deadline_ms : r->st.deadline_ms);
    rq->cb = cb;
    rq->ud = ud;
    rq->wants_answer = true;
    uv_timer_init(r->loop, &rq->deadline_timer);
    uv_timer_init(r->loop, &rq->hedge_timer);
    uv_timer_init(r->loop, &rq->defer_timer);
    rq->deadline_timer.data = rq->hedge_timer.data = rq->defer_timer.data = rq;
    rq->timers_open = 3;
    rq->next = r->live;
    if (r->live)
        r->live->prev = rq;
    r->live = rq;

    prov_context_free(r->last_ctx);
    r->last_ctx = prov_context_dup(ctx);

    struct router_answer hit;
    if (router_lookup(r, ctx, &hit)) {
        rq->pending = hit;
        rq->pending_text = xstrndup(hit.text, hit.len);
        rq->pending_source = xstrdup(hit.source ? hit.source : "");
        uv_timer_start(&rq->defer_timer, defer_cb, 0, 0);
        return rq;
    }
    struct router_request *base = find_extendable(r, ctx);
    if (base) {
        rq->join_of = base;
        uv_timer_start(&rq->deadline_timer, deadline_cb, (uint64_t)remaining_ms(rq), 0);
        LOG_D("router", "waiting for a running request this one extends");
    } else if (r->n_providers == 0) {
        snprintf(rq->why, sizeof(rq->why), "no provider configured");
        rq->pending.how = ROUTER_NONE;
        uv_timer_start(&rq->defer_timer, defer_cb, 0, 0);
    } else {
        start_chain(rq);
    }
    background_probes(r);
    return rq;
}

void router_cancel(struct router_request *rq)
{
    rq->wants_answer = false;
    if (rq->answered)
        return;
    if (has_joiners(rq))
        return; /* someone else waits for this transfer: let it run */
    rq->answered = true;
    /* Waiting on another request: just leave. */
    request_free(rq);
}

void router_detach(struct router_request *rq)
{
    rq->wants_answer = false;
}
