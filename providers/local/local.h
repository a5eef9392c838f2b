/* local: the offline engine, last link of the chain and filler of the popup while AI answers
 * are pending. Combines snippets, tree-sitter symbols (names in scope, members, keywords),
 * workspace words and the line model; every item carries its provenance. Never fails. */
#ifndef US_LOCAL_H
#define US_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base.h"
#include "provider.h"
#include "settings.h"

struct syn_doc;
struct local_engine;

/* What an item names, in the engine's terms. No protocol numbers here: lsp/item_kind.c maps
 * these to LSP CompletionItemKind. */
enum local_kind {
    LOCAL_KIND_TEXT,
    LOCAL_KIND_METHOD,
    LOCAL_KIND_FUNCTION,
    LOCAL_KIND_FIELD,
    LOCAL_KIND_VARIABLE,
    LOCAL_KIND_CLASS,
    LOCAL_KIND_MODULE,
    LOCAL_KIND_KEYWORD,
    LOCAL_KIND_SNIPPET,
    LOCAL_KIND_STRUCT,
    LOCAL_KIND_TYPE_PARAMETER,
    LOCAL_KIND_COUNT /* not a kind: the number of them */
};

struct local_item {
    char *label;
    char *insert_text;  /* what replaces the partial word before the cursor */
    bool snippet;       /* insert_text uses snippet syntax */
    const char *source; /* PROV_SOURCE_SNIPPET, _SYMBOL or _WORD (static) */
    enum local_kind kind;
    char *detail;       /* short description, may be NULL */
    double score;       /* higher first */
};

struct syn_cursor;
struct privacy_cache;

struct local_request {
    const struct prov_context *ctx; /* language, prefix, suffix, situation, receiver, names */
    struct syn_doc *syntax;         /* may be NULL */
    const struct syn_cursor *cursor;/* analysis at the cursor, may be NULL */
    struct syn_doc *const *others;  /* other open documents of the language (members) */
    size_t n_others;
    const char *uri;
    const char *text;               /* the whole document */
    size_t text_len;
    size_t offset;                  /* cursor byte offset in text */
    const char *partial;            /* identifier characters typed before the cursor */
    uint64_t edit_count;            /* the document's (as struct local_doc's); 0: unknown */
    const char *workspace_folder;   /* may be NULL */
    bool snippet_support;
};

/* settings borrowed for the call. */
struct local_engine *local_engine_new(uv_loop_t *loop, const struct us_settings *settings);
void local_engine_free(struct local_engine *e);
void local_engine_configure(struct local_engine *e, const struct us_settings *settings);
/* Mask open documents through the owner's cache (keyed by edit_count, borrowed; it must outlive
 * the engine) instead of the engine's own, so one edit's text is masked once for both. */
void local_engine_share_masked(struct local_engine *e, struct privacy_cache *cache);

/* Keep the word and line models in step with open documents (text borrowed). */
void local_engine_doc_update(struct local_engine *e, const char *uri, const char *language,
                             const char *text, size_t len);
void local_engine_doc_close(struct local_engine *e, const char *uri);

/* An open document as its owner (the lsp floor) sees it; everything borrowed for the call. */
struct local_doc {
    const char *uri;
    const char *language;
    const char *text;
    size_t len;
    uint64_t edit_count; /* moves with every change; the engine re-reads only when it moved */
};
/* Lazy doc_update: the engine remembers, per URI, which edit it last read and when, and reads
 * a big document again at most once a second while it is being typed in. Forgotten at
 * local_engine_doc_close. */
void local_engine_doc_sync(struct local_engine *e, const struct local_doc *d);
/* Index the workspace's files in the background (on libuv's workers, merged on the loop). */
void local_engine_index_workspace(struct local_engine *e, const char *root);
/* The workspace index's figures (understudy/localStats, benchmarks). */
struct local_stats {
    size_t files, bytes, skipped; /* workspace files indexed, their bytes, files skipped */
    size_t distinct, dropped;     /* distinct words known; workspace words left out (bounds) */
    size_t memory;                /* bytes the word index holds */
    size_t docs;                  /* open documents counted */
    size_t line_doc_bytes;        /* of open documents the line model learned (a big one: a
                                     window around the cursor, doc_window.h) */
    bool scanning;
};
void local_engine_stats(struct local_engine *e, struct local_stats *out);
/* Learn from one workspace file's text read by the caller (text borrowed), as the background
 * scan would: words and lines. For benchmarks and callers that choose the files themselves. */
void local_engine_add_workspace_text(struct local_engine *e, const char *text, size_t len);

/* An AI suggestion the user accepted (understudy.accepted), everything borrowed. */
struct local_accept {
    const char *source;      /* the provider that offered it; "local:*" sources are not learned */
    const char *path;        /* the document's file path (exclusion), may be NULL */
    const char *before;      /* document text before the cursor where it was offered (a tail
                                of a few lines is enough) */
    size_t before_len;
    const char *suggestion;  /* what was inserted */
    size_t suggestion_len;
};
/* The understudy learns its lines: offline, local_engine_line offers the same text at a place
 * like this one (same cursor line, preferably after the same previous line) and the n-gram
 * counts it. Masked with privacy_mask first; never from a file privacy.exclude matches; off
 * with local.learn_accepted false. Kept up to 2 MiB (least recently used out) and saved per
 * workspace under $XDG_STATE_HOME/understudy/. Returns 0, US_ESTATE (learning off), US_EINVAL
 * (a local source, nothing to learn) or US_EUNSUPPORTED (excluded file). */
int local_engine_learn(struct local_engine *e, const struct local_accept *a);
size_t local_engine_learned_count(const struct local_engine *e);
/* Load the learned lines of the workspace root (may be NULL: none); index_workspace does it. */
void local_engine_set_workspace(struct local_engine *e, const char *root);

/* Popup items, best first, at most max. *items is an array the caller frees with
 * local_items_free. */
size_t local_engine_complete(struct local_engine *e, const struct local_request *req,
                             struct local_item **items, size_t max);
void local_items_free(struct local_item *items, size_t n);

/* Ghost text: the rest of the current line (or a structural continuation). Returns true and
 * appends to out when confident. */
bool local_engine_line(struct local_engine *e, const struct local_request *req,
                       struct strbuf *out);

#endif
