/* fuzz_framer: the Content-Length framer must never crash and must give the same messages and
 * errors whether the bytes come in one read or in many small ones. */
#include <stdint.h>

#include "framer.h"
#include "fuzz_util.h"

/* Drain every message and error the framer has; record them. Bounded: each call either
 * consumes bytes or returns 0. */
static void drain(struct framer *fr, struct fz_log *log, int *header_cap_hit)
{
    for (int guard = 0; guard < 100000; guard++) {
        const char *body = NULL, *why = NULL;
        size_t len = 0;
        int rc = framer_next(fr, &body, &len, &why);
        if (rc == 0)
            return;
        if (rc == 1) {
            fz_log_add(log, 1, body, len);
        } else {
            FZ_ASSERT(why != NULL, "framer error %d without a reason", rc);
            /* The header-size cap drops what it has buffered when it fires, which depends on
             * how much had arrived: the only legitimately split-dependent outcome. */
            if (strncmp(why, "header block too large", 22) == 0)
                *header_cap_hit = 1;
            fz_log_add(log, rc, why, strlen(why));
        }
    }
    FZ_ASSERT(0, "framer_next did not settle after 100000 calls");
}

/* A Content-Length over 2^40 makes the framer drop whatever it has buffered at that moment (it
 * cannot sensibly skip that much), so what follows depends on the read sizes, as with the
 * header cap. True when the input holds such a number anywhere. */
static int has_absurd_number(const uint8_t *d, size_t n)
{
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] >= '0' && d[i] <= '9') {
            v = v * 10 + (d[i] - '0');
            if (v > (1ULL << 40))
                return 1;
        } else {
            v = 0;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t seed = fz_seed(data, size);
    /* A small body cap half of the time so the discard-oversized path gets exercised. */
    size_t cap = (seed & 2) ? 64 : 0;
    struct fz_log whole = {0}, split = {0};
    int cap_hit = has_absurd_number(data, size);

    struct framer *fr = framer_new(cap);
    framer_feed(fr, (const char *)data, size);
    drain(fr, &whole, &cap_hit);
    framer_free(fr);

    fr = framer_new(cap);
    size_t off = 0;
    while (off < size) {
        size_t n = fz_chunk(&seed, size - off);
        framer_feed(fr, (const char *)data + off, n);
        off += n;
        drain(fr, &split, &cap_hit);
    }
    framer_free(fr);

    if (!cap_hit)
        FZ_ASSERT(fz_log_equal(&whole, &split),
                  "framer: one feed and split feeds disagree (%zu vs %zu log bytes)", whole.len,
                  split.len);
    fz_log_free(&whole);
    fz_log_free(&split);
    return 0;
}
