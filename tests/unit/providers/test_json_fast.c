/* The two places the providers bypass jansson for speed, each against jansson itself.
 * - prov__openai_event_fast, which reads OpenAI-shaped stream events, against an oracle that
 *   reads them the way the decoder always did: jansson's tree, then choices[0].delta.content /
 *   .text / .message.content and finish_reason. Every event the fast path answers must get the
 *   same text, result and finish as the oracle; everything else it must leave to jansson (-2).
 *   Hand-picked edge cases, then thousands of mutations of real events.
 * - prov_json_dumps, which writes request bodies, against json_dumps: the same bytes for random
 *   trees (control characters, quotes, multi-byte text, NUL, reals, nesting). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "adapter_int.h"
#include "check.h"

struct reading {
    int rc;            /* 0 go on, -1 failed (malformed or stream error) */
    bool finished;
    bool stream_error; /* finish_reason "error" */
    struct strbuf text;
};

/* What the jansson decoder makes of data, as prov__openai_event reads it. */
static void oracle(const char *data, size_t len, struct reading *r)
{
    memset(r, 0, sizeof(*r));
    sb_init(&r->text);
    json_error_t e;
    json_t *j = json_loadb(data, len, 0, &e);
    if (!json_is_object(j)) {
        json_decref(j);
        r->rc = -1;
        return;
    }
    json_t *err = json_object_get(j, "error");
    if (err && !json_is_null(err)) {
        r->rc = -1;
        json_decref(j);
        return;
    }
    json_t *choice = json_array_get(json_object_get(j, "choices"), 0);
    if (choice) {
        const char *t = json_string_value(json_object_get(json_object_get(choice, "delta"),
                                                          "content"));
        if (!t)
            t = json_string_value(json_object_get(choice, "text"));
        if (!t)
            t = json_string_value(json_object_get(json_object_get(choice, "message"), "content"));
        if (t)
            sb_adds(&r->text, t);
        const char *fr = json_string_value(json_object_get(choice, "finish_reason"));
        if (fr && strcmp(fr, "error") == 0) {
            r->rc = -1;
            r->stream_error = true;
        } else if (fr) {
            r->finished = true;
        }
    }
    json_decref(j);
}

/* The fast path's reading; returns false when it left the event to jansson. */
static bool fast(const char *data, size_t len, struct reading *r)
{
    memset(r, 0, sizeof(*r));
    sb_init(&r->text);
    struct prov__stream st;
    memset(&st, 0, sizeof(st));
    struct prov_outcome out;
    memset(&out, 0, sizeof(out));
    st.text = &r->text;
    st.out = &out;
    r->rc = prov__openai_event_fast(&st, data, len);
    if (r->rc == -2)
        return false;
    r->finished = st.finished;
    r->stream_error = r->rc < 0 && out.kind == PROV_OUT_STREAM_ERROR;
    return true;
}

static int g_answered, g_left;

/* Same reading as the oracle whenever the fast path answers. */
static void compare(const char *data, size_t len)
{
    struct reading a, b;
    oracle(data, len, &a);
    if (fast(data, len, &b)) {
        g_answered++;
        bool same = a.rc == b.rc && a.finished == b.finished &&
                    a.stream_error == b.stream_error && a.text.len == b.text.len &&
                    memcmp(a.text.data, b.text.data, a.text.len) == 0;
        if (!same)
            fprintf(stderr, "differs on [%.*s]: oracle rc %d text \"%s\", fast rc %d text \"%s\"\n",
                    (int)len, data, a.rc, a.text.data, b.rc, b.text.data);
        CHECK(same);
    } else {
        g_left++;
    }
    sb_release(&a.text);
    sb_release(&b.text);
}

static void compare_str(const char *s)
{
    compare(s, strlen(s));
}

/* The shapes real servers send: the fast path must answer them, and alike. */
static void common_events_are_read_without_jansson(void)
{
    static const char *const events[] = {
        "{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1,"
        "\"model\":\"fake\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"retu\"},"
        "\"finish_reason\":null}]}",
        "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
        "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5}}",
        "{\"choices\":[{\"index\":0,\"text\":\"def f():\\n\\treturn \\\"x\\\"\","
        "\"logprobs\":null,\"finish_reason\":null}]}",
        "{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"caf\\u00e9 \\ud83d\\ude00 "
        "\xc3\xa9\xe2\x82\xac\"}}],\"error\":null}",
        "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"whole\"},"
        "\"finish_reason\":\"length\"}]}",
        " {\"choices\":[{\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]} \r\n",
        "{\"choices\":[],\"created\":-0,\"x\":[true,false,null,[],{}]}",
        "{\"choices\":[{\"text\":\"t\",\"message\":{\"content\":\"m\"},"
        "\"delta\":{\"content\":\"c\"}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"m\"},\"text\":\"t\",\"delta\":{}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"m\"},\"text\":7,\"delta\":null}]}",
    };
    for (size_t i = 0; i < US_ARRAY_LEN(events); i++) {
        struct reading r;
        CHECK(fast(events[i], strlen(events[i]), &r));
        sb_release(&r.text);
        compare_str(events[i]);
    }
    struct reading r;
    CHECK(fast(events[3], strlen(events[3]), &r));
    CHECK_EQ_STR(r.text.data, "caf\xc3\xa9 \xf0\x9f\x98\x80 \xc3\xa9\xe2\x82\xac");
    sb_release(&r.text);
}

/* What only jansson may judge: errors, reals, odd keys, duplicates, bad text. */
static void doubtful_events_are_left_to_jansson(void)
{
    static const char *const events[] = {
        "",
        "[]",
        "\"str\"",
        "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}",
        "{\"error\":\"quota\"}",
        "{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"temperature\":0.5}",
        "{\"n\":1e5}",
        "{\"n\":12345678901234567890}",
        "{\"n\":01}",
        "{\"n\":-}",
        "{\"choices\":[{\"delta\":{\"content\":\"a\",\"content\":\"b\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"choices\":[]}",
        "{\"choices\":[{\"delta\":{\"\\u0063ontent\":\"a\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"a\\u0000b\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"\\ud800\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"\\udc00\\ud800\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"\\x\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"tab\there\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"\xc0\xaf\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"\xed\xa0\x80\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"a\"}}]",
        "{\"choices\":[{\"delta\":{\"content\":\"a\"}}]}x",
        "{\"a\":1,}",
        "{\"a\":[1,]}",
        "{\"a\":truex}",
        "{\"a\":nul}",
        "\xef\xbb\xbf{}",
        "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
        "]]]]]]]]]]]]]]}",
    };
    for (size_t i = 0; i < US_ARRAY_LEN(events); i++) {
        struct reading r;
        if (fast(events[i], strlen(events[i]), &r)) {
            fprintf(stderr, "answered, not left to jansson: [%s]\n", events[i]);
            CHECK(false);
        }
        sb_release(&r.text);
    }
    /* A NUL byte inside the data. */
    static const char nul[] = "{\"choices\":[{\"delta\":{\"content\":\"a\0b\"}}]}";
    struct reading r;
    CHECK(!fast(nul, sizeof(nul) - 1, &r));
    sb_release(&r.text);
}

static uint32_t g_seed = 12345;

static uint32_t rnd(void)
{
    g_seed = g_seed * 1103515245u + 12345u;
    return g_seed >> 8;
}

/* Mutations of real events (bytes replaced, inserted, removed, cut short) read alike. */
static void mutated_events_read_alike(void)
{
    static const char *const seeds[] = {
        "{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1,"
        "\"model\":\"fake\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a \\\"b\\\"\\n\"},"
        "\"finish_reason\":null}]}",
        "{\"choices\":[{\"index\":0,\"text\":\"x\\u00e9\\ud83d\\ude00\",\"finish_reason\":\"stop\"}],"
        "\"error\":null}",
        "{\"choices\":[{\"message\":{\"content\":\"m\"},\"delta\":[1,2],\"finish_reason\":\"error\"}]}",
        "{\"choices\":[{\"text\":\"t\",\"message\":{\"content\":\"m\"},\"delta\":{\"content\":\"c\"},"
        "\"finish_reason\":\"e\\u0072ror\"}]}",
    };
    static const char alphabet[] = "{}[]\",:\\u0aeE.-+ tnfl\x80\xc3\xa9\xff\x01\n";
    char buf[512];
    for (size_t k = 0; k < US_ARRAY_LEN(seeds); k++) {
        size_t n0 = strlen(seeds[k]);
        for (int round = 0; round < 4000; round++) {
            memcpy(buf, seeds[k], n0);
            size_t n = n0;
            int edits = 1 + (int)(rnd() % 3);
            for (int e = 0; e < edits && n > 1; e++) {
                size_t at = rnd() % n;
                char c = alphabet[rnd() % (sizeof(alphabet) - 1)];
                switch (rnd() % 4) {
                case 0:
                    buf[at] = c;
                    break;
                case 1:
                    if (n + 1 < sizeof(buf)) {
                        memmove(buf + at + 1, buf + at, n - at);
                        buf[at] = c;
                        n++;
                    }
                    break;
                case 2:
                    memmove(buf + at, buf + at + 1, n - at - 1);
                    n--;
                    break;
                default:
                    n = at + 1;
                    break;
                }
            }
            compare(buf, n);
        }
    }
    /* The mutations must reach both paths, or this compared nothing. */
    CHECK(g_answered > 500);
    CHECK(g_left > 500);
}

/* ---- prov_json_dumps ---- */

static json_t *random_string(void)
{
    static const char *const pieces[] = {"a", "Z", " ", "\"", "\\", "/", "\n", "\r", "\t",
                                         "\b", "\f", "\x01", "\x1f", "\x7f", "\xc3\xa9",
                                         "\xe2\x82\xac", "\xf0\x9f\x98\x80", "def f():",
                                         "</script>", "\u2028"};
    char buf[256];
    size_t n = 0;
    int parts = (int)(rnd() % 12);
    for (int i = 0; i < parts; i++) {
        const char *p = pieces[rnd() % US_ARRAY_LEN(pieces)];
        size_t k = strlen(p);
        memcpy(buf + n, p, k);
        n += k;
    }
    if (rnd() % 8 == 0)
        buf[n++] = 0; /* an embedded NUL */
    return json_stringn(buf, n);
}

static json_t *random_tree(int depth)
{
    switch (depth > 3 ? 2 + rnd() % 6 : rnd() % 8) {
    case 0: {
        json_t *o = json_object();
        int n = (int)(rnd() % 5);
        for (int i = 0; i < n; i++) {
            json_t *k = random_string();
            json_object_setn_new(o, json_string_value(k), json_string_length(k),
                                 random_tree(depth + 1));
            json_decref(k);
        }
        return o;
    }
    case 1: {
        json_t *a = json_array();
        int n = (int)(rnd() % 5);
        for (int i = 0; i < n; i++)
            json_array_append_new(a, random_tree(depth + 1));
        return a;
    }
    case 2:
        return random_string();
    case 3:
        return json_integer((json_int_t)rnd() * (rnd() % 2 ? 1 : -1) * (json_int_t)rnd());
    case 4: {
        static const double reals[] = {0.2, 0.0, -1.5, 1e-7, 123456789.125, 1e300, 0.1 + 0.2,
                                       3.0, -0.0};
        return json_real(reals[rnd() % US_ARRAY_LEN(reals)]);
    }
    case 5:
        return json_true();
    case 6:
        return json_false();
    default:
        return json_null();
    }
}

static void check_dump(json_t *j, size_t flags)
{
    char *want = json_dumps(j, flags);
    size_t len = 0;
    char *got = prov_json_dumps(j, flags, &len);
    CHECK((want == NULL) == (got == NULL));
    if (want && got) {
        CHECK_EQ_INT(len, strlen(want));
        if (strcmp(want, got) != 0)
            fprintf(stderr, "dumps differ:\n  jansson: %s\n  ours:    %s\n", want, got);
        CHECK_EQ_STR(got, want);
    }
    free(want);
    free(got);
}

static void dumps_writes_what_json_dumps_writes(void)
{
    json_t *body = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s%}], s:i, s:f, s:b, s:[s], s:n}",
                             "model", "fake-model", "messages", "role", "system", "content",
                             "You complete code.\n\"Only\" code.", "role", "user", "content",
                             "def add(a, b):\n\treturn a\x01b", (size_t)20, "max_tokens", 352,
                             "temperature", 0.2, "stream", 1, "stop", "\n\n\n", "seed");
    check_dump(body, JSON_COMPACT | JSON_REAL_PRECISION(6));
    check_dump(body, JSON_COMPACT);
    json_decref(body);
    for (int i = 0; i < 3000; i++) {
        json_t *j = rnd() % 2 ? json_object() : json_array();
        for (int k = 0, n = (int)(rnd() % 4); k < n; k++) {
            if (json_is_object(j))
                json_object_set_new(j, k == 0 ? "a" : k == 1 ? "b" : "c", random_tree(1));
            else
                json_array_append_new(j, random_tree(1));
        }
        check_dump(j, JSON_COMPACT | JSON_REAL_PRECISION(6));
        check_dump(j, JSON_COMPACT);
        json_decref(j);
    }
    /* A string jansson cannot write (invalid UTF-8, only possible through _nocheck): both fail. */
    json_t *bad = json_pack("{s:o}", "k", json_stringn_nocheck("\xff", 1));
    check_dump(bad, JSON_COMPACT);
    json_decref(bad);
}

#define TESTS(X)                                                                         \
    X(common_events_are_read_without_jansson)                                            \
    X(doubtful_events_are_left_to_jansson)                                               \
    X(mutated_events_read_alike)                                               \
    X(dumps_writes_what_json_dumps_writes)

CHECK_MAIN(TESTS)
