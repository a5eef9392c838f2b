/* ratelimit: a provider's rate-limit headers read into "no budget until T", so the router can
 * route around a provider before it answers 429. Pure: no clock of its own, no allocation.
 * Boundary: headers are borrowed for the call; results are plain values. */
#ifndef US_RATELIMIT_H
#define US_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "provider.h"

/* What one response said. Times are milliseconds since the epoch (wall clock). */
struct ratelimit {
    bool seen;                  /* at least one rate-limit header was present */
    int64_t until_ms;           /* no budget until then; 0 when budget is left */
    char exhausted[24];         /* "requests", "tokens", "input-tokens", "output-tokens": the
                                   dimension with the latest reset among those used up; "" */
    int64_t remaining_requests; /* -1 when not reported */
    int64_t remaining_tokens;   /* the smallest token figure reported; -1 when none */
};

/* Read the headers through header(ud, name) (NULL-safe). Understood:
 *   Anthropic  anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,
 *              remaining,reset}, reset in RFC 3339 ("2024-07-01T00:00:01Z");
 *   OpenAI, Mistral, Groq and compatible
 *              x-ratelimit-{limit,remaining,reset}-{requests,tokens}, reset a Go-style
 *              duration ("1s", "6m0s", "20ms", "1h2m3.5s");
 *   OpenRouter x-ratelimit-{limit,remaining,reset}, reset epoch milliseconds (or seconds, or a
 *              duration, told apart by size and unit).
 * A dimension is used up when its remaining count is 0, or for tokens below min_tokens (the
 * tokens one request needs; 0 = only 0 counts). Its budget returns at its reset; a used-up
 * dimension without a readable reset counts RATELIMIT_DEFAULT_WAIT_MS from now. until_ms is the
 * latest such time, capped at RATELIMIT_CAP_MS from now; a reset already past leaves budget.
 * now_ms: the wall clock in ms. Returns true when any rate-limit header was seen. */
bool ratelimit_read(prov_header_fn header, void *ud, int64_t now_ms, int64_t min_tokens,
                    struct ratelimit *out);

/* A Go-style duration ("6m0s", "1.5s", "20ms", "300us", "1h"); a bare number is seconds.
 * Milliseconds, rounded up; -1 when unparsable or negative. */
int64_t ratelimit_duration_ms(const char *s);

/* An RFC 3339 date-time ("2024-07-01T00:00:01Z", "...T00:00:01.5+02:00"), in ms since the
 * epoch; -1 when unparsable. */
int64_t ratelimit_rfc3339_ms(const char *s);

#define RATELIMIT_DEFAULT_WAIT_MS ((int64_t)1000)
#define RATELIMIT_CAP_MS ((int64_t)300000)

#endif
