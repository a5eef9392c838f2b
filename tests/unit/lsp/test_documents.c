/* Documents and their trees: a tree is built when first needed (or on a worker right after
 * didOpen when a loop is set: first_tree_built_on_a_worker), at most
 * DOC_MAX_TREES are held, edits keep text and tree in step, and a big file's reparse goes to a
 * libuv worker while the edited tree answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "check.h"
#include "documents.h"
#include "syntax.h"
#include "syntax_glue.h"

static const char small_py[] = "def area(w, h):\n    return w * h\n";

static size_t trees_held(struct docstore *ds, char uris[][64], size_t n)
{
    size_t held = 0;
    for (size_t i = 0; i < n; i++)
        held += docstore_get(ds, uris[i])->syntax != NULL;
    return held;
}

static void trees_built_on_demand(void)
{
    struct docstore *ds = docstore_new(0);
    char uris[3 * DOC_MAX_TREES][64];
    size_t n = sizeof(uris) / sizeof(uris[0]);
    for (size_t i = 0; i < n; i++) {
        snprintf(uris[i], sizeof(uris[i]), "file:///w/m%zu.py", i);
        CHECK_EQ_INT(docstore_open(ds, uris[i], "python", 1, small_py, strlen(small_py)), 0);
    }
    CHECK_EQ_INT(trees_held(ds, uris, n), 0); /* opening parses nothing */
    struct doc *d = docstore_get(ds, uris[0]);
    CHECK(d->syntax_evicted);
    CHECK(doc_syntax(d) != NULL);
    CHECK(syn_doc_has_tree(d->syntax));
    for (size_t i = 0; i < n; i++)
        CHECK(doc_syntax(docstore_get(ds, uris[i])) != NULL);
    CHECK_EQ_INT(trees_held(ds, uris, n), DOC_MAX_TREES); /* the bound holds */
    /* A language without a grammar never gets one, and asking is cheap. */
    CHECK_EQ_INT(docstore_open(ds, "file:///w/notes.txt", "plaintext", 1, "hi", 2), 0);
    struct doc *t = docstore_get(ds, "file:///w/notes.txt");
    CHECK(!t->syntax_evicted);
    CHECK(doc_syntax(t) == NULL);
    /* The language may come from the extension when the id says nothing. */
    CHECK_EQ_INT(docstore_open(ds, "file:///w/scratch.py", "plaintext", 1, small_py,
                               strlen(small_py)), 0);
    CHECK(doc_syntax(docstore_get(ds, "file:///w/scratch.py")) != NULL);
    docstore_free(ds);
}

static void edit(struct docstore *ds, struct doc *d, uint32_t line, uint32_t from, uint32_t to,
                 const char *text)
{
    struct lsp_pos a = {line, from}, b = {line, to};
    CHECK_EQ_INT(doc_apply_change(ds, d, true, a, b, text, strlen(text), POS_UTF8), 0);
}

static char *tree_of(const char *text, size_t len)
{
    struct syn_doc *fresh = syn_doc_new(lang_for_id("python"), text, len);
    char *sexp = syn_doc_sexp(fresh);
    syn_doc_free(fresh);
    return sexp;
}

/* A store whose big parses go to loop's workers (the parse budget lifted: these tests compare
 * trees, and a busy machine must not make a parse give up). */
static struct docstore *store_on_loop(uv_loop_t *loop)
{
    syn_set_parse_budget_us(20u * 1000 * 1000);
    CHECK_EQ_INT(uv_loop_init(loop), 0);
    struct docstore *ds = docstore_new(0);
    docstore_set_loop(ds, loop);
    return ds;
}

/* Python functions up to at least bytes of text (sb initialised here). */
static void py_functions(struct strbuf *sb, size_t bytes)
{
    sb_init(sb);
    for (int i = 0; sb->len < bytes; i++)
        sb_addf(sb, "def f%d(a, b):\n    total = a * b + %d\n    return total\n\n", i, i);
}

static void big_file_reparsed_on_a_worker(void)
{
    uv_loop_t loop;
    struct docstore *ds = store_on_loop(&loop);
    struct strbuf big;
    py_functions(&big, 2 * SYN_BACKGROUND_MIN_BYTES);
    CHECK_EQ_INT(docstore_open(ds, "file:///w/big.py", "python", 1, big.data, big.len), 0);
    struct doc *d = docstore_get(ds, "file:///w/big.py");
    /* No tree yet: the first one is built on a worker, never parsed on the loop. */
    CHECK(doc_syntax(d) == NULL);
    CHECK(d->first_build != NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(doc_syntax(d) != NULL);
    CHECK(d->tree_from_worker);
    /* Files opened meanwhile (their builds hit the bound) do not drop a build asked for. */
    CHECK_EQ_INT(docstore_open(ds, "file:///w/big2.py", "python", 1, big.data, big.len), 0);
    struct doc *d2 = docstore_get(ds, "file:///w/big2.py");
    CHECK(doc_syntax(d2) == NULL && d2->first_build != NULL && d2->build_asked);
    for (int i = 0; i < 3; i++) {
        char uri[64];
        snprintf(uri, sizeof uri, "file:///w/opened%d.py", i);
        CHECK_EQ_INT(docstore_open(ds, uri, "python", 1, small_py, strlen(small_py)), 0);
    }
    CHECK(d2->first_build != NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(d2->syntax != NULL && d2->tree_from_worker && !d2->built_unused);
    /* Every build out asked for: a third one drops the oldest. */
    struct doc *asked[3];
    for (int i = 0; i < 3; i++) {
        char uri[64];
        snprintf(uri, sizeof uri, "file:///w/asked%d.py", i);
        CHECK_EQ_INT(docstore_open(ds, uri, "python", 1, big.data, big.len), 0);
        asked[i] = docstore_get(ds, uri);
        CHECK(doc_syntax(asked[i]) == NULL);
    }
    CHECK(!asked[0]->first_build && asked[1]->first_build && asked[2]->first_build);
    uv_run(&loop, UV_RUN_DEFAULT);
    /* Whether the first parse counted as slow depends on the machine: make sure it does. */
    int tries = 0;
    while (!syn_doc_reparse_is_slow(d->syntax) && tries++ < 20) {
        edit(ds, d, (uint32_t)doc_lines(d)->count - 1, 0, 0, "#\n"); /* at the end */
        doc_syntax_current(d);
    }
    if (!syn_doc_reparse_is_slow(d->syntax)) {
        fprintf(stderr, "  (this machine parses the big file in under %d us; skipped)\n",
                SYN_BACKGROUND_PARSE_US);
        docstore_free(ds);
        sb_release(&big);
        uv_loop_close(&loop);
        return;
    }
    edit(ds, d, 1, 4, 9, "sum_");                 /* "total" -> "sum_" on line 2 */
    CHECK(doc_syntax(d) != NULL);                 /* answers at once ... */
    CHECK(d->reparse_job != NULL);                /* ... while the reparse is out */
    edit(ds, d, 1, 4, 8, "acc");                  /* typing goes on meanwhile */
    CHECK(doc_syntax(d) != NULL);
    uv_run(&loop, UV_RUN_DEFAULT);                /* the job, then its catch-up job */
    CHECK(d->reparse_job == NULL);
    CHECK(!d->syntax_stale);
    struct syn_stats st;
    syn_doc_stats(d->syntax, &st);
    CHECK(st.background_reparses >= 1);
    char *want = tree_of(d->text.data, d->text.len), *got = syn_doc_sexp(d->syntax);
    CHECK(want && got && strcmp(want, got) == 0);  /* caught up without being asked */
    free(want);
    free(got);
    /* Closing the document while a job is out: the job ends alone. */
    edit(ds, d, 1, 4, 7, "total");
    doc_syntax(d);
    CHECK(d->reparse_job != NULL);
    CHECK_EQ_INT(docstore_close(ds, "file:///w/big.py"), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    docstore_free(ds);
    sb_release(&big);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* issue 17: a freshly opened document's first tree, records and definitions are built on a
 * worker; edits made meanwhile reach the tree; the number of builds out is bounded. */
static void first_tree_built_on_a_worker(void)
{
    uv_loop_t loop;
    struct docstore *ds = store_on_loop(&loop);
    struct strbuf mid;
    py_functions(&mid, 72 * 1024);

    /* Opened: a build is out, no tree on the loop yet. Back: tree and definitions ready. */
    CHECK_EQ_INT(docstore_open(ds, "file:///w/a.py", "python", 1, mid.data, mid.len), 0);
    struct doc *d = docstore_get(ds, "file:///w/a.py");
    CHECK(d->first_build != NULL);
    CHECK(d->syntax == NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(d->first_build == NULL);
    CHECK(d->syntax != NULL && d->tree_from_worker);
    CHECK(d->defs != NULL && d->defs_seen == d->edit_count); /* nothing left to compute */
    size_t nd = 0;
    const struct syn_def *defs = doc_definitions(d, &nd);
    CHECK(defs == d->defs && nd > 100);
    char *want = tree_of(d->text.data, d->text.len), *got = syn_doc_sexp(doc_syntax(d));
    CHECK(want && got && strcmp(want, got) == 0);
    free(want);
    free(got);

    /* Edits while the build is out are applied to its tree; the next question reparses. */
    CHECK_EQ_INT(docstore_open(ds, "file:///w/b.py", "python", 1, mid.data, mid.len), 0);
    struct doc *b = docstore_get(ds, "file:///w/b.py");
    CHECK(b->first_build != NULL);
    edit(ds, b, 1, 4, 9, "sum_");
    edit(ds, b, 0, 0, 0, "import os\n");
    edit(ds, b, 3, 0, 0, "# note\n");
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(b->syntax != NULL && b->tree_from_worker);
    CHECK(b->syntax_stale);
    want = tree_of(b->text.data, b->text.len);
    got = syn_doc_sexp(doc_syntax(b));
    CHECK(want && got && strcmp(want, got) == 0);
    free(want);
    free(got);
    nd = 0;
    doc_definitions(b, &nd);
    CHECK(nd > 100 && b->defs_seen == b->edit_count);

    /* Too many edits meanwhile: the build starts over on the current text. */
    CHECK_EQ_INT(docstore_open(ds, "file:///w/c.py", "python", 1, mid.data, mid.len), 0);
    struct doc *c = docstore_get(ds, "file:///w/c.py");
    for (int i = 0; i <= DOC_BUILD_MAX_EDITS; i++)
        edit(ds, c, 0, 0, 0, "#");
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(c->syntax != NULL);
    want = tree_of(c->text.data, c->text.len);
    got = syn_doc_sexp(doc_syntax(c));
    CHECK(want && got && strcmp(want, got) == 0);
    free(want);
    free(got);

    /* At most DOC_OPEN_BUILDS out; a document closed with its build out is no trouble; the
     * syntaxTree path gets the current tree whatever the build's state. */
    size_t out = 0;
    for (int i = 0; i < 6; i++) {
        char uri[64];
        snprintf(uri, sizeof uri, "file:///w/r%d.py", i);
        CHECK_EQ_INT(docstore_open(ds, uri, "python", 1, mid.data, mid.len), 0);
    }
    for (int i = 0; i < 6; i++) {
        char uri[64];
        snprintf(uri, sizeof uri, "file:///w/r%d.py", i);
        out += docstore_get(ds, uri)->first_build != NULL;
    }
    CHECK(out <= DOC_OPEN_BUILDS);
    CHECK_EQ_INT(docstore_close(ds, "file:///w/r5.py"), 0);
    struct doc *r4 = docstore_get(ds, "file:///w/r4.py");
    CHECK(doc_syntax_current(r4) != NULL);
    CHECK(r4->first_build == NULL);
    uv_run(&loop, UV_RUN_DEFAULT);

    /* A small document asked at once gets its tree at once: the build's (run here if no
     * worker has it yet, or back within DOC_INLINE_WAIT_US) or, when a busy worker holds it
     * longer, a parse here; either way nothing is left out. */
    CHECK_EQ_INT(docstore_open(ds, "file:///w/s.py", "python", 1, small_py, strlen(small_py)), 0);
    struct doc *sd = docstore_get(ds, "file:///w/s.py");
    CHECK(doc_syntax(sd) != NULL);
    CHECK(sd->first_build == NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(doc_syntax(sd) != NULL);
    docstore_free(ds);
    sb_release(&mid);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* issue 17 item 4: a completion right after didOpen does not parse on the loop what a worker
 * is parsing: while a (deliberately slow) build is out, doc_syntax answers NULL without
 * waiting for it, and the tree the document gets is the worker's. */
static void no_parse_on_the_loop_while_a_build_is_out(void)
{
    syntax_glue_set_build_delay_us(400 * 1000);
    uv_loop_t loop;
    struct docstore *ds = store_on_loop(&loop);
    struct strbuf mid;
    py_functions(&mid, 12 * 1024);
    CHECK_EQ_INT(docstore_open(ds, "file:///w/slow.py", "python", 1, mid.data, mid.len), 0);
    struct doc *d = docstore_get(ds, "file:///w/slow.py");
    CHECK(d->first_build != NULL);
    usleep(100 * 1000); /* a worker has it by now (and sleeps) */
    uint64_t t0 = us_now_us();
    CHECK(doc_syntax(d) == NULL);     /* answered from the text, not parsed here */
    CHECK(doc_definitions(d, &(size_t){0}) == NULL);
    CHECK(us_now_us() - t0 < 250 * 1000); /* not waited out (generous: the build sleeps 400) */
    CHECK(d->first_build != NULL && d->syntax == NULL);
    edit(ds, d, 0, 0, 0, "import os\n"); /* typing meanwhile reaches the worker's tree */
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(d->first_build == NULL);
    CHECK(d->syntax != NULL && d->tree_from_worker);
    char *want = tree_of(d->text.data, d->text.len), *got = syn_doc_sexp(doc_syntax(d));
    CHECK(want && got && strcmp(want, got) == 0);
    CHECK(d->tree_from_worker); /* the reparse after the edit kept the worker's tree */
    free(want);
    free(got);
    syntax_glue_set_build_delay_us(0);
    docstore_free(ds);
    sb_release(&mid);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* issue 17 (memory with a hundred files open): reading other documents' definitions keeps
 * no tree and no line index, moves no held tree in the LRU, keeps one definition per name
 * (the first in text order), and an evicted tree is rebuilt when its document is worked in. */
static void definitions_read_compactly(void)
{
    struct docstore *ds = docstore_new(0);
    const char *src = "class Shape:\n    def __init__(self, w):\n        self.w = w\n"
                      "    def area(self):\n        return self.w\n\n"
                      "class Square:\n    def __init__(self, s):\n        self.w = s\n\n"
                      "def area(x):\n    return x\n";
    char uris[2 * DOC_MAX_TREES][64];
    size_t n = sizeof(uris) / sizeof(uris[0]);
    for (size_t i = 0; i < n; i++) {
        snprintf(uris[i], sizeof(uris[i]), "file:///w/d%zu.py", i);
        CHECK_EQ_INT(docstore_open(ds, uris[i], "python", 1, src, strlen(src)), 0);
    }
    struct doc *worked = docstore_get(ds, uris[0]);
    CHECK(doc_syntax(worked) != NULL);
    uint64_t used = worked->syntax_used;
    for (size_t i = 0; i < n; i++) {
        struct doc *d = docstore_get(ds, uris[i]);
        size_t nd = 0;
        const struct syn_def *defs = doc_definitions(d, &nd);
        CHECK(defs != NULL && nd >= 4);
        for (size_t k = 1; k < nd; k++)
            CHECK(strcmp(defs[k - 1].name, defs[k].name) < 0); /* sorted, one per name */
        for (size_t k = 0; k < nd; k++)
            if (strcmp(defs[k].name, "area") == 0)
                CHECK_EQ_INT(defs[k].start_byte, strstr(src, "def area") - src); /* the first */
        CHECK(d->lines.count == 0); /* nobody converted a position in it */
        if (d != worked)
            CHECK(d->syntax == NULL); /* parsed for its definitions, dropped again */
    }
    CHECK(worked->syntax != NULL && worked->syntax_used == used);
    CHECK_EQ_INT(trees_held(ds, uris, n), 1);
    /* Worked in again: the tree and the line index come back, in step with edits. */
    struct doc *d = docstore_get(ds, uris[n - 1]);
    edit(ds, d, 10, 4, 8, "size");
    CHECK(d->lines.count == 13);
    char *want = tree_of(d->text.data, d->text.len), *got = syn_doc_sexp(doc_syntax(d));
    CHECK(want && got && strcmp(want, got) == 0);
    free(want);
    free(got);
    size_t nd = 0;
    const struct syn_def *defs = doc_definitions(d, &nd);
    bool renamed = false;
    for (size_t k = 0; k < nd; k++)
        renamed |= strcmp(defs[k].name, "size") == 0;
    CHECK(renamed);
    docstore_free(ds);
}

/* Twenty files opened at once, read by another file's completion for their definitions: none
 * is parsed on the loop (no tree appears, the first answer is empty at once); a worker reads
 * them DOC_DEFS_BUILDS at a time and they are there for the next completion. A file edited
 * while its job is out gets no stale positions: its next question reads the new text. */
static void other_documents_read_on_a_worker(void)
{
    uv_loop_t loop;
    struct docstore *ds = store_on_loop(&loop);
    struct strbuf t;
    py_functions(&t, 2 * DOC_INLINE_PARSE_BYTES);
    enum { N = 20 };
    struct doc *docs[N];
    for (int i = 0; i < N; i++) {
        char uri[64];
        snprintf(uri, sizeof(uri), "file:///w/other%d.py", i);
        CHECK_EQ_INT(docstore_open(ds, uri, "python", 1, t.data, t.len), 0);
        docs[i] = docstore_get(ds, uri);
    }
    uv_run(&loop, UV_RUN_DEFAULT); /* the newest files' first builds come back */
    size_t waiting = 0;
    for (int i = 0; i < N; i++) {
        size_t nd = 99;
        bool had_tree = docs[i]->syntax != NULL;
        const struct syn_def *defs = doc_definitions(docs[i], &nd);
        if (had_tree) {
            CHECK(nd > 100);
            continue;
        }
        CHECK(defs == NULL && nd == 0);
        CHECK(docs[i]->syntax == NULL);
        waiting++;
    }
    CHECK(waiting >= N - DOC_OPEN_BUILDS);
    /* One of them is edited while the jobs are out. */
    struct doc *moved = docs[0];
    edit(ds, moved, 0, 0, 0, "import os\n");
    uv_run(&loop, UV_RUN_DEFAULT);
    for (int i = 1; i < N; i++) {
        size_t nd = 0;
        const struct syn_def *defs = doc_definitions(docs[i], &nd);
        CHECK(defs != NULL && nd > 100);
        CHECK(docs[i]->syntax == NULL || docs[i]->tree_from_worker);
    }
    size_t nd = 99;
    CHECK(doc_definitions(moved, &nd) == NULL && nd == 0); /* asked again: back in line */
    uv_run(&loop, UV_RUN_DEFAULT);
    const struct syn_def *defs = doc_definitions(moved, &nd);
    CHECK(defs != NULL && nd > 100);
    CHECK_EQ_INT((int)defs[0].start_byte >= (int)strlen("import os\n"), 1);
    sb_release(&t);
    docstore_free(ds);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* Definitions jobs and the documents they read: closed, re-opened or edited while a job is
 * out, or the whole store freed with one out, the job ends alone (ASan: nothing it reports to
 * is freed), and the queue of documents waiting for a job goes on. */
static void definitions_jobs_outlive_their_documents(void)
{
    syn_set_parse_budget_us(20u * 1000 * 1000);
    uv_loop_t loop;
    CHECK_EQ_INT(uv_loop_init(&loop), 0);
    struct docstore *ds = docstore_new(0);
    struct strbuf t;
    py_functions(&t, 2 * DOC_INLINE_PARSE_BYTES);
    enum { N = 5 };
    struct doc *docs[N];
    char uris[N][64];
    for (int i = 0; i < N; i++) {
        snprintf(uris[i], sizeof(uris[i]), "file:///w/j%d.py", i);
        CHECK_EQ_INT(docstore_open(ds, uris[i], "python", 1, t.data, t.len), 0);
        docs[i] = docstore_get(ds, uris[i]);
    }
    docstore_set_loop(ds, &loop); /* after the opens: no first builds, every tree evicted */
    syntax_glue_set_build_delay_us(30000);
    size_t nd = 99;
    for (int i = 0; i < N; i++)
        CHECK(doc_definitions(docs[i], &nd) == NULL && nd == 0);
    CHECK(docs[0]->defs_build != NULL);                /* one job out, the others wait */
    CHECK(docs[1]->defs_build == NULL && docs[1]->defs_wanted);
    CHECK_EQ_INT(docstore_close(ds, uris[0]), 0);      /* closed with its job out */
    bool next_started = false;                         /* its place goes to a waiting one */
    for (int i = 1; i < N; i++)
        next_started |= docs[i]->defs_build != NULL;
    CHECK(next_started);
    CHECK(doc_definitions(docs[1], &nd) == NULL);      /* asked again: a job starts */
    int out = -1;
    for (int i = 1; i < N; i++)
        if (docs[i]->defs_build)
            out = out < 0 ? i : 99;
    CHECK(out > 0 && out < N);
    if (out != 1) { /* that job's document goes to the back */
        struct doc *x = docs[1];
        char u[64];
        memcpy(u, uris[1], sizeof(u));
        docs[1] = docs[out], memcpy(uris[1], uris[out], sizeof(u));
        docs[out] = x, memcpy(uris[out], u, sizeof(u));
    }
    CHECK_EQ_INT(docstore_open(ds, uris[1], "python", 2, t.data, t.len), 0); /* re-opened */
    CHECK(docs[1]->defs_build == NULL);
    edit(ds, docs[2], 0, 0, 0, "import os\n");
    uv_run(&loop, UV_RUN_DEFAULT);
    for (int i = 2; i < N; i++) {
        doc_definitions(docs[i], &nd);
        uv_run(&loop, UV_RUN_DEFAULT);
        const struct syn_def *defs = doc_definitions(docs[i], &nd);
        CHECK(defs != NULL && nd > 100 && docs[i]->defs_seen == docs[i]->edit_count);
        CHECK(docs[i]->defs_build == NULL);
    }
    /* Edited while its job is out: the job's answer is the old text's, not kept. */
    edit(ds, docs[3], 0, 0, 0, "import os\n");
    CHECK(doc_definitions(docs[3], &nd) == NULL && docs[3]->defs_build != NULL);
    edit(ds, docs[3], 0, 0, 0, "import re\n");
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(docs[3]->defs_seen != docs[3]->edit_count);
    const struct syn_def *defs = doc_definitions(docs[3], &nd);
    CHECK(defs == NULL && docs[3]->defs_build != NULL); /* not stuck: a new job starts */
    /* The store freed with that job out. */
    docstore_free(ds);
    uv_run(&loop, UV_RUN_DEFAULT);
    syntax_glue_set_build_delay_us(0);
    sb_release(&t);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

#define TESTS(X) X(trees_built_on_demand) X(big_file_reparsed_on_a_worker) \
    X(first_tree_built_on_a_worker) X(no_parse_on_the_loop_while_a_build_is_out) \
    X(definitions_read_compactly) X(other_documents_read_on_a_worker) \
    X(definitions_jobs_outlive_their_documents)
CHECK_MAIN(TESTS)
