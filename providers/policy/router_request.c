/* router_request: one completion request across the provider chain: cache first, then
 * providers in priority order under one deadline, failover within the request, a hedge for a
 * slow attempt (first usable answer wins, the loser is cancelled), one retry, requests that
 * join a running one they extend, stale-if-error, and exactly one answer callback.
 * Slow is not dead: an attempt is judged against its provider's own latency (latency.h), a
 * stream that will not end in time starts the next provider, and at the deadline the complete
 * lines a stream has sent may be served. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postprocess.h"
#include "router_int.h"

static void request_try_next(struct router_request *rq);
static void defer_cb(uv_timer_t *t);
static void request_finish(struct router_request *rq, enum router_how how, const char *text,
                           size_t len, const char *source);

static void attempt_done_cb(struct attempt *a, void *ud, const struct attempt_result *res);
static bool slot_too_slow(const struct attempt_slot *s, uint64_t now, char *why, size_t n);
static void count_too_slow(struct router_request *rq, struct attempt_slot *s, uint64_t now,
                           const char *why);
static void watch_cb(uv_timer_t *t);
static void attempt_text_cb(struct attempt *a, void *ud, const char *delta, size_t len);

const struct attempt_callbacks router__attempt_cbs = {attempt_text_cb, attempt_done_cb};

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

static void attempt_text_cb(struct attempt *a, void *ud, const char *delta, size_t len)
{
    struct attempt_slot *s = ud;
    (void)a;
    uint64_t now = us_now_ms();
    if (delta && len && s->text.len < MAX_RESPONSE_BYTES) {
        sb_add(&s->text, delta, len);
        for (size_t i = 0; i < len; i++)
            s->lines += delta[i] == '\n';
        s->deltas++;
        s->last_text_ms = now;
    }
    if (!s->has_text) {
        s->has_text = true;
        s->first_text_ms = now;
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
    /* A tiny background probe's answer only says the provider serves: no shaping, no cache. */
    const struct prov_context *ctx = rq ? rq->ctx : s->tiny ? NULL
                                     : r->last_ctx ? r->last_ctx->ctx : NULL;
    if (outcome.kind == PROV_OUT_OK && s->tiny) {
        usable = res->text_len > 0;
        if (!usable) {
            outcome.kind = PROV_OUT_MALFORMED;
            snprintf(outcome.message, sizeof(outcome.message), "empty completion");
        }
    } else if (outcome.kind == PROV_OUT_OK && ctx) {
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
    router__record_outcome(r, s, &adjusted, usable);

    /* Good answers fill the cache even when nobody waits (probes, detached requests). */
    if (usable && !res->truncated && ctx) {
        struct cache_key key = rq ? rq->key
                                  : cache_key_of(ctx->language, ctx->prefix, ctx->prefix_len,
                                                 ctx->suffix, ctx->suffix_len);
        cache_put(r->cache, key, text.data, text.len, s->p->cfg.name, us_now_ms());
    }

    if (!rq) {
        us_list_del(&s->link);
        router__slot_free(s);
        sb_release(&text);
        router__notify_status(r);
        return;
    }
    *slot_ref(rq, s) = NULL;
    struct provider *p = s->p;
    if (usable) {
        /* The losers are aborted; one that was far slower than its own normal (a trickle,
         * no text long past its usual time) still counts, or its breaker would never open. */
        uint64_t now = us_now_ms();
        for (int i = 0; i < MAX_IN_FLIGHT; i++) {
            char why[160];
            struct attempt_slot *o = rq->slots[i];
            if (o && !o->is_probe && slot_too_slow(o, now, why, sizeof(why)))
                count_too_slow(rq, o, now, why);
        }
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
    router__provider_unref(p);
    sb_release(&s->text);
    free(s);
    sb_release(&text);
    if (!usable && !rq->answered)
        request_try_next(rq);
    router__notify_status(r);
}

/* ------------------------------------------------------------------ request life */

static void request_close_cb(uv_handle_t *h)
{
    struct router_request *rq = h->data;
    if (--rq->timers_open == 0) {
        router__ctx_unref(rq->ctx_ref);
        free(rq->pending_text);
        free(rq->pending_source);
        free(rq);
    }
}

void router__request_free(struct router_request *rq)
{
    us_list_del(&rq->link);
    for (int i = 0; i < MAX_IN_FLIGHT; i++)
        if (rq->slots[i]) {
            router__slot_drop(rq->r, rq->slots[i]);
            rq->slots[i] = NULL;
        }
    uv_close((uv_handle_t *)&rq->deadline_timer, request_close_cb);
    uv_close((uv_handle_t *)&rq->hedge_timer, request_close_cb);
    uv_close((uv_handle_t *)&rq->defer_timer, request_close_cb);
    uv_close((uv_handle_t *)&rq->watch_timer, request_close_cb);
}

static bool has_joiners(struct router_request *rq)
{
    struct us_list *l;
    US_LIST_FOREACH(l, &rq->r->live)
        if (US_LIST_ENTRY(l, struct router_request, link)->join_of == rq)
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
        .partial = rq->partial,
    };
    rq->cb(rq->ud, &a);
}

static void serve_joiners(struct router_request *rq, enum router_how how, const char *text,
                          size_t len, const char *source);

/* The request's outcome is known: answer the caller and anyone waiting on it, stop work. */
static void request_finish(struct router_request *rq, enum router_how how, const char *text,
                           size_t len, const char *source)
{
    if (rq->answered || rq->finish_deferred)
        return;
    if (rq->starting) {
        rq->finish_deferred = true;
        rq->pending.how = how;
        rq->pending.len = len;
        rq->pending_text = text ? xstrndup(text, len) : NULL;
        rq->pending_source = source ? xstrdup(source) : NULL;
        uv_timer_start(&rq->defer_timer, defer_cb, 0, 0);
        return;
    }
    rq->answered = true;
    uv_timer_stop(&rq->deadline_timer);
    uv_timer_stop(&rq->hedge_timer);
    uv_timer_stop(&rq->watch_timer);
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
            router__request_free(rq);
            return;
        }
    }
    deliver(rq, how, text, len, source);
    serve_joiners(rq, how, text, len, source);
    router__request_free(rq);
}

static void start_chain(struct router_request *rq);
/* The first CACHE_SUFFIX_HEAD bytes of `suffix` are those of then's suffix. */
static bool same_suffix_head(const struct prov_context *then, const char *suffix, size_t len)
{
    size_t sl = US_MIN(len, (size_t)CACHE_SUFFIX_HEAD);
    return then->suffix_len >= sl && memcmp(then->suffix, suffix, sl) == 0;
}

/* The next request still waiting for rq, or NULL. */
static struct router_request *next_joiner(struct router_request *rq)
{
    struct us_list *l;
    US_LIST_FOREACH(l, &rq->r->live) {
        struct router_request *o = US_LIST_ENTRY(l, struct router_request, link);
        if (o->join_of == rq)
            return o;
    }
    return NULL;
}

/* Requests that waited for rq: serve them the rest of its answer when they typed its start,
 * else let them run their own chain. Each is looked up afresh: an answer callback may cancel
 * another request, which takes it out of r->live (a saved next pointer would then be a
 * self-linked node, and the walk would never end). */
static void serve_joiners(struct router_request *rq, enum router_how how, const char *text,
                          size_t len, const char *source)
{
    struct router_request *o;
    while ((o = next_joiner(rq))) {
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

static int remaining_ms(struct router_request *rq);
static bool another_provider_ready(struct router_request *rq);
static bool start_next_provider(struct router_request *rq, bool extra);

/* Is this attempt far slower than its provider's own normal (latency.h)? No text long past
 * its usual time to a first text, or text that trickles at a fraction of its usual rate.
 * why gets the reason for the status. */
/* ms from then to now, 0 when then is later: a caller's `now` can predate an attempt it
 * started itself (watch_cb starts the next provider mid-pass; us_now_ms moves on). */
static uint64_t ms_since(uint64_t now, uint64_t then)
{
    return now > then ? now - then : 0;
}

static bool slot_too_slow(const struct attempt_slot *s, uint64_t now, char *why, size_t n)
{
    const struct latency *m = &s->p->lat;
    int limit = lat_ttft_limit_ms(m);
    uint64_t elapsed = ms_since(now, s->started_ms);
    if (!s->has_text) {
        if (elapsed <= (uint64_t)limit)
            return false;
        snprintf(why, n, "too slow: no text after %d ms (its limit %d ms)", (int)elapsed, limit);
        return true;
    }
    uint64_t ttft = ms_since(s->first_text_ms, s->started_ms);
    if (ttft > (uint64_t)limit) {
        snprintf(why, n, "too slow: first text after %d ms (its limit %d ms)", (int)ttft, limit);
        return true;
    }
    uint64_t stream_ms = ms_since(now, s->first_text_ms);
    if (s->deltas < TRICKLE_MIN_DELTAS || stream_ms < TRICKLE_MIN_MS)
        return false;
    double bps = (double)s->text.len * 1000.0 / (double)stream_ms;
    if (!lat_rate_too_slow(m, bps))
        return false;
    snprintf(why, n, "too slow: text trickles at %.0f bytes/s", bps);
    return true;
}

/* A too-slow call counts against the provider like any failure: repeated, it opens the
 * breaker and the provider is skipped for the cooldown. */
static void count_too_slow(struct router_request *rq, struct attempt_slot *s, uint64_t now,
                           const char *why)
{
    struct provider *p = s->p;
    p->failures++;
    lat_note_too_slow(&p->lat, (uint32_t)ms_since(now, s->started_ms));
    breaker_failure(&p->breaker, now, -1, why);
    LOG_I("router", "%s: %s", p->cfg.name, why);
    snprintf(rq->why, sizeof(rq->why), "%.40s: %.110s", p->cfg.name, why);
    router__schedule_wake(rq->r);
}

/* The complete lines a stream has sent, shaped like any answer: served at the deadline when
 * they make a suggestion (caller frees *out; 0 when none). */
static size_t partial_answer(struct router_request *rq, struct attempt_slot *s, char **out)
{
    *out = NULL;
    size_t keep = attempt_complete_lines(s->text.data, s->text.len);
    if (!keep)
        return 0;
    size_t n = 0;
    char *clean = pp_clean(rq->ctx, s->text.data, keep, pp_is_chat(&s->p->cfg), &n);
    if (n == 0) {
        free(clean);
        return 0;
    }
    *out = clean;
    return n;
}

static void deadline_cb(uv_timer_t *t)
{
    struct router_request *rq = t->data;
    /* Attempts still running at the deadline: far slower than their provider's normal counts
     * against it (so the next request goes elsewhere); merely out of time does not (a hedge
     * started late, a long answer at the provider's usual rate). The first stream with
     * complete lines serves them. A probe keeps running and reports for itself. */
    uint64_t now = us_now_ms();
    char *best = NULL;
    size_t best_len = 0;
    char source[128] = "";
    for (int i = 0; i < MAX_IN_FLIGHT; i++) {
        struct attempt_slot *s = rq->slots[i];
        if (!s || s->is_probe)
            continue;
        char why[160];
        if (slot_too_slow(s, now, why, sizeof(why)))
            count_too_slow(rq, s, now, why);
        if (!best && s->has_text) {
            best_len = partial_answer(rq, s, &best);
            if (best)
                snprintf(source, sizeof(source), "%s", s->p->cfg.name);
        }
    }
    router__notify_status(rq->r);
    if (best) {
        LOG_I("router", "deadline reached: serving the %zu bytes of complete lines %s sent",
              best_len, source);
        rq->partial = true;
        request_finish(rq, ROUTER_PROVIDER, best, best_len, source);
        free(best);
        return;
    }
    if (!rq->why[0] || in_flight(rq) > 0)
        snprintf(rq->why, sizeof(rq->why), "deadline reached");
    LOG_I("router", "request deadline reached after %d attempts", rq->attempts);
    request_finish(rq, ROUTER_NONE, NULL, 0, NULL);
}

/* Another attempt of this request runs, or another provider could start now. */
static bool someone_else(struct router_request *rq, const struct attempt_slot *s)
{
    for (int i = 0; i < MAX_IN_FLIGHT; i++)
        if (rq->slots[i] && rq->slots[i] != s)
            return true;
    return another_provider_ready(rq);
}

/* Every WATCH_MS while attempts run: an attempt with no text far past its provider's normal
 * is dropped for the next provider (unless nothing else can serve: then it runs to the
 * deadline); a stream whose projected end is past the deadline starts the next provider
 * beside it (it keeps streaming: its lines may still be served at the deadline). */
static void watch_cb(uv_timer_t *t)
{
    struct router_request *rq = t->data;
    if (rq->answered)
        return;
    uint64_t now = us_now_ms();
    bool dropped = false;
    for (int i = 0; i < MAX_IN_FLIGHT; i++) {
        struct attempt_slot *s = rq->slots[i];
        if (!s || s->is_probe)
            continue;
        char why[160];
        if (!s->has_text) {
            if (slot_too_slow(s, now, why, sizeof(why)) && someone_else(rq, s)) {
                count_too_slow(rq, s, now, why);
                rq->slots[i] = NULL;
                router__slot_drop(rq->r, s);
                dropped = true;
            }
            continue;
        }
        if (s->late || s->deltas < TRICKLE_MIN_DELTAS ||
            ms_since(now, s->first_text_ms) < TRICKLE_MIN_MS)
            continue;
        uint64_t end = lat_project_end_ms(&s->p->lat, s->first_text_ms, now, s->text.len,
                                          s->lines, rq->ctx->max_lines);
        if (end <= rq->deadline_ms)
            continue;
        s->late = true;
        LOG_I("router", "%s: its stream would end %d ms past the deadline; asking the next "
              "provider too", s->p->cfg.name, (int)(end - rq->deadline_ms));
        /* An extra request like a hedge, but for an answer that will not come in time: it
         * only needs one token, not the hedging floor. */
        if (in_flight(rq) < MAX_IN_FLIGHT && rq->r->tokens >= 1.0 && another_provider_ready(rq))
            start_next_provider(rq, true);
    }
    if (dropped) {
        request_try_next(rq);
        router__notify_status(rq->r);
    }
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
        if (!router__eligible(r, p, rq->ctx))
            continue;
        bool is_probe;
        if (!breaker_allow(&p->breaker, now, &is_probe))
            continue;
        /* A request can reach a provider whose cooldown just ended before the wake timer
         * does: report half_open, and probe it in the background; a user's keystroke is
         * never the probe. */
        if (is_probe) {
            breaker_probe_abandoned(&p->breaker);
            router__notify_status(r);
            router__background_probes(r);
            continue;
        }
        int left = remaining_ms(rq);
        if (left <= 0) {
            if (is_probe)
                breaker_probe_abandoned(&p->breaker);
            return false;
        }
        if (extra)
            r->tokens -= 1.0;
        struct attempt_slot *s = router__slot_start(r, rq, p, rq->ctx, is_probe, left);
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
        if (router__eligible(r, p, rq->ctx) &&
            (router__provider_state(p, now) == BREAKER_CLOSED || breaker_probe_due(&p->breaker, now)))
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

static void arm_hedge(struct router_request *rq)
{
    struct router *r = rq->r;
    struct attempt_slot *s = NULL;
    for (int i = 0; i < MAX_IN_FLIGHT; i++)
        if (rq->slots[i])
            s = rq->slots[i];
    if (!s || in_flight(rq) >= MAX_IN_FLIGHT)
        return;
    int delay = router__hedge_delay_ms(r, s->p);
    /* A probe is always hedged at once when someone healthy can serve: the user must never
     * wait on a provider that was just down. */
    if (s->is_probe)
        delay = 0;
    /* Hedging off (0): no extra attempt on a timer. An attempt far slower than its
     * provider's normal is still dropped for the next provider by watch_cb (the old rule,
     * "give up at 60 % of what remains", declared healthy 1 s providers dead). */
    if (delay > 0 || s->is_probe)
        uv_timer_start(&rq->hedge_timer, hedge_cb, (uint64_t)delay, 0);
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
    if (!still_listed || router__provider_state(p, us_now_ms()) != BREAKER_CLOSED)
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
    uv_timer_start(&rq->watch_timer, watch_cb, WATCH_MS, WATCH_MS);
    request_try_next(rq);
}

static void defer_cb(uv_timer_t *t)
{
    struct router_request *rq = t->data;
    rq->finish_deferred = false;
    request_finish(rq, rq->pending.how, rq->pending_text, rq->pending.len, rq->pending_source);
}

static struct router_request *find_extendable(struct router *r, const struct prov_context *ctx)
{
    struct us_list *l;
    US_LIST_FOREACH(l, &r->live) {
        struct router_request *o = US_LIST_ENTRY(l, struct router_request, link);
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

static struct router_request *complete(struct router *r, const struct prov_context *ctx,
                                       int deadline_ms, router_answer_fn cb, void *ud,
                                       bool lookup)
{
    if (r->closing)
        return NULL;
    struct router_request *rq = xcalloc(1, sizeof(*rq));
    rq->r = r;
    /* The one copy of the context: the request may outlive the caller's (router_detach).
     * Background probes do not use it (they send the fixed router__probe_ctx). */
    rq->ctx_ref = xcalloc(1, sizeof(*rq->ctx_ref));
    rq->ctx_ref->refs = 1;
    rq->ctx_ref->ctx = prov_context_dup(ctx);
    rq->ctx = rq->ctx_ref->ctx;
    rq->key = cache_key_of(ctx->language, ctx->prefix, ctx->prefix_len, ctx->suffix,
                           ctx->suffix_len);
    /* The loop's clock stands still while the caller works (the first completion with a
     * hundred files open parses each for its definitions: seconds on a busy machine): timers
     * started from it would fire that much early, and the deadline cut the answer short. */
    uv_update_time(r->loop);
    rq->start_us = us_now_us();
    rq->deadline_ms = us_now_ms() + (uint64_t)(deadline_ms > 0 ? deadline_ms : r->st.deadline_ms);
    rq->cb = cb;
    rq->ud = ud;
    rq->wants_answer = true;
    uv_timer_init(r->loop, &rq->deadline_timer);
    uv_timer_init(r->loop, &rq->hedge_timer);
    uv_timer_init(r->loop, &rq->defer_timer);
    rq->deadline_timer.data = rq->hedge_timer.data = rq->defer_timer.data = rq;
    uv_timer_init(r->loop, &rq->watch_timer);
    rq->watch_timer.data = rq;
    rq->timers_open = 4;
    us_list_add_head(&r->live, &rq->link);

    router__ctx_unref(r->last_ctx);
    r->last_ctx = router__ctx_ref(rq->ctx_ref);

    struct router_answer hit;
    if (lookup && router_lookup(r, ctx, &hit)) {
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
        rq->starting = true;
        start_chain(rq);
        rq->starting = false;
    }
    router__background_probes(r);
    return rq;
}

struct router_request *router_complete(struct router *r, const struct prov_context *ctx,
                                       int deadline_ms, router_answer_fn cb, void *ud)
{
    return complete(r, ctx, deadline_ms, cb, ud, true);
}

struct router_request *router_complete_uncached(struct router *r, const struct prov_context *ctx,
                                                int deadline_ms, router_answer_fn cb, void *ud)
{
    return complete(r, ctx, deadline_ms, cb, ud, false);
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
    router__request_free(rq);
}

void router_detach(struct router_request *rq)
{
    rq->wants_answer = false;
}
