/* syntax: one parsed document (tree-sitter tree kept in step with edits, reparsed incrementally)
 * and what our queries say about it: scopes, definitions, imports, and the cursor's situation.
 * Boundary: a syn_doc owns a copy of its text and its tree (syn_doc_free); texts passed in are
 * borrowed; arrays, cursors and strings handed out are the caller's unless marked borrowed (the
 * matching _free or _release). */
#ifndef US_SYNTAX_H
#define US_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "languages.h"

/* Caps that keep the event loop responsive on pathological input. A document over
 * SYN_MAX_BYTES, or with a line longer than SYN_MAX_LINE, gets no tree (plain text: analysis
 * still reports the textual situation, but no scopes or names). A reparse that runs longer
 * than the budget (SYN_PARSE_BUDGET_US; ten times that for a first parse) is abandoned: the
 * document keeps its previous, edited tree (or none), and the next attempts are spaced out
 * (skipping 1, 2, 4 ... 64 reparse calls) so that typing in such a file stays cheap. */
#define SYN_MAX_BYTES (4u * 1024 * 1024)
#define SYN_MAX_LINE (64u * 1024)
#define SYN_PARSE_BUDGET_US 50000

/* Change the reparse budget for the whole process (0 restores the default). Tests that
 * compare trees raise it so a busy machine cannot make a parse give up. */
void syn_set_parse_budget_us(uint64_t us);

struct syn_doc;

/* A position as tree-sitter counts it: 0-based row and byte column within the row. */
struct syn_point {
    uint32_t row;
    uint32_t column;
};

/* One text edit, in bytes of the old text (start, old_end) and of the new text (new_end). */
struct syn_edit {
    uint32_t start_byte, old_end_byte, new_end_byte;
    struct syn_point start, old_end, new_end;
};

/* Parse text (borrowed; the document keeps its own copy). lang NULL or without grammar gives a
 * document without syntax (every query answers empty). Never NULL. Caller frees with
 * syn_doc_free. */
struct syn_doc *syn_doc_new(const struct lang_info *lang, const char *text, size_t len);
void syn_doc_free(struct syn_doc *doc);

/* Incremental update: report each edit with syn_doc_edit (ts_tree_edit on the old tree), then
 * call syn_doc_reparse once with the complete new text (borrowed, copied). Several edits may
 * precede one reparse. Returns 0, or US_ETOOBIG when the new text is over a cap (the document
 * is then without tree) or the parse ran out of time (see the caps above). */
void syn_doc_edit(struct syn_doc *doc, const struct syn_edit *edit);
int syn_doc_reparse(struct syn_doc *doc, const char *text, size_t len);

/* Background reparse, for documents whose reparse would hold up the event loop. begin hands
 * the new text to the document (questions are then answered from the edited previous tree, a
 * close approximation) and returns a job, or NULL when the document cannot be reparsed in the
 * background (no tree, a job already out, over a cap, backing off): reparse in place then.
 * run does the parse on any thread; end, back on the document's thread, installs the tree when
 * no edit came in between and returns whether it did. Freeing the document while a job is out
 * is allowed: end then installs nothing. A syn_doc_reparse while a job is out parses with a
 * parser of its own and makes the job's result void. */
struct syn_parse_job;
/* Edits came in while a job is out: hand the document their text without parsing, so that
 * the edited tree and the text it is read with agree until a reparse catches up. */
void syn_doc_set_text(struct syn_doc *doc, const char *text, size_t len);
struct syn_parse_job *syn_doc_reparse_begin(struct syn_doc *doc, const char *text, size_t len);
void syn_parse_job_run(struct syn_parse_job *job);
bool syn_doc_reparse_end(struct syn_parse_job *job);
/* After end: frees the job and the trees it holds (the one replaced included). Any thread:
 * freeing a big tree takes milliseconds, better spent off the loop. */
void syn_parse_job_free(struct syn_parse_job *job);
/* True when a parse of the document has been slow enough (SYN_BACKGROUND_PARSE_US, on a
 * document of at least SYN_BACKGROUND_MIN_BYTES) that its reparses should leave the loop.
 * Small documents always parse in place, so what is typed is in the tree at once. */
#define SYN_BACKGROUND_PARSE_US 4000
#define SYN_BACKGROUND_MIN_BYTES (128u * 1024)
bool syn_doc_reparse_is_slow(const struct syn_doc *doc);

/* The language (borrowed, static) or NULL. */
const struct lang_info *syn_doc_lang(const struct syn_doc *doc);
/* True when the document currently has a tree. */
bool syn_doc_has_tree(const struct syn_doc *doc);
/* True when the tree contains ERROR or MISSING nodes (false without tree). */
bool syn_doc_has_error(const struct syn_doc *doc);
/* The tree as an s-expression; caller frees with free(). NULL without tree. */
char *syn_doc_sexp(const struct syn_doc *doc);

/* ---------------------------------------------------------------- analysis */

enum syn_kind {
    SYN_KIND_FUNCTION,
    SYN_KIND_METHOD,
    SYN_KIND_CLASS,  /* class, struct, interface, trait, module, impl block */
    SYN_KIND_TYPE,   /* typedef, type alias, enum */
    SYN_KIND_VAR,
    SYN_KIND_PARAMETER,
    SYN_KIND_FIELD,
    SYN_KIND_IMPORT, /* a name brought in by an import */
    SYN_KIND_BLOCK,  /* scopes only: a braced block, loop, lambda ... */
};
/* "function", "method", ... ; static. */
const char *syn_kind_name(enum syn_kind kind);

/* A definition. name is owned by whoever owns the array that holds it. */
struct syn_def {
    char *name;
    enum syn_kind kind;
    uint32_t start_byte, end_byte; /* the whole defining node (function, class, declarator) */
    uint32_t name_byte;            /* where the name itself starts */
};

/* Every definition of the document in text order (for the workspace symbol index). *out is
 * an array the caller frees with syn_defs_free; *n its length. Empty without tree. */
void syn_doc_definitions(struct syn_doc *doc, struct syn_def **out, size_t *n);
void syn_defs_free(struct syn_def *defs, size_t n);

/* Members (fields and methods) of a class, struct or object defined in this document, for
 * completion after `receiver.`. receiver may be a type name ("Point"), "self"/"this"/"@"
 * (resolved to the class enclosing byte), or a variable whose declaration names a class of this
 * document (`p = Point(...)`, `Point p;`) or holds an object literal. Same ownership as
 * syn_doc_definitions; empty when nothing is known. */
void syn_doc_members(struct syn_doc *doc, uint32_t byte, const char *receiver,
                     struct syn_def **out, size_t *n);

enum syn_situation {
    SYN_SIT_CODE,
    SYN_SIT_LINE_START, /* only whitespace before the cursor on its line */
    SYN_SIT_MEMBER,     /* right after `.`, `->`, `::` (possibly a partial name after it) */
    SYN_SIT_COMMENT,
    SYN_SIT_STRING,
};

/* Finish the line, or write a block (cursor after `{`, a `:` ending a Python header, `do`,
 * `then`, or a function signature). */
enum syn_shape { SYN_SHAPE_LINE, SYN_SHAPE_BLOCK };

struct syn_scope {
    enum syn_kind kind;  /* FUNCTION, METHOD, CLASS or BLOCK */
    char *name;          /* "" for anonymous scopes (blocks, lambdas) */
    char *header;        /* one line, e.g. "def area(self, r):" or "int add(int a, int b)" */
    uint32_t start_byte, end_byte;
};

struct syn_name {
    char *name;
    enum syn_kind kind;
    uint32_t depth; /* index into scopes of the scope defining it; n_scopes = file level */
};

/* What the cursor sees. Filled by syn_doc_analyze; every string and array is owned by the
 * struct and released by syn_cursor_release. */
struct syn_cursor {
    enum syn_situation situation;
    bool unclosed;             /* the comment or string the cursor is in has no end yet: it is
                                  being typed (the tree shows errors there, syntax_open.c) */
    char *receiver;            /* SYN_SIT_MEMBER: text left of the operator ("self.pos"); else NULL */
    char *partial;             /* identifier characters typed right before the cursor ("" if none) */
    enum syn_shape shape;
    struct syn_scope *scopes;  /* enclosing scopes, innermost first */
    size_t n_scopes;
    struct syn_name *names;    /* visible names, nearest scope first, each name once */
    size_t n_names;
    char *imports;             /* the file's import statements joined by '\n'; NULL if none */
    size_t n_imports;
};

/* Analyse the cursor at byte offset (clamped to the text; need not be on a char boundary).
 * Names visible: parameters of enclosing functions, locals of enclosing scopes defined before
 * the cursor, definitions of the file level and imported names; locals of other functions are
 * out. Works without a tree too (situation and shape from the text, no scopes or names).
 * Returns 0; out must be released with syn_cursor_release. */
int syn_doc_analyze(struct syn_doc *doc, uint32_t byte, struct syn_cursor *out);
void syn_cursor_release(struct syn_cursor *cur);

/* How the document kept its query results up to date since it was created: full passes over
 * the tree, incremental updates after a reparse (queries re-run only around the change), and
 * the bytes those updates re-queried. For tests and benchmarks. */
struct syn_stats {
    uint64_t full_builds;
    uint64_t incremental_updates;
    uint64_t requeried_bytes;
    uint64_t background_reparses; /* trees installed by background jobs */
};
void syn_doc_stats(const struct syn_doc *doc, struct syn_stats *out);
/* Forget the query results so that the next question rebuilds them from the tree in one
 * full pass (tests compare that with the incremental updates). */
void syn_doc_drop_index(struct syn_doc *doc);

/* Compile a language's queries now. Thread-safe, unlike everything else here: the server calls
 * it on a worker thread when a document of the language opens, so the first completion does
 * not stall the loop (a big grammar's queries take up to a second to compile). */
void syn_lang_warm(const struct lang_info *lang);

/* Compile a language's queries (cached process-wide). Returns 0, or US_EINVAL and writes a
 * message naming the query file and byte offset into err (may be NULL). For tests. */
int syn_lang_check_queries(const struct lang_info *lang, char *err, size_t err_len);

#endif
