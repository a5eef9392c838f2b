/* context: the completion context of a cursor. */
#include "context.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "languages.h"
#include "uri.h"

char *context_path_from_uri(const char *uri)
{
    char *path = NULL;
    bool is_file = false;
    if (us_uri_to_path(uri, &path, &is_file) < 0 || !is_file) {
        free(path);
        return NULL;
    }
    return path;
}

static const char *lang_name_of(struct doc *d)
{
    const struct lang_info *l = lang_for_document(d->language_id, d->uri);
    return l ? l->name : (d->language_id[0] ? d->language_id : "plaintext");
}

/* Identifiers of the few lines around the cursor, to find related code elsewhere. */
static size_t neighbourhood_words(const char *text, size_t from, size_t to, char words[][48],
                                  size_t max)
{
    size_t n = 0;
    size_t i = from;
    while (i < to && n < max) {
        if (isalpha((unsigned char)text[i]) || text[i] == '_') {
            size_t s = i;
            while (i < to && (isalnum((unsigned char)text[i]) || text[i] == '_'))
                i++;
            size_t len = i - s;
            if (len >= 3 && len < 48) {
                bool dup = false;
                for (size_t k = 0; k < n; k++)
                    if (strlen(words[k]) == len && memcmp(words[k], text + s, len) == 0)
                        dup = true;
                if (!dup) {
                    memcpy(words[n], text + s, len);
                    words[n][len] = 0;
                    n++;
                }
            }
        } else {
            i++;
        }
    }
    return n;
}

struct excerpt_search {
    const struct context_privacy *pv;
    unsigned counts[PRIVACY_TYPE_COUNT];
    struct doc *self;
    const char *language;
    char (*words)[48];
    size_t n_words;
    struct completion_context *out;
    size_t n;
};

/* Count the secrets of m overlapping [a, b) of the original text, per type. */
static void window_counts(const struct mask_result *m, size_t a, size_t b,
                          unsigned counts[PRIVACY_TYPE_COUNT])
{
    for (size_t i = 0; i < m->n_spans; i++) {
        const struct privacy_span *sp = &m->spans[i];
        if (sp->start >= b)
            break;
        if (sp->end > a)
            counts[sp->type]++;
    }
}

static char *format_counts(const unsigned counts[PRIVACY_TYPE_COUNT])
{
    struct strbuf sb;
    sb_init(&sb);
    for (int t = 0; t < PRIVACY_TYPE_COUNT; t++)
        if (counts[t])
            sb_addf(&sb, "%s%s=%u", sb.len ? " " : "", privacy_type_name(t), counts[t]);
    return sb_detach(&sb, NULL);
}

/* Take the first lines of definitions in other documents whose names the cursor's
 * neighbourhood mentions. */
static int cmp_name_key(const void *key, const void *def)
{
    return strcmp(key, ((const struct syn_def *)def)->name);
}

/* For each word of the cursor's neighbourhood that another document defines (a function, a
 * type, a method: not a local), take the first lines of that definition. The definitions come
 * from the document's per-version cache, sorted by name, so this is a few binary searches per
 * document rather than a pass over its definitions. */
static void excerpt_from(struct doc *o, void *ud)
{
    struct excerpt_search *es = ud;
    if (o == es->self || es->n >= CONTEXT_MAX_EXCERPTS || (!o->syntax && !o->syntax_evicted) ||
        strcmp(lang_name_of(o), es->language) != 0)
        return;
    /* An excluded document's text never rides along, whatever its URI's scheme or escapes. */
    if (es->pv && privacy_exclude_match(es->pv->exclude, o->uri))
        return;
    size_t nd;
    const struct syn_def *defs = doc_definitions(o, &nd);
    for (size_t w = 0; w < es->n_words && es->n < CONTEXT_MAX_EXCERPTS; w++) {
        const struct syn_def *hit = nd ? bsearch(es->words[w], defs, nd, sizeof(*defs),
                                                 cmp_name_key)
                                       : NULL;
        if (!hit)
            continue;
        /* bsearch lands on any of equal names: step back to the first. */
        while (hit > defs && strcmp(hit[-1].name, hit->name) == 0)
            hit--;
        for (; hit < defs + nd && strcmp(hit->name, es->words[w]) == 0; hit++)
            if (hit->kind != SYN_KIND_VAR && hit->kind != SYN_KIND_PARAMETER &&
                hit->kind != SYN_KIND_IMPORT)
                break;
        if (hit == defs + nd || strcmp(hit->name, es->words[w]) != 0)
            continue;
        size_t a = hit->start_byte, b = US_MIN((size_t)hit->end_byte, o->text.len);
        if (b > a + CONTEXT_EXCERPT_BYTES) {
            b = a + CONTEXT_EXCERPT_BYTES;
            while (b > a && o->text.data[b - 1] != '\n')
                b--;
        }
        if (b <= a)
            continue;
        if (es->pv && es->pv->mask && es->pv->cache) {
            /* Cut from the other document's masked text (cached per version): a key inside
             * the function, or cut by the excerpt's end, is a placeholder. */
            const struct mask_result *m = privacy_cache_get(
                es->pv->cache, o->uri, (int64_t)o->edit_count, o->text.data, o->text.len);
            size_t ma = privacy_map_offset(m, a, false), mb = privacy_map_offset(m, b, false);
            window_counts(m, a, b, es->counts);
            es->out->excerpt_text[es->n] = xstrndup(m->text + ma, mb > ma ? mb - ma : 0);
        } else {
            es->out->excerpt_text[es->n] = xstrndup(o->text.data + a, b - a);
        }
        es->out->excerpts[es->n].path = o->uri;
        es->out->excerpts[es->n].text = es->out->excerpt_text[es->n];
        es->n++;
    }
}

static bool word_is(const char *w, size_t n, const char *kw)
{
    return strlen(kw) == n && memcmp(w, kw, n) == 0;
}

static bool word_in(const char *w, size_t n, const char *const *kws)
{
    for (; *kws; kws++)
        if (word_is(w, n, *kws))
            return true;
    return false;
}

/* Which brackets the file still needs closed (PROV_UNCLOSED_*): only when tree-sitter found
 * an error, the document's counts of each pair (outside the simplest strings and comments)
 * say which kind is short of closers. Keyword blocks count the same way: Lua's `function`,
 * `if` and `do` (of `for ... do`, `while ... do` and plain `do`) against `end`; Ruby's
 * block keywords starting a statement (or after `=`) and `do` against `end`; the shell's
 * `if`/`fi`, `do`/`done` and `case`/`esac`. */
static unsigned context_unclosed(struct syn_doc *syn, const char *lang, const char *text,
                                 size_t len)
{
    bool lua = strcmp(lang, "lua") == 0;
    bool ruby = strcmp(lang, "ruby") == 0;
    bool shell = strcmp(lang, "shellscript") == 0;
    if (!syn_doc_has_error(syn))
        return 0;
    static const char *const ruby_starts[] = {"def", "class", "module", "if", "unless", "while",
                                              "until", "case", "begin", "for", NULL};
    static const char *const ruby_values[] = {"if", "unless", "case", "begin", "while", "until",
                                              NULL};
    long brace = 0, paren = 0, square = 0, end = 0, fi = 0, done = 0, esac = 0;
    char quote = 0;
    bool line_start = true;  /* no word yet in this statement */
    bool after_assign = false; /* the last non-blank character was '=' */
    bool loop_line = false;  /* Ruby: this line's while/until/for takes the line's `do` */
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (quote) {
            if (ch == '\\')
                i++;
            else if (ch == quote || ch == '\n')
                quote = 0;
            continue;
        }
        if (ch == '\n' || ch == ';') {
            line_start = true;
            after_assign = false;
            if (ch == '\n')
                loop_line = false;
            continue;
        }
        if (ch == ' ' || ch == '\t' || ch == '\r')
            continue;
        bool assign = false;
        if (ch == '"' || ch == '\'' || ch == '`') {
            quote = ch;
        } else if ((ch == '/' && i + 1 < len && text[i + 1] == '/') ||
                   (lua && ch == '-' && i + 1 < len && text[i + 1] == '-') ||
                   ((ruby || shell) && ch == '#' &&
                    (i == 0 || isspace((unsigned char)text[i - 1])))) {
            while (i + 1 < len && text[i + 1] != '\n') /* line comment (C family, Lua, #) */
                i++;
            continue;
        } else if ((lua || ruby || shell) && (isalpha((unsigned char)ch) || ch == '_') &&
                   (i == 0 || !(isalnum((unsigned char)text[i - 1]) || text[i - 1] == '_' ||
                                text[i - 1] == '.' || text[i - 1] == ':' ||
                                text[i - 1] == '$'))) {
            size_t j = i;
            while (j < len && (isalnum((unsigned char)text[j]) || text[j] == '_'))
                j++;
            const char *w = text + i;
            size_t n = j - i;
            bool key_ok = j >= len || (text[j] != '=' || (j + 1 < len && text[j + 1] == '='));
            if (lua) {
                if (word_is(w, n, "function") || word_is(w, n, "if") || word_is(w, n, "do"))
                    end++;
                else if (word_is(w, n, "end"))
                    end--;
            } else if (ruby && key_ok) {
                if ((line_start && word_in(w, n, ruby_starts)) ||
                    (after_assign && word_in(w, n, ruby_values))) {
                    end++;
                    if (word_is(w, n, "while") || word_is(w, n, "until") || word_is(w, n, "for"))
                        loop_line = true;
                } else if (word_is(w, n, "do")) {
                    if (loop_line)
                        loop_line = false;
                    else
                        end++;
                } else if (word_is(w, n, "end")) {
                    end--;
                }
            } else if (shell && key_ok) {
                if (word_is(w, n, "if"))
                    fi++;
                else if (word_is(w, n, "fi"))
                    fi--;
                else if (word_is(w, n, "do"))
                    done++;
                else if (word_is(w, n, "done"))
                    done--;
                else if (word_is(w, n, "case"))
                    esac++;
                else if (word_is(w, n, "esac"))
                    esac--;
            }
            i = j - 1;
            line_start = false;
            after_assign = false;
            continue;
        } else if (ch == '{') {
            brace++;
        } else if (ch == '}') {
            brace--;
        } else if (ch == '(') {
            paren++;
        } else if (ch == ')') {
            paren--;
        } else if (ch == '[') {
            square++;
        } else if (ch == ']') {
            square--;
        } else if (ch == '=') {
            assign = true;
        }
        line_start = line_start && (ch == '(' || ch == '{');
        after_assign = assign;
    }
    return (brace > 0 ? PROV_UNCLOSED_BRACE : 0) | (paren > 0 ? PROV_UNCLOSED_PAREN : 0) |
           (square > 0 ? PROV_UNCLOSED_SQUARE : 0) | (end > 0 ? PROV_UNCLOSED_END : 0) |
           (fi > 0 ? PROV_UNCLOSED_FI : 0) | (done > 0 ? PROV_UNCLOSED_DONE : 0) |
           (esac > 0 ? PROV_UNCLOSED_ESAC : 0);
}

void context_build(struct docstore *docs, struct doc *d, size_t offset, int max_lines,
                   const struct context_privacy *pv, struct completion_context *out)
{
    memset(out, 0, sizeof(*out));
    const char *text = d->text.data;
    size_t len = d->text.len;
    if (offset > len)
        offset = len;
    out->offset = offset;

    /* Mask first, cut later: the windows come from the whole document's masked text (cached
     * per edit), so a key block the window's edge cuts in two is a placeholder on both sides
     * (a fragment alone cannot tell a key line from code). */
    const char *wt = text;
    size_t wlen = len, woff = offset;
    const struct mask_result *m = NULL;
    unsigned counts[PRIVACY_TYPE_COUNT] = {0};
    if (pv && pv->mask && pv->cache) {
        m = privacy_cache_get(pv->cache, d->uri, (int64_t)d->edit_count, text, len);
        wt = m->text;
        wlen = m->len;
        woff = privacy_map_offset(m, offset, false);
    }
    /* Windows cut at line boundaries: whole lines read better for every model. */
    size_t ps = woff > CONTEXT_PREFIX_BYTES ? woff - CONTEXT_PREFIX_BYTES : 0;
    if (ps > 0) {
        const char *nl = memchr(wt + ps, '\n', woff - ps);
        if (nl)
            ps = (size_t)(nl - wt) + 1;
    }
    size_t se = US_MIN(wlen, woff + CONTEXT_SUFFIX_BYTES);
    if (se < wlen) {
        size_t k = se;
        while (k > woff && wt[k - 1] != '\n')
            k--;
        if (k > woff)
            se = k;
    }
    out->prefix = xstrndup(wt + ps, woff - ps);
    out->suffix = xstrndup(wt + woff, se - woff);
    if (m)
        window_counts(m, privacy_unmap_offset(m, ps, false), privacy_unmap_offset(m, se, true),
                      counts);

    size_t ls = offset;
    while (ls > 0 && text[ls - 1] != '\n' && text[ls - 1] != '\r')
        ls--;
    out->line_start = ls;
    size_t ie = ls;
    while (ie < offset && (text[ie] == ' ' || text[ie] == '\t'))
        ie++;
    out->indent = xstrndup(text + ls, ie - ls);

    out->language = xstrdup(lang_name_of(d));
    out->path = context_path_from_uri(d->uri);

    struct prov_context *c = &out->ctx;
    c->language = out->language;
    c->uri = d->uri;
    c->path = out->path;
    c->prefix = out->prefix;
    c->prefix_len = woff - ps;
    c->suffix = out->suffix;
    c->suffix_len = se - woff;
    c->indent = out->indent;
    c->max_lines = max_lines;
    struct lsp_pos at = pos_from_offset(doc_lines(d), text, len, offset, POS_UTF8);
    c->line = at.line;
    c->column = at.character;

    if (doc_syntax(d)) {
        syn_doc_analyze(d->syntax, (uint32_t)offset, &out->cursor);
        out->has_cursor = true;
        const struct syn_cursor *cur = &out->cursor;
        c->situation = cur->situation;
        c->shape = cur->shape;
        if (cur->receiver)
            c->member_receiver = out->member_receiver = xstrdup(cur->receiver);
        for (size_t i = 0; i < cur->n_scopes; i++)
            if (cur->scopes[i].kind != SYN_KIND_BLOCK && cur->scopes[i].header) {
                c->scope_signature = out->scope_signature = xstrdup(cur->scopes[i].header);
                break;
            }
        c->imports = cur->imports;
        out->names = xcalloc(cur->n_names + 1, sizeof(*out->names));
        for (size_t i = 0; i < cur->n_names; i++)
            out->names[i] = cur->names[i].name;
        c->names = out->names;
        c->n_names = cur->n_names;
        /* The scan reads the whole document: once per version, while the tree judged is the
         * version's own (not an old one standing in while a background reparse is out). */
        if (d->unclosed_seen != d->edit_count || d->reparse_job) {
            d->unclosed = context_unclosed(d->syntax, out->language, text, len);
            d->unclosed_seen = d->reparse_job ? 0 : d->edit_count;
        }
        c->unclosed = d->unclosed;
    } else {
        bool blank = true;
        for (size_t i = ls; i < offset; i++)
            if (text[i] != ' ' && text[i] != '\t')
                blank = false;
        c->situation = blank ? SYN_SIT_LINE_START : SYN_SIT_CODE;
        size_t e = offset;
        while (e > ls && (text[e - 1] == ' ' || text[e - 1] == '\t'))
            e--;
        c->shape = (e > ls && (text[e - 1] == '{' || text[e - 1] == ':')) ? SYN_SHAPE_BLOCK
                                                                          : SYN_SHAPE_LINE;
    }

    /* Excerpts of related definitions from other open documents of the same language. */
    out->excerpts = xcalloc(CONTEXT_MAX_EXCERPTS, sizeof(*out->excerpts));
    out->excerpt_text = xcalloc(CONTEXT_MAX_EXCERPTS, sizeof(*out->excerpt_text));
    if (docstore_count(docs) > 1) {
        char words[32][48];
        size_t from = offset > 600 ? offset - 600 : 0;
        size_t to = US_MIN(len, offset + 200);
        struct excerpt_search es = {pv, {0}, d, out->language, words,
                                    neighbourhood_words(text, from, to, words, 32), out, 0};
        if (es.n_words)
            docstore_each(docs, excerpt_from, &es);
        c->n_excerpts = es.n;
        for (int t = 0; t < PRIVACY_TYPE_COUNT; t++)
            counts[t] += es.counts[t];
    }
    c->excerpts = out->excerpts;
    if (m)
        out->masked = format_counts(counts);
    if (log_get_level() >= LOG_TRACE) {
        size_t eb = 0;
        for (size_t i = 0; i < c->n_excerpts; i++)
            eb += strlen(c->excerpts[i].text);
        LOG_T("context", "%s: prefix %zu bytes, suffix %zu bytes, %zu excerpts (%zu bytes); "
                         "masked: %s", c->path ? c->path : d->uri, c->prefix_len, c->suffix_len,
              c->n_excerpts, eb, !m ? "off" : out->masked[0] ? out->masked : "none");
    }
}

void context_release(struct completion_context *c)
{
    if (c->has_cursor)
        syn_cursor_release(&c->cursor);
    for (size_t i = 0; i < CONTEXT_MAX_EXCERPTS && c->excerpt_text; i++)
        free(c->excerpt_text[i]);
    free(c->excerpt_text);
    free(c->excerpts);
    free(c->names);
    free(c->language);
    free(c->path);
    free(c->prefix);
    free(c->suffix);
    free(c->indent);
    free(c->scope_signature);
    free(c->member_receiver);
    free(c->masked);
    memset(c, 0, sizeof(*c));
}
