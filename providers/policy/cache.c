/* cache: LRU hash map of suggestions. */
#include "cache.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "list.h"

struct entry {
    struct cache_key key;
    char *text;
    size_t len;
    char *source;
    uint64_t stored_ms;
    struct us_list lru;                /* in c->lru, most recent first */
    struct entry *chain;               /* hash bucket chain */
};

struct cache {
    struct entry **buckets;
    size_t nbuckets;
    struct us_list lru;                /* most recent first */
    size_t count, bytes;
    size_t max_entries, max_bytes;
    uint64_t ttl_ms;
};

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t mix(uint64_t h, const void *data, size_t len, uint64_t salt)
{
    /* A different multiplier stream than FNV so the two hashes are independent. */
    const unsigned char *p = data;
    h ^= salt;
    for (size_t i = 0; i < len; i++) {
        h = (h ^ p[i]) * 0x100000001b3ull;
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ull;
    }
    return h;
}

struct cache_key cache_key_of(const char *language, const char *prefix, size_t prefix_len,
                              const char *suffix, size_t suffix_len)
{
    const char *ptail = prefix + (prefix_len > CACHE_PREFIX_TAIL ? prefix_len - CACHE_PREFIX_TAIL : 0);
    size_t plen = US_MIN(prefix_len, (size_t)CACHE_PREFIX_TAIL);
    size_t slen = US_MIN(suffix_len, (size_t)CACHE_SUFFIX_HEAD);
    const char *lang = language ? language : "";
    uint64_t sep = 0x1f;
    struct cache_key k;
    k.h1 = 1469598103934665603ull;
    k.h1 = fnv(k.h1, lang, strlen(lang));
    k.h1 = fnv(k.h1, &sep, 1);
    k.h1 = fnv(k.h1, ptail, plen);
    k.h1 = fnv(k.h1, &sep, 1);
    k.h1 = fnv(k.h1, suffix, slen);
    k.h2 = mix(0x243f6a8885a308d3ull, lang, strlen(lang), 1);
    k.h2 = mix(k.h2, ptail, plen, 2);
    k.h2 = mix(k.h2, suffix, slen, 3);
    return k;
}

struct cache *cache_new(size_t max_entries, size_t max_bytes, uint32_t ttl_s)
{
    struct cache *c = xcalloc(1, sizeof(*c));
    us_list_init(&c->lru);
    c->nbuckets = 256;
    while (c->nbuckets < max_entries * 2 && c->nbuckets < (1u << 20))
        c->nbuckets *= 2;
    c->buckets = xcalloc(c->nbuckets, sizeof(*c->buckets));
    c->max_entries = max_entries;
    c->max_bytes = max_bytes;
    c->ttl_ms = (uint64_t)ttl_s * 1000u;
    return c;
}

static size_t entry_bytes(const struct entry *e)
{
    return sizeof(*e) + e->len + strlen(e->source) + 2;
}

static void lru_unlink(struct cache *c, struct entry *e)
{
    us_list_del(&e->lru);
}

static void lru_push_front(struct cache *c, struct entry *e)
{
    us_list_add_head(&c->lru, &e->lru);
}

#define LRU_ENTRY(l) US_LIST_ENTRY(l, struct entry, lru)

static struct entry **bucket_of(struct cache *c, struct cache_key key)
{
    return &c->buckets[key.h1 & (c->nbuckets - 1)];
}

static void remove_entry(struct cache *c, struct entry *e)
{
    struct entry **pp = bucket_of(c, e->key);
    while (*pp && *pp != e)
        pp = &(*pp)->chain;
    if (*pp)
        *pp = e->chain;
    lru_unlink(c, e);
    c->count--;
    c->bytes -= entry_bytes(e);
    free(e->text);
    free(e->source);
    free(e);
}

static void evict_to_fit(struct cache *c)
{
    while (!us_list_empty(&c->lru) && (c->count > c->max_entries || c->bytes > c->max_bytes))
        remove_entry(c, LRU_ENTRY(us_list_last(&c->lru)));
}

void cache_free(struct cache *c)
{
    if (!c)
        return;
    while (!us_list_empty(&c->lru))
        remove_entry(c, LRU_ENTRY(us_list_first(&c->lru)));
    free(c->buckets);
    free(c);
}

void cache_resize(struct cache *c, size_t max_entries, size_t max_bytes, uint32_t ttl_s)
{
    c->max_entries = max_entries;
    c->max_bytes = max_bytes;
    c->ttl_ms = (uint64_t)ttl_s * 1000u;
    evict_to_fit(c);
}

static struct entry *find(struct cache *c, struct cache_key key)
{
    for (struct entry *e = *bucket_of(c, key); e; e = e->chain)
        if (e->key.h1 == key.h1 && e->key.h2 == key.h2)
            return e;
    return NULL;
}

void cache_put(struct cache *c, struct cache_key key, const char *text, size_t len,
               const char *source, uint64_t now_ms)
{
    if (c->max_entries == 0 || len == 0)
        return;
    struct entry *old = find(c, key);
    if (old)
        remove_entry(c, old);
    struct entry *e = xcalloc(1, sizeof(*e));
    e->key = key;
    e->text = xstrndup(text, len);
    e->len = len;
    e->source = xstrdup(source ? source : "");
    e->stored_ms = now_ms;
    if (entry_bytes(e) > c->max_bytes) {
        free(e->text);
        free(e->source);
        free(e);
        return;
    }
    struct entry **b = bucket_of(c, key);
    e->chain = *b;
    *b = e;
    lru_push_front(c, e);
    c->count++;
    c->bytes += entry_bytes(e);
    evict_to_fit(c);
}

bool cache_get(struct cache *c, struct cache_key key, uint64_t now_ms, bool allow_stale,
               struct cache_hit *hit)
{
    struct entry *e = find(c, key);
    if (!e)
        return false;
    bool stale = now_ms - e->stored_ms > c->ttl_ms;
    if (stale && !allow_stale)
        return false;
    lru_unlink(c, e);
    lru_push_front(c, e);
    hit->text = e->text;
    hit->len = e->len;
    hit->source = e->source;
    hit->stale = stale;
    return true;
}

static char closer_of(char c)
{
    switch (c) {
    case '(': return ')';
    case '[': return ']';
    case '{': return '}';
    case '"': case '\'': case '`': return c;
    default: return 0;
    }
}

size_t cache_autoclosed(const char *typed, size_t typed_len, const char *suffix,
                        size_t suffix_len)
{
    char stack[CACHE_TYPE_THROUGH];
    size_t depth = 0;
    for (size_t i = 0; i < typed_len; i++) {
        char c = typed[i];
        char top = depth ? stack[depth - 1] : 0;
        bool in_quote = top == '"' || top == '\'' || top == '`';
        if (top && c == top) {
            depth--; /* closed (or typed over the editor's closer) */
        } else if (in_quote) {
            continue;
        } else if (closer_of(c) && depth < sizeof(stack)) {
            /* An apostrophe after a letter (it's, don't) opens nothing. */
            if (c == '\'' && i > 0 && isalpha((unsigned char)typed[i - 1]))
                continue;
            stack[depth++] = closer_of(c);
        }
    }
    if (depth == 0 || suffix_len < depth)
        return 0;
    for (size_t i = 0; i < depth; i++)
        if (suffix[i] != stack[depth - 1 - i])
            return 0;
    return depth;
}

bool cache_trim_autoclosed(const char *rest, size_t *len, const char *closers, size_t n)
{
    size_t e = *len;
    while (e && (rest[e - 1] == ' ' || rest[e - 1] == '\t' || rest[e - 1] == '\n'))
        e--;
    if (e < n || memcmp(rest + e - n, closers, n) != 0)
        return false;
    *len = e - n;
    return true;
}

bool cache_type_through(struct cache *c, const char *language, const char *prefix,
                        size_t prefix_len, const char *suffix, size_t suffix_len,
                        uint64_t now_ms, struct cache_hit *hit)
{
    size_t max_k = US_MIN(prefix_len, (size_t)CACHE_TYPE_THROUGH);
    for (size_t k = 1; k <= max_k; k++) {
        const char *typed = prefix + prefix_len - k;
        if (memchr(typed, '\n', 1))
            break; /* typing-through stays on the line the suggestion was made for */
        /* The suffix the suggestion was made with: as it is, or without the closers the
         * editor auto-inserted for brackets and quotes opened in the typed text. */
        size_t ac = cache_autoclosed(typed, k, suffix, suffix_len);
        for (int pass = 0; pass < (ac ? 2 : 1); pass++) {
            size_t skip = pass ? ac : 0;
            struct cache_key key = cache_key_of(language, prefix, prefix_len - k, suffix + skip,
                                                suffix_len - skip);
            struct entry *e = find(c, key);
            if (!e || now_ms - e->stored_ms > c->ttl_ms)
                continue;
            if (e->len > k && memcmp(e->text, typed, k) == 0) {
                lru_unlink(c, e);
                lru_push_front(c, e);
                hit->text = e->text + k;
                hit->len = e->len - k;
                /* The editor's closers already follow the cursor: "x)" is served as "x". A
                 * rest that does not end with them would double them: ask anew instead. */
                if (skip && !cache_trim_autoclosed(hit->text, &hit->len, suffix, skip))
                    continue;
                if (hit->len == 0)
                    return false; /* nothing left that the line does not already have */
                hit->source = e->source;
                hit->stale = false;
                return true;
            }
        }
    }
    return false;
}

size_t cache_count(const struct cache *c)
{
    return c->count;
}

size_t cache_bytes(const struct cache *c)
{
    return c->bytes;
}
