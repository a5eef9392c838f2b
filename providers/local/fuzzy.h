/* fuzzy: scores how well a typed fragment matches a candidate word, the one ranking rule shared
 * by snippets, words and symbols so the popup orders every local source the same way. */
#ifndef US_LOCAL_FUZZY_H
#define US_LOCAL_FUZZY_H

#include <stdbool.h>
#include <stddef.h>

/* Match quality classes, best first; a score carries its class in the thousands so callers can
 * add their own small bonuses without crossing classes. */
enum fuzzy_class {
    FUZZY_NONE = 0,     /* no match */
    FUZZY_SCATTER = 1,  /* letters in order, anywhere (first letter must match) */
    FUZZY_WORDS = 2,    /* letters hit word starts: "gf" -> "get_file", "gF" -> "getFile" */
    FUZZY_PREFIX_CI = 3,/* case-insensitive prefix */
    FUZZY_PREFIX = 4,   /* exact-case prefix */
};

/* Score `typed` (typed_len bytes) against `cand`. Returns 0 when it does not match at all,
 * else a positive score: class * 1000 + up to 999 of tie-breaking (shorter candidates and tighter
 * matches higher). An empty `typed` matches everything with FUZZY_PREFIX. Pure, allocation-free,
 * O(len(cand)). */
int fuzzy_score(const char *typed, size_t typed_len, const char *cand, size_t cand_len);

/* Class of a score returned by fuzzy_score. */
static inline enum fuzzy_class fuzzy_class_of(int score) { return (enum fuzzy_class)(score / 1000); }

/* True when c can be part of an identifier (ASCII letters, digits, '_', and any byte >= 0x80 so
 * UTF-8 identifiers stay whole). */
static inline bool fuzzy_is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c >= 0x80;
}

#endif
