/* syntax: parse/edit/reparse with caps, and the analyses built on our queries. The query
 * results (raw records) are kept in step with edits: a reparse re-runs the queries only around
 * what changed; the derived index (nesting, owners) is rebuilt from them in linear passes. */
#include "syntax.h"

#include <ctype.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- memory */

/* grammars/ sits below providers/ and cannot use its xmalloc; same rule: abort on exhaustion. */
static void *syn__alloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("understudy: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void *syn__realloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("understudy: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *syn__strndup(const char *s, size_t n)
{
    char *d = syn__alloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

/* Grow *arr (of element size sz) so that it holds at least need elements. */
static void grow(void **arr, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap * 2 : 16;
    while (c < need)
        c *= 2;
    *arr = syn__realloc(*arr, c * sz);
    *cap = c;
}

/* ---------------------------------------------------------------- compiled queries */

enum { Q_SCOPES, Q_DEFS, Q_IMPORTS, Q_COMMENTS, Q_COUNT };
static const char *const query_kinds[Q_COUNT] = {"scopes", "definitions", "imports", "comments"};

/* What a capture name means to us. Definition kinds are ROLE_DEF + kind, scope kinds
 * ROLE_SCOPE + kind; names starting with '_' only feed predicates. */
enum {
    ROLE_OTHER,
    ROLE_NAME,
    ROLE_BODY,
    ROLE_IMPORT,
    ROLE_COMMENT,
    ROLE_STRING,
    ROLE_DEF = 100,
    ROLE_SCOPE = 200,
};

struct cquery {
    TSQuery *q;
    int *roles;       /* per capture id */
    regex_t *re;      /* per string id, compiled on first use */
    signed char *re_state; /* 0 untried, 1 ok, -1 bad pattern */
    uint32_t n_strings;
};

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
    cq->roles = syn__alloc((nc + 1) * sizeof(int));
    for (uint32_t i = 0; i < nc; i++) {
        uint32_t len;
        const char *name = ts_query_capture_name_for_id(cq->q, i, &len);
        cq->roles[i] = role_of(name, len);
    }
    cq->n_strings = ts_query_string_count(cq->q);
    cq->re = syn__alloc((cq->n_strings + 1) * sizeof(regex_t));
    cq->re_state = calloc(cq->n_strings + 1, 1);
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
        return SYN_EINVAL;
    }
    for (int i = 0; i < Q_COUNT; i++) {
        if (!get_query(lang, i)) {
            if (err && err_len)
                snprintf(err, err_len, "%s", lang_slot(lang)->err[i]);
            return SYN_EINVAL;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- documents */

/* Every record keeps the span of the query match it came from (all its captures): a record
 * is exactly as stale as its match, so edits and re-queries select records by span. */
struct scope_rec {
    enum syn_kind kind;
    uint32_t start, end, name_s, name_e, body_s, body_e; /* body_e == 0: no body */
    uint32_t span_s, span_e;
    int parent;
    bool dropped;
};

struct def_rec {
    enum syn_kind kind;
    uint32_t start, end, name_s, name_e;
    uint32_t span_s, span_e;
    int owner; /* scope index, -1 = file level */
};

struct imp_rec {
    uint32_t start, end;
    uint32_t span_s, span_e;
};

struct range {
    uint32_t start, end;
};

/* Used twice: the raw query results (sorted, duplicates kept) and the derived index. */
struct index {
    bool valid;
    struct scope_rec *scopes;
    size_t n_scopes, cap_scopes;
    struct def_rec *defs;
    size_t n_defs, cap_defs;
    struct imp_rec *imports;
    size_t n_imports, cap_imports;
};

/* Edited regions since the last parse, in current coordinates; more than this many (a
 * burst of edits without reparse) and the raw records are rebuilt from scratch. */
#define SYN_MAX_DIRTY 64

struct syn_doc {
    const struct lang_info *lang;
    TSParser *parser;
    TSTree *tree;
    char *text;
    size_t len;
    unsigned skip;    /* reparse calls to skip after a timed-out parse */
    unsigned backoff; /* current spacing of retries */
    struct index raw; /* query results for tree, kept in step with edits once built */
    struct index idx; /* derived from raw on the first question after a change */
    struct range dirty[SYN_MAX_DIRTY];
    size_t n_dirty;
    struct syn_stats stats;
    /* A background reparse borrows the parser while this is set (nobody else may use it). */
    struct syn_parse_job *job;
    uint64_t edits;         /* bumped by every edit: tells a finished job whether it still fits */
    /* A parse of this document once took SYN_BACKGROUND_PARSE_US or more. Sticky: reparse
     * times of one file scatter widely (a few ms to tens), and a fast one says little about
     * the next. */
    bool parses_slowly;
};

/* A reparse handed to another thread: its own copy of the text and of the edited tree, the
 * document's parser on loan. */
struct syn_parse_job {
    struct syn_doc *doc; /* NULL once the document is freed: the job then owns the parser */
    TSParser *parser;
    TSTree *old, *result;
    TSTree *replaced;    /* the document's tree before the result: deleted with the job */
    char *text;
    size_t len;
    const struct lang_info *lang;
    /* The raw records' update, worked out on the job's thread from the document's state at
     * begin (records in step, edited ranges), applied on the loop if the tree is installed. */
    bool raw_ok;
    struct range dirty[SYN_MAX_DIRTY];
    size_t n_dirty;
    struct range *ranges;
    size_t n_ranges;     /* SIZE_MAX: too much changed, rebuild the records whole */
    uint64_t requeried_bytes;
    struct index recs;   /* filled by run whenever it has a result */
    uint64_t edits;      /* doc->edits when the job was made */
    uint64_t took_us;
    bool superseded;     /* a foreground parse overtook it: its result is older */
};

static uint64_t parse_budget_us = SYN_PARSE_BUDGET_US;

void syn_set_parse_budget_us(uint64_t us)
{
    parse_budget_us = us ? us : SYN_PARSE_BUDGET_US;
}

static void index_clear(struct index *ix)
{
    ix->valid = false;
    ix->n_scopes = ix->n_defs = ix->n_imports = 0;
}

static void index_release(struct index *ix)
{
    free(ix->scopes);
    free(ix->defs);
    free(ix->imports);
    memset(ix, 0, sizeof(*ix));
}

static void raw_update(struct syn_doc *doc, TSTree *old, TSTree *fresh, size_t n_dirty);
static void collect_whole(struct syn_doc *doc, struct index *recs);
static size_t requery_ranges(TSTree *old, TSTree *fresh, const struct range *dirty,
                             size_t n_dirty, TSRange *changed, uint32_t n_changed, size_t len,
                             struct range **out, uint64_t *total_out);
static void requery(struct syn_doc *doc, const struct range *all, size_t n, struct index *recs);
static void apply_requery(struct index *raw, const struct range *all, size_t n,
                          struct index *recs);
static void raw_edit(struct syn_doc *doc, const struct syn_edit *e);

/* True when the text may be handed to the parser: within the byte cap and no line longer than
 * the line cap (the lexer is linear, but error recovery on a megabyte line is not). */
static bool within_caps(const char *text, size_t len)
{
    if (len > SYN_MAX_BYTES)
        return false;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t line = (size_t)((nl ? nl : end) - p);
        if (line > SYN_MAX_LINE)
            return false;
        if (!nl)
            break;
        p = nl + 1;
    }
    return true;
}

static void set_text(struct syn_doc *doc, const char *text, size_t len)
{
    free(doc->text);
    doc->text = syn__strndup(text ? text : "", text ? len : 0);
    doc->len = text ? len : 0;
}

static uint64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Make `fresh` the document's tree (the raw records are the caller's business). Returns the
 * previous tree, for the caller to delete. */
static TSTree *install_tree(struct syn_doc *doc, TSTree *fresh)
{
    TSTree *prev = doc->tree;
    doc->tree = fresh;
    doc->backoff = 0;
    doc->skip = 0;
    return prev;
}

/* Out of time: keep the old (edited) tree, which is close enough for analysis, and space out
 * the next attempts. */
static void parse_gave_up(struct syn_doc *doc)
{
    doc->backoff = doc->backoff ? (doc->backoff < 32 ? doc->backoff * 2 : 64u) : 1;
    doc->skip = doc->backoff;
}

static void note_parse_time(struct syn_doc *doc, uint64_t us)
{
    if (us >= SYN_BACKGROUND_PARSE_US)
        doc->parses_slowly = true;
}

static int parse(struct syn_doc *doc, bool incremental)
{
    index_clear(&doc->idx);
    /* Every way out but a clean incremental parse leaves the raw records to a full rebuild. */
    bool raw_ok = doc->raw.valid;
    doc->raw.valid = false;
    size_t n_dirty = doc->n_dirty;
    doc->n_dirty = 0;
    if (!doc->parser)
        return 0;
    if (!within_caps(doc->text, doc->len)) {
        if (doc->tree)
            ts_tree_delete(doc->tree);
        doc->tree = NULL;
        return SYN_ETOOBIG;
    }
    if (doc->skip) {
        doc->skip--;
        return SYN_ETOOBIG;
    }
    /* Asked for a current tree while a background reparse has the parser: parse with one of
     * our own; the job's result, older than this one, will be dropped. */
    TSParser *parser = doc->parser, *own = NULL;
    if (doc->job) {
        doc->job->superseded = true;
        parser = own = ts_parser_new();
        ts_parser_set_language(own, ts_parser_language(doc->parser));
    }
    TSTree *old = incremental ? doc->tree : NULL;
    /* A first parse may take longer than a reparse, which reuses most of the old tree. */
    ts_parser_set_timeout_micros(parser, old ? parse_budget_us : parse_budget_us * 10);
    uint64_t t0 = monotonic_us();
    TSTree *t = ts_parser_parse_string(parser, old, doc->text, (uint32_t)doc->len);
    note_parse_time(doc, monotonic_us() - t0);
    if (own)
        ts_parser_delete(own);
    else if (!t)
        ts_parser_reset(parser); /* forget the partial state */
    if (!t) {
        parse_gave_up(doc);
        return SYN_ETOOBIG;
    }
    TSTree *prev = install_tree(doc, t);
    if (old && raw_ok) {
        doc->raw.valid = true;
        raw_update(doc, old, t, n_dirty); /* queries run on doc->tree, the new one */
    }
    if (prev)
        ts_tree_delete(prev);
    return 0;
}

struct syn_doc *syn_doc_new(const struct lang_info *lang, const char *text, size_t len)
{
    struct syn_doc *doc = syn__alloc(sizeof(*doc));
    memset(doc, 0, sizeof(*doc));
    doc->lang = lang;
    set_text(doc, text, len);
    const TSLanguage *grammar = lang_grammar(lang);
    if (grammar) {
        doc->parser = ts_parser_new();
        if (!ts_parser_set_language(doc->parser, grammar)) {
            /* The configure check makes this unreachable; stay usable as plain text. */
            ts_parser_delete(doc->parser);
            doc->parser = NULL;
        }
    }
    parse(doc, false);
    return doc;
}

void syn_doc_free(struct syn_doc *doc)
{
    if (!doc)
        return;
    if (doc->tree)
        ts_tree_delete(doc->tree);
    if (doc->job)
        doc->job->doc = NULL; /* the job is using the parser; it frees it when it ends */
    else if (doc->parser)
        ts_parser_delete(doc->parser);
    index_release(&doc->idx);
    index_release(&doc->raw);
    free(doc->text);
    free(doc);
}

void syn_doc_edit(struct syn_doc *doc, const struct syn_edit *e)
{
    if (!doc || !doc->tree || !e)
        return;
    TSInputEdit te = {
        .start_byte = e->start_byte,
        .old_end_byte = e->old_end_byte,
        .new_end_byte = e->new_end_byte,
        .start_point = {e->start.row, e->start.column},
        .old_end_point = {e->old_end.row, e->old_end.column},
        .new_end_point = {e->new_end.row, e->new_end.column},
    };
    ts_tree_edit(doc->tree, &te);
    doc->edits++;
    index_clear(&doc->idx);
    raw_edit(doc, e);
}

int syn_doc_reparse(struct syn_doc *doc, const char *text, size_t len)
{
    if (!doc)
        return SYN_EINVAL;
    set_text(doc, text, len);
    return parse(doc, true);
}

/* ---------------------------------------------------------------- background reparse */

bool syn_doc_reparse_is_slow(const struct syn_doc *doc)
{
    return doc && doc->len >= SYN_BACKGROUND_MIN_BYTES && doc->parses_slowly;
}

void syn_doc_set_text(struct syn_doc *doc, const char *text, size_t len)
{
    if (doc) {
        set_text(doc, text, len);
        index_clear(&doc->idx);
    }
}

struct syn_parse_job *syn_doc_reparse_begin(struct syn_doc *doc, const char *text, size_t len)
{
    if (!doc || !doc->parser || !doc->tree || doc->job || doc->skip || !within_caps(text, len))
        return NULL;
    /* The document answers from the edited tree and the new text until the job is back. */
    set_text(doc, text, len);
    struct syn_parse_job *job = syn__alloc(sizeof(*job));
    memset(job, 0, sizeof(*job));
    job->doc = doc;
    job->parser = doc->parser;
    job->old = ts_tree_copy(doc->tree); /* trees are not shared across threads; copies are */
    job->text = syn__strndup(text, len);
    job->len = len;
    job->lang = doc->lang;
    job->raw_ok = doc->raw.valid;
    job->n_dirty = doc->n_dirty;
    memcpy(job->dirty, doc->dirty, doc->n_dirty * sizeof(*doc->dirty));
    job->edits = doc->edits;
    doc->job = job;
    return job;
}

void syn_parse_job_run(struct syn_parse_job *job)
{
    /* Off the loop a slow reparse blocks nobody, so it may take longer than the foreground
     * budget; the cap still stops a pathological one. */
    ts_parser_set_timeout_micros(job->parser, parse_budget_us * 20);
    uint64_t t0 = monotonic_us();
    job->result = ts_parser_parse_string(job->parser, job->old, job->text, (uint32_t)job->len);
    job->took_us = monotonic_us() - t0;
    if (!job->result) {
        ts_parser_reset(job->parser);
        return;
    }
    /* The queries are the other slow part (tens of ms when a change makes tree-sitter rebuild
     * many top-level items, more for the whole file): run them here too, on a view of the new
     * tree and text, around what changed or, failing that, over everything. */
    struct syn_doc view;
    memset(&view, 0, sizeof(view));
    view.lang = job->lang;
    view.tree = job->result;
    view.text = job->text;
    view.len = job->len;
    if (job->raw_ok) {
        uint32_t n_changed = 0;
        TSRange *changed = ts_tree_get_changed_ranges(job->old, job->result, &n_changed);
        job->n_ranges = requery_ranges(job->old, job->result, job->dirty, job->n_dirty, changed,
                                       n_changed, job->len, &job->ranges,
                                       &job->requeried_bytes);
    } else {
        job->n_ranges = SIZE_MAX;
    }
    if (job->n_ranges != SIZE_MAX) {
        requery(&view, job->ranges, job->n_ranges, &job->recs);
    } else {
        collect_whole(&view, &job->recs);
    }
}

bool syn_doc_reparse_end(struct syn_parse_job *job)
{
    struct syn_doc *doc = job->doc;
    bool installed = false;
    if (!doc) {
        ts_parser_delete(job->parser);
        job->parser = NULL;
    } else {
        doc->job = NULL;
        note_parse_time(doc, job->took_us);
        if (!job->result) {
            parse_gave_up(doc);
        } else if (!job->superseded && job->edits == doc->edits) {
            /* Nothing changed since the job left: its tree is the document's, and its update
             * of the records holds (a rebuild meanwhile read the same text and edited tree). */
            index_clear(&doc->idx);
            if (job->n_ranges == SIZE_MAX) {
                /* Records for the whole file, built by the job. */
                index_release(&doc->raw);
                doc->raw = job->recs;
                doc->raw.valid = true;
                memset(&job->recs, 0, sizeof(job->recs));
                doc->stats.full_builds++;
            } else if (doc->raw.valid) {
                apply_requery(&doc->raw, job->ranges, job->n_ranges, &job->recs);
                doc->stats.incremental_updates++;
                doc->stats.requeried_bytes += job->requeried_bytes;
            } else {
                doc->raw.valid = false;
            }
            doc->n_dirty = 0;
            job->replaced = install_tree(doc, job->result);
            job->result = NULL;
            installed = true;
            doc->stats.background_reparses++;
        }
    }
    job->doc = NULL;
    return installed;
}

void syn_parse_job_free(struct syn_parse_job *job)
{
    if (!job)
        return;
    if (job->result)
        ts_tree_delete(job->result);
    if (job->replaced)
        ts_tree_delete(job->replaced);
    ts_tree_delete(job->old);
    free(job->ranges);
    index_release(&job->recs);
    free(job->text);
    free(job);
}

void syn_doc_stats(const struct syn_doc *doc, struct syn_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (doc)
        *out = doc->stats;
}

void syn_doc_drop_index(struct syn_doc *doc)
{
    if (!doc)
        return;
    index_clear(&doc->idx);
    index_clear(&doc->raw);
    doc->n_dirty = 0;
}

const struct lang_info *syn_doc_lang(const struct syn_doc *doc)
{
    return doc ? doc->lang : NULL;
}

bool syn_doc_has_tree(const struct syn_doc *doc)
{
    return doc && doc->tree;
}

bool syn_doc_has_error(const struct syn_doc *doc)
{
    return doc && doc->tree && ts_node_has_error(ts_tree_root_node(doc->tree));
}

char *syn_doc_sexp(const struct syn_doc *doc)
{
    if (!doc || !doc->tree)
        return NULL;
    return ts_node_string(ts_tree_root_node(doc->tree));
}

const char *syn_kind_name(enum syn_kind kind)
{
    static const char *const names[] = {"function", "method", "class", "type", "var",
                                        "parameter", "field", "import", "block"};
    return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
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
    if (!cq->re_state[sid]) {
        uint32_t len;
        const char *pat = ts_query_string_value_for_id(cq->q, sid, &len);
        char *z = syn__strndup(pat, len);
        cq->re_state[sid] = regcomp(&cq->re[sid], z, REG_EXTENDED | REG_NOSUB) == 0 ? 1 : -1;
        free(z);
    }
    if (cq->re_state[sid] < 0)
        return false;
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    char *z = syn__strndup(doc->text + a, b > a && b <= doc->len ? b - a : 0);
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

typedef void (*match_fn)(struct syn_doc *doc, const struct cquery *cq, const TSQueryMatch *m,
                         void *ud);

static void run_query(struct syn_doc *doc, int which, uint32_t from, uint32_t to, match_fn fn,
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

/* ---------------------------------------------------------------- the index */

/* Where query results go: all of them, or (re-querying around a change) only the matches
 * whose span lies within [lo, hi]. */
struct collect {
    struct index *ix;
    bool filter;
    uint32_t lo, hi;
};

static bool touches(uint32_t s, uint32_t e, uint32_t lo, uint32_t hi)
{
    return s <= hi && e >= lo;
}

/* The span of a match: from its first capture's start to its last capture's end. False when
 * the collector filters it out. */
static bool match_span(const struct collect *c, const TSQueryMatch *m, uint32_t *s, uint32_t *e)
{
    uint32_t a = UINT32_MAX, b = 0;
    for (uint16_t i = 0; i < m->capture_count; i++) {
        uint32_t x = ts_node_start_byte(m->captures[i].node), y = ts_node_end_byte(m->captures[i].node);
        if (x < a)
            a = x;
        if (y > b)
            b = y;
    }
    if (a > b)
        a = b;
    *s = a;
    *e = b;
    return !c->filter || (a >= c->lo && b <= c->hi);
}

static void on_scope(struct syn_doc *doc, const struct cquery *cq, const TSQueryMatch *m, void *ud)
{
    struct collect *c = ud;
    struct index *ix = c->ix;
    struct scope_rec r;
    memset(&r, 0, sizeof(r));
    (void)doc;
    if (!match_span(c, m, &r.span_s, &r.span_e))
        return;
    bool have = false;
    for (uint16_t i = 0; i < m->capture_count; i++) {
        int role = cq->roles[m->captures[i].index];
        TSNode n = m->captures[i].node;
        if (role >= ROLE_SCOPE) {
            r.kind = (enum syn_kind)(role - ROLE_SCOPE);
            r.start = ts_node_start_byte(n);
            r.end = ts_node_end_byte(n);
            have = true;
        } else if (role == ROLE_NAME && !r.name_e) {
            r.name_s = ts_node_start_byte(n);
            r.name_e = ts_node_end_byte(n);
        } else if (role == ROLE_BODY && !r.body_e) {
            r.body_s = ts_node_start_byte(n);
            r.body_e = ts_node_end_byte(n);
        }
    }
    if (!have || r.end <= r.start)
        return;
    grow((void **)&ix->scopes, &ix->cap_scopes, ix->n_scopes + 1, sizeof(r));
    ix->scopes[ix->n_scopes++] = r;
}

/* When two patterns capture the same name, the more specific kind wins. */
static int kind_rank(enum syn_kind k)
{
    switch (k) {
    case SYN_KIND_METHOD: return 6;
    case SYN_KIND_CLASS: return 5;
    case SYN_KIND_FIELD: return 5; /* constructor(private x) is a field first */
    case SYN_KIND_PARAMETER: return 4;
    case SYN_KIND_TYPE: return 3;
    case SYN_KIND_IMPORT: return 3;
    case SYN_KIND_FUNCTION: return 2;
    default: return 1;
    }
}

static void add_def(struct index *ix, enum syn_kind kind, TSNode whole, TSNode name,
                    uint32_t span_s, uint32_t span_e)
{
    struct def_rec r = {
        .kind = kind,
        .start = ts_node_start_byte(whole),
        .end = ts_node_end_byte(whole),
        .name_s = ts_node_start_byte(name),
        .name_e = ts_node_end_byte(name),
        .span_s = span_s,
        .span_e = span_e,
        .owner = -1,
    };
    if (r.name_e <= r.name_s)
        return;
    grow((void **)&ix->defs, &ix->cap_defs, ix->n_defs + 1, sizeof(r));
    ix->defs[ix->n_defs++] = r;
}

static void on_def(struct syn_doc *doc, const struct cquery *cq, const TSQueryMatch *m, void *ud)
{
    int kind = -1;
    bool have_whole = false, have_name = false;
    TSNode whole, name;
    memset(&whole, 0, sizeof(whole));
    memset(&name, 0, sizeof(name));
    for (uint16_t i = 0; i < m->capture_count; i++) {
        int role = cq->roles[m->captures[i].index];
        if (role >= ROLE_DEF && role < ROLE_SCOPE) {
            kind = role - ROLE_DEF;
            whole = m->captures[i].node;
            have_whole = true;
        } else if (role == ROLE_NAME) {
            name = m->captures[i].node;
            have_name = true;
        }
    }
    if (kind < 0 || !have_whole)
        return;
    struct collect *c = ud;
    uint32_t ss, se;
    (void)doc;
    if (match_span(c, m, &ss, &se))
        add_def(c->ix, (enum syn_kind)kind, whole, have_name ? name : whole, ss, se);
}

static void on_import(struct syn_doc *doc, const struct cquery *cq, const TSQueryMatch *m,
                      void *ud)
{
    struct collect *c = ud;
    struct index *ix = c->ix;
    uint32_t ss, se;
    (void)doc;
    if (!match_span(c, m, &ss, &se))
        return;
    for (uint16_t i = 0; i < m->capture_count; i++) {
        int role = cq->roles[m->captures[i].index];
        TSNode n = m->captures[i].node;
        if (role == ROLE_IMPORT) {
            struct imp_rec r = {ts_node_start_byte(n), ts_node_end_byte(n), ss, se};
            grow((void **)&ix->imports, &ix->cap_imports, ix->n_imports + 1, sizeof(r));
            ix->imports[ix->n_imports++] = r;
        } else if (role == ROLE_NAME) {
            add_def(ix, SYN_KIND_IMPORT, n, n, ss, se);
        }
    }
}

/* The orders are total (every field takes part), so records gathered incrementally sort
 * exactly as a fresh pass would, and ties resolve the same way. */
#define CMP_FIELD(f) \
    if (x->f != y->f) \
        return x->f < y->f ? -1 : 1
static int cmp_scope(const void *a, const void *b)
{
    const struct scope_rec *x = a, *y = b;
    CMP_FIELD(start);
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1; /* outer first */
    int bx = x->kind == SYN_KIND_BLOCK, by = y->kind == SYN_KIND_BLOCK;
    if (bx != by)
        return bx - by;
    CMP_FIELD(kind);
    CMP_FIELD(name_s);
    CMP_FIELD(name_e);
    CMP_FIELD(body_s);
    CMP_FIELD(body_e);
    CMP_FIELD(span_s);
    CMP_FIELD(span_e);
    return 0;
}

static int cmp_def(const void *a, const void *b)
{
    const struct def_rec *x = a, *y = b;
    CMP_FIELD(name_s);
    int rx = kind_rank(x->kind), ry = kind_rank(y->kind);
    if (rx != ry)
        return ry - rx; /* best first */
    CMP_FIELD(kind);
    CMP_FIELD(name_e);
    CMP_FIELD(start);
    CMP_FIELD(end);
    CMP_FIELD(span_s);
    CMP_FIELD(span_e);
    return 0;
}

static int cmp_imp(const void *a, const void *b)
{
    const struct imp_rec *x = a, *y = b;
    CMP_FIELD(start);
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1; /* outer first */
    CMP_FIELD(span_s);
    CMP_FIELD(span_e);
    return 0;
}
#undef CMP_FIELD

/* Kinds whose definition node is itself a scope (its own name lies inside it). */
static bool defines_scope(enum syn_kind k)
{
    return k == SYN_KIND_FUNCTION || k == SYN_KIND_METHOD || k == SYN_KIND_CLASS ||
           k == SYN_KIND_TYPE;
}

/* Parents by a sweep over scopes sorted outer-first; tree nodes nest, so a stack suffices. */
static void link_parents(struct index *ix)
{
    int *stack = syn__alloc((ix->n_scopes + 1) * sizeof(int));
    size_t sp = 0;
    for (size_t i = 0; i < ix->n_scopes; i++) {
        struct scope_rec *s = &ix->scopes[i];
        while (sp && ix->scopes[stack[sp - 1]].end < s->end)
            sp--;
        s->parent = sp ? stack[sp - 1] : -1;
        stack[sp++] = (int)i;
    }
    free(stack);
}

/* Run the three queries over [from, to) (everything when to <= from) into c. */
static void collect_all(struct syn_doc *doc, struct collect *c, uint32_t from, uint32_t to)
{
    run_query(doc, Q_SCOPES, from, to, on_scope, c);
    run_query(doc, Q_DEFS, from, to, on_def, c);
    run_query(doc, Q_IMPORTS, from, to, on_import, c);
}

static void sort_records(struct index *r)
{
    if (r->n_scopes)
        qsort(r->scopes, r->n_scopes, sizeof(*r->scopes), cmp_scope);
    if (r->n_defs)
        qsort(r->defs, r->n_defs, sizeof(*r->defs), cmp_def);
    if (r->n_imports)
        qsort(r->imports, r->n_imports, sizeof(*r->imports), cmp_imp);
}

/* Every record of the document, sorted, into recs (cleared first). doc may be a view. */
static void collect_whole(struct syn_doc *doc, struct index *recs)
{
    index_clear(recs);
    struct collect c = {recs, false, 0, 0};
    collect_all(doc, &c, 0, 0);
    sort_records(recs);
}

static void raw_build(struct syn_doc *doc)
{
    collect_whole(doc, &doc->raw);
    doc->raw.valid = true;
    doc->n_dirty = 0;
    doc->stats.full_builds++;
}

static void copy_records(struct index *to, const struct index *from)
{
    grow((void **)&to->scopes, &to->cap_scopes, from->n_scopes, sizeof(*to->scopes));
    grow((void **)&to->defs, &to->cap_defs, from->n_defs, sizeof(*to->defs));
    grow((void **)&to->imports, &to->cap_imports, from->n_imports, sizeof(*to->imports));
    if (from->n_scopes)
        memcpy(to->scopes, from->scopes, from->n_scopes * sizeof(*to->scopes));
    if (from->n_defs)
        memcpy(to->defs, from->defs, from->n_defs * sizeof(*to->defs));
    if (from->n_imports)
        memcpy(to->imports, from->imports, from->n_imports * sizeof(*to->imports));
    to->n_scopes = from->n_scopes;
    to->n_defs = from->n_defs;
    to->n_imports = from->n_imports;
}

static void build_index(struct syn_doc *doc)
{
    struct index *ix = &doc->idx;
    if (ix->valid)
        return;
    index_clear(ix);
    ix->valid = true;
    if (!doc->tree)
        return;
    if (!doc->raw.valid) {
        /* A background reparse is out: it builds the records whole off the loop (a burst of
         * scattered edits on a big file can outrun it); until then the index is empty. */
        if (doc->job)
            return;
        raw_build(doc);
    }
    /* The raw records are sorted already; what follows is linear. */
    copy_records(ix, &doc->raw);

    /* Scopes: drop duplicates and blocks that are merely the body of their parent
     * (a function's braces), so the enclosing list reads function > class, not function >
     * block > function. */
    size_t w = 0;
    for (size_t i = 0; i < ix->n_scopes; i++) {
        struct scope_rec *prev = w ? &ix->scopes[w - 1] : NULL;
        if (prev && prev->start == ix->scopes[i].start && prev->end == ix->scopes[i].end) {
            /* Several patterns for one node: keep what the richer one knows. */
            const struct scope_rec *s = &ix->scopes[i];
            if (!prev->name_e && s->name_e) {
                prev->name_s = s->name_s;
                prev->name_e = s->name_e;
            }
            if (!prev->body_e && s->body_e) {
                prev->body_s = s->body_s;
                prev->body_e = s->body_e;
            }
            continue;
        }
        ix->scopes[w++] = ix->scopes[i];
    }
    ix->n_scopes = w;
    link_parents(ix);
    for (size_t i = 0; i < ix->n_scopes; i++) {
        struct scope_rec *s = &ix->scopes[i];
        const struct scope_rec *p = s->parent >= 0 ? &ix->scopes[s->parent] : NULL;
        s->dropped = s->kind == SYN_KIND_BLOCK && p && p->body_e && p->body_s == s->start &&
                     p->body_e == s->end;
    }
    w = 0;
    for (size_t i = 0; i < ix->n_scopes; i++)
        if (!ix->scopes[i].dropped)
            ix->scopes[w++] = ix->scopes[i];
    ix->n_scopes = w;
    link_parents(ix);

    /* Definitions: by name position, keep the most specific capture of each name. */
    w = 0;
    for (size_t i = 0; i < ix->n_defs; i++) {
        if (w && ix->defs[w - 1].name_s == ix->defs[i].name_s)
            continue;
        ix->defs[w++] = ix->defs[i];
    }
    ix->n_defs = w;
    /* Owner: the innermost scope around the name that is not the definition's own scope
     * (a function's name lies inside the function node). */
    int *stack = syn__alloc((ix->n_scopes + 1) * sizeof(int));
    size_t sp = 0, next = 0;
    for (size_t i = 0; i < ix->n_defs; i++) {
        struct def_rec *d = &ix->defs[i];
        while (next < ix->n_scopes && ix->scopes[next].start <= d->name_s) {
            while (sp && ix->scopes[stack[sp - 1]].end <= ix->scopes[next].start)
                sp--;
            stack[sp++] = (int)next++;
        }
        while (sp && ix->scopes[stack[sp - 1]].end <= d->name_s)
            sp--;
        d->owner = -1;
        for (size_t k = sp; k > 0; k--) {
            const struct scope_rec *s = &ix->scopes[stack[k - 1]];
            if (s->end <= d->name_s)
                continue;
            if (defines_scope(d->kind) && s->start >= d->start && s->end <= d->end)
                continue;
            d->owner = stack[k - 1];
            break;
        }
        if (d->kind == SYN_KIND_FUNCTION && d->owner >= 0 &&
            ix->scopes[d->owner].kind == SYN_KIND_CLASS)
            d->kind = SYN_KIND_METHOD;
    }
    free(stack);
    /* Parameters outside any scope belong to prototypes and signatures without a body: they
     * name nothing the file can use. */
    w = 0;
    for (size_t i = 0; i < ix->n_defs; i++)
        if (!(ix->defs[i].kind == SYN_KIND_PARAMETER && ix->defs[i].owner < 0))
            ix->defs[w++] = ix->defs[i];
    ix->n_defs = w;
    /* Imports: in order, without statements nested in one already listed. */
    w = 0;
    for (size_t i = 0; i < ix->n_imports; i++) {
        if (w && ix->imports[i].end <= ix->imports[w - 1].end)
            continue;
        ix->imports[w++] = ix->imports[i];
    }
    ix->n_imports = w;
}

/* ---------------------------------------------------------------- keeping raw records in step */

/* Move a position by an edit that does not overlap it. */
static uint32_t shift_pos(uint32_t p, const struct syn_edit *e)
{
    if (p < e->old_end_byte)
        return p;
    return (uint32_t)((int64_t)p + (int64_t)e->new_end_byte - (int64_t)e->old_end_byte);
}

/* An edit: records whose match touched the edited bytes go (the reparse finds them again);
 * the others move with the text, which keeps them sorted. */
static void raw_edit(struct syn_doc *doc, const struct syn_edit *e)
{
    struct index *raw = &doc->raw;
    if (!raw->valid)
        return;
    if (doc->n_dirty == SYN_MAX_DIRTY || e->old_end_byte < e->start_byte ||
        e->new_end_byte < e->start_byte) {
        raw->valid = false;
        return;
    }
    uint32_t lo = e->start_byte, hi = e->old_end_byte;
    size_t w = 0;
    for (size_t i = 0; i < raw->n_scopes; i++) {
        struct scope_rec r = raw->scopes[i];
        if (touches(r.span_s, r.span_e, lo, hi))
            continue;
        if (r.span_s >= hi) {
            r.start = shift_pos(r.start, e);
            r.end = shift_pos(r.end, e);
            r.name_s = shift_pos(r.name_s, e);
            r.name_e = shift_pos(r.name_e, e);
            if (r.body_e) {
                r.body_s = shift_pos(r.body_s, e);
                r.body_e = shift_pos(r.body_e, e);
            }
            r.span_s = shift_pos(r.span_s, e);
            r.span_e = shift_pos(r.span_e, e);
        }
        raw->scopes[w++] = r;
    }
    raw->n_scopes = w;
    w = 0;
    for (size_t i = 0; i < raw->n_defs; i++) {
        struct def_rec r = raw->defs[i];
        if (touches(r.span_s, r.span_e, lo, hi))
            continue;
        if (r.span_s >= hi) {
            r.start = shift_pos(r.start, e);
            r.end = shift_pos(r.end, e);
            r.name_s = shift_pos(r.name_s, e);
            r.name_e = shift_pos(r.name_e, e);
            r.span_s = shift_pos(r.span_s, e);
            r.span_e = shift_pos(r.span_e, e);
        }
        raw->defs[w++] = r;
    }
    raw->n_defs = w;
    w = 0;
    for (size_t i = 0; i < raw->n_imports; i++) {
        struct imp_rec r = raw->imports[i];
        if (touches(r.span_s, r.span_e, lo, hi))
            continue;
        if (r.span_s >= hi) {
            r.start = shift_pos(r.start, e);
            r.end = shift_pos(r.end, e);
            r.span_s = shift_pos(r.span_s, e);
            r.span_e = shift_pos(r.span_e, e);
        }
        raw->imports[w++] = r;
    }
    raw->n_imports = w;
    /* Earlier dirty regions move with the text, or grow to cover this edit. */
    for (size_t i = 0; i < doc->n_dirty; i++) {
        struct range *d = &doc->dirty[i];
        if (d->start >= hi && d->start > lo) {
            d->start = shift_pos(d->start, e);
            d->end = shift_pos(d->end, e);
        } else if (d->end >= lo) {
            uint32_t ne = d->end >= hi ? shift_pos(d->end, e) : e->new_end_byte;
            if (d->start > lo)
                d->start = lo;
            d->end = ne > e->new_end_byte ? ne : e->new_end_byte;
        }
    }
    doc->dirty[doc->n_dirty++] = (struct range){lo, e->new_end_byte};
}

static int cmp_range_start(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort and merge touching ranges in place; returns the new count. */
static size_t merge_ranges(struct range *r, size_t n)
{
    if (!n)
        return 0;
    qsort(r, n, sizeof(*r), cmp_range_start);
    size_t w = 0;
    for (size_t i = 1; i < n; i++) {
        if (r[i].start <= r[w].end) {
            if (r[i].end > r[w].end)
                r[w].end = r[i].end;
        } else {
            r[++w] = r[i];
        }
    }
    return w + 1;
}

/* Extend r to cover the top-level items (children of the root) of tree that touch [s, e].
 * Our patterns are rooted below the root node, so every match lies within one item: the
 * items around a change hold every match the change can affect. */
static void cover_items(TSTree *tree, uint32_t s, uint32_t e, struct range *r)
{
    TSNode root = ts_tree_root_node(tree);
    TSNode n = ts_node_first_child_for_byte(root, s > 0 ? s - 1 : 0);
    for (int guard = 0; !ts_node_is_null(n) && guard < 100000; guard++) {
        uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
        if (a > e)
            break;
        if (b >= s) {
            if (a < r->start)
                r->start = a;
            if (b > r->end)
                r->end = b;
        }
        n = ts_node_next_sibling(n);
    }
}

/* Merge sorted b (nb records of size sz) into sorted a (na, capacity *cap). */
static void merge_sorted(void **a, size_t *na, size_t *cap, const void *b, size_t nb, size_t sz,
                         int (*cmp)(const void *, const void *))
{
    if (!nb)
        return;
    grow(a, cap, *na + nb, sz);
    char *base = *a;
    const char *bb = b;
    /* From the back, so nothing is overwritten before it is read. */
    size_t i = *na, j = nb, k = *na + nb;
    while (j > 0) {
        if (i > 0 && cmp(base + (i - 1) * sz, bb + (j - 1) * sz) > 0) {
            memcpy(base + (k - 1) * sz, base + (i - 1) * sz, sz);
            i--;
        } else {
            memcpy(base + (k - 1) * sz, bb + (j - 1) * sz, sz);
            j--;
        }
        k--;
    }
    *na += nb;
}

/* The byte ranges to query again after an incremental parse: what tree-sitter reports as
 * changed between the edited old tree and the new one, plus the edited bytes, each widened to
 * the top-level items of both trees that touch it, merged. Takes `changed`. Returns the count
 * (*out freed by the caller), or SIZE_MAX when they reach over half the file: cheaper to redo
 * whole. Pure: a background reparse runs it on its own thread. */
static size_t requery_ranges(TSTree *old, TSTree *fresh, const struct range *dirty,
                             size_t n_dirty, TSRange *changed, uint32_t n_changed, size_t len,
                             struct range **out, uint64_t *total_out)
{
    size_t n_all = n_changed + n_dirty;
    struct range *all = syn__alloc((n_all + 1) * sizeof(*all));
    size_t n = 0;
    for (size_t i = 0; i < n_all; i++) {
        uint32_t s = i < n_changed ? changed[i].start_byte : dirty[i - n_changed].start;
        uint32_t e = i < n_changed ? changed[i].end_byte : dirty[i - n_changed].end;
        if (e < s)
            e = s;
        struct range r = {s, e};
        cover_items(fresh, s, e, &r);
        cover_items(old, s, e, &r);
        all[n++] = r;
    }
    free(changed);
    n = merge_ranges(all, n);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += all[i].end - all[i].start;
    *total_out = total;
    if (total * 2 > len) {
        free(all);
        *out = NULL;
        return SIZE_MAX;
    }
    *out = all;
    return n;
}

/* The records the queries find within the ranges (matches wholly inside one), sorted. doc
 * may be a view of a tree and text that are not the document's yet. */
static void requery(struct syn_doc *doc, const struct range *all, size_t n, struct index *recs)
{
    memset(recs, 0, sizeof(*recs));
    for (size_t i = 0; i < n; i++) {
        /* Items lie wholly inside or outside [lo, hi], so the cursor's range sees complete
         * matches; the filter keeps the span rule exact. */
        uint32_t lo = all[i].start, hi = all[i].end;
        struct collect c = {recs, true, lo, hi};
        collect_all(doc, &c, lo, hi > lo ? hi : lo + 1);
    }
    sort_records(recs);
}

/* Replace what the raw records said about the ranges with recs (released). */
static void apply_requery(struct index *raw, const struct range *all, size_t n,
                          struct index *recs)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t lo = all[i].start, hi = all[i].end;
        size_t w = 0;
        for (size_t j = 0; j < raw->n_scopes; j++)
            if (!(raw->scopes[j].span_s >= lo && raw->scopes[j].span_e <= hi))
                raw->scopes[w++] = raw->scopes[j];
        raw->n_scopes = w;
        w = 0;
        for (size_t j = 0; j < raw->n_defs; j++)
            if (!(raw->defs[j].span_s >= lo && raw->defs[j].span_e <= hi))
                raw->defs[w++] = raw->defs[j];
        raw->n_defs = w;
        w = 0;
        for (size_t j = 0; j < raw->n_imports; j++)
            if (!(raw->imports[j].span_s >= lo && raw->imports[j].span_e <= hi))
                raw->imports[w++] = raw->imports[j];
        raw->n_imports = w;
    }
    merge_sorted((void **)&raw->scopes, &raw->n_scopes, &raw->cap_scopes, recs->scopes,
                 recs->n_scopes, sizeof(*raw->scopes), cmp_scope);
    merge_sorted((void **)&raw->defs, &raw->n_defs, &raw->cap_defs, recs->defs, recs->n_defs,
                 sizeof(*raw->defs), cmp_def);
    merge_sorted((void **)&raw->imports, &raw->n_imports, &raw->cap_imports, recs->imports,
                 recs->n_imports, sizeof(*raw->imports), cmp_imp);
    index_release(recs);
}

/* After an incremental parse (doc->tree is `fresh`): re-run the queries over the items around
 * what changed and merge the results into the raw records. */
static void raw_update(struct syn_doc *doc, TSTree *old, TSTree *fresh, size_t n_dirty)
{
    uint32_t n_changed = 0;
    TSRange *changed = ts_tree_get_changed_ranges(old, fresh, &n_changed);
    struct range *all;
    uint64_t total;
    size_t n = requery_ranges(old, fresh, doc->dirty, n_dirty, changed, n_changed, doc->len,
                              &all, &total);
    if (n == SIZE_MAX) {
        doc->raw.valid = false;
        return;
    }
    doc->stats.incremental_updates++;
    doc->stats.requeried_bytes += total;
    struct index recs;
    requery(doc, all, n, &recs);
    apply_requery(&doc->raw, all, n, &recs);
    free(all);
}

/* ---------------------------------------------------------------- text helpers */

static bool is_ident(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static uint32_t line_start(const struct syn_doc *doc, uint32_t b)
{
    while (b > 0 && doc->text[b - 1] != '\n')
        b--;
    return b;
}

static uint32_t line_end(const struct syn_doc *doc, uint32_t b)
{
    const char *nl = memchr(doc->text + b, '\n', doc->len - b);
    return nl ? (uint32_t)(nl - doc->text) : (uint32_t)doc->len;
}

/* One line of text: whitespace runs collapsed, trimmed, capped on a UTF-8 boundary. */
static char *one_line(const char *s, size_t n, size_t cap)
{
    char *out = syn__alloc(n + 1);
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
            a = line_start(doc, s->start);
        }
        b = line_end(doc, s->start);
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

static bool in_list(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

static enum syn_situation tree_situation(struct syn_doc *doc, uint32_t b)
{
    if (!doc->tree || b == 0)
        return SYN_SIT_CODE;
    TSNode root = ts_tree_root_node(doc->tree);
    TSNode n = ts_node_descendant_for_byte_range(root, b - 1, b);
    for (int guard = 0; !ts_node_is_null(n) && guard < 64; guard++, n = ts_node_parent(n)) {
        const char *type = ts_node_type(n);
        uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
        bool comment = in_list(doc->lang->comment_types, type);
        bool string = !comment && in_list(doc->lang->string_types, type);
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
    return SYN_SIT_CODE;
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
        } else if (is_ident((unsigned char)c) || c == '.' || c == '@') {
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
    return syn__strndup(doc->text + a, op_start - a);
}

static bool ends_with_word(const char *s, size_t n, const char *w)
{
    size_t wl = strlen(w);
    if (n < wl || memcmp(s + n - wl, w, wl) != 0)
        return false;
    return n == wl || !is_ident((unsigned char)s[n - wl - 1]);
}

static bool starts_with_word(const char *s, size_t n, const char *w)
{
    size_t wl = strlen(w);
    return n > wl && memcmp(s, w, wl) == 0 && !is_ident((unsigned char)s[wl]);
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
            if (sp && is_ident((unsigned char)paren[-1]))
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
    uint32_t ls = line_start(doc, b);
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
        from = line_start(doc, e);
        while (from < to && (doc->text[from] == ' ' || doc->text[from] == '\t'))
            from++;
    }
    while (to > from && (doc->text[to - 1] == ' ' || doc->text[to - 1] == '\t' ||
                         doc->text[to - 1] == '\r'))
        to--;
    return line_opens_block(doc, doc->text + from, to - from) ? SYN_SHAPE_BLOCK : SYN_SHAPE_LINE;
}

static bool scope_contains(const struct syn_doc *doc, const struct scope_rec *s, uint32_t b)
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
    uint32_t ls = line_start(doc, b), hs = line_start(doc, s->start);
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
        return SYN_EINVAL;
    uint32_t b = byte > doc->len ? (uint32_t)doc->len : byte;
    while (b > 0 && b < doc->len && ((unsigned char)doc->text[b] & 0xC0) == 0x80)
        b--;
    uint32_t p = b;
    while (p > 0 && is_ident((unsigned char)doc->text[p - 1]) && b - p < 256)
        p--;
    out->partial = syn__strndup(doc->text + p, b - p);

    /* Situation. */
    out->situation = doc->lang ? tree_situation(doc, b) : SYN_SIT_CODE;
    if (out->situation == SYN_SIT_CODE) {
        uint32_t ls = line_start(doc, b), i = ls;
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
    build_index(doc);
    struct index *ix = &doc->idx;

    /* Enclosing scopes, innermost first (a later start nests deeper). */
    int *encl = syn__alloc((ix->n_scopes + 1) * sizeof(int));
    size_t ne = 0;
    for (size_t i = ix->n_scopes; i > 0; i--)
        if (scope_contains(doc, &ix->scopes[i - 1], b))
            encl[ne++] = (int)(i - 1);
    out->scopes = syn__alloc((ne + 1) * sizeof(*out->scopes));
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
        o->name = syn__strndup(doc->text + s->name_s, s->name_e - s->name_s);
        o->header = scope_header(doc, s);
        o->start_byte = s->start;
        o->end_byte = s->end;
    }

    /* Visible names. */
    out->names = syn__alloc((ix->n_defs + 1) * sizeof(*out->names));
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
        out->names[nn].name = syn__strndup(doc->text + d->name_s, d->name_e - d->name_s);
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
    size_t *count = calloc(ne + 2, sizeof(size_t));
    struct syn_name *sorted = syn__alloc((nn + 1) * sizeof(*sorted));
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
    const char **seen = calloc(hcap, sizeof(*seen));
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
        char *buf = syn__alloc(cap + 1);
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

/* ---------------------------------------------------------------- definitions and members */

struct defs_out {
    struct syn_def *v;   /* names not filled in until defs_finish */
    size_t n, cap;
    uint32_t *name_len;  /* per definition, capacity cap */
    size_t name_bytes;   /* sum of name_len + 1 */
    uint32_t *seen;   /* open-addressing set of name_byte + 1 (0 = empty), for dedupe */
    size_t seen_cap;  /* power of two */
};

/* Has a definition at this name position been pushed already? Records it if not. A set, not a
 * scan: a file's definitions number in the thousands. */
static bool seen_before(struct defs_out *o, uint32_t name_byte)
{
    if ((o->n + 1) * 2 > o->seen_cap) {
        size_t cap = o->seen_cap ? o->seen_cap * 2 : 64;
        uint32_t *set = syn__alloc(cap * sizeof(*set));
        memset(set, 0, cap * sizeof(*set));
        for (size_t i = 0; i < o->seen_cap; i++) {
            if (!o->seen[i])
                continue;
            size_t j = (o->seen[i] * 2654435761u) & (cap - 1);
            while (set[j])
                j = (j + 1) & (cap - 1);
            set[j] = o->seen[i];
        }
        free(o->seen);
        o->seen = set;
        o->seen_cap = cap;
    }
    uint32_t key = name_byte + 1;
    size_t j = (key * 2654435761u) & (o->seen_cap - 1);
    while (o->seen[j]) {
        if (o->seen[j] == key)
            return true;
        j = (j + 1) & (o->seen_cap - 1);
    }
    o->seen[j] = key;
    return false;
}

static void push_def(struct syn_doc *doc, struct defs_out *o, const struct def_rec *d)
{
    if (seen_before(o, d->name_s))
        return;
    size_t cap = o->cap;
    grow((void **)&o->v, &o->cap, o->n + 1, sizeof(*o->v));
    if (o->cap != cap)
        o->name_len = syn__realloc(o->name_len, o->cap * sizeof(*o->name_len));
    struct syn_def *x = &o->v[o->n];
    x->name = NULL;
    x->kind = d->kind;
    x->start_byte = d->start;
    x->end_byte = d->end;
    x->name_byte = d->name_s;
    o->name_len[o->n++] = d->name_e - d->name_s;
    o->name_bytes += d->name_e - d->name_s + 1;
}

/* One block for the array and every name after it: a file has thousands of definitions, and
 * a malloc per name cost more than the names (the server caches them for every open file). */
static void defs_finish(const struct syn_doc *doc, struct defs_out *o, struct syn_def **out,
                        size_t *n)
{
    size_t array = o->n * sizeof(struct syn_def);
    char *block = syn__alloc(array + o->name_bytes);
    struct syn_def *v = (struct syn_def *)(void *)block;
    char *names = block + array;
    if (o->n)
        memcpy(v, o->v, array);
    for (size_t i = 0; i < o->n; i++) {
        memcpy(names, doc->text + v[i].name_byte, o->name_len[i]);
        names[o->name_len[i]] = 0;
        v[i].name = names;
        names += o->name_len[i] + 1;
    }
    free(o->v);
    free(o->name_len);
    free(o->seen);
    *out = v;
    *n = o->n;
}

void syn_doc_definitions(struct syn_doc *doc, struct syn_def **out, size_t *n)
{
    struct defs_out o = {0};
    if (doc && doc->tree) {
        build_index(doc);
        for (size_t i = 0; i < doc->idx.n_defs; i++)
            push_def(doc, &o, &doc->idx.defs[i]);
    }
    defs_finish(doc, &o, out, n);
}

void syn_defs_free(struct syn_def *defs, size_t n)
{
    (void)n; /* names live in the array's block */
    free(defs);
}

static bool def_name_is(const struct syn_doc *doc, const struct def_rec *d, const char *name,
                        size_t len)
{
    return d->name_e - d->name_s == len && memcmp(doc->text + d->name_s, name, len) == 0;
}

static bool scope_name_is(const struct syn_doc *doc, const struct scope_rec *s, const char *name,
                          size_t len)
{
    return s->name_e - s->name_s == len && memcmp(doc->text + s->name_s, name, len) == 0;
}

/* Where the identifier word w (length wl) occurs in text[a, b) as a whole word, or -1. */
static int64_t find_word(const char *text, uint32_t a, uint32_t b, const char *w, size_t wl)
{
    for (uint32_t i = a; i + wl <= b; i++)
        if (memcmp(text + i, w, wl) == 0 && (i == a || !is_ident((unsigned char)text[i - 1])) &&
            (i + wl == b || !is_ident((unsigned char)text[i + wl])))
            return i;
    return -1;
}

static bool has_word(const char *text, uint32_t a, uint32_t b, const char *w, size_t wl)
{
    return find_word(text, a, b, w, wl) >= 0;
}

/* Collect members of the type named tname (length tl): fields and methods inside every class
 * definition or class scope with that name (Rust impl blocks, reopened Ruby classes), and
 * free-standing methods whose header names the type before the method name (Go receivers). */
static void members_of_type(struct syn_doc *doc, const char *tname, size_t tl,
                            struct defs_out *o)
{
    struct index *ix = &doc->idx;
    for (size_t c = 0; c < ix->n_scopes; c++) {
        const struct scope_rec *cs = &ix->scopes[c];
        bool is_container = cs->kind == SYN_KIND_CLASS && scope_name_is(doc, cs, tname, tl);
        if (!is_container)
            continue;
        for (size_t i = 0; i < ix->n_defs; i++) {
            const struct def_rec *d = &ix->defs[i];
            if (d->name_s < cs->start || d->name_e > cs->end)
                continue;
            if (d->kind == SYN_KIND_FIELD)
                push_def(doc, o, d);
            else if ((d->kind == SYN_KIND_METHOD || d->kind == SYN_KIND_FUNCTION) &&
                     d->owner == (int)c)
                push_def(doc, o, d);
        }
    }
    /* Type definitions with fields but no class scope (C structs, TS interfaces, Go structs). */
    for (size_t i = 0; i < ix->n_defs; i++) {
        const struct def_rec *t = &ix->defs[i];
        if ((t->kind != SYN_KIND_CLASS && t->kind != SYN_KIND_TYPE) ||
            !def_name_is(doc, t, tname, tl))
            continue;
        for (size_t k = 0; k < ix->n_defs; k++) {
            const struct def_rec *d = &ix->defs[k];
            if (d->kind == SYN_KIND_FIELD && d->name_s >= t->start && d->name_e <= t->end)
                push_def(doc, o, d);
        }
    }
    for (size_t i = 0; i < ix->n_defs; i++) {
        const struct def_rec *d = &ix->defs[i];
        if (d->kind == SYN_KIND_METHOD && d->owner < 0 &&
            has_word(doc->text, d->start, d->name_s, tname, tl))
            push_def(doc, o, d);
    }
}

/* Of the classes named in text[a, e), the one nearest pos (`Point p`, `p = Point(...)`);
 * a qualifier (`ns::`, `mod.`) is not a type. NULL when none. */
static const struct def_rec *class_near(const struct syn_doc *doc, uint32_t a, uint32_t e,
                                        uint32_t pos)
{
    const struct index *ix = &doc->idx;
    const struct def_rec *best = NULL;
    uint32_t best_dist = UINT32_MAX;
    for (size_t k = 0; k < ix->n_defs; k++) {
        const struct def_rec *t = &ix->defs[k];
        if (t->kind != SYN_KIND_CLASS && t->kind != SYN_KIND_TYPE)
            continue;
        int64_t at = find_word(doc->text, a, e, doc->text + t->name_s, t->name_e - t->name_s);
        if (at < 0)
            continue;
        uint32_t after = (uint32_t)at + (t->name_e - t->name_s);
        if (after < doc->len && (doc->text[after] == '.' || doc->text[after] == ':'))
            continue;
        uint32_t dist = (uint32_t)(at > pos ? at - pos : pos - at);
        if (dist < best_dist) {
            best_dist = dist;
            best = t;
        }
    }
    return best;
}

void syn_doc_members(struct syn_doc *doc, uint32_t byte, const char *receiver,
                     struct syn_def **out, size_t *n)
{
    struct defs_out o = {0};
    *out = NULL;
    *n = 0;
    if (!doc || !doc->tree || !receiver || !*receiver)
        goto done;
    build_index(doc);
    struct index *ix = &doc->idx;
    if (byte > doc->len)
        byte = (uint32_t)doc->len;
    size_t rl = strlen(receiver);
    if (strcmp(receiver, "self") == 0 || strcmp(receiver, "this") == 0 ||
        strcmp(receiver, "@") == 0 || strcmp(receiver, "Self") == 0) {
        /* The innermost class around the cursor. */
        for (size_t i = ix->n_scopes; i > 0; i--) {
            const struct scope_rec *s = &ix->scopes[i - 1];
            if (s->kind == SYN_KIND_CLASS && scope_contains(doc, s, byte) && s->name_e > s->name_s) {
                members_of_type(doc, doc->text + s->name_s, s->name_e - s->name_s, &o);
                break;
            }
        }
        /* Go/Rust style receivers are named parameters: fall through to the variable case. */
        if (o.n)
            goto done;
    }
    members_of_type(doc, receiver, rl, &o);
    if (o.n)
        goto done;
    /* A variable: the class named in its declaration, or the fields of its object literal. */
    for (size_t i = ix->n_defs; i > 0; i--) {
        const struct def_rec *d = &ix->defs[i - 1];
        if ((d->kind != SYN_KIND_VAR && d->kind != SYN_KIND_PARAMETER &&
             d->kind != SYN_KIND_FIELD) ||
            !def_name_is(doc, d, receiver, rl))
            continue;
        uint32_t a = line_start(doc, d->start), e = line_end(doc, d->name_e);
        if (d->end > e)
            e = d->end < e + 400 ? d->end : e;
        const struct def_rec *best = class_near(doc, a, e, d->name_s);
        if (best)
            members_of_type(doc, doc->text + best->name_s, best->name_e - best->name_s, &o);
        for (size_t k = 0; k < ix->n_defs && !best; k++) {
            const struct def_rec *f = &ix->defs[k];
            if (f->kind == SYN_KIND_FIELD && f->name_s > d->name_e && f->name_e <= d->end)
                push_def(doc, &o, f);
        }
        if (o.n)
            break;
    }
    /* Unfinished code often has no definition for the variable (the function around it does
     * not parse yet): look at the lines before the cursor that mention it. */
    for (uint32_t i = byte, lines = 0; !o.n && i > 0 && lines < 400; i--) {
        if (doc->text[i - 1] == '\n')
            lines++;
        if (i - 1 + rl > byte || memcmp(doc->text + i - 1, receiver, rl) != 0 ||
            (i >= 2 && is_ident((unsigned char)doc->text[i - 2])) ||
            is_ident((unsigned char)doc->text[i - 1 + rl]))
            continue;
        const struct def_rec *t = class_near(doc, line_start(doc, i - 1), line_end(doc, i - 1),
                                             i - 1);
        if (t)
            members_of_type(doc, doc->text + t->name_s, t->name_e - t->name_s, &o);
    }
done:
    defs_finish(doc, &o, out, n); /* reads doc only for the names it found */
}
