/* prompt: chat instructions and raw FIM templates (see prompt.h). */
#include "prompt.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *prompt_system(void)
{
    return "You are a code completion engine inside a code editor. You receive one file with "
           "the cursor marked " PROMPT_CURSOR ". Reply with exactly the text to insert at the "
           "cursor and nothing else: no explanations, no markdown code fences, and do not "
           "repeat the code before or after the cursor. Continue in the file's language, "
           "indentation and style. Stop where the requested piece of code ends. If nothing "
           "sensible fits, reply with an empty answer.";
}

size_t prompt_current_line(const struct prov_context *ctx, const char **start)
{
    const char *p = ctx->prefix ? ctx->prefix : "";
    size_t n = ctx->prefix ? ctx->prefix_len : 0;
    size_t i = n;
    while (i > 0 && p[i - 1] != '\n')
        i--;
    *start = p + i;
    return n - i;
}

size_t prompt_prefill(const struct prov_context *ctx, const char **start)
{
    size_t n = prompt_current_line(ctx, start);
    while (n > 0 && ((*start)[n - 1] == ' ' || (*start)[n - 1] == '\t' || (*start)[n - 1] == '\r'))
        n--;
    size_t k = 0;
    while (k < n && ((*start)[k] == ' ' || (*start)[k] == '\t'))
        k++;
    return k == n ? 0 : n;
}

/* Up to cap bytes of s, cut at a line end when there is one in the second half, never inside
 * a UTF-8 sequence. */
static size_t cut_len(const char *s, size_t len, size_t cap)
{
    if (len <= cap)
        return len;
    size_t n = cap;
    for (size_t i = cap; i > cap / 2; i--)
        if (s[i - 1] == '\n')
            return i;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static const char *shape_instruction(const struct prov_context *ctx, char *buf, size_t cap)
{
    int lines = ctx->max_lines > 0 ? ctx->max_lines : 12;
    if (ctx->shape == SYN_SHAPE_LINE)
        return "Finish the current line only (no newline after it).";
    snprintf(buf, cap,
             "Write the code that belongs at the cursor, up to the end of the enclosing block, "
             "at most %d lines.",
             lines);
    return buf;
}

void prompt_user(const struct prov_context *ctx, struct strbuf *out)
{
    char buf[200];
    if (ctx->language && *ctx->language)
        sb_addf(out, "Language: %s\n", ctx->language);
    if (ctx->path && *ctx->path)
        sb_addf(out, "File: %s\n", ctx->path);
    if (ctx->imports && *ctx->imports)
        sb_addf(out, "Imports:\n%s\n", ctx->imports);
    if (ctx->scope_signature && *ctx->scope_signature)
        sb_addf(out, "Enclosing scope: %s\n", ctx->scope_signature);
    if (ctx->n_names) {
        sb_adds(out, "Names in scope:");
        for (size_t i = 0; i < ctx->n_names && i < PROMPT_NAMES_MAX; i++)
            sb_addf(out, "%s %s", i ? "," : "", ctx->names[i]);
        sb_addc(out, '\n');
    }
    size_t budget = PROMPT_EXCERPTS_MAX;
    for (size_t i = 0; i < ctx->n_excerpts && budget > 0; i++) {
        const struct prov_excerpt *e = &ctx->excerpts[i];
        if (!e->text || !*e->text)
            continue;
        if (i == 0)
            sb_adds(out, "Related code from other files:\n");
        size_t n = cut_len(e->text, strlen(e->text), US_MIN((size_t)PROMPT_EXCERPT_MAX, budget));
        sb_addf(out, "<excerpt path=\"%s\">\n", e->path ? e->path : "?");
        sb_add(out, e->text, n);
        if (n && e->text[n - 1] != '\n')
            sb_addc(out, '\n');
        sb_adds(out, "</excerpt>\n");
        budget -= n;
    }
    switch (ctx->situation) {
    case SYN_SIT_COMMENT:
        sb_adds(out, "The cursor is inside a comment: continue the comment's text.\n");
        break;
    case SYN_SIT_STRING:
        sb_adds(out, "The cursor is inside a string literal.\n");
        break;
    case SYN_SIT_MEMBER:
        if (ctx->member_receiver)
            sb_addf(out, "The cursor follows a member access on `%s`.\n", ctx->member_receiver);
        break;
    default:
        break;
    }
    sb_addf(out, "%s Reply with only the text to insert at %s.\n",
            shape_instruction(ctx, buf, sizeof(buf)), PROMPT_CURSOR);
    sb_adds(out, "<code>\n");
    if (ctx->prefix)
        sb_add(out, ctx->prefix, ctx->prefix_len);
    sb_adds(out, PROMPT_CURSOR);
    if (ctx->suffix)
        sb_add(out, ctx->suffix, ctx->suffix_len);
    if (!ctx->suffix_len || ctx->suffix[ctx->suffix_len - 1] != '\n')
        sb_addc(out, '\n');
    sb_adds(out, "</code>");
}

/* ---------------------------------------------------------------- raw FIM */

struct fim_family {
    const char *const match[4]; /* any of these in the lower-cased model name */
    bool spm;                   /* suffix first (Codestral) */
    const char *pre, *suf, *mid;
    const char *const stops[10];
};

static const struct fim_family families[] = {
    {{"qwen2.5-coder", "qwen2.5_coder", "qwen3-coder", "codeqwen"},
     false,
     "<|fim_prefix|>",
     "<|fim_suffix|>",
     "<|fim_middle|>",
     {"<|endoftext|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<|im_start|>",
      "<|im_end|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"}},
    {{"codegemma"},
     false,
     "<|fim_prefix|>",
     "<|fim_suffix|>",
     "<|fim_middle|>",
     {"<|file_separator|>", "<end_of_turn>", "<eos>", "<|fim_prefix|>", "<|fim_suffix|>",
      "<|fim_middle|>"}},
    {{"starcoder", "stable-code", "stablecode", "granite-code"},
     false,
     "<fim_prefix>",
     "<fim_suffix>",
     "<fim_middle>",
     {"<|endoftext|>", "<file_sep>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>"}},
    {{"codellama", "code-llama"},
     false,
     "<PRE> ",
     " <SUF>",
     " <MID>",
     {"<EOT>", "<PRE>", "<SUF>", "<MID>"}},
    {{"deepseek-coder"},
     false,
     "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "begin\xEF\xBD\x9C>",
     "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "hole\xEF\xBD\x9C>",
     "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "end\xEF\xBD\x9C>",
     {"<\xEF\xBD\x9C" "end\xE2\x96\x81" "of\xE2\x96\x81" "sentence\xEF\xBD\x9C>",
      "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "begin\xEF\xBD\x9C>",
      "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "hole\xEF\xBD\x9C>",
      "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "end\xEF\xBD\x9C>"}},
    {{"codestral"}, true, "[PREFIX]", "[SUFFIX]", "", {"[PREFIX]", "[SUFFIX]"}},
};

bool prompt_fim_raw(const char *model, const struct prov_context *ctx, struct strbuf *out,
                    json_t *stops)
{
    if (!model)
        return false;
    char lower[128];
    size_t n = strlen(model);
    if (n >= sizeof(lower))
        n = sizeof(lower) - 1;
    for (size_t i = 0; i < n; i++)
        lower[i] = (char)(model[i] >= 'A' && model[i] <= 'Z' ? model[i] + 32 : model[i]);
    lower[n] = 0;
    for (size_t f = 0; f < US_ARRAY_LEN(families); f++) {
        const struct fim_family *fam = &families[f];
        bool hit = false;
        for (int m = 0; m < 4 && fam->match[m]; m++)
            hit |= strstr(lower, fam->match[m]) != NULL;
        if (!hit)
            continue;
        const char *pre = ctx->prefix ? ctx->prefix : "";
        const char *suf = ctx->suffix ? ctx->suffix : "";
        if (fam->spm) {
            sb_adds(out, fam->suf);
            sb_add(out, suf, ctx->suffix ? ctx->suffix_len : 0);
            sb_adds(out, fam->pre);
            sb_add(out, pre, ctx->prefix ? ctx->prefix_len : 0);
        } else {
            sb_adds(out, fam->pre);
            sb_add(out, pre, ctx->prefix ? ctx->prefix_len : 0);
            sb_adds(out, fam->suf);
            sb_add(out, suf, ctx->suffix ? ctx->suffix_len : 0);
            sb_adds(out, fam->mid);
        }
        for (int s = 0; s < 10 && fam->stops[s]; s++)
            json_array_append_new(stops, json_string(fam->stops[s]));
        return true;
    }
    return false;
}
