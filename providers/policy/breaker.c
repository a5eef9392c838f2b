/* breaker: per-provider circuit breaker state machine. */
#include "breaker.h"

#include <stdio.h>
#include <string.h>

void breaker_init(struct breaker *b, const struct breaker_policy *policy, uint32_t seed)
{
    memset(b, 0, sizeof(*b));
    b->policy = *policy;
    if (b->policy.failures < 1)
        b->policy.failures = 1;
    b->rng = seed ? seed : 0x9e3779b9u;
}

const char *breaker_state_name(enum breaker_state s)
{
    switch (s) {
    case BREAKER_CLOSED: return "closed";
    case BREAKER_OPEN: return "open";
    case BREAKER_HALF_OPEN: return "half_open";
    case BREAKER_DISABLED: return "disabled";
    case BREAKER_REJECTED: return "rejected";
    case BREAKER_RATE_LIMITED: return "rate_limited";
    }
    return "closed";
}

enum breaker_state breaker_state_at(struct breaker *b, uint64_t now_ms)
{
    if (b->state == BREAKER_OPEN && now_ms >= b->open_until_ms) {
        b->state = BREAKER_HALF_OPEN;
        b->probe_in_flight = false;
        b->next_probe_ms = 0;
    }
    if (b->state == BREAKER_RATE_LIMITED && now_ms >= b->limited_until_ms) {
        b->state = BREAKER_CLOSED;
        b->limited_until_ms = 0;
        b->reason[0] = 0;
    }
    return b->state;
}

bool breaker_allow(struct breaker *b, uint64_t now_ms, bool *is_probe)
{
    *is_probe = false;
    switch (breaker_state_at(b, now_ms)) {
    case BREAKER_CLOSED:
        return true;
    case BREAKER_HALF_OPEN:
        if (b->probe_in_flight)
            return false;
        b->probe_in_flight = true;
        *is_probe = true;
        return true;
    default:
        return false;
    }
}

bool breaker_probe_due(struct breaker *b, uint64_t now_ms)
{
    return breaker_state_at(b, now_ms) == BREAKER_HALF_OPEN && !b->probe_in_flight;
}

bool breaker_bg_probe_due(struct breaker *b, uint64_t now_ms)
{
    enum breaker_state st = breaker_state_at(b, now_ms);
    if (b->probe_in_flight)
        return false;
    if (st == BREAKER_HALF_OPEN)
        return true;
    return (st == BREAKER_OPEN || st == BREAKER_REJECTED) && b->next_probe_ms &&
           now_ms >= b->next_probe_ms;
}

void breaker_probe_take(struct breaker *b)
{
    b->probe_in_flight = true;
}

void breaker_probe_failed(struct breaker *b, uint64_t now_ms, const char *reason)
{
    enum breaker_state st = breaker_state_at(b, now_ms);
    if (st == BREAKER_HALF_OPEN || st == BREAKER_CLOSED) {
        breaker_failure(b, now_ms, -1, reason);
        return;
    }
    b->probe_in_flight = false;
    if (st == BREAKER_REJECTED)
        b->next_probe_ms = now_ms + BREAKER_REJECT_PROBE_MS;
    if (st == BREAKER_RATE_LIMITED) /* budget said spent and it failed too: count it */
        return;
    if (st == BREAKER_OPEN && b->policy.probe_ms > 0 && b->next_probe_ms) {
        b->next_probe_ms = now_ms + (uint64_t)b->policy.probe_ms;
        if (b->next_probe_ms >= b->open_until_ms)
            b->next_probe_ms = 0; /* the cooldown ends first: half_open takes over */
    }
    if (reason)
        snprintf(b->reason, sizeof(b->reason), "%s", reason);
}

uint64_t breaker_next_event_ms(const struct breaker *b)
{
    uint64_t t = 0;
    if (b->state == BREAKER_OPEN)
        t = b->open_until_ms;
    if ((b->state == BREAKER_OPEN || b->state == BREAKER_REJECTED) && b->next_probe_ms &&
        !b->probe_in_flight && (t == 0 || b->next_probe_ms < t))
        t = b->next_probe_ms;
    if (b->state == BREAKER_RATE_LIMITED)
        t = b->limited_until_ms;
    return t;
}

void breaker_success(struct breaker *b, uint64_t now_ms)
{
    if (b->state == BREAKER_DISABLED)
        return;
    b->state = BREAKER_CLOSED;
    b->consecutive_failures = 0;
    b->trips = 0;
    b->probe_in_flight = false;
    b->reason[0] = 0;
    b->next_probe_ms = 0;
    b->auth_trips = 0;
    b->rejections = 0;
    b->reject_status = 0;
    b->reject_msg[0] = 0;
    b->limited_until_ms = 0;
}

static uint32_t next_rand(struct breaker *b)
{
    /* xorshift32: jitter only needs to de-synchronise, not to be unpredictable. */
    uint32_t x = b->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b->rng = x;
    return x;
}

/* Open until now + ms (ms already capped by the caller's own ceiling). */
static void set_open(struct breaker *b, uint64_t now_ms, int64_t ms, const char *reason,
                     const char *fallback)
{
    if (ms < 1)
        ms = 1;
    b->state = BREAKER_OPEN;
    b->open_until_ms = now_ms + (uint64_t)ms;
    b->probe_in_flight = false;
    b->next_probe_ms = 0;
    b->trips++;
    snprintf(b->reason, sizeof(b->reason), "%s", reason ? reason : fallback);
}

static void open_for(struct breaker *b, uint64_t now_ms, int64_t ms, const char *reason)
{
    if (ms > b->policy.max_cooldown_ms)
        ms = b->policy.max_cooldown_ms;
    set_open(b, now_ms, ms, reason, "failing");
}

/* base * 2^times, capped: the one doubling rule of trips and of refused keys. */
static int64_t doubled(int64_t base, int times, int64_t cap)
{
    int64_t ms = base;
    for (int i = 0; i < times && ms < cap; i++)
        ms *= 2;
    return ms > cap ? cap : ms;
}

/* Cooldown for the current trip: base * 2^trips, +-20 % jitter, capped. */
static int64_t trip_cooldown(struct breaker *b)
{
    int64_t ms = doubled(b->policy.cooldown_ms, b->trips, b->policy.max_cooldown_ms);
    int64_t span = ms / 5; /* 20 % */
    if (span > 0)
        ms += (int64_t)(next_rand(b) % (uint32_t)(2 * span + 1)) - span;
    return ms;
}

void breaker_failure(struct breaker *b, uint64_t now_ms, int64_t retry_after_ms,
                     const char *reason)
{
    if (b->state == BREAKER_DISABLED)
        return;
    enum breaker_state st = breaker_state_at(b, now_ms);
    if (st == BREAKER_OPEN || st == BREAKER_REJECTED || st == BREAKER_RATE_LIMITED) {
        /* A background probe failed, or a request sent before it opened ended late: the
         * cooldown stands (the interval probes go on). */
        if (b->probe_in_flight || st != BREAKER_OPEN)
            breaker_probe_failed(b, now_ms, reason);
        else if (reason)
            snprintf(b->reason, sizeof(b->reason), "%s", reason);
        if (st != BREAKER_RATE_LIMITED)
            return;
    }
    b->consecutive_failures++;
    if (st == BREAKER_HALF_OPEN || b->consecutive_failures >= b->policy.failures) {
        int64_t ms = trip_cooldown(b);
        bool told = retry_after_ms > ms;
        if (told)
            ms = retry_after_ms; /* never come back before the provider said */
        open_for(b, now_ms, ms, reason);
        /* Probe on a short fixed interval meanwhile: a provider back after a long outage
         * serves again within seconds, not after its grown cooldown. */
        if (!told && b->policy.probe_ms > 0 && (uint64_t)b->policy.probe_ms < (uint64_t)ms)
            b->next_probe_ms = now_ms + (uint64_t)b->policy.probe_ms;
    } else {
        snprintf(b->reason, sizeof(b->reason), "%s", reason ? reason : "failing");
    }
}

void breaker_rate_limited(struct breaker *b, uint64_t now_ms, int64_t retry_after_ms,
                          const char *reason)
{
    if (b->state == BREAKER_DISABLED)
        return;
    b->consecutive_failures++;
    /* The provider said when to come back: come back exactly then, with one probe. */
    int64_t ms = retry_after_ms >= 0 ? retry_after_ms : trip_cooldown(b);
    open_for(b, now_ms, ms, reason);
}

bool breaker_rejected(struct breaker *b, uint64_t now_ms, int status, const char *message)
{
    if (b->state == BREAKER_DISABLED)
        return false;
    const char *m = message ? message : "";
    if (b->rejections > 0 && b->reject_status == status && strcmp(b->reject_msg, m) == 0) {
        b->rejections++;
    } else {
        b->rejections = 1;
        b->reject_status = status;
        snprintf(b->reject_msg, sizeof(b->reject_msg), "%s", m);
    }
    snprintf(b->reason, sizeof(b->reason), "%s", m);
    enum breaker_state st = breaker_state_at(b, now_ms);
    if (st == BREAKER_REJECTED) { /* the rare probe was refused again */
        b->probe_in_flight = false;
        b->next_probe_ms = now_ms + BREAKER_REJECT_PROBE_MS;
        return false;
    }
    if (b->rejections < BREAKER_REJECT_AFTER) {
        if (st == BREAKER_HALF_OPEN || st == BREAKER_OPEN)
            b->probe_in_flight = false; /* an answer, not an outage: let the next probe go */
        return false;
    }
    b->state = BREAKER_REJECTED;
    b->probe_in_flight = false;
    b->consecutive_failures = 0;
    b->next_probe_ms = now_ms + BREAKER_REJECT_PROBE_MS;
    return true;
}

void breaker_auth_trouble(struct breaker *b, uint64_t now_ms, const char *reason)
{
    if (b->state == BREAKER_DISABLED)
        return;
    /* Its own ceiling, longer than a failing provider's: a refused key rarely fixes itself.
     * half_open at the end of the interval is the probe. */
    int64_t ms = doubled(BREAKER_AUTH_FIRST_MS, b->auth_trips, BREAKER_AUTH_MAX_MS);
    b->auth_trips++;
    set_open(b, now_ms, ms, reason, "key refused");
}

void breaker_budget_spent(struct breaker *b, uint64_t now_ms, uint64_t until_ms,
                          const char *reason)
{
    if (until_ms <= now_ms || breaker_state_at(b, now_ms) != BREAKER_CLOSED)
        return;
    b->state = BREAKER_RATE_LIMITED;
    b->limited_until_ms = until_ms;
    snprintf(b->reason, sizeof(b->reason), "%s", reason ? reason : "rate limit budget spent");
}

void breaker_disable(struct breaker *b, const char *reason)
{
    b->state = BREAKER_DISABLED;
    b->probe_in_flight = false;
    snprintf(b->reason, sizeof(b->reason), "%s", reason ? reason : "disabled");
}

void breaker_reset(struct breaker *b)
{
    struct breaker_policy p = b->policy;
    uint32_t rng = b->rng;
    breaker_init(b, &p, rng);
}

void breaker_probe_abandoned(struct breaker *b)
{
    b->probe_in_flight = false;
}

int64_t breaker_retry_in_ms(struct breaker *b, uint64_t now_ms)
{
    switch (breaker_state_at(b, now_ms)) {
    case BREAKER_DISABLED:
        return -1;
    case BREAKER_OPEN: {
        uint64_t t = b->open_until_ms;
        if (b->next_probe_ms && b->next_probe_ms < t)
            t = b->next_probe_ms;
        return t > now_ms ? (int64_t)(t - now_ms) : 0;
    }
    case BREAKER_REJECTED:
        return b->next_probe_ms > now_ms ? (int64_t)(b->next_probe_ms - now_ms) : 0;
    case BREAKER_RATE_LIMITED:
        return (int64_t)(b->limited_until_ms - now_ms);
    default:
        return 0;
    }
}
