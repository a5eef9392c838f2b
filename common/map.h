/* map: a string-keyed hash map (open addressing, linear probing, FNV-1a, tombstones) from
 * const char * keys to void * values, with lookup, insert/replace, delete and iteration.
 * Boundary: the map owns its slot array only. Keys are borrowed (they must stay alive and
 * unchanged while stored: keep the key inside the value) unless the map was made with
 * copy_keys, then it copies them and frees its copies. Values are always borrowed: the map
 * never frees them; us_map_put/us_map_del hand the displaced value back to the caller. */
#ifndef US_MAP_H
#define US_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct us_map;

/* A new empty map; never NULL. Free with us_map_free. */
struct us_map *us_map_new(bool copy_keys);
/* Frees the map (and its key copies); values are untouched. NULL is fine. */
void us_map_free(struct us_map *m);

size_t us_map_count(const struct us_map *m);
/* The value stored under key, or NULL. */
void *us_map_get(const struct us_map *m, const char *key);
/* Store value (not NULL) under key. Returns the value it replaced (caller's again) or NULL.
 * On replace the stored key is kept (a borrowed key must still point at live text). */
void *us_map_put(struct us_map *m, const char *key, void *value);
/* Remove key; returns its value (caller's again) or NULL when absent. */
void *us_map_del(struct us_map *m, const char *key);
/* Remove everything (keeps the storage). */
void us_map_clear(struct us_map *m);

/* Iteration: size_t it = 0; while (us_map_next(m, &it, &k, &v)) ...  Order is unspecified.
 * Deleting the entry just returned is allowed while iterating; inserting is not. key and value
 * may be NULL; the key is borrowed. */
bool us_map_next(const struct us_map *m, size_t *it, const char **key, void **value);

/* The hash the map uses (FNV-1a 64), for callers that want the same one. */
uint64_t us_hash_str(const char *s);

#endif
