/* line_rules: see line_rules.h. The rules read only the document text around the cursor; the
 * tokenizer here is the one the n-gram (lines.c) counts with, so both see the same tokens. */
#include "line_rules.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzy.h"

#define LOOKBACK_LINES 400  /* analogy search distance */

/* ---------------------------------------------------------------- tokenizer */

static bool is_word(unsigned char c) { return fuzzy_is_word(c); }

static size_t op_len(const char *s, size_t n)
{
    static const char *const ops3[] = {"...", "<<=", ">>=", "===", "!==", "**=", "//="};
    static const char *const ops2[] = {"->", "=>", "::", "==", "!=", "<=", ">=", "&&", "||",
                                       "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=",
                                       "^=", "<<", ">>", "**", "//", ":="};
    if (n >= 3)
        for (size_t i = 0; i < US_ARRAY_LEN(ops3); i++)
            if (!memcmp(s, ops3[i], 3))
                return 3;
    if (n >= 2)
        for (size_t i = 0; i < US_ARRAY_LEN(ops2); i++)
            if (!memcmp(s, ops2[i], 2))
                return 2;
    return 1;
}

/* Tokens of one line (no newline inside). Returns the count (capped). */
size_t line_tokenize(const char *s, size_t n, struct line_tok *out, size_t max)
{
    size_t i = 0, k = 0, ws_start = 0;
    while (i < n && k < max) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            i++;
            continue;
        }
        struct line_tok t = {(uint32_t)i, 0, (uint32_t)(i - ws_start), LTOK_OP, false};
        if (k == 0)
            t.gap = 0; /* indentation is not part of the first token */
        size_t j = i;
        if (isdigit(c) || (c == '.' && i + 1 < n && isdigit((unsigned char)s[i + 1]))) {
            t.kind = LTOK_NUM;
            j++;
            while (j < n && (is_word((unsigned char)s[j]) || s[j] == '.'))
                j++;
        } else if (is_word(c)) {
            t.kind = LTOK_ID;
            while (j < n && is_word((unsigned char)s[j]))
                j++;
        } else if (c == '"' || c == '\'' || c == '`') {
            t.kind = LTOK_STR;
            j++;
            while (j < n && (unsigned char)s[j] != c) {
                if (s[j] == '\\' && j + 1 < n)
                    j++;
                j++;
            }
            if (j < n)
                j++;
            else
                t.open_string = true;
        } else {
            j += op_len(s + i, n - i);
        }
        t.len = (uint32_t)(j - i);
        out[k++] = t;
        i = j;
        ws_start = i;
    }
    return k;
}


/* ---------------------------------------------------------------- the cursor's line */

void line_view_init(struct line_view *v, const char *s, size_t n)
{
    v->s = s;
    v->n = n;
    v->k = n > LINE_MAX_BYTES ? 0 : line_tokenize(s, n, v->toks, LINE_MAX_TOKENS);
}

size_t line_indent(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

static bool tok_eq(const struct line_view *a, size_t i, const struct line_view *b, size_t j)
{
    return a->toks[i].len == b->toks[j].len &&
           !memcmp(a->s + a->toks[i].start, b->s + b->toks[j].start, a->toks[i].len);
}

/* Offer text with a confidence; the caller keeps the best. Handles the text after the cursor:
 * a suggestion must end with it, and then does not repeat it. */
void line_offer(const struct line_cursor *qs, struct line_cand *best, const char *text, size_t n,
                double conf, const char *rule)
{
    while (n && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\r'))
        n--;
    if (qs->suffix_n) {
        if (n < qs->suffix_n || memcmp(text + n - qs->suffix_n, qs->suffix, qs->suffix_n))
            return;
        n -= qs->suffix_n;
        while (n && (text[n - 1] == ' ' || text[n - 1] == '\t'))
            n--;
    }
    bool blank = true;
    for (size_t i = 0; i < n; i++)
        if (text[i] != ' ' && text[i] != '\t')
            blank = false;
    if (blank || conf <= best->conf)
        return;
    sb_clear(&best->text);
    sb_add(&best->text, text, n);
    best->conf = conf;
    best->rule = rule;
}


/* ---------------------------------------------------------------- structure: repeat, analogy, copy, close */

/* A number token, or an identifier ending in digits ("x10"): the integer and the length of
 * what precedes it, so that progressions of both kinds can be continued. */
static bool parse_int_tok(const struct line_view *v, size_t i, long long *out, size_t *stem)
{
    const struct line_tok *t = &v->toks[i];
    if (t->kind != LTOK_NUM && t->kind != LTOK_ID)
        return false;
    size_t d = t->len;
    while (d > 0 && isdigit((unsigned char)v->s[t->start + d - 1]))
        d--;
    if (d == t->len || t->len - d > 15 || (t->kind == LTOK_NUM && d != 0))
        return false;
    long long x = 0;
    for (size_t j = d; j < t->len; j++)
        x = x * 10 + (v->s[t->start + j] - '0');
    *out = x;
    *stem = d;
    return true;
}

/* Bounds of the line ending right before position `end` (a line start); false at the top. */
static bool line_above(const char *text, size_t ls, size_t *b, size_t *e)
{
    if (ls == 0)
        return false;
    *e = ls - 1;
    *b = *e;
    while (*b > 0 && text[*b - 1] != '\n')
        (*b)--;
    return true;
}

/* Lines L2, L1 right above the cursor differ only in integers: continue the progression. */
void line_rules_repeat(const struct line_cursor *qs, struct line_cand *best)
{
    const char *text = qs->q->text;
    size_t b1, e1, b2, e2;
    if (!line_above(text, qs->ls, &b1, &e1) || !line_above(text, b1, &b2, &e2))
        return;
    static struct line_view l1, l2; /* large; queries are single-threaded on the loop */
    line_view_init(&l1, text + b1, e1 - b1);
    line_view_init(&l2, text + b2, e2 - b2);
    size_t in1 = line_indent(l1.s, l1.n), in2 = line_indent(l2.s, l2.n);
    if (l1.k < 2 || l1.k != l2.k || in1 != in2 || memcmp(l1.s, l2.s, in1))
        return;
    long long delta[LINE_MAX_TOKENS];
    int ndiff = 0;
    for (size_t i = 0; i < l1.k; i++) {
        delta[i] = 0;
        if (tok_eq(&l1, i, &l2, i))
            continue;
        long long a, b;
        size_t sa, sb;
        if (!parse_int_tok(&l2, i, &a, &sa) || !parse_int_tok(&l1, i, &b, &sb) || sa != sb ||
            memcmp(l2.s + l2.toks[i].start, l1.s + l1.toks[i].start, sa) || a == b)
            return;
        delta[i] = b - a;
        ndiff++;
    }
    if (!ndiff)
        return;
    struct strbuf c;
    sb_init(&c);
    size_t pos = 0;
    for (size_t i = 0; i < l1.k; i++) {
        const struct line_tok *t = &l1.toks[i];
        sb_add(&c, l1.s + pos, t->start - pos);
        if (delta[i]) {
            long long b;
            size_t stem;
            parse_int_tok(&l1, i, &b, &stem);
            sb_add(&c, l1.s + t->start, stem);
            sb_addf(&c, "%lld", b + delta[i]);
        } else {
            sb_add(&c, l1.s + t->start, t->len);
        }
        pos = t->start + t->len;
    }
    sb_add(&c, l1.s + pos, l1.n - pos);
    /* the typed part of the line must be a prefix of the predicted line */
    const char *p = qs->pre.s;
    size_t pn = qs->pre.n;
    if (pn <= c.len && !memcmp(c.data, p, pn))
        line_offer(qs, best, c.data + pn, c.len - pn, 0.9, "repeat");
    sb_release(&c);
}

static void add_gap(struct strbuf *out, const struct line_view *b, size_t i, bool skip)
{
    const struct line_tok *t = &b->toks[i];
    if (!skip && t->gap)
        sb_add(out, b->s + t->start - t->gap, t->gap);
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The part where two tokens differ, without their common prefix and suffix ("/users" vs
 * "/orders": "users" / "orders"). */
static void token_core(const char *a, size_t an, const char *b, size_t bn, size_t *pre,
                       size_t *a_core, size_t *b_core)
{
    size_t p = 0, q = 0;
    while (p < an && p < bn && a[p] == b[p])
        p++;
    while (q < an - p && q < bn - p && a[an - 1 - q] == b[bn - 1 - q])
        q++;
    /* whole words: "payments" / "refunds" share an "s", but the part is the word */
    while (p > 0 && is_alnum(a[p - 1]) && ((p < an && is_alnum(a[p])) || (p < bn && is_alnum(b[p]))))
        p--;
    while (q > 0 && is_alnum(a[an - q]) &&
           ((an - q > p && is_alnum(a[an - q - 1])) || (bn - q > p && is_alnum(b[bn - q - 1]))))
        q--;
    *pre = p;
    *a_core = an - p - q;
    *b_core = bn - p - q;
}

/* Write token bt of b with every whole-word occurrence of the substituted core replaced (word
 * parts: '_' or a case change bound them). False, writing nothing, when there is none. */
static bool replace_core(struct strbuf *out, const struct line_view *b, size_t from_i,
                         const struct line_view *p, size_t to_i, const struct line_tok *bt)
{
    const struct line_tok *from = &b->toks[from_i], *to = &p->toks[to_i];
    size_t pre, fc, tc;
    token_core(b->s + from->start, from->len, p->s + to->start, to->len, &pre, &fc, &tc);
    if (fc < 2 || tc < 1)
        return false;
    const char *core = b->s + from->start + pre, *rep = p->s + to->start + pre;
    /* the core must be a whole word of the substituted token, not a few letters of it */
    const char *f = b->s + from->start;
    if ((pre > 0 && is_alnum(f[pre - 1]) && is_alnum(f[pre])) ||
        (pre + fc < from->len && is_alnum(f[pre + fc]) && !(f[pre + fc] >= 'A' && f[pre + fc] <= 'Z')))
        return false;
    const char *t = b->s + bt->start;
    size_t n = bt->len, done = 0;
    bool any = false;
    struct strbuf tmp;
    sb_init(&tmp);
    for (size_t i = 0; i + fc <= n;) {
        bool starts = i == 0 || !is_alnum(t[i - 1]) || (t[i] >= 'A' && t[i] <= 'Z');
        bool ends = i + fc == n || !is_alnum(t[i + fc]) || (t[i + fc] >= 'A' && t[i + fc] <= 'Z');
        if (starts && ends && !memcmp(t + i, core, fc)) {
            sb_add(&tmp, t + done, i - done);
            sb_add(&tmp, rep, tc);
            i += fc;
            done = i;
            any = true;
        } else {
            i++;
        }
    }
    if (any) {
        sb_add(&tmp, t + done, n - done);
        sb_add(out, tmp.data, tmp.len);
    }
    sb_release(&tmp);
    return any;
}

/* Align the prefix with an earlier line b, allowing up to two consistent substitutions
 * (same-kind tokens); on success write the rest of b (substituted) and return true. */
static bool align(const struct line_cursor *qs, const struct line_view *b, struct strbuf *out,
                  int *subs_out, int *exact_out)
{
    const struct line_view *p = &qs->pre;
    if (!p->k || b->k < p->k)
        return false;
    size_t sub_from[2], sub_to[2]; /* token indices in b / p */
    int subs = 0, exact = 0;
    bool extend = false;
    for (size_t i = 0; i < p->k; i++) {
        const struct line_tok *pt = &p->toks[i], *bt = &b->toks[i];
        bool last = i + 1 == p->k;
        if (tok_eq(p, i, b, i)) {
            exact++;
            continue;
        }
        if (last && qs->partial && bt->len > pt->len && bt->kind == pt->kind &&
            !memcmp(b->s + bt->start, p->s + pt->start, pt->len)) {
            extend = true;
            exact++;
            continue;
        }
        if (pt->kind != bt->kind || pt->kind == LTOK_OP)
            return false;
        bool known = false;
        for (int s = 0; s < subs; s++) {
            if (tok_eq(b, sub_from[s], b, i)) {
                if (!tok_eq(p, sub_to[s], p, i))
                    return false;
                known = true;
            }
        }
        if (!known) {
            if (subs == 2)
                return false;
            sub_from[subs] = i;
            sub_to[subs] = i;
            subs++;
        }
    }
    if (!extend && b->k == p->k)
        return false;
    if (subs && exact < 2)
        return false;
    sb_clear(out);
    size_t i = p->k;
    if (extend) {
        const struct line_tok *bt = &b->toks[p->k - 1];
        size_t pl = p->toks[p->k - 1].len;
        sb_add(out, b->s + bt->start + pl, bt->len - pl);
    }
    for (bool first = !extend; i < b->k; i++, first = false) {
        add_gap(out, b, i, first && qs->ends_space);
        if (first && qs->ends_space && !b->toks[i].gap)
            return false; /* spacing differs: not the same shape */
        bool replaced = false;
        for (int s = 0; s < subs && !replaced; s++) {
            if (tok_eq(b, sub_from[s], b, i)) {
                const struct line_tok *to = &p->toks[sub_to[s]];
                sb_add(out, p->s + to->start, to->len);
                replaced = true;
            }
        }
        /* a later name or string built from the substituted part follows it: cfg->width ...
         * "width", or "/payments" ... payments_handler */
        const struct line_tok *bt = &b->toks[i];
        for (int s = 0; s < subs && !replaced && (bt->kind == LTOK_STR || bt->kind == LTOK_ID); s++)
            replaced = replace_core(out, b, sub_from[s], p, sub_to[s], bt);
        if (!replaced)
            sb_add(out, b->s + bt->start, bt->len);
    }
    *subs_out = subs;
    *exact_out = exact;
    return true;
}

void line_rules_analogy(const struct line_cursor *qs, struct line_cand *best)
{
    const char *text = qs->q->text;
    const struct line_view *p = &qs->pre;
    if (!p->k)
        return;
    /* the first bytes of the trimmed prefix: a cheap filter before tokenizing a line */
    const char *pt = p->s + qs->indent;
    size_t ptn = qs->pre.n - qs->indent;
    size_t quick = US_MIN(ptn, (size_t)(p->toks[0].len));
    static struct line_view b;
    struct strbuf out, first;
    sb_init(&out);
    sb_init(&first);
    int copies = 0, agree = 0, dist = 0;
    double first_conf = 0;
    const char *rule = NULL;
    size_t ls = qs->ls, lb, le;
    bool analogy_done = false;
    while (line_above(text, ls, &lb, &le) && dist < 20000) {
        ls = lb;
        dist++;
        size_t in = line_indent(text + lb, le - lb);
        if (le - lb - in < quick || memcmp(text + lb + in, pt, quick))
            continue;
        line_view_init(&b, text + lb, le - lb);
        int subs, exact;
        if (!align(qs, &b, &out, &subs, &exact))
            continue;
        if (subs) {
            if (analogy_done || dist > LOOKBACK_LINES || copies)
                continue;
            analogy_done = true;
            double c = 0.45 + 0.08 * US_MIN(exact, 4) - 0.01 * dist;
            if (c > first_conf) {
                sb_clear(&first);
                sb_add(&first, out.data, out.len);
                first_conf = c;
                rule = "analogy";
            }
            continue;
        }
        if (copies == 0) {
            double c = 0.25 + 0.1 * US_MIN(exact, 4) + (dist <= 3 ? 0.1 : 0);
            if (c >= first_conf) {
                sb_clear(&first);
                sb_add(&first, out.data, out.len);
                first_conf = c;
                rule = "copy";
            }
            copies = 1;
            agree = 1;
        } else {
            copies++;
            if (out.len == first.len && !memcmp(out.data, first.data, out.len))
                agree++;
            if (copies >= 4)
                break;
        }
    }
    if (rule) {
        double c = first_conf;
        if (!strcmp(rule, "copy") && copies >= 2)
            c *= agree == copies ? 1.25 : 0.5 + 0.5 * agree / copies;
        line_offer(qs, best, first.data, first.len, US_MIN(c, 0.85), rule);
    }
    sb_release(&out);
    sb_release(&first);
}

void line_rules_close(const struct line_cursor *qs, struct line_cand *best)
{
    const char *s = qs->pre.s;
    size_t n = qs->pre.n;
    char stack[64];
    size_t depth = 0;
    char quote = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (quote) {
            if (c == '\\')
                i++;
            else if (c == quote)
                quote = 0;
            continue;
        }
        if (c == '"' || c == '\'' || c == '`') {
            quote = c;
        } else if (c == '(' || c == '[' || c == '{') {
            if (depth < sizeof stack)
                stack[depth++] = c;
        } else if (c == ')' || c == ']' || c == '}') {
            if (depth)
                depth--;
        } else if (c == '#' && i == qs->indent) {
            return; /* a comment or preprocessor line */
        }
    }
    if (!depth && !quote)
        return;
    size_t last = n;
    while (last && (s[last - 1] == ' ' || s[last - 1] == '\t'))
        last--;
    /* close only after something that can end an argument: a name, a number, a closing
     * bracket, or inside a string; after operators, '(' or ',' more is coming */
    if (!last)
        return;
    char lc = s[last - 1];
    if (!quote && !fuzzy_is_word((unsigned char)lc) && lc != ')' && lc != ']' && lc != '"' &&
        lc != '\'' && lc != '`')
        return;
    if (quote && lc == quote)
        return;
    if (depth && stack[0] == '{' && !quote)
        return; /* a block or literal spanning lines */
    char out[72];
    size_t k = 0;
    if (quote)
        out[k++] = quote;
    while (depth)
        out[k++] = stack[--depth] == '(' ? ')' : stack[depth] == '[' ? ']' : '}';
    line_offer(qs, best, out, k, 0.26, "close"); /* a last resort: right only when the line ends */
}
