/* snippet: VS Code / TextMate snippets: parse the JSON files (bundled defaults, user folders,
 * snippet packages), look them up by typed prefix, and render a body for LSP or as plain text. */
#ifndef US_LOCAL_SNIPPET_H
#define US_LOCAL_SNIPPET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base.h"

/* ------------------------------------------------------------------ variables */

/* What the variables of a snippet resolve from. Every pointer is borrowed and may be NULL
 * (then the variable is empty, and its default is used). See snipvars.c for the list. */
struct snip_env {
    const char *language;         /* LSP languageId: picks LINE_COMMENT & co */
    const char *path;             /* absolute file path of the document */
    const char *workspace_folder; /* absolute path of the workspace root */
    const char *current_line;     /* text of the cursor's line (without newline) */
    const char *current_word;     /* word at the cursor */
    const char *selected_text;
    const char *clipboard;        /* servers cannot read it: normally NULL (empty) */
    const char *indent;           /* prepended to every body line after the first */
    uint32_t line;                /* 0-based line of the cursor */
    time_t now;                   /* 0 = time(NULL); fixed values make tests repeatable */
    uint64_t seed;                /* 0 = from the clock; for RANDOM, RANDOM_HEX, UUID */
};

/* Value of a known variable into out (appended). Returns 0, or US_ENOENT for names VS Code does
 * not know (out untouched). Known variables that are empty append nothing and return 0. */
int snip_var_resolve(const char *name, const struct snip_env *env, struct strbuf *out);

/* Comment tokens of a language (borrowed static strings; "" when the language has none). */
void snip_comment_tokens(const char *language, const char **line, const char **block_start,
                         const char **block_end);

/* ------------------------------------------------------------------ rendering */

enum snip_mode {
    SNIP_LSP,   /* InsertTextFormat.Snippet: variables resolved, tabstops kept, text escaped */
    SNIP_PLAIN, /* for clients without snippetSupport: every tabstop replaced by its default */
};

/* Parse and render one body (snippet syntax, lines joined by '\n'). Appends to out.
 * For SNIP_PLAIN, *cursor (may be NULL) gets the byte offset in the rendered text (relative to
 * the start of what was appended) where the editor cursor should go: the first tabstop ($1 or
 * the lowest above 0), else $0, else -1 (the end). For SNIP_LSP *cursor is set to -1.
 * Malformed constructs are kept as literal text, as VS Code does; this never fails.
 * Variables: known and non-empty -> the value (escaped for LSP); known but empty -> the default;
 * unknown -> a placeholder holding the default or the name (LSP), or that text (plain).
 * Transforms ${VAR/regex/format/flags} are applied with POSIX regex after translating the
 * JavaScript regex (\d, \w, \s, (?:), lazy quantifiers made greedy; flags g and i); format
 * supports $n, ${n}, ${n:/upcase|/downcase|/capitalize|/camelcase|/pascalcase}, ${n:+if},
 * ${n:?if:else}, ${n:-else}, ${n:else}. A regex outside that subset (lookaround, named groups)
 * leaves the value unchanged. Tabstop transforms are passed through for LSP clients and applied
 * to the mirrored default in plain text. */
void snip_render(const char *body, const struct snip_env *env, enum snip_mode mode,
                 struct strbuf *out, long *cursor);

/* Check a body's syntax strictly: 0 when every `$` construct is well formed, US_EPARSE
 * otherwise (with *where, if non-NULL, the byte offset of the first bad one). Used by tests
 * and by the loader's warnings; rendering is lenient either way. */
int snip_check(const char *body, size_t *where);

/* ------------------------------------------------------------------ library */

struct snip_lib;

/* One snippet as loaded; strings owned by the library, valid until snip_lib_free. */
struct snip_info {
    const char *name;        /* the JSON key */
    const char *const *prefixes;
    size_t n_prefixes;
    const char *body;        /* lines joined with '\n' */
    const char *description; /* may be "" */
    const char *origin;      /* "builtin", or the file it came from */
};

struct snip_lib *snip_lib_new(void);
void snip_lib_free(struct snip_lib *lib);

/* Load the bundled snippets compiled into the binary. Returns the number loaded (>= 0). */
int snip_lib_load_builtin(struct snip_lib *lib);

/* Load one snippet JSON document (text borrowed). language: the file's language ("python" for
 * python.json), or NULL for a global file (*.code-snippets), where each snippet's "scope"
 * ("c,cpp") decides and a missing scope means every language. A snippet with a scope uses it
 * in both cases. origin (copied) names the source in snip_info. Returns the number of snippets
 * loaded, or US_EPARSE for bad JSON (then nothing is loaded); entries without prefix or body
 * are skipped. */
int snip_lib_load_json(struct snip_lib *lib, const char *text, size_t len, const char *language,
                       const char *origin);

/* Load a file; language from its name (python.json -> python; *.code-snippets -> global).
 * Returns the count, US_EIO when unreadable, US_EPARSE for bad JSON, US_ETOOBIG over 4 MiB. */
int snip_lib_load_file(struct snip_lib *lib, const char *path, const char *language);

/* Load a folder: a VS Code snippet package (package.json with contributes.snippets, a list of
 * {language, path}; language may be a string or a list), else every *.json (language from the
 * name) and *.code-snippets (global) directly inside it, plus a "snippets" subfolder. Returns
 * the total loaded, or US_ENOENT / US_EIO when the folder cannot be read. Files that fail to
 * parse are logged and skipped. */
int snip_lib_load_dir(struct snip_lib *lib, const char *dir);

size_t snip_lib_count(const struct snip_lib *lib);

/* One lookup result. info is borrowed from the library. */
struct snip_match {
    const struct snip_info *info;
    const char *prefix; /* which of info->prefixes matched (borrowed) */
    int score;          /* fuzzy_score of the typed text against prefix */
};

/* Snippets usable in `language` (its own, its family's: typescriptreact also sees typescript,
 * and global ones) whose prefix matches `typed` (fuzzy; an empty typed matches all), best first,
 * at most max. Returns the number written to out. Cost: one pass over that language's list. */
size_t snip_lib_lookup(const struct snip_lib *lib, const char *language, const char *typed,
                       struct snip_match *out, size_t max);

/* Every snippet of a language (for listing), in load order; returns count written. */
size_t snip_lib_list(const struct snip_lib *lib, const char *language,
                     const struct snip_info **out, size_t max);

#endif
