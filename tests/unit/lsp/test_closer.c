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
    /* C++: a loop inside a method defined in a class (the `}` after the cursor is the
     * method's; the class still needs its `};`). */
    {"cpp", "cpp", "struct A {\n    int f(int x) {\n        for (int i = 0; i < x; ++i) {|\n    }\n};\n",
     "struct A {\n    int f(int x) {\n        for (int i = 0; i < x; ++i) {|\n        }\n    }\n};\n",
     "\n            x += i;\n        }", "\n            x += i;\n        }", "\n            x += i;"},
    /* TSX: a block in a component after JSX (the TSX grammar parses `<b>{n}</b>`); the `}`
     * after the cursor is the component's. */
    {"typescriptreact", "tsx",
     "function A({ n }: { n: number }) {\n  const el = <b>{n}</b>;\n  if (n > 0) {|\n}\n",
     "function A({ n }: { n: number }) {\n  const el = <b>{n}</b>;\n  if (n > 0) {|\n  }\n}\n",
     "\n    console.log(el);\n  }", "\n    console.log(el);\n  }", "\n    console.log(el);"},
    /* TSX: an arrow function's body in a JSX attribute; the `}` after the cursor closes the
     * attribute's expression, not the body. */
    {"typescriptreact", "tsx",
     "const B = () => (\n  <button onClick={() => {|\n  }>x</button>\n);\n",
     "const B = () => (\n  <button onClick={() => {|\n  }}>x</button>\n);\n",
     "\n    go();\n  }", "\n    go();\n  }", "\n    go();"},
    {"json", "json", "{\n  \"a\": {|\n}\n", "{\n  \"a\": {|\n  }\n}\n", "\n    \"b\": 1\n  }",
     "\n    \"b\": 1\n  }", "\n    \"b\": 1"},
};

/* Blocks closed by a keyword: Lua's and Ruby's `end`, the shell's `fi`, `done` and `esac`.
 * `bit` is the PROV_UNCLOSED_* the open file must report. */
struct keyword_case {
    const char *lang, *ext;
    unsigned bit;
    const char *open_file, *closed_file, *answer, *want_kept, *want_dropped;
};

static const struct keyword_case keyword_cases[] = {
    /* Lua: `if ... then` inside a function; the `end` after the cursor is the function's. */
    {"lua", "lua", PROV_UNCLOSED_END, "function f(x)\n  if x > 0 then|\nend\n",
     "function f(x)\n  if x > 0 then|\n  end\nend\n", "\n    return 1\n  end",
     "\n    return 1\n  end", "\n    return 1"},
    /* Lua: a function header (ends with `)`) inside a `for ... do`. */
    {"lua", "lua", PROV_UNCLOSED_END, "for i = 1, 3 do\n  local function g(x)|\nend\n",
     "for i = 1, 3 do\n  local function g(x)|\n  end\nend\n", "\n    return x\n  end",
     "\n    return x\n  end", "\n    return x"},
    /* Lua: `while ... do` inside a function. */
    {"lua", "lua", PROV_UNCLOSED_END, "function f(x)\n  while x > 0 do|\nend\n",
     "function f(x)\n  while x > 0 do|\n  end\nend\n", "\n    x = x - 1\n  end",
     "\n    x = x - 1\n  end", "\n    x = x - 1"},
    /* Ruby: a method inside a class. */
    {"ruby", "rb", PROV_UNCLOSED_END, "class A\n  def f(x)|\nend\n",
     "class A\n  def f(x)|\n  end\nend\n", "\n    x + 1\n  end", "\n    x + 1\n  end",
     "\n    x + 1"},
    /* Ruby: a `do` block inside a method (`if` as a modifier opens nothing). */
    {"ruby", "rb", PROV_UNCLOSED_END, "def f(xs)\n  return if xs.empty?\n  xs.each do|\nend\n",
     "def f(xs)\n  return if xs.empty?\n  xs.each do|\n  end\nend\n", "\n    puts 1\n  end",
     "\n    puts 1\n  end", "\n    puts 1"},
    /* Shell: `if` inside a loop (the `done` after the cursor is the loop's). */
    {"shellscript", "sh", PROV_UNCLOSED_FI, "for x in a b; do\n  if [ \"$x\" ]; then|\ndone\n",
     "for x in a b; do\n  if [ \"$x\" ]; then|\n  fi\ndone\n", "\n    echo \"$x\"\n  fi",
     "\n    echo \"$x\"\n  fi", "\n    echo \"$x\""},
    /* Shell: a loop inside `if`. */
    {"shellscript", "sh", PROV_UNCLOSED_DONE, "if [ \"$1\" ]; then\n  for x in a b; do|\nfi\n",
     "if [ \"$1\" ]; then\n  for x in a b; do|\n  done\nfi\n", "\n    echo \"$x\"\n  done",
     "\n    echo \"$x\"\n  done", "\n    echo \"$x\""},
    /* Shell: `case ... in` inside `if`. */
    {"shellscript", "sh", PROV_UNCLOSED_ESAC, "if [ \"$1\" ]; then\n  case \"$1\" in|\nfi\n",
     "if [ \"$1\" ]; then\n  case \"$1\" in|\n  esac\nfi\n",
     "\n    (a) echo a ;;\n  esac", "\n    (a) echo a ;;\n  esac", "\n    (a) echo a ;;"},
};

static void keyword_closer_kept_when_needed(void)
{
    for (size_t i = 0; i < sizeof(keyword_cases) / sizeof(keyword_cases[0]); i++) {
        const struct keyword_case *c = &keyword_cases[i];
        unsigned unclosed = 0;
        char *kept = clean_at(c->lang, c->ext, c->open_file, c->answer, &unclosed);
        if (strcmp(kept, c->want_kept) != 0 || !(unclosed & c->bit))
            fprintf(stderr, "%s #%zu (open block): got %s (unclosed %u)\n", c->lang, i, kept,
                    unclosed);
        CHECK(unclosed & c->bit);
        CHECK_EQ_STR(kept, c->want_kept);
        free(kept);
        char *dropped = clean_at(c->lang, c->ext, c->closed_file, c->answer, &unclosed);
        if (strcmp(dropped, c->want_dropped) != 0 || unclosed)
            fprintf(stderr, "%s #%zu (closed block): got %s (unclosed %u)\n", c->lang, i, dropped,
                    unclosed);
        CHECK_EQ_INT(unclosed, 0);
        CHECK_EQ_STR(dropped, c->want_dropped);
        free(dropped);
    }
}

/* Keywords inside strings and comments, and a Ruby modifier `if`, open nothing: a file whose
 * blocks are all closed but that has another error reports no keyword block. */
static void keyword_counts_skip_strings_and_modifiers(void)
{
    unsigned unclosed = 0;
    free(clean_at("lua", "lua", "-- if x then do\nlocal s = \"function do\"\nlocal t = {|\n",
                  "a = 1", &unclosed));
    CHECK_EQ_INT(unclosed & PROV_UNCLOSED_END, 0);
    CHECK(unclosed & PROV_UNCLOSED_BRACE);
    free(clean_at("ruby", "rb", "def f(x)\n  return 1 if x # if do\nend\nx = [|\n", "1", &unclosed));
    CHECK_EQ_INT(unclosed & PROV_UNCLOSED_END, 0);
    free(clean_at("shellscript", "sh", "echo 'if do case' # if\nx=$(|\n", "ls", &unclosed));
    CHECK_EQ_INT(unclosed & (PROV_UNCLOSED_FI | PROV_UNCLOSED_DONE | PROV_UNCLOSED_ESAC), 0);
}

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

/* The whole-document count is kept per version: asked again unchanged it is the same, and an
 * edit that closes the block is seen at once (the kept value is never an old version's). */
static void unclosed_follows_edits(void)
{
    const char *uri = "file:///w/edits.c";
    const char *text = "int f(int x) {\n    if (x) {\n        \n}\n";
    struct docstore *ds = docstore_new(0);
    CHECK_EQ_INT(docstore_open(ds, uri, "c", 1, text, strlen(text)), 0);
    struct doc *d = docstore_get(ds, uri);
    size_t at = strlen("int f(int x) {\n    if (x) {\n        ");
    for (int round = 0; round < 2; round++) {
        struct completion_context cc;
        context_build(ds, d, at, 12, NULL, &cc);
        CHECK(cc.ctx.unclosed & PROV_UNCLOSED_BRACE);
        context_release(&cc);
    }
    struct lsp_pos end = {3, 0};
    CHECK_EQ_INT(doc_apply_change(ds, d, true, end, end, "}\n", 2, POS_UTF8), 0);
    struct completion_context cc;
    context_build(ds, d, at, 12, NULL, &cc);
    CHECK_EQ_INT(cc.ctx.unclosed, 0);
    context_release(&cc);
    docstore_free(ds);
}

#define TESTS(X)                                                                           \
    X(closer_kept_when_needed) X(closer_kept_from_blank_line) X(keyword_closer_kept_when_needed)  \
    X(keyword_counts_skip_strings_and_modifiers) X(unclosed_follows_edits)
CHECK_MAIN(TESTS)
