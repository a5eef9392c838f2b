/* latency: one provider's own normal speed, learned from its recent answers (time to first
 * text, stream rate, whole-answer time and size), so the router can tell slow from dead by
 * the provider's own standard instead of a fixed share of the deadline (resilience.md). */
#ifndef US_LATENCY_H
#define US_LATENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LAT_SAMPLES 20
/* Fewer samples than this: the priors below stand in for the provider's history. */
#define LAT_MIN_HISTORY 3
/* "Far slower than normal" for a provider with no history yet: no text after this long. The
 * providers' published median times to a first token are 0.15-1.4 s (README, "Deadlines"). */
#define LAT_PRIOR_LIMIT_MS 1200
/* With history: no text after max(LAT_LIMIT_FACTOR x p90, p90 + LAT_LIMIT_MARGIN_MS). */
#define LAT_LIMIT_FACTOR 3
#define LAT_LIMIT_MARGIN_MS 1000
/* A stream without history is assumed to run at >= this many bytes of text per second
 * (published output speeds are 75-200 tokens/s, ~4 bytes each); far below = under a quarter
 * of the provider's normal rate. */
#define LAT_PRIOR_RATE_BPS 300
#define LAT_SLOW_RATE_DIV 4
/* The size of a typical suggestion when the provider has no history (about three lines). */
#define LAT_PRIOR_ANSWER_BYTES 160
/* `slow` state: the median of the last LAT_RECENT observations is more than LAT_SLOW_FACTOR
 * times the median of the older ones and LAT_SLOW_MARGIN_MS above it. */
#define LAT_RECENT 3
#define LAT_SLOW_FACTOR 2
#define LAT_SLOW_MARGIN_MS 300

/* A ring of the last LAT_SAMPLES values (value type; zero-initialised = empty). */
struct lat_ring {
    uint32_t v[LAT_SAMPLES];
    uint32_t n, pos;
};

struct latency {
    struct lat_ring ttft;  /* ms from the request to the first usable text */
    struct lat_ring total; /* ms to the whole answer; too-slow calls add their elapsed time */
    struct lat_ring rate;  /* bytes of text per second after the first text (streams only) */
    struct lat_ring size;  /* bytes of text in complete answers */
};

void lat_ring_add(struct lat_ring *r, uint32_t v);
/* The q-quantile (0..1) of the samples; 0 when there are none. */
uint32_t lat_ring_pct(const struct lat_ring *r, double q);

/* A complete answer: ttft_ms < 0 when unknown; stream_ms is first text to last text. */
void lat_note_answer(struct latency *m, int64_t ttft_ms, uint32_t total_ms, size_t bytes,
                     uint32_t stream_ms);
/* A call judged too slow after elapsed_ms (a lower bound of what it would have taken). */
void lat_note_too_slow(struct latency *m, uint32_t elapsed_ms);

/* How long without any text means "far slower than its own normal" (ms). */
int lat_ttft_limit_ms(const struct latency *m);
/* Is a stream at bps bytes/s far below the provider's normal rate? */
bool lat_rate_too_slow(const struct latency *m, double bps);
/* When a stream that began at first_text_ms and has brought `bytes` bytes and `lines` lines
 * by now_ms will end, from its rate: the end of a typical answer of this provider, or of
 * max_lines lines, whichever comes first (absolute ms; now_ms when it cannot tell yet). */
uint64_t lat_project_end_ms(const struct latency *m, uint64_t first_text_ms, uint64_t now_ms,
                            size_t bytes, size_t lines, int max_lines);
/* Recent answers far slower than this provider's own normal (the `slow` state). */
bool lat_is_slow(const struct latency *m);

#endif
