/* words: an identifier index over the open documents and the workspace's files, ranked for the
 * popup by nearness to the cursor, frequency, recency and match quality (local:word items). */
#ifndef US_LOCAL_WORDS_H
#define US_LOCAL_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct words;

/* Limits of the workspace scan; zero fields take the defaults shown. Memory is bounded by the
 * distinct words the workspace may add and the bytes the index may hold, besides the bytes of
 * text read: past either bound, files are still counted for the words already known, and new
 * words are dropped (open documents' words are always counted). */
#define WORDS_DEFAULT_MAX_WORDS 150000
#define WORDS_DEFAULT_MAX_BYTES (8u << 20)
struct words_caps {
    size_t max_files;       /* 5000 files indexed at most */
    size_t max_file_bytes;  /* 512 KiB: bigger files are skipped (generated, minified, data) */
    size_t max_total_bytes; /* 64 MiB of text in total */
    int max_depth;          /* 24 folder levels */
    size_t max_words;       /* WORDS_DEFAULT_MAX_WORDS distinct words in the index */
    size_t max_index_bytes; /* WORDS_DEFAULT_MAX_BYTES of index (table, arena, lists) */
    size_t hook_max_bytes;  /* the file hook sees this many bytes of files at most (0: all) */
    bool hook_code_only;    /* the file hook sees source files only (see words_set_file_hook) */
    /* privacy.exclude + .understudyignore patterns (gitignore semantics relative to the root,
     * borrowed for words_index_start, which copies them): such files are never read, nor
     * .env files, keys and credential files (privacy_secret_file_name) whatever they say. */
    const char *const *privacy_exclude;
};

struct words *words_new(void);
/* Frees the index and stops any workspace scan. */
void words_free(struct words *w);

/* ---------------------------------------------------------------- open documents */

/* Replace what the index knows of one document (uri and text borrowed, copied as needed);
 * words whose count grew since the previous version become "recent". The two documents updated
 * last keep their text (up to 4 MiB each), and their next version is counted by difference:
 * the words of the changed lines out, the new lines' in (a compare of the two texts, then work
 * in proportion to the change); others are counted whole. */
void words_doc_set(struct words *w, const char *uri, const char *text, size_t len);
void words_doc_remove(struct words *w, const char *uri);
/* Occurrences of word in the document (uri NULL: in all open documents); for tests. */
uint32_t words_doc_count(struct words *w, const char *uri, const char *word);
/* Distinct words counted for the document; for tests. */
size_t words_doc_distinct(struct words *w, const char *uri);

/* ---------------------------------------------------------------- workspace */

/* Called for each file the scan reads (with words_caps.hook_code_only, each source file, by
 * extension: .c, .py, .ts, .go, .rs, .sh, ...), up to words_caps.hook_max_bytes in all (text
 * borrowed for the call, masked), so other models (lines.c) can learn from the same files
 * without walking the tree again. Called on the thread that merges the scan's batches (the
 * loop, for words_index_start_async). */
typedef void (*words_file_fn)(void *ud, const char *path, const char *text, size_t len);
void words_set_file_hook(struct words *w, words_file_fn fn, void *ud);

/* Start (or restart) scanning the folder root (copied). Nothing is read yet: the caller drives
 * the scan with words_index_step from an idle or timer handle, so the event loop never blocks.
 * Skips the folders words_skip_dir names, paths matched by .gitignore files (see ignore.h), symlinks,
 * binary files (a NUL byte in the first 8 KiB) and files over the caps. caps may be NULL.
 * Returns 0, or US_ENOENT when root is not a readable folder. */
int words_index_start(struct words *w, const char *root, const struct words_caps *caps);

/* The same scan off the loop: the walk, reading, masking and counting of files run on libuv's
 * worker threads in batches (about INDEX_BATCH_BYTES of text or a few ms each), each merged
 * into the index on the loop when it is back (within the bounds above; the file hook is called
 * there, on the loop), then the next batch goes out. done(ud) runs on the loop when the scan
 * is complete (not when words_free or a new start cut it short). Returns 0 or US_ENOENT. */
#define WORDS_INDEX_BATCH_BYTES (256u << 10)
int words_index_start_async(struct words *w, uv_loop_t *loop, const char *root,
                            const struct words_caps *caps, void (*done)(void *ud), void *ud);

/* Folders the scan never enters (besides .gitignore's): .git, .hg, .svn, node_modules,
 * __pycache__, dist, target, vendor, .venv, venv, .tox, .mypy_cache, .cache, build*. */
bool words_skip_dir(const char *name);

/* Do at most about budget_us microseconds of scanning (at least one directory or file).
 * Returns 1 while work remains, 0 when the scan is complete (or none was started). */
int words_index_step(struct words *w, uint64_t budget_us);

/* Add a file's text to the workspace counts directly (text borrowed), for callers that read
 * files themselves (benchmarks, a background reader). Counts against no file cap, only the
 * bounds of distinct words and memory. */
void words_add_workspace_text(struct words *w, const char *text, size_t len);

struct words_stats {
    size_t files;         /* files indexed */
    size_t bytes;         /* bytes of text indexed */
    size_t skipped;       /* files skipped: binary, too big, ignored, over caps */
    size_t distinct;      /* distinct words known */
    size_t docs;          /* open documents */
    bool scanning;
    size_t dropped_words; /* workspace words left out: over max_words or max_index_bytes */
    size_t memory;        /* bytes the index holds */
};
void words_stats(const struct words *w, struct words_stats *out);

/* ---------------------------------------------------------------- queries */

struct words_query {
    const char *uri;      /* the current document (may be NULL) */
    const char *text;     /* its current text (borrowed; may be NULL) */
    size_t len;
    size_t cursor;        /* byte offset of the cursor in text */
    const char *typed;    /* the identifier fragment before the cursor (may be "") */
    size_t typed_len;
};

enum words_origin { WORDS_HERE, WORDS_OPEN_DOC, WORDS_WORKSPACE };

struct words_item {
    const char *word; /* borrowed from the index: valid until the next words_* mutation */
    double score;     /* higher is better; comparable within one query only */
    enum words_origin origin;
};

/* Candidates for typed: words starting with it (case-insensitively) or fuzzily matching it,
 * best first, at most max, never the typed fragment itself. Ranking: match class first, then
 * nearness to the cursor in the current document (occurrences before the cursor count as twice
 * as near), occurrence counts (current document above other open documents above workspace
 * files), and recency of typing. Cost: a scan of up to 96 KiB around the cursor plus the
 * index's words starting with typed[0]; well under a millisecond on a 10,000-line file. */
size_t words_query(struct words *w, const struct words_query *q, struct words_item *out,
                   size_t max);

#endif
