/* prompt: how models are asked for a completion. For chat APIs: a system prompt that makes the
 * model answer with only the text to insert, a user message with the cursor marked and the
 * context compacted, and the assistant prefill; for raw FIM servers: each family's tokens.
 * Boundary: contexts are borrowed; text is appended to caller-owned strbufs; returned
 * pointers are static or point into the borrowed context. */
#ifndef US_PROMPT_H
#define US_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base.h"
#include "provider.h"

/* The marker placed at the cursor in the user message. */
#define PROMPT_CURSOR "<CURSOR>"

/* Caps that keep the compact context compact. */
#define PROMPT_EXCERPT_MAX 1500 /* bytes per excerpt of another file */
#define PROMPT_EXCERPTS_MAX 4000 /* bytes for all excerpts */
#define PROMPT_NAMES_MAX 40

/* The system prompt (static storage). */
const char *prompt_system(void);

/* Append the user message for ctx (borrowed) to out: language and path, scope signature,
 * imports, names, excerpts, the shape instruction, then the code with PROMPT_CURSOR between
 * prefix and suffix inside <code> ... </code>. */
void prompt_user(const struct prov_context *ctx, struct strbuf *out);

/* The assistant prefill for APIs that continue a last assistant turn: the cursor line's text
 * before the cursor, with trailing whitespace removed (Anthropic rejects a prefill ending in
 * whitespace; post-processing drops the whitespace if the model repeats it). Sets *start to a
 * pointer into ctx->prefix (borrowed) and returns its length; 0 = no prefill (a blank line). */
size_t prompt_prefill(const struct prov_context *ctx, const char **start);

/* The cursor line's text before the cursor (borrowed pointer into ctx->prefix), whitespace
 * included. Returns its length. */
size_t prompt_current_line(const struct prov_context *ctx, const char **start);

/* A raw fill-in-the-middle prompt for a model whose family is known from its name (Qwen2.5-
 * Coder, CodeGemma, StarCoder/StarCoder2, Granite-code, StableCode, CodeLlama, DeepSeek-Coder,
 * Codestral). Appends the prompt to out and that family's stop strings to stops (a JSON array,
 * borrowed) and returns true; returns false (nothing appended) for an unknown family. */
bool prompt_fim_raw(const char *model, const struct prov_context *ctx, struct strbuf *out,
                    json_t *stops);

#endif
