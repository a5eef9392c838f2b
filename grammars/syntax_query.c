/* syntax_query: our queries, compiled once per language and process (thread-safe, so a worker
 * can warm them), and run over a tree with the predicates tree-sitter leaves to us. */
#include "syntax_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* ---------------------------------------------------------------- compiled queries */

static const char *const query_kinds[Q_COUNT] = {"scopes", "definitions", "imports", "comments"};

struct lang_queries {
    atomic_bool ready; /* every query compiled (or failed): read without the lock */
    bool tried[Q_COUNT];
    struct cquery cq[Q_COUNT];
    char err[Q_COUNT][160];
    int depth; /* deepest pattern (levels below its root) of scopes/definitions/imports; 0 unknown */
};

/* How many levels a pattern reaches below its root node, from the query text: parenthesis
 * nesting outside strings, comments and predicates. An over-estimate is safe (the incremental
 * index re-queries a little more). */
static int pattern_depth(const char *q)
{
    int depth = 0, max = 0;
    for (const char *c = q; *c; c++) {
        if (*c == ';') {
            while (*c && *c != '\n')
                c++;
            if (!*c)
                break;
        } else if (*c == '"') {
            for (c++; *c && *c != '"'; c++)
                if (*c == '\\' && c[1])
                    c++;
            if (!*c)
                break;
        } else if (*c == '(') {
            if (c[1] == '#') {
                int d = 1; /* a predicate: skip it whole */
                for (c++; *c && d; c++) {
                    if (*c == '(')
                        d++;
                    else if (*c == ')')
                        d--;
                    else if (*c == '"')
                        for (c++; *c && *c != '"'; c++)
                            if (*c == '\\' && c[1])
                                c++;
                    if (!*c)
                        break;
                }
                c--;
                continue;
            }
            if (++depth > max)
                max = depth;
        } else if (*c == ')' && depth > 0) {
            depth--;
        }
    }
    return max; /* nesting counts the root; the extra level covers bare "tokens" and _ */
}

/* Indexed like the languages table; compiled once per process. Compiling is slow for big
 * grammars (C++ takes most of a second), so the server warms languages on a worker thread
 * (syn_lang_warm); the lock makes the loop thread wait only if it needs a language that is
 * being compiled right then. Once `ready` is set, the entries are read-only and lock-free. */
#define MAX_LANGS 64
static struct lang_queries query_cache[MAX_LANGS];
static pthread_mutex_t query_lock = PTHREAD_MUTEX_INITIALIZER;

static int kind_from_suffix(const char *s, size_t n)
{
    static const struct { const char *name; enum syn_kind kind; } kinds[] = {
        {"function", SYN_KIND_FUNCTION}, {"method", SYN_KIND_METHOD},
        {"class", SYN_KIND_CLASS},       {"type", SYN_KIND_TYPE},
        {"var", SYN_KIND_VAR},           {"parameter", SYN_KIND_PARAMETER},
        {"field", SYN_KIND_FIELD},       {"import", SYN_KIND_IMPORT},
        {"block", SYN_KIND_BLOCK},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strlen(kinds[i].name) == n && memcmp(kinds[i].name, s, n) == 0)
            return (int)kinds[i].kind;
    return -1;
}

static int role_of(const char *name, uint32_t len)
{
    if (len == 4 && memcmp(name, "name", 4) == 0)
        return ROLE_NAME;
    if (len == 4 && memcmp(name, "body", 4) == 0)
        return ROLE_BODY;
    if (len == 6 && memcmp(name, "import", 6) == 0)
        return ROLE_IMPORT;
    if (len == 7 && memcmp(name, "comment", 7) == 0)
        return ROLE_COMMENT;
    if (len == 6 && memcmp(name, "string", 6) == 0)
        return ROLE_STRING;
    if (len > 11 && memcmp(name, "definition.", 11) == 0) {
        int k = kind_from_suffix(name + 11, len - 11);
        return k < 0 ? ROLE_OTHER : ROLE_DEF + k;
    }
    if (len > 6 && memcmp(name, "scope.", 6) == 0) {
        int k = kind_from_suffix(name + 6, len - 6);
        return k < 0 ? ROLE_OTHER : ROLE_SCOPE + k;
    }
    return ROLE_OTHER;
}

static struct lang_queries *lang_slot(const struct lang_info *lang)
{
    size_t n_langs;
    const struct lang_info *all = lang_all(&n_langs);
    size_t i = (size_t)(lang - all);
    if (n_langs > MAX_LANGS || i >= n_langs)
        abort(); /* the table grew past MAX_LANGS: raise it */
    return &query_cache[i];
}

/* Compile one query of a language; the caller holds query_lock. */
static const struct cquery *compile_query(const struct lang_info *lang, int which)
{
    const TSLanguage *grammar = lang_grammar(lang);
    if (!grammar)
        return NULL;
    struct lang_queries *lq = lang_slot(lang);
    struct cquery *cq = &lq->cq[which];
    if (lq->tried[which])
        return cq->q ? cq : NULL;
    lq->tried[which] = true;
    const char *text = lang_query_text(lang, query_kinds[which]);
    uint32_t off = 0;
    TSQueryError qerr = TSQueryErrorNone;
    cq->q = ts_query_new(grammar, text, (uint32_t)strlen(text), &off, &qerr);
    if (!cq->q) {
        snprintf(lq->err[which], sizeof(lq->err[which]),
                 "queries/%s/%s.scm: error %d at byte %u", lang->query_dir,
                 query_kinds[which], (int)qerr, off);
        return NULL;
    }
    uint32_t nc = ts_query_capture_count(cq->q);
    cq->roles = xmalloc((nc + 1) * sizeof(int));
    for (uint32_t i = 0; i < nc; i++) {
        uint32_t len;
        const char *name = ts_query_capture_name_for_id(cq->q, i, &len);
        cq->roles[i] = role_of(name, len);
    }
    cq->n_strings = ts_query_string_count(cq->q);
    cq->re = xmalloc((cq->n_strings + 1) * sizeof(regex_t));
    cq->re_state = xcalloc(cq->n_strings + 1, 1);
    if (!cq->re_state)
        abort();
    if (which != Q_COMMENTS) {
        int d = pattern_depth(text);
        if (d > lq->depth)
            lq->depth = d;
    }
    return cq;
}

/* Compile every query of lang once; thread-safe. */
static struct lang_queries *ensure_compiled(const struct lang_info *lang)
{
    struct lang_queries *lq = lang_slot(lang);
    if (atomic_load_explicit(&lq->ready, memory_order_acquire))
        return lq;
    pthread_mutex_lock(&query_lock);
    if (!atomic_load_explicit(&lq->ready, memory_order_relaxed)) {
        for (int i = 0; i < Q_COUNT; i++)
            compile_query(lang, i);
        atomic_store_explicit(&lq->ready, true, memory_order_release);
    }
    pthread_mutex_unlock(&query_lock);
    return lq;
}

static const struct cquery *get_query(const struct lang_info *lang, int which)
{
    if (!lang_grammar(lang))
        return NULL;
    struct lang_queries *lq = ensure_compiled(lang);
    return lq->cq[which].q ? &lq->cq[which] : NULL;
}

void syn_lang_warm(const struct lang_info *lang)
{
    if (lang && lang_grammar(lang))
        ensure_compiled(lang);
}

int syn_lang_check_queries(const struct lang_info *lang, char *err, size_t err_len)
{
    if (!lang || !lang_grammar(lang)) {
        if (err && err_len)
            snprintf(err, err_len, "no grammar");
        return US_EINVAL;
    }
    for (int i = 0; i < Q_COUNT; i++) {
        if (!get_query(lang, i)) {
            if (err && err_len)
                snprintf(err, err_len, "%s", lang_slot(lang)->err[i]);
            return US_EINVAL;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- running queries */

static bool node_text_eq(const struct syn_doc *doc, TSNode n, const char *s, size_t len)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    return b - a == len && b <= doc->len && memcmp(doc->text + a, s, len) == 0;
}

static bool regex_match(struct cquery *cq, uint32_t sid, const struct syn_doc *doc, TSNode n)
{
    if (sid >= cq->n_strings)
        return false;
    /* Compiled on first use; queries also run on workers (first builds, background
     * reparses), so the first use is serialized and published with release/acquire. */
    signed char state = __atomic_load_n(&cq->re_state[sid], __ATOMIC_ACQUIRE);
    if (!state) {
        pthread_mutex_lock(&query_lock);
        state = cq->re_state[sid];
        if (!state) {
            uint32_t len;
            const char *pat = ts_query_string_value_for_id(cq->q, sid, &len);
            char *z = xstrndup(pat, len);
            state = regcomp(&cq->re[sid], z, REG_EXTENDED | REG_NOSUB) == 0 ? 1 : -1;
            free(z);
            __atomic_store_n(&cq->re_state[sid], state, __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(&query_lock);
    }
    if (state < 0)
        return false;
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    char *z = xstrndup(doc->text + a, b > a && b <= doc->len ? b - a : 0);
    bool ok = regexec(&cq->re[sid], z, 0, NULL, 0) == 0;
    free(z);
    return ok;
}

static TSNode capture_node(const TSQueryMatch *m, uint32_t id, bool *found)
{
    for (uint16_t i = 0; i < m->capture_count; i++)
        if (m->captures[i].index == id) {
            *found = true;
            return m->captures[i].node;
        }
    *found = false;
    TSNode none;
    memset(&none, 0, sizeof(none));
    return none;
}

/* Our queries use #eq?, #not-eq?, #match? and #not-match? (tree-sitter's C library leaves
 * predicates to the caller). Unknown predicates pass. */
static bool predicates_hold(const struct cquery *ccq, const struct syn_doc *doc,
                            const TSQueryMatch *m)
{
    struct cquery *cq = (struct cquery *)ccq;
    uint32_t n;
    const TSQueryPredicateStep *st = ts_query_predicates_for_pattern(cq->q, m->pattern_index, &n);
    uint32_t i = 0;
    while (i < n) {
        uint32_t j = i;
        while (j < n && st[j].type != TSQueryPredicateStepTypeDone)
            j++;
        if (j - i >= 3 && st[i].type == TSQueryPredicateStepTypeString &&
            st[i + 1].type == TSQueryPredicateStepTypeCapture) {
            uint32_t len;
            const char *op = ts_query_string_value_for_id(cq->q, st[i].value_id, &len);
            bool found;
            TSNode node = capture_node(m, st[i + 1].value_id, &found);
            if (found) {
                bool neg = strncmp(op, "not-", 4) == 0;
                const char *base = neg ? op + 4 : op;
                bool res = true;
                if (strcmp(base, "eq?") == 0) {
                    if (st[i + 2].type == TSQueryPredicateStepTypeString) {
                        uint32_t sl;
                        const char *s = ts_query_string_value_for_id(cq->q, st[i + 2].value_id, &sl);
                        res = node_text_eq(doc, node, s, sl);
                    } else {
                        bool f2;
                        TSNode other = capture_node(m, st[i + 2].value_id, &f2);
                        uint32_t a = ts_node_start_byte(other), b = ts_node_end_byte(other);
                        res = f2 && b <= doc->len && node_text_eq(doc, node, doc->text + a, b - a);
                    }
                } else if (strcmp(base, "match?") == 0 &&
                           st[i + 2].type == TSQueryPredicateStepTypeString) {
                    res = regex_match(cq, st[i + 2].value_id, doc, node);
                }
                if (neg ? res : !res)
                    return false;
            }
        }
        i = j + 1;
    }
    return true;
}

void syn__run_query(struct syn_doc *doc, int which, uint32_t from, uint32_t to, match_fn fn,
                    void *ud)
{
    if (!doc->tree)
        return;
    const struct cquery *cq = get_query(doc->lang, which);
    if (!cq)
        return;
    TSQueryCursor *qc = ts_query_cursor_new();
    if (to > from)
        ts_query_cursor_set_byte_range(qc, from, to);
    ts_query_cursor_exec(qc, cq->q, ts_tree_root_node(doc->tree));
    TSQueryMatch m;
    while (ts_query_cursor_next_match(qc, &m))
        if (predicates_hold(cq, doc, &m))
            fn(doc, cq, &m, ud);
    ts_query_cursor_delete(qc);
}
