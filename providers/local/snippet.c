/* snippet: see snippet.h. The body grammar is VS Code's (TextMate's) snippet syntax:
 *   any   := tabstop | placeholder | choice | variable | text
 *   tabstop := $N | ${N} | ${N/regex/format/flags}
 *   placeholder := ${N:any...}        choice := ${N|a,b,c|}
 *   variable := $NAME | ${NAME} | ${NAME:any...} | ${NAME/regex/format/flags}
 * Escapes: \$ \} \\ everywhere, plus \, \| inside choices. A `$` that starts no valid construct
 * is literal text, as in VS Code, so rendering never fails. */
#include "snippet.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "fuzzy.h"

/* Take the buffer's text (caller frees) and leave sb released. */
static char *sb_take(struct strbuf *sb)
{
    char *s = sb_detach(sb, NULL);
    sb_release(sb);
    return s;
}

/* ================================================================== parse tree */

enum node_kind { N_TEXT, N_TABSTOP, N_CHOICE, N_VAR };

/* One piece of a transform's format string. */
enum fmt_op { F_TEXT, F_GROUP, F_UP, F_DOWN, F_CAP, F_CAMEL, F_PASCAL, F_IF, F_IFELSE, F_ELSE };
struct fmt_item {
    enum fmt_op op;
    int group;
    char *a; /* F_TEXT: text; F_IF/F_IFELSE: if-text; F_ELSE: else-text */
    char *b; /* F_IFELSE: else-text */
};

struct transform {
    char *regex; /* JavaScript syntax, as written */
    struct fmt_item *fmt;
    size_t n_fmt;
    char *flags;
    char *raw; /* "/regex/format/flags" as written, to re-emit for LSP clients */
};

struct node {
    enum node_kind kind;
    char *text; /* N_TEXT: unescaped text; N_VAR: variable name */
    int index;  /* N_TABSTOP / N_CHOICE */
    bool has_default; /* `${N:...}` / `${VAR:...}` (children may still be empty) */
    struct node *kids;
    size_t n_kids;
    char **choices;
    size_t n_choices;
    struct transform *tr;
};

struct parser {
    const char *s;
    size_t pos, len;
    bool strict_fail; /* a `$` construct was malformed (for snip_check) */
    size_t fail_at;
};

static void node_release(struct node *n);

static void nodes_free(struct node *kids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        node_release(&kids[i]);
    free(kids);
}

static void transform_free(struct transform *tr)
{
    if (!tr)
        return;
    for (size_t i = 0; i < tr->n_fmt; i++) {
        free(tr->fmt[i].a);
        free(tr->fmt[i].b);
    }
    free(tr->fmt);
    free(tr->regex);
    free(tr->flags);
    free(tr->raw);
    free(tr);
}

static void node_release(struct node *n)
{
    free(n->text);
    nodes_free(n->kids, n->n_kids);
    for (size_t i = 0; i < n->n_choices; i++)
        free(n->choices[i]);
    free(n->choices);
    transform_free(n->tr);
}

struct nodelist {
    struct node *v;
    size_t n, cap;
};

static struct node *nl_push(struct nodelist *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    struct node *n = &l->v[l->n++];
    memset(n, 0, sizeof *n);
    return n;
}

static void nl_add_text(struct nodelist *l, struct strbuf *text)
{
    if (!text->len)
        return;
    struct node *n = nl_push(l);
    n->kind = N_TEXT;
    n->text = xstrndup(text->data, text->len);
    sb_clear(text);
}

static int peek(const struct parser *p, size_t ahead)
{
    return p->pos + ahead < p->len ? (unsigned char)p->s[p->pos + ahead] : -1;
}

static bool parse_int(struct parser *p, int *out)
{
    size_t start = p->pos;
    long v = 0;
    while (p->pos < p->len && isdigit((unsigned char)p->s[p->pos]) && v < 100000)
        v = v * 10 + (p->s[p->pos++] - '0');
    *out = (int)v;
    return p->pos > start;
}

static bool parse_name(struct parser *p, char **out)
{
    size_t start = p->pos;
    if (p->pos >= p->len || !(isalpha((unsigned char)p->s[p->pos]) || p->s[p->pos] == '_'))
        return false;
    while (p->pos < p->len && (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '_'))
        p->pos++;
    *out = xstrndup(p->s + start, p->pos - start);
    return true;
}

static void parse_seq(struct parser *p, bool nested, struct nodelist *out);

/* Text up to an unescaped stop character (not consumed); escapes of `\` and the stop chars
 * are removed. Returns false at end of input. */
static bool parse_until(struct parser *p, const char *stops, struct strbuf *out)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c == '\\' && p->pos + 1 < p->len &&
            (p->s[p->pos + 1] == '\\' || strchr(stops, p->s[p->pos + 1]))) {
            sb_addc(out, p->s[p->pos + 1]);
            p->pos += 2;
            continue;
        }
        if (strchr(stops, c))
            return true;
        sb_addc(out, c);
        p->pos++;
    }
    return false;
}

/* Format string of a transform, up to the unescaped '/' that ends it. */
static bool parse_format(struct parser *p, struct transform *tr)
{
    struct strbuf text;
    sb_init(&text);
    size_t cap = 0;
    bool ok = false;
#define FMT_PUSH(item)                                                      \
    do {                                                                    \
        if (tr->n_fmt == cap) {                                             \
            cap = cap ? cap * 2 : 4;                                        \
            tr->fmt = xrealloc(tr->fmt, cap * sizeof *tr->fmt);             \
        }                                                                   \
        tr->fmt[tr->n_fmt++] = (item);                                      \
    } while (0)
#define FMT_FLUSH()                                                         \
    do {                                                                    \
        if (text.len) {                                                     \
            FMT_PUSH(((struct fmt_item){F_TEXT, 0, xstrdup(text.data), NULL})); \
            sb_clear(&text);                                                \
        }                                                                   \
    } while (0)
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c == '\\' && p->pos + 1 < p->len) {
            char e = p->s[p->pos + 1];
            if (e == '/' || e == '\\' || e == '$')
                sb_addc(&text, e);
            else if (e == 'n')
                sb_addc(&text, '\n');
            else if (e == 't')
                sb_addc(&text, '\t');
            else {
                sb_addc(&text, '\\');
                sb_addc(&text, e);
            }
            p->pos += 2;
            continue;
        }
        if (c == '/') {
            ok = true;
            break;
        }
        if (c == '$') {
            size_t save = p->pos;
            int g;
            p->pos++;
            if (parse_int(p, &g)) {
                FMT_FLUSH();
                FMT_PUSH(((struct fmt_item){F_GROUP, g, NULL, NULL}));
                continue;
            }
            if (peek(p, 0) == '{') {
                p->pos++;
                if (parse_int(p, &g)) {
                    if (peek(p, 0) == '}') {
                        p->pos++;
                        FMT_FLUSH();
                        FMT_PUSH(((struct fmt_item){F_GROUP, g, NULL, NULL}));
                        continue;
                    }
                    if (peek(p, 0) == ':') {
                        p->pos++;
                        static const struct { const char *name; enum fmt_op op; } mods[] = {
                            {"/upcase}", F_UP}, {"/downcase}", F_DOWN},
                            {"/capitalize}", F_CAP}, {"/camelcase}", F_CAMEL},
                            {"/pascalcase}", F_PASCAL}};
                        bool done = false;
                        for (size_t m = 0; m < US_ARRAY_LEN(mods) && !done; m++) {
                            size_t ml = strlen(mods[m].name);
                            if (p->len - p->pos >= ml && !memcmp(p->s + p->pos, mods[m].name, ml)) {
                                p->pos += ml;
                                FMT_FLUSH();
                                FMT_PUSH(((struct fmt_item){mods[m].op, g, NULL, NULL}));
                                done = true;
                            }
                        }
                        if (done)
                            continue;
                        enum fmt_op op = F_ELSE;
                        if (peek(p, 0) == '+') {
                            op = F_IF;
                            p->pos++;
                        } else if (peek(p, 0) == '?') {
                            op = F_IFELSE;
                            p->pos++;
                        } else if (peek(p, 0) == '-') {
                            p->pos++;
                        }
                        struct strbuf a, b;
                        sb_init(&a);
                        sb_init(&b);
                        bool good;
                        if (op == F_IFELSE) {
                            good = parse_until(p, ":", &a) && (p->pos++, parse_until(p, "}", &b));
                        } else {
                            good = parse_until(p, "}", &a);
                        }
                        if (good) {
                            p->pos++; /* '}' */
                            FMT_FLUSH();
                            FMT_PUSH(((struct fmt_item){op, g, sb_take(&a),
                                                        op == F_IFELSE ? sb_take(&b)
                                                                       : NULL}));
                            sb_release(&b);
                            continue;
                        }
                        sb_release(&a);
                        sb_release(&b);
                    }
                }
            }
            p->pos = save; /* a literal '$' */
        }
        sb_addc(&text, c);
        p->pos++;
    }
    FMT_FLUSH();
#undef FMT_FLUSH
#undef FMT_PUSH
    sb_release(&text);
    return ok;
}

/* At '/': parse "/regex/format/flags" (the closing '}' is left to the caller). */
static struct transform *parse_transform(struct parser *p)
{
    size_t start = p->pos;
    struct transform *tr = xcalloc(1, sizeof *tr);
    struct strbuf re;
    sb_init(&re);
    p->pos++;
    /* The regex keeps its escapes (they mean something to the regex engine) except "\/". */
    while (p->pos < p->len && p->s[p->pos] != '/') {
        if (p->s[p->pos] == '\\' && p->pos + 1 < p->len) {
            if (p->s[p->pos + 1] != '/')
                sb_addc(&re, '\\');
            sb_addc(&re, p->s[p->pos + 1]);
            p->pos += 2;
            continue;
        }
        sb_addc(&re, p->s[p->pos++]);
    }
    if (p->pos >= p->len)
        goto fail;
    p->pos++;
    tr->regex = sb_take(&re);
    if (!parse_format(p, tr))
        goto fail;
    p->pos++; /* the '/' ending the format */
    size_t fstart = p->pos;
    while (p->pos < p->len && isalpha((unsigned char)p->s[p->pos]))
        p->pos++;
    tr->flags = xstrndup(p->s + fstart, p->pos - fstart);
    tr->raw = xstrndup(p->s + start, p->pos - start);
    return tr;
fail:
    sb_release(&re);
    transform_free(tr);
    return NULL;
}

/* At "${N|": the choice options, ending with "|}". */
static bool parse_choices(struct parser *p, struct node *n)
{
    size_t cap = 0;
    for (;;) {
        struct strbuf opt;
        sb_init(&opt);
        if (!parse_until(p, ",|$}", &opt) || p->s[p->pos] == '$' || p->s[p->pos] == '}') {
            sb_release(&opt);
            return false;
        }
        if (n->n_choices == cap) {
            cap = cap ? cap * 2 : 4;
            n->choices = xrealloc(n->choices, cap * sizeof *n->choices);
        }
        n->choices[n->n_choices++] = sb_take(&opt);
        if (p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        /* '|' must be followed by '}' */
        if (peek(p, 1) != '}')
            return false;
        p->pos += 2;
        return true;
    }
}

/* At '$': try one construct. On failure restores the position and returns false. */
/* What follows the number or name inside `${...}`: `}`, `:default}`, `|choices|}` (tabstops
 * only) or a `/regex/format/flags}` transform. Fills tmp; false when malformed. */
static bool braced_tail(struct parser *p, struct node *tmp)
{
    int c = peek(p, 0);
    if (c == '}') {
        p->pos++;
        return true;
    }
    if (c == ':') {
        p->pos++;
        tmp->has_default = true;
        struct nodelist kids = {0};
        parse_seq(p, true, &kids);
        tmp->kids = kids.v;
        tmp->n_kids = kids.n;
        if (peek(p, 0) != '}')
            return false;
        p->pos++;
        return true;
    }
    if (c == '|' && tmp->kind == N_TABSTOP) {
        p->pos++;
        tmp->kind = N_CHOICE;
        return parse_choices(p, tmp);
    }
    if (c == '/') {
        tmp->tr = parse_transform(p);
        if (!tmp->tr || peek(p, 0) != '}')
            return false;
        p->pos++;
        return true;
    }
    return false;
}

static bool parse_dollar(struct parser *p, struct nodelist *out)
{
    size_t save = p->pos;
    struct node tmp;
    memset(&tmp, 0, sizeof tmp);
    p->pos++;
    if (parse_int(p, &tmp.index)) {
        tmp.kind = N_TABSTOP;
        goto done;
    }
    if (parse_name(p, &tmp.text)) {
        tmp.kind = N_VAR;
        goto done;
    }
    if (peek(p, 0) != '{')
        goto fail;
    p->pos++;
    if (parse_int(p, &tmp.index))
        tmp.kind = N_TABSTOP;
    else if (parse_name(p, &tmp.text))
        tmp.kind = N_VAR;
    else
        goto fail;
    if (braced_tail(p, &tmp))
        goto done;
fail:
    node_release(&tmp);
    if (!p->strict_fail) {
        p->strict_fail = true;
        p->fail_at = save;
    }
    p->pos = save;
    return false;
done:
    *nl_push(out) = tmp;
    return true;
}

static void parse_seq(struct parser *p, bool nested, struct nodelist *out)
{
    struct strbuf text;
    sb_init(&text);
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (nested && c == '}')
            break;
        if (c == '\\' && p->pos + 1 < p->len &&
            (p->s[p->pos + 1] == '$' || p->s[p->pos + 1] == '}' || p->s[p->pos + 1] == '\\')) {
            sb_addc(&text, p->s[p->pos + 1]);
            p->pos += 2;
            continue;
        }
        if (c == '$') {
            nl_add_text(out, &text); /* keep the text ordered before the construct */
            if (parse_dollar(p, out))
                continue;
        }
        sb_addc(&text, c);
        p->pos++;
    }
    nl_add_text(out, &text);
    sb_release(&text);
}

/* ================================================================== rendering */

struct render {
    const struct snip_env *env;
    enum snip_mode mode;
    struct strbuf *out;
    size_t base;           /* out->len when rendering started */
    const struct node *defaults[100]; /* first tabstop node with a default, per index < 100 */
    int next_fresh;        /* fresh tabstop numbers for unknown variables (LSP) */
    long first_stop_off;
    int first_stop_idx;
    long final_off;
    int depth;
    /* Plain defaults per tabstop, computed once per render and shared by nested renders: a
     * mirror inside its own default (${1:$1$1}) would otherwise expand exponentially. */
    char **memo;  /* [100] */
    bool *busy;   /* [100]: being computed (a cycle reads as empty) */
};

static void collect_defaults(struct render *r, const struct node *kids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct node *k = &kids[i];
        if ((k->kind == N_TABSTOP || k->kind == N_CHOICE) && k->index < 100) {
            if (k->index >= r->next_fresh)
                r->next_fresh = k->index + 1;
            if (!r->defaults[k->index] &&
                ((k->kind == N_TABSTOP && k->has_default) || k->kind == N_CHOICE))
                r->defaults[k->index] = k;
        }
        collect_defaults(r, k->kids, k->n_kids);
    }
}

static void escape_into(struct strbuf *out, const char *s, size_t len, bool in_choice)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '$' || c == '}' || c == '\\' || (in_choice && (c == ',' || c == '|')))
            sb_addc(out, '\\');
        sb_addc(out, c);
    }
}

/* Text with the environment's indent after each newline; escaped in LSP mode. */
static void emit_text(struct render *r, const char *s, size_t len, bool escape)
{
    const char *indent = r->env && r->env->indent ? r->env->indent : "";
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '\n') {
            if (escape)
                escape_into(r->out, s + start, i - start, false);
            else
                sb_add(r->out, s + start, i - start);
            if (i < len) {
                sb_addc(r->out, '\n');
                sb_adds(r->out, indent);
            }
            start = i + 1;
        }
    }
}

/* ---- transforms: JavaScript regex translated to POSIX ERE (a documented subset) */

/* \d \D become bracket expressions, (?: becomes (, lazy quantifiers become greedy; \w \s \b
 * are GNU extensions glibc accepts. Returns false for constructs ERE cannot express
 * (lookaround, backreferences to named groups); the caller then keeps the plain value. */
static bool js_to_ere(const char *js, struct strbuf *ere)
{
    bool in_bracket = false;
    bool quantified = false; /* the last token emitted was a quantifier */
    for (size_t i = 0; js[i]; i++) {
        char c = js[i];
        if (c == '\\' && js[i + 1]) {
            char e = js[++i];
            quantified = false;
            if (e == 'd')
                sb_adds(ere, in_bracket ? "0-9" : "[0-9]");
            else if (e == 'D')
                sb_adds(ere, in_bracket ? "" : "[^0-9]");
            else if (e == 't')
                sb_addc(ere, '\t');
            else if (e == 'n')
                sb_addc(ere, '\n');
            else if ((e == 'w' || e == 's' || e == 'W' || e == 'S') && in_bracket)
                sb_adds(ere, e == 'w' ? "[:alnum:]_" : e == 's' ? "[:space:]" : "");
            else {
                sb_addc(ere, '\\');
                sb_addc(ere, e);
            }
            continue;
        }
        if (in_bracket) {
            if (c == ']')
                in_bracket = false;
            sb_addc(ere, c);
            continue;
        }
        if (c == '[') {
            in_bracket = true;
            quantified = false;
            sb_addc(ere, c);
            if (js[i + 1] == '^')
                sb_addc(ere, js[++i]);
            if (js[i + 1] == ']')
                sb_addc(ere, js[++i]);
            continue;
        }
        if (c == '(' && js[i + 1] == '?') {
            if (js[i + 2] == ':') {
                sb_addc(ere, '(');
                i += 2;
                continue;
            }
            return false;
        }
        if (c == '?' && quantified)
            continue; /* lazy -> greedy: close enough for snippet transforms */
        /* A quantifier on a quantifier (`a++`, `a*{2}`) is "nothing to repeat" in JavaScript;
         * glibc's regcomp would accept it and copy the tree per level, exponentially (the
         * snippet fuzzer ran out of memory on a run of `+`). A `{n,m}` counts as one token. */
        size_t rep = 0;
        if (c == '{')
            while (js[i + 1 + rep] && strchr("0123456789,", js[i + 1 + rep]))
                rep++;
        bool quant = c == '*' || c == '+' || c == '?' ||
                     (c == '{' && rep && js[i + 1 + rep] == '}');
        if (quant && quantified)
            return false;
        quantified = quant;
        if (c == '{' && quant) {
            sb_add(ere, js + i, rep + 2);
            i += rep + 1;
            continue;
        }
        sb_addc(ere, c);
    }
    return true;
}

static void case_word(struct strbuf *out, const char *s, size_t len, enum fmt_op op)
{
    bool up_next = op == F_PASCAL || op == F_CAP;
    bool first = true;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (op) {
        case F_UP: sb_addc(out, (char)toupper(c)); break;
        case F_DOWN: sb_addc(out, (char)tolower(c)); break;
        case F_CAP:
            sb_addc(out, (char)(first ? toupper(c) : c));
            first = false;
            break;
        default: /* camel/pascal: drop separators, capitalise the letter after one */
            if (c == '_' || c == '-' || c == ' ' || c == '.') {
                up_next = true;
                continue;
            }
            if (first && op == F_CAMEL)
                sb_addc(out, (char)tolower(c));
            else
                sb_addc(out, (char)(up_next ? toupper(c) : c));
            up_next = false;
            first = false;
        }
    }
}

static void apply_format(const struct transform *tr, const char *subj, const regmatch_t *m,
                         size_t nm, struct strbuf *out)
{
    for (size_t i = 0; i < tr->n_fmt; i++) {
        const struct fmt_item *f = &tr->fmt[i];
        const char *g = NULL;
        size_t glen = 0;
        if (f->op != F_TEXT && f->group >= 0 && (size_t)f->group < nm && m[f->group].rm_so >= 0) {
            g = subj + m[f->group].rm_so;
            glen = (size_t)(m[f->group].rm_eo - m[f->group].rm_so);
        }
        switch (f->op) {
        case F_TEXT: sb_adds(out, f->a); break;
        case F_GROUP: if (g) sb_add(out, g, glen); break;
        case F_UP: case F_DOWN: case F_CAP: case F_CAMEL: case F_PASCAL:
            if (g)
                case_word(out, g, glen, f->op);
            break;
        case F_IF: if (g && glen) sb_adds(out, f->a); break;
        case F_IFELSE: sb_adds(out, g && glen ? f->a : f->b); break;
        case F_ELSE:
            if (g && glen)
                sb_add(out, g, glen);
            else
                sb_adds(out, f->a);
            break;
        }
    }
}

/* Apply tr to value; on a regex we cannot translate or compile, the value passes unchanged. */
static void apply_transform(const struct transform *tr, const char *value, struct strbuf *out)
{
    struct strbuf ere;
    sb_init(&ere);
    regex_t re;
    int cflags = REG_EXTENDED;
    if (strchr(tr->flags, 'i'))
        cflags |= REG_ICASE;
    if (!js_to_ere(tr->regex, &ere) || regcomp(&re, ere.data, cflags) != 0) {
        sb_adds(out, value);
        sb_release(&ere);
        return;
    }
    bool global = strchr(tr->flags, 'g') != NULL;
    const char *s = value;
    regmatch_t m[10];
    int eflags = 0;
    while (*s && regexec(&re, s, 10, m, eflags) == 0) {
        sb_add(out, s, (size_t)m[0].rm_so);
        apply_format(tr, s, m, 10, out);
        if (m[0].rm_eo == m[0].rm_so) { /* empty match: step one byte to make progress */
            if (!s[m[0].rm_eo]) {
                s += m[0].rm_eo;
                break;
            }
            sb_addc(out, s[m[0].rm_eo]);
            s += m[0].rm_eo + 1;
        } else {
            s += m[0].rm_eo;
        }
        eflags = REG_NOTBOL;
        if (!global)
            break;
    }
    if (s == value && !*s && regexec(&re, "", 10, m, 0) == 0)
        apply_format(tr, "", m, 10, out); /* empty value: format may still add text */
    else
        sb_adds(out, s);
    regfree(&re);
    sb_release(&ere);
}

static void render_nodes(struct render *r, const struct node *kids, size_t n);

/* Plain text of a tabstop's default (for mirrors and transformed tabstops). */
static void plain_default(struct render *r, int index, struct strbuf *into)
{
    const struct node *d = index >= 0 && index < 100 ? r->defaults[index] : NULL;
    if (!d || r->depth > 8 || r->busy[index])
        return;
    if (!r->memo[index]) {
        struct strbuf text;
        sb_init(&text);
        struct render sub = *r;
        sub.out = &text;
        sub.mode = SNIP_PLAIN;
        sub.base = 0;
        sub.depth++;
        sub.first_stop_idx = -1;
        r->busy[index] = true;
        if (d->kind == N_CHOICE) {
            if (d->n_choices)
                sb_adds(&text, d->choices[0]);
        } else {
            render_nodes(&sub, d->kids, d->n_kids);
        }
        r->busy[index] = false;
        r->memo[index] = sb_detach(&text, NULL);
    }
    sb_adds(into, r->memo[index]);
}

static void mark_stop(struct render *r, int index)
{
    long off = (long)(r->out->len - r->base);
    if (index == 0) {
        if (r->final_off < 0)
            r->final_off = off;
    } else if (r->first_stop_idx < 0 || index < r->first_stop_idx) {
        r->first_stop_idx = index;
        r->first_stop_off = off;
    }
}

static bool next_is_digit(const struct node *kids, size_t n, size_t i)
{
    return i + 1 < n && kids[i + 1].kind == N_TEXT && isdigit((unsigned char)kids[i + 1].text[0]);
}

static void render_var(struct render *r, const struct node *k)
{
    struct strbuf val;
    sb_init(&val);
    int rc = snip_var_resolve(k->text, r->env, &val);
    if (rc == 0 && k->tr) {
        struct strbuf t;
        sb_init(&t);
        apply_transform(k->tr, val.data, &t);
        sb_release(&val);
        val = t;
    }
    if (rc == 0 && val.len) {
        emit_text(r, val.data, val.len, r->mode == SNIP_LSP);
    } else if (rc == 0 || r->mode == SNIP_PLAIN) {
        /* known but empty: the default; unknown in plain text: default or the name */
        if (k->has_default)
            render_nodes(r, k->kids, k->n_kids);
        else if (rc != 0)
            sb_adds(r->out, k->text);
    } else {
        /* unknown variable for an LSP client: a placeholder holding the default or the name */
        sb_addf(r->out, "${%d:", r->next_fresh++);
        if (k->has_default)
            render_nodes(r, k->kids, k->n_kids);
        else
            escape_into(r->out, k->text, strlen(k->text), false);
        sb_addc(r->out, '}');
    }
    sb_release(&val);
}

static void render_nodes(struct render *r, const struct node *kids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct node *k = &kids[i];
        switch (k->kind) {
        case N_TEXT:
            emit_text(r, k->text, strlen(k->text), r->mode == SNIP_LSP);
            break;
        case N_VAR:
            render_var(r, k);
            break;
        case N_CHOICE:
            if (r->mode == SNIP_LSP) {
                sb_addf(r->out, "${%d|", k->index);
                for (size_t c = 0; c < k->n_choices; c++) {
                    if (c)
                        sb_addc(r->out, ',');
                    escape_into(r->out, k->choices[c], strlen(k->choices[c]), true);
                }
                sb_adds(r->out, "|}");
            } else {
                mark_stop(r, k->index);
                if (k->n_choices)
                    sb_adds(r->out, k->choices[0]);
            }
            break;
        case N_TABSTOP:
            if (r->mode == SNIP_LSP) {
                if (k->tr) {
                    sb_addf(r->out, "${%d%s}", k->index, k->tr->raw);
                } else if (k->has_default) {
                    sb_addf(r->out, "${%d:", k->index);
                    render_nodes(r, k->kids, k->n_kids);
                    sb_addc(r->out, '}');
                } else if (next_is_digit(kids, n, i)) {
                    sb_addf(r->out, "${%d}", k->index);
                } else {
                    sb_addf(r->out, "$%d", k->index);
                }
            } else {
                mark_stop(r, k->index);
                if (k->has_default) {
                    render_nodes(r, k->kids, k->n_kids);
                } else {
                    struct strbuf d;
                    sb_init(&d);
                    plain_default(r, k->index, &d);
                    if (k->tr) {
                        struct strbuf t;
                        sb_init(&t);
                        apply_transform(k->tr, d.data, &t);
                        sb_adds(r->out, t.data);
                        sb_release(&t);
                    } else {
                        sb_adds(r->out, d.data);
                    }
                    sb_release(&d);
                }
            }
            break;
        }
    }
}

static void parse_body(const char *body, struct nodelist *out, struct parser *p)
{
    memset(p, 0, sizeof *p);
    p->s = body;
    p->len = strlen(body);
    parse_seq(p, false, out);
}

void snip_render(const char *body, const struct snip_env *env, enum snip_mode mode,
                 struct strbuf *out, long *cursor)
{
    struct nodelist nodes = {0};
    struct parser p;
    parse_body(body, &nodes, &p);
    struct render r;
    memset(&r, 0, sizeof r);
    r.env = env;
    r.mode = mode;
    r.out = out;
    r.base = out->len;
    r.next_fresh = 1;
    r.first_stop_idx = -1;
    r.final_off = -1;
    char *memo[100] = {0};
    bool busy[100] = {0};
    r.memo = memo;
    r.busy = busy;
    collect_defaults(&r, nodes.v, nodes.n);
    render_nodes(&r, nodes.v, nodes.n);
    if (cursor)
        *cursor = mode == SNIP_LSP ? -1 : r.first_stop_idx >= 0 ? r.first_stop_off : r.final_off;
    for (int i = 0; i < 100; i++)
        free(memo[i]);
    nodes_free(nodes.v, nodes.n);
}

int snip_check(const char *body, size_t *where)
{
    struct nodelist nodes = {0};
    struct parser p;
    parse_body(body, &nodes, &p);
    nodes_free(nodes.v, nodes.n);
    /* A '$' followed by something that is not a construct start is just a dollar sign ("$ 5",
     * "$$"): only count failures where a construct clearly began. */
    if (p.strict_fail) {
        const char *s = body + p.fail_at;
        if (s[1] == '{' || isdigit((unsigned char)s[1])) {
            if (where)
                *where = p.fail_at;
            return US_EPARSE;
        }
    }
    return 0;
}
