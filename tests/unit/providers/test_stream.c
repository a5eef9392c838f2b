/* Unit tests for providers/stream: SSE and NDJSON parsing must give the same events for every
 * split of the bytes into chunks (CR LF across chunks, UTF-8 inside chunks), honour comments,
 * multi-line data and event names, and enforce the size cap. */
#include <string.h>

#include "base.h"
#include "check.h"
#include "stream.h"

/* Events rendered as "<event>|<data>\n" so a whole parse compares as one string. */
static int record(void *ud, const char *event, const char *data, size_t len)
{
    struct strbuf *sb = ud;
    CHECK(strlen(data) == len);
    sb_adds(sb, event ? event : "-");
    sb_addc(sb, '|');
    sb_add(sb, data, len);
    sb_addc(sb, '\n');
    return 0;
}

static int record_line(void *ud, const char *line, size_t len)
{
    struct strbuf *sb = ud;
    CHECK(strlen(line) == len);
    sb_add(sb, line, len);
    sb_addc(sb, '\n');
    return 0;
}

/* Parse in pieces cut at the given offsets (sorted, may be empty). */
static int sse_parse_cuts(const char *in, size_t n, const size_t *cuts, size_t ncuts,
                          struct strbuf *out)
{
    struct sse_parser *p = sse_new(0, record, out);
    size_t at = 0;
    int rc = 0;
    for (size_t i = 0; i <= ncuts && rc == 0; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        rc = sse_feed(p, in + at, end - at);
        at = end;
    }
    if (rc == 0)
        rc = sse_end(p);
    sse_free(p);
    return rc;
}

/* A stream using every feature: event names, comments, CR LF / CR / LF line ends, multi-line
 * data, no space after the colon, an id field, multi-byte characters. */
static const char sse_in[] =
    ": keep-alive comment\r\n"
    "event: message_start\r\n"
    "data: {\"a\":1}\r\n"
    "\r\n"
    "data:no-space\n"
    "data:  two spaces keep one\n"
    "\n"
    "event: multi\r"
    "data: line1\r"
    "data: line2\r"
    "id: 7\r"
    "\r"
    ": OPENROUTER PROCESSING\n\n"
    "data: caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80\r\n"
    "\r\n"
    "data\n"
    "\n"
    "event: no data is no event\n"
    "\n"
    "data: [DONE]\n"
    "\n";

static const char sse_want[] =
    "message_start|{\"a\":1}\n"
    "-|no-space\n two spaces keep one\n" /* two data lines, one event */
    "multi|line1\nline2\n"
    "-|caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80\n"
    "-|\n"
    "-|[DONE]\n";

static void sse_whole(void)
{
    struct strbuf out;
    sb_init(&out);
    CHECK_EQ_INT(sse_parse_cuts(sse_in, sizeof(sse_in) - 1, NULL, 0, &out), 0);
    CHECK_EQ_STR(out.data, sse_want);
    sb_release(&out);
}

static void sse_every_split(void)
{
    size_t n = sizeof(sse_in) - 1;
    int bad = 0;
    for (size_t i = 0; i <= n; i++) {
        struct strbuf out;
        sb_init(&out);
        size_t cut = i;
        int rc = sse_parse_cuts(sse_in, n, &cut, 1, &out);
        if (rc != 0 || strcmp(out.data, sse_want) != 0)
            bad++;
        sb_release(&out);
    }
    CHECK_EQ_INT(bad, 0);
}

static void sse_every_pair_of_splits(void)
{
    size_t n = sizeof(sse_in) - 1;
    int bad = 0;
    for (size_t i = 0; i <= n; i++)
        for (size_t j = i; j <= n; j++) {
            struct strbuf out;
            sb_init(&out);
            size_t cuts[2] = {i, j};
            int rc = sse_parse_cuts(sse_in, n, cuts, 2, &out);
            if (rc != 0 || strcmp(out.data, sse_want) != 0)
                bad++;
            sb_release(&out);
        }
    CHECK_EQ_INT(bad, 0);
}

static void sse_one_byte_chunks(void)
{
    size_t n = sizeof(sse_in) - 1;
    size_t *cuts = xmalloc(n * sizeof(*cuts));
    for (size_t i = 0; i < n; i++)
        cuts[i] = i + 1;
    struct strbuf out;
    sb_init(&out);
    CHECK_EQ_INT(sse_parse_cuts(sse_in, n, cuts, n - 1, &out), 0);
    CHECK_EQ_STR(out.data, sse_want);
    sb_release(&out);
    free(cuts);
}

/* CR at the end of one chunk and LF at the start of the next are one line end, not two (two
 * would dispatch the event early and split "data: b" into a separate event). */
static void sse_cr_lf_across_chunks(void)
{
    struct strbuf out;
    sb_init(&out);
    struct sse_parser *p = sse_new(0, record, &out);
    CHECK_EQ_INT(sse_feed(p, "data: a\r", 8), 0);
    CHECK_EQ_INT(sse_feed(p, "\ndata: b\r", 9), 0);
    CHECK_EQ_INT(sse_feed(p, "\n\r", 2), 0);
    CHECK_EQ_INT(sse_feed(p, "\n", 1), 0);
    CHECK_EQ_STR(out.data, "-|a\nb\n");
    sse_free(p);
    sb_release(&out);
}

static void sse_end_flushes_unterminated_event(void)
{
    struct strbuf out;
    sb_init(&out);
    struct sse_parser *p = sse_new(0, record, &out);
    CHECK_EQ_INT(sse_feed(p, "data: x\n\ndata: last", 19), 0);
    CHECK_EQ_STR(out.data, "-|x\n");
    CHECK_EQ_INT(sse_end(p), 0);
    CHECK_EQ_STR(out.data, "-|x\n-|last\n");
    sse_free(p);
    sb_release(&out);
}

static int stop_at_second(void *ud, const char *event, const char *data, size_t len)
{
    (void)event;
    (void)data;
    (void)len;
    int *count = ud;
    return ++*count == 2 ? 7 : 0;
}

static void sse_callback_stops(void)
{
    int count = 0;
    struct sse_parser *p = sse_new(0, stop_at_second, &count);
    CHECK_EQ_INT(sse_feed(p, "data: 1\n\ndata: 2\n\ndata: 3\n\n", 27), 7);
    CHECK_EQ_INT(count, 2);
    CHECK_EQ_INT(sse_feed(p, "data: 4\n\n", 9), 7); /* sticky */
    CHECK_EQ_INT(sse_end(p), 7);
    CHECK_EQ_INT(count, 2);
    sse_free(p);
}

static void sse_size_cap(void)
{
    struct strbuf out;
    sb_init(&out);
    struct sse_parser *p = sse_new(64, record, &out);
    char big[100];
    memset(big, 'x', sizeof(big));
    CHECK_EQ_INT(sse_feed(p, "data: ", 6), 0);
    CHECK_EQ_INT(sse_feed(p, big, sizeof(big)), US_ETOOBIG);
    CHECK_EQ_INT(sse_feed(p, "\n\n", 2), US_ETOOBIG);
    CHECK_EQ_INT(out.len, 0);
    sse_free(p);

    /* Many data lines add up: the cap is per event, not per line. */
    sb_clear(&out);
    p = sse_new(64, record, &out);
    int rc = 0;
    for (int i = 0; i < 20 && rc == 0; i++)
        rc = sse_feed(p, "data: 0123456\n", 14);
    CHECK_EQ_INT(rc, US_ETOOBIG);
    sse_free(p);

    /* Default cap is 1 MB; an event of 512 KB passes. */
    sb_clear(&out);
    p = sse_new(0, record, &out);
    size_t n = 512 * 1024;
    char *mid = xmalloc(n);
    memset(mid, 'y', n);
    CHECK_EQ_INT(sse_feed(p, "data: ", 6), 0);
    CHECK_EQ_INT(sse_feed(p, mid, n), 0);
    CHECK_EQ_INT(sse_feed(p, "\n\n", 2), 0);
    CHECK_EQ_INT(out.len, n + 3);
    free(mid);
    sse_free(p);
    sb_release(&out);
}

static const char nd_in[] = "{\"response\":\"caf\xC3\xA9\",\"done\":false}\n"
                            "\n"
                            "  \r\n"
                            "{\"response\":\"\xF0\x9F\x98\x80\",\"done\":false}\r\n"
                            "{\"done\":true}";
static const char nd_want[] = "{\"response\":\"caf\xC3\xA9\",\"done\":false}\n"
                              "{\"response\":\"\xF0\x9F\x98\x80\",\"done\":false}\n"
                              "{\"done\":true}\n";

static void ndjson_every_split(void)
{
    size_t n = sizeof(nd_in) - 1;
    int bad = 0;
    for (size_t i = 0; i <= n; i++)
        for (size_t j = i; j <= n; j++) {
            struct strbuf out;
            sb_init(&out);
            struct ndjson_parser *p = ndjson_new(0, record_line, &out);
            int rc = ndjson_feed(p, nd_in, i);
            rc |= ndjson_feed(p, nd_in + i, j - i);
            rc |= ndjson_feed(p, nd_in + j, n - j);
            rc |= ndjson_end(p);
            if (rc != 0 || strcmp(out.data, nd_want) != 0)
                bad++;
            ndjson_free(p);
            sb_release(&out);
        }
    CHECK_EQ_INT(bad, 0);
}

static void ndjson_one_byte_and_cap(void)
{
    struct strbuf out;
    sb_init(&out);
    struct ndjson_parser *p = ndjson_new(0, record_line, &out);
    for (size_t i = 0; i < sizeof(nd_in) - 1; i++)
        CHECK_EQ_INT(ndjson_feed(p, nd_in + i, 1), 0);
    CHECK_EQ_INT(ndjson_end(p), 0);
    CHECK_EQ_STR(out.data, nd_want);
    ndjson_free(p);

    sb_clear(&out);
    p = ndjson_new(16, record_line, &out);
    CHECK_EQ_INT(ndjson_feed(p, "{\"a\":1}\n", 8), 0);
    CHECK_EQ_INT(ndjson_feed(p, "{\"response\":\"0123456789\"}", 25), US_ETOOBIG);
    CHECK_EQ_INT(ndjson_end(p), US_ETOOBIG);
    CHECK_EQ_STR(out.data, "{\"a\":1}\n");
    ndjson_free(p);
    sb_release(&out);
}

#define TESTS(X)                                                                           \
    X(sse_whole)                                                                           \
    X(sse_every_split)                                                                     \
    X(sse_every_pair_of_splits)                                                            \
    X(sse_one_byte_chunks)                                                                 \
    X(sse_cr_lf_across_chunks)                                                             \
    X(sse_end_flushes_unterminated_event)                                                  \
    X(sse_callback_stops)                                                                  \
    X(sse_size_cap)                                                                        \
    X(ndjson_every_split)                                                                  \
    X(ndjson_one_byte_and_cap)
CHECK_MAIN(TESTS)
