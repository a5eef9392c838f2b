/* syntax_int: what the parts of grammars/syntax behind the public syntax.h share: the document,
 * its query records and index, the compiled queries, and the internal (syn__) functions.
 * Included only by grammars/syntax*.c; nothing outside grammars/ may see these types.
 *
 * The parts, one seam each:
 *   syntax.c         the document: text, tree, parse/edit/reparse with caps, background job
 *   syntax_query.c   compiling our queries (process-wide cache) and running them
 *   syntax_index.c   raw query records kept in step with edits, and the derived index
 *   syntax_cursor.c  cursor analysis (situation, shape, scopes, names, imports)
 *   syntax_defs.c    definitions and members
 * Ownership: a struct syn_doc owns its text, tree, parser (unless a job has it on loan) and
 * both indexes; the functions below borrow the document and never keep pointers into it. */
#ifndef US_SYNTAX_INT_H
#define US_SYNTAX_INT_H

#include <ctype.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <tree_sitter/api.h>

#include "syntax.h"

/* ---------------------------------------------------------------- queries (syntax_query.c) */

enum { Q_SCOPES, Q_DEFS, Q_IMPORTS, Q_COMMENTS, Q_COUNT };

/* What a capture name means to us. Definition kinds are ROLE_DEF + kind, scope kinds
 * ROLE_SCOPE + kind; names starting with '_' only feed predicates. */
enum {
    ROLE_OTHER,
    ROLE_NAME,
    ROLE_BODY,
    ROLE_IMPORT,
    ROLE_COMMENT,
    ROLE_STRING,
    ROLE_DEF = 100,
    ROLE_SCOPE = 200,
};

/* A compiled query; owned by the process-wide cache, never freed. */
struct cquery {
    TSQuery *q;
    int *roles;       /* per capture id */
    regex_t *re;      /* per string id, compiled on first use */
    signed char *re_state; /* 0 untried, 1 ok, -1 bad pattern */
    uint32_t n_strings;
};

/* ---------------------------------------------------------------- the document (syntax.c) */

/* Every record keeps the span of the query match it came from (all its captures): a record
 * is exactly as stale as its match, so edits and re-queries select records by span. */
struct scope_rec {
    enum syn_kind kind;
    uint32_t start, end, name_s, name_e, body_s, body_e; /* body_e == 0: no body */
    uint32_t span_s, span_e;
    int parent;
    bool dropped;
};

struct def_rec {
    enum syn_kind kind;
    uint32_t start, end, name_s, name_e;
    uint32_t span_s, span_e;
    int owner; /* scope index, -1 = file level */
};

struct imp_rec {
    uint32_t start, end;
    uint32_t span_s, span_e;
};

struct range {
    uint32_t start, end;
};

/* Used twice: the raw query results (sorted, duplicates kept) and the derived index. */
struct index {
    bool valid;
    struct scope_rec *scopes;
    size_t n_scopes, cap_scopes;
    struct def_rec *defs;
    size_t n_defs, cap_defs;
    struct imp_rec *imports;
    size_t n_imports, cap_imports;
};

/* Edited regions since the last parse, in current coordinates; more than this many (a
 * burst of edits without reparse) and the raw records are rebuilt from scratch. */
#define SYN_MAX_DIRTY 64

struct syn_doc {
    const struct lang_info *lang;
    TSParser *parser;
    TSTree *tree;
    char *text;
    size_t len;
    unsigned skip;    /* reparse calls to skip after a timed-out parse */
    unsigned backoff; /* current spacing of retries */
    struct index raw; /* query results for tree, kept in step with edits once built */
    struct index idx; /* derived from raw on the first question after a change */
    struct range dirty[SYN_MAX_DIRTY];
    size_t n_dirty;
    struct syn_stats stats;
    /* A background reparse borrows the parser while this is set (nobody else may use it). */
    struct syn_parse_job *job;
    uint64_t edits;         /* bumped by every edit: tells a finished job whether it still fits */
    /* A parse of this document once took SYN_BACKGROUND_PARSE_US or more. Sticky: reparse
     * times of one file scatter widely (a few ms to tens), and a fast one says little about
     * the next. */
    bool parses_slowly;
};

/* Matches of query `which` (Q_*) over [from, to) of doc's tree (everything when to <= from),
 * predicates applied, each handed to fn. Nothing without tree or query. doc may be a view (a
 * tree and text not installed yet: the background job's). */
typedef void (*match_fn)(struct syn_doc *doc, const struct cquery *cq, const TSQueryMatch *m,
                         void *ud);
void syn__run_query(struct syn_doc *doc, int which, uint32_t from, uint32_t to, match_fn fn,
                    void *ud);

/* ---------------------------------------------------------------- records (syntax_index.c) */

void syn__index_clear(struct index *ix);   /* empty and invalid; keeps the arrays */
void syn__index_release(struct index *ix); /* frees the arrays */
/* Derive doc->idx from the raw records (building those first if needed); no-op when valid. */
void syn__build_index(struct syn_doc *doc);
/* Keep the raw records in step with an edit (before the reparse). */
void syn__raw_edit(struct syn_doc *doc, const struct syn_edit *e);
/* After an incremental parse (doc->tree is `fresh`), re-query around what changed. */
void syn__raw_update(struct syn_doc *doc, TSTree *old, TSTree *fresh, size_t n_dirty);
/* Every record of the document, sorted, into recs (cleared first). doc may be a view. */
void syn__collect_whole(struct syn_doc *doc, struct index *recs);
/* The byte ranges to query again after an incremental parse. Takes `changed`. Returns the
 * count (*out freed by the caller), or SIZE_MAX when too much changed. Pure: any thread. */
size_t syn__requery_ranges(TSTree *old, TSTree *fresh, const struct range *dirty,
                           size_t n_dirty, TSRange *changed, uint32_t n_changed, size_t len,
                           struct range **out, uint64_t *total_out);
/* The records the queries find within the ranges, sorted, into recs (caller releases). */
void syn__requery(struct syn_doc *doc, const struct range *all, size_t n, struct index *recs);
/* Replace what raw said about the ranges with recs (released). */
void syn__apply_requery(struct index *raw, const struct range *all, size_t n,
                        struct index *recs);

/* ---------------------------------------------------------------- text (syntax_cursor.c) */

/* Does the scope hold byte b (a Python body also holds the indented blank space after it)? */
bool syn__scope_contains(const struct syn_doc *doc, const struct scope_rec *s, uint32_t b);

/* What the user is in the middle of writing (syntax_open.c): the grammars need a comment's or
 * a string's end to see one, so one still being typed reads as errors or code. Each is
 * checked only where the tree has errors. A block comment opened before b and not closed: */
bool syn__open_comment(struct syn_doc *doc, TSNode root, uint32_t b);
/* A string opened before b and not closed: on b's line, or a Python triple-quoted one. */
bool syn__open_string(struct syn_doc *doc, TSNode root, uint32_t b);

/* Is s one of the NULL-terminated list's strings (node types of a language)? */
static inline bool syn__in_list(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

static inline bool syn__is_ident(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static inline uint32_t syn__line_start(const struct syn_doc *doc, uint32_t b)
{
    while (b > 0 && doc->text[b - 1] != '\n')
        b--;
    return b;
}

static inline uint32_t syn__line_end(const struct syn_doc *doc, uint32_t b)
{
    const char *nl = memchr(doc->text + b, '\n', doc->len - b);
    return nl ? (uint32_t)(nl - doc->text) : (uint32_t)doc->len;
}

#endif
