/* privacy_remask: re-mask a new version of a document by scanning only the lines that changed
 * (privacy_remask.c says why that equals a full pass). Internal to the privacy cache.
 * Boundary: texts are borrowed; the span arrays given out are the caller's to free; a
 * privacy__lines is its owner's (release with privacy__lines_release). */
#ifndef US_PRIVACY_REMASK_H
#define US_PRIVACY_REMASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "privacy.h"

struct privacy__reach;

/* What is kept of a document's last masking: a hash per line, the text's length, and the far
 * reads of its scan. Zeroed: nothing kept yet. */
struct privacy__lines {
    uint64_t *hash;
    size_t n, cap;
    size_t len;
    struct privacy__reach *far;
    size_t n_far;
    bool valid;
};

/* Scan the whole text; *v gets its sorted, disjoint spans (*nv of them). Refreshes L. */
void privacy__remask_full(struct privacy__lines *L, const char *text, size_t len,
                          struct privacy_span **v, size_t *nv);

/* text is a new version of the one L was kept for, whose spans were old[0..n_old): its spans
 * into *v, scanning only the lines that differ, and L refreshed. False (L unchanged) when that
 * cannot be trusted: then call privacy__remask_full. */
bool privacy__remask_edit(struct privacy__lines *L, const struct privacy_span *old,
                          size_t n_old, const char *text, size_t len, struct privacy_span **v,
                          size_t *nv);

void privacy__lines_release(struct privacy__lines *L);

/* 64 bits of a text, 8 bytes a step (a line, a whole document's cache key: far cheaper than
 * masking it). Every step is a bijection of the state given the word, and the length goes in
 * first: texts that differ in one place cannot collide, others with a chance of 2^-64. */
uint64_t privacy__text_hash(const char *p, size_t n);

#endif
