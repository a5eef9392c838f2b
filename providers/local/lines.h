/* lines: offline ghost text. Proposes the rest of the current line from a token n-gram model
 * learned on open documents and workspace files (lines.c), plus structural rules (line_rules.c:
 * the next step of a repetition, the continuation of an analogous earlier line, closing open
 * brackets). The model owns copies of what it learns; texts passed in are borrowed. */
#ifndef US_LOCAL_LINES_H
#define US_LOCAL_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lines;

struct lines_caps {
    size_t max_workspace_bytes; /* 8 MiB of workspace text learned at most (memory ~10x) */
    size_t max_doc_bytes;       /* 2 MiB: bigger open documents are not learned from */
};

/* caps may be NULL for the defaults. */
struct lines *lines_new(const struct lines_caps *caps);
void lines_free(struct lines *m);

/* Learn from an open document's current text (uri and text borrowed; the part learned is
 * copied), the cursor on line cursor_line (0-based). A document over DOC_WINDOW_BYTES is learned
 * from a window around the cursor that grows towards it (doc_window.h). Incremental: only the
 * lines that differ from the previous version are re-counted, so calling it on every change
 * costs O(size of the edit) plus one memcmp of the part learned. Returns the bytes learned (0:
 * over max_doc_bytes, not learned). */
size_t lines_doc_set(struct lines *m, const char *uri, const char *text, size_t len,
                     size_t cursor_line);
void lines_doc_remove(struct lines *m, const char *uri);

/* Learn from a workspace file (text borrowed). Add-only. Returns 0, or US_ETOOBIG once the
 * workspace cap is reached (the file is then ignored). Fits words_file_fn via a tiny wrapper. */
int lines_add_text(struct lines *m, const char *text, size_t len);

/* Count (delta > 0) or uncount (delta < 0) a line the user accepted from an AI provider: it
 * weighs twice an open document's line, and no cap applies (learned.c bounds these). */
void lines_add_learned(struct lines *m, const char *text, size_t len, int delta);

struct lines_query {
    const char *text; /* the current document (borrowed) */
    size_t len;
    size_t cursor;    /* byte offset of the cursor */
    double min_confidence; /* 0 = the default (0.25); lower answers more often, less precisely */
    const char *uri;  /* the document as given to lines_doc_set, or NULL: its cursor line (a
                         half-typed line) is then left out of the statistics for this query */
    double min_match; /* the longest-match rule abstains below this (so it does not displace
                         another rule's answer only to be dropped by the caller); 0: never */
    double min_start_match; /* the same at a line start (nothing typed on the cursor's line),
                               where the next line's level is guessed too; 0: not tried */
    bool prose;       /* in a comment, where the other rules guess words: only the longest
                         match answers, and at a line start the line-start model (licence
                         text and ` * ` margins) */
};

struct lines_suggestion {
    char *text;        /* what to insert at the cursor (caller frees via lines_suggestion_release) */
    double confidence; /* 0..1 */
    const char *rule;  /* static: "repeat", "analogy", "copy", "ngram", "close", the
                          line-start rules ("self", "arm", "follow", "habit", "start"),
                          "match" (the longest earlier match of the text before the cursor),
                          "match-start" (the same at a line start) */
};

/* Propose the rest of the cursor's line. Returns 0 and fills out, or US_ENOENT when nothing is
 * confident enough (out->text is then NULL). Text after the cursor on the line must be empty or
 * only closing brackets/quotes/';' (which the suggestion then does not repeat). */
int lines_suggest(struct lines *m, const struct lines_query *q, struct lines_suggestion *out);
void lines_suggestion_release(struct lines_suggestion *s);

/* For the popup: how often the model saw a word after the one and the two tokens that stand
 * before the word starting at ws (on its line; at a line start, after the line above), in
 * the workspace files and documents it learned. Filled by lines_follow_init (text borrowed
 * for the call only), then asked per candidate. */
struct lines_follow {
    uint64_t key[2];   /* 0: no such context was seen */
    uint32_t total[2]; /* occurrences of each context */
    bool gap;          /* blanks before the word (tokens carry their leading space) */
};
void lines_follow_init(struct lines *m, const char *text, size_t ws, struct lines_follow *f);
void lines_follow_count(struct lines *m, const struct lines_follow *f, const char *w, size_t n,
                        uint32_t out[2]);

struct lines_stats {
    size_t tokens;     /* distinct tokens */
    size_t contexts;   /* distinct contexts */
    size_t pairs;      /* distinct (context, next) pairs */
    size_t workspace_bytes;
    size_t docs;
    size_t match_tokens; /* the longest match's workspace stream */
    size_t match_bytes;  /* its memory with the index (~10 bytes a token) */
};
void lines_stats(const struct lines *m, struct lines_stats *out);
/* A hash of every nonzero (context, next token, count): two models that saw the same tokens in
 * the same order and hold the same counts agree. For tests of incremental updates; it walks
 * every pair. */
uint64_t lines_counts_hash(const struct lines *m);

#endif
