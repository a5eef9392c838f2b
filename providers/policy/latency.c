/* latency: rings of recent samples per provider and the judgements the router makes from
 * them (latency.h). Small fixed rings: 20 samples sort in well under a microsecond. */
#include "latency.h"

#include <string.h>

void lat_ring_add(struct lat_ring *r, uint32_t v)
{
    r->v[r->pos] = v;
    r->pos = (r->pos + 1) % LAT_SAMPLES;
    if (r->n < LAT_SAMPLES)
        r->n++;
}

static void sort_u32(uint32_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) /* n <= 20: insertion sort */
        for (size_t j = i; j > 0 && a[j - 1] > a[j]; j--) {
            uint32_t t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
}

static uint32_t pct_of(uint32_t *sorted, size_t n, double q)
{
    if (n == 0)
        return 0;
    sort_u32(sorted, n);
    size_t idx = (size_t)(q * (double)(n - 1) + 0.5);
    return sorted[idx];
}

uint32_t lat_ring_pct(const struct lat_ring *r, double q)
{
    uint32_t tmp[LAT_SAMPLES];
    memcpy(tmp, r->v, r->n * sizeof(*tmp));
    return pct_of(tmp, r->n, q);
}

void lat_note_answer(struct latency *m, int64_t ttft_ms, uint32_t total_ms, size_t bytes,
                     uint32_t stream_ms)
{
    if (ttft_ms >= 0)
        lat_ring_add(&m->ttft, (uint32_t)ttft_ms);
    lat_ring_add(&m->total, total_ms);
    if (bytes > 0)
        lat_ring_add(&m->size, bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes);
    /* A rate needs a stream long enough to measure: most short answers come in one burst. */
    if (stream_ms >= 50 && bytes >= 16)
        lat_ring_add(&m->rate, (uint32_t)((double)bytes * 1000.0 / stream_ms));
}

void lat_note_too_slow(struct latency *m, uint32_t elapsed_ms)
{
    lat_ring_add(&m->total, elapsed_ms);
}

int lat_ttft_limit_ms(const struct latency *m)
{
    if (m->ttft.n < LAT_MIN_HISTORY)
        return LAT_PRIOR_LIMIT_MS;
    uint32_t p90 = lat_ring_pct(&m->ttft, 0.9);
    uint32_t a = p90 * LAT_LIMIT_FACTOR, b = p90 + LAT_LIMIT_MARGIN_MS;
    return (int)(a > b ? a : b);
}

static double normal_rate(const struct latency *m)
{
    return m->rate.n >= LAT_MIN_HISTORY ? (double)lat_ring_pct(&m->rate, 0.5)
                                        : (double)LAT_PRIOR_RATE_BPS;
}

bool lat_rate_too_slow(const struct latency *m, double bps)
{
    return bps * LAT_SLOW_RATE_DIV < normal_rate(m);
}

uint64_t lat_project_end_ms(const struct latency *m, uint64_t first_text_ms, uint64_t now_ms,
                            size_t bytes, size_t lines, int max_lines)
{
    if (now_ms <= first_text_ms || bytes == 0)
        return now_ms;
    double ms = (double)(now_ms - first_text_ms);
    double bps = (double)bytes * 1000.0 / ms;
    /* The typical answer of this provider; one that is already longer is assumed to end soon
     * after (a quarter more). */
    double want = m->size.n >= LAT_MIN_HISTORY ? (double)lat_ring_pct(&m->size, 0.75)
                                               : (double)LAT_PRIOR_ANSWER_BYTES;
    if (lines > 0 && max_lines > 0) {
        /* max_lines caps the answer too (the attempt stops reading once they are here), at
         * the mean line length so far: a byte rate is steadier than a count of lines. */
        double by_lines = (double)bytes / (double)lines * (double)max_lines;
        if (by_lines < want)
            want = by_lines;
    }
    if (want <= (double)bytes)
        want = (double)bytes * 1.25;
    double left_ms = (want - (double)bytes) * 1000.0 / bps;
    return now_ms + (uint64_t)left_ms;
}

bool lat_is_slow(const struct latency *m)
{
    const struct lat_ring *r = &m->total;
    if (r->n < LAT_RECENT + LAT_MIN_HISTORY)
        return false;
    uint32_t recent[LAT_RECENT], older[LAT_SAMPLES];
    size_t n_old = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        /* i = 0 is the newest sample */
        uint32_t v = r->v[(r->pos + LAT_SAMPLES - 1 - i) % LAT_SAMPLES];
        if (i < LAT_RECENT)
            recent[i] = v;
        else
            older[n_old++] = v;
    }
    uint32_t now = pct_of(recent, LAT_RECENT, 0.5), normal = pct_of(older, n_old, 0.5);
    return now > normal * LAT_SLOW_FACTOR && now > normal + LAT_SLOW_MARGIN_MS;
}
