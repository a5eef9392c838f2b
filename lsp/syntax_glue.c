/* syntax_glue: documents <-> grammars/syntax. Until the grammars floor lands, no language has
 * a grammar, so every document is plain text. */
#include "syntax_glue.h"

#include <stdlib.h>

struct syn_doc *syntax_glue_open(const char *language_id, const char *uri, const char *text,
                                 size_t len)
{
    return NULL;
}

void syntax_glue_free(struct syn_doc *syn)
{
}

char *syntax_glue_sexp(struct syn_doc *syn)
{
    return NULL;
}

void syntax_glue_edit_begin(struct syntax_glue_edit *e, const struct line_index *old_lines,
                            const char *old_text, size_t start, size_t old_end)
{
    e->start_byte = start;
    e->old_end_byte = old_end;
    pos_ts_point(old_lines, old_text, start, &e->start_row, &e->start_col);
    pos_ts_point(old_lines, old_text, old_end, &e->old_end_row, &e->old_end_col);
}

void syntax_glue_edit_end(struct syn_doc *syn, const struct syntax_glue_edit *e,
                          const struct line_index *new_lines, const char *new_text,
                          size_t new_len, size_t new_end)
{
}
