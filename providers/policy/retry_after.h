/* retry_after: when a provider said to come back, in milliseconds, from every form it uses:
 * `retry-after` (seconds or HTTP-date), `retry-after-ms`, and Gemini's RetryInfo.retryDelay.
 * Boundary: pure: headers and bodies are borrowed for the call, the answer is a number. */
#ifndef US_RETRY_AFTER_H
#define US_RETRY_AFTER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "provider.h"

/* Upper bound on any hint we honour (reference/resilience.md: cap 300 s). */
#define RETRY_AFTER_CAP_MS ((int64_t)300000)

/* A `retry-after` value: delta-seconds (fractions accepted) or an HTTP-date (IMF-fixdate,
 * RFC 850 or asctime) measured from now, in seconds since the epoch with the fraction
 * (retry_after_now()): the date has whole seconds only, and a truncated now would make the
 * wait up to a second longer than the server asked. A date in the past gives 0. Returns
 * milliseconds (capped), or -1 when value is NULL or unparsable. */
int64_t retry_after_parse(const char *value, double now);
/* The wall clock with its fraction, for retry_after_parse. */
double retry_after_now(void);

/* A `retry-after-ms` value (a non-negative number). Capped; -1 when unparsable. */
int64_t retry_after_ms_parse(const char *value);

/* A protobuf Duration in JSON form: "32s", "1.5s", "0.250s" (also "500ms"). -1 if unparsable. */
int64_t retry_after_duration(const char *value);

/* The first RetryInfo.retryDelay found in a Gemini / Google error body (borrowed, need not
 * be NUL-terminated). Capped; -1 when there is none. */
int64_t retry_after_from_body(const char *body, size_t len);

/* The hint from response headers: retry-after-ms first (more precise), then retry-after.
 * header may be NULL. -1 when there is none. */
int64_t retry_after_from_headers(prov_header_fn header, void *ud, double now);

#endif
