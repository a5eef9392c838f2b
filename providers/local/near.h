/* near: what the code around the cursor says about the identifier being typed. One pass over
 * the document (a window around the cursor) finds the identifiers that start like the typed
 * fragment and, for each, how often it stood after the same two tokens as the cursor does
 * (`self .`, `import`, `$`, a line start), before the same character as the one after the
 * cursor, and how near its nearest occurrence is. The engine folds these into its one score. */
#ifndef US_LOCAL_NEAR_H
#define US_LOCAL_NEAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct near_word {
    const char *s; /* borrowed from the text */
    uint32_t n;
    uint32_t count;     /* occurrences in the window */
    uint32_t prev1;     /* ... after the same token as the cursor */
    uint32_t prev2;     /* ... after the same two tokens */
    uint32_t next;      /* ... before the same character as the one after the cursor */
    uint32_t comment;   /* ... in a comment (near.c in_comment) */
    uint32_t cooc;      /* ... on a line that also holds an identifier of the cursor's line */
    uint32_t dist;      /* bytes to the nearest occurrence (after the cursor: doubled) */
    uint32_t before;    /* bytes back to the latest occurrence before the cursor (UINT32_MAX:
                           none before it) */
    uint32_t rank;      /* 0 = nearest */
};

struct near_set {
    struct near_word *w;
    size_t n, cap;
    uint32_t *slot;     /* open addressing: index + 1 into w, 0 = empty; nslot a power of 2 */
    size_t nslot;
    int next_char;      /* the character after the cursor that was compared (-1: none) */
    const char *p1, *p2; /* the tokens before the cursor (near.c tok_before; NULL: none) */
    uint32_t p1n, p2n;
};

/* Scan text around cursor for identifiers starting with typed (case-sensitively; typed_len
 * >= 1), never the fragment at the cursor itself. hash_comments: comments start with `#`
 * (Python, shell), else with `//` or `/` `*`. text borrowed: the set points into it. */
void near_scan(const char *text, size_t len, size_t cursor, const char *typed, size_t typed_len,
               bool hash_comments, struct near_set *out);
/* Is the token before the cursor tok (an identifier or one punctuation character)? */
bool near_prev_is(const struct near_set *s, const char *tok);
const struct near_word *near_find(const struct near_set *s, const char *word);
void near_release(struct near_set *s);

#endif
