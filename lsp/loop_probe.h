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
    /* cpu_us: the loop thread's CPU time in the interval; preempted: involuntary context
     * switches in it (> 0: the thread was ready but waited for a core). */
    struct { uint64_t late_us, at_ms, cpu_us, preempted, waited_us; } top[LOOP_PROBE_TOP];
    uint64_t nivcsw;     /* involuntary context switches at the last tick */
    /* waited_us: time the thread was runnable but waiting for a core (schedstat run_delay):
     * late_us - waited_us is the stall the process itself caused (work or blocking). */
    int schedstat_fd;
    uint64_t run_delay_ns;
    uint64_t max_own_us;  /* most lateness not explained by waiting for a core */
    uint64_t max_own_at_ms;
    struct { uint64_t own_us, at_ms, cpu_us; } top_own[LOOP_PROBE_TOP]; /* longest first */
    /* The loop thread's own CPU time between two ticks: a late tick with little CPU was the
     * machine (preempted, waiting for a core), not work on the loop. */
    uint64_t cpu_ns;     /* thread CPU clock at the last tick */
    uint64_t max_cpu_us; /* most CPU used between two ticks */
    uint64_t max_cpu_at_ms;
};

/* Starts when $UNDERSTUDY_LOOP_PROBE is set; the timer does not keep the loop alive. */
void loop_probe_start(uv_loop_t *loop, struct loop_probe *p);
/* Writes {"ticks", "max_late_us", "over_1ms", ..., "max_cpu_us", "max_cpu_at_ms",
 * "max_own_us",
 * "top_own": [[own_us, at_ms, cpu_us]...], "top": [[late_us, at_ms, cpu_us, preempted, waited_us]...]} to the file
 * and stops. p must stay valid until the loop ran the close callbacks. */
void loop_probe_stop(struct loop_probe *p);

#endif
