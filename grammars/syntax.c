/* syntax: one document: its text, its tree kept in step with edits (parse, edit, reparse within
 * caps and a time budget), the background reparse job, and the accessors. */
#include "syntax_int.h"

#include <stdlib.h>
#include <time.h>

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
    doc->text = xstrndup(text ? text : "", text ? len : 0);
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
    syn__index_clear(&doc->idx);
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
        return US_ETOOBIG;
    }
    if (doc->skip) {
        doc->skip--;
        return US_ETOOBIG;
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
        return US_ETOOBIG;
    }
    TSTree *prev = install_tree(doc, t);
    if (old && raw_ok) {
        doc->raw.valid = true;
        syn__raw_update(doc, old, t, n_dirty); /* queries run on doc->tree, the new one */
    }
    if (prev)
        ts_tree_delete(prev);
    return 0;
}

struct syn_doc *syn_doc_new(const struct lang_info *lang, const char *text, size_t len)
{
    struct syn_doc *doc = xmalloc(sizeof(*doc));
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
    syn__index_release(&doc->idx);
    syn__index_release(&doc->raw);
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
    syn__index_clear(&doc->idx);
    syn__raw_edit(doc, e);
}

int syn_doc_reparse(struct syn_doc *doc, const char *text, size_t len)
{
    if (!doc)
        return US_EINVAL;
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
        syn__index_clear(&doc->idx);
    }
}

struct syn_parse_job *syn_doc_reparse_begin(struct syn_doc *doc, const char *text, size_t len)
{
    if (!doc || !doc->parser || !doc->tree || doc->job || doc->skip || !within_caps(text, len))
        return NULL;
    /* The document answers from the edited tree and the new text until the job is back. */
    set_text(doc, text, len);
    struct syn_parse_job *job = xmalloc(sizeof(*job));
    memset(job, 0, sizeof(*job));
    job->doc = doc;
    job->parser = doc->parser;
    job->old = ts_tree_copy(doc->tree); /* trees are not shared across threads; copies are */
    job->text = xstrndup(text, len);
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
        job->n_ranges = syn__requery_ranges(job->old, job->result, job->dirty, job->n_dirty,
                                            changed, n_changed, job->len, &job->ranges,
                                            &job->requeried_bytes);
    } else {
        job->n_ranges = SIZE_MAX;
    }
    if (job->n_ranges != SIZE_MAX) {
        syn__requery(&view, job->ranges, job->n_ranges, &job->recs);
    } else {
        syn__collect_whole(&view, &job->recs);
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
            syn__index_clear(&doc->idx);
            if (job->n_ranges == SIZE_MAX) {
                /* Records for the whole file, built by the job. */
                syn__index_release(&doc->raw);
                doc->raw = job->recs;
                doc->raw.valid = true;
                memset(&job->recs, 0, sizeof(job->recs));
                doc->stats.full_builds++;
            } else if (doc->raw.valid) {
                syn__apply_requery(&doc->raw, job->ranges, job->n_ranges, &job->recs);
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
    syn__index_release(&job->recs);
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
    syn__index_clear(&doc->idx);
    syn__index_clear(&doc->raw);
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
