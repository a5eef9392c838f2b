/* attempt: one request to one provider. Builds the request through the provider's vtable, streams
 * the answer through its parser, and turns whatever happens into a single prov_outcome.
 * Boundary: the attempt owns its request, stream parser and transfer; cfg is borrowed for its
 * life, ctx and key only for attempt_start; results are borrowed for the callback. */
#ifndef US_ATTEMPT_H
#define US_ATTEMPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "provider.h"

struct attempt;

/* Timeouts in milliseconds, 0 = none (reference/resilience.md says how the router picks
 * them); max_response_bytes 0 = ATTEMPT_MAX_RESPONSE_BYTES. */
struct attempt_opts {
    int connect_timeout_ms;
    int first_byte_timeout_ms;
    int stall_timeout_ms;
    int total_timeout_ms;
    size_t max_response_bytes;
};

/* Microseconds since attempt_start; -1 when the point was never reached. */
struct attempt_timing {
    int64_t connect_us;    /* 0 when a kept-alive connection was reused */
    int64_t first_byte_us; /* first response byte (status line) */
    int64_t first_text_us; /* first usable text delta */
    int64_t total_us;
};

struct attempt_result {
    struct prov_outcome outcome;
    const char *text;   /* borrowed until on_done returns; NUL-terminated; "" unless OK */
    size_t text_len;
    bool truncated;     /* the stream broke after usable text: text ends at its last full line */
    int64_t ttfb_ms;    /* time to the first usable text (what hedging waits for); -1 if none */
    struct attempt_timing timing;
    /* The response's rate-limit headers (policy/ratelimit.h): no budget left for this many ms
     * (-1 when budget is left or nothing was said), and which ("requests", "tokens", ...). */
    int64_t budget_wait_ms;
    char budget_what[24];
};

struct attempt_callbacks {
    /* New text decoded from the stream (may be NULL). delta is borrowed. Lets the router see
     * the first usable text (hedging) and fill caches early. May call attempt_abort. */
    void (*on_text)(struct attempt *a, void *ud, const char *delta, size_t len);
    /* Exactly once unless the attempt was cancelled or failed to start. Required. After it
     * returns the attempt pointer is invalid. */
    void (*on_done)(struct attempt *a, void *ud, const struct attempt_result *res);
};

/* Start one attempt. cfg (with cfg->ops resolved) is borrowed and must outlive the attempt;
 * ctx and key are only used during this call (the adapter copies what it sends; it also adds
 * cfg->headers). opts may be NULL (no timeouts). Returns 0 and sets *out (may be NULL), or a
 * negative US_ code from the adapter or the engine, and then no callback fires. */
int attempt_start(struct http_engine *eng, const struct prov_config *cfg,
                  const struct prov_context *ctx, const char *key,
                  const struct attempt_opts *opts, const struct attempt_callbacks *cb,
                  void *ud, struct attempt **out);

/* Cancel: abort the transfer (the server sees the connection close) and release the attempt;
 * no callback fires afterwards. Safe inside on_text; a no-op once on_done has started. A
 * cancelled attempt has no outcome, so it never counts against the provider. */
void attempt_abort(struct attempt *a);

/* The partial-answer rule, shared by a broken stream and the router's deadline: how many
 * bytes of text are complete lines (up to and including the last newline) that hold visible
 * text; 0 when none. text is borrowed. */
size_t attempt_complete_lines(const char *text, size_t len);

/* Caps: the whole streamed response, and the error body kept for classification. */
#define ATTEMPT_MAX_RESPONSE_BYTES (8u * 1024u * 1024u)
#define ATTEMPT_MAX_ERROR_BODY (64u * 1024u)
/* Caps on the decoded text, checked as it streams: one line, and the whole answer. Past either
 * the transfer stops and the complete lines so far are served (truncated), else it fails as
 * malformed. No completion needs more; parsing more would only hold the loop. */
#define ATTEMPT_MAX_LINE_BYTES (16u * 1024u)
#define ATTEMPT_MAX_TEXT_BYTES (256u * 1024u)

#endif
