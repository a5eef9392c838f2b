/* line_diff: the runs of changed lines between two versions rebuild the new text from the old
 * one; edits in several places that keep the line count give one run each; `after` takes
 * unchanged lines after each run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "check.h"
#include "local/line_diff.h"

#define MAX_RUNS 64

struct runs {
    struct line_change c[MAX_RUNS];
    size_t n;
};

static void keep(const struct line_change *c, void *ud)
{
    struct runs *r = ud;
    if (r->n < MAX_RUNS)
        r->c[r->n] = *c;
    r->n++;
}

static size_t diff(const char *a, const char *b, int after, struct runs *r)
{
    memset(r, 0, sizeof *r);
    return line_diff(a, strlen(a), b, strlen(b), after, keep, r);
}

/* Old text outside the runs, new text inside them: must be the new text, and the runs must
 * start at line starts, in order, not overlapping. */
static bool rebuilds(const char *a, const char *b, const struct runs *r)
{
    struct strbuf out;
    sb_init(&out);
    size_t po = 0, pn = 0;
    bool ok = r->n <= MAX_RUNS;
    for (size_t i = 0; ok && i < r->n; i++) {
        const struct line_change *c = &r->c[i];
        ok = c->old_start >= po && c->new_start >= pn && c->old_end >= c->old_start &&
             c->new_end >= c->new_start && c->old_start - po == c->new_start - pn &&
             (c->old_start == 0 || a[c->old_start - 1] == '\n') &&
             (c->new_start == 0 || b[c->new_start - 1] == '\n');
        if (!ok)
            break;
        sb_add(&out, a + po, c->old_start - po);
        sb_add(&out, b + c->new_start, c->new_end - c->new_start);
        po = c->old_end;
        pn = c->new_end;
    }
    if (ok)
        sb_adds(&out, a + po);
    ok = ok && out.len == strlen(b) && memcmp(out.data, b, out.len) == 0;
    sb_release(&out);
    return ok;
}

static void shapes(void)
{
    struct runs r;
    CHECK_EQ_INT(diff("a\nb\nc\n", "a\nb\nc\n", 1, &r), 0);
    /* one keystroke */
    CHECK_EQ_INT(diff("one\ntwo\nthree\nfour\n", "one\ntwo!\nthree\nfour\n", 0, &r), 1);
    CHECK_EQ_INT(r.c[0].old_start, 4);
    CHECK_EQ_INT(r.c[0].old_end, 7);
    CHECK_EQ_INT(r.c[0].new_end, 8);
    /* the same with the line after it */
    CHECK_EQ_INT(diff("one\ntwo\nthree\nfour\n", "one\ntwo!\nthree\nfour\n", 1, &r), 1);
    CHECK_EQ_INT(r.c[0].old_end, 14);
    CHECK_EQ_INT(r.c[0].new_end, 15);
    /* two places, far apart, same line count: two runs, the lines between untouched */
    const char *a = "l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n", *b = "l1\nL2x\nl3\nl4\nl5\nl6\nl7y\nl8\n";
    CHECK_EQ_INT(diff(a, b, 1, &r), 2);
    CHECK_EQ_INT(r.c[0].old_start, 3);
    CHECK_EQ_INT(r.c[0].old_end, 9); /* l2 and l3 */
    CHECK_EQ_INT(r.c[1].old_start, 18);
    CHECK(rebuilds(a, b, &r));
    /* two changed lines one apart: the line between joins them in one run */
    CHECK_EQ_INT(diff("a\nb\nc\nd\n", "A\nb\nC\nd\n", 1, &r), 1);
    /* a line added: one run from the first change to the last */
    CHECK_EQ_INT(diff("a\nb\nc\nd\n", "a\nX\nb\nc\nD\n", 0, &r), 1);
    CHECK_EQ_INT(r.c[0].old_start, 2);
    CHECK(rebuilds("a\nb\nc\nd\n", "a\nX\nb\nc\nD\n", &r));
    /* no final newline, changes at either end */
    CHECK(diff("abc", "abd", 1, &r) == 1 && rebuilds("abc", "abd", &r));
    CHECK(diff("x\nabc", "y\nabc", 1, &r) == 1 && rebuilds("x\nabc", "y\nabc", &r));
    CHECK(diff("", "a\nb", 1, &r) == 1 && rebuilds("", "a\nb", &r));
    CHECK(diff("a\nb", "", 1, &r) == 1 && rebuilds("a\nb", "", &r));
}

static void random_edits(void)
{
    srand(42);
    static const char *const bits[] = {"a", "bc", " ", "\n", "x y", "\n\n", "zz\n", "q"};
    int failures = 0, multi = 0;
    for (int round = 0; round < 3000; round++) {
        struct strbuf a;
        sb_init(&a);
        for (int i = 0; i < 40; i++)
            sb_adds(&a, bits[(size_t)rand() % US_ARRAY_LEN(bits)]);
        char *b = xstrdup(a.data);
        int edits = 1 + rand() % 3;
        for (int e = 0; e < edits; e++) {
            size_t n = strlen(b), at = n ? (size_t)rand() % (n + 1) : 0;
            size_t del = rand() % 2 ? (size_t)rand() % 3 : 0;
            if (at + del > n)
                del = n - at;
            const char *ins = rand() % 3 ? bits[(size_t)rand() % US_ARRAY_LEN(bits)] : "";
            char *c = xmalloc(n - del + strlen(ins) + 1);
            memcpy(c, b, at);
            strcpy(c + at, ins);
            strcat(c, b + at + del);
            free(b);
            b = c;
        }
        struct runs r;
        size_t nr = diff(a.data, b, rand() % 3, &r);
        multi += nr > 1;
        if ((nr == 0) != (strcmp(a.data, b) == 0) || !rebuilds(a.data, b, &r)) {
            if (failures++ < 3)
                fprintf(stderr, "  round %d: [%s] -> [%s], %zu runs\n", round, a.data, b, nr);
        }
        free(b);
        sb_release(&a);
    }
    CHECK_EQ_INT(failures, 0);
    CHECK(multi > 100); /* the several-runs path ran */
}

#define TESTS(X) X(shapes) X(random_edits)
CHECK_MAIN(TESTS)
