/* postprocess: clean provider answers (see postprocess.h). Each step works on the whole text;
 * the order matters: unwrap (fences, prose), then drop echoes, then cut, then trim. */
#include "postprocess.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prompt.h"

bool pp_is_chat(const struct prov_config *cfg)
{
    if (!cfg || !cfg->kind)
        return false;
    if (strcmp(cfg->kind, "openai-compatible") == 0)
        return !cfg->fim;
    return strcmp(cfg->kind, "anthropic") == 0 || strcmp(cfg->kind, "openai") == 0 ||
           strcmp(cfg->kind, "openrouter") == 0 || strcmp(cfg->kind, "gemini") == 0;
}

/* ---------------------------------------------------------------- small text helpers */

static bool is_hspace(char c)
{
    return c == ' ' || c == '\t';
}

/* Indentation width; a tab counts as 4 (mixed indentation is rare, and only the comparison
 * with the cursor line matters). */
static int indent_width(const char *s, size_t n)
{
    int w = 0;
    for (size_t i = 0; i < n && is_hspace(s[i]); i++)
        w += s[i] == '\t' ? 4 : 1;
    return w;
}

static size_t line_end(const char *s, size_t n, size_t from)
{
    const char *nl = memchr(s + from, '\n', n - from);
    return nl ? (size_t)(nl - s) : n;
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

/* s[0..n) without leading and trailing white space. */
static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s))
        (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static bool eq_trimmed(const char *a, size_t an, const char *b, size_t bn)
{
    trim(&a, &an);
    trim(&b, &bn);
    return an == bn && memcmp(a, b, an) == 0;
}

static void replace(struct strbuf *t, size_t from, size_t to)
{
    /* keep t[from..to) */
    memmove(t->data, t->data + from, to - from);
    t->len = to - from;
    t->data[t->len] = 0;
}

static bool starts_with_ci(const char *s, size_t n, const char *word)
{
    size_t k = strlen(word);
    return n >= k && strncasecmp(s, word, k) == 0;
}

static bool is_prose_language(const char *lang)
{
    static const char *const prose[] = {"markdown", "md", "mdx", "plaintext", "text", "rst",
                                        "restructuredtext", "asciidoc", NULL};
    for (int i = 0; lang && prose[i]; i++)
        if (strcasecmp(lang, prose[i]) == 0)
            return true;
    return false;
}

/* ---------------------------------------------------------------- unwrap */

bool pp_is_fence(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && i < 3 && s[i] == ' ')
        i++;
    return n - i >= 3 && (memcmp(s + i, "```", 3) == 0 || memcmp(s + i, "~~~", 3) == 0);
}

/* Keep the inside of the first fenced block: a sentence before it and notes after it go. */
static void strip_fences(struct strbuf *t)
{
    size_t pos = 0, open_end = SIZE_MAX;
    while (pos <= t->len) {
        size_t e = line_end(t->data, t->len, pos);
        if (pp_is_fence(t->data + pos, e - pos)) {
            open_end = e;
            break;
        }
        if (e >= t->len)
            break;
        pos = e + 1;
    }
    if (open_end == SIZE_MAX)
        return;
    size_t start = open_end < t->len ? open_end + 1 : t->len;
    size_t end = t->len;
    for (size_t p = start; p < t->len;) {
        size_t e = line_end(t->data, t->len, p);
        if (pp_is_fence(t->data + p, e - p)) {
            end = p;
            break;
        }
        p = e + 1;
    }
    replace(t, start, end);
}

/* A chat model's framing sentence ("Here is the completion:") on its own first line. */
static bool is_prose_intro(const char *s, size_t n)
{
    static const char *const starts[] = {"here is", "here's", "here are", "sure", "certainly",
                                         "of course", "okay", "ok,", "the completion",
                                         "the code", "the missing", "the rest", "completion:",
                                         "to complete", "this completes", NULL};
    const char *p = s;
    size_t k = n;
    trim(&p, &k);
    if (k == 0 || k > 160)
        return false;
    char last = p[k - 1];
    if (last != ':' && last != '.' && last != '!')
        return false;
    for (int i = 0; starts[i]; i++)
        if (starts_with_ci(p, k, starts[i]))
            return true;
    return false;
}

/* A trailing explanation after a blank line ("This function ...", "Note: ..."). */
static bool is_prose_outro(const char *s, size_t n)
{
    static const char *const starts[] = {"this ", "note:", "note that", "explanation",
                                         "the above", "i've ", "i have ", "this code", NULL};
    const char *p = s;
    size_t k = n;
    trim(&p, &k);
    for (int i = 0; starts[i]; i++)
        if (starts_with_ci(p, k, starts[i]))
            return true;
    return false;
}

static void strip_prose(struct strbuf *t)
{
    size_t e = line_end(t->data, t->len, 0);
    if (e < t->len && is_prose_intro(t->data, e)) {
        size_t p = e + 1;
        while (p < t->len && t->data[p] == '\n')
            p++;
        replace(t, p, t->len);
    }
    /* From a blank line followed by an explanation to the end. */
    for (size_t p = 0; p < t->len;) {
        size_t le = line_end(t->data, t->len, p);
        if (le > p && is_blank(t->data + p, le - p) == false && p >= 2 &&
            t->data[p - 1] == '\n' && t->data[p - 2] == '\n' && is_prose_outro(t->data + p, le - p)) {
            t->len = p;
            t->data[p] = 0;
            break;
        }
        p = le + 1;
    }
}

static void remove_all(struct strbuf *t, const char *needle)
{
    size_t k = strlen(needle);
    char *hit;
    while ((hit = strstr(t->data, needle)) != NULL) {
        memmove(hit, hit + k, t->len - (size_t)(hit - t->data) - k + 1);
        t->len -= k;
    }
}

/* ---------------------------------------------------------------- echoes of the prefix */

/* The model repeated the last lines before the cursor (up to 6), ending with the cursor
 * line's text; drop them. Compared line by line without surrounding white space, so a
 * re-indented echo is still found, and only when the repeated text is substantial. */
static bool drop_multiline_echo(struct strbuf *t, const struct prov_context *ctx)
{
    const char *pre = ctx->prefix ? ctx->prefix : "";
    size_t plen = ctx->prefix ? ctx->prefix_len : 0;
    /* Start offsets of the last lines of the prefix; the last one is the cursor line. */
    size_t starts[7];
    int nl = 0;
    size_t i = plen;
    while (nl < 7) {
        while (i > 0 && pre[i - 1] != '\n')
            i--;
        starts[nl++] = i;
        if (i == 0)
            break;
        i--;
    }
    /* starts[0] = cursor line, starts[1] = line above ... */
    for (int k = nl - 1; k >= 1; k--) {
        size_t tp = 0, weight = 0;
        bool ok = true;
        for (int j = k; j >= 1 && ok; j--) {
            size_t ls = starts[j], le = line_end(pre, plen, ls);
            size_t te = line_end(t->data, t->len, tp);
            if (te >= t->len || !eq_trimmed(pre + ls, le - ls, t->data + tp, te - tp)) {
                ok = false;
                break;
            }
            const char *w = pre + ls;
            size_t wn = le - ls;
            trim(&w, &wn);
            weight += wn;
            tp = te + 1;
        }
        if (!ok)
            continue;
        /* Then the cursor line's text (possibly re-indented) starts the next line. */
        const char *cur = pre + starts[0];
        size_t cn = plen - starts[0];
        size_t lead = 0;
        while (lead < cn && is_hspace(cur[lead]))
            lead++;
        size_t tl = tp;
        while (tl < t->len && is_hspace(t->data[tl]))
            tl++;
        if (cn - lead > t->len - tl || memcmp(t->data + tl, cur + lead, cn - lead) != 0)
            continue;
        if (weight + (cn - lead) < 8)
            continue;
        replace(t, tl + (cn - lead), t->len);
        return true;
    }
    return false;
}

static void drop_line_echo(struct strbuf *t, const struct prov_context *ctx)
{
    const char *cur;
    size_t cn = prompt_current_line(ctx, &cur);
    size_t lead = 0;
    while (lead < cn && is_hspace(cur[lead]))
        lead++;
    size_t body = cn - lead;
    /* Whole line with its indentation, or without it (the model dropped the indentation). */
    if (cn > 0 && body >= 2 && t->len >= cn && memcmp(t->data, cur, cn) == 0) {
        replace(t, cn, t->len);
        return;
    }
    size_t tl = 0;
    while (tl < t->len && is_hspace(t->data[tl]))
        tl++;
    if (body >= 2 && t->len - tl >= body && memcmp(t->data + tl, cur + lead, body) == 0) {
        replace(t, tl + body, t->len);
        return;
    }
    /* Partial word at the cursor retyped without trailing space differences: "return " vs
     * "return x" is handled above; here the cursor line ends in white space and the answer
     * repeats it as its own leading white space (prefill without trailing space). */
}

/* Leading white space a chat answer re-emits: after "return " the model writes " x"; at a
 * blank line's indentation it writes the indentation again. */
static void drop_leading_space(struct strbuf *t, const struct prov_context *ctx)
{
    const char *cur;
    size_t cn = prompt_current_line(ctx, &cur);
    if (cn == 0)
        return;
    bool all_ws = true;
    for (size_t i = 0; i < cn; i++)
        all_ws &= is_hspace(cur[i]);
    if (all_ws) {
        /* An answer for a blank line may open with newlines before the code. */
        size_t p = 0;
        while (p < t->len && (t->data[p] == '\n' || t->data[p] == '\r'))
            p++;
        if (p && p < t->len) {
            size_t q = p;
            while (q < t->len && is_hspace(t->data[q]))
                q++;
            if (q > p)
                replace(t, p, t->len);
        }
        if (t->len >= cn && memcmp(t->data, cur, cn) == 0)
            replace(t, cn, t->len);
        return;
    }
    if (is_hspace(cur[cn - 1])) {
        size_t p = 0;
        while (p < t->len && is_hspace(t->data[p]))
            p++;
        replace(t, p, t->len);
    }
}

/* ---------------------------------------------------------------- the suffix */

/* The first non-blank line of the suffix after the cursor's own line, with indentation. */
static bool suffix_next_line(const struct prov_context *ctx, const char **s, size_t *n)
{
    const char *suf = ctx->suffix ? ctx->suffix : "";
    size_t sl = ctx->suffix ? ctx->suffix_len : 0;
    size_t p = line_end(suf, sl, 0);
    while (p < sl) {
        size_t ls = p + 1, le = line_end(suf, sl, ls);
        if (ls < sl && !is_blank(suf + ls, le - ls)) {
            *s = suf + ls;
            *n = le - ls;
            while (*n && isspace((unsigned char)(*s)[*n - 1]))
                (*n)--;
            return true;
        }
        p = le;
    }
    return false;
}

/* The model went on to write what already follows the cursor: cut where the answer reaches
 * the suffix's next line (same text, same indentation). */
static void cut_at_suffix_line(struct strbuf *t, const struct prov_context *ctx)
{
    const char *L;
    size_t ln;
    if (!suffix_next_line(ctx, &L, &ln))
        return;
    const char *cur;
    size_t cn = prompt_current_line(ctx, &cur);
    for (size_t p = 0, idx = 0; p < t->len; idx++) {
        size_t e = line_end(t->data, t->len, p);
        size_t n = e - p;
        while (n && isspace((unsigned char)t->data[p + n - 1]))
            n--;
        bool hit;
        if (idx == 0) /* the first line continues the cursor line */
            hit = cn + n == ln && memcmp(L, cur, cn) == 0 && memcmp(L + cn, t->data, n) == 0;
        else
            hit = n == ln && memcmp(t->data + p, L, n) == 0;
        /* An empty line wrote nothing: on the first, the cursor line alone may equal L. */
        if (hit && n > 0) {
            t->len = idx == 0 ? 0 : p;
            t->data[t->len] = 0;
            return;
        }
        if (e >= t->len)
            break;
        p = e + 1;
    }
}

static bool is_closer(char c)
{
    return c == ')' || c == ']' || c == '}' || c == '"' || c == '\'' || c == '`' || c == ';' ||
           c == ',' || c == ':' || c == '>';
}

/* The answer ends with the start of the cursor line's remainder (")" when the editor already
 * closed the parenthesis): drop the overlap. Any overlap with the whole remainder counts; a
 * partial one only when it is closing punctuation, which models add out of habit. */
static void trim_suffix_overlap(struct strbuf *t, const struct prov_context *ctx)
{
    const char *suf = ctx->suffix ? ctx->suffix : "";
    size_t sl = ctx->suffix ? ctx->suffix_len : 0;
    size_t s1 = line_end(suf, sl, 0);
    while (s1 && isspace((unsigned char)suf[s1 - 1]))
        s1--;
    size_t lead = 0;
    while (lead < s1 && is_hspace(suf[lead]))
        lead++;
    const char *S = suf + lead;
    size_t sn = s1 - lead;
    if (sn == 0)
        return;
    size_t tn = t->len;
    while (tn && isspace((unsigned char)t->data[tn - 1]))
        tn--;
    for (size_t n = US_MIN(sn, tn); n > 0; n--) {
        if (memcmp(t->data + tn - n, S, n) != 0)
            continue;
        bool ok = n == sn;
        if (!ok) {
            ok = true;
            for (size_t i = 0; i < n; i++)
                ok &= is_closer(S[i]);
        }
        if (ok) {
            t->len = tn - n;
            t->data[t->len] = 0;
            return;
        }
    }
}

/* ---------------------------------------------------------------- shape */

static bool opens_block(const char *s, size_t n)
{
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 0)
        return false;
    char c = s[n - 1];
    if (c == '{' || c == '(' || c == '[' || c == ':')
        return true;
    static const char *const words[] = {" do", "then", "else", "=>", "->", NULL};
    for (int i = 0; words[i]; i++) {
        size_t k = strlen(words[i]);
        if (n >= k && memcmp(s + n - k, words[i], k) == 0)
            return true;
    }
    return false;
}

/* Keyword blocks whose header line ends with none of opens_block's marks: Lua's
 * `function f(x)`, Ruby's `def f(x)`, `class A`, `if x`..., the shell's `case x in`. */
static bool opens_keyword_block(const char *lang, const char *s, size_t n)
{
    const char *p = s;
    size_t k = n;
    trim(&p, &k);
    size_t w = 0;
    while (w < k && (isalnum((unsigned char)p[w]) || p[w] == '_'))
        w++;
    if (strcmp(lang, "lua") == 0) {
        /* `function f(x)`, `local function f(x)`, `x = function(a)` */
        for (size_t i = 0; i + 8 <= k; i++)
            if (memcmp(p + i, "function", 8) == 0 && (i == 0 || !isalnum((unsigned char)p[i - 1])) &&
                (i + 8 == k || !isalnum((unsigned char)p[i + 8])))
                return k && p[k - 1] == ')';
        return false;
    }
    if (strcmp(lang, "ruby") == 0) {
        static const char *const starts[] = {"def", "class", "module", "if", "unless", "while",
                                             "until", "case", "begin", "for", NULL};
        for (int i = 0; starts[i]; i++)
            if (w == strlen(starts[i]) && memcmp(p, starts[i], w) == 0)
                return true;
        /* `each do |x|` */
        return k && p[k - 1] == '|' && memchr(p, '|', k - 1) &&
               ((const char *)memchr(p, '|', k - 1) - p >= 3) &&
               memcmp((const char *)memchr(p, '|', k - 1) - 3, "do ", 3) == 0;
    }
    if (strcmp(lang, "shellscript") == 0)
        return w == 4 && memcmp(p, "case", 4) == 0 && k >= 3 && memcmp(p + k - 3, " in", 3) == 0;
    return false;
}

static bool starts_with_closer_line(const char *s, size_t n, const char **word)
{
    const char *p = s;
    size_t k = n;
    trim(&p, &k);
    static const char *const closers[] = {"}", ")", "]", "end", "fi", "done", "esac", NULL};
    for (int i = 0; closers[i]; i++) {
        size_t w = strlen(closers[i]);
        if (k >= w && memcmp(p, closers[i], w) == 0 &&
            (w == 1 || k == w || !isalnum((unsigned char)p[w]))) {
            *word = closers[i];
            return true;
        }
    }
    return false;
}

static unsigned closer_bit(const char *closer)
{
    switch (closer[0]) {
    case '}': return PROV_UNCLOSED_BRACE;
    case ')': return PROV_UNCLOSED_PAREN;
    case ']': return PROV_UNCLOSED_SQUARE;
    case 'e': return strcmp(closer, "end") == 0 ? PROV_UNCLOSED_END
                   : strcmp(closer, "esac") == 0 ? PROV_UNCLOSED_ESAC : 0;
    case 'f': return PROV_UNCLOSED_FI;
    case 'd': return PROV_UNCLOSED_DONE;
    default: return 0;
    }
}

static void cut_shape(struct strbuf *t, const struct prov_context *ctx)
{
    if (ctx->shape == SYN_SHAPE_LINE) {
        size_t e = line_end(t->data, t->len, 0);
        t->len = e;
        t->data[e] = 0;
        return;
    }
    const char *cur;
    size_t cn = prompt_current_line(ctx, &cur);
    int base = ctx->indent ? indent_width(ctx->indent, strlen(ctx->indent)) : indent_width(cur, cn);
    size_t e0 = line_end(t->data, t->len, 0);
    /* Does the cursor line (with the answer's first line) open a block? */
    struct strbuf first;
    sb_init(&first);
    sb_add(&first, cur, cn);
    sb_add(&first, t->data, e0);
    /* Only the cursor's own line counts: on a blank line the answer's first line may open a
     * nested block whose siblings still belong to the cursor's block, unless it is a lone
     * brace (a body for a header just above). */
    const char *l0 = t->data;
    size_t l0n = e0;
    trim(&l0, &l0n);
    bool opener = is_blank(cur, cn) ? (l0n == 1 && l0[0] == '{')
                                     : (opens_block(first.data, first.len) ||
                                        (ctx->language &&
                                         opens_keyword_block(ctx->language, first.data, first.len)));
    sb_release(&first);

    const char *L = NULL;
    size_t ln = 0;
    bool have_next = suffix_next_line(ctx, &L, &ln);
    /* At the top level nothing dedents: a blank line ends the piece instead. */
    bool top_level = base == 0 && !opener;
    bool seen_blank = false;
    for (size_t p = e0 + 1; p < t->len + 1 && e0 < t->len;) {
        size_t e = line_end(t->data, t->len, p);
        const char *s = t->data + p;
        size_t n = e - p;
        if (is_blank(s, n)) {
            seen_blank = true;
        } else {
            int ind = indent_width(s, n);
            const char *closer;
            if (top_level && seen_blank) {
                t->len = p;
                break;
            }
            if (ind < base || (opener && ind <= base)) {
                if (opener && ind == base && starts_with_closer_line(s, n, &closer)) {
                    /* Keep the closing line unless the suffix already has it. */
                    const char *ls = L;
                    size_t lk = ln;
                    if (have_next)
                        trim(&ls, &lk);
                    bool suffix_has = have_next && lk >= strlen(closer) &&
                                      memcmp(ls, closer, strlen(closer)) == 0;
                    const char *r = ctx->suffix ? ctx->suffix : "";
                    size_t rn = line_end(r, ctx->suffix ? ctx->suffix_len : 0, 0);
                    trim(&r, &rn);
                    suffix_has |= rn >= strlen(closer) && memcmp(r, closer, strlen(closer)) == 0;
                    /* ...and unless that closer belongs to an outer block: the file still
                     * needs one of its kind (the context's tree-sitter check). */
                    if (suffix_has && (ctx->unclosed & closer_bit(closer)))
                        suffix_has = false;
                    t->len = suffix_has ? p : e;
                } else if (!opener && ind < base && starts_with_closer_line(s, n, &closer) &&
                           (ctx->unclosed & closer_bit(closer)) &&
                           (!have_next || is_blank(L, ln) || indent_width(L, ln) < ind)) {
                    /* The answer closes the open block the cursor is in (the file needs that
                     * closer; what follows is less indented, an outer block's): keep it. */
                    t->len = e;
                } else {
                    t->len = p;
                }
                break;
            }
        }
        if (e >= t->len)
            break;
        p = e + 1;
    }
    t->data[t->len] = 0;
}

static void cap_lines(struct strbuf *t, int max_lines)
{
    if (max_lines <= 0)
        return;
    int lines = 1;
    for (size_t i = 0; i < t->len; i++)
        if (t->data[i] == '\n' && ++lines > max_lines) {
            t->len = i;
            t->data[i] = 0;
            return;
        }
}

static void trim_trailing(struct strbuf *t)
{
    size_t w = 0;
    for (size_t r = 0; r < t->len;) {
        size_t e = line_end(t->data, t->len, r);
        size_t n = e - r;
        while (n && (is_hspace(t->data[r + n - 1]) || t->data[r + n - 1] == '\r'))
            n--;
        memmove(t->data + w, t->data + r, n);
        w += n;
        if (e < t->len)
            t->data[w++] = '\n';
        r = e + 1;
    }
    while (w && isspace((unsigned char)t->data[w - 1]))
        w--;
    t->len = w;
    t->data[w] = 0;
}

char *pp_clean(const struct prov_context *ctx, const char *raw, size_t len, bool chat,
               size_t *out_len)
{
    struct strbuf t;
    sb_init(&t);
    if (raw)
        sb_add(&t, raw, len);
    /* Embedded NULs would silently truncate every string function below. */
    size_t nul = strlen(t.data);
    t.len = nul;

    bool prose_lang = is_prose_language(ctx->language);
    if (!prose_lang)
        strip_fences(&t);
    if (chat) {
        if (!prose_lang && ctx->situation != SYN_SIT_COMMENT && ctx->situation != SYN_SIT_STRING)
            strip_prose(&t);
        remove_all(&t, PROMPT_CURSOR);
        if (!drop_multiline_echo(&t, ctx))
            drop_line_echo(&t, ctx);
        drop_leading_space(&t, ctx);
    }
    cut_at_suffix_line(&t, ctx);
    cut_shape(&t, ctx);
    cap_lines(&t, ctx->max_lines);
    trim_trailing(&t);
    trim_suffix_overlap(&t, ctx);
    trim_trailing(&t);
    char *r = sb_detach(&t, out_len);
    sb_release(&t);
    return r;
}
