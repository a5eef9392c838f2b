/* lines_int: what the n-gram model (lines.c) shares with its longest-match rule (longmatch.c):
 * the special token ids and the vocabulary. Internal to providers/local/lines. */
#ifndef US_LOCAL_LINES_INT_H
#define US_LOCAL_LINES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "line_rules.h"

/* ID_DEDENT..ID_INDENT: how a line's indentation compares with the line above; ID_LS_*: markers
 * of the line-start contexts (see count_start). */
enum { ID_UNK, ID_BOL, ID_EOL, ID_EMPTY, ID_START, ID_DEDENT, ID_SAME, ID_INDENT, ID_LS_A,
       ID_LS_B, ID_LS_C, ID_LS_D, ID_LS_E, ID_FIRST };

/* How a line's indentation compares with the nearest line above (prev_blank: a blank line
 * came between, which the stream marks instead). */
static inline uint32_t lines__indent_rel(bool prev_blank, size_t prev_indent, size_t indent)
{
    if (prev_blank)
        return ID_EMPTY;
    return indent > prev_indent ? ID_INDENT : indent < prev_indent ? ID_DEDENT : ID_SAME;
}

/* Id of a token (space: it had blanks before it); ID_UNK when never learned. s borrowed. */
uint32_t lines__token_id(struct lines *m, bool space, const char *s, size_t n);
/* Text of a token, with its leading space (borrowed from the model). */
const char *lines__token_text(const struct lines *m, uint32_t id, size_t *n);
/* May the suggestion start with this token: it completes the partial token part[0, part_n)
 * being typed, or follows the blank the prefix ends with. */
bool lines__first_ok(const struct lines *m, const struct line_cursor *qs, uint32_t id,
                     const char *part, size_t part_n, bool part_space);

#endif
