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

/* The identifiers of the cursor's line (not the fragment being typed), for co-occurrence. */
#define NEAR_LINE_IDS 12
#define NEAR_LINE_SPAN 240 /* bytes of a line looked at, each side */
struct line_ids {
    size_t s[NEAR_LINE_IDS];
    uint32_t n[NEAR_LINE_IDS];
    int k;
};

static void line_span(const char *t, size_t lo, size_t hi, size_t p, size_t *a, size_t *b)
{
    size_t x = p;
    while (x > lo && t[x - 1] != '\n' && p - x < NEAR_LINE_SPAN)
        x--;
    size_t y = p;
    while (y < hi && t[y] != '\n' && y - p < NEAR_LINE_SPAN)
        y++;
    *a = x;
    *b = y;
}

/* Words on almost every line of some language: sharing one says nothing. */
static bool common_word(const char *t, size_t n)
{
    static const char *const stop[] = {
        "and", "auto", "bool", "break", "case", "char", "const", "def", "done", "double", "echo",
        "elif", "else", "export", "extern", "false", "fi", "float", "for", "from", "function",
        "import", "int", "let", "local", "long", "new", "None", "not", "null", "return", "self",
        "size_t", "static", "struct", "the", "then", "this", "true", "True", "False", "typedef",
        "unsigned", "var", "void", "while", "with", NULL};
    for (const char *const *w = stop; *w; w++)
        if (strlen(*w) == n && !memcmp(*w, t, n))
            return true;
    return false;
}

static void cursor_line_ids(const char *t, size_t lo, size_t hi, size_t ws, size_t we,
                            struct line_ids *ids)
{
    size_t a, b;
    line_span(t, lo, hi, ws, &a, &b);
    ids->k = 0;
    for (size_t i = a; i < b && ids->k < NEAR_LINE_IDS;) {
        if (!is_w((unsigned char)t[i])) {
            i++;
            continue;
        }
        size_t s = i;
        while (i < b && is_w((unsigned char)t[i]))
            i++;
        /* numbers, short words (if, x, i) and the fragment itself say nothing */
        if ((s >= ws && s <= we) || i - s < 3 || (t[s] >= '0' && t[s] <= '9') ||
            common_word(t + s, i - s))
            continue;
        int k;
        for (k = 0; k < ids->k; k++)
            if (ids->n[k] == i - s && !memcmp(t + ids->s[k], t + s, i - s))
                break;
        if (k == ids->k) {
            ids->s[ids->k] = s;
            ids->n[ids->k++] = (uint32_t)(i - s);
        }
    }
}

/* Does the line around [s, e) hold one of ids (other than the occurrence itself)? */
static bool line_shares(const char *t, size_t lo, size_t hi, size_t s, size_t e,
                        const struct line_ids *ids)
{
    size_t a, b;
    line_span(t, lo, hi, s, &a, &b);
    if (b < e)
        b = e;
    for (size_t i = a; i < b;) {
        if (!is_w((unsigned char)t[i])) {
            i++;
            continue;
        }
        size_t x = i;
        while (i < b && is_w((unsigned char)t[i]))
            i++;
        if (x == s || i - x < 3)
            continue;
        for (int k = 0; k < ids->k; k++)
            if (ids->n[k] == i - x && !memcmp(t + ids->s[k], t + x, i - x))
                return true;
    }
    return false;
}

/* Is the occurrence at s (its line starting at a) inside a comment? A comment marker before
 * it on its line (`#` in hash-comment languages, else `//` or `/` `*`), or a line that
 * continues a block comment (` * ...`). Strings are not told apart: a `#` or `//` inside one
 * fools it. */
static bool in_comment(const char *t, size_t a, size_t s, bool hash)
{
    size_t f = a;
    while (f < s && (t[f] == ' ' || t[f] == '\t'))
        f++;
    if (!hash && f + 1 < s && t[f] == '*' && (t[f + 1] == ' ' || t[f + 1] == '\t'))
        return true;
    for (size_t i = f; i < s; i++)
        if (hash ? t[i] == '#' : (t[i] == '/' && i + 1 < s && (t[i + 1] == '/' || t[i + 1] == '*')))
            return true;
    return false;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t hash_word(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 29));
}

/* The slot of word s (n bytes): where it is, or the empty slot where it would go. */
static size_t near_slot(const struct near_set *ns, const char *s, size_t n)
{
    size_t m = ns->nslot - 1, k = hash_word(s, n) & m;
    for (; ns->slot[k]; k = (k + 1) & m) {
        const struct near_word *w = &ns->w[ns->slot[k] - 1];
        if (w->n == n && !memcmp(w->s, s, n))
            break;
    }
    return k;
}

static void grow_slots(struct near_set *ns)
{
    free(ns->slot);
    ns->nslot *= 2;
    ns->slot = xcalloc(ns->nslot, sizeof *ns->slot);
    for (size_t i = 0; i < ns->n; i++)
        ns->slot[near_slot(ns, ns->w[i].s, ns->w[i].n)] = (uint32_t)(i + 1);
}

void near_scan(const char *text, size_t len, size_t cursor, const char *typed, size_t typed_len,
               bool hash_comments, struct near_set *out)
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
    out->nslot = 64;
    out->slot = xcalloc(out->nslot, sizeof *out->slot);
    struct line_ids ids;
    cursor_line_ids(text, lo, hi, ws, we, &ids);
    unsigned char t0 = (unsigned char)typed[0];
    size_t seen_line = SIZE_MAX; /* the line start of the last occurrence looked at */
    bool share = false, cmt = false;
    size_t line = lo; /* start of the line being scanned */
    for (size_t i = lo; i < hi;) {
        unsigned char c = (unsigned char)text[i];
        if (!is_w(c)) {
            if (c == '\n')
                line = i + 1;
            i++;
            continue;
        }
        size_t s = i;
        while (i < hi && is_w((unsigned char)text[i]))
            i++;
        if (c != t0 || s == ws || i - s <= typed_len || i - s > 255 ||
            memcmp(text + s, typed, typed_len) != 0 || (c >= '0' && c <= '9'))
            continue;
        size_t k = near_slot(out, text + s, i - s);
        if (!out->slot[k]) {
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 32;
                out->w = xrealloc(out->w, out->cap * sizeof *out->w);
            }
            out->w[out->n++] = (struct near_word){.s = text + s, .n = (uint32_t)(i - s),
                                                  .dist = UINT32_MAX, .before = UINT32_MAX};
            out->slot[k] = (uint32_t)out->n;
            if (out->n * 2 > out->nslot)
                grow_slots(out);
            k = near_slot(out, text + s, i - s);
        }
        struct near_word *w = &out->w[out->slot[k] - 1];
        w->count++;
        size_t d = s < ws ? ws - i : 2 * (s - we);
        if (d < w->dist)
            w->dist = (uint32_t)US_MIN(d, (size_t)UINT32_MAX - 1);
        if (s < ws)
            w->before = (uint32_t)US_MIN(ws - i, (size_t)UINT32_MAX - 1);
        /* what the occurrence's line says, once per line */
        size_t a = s - line > NEAR_LINE_SPAN ? s - NEAR_LINE_SPAN : line;
        if (a != seen_line) {
            seen_line = a;
            share = ids.k && line_shares(text, lo, hi, s, i, &ids);
            cmt = in_comment(text, a, s, hash_comments);
        }
        w->cooc += share;
        w->comment += cmt;
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
    if (c1 != SIZE_MAX) {
        out->p1 = text + c1;
        out->p1n = (uint32_t)c1n;
    }
    if (c2 != SIZE_MAX) {
        out->p2 = text + c2;
        out->p2n = (uint32_t)c2n;
    }
    /* rank by distance (equal distances share a rank) */
    uint64_t *key = xmalloc((out->n + 1) * sizeof *key);
    for (size_t k = 0; k < out->n; k++)
        key[k] = (uint64_t)out->w[k].dist << 32 | k;
    qsort(key, out->n, sizeof *key, cmp_u64);
    for (size_t k = 0; k < out->n; k++) {
        struct near_word *w = &out->w[key[k] & 0xffffffffu];
        w->rank = k && (key[k] >> 32) == (key[k - 1] >> 32)
                      ? out->w[key[k - 1] & 0xffffffffu].rank
                      : (uint32_t)k;
    }
    free(key);
}

bool near_prev_is(const struct near_set *s, const char *tok)
{
    return s->p1 && strlen(tok) == s->p1n && !memcmp(s->p1, tok, s->p1n);
}

const struct near_word *near_find(const struct near_set *s, const char *word)
{
    if (!s->nslot)
        return NULL;
    size_t k = near_slot(s, word, strlen(word));
    return s->slot[k] ? &s->w[s->slot[k] - 1] : NULL;
}

void near_release(struct near_set *s)
{
    free(s->w);
    free(s->slot);
    memset(s, 0, sizeof *s);
}
