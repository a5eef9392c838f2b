/* breaker: one provider's circuit breaker (reference/resilience.md): closed -> open after N
 * consecutive failures or at once on a rate limit, open for a doubling, jittered, capped
 * cooldown never shorter than Retry-After, then half_open with exactly one probe at a time.
 * Pure state machine: time comes in as arguments, so tests need no clock.
 * Boundary: a breaker is a value inside its provider; nothing is allocated, nothing borrowed
 * beyond the call. */
#ifndef US_BREAKER_H
#define US_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

enum breaker_state { BREAKER_CLOSED, BREAKER_OPEN, BREAKER_HALF_OPEN, BREAKER_DISABLED };

struct breaker_policy {
    int failures;         /* consecutive failures that open it */
    int cooldown_ms;      /* first open interval */
    int max_cooldown_ms;  /* cap for doubling and for Retry-After */
};

/* Value type; zero-initialised after breaker_init. */
struct breaker {
    struct breaker_policy policy;
    enum breaker_state state;
    int consecutive_failures;
    int trips;               /* consecutive opens without a success in between */
    uint64_t open_until_ms;  /* while open */
    bool probe_in_flight;    /* half_open: the one probe is out */
    char reason[160];        /* why it is open/disabled, for status */
    uint32_t rng;            /* jitter state */
};

void breaker_init(struct breaker *b, const struct breaker_policy *policy, uint32_t seed);

/* The state as seen at `now` (an open breaker whose time is up reads as half_open). */
enum breaker_state breaker_state_at(struct breaker *b, uint64_t now_ms);
const char *breaker_state_name(enum breaker_state s);

/* May a request go to this provider now? Sets *is_probe when it is the half-open probe (the
 * caller must then report its outcome, or breaker_probe_abandoned). */
bool breaker_allow(struct breaker *b, uint64_t now_ms, bool *is_probe);
/* Would a probe be allowed now (half_open and no probe out)? Does not take it. */
bool breaker_probe_due(struct breaker *b, uint64_t now_ms);

void breaker_success(struct breaker *b, uint64_t now_ms);
/* A failure that counts against health. retry_after_ms < 0 when none was given. */
void breaker_failure(struct breaker *b, uint64_t now_ms, int64_t retry_after_ms,
                     const char *reason);
/* 429: open at once, for exactly Retry-After when given (capped), else the cooldown. */
void breaker_rate_limited(struct breaker *b, uint64_t now_ms, int64_t retry_after_ms,
                          const char *reason);
/* Auth/billing: disabled until breaker_reset (configuration or key file changed). */
void breaker_disable(struct breaker *b, const char *reason);
void breaker_reset(struct breaker *b);
/* The probe ended without an outcome (cancelled): let another probe go. */
void breaker_probe_abandoned(struct breaker *b);
/* Milliseconds until it may be tried again (0 when it may now; -1 when disabled). */
int64_t breaker_retry_in_ms(struct breaker *b, uint64_t now_ms);

#endif
