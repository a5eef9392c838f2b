/* doc_window: a window of whole lines that grows towards the cursor (doc_window.h). */
#include "doc_window.h"

#include <stdbool.h>
#include <string.h>

/* Line breaks in [0, n): the line number of offset n. A plain loop the compiler vectorizes
 * (memchr per line was ~10,000 calls on a 10,000-line file, each request). */
static size_t breaks(const char *t, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += t[i] == '\n';
    return k;
}

/* The offsets where lines want[0..2] start (len past the last line), in one pass. */
static void line_starts(const char *t, size_t len, const size_t want[3], size_t off[3])
{
    size_t top = 0;
    for (int k = 0; k < 3; k++) {
        off[k] = want[k] ? len : 0;
        if (want[k] > top)
            top = want[k];
    }
    size_t p = 0;
    for (size_t line = 1; line <= top; line++) {
        const char *nl = memchr(t + p, '\n', len - p);
        if (!nl)
            return;
        p = (size_t)(nl - t) + 1;
        for (int k = 0; k < 3; k++)
            if (want[k] == line)
                off[k] = p;
    }
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
    if (len <= DOC_WINDOW_BYTES || (w->all && len <= DOC_WINDOW_MAX)) {
        if (!w->all)
            memset(w, 0, sizeof *w);
        *a = 0;
        *b = len;
        return;
    }
    if (w->all)
        memset(w, 0, sizeof *w); /* over DOC_WINDOW_MAX now: afresh */
    size_t lines = breaks(text, len) + 1;
    follow_edits(w, lines, cursor_line);
    w->lines = lines;
    bool have = w->end && w->end <= lines && w->first < w->end;
    size_t want[3] = {cursor_line, have ? w->first : 0, have ? w->end : 0}, off[3];
    line_starts(text, len, want, off);
    /* the span wanted around the cursor */
    size_t c = off[0];
    size_t before = DOC_WINDOW_BYTES / 5 * 3;
    size_t want_lo = c > before ? c - before : 0;
    size_t want_hi = want_lo + DOC_WINDOW_BYTES;
    if (want_hi > len) {
        want_hi = len;
        want_lo = len - DOC_WINDOW_BYTES;
    }
    size_t lo = off[1], hi = off[2];
    if (!have || hi <= lo || hi - lo + DOC_WINDOW_BYTES > DOC_WINDOW_MAX)
        lo = hi = c; /* afresh */
    /* kept while the cursor is not near an edge with more text beyond it */
    size_t edge = DOC_WINDOW_BYTES / 8;
    if (hi > lo && (lo == 0 || c >= lo + edge) && (hi == len || c + edge < hi) && c >= lo &&
        c < hi + (hi == len)) {
        w->all = lo == 0 && hi == len;
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
    w->all = lo == 0 && hi == len;
    *a = lo;
    *b = hi;
}
