/* doc_window: a big document's window is whole lines, at first about DOC_WINDOW_BYTES around
 * the cursor; it stays put while the cursor moves about its middle, takes in the lines typed
 * in it, grows towards a cursor near or past its edge by at most DOC_WINDOW_BYTES a call, and
 * starts afresh past DOC_WINDOW_MAX. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "check.h"
#include "local/doc_window.h"

/* n numbered lines, each "line NNNNNN of a big file, padded\n" (40 bytes). */
static char *numbered(size_t n, size_t *len)
{
    char *t = xmalloc(n * 40 + 1);
    for (size_t i = 0; i < n; i++)
        snprintf(t + i * 40, 41, "line %06zu of a big file, padded .....\n", i);
    *len = n * 40;
    return t;
}

static size_t line_of(const char *t, size_t off)
{
    size_t k = 0;
    for (size_t i = 0; i < off; i++)
        k += t[i] == '\n';
    return k;
}

/* Whole lines, and no bigger than DOC_WINDOW_MAX plus one call's growth. */
static void check_lines(const char *t, size_t len, size_t a, size_t b)
{
    CHECK(a < b && b <= len);
    CHECK(a == 0 || t[a - 1] == '\n');
    CHECK(b == len || t[b - 1] == '\n');
    CHECK(b - a <= DOC_WINDOW_MAX + DOC_WINDOW_BYTES + 200);
}

static bool holds(const char *t, size_t len, size_t cursor_line, size_t a, size_t b)
{
    return line_of(t, a) <= cursor_line && cursor_line < line_of(t, b) + (b == len);
}

static void small_text_whole(void)
{
    struct doc_window w = {0};
    size_t a, b;
    doc_window_pick(&w, "a\nb\n", 4, 1, &a, &b);
    CHECK_EQ_INT((int)a, 0);
    CHECK_EQ_INT((int)b, 4);
}

static void around_the_cursor(void)
{
    size_t len;
    char *t = numbered(30000, &len); /* 1.2 MB */
    struct doc_window w = {0};
    size_t a, b;
    doc_window_pick(&w, t, len, 20000, &a, &b);
    check_lines(t, len, a, b);
    CHECK(holds(t, len, 20000, a, b));
    CHECK(b - a >= DOC_WINDOW_BYTES && b - a <= DOC_WINDOW_BYTES + 80);
    /* three fifths before the cursor's line */
    size_t before = 20000 * 40 - a;
    CHECK(before > DOC_WINDOW_BYTES / 2 && before < DOC_WINDOW_BYTES * 2 / 3);
    /* the cursor moving about the middle keeps it */
    size_t a2, b2;
    doc_window_pick(&w, t, len, 20300, &a2, &b2);
    CHECK(a2 == a && b2 == b);
    doc_window_pick(&w, t, len, 19000, &a2, &b2);
    CHECK(a2 == a && b2 == b);
    /* near an edge: it grows that way, keeping what it had */
    doc_window_pick(&w, t, len, 22000, &a2, &b2);
    check_lines(t, len, a2, b2);
    CHECK(a2 == a && b2 > b);
    /* far away: DOC_WINDOW_BYTES a call towards the cursor, until it holds it */
    size_t calls = 0;
    do {
        size_t pa = a2, pb = b2;
        doc_window_pick(&w, t, len, 3, &a2, &b2);
        check_lines(t, len, a2, b2);
        CHECK(b2 - a2 <= pb - pa + DOC_WINDOW_BYTES + 80 || a2 == 0);
        calls++;
    } while (!holds(t, len, 3, a2, b2) && calls < 10);
    CHECK(calls >= 2 && calls <= 4);
    CHECK_EQ_INT((int)a2, 0);
    /* the other end: it never grows past DOC_WINDOW_MAX (check_lines), it starts afresh */
    calls = 0;
    do {
        doc_window_pick(&w, t, len, 29999, &a2, &b2);
        check_lines(t, len, a2, b2);
        calls++;
    } while (!holds(t, len, 29999, a2, b2) && calls < 10);
    CHECK(calls <= 4 && b2 == len);
    free(t);
}

/* Lines typed at the cursor join the window: its first and last lines stay the same, so the
 * line model re-counts only what was typed. */
static void typing_grows_it(void)
{
    size_t len;
    char *t = numbered(30000, &len);
    struct doc_window w = {0};
    size_t a, b;
    doc_window_pick(&w, t, len, 20000, &a, &b);
    char first[41], last[41];
    memcpy(first, t + a, 40);
    memcpy(last, t + b - 40, 40);
    /* three new lines after line 20000 */
    const char *ins = "x = 1\ny = 2\nz = 3\n";
    size_t at = 20001 * 40, il = strlen(ins);
    char *u = xmalloc(len + il + 1);
    memcpy(u, t, at);
    memcpy(u + at, ins, il);
    memcpy(u + at + il, t + at, len - at);
    size_t a2, b2;
    doc_window_pick(&w, u, len + il, 20003, &a2, &b2);
    check_lines(u, len + il, a2, b2);
    CHECK_EQ_INT((int)a2, (int)a);
    CHECK_EQ_INT((int)(b2 - a2), (int)(b - a + il));
    CHECK(!memcmp(u + a2, first, 40) && !memcmp(u + b2 - 40, last, 40));
    free(u);
    free(t);
}

/* Once grown over the whole of a text up to DOC_WINDOW_MAX, it stays whole through edits. */
static void whole_once_grown(void)
{
    size_t len;
    char *t = numbered(7500, &len); /* 300 KB */
    struct doc_window w = {0};
    size_t a, b;
    doc_window_pick(&w, t, len, 7000, &a, &b);
    CHECK(a > 0 && b == len && !w.all);
    doc_window_pick(&w, t, len, 0, &a, &b);
    CHECK(a == 0 && b == len && w.all);
    memcpy(t, "changed\n", 8); /* the first line split in two */
    doc_window_pick(&w, t, len, 5000, &a, &b);
    CHECK(a == 0 && b == len);
    free(t);
}

/* Random cursor moves and edits: always a valid window around the cursor. */
static void random_walk(void)
{
    size_t len;
    char *t = numbered(20000, &len);
    struct doc_window w = {0};
    srand(7);
    size_t cur = 10000, moved = 0;
    size_t last_a = SIZE_MAX;
    for (int round = 0; round < 300; round++) {
        size_t lines = line_of(t, len);
        if (rand() % 4 == 0) {
            cur = (size_t)rand() % lines;
        } else {
            /* insert or delete a line at the cursor */
            size_t off = 0;
            for (size_t l = 0; l < cur; l++)
                off = (size_t)((char *)memchr(t + off, '\n', len - off) - t) + 1;
            if (rand() % 2) {
                t = xrealloc(t, len + 7);
                memmove(t + off + 6, t + off, len - off);
                memcpy(t + off, "new()\n", 6);
                len += 6;
                cur++;
            } else if (cur + 1 < lines) {
                char *nl = memchr(t + off, '\n', len - off);
                size_t n = (size_t)(nl - (t + off)) + 1;
                memmove(t + off, t + off + n, len - off - n);
                len -= n;
            }
        }
        size_t a, b;
        doc_window_pick(&w, t, len, cur, &a, &b);
        check_lines(t, len, a, b);
        size_t calls = 1;
        while (!holds(t, len, cur, a, b) && calls++ < 8)
            doc_window_pick(&w, t, len, cur, &a, &b);
        CHECK(holds(t, len, cur, a, b));
        moved += a != last_a;
        last_a = a;
    }
    CHECK(moved < 150); /* typing does not move it each time */
    free(t);
}

#define TESTS(X) X(small_text_whole) X(around_the_cursor) X(typing_grows_it) X(whole_once_grown) \
    X(random_walk)
CHECK_MAIN(TESTS)
