/* privacy_remask: mask a document's next version by scanning again only the lines an edit
 * changed. A keystroke in a 10,000-line file used to cost a scan of the whole file (a third of
 * the loop's time per completion there, ~4 ms at 900 KB).
 *
 * Why it is the same as a full pass: the masker's detectors read only the line of the byte
 * that wakes them, except the "far reads" it reports (privacy.c). So lines the edit did not
 * touch mask as before, shifted, unless a far read of the last pass touched the edited lines,
 * a span crossed into them, or the edited lines now wake a far read themselves: then the whole
 * text is scanned again. Lines are compared by 64-bit hashes kept from the last pass; the
 * cache keeps no copy of the text. test_privacy_corpus compares this against full passes over
 * thousands of random edits. */
#include <stdlib.h>
#include <string.h>

#include "privacy_int.h"
#include "privacy_remask.h"

uint64_t privacy__text_hash(const char *p, size_t n)
{
    uint64_t h = 0x243F6A8885A308D3ull ^ (n * 0x9E3779B97F4A7C15ull);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, p + i, n - i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return h;
}

/* Lines end after their '\n' (the last one may have none). Fills hashes and, when starts is
 * given, each line's first byte (n_lines + 1 entries, the last one len). Both arrays start
 * at *cap entries (a version is about as long as the last one). */
static size_t hash_lines(const char *t, size_t len, uint64_t **hash, size_t *cap, size_t **starts)
{
    size_t n = 0, scap = 0;
    if (*cap && !*hash)
        *hash = xmalloc(*cap * sizeof **hash);
    if (starts && *cap) {
        scap = *cap;
        *starts = xmalloc(scap * sizeof **starts);
    }
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(t + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - t) + 1 : len;
        if (n == *cap) {
            *cap = *cap ? *cap * 2 : 256;
            *hash = xrealloc(*hash, *cap * sizeof **hash);
        }
        if (starts) {
            if (n + 1 >= scap) {
                scap = scap ? scap * 2 : 256;
                *starts = xrealloc(*starts, scap * sizeof **starts);
            }
            (*starts)[n] = at;
        }
        (*hash)[n++] = privacy__text_hash(t + at, end - at);
        at = end;
    }
    if (starts) {
        if (!*starts)
            *starts = xmalloc(sizeof **starts);
        (*starts)[n] = len;
    }
    return n;
}

static void spans_push(struct privacy_span **v, size_t *n, size_t *cap, struct privacy_span sp)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *v = xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[(*n)++] = sp;
}

void privacy__remask_full(struct privacy__lines *L, const char *text, size_t len,
                          struct privacy_span **v, size_t *nv)
{
    struct privacy__scan s = {.t = text, .n = len};
    privacy__scan_run(&s);
    free(L->far);
    L->far = s.far;
    L->n_far = s.n_far;
    L->n = hash_lines(text, len, &L->hash, &L->cap, NULL);
    L->len = len;
    L->valid = true;
    *v = s.v;
    *nv = s.nv;
}

bool privacy__remask_edit(struct privacy__lines *L, const struct privacy_span *old,
                          size_t n_old, const char *text, size_t len, struct privacy_span **v,
                          size_t *nv)
{
    if (!L->valid)
        return false;
    uint64_t *nh = NULL;
    size_t ncap = L->n + 64, *starts = NULL;
    size_t nn = hash_lines(text, len, &nh, &ncap, &starts);
    /* The changed lines: [f, L->n - g) before, [f, nn - g) now. */
    size_t f = 0, g = 0;
    while (f < L->n && f < nn && L->hash[f] == nh[f])
        f++;
    while (g < L->n - f && g < nn - f && L->hash[L->n - 1 - g] == nh[nn - 1 - g])
        g++;
    size_t b0 = starts[f], b1 = starts[nn - g];
    size_t a0 = b0, a1 = L->len - (len - b1);
    free(starts);
    bool ok = true;
    for (size_t k = 0; ok && k < L->n_far; k++)
        ok = L->far[k].hi < a0 || L->far[k].lo > a1;
    /* A second net: only far reads make spans that cross a line, and those were checked. */
    for (size_t k = 0; ok && k < n_old; k++)
        ok = !(old[k].start < a0 && old[k].end > a0) && !(old[k].start < a1 && old[k].end > a1);
    struct privacy__scan s = {.t = text, .n = len, .floor = b0, .limit = b1};
    if (ok && b0 < b1) {
        privacy__scan_run(&s);
        ok = s.n_far == 0;
    }
    if (!ok) {
        free(s.v);
        free(s.far);
        free(nh);
        return false;
    }
    /* Spans before the edited lines stay, theirs are the new scan's, those after shift. */
    struct privacy_span *out = NULL;
    size_t n = 0, cap = 0;
    for (size_t k = 0; k < n_old && old[k].end <= a0; k++)
        spans_push(&out, &n, &cap, old[k]);
    for (size_t k = 0; k < s.nv; k++)
        spans_push(&out, &n, &cap, s.v[k]);
    for (size_t k = 0; k < n_old; k++)
        if (old[k].start >= a1) {
            struct privacy_span sp = old[k];
            sp.start = sp.start - a1 + b1;
            sp.end = sp.end - a1 + b1;
            spans_push(&out, &n, &cap, sp);
        }
    free(s.v);
    for (size_t k = 0; k < L->n_far; k++)
        if (L->far[k].lo > a1) {
            L->far[k].lo = L->far[k].lo - a1 + b1;
            L->far[k].hi = L->far[k].hi - a1 + b1;
        }
    free(L->hash);
    L->hash = nh;
    L->cap = ncap;
    L->n = nn;
    L->len = len;
    *v = out;
    *nv = n;
    return true;
}

void privacy__lines_release(struct privacy__lines *L)
{
    free(L->hash);
    free(L->far);
    memset(L, 0, sizeof *L);
}
