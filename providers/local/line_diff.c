/* line_diff: the changed lines of a text between two versions (line_diff.h). The common prefix
 * and suffix are skipped bytewise; what lies between is compared line by line when both
 * versions have as many lines there, else it is one change. */
#include "line_diff.h"

#include <stdbool.h>
#include <string.h>

/* The end of a run that stops at eol (a line's '\n' or the text's end) and takes `more` lines
 * after it: past the '\n' of the last one taken. */
static size_t take_lines(const char *t, size_t len, size_t eol, int more)
{
    size_t pos = eol;
    for (int i = 0; i < (more > 0 ? more + 1 : 0) && pos < len; i++) {
        const char *nl = memchr(t + pos, '\n', len - pos);
        pos = nl ? (size_t)(nl - t) + 1 : len;
    }
    return pos;
}

static size_t count_newlines(const char *t, size_t from, size_t to)
{
    size_t n = 0;
    for (const char *p = t + from; p < t + to && (p = memchr(p, '\n', (size_t)(t + to - p)));
         p++)
        n++;
    return n;
}

size_t line_diff(const char *old, size_t old_len, const char *new_text, size_t new_len,
                 int after, line_change_fn fn, void *ud)
{
    size_t m = old_len < new_len ? old_len : new_len, p = 0;
    while (p < m && old[p] == new_text[p])
        p++;
    if (p == old_len && p == new_len)
        return 0;
    size_t q = 0;
    while (q < m - p && old[old_len - 1 - q] == new_text[new_len - 1 - q])
        q++;
    size_t start = p;
    while (start > 0 && new_text[start - 1] != '\n')
        start--;
    /* the middles end at their last changed line's end; the tails after are equal */
    size_t eo = old_len - q, en = new_len - q;
    while (eo < old_len && old[eo] != '\n') {
        eo++;
        en++;
    }
    struct line_change c;
    if (count_newlines(old, start, eo) != count_newlines(new_text, start, en)) {
        c = (struct line_change){start, take_lines(old, old_len, eo, after), start,
                                 take_lines(new_text, new_len, en, after)};
        fn(&c, ud);
        return 1;
    }
    /* Line by line: line i of one middle is line i of the other. */
    size_t runs = 0, po = start, pn = start;
    bool in_run = false;
    int unchanged = 0; /* unchanged lines since the run's last changed one */
    for (;;) {
        const char *ko = memchr(old + po, '\n', eo - po);
        const char *kn = memchr(new_text + pn, '\n', en - pn);
        size_t lo = ko ? (size_t)(ko - old) : eo, ln = kn ? (size_t)(kn - new_text) : en;
        bool changed = lo - po != ln - pn || memcmp(old + po, new_text + pn, lo - po) != 0;
        if (changed && !in_run) {
            in_run = true;
            c.old_start = po;
            c.new_start = pn;
        }
        if (in_run && !changed && unchanged == after) {
            c.old_end = po;
            c.new_end = pn;
            fn(&c, ud);
            runs++;
            in_run = false;
        }
        unchanged = changed ? 0 : unchanged + 1;
        if (lo >= eo)
            break;
        po = lo + 1;
        pn = ln + 1;
    }
    if (in_run) {
        c.old_end = take_lines(old, old_len, eo, after - unchanged);
        c.new_end = take_lines(new_text, new_len, en, after - unchanged);
        fn(&c, ud);
        runs++;
    }
    return runs;
}
