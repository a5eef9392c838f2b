/* check: the unit tests' tiny harness. Each test file defines TESTS(X) listing its cases and
 * calls CHECK_MAIN; a failed CHECK prints file:line and the expression, and the binary exits 1
 * at the end, so meson counts it as failed. */
#ifndef US_CHECK_H
#define US_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int check__failures;
static const char *check__current;

#define CHECK(expr)                                                                      \
    do {                                                                                 \
        if (!(expr)) {                                                                   \
            fprintf(stderr, "%s:%d: [%s] check failed: %s\n", __FILE__, __LINE__,        \
                    check__current, #expr);                                              \
            check__failures++;                                                           \
        }                                                                                \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                               \
    do {                                                                                 \
        long long check__a = (long long)(a), check__b = (long long)(b);                  \
        if (check__a != check__b) {                                                      \
            fprintf(stderr, "%s:%d: [%s] %s == %s failed: %lld != %lld\n", __FILE__,     \
                    __LINE__, check__current, #a, #b, check__a, check__b);               \
            check__failures++;                                                           \
        }                                                                                \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                               \
    do {                                                                                 \
        const char *check__a = (a), *check__b = (b);                                     \
        if (!check__a || !check__b || strcmp(check__a, check__b) != 0) {                 \
            fprintf(stderr, "%s:%d: [%s] %s == %s failed:\n  got:  \"%s\"\n  want: \"%s\"\n", \
                    __FILE__, __LINE__, check__current, #a, #b,                          \
                    check__a ? check__a : "(null)", check__b ? check__b : "(null)");     \
            check__failures++;                                                           \
        }                                                                                \
    } while (0)

#define CHECK__DECL(name) static void name(void);
#define CHECK__ENTRY(name) {#name, name},

/* Runs every case (or only those named on the command line) and reports. */
#define CHECK_MAIN(TESTS)                                                                \
    TESTS(CHECK__DECL)                                                                   \
    int main(int argc, char **argv)                                                      \
    {                                                                                    \
        static const struct { const char *name; void (*fn)(void); } cases[] = {         \
            TESTS(CHECK__ENTRY)};                                                        \
        int ran = 0;                                                                     \
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {                  \
            int wanted = argc < 2;                                                       \
            for (int a = 1; a < argc; a++)                                               \
                if (strcmp(argv[a], cases[i].name) == 0)                                 \
                    wanted = 1;                                                          \
            if (!wanted)                                                                 \
                continue;                                                                \
            check__current = cases[i].name;                                              \
            int before = check__failures;                                                \
            cases[i].fn();                                                               \
            ran++;                                                                       \
            printf("%s %s\n", check__failures == before ? "ok  " : "FAIL", cases[i].name); \
        }                                                                                \
        printf("%d cases, %d failed checks\n", ran, check__failures);                   \
        return check__failures ? 1 : 0;                                                  \
    }

/* The calling thread's CPU time in microseconds: for the few tests that bound a cost. Wall
 * time would also count the time the test waited for a CPU (CI runs the sanitizer suite on
 * two shared cores). */
static inline unsigned long long check_thread_cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (unsigned long long)ts.tv_sec * 1000000u + (unsigned long long)ts.tv_nsec / 1000u;
}

#endif
