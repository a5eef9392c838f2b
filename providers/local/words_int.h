/* words_int: what words.c (the index, documents, queries) and words_walk.c (the workspace
 * walk, on the caller's thread or libuv's workers) share. Included by those two only. */
#ifndef US_LOCAL_WORDS_INT_H
#define US_LOCAL_WORDS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "words.h"

#define MIN_WORD 3
#define MAX_WORD 64
#define ARENA_CHUNK_BITS 16
#define ARENA_CHUNK (1u << ARENA_CHUNK_BITS)

/* 24 bytes per distinct word; its characters live once in the arena. Per-query and
 * per-update scratch lives in side tables, not here. */
struct word {
    uint32_t off;    /* arena chunk << ARENA_CHUNK_BITS | offset in the chunk */
    uint32_t hash;
    uint32_t ws;     /* occurrences in workspace files */
    uint32_t docs;   /* occurrences in open documents (all of them) */
    uint32_t recent; /* tick of the last edit that added an occurrence; 0 = never */
    uint8_t len;
};

/* An open document: its distinct words sorted by id with their counts, and for the document
 * updated last, the text it was counted from (so the next version is counted by difference). */
struct wdoc {
    char *uri;
    uint32_t *ids, *counts;
    size_t n;
    char *prev; /* NULL unless this is one of the last updated documents */
    size_t prev_len;
    uint64_t stamp; /* when it was last updated */
};

struct walk; /* words_walk.c */
struct words_job;

struct words {
    struct word *v;
    size_t n, cap;
    uint32_t *table; /* open addressing: id + 1, 0 = empty */
    size_t table_cap;
    uint32_t *bucket[256]; /* ids by lower-cased first byte */
    size_t bucket_n[256], bucket_cap[256];
    char **chunks;   /* the arena: every word's characters, interned once */
    size_t n_chunks, chunk_used;
    struct wdoc *docs;
    size_t n_docs;
    uint32_t tick;
    uint64_t stamps;
    size_t bucket_bytes;
    /* bounds of what the workspace may add (open documents are always counted) */
    size_t max_words, max_bytes;
    size_t dropped;  /* workspace words not admitted: over a bound */
    /* query scratch: id -> (count here, distance), open addressing, reused */
    uint32_t *qkeys, *qhere, *qdist;
    size_t qcap, qused;
    /* the workspace walk */
    struct walk *walk;      /* NULL when no scan is set up, or while a worker has it */
    struct words_job *job;  /* a batch out on a worker */
    bool scanning;
    words_file_fn hook;
    void *hook_ud;
    size_t files, bytes, skipped;
};

/* Id of s, or -1 when unknown and !create. */
long words__intern(struct words *w, const char *s, size_t n, bool create);
/* The characters of word id (NUL-terminated, in the arena). */
static inline const char *words__str(const struct words *w, uint32_t id)
{
    uint32_t off = w->v[id].off;
    return w->chunks[off >> ARENA_CHUNK_BITS] + (off & (ARENA_CHUNK - 1));
}
/* Next identifier at or after *pos (numbers skipped); returns false at the end. */
bool words__next(const char *t, size_t len, size_t *pos, size_t *start, size_t *wlen);
/* Bytes the index holds (arrays, table, arena). */
size_t words__memory(const struct words *w);
/* Add src's workspace counts to w, within w's bounds. */
void words__merge_ws(struct words *w, const struct words *src);
/* Free the walk and any job out (words_walk.c). */
void words__walk_release(struct words *w);

#endif
