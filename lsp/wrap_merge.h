/* wrap_merge: wrap mode's merging, pure JSON in and out (no I/O, no state): the initialize
 * result and the completion list made of Understudy's answer and the wrapped server's.
 * Arguments are borrowed; results are new references the caller owns. */
#ifndef US_WRAP_MERGE_H
#define US_WRAP_MERGE_H

#include <stdbool.h>

#include <jansson.h>

#include "position.h"

/* The child's initialize result with Understudy's features added: inlineCompletionProvider,
 * completion trigger characters and executeCommand commands unioned, serverInfo when the child
 * has none. The child's position encoding is kept. A child result that is not an object counts
 * as {}. */
json_t *wrap_merge_init(json_t *child, json_t *local);

/* The position encoding an initialize result chose (capabilities.positionEncoding, else
 * clangd's offsetEncoding, else utf-16). *name (borrowed from result, or static) is the name it
 * gave; an encoding other than utf-8 or utf-16 gives POS_UTF16. */
enum pos_encoding wrap_merge_encoding(json_t *result, const char **name);

/* Understudy's popup answer and the child's (CompletionList or array; either may be NULL) as
 * one CompletionList: Understudy's AI item first, the child's items, then Understudy's local
 * items (sortText prefixed "!" and "~"), deduplicated by label (bullets and spaces trimmed) and
 * inserted text; isIncomplete when either side says so or the child timed out. */
json_t *wrap_merge_completion(json_t *child, json_t *local, bool child_timed_out);

/* Whether a completion item is an AI suggestion of Understudy's (data.source set and not
 * "local:..."). */
bool wrap_is_ai_item(json_t *item);

#endif
