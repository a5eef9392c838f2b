/* postprocess: turn a provider's raw answer into the text to insert at the cursor, for every
 * provider: markdown fences and prose out, echoes of the prefix and overlap with the suffix
 * trimmed, cut at the shape's boundary (line / block) and max_lines, trailing space trimmed.
 * Boundary: the raw answer and the context are borrowed; the cleaned text is a new string the
 * caller frees. */
#ifndef US_POSTPROCESS_H
#define US_POSTPROCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "provider.h"

/* Whether this provider answers through a chat prompt (prompt.h) rather than native or raw
 * fill-in-the-middle; chat answers get the prose/echo/indentation clean-ups FIM output must not
 * get (a FIM model's leading spaces are real indentation). */
bool pp_is_chat(const struct prov_config *cfg);

/* Whether the line s[0..n) (borrowed, no newline) opens or closes a markdown code fence:
 * ``` or ~~~ after at most three spaces, as CommonMark has it (four spaces make code, and a
 * fence-like line inside an indented answer is part of the answer). The stream's early cut
 * (adapter.c) and the clean-up here must agree on it. */
bool pp_is_fence(const char *s, size_t n);

/* Clean raw (borrowed, len bytes, any content) for insertion at ctx's cursor (borrowed).
 * chat: see pp_is_chat. Returns a new NUL-terminated string, possibly empty (caller frees);
 * stores its length in *out_len when out_len is not NULL. */
char *pp_clean(const struct prov_context *ctx, const char *raw, size_t len, bool chat,
               size_t *out_len);

#endif
