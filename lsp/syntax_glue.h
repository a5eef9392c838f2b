/* syntax_glue: keeps a document's tree-sitter tree in step with its edits, translating the
 * document's byte offsets into the points tree-sitter wants. The only lsp/ file that talks to
 * grammars/syntax.h for parsing. */
#ifndef US_SYNTAX_GLUE_H
#define US_SYNTAX_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "position.h"

struct syn_doc;
struct lang_info;

/* Parse a freshly opened document; NULL when the language has no grammar. Caller frees with
 * syntax_glue_free. */
struct syn_doc *syntax_glue_open(const char *language_id, const char *uri, const char *text,
                                 size_t len);
void syntax_glue_free(struct syn_doc *syn);
/* Compile the document language's queries on a libuv worker thread, once per language, so the
 * first completion does not stall the loop. */
void syntax_glue_warm(uv_loop_t *loop, const char *language_id, const char *uri);
/* The document's language with a grammar, from its id, else its file extension; NULL when
 * neither names one. The language a document's syntax gets. */
const struct lang_info *syntax_glue_lang(const char *language_id, const char *uri);
/* The tree as an s-expression (caller frees), or NULL without a tree. */
char *syntax_glue_sexp(struct syn_doc *syn);

/* An edit is described on the old text (begin) and completed on the new text (end). */
struct syntax_glue_edit {
    size_t start_byte, old_end_byte;
    uint32_t start_row, start_col, old_end_row, old_end_col;
};
void syntax_glue_edit_begin(struct syntax_glue_edit *e, const struct line_index *old_lines,
                            const char *old_text, size_t start, size_t old_end);
void syntax_glue_edit_end(struct syn_doc *syn, const struct syntax_glue_edit *e,
                          const struct line_index *new_lines, const char *new_text,
                          size_t new_len, size_t new_end);
/* Reparse after one or more edits (reusing the edited tree). */
void syntax_glue_reparse(struct syn_doc *syn, const char *text, size_t len);

/* The same on a libuv worker thread, for documents whose reparse is slow (see
 * syn_doc_reparse_is_slow): the loop goes on answering from the edited previous tree. done(ud,
 * installed) runs on the loop thread when the job is back; installed is false when edits came
 * in meanwhile (the tree is still behind). Returns NULL when the document cannot be reparsed in
 * the background; reparse in place then. */
struct syntax_glue_job;
struct syntax_glue_job *syntax_glue_reparse_background(uv_loop_t *loop, struct syn_doc *syn,
                                                       const char *text, size_t len,
                                                       void (*done)(void *ud, bool installed),
                                                       void *ud);
/* While a background reparse is out, later edits' text goes to the syntax this way. */
void syntax_glue_set_text(struct syn_doc *syn, const char *text, size_t len);
/* The owner of ud is going away: done will not be called. */
void syntax_glue_job_forget(struct syntax_glue_job *job);

#endif
