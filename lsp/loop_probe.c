/* loop_probe: see loop_probe.h. Lateness is measured against the previous tick plus the
 * period with the high-resolution clock; the loop's own 1 ms timer granularity shows as up to
 * ~1 ms of lateness on an idle loop, so stalls worth reporting are those well above that. */
#include "loop_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

#define PERIOD_MS 1

static void tick(uv_timer_t *t)
{
    struct loop_probe *p = t->data;
    uint64_t now = uv_hrtime();
    uint64_t late_us = now > p->expected_ns ? (now - p->expected_ns) / 1000 : 0;
    p->expected_ns = now + (uint64_t)PERIOD_MS * 1000000;
    p->ticks++;
    static const uint64_t bounds_us[5] = {1000, 2000, 5000, 10000, 50000};
    for (int i = 0; i < 5; i++)
        if (late_us > bounds_us[i])
            p->over_us[i]++;
    if (late_us <= p->top[LOOP_PROBE_TOP - 1].late_us)
        return;
    int i = LOOP_PROBE_TOP - 1;
    while (i > 0 && p->top[i - 1].late_us < late_us) {
        p->top[i] = p->top[i - 1];
        i--;
    }
    p->top[i].late_us = late_us;
    p->top[i].at_ms = (now - p->started_ns) / 1000000;
}

void loop_probe_start(uv_loop_t *loop, struct loop_probe *p)
{
    memset(p, 0, sizeof(*p));
    const char *path = getenv("UNDERSTUDY_LOOP_PROBE");
    if (!path || !*path)
        return;
    p->path = xstrdup(path);
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    uv_unref((uv_handle_t *)&p->timer);
    p->started_ns = uv_hrtime();
    p->expected_ns = p->started_ns + (uint64_t)PERIOD_MS * 1000000;
    uv_timer_start(&p->timer, tick, PERIOD_MS, PERIOD_MS);
}

void loop_probe_stop(struct loop_probe *p)
{
    if (!p->path)
        return;
    FILE *f = fopen(p->path, "w");
    if (f) {
        fprintf(f, "{\"ticks\": %llu, \"max_late_us\": %llu, \"over_1ms\": %llu, "
                   "\"over_2ms\": %llu, \"over_5ms\": %llu, \"over_10ms\": %llu, "
                   "\"over_50ms\": %llu, \"top\": [",
                (unsigned long long)p->ticks, (unsigned long long)p->top[0].late_us,
                (unsigned long long)p->over_us[0], (unsigned long long)p->over_us[1],
                (unsigned long long)p->over_us[2], (unsigned long long)p->over_us[3],
                (unsigned long long)p->over_us[4]);
        for (int i = 0; i < LOOP_PROBE_TOP && p->top[i].late_us; i++)
            fprintf(f, "%s[%llu, %llu]", i ? ", " : "", (unsigned long long)p->top[i].late_us,
                    (unsigned long long)p->top[i].at_ms);
        fprintf(f, "]}\n");
        fclose(f);
    }
    free(p->path);
    p->path = NULL;
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, NULL);
}
