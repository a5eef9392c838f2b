/* router_pool: the router's providers and their health. Keys read at use, latency samples and
 * percentiles, breaker bookkeeping per outcome, the status object, background probes of
 * half-open providers, starting an attempt (what may leave the machine), configuration. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "files.h"
#include "http.h"
#include "loopback.h"
#include "privacy.h"
#include "router_int.h"

/* ------------------------------------------------------------------ provider helpers */

static bool same_provider(const struct prov_config *a, const struct prov_config *b)
{
#define SAME(f) ((!a->f && !b->f) || (a->f && b->f && strcmp(a->f, b->f) == 0))
    return SAME(name) && SAME(kind) && SAME(base_url) && SAME(model);
#undef SAME
}

void router__provider_unref(struct provider *p)
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
        if (warn) {
            /* A key file that exists but is not one clean line is a configuration error:
             * the message names the file, never the key. */
            bool bad = rc < 0 && rc != US_ENOENT && err;
            if (bad && strcmp(p->key_error, err) != 0) {
                snprintf(p->key_error, sizeof(p->key_error), "%s", err);
                p->key_error_said = false;
                LOG_W("router", "%s: %s", p->cfg.name, err);
            } else if (!bad) {
                p->key_error[0] = 0;
            }
        }
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

/* What the user is told to check when the key is refused: "$OPENAI_API_KEY" or "key file /path". */
static void set_key_hint(struct provider *p)
{
    p->key_hint[0] = 0;
    if (p->cfg.api_key_file)
        snprintf(p->key_hint, sizeof(p->key_hint), "key file %s", p->cfg.api_key_file);
    else if (p->cfg.api_key_env)
        snprintf(p->key_hint, sizeof(p->key_hint), "$%s", p->cfg.api_key_env);
}

static struct provider *provider_new(const struct prov_config *cfg, const struct us_settings *st,
                                     uint32_t seed)
{
    struct provider *p = xcalloc(1, sizeof(*p));
    p->refs = 1;
    prov_config_copy(&p->cfg, cfg);
    p->loopback = cfg->base_url && us_url_is_loopback(cfg->base_url);
    struct breaker_policy pol = {st->breaker.failures, st->breaker.cooldown_ms,
                                 st->breaker.max_cooldown_ms, st->breaker.probe_ms};
    breaker_init(&p->breaker, &pol, seed);
    set_key_hint(p);
    provider_check_key(p);
    return p;
}

/* Hedge delay for a provider: configured, or its recent p95 time-to-first-byte clamped. */
int router__hedge_delay_ms(struct router *r, struct provider *p)
{
    if (r->st.hedge_ms >= 0)
        return r->st.hedge_ms;
    int ms = p->lat.ttft.n >= LAT_MIN_HISTORY ? (int)lat_ring_pct(&p->lat.ttft, 0.95)
                                              : HEDGE_MAX_MS;
    return US_MAX(HEDGE_MIN_MS, US_MIN(HEDGE_MAX_MS, ms));
}

/* Is the provider usable at all for this context (enabled, keyed, privacy)? */
bool router__eligible(struct router *r, struct provider *p, const struct prov_context *ctx)
{
    if (!p->cfg.enabled || !p->cfg.ops || p->no_key)
        return false;
    if (!p->loopback && !r->st.remote_allowed)
        return false;
    /* Excluded files go to no provider, loopback included: a loopback URL is often a gateway
     * (LiteLLM, Portkey, a company proxy) to the cloud. */
    if (ctx && privacy_exclude_match(r->st.exclude, ctx->uri ? ctx->uri : ctx->path))
        return false;
    /* A disabled provider whose key file changed gets another chance. */
    if (p->breaker.state == BREAKER_DISABLED && p->cfg.api_key_file &&
        !us_file_stamp_equal(us_file_stamp_of(p->cfg.api_key_file), p->key_file_stamp)) {
        breaker_reset(&p->breaker);
        LOG_I("router", "%s: key file changed; trying again", p->cfg.name);
    }
    return true;
}

/* ------------------------------------------------------------------ status */

enum breaker_state router__provider_state(struct provider *p, uint64_t now)
{
    if (!p->cfg.enabled || p->no_key)
        return BREAKER_DISABLED;
    return breaker_state_at(&p->breaker, now);
}

const char *router__state_name(struct provider *p, uint64_t now)
{
    enum breaker_state st = router__provider_state(p, now);
    if (st == BREAKER_CLOSED && lat_is_slow(&p->lat))
        return "slow";
    return breaker_state_name(st);
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
        if (router__provider_state(p, now) == BREAKER_CLOSED)
            up++;
    }
    if (up == 0)
        return "offline";
    return up == considered ? "ok" : "degraded";
}

/* The provider a new request would go to: the first in the user's order whose breaker is
 * closed (not the last one that answered: a hedge or an emptied answer says nothing about
 * which provider serves). */
static const char *served_by(struct router *r)
{
    uint64_t now = us_now_ms();
    for (size_t i = 0; i < r->n_providers; i++)
        if (r->providers[i]->cfg.enabled && router__provider_state(r->providers[i], now) == BREAKER_CLOSED)
            return r->providers[i]->cfg.name;
    return "local";
}

json_t *router_status(struct router *r)
{
    uint64_t now = us_now_ms();
    json_t *list = json_array();
    for (size_t i = 0; i < r->n_providers; i++) {
        struct provider *p = r->providers[i];
        const char *reason = !p->cfg.enabled ? "disabled in configuration"
                             : p->no_key     ? (p->key_error[0] ? p->key_error : "no key")
                                             : p->breaker.reason;
        int64_t retry = breaker_retry_in_ms(&p->breaker, now);
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:s, s:s, s:I, s:i, s:I, s:I}", "name", p->cfg.name,
                            "kind", p->cfg.kind, "state", router__state_name(p, now), "reason",
                            reason, "retry_in_ms", (json_int_t)(retry < 0 ? 0 : retry),
                            "p50_ms", (int)lat_ring_pct(&p->lat.total, 0.5),
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
    /* The reason too: a provider's failure shows in the status at once. */
    for (size_t i = 0; i < r->n_providers; i++)
        sb_addf(&sb, "|%s=%s:%s", r->providers[i]->cfg.name,
                router__state_name(r->providers[i], now), r->providers[i]->breaker.reason);
    return sb_detach(&sb, NULL);
}

size_t router_provider_count(const struct router *r)
{
    return r->n_providers;
}

void router__notify_status(struct router *r)
{
    if (r->cb.on_status && !r->closing)
        r->cb.on_status(r->ud);
}

/* FNV-1a of the key: enough to tell "the key that worked" from a new one, never logged. */
static uint64_t key_hash(const char *key)
{
    if (!key)
        return 0;
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *c = (const unsigned char *)key; *c; c++)
        h = (h ^ *c) * 1099511628211ull;
    return h ? h : 1;
}

static int connect_timeout(struct provider *p)
{
    return p->loopback ? CONNECT_LOOPBACK_MS : CONNECT_REMOTE_MS;
}

/* What may leave the machine: excerpts taken from excluded files dropped (the file itself is
 * never sent, so neither are pieces of it); the caller masks secrets when redact_secrets is on.
 * *out is ctx with the kept excerpts (borrowed from ctx, no copy); returns the excerpt array
 * *out points into, which the caller frees after use (NULL when ctx had none). */
static struct prov_excerpt *remote_context(struct router *r, const struct prov_context *ctx,
                                           struct prov_context *out)
{
    struct prov_context tmp = *ctx;
    struct prov_excerpt *kept = NULL;
    if (ctx->n_excerpts) {
        kept = xcalloc(ctx->n_excerpts, sizeof(*kept));
        size_t n = 0;
        for (size_t i = 0; i < ctx->n_excerpts; i++) {
            /* Excerpt paths are URIs (any scheme) or plain paths: privacy_exclude_match
             * decodes them with the one URI-to-path conversion. */
            if (!privacy_exclude_match(r->st.exclude, ctx->excerpts[i].path))
                kept[n++] = ctx->excerpts[i];
        }
        tmp.excerpts = kept;
        tmp.n_excerpts = n;
    }
    *out = tmp;
    return kept;
}

struct attempt_slot *router__slot_start(struct router *r, struct router_request *rq,
                                       struct provider *p, const struct prov_context *ctx,
                                       bool is_probe, int remaining_ms)
{
    struct attempt_slot *s = xcalloc(1, sizeof(*s));
    s->r = r;
    s->rq = rq;
    s->p = p;
    s->is_probe = is_probe;
    s->started_ms = us_now_ms();
    sb_init(&s->text);
    us_list_init(&s->link);
    p->refs++;
    struct attempt_opts opts = {
        .connect_timeout_ms = US_MIN(connect_timeout(p), remaining_ms),
        /* No first-byte timeout of its own: a fixed share of the deadline declared healthy
         * 1 s providers dead. The request judges a slow attempt against the provider's own
         * latency (router_request.c, watch_cb) and lets the only one that can serve run to
         * the deadline. A configured timeout_ms still bounds it. */
        .first_byte_timeout_ms = p->cfg.timeout_ms > 0 ? US_MIN(p->cfg.timeout_ms, remaining_ms) : 0,
        .stall_timeout_ms = STALL_MS,
        /* The request's deadline judges first (a partial answer, a too-slow call); the
         * transfer's own limit is a little later so it never pre-empts that. */
        .total_timeout_ms = p->cfg.timeout_ms > 0 && p->cfg.timeout_ms < remaining_ms
                                ? p->cfg.timeout_ms
                                : remaining_ms + DEADLINE_GRACE_MS,
        .max_response_bytes = MAX_RESPONSE_BYTES,
    };
    char *key = provider_key(p);
    s->key_hash = key_hash(key);
    struct prov_context *sent = NULL, kept_ctx;
    struct prov_excerpt *kept = NULL;
    const struct prov_context *use = ctx;
    kept = remote_context(r, ctx, &kept_ctx); /* excerpts of excluded files: for no one */
    use = &kept_ctx;
    /* The context is cut from masked documents (lsp/context.c); this is the second net. Even
     * a model on this machine gets masked secrets unless the user opts out: logs of local
     * servers end up in bug reports too. */
    if (r->st.redact && (!p->loopback || !r->st.loopback_raw))
        use = sent = privacy_scrub(&kept_ctx);
    p->requests++;
    int rc = r->aops->start(r->http, &p->cfg, use, key, &opts, &router__attempt_cbs, s, &s->a);
    if (sent)
        prov_context_free(sent);
    free(kept);
    free(key);
    if (rc < 0) {
        LOG_W("router", "%s: could not start a request: %s", p->cfg.name, us_strerror(rc));
        p->requests--;
        if (is_probe)
            breaker_probe_abandoned(&p->breaker);
        router__provider_unref(p);
        sb_release(&s->text);
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
    us_list_add_head(&r->orphans, &s->link);
}

/* What a background probe asks: tiny and fixed, never the user's text (it may come from a file
 * the user excluded, and the user does not wait on a probe). */
static const char probe_prefix[] = "def add(a, b):\n    ";
const struct prov_context router__probe_ctx = {
    .language = "python", .path = "understudy-probe.py", .prefix = probe_prefix,
    .prefix_len = sizeof(probe_prefix) - 1, .suffix = "\n", .suffix_len = 1,
    .situation = SYN_SIT_LINE_START, .shape = SYN_SHAPE_LINE, .indent = "    ",
    .max_lines = 1,
};

static void probe_start(struct router *r, struct provider *p)
{
    breaker_probe_take(&p->breaker);
    int budget = PROBE_BUDGET_MS;
    if (p->cfg.timeout_ms > 0)
        budget = US_MAX(budget, p->cfg.timeout_ms);
    struct attempt_slot *s = router__slot_start(r, NULL, p, &router__probe_ctx, true, budget);
    if (s) {
        s->tiny = true;
        orphan_add(r, s);
        LOG_D("router", "%s: background probe", p->cfg.name);
    }
}

/* Probe in the background every provider whose probe is due: half-open ones, open ones on the
 * short probe interval, rejected ones rarely. Health recovers by itself, within seconds of the
 * provider's return, whatever the outage's length and while another provider serves. */
void router__background_probes(struct router *r)
{
    if (r->closing)
        return;
    uint64_t now = us_now_ms();
    for (size_t i = 0; i < r->n_providers; i++) {
        struct provider *p = r->providers[i];
        if (!router__eligible(r, p, NULL) || !breaker_bg_probe_due(&p->breaker, now))
            continue;
        probe_start(r, p);
    }
}

/* One message per broken key file (not per request): it names the provider and the file. */
static void say_key_errors(struct router *r)
{
    for (size_t i = 0; i < r->n_providers; i++) {
        struct provider *p = r->providers[i];
        if (!p->cfg.enabled || !p->key_error[0] || p->key_error_said || !r->cb.on_notice)
            continue;
        p->key_error_said = true;
        char msg[400];
        snprintf(msg, sizeof(msg), "Understudy: provider \"%s\" is not used: %s.", p->cfg.name,
                 p->key_error);
        r->cb.on_notice(r->ud, 1, msg);
    }
}

void router_retry_providers(struct router *r)
{
    if (r->closing)
        return;
    for (size_t i = 0; i < r->n_providers; i++) {
        struct provider *p = r->providers[i];
        provider_check_key(p);
        bool probing = p->breaker.probe_in_flight;
        if (p->breaker.state != BREAKER_CLOSED) {
            breaker_reset(&p->breaker);
            p->breaker.probe_in_flight = probing; /* its answer is still to come */
        }
        p->auth_said = false;
        if (router__eligible(r, p, NULL) && !probing)
            probe_start(r, p);
    }
    LOG_I("router", "retry: every breaker reset, providers probed");
    say_key_errors(r);
    router__schedule_wake(r);
    router__notify_status(r);
}

static void wake_cb(uv_timer_t *t)
{
    struct router *r = t->data;
    router__notify_status(r);      /* open -> half_open is a visible change */
    router__background_probes(r);
    router__schedule_wake(r);
}

void router__schedule_wake(struct router *r)
{
    if (r->closing)
        return;
    uint64_t now = us_now_ms(), soonest = 0;
    for (size_t i = 0; i < r->n_providers; i++) {
        uint64_t t = breaker_next_event_ms(&r->providers[i]->breaker);
        if (t && (soonest == 0 || t < soonest))
            soonest = t;
    }
    if (soonest == 0) {
        uv_timer_stop(&r->wake);
        return;
    }
    uv_timer_start(&r->wake, wake_cb, soonest > now ? soonest - now : 0, 0);
}

/* ------------------------------------------------------------------ outcomes */

static void notice(struct router *r, int level, const char *msg)
{
    LOG_W("router", "%s", msg);
    if (r->cb.on_notice && !r->closing)
        r->cb.on_notice(r->ud, level, msg);
}

/* 400/404/422 with the provider's message: no penalty, unless the same one keeps coming (our
 * request does not fit this provider or model). */
static void record_rejection(struct router *r, struct provider *p, uint64_t now,
                             const struct prov_outcome *o, const char *reason)
{
    int st = o->http_status;
    if ((st != 400 && st != 404 && st != 422) || o->context_too_long) {
        snprintf(p->breaker.reason, sizeof(p->breaker.reason), "%.150s", reason);
        if (p->breaker.state != BREAKER_CLOSED)
            p->breaker.probe_in_flight = false;
        return;
    }
    char msg[200];
    if (strncmp(reason, "HTTP ", 5) == 0) /* the adapters' messages name the status */
        snprintf(msg, sizeof(msg), "%s", reason);
    else
        snprintf(msg, sizeof(msg), "HTTP %d: %.150s", st, reason);
    if (!breaker_rejected(&p->breaker, now, st, msg))
        return;
    char text[600];
    snprintf(text, sizeof(text),
             "Understudy: provider \"%s\" (model %s) rejects every request: %s. Change its "
             "model or settings (`understudy doctor` shows the details); it gets no requests "
             "until the configuration changes.",
             p->cfg.name, p->cfg.model ? p->cfg.model : "default", msg);
    notice(r, 1, text);
}

/* 401/403/402: a key that never worked is disabled until the key or configuration changes; one
 * that worked in this process meets the provider's auth trouble (big incidents) or was revoked:
 * open, probed after 30 s, doubling to 10 min. */
static void record_auth(struct router *r, struct attempt_slot *s, enum breaker_state before,
                        uint64_t now, const struct prov_outcome *o, const char *reason)
{
    struct provider *p = s->p;
    if (p->key_worked && s->key_hash && s->key_hash == p->worked_key_hash &&
        o->http_status != 402) {
        char why[400];
        snprintf(why, sizeof(why), "a key that worked is refused: %.200s", reason);
        breaker_auth_trouble(&p->breaker, now, why);
        if (!p->auth_said) {
            p->auth_said = true;
            char text[400];
            snprintf(text, sizeof(text),
                     "Understudy: %s rejects a key that worked: provider auth trouble or a "
                     "revoked key. Trying it again in the background; if it was revoked, "
                     "replace %s.",
                     p->cfg.name, p->key_hint[0] ? p->key_hint : "its key");
            notice(r, 2, text);
        }
        return;
    }
    char why[400];
    snprintf(why, sizeof(why), "%.200s (check %.160s)", reason,
             p->key_hint[0] ? p->key_hint : "the provider's key");
    breaker_disable(&p->breaker, why);
    p->key_file_stamp = us_file_stamp_of(p->cfg.api_key_file);
    if (before != BREAKER_DISABLED && r->cb.on_disabled)
        r->cb.on_disabled(r->ud, p->cfg.name, p->key_hint);
}

void router__record_outcome(struct router *r, struct attempt_slot *s,
                           const struct attempt_result *res, bool usable)
{
    struct provider *p = s->p;
    uint64_t now = us_now_ms();
    const struct prov_outcome *o = &res->outcome;
    enum breaker_state before = router__provider_state(p, now);
    char reason[200];
    snprintf(reason, sizeof(reason), "%s", o->message[0] ? o->message
                                                         : prov_outcome_name(o->kind));
    if (usable) {
        /* An answer to a request sent before the breaker opened says nothing about now: the
         * provider has since failed or asked us to wait (Retry-After), so only the probe may
         * close an open breaker. A spent budget stands until its reset. */
        if ((before != BREAKER_OPEN || s->is_probe) && before != BREAKER_RATE_LIMITED)
            breaker_success(&p->breaker, now);
        p->key_worked = s->key_hash != 0;
        p->worked_key_hash = s->key_hash;
        p->auth_said = false;
        if (!s->tiny) /* probes would skew the latency a request sees */
            lat_note_answer(&p->lat, res->ttfb_ms, (uint32_t)(now - s->started_ms), s->text.len,
                            (uint32_t)(s->last_text_ms - s->first_text_ms));
        r->tokens = US_MIN(TOKENS_MAX, r->tokens + TOKEN_REFUND);
    } else {
        switch (o->kind) {
        case PROV_OUT_CANCELLED:
            if (s->is_probe)
                breaker_probe_abandoned(&p->breaker);
            break;
        case PROV_OUT_BAD_REQUEST:
            /* The request was wrong for this provider, not the provider unhealthy; the same
             * rejection again and again makes it `rejected`. */
            record_rejection(r, p, now, o, reason);
            break;
        case PROV_OUT_AUTH:
            p->failures++;
            record_auth(r, s, before, now, o, reason);
            break;
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
    /* Rate-limit headers: no budget left until a reset -> route around it until then, before
     * the provider has to answer 429. */
    if (res->budget_wait_ms > 0 && o->kind != PROV_OUT_RATE_LIMITED) {
        char why[160];
        snprintf(why, sizeof(why), "rate limit: no %s left until the reset",
                 res->budget_what[0] ? res->budget_what : "budget");
        breaker_budget_spent(&p->breaker, now, now + (uint64_t)res->budget_wait_ms, why);
    }
    if (router__provider_state(p, now) != before)
        LOG_I("router", "%s: %s -> %s (%s)", p->cfg.name, breaker_state_name(before),
              breaker_state_name(router__provider_state(p, now)), p->breaker.reason);
    router__schedule_wake(r); /* a probe ended or the state moved: next probe or change */
}

/* Stop a slot's transfer. A probe is not aborted: it runs to its own end so the breaker
 * learns the outcome (reference/resilience.md). */
void router__slot_drop(struct router *r, struct attempt_slot *s)
{
    if (s->is_probe) {
        orphan_add(r, s);
        return;
    }
    s->r->aops->abort(s->a);
    router__slot_free(s);
}

void router__slot_free(struct attempt_slot *s)
{
    sb_release(&s->text);
    router__provider_unref(s->p);
    free(s);
}

/* ------------------------------------------------------------------ public API */

static const struct router_attempt_ops default_attempt_ops = {attempt_start, attempt_abort};

void router__set_attempt_ops(struct router *r, const struct router_attempt_ops *ops)
{
    r->aops = ops ? ops : &default_attempt_ops;
}

struct ctx_ref *router__ctx_ref(struct ctx_ref *c)
{
    if (c)
        c->refs++;
    return c;
}

void router__ctx_unref(struct ctx_ref *c)
{
    if (!c || --c->refs > 0)
        return;
    prov_context_free(c->ctx);
    free(c);
}

static void copy_settings(struct router *r, const struct us_settings *st)
{
    r->st.deadline_ms = st->completion.deadline_ms;
    r->st.hedge_ms = st->completion.hedge_ms;
    r->st.breaker.failures = st->breaker.failures;
    r->st.breaker.cooldown_ms = st->breaker.cooldown_ms;
    r->st.breaker.max_cooldown_ms = st->breaker.max_cooldown_ms;
    r->st.breaker.probe_ms = st->breaker.probe_ms;
    r->st.remote_allowed = st->privacy.remote;
    r->st.redact = st->privacy.redact_secrets;
    r->st.loopback_raw = st->privacy.loopback_raw;
    privacy_exclude_free(r->st.exclude);
    r->st.exclude = privacy_exclude_new((const char *const *)st->privacy.exclude,
                                        st->privacy.root);
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
    r->aops = &default_attempt_ops;
    us_list_init(&r->live);
    us_list_init(&r->orphans);
    r->tokens = TOKENS_MAX;
    r->seed = (uint32_t)us_now_us() | 1u;
    uv_timer_init(loop, &r->wake);
    r->wake.data = r;
    r->cache = cache_new((size_t)settings->cache.entries, settings->cache.max_bytes,
                         (uint32_t)settings->cache.ttl_s);
    router_configure(r, settings);
    return r;
}

/* Requests in flight walk the provider list by index (next_provider). In the new list, go on
 * after the last provider a request has already passed (0 when none of them is left), so a
 * reconfigure makes it neither skip the providers it has not asked nor go back to one it has. */
static void remap_live_requests(struct router *r, struct provider **old, size_t n_old)
{
    struct us_list *l;
    US_LIST_FOREACH(l, &r->live) {
        struct router_request *rq = US_LIST_ENTRY(l, struct router_request, link);
        size_t next = 0, passed = US_MIN(rq->next_provider, n_old);
        for (size_t j = 0; j < r->n_providers; j++)
            for (size_t i = 0; i < passed; i++)
                if (r->providers[j] == old[i])
                    next = j + 1;
        rq->next_provider = next;
    }
}

void router_configure(struct router *r, const struct us_settings *settings)
{
    /* The old order, for requests in flight (kept providers are taken out of r->providers). */
    size_t n_old = r->n_providers;
    struct provider **old = xcalloc(n_old + 1, sizeof(*old));
    if (n_old)
        memcpy(old, r->providers, n_old * sizeof(*old));
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
            prov_config_copy(&fresh, c);
            prov_config_release(&keep->cfg);
            keep->cfg = fresh;
            set_key_hint(keep); /* the key variable or file may be another one now */
            keep->breaker.policy = r->st.breaker;
            if (keep->breaker.state == BREAKER_DISABLED ||
                keep->breaker.state == BREAKER_REJECTED || keep->breaker.rejections) {
                bool probing = keep->breaker.probe_in_flight;
                breaker_reset(&keep->breaker);
                keep->breaker.probe_in_flight = probing;
            }
            provider_check_key(keep);
            next[i] = keep;
        } else {
            next[i] = provider_new(c, settings, r->seed + (uint32_t)i * 7919u);
        }
    }
    for (size_t j = 0; j < r->n_providers; j++)
        if (r->providers[j]) {
            router__provider_unref(r->providers[j]);
        }
    free(r->providers);
    r->providers = next;
    r->n_providers = settings->n_providers;
    remap_live_requests(r, old, n_old); /* pointers compared only: dropped ones may be freed */
    free(old);
    say_key_errors(r);
    router__schedule_wake(r);
    /* Curl's set-up waits until a provider can use it, and then for the loop to finish what it
     * is doing (answering `initialize`, say) rather than for the first completion. */
    if (r->n_providers > 0)
        http_engine_warm_up(r->http);
    /* TLS providers: connect and handshake now, not on the first keystroke (http_warm). */
    for (size_t i = 0; i < r->n_providers; i++)
        if (r->providers[i]->cfg.enabled && (r->st.remote_allowed || r->providers[i]->loopback))
            http_warm(r->http, r->providers[i]->cfg.base_url, r->providers[i]->cfg.ca_file);
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
    while (!us_list_empty(&r->live)) {
        struct router_request *rq = US_LIST_ENTRY(us_list_first(&r->live), struct router_request, link);
        rq->wants_answer = false;
        rq->answered = true;
        router__request_free(rq);
    }
    while (!us_list_empty(&r->orphans)) {
        struct attempt_slot *s = US_LIST_ENTRY(us_list_first(&r->orphans), struct attempt_slot, link);
        us_list_del(&s->link);
        r->aops->abort(s->a);
        router__slot_free(s);
    }
    for (size_t i = 0; i < r->n_providers; i++)
        router__provider_unref(r->providers[i]);
    free(r->providers);
    privacy_exclude_free(r->st.exclude);
    cache_free(r->cache);
    router__ctx_unref(r->last_ctx);
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
        if (!router__eligible(r, p, ctx) || router__provider_state(p, now) != BREAKER_CLOSED)
            continue;
        return p->lat.total.n >= LAT_MIN_HISTORY ? (int)lat_ring_pct(&p->lat.total, 0.5) : -1;
    }
    return -1;
}

