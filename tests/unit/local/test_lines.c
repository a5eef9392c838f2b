/* Offline ghost text: repetition, analogy, copy, n-gram, closers, silence on noise, and the
 * incremental document update matching a from-scratch model. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "check.h"
#include "local/doc_window.h"
#include "local/lines.h"
#include "local/longmatch.h"

/* Suggest at the "|" marker of text (the marker is removed). */
static char *suggest(struct lines *m, const char *marked, const char **rule)
{
    const char *bar = strchr(marked, '|');
    size_t cursor = (size_t)(bar - marked);
    char *text = xmalloc(strlen(marked));
    memcpy(text, marked, cursor);
    strcpy(text + cursor, bar + 1);
    lines_doc_set(m, "doc", text, strlen(text), 0);
    struct lines_query q = {.text = text, .len = strlen(text), .cursor = cursor, .uri = "doc"};
    struct lines_suggestion s;
    int rc = lines_suggest(m, &q, &s);
    free(text);
    if (rule)
        *rule = rc == 0 ? s.rule : NULL;
    return rc == 0 ? s.text : NULL;
}

#define EXPECT_SUGGEST(m, marked, want, want_rule)                        \
    do {                                                                  \
        const char *r_;                                                   \
        char *got_ = suggest(m, marked, &r_);                             \
        if ((const char *)(want) == NULL)                                 \
            CHECK(got_ == NULL);                                          \
        else                                                              \
            CHECK_EQ_STR(got_, (const char *)(want));                     \
        if (want_rule)                                                    \
            CHECK_EQ_STR(r_, (const char *)want_rule);                    \
        free(got_);                                                       \
    } while (0)

static void repetition(void)
{
    struct lines *m = lines_new(NULL);
    EXPECT_SUGGEST(m, "int main(void) {\n    a[0] = f(0);\n    a[1] = f(1);\n    |\n}\n",
                   "a[2] = f(2);", "repeat");
    EXPECT_SUGGEST(m, "    a[0] = f(0);\n    a[1] = f(1);\n    a[|\n", "2] = f(2);", "repeat");
    EXPECT_SUGGEST(m, "x10 = row[10]\nx20 = row[20]\n|", "x30 = row[30]", "repeat");
    lines_free(m);
}

static void analogy(void)
{
    struct lines *m = lines_new(NULL);
    /* a field-by-field copy: the typed name is substituted into the rest */
    EXPECT_SUGGEST(m,
                   "def __init__(self, name, size):\n"
                   "    self.name = name\n"
                   "    self.size|\n",
                   " = size", NULL);
    EXPECT_SUGGEST(m,
                   "    cfg->width = parse_int(node, \"width\", 80);\n"
                   "    cfg->height = |\n",
                   "parse_int(node, \"height\", 80);", "analogy");
    lines_free(m);
}

static void closers(void)
{
    struct lines *m = lines_new(NULL);
    EXPECT_SUGGEST(m, "result = compute(alpha, beta(gamma|\n", "))", "close");
    EXPECT_SUGGEST(m, "print(\"hello|\n", "\")", "close");
    /* text after the cursor that closes: not repeated */
    EXPECT_SUGGEST(m, "result = compute(alpha, beta(gamma|)\n", ")", "close");
    lines_free(m);
}

static void ngram(void)
{
    struct lines *m = lines_new(NULL);
    const char *train = "for (i = 0; i < n; i++) {\n"
                        "    total += values[i];\n"
                        "}\n"
                        "for (j = 0; j < count; j++) {\n"
                        "    sum += items[j];\n"
                        "}\n";
    for (int i = 0; i < 10; i++) /* a habit of the workspace, seen in many files */
        CHECK_EQ_INT(lines_add_text(m, train, strlen(train)), 0);
    const char *r;
    char *s = suggest(m, "x = 1;\nfor (i = 0; i < n; i|\n", &r);
    CHECK_EQ_STR(s, "++) {");
    free(s);
    lines_free(m);
}

/* A first token the statistics are sure of is shown even when the rest of the line is not:
 * the line stops where it gets unlikely, and its confidence is the first step's, not the
 * product over a line that was never finished (which alone would hide it). */
static void ngram_first_step(void)
{
    struct lines *m = lines_new(NULL);
    struct strbuf sb;
    sb_init(&sb);
    for (int i = 0; i < 10; i++)
        sb_addf(&sb, "queue_push(jobs, first_task, %d);\n", i);
    for (int i = 0; i < 6; i++)
        sb_addf(&sb, "queue_push(jobs, task_%d, %d);\n", i, i);
    CHECK_EQ_INT(lines_add_text(m, sb.data, sb.len), 0);
    EXPECT_SUGGEST(m, "x = 1;\nqueue_push(|\n", "jobs, first_task,", "ngram");
    sb_release(&sb);
    lines_free(m);
}

static void silence(void)
{
    struct lines *m = lines_new(NULL);
    /* random noise: nothing to learn, nothing repeated, nothing open */
    EXPECT_SUGGEST(m, "qz 81 vk\nwx yy 3 ttt\npl mm |\n", NULL, NULL);
    /* text after the cursor that is code: no suggestion */
    EXPECT_SUGGEST(m, "a[0] = f(0);\na[1] = f(1);\na[|foo\n", NULL, NULL);
    /* a line opening a block is not closed */
    EXPECT_SUGGEST(m, "if (x) {|\n", NULL, NULL);
    lines_free(m);
}

static void incremental(void)
{
    /* editing a document through many versions must leave the same statistics as learning the
     * final text at once */
    const char *v[] = {"alpha beta gamma\ndelta epsilon\n",
                       "alpha beta gamma\ndelta zeta epsilon\nnew line here\n",
                       "alpha gamma\ndelta zeta epsilon\nnew line here\nmore(x)\n",
                       "start\nalpha gamma\ndelta zeta epsilon\nnew line here\nmore(x)\n"};
    struct lines *a = lines_new(NULL), *b = lines_new(NULL);
    for (size_t i = 0; i < 4; i++)
        lines_doc_set(a, "d", v[i], strlen(v[i]), 0);
    lines_doc_set(b, "d", v[3], strlen(v[3]), 0);
    /* both models predict the same after "delta" */
    const char *q = "start\nalpha gamma\ndelta zeta epsilon\nnew line here\nmore(x)\ndelta ";
    struct lines_query lq = {.text = q, .len = strlen(q), .cursor = strlen(q)};
    struct lines_suggestion sa, sb;
    int ra = lines_suggest(a, &lq, &sa), rb = lines_suggest(b, &lq, &sb);
    CHECK_EQ_INT(ra, rb);
    if (ra == 0 && rb == 0) {
        CHECK_EQ_STR(sa.text, sb.text);
        lines_suggestion_release(&sa);
        lines_suggestion_release(&sb);
    }
    /* the counts themselves, after random edits in one to three places per update (as
     * between two ghost-text requests): equal to counting each version whole, with the
     * tokens first seen in the same order */
    srand(7);
    static const char *const bits[] = {"x", " = ", "f(", ")", "\n", "  ", "if y:\n", "\n\n",
                                       "return z", "#", "a.b", ", "};
    struct lines *inc = lines_new(NULL), *whole = lines_new(NULL);
    struct strbuf t;
    sb_init(&t);
    for (int i = 0; i < 200; i++)
        sb_adds(&t, bits[(size_t)rand() % US_ARRAY_LEN(bits)]);
    lines_doc_set(inc, "d", t.data, t.len, 0);
    lines_doc_set(whole, "d", t.data, t.len, 0);
    int differ = 0;
    for (int round = 0; round < 400; round++) {
        int edits = 1 + rand() % 3;
        for (int k = 0; k < edits; k++) {
            size_t at = t.len ? (size_t)rand() % (t.len + 1) : 0;
            size_t del = rand() % 2 ? (size_t)rand() % 4 : 0;
            if (at + del > t.len)
                del = t.len - at;
            const char *ins = bits[(size_t)rand() % US_ARRAY_LEN(bits)];
            struct strbuf n;
            sb_init(&n);
            sb_add(&n, t.data, at);
            sb_adds(&n, ins);
            sb_add(&n, t.data + at + del, t.len - at - del);
            sb_release(&t);
            t = n;
        }
        lines_doc_set(inc, "d", t.data, t.len, 0);
        lines_doc_remove(whole, "d");
        lines_doc_set(whole, "d", t.data, t.len, 0);
        differ += lines_counts_hash(inc) != lines_counts_hash(whole);
    }
    CHECK_EQ_INT(differ, 0);
    sb_release(&t);
    lines_free(inc);
    lines_free(whole);
    /* removal of the document empties the counts of "zeta" contexts */
    lines_doc_remove(a, "d");
    struct lines_stats st;
    lines_stats(a, &st);
    CHECK_EQ_INT(st.docs, 0);
    lines_free(a);
    lines_free(b);
}

static void speed(void)
{
    struct strbuf sb;
    sb_init(&sb);
    for (int i = 0; i < 10000; i++)
        sb_addf(&sb, "    result_%d = handler.process(item_%d, flags=%d)\n", i % 97, i % 13, i % 5);
    struct lines *m = lines_new(NULL);
    lines_doc_set(m, "big", sb.data, sb.len, 5000); /* its middle: where the edit is */
    uint64_t worst = 0;
    for (int r = 0; r < 30; r++) {
        size_t cursor = sb.len - 1 - (size_t)r * 1234;
        while (sb.data[cursor] != '=')
            cursor--;
        cursor++;
        struct lines_query q = {.text = sb.data, .len = cursor, .cursor = cursor};
        struct lines_suggestion s;
        uint64_t t0 = check_thread_cpu_us();
        if (lines_suggest(m, &q, &s) == 0)
            lines_suggestion_release(&s);
        uint64_t dt = check_thread_cpu_us() - t0;
        worst = dt > worst ? dt : worst;
    }
    /* an incremental update after a one-character edit */
    sb.data[sb.len / 2] = 'Z';
    uint64_t t0 = check_thread_cpu_us();
    lines_doc_set(m, "big", sb.data, sb.len, 5000); /* its middle: where the edit is */
    uint64_t upd = check_thread_cpu_us() - t0;
    printf("lines: worst suggest on 10k lines: %llu us, incremental update: %llu us (CPU)\n",
           (unsigned long long)worst, (unsigned long long)upd);
    CHECK(worst < 50000);
    CHECK(upd < 50000);
    lines_free(m);
    sb_release(&sb);
}

/* A cursor inside a line's leading blanks, nothing typed yet (line_start.c, the line-start
 * model): the blanks still missing, then the line. */
static void indentation(void)
{
    struct lines *m = lines_new(NULL);
    /* self.x = x after a constructor's signature, in the parameters' order */
    EXPECT_SUGGEST(m,
                   "class P:\n    def __init__(self, name, age=0, *, tags: list = None):\n"
                   "      |\n",
                   "  self.name = name", "self");
    EXPECT_SUGGEST(m,
                   "class P:\n    def __init__(self, name, age=0, *, tags: list = None):\n"
                   "        self.name = name\n        self.age = age\n        |\n",
                   "self.tags = tags", "self");
    /* all parameters assigned: the rule says nothing */
    const char *r = NULL;
    char *got = suggest(m, "class P:\n    def __init__(self, a):\n        self.a = a\n        |\n",
                        &r);
    CHECK(!r || strcmp(r, "self") != 0);
    free(got);
    /* the next arm of an elif chain, at the chain's level */
    EXPECT_SUGGEST(m,
                   "def f(k):\n    if k == 1:\n        a()\n    elif k == 2:\n        b()\n  |\n",
                   "  elif k ==", "arm");
    /* a lone if is no chain */
    got = suggest(m, "def f(k):\n    if k == 1:\n        a()\n  |\n", &r);
    CHECK(!r || strcmp(r, "arm") != 0);
    free(got);
    /* the line that followed the same line earlier in the file */
    EXPECT_SUGGEST(m,
                   "def f():\n    lock.acquire(timeout)\n    try:\n        work()\n"
                   "    finally:\n        lock.release()\n\n"
                   "def g():\n    lock.acquire(timeout)\n  |\n",
                   "  try:", NULL);
    /* the file's habit: the lines after a line starting like the one above start alike, as
     * far as they agree (the command, not its argument) */
    EXPECT_SUGGEST(m,
                   "    run alpha\n    expect_ok 1\n    run beta\n    expect_ok 2\n"
                   "    run gamma\n    expect_ok 3\n    run delta\n |\n",
                   "   expect_ok", "habit");
    /* followers that begin differently are no habit */
    got = suggest(m, "    alpha = 1\n    beta()\n    alpha += 2\n    gamma()\n    alpha -= 3\n"
                     "    delta()\n    alpha *= 4\n |\n", &r);
    CHECK(!r || strcmp(r, "habit") != 0);
    free(got);
    lines_free(m);

    /* the statistics: after a signature, one level in, comes the body's usual first token */
    m = lines_new(NULL);
    struct strbuf sb;
    sb_init(&sb);
    for (int i = 0; i < 30; i++)
        sb_addf(&sb, "def get_%d(self):\n    return self.value_%d\n\n", i, i);
    lines_add_text(m, sb.data, sb.len);
    got = suggest(m, "class Q:\n    def size(self):\n      |\n", &r);
    if (!got || strncmp(got, "  return self.", 14))
        printf("start: got [%s]\n", got ? got : "(none)");
    CHECK(got && !strncmp(got, "  return self.", 14)); /* 8 blanks: 2 missing */
    CHECK_EQ_STR(r, "start");
    free(got);
    /* no line above: nothing to go by */
    got = suggest(m, "  |", &r);
    CHECK(got == NULL || strcmp(r, "start") != 0);
    free(got);
    sb_release(&sb);
    lines_free(m);
}

/* The longest match: what followed the longest earlier occurrence of the stream before the
 * cursor, where the occurrences agree; silent on a short or a disputed match. */
static void longest_match(void)
{
    /* the stream itself (ids: 2 ends a line, 0 is unknown) */
    struct longmatch *lm = lm_new(2, 0, 1000);
    uint32_t ws[] = {10, 11, 12, 13, 14, 15, 16, 17, 2, 30, 31, 32, 2};
    lm_ws_append(lm, ws, US_ARRAY_LEN(ws));
    CHECK(lm_ws_tokens(lm) == US_ARRAY_LEN(ws));
    struct lm_answer a;
    uint32_t q1[] = {9, 10, 11, 12, 13, 14};
    CHECK(lm_predict(lm, q1, 6, 0, 4, NULL, NULL, &a));
    CHECK(a.len == 5 && a.n == 3 && a.done && a.agree == 1.0);
    CHECK(a.ids[0] == 15 && a.ids[1] == 16 && a.ids[2] == 17);
    /* three tokens in common: shorter than asked */
    CHECK(!lm_predict(lm, q1 + 3, 3, 0, 4, NULL, NULL, &a));
    /* the document's earlier text, twice, going two ways after the same five tokens: no side
     * wins the first token outright (agree 0.5); the workspace's shorter match has no say */
    uint32_t q2[] = {2, 40, 11, 12, 13, 14, 50, 2, 40, 11, 12, 13, 14, 51, 2, 40, 11, 12, 13, 14};
    CHECK(lm_predict(lm, q2, US_ARRAY_LEN(q2), 15, 4, NULL, NULL, &a));
    CHECK(a.len == 6 && a.agree == 0.5);
    /* an unknown token never matches */
    uint32_t q3[] = {10, 11, 0, 13, 14};
    CHECK(!lm_predict(lm, q3, 5, 0, 3, NULL, NULL, &a));
    lm_free(lm);

    /* through lines_suggest: a block repeated earlier in the file goes on as it went, where the
     * last three tokens ("return x +") alone could not tell which of the two lines follows */
    struct lines *m = lines_new(NULL);
    const char *doc = "def f(a):\n    x = g(a, 1)\n    return x + 10 * a\n"
                      "def h(b):\n    x = g(b, 2)\n    return x + 20 * b\n"
                      "def f2(a):\n    x = g(a, 1)\n    return x + |\n";
    const char *r;
    char *got = suggest(m, doc, &r);
    if (!got || strcmp(got, "10 * a") || !r || strcmp(r, "match"))
        printf("match: got [%s] from %s\n", got ? got : "(none)", r ? r : "-");
    CHECK_EQ_STR(got, "10 * a");
    CHECK_EQ_STR(r, "match");
    free(got);
    /* and abstains below the caller's minimum */
    lines_doc_set(m, "doc", "x", 1, 0);
    char text[256];
    const char *bar = strchr(doc, '|');
    size_t cur = (size_t)(bar - doc);
    memcpy(text, doc, cur);
    text[cur] = 0;
    lines_doc_set(m, "doc", text, cur, 0);
    struct lines_query q = {.text = text, .len = cur, .cursor = cur, .uri = "doc",
                            .min_match = 0.99};
    struct lines_suggestion s;
    CHECK_EQ_INT(lines_suggest(m, &q, &s), 0); /* another rule answers */
    CHECK(strcmp(s.rule, "match") != 0);
    lines_suggestion_release(&s);
    /* asked for the longest match only (ghost text in a comment): that or nothing */
    q.prose = true;
    CHECK(lines_suggest(m, &q, &s) != 0);
    q.min_match = 0.01;
    CHECK_EQ_INT(lines_suggest(m, &q, &s), 0);
    CHECK_EQ_STR(s.rule, "match");
    CHECK_EQ_STR(s.text, "10 * a");
    lines_suggestion_release(&s);
    lines_free(m);
}

/* At a line start the longest match of the lines above gives the next line, at the level the
 * match says (padded from the cursor's column); off unless the caller sets a floor. */
static char *suggest_start(struct lines *m, const char *marked, double floor, const char **rule)
{
    const char *bar = strchr(marked, '|');
    size_t cursor = (size_t)(bar - marked);
    char *text = xstrdup(marked);
    memmove(text + cursor, text + cursor + 1, strlen(text + cursor + 1) + 1);
    lines_doc_set(m, "doc", text, strlen(text), 0);
    struct lines_query q = {.text = text, .len = strlen(text), .cursor = cursor, .uri = "doc",
                            .min_start_match = floor};
    struct lines_suggestion s;
    int rc = lines_suggest(m, &q, &s);
    free(text);
    *rule = rc == 0 ? s.rule : NULL;
    return rc == 0 ? s.text : NULL;
}

static void longest_match_line_start(void)
{
    struct lines *m = lines_new(NULL);
    const char *fns = "def f(a):\n    x = g(a, 1)\n    return x + 10 * a\n\n"
                      "def h(b):\n    x = g(b, 2)\n    return x + 20 * b\n\n"
                      "def k(a):\n    x = g(a, 1)\n";
    const char *whole = "return x + 10 * a";
    char doc[512];
    const char *r;
    /* at the level already typed (the line-start model alone stops at "return x + 10": the
     * match finishes what it agrees with), and from column 0, the indentation written too */
    snprintf(doc, sizeof doc, "%s    |", fns);
    char *got = suggest_start(m, doc, 0.3, &r);
    CHECK_EQ_STR(got, whole);
    free(got);
    snprintf(doc, sizeof doc, "%s|", fns);
    got = suggest_start(m, doc, 0.3, &r);
    CHECK_EQ_STR(got, "    return x + 10 * a");
    free(got);
    /* a cursor already past that level: no guess at another one */
    snprintf(doc, sizeof doc, "%s        |", fns);
    got = suggest_start(m, doc, 0.3, &r);
    CHECK(!got || !strstr(got, whole));
    free(got);
    /* below the caller's floor, or without one: not offered */
    snprintf(doc, sizeof doc, "%s    |", fns);
    got = suggest_start(m, doc, 0.99, &r);
    CHECK(!got || strcmp(got, whole) != 0);
    free(got);
    got = suggest_start(m, doc, 0, &r);
    CHECK(!got || strcmp(got, whole) != 0);
    free(got);
    /* the match alone, where no line-start rule answers: two blocks alike, the third begun */
    lines_free(m);
    m = lines_new(NULL);
    snprintf(doc, sizeof doc, "if (ok) {\n    run_a(state, 1);\n    log_done(state);\n}\n"
                              "if (ok) {\n    run_a(state, 1);\n    |");
    got = suggest_start(m, doc, 0.3, &r);
    CHECK_EQ_STR(got, "log_done(state);");
    CHECK_EQ_STR(r, "match-start");
    free(got);
    lines_free(m);
}

/* A big document is learned from a window around the cursor (doc_window.h), and the line
 * being typed is still left out of the statistics: the answer and its confidence are those
 * the same lines give in a small document. Filler of other tokens comes first. */
static void big_document_window(void)
{
    const char *tail = "a = lookup(key)\nb = lookup(key)\nc = lookup(key)\nd = lookup(";
    struct strbuf big;
    sb_init(&big);
    for (int i = 0; big.len < 3 * DOC_WINDOW_BYTES; i++)
        sb_addf(&big, "v%d = %d\n", i, i);
    size_t lines = 0;
    for (size_t i = 0; i < big.len; i++)
        lines += big.data[i] == '\n';
    sb_adds(&big, tail);
    struct lines *mb = lines_new(NULL), *ms = lines_new(NULL);
    size_t learned = lines_doc_set(mb, "doc", big.data, big.len, lines + 3);
    CHECK(learned > DOC_WINDOW_BYTES / 2 && learned < DOC_WINDOW_BYTES + 64);
    lines_doc_set(ms, "doc", tail, strlen(tail), 3);
    struct lines_query qb = {.text = big.data, .len = big.len, .cursor = big.len, .uri = "doc"};
    struct lines_query qs = {.text = tail, .len = strlen(tail), .cursor = strlen(tail),
                             .uri = "doc"};
    struct lines_suggestion sb_, ss;
    CHECK_EQ_INT(lines_suggest(mb, &qb, &sb_), 0);
    CHECK_EQ_INT(lines_suggest(ms, &qs, &ss), 0);
    CHECK_EQ_STR(sb_.text, "key)");
    CHECK_EQ_STR(sb_.text, ss.text);
    CHECK_EQ_STR(sb_.rule, ss.rule);
    CHECK(sb_.confidence == ss.confidence);
    lines_suggestion_release(&sb_);
    lines_suggestion_release(&ss);
    lines_free(mb);
    lines_free(ms);
    sb_release(&big);
}

#define TESTS(X) X(repetition) X(analogy) X(closers) X(ngram) X(ngram_first_step) X(silence) \
    X(incremental) X(speed) X(indentation) X(longest_match) X(longest_match_line_start) \
    X(big_document_window)
CHECK_MAIN(TESTS)
