/* line_start: ghost text for a cursor inside a line's leading blanks (the editor indented,
 * nothing typed yet): where the line's code will start, and the structural rules that know a
 * whole line from the lines above: `self.x = x` after a constructor's signature, the next
 * `elif`/`case` arm of a chain, the line that followed the same line earlier in the file, and
 * the file's habit (how the lines after a line starting like the one above start).
 * The statistical half (which token starts a line) is lines.c's line-start model. Text only;
 * internal to providers/local/lines. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "fuzzy.h"
#include "line_rules.h"

#define START_LOOKBACK 400 /* lines scanned upwards for the enclosing levels and arms */

static bool blank_line(const char *s, size_t n) { return line_indent(s, n) == n; }

/* Bounds of the line before the one starting at ls; false at the top. */
static bool above(const char *t, size_t ls, size_t *b, size_t *e)
{
    if (!ls)
        return false;
    *e = ls - 1;
    *b = *e;
    while (*b > 0 && t[*b - 1] != '\n')
        (*b)--;
    return true;
}

bool line_start_geometry(const struct line_cursor *qs, struct indent_geom *g)
{
    memset(g, 0, sizeof *g);
    if (qs->pre.k || qs->suffix_n)
        return false;
    const char *t = qs->q->text;
    g->col = qs->pre.n;
    g->ch = qs->pre.n ? qs->pre.s[0] : ' ';
    for (int r = 0; r < 4; r++)
        g->target[r] = SIZE_MAX;
    size_t b, e, ls = qs->ls;
    g->prev_blank = true;
    bool first = true;
    size_t unit = 0, last_in = SIZE_MAX;
    int scanned = 0;
    /* the nearest non-blank line above, its indentation, and the indentation unit (the first
     * step inwards found going up) */
    while (above(t, ls, &b, &e) && scanned++ < START_LOOKBACK) {
        ls = b;
        if (blank_line(t + b, e - b)) {
            first = false;
            continue;
        }
        size_t in = line_indent(t + b, e - b);
        if (!g->have_prev) {
            g->have_prev = true;
            g->prev_blank = !first;
            g->prev_b = b;
            g->prev_e = e;
            g->prev_indent = in;
            if (in)
                g->ch = t[b];
        } else if (in < g->prev_indent && g->target[0] == SIZE_MAX) {
            g->target[0] = in; /* dedent: the enclosing level */
        }
        if (!unit && last_in != SIZE_MAX && last_in > in)
            unit = last_in - in;
        last_in = in;
        first = false;
        if (unit && g->target[0] != SIZE_MAX)
            break;
    }
    if (!g->have_prev)
        return false;
    if (!unit)
        unit = g->ch == '\t' ? 1 : 4;
    g->unit = unit;
    g->target[1] = g->prev_indent;
    g->target[2] = g->prev_indent + unit;
    g->target[3] = g->prev_indent >= g->col ? g->prev_indent : g->col; /* after a blank line */
    for (int r = 0; r < 3; r++)
        if (g->target[r] != SIZE_MAX && g->target[r] < g->col)
            g->target[r] = SIZE_MAX; /* the cursor is already past it */
    return true;
}

void line_start_pad(const struct indent_geom *g, size_t target, struct strbuf *out)
{
    for (size_t i = g->col; i < target; i++)
        sb_addc(out, g->ch);
}

/* The trimmed text of the line [b, e) without a trailing '\r'. */
static const char *trimmed(const char *t, size_t b, size_t e, size_t *n)
{
    size_t in = line_indent(t + b, e - b);
    while (e > b + in && (t[e - 1] == ' ' || t[e - 1] == '\r' || t[e - 1] == '\t'))
        e--;
    *n = e - b - in;
    return t + b + in;
}

/* `def __init__(self, a, b=1, *, c: int):` on one line: the parameters after self, in order,
 * into names (each as start, length in the line). */
static size_t init_params(const char *s, size_t n, size_t names[][2], size_t max)
{
    static const char head[] = "def __init__(";
    if (n < sizeof head || memcmp(s, head, sizeof head - 1) || s[n - 1] != ':')
        return 0;
    size_t i = sizeof head - 1, k = 0;
    int depth = 0, index = 0;
    bool taking = true;
    while (i < n && k < max) {
        while (i < n && s[i] == ' ')
            i++;
        size_t st = i;
        while (i < n && fuzzy_is_word((unsigned char)s[i]))
            i++;
        if (taking && i > st && index > 0 && s[st] != '_' && !isdigit((unsigned char)s[st])) {
            names[k][0] = st;
            names[k++][1] = i - st;
        }
        taking = false;
        for (; i < n; i++) {
            char c = s[i];
            if (c == '(' || c == '[' || c == '{')
                depth++;
            else if ((c == ')' || c == ']' || c == '}') && depth-- == 0)
                return k;
            else if (c == ',' && depth == 0) {
                i++;
                index++;
                taking = true;
                break;
            }
        }
    }
    return k;
}

/* After `def __init__(self, a, b):` and the `self.a = a` lines that follow it: the next
 * parameter's `self.b = b`. */
static void rule_self_assign(const struct line_cursor *qs, const struct indent_geom *g,
                             struct line_cand *best)
{
    const char *t = qs->q->text;
    size_t b = g->prev_b, e = g->prev_e, done = 0;
    size_t body = g->prev_indent;
    for (int guard = 0; guard < 64; guard++) {
        size_t n;
        const char *s = trimmed(t, b, e, &n);
        size_t in = line_indent(t + b, e - b);
        if (n > 5 && !memcmp(s, "self.", 5) && in == body) {
            done++;
        } else if (!memcmp(s, "def __init__(", n < 13 ? n : 13) && n >= 13) {
            if (in >= body && done)
                return;
            if (!done)
                body = in + g->unit;
            size_t names[32][2];
            size_t k = init_params(s, n, names, 32);
            if (done >= k || body < g->col)
                return;
            const char *nm = s + names[done][0];
            size_t nl = names[done][1];
            /* the lines in between must be the earlier parameters, in order */
            struct strbuf out;
            sb_init(&out);
            line_start_pad(g, body, &out);
            sb_adds(&out, "self.");
            sb_add(&out, nm, nl);
            sb_adds(&out, " = ");
            sb_add(&out, nm, nl);
            line_offer(qs, best, out.data, out.len, 0.8, "self");
            sb_release(&out);
            return;
        } else {
            return;
        }
        if (!above(t, b, &b, &e))
            return;
    }
}

/* The head of a chain's arm: `if X == V:` / `elif X == V:` (Python) or `case V:` (C, JS,
 * shell's `V)` is left alone). Returns the text of the next arm's head up to the value. */
static bool arm_head(const char *s, size_t n, struct strbuf *out)
{
    size_t skip = 0;
    if (n > 3 && !memcmp(s, "if ", 3))
        skip = 3;
    else if (n > 5 && !memcmp(s, "elif ", 5))
        skip = 5;
    else if (n > 5 && !memcmp(s, "case ", 5) && s[n - 1] == ':') {
        sb_adds(out, "case ");
        return true;
    } else
        return false;
    if (s[n - 1] != ':')
        return false;
    /* `X == V` or `X is V` or `X in V`: the subject and the operator */
    for (size_t i = skip; i + 4 < n; i++) {
        if (s[i] == '(' || s[i] == '[' || s[i] == '"' || s[i] == '\'')
            return false;
        if (!memcmp(s + i, " == ", 4) || !memcmp(s + i, " is ", 4) || !memcmp(s + i, " in ", 4)) {
            sb_adds(out, "elif ");
            sb_add(out, s + skip, i + 4 - skip);
            return true;
        }
    }
    return false;
}

/* A cursor at the level of an `if`/`elif`/`case` arm whose body the line above ends: the next
 * arm, `elif X == ` or `case `. */
static void rule_arm(const struct line_cursor *qs, const struct indent_geom *g,
                     struct line_cand *best)
{
    const char *t = qs->q->text;
    size_t b = g->prev_b, e = g->prev_e;
    int arms = 0;
    size_t level = SIZE_MAX;
    struct strbuf head;
    sb_init(&head);
    for (int guard = 0; guard < START_LOOKBACK; guard++) {
        size_t n;
        const char *s = trimmed(t, b, e, &n);
        size_t in = line_indent(t + b, e - b);
        if (n && in < g->prev_indent && in >= g->col) {
            if (level == SIZE_MAX) {
                if (!arm_head(s, n, &head))
                    break;
                level = in;
                arms++;
            } else if (in == level) {
                struct strbuf h2;
                sb_init(&h2);
                bool same = arm_head(s, n, &h2) && h2.len == head.len &&
                            !memcmp(h2.data, head.data, h2.len);
                sb_release(&h2);
                if (!same)
                    break;
                arms++;
            } else if (in < level) {
                break;
            }
        } else if (n && in < g->col) {
            break;
        }
        if (!above(t, b, &b, &e))
            break;
    }
    if (level != SIZE_MAX && arms && head.len) {
        struct strbuf out;
        sb_init(&out);
        line_start_pad(g, level, &out);
        sb_add(&out, head.data, head.len);
        /* one arm is a hint, a chain of them a pattern */
        if (arms >= 2)
            line_offer(qs, best, out.data, out.len, arms >= 3 ? 0.7 : 0.55, "arm");
        sb_release(&out);
    }
    sb_release(&head);
}

/* The line that followed the line above the cursor where that same line occurred earlier in
 * the file (the latest occurrences; the followers must agree). */
static void rule_follow(const struct line_cursor *qs, const struct indent_geom *g,
                        struct line_cand *best)
{
    if (g->prev_blank)
        return;
    const char *t = qs->q->text;
    size_t pn;
    const char *ps = trimmed(t, g->prev_b, g->prev_e, &pn);
    if (pn < 4)
        return;
    size_t b = g->prev_b, e, nb = SIZE_MAX, ne = 0;
    int seen = 0, agree = 0;
    const char *fs = NULL;
    size_t fn = 0, target = 0;
    for (int guard = 0; guard < 4000 && above(t, b, &b, &e); guard++) {
        size_t n;
        const char *s = trimmed(t, b, e, &n);
        if (n == pn && !memcmp(s, ps, n) && nb != SIZE_MAX) {
            size_t fl;
            const char *f = trimmed(t, nb, ne, &fl);
            if (fl) {
                long d = (long)line_indent(t + nb, ne - nb) - (long)line_indent(t + b, e - b);
                if (!seen) {
                    fs = f;
                    fn = fl;
                    long tg = (long)g->prev_indent + d;
                    target = tg < 0 ? 0 : (size_t)tg;
                    agree = 1;
                } else if (fl == fn && !memcmp(f, fs, fl)) {
                    agree++;
                }
                if (++seen >= 4)
                    break;
            }
        }
        if (!blank_line(t + b, e - b)) {
            nb = b;
            ne = e;
        }
    }
    if (!seen || target < g->col)
        return;
    double conf = agree == seen ? 0.35 + 0.1 * seen + (pn >= 12 ? 0.1 : 0) : 0.2 * agree / seen;
    struct strbuf out;
    sb_init(&out);
    line_start_pad(g, target, &out);
    sb_add(&out, fs, fn);
    line_offer(qs, best, out.data, out.len, conf > 0.75 ? 0.75 : conf, "follow");
    sb_release(&out);
}

/* The first token of a trimmed line (false when it has none). */
static bool first_tok(const char *s, size_t n, struct line_tok *t)
{
    return line_tokenize(s, n, t, 1) == 1;
}

/* A file's habit: the lines that followed, earlier in the file, a line beginning with the same
 * token as the line above the cursor. When most of them begin alike (a comment block goes on
 * with `#`, a run of `self.x = ...` or `case` arms, `#include` after `#include`), that start,
 * at their usual level, up to where those lines stop agreeing (all of it when they are the
 * same line). The file-local counterpart of the line-start model, which mixes the workspace
 * in: on the tuning corpora, a start most followers share (>= 60 %, 3 or more) is right about
 * 70-80 % of the time. */
#define HABIT_LOOKBACK 2000 /* lines scanned upwards */
#define HABIT_MAX 64        /* followers compared */
#define HABIT_SHARE 0.6     /* of the followers that must begin alike */
#define HABIT_OFFSET 0.2    /* share x evidence -> confidence */
static void rule_habit(const struct line_cursor *qs, const struct indent_geom *g,
                       struct line_cand *best)
{
    const char *t = qs->q->text;
    size_t pn;
    const char *ps = trimmed(t, g->prev_b, g->prev_e, &pn);
    struct line_tok pt;
    if (!first_tok(ps, pn, &pt))
        return;
    struct { const char *s; size_t n, target; struct line_tok ft; } f[HABIT_MAX];
    size_t k = 0, b = g->prev_b, e, nb = g->prev_b, ne = g->prev_e;
    bool have_next = false; /* the line after the cursor's line above is the cursor's own */
    for (int guard = 0; guard < HABIT_LOOKBACK && k < HABIT_MAX && above(t, b, &b, &e); guard++) {
        size_t n;
        const char *s = trimmed(t, b, e, &n);
        if (!n)
            continue;
        struct line_tok st;
        if (have_next && first_tok(s, n, &st) && st.len == pt.len &&
            !memcmp(s + st.start, ps + pt.start, pt.len)) {
            size_t fl;
            const char *fs = trimmed(t, nb, ne, &fl);
            long d = (long)line_indent(t + nb, ne - nb) - (long)line_indent(t + b, e - b);
            long tg = (long)g->prev_indent + d;
            if (tg >= (long)g->col && first_tok(fs, fl, &f[k].ft)) {
                f[k].s = fs;
                f[k].n = fl;
                f[k].target = (size_t)tg;
                k++;
            }
        }
        nb = b;
        ne = e;
        have_next = true;
    }
    if (k < 3)
        return;
    /* the start most followers share (a majority when there is one) */
    size_t top = 0, top_n = 0;
    for (size_t i = 0; i < k; i++) {
        size_t c = 0;
        for (size_t j = 0; j < k; j++)
            c += f[j].ft.len == f[i].ft.len &&
                 !memcmp(f[j].s + f[j].ft.start, f[i].s + f[i].ft.start, f[i].ft.len);
        if (c > top_n) {
            top_n = c;
            top = i;
        }
    }
    double share = (double)top_n / (double)k;
    if (top_n < 3 || share < HABIT_SHARE)
        return;
    /* how far those agree, and their usual level (the latest one's, when levels differ) */
    size_t lcp = f[top].n;
    for (size_t j = 0; j < k; j++) {
        if (f[j].ft.len != f[top].ft.len ||
            memcmp(f[j].s + f[j].ft.start, f[top].s + f[top].ft.start, f[top].ft.len))
            continue;
        size_t c = 0;
        while (c < lcp && c < f[j].n && f[j].s[c] == f[top].s[c])
            c++;
        lcp = c;
    }
    if (lcp < f[top].n) {
        /* cut at the end of the last token all of them have whole: a name that goes on in
         * one of them ("self" of "self_x") is not agreed on */
        struct line_tok toks[LINE_MAX_TOKENS];
        size_t nt = line_tokenize(f[top].s, f[top].n, toks, LINE_MAX_TOKENS);
        size_t cut = 0;
        for (size_t i = 0; i < nt; i++) {
            size_t end = toks[i].start + toks[i].len;
            if (end > lcp)
                break;
            bool whole = true;
            for (size_t j = 0; j < k && whole; j++)
                whole = end >= f[j].n || !fuzzy_is_word((unsigned char)f[top].s[end - 1]) ||
                        !fuzzy_is_word((unsigned char)f[j].s[end]) ||
                        memcmp(f[j].s, f[top].s, end);
            if (!whole)
                break;
            cut = end;
        }
        lcp = cut;
    }
    if (!lcp)
        return;
    struct strbuf out;
    sb_init(&out);
    line_start_pad(g, f[top].target, &out);
    sb_add(&out, f[top].s, lcp);
    /* tuning half: shares under ~0.7 were right less than half the time */
    double conf = share * (double)top_n / (top_n + 1.0) - HABIT_OFFSET;
    line_offer(qs, best, out.data, out.len, conf > 0.8 ? 0.8 : conf, "habit");
    sb_release(&out);
}

void line_rules_start(const struct line_cursor *qs, const struct indent_geom *g,
                      struct line_cand *best)
{
    rule_self_assign(qs, g, best);
    rule_arm(qs, g, best);
    rule_follow(qs, g, best);
    rule_habit(qs, g, best);
}
