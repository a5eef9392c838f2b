/* fuzz_remask: the privacy cache re-masks a new version of a document by scanning only the
 * lines that changed (privacy_remask.c). After every edit its answer must equal a full pass
 * (privacy_mask) over the same text: same masked text, same spans. The input is the first
 * version; the edits (inserting a slice of the input, deleting a stretch) are drawn from a
 * generator seeded by it, so a crash file replays the same edits. */
#include <stdint.h>

#include "base.h"
#include "fuzz_util.h"
#include "privacy.h"

static void check_same(struct privacy_cache *c, int64_t version, const char *t, size_t n)
{
    const struct mask_result *got = privacy_cache_get(c, "file:///f.py", version, t, n);
    struct mask_result want;
    privacy_mask(t, n, &want);
    FZ_ASSERT(got->len == want.len && memcmp(got->text, want.text, want.len) == 0,
              "masked text differs at version %lld", (long long)version);
    FZ_ASSERT(got->n_spans == want.n_spans, "%zu spans, a full pass %zu", got->n_spans,
              want.n_spans);
    for (size_t k = 0; k < want.n_spans; k++) {
        const struct privacy_span *a = &got->spans[k], *b = &want.spans[k];
        FZ_ASSERT(a->start == b->start && a->end == b->end && a->type == b->type &&
                      a->mstart == b->mstart && a->mend == b->mend,
                  "span %zu: [%zu, %zu) against [%zu, %zu)", k, a->start, a->end, b->start,
                  b->end);
    }
    privacy_result_release(&want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    uint64_t seed = fz_seed(data, size);
    char *doc = xmalloc(size * 4 + 1);
    memcpy(doc, data, size);
    size_t n = size;
    struct privacy_cache *c = privacy_cache_new(2);
    check_same(c, 1, doc, n);
    for (int64_t v = 2; v < 34; v++) {
        uint64_t r = fz_next(&seed);
        size_t at = n ? (size_t)(r >> 16) % (n + 1) : 0;
        if ((r & 3) != 0 && size) { /* insert a slice of the input */
            size_t from = (size_t)(fz_next(&seed) % size);
            size_t k = fz_chunk(&seed, size - from);
            if (n + k > size * 4)
                break;
            memmove(doc + at + k, doc + at, n - at);
            memcpy(doc + at, data + from, k);
            n += k;
        } else { /* delete a stretch */
            size_t k = fz_chunk(&seed, n - at);
            memmove(doc + at, doc + at + k, n - at - k);
            n -= k;
        }
        check_same(c, v, doc, n);
    }
    privacy_cache_free(c);
    free(doc);
    return 0;
}
