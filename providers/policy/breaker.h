/* breaker: one provider's circuit breaker (reference/resilience.md): closed -> open after N
 * consecutive failures or at once on a rate limit, open for a doubling, jittered, capped
 * cooldown never shorter than Retry-After, then half_open with exactly one probe at a time.
 * While open, background probes on a short fixed interval (probe_ms) may close it early; a
 * provider that keeps rejecting our requests is `rejected` (rare probes), one whose key worked
 * before and is now refused has "auth trouble" (open, probes 30 s doubling to 10 min), one whose
 * rate-limit headers say the budget is spent is `rate_limited` until the reset.
 * Pure state machine: time comes in as arguments, so tests need no clock.
 * Boundary: a breaker is a value inside its provider; nothing is allocated, nothing borrowed
 * beyond the call. */
#ifndef US_BREAKER_H
#define US_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

enum breaker_state {
    BREAKER_CLOSED,
    BREAKER_OPEN,
    BREAKER_HALF_OPEN,
    BREAKER_DISABLED,
    BREAKER_REJECTED,     /* refuses our requests as invalid: no user requests, rare probes */
    BREAKER_RATE_LIMITED, /* its headers said the budget is spent: skipped until the reset */
};

struct breaker_policy {
    int failures;         /* consecutive failures that open it */
    int cooldown_ms;      /* first open interval */
    int max_cooldown_ms;  /* cap for doubling and for Retry-After */
    int probe_ms;         /* while open: background probe interval; 0 = none */
};

/* The same rejection (status and message) this many times in a row makes a provider rejected;
 * it is probed again this rarely. */
#define BREAKER_REJECT_AFTER 3
#define BREAKER_REJECT_PROBE_MS 600000
/* A refused key that worked before: probes after 30 s, doubling, at most 10 min. */
#define BREAKER_AUTH_FIRST_MS 30000
#define BREAKER_AUTH_MAX_MS 600000

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
    uint64_t next_probe_ms;  /* open/rejected: next background probe; 0 = none */
    int auth_trips;          /* consecutive auth-trouble opens */
    int rejections;          /* the same rejection in a row */
    int reject_status;       /* ... its HTTP status */
    char reject_msg[160];    /* ... and message */
    uint64_t limited_until_ms; /* rate_limited: budget back then */
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
/* Is a background probe due (half_open, or open/rejected and its probe interval is up, no
 * probe out)? breaker_probe_take marks it out; its outcome comes back as usual (success,
 * failure, ...) or as breaker_probe_abandoned. */
bool breaker_bg_probe_due(struct breaker *b, uint64_t now_ms);
void breaker_probe_take(struct breaker *b);
/* A background probe of an open breaker failed: stay open, probe again after the interval
 * (a half-open breaker takes it as a failure and opens longer). */
void breaker_probe_failed(struct breaker *b, uint64_t now_ms, const char *reason);
/* When the state may change next by itself (open ends, a probe is due, a rate limit ends),
 * monotonic ms; 0 = never. */
uint64_t breaker_next_event_ms(const struct breaker *b);

void breaker_success(struct breaker *b, uint64_t now_ms);
/* A failure that counts against health. retry_after_ms < 0 when none was given. */
void breaker_failure(struct breaker *b, uint64_t now_ms, int64_t retry_after_ms,
                     const char *reason);
/* 429: open at once, for exactly Retry-After when given (capped), else the cooldown. */
void breaker_rate_limited(struct breaker *b, uint64_t now_ms, int64_t retry_after_ms,
                          const char *reason);
/* A request refused as invalid (400/404/422) with this status and message: no penalty, but the
 * same one BREAKER_REJECT_AFTER times in a row makes it rejected (rare probes; a success or
 * breaker_reset ends it). Returns true when this call made it rejected. */
bool breaker_rejected(struct breaker *b, uint64_t now_ms, int status, const char *message);
/* 401/403 on a key that worked before: open with probes after 30 s, doubling, capped at
 * 10 min (the provider's auth system may be down). */
void breaker_auth_trouble(struct breaker *b, uint64_t now_ms, const char *reason);
/* The provider's rate-limit headers say no budget until until_ms (monotonic): a closed breaker
 * turns rate_limited and reads closed again then. */
void breaker_budget_spent(struct breaker *b, uint64_t now_ms, uint64_t until_ms,
                          const char *reason);
/* Auth/billing: disabled until breaker_reset (configuration or key file changed). */
void breaker_disable(struct breaker *b, const char *reason);
void breaker_reset(struct breaker *b);
/* The probe ended without an outcome (cancelled): let another probe go. */
void breaker_probe_abandoned(struct breaker *b);
/* Milliseconds until it may be tried again or probed (0 when it may now; -1 when disabled). */
int64_t breaker_retry_in_ms(struct breaker *b, uint64_t now_ms);

#endif
