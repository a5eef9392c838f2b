/* syntax_cursor: what the cursor sees: situation (code, comment, string, member access), the
 * shape to write (line or block), enclosing scopes, visible names and the file's imports. */
#include "syntax_int.h"

#include <stdlib.h>

/* ---------------------------------------------------------------- text helpers */

/* One line of text: whitespace runs collapsed, trimmed, capped on a UTF-8 boundary. */
static char *one_line(const char *s, size_t n, size_t cap)
{
    char *out = xmalloc(n + 1);
    size_t w = 0;
    bool space = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = w > 0;
            continue;
        }
        if (space)
            out[w++] = ' ';
        space = false;
        out[w++] = (char)c;
    }
    if (w > cap) {
        w = cap;
        while (w > 0 && ((unsigned char)out[w] & 0xC0) == 0x80)
            w--;
    }
    out[w] = 0;
    return out;
}

static char *scope_header(const struct syn_doc *doc, const struct scope_rec *s)
{
    uint32_t a = s->start, b;
    if (s->body_e && s->body_s > s->start)
        b = s->body_s;
    else {
        if (s->kind == SYN_KIND_BLOCK) {
            a = syn__line_start(doc, s->start);
        }
        b = syn__line_end(doc, s->start);
        if (b > s->end)
            b = s->end;
    }
    char *h = one_line(doc->text + a, b - a, 240);
    size_t n = strlen(h);
    while (n && (h[n - 1] == '{' || h[n - 1] == ' '))
        h[--n] = 0;
    return h;
}

/* ---------------------------------------------------------------- cursor analysis */

static enum syn_situation tree_situation(struct syn_doc *doc, uint32_t b, bool *unclosed)
{
    if (!doc->tree || b == 0)
        return SYN_SIT_CODE;
    TSNode root = ts_tree_root_node(doc->tree);
    if (syn__open_comment(doc, root, b)) {
        *unclosed = true;
        return SYN_SIT_COMMENT;
    }
    TSNode n = ts_node_descendant_for_byte_range(root, b - 1, b);
    for (int guard = 0; !ts_node_is_null(n) && guard < 64; guard++, n = ts_node_parent(n)) {
        const char *type = ts_node_type(n);
        uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
        bool comment = syn__in_list(doc->lang->comment_types, type);
        bool string = !comment && syn__in_list(doc->lang->string_types, type);
        if (!comment && !string)
            continue;
        if (s < b && b < e)
            return comment ? SYN_SIT_COMMENT : SYN_SIT_STRING;
        if (comment && b == e && s < b) {
            /* At the end of a line comment we are still in it; after a block comment not. */
            const char *lc = doc->lang->line_comment;
            if (lc && e - s >= strlen(lc) && memcmp(doc->text + s, lc, strlen(lc)) == 0)
                return SYN_SIT_COMMENT;
            if (doc->text[e - 1] != '/' && doc->text[e - 1] != ']')
                return SYN_SIT_COMMENT;
        }
        if (string && b == e && s < b && e - s == 1)
            return SYN_SIT_STRING; /* a lone opening quote */
    }
    *unclosed = syn__open_string(doc, root, b);
    return *unclosed ? SYN_SIT_STRING : SYN_SIT_CODE;
}

/* Text left of a member operator: identifier chains with `.`, `->`, `::` and balanced
 * ()/[] groups, e.g. "self.items[0]" or "std". */
static char *member_receiver(const struct syn_doc *doc, uint32_t op_start)
{
    uint32_t a = op_start;
    int depth = 0;
    while (a > 0) {
        char c = doc->text[a - 1];
        if (c == ')' || c == ']') {
            depth++;
            a--;
        } else if ((c == '(' || c == '[') && depth > 0) {
            depth--;
            a--;
        } else if (depth > 0 && c != '\n') {
            a--;
        } else if (syn__is_ident((unsigned char)c) || c == '.' || c == '@') {
            a--;
        } else if (c == '>' && a >= 2 && doc->text[a - 2] == '-') {
            a -= 2;
        } else if (c == ':' && a >= 2 && doc->text[a - 2] == ':') {
            a -= 2;
        } else {
            break;
        }
        if (op_start - a > 200)
            break;
    }
    if (a == op_start)
        return NULL;
    return xstrndup(doc->text + a, op_start - a);
}

static bool ends_with_word(const char *s, size_t n, const char *w)
{
    size_t wl = strlen(w);
    if (n < wl || memcmp(s + n - wl, w, wl) != 0)
        return false;
    return n == wl || !syn__is_ident((unsigned char)s[n - wl - 1]);
}

static bool starts_with_word(const char *s, size_t n, const char *w)
{
    size_t wl = strlen(w);
    return n > wl && memcmp(s, w, wl) == 0 && !syn__is_ident((unsigned char)s[wl]);
}

/* Does a (trimmed) line of code ask for a block to follow? */
static bool line_opens_block(const struct syn_doc *doc, const char *s, size_t n)
{
    if (!n)
        return false;
    char last = s[n - 1];
    if (last == '{' || last == '[' || last == '(')
        return last == '{';
    const char *lc = doc->lang ? doc->lang->line_comment : NULL;
    bool hash_comment = lc && strcmp(lc, "#") == 0;
    if (last == ':' && hash_comment && !(n >= 2 && s[n - 2] == ':'))
        return true; /* Python headers (and Ruby symbols never end a line with a lone ':') */
    /* Ruby block parameters: `each do |x|`, `map { |x|` */
    if (last == '|' && n >= 2) {
        const char *bar = memchr(s, '|', n - 1);
        if (bar && bar > s) {
            size_t k = (size_t)(bar - s);
            while (k > 0 && s[k - 1] == ' ')
                k--;
            if ((k >= 1 && s[k - 1] == '{') || ends_with_word(s, k, "do"))
                return true;
        }
    }
    if (ends_with_word(s, n, "do") || ends_with_word(s, n, "then") ||
        ends_with_word(s, n, "else") || ends_with_word(s, n, "begin") ||
        ends_with_word(s, n, "repeat"))
        return true;
    if (starts_with_word(s, n, "case") && ends_with_word(s, n, "in"))
        return true; /* shell: case "$1" in */
    static const char *const fn_words[] = {"def", "function", "func", "fn", "local function",
                                           "pub fn", "async function", "async def",
                                           "export function", "class", "module", NULL};
    for (const char *const *w = fn_words; *w; w++)
        if (starts_with_word(s, n, *w) && last != ';' && last != '}' && last != ',' &&
            !(last == ')' && memchr(s, '=', n) && !strstr(s, "=>") && strcmp(*w, "def") != 0))
            return last != ':' || hash_comment;
    /* C-like signatures and control headers: `int add(int a, int b)`, `if (x)`. */
    if (last == ')' && !hash_comment) {
        static const char *const ctl[] = {"if", "for", "while", "switch", "catch", "else if",
                                          NULL};
        for (const char *const *w = ctl; *w; w++)
            if (starts_with_word(s, n, *w))
                return true;
        /* type name(...) with no '=' and not a statement keyword */
        const char *paren = memchr(s, '(', n);
        if (paren && paren > s && !memchr(s, '=', (size_t)(paren - s)) &&
            !starts_with_word(s, n, "return")) {
            const char *sp = memchr(s, ' ', (size_t)(paren - s));
            if (sp && syn__is_ident((unsigned char)paren[-1]))
                return true;
        }
    }
    return false;
}

static enum syn_shape compute_shape(const struct syn_doc *doc, uint32_t b)
{
    /* Text after the cursor on its line: the insertion completes that line. */
    for (uint32_t i = b; i < doc->len && doc->text[i] != '\n'; i++)
        if (!isspace((unsigned char)doc->text[i]) && !strchr(")]}\"'`", doc->text[i]))
            return SYN_SHAPE_LINE;
    uint32_t ls = syn__line_start(doc, b);
    uint32_t a = ls;
    while (a < b && (doc->text[a] == ' ' || doc->text[a] == '\t'))
        a++;
    uint32_t from, to;
    if (a < b) {
        from = a;
        to = b;
    } else {
        /* Blank so far: look at the previous non-blank line. */
        uint32_t e = ls;
        while (e > 0 && (doc->text[e - 1] == '\n' || doc->text[e - 1] == ' ' ||
                         doc->text[e - 1] == '\t' || doc->text[e - 1] == '\r'))
            e--;
        if (e == 0)
            return SYN_SHAPE_LINE;
        to = e;
        from = syn__line_start(doc, e);
        while (from < to && (doc->text[from] == ' ' || doc->text[from] == '\t'))
            from++;
    }
    while (to > from && (doc->text[to - 1] == ' ' || doc->text[to - 1] == '\t' ||
                         doc->text[to - 1] == '\r'))
        to--;
    return line_opens_block(doc, doc->text + from, to - from) ? SYN_SHAPE_BLOCK : SYN_SHAPE_LINE;
}

bool syn__scope_contains(const struct syn_doc *doc, const struct scope_rec *s, uint32_t b)
{
    if (s->start >= b)
        return false;
    if (b < s->end)
        return true;
    if (b == s->end) {
        char c = doc->text[s->end - 1];
        return c != '}' && c != ')' && c != ']' && !(s->end >= 3 && ends_with_word(doc->text, s->end, "end"));
    }
    if (!doc->lang->indent_scopes)
        return false;
    /* Python: blank space after the body's last statement still belongs to the body when
     * the cursor is indented deeper than the header. */
    for (uint32_t i = s->end; i < b; i++)
        if (!isspace((unsigned char)doc->text[i]))
            return false;
    uint32_t ls = syn__line_start(doc, b), hs = syn__line_start(doc, s->start);
    uint32_t ci = 0, hi = 0;
    while (ls + ci < b && (doc->text[ls + ci] == ' ' || doc->text[ls + ci] == '\t'))
        ci++;
    while (doc->text[hs + hi] == ' ' || doc->text[hs + hi] == '\t')
        hi++;
    return ls + ci == b && ci > hi;
}

int syn_doc_analyze(struct syn_doc *doc, uint32_t byte, struct syn_cursor *out)
{
    memset(out, 0, sizeof(*out));
    if (!doc)
        return US_EINVAL;
    uint32_t b = byte > doc->len ? (uint32_t)doc->len : byte;
    while (b > 0 && b < doc->len && ((unsigned char)doc->text[b] & 0xC0) == 0x80)
        b--;
    uint32_t p = b;
    while (p > 0 && syn__is_ident((unsigned char)doc->text[p - 1]) && b - p < 256)
        p--;
    out->partial = xstrndup(doc->text + p, b - p);

    /* Situation. */
    out->situation = doc->lang ? tree_situation(doc, b, &out->unclosed) : SYN_SIT_CODE;
    if (out->situation == SYN_SIT_CODE) {
        uint32_t ls = syn__line_start(doc, b), i = ls;
        while (i < b && (doc->text[i] == ' ' || doc->text[i] == '\t'))
            i++;
        uint32_t op = 0;
        if (p >= 1 && doc->text[p - 1] == '.' && !(p >= 2 && doc->text[p - 2] == '.'))
            op = p - 1;
        else if (p >= 2 && ((doc->text[p - 2] == '-' && doc->text[p - 1] == '>') ||
                            (doc->text[p - 2] == ':' && doc->text[p - 1] == ':')))
            op = p - 2;
        if (op) {
            char *recv = member_receiver(doc, op);
            bool numeric = recv && isdigit((unsigned char)recv[0]);
            if (recv && !numeric) {
                out->situation = SYN_SIT_MEMBER;
                out->receiver = recv;
            } else {
                free(recv);
            }
        }
        if (out->situation == SYN_SIT_CODE && i == b)
            out->situation = SYN_SIT_LINE_START;
    }
    out->shape = compute_shape(doc, b);

    if (!doc->lang || !doc->tree)
        return 0;
    syn__build_index(doc);
    struct index *ix = &doc->idx;

    /* Enclosing scopes, innermost first (a later start nests deeper). */
    int *encl = xmalloc((ix->n_scopes + 1) * sizeof(int));
    size_t ne = 0;
    for (size_t i = ix->n_scopes; i > 0; i--)
        if (syn__scope_contains(doc, &ix->scopes[i - 1], b))
            encl[ne++] = (int)(i - 1);
    out->scopes = xmalloc((ne + 1) * sizeof(*out->scopes));
    out->n_scopes = ne;
    for (size_t i = 0; i < ne; i++) {
        const struct scope_rec *s = &ix->scopes[encl[i]];
        struct syn_scope *o = &out->scopes[i];
        o->kind = s->kind;
        if (s->kind == SYN_KIND_FUNCTION) {
            for (size_t k = i + 1; k < ne; k++) {
                enum syn_kind pk = ix->scopes[encl[k]].kind;
                if (pk == SYN_KIND_BLOCK)
                    continue;
                if (pk == SYN_KIND_CLASS)
                    o->kind = SYN_KIND_METHOD;
                break;
            }
        }
        o->name = xstrndup(doc->text + s->name_s, s->name_e - s->name_s);
        o->header = scope_header(doc, s);
        o->start_byte = s->start;
        o->end_byte = s->end;
    }

    /* Visible names. */
    out->names = xmalloc((ix->n_defs + 1) * sizeof(*out->names));
    size_t nn = 0;
    for (size_t i = 0; i < ix->n_defs; i++) {
        const struct def_rec *d = &ix->defs[i];
        uint32_t depth = (uint32_t)ne;
        if (d->owner >= 0) {
            size_t k = 0;
            while (k < ne && encl[k] != d->owner)
                k++;
            if (k == ne)
                continue; /* defined in a scope the cursor is not in */
            depth = (uint32_t)k;
            if (d->kind == SYN_KIND_FIELD && ix->scopes[d->owner].kind != SYN_KIND_CLASS)
                continue; /* self.x = ... in a method: reached through self, not bare */
            bool declared_anywhere = d->kind == SYN_KIND_FUNCTION || d->kind == SYN_KIND_CLASS ||
                                     d->kind == SYN_KIND_TYPE || d->kind == SYN_KIND_METHOD;
            if (!declared_anywhere && d->name_s >= p)
                continue;
        }
        else if (d->kind == SYN_KIND_FIELD) {
            continue; /* struct fields and object keys are not names of the file */
        }
        if (d->name_s <= p && d->name_e >= b && d->name_e > p)
            continue; /* the word being typed */
        out->names[nn].name = xstrndup(doc->text + d->name_s, d->name_e - d->name_s);
        out->names[nn].kind = d->kind;
        out->names[nn].depth = depth;
        nn++;
    }
    /* Nearest scope first; within a scope the latest definition (closest to the cursor). */
    for (size_t i = 0; i < nn / 2; i++) {
        struct syn_name t = out->names[i];
        out->names[i] = out->names[nn - 1 - i];
        out->names[nn - 1 - i] = t;
    }
    /* Stable counting sort by depth keeps the closeness order within a scope; a hash set
     * drops shadowed names in linear time (files may define thousands). */
    size_t *count = xcalloc(ne + 2, sizeof(size_t));
    struct syn_name *sorted = xmalloc((nn + 1) * sizeof(*sorted));
    if (!count)
        abort();
    for (size_t i = 0; i < nn; i++)
        count[out->names[i].depth + 1]++;
    for (size_t d = 1; d <= ne + 1; d++)
        count[d] += count[d - 1];
    for (size_t i = 0; i < nn; i++)
        sorted[count[out->names[i].depth]++] = out->names[i];
    free(count);
    free(out->names);
    out->names = sorted;
    size_t hcap = 16;
    while (hcap < nn * 2)
        hcap *= 2;
    const char **seen = xcalloc(hcap, sizeof(*seen));
    if (!seen)
        abort();
    size_t w = 0;
    for (size_t i = 0; i < nn; i++) {
        uint32_t h = 2166136261u;
        for (const char *c = out->names[i].name; *c; c++)
            h = (h ^ (unsigned char)*c) * 16777619u;
        size_t slot = h & (hcap - 1);
        bool dup = false;
        while (seen[slot] && !(dup = strcmp(seen[slot], out->names[i].name) == 0))
            slot = (slot + 1) & (hcap - 1);
        if (dup) {
            free(out->names[i].name);
            continue;
        }
        seen[slot] = out->names[i].name;
        out->names[w++] = out->names[i];
    }
    free(seen);
    out->n_names = w;
    free(encl);

    /* Imports. */
    if (ix->n_imports) {
        size_t total = 0, cap = 4096;
        char *buf = xmalloc(cap + 1);
        for (size_t i = 0; i < ix->n_imports; i++) {
            const struct imp_rec *r = &ix->imports[i];
            char *line = one_line(doc->text + r->start, r->end - r->start, 300);
            size_t l = strlen(line);
            if (total + l + 1 > cap) {
                free(line);
                break;
            }
            if (total)
                buf[total++] = '\n';
            memcpy(buf + total, line, l);
            total += l;
            out->n_imports++;
            free(line);
        }
        buf[total] = 0;
        out->imports = buf;
    }
    return 0;
}

void syn_cursor_release(struct syn_cursor *cur)
{
    if (!cur)
        return;
    free(cur->receiver);
    free(cur->partial);
    for (size_t i = 0; i < cur->n_scopes; i++) {
        free(cur->scopes[i].name);
        free(cur->scopes[i].header);
    }
    free(cur->scopes);
    for (size_t i = 0; i < cur->n_names; i++)
        free(cur->names[i].name);
    free(cur->names);
    free(cur->imports);
    memset(cur, 0, sizeof(*cur));
}
