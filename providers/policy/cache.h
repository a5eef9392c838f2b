/* cache: suggestions shared by all providers, keyed by (language, prefix tail, suffix head).
 * LRU bounded by entries and bytes with a TTL; expired entries stay until evicted so that
 * stale-if-error can serve them when every provider fails; typing-through serves the rest of
 * a suggestion whose start the user has just typed.
 * Boundary: the cache copies what it stores and owns it (cache_free); answers it hands out
 * are borrowed until the next cache call. */
#ifndef US_CACHE_H
#define US_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CACHE_PREFIX_TAIL 1024  /* bytes of prefix in the key */
#define CACHE_SUFFIX_HEAD 256   /* bytes of suffix in the key */
#define CACHE_TYPE_THROUGH 64   /* how many typed characters typing-through looks back */

struct cache;

struct cache_key {
    uint64_t h1, h2; /* two independent hashes: collisions are not a practical concern */
};

struct cache *cache_new(size_t max_entries, size_t max_bytes, uint32_t ttl_s);
void cache_free(struct cache *c);
/* Change the bounds; evicts to fit. */
void cache_resize(struct cache *c, size_t max_entries, size_t max_bytes, uint32_t ttl_s);

struct cache_key cache_key_of(const char *language, const char *prefix, size_t prefix_len,
                              const char *suffix, size_t suffix_len);

/* Store (copies) a complete answer with the name of the provider that produced it. */
void cache_put(struct cache *c, struct cache_key key, const char *text, size_t len,
               const char *source, uint64_t now_ms);

struct cache_hit {
    const char *text; /* borrowed until the next cache call */
    size_t len;
    const char *source; /* borrowed likewise */
    bool stale;         /* older than the TTL (only returned when allow_stale) */
};

/* Exact lookup. Returns true on a hit. */
bool cache_get(struct cache *c, struct cache_key key, uint64_t now_ms, bool allow_stale,
               struct cache_hit *hit);

/* Typing-through: the user typed the first k characters of a cached suggestion made for the
 * prefix without them, with the suffix as it was then, or as it was before the editor
 * auto-inserted closers for what was typed (cache_autoclosed). Looks back up to
 * CACHE_TYPE_THROUGH bytes; on a hit, hit->text is the untyped rest (never empty). */
bool cache_type_through(struct cache *c, const char *language, const char *prefix,
                        size_t prefix_len, const char *suffix, size_t suffix_len,
                        uint64_t now_ms, struct cache_hit *hit);

/* Auto-closed pairs: how many leading bytes of `suffix` are the closers an editor inserted for
 * the brackets ( [ { and quotes opened in `typed` and not closed there ("foo(" typed, ")" after
 * the cursor -> 1). 0 when the suffix does not start with exactly those closers. */
size_t cache_autoclosed(const char *typed, size_t typed_len, const char *suffix,
                        size_t suffix_len);
/* When `rest` (len bytes) ends with the n `closers` that already follow the cursor (trailing
 * blanks aside), shortens *len to drop them and returns true; else returns false. */
bool cache_trim_autoclosed(const char *rest, size_t *len, const char *closers, size_t n);

size_t cache_count(const struct cache *c);
size_t cache_bytes(const struct cache *c);

#endif
