/* test_syntax: the grammars floor: every grammar loads and our queries compile; realistic
 * samples parse without errors and the cursor analysis sees the right scopes, names and
 * imports. Edits, hostile input and background reparses: test_syntax_edits.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "languages.h"
#include "syntax.h"
#include "test_syntax_util.h"

/* ---------------------------------------------------------------- table and queries */

static void test_table(void)
{
    size_t n;
    const struct lang_info *all = lang_all(&n);
    CHECK(n >= 13);
    for (size_t i = 0; i < n; i++) {
        char err[200] = "";
        CHECK(lang_grammar(&all[i]) != NULL);
        int rc = syn_lang_check_queries(&all[i], err, sizeof(err));
        if (rc != 0)
            fprintf(stderr, "  %s: %s\n", all[i].name, err);
        CHECK_EQ_INT(rc, 0);
        CHECK(strlen(lang_query_text(&all[i], "definitions")) > 0);
        CHECK(all[i].keywords && all[i].keywords[0]);
    }
    static const char *const ids[] = {"c", "cpp", "python", "javascript", "javascriptreact",
                                      "typescript", "typescriptreact", "go", "rust", "java",
                                      "ruby", "shellscript", "bash", "sh", "lua", "json"};
    for (size_t i = 0; i < US_LEN(ids); i++) {
        if (!lang_for_id(ids[i]))
            fprintf(stderr, "  no language for id %s\n", ids[i]);
        CHECK(lang_for_id(ids[i]) != NULL);
    }
    CHECK(lang_for_id("cobol") == NULL);
    CHECK_EQ_STR(lang_for_path("/x/y/main.PY")->name, "python");
    CHECK_EQ_STR(lang_for_path("src/app.tsx")->name, "typescriptreact");
    CHECK_EQ_STR(lang_for_path("a.h")->name, "c");
    CHECK_EQ_STR(lang_for_path("run.sh")->name, "shellscript");
    CHECK(lang_for_path("README") == NULL);
    CHECK(lang_for_id("javascriptreact") == lang_for_id("javascript"));
}

/* ---------------------------------------------------------------- samples */

struct probe {
    const char *anchor; /* cursor = first occurrence of anchor + delta */
    int delta;
    const char *scope;  /* innermost non-block scope's name */
    const char *in[12];
    const char *out[8];
};

struct sample {
    const char *lang_id;
    const char *file;
    const char *import_part; /* must occur in the joined imports; NULL: no imports */
    struct probe probes[2];
};

static const struct sample samples[] = {
    {"python", "sample.py", "from collections import OrderedDict",
     {{"return round(result", 0, "area",
       {"squared", "result", "precision", "self", "Circle", "load_shapes", "math", "OrderedDict",
        "SCALE", "osp", "dd"},
       {"registry", "counts", "total", "factor", "handle", "areas"}},
      {"    return registry\n\n\ndef summary", 4, "load_shapes",
       {"registry", "counts", "path", "limit", "index", "line", "name", "radius", "handle",
        "summary"},
       {"squared", "areas", "message", "total", "factors"}}}},
    {"c", "sample.c", "#include <stdio.h>",
     {{"return total;\n}\n\nint main", 0, "vec_sum",
       {"total", "v", "vec_push", "vec_new", "counter", "VEC_MIN", "point", "main"},
       {"bigger", "grown", "numbers", "real", "i", "value", "cap"}},
      {"v->items = grown;", 0, "vec_push", {"bigger", "grown", "v", "value"},
       {"total", "real", "argc"}}}},
    {"cpp", "sample.cpp", "#include <map>",
     {{"balance_ += amount", 0, "deposit", {"fee", "amount", "total", "Account"},
       {"sum", "entries", "counts", "twice", "acct"}},
      {"return twice(sum)", 0, "total", {"sum", "entries", "start", "twice"},
       {"fee", "acct", "entry", "amount"}}}},
    {"javascript", "sample.js", "import fs from \"fs\";",
     {{"return item;", 0, "add",
       {"item", "title", "done", "TodoStore", "pending", "fs", "join", "base", "util",
        "EventEmitter", "DEFAULTS"},
       {"file", "text", "count", "total", "dir"}},
      {"return count + tags", 0, "pending", {"count", "store", "tags", "describe"},
       {"item", "title", "total"}}}},
    {"typescript", "sample.ts", "import { readFileSync } from \"fs\";",
     {{"return sum * (1", 0, "total",
       {"sum", "discount", "Inventory", "loadPrices", "readFileSync", "path", "Product"},
       {"copies", "raw", "prices", "p", "quantity"}},
      {"prices.set(name", 0, "", {"name", "price", "line", "raw", "prices", "file"},
       {"sum", "copies", "discount"}}}},
    {"typescriptreact", "sample.tsx", "from \"react\"",
     {{"return next;", 0, "increment", {"next", "step", "ItemList", "Counter", "React"},
       {"selected", "visible", "label"}},
      {"const visible", 0, "ItemList", {"selected", "setSelected", "title", "items", "format"},
       {"next", "label", "step"}}}},
    {"go", "sample.go", "\"fmt\"",
     {{"return m.Abs", 0, "Area", {"total", "poly", "Point", "Perimeter", "ErrEmpty", "m"},
       {"dx", "dy", "sum", "other", "next", "pt"}},
      {"return sum, nil", 0, "Perimeter", {"sum", "poly", "Describe", "Polygon"},
       {"a", "total", "dx", "s"}}}},
    {"rust", "sample.rs", "use std::collections::HashMap;",
     {{"self.total += added", 0, "add",
       {"added", "text", "mode", "self", "Counter", "MAX_WORDS", "read_all", "HashMap", "File"},
       {"pairs", "key", "word", "file", "n"}},
      {"Ok(text)", 0, "read_all", {"file", "text", "path", "_meta", "main"},
       {"counter", "added", "pairs"}}}},
    {"java", "sample.java", "import java.util.List;",
     {{"return removed;", 0, "removeIf",
       {"removed", "test", "items", "capacity", "BoundedQueue", "offer"},
       {"candidate", "i", "copy", "queue", "item", "args"}},
      {"items.remove(i)", 0, "removeIf", {"candidate", "i", "removed", "test"},
       {"copy", "queue", "x"}}}},
    {"ruby", "sample.rb", "require \"json\"",
     {{"found.map", 0, "by_author", {"found", "name", "Book", "Catalogue"},
       {"title", "author", "data", "catalogue", "year_text"}},
      {"    catalogue\n  end\nend", 4, "load", {"data", "catalogue", "path"},
       {"found", "year_text", "book"}}}},
    {"shellscript", "sample.sh", "source ./lib/common.sh",
     {{"prune \"$BACKUP_ROOT\"", 0, "backup",
       {"source_dir", "stamp", "target", "BACKUP_ROOT", "KEEP", "log", "prune"},
       {"level", "count", "archive"}},
      {"count=$((count", 0, "prune", {"dir", "count", "archive", "KEEP"},
       {"stamp", "target", "level"}}}},
    {"lua", "sample.lua", "require(\"json\")",
     {{"return total\nend", 0, "sum", {"total", "stack", "start", "Stack", "LIMIT", "json"},
       {"top", "name", "index", "self"}},
      {"table.insert", 0, "push", {"value", "Stack", "LIMIT", "util"},
       {"top", "total", "stack"}}}},
    {"json", "sample.json", NULL,
     {{"\"deep\"", 0, "nested", {"max_lines", "ratio"}, {"build", "email"}},
      {"\"email\": \"ada", 0, "(none)", {NULL}, {"deadline_ms", "email", "ratio"}}}},
};

static const struct syn_scope *innermost_named(const struct syn_cursor *cur)
{
    for (size_t i = 0; i < cur->n_scopes; i++)
        if (cur->scopes[i].kind != SYN_KIND_BLOCK)
            return &cur->scopes[i];
    return NULL;
}

static bool has_name(const struct syn_cursor *cur, const char *name)
{
    for (size_t i = 0; i < cur->n_names; i++)
        if (strcmp(cur->names[i].name, name) == 0)
            return true;
    return false;
}

static void dump_cursor(const struct syn_cursor *cur)
{
    fprintf(stderr, "    scopes:");
    for (size_t i = 0; i < cur->n_scopes; i++)
        fprintf(stderr, " %s:%s[%s]", syn_kind_name(cur->scopes[i].kind), cur->scopes[i].name,
                cur->scopes[i].header);
    fprintf(stderr, "\n    names:");
    for (size_t i = 0; i < cur->n_names; i++)
        fprintf(stderr, " %s(%s,%u)", cur->names[i].name, syn_kind_name(cur->names[i].kind),
                cur->names[i].depth);
    fprintf(stderr, "\n");
}

static void test_samples(void)
{
    for (size_t s = 0; s < US_LEN(samples); s++) {
        const struct sample *sm = &samples[s];
        size_t len;
        char *text = read_sample(sm->file, &len);
        const struct lang_info *lang = lang_for_id(sm->lang_id);
        CHECK(lang != NULL);
        struct syn_doc *doc = syn_doc_new(lang, text, len);
        CHECK(syn_doc_has_tree(doc));
        if (syn_doc_has_error(doc)) {
            char *sexp = syn_doc_sexp(doc);
            fprintf(stderr, "  %s has syntax errors: %.2000s\n", sm->file, sexp);
            free(sexp);
        }
        CHECK(!syn_doc_has_error(doc));
        for (size_t p = 0; p < US_LEN(sm->probes); p++) {
            const struct probe *pr = &sm->probes[p];
            const char *at = strstr(text, pr->anchor);
            if (!at) {
                fprintf(stderr, "  %s: anchor not found: %s\n", sm->file, pr->anchor);
                CHECK(at != NULL);
                continue;
            }
            struct syn_cursor cur;
            CHECK_EQ_INT(syn_doc_analyze(doc, (uint32_t)(at - text + pr->delta), &cur), 0);
            int before = check__failures;
            const struct syn_scope *sc = innermost_named(&cur);
            CHECK_EQ_STR(sc ? sc->name : "(none)", pr->scope);
            for (size_t i = 0; i < US_LEN(pr->in) && pr->in[i]; i++) {
                if (!has_name(&cur, pr->in[i]))
                    fprintf(stderr, "  %s probe %zu: %s should be visible\n", sm->file, p,
                            pr->in[i]);
                CHECK(has_name(&cur, pr->in[i]));
            }
            for (size_t i = 0; i < US_LEN(pr->out) && pr->out[i]; i++) {
                if (has_name(&cur, pr->out[i]))
                    fprintf(stderr, "  %s probe %zu: %s should be out of scope\n", sm->file, p,
                            pr->out[i]);
                CHECK(!has_name(&cur, pr->out[i]));
            }
            if (sm->import_part) {
                CHECK(cur.imports && strstr(cur.imports, sm->import_part));
                CHECK(cur.n_imports >= 1);
            } else {
                CHECK(cur.imports == NULL);
            }
            if (check__failures != before)
                dump_cursor(&cur);
            syn_cursor_release(&cur);
        }
        struct syn_def *defs;
        size_t nd;
        syn_doc_definitions(doc, &defs, &nd);
        CHECK(nd >= 5);
        for (size_t i = 1; i < nd; i++)
            CHECK(defs[i - 1].name_byte < defs[i].name_byte);
        syn_defs_free(defs, nd);
        syn_doc_free(doc);
        free(text);
    }
}

/* ---------------------------------------------------------------- situation, shape, headers */

static struct syn_doc *doc_of(const char *lang_id, const char *text)
{
    return syn_doc_new(lang_for_id(lang_id), text, strlen(text));
}

static void analyze_at(struct syn_doc *doc, const char *text, const char *anchor, int delta,
                       struct syn_cursor *cur)
{
    const char *at = strstr(text, anchor);
    CHECK(at != NULL);
    syn_doc_analyze(doc, at ? (uint32_t)(at - text + delta) : 0, cur);
}

static void test_situation_and_shape(void)
{
    size_t len;
    char *py = read_sample("sample.py", &len);
    struct syn_doc *doc = syn_doc_new(lang_for_id("python"), py, len);
    struct syn_cursor cur;

    analyze_at(doc, py, "self.radius ** 2", 7, &cur);
    CHECK_EQ_INT(cur.situation, SYN_SIT_MEMBER);
    CHECK_EQ_STR(cur.receiver, "self");
    CHECK_EQ_STR(cur.partial, "ra");
    CHECK_EQ_INT(cur.scopes[0].kind, SYN_KIND_METHOD);
    CHECK_EQ_STR(cur.scopes[0].header, "def area(self, precision: int = 2):");
    CHECK_EQ_STR(cur.scopes[1].header, "class Circle:");
    syn_cursor_release(&cur);

    analyze_at(doc, py, "Total area", 3, &cur);
    CHECK_EQ_INT(cur.situation, SYN_SIT_COMMENT);
    syn_cursor_release(&cur);
    analyze_at(doc, py, "total area: {}", 4, &cur);
    CHECK_EQ_INT(cur.situation, SYN_SIT_STRING);
    syn_cursor_release(&cur);
    analyze_at(doc, py, "        squared = self", 4, &cur);
    CHECK_EQ_INT(cur.situation, SYN_SIT_LINE_START);
    CHECK_EQ_INT(cur.shape, SYN_SHAPE_LINE);
    syn_cursor_release(&cur);
    analyze_at(doc, py, "        squared = self", 0, &cur);
    CHECK_EQ_INT(cur.shape, SYN_SHAPE_LINE); /* the line has text after the cursor */
    syn_cursor_release(&cur);

    struct syn_def *m;
    size_t nm;
    const char *at = strstr(py, "squared = self");
    syn_doc_members(doc, (uint32_t)(at - py), "self", &m, &nm);
    const char *want[] = {"x", "y", "radius", "area", "scaled", "kind"};
    for (size_t i = 0; i < US_LEN(want); i++) {
        bool found = false;
        for (size_t k = 0; k < nm; k++)
            found |= strcmp(m[k].name, want[i]) == 0;
        if (!found)
            fprintf(stderr, "  member %s of self missing\n", want[i]);
        CHECK(found);
    }
    syn_defs_free(m, nm);
    syn_doc_members(doc, 0, "Circle", &m, &nm);
    CHECK(nm >= 6);
    syn_defs_free(m, nm);
    syn_doc_free(doc);
    free(py);

    /* A function being typed at the end of a Python file: still inside it, block shape. */
    const char *t1 = "import os\n\ndef walk(root, depth):\n    seen = set()\n    ";
    doc = doc_of("python", t1);
    syn_doc_analyze(doc, (uint32_t)strlen(t1), &cur);
    CHECK(cur.n_scopes >= 1 && strcmp(cur.scopes[0].name, "walk") == 0);
    CHECK(has_name(&cur, "seen") && has_name(&cur, "root") && has_name(&cur, "os"));
    CHECK_EQ_INT(cur.situation, SYN_SIT_LINE_START);
    CHECK_EQ_INT(cur.shape, SYN_SHAPE_LINE);
    syn_cursor_release(&cur);
    syn_doc_free(doc);
    const char *t1b = "class Shape:\n    def area(self, scale):\n        ";
    doc = doc_of("python", t1b);
    syn_doc_analyze(doc, (uint32_t)strlen(t1b), &cur);
    CHECK_EQ_INT(cur.shape, SYN_SHAPE_BLOCK);
    CHECK(cur.n_scopes >= 1 && strcmp(cur.scopes[0].name, "area") == 0);
    CHECK(has_name(&cur, "scale"));
    syn_cursor_release(&cur);
    syn_doc_free(doc);

    const char *t2 = "int add(int a, int b)\n{\n    \n}\n";
    doc = doc_of("c", t2);
    analyze_at(doc, t2, "    \n}", 4, &cur);
    CHECK_EQ_INT(cur.shape, SYN_SHAPE_BLOCK);
    CHECK(cur.n_scopes >= 1 && strcmp(cur.scopes[0].header, "int add(int a, int b)") == 0);
    syn_cursor_release(&cur);
    analyze_at(doc, t2, "int add", 21, &cur); /* right after the signature */
    CHECK_EQ_INT(cur.shape, SYN_SHAPE_BLOCK);
    syn_cursor_release(&cur);
    syn_doc_free(doc);

    const char *t3 = "struct pt { int x; int y; };\nvoid f(struct pt *p) { p->x = 1; p->";
    /* (unfinished code: the tree has errors here, the analysis must cope) */
    doc = doc_of("c", t3);
    syn_doc_analyze(doc, (uint32_t)strlen(t3), &cur);
    CHECK_EQ_INT(cur.situation, SYN_SIT_MEMBER);
    CHECK_EQ_STR(cur.receiver, "p");
    syn_doc_members(doc, (uint32_t)strlen(t3), cur.receiver, &m, &nm);
    CHECK_EQ_INT(nm, 2);
    syn_defs_free(m, nm);
    syn_cursor_release(&cur);
    syn_doc_free(doc);

    const char *t4 = "fn main() {\n    let v = std::";
    doc = doc_of("rust", t4);
    syn_doc_analyze(doc, (uint32_t)strlen(t4), &cur);
    CHECK_EQ_INT(cur.situation, SYN_SIT_MEMBER);
    CHECK_EQ_STR(cur.receiver, "std");
    syn_cursor_release(&cur);
    syn_doc_free(doc);

    const char *t5 = "items.each do |x|\n  ";
    doc = doc_of("ruby", t5);
    syn_doc_analyze(doc, (uint32_t)strlen(t5), &cur);
    CHECK_EQ_INT(cur.shape, SYN_SHAPE_BLOCK);
    syn_cursor_release(&cur);
    syn_doc_free(doc);

    const char *t6 = "if x > 1 then\n  ";
    doc = doc_of("lua", t6);
    syn_doc_analyze(doc, (uint32_t)strlen(t6), &cur);
    CHECK_EQ_INT(cur.shape, SYN_SHAPE_BLOCK);
    syn_cursor_release(&cur);
    syn_doc_free(doc);

    /* Members in other languages. */
    static const struct {
        const char *lang, *file, *anchor, *receiver;
        const char *want[4];
    } mem[] = {
        {"go", "sample.go", "return m.Abs", "Point", {"X", "Label", "Distance"}},
        {"rust", "sample.rs", "self.total += added", "self", {"counts", "total", "top"}},
        {"javascript", "sample.js", "return item;", "this", {"dir", "items", "save"}},
        {"javascript", "sample.js", "module.exports", "DEFAULTS", {"limit", "sorted"}},
        {"lua", "sample.lua", "local s = Stack", "Stack", {"new", "push", "pop"}},
        {"c", "sample.c", "printf(\"sum", "numbers", {"items", "len", "cap"}},
        {"typescript", "sample.ts", "return sum *", "this", {"products", "add", "owner"}},
        {"java", "sample.java", "return removed;", "this", {"items", "capacity", "offer"}},
        {"cpp", "sample.cpp", "acct.deposit", "acct", {"deposit", "balance", "owner_"}},
    };
    for (size_t i = 0; i < US_LEN(mem); i++) {
        char *txt = read_sample(mem[i].file, &len);
        doc = syn_doc_new(lang_for_id(mem[i].lang), txt, len);
        at = strstr(txt, mem[i].anchor);
        CHECK(at != NULL);
        syn_doc_members(doc, at ? (uint32_t)(at - txt) : 0, mem[i].receiver, &m, &nm);
        for (size_t w = 0; w < US_LEN(mem[i].want) && mem[i].want[w]; w++) {
            bool found = false;
            for (size_t k = 0; k < nm; k++)
                found |= strcmp(m[k].name, mem[i].want[w]) == 0;
            if (!found)
                fprintf(stderr, "  %s: member %s of %s missing\n", mem[i].file, mem[i].want[w],
                        mem[i].receiver);
            CHECK(found);
        }
        syn_defs_free(m, nm);
        syn_doc_free(doc);
        free(txt);
    }
}

/* A comment or string being written has no end yet: the grammars see errors or code, the
 * user a comment or a string (Neovim and Emacs do not close them as they open). An opening
 * inside a string or a line comment, or one already closed, opens nothing. */
static void test_text_being_written(void)
{
    static const struct {
        const char *lang, *text;
        enum syn_situation want;
        bool unclosed; /* no end yet (a line comment, or one closed further down, has one) */
    } cases[] = {
        {"c", "int x;\n/* Read NBYTES into BUF from FD ", SYN_SIT_COMMENT, true},
        {"c", "int x;\n/*\n * Copyright 2024 someone\n * ", SYN_SIT_COMMENT, true},
        {"c", "#define F_ULOCK 0\t/* Unlock a locked region. *", SYN_SIT_COMMENT, true},
        {"javascript", "const a = 1;\n/**\n * Adds two numbers ", SYN_SIT_COMMENT, true},
        {"c", "/* done */\nint x = f(", SYN_SIT_CODE, false},
        {"c", "const char *s = \"/* not a comment\";\nint y = g(", SYN_SIT_CODE, false},
        {"c", "// a /* in a line comment\nint y = g(", SYN_SIT_CODE, false},
        {"javascript", "const re = '/*';\nlet y = f(", SYN_SIT_CODE, false},
        {"python", "x = 1\ny = x /* ", SYN_SIT_CODE, false}, /* no block comments in Python */
        /* a comment the tree sees, closed further down, in a file with errors elsewhere
         * (`|` marks the cursor where the text goes on) */
        {"c", "int x;\n/* Read the bytes |of it */\nint y = g(", SYN_SIT_COMMENT, false},
        /* strings */
        {"python", "x = 1\ny = \"hello wor", SYN_SIT_STRING, true},
        {"python", "def f():\n    \"\"\"Return the sum of", SYN_SIT_STRING, true},
        {"python", "def f():\n    \"\"\"Return the sum\n    of \"a\" and ", SYN_SIT_STRING, true},
        {"javascript", "const a = 1;\nconst s = 'abc de", SYN_SIT_STRING, true},
        {"javascript", "const a = 1;\nconst s = `abc de", SYN_SIT_STRING, true},
        {"c", "int main(void) {\n    printf(\"hello wor", SYN_SIT_STRING, true},
        {"shellscript", "x=1\necho 'hello wor", SYN_SIT_STRING, true},
        {"python", "print(\"a\", b", SYN_SIT_CODE, false},
        {"python", "def f():\n    \"\"\"Doc.\"\"\"\n    return g(", SYN_SIT_CODE, false},
        {"c", "char c = '\"'; int y = f(", SYN_SIT_CODE, false},
        {"c", "/* it's */ int y = f(", SYN_SIT_CODE, false},
        {"rust", "fn f<'a>(x: &'a str) -> &'a str { g(", SYN_SIT_CODE, false}, /* lifetimes */
        {"shellscript", "echo $# \"a\" b && f(", SYN_SIT_CODE, false},
        {"shellscript", "echo a # it's here", SYN_SIT_COMMENT, false},
        {"javascript", "if (/\"/.test(s)) f(", SYN_SIT_CODE, false}, /* a quote in a regex */
        {"javascript", "x = y // it's", SYN_SIT_COMMENT, false},
    };
    for (size_t i = 0; i < US_LEN(cases); i++) {
        char text[256];
        snprintf(text, sizeof text, "%s", cases[i].text);
        char *bar = strchr(text, '|');
        size_t at = bar ? (size_t)(bar - text) : strlen(text);
        if (bar)
            memmove(bar, bar + 1, strlen(bar));
        struct syn_doc *doc = doc_of(cases[i].lang, text);
        struct syn_cursor cur;
        syn_doc_analyze(doc, (uint32_t)at, &cur);
        if (cur.situation != cases[i].want || cur.unclosed != cases[i].unclosed)
            fprintf(stderr, "  case %zu (%s): situation %d, unclosed %d\n", i, cases[i].lang,
                    cur.situation, cur.unclosed);
        CHECK_EQ_INT(cur.situation, cases[i].want);
        CHECK_EQ_INT(cur.unclosed, cases[i].unclosed);
        syn_cursor_release(&cur);
        syn_doc_free(doc);
    }
}

#define TESTS(X) X(test_table) X(test_samples) X(test_situation_and_shape) \
    X(test_text_being_written)
CHECK_MAIN(TESTS)
