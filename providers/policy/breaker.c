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
    }
    return "closed";
}

enum breaker_state breaker_state_at(struct breaker *b, uint64_t now_ms)
{
    if (b->state == BREAKER_OPEN && now_ms >= b->open_until_ms) {
        b->state = BREAKER_HALF_OPEN;
        b->probe_in_flight = false;
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

void breaker_success(struct breaker *b, uint64_t now_ms)
{
    if (b->state == BREAKER_DISABLED)
        return;
    b->state = BREAKER_CLOSED;
    b->consecutive_failures = 0;
    b->trips = 0;
    b->probe_in_flight = false;
    b->reason[0] = 0;
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

static void open_for(struct breaker *b, uint64_t now_ms, int64_t ms, const char *reason)
{
    if (ms > b->policy.max_cooldown_ms)
        ms = b->policy.max_cooldown_ms;
    if (ms < 1)
        ms = 1;
    b->state = BREAKER_OPEN;
    b->open_until_ms = now_ms + (uint64_t)ms;
    b->probe_in_flight = false;
    b->trips++;
    snprintf(b->reason, sizeof(b->reason), "%s", reason ? reason : "failing");
}

/* Cooldown for the current trip: base * 2^trips, +-20 % jitter, capped. */
static int64_t trip_cooldown(struct breaker *b)
{
    int64_t ms = b->policy.cooldown_ms;
    for (int i = 0; i < b->trips && ms < b->policy.max_cooldown_ms; i++)
        ms *= 2;
    if (ms > b->policy.max_cooldown_ms)
        ms = b->policy.max_cooldown_ms;
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
    b->consecutive_failures++;
    if (st == BREAKER_HALF_OPEN || b->consecutive_failures >= b->policy.failures) {
        int64_t ms = trip_cooldown(b);
        if (retry_after_ms > ms)
            ms = retry_after_ms; /* never come back before the provider said */
        open_for(b, now_ms, ms, reason);
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
    case BREAKER_OPEN:
        return (int64_t)(b->open_until_ms - now_ms);
    default:
        return 0;
    }
}
