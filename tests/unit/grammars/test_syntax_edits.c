/* test_syntax_edits: the grammars floor under edits: incremental reparsing and re-querying
 * equal a fresh parse and a full pass; hostile input never crashes or stalls; background
 * reparses install the right tree or none. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "languages.h"
#include "syntax.h"
#include "test_syntax_util.h"

/* ---------------------------------------------------------------- incremental == full */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return n ? (uint32_t)(rng_state % n) : 0;
}

static size_t char_boundary(const char *t, size_t len, size_t b)
{
    while (b > 0 && b < len && ((unsigned char)t[b] & 0xC0) == 0x80)
        b--;
    return b;
}

static struct syn_point point_at(const char *t, size_t b)
{
    struct syn_point p = {0, 0};
    size_t ls = 0;
    for (size_t i = 0; i < b; i++)
        if (t[i] == '\n') {
            p.row++;
            ls = i + 1;
        }
    p.column = (uint32_t)(b - ls);
    return p;
}

static const char *const snippets[] = {
    "x", " ", "\n", "(", ")", "{", "}", "[", "]", "\"", "'", ";", ":", ",", ".", "=", "#",
    "//", "/*", "*/", "--", "end", "def f(a):\n  ", "if (x) {", "return 1;\n", "\t", "é", "日本",
    "🙂", "ünï", "    ", "fn ", "do\n", "then", "class A", "<div>", "`", "${", "$(", "\\",
    "0x1F", "1.5e3", "\"é\"", "//é\n", "# ü\n",
};

static void test_incremental(void)
{
    size_t n;
    const struct lang_info *all = lang_all(&n);
    static const char *const files[] = {"sample.c", "sample.cpp", "sample.py", "sample.js",
                                        "sample.ts", "sample.tsx", "sample.go", "sample.rs",
                                        "sample.java", "sample.rb", "sample.sh", "sample.lua",
                                        "sample.json"};
    static const char *const ids[] = {"c", "cpp", "python", "javascript", "typescript",
                                      "typescriptreact", "go", "rust", "java", "ruby",
                                      "shellscript", "lua", "json"};
    (void)all;
    /* Compare trees, not timing: a loaded machine must not make a parse give up here. */
    syn_set_parse_budget_us(20u * 1000 * 1000);
    for (size_t l = 0; l < US_LEN(files); l++) {
        rng_state = 0x9E3779B97F4A7C15ull + l; /* fixed seed per language */
        size_t len;
        char *text = read_sample(files[l], &len);
        size_t orig = len;
        const struct lang_info *lang = lang_for_id(ids[l]);
        struct syn_doc *doc = syn_doc_new(lang, text, len);
        int mismatches = 0;
        for (int e = 1; e <= 1000; e++) {
            size_t start = char_boundary(text, len, rnd((uint32_t)len + 1));
            size_t del = 0;
            uint32_t op = rnd(3); /* 0 insert, 1 delete, 2 replace */
            if (len > orig * 2)
                op = 1;
            if (op != 0) {
                del = rnd(24);
                if (start + del > len)
                    del = len - start;
                size_t end = start + del;
                while (end < len && ((unsigned char)text[end] & 0xC0) == 0x80)
                    end++;
                del = end - start;
            }
            const char *ins = op == 1 ? "" : snippets[rnd(US_LEN(snippets))];
            size_t il = strlen(ins);
            struct syn_edit ed = {
                .start_byte = (uint32_t)start,
                .old_end_byte = (uint32_t)(start + del),
                .new_end_byte = (uint32_t)(start + il),
                .start = point_at(text, start),
                .old_end = point_at(text, start + del),
            };
            char *next = malloc(len - del + il + 1);
            memcpy(next, text, start);
            memcpy(next + start, ins, il);
            memcpy(next + start + il, text + start + del, len - start - del);
            len = len - del + il;
            next[len] = 0;
            free(text);
            text = next;
            ed.new_end = point_at(text, start + il);
            syn_doc_edit(doc, &ed);
            int rc = syn_doc_reparse(doc, text, len);
            if (rc != 0)
                fprintf(stderr, "  %s: reparse after edit %d returned %d\n", files[l], e, rc);
            CHECK_EQ_INT(rc, 0);
            if (e % 50 == 0 || e == 1000) {
                struct syn_doc *fresh = syn_doc_new(lang, text, len);
                char *a = syn_doc_sexp(doc), *b = syn_doc_sexp(fresh);
                bool same = a && b && strcmp(a, b) == 0;
                if (!same && mismatches++ < 2)
                    fprintf(stderr, "  %s: incremental != full after %d edits\n", files[l], e);
                CHECK(same);
                free(a);
                free(b);
                /* The analysis also runs on whatever the edits left. */
                struct syn_cursor cur;
                syn_doc_analyze(doc, rnd((uint32_t)len + 1), &cur);
                syn_cursor_release(&cur);
                syn_doc_free(fresh);
            }
        }
        syn_doc_free(doc);
        free(text);
    }
    syn_set_parse_budget_us(0);
}

/* ---------------------------------------------------------------- incremental analysis */

/* Everything the analysis says, as text, so two documents can be compared in one go. */
static void describe_doc(struct syn_doc *doc, const uint32_t *cursors, size_t n_cursors,
                         char **out, size_t *out_len)
{
    FILE *f = open_memstream(out, out_len);
    struct syn_def *d;
    size_t n;
    syn_doc_definitions(doc, &d, &n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "def %s %s %u %u %u\n", d[i].name, syn_kind_name(d[i].kind), d[i].start_byte,
                d[i].end_byte, d[i].name_byte);
    syn_defs_free(d, n);
    for (size_t c = 0; c < n_cursors; c++) {
        struct syn_cursor cur;
        syn_doc_analyze(doc, cursors[c], &cur);
        fprintf(f, "@%u sit %d shape %d\n", cursors[c], (int)cur.situation, (int)cur.shape);
        for (size_t i = 0; i < cur.n_scopes; i++)
            fprintf(f, " scope %s %s [%s] %u %u\n", syn_kind_name(cur.scopes[i].kind),
                    cur.scopes[i].name, cur.scopes[i].header, cur.scopes[i].start_byte,
                    cur.scopes[i].end_byte);
        for (size_t i = 0; i < cur.n_names; i++)
            fprintf(f, " name %s %s %u\n", cur.names[i].name, syn_kind_name(cur.names[i].kind),
                    cur.names[i].depth);
        fprintf(f, " imports %zu [%s]\n", cur.n_imports, cur.imports ? cur.imports : "");
        syn_cursor_release(&cur);
        syn_doc_members(doc, cursors[c], "self", &d, &n);
        for (size_t i = 0; i < n; i++)
            fprintf(f, " member %s %s\n", d[i].name, syn_kind_name(d[i].kind));
        syn_defs_free(d, n);
    }
    fclose(f);
}

/* Print the first differing line of two descriptions. */
static void show_diff(const char *file, int edit, const char *a, const char *b)
{
    size_t i = 0, line = 1, ls = 0;
    while (a[i] && a[i] == b[i]) {
        if (a[i] == '\n') {
            line++;
            ls = i + 1;
        }
        i++;
    }
    const char *ea = strchr(a + ls, '\n'), *eb = strchr(b + ls, '\n');
    fprintf(stderr, "  %s: after edit %d, line %zu differs:\n    incremental: %.*s\n    fresh:       %.*s\n",
            file, edit, line, ea ? (int)(ea - a - ls) : (int)strlen(a + ls), a + ls,
            eb ? (int)(eb - b - ls) : (int)strlen(b + ls), b + ls);
}

/* The incremental query results (updated around each change) must say exactly what a full
 * pass over the tree says, after random edits and bursts of edits before one reparse. The samples are
 * repeated so that changes stay local and the incremental path, not the full rebuild, runs. */
static void test_incremental_analysis(void)
{
    static const char *const files[] = {"sample.py", "sample.c", "sample.cpp", "sample.js",
                                        "sample.ts", "sample.tsx", "sample.go", "sample.rs",
                                        "sample.java", "sample.rb", "sample.sh", "sample.lua",
                                        "sample.json"};
    static const char *const ids[] = {"python", "c", "cpp", "javascript", "typescript",
                                      "typescriptreact", "go", "rust", "java", "ruby",
                                      "shellscript", "lua", "json"};
    static const char *const typed[] = {"x", "y_1", " ", "\n", "(", ")", "{", "}", ":", ".",
                                        "=", "\"", "#", "//", "def g(b):\n    ", "self.", "int v;",
                                        "end\n", "    ", ",", "import os\n", "class K:\n  "};
    syn_set_parse_budget_us(20u * 1000 * 1000);
    for (size_t l = 0; l < US_LEN(files); l++) {
        rng_state = 0x51D5EEDull + l;
        size_t one;
        char *sample = read_sample(files[l], &one);
        size_t len = one * 6;
        char *text = malloc(len + 1);
        for (int r = 0; r < 6; r++)
            memcpy(text + one * (size_t)r, sample, one);
        text[len] = 0;
        free(sample);
        size_t orig = len;
        const struct lang_info *lang = lang_for_id(ids[l]);
        struct syn_doc *doc = syn_doc_new(lang, text, len);
        struct syn_def *d;
        size_t nd;
        syn_doc_definitions(doc, &d, &nd); /* builds the query results the edits maintain */
        syn_defs_free(d, nd);
        int failures = 0;
        for (int e = 1; e <= 150 && failures < 2; e++) {
            int burst = rnd(5) == 0 ? 1 + (int)rnd(3) : 1;
            size_t last = 0;
            for (int b = 0; b < burst; b++) {
                size_t start = char_boundary(text, len, rnd((uint32_t)len + 1));
                size_t del = 0;
                uint32_t op = rnd(3);
                if (len > orig * 2)
                    op = 1;
                if (op != 0) {
                    del = rnd(op == 1 ? 3 : 12);
                    if (start + del > len)
                        del = len - start;
                    size_t end = start + del;
                    while (end < len && ((unsigned char)text[end] & 0xC0) == 0x80)
                        end++;
                    del = end - start;
                }
                const char *ins = op == 1 ? "" : typed[rnd(US_LEN(typed))];
                size_t il = strlen(ins);
                struct syn_edit ed = {
                    .start_byte = (uint32_t)start,
                    .old_end_byte = (uint32_t)(start + del),
                    .new_end_byte = (uint32_t)(start + il),
                    .start = point_at(text, start),
                    .old_end = point_at(text, start + del),
                };
                char *next = malloc(len - del + il + 1);
                memcpy(next, text, start);
                memcpy(next + start, ins, il);
                memcpy(next + start + il, text + start + del, len - start - del);
                len = len - del + il;
                next[len] = 0;
                free(text);
                text = next;
                ed.new_end = point_at(text, start + il);
                syn_doc_edit(doc, &ed);
                last = start + il;
            }
            CHECK_EQ_INT(syn_doc_reparse(doc, text, len), 0);
            uint32_t cursors[4] = {(uint32_t)last, rnd((uint32_t)len + 1), rnd((uint32_t)len + 1),
                                   (uint32_t)(last > 3 ? last - 3 : 0)};
            /* Against a full pass over the same tree: a fresh parse of the text may place
             * invisible tokens (Python's newlines) differently, with the same s-expression. */
            char *a, *b;
            size_t al, bl;
            describe_doc(doc, cursors, US_LEN(cursors), &a, &al);
            syn_doc_drop_index(doc);
            describe_doc(doc, cursors, US_LEN(cursors), &b, &bl);
            bool same = al == bl && memcmp(a, b, al) == 0;
            if (!same) {
                show_diff(files[l], e, a, b);
                failures++;
            }
            CHECK(same);
            free(a);
            free(b);
        }
        struct syn_stats st;
        syn_doc_stats(doc, &st);
        /* The point of the test: most updates were incremental, not rebuilds. */
        if (st.incremental_updates < 75)
            fprintf(stderr, "  %s: only %llu incremental updates (%llu full builds)\n", files[l],
                    (unsigned long long)st.incremental_updates,
                    (unsigned long long)st.full_builds);
        CHECK(st.incremental_updates >= 75);
        syn_doc_free(doc);
        free(text);
    }
    syn_set_parse_budget_us(0);
}

/* ---------------------------------------------------------------- hostile input */

static void analyze_everywhere(struct syn_doc *doc, size_t len)
{
    struct syn_cursor cur;
    size_t offs[] = {0, 1, len / 3, len / 2, len > 0 ? len - 1 : 0, len, len + 100};
    for (size_t i = 0; i < US_LEN(offs); i++) {
        CHECK_EQ_INT(syn_doc_analyze(doc, (uint32_t)offs[i], &cur), 0);
        syn_cursor_release(&cur);
    }
    struct syn_def *d;
    size_t n;
    syn_doc_definitions(doc, &d, &n);
    syn_defs_free(d, n);
    syn_doc_members(doc, (uint32_t)(len / 2), "self", &d, &n);
    syn_defs_free(d, n);
}

static void test_hostile(void)
{
    static const char *const ids[] = {"python", "c", "javascript", "ruby", "json", "bash"};
    rng_state = 42;
    for (size_t l = 0; l < US_LEN(ids); l++) {
        const struct lang_info *lang = lang_for_id(ids[l]);
        double t0 = now_s();

        /* Binary bytes. */
        size_t blen = 256 * 1024;
        char *bin = malloc(blen);
        for (size_t i = 0; i < blen; i++)
            bin[i] = (char)rnd(256);
        struct syn_doc *doc = syn_doc_new(lang, bin, blen);
        analyze_everywhere(doc, blen);
        syn_doc_free(doc);
        free(bin);

        /* One 1 MB line: over the line cap, so plain text. */
        size_t llen = 1024 * 1024;
        char *line = malloc(llen);
        for (size_t i = 0; i < llen; i++)
            line[i] = "ab (){}[];=\"'"[i % 13];
        doc = syn_doc_new(lang, line, llen);
        CHECK(!syn_doc_has_tree(doc));
        analyze_everywhere(doc, llen);
        /* Editing it down below the cap brings the tree back. */
        CHECK_EQ_INT(syn_doc_reparse(doc, "x = 1\n", 6), 0);
        CHECK(syn_doc_has_tree(doc));
        syn_doc_free(doc);
        free(line);

        /* 5 MB of plausible source: over the document cap. */
        size_t big = 5u * 1024 * 1024;
        char *src = malloc(big);
        static const char unit[] = "value = compute(alpha, beta) + 1\n";
        for (size_t i = 0; i < big; i++)
            src[i] = unit[i % (sizeof(unit) - 1)];
        doc = syn_doc_new(lang, src, big);
        CHECK(!syn_doc_has_tree(doc));
        CHECK_EQ_INT(syn_doc_reparse(doc, src, big), US_ETOOBIG);
        analyze_everywhere(doc, big);
        syn_doc_free(doc);
        free(src);

        /* Unbalanced brackets and quotes, 3 MB over short lines: parsed within the budget or
         * given up, never stuck. */
        size_t ulen = 3u * 1024 * 1024;
        char *unb = malloc(ulen);
        static const char junk[] = "{{{ (((( [[[ \"' if x then do def f(:\n";
        for (size_t i = 0; i < ulen; i++)
            unb[i] = junk[i % (sizeof(junk) - 1)];
        doc = syn_doc_new(lang, unb, ulen);
        analyze_everywhere(doc, ulen);
        for (int k = 0; k < 5; k++) {
            struct syn_edit ed = {.start_byte = 10, .old_end_byte = 10, .new_end_byte = 1,
                                  .start = {0, 10}, .old_end = {0, 10}, .new_end = {0, 11}};
            ed.new_end_byte = 11;
            unb[10] = '}';
            syn_doc_edit(doc, &ed);
            syn_doc_reparse(doc, unb, ulen);
        }
        analyze_everywhere(doc, ulen);
        syn_doc_free(doc);
        free(unb);

        double dt = now_s() - t0;
        if (dt > 30)
            fprintf(stderr, "  %s: hostile inputs took %.1f s\n", ids[l], dt);
        CHECK(dt < 30); /* generous: sanitizer builds are slow */
    }

    /* No language at all: plain text, still answers. */
    struct syn_doc *doc = syn_doc_new(NULL, "a.b", 3);
    struct syn_cursor cur;
    CHECK(!syn_doc_has_tree(doc));
    CHECK(syn_doc_sexp(doc) == NULL);
    syn_doc_analyze(doc, 3, &cur);
    CHECK_EQ_INT(cur.situation, SYN_SIT_MEMBER);
    CHECK_EQ_STR(cur.receiver, "a");
    CHECK_EQ_INT(cur.n_names, 0);
    syn_cursor_release(&cur);
    syn_doc_free(doc);
}


/* ---------------------------------------------------------------- background reparse */

struct bg_doc {
    char *text;
    size_t len;
};

/* Replace [start, start+del) with ins in d and report it to doc. */
static void bg_edit(struct syn_doc *doc, struct bg_doc *d, size_t start, size_t del,
                    const char *ins)
{
    size_t il = strlen(ins);
    struct syn_edit ed = {
        .start_byte = (uint32_t)start,
        .old_end_byte = (uint32_t)(start + del),
        .new_end_byte = (uint32_t)(start + il),
        .start = point_at(d->text, start),
        .old_end = point_at(d->text, start + del),
    };
    char *next = malloc(d->len - del + il + 1);
    memcpy(next, d->text, start);
    memcpy(next + start, ins, il);
    memcpy(next + start + il, d->text + start + del, d->len - start - del);
    d->len = d->len - del + il;
    next[d->len] = 0;
    free(d->text);
    d->text = next;
    ed.new_end = point_at(d->text, start + il);
    syn_doc_edit(doc, &ed);
}

static bool same_tree_as_fresh(struct syn_doc *doc, const struct bg_doc *d)
{
    struct syn_doc *fresh = syn_doc_new(syn_doc_lang(doc), d->text, d->len);
    char *a = syn_doc_sexp(doc), *b = syn_doc_sexp(fresh);
    bool same = a && b && strcmp(a, b) == 0;
    free(a);
    free(b);
    syn_doc_free(fresh);
    return same;
}

/* Definitions (name, kind, place) equal to those of a fresh parse of the same text. */
static bool same_defs_as_fresh(struct syn_doc *doc, const struct bg_doc *d)
{
    struct syn_doc *fresh = syn_doc_new(syn_doc_lang(doc), d->text, d->len);
    struct syn_def *a, *b;
    size_t na, nb;
    syn_doc_definitions(doc, &a, &na);
    syn_doc_definitions(fresh, &b, &nb);
    bool same = na == nb && na > 0;
    for (size_t i = 0; same && i < na; i++)
        same = strcmp(a[i].name, b[i].name) == 0 && a[i].kind == b[i].kind &&
               a[i].start_byte == b[i].start_byte && a[i].end_byte == b[i].end_byte;
    syn_defs_free(a, na);
    syn_defs_free(b, nb);
    syn_doc_free(fresh);
    return same;
}

static bool has_definition(struct syn_doc *doc, const char *name)
{
    struct syn_def *defs;
    size_t n;
    syn_doc_definitions(doc, &defs, &n);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        found |= strcmp(defs[i].name, name) == 0;
    syn_defs_free(defs, n);
    return found;
}

static void *bg_run_thread(void *job)
{
    syn_parse_job_run(job);
    return NULL;
}

/* The job runs on another thread, as the server runs it on libuv's pool. */
static void bg_run(struct syn_parse_job *job)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, bg_run_thread, job) == 0);
    pthread_join(t, NULL);
}

static void test_background_reparse(void)
{
    syn_set_parse_budget_us(20u * 1000 * 1000);
    const struct lang_info *py = lang_for_id("python");
    /* Big enough to count as a big document. */
    struct bg_doc d = {NULL, 0};
    size_t cap = SYN_BACKGROUND_MIN_BYTES * 2;
    d.text = malloc(cap);
    char last[32] = "";
    while (d.len < SYN_BACKGROUND_MIN_BYTES + 1000) {
        snprintf(last, sizeof(last), "f%zu", d.len);
        d.len += (size_t)snprintf(d.text + d.len, cap - d.len,
                                  "def %s(a):\n    return a + %zu\n\n", last, d.len);
    }
    struct syn_doc *doc = syn_doc_new(py, d.text, d.len);
    CHECK(has_definition(doc, "f0"));

    /* 1. A job that comes back with nothing changed meanwhile installs its tree. While it is
     * out, the document answers from the edited tree with the new text. */
    bg_edit(doc, &d, 4, 2, "renamed");          /* def f0 -> def renamed */
    struct syn_parse_job *job = syn_doc_reparse_begin(doc, d.text, d.len);
    CHECK(job != NULL);
    CHECK(syn_doc_reparse_begin(doc, d.text, d.len) == NULL); /* one at a time */
    CHECK(has_definition(doc, last));            /* the edited tree still answers */
    struct syn_stats before, after;
    syn_doc_stats(doc, &before);
    bg_run(job);
    CHECK(syn_doc_reparse_end(job));
    syn_parse_job_free(job);
    CHECK(same_tree_as_fresh(doc, &d));
    CHECK(has_definition(doc, "renamed"));
    /* The records were updated around the edit by the job, not rebuilt whole. */
    syn_doc_stats(doc, &after);
    CHECK_EQ_INT(after.full_builds, before.full_builds);
    CHECK(after.incremental_updates > before.incremental_updates);
    CHECK(same_defs_as_fresh(doc, &d));

    /* 2. An edit while the job is out voids its result; the next job catches up. */
    bg_edit(doc, &d, d.len, 0, "def tail_one(b):\n    return b\n");
    job = syn_doc_reparse_begin(doc, d.text, d.len);
    CHECK(job != NULL);
    bg_edit(doc, &d, d.len, 0, "def tail_two(c):\n    return c\n");
    bg_run(job);
    CHECK(!syn_doc_reparse_end(job));
    syn_parse_job_free(job);
    CHECK(!same_tree_as_fresh(doc, &d));         /* behind: tail_two is not parsed yet */
    job = syn_doc_reparse_begin(doc, d.text, d.len);
    CHECK(job != NULL);
    bg_run(job);
    CHECK(syn_doc_reparse_end(job));
    syn_parse_job_free(job);
    CHECK(same_tree_as_fresh(doc, &d));
    CHECK(has_definition(doc, "tail_two"));
    CHECK(same_defs_as_fresh(doc, &d));

    /* 2b. Records not built before the job: the job builds them whole, off the loop, and the
     * next question finds them ready. */
    bg_edit(doc, &d, 4, 7, "whole__");
    syn_doc_drop_index(doc);
    job = syn_doc_reparse_begin(doc, d.text, d.len);
    CHECK(job != NULL);
    bg_run(job);
    syn_doc_stats(doc, &before);
    CHECK(syn_doc_reparse_end(job));
    syn_parse_job_free(job);
    syn_doc_stats(doc, &after);
    CHECK_EQ_INT(after.full_builds, before.full_builds + 1);
    CHECK(same_defs_as_fresh(doc, &d));
    syn_doc_stats(doc, &before);
    CHECK_EQ_INT(before.full_builds, after.full_builds); /* not built again on the loop */

    /* 3. A foreground reparse while a job is out wins; the job's older result is dropped. */
    bg_edit(doc, &d, 4, 7, "again");
    job = syn_doc_reparse_begin(doc, d.text, d.len);
    CHECK(job != NULL);
    CHECK_EQ_INT(syn_doc_reparse(doc, d.text, d.len), 0);
    CHECK(same_tree_as_fresh(doc, &d));
    bg_run(job);
    CHECK(!syn_doc_reparse_end(job));
    syn_parse_job_free(job);
    CHECK(same_tree_as_fresh(doc, &d));

    /* 4. The document may go while its job is out (closed, or its tree evicted): the job
     * ends alone and frees the parser it borrowed (the sanitizer run checks for leaks). */
    bg_edit(doc, &d, 0, 0, "# header\n");
    job = syn_doc_reparse_begin(doc, d.text, d.len);
    CHECK(job != NULL);
    syn_doc_free(doc);
    bg_run(job);
    CHECK(!syn_doc_reparse_end(job));
    syn_parse_job_free(job);

    /* 5. Small documents always parse in place. */
    struct syn_doc *small = syn_doc_new(py, "def g():\n    pass\n", 18);
    CHECK(!syn_doc_reparse_is_slow(small));
    syn_doc_free(small);
    free(d.text);
}

#define TESTS(X) X(test_incremental) X(test_incremental_analysis) X(test_hostile) \
    X(test_background_reparse)
CHECK_MAIN(TESTS)
