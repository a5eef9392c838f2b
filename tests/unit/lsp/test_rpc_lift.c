/* rpc_lift: big string values decoded by the fast path give jansson's values and jansson's
 * errors, whatever the string holds (escapes, surrogates, NULs, bad UTF-8, keys). */
#include <stdint.h>
#include <string.h>

#include "base.h"
#include "check.h"
#include "rpc.h"

#define FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

/* Both parsers agree: both fail, or both give equal values. */
static int same(const char *body, size_t len, size_t flags)
{
    json_t *a = json_loadb(body, len, flags, NULL);
    json_t *b = rpc__loadb(body, len, flags, NULL);
    int ok = (!a && !b) || (a && b && json_equal(a, b));
    json_decref(a);
    json_decref(b);
    return ok;
}

/* {"jsonrpc":"2.0","method":"m","params":{"text":"<filler + middle + filler>","n":[1,"<...>"]}} */
static void message(struct strbuf *sb, const char *middle, size_t reps)
{
    sb_clear(sb);
    sb_adds(sb, "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didOpen\",\"params\":{\"text\":\"");
    for (size_t i = 0; i < reps; i++)
        sb_adds(sb, "def f():\\n    return \\\"x\\\" \\\\ 1\\t\\u00e9\\ud83d\\ude00 caf\xc3\xa9\\n");
    sb_adds(sb, middle);
    for (size_t i = 0; i < reps; i++)
        sb_adds(sb, "line\\r\\n");
    sb_adds(sb, "\",\"n\":[1,\"");
    for (size_t i = 0; i < reps; i++)
        sb_adds(sb, "abc\\/");
    sb_adds(sb, "\"]}}");
}

static void agrees_with_jansson(void)
{
    static const char *const middles[] = {
        "", "\\u0000", "\\ud800", "\\udc00x", "\\ud83dx", "\\u12", "\\x", "\x01", "\xff",
        "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\xc3", "\\", "\\\\",
        "\\\"", "ok\\u20ac\xe2\x82\xac", "\\uD83D\\uDE00", "\\u00", "us-lift-0", "\t",
    };
    struct strbuf sb;
    sb_init(&sb);
    for (size_t i = 0; i < US_ARRAY_LEN(middles); i++) {
        message(&sb, middles[i], 800);
        CHECK(sb.len > 32 * 1024);
        if (!same(sb.data, sb.len, FLAGS))
            fprintf(stderr, "  middle %zu differs\n", i);
        CHECK(same(sb.data, sb.len, FLAGS));
        CHECK(same(sb.data, sb.len, JSON_REJECT_DUPLICATES));
    }
    sb_release(&sb);
}

static void the_text_comes_through(void)
{
    struct strbuf sb;
    sb_init(&sb);
    message(&sb, "\\u0000end", 500);
    json_t *v = rpc__loadb(sb.data, sb.len, FLAGS, NULL);
    CHECK(v != NULL);
    json_t *t = json_object_get(json_object_get(v, "params"), "text");
    CHECK(json_is_string(t) && json_string_length(t) > 20000);
    const char *s = json_string_value(t);
    CHECK(s && !strncmp(s, "def f():\n    return \"x\" \\ 1\t\xc3\xa9\xf0\x9f\x98\x80", 31));
    json_decref(v);
    sb_release(&sb);
}

static void keys_roots_and_broken_messages(void)
{
    struct strbuf sb, big;
    sb_init(&sb);
    sb_init(&big);
    for (int i = 0; i < 5000; i++)
        sb_adds(&big, "word\\n");
    /* a big key, a big root string, duplicate keys, an unterminated string, trailing junk */
    const char *shapes[] = {"{\"%s\":1}", "\"%s\"", "{\"a\":\"%s\",\"a\":\"%s\"}", "{\"a\":\"%s",
                            "{\"a\":\"%s\"} x", "[\"%s\",\"%s\",{\"b\":[\"%s\"]}]", "{\"a\":x\"%s\"}"};
    for (size_t i = 0; i < US_ARRAY_LEN(shapes); i++) {
        sb_clear(&sb);
        for (const char *p = shapes[i]; *p; p++) {
            if (p[0] == '%' && p[1] == 's') {
                sb_add(&sb, big.data, big.len);
                p++;
            } else {
                sb_add(&sb, p, 1);
            }
        }
        CHECK(same(sb.data, sb.len, FLAGS));
        CHECK(same(sb.data, sb.len, FLAGS | JSON_DECODE_ANY));
    }
    sb_release(&sb);
    sb_release(&big);
}

/* A placeholder is a string that starts with NUL and the mark: the message can write one with
 * escapes (\u0000, \u0075 for the mark's 'u') that a search of its raw bytes for the mark
 * does not see. */
static void escaped_fake_placeholders(void)
{
    static const char *const fakes[] = {"\\u0000\\u0075s-lift-0", "\\u0000u\\u0073-lift-1",
                                        "\\u0000\\u0075s-lift-+0", "\\u0000\\u0075s-lift- 0"};
    struct strbuf sb, big;
    sb_init(&sb);
    sb_init(&big);
    for (int i = 0; i < 5000; i++)
        sb_adds(&big, "word\\n");
    for (size_t i = 0; i < US_ARRAY_LEN(fakes); i++) {
        sb_clear(&sb);
        sb_adds(&sb, "{\"a\":[\"");
        sb_adds(&sb, fakes[i]);
        sb_adds(&sb, "\",\"");
        sb_add(&sb, big.data, big.len);
        sb_adds(&sb, "\",\"");
        sb_add(&sb, big.data, big.len);
        sb_adds(&sb, "\"]}");
        if (!same(sb.data, sb.len, FLAGS))
            fprintf(stderr, "  fake %zu differs\n", i);
        CHECK(same(sb.data, sb.len, FLAGS));
    }
    sb_release(&sb);
    sb_release(&big);
}

static uint64_t rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* Random bytes from an alphabet rich in what the decoder treats specially. */
static void random_strings(void)
{
    static const char *const atoms[] = {"a", "\\n", "\\\"", "\\\\", "\\u", "\\ud83d", "\\ude00",
                                        "\xc3\xa9", "\xc3", "\xa9", "\"", "\\", "0", "F", "\x1f",
                                        "\\u0000", "\xf0\x9f\x98\x80", "\\b", "\\q", " "};
    struct strbuf sb;
    sb_init(&sb);
    for (int round = 0; round < 300; round++) {
        message(&sb, "", 600);
        CHECK(sb.len > 32 * 1024);
        /* splice a random run into the text value */
        size_t at = 100 + rnd(1000);
        struct strbuf ins;
        sb_init(&ins);
        int n = 1 + (int)rnd(12);
        for (int k = 0; k < n; k++)
            sb_adds(&ins, atoms[rnd(US_ARRAY_LEN(atoms))]);
        struct strbuf m;
        sb_init(&m);
        sb_add(&m, sb.data, at);
        sb_add(&m, ins.data, ins.len);
        sb_add(&m, sb.data + at, sb.len - at);
        CHECK(same(m.data, m.len, FLAGS));
        sb_release(&m);
        sb_release(&ins);
    }
    sb_release(&sb);
}

#define TESTS(X)                                                                                   \
    X(agrees_with_jansson)                                                                         \
    X(the_text_comes_through)                                                                      \
    X(keys_roots_and_broken_messages)                                                              \
    X(escaped_fake_placeholders)                                                                   \
    X(random_strings)
CHECK_MAIN(TESTS)
