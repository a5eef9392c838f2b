/* doc_window: a window of whole lines that grows towards the cursor (doc_window.h). */
#include "doc_window.h"

#include <stdbool.h>
#include <string.h>

/* The offset where line `line` starts (len past the last line). */
static size_t line_start(const char *t, size_t len, size_t line)
{
    size_t off = 0;
    for (size_t l = 0; l < line; l++) {
        const char *nl = memchr(t + off, '\n', len - off);
        if (!nl)
            return len;
        off = (size_t)(nl - t) + 1;
    }
    return off;
}

/* Line breaks in [0, n): the line number of offset n. */
static size_t breaks(const char *t, size_t n)
{
    size_t k = 0;
    for (const char *p = t, *e = t + n; (p = memchr(p, '\n', (size_t)(e - p))); p++)
        k++;
    return k;
}

/* The start of the line holding offset p. */
static size_t to_line_start(const char *t, size_t p)
{
    while (p > 0 && t[p - 1] != '\n')
        p--;
    return p;
}

/* The end of the line holding offset p (past its line break). */
static size_t to_line_end(const char *t, size_t len, size_t p)
{
    if (p == 0 || p >= len || t[p - 1] == '\n')
        return p;
    const char *nl = memchr(t + p, '\n', len - p);
    return nl ? (size_t)(nl - t) + 1 : len;
}

/* Lines typed or deleted since the last call: inside the window (where the cursor is) it
 * widens or narrows; above it, it moves. */
static void follow_edits(struct doc_window *w, size_t lines, size_t cursor_line)
{
    if (!w->end || lines == w->lines)
        return;
    long delta = (long)lines - (long)w->lines;
    if (cursor_line < w->first) {
        long first = (long)w->first + delta, end = (long)w->end + delta;
        w->first = first > 0 ? (size_t)first : 0;
        w->end = end > (long)w->first ? (size_t)end : 0;
    } else if ((long)cursor_line < (long)w->end + delta) {
        long end = (long)w->end + delta;
        w->end = end > (long)w->first ? (size_t)end : 0;
    }
}

void doc_window_pick(struct doc_window *w, const char *text, size_t len, size_t cursor_line,
                     size_t *a, size_t *b)
{
    if (len <= DOC_WINDOW_BYTES) {
        memset(w, 0, sizeof *w);
        *a = 0;
        *b = len;
        return;
    }
    size_t lines = breaks(text, len) + 1;
    follow_edits(w, lines, cursor_line);
    w->lines = lines;
    /* the span wanted around the cursor */
    size_t c = line_start(text, len, cursor_line);
    size_t before = DOC_WINDOW_BYTES / 5 * 3;
    size_t want_lo = c > before ? c - before : 0;
    size_t want_hi = want_lo + DOC_WINDOW_BYTES;
    if (want_hi > len) {
        want_hi = len;
        want_lo = len - DOC_WINDOW_BYTES;
    }
    size_t lo, hi;
    if (w->end && w->end <= lines) {
        lo = line_start(text, len, w->first);
        hi = line_start(text, len, w->end);
    }
    if (!w->end || w->end > lines || hi <= lo || hi - lo + DOC_WINDOW_BYTES > DOC_WINDOW_MAX) {
        lo = hi = c; /* afresh */
    }
    /* kept while the cursor is not near an edge with more text beyond it */
    size_t edge = DOC_WINDOW_BYTES / 8;
    if (hi > lo && (lo == 0 || c >= lo + edge) && (hi == len || c + edge < hi) && c >= lo &&
        c < hi + (hi == len)) {
        *a = lo;
        *b = hi;
        return;
    }
    /* grow towards the wanted span, the cursor's side first, DOC_WINDOW_BYTES at most */
    size_t budget = DOC_WINDOW_BYTES;
    bool down_first = c >= hi;
    for (int pass = 0; pass < 2; pass++) {
        bool down = (pass == 0) == down_first;
        if (down && want_hi > hi) {
            size_t n = want_hi - hi < budget ? want_hi - hi : budget;
            hi = to_line_end(text, len, hi + n);
            budget -= n;
        } else if (!down && want_lo < lo) {
            size_t n = lo - want_lo < budget ? lo - want_lo : budget;
            lo = to_line_start(text, lo - n);
            budget -= n;
        }
    }
    w->first = breaks(text, lo);
    w->end = w->first + breaks(text + lo, hi - lo) + (hi == len);
    *a = lo;
    *b = hi;
}
