/* privacy_cache: the masked form of each open document, kept while its version (or, without
 * one, its content hash) stays the same, so a completion does not mask the whole file again.
 * Most documents hold no secret: for them the entry keeps no copy of the text (16 copies of
 * open files were the biggest thing the cache held) and lends the caller's text back. A new
 * version of a document is re-masked from the last one's line by line (privacy_remask.c). */
#include <stdlib.h>
#include <string.h>

#include "privacy.h"
#include "privacy_int.h"
#include "privacy_remask.h"

struct cache_entry {
    char *doc;
    int64_t version;
    uint64_t hash; /* of the content, for version < 0 */
    size_t len;
    uint64_t used;
    bool plain;            /* nothing masked: r.text is the caller's, lent at each get */
    struct mask_result r;
    struct privacy__lines lines; /* what re-masking the next version needs */
};

struct privacy_cache {
    struct cache_entry *e;
    size_t n, cap;
    uint64_t tick;
    uint64_t full, edits; /* versions masked whole / from the last one's lines */
};

struct privacy_cache *privacy_cache_new(size_t max_docs)
{
    struct privacy_cache *c = xcalloc(1, sizeof *c);
    c->cap = max_docs ? max_docs : 16;
    c->e = xcalloc(c->cap, sizeof *c->e);
    return c;
}

/* Forget what the entry masked (a plain entry's text is not ours to free). */
static void entry_release_result(struct cache_entry *e)
{
    if (e->plain)
        e->r.text = NULL;
    e->plain = false;
    privacy_result_release(&e->r);
}

static void entry_clear(struct cache_entry *e)
{
    entry_release_result(e);
    privacy__lines_release(&e->lines);
    free(e->doc);
    memset(e, 0, sizeof *e);
}

void privacy_cache_free(struct privacy_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        entry_clear(&c->e[i]);
    free(c->e);
    free(c);
}

const struct mask_result *privacy_cache_get(struct privacy_cache *c, const char *doc,
                                            int64_t version, const char *text, size_t len)
{
    uint64_t h = version < 0 ? privacy__text_hash(text, len) : 0;
    struct cache_entry *slot = NULL;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->e[i].doc, doc) == 0) {
            slot = &c->e[i];
            break;
        }
    if (slot && slot->version == version && slot->len == len && slot->hash == h) {
        slot->used = ++c->tick;
        if (slot->plain)
            slot->r.text = (char *)text; /* the same content: lend this call's copy */
        return &slot->r;
    }
    if (!slot) {
        if (c->n < c->cap) {
            slot = &c->e[c->n++];
        } else {
            slot = &c->e[0];
            for (size_t i = 1; i < c->n; i++)
                if (c->e[i].used < slot->used)
                    slot = &c->e[i];
        }
        entry_clear(slot);
        slot->doc = xstrdup(doc);
    }
    struct privacy_span *v;
    size_t nv;
    if (privacy__remask_edit(&slot->lines, slot->r.spans, slot->r.n_spans, text, len, &v, &nv)) {
        c->edits++;
    } else {
        privacy__remask_full(&slot->lines, text, len, &v, &nv);
        c->full++;
    }
    entry_release_result(slot);
    slot->version = version;
    slot->hash = h;
    slot->len = len;
    slot->used = ++c->tick;
    if (nv) {
        privacy__render(text, len, v, nv, &slot->r);
    } else {
        free(v);
        slot->r.text = (char *)text;
        slot->r.len = len;
        slot->plain = true;
    }
    return &slot->r;
}

void privacy_cache_counts(const struct privacy_cache *c, uint64_t *full, uint64_t *edits)
{
    *full = c->full;
    *edits = c->edits;
}

void privacy_cache_drop(struct privacy_cache *c, const char *doc)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->e[i].doc, doc) == 0) {
            entry_clear(&c->e[i]);
            c->e[i] = c->e[--c->n];
            memset(&c->e[c->n], 0, sizeof c->e[c->n]);
            return;
        }
}
