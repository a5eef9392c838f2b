/* near: the identifiers around the cursor and their contexts (near.h). */
#include "near.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

#define NEAR_WINDOW (192u * 1024) /* bytes each side of the cursor */

static bool is_w(unsigned char c) { return c == '_' || c >= 0x80 || (c >= '0' && c <= '9') ||
                                           (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* A token before position p: an identifier, a single punctuation character, or "\n" when
 * only blanks separate p from the line start. Returns its start (or SIZE_MAX at the text's
 * start); *tn its length. */
static size_t tok_before(const char *t, size_t lo, size_t p, size_t *tn)
{
    while (p > lo && (t[p - 1] == ' ' || t[p - 1] == '\t' || t[p - 1] == '\r'))
        p--;
    if (p <= lo) {
        *tn = 0;
        return SIZE_MAX;
    }
    if (t[p - 1] == '\n') {
        *tn = 1;
        return p - 1;
    }
    size_t s = p;
    while (s > lo && is_w((unsigned char)t[s - 1]))
        s--;
    if (s == p)
        s = p - 1;
    *tn = p - s;
    return s;
}

static bool tok_eq(const char *t, size_t a, size_t an, size_t b, size_t bn)
{
    if (a == SIZE_MAX || b == SIZE_MAX)
        return a == b;
    return an == bn && !memcmp(t + a, t + b, an);
}

static int next_char(const char *t, size_t len, size_t p)
{
    while (p < len && (t[p] == ' ' || t[p] == '\t'))
        p++;
    return p < len ? (unsigned char)t[p] : '\n';
}

void near_scan(const char *text, size_t len, size_t cursor, const char *typed, size_t typed_len,
               struct near_set *out)
{
    memset(out, 0, sizeof *out);
    out->next_char = -1;
    if (!typed_len || cursor > len)
        return;
    size_t lo = cursor > NEAR_WINDOW ? cursor - NEAR_WINDOW : 0;
    size_t hi = len - cursor > NEAR_WINDOW ? cursor + NEAR_WINDOW : len;
    size_t ws = cursor;
    while (ws > lo && is_w((unsigned char)text[ws - 1]))
        ws--;
    size_t we = cursor;
    while (we < hi && is_w((unsigned char)text[we]))
        we++;
    size_t c1n, c2n;
    size_t c1 = tok_before(text, lo, ws, &c1n);
    size_t c2 = c1 == SIZE_MAX ? SIZE_MAX : tok_before(text, lo, c1, &c2n);
    if (c2 == SIZE_MAX)
        c2n = 0;
    /* the character after the cursor says something only inside a line being edited */
    int nc = next_char(text, hi, we);
    out->next_char = nc == '\n' ? -1 : nc;
    unsigned char t0 = (unsigned char)typed[0];
    for (size_t i = lo; i < hi;) {
        unsigned char c = (unsigned char)text[i];
        if (!is_w(c)) {
            i++;
            continue;
        }
        size_t s = i;
        while (i < hi && is_w((unsigned char)text[i]))
            i++;
        if (c != t0 || s == ws || i - s <= typed_len || i - s > 255 ||
            memcmp(text + s, typed, typed_len) != 0 || (c >= '0' && c <= '9'))
            continue;
        size_t k;
        for (k = 0; k < out->n; k++)
            if (out->w[k].n == i - s && !memcmp(out->w[k].s, text + s, i - s))
                break;
        if (k == out->n) {
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 32;
                out->w = xrealloc(out->w, out->cap * sizeof *out->w);
            }
            out->w[out->n++] = (struct near_word){text + s, (uint32_t)(i - s), 0, 0, 0, 0,
                                                  UINT32_MAX, 0};
        }
        struct near_word *w = &out->w[k];
        w->count++;
        size_t d = s < ws ? ws - i : 2 * (s - we);
        if (d < w->dist)
            w->dist = (uint32_t)US_MIN(d, (size_t)UINT32_MAX - 1);
        size_t p1n, p2n = 0;
        size_t p1 = tok_before(text, lo, s, &p1n);
        if (tok_eq(text, p1, p1n, c1, c1n)) {
            w->prev1++;
            size_t p2 = p1 == SIZE_MAX ? SIZE_MAX : tok_before(text, lo, p1, &p2n);
            if (tok_eq(text, p2, p2 == SIZE_MAX ? 0 : p2n, c2, c2n))
                w->prev2++;
        }
        if (out->next_char >= 0 && next_char(text, hi, i) == out->next_char)
            w->next++;
    }
    /* rank by distance */
    for (size_t k = 0; k < out->n; k++) {
        uint32_t r = 0;
        for (size_t j = 0; j < out->n; j++)
            r += out->w[j].dist < out->w[k].dist;
        out->w[k].rank = r;
    }
}

const struct near_word *near_find(const struct near_set *s, const char *word)
{
    size_t n = strlen(word);
    for (size_t k = 0; k < s->n; k++)
        if (s->w[k].n == n && !memcmp(s->w[k].s, word, n))
            return &s->w[k];
    return NULL;
}

void near_release(struct near_set *s)
{
    free(s->w);
    memset(s, 0, sizeof *s);
}
