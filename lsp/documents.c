/* documents: open buffers, edits, line index, syntax tree upkeep (syn_edit built here from
 * the line index; background reparses through syntax_glue). */
#include "documents.h"

#include <stdlib.h>
#include <string.h>

#include "heap_upkeep.h"
#include "languages.h"
#include "map.h"
#include "syntax.h"
#include "syntax_glue.h"

struct docstore {
    struct us_map *by_uri; /* uri (the doc's own string) -> struct doc */
    size_t max_bytes;
    uint64_t tick;    /* advances on every doc_syntax(): the trees' LRU clock */
    uv_loop_t *loop;  /* for background reparses; NULL parses everything in place */
    uint64_t builds_installed;
    struct doc *builds[DOC_OPEN_BUILDS]; /* documents with a first_build out, oldest first */
    size_t n_builds;
    size_t n_defs_builds; /* definitions jobs out (DOC_DEFS_BUILDS at most) */
};

/* Walk the open documents: for (size_t it = 0; (d = next_doc(ds, &it));) */
static struct doc *next_doc(const struct docstore *ds, size_t *it)
{
    void *v;
    return us_map_next(ds->by_uri, it, NULL, &v) ? v : NULL;
}

struct docstore *docstore_new(size_t max_doc_bytes)
{
    struct docstore *ds = xcalloc(1, sizeof(*ds));
    ds->by_uri = us_map_new(false);
    ds->max_bytes = max_doc_bytes ? max_doc_bytes : DOC_DEFAULT_MAX_BYTES;
    return ds;
}

void docstore_set_loop(struct docstore *ds, uv_loop_t *loop)
{
    ds->loop = loop;
}

static void drop_definitions(struct doc *d)
{
    if (d->defs)
        syn_defs_free(d->defs, d->n_defs);
    d->defs = NULL;
    d->n_defs = 0;
}

static void builds_remove(struct docstore *ds, struct doc *d)
{
    for (size_t i = 0; i < ds->n_builds; i++)
        if (ds->builds[i] == d) {
            memmove(&ds->builds[i], &ds->builds[i + 1],
                    (ds->n_builds - i - 1) * sizeof(*ds->builds));
            ds->n_builds--;
            return;
        }
}

/* Stop waiting for the document's first build (its result is freed when it is back). */
static void forget_build(struct doc *d)
{
    if (d->first_build) {
        syntax_glue_build_forget(d->first_build);
        d->first_build = NULL;
        builds_remove(d->store, d);
    }
    d->build_asked = false;
    free(d->build_edits);
    d->build_edits = NULL;
    d->n_build_edits = 0;
}

/* Stop waiting for the document's definitions job (the document goes or its text changed). */
static void forget_defs_build(struct doc *d)
{
    if (d->defs_build) {
        syntax_glue_build_forget(d->defs_build);
        d->defs_build = NULL;
        d->store->n_defs_builds--;
    }
    d->defs_wanted = false;
}

/* Free the tree; a background reparse still out finishes on its own and reports to nobody. */
static void release_syntax(struct doc *d)
{
    forget_build(d);
    d->tree_from_worker = false;
    d->built_unused = 0;
    if (d->syntax && !d->reparse_job && d->store && d->store->loop &&
        d->text.len > DOC_FREE_INLINE_BYTES) {
        /* A big tree takes milliseconds to delete: a worker does it. */
        syntax_glue_free_background(d->store->loop, d->syntax, NULL, 0);
    } else {
        syntax_glue_job_forget(d->reparse_job);
        syn_doc_free(d->syntax);
    }
    d->reparse_job = NULL;
    d->syntax = NULL;
}

/* Keep at most DOC_MAX_TREES trees: drop the least recently used ones (never keep's). */
static void evict_trees(struct docstore *ds, struct doc *keep)
{
    for (;;) {
        size_t live = 0;
        struct doc *oldest = NULL;
        struct doc *o;
        for (size_t it = 0; (o = next_doc(ds, &it));) {
            if (!o->syntax)
                continue;
            live++;
            if (o != keep && (!oldest || o->syntax_used < oldest->syntax_used))
                oldest = o;
        }
        if (live <= DOC_MAX_TREES || !oldest)
            return;
        release_syntax(oldest);
        oldest->syntax_evicted = true;
        oldest->syntax_stale = false;
    }
}

static void doc_free(struct doc *d)
{
    forget_defs_build(d);
    drop_definitions(d);
    release_syntax(d);
    free(d->uri);
    free(d->language_id);
    sb_release(&d->text);
    line_index_release(&d->lines);
    free(d);
}

void docstore_free(struct docstore *ds)
{
    if (!ds)
        return;
    ds->loop = NULL; /* the loop may not run again: free everything here */
    struct doc *d;
    for (size_t it = 0; (d = next_doc(ds, &it));)
        doc_free(d); /* the map borrows d->uri: free the map's table last, unread */
    us_map_free(ds->by_uri);
    free(ds);
}

struct doc *docstore_get(struct docstore *ds, const char *uri)
{
    return us_map_get(ds->by_uri, uri);
}

static void start_first_build(struct doc *d);
static void start_defs_builds(struct docstore *ds);

int docstore_open(struct docstore *ds, const char *uri, const char *language_id, int64_t version,
                  const char *text, size_t len)
{
    if (len > ds->max_bytes)
        return US_ETOOBIG;
    struct doc *d = docstore_get(ds, uri);
    if (d) {
        /* Re-open replaces the text; the language may have changed too. */
        free(d->language_id);
        d->language_id = xstrdup(language_id ? language_id : "");
        release_syntax(d);
    } else {
        d = xcalloc(1, sizeof(*d));
        d->uri = xstrdup(uri);
        d->language_id = xstrdup(language_id ? language_id : "");
        sb_init(&d->text);
        line_index_init(&d->lines);
        us_map_put(ds->by_uri, d->uri, d);
    }
    d->version = version;
    sb_clear(&d->text);
    sb_add(&d->text, text, len);
    line_index_release(&d->lines); /* built when first needed (doc_lines) */
    d->store = ds;
    /* No tree until someone needs one: an editor restoring a session opens dozens of buffers
     * at once, and most are never asked about. */
    d->syntax = NULL;
    d->syntax_stale = false;
    d->syntax_evicted = lang_for_document(d->language_id, d->uri) != NULL;
    forget_defs_build(d);
    start_defs_builds(ds);
    drop_definitions(d);
    d->last_edit_ms = us_now_ms();
    d->last_edit_offset = 0;
    d->edit_count++;
    if (ds->loop && d->syntax_evicted && len <= DOC_BUILD_MAX_BYTES)
        start_first_build(d);
    return 0;
}

int docstore_close(struct docstore *ds, const char *uri)
{
    struct doc *d = us_map_del(ds->by_uri, uri);
    if (!d)
        return US_ENOENT;
    doc_free(d);
    start_defs_builds(ds); /* its job, if one was out, leaves a place */
    return 0;
}

size_t docstore_count(const struct docstore *ds)
{
    return us_map_count(ds->by_uri);
}

void docstore_each(struct docstore *ds, void (*fn)(struct doc *d, void *ud), void *ud)
{
    struct doc *d;
    for (size_t it = 0; (d = next_doc(ds, &it));)
        fn(d, ud);
}

int doc_apply_change(struct docstore *ds, struct doc *d, bool has_range, struct lsp_pos start,
                     struct lsp_pos end, const char *text, size_t len, enum pos_encoding enc)
{
    size_t a = 0, b = d->text.len;
    const struct line_index *li = doc_lines(d);
    if (has_range) {
        a = pos_to_offset(li, d->text.data, d->text.len, start, enc);
        b = pos_to_offset(li, d->text.data, d->text.len, end, enc);
        if (b < a) { /* a reversed range is read as the same span */
            size_t t = a;
            a = b;
            b = t;
        }
    }
    if (d->text.len - (b - a) + len > ds->max_bytes)
        return US_ETOOBIG;

    /* The edit in tree-sitter's terms: start and old end on the old text, new end below. */
    struct syn_edit edit = {.start_byte = (uint32_t)a, .old_end_byte = (uint32_t)b,
                            .new_end_byte = (uint32_t)(a + len)};
    bool keep_edit = d->first_build && d->n_build_edits < DOC_BUILD_MAX_EDITS;
    if (d->first_build && !keep_edit)
        d->n_build_edits = SIZE_MAX; /* too many: the build's tree will be dropped */
    if (d->syntax || keep_edit) {
        pos_ts_point(li, d->text.data, a, &edit.start.row, &edit.start.column);
        pos_ts_point(li, d->text.data, b, &edit.old_end.row, &edit.old_end.column);
    }

    struct strbuf out;
    sb_init(&out);
    /* Splice; one allocation sized for the result keeps big documents cheap to edit. */
    size_t newlen = d->text.len - (b - a) + len;
    if (newlen + 1 > out.cap) {
        out.data = xrealloc(out.data, newlen + 1);
        out.cap = newlen + 1;
    }
    sb_add(&out, d->text.data, a);
    sb_add(&out, text, len);
    sb_add(&out, d->text.data + b, d->text.len - b);
    sb_release(&d->text);
    d->text = out;
    line_index_build(&d->lines, d->text.data, d->text.len);
    d->last_edit_ms = us_now_ms();
    d->last_edit_offset = a + len;
    d->edit_count++;

    if (d->syntax || keep_edit)
        pos_ts_point(li, d->text.data, a + len, &edit.new_end.row, &edit.new_end.column);
    if (keep_edit) {
        d->build_edits = xrealloc(d->build_edits, (d->n_build_edits + 1) * sizeof(edit));
        d->build_edits[d->n_build_edits++] = edit;
    }
    if (d->syntax) {
        syn_doc_edit(d->syntax, &edit);
        d->syntax_stale = true;
        /* A reparse is out: meanwhile the edited tree is read with the text it now describes. */
        if (d->reparse_job)
            syn_doc_set_text(d->syntax, d->text.data, d->text.len);
    }
    return 0;
}

const struct line_index *doc_lines(struct doc *d)
{
    if (!d->lines.count)
        line_index_build(&d->lines, d->text.data, d->text.len);
    return &d->lines;
}

static void drop_unused_builds(struct docstore *ds, struct doc *keep);

static void defs_build_done(void *ud, struct syntax_glue_result *r)
{
    struct doc *d = ud;
    d->defs_build = NULL;
    d->store->n_defs_builds--;
    /* Typed in meanwhile: the positions are the old text's, of no use (asked again, it goes
     * back in line). */
    if (d->defs_build_for == d->edit_count && (!d->defs || d->defs_seen != d->edit_count)) {
        drop_definitions(d);
        d->defs = syntax_glue_definitions_copy(r->defs, r->n_defs);
        d->n_defs = r->n_defs;
        d->defs_seen = d->edit_count;
    }
    syntax_glue_result_release(r);
    start_defs_builds(d->store);
    if (!d->store->n_defs_builds) /* the batch is done: its parses' pages can go back */
        heap_upkeep_churned();
}

/* Start the definitions jobs of documents waiting for one, up to DOC_DEFS_BUILDS. */
static void start_defs_builds(struct docstore *ds)
{
    struct doc *d;
    for (size_t it = 0; ds->n_defs_builds < DOC_DEFS_BUILDS && (d = next_doc(ds, &it));) {
        if (!d->defs_wanted || d->defs_build)
            continue;
        d->defs_wanted = false;
        d->defs_build = syntax_glue_defs_background(ds->loop,
                                                    lang_for_document(d->language_id, d->uri),
                                                    d->text.data, d->text.len, defs_build_done, d);
        if (d->defs_build) {
            d->defs_build_for = d->edit_count;
            ds->n_defs_builds++;
        }
    }
}

const struct syn_def *doc_definitions(struct doc *d, size_t *n)
{
    if ((!d->defs || d->defs_seen != d->edit_count) && d->syntax_evicted && !d->first_build &&
        d->store->loop && d->text.len > DOC_INLINE_PARSE_BYTES) {
        /* No tree held, none coming, and too big to parse here without stalling the
         * keystroke: a worker reads it; nothing now. */
        if (!d->defs_build || d->defs_build_for != d->edit_count) {
            forget_defs_build(d);
            d->defs_wanted = true;
            start_defs_builds(d->store);
        }
        *n = 0;
        return NULL;
    }
    if (!d->defs || d->defs_seen != d->edit_count) {
        /* Reading a document's definitions for another one's completion is not working in
         * it: the tree keeps its place in the LRU of DOC_MAX_TREES, and a just-opened
         * document's tree (its first build's, or parsed here in its place) stays one of the
         * DOC_OPEN_BUILDS unused ones instead of becoming a tree someone asked for. */
        bool held = d->syntax != NULL;
        bool building = d->first_build != NULL || d->built_unused != 0;
        uint64_t used = d->syntax_used, unused = d->built_unused;
        struct syn_doc *syn = doc_syntax(d); /* may install a first build and its definitions */
        if (held)
            d->syntax_used = used;
        if (building && d->syntax) {
            d->built_unused = unused ? unused : ++d->store->builds_installed;
            drop_unused_builds(d->store, d);
        }
        if (d->defs && d->defs_seen == d->edit_count) {
            *n = d->n_defs;
            return d->defs;
        }
        if (!syn && d->first_build) { /* not built yet: nothing now, nothing cached */
            *n = 0;
            return NULL;
        }
        drop_definitions(d);
        if (syn)
            syntax_glue_definitions(syn, &d->defs, &d->n_defs);
        d->defs_seen = d->edit_count;
        /* Parsed here only for its definitions: the tree goes again at once instead of taking
         * a place among the DOC_MAX_TREES kept for the documents being worked in. */
        if (!held && !building && syn && !d->tree_from_worker) {
            release_syntax(d);
            d->syntax_evicted = true;
            d->syntax_stale = false;
        }
    }
    *n = d->n_defs;
    return d->defs;
}

static void start_background_reparse(struct doc *d);

/* A background reparse is back. Definitions taken from the edited tree meanwhile are redone
 * from the new one; if the user typed on, the tree is behind again: catch up at once, so it is
 * current soon after typing stops. */
static void background_reparse_done(void *ud, bool installed)
{
    struct doc *d = ud;
    d->reparse_job = NULL;
    if (installed)
        drop_definitions(d);
    if (d->syntax_stale && d->syntax)
        start_background_reparse(d);
}

static void start_background_reparse(struct doc *d)
{
    d->reparse_job = syntax_glue_reparse_background(d->store->loop, d->syntax, d->text.data,
                                                    d->text.len, background_reparse_done, d);
    if (d->reparse_job)
        d->syntax_stale = false; /* the syntax has the text; the job brings the tree */
}

/* Parse the document; NULL when its language has no grammar. */
static struct syn_doc *syntax_open(const struct doc *d)
{
    const struct lang_info *lang = lang_for_document(d->language_id, d->uri);
    if (!lang)
        return NULL;
    struct syn_doc *syn = syn_doc_new(lang, d->text.data, d->text.len);
    if (!syn_doc_has_tree(syn))
        LOG_D("syntax", "%s: no tree (over a size cap or parse budget)", d->uri);
    return syn;
}

/* Trees first builds installed that nobody asked for since: only the DOC_OPEN_BUILDS newest
 * stay (an editor restoring a session opens dozens of files; the last ones are looked at). */
static void drop_unused_builds(struct docstore *ds, struct doc *keep)
{
    for (;;) {
        size_t n = 0;
        struct doc *oldest = NULL;
        struct doc *o;
        for (size_t it = 0; (o = next_doc(ds, &it));) {
            if (!o->syntax || !o->built_unused)
                continue;
            n++;
            if (o != keep && (!oldest || o->built_unused < oldest->built_unused))
                oldest = o;
        }
        if (n <= DOC_OPEN_BUILDS || !oldest)
            return;
        release_syntax(oldest); /* its definitions stay */
        oldest->syntax_evicted = true;
        oldest->syntax_stale = false;
    }
}

/* A first build is back (done callback) or taken early (take_first_build): make its tree the
 * document's, with the edits made meanwhile applied (the next question reparses). */
static void install_first_build(struct doc *d, struct syntax_glue_result *r)
{
    if (!d->syntax_evicted || d->n_build_edits == SIZE_MAX || !r->syn) {
        /* Built on demand meanwhile, or typed in too much: the result is no use. */
        bool again = d->syntax_evicted && d->n_build_edits == SIZE_MAX;
        syntax_glue_free_background(d->store->loop, r->syn, r->defs, r->n_defs);
        memset(r, 0, sizeof(*r));
        free(d->build_edits);
        d->build_edits = NULL;
        d->n_build_edits = 0;
        if (again && d->text.len <= DOC_BUILD_MAX_BYTES)
            start_first_build(d);
        return;
    }
    d->syntax = r->syn;
    d->syntax_evicted = false;
    d->tree_from_worker = true;
    drop_definitions(d);
    d->defs = syntax_glue_definitions_copy(r->defs, r->n_defs);
    d->n_defs = r->n_defs;
    syn_defs_free(r->defs, r->n_defs);
    d->defs_seen = d->edit_count - d->n_build_edits; /* the opened version's definitions */
    for (size_t i = 0; i < d->n_build_edits; i++)
        syn_doc_edit(d->syntax, &d->build_edits[i]);
    d->syntax_stale = d->n_build_edits > 0;
    free(d->build_edits);
    d->build_edits = NULL;
    d->n_build_edits = 0;
    memset(r, 0, sizeof(*r));
    d->syntax_used = ++d->store->tick;
    d->built_unused = d->build_asked ? 0 : ++d->store->builds_installed;
    d->build_asked = false;
    drop_unused_builds(d->store, d);
    evict_trees(d->store, d);
    LOG_D("syntax", "%s: first tree built on a worker", d->uri);
}

static void first_build_done(void *ud, struct syntax_glue_result *r)
{
    struct doc *d = ud;
    d->first_build = NULL;
    builds_remove(d->store, d);
    install_first_build(d, r);
}

/* Take the first build if it is done within wait_us. Returns false while it is still out. */
static bool take_first_build(struct doc *d, uint64_t wait_us, bool run_if_queued)
{
    struct syntax_glue_result r;
    if (!syntax_glue_build_take(d->first_build, wait_us, run_if_queued, &r))
        return false;
    d->first_build = NULL; /* the job frees itself when the worker is done with it */
    builds_remove(d->store, d);
    install_first_build(d, &r);
    return d->first_build == NULL;
}

static void start_first_build(struct doc *d)
{
    struct docstore *ds = d->store;
    forget_build(d);
    if (ds->n_builds == DOC_OPEN_BUILDS) {
        /* the oldest build nobody asked for goes first: a burst of didOpens must not drop
         * the tree a completion is waiting for */
        size_t k = 0;
        while (k < ds->n_builds && ds->builds[k]->build_asked)
            k++;
        forget_build(ds->builds[k < ds->n_builds ? k : 0]); /* all asked for: the oldest */
    }
    const struct lang_info *lang = lang_for_document(d->language_id, d->uri);
    d->first_build = syntax_glue_build_background(ds->loop, lang, d->text.data, d->text.len,
                                                  first_build_done, d);
    if (d->first_build)
        ds->builds[ds->n_builds++] = d;
}

static struct syn_doc *reopen_evicted(struct doc *d)
{
    d->built_unused = 0; /* asked for */
    if (d->syntax_evicted) {
        d->syntax = syntax_open(d);
        d->tree_from_worker = false;
        d->syntax_evicted = false;
        d->syntax_stale = false;
        evict_trees(d->store, d);
    }
    d->syntax_used = ++d->store->tick;
    return d->syntax;
}

struct syn_doc *doc_syntax(struct doc *d)
{
    /* The first tree is being built on a worker: taken when it is done. A small document
     * (DOC_INLINE_PARSE_BYTES: well under a millisecond) is not worth going without: its job
     * is run here if no worker has it yet, else waited for briefly, else parsed here. A bigger
     * one is neither parsed on the loop too nor waited for (even a queued build may be a
     * niced worker waiting for a CPU, and a loop that blocks gives its CPU away: on a busy
     * machine a 3 ms wait cost a first completion 15 ms at the median): the caller answers
     * from the text (words, snippets) until the tree is back. */
    if (d->first_build) {
        bool small = d->text.len <= DOC_INLINE_PARSE_BYTES;
        if (!take_first_build(d, small ? DOC_INLINE_WAIT_US : 0, small)) {
            if (!small) {
                d->build_asked = true;
                return NULL;
            }
            forget_build(d);
        }
    }
    /* No tree held and not a small document: built on a worker like a first build. */
    if (d->syntax_evicted && !d->first_build && d->store->loop &&
        d->text.len > DOC_INLINE_PARSE_BYTES) {
        start_first_build(d);
        if (d->first_build) {
            d->build_asked = true;
            return NULL;
        }
    }
    /* Current, or its reparse is out: then the edited tree answers (the job starts again when
     * it is back). */
    if (!reopen_evicted(d) || !d->syntax_stale || d->reparse_job)
        return d->syntax;
    if (d->store->loop && syn_doc_reparse_is_slow(d->syntax)) {
        start_background_reparse(d);
        if (d->reparse_job)
            return d->syntax;
    }
    syn_doc_reparse(d->syntax, d->text.data, d->text.len);
    d->syntax_stale = false;
    return d->syntax;
}

struct syn_doc *doc_syntax_current(struct doc *d)
{
    /* Whatever the build's state, the answer is the current text's tree: claim the job if no
     * worker has it yet, else wait for it. */
    if (d->first_build)
        take_first_build(d, 10u * 1000 * 1000, true);
    forget_build(d); /* still out after 10 s: parse here */
    if (reopen_evicted(d) && (d->syntax_stale || d->reparse_job)) {
        /* With a job out this parses with a parser of its own and voids the job's result. */
        syn_doc_reparse(d->syntax, d->text.data, d->text.len);
        d->syntax_stale = false;
        drop_definitions(d);
    }
    return d->syntax;
}
