/* privacy_fragment: what masking a window (a piece cut from a document) adds to the masker:
 * key-body lines at its edges, masked copies of a context's windows, and the offset mapping
 * between a text and its masked form. */
#include <stdlib.h>
#include <string.h>

#include "privacy_int.h"

/* ------------------------------------------------------------------ window edges */

/* A fragment whose first or last lines are key body (a window cut the block on both sides,
 * or on one side without its marker in view): mask them when one is a full-length line. */
static bool line_random(const struct privacy__scan *s, size_t a, size_t b)
{
    while (a < b && s->t[a] && strchr(" \t\"'", s->t[a]))
        a++;
    while (b > a && s->t[b - 1] && strchr(" \t\r\"',+;\\", s->t[b - 1]))
        b--;
    return privacy__looks_random(s->t + a, b - a);
}

void privacy__fragment_edge_start(struct privacy__scan *s)
{
    size_t p = 0, best = 0, end = 0;
    while (p < s->n) {
        size_t e = privacy__line_end(s, p), len;
        if (!privacy__body_line(s, p, e, &len))
            break;
        if (len > best)
            best = len;
        if (len >= 16 && line_random(s, p, e))
            best = best < 40 ? 40 : best;
        end = e;
        if (e >= s->n)
            break;
        p = e + 1;
    }
    if (best >= 40)
        privacy__add_span(s, 0, end, PRIVACY_PRIVATE_KEY);
}

void privacy__fragment_edge_end(struct privacy__scan *s)
{
    size_t e = s->n, best = 0, start = s->n;
    /* a trailing newline leaves an empty last line: step over it */
    if (e > 0 && s->t[e - 1] == '\n')
        e--;
    while (e > s->floor) {
        size_t ls = privacy__line_start(s, e), len;
        if (ls < s->floor || !privacy__body_line(s, ls, e, &len))
            break;
        if (len > best)
            best = len;
        if (len >= 16 && line_random(s, ls, e))
            best = best < 40 ? 40 : best;
        start = ls;
        if (ls == 0)
            break;
        e = ls - 1;
    }
    if (best >= 40 && start < s->n)
        privacy__add_span(s, start, s->n, PRIVACY_PRIVATE_KEY);
}

/* ------------------------------------------------------------------ offsets */

/* The last span starting at or before off (by original or masked start), or -1. */
static ptrdiff_t span_before(const struct mask_result *r, size_t off, bool masked)
{
    size_t lo = 0, hi = r->n_spans;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        size_t st = masked ? r->spans[mid].mstart : r->spans[mid].start;
        if (st <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (ptrdiff_t)lo - 1;
}

/* off in one text (the masked one when from_masked) to the other: inside a span, to its start
 * or (after) its end. */
static size_t remap(const struct mask_result *r, size_t off, bool after, bool from_masked)
{
    ptrdiff_t k = span_before(r, off, from_masked);
    if (k < 0)
        return off;
    const struct privacy_span *sp = &r->spans[k];
    size_t fs = from_masked ? sp->mstart : sp->start, fe = from_masked ? sp->mend : sp->end;
    size_t ts = from_masked ? sp->start : sp->mstart, te = from_masked ? sp->end : sp->mend;
    if (off == fs)
        return ts;
    if (off < fe)
        return after ? te : ts;
    return te + (off - fe);
}

size_t privacy_map_offset(const struct mask_result *r, size_t off, bool after)
{
    return remap(r, off, after, false);
}

size_t privacy_unmap_offset(const struct mask_result *r, size_t moff, bool after)
{
    return remap(r, moff, after, true);
}

/* ------------------------------------------------------------------ contexts */

size_t privacy_mask_sb(struct strbuf *sb)
{
    struct mask_result r;
    size_t n = privacy_mask_fragment(sb->data, sb->len, &r);
    if (n) {
        sb_clear(sb);
        sb_add(sb, r.text, r.len);
    }
    privacy_result_release(&r);
    return n;
}

static char *masked_copy(const char *s, size_t len, size_t *out_len)
{
    struct mask_result r;
    privacy_mask_fragment(s, len, &r);
    char *out = r.text;
    if (out_len)
        *out_len = r.len;
    r.text = NULL;
    privacy_result_release(&r);
    return out;
}

struct prov_context *privacy_scrub(const struct prov_context *ctx)
{
    /* Mask into temporaries, then let prov_context_dup own the copies. */
    struct prov_context tmp = *ctx;
    size_t plen, slen;
    char *prefix = masked_copy(ctx->prefix, ctx->prefix_len, &plen);
    char *suffix = masked_copy(ctx->suffix, ctx->suffix_len, &slen);
    char *imports = ctx->imports ? masked_copy(ctx->imports, strlen(ctx->imports), NULL) : NULL;
    struct prov_excerpt *ex = NULL;
    char **ex_text = NULL;
    if (ctx->n_excerpts) {
        ex = xcalloc(ctx->n_excerpts, sizeof(*ex));
        ex_text = xcalloc(ctx->n_excerpts, sizeof(*ex_text));
        for (size_t i = 0; i < ctx->n_excerpts; i++) {
            ex[i].path = ctx->excerpts[i].path;
            ex_text[i] = masked_copy(ctx->excerpts[i].text, strlen(ctx->excerpts[i].text), NULL);
            ex[i].text = ex_text[i];
        }
    }
    tmp.prefix = prefix;
    tmp.prefix_len = plen;
    tmp.suffix = suffix;
    tmp.suffix_len = slen;
    tmp.imports = imports;
    tmp.excerpts = ex;
    struct prov_context *out = prov_context_dup(&tmp);
    free(prefix);
    free(suffix);
    free(imports);
    for (size_t i = 0; i < ctx->n_excerpts; i++)
        free(ex_text[i]);
    free(ex_text);
    free(ex);
    return out;
}
