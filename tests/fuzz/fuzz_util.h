/* fuzz_util: helpers shared by the libFuzzer targets: a tiny deterministic PRNG seeded from the
 * input (so a crash file replays the same splits) and a recorder for "same events" oracles. */
#ifndef US_FUZZ_UTIL_H
#define US_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* xorshift64*: good enough to pick split points; never zero. */
static inline uint64_t fz_next(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Seed from the whole input: different inputs explore different splits, the same input always
 * replays the same ones. */
static inline uint64_t fz_seed(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < size; i++) {
        h ^= data[i];
        h *= 1099511628211ull;
    }
    return h | 1;
}

/* The length of the next chunk of a random split: mostly tiny (1..8 bytes, where boundary bugs
 * live), sometimes larger. */
static inline size_t fz_chunk(uint64_t *s, size_t left)
{
    uint64_t r = fz_next(s);
    size_t n = (r & 3) ? (size_t)(1 + ((r >> 8) & 7)) : (size_t)(1 + ((r >> 8) & 255));
    return n < left ? n : left;
}

/* A growing log of events, each stored as tag + length + bytes, compared with memcmp. */
struct fz_log {
    unsigned char *data;
    size_t len, cap;
};

static inline void fz_log_add(struct fz_log *l, int tag, const void *p, size_t n)
{
    size_t need = l->len + sizeof(int) + sizeof(size_t) + n;
    if (need > l->cap) {
        l->cap = need * 2;
        l->data = realloc(l->data, l->cap);
        if (!l->data)
            abort();
    }
    memcpy(l->data + l->len, &tag, sizeof(int));
    l->len += sizeof(int);
    memcpy(l->data + l->len, &n, sizeof(size_t));
    l->len += sizeof(size_t);
    if (n)
        memcpy(l->data + l->len, p, n);
    l->len += n;
}

static inline int fz_log_equal(const struct fz_log *a, const struct fz_log *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static inline void fz_log_free(struct fz_log *l)
{
    free(l->data);
    l->data = NULL;
    l->len = l->cap = 0;
}

/* Fail loudly: libFuzzer treats abort() as a crash and saves the input. */
#define FZ_ASSERT(cond, ...)                                                        \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "fuzz oracle failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                           \
            fputc('\n', stderr);                                                    \
            abort();                                                                \
        }                                                                           \
    } while (0)

#endif
