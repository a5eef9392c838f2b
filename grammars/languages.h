/* languages: the table of languages Understudy knows: which LSP languageIds and file extensions
 * map to which tree-sitter grammar, our embedded queries, keywords and comment token.
 * Boundary: the table is static data: every pointer it hands out is borrowed and lives as
 * long as the process. */
#ifndef US_LANGUAGES_H
#define US_LANGUAGES_H

#include <stdbool.h>
#include <stddef.h>

#include <tree_sitter/api.h>

/* One row of the table. Static data: every pointer is borrowed and lives for the whole
 * program. */
struct lang_info {
    const char *name;               /* canonical name, also the languageId we answer with */
    const char *const *ids;         /* LSP languageIds, NULL-terminated ("shellscript", "sh") */
    const char *const *extensions;  /* file extensions without the dot, NULL-terminated */
    const char *query_dir;          /* folder under grammars/queries ("tsx" uses typescript) */
    const char *line_comment;       /* "//", "#", "--"; NULL when the language has none */
    const char *const *keywords;    /* for local keyword completion, NULL-terminated */
    /* Node types of comments and string literals, NULL-terminated: the same types the
     * comments.scm query captures, for callers that only hold a node (word collectors). */
    const char *const *comment_types;
    const char *const *string_types;
    /* Quote characters of string literals, for finding one still being typed on the cursor's
     * line (syntax_open.c); Rust's apostrophe is left out (lifetimes, `'a`). */
    const char *quotes;
    bool triple_quotes;             /* Python: a string may open with three quotes, over lines */
    bool indent_scopes;             /* scopes end by dedent (Python): a cursor on an indented
                                       line after a body's last statement is still inside */
    const TSLanguage *(*grammar)(void); /* NULL when built with -Dgrammars=false */
};

/* Lookups; NULL when unknown. ids and names compare case-sensitively (LSP ids are lower case);
 * extensions case-insensitively. lang_for_path looks at the extension of the last path
 * component; a few extension-less shell files (".bashrc", ".profile") are recognised too. */
const struct lang_info *lang_for_id(const char *language_id);
const struct lang_info *lang_for_path(const char *path);
const struct lang_info *lang_for_name(const char *name);
/* A document's language: from its LSP languageId, else from the extension of its URI or path
 * (editors send odd ids: "plaintext" for a .py scratch buffer). Either may be NULL. */
const struct lang_info *lang_for_document(const char *language_id, const char *uri);

/* The whole table, for tests and listings: *n receives the row count. */
const struct lang_info *lang_all(size_t *n);

/* The embedded text of one of our queries ("scopes", "definitions", "imports", "comments") for
 * a language; "" when the language has no such query. Borrowed, static. */
const char *lang_query_text(const struct lang_info *lang, const char *kind);

/* The grammar or NULL (no grammar compiled in). */
const TSLanguage *lang_grammar(const struct lang_info *lang);

#endif
