/* symbols: completion candidates from tree-sitter: names visible at the cursor (nearest scope
 * first), members after `.`, `->`, `::` of types and objects defined in the open documents,
 * and the language's keywords; scored with the shared fuzzy rule. */
#ifndef US_LOCAL_SYMBOLS_H
#define US_LOCAL_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

#include "syntax.h"

enum sym_kind_out { SYM_NAME, SYM_MEMBER, SYM_KEYWORD };

/* Where a candidate comes from, nearest first: the engine weighs these against word nearness. */
enum sym_scope {
    SYM_SCOPE_LOCAL,     /* defined in the innermost scope around the cursor */
    SYM_SCOPE_PARAM,     /* a parameter of an enclosing function */
    SYM_SCOPE_OUTER,     /* defined in an enclosing scope further out (not the file level) */
    SYM_SCOPE_FILE,      /* a file-level definition */
    SYM_SCOPE_IMPORT,    /* a name brought in by an import */
    SYM_SCOPE_MEMBER,    /* a member of the receiver's type, this file */
    SYM_SCOPE_MEMBER_ELSEWHERE, /* a member of a type defined in another open file */
    SYM_SCOPE_KEYWORD,
};

struct sym_candidate {
    char *name;
    enum syn_kind kind;     /* meaningless for keywords */
    enum sym_kind_out what;
    enum sym_scope scope;
    int match;              /* fuzzy_score of the typed fragment against name */
    int score;              /* match plus a scope bonus: the order sym_complete returns */
};

struct sym_query {
    struct syn_doc *doc;             /* may be NULL (keywords only) */
    const struct syn_cursor *cursor; /* analysis at the cursor, may be NULL */
    uint32_t offset;                 /* cursor byte */
    const char *language;            /* lang_info name */
    const char *partial;             /* identifier typed before the cursor */
    struct syn_doc *const *others;   /* other open documents of the language (members) */
    size_t n_others;
    uint32_t last_edit_offset;       /* recent edits rank names defined near them higher */
    const char *text;                /* the document's text (borrowed; may be NULL): finds the
                                        type of a receiver declared with a type of another file */
    size_t text_len;
};

/* Candidates, best first, at most max; caller frees with sym_candidates_free. */
size_t sym_complete(const struct sym_query *q, struct sym_candidate **out, size_t max);
void sym_candidates_free(struct sym_candidate *c, size_t n);

#endif
