/* Unit tests for providers/postprocess with real-looking answers: fenced code with a language
 * tag and a sentence around it, the cursor line or the last lines repeated, the suffix
 * repeated, block answers cut at dedent or at the closing brace, max_lines, line shape. */
#include <string.h>

#include "check.h"
#include "postprocess.h"

static struct prov_context ctx_of(const char *lang, const char *prefix, const char *suffix,
                                  enum syn_shape shape, const char *indent)
{
    struct prov_context c = {
        .language = lang,
        .prefix = prefix,
        .prefix_len = strlen(prefix),
        .suffix = suffix,
        .suffix_len = strlen(suffix),
        .shape = shape,
        .indent = indent,
        .max_lines = 12,
    };
    return c;
}

/* Clean raw and compare; returns nothing, checks inline. */
#define EXPECT_CLEAN(ctx, raw, chat, want)                                                 \
    do {                                                                                   \
        size_t n__;                                                                        \
        char *got__ = pp_clean(&(ctx), (raw), strlen(raw), (chat), &n__);                  \
        CHECK_EQ_STR(got__, (want));                                                       \
        CHECK_EQ_INT(n__, strlen(got__));                                                  \
        free(got__);                                                                       \
    } while (0)

static void fenced_answer_with_sentences(void)
{
    struct prov_context c = ctx_of("python", "def add(a, b):\n    ", "\n\nprint(add(1, 2))\n",
                                   SYN_SHAPE_BLOCK, "    ");
    EXPECT_CLEAN(c,
                 "Here is the completion:\n\n```python\n    return a + b\n```\n\nThis returns the "
                 "sum of `a` and `b`.",
                 true, "return a + b");
    /* No closing fence (the stream hit max_tokens). */
    EXPECT_CLEAN(c, "```py\n    return a + b\n", true, "return a + b");
    /* Tilde fence, no language. */
    EXPECT_CLEAN(c, "~~~\nreturn a + b\n~~~", true, "return a + b");
    /* Only fences: nothing to insert. */
    EXPECT_CLEAN(c, "```\n```", true, "");
    /* Prose without a fence. */
    EXPECT_CLEAN(c, "Sure! Here's the code:\nreturn a + b", true, "return a + b");
}

static void markdown_keeps_fences(void)
{
    struct prov_context c = ctx_of("markdown", "# Usage\n\n", "", SYN_SHAPE_BLOCK, "");
    EXPECT_CLEAN(c, "```sh\nmake test\n```", true, "```sh\nmake test\n```");
}

static void cursor_line_repeated(void)
{
    struct prov_context c =
        ctx_of("python", "import json\n\ndef load(path):\n    with open(path) as f:\n        data = json.lo",
               "\n    return data\n", SYN_SHAPE_LINE, "        ");
    /* Without the indentation, with it, and inside a fence. */
    EXPECT_CLEAN(c, "data = json.load(f)", true, "ad(f)");
    EXPECT_CLEAN(c, "        data = json.load(f)\n", true, "ad(f)");
    EXPECT_CLEAN(c, "```python\n        data = json.load(f)\n```", true, "ad(f)");
    /* A FIM answer is never treated as an echo. */
    EXPECT_CLEAN(c, "ad(f)", false, "ad(f)");
}

static void last_lines_repeated(void)
{
    struct prov_context c = ctx_of("python", "import math\n\ndef area(r):\n    \"\"\"Area of a circle.\"\"\"\n    return ",
                                   "\n", SYN_SHAPE_LINE, "    ");
    EXPECT_CLEAN(c,
                 "```python\ndef area(r):\n    \"\"\"Area of a circle.\"\"\"\n    return math.pi * r "
                 "** 2\n```",
                 true, "math.pi * r ** 2");
    /* Re-indented echo is still an echo. */
    EXPECT_CLEAN(c, "def area(r):\n  \"\"\"Area of a circle.\"\"\"\n  return math.pi * r ** 2", true,
                 "math.pi * r ** 2");
}

static void prefill_whitespace_not_doubled(void)
{
    /* Anthropic was prefilled with "    return" (no trailing space) and answers " a + b". */
    struct prov_context c = ctx_of("python", "def f(a, b):\n    return ", "\n", SYN_SHAPE_LINE, "    ");
    EXPECT_CLEAN(c, " a + b", true, "a + b");
    /* A chat answer for a blank indented line re-emits the indentation. */
    struct prov_context b = ctx_of("python", "def f(x):\n    ", "\n", SYN_SHAPE_BLOCK, "    ");
    EXPECT_CLEAN(b, "    if x:\n        return 1\n    return 0", true,
                 "if x:\n        return 1\n    return 0");
    EXPECT_CLEAN(b, "\n    return x\n", true, "return x");
    /* A FIM model's leading spaces are real indentation. */
    struct prov_context f = ctx_of("python", "def f(x):\n  ", "\n", SYN_SHAPE_BLOCK, "  ");
    EXPECT_CLEAN(f, "  return x", false, "  return x");
}

static void suffix_repeated(void)
{
    /* The editor already closed the parenthesis. */
    struct prov_context c = ctx_of("python", "total = sum(", ")\nprint(total)\n", SYN_SHAPE_LINE, "");
    EXPECT_CLEAN(c, "values)", true, "values");
    EXPECT_CLEAN(c, "values)", false, "values");
    /* Partial overlap of closing punctuation. */
    struct prov_context d = ctx_of("python", "x = f(g(", ")) + 1\n", SYN_SHAPE_LINE, "");
    EXPECT_CLEAN(d, "a))", false, "a");
    /* Same text, no overlap: untouched. */
    struct prov_context e = ctx_of("c", "int n = ", ";\n", SYN_SHAPE_LINE, "");
    EXPECT_CLEAN(e, "count(list);", false, "count(list)");
    EXPECT_CLEAN(e, "42", false, "42");

    /* A block answer that goes on to rewrite the lines after the cursor. */
    struct prov_context b = ctx_of("javascript", "function greet(name) {\n  ",
                                   "\n}\n\ngreet('x');\n", SYN_SHAPE_BLOCK, "  ");
    EXPECT_CLEAN(b,
                 "```javascript\n  const msg = `Hello ${name}`;\n  console.log(msg);\n}\n\ngreet('x');\n```",
                 true, "const msg = `Hello ${name}`;\n  console.log(msg);");
    /* The next suffix line repeated by a FIM model. */
    struct prov_context p = ctx_of("python", "def f(items):\n    out = []\n    ",
                                   "\n    return out\n", SYN_SHAPE_BLOCK, "    ");
    EXPECT_CLEAN(p, "for i in items:\n        out.append(i * 2)\n    return out\n", false,
                 "for i in items:\n        out.append(i * 2)");
    /* The cursor line is the same as the suffix's next one: an answer that starts on a new
     * line has not written it (its empty first line adds nothing to the cursor line). */
    struct prov_context r = ctx_of("python", "def f(xs):\n    n += 1",
                                   "\n    n += 1\n    return n\n", SYN_SHAPE_BLOCK, "    ");
    EXPECT_CLEAN(r, "\n    m += 1", false, "\n    m += 1");
}

static void block_cut_at_dedent(void)
{
    struct prov_context c = ctx_of("python", "class Stack:\n    def push(self, x):\n        ", "\n",
                                   SYN_SHAPE_BLOCK, "        ");
    EXPECT_CLEAN(c,
                 "self.items.append(x)\n        return self\n\n    def pop(self):\n        return "
                 "self.items.pop()\n",
                 false, "self.items.append(x)\n        return self");

    /* The cursor line opens the block: keep the closing brace unless the suffix has it. */
    struct prov_context o = ctx_of("c", "int main(void) {", "\n", SYN_SHAPE_BLOCK, "");
    EXPECT_CLEAN(o, "\n    int x = 1;\n    return x;\n}\n\nint other(void) {\n}\n", false,
                 "\n    int x = 1;\n    return x;\n}");
    struct prov_context o2 = ctx_of("c", "int main(void) {", "\n}\n", SYN_SHAPE_BLOCK, "");
    EXPECT_CLEAN(o2, "\n    int x = 1;\n    return x;\n}\n\nint other(void) {\n}\n", false,
                 "\n    int x = 1;\n    return x;");
    /* Python: a sibling statement at the header's level ends the body. */
    struct prov_context py = ctx_of("python", "for x in xs:", "\n", SYN_SHAPE_BLOCK, "");
    EXPECT_CLEAN(py, "\n    print(x)\nprint('done')\n", false, "\n    print(x)");
    /* Top level: a blank line ends the piece. */
    struct prov_context top = ctx_of("python", "", "", SYN_SHAPE_BLOCK, "");
    EXPECT_CLEAN(top, "x = 1   \ny = 2  \n\nz = 3\n", false, "x = 1\ny = 2");
    EXPECT_CLEAN(top, "def g():\n    return 1\n\nprint(g())\n", true, "def g():\n    return 1");
}

static void max_lines_and_line_shape(void)
{
    struct prov_context c = ctx_of("python", "def f():\n    ", "", SYN_SHAPE_BLOCK, "    ");
    c.max_lines = 2;
    EXPECT_CLEAN(c, "a = 1\n    b = 2\n    c = 3\n    return a", false, "a = 1\n    b = 2");
    c.max_lines = 0; /* no cap */
    EXPECT_CLEAN(c, "a = 1\n    b = 2\n    c = 3", false, "a = 1\n    b = 2\n    c = 3");

    struct prov_context l = ctx_of("python", "x = ", "\n", SYN_SHAPE_LINE, "");
    EXPECT_CLEAN(l, "compute(1)  \nprint(x)\n", false, "compute(1)");
    EXPECT_CLEAN(l, "", false, "");
    /* Embedded NUL and trailing CR. */
    size_t n;
    char *got = pp_clean(&l, "abc\r\0def", 8, false, &n);
    CHECK_EQ_STR(got, "abc");
    free(got);
    got = pp_clean(&l, NULL, 0, true, NULL);
    CHECK_EQ_STR(got, "");
    free(got);
}

static void is_chat_by_kind(void)
{
    struct prov_config cfg = {0};
    const char *chat[] = {"anthropic", "openai", "openrouter", "gemini", "openai-compatible"};
    const char *fim[] = {"mistral", "ollama", "llamacpp"};
    for (size_t i = 0; i < 5; i++) {
        cfg.kind = (char *)chat[i];
        CHECK(pp_is_chat(&cfg));
    }
    for (size_t i = 0; i < 3; i++) {
        cfg.kind = (char *)fim[i];
        CHECK(!pp_is_chat(&cfg));
    }
    cfg.kind = (char *)"openai-compatible";
    cfg.fim = true;
    CHECK(!pp_is_chat(&cfg));
    CHECK(!pp_is_chat(NULL));
}

#define TESTS(X)                                                                           \
    X(fenced_answer_with_sentences)                                                        \
    X(markdown_keeps_fences)                                                               \
    X(cursor_line_repeated)                                                                \
    X(last_lines_repeated)                                                                 \
    X(prefill_whitespace_not_doubled)                                                      \
    X(suffix_repeated)                                                                     \
    X(block_cut_at_dedent)                                                                 \
    X(max_lines_and_line_shape)                                                            \
    X(is_chat_by_kind)
CHECK_MAIN(TESTS)
