/* words: an identifier index over the open documents and the workspace's files, ranked for the
 * popup by nearness to the cursor, frequency, recency and match quality (local:word items). */
#ifndef US_LOCAL_WORDS_H
#define US_LOCAL_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct words;

/* Limits of the workspace scan; zero fields take the defaults shown. Memory is bounded by
 * max_total_bytes of text read (the index keeps only distinct words and counts). */
struct words_caps {
    size_t max_files;       /* 5000 files indexed at most */
    size_t max_file_bytes;  /* 512 KiB: bigger files are skipped (generated, minified, data) */
    size_t max_total_bytes; /* 64 MiB of text in total */
    int max_depth;          /* 24 folder levels */
    /* privacy.exclude + .understudyignore patterns (gitignore semantics relative to the root,
     * borrowed for words_index_start, which copies them): such files are never read, nor
     * .env files, keys and credential files (privacy_secret_file_name) whatever they say. */
    const char *const *privacy_exclude;
};

struct words *words_new(void);
/* Frees the index and stops any workspace scan. */
void words_free(struct words *w);

/* ---------------------------------------------------------------- open documents */

/* Replace what the index knows of one document (uri and text borrowed, copied as needed).
 * O(text length); words whose count grew since the previous version become "recent". */
void words_doc_set(struct words *w, const char *uri, const char *text, size_t len);
void words_doc_remove(struct words *w, const char *uri);

/* ---------------------------------------------------------------- workspace */

/* Called for each workspace file the scan reads (text borrowed for the call), so other models
 * (lines.c) can learn from the same files without walking the tree again. */
typedef void (*words_file_fn)(void *ud, const char *path, const char *text, size_t len);
void words_set_file_hook(struct words *w, words_file_fn fn, void *ud);

/* Start (or restart) scanning the folder root (copied). Nothing is read yet: the caller drives
 * the scan with words_index_step from an idle or timer handle, so the event loop never blocks.
 * Skips the folders words_skip_dir names, paths matched by .gitignore files (see ignore.h), symlinks,
 * binary files (a NUL byte in the first 8 KiB) and files over the caps. caps may be NULL.
 * Returns 0, or US_ENOENT when root is not a readable folder. */
int words_index_start(struct words *w, const char *root, const struct words_caps *caps);

/* Folders the scan never enters (besides .gitignore's): .git, .hg, .svn, node_modules,
 * __pycache__, dist, target, vendor, .venv, venv, .tox, .mypy_cache, .cache, build*. */
bool words_skip_dir(const char *name);

/* Do at most about budget_us microseconds of scanning (at least one directory or file).
 * Returns 1 while work remains, 0 when the scan is complete (or none was started). */
int words_index_step(struct words *w, uint64_t budget_us);

/* Add a file's text to the workspace counts directly (text borrowed), for callers that read
 * files themselves (benchmarks, a background reader). Counts against no cap. */
void words_add_workspace_text(struct words *w, const char *text, size_t len);

struct words_stats {
    size_t files;         /* files indexed */
    size_t bytes;         /* bytes of text indexed */
    size_t skipped;       /* files skipped: binary, too big, ignored, over caps */
    size_t distinct;      /* distinct words known */
    size_t docs;          /* open documents */
    bool scanning;
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
