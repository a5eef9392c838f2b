/* fuzz_stream: the SSE and NDJSON parsers must give the same events for every split of a body
 * (bytes arrive wherever TCP cuts them) as for one feed, and never crash. */
#include <stdint.h>

#include "base.h"
#include "fuzz_util.h"
#include "stream.h"

static int on_event(void *ud, const char *event, const char *data, size_t len)
{
    struct fz_log *log = ud;
    FZ_ASSERT(data[len] == 0, "SSE data not NUL-terminated");
    fz_log_add(log, 1, event ? event : "", event ? strlen(event) + 1 : 0);
    fz_log_add(log, 2, data, len);
    return 0;
}

static int on_line(void *ud, const char *line, size_t len)
{
    struct fz_log *log = ud;
    FZ_ASSERT(line[len] == 0, "NDJSON line not NUL-terminated");
    FZ_ASSERT(len > 0, "NDJSON delivered an empty line");
    FZ_ASSERT(memchr(line, '\n', len) == NULL, "NDJSON line holds a newline");
    fz_log_add(log, 3, line, len);
    return 0;
}

/* Run one parser over the input, fed whole (seed 0) or in random pieces; log the result codes
 * too, so a cap firing differently is caught. max is small so the caps are reachable. */
static void run_sse(const uint8_t *d, size_t n, uint64_t seed, size_t max, struct fz_log *log)
{
    struct sse_parser *p = sse_new(max, on_event, log);
    int rc = 0;
    if (!seed) {
        rc = sse_feed(p, (const char *)d, n);
    } else {
        size_t off = 0;
        while (off < n && rc == 0) {
            size_t k = fz_chunk(&seed, n - off);
            rc = sse_feed(p, (const char *)d + off, k);
            off += k;
        }
    }
    if (rc == 0)
        rc = sse_end(p);
    fz_log_add(log, 9, &rc, sizeof(rc));
    sse_free(p);
}

static void run_ndjson(const uint8_t *d, size_t n, uint64_t seed, size_t max, struct fz_log *log)
{
    struct ndjson_parser *p = ndjson_new(max, on_line, log);
    int rc = 0;
    if (!seed) {
        rc = ndjson_feed(p, (const char *)d, n);
    } else {
        size_t off = 0;
        while (off < n && rc == 0) {
            size_t k = fz_chunk(&seed, n - off);
            rc = ndjson_feed(p, (const char *)d + off, k);
            off += k;
        }
    }
    if (rc == 0)
        rc = ndjson_end(p);
    fz_log_add(log, 9, &rc, sizeof(rc));
    ndjson_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t seed = fz_seed(data, size);
    size_t max = (seed & 4) ? 256 : 0;
    struct fz_log a = {0}, b = {0};

    run_sse(data, size, 0, max, &a);
    run_sse(data, size, seed, max, &b);
    FZ_ASSERT(fz_log_equal(&a, &b), "SSE: one feed and split feeds disagree");
    a.len = b.len = 0;

    run_ndjson(data, size, 0, max, &a);
    run_ndjson(data, size, seed, max, &b);
    FZ_ASSERT(fz_log_equal(&a, &b), "NDJSON: one feed and split feeds disagree");
    fz_log_free(&a);
    fz_log_free(&b);
    return 0;
}
