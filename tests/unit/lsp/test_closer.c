/* Post-processing keeps a closing bracket the file still needs: the context's tree-sitter check
 * (lsp/context.c, prov_context.unclosed) tells a closer after the cursor that belongs to an
 * outer block from the one closing the cursor's block. One case per bracket language. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "context.h"
#include "documents.h"
#include "postprocess.h"

/* text has one '|' for the cursor; returns what pp_clean makes of answer there. */
static char *clean_at(const char *lang, const char *ext, const char *marked, const char *answer,
                      unsigned *unclosed)
{
    static int n;
    char uri[64];
    snprintf(uri, sizeof(uri), "file:///w/closer%d.%s", n++, ext);
    const char *bar = strchr(marked, '|');
    size_t at = (size_t)(bar - marked);
    char *text = malloc(strlen(marked));
    memcpy(text, marked, at);
    strcpy(text + at, bar + 1);
    struct docstore *ds = docstore_new(0);
    CHECK_EQ_INT(docstore_open(ds, uri, lang, 1, text, strlen(text)), 0);
    struct completion_context cc;
    context_build(ds, docstore_get(ds, uri), at, 12, NULL, &cc);
    *unclosed = cc.ctx.unclosed;
    size_t len = 0;
    char *out = pp_clean(&cc.ctx, answer, strlen(answer), false, &len);
    context_release(&cc);
    docstore_free(ds);
    free(text);
    return out;
}

struct lang_case {
    const char *lang, *ext;
    const char *open_file;   /* the cursor's block is not closed: the '}' after is the outer's */
    const char *closed_file; /* the same block already closed after the cursor */
    const char *answer, *want_kept, *want_dropped;
};

static const struct lang_case lang_cases[] = {
    {"c", "c", "int f(int x) {\n    if (x) {|\n}\n", "int f(int x) {\n    if (x) {|\n    }\n}\n",
     "\n        return 1;\n    }", "\n        return 1;\n    }", "\n        return 1;"},
    {"javascript", "js", "function f(x) {\n  if (x) {|\n}\n",
     "function f(x) {\n  if (x) {|\n  }\n}\n", "\n    return 1;\n  }", "\n    return 1;\n  }",
     "\n    return 1;"},
    {"typescript", "ts", "function f(x: number) {\n  if (x) {|\n}\n",
     "function f(x: number) {\n  if (x) {|\n  }\n}\n", "\n    return 1;\n  }",
     "\n    return 1;\n  }", "\n    return 1;"},
    {"go", "go", "package m\n\nfunc f(x int) int {\n\tif x > 0 {|\n}\n",
     "package m\n\nfunc f(x int) int {\n\tif x > 0 {|\n\t}\n}\n", "\n\t\treturn 1\n\t}",
     "\n\t\treturn 1\n\t}", "\n\t\treturn 1"},
    {"rust", "rs", "fn f(x: i32) -> i32 {\n    if x > 0 {|\n}\n",
     "fn f(x: i32) -> i32 {\n    if x > 0 {|\n    }\n}\n", "\n        return 1;\n    }",
     "\n        return 1;\n    }", "\n        return 1;"},
    {"java", "java", "class A {\n    int f(int x) {|\n}\n", "class A {\n    int f(int x) {|\n    }\n}\n",
     "\n        return x;\n    }", "\n        return x;\n    }", "\n        return x;"},
    {"json", "json", "{\n  \"a\": {|\n}\n", "{\n  \"a\": {|\n  }\n}\n", "\n    \"b\": 1\n  }",
     "\n    \"b\": 1\n  }", "\n    \"b\": 1"},
};

static void closer_kept_when_needed(void)
{
    for (size_t i = 0; i < sizeof(lang_cases) / sizeof(lang_cases[0]); i++) {
        const struct lang_case *c = &lang_cases[i];
        unsigned unclosed = 0;
        char *kept = clean_at(c->lang, c->ext, c->open_file, c->answer, &unclosed);
        if (strcmp(kept, c->want_kept) != 0 || !(unclosed & PROV_UNCLOSED_BRACE))
            fprintf(stderr, "%s (open block): got %s (unclosed %u)\n", c->lang, kept, unclosed);
        CHECK(unclosed & PROV_UNCLOSED_BRACE);
        CHECK_EQ_STR(kept, c->want_kept);
        free(kept);
        char *dropped = clean_at(c->lang, c->ext, c->closed_file, c->answer, &unclosed);
        if (strcmp(dropped, c->want_dropped) != 0)
            fprintf(stderr, "%s (closed block): got %s (unclosed %u)\n", c->lang, dropped, unclosed);
        CHECK_EQ_INT(unclosed, 0);
        CHECK_EQ_STR(dropped, c->want_dropped);
        free(dropped);
    }
}

/* The cursor on a blank line inside an open block: the answer's closer at the block's own
 * indentation stays; in a closed block it goes. */
static void closer_kept_from_blank_line(void)
{
    unsigned unclosed = 0;
    char *kept = clean_at("c", "c", "int f(int x) {\n    if (x) {\n        |\n}\n",
                          "return 1;\n    }", &unclosed);
    CHECK_EQ_STR(kept, "return 1;\n    }");
    free(kept);
    char *dropped = clean_at("c", "c", "int f(int x) {\n    if (x) {\n        |\n    }\n}\n",
                             "return 1;\n    }", &unclosed);
    CHECK_EQ_STR(dropped, "return 1;");
    free(dropped);
}

#define TESTS(X) X(closer_kept_when_needed) X(closer_kept_from_blank_line)
CHECK_MAIN(TESTS)
