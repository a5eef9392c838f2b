/* loop_probe: see loop_probe.h. Lateness is measured against the previous tick plus the
 * period with the high-resolution clock; the loop's own 1 ms timer granularity shows as up to
 * ~1 ms of lateness on an idle loop, so stalls worth reporting are those well above that. */
#include "loop_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <time.h>

#include "base.h"

#define PERIOD_MS 1

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_nivcsw(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_nivcsw;
}

/* /proc/thread-self/schedstat: "on-cpu-ns run-delay-ns timeslices"; 0 when unreadable. */
static uint64_t run_delay_ns(int fd)
{
    char buf[128];
    if (fd < 0)
        return 0;
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *sp = strchr(buf, ' ');
    return sp ? strtoull(sp + 1, NULL, 10) : 0;
}

static void tick(uv_timer_t *t)
{
    struct loop_probe *p = t->data;
    uint64_t now = uv_hrtime();
    uint64_t cpu = thread_cpu_ns();
    uint64_t cpu_us = cpu > p->cpu_ns ? (cpu - p->cpu_ns) / 1000 : 0;
    p->cpu_ns = cpu;
    uint64_t iv = thread_nivcsw();
    uint64_t preempted = iv - p->nivcsw;
    p->nivcsw = iv;
    uint64_t rd = run_delay_ns(p->schedstat_fd);
    uint64_t waited_us = rd > p->run_delay_ns ? (rd - p->run_delay_ns) / 1000 : 0;
    p->run_delay_ns = rd;
    if (cpu_us > p->max_cpu_us) {
        p->max_cpu_us = cpu_us;
        p->max_cpu_at_ms = (now - p->started_ns) / 1000000;
    }
    uint64_t late_us = now > p->expected_ns ? (now - p->expected_ns) / 1000 : 0;
    p->expected_ns = now + (uint64_t)PERIOD_MS * 1000000;
    p->ticks++;
    uint64_t own_us = late_us > waited_us ? late_us - waited_us : 0;
    if (own_us > p->max_own_us) {
        p->max_own_us = own_us;
        p->max_own_at_ms = (now - p->started_ns) / 1000000;
    }
    if (own_us > p->top_own[LOOP_PROBE_TOP - 1].own_us) {
        int k = LOOP_PROBE_TOP - 1;
        while (k > 0 && p->top_own[k - 1].own_us < own_us) {
            p->top_own[k] = p->top_own[k - 1];
            k--;
        }
        p->top_own[k].own_us = own_us;
        p->top_own[k].at_ms = (now - p->started_ns) / 1000000;
        p->top_own[k].cpu_us = cpu_us;
    }
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
    p->top[i].cpu_us = cpu_us;
    p->top[i].preempted = preempted;
    p->top[i].waited_us = waited_us;
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
    p->cpu_ns = thread_cpu_ns();
    p->nivcsw = thread_nivcsw();
    p->schedstat_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    p->run_delay_ns = run_delay_ns(p->schedstat_fd);
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
                   "\"over_50ms\": %llu, \"max_cpu_us\": %llu, \"max_cpu_at_ms\": %llu, "
                   "\"max_own_us\": %llu, \"max_own_at_ms\": %llu, ",
                (unsigned long long)p->ticks, (unsigned long long)p->top[0].late_us,
                (unsigned long long)p->over_us[0], (unsigned long long)p->over_us[1],
                (unsigned long long)p->over_us[2], (unsigned long long)p->over_us[3],
                (unsigned long long)p->over_us[4], (unsigned long long)p->max_cpu_us,
                (unsigned long long)p->max_cpu_at_ms, (unsigned long long)p->max_own_us,
                (unsigned long long)p->max_own_at_ms);
        fprintf(f, "\"top_own\": [");
        for (int i = 0; i < LOOP_PROBE_TOP && p->top_own[i].own_us; i++)
            fprintf(f, "%s[%llu, %llu, %llu]", i ? ", " : "",
                    (unsigned long long)p->top_own[i].own_us,
                    (unsigned long long)p->top_own[i].at_ms,
                    (unsigned long long)p->top_own[i].cpu_us);
        fprintf(f, "], \"top\": [");
        for (int i = 0; i < LOOP_PROBE_TOP && p->top[i].late_us; i++)
            fprintf(f, "%s[%llu, %llu, %llu, %llu, %llu]", i ? ", " : "",
                (unsigned long long)p->top[i].late_us, (unsigned long long)p->top[i].at_ms,
                (unsigned long long)p->top[i].cpu_us, (unsigned long long)p->top[i].preempted,
                (unsigned long long)p->top[i].waited_us);
        fprintf(f, "]}\n");
        fclose(f);
    }
    free(p->path);
    p->path = NULL;
    if (p->schedstat_fd >= 0)
        close(p->schedstat_fd);
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, NULL);
}
