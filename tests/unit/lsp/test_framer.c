/* Framer: partial reads, several messages per read, optional headers, caps. */
#include <string.h>

#include "check.h"
#include "framer.h"

static int next(struct framer *fr, char *out, size_t cap)
{
    const char *body, *why;
    size_t len;
    int rc = framer_next(fr, &body, &len, &why);
    if (rc == 1) {
        size_t n = len < cap - 1 ? len : cap - 1;
        memcpy(out, body, n);
        out[n] = 0;
    }
    return rc;
}

static void whole_message(void)
{
    struct framer *fr = framer_new(0);
    const char *m = "Content-Length: 2\r\n\r\n{}";
    framer_feed(fr, m, strlen(m));
    char buf[64];
    CHECK_EQ_INT(next(fr, buf, sizeof buf), 1);
    CHECK_EQ_STR(buf, "{}");
    CHECK_EQ_INT(next(fr, buf, sizeof buf), 0);
    framer_free(fr);
}

static void byte_at_a_time(void)
{
    struct framer *fr = framer_new(0);
    const char *m = "Content-Length: 11\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8"
                    "\r\n\r\n{\"a\":\"éx\"}";
    char buf[64];
    size_t n = strlen(m);
    int got = 0;
    for (size_t i = 0; i < n; i++) {
        framer_feed(fr, m + i, 1);
        int rc = next(fr, buf, sizeof buf);
        if (i + 1 < n)
            CHECK_EQ_INT(rc, 0);
        else if (rc == 1)
            got = 1;
    }
    CHECK(got);
    CHECK_EQ_STR(buf, "{\"a\":\"éx\"}");
    framer_free(fr);
}

static void many_in_one_read(void)
{
    struct framer *fr = framer_new(0);
    char all[4096] = "";
    for (int i = 0; i < 50; i++) {
        char one[64];
        char body[16];
        snprintf(body, sizeof body, "[%d]", i);
        snprintf(one, sizeof one, "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
        strcat(all, one);
    }
    framer_feed(fr, all, strlen(all));
    for (int i = 0; i < 50; i++) {
        char buf[32], want[16];
        snprintf(want, sizeof want, "[%d]", i);
        CHECK_EQ_INT(next(fr, buf, sizeof buf), 1);
        CHECK_EQ_STR(buf, want);
    }
    char rest[4];
    CHECK_EQ_INT(next(fr, rest, sizeof rest), 0);
    framer_free(fr);
}

static void missing_length_then_resync(void)
{
    struct framer *fr = framer_new(0);
    const char *m = "Content-Type: x\r\n\r\nContent-Length: 1\r\n\r\n7";
    framer_feed(fr, m, strlen(m));
    const char *body, *why = NULL;
    size_t len;
    CHECK(framer_next(fr, &body, &len, &why) < 0);
    CHECK(why && strstr(why, "Content-Length"));
    char buf[8];
    CHECK_EQ_INT(next(fr, buf, sizeof buf), 1);
    CHECK_EQ_STR(buf, "7");
    framer_free(fr);
}

static void bad_header_with_body_resyncs(void)
{
    struct framer *fr = framer_new(0);
    const char *m = "Content-Type: x\r\n\r\n{\"jsonrpc\":\"2.0\"}Content-Len";
    framer_feed(fr, m, strlen(m));
    const char *body, *why = NULL;
    size_t len;
    CHECK_EQ_INT(framer_next(fr, &body, &len, &why), US_EPARSE);
    char buf[16];
    CHECK_EQ_INT(next(fr, buf, sizeof buf), 0); /* the body is skipped, the name is partial */
    const char *rest = "gth: 2\r\n\r\nok";
    framer_feed(fr, rest, strlen(rest));
    CHECK_EQ_INT(next(fr, buf, sizeof buf), 1);
    CHECK_EQ_STR(buf, "ok");
    /* A negative length with a body: the same recovery. */
    const char *neg = "Content-Length: -3\r\n\r\nabcContent-Length: 1\r\n\r\nz";
    framer_feed(fr, neg, strlen(neg));
    CHECK_EQ_INT(framer_next(fr, &body, &len, &why), US_EPARSE);
    CHECK_EQ_INT(next(fr, buf, sizeof buf), 1);
    CHECK_EQ_STR(buf, "z");
    framer_free(fr);
}

static void negative_and_garbage_length(void)
{
    const char *bad[] = {"Content-Length: -4\r\n\r\n", "Content-Length: 12abc\r\n\r\n",
                         "Content-Length: \r\n\r\n", "no colon here\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct framer *fr = framer_new(0);
        framer_feed(fr, bad[i], strlen(bad[i]));
        const char *body, *why = NULL;
        size_t len;
        CHECK_EQ_INT(framer_next(fr, &body, &len, &why), US_EPARSE);
        CHECK(why != NULL);
        framer_free(fr);
    }
}

static void body_over_cap_is_skipped(void)
{
    struct framer *fr = framer_new(10);
    const char *m = "Content-Length: 20\r\n\r\n01234567";
    framer_feed(fr, m, strlen(m));
    const char *body, *why = NULL;
    size_t len;
    CHECK_EQ_INT(framer_next(fr, &body, &len, &why), US_ETOOBIG);
    /* The rest of the oversized body arrives later and is discarded; the next message works. */
    const char *rest = "890123456789Content-Length: 2\r\n\r\nok";
    framer_feed(fr, rest, strlen(rest));
    char buf[8];
    CHECK_EQ_INT(next(fr, buf, sizeof buf), 1);
    CHECK_EQ_STR(buf, "ok");
    framer_free(fr);
}

static void huge_header_is_capped(void)
{
    struct framer *fr = framer_new(0);
    char junk[FRAMER_MAX_HEADER + 100];
    memset(junk, 'h', sizeof junk);
    framer_feed(fr, junk, sizeof junk);
    const char *body, *why = NULL;
    size_t len;
    CHECK_EQ_INT(framer_next(fr, &body, &len, &why), US_ETOOBIG);
    const char *m = "\r\n\r\nContent-Length: 1\r\n\r\nz";
    framer_feed(fr, m, strlen(m));
    char buf[4];
    int rc;
    while ((rc = next(fr, buf, sizeof buf)) < 0)
        ;
    CHECK_EQ_INT(rc, 1);
    CHECK_EQ_STR(buf, "z");
    framer_free(fr);
}

static void absurd_length(void)
{
    struct framer *fr = framer_new(0);
    const char *m = "Content-Length: 99999999999999999999\r\n\r\n";
    framer_feed(fr, m, strlen(m));
    const char *body, *why = NULL;
    size_t len;
    CHECK_EQ_INT(framer_next(fr, &body, &len, &why), US_ETOOBIG);
    framer_free(fr);
}

#define TESTS(X)                                                                         \
    X(whole_message) X(byte_at_a_time) X(many_in_one_read) X(missing_length_then_resync)  \
    X(negative_and_garbage_length) X(bad_header_with_body_resyncs) X(body_over_cap_is_skipped) X(huge_header_is_capped)   \
    X(absurd_length)
CHECK_MAIN(TESTS)
