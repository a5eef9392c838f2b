/* loop_probe: a debugging aid for benchmarks and tests. A 1 ms timer that measures its own
 * lateness, i.e. how long the loop was blocked; off unless UNDERSTUDY_LOOP_PROBE names a file.
 * Boundary: the struct lives inside its owner (main's stack) and owns its path copy; its timer
 * is closed by loop_probe_stop (keep the struct until the loop ran the close); the report file
 * is written and closed here. */
#ifndef US_LOOP_PROBE_H
#define US_LOOP_PROBE_H

#include <stdint.h>

#include <uv.h>

#define LOOP_PROBE_TOP 8

struct loop_probe {
    uv_timer_t timer;
    char *path;          /* NULL: off */
    uint64_t started_ns, expected_ns;
    uint64_t ticks;
    uint64_t over_us[5]; /* ticks later than 1, 2, 5, 10, 50 ms */
    struct { uint64_t late_us, at_ms; } top[LOOP_PROBE_TOP]; /* the longest, longest first */
};

/* Starts when $UNDERSTUDY_LOOP_PROBE is set; the timer does not keep the loop alive. */
void loop_probe_start(uv_loop_t *loop, struct loop_probe *p);
/* Writes {"ticks", "max_late_us", "over_1ms", ..., "top": [[late_us, at_ms]...]} to the file
 * and stops. p must stay valid until the loop ran the close callbacks. */
void loop_probe_stop(struct loop_probe *p);

#endif
