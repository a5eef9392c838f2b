/* test_syntax_util: what the grammars/ unit tests share: reading a sample file and a clock.
 * Header-only (static inline); a sample's buffer is the caller's to free. */
#ifndef US_TEST_SYNTAX_UTIL_H
#define US_TEST_SYNTAX_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define US_LEN(a) (sizeof(a) / sizeof((a)[0]))

#ifndef SAMPLES_DIR
#error "SAMPLES_DIR must point at tests/unit/grammars/samples"
#endif

static inline char *read_sample(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", SAMPLES_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(2);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}


#endif
