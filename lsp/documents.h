/* documents: the server's copy of every open buffer, kept byte-for-byte equal to the editor's
 * through full and incremental didChange edits, with a line index for position conversion and
 * (when the language has a grammar) an incrementally updated syntax tree. */
#ifndef US_DOCUMENTS_H
#define US_DOCUMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base.h"
#include "position.h"

#define DOC_DEFAULT_MAX_BYTES (64u << 20) /* a document larger than this is refused */
/* Syntax trees kept alive at once. A tree costs ~35x its text, so 100 open files would take
 * about 100 MB; the least recently used ones are dropped and rebuilt (one full parse, a few ms
 * per 1,000 lines) when someone needs them again. */
#define DOC_MAX_TREES 8
/* The first tree of a freshly opened document of at most DOC_BUILD_MAX_BYTES is built on a worker
 * right after didOpen (with its query records and definitions), so the first completion does not
 * pay the parse. At most DOC_OPEN_BUILDS such builds are out at once: a newer didOpen drops the
 * oldest nobody has asked for yet (an editor restoring a session opens dozens of buffers; the last
 * ones opened are the ones looked at). A completion arriving before the build is back gets a small
 * document's tree at once (DOC_INLINE_PARSE_BYTES: the job is run on the loop if no worker has it
 * yet, waited for up to DOC_INLINE_WAIT_US if one has, else parsed there); for a bigger one it
 * neither waits nor parses on the loop: it answers without a tree (words, snippets, the text
 * around the cursor) until the tree is back. Edits meanwhile are kept and applied to the tree when
 * it comes (more than DOC_BUILD_MAX_EDITS and the build starts over). A document with no tree held
 * when one is asked for (bigger than DOC_BUILD_MAX_BYTES, or its tree dropped to bound memory)
 * gets the same: a build on a worker, and answers from the text until it is back, unless it is
 * small (DOC_INLINE_PARSE_BYTES); parsing and indexing a 435 KB Python file on the loop held a
 * first completion 260-300 ms. */
#define DOC_BUILD_MAX_BYTES (200u * 1024)
/* A tree dropped to bound memory is deleted on a worker when its document is bigger than this
 * (deleting a 10,000-line file's takes milliseconds), in place otherwise: ~0.3 ms for 1,000
 * lines, against tens for the parse that built it, and the memory is free for the next parse
 * at once (the first completion with a hundred files open parses each for its definitions:
 * deleting them on busy low-priority workers grew the heap and left it fragmented). */
#define DOC_FREE_INLINE_BYTES (64u * 1024)
#define DOC_OPEN_BUILDS 2
/* Another document's definitions (context.c's excerpts) for a document with no tree held: at
 * most DOC_INLINE_PARSE_BYTES is parsed on the loop, a bigger one is read on a worker,
 * DOC_DEFS_BUILDS at a time (a hundred files opened at once took the first completion 1-3 s
 * of parsing on the loop); until its definitions are back that document gives no excerpts. */
#define DOC_DEFS_BUILDS 1
#define DOC_INLINE_PARSE_BYTES (8u * 1024)
#define DOC_INLINE_WAIT_US 1000
#define DOC_BUILD_MAX_EDITS 64

struct syn_doc;
struct syn_edit;
struct syntax_glue_job;
struct syntax_glue_build;

struct docstore;

struct doc {
    struct docstore *store;
    char *uri;
    char *language_id;
    int64_t version;
    struct strbuf text;
    /* Read it through doc_lines(): built when first needed (a position to convert, an edit),
     * not at didOpen, so the many documents an editor opens and nobody asks about hold none
     * (count == 0: not built); kept in step with every change once built. */
    struct line_index lines;
    /* NULL when the language has no grammar or no tree is held (syntax_evicted). Read it
     * through doc_syntax(): a tree is built when first needed, edits only mark it stale, and
     * the reparse happens when someone needs the tree, so a burst of keystrokes costs one
     * parse. */
    struct syn_doc *syntax;
    struct syntax_glue_job *reparse_job; /* a background reparse is out (big documents) */
    bool syntax_stale;
    bool syntax_evicted;    /* no tree held (not built since didOpen, or dropped to bound
                             * memory) though the language has a grammar; built on demand */
    uint64_t syntax_used;   /* docstore tick of the last doc_syntax() */
    struct syn_def *defs;   /* shared definitions sorted by name, cached for other documents' */
    size_t n_defs;          /* completions (excerpts); valid while defs_seen == edit_count */
    uint64_t defs_seen;
    uint64_t last_edit_ms;  /* monotonic time of the latest change */
    size_t last_edit_offset;
    uint64_t edit_count;    /* bumped by every open and change (the local engine keys what it
                             * has read of a document on it: local_engine_doc_sync) */
    struct syntax_glue_build *first_build; /* the tree being built on a worker after didOpen,
                                            * or asked for with none held (doc_syntax) */
    bool build_asked;       /* that build was asked for: its tree is not an unused one */
    struct syn_edit *build_edits; /* edits since the build left, applied to its tree */
    size_t n_build_edits;   /* SIZE_MAX: too many, the build's tree is dropped */
    bool tree_from_worker;  /* the tree held was built by a first_build (not on the loop) */
    uint64_t built_unused;  /* nonzero: order in which a first build installed a tree nobody
                             * has asked for since (a burst of didOpens keeps only the newest) */
    struct syntax_glue_build *defs_build; /* its definitions being read on a worker */
    uint64_t defs_build_for; /* the edit_count that job reads */
    bool defs_wanted;       /* asked for while no job could start: waiting (the queue takes
                             * waiting documents in the open-document table's order) */
    unsigned unclosed;      /* context.c: brackets still to close (PROV_UNCLOSED_*), a whole- */
    uint64_t unclosed_seen; /* document scan kept for this edit_count (0: none) */
};

struct docstore *docstore_new(size_t max_doc_bytes);
/* Frees every document. */
void docstore_free(struct docstore *ds);

/* Open (or re-open, replacing) a document. Returns 0, or US_ETOOBIG when the text exceeds the
 * cap (the document is then not stored). Strings are copied. */
int docstore_open(struct docstore *ds, const char *uri, const char *language_id, int64_t version,
                  const char *text, size_t len);
/* Borrowed pointer to the document, or NULL. */
struct doc *docstore_get(struct docstore *ds, const char *uri);
/* Returns 0 or US_ENOENT. */
int docstore_close(struct docstore *ds, const char *uri);
size_t docstore_count(const struct docstore *ds);
/* Iterate: call fn for each document (do not open/close inside). */
void docstore_each(struct docstore *ds, void (*fn)(struct doc *d, void *ud), void *ud);

/* One change of a didChange: has_range false means the whole text is replaced. Applying
 * validates first, so a failed change leaves the document untouched. Returns 0, US_ETOOBIG
 * (result would exceed the cap). */
int doc_apply_change(struct docstore *ds, struct doc *d, bool has_range, struct lsp_pos start,
                     struct lsp_pos end, const char *text, size_t len, enum pos_encoding enc);

/* The document's line index (borrowed; valid until the next change), built if need be. */
const struct line_index *doc_lines(struct doc *d);

/* The document's syntax, reparsed first if edits made it stale; NULL without a grammar.
 * A document whose reparse is slow (a big file) is reparsed on a worker thread instead, when
 * the store has a loop: until it is back, the answer is the previous tree with the edits
 * applied (positions shifted, the newest few characters not yet in it), so typing never waits
 * for the parser. */
struct syn_doc *doc_syntax(struct doc *d);
/* The same, but always the tree of the current text (parsed in place if need be): for the
 * syntaxTree request, whose callers compare trees. */
struct syn_doc *doc_syntax_current(struct doc *d);
/* Let the store reparse big documents and build first trees on the loop's worker threads. */
void docstore_set_loop(struct docstore *ds, uv_loop_t *loop);

/* The document's definitions that other documents' completions read (functions, methods,
 * classes, types, fields; syntax_glue_definitions), sorted by name, one per name (borrowed;
 * valid until the next change), computed once per version: other documents are read on every
 * completion, edited rarely. A tree parsed only for them is dropped again at once (it does
 * not count among DOC_MAX_TREES). */
const struct syn_def *doc_definitions(struct doc *d, size_t *n);

#endif
