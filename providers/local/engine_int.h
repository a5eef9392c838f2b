/* engine_int: what engine.c (the facade, the popup) and ghost.c (offline ghost text) share
 * inside providers/local. Not for other parts of the server: they use local.h. */
#ifndef US_LOCAL_ENGINE_INT_H
#define US_LOCAL_ENGINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "local.h"
#include "words.h"

#define LINE_MIN_CONFIDENCE 0.30

/* What the engine last read of an open document (local_engine_doc_sync). */
struct seen_doc {
    uint64_t edit_count;
    uint64_t synced_ms;
    char uri[]; /* the map's key */
};

/* An open document the line model has learned. */
struct learned_doc {
    char *uri;
    size_t bytes;
    uint64_t tick;
};

struct local_engine {
    uv_loop_t *loop;
    struct snip_lib *snippets;
    struct words *words;
    struct lines *lines;
    bool use_snippets, use_symbols, use_words, use_lines;
    struct words_caps caps;
    uv_idle_t indexer;
    bool indexing;
    char **snippet_dirs;
    struct learned_doc *learned; /* open documents in the line model */
    size_t n_learned;
    uint64_t tick;
    struct us_map *seen; /* uri -> struct seen_doc */
    /* Privacy: what the models learn from open documents is masked (no secret value is ever
     * offered back as an item), and the workspace walk never reads excluded files. */
    struct privacy_cache *masked;
    bool masked_borrowed; /* the owner's (local_engine_share_masked) */
    char **privacy_exclude;

    /* accepted AI lines (learned.h), saved per workspace under $XDG_STATE_HOME/understudy */
    struct learned *star;
    bool learn;
    struct privacy_exclude *exclude; /* the router's exclusion decision, for learning */
    char *learned_path;  /* NULL: nothing to save to (no workspace) */
    bool learned_dirty;
    uint64_t learned_saved_ms;
};

/* The ghost text's thresholds (ghost.c), tunable with US_LOCAL_TUNE. ghost: the line model's
 * own minimum, and the scale of the per-rule minimums (ghost / LINE_MIN_CONFIDENCE); comment:
 * the longest match's minimum in comments, where no other rule answers (> 1: never); the
 * rest: each rule's minimum (match_start: the longest match at a line start), chosen on the
 * tuning half (ghost.c says how). */
struct ghost_tune {
    double ghost, comment, ngram, copy, analogy, start, follow, match, match_start, other;
};
extern struct ghost_tune local_ghost_tune;

/* text with its secrets replaced by placeholders (borrowed until the next call). edit_count:
 * the document's (0: unknown, cached by content). */
const char *local_masked_text(struct local_engine *e, const char *uri, uint64_t edit_count,
                              const char *text, size_t len, size_t *out_len);
/* The line model learned len bytes of this open document (least recently used ones are
 * forgotten). */
void local_note_learned(struct local_engine *e, const char *uri, size_t len);
/* US_LOCAL_TUNE="name=value,..." (benchmark tuning runs only), read once. */
void local_tune_from_env(void);

#endif
