/* Unit tests for providers/retry_after: every form of "come back later" a provider sends. */
#include <string.h>
#include <time.h>

#include "check.h"
#include "retry_after.h"

/* 2015-10-21 07:28:00 GMT */
static const time_t NOW = 1445412480;

static void seconds_form(void)
{
    CHECK_EQ_INT(retry_after_parse("120", NOW), 120000);
    CHECK_EQ_INT(retry_after_parse("0", NOW), 0);
    CHECK_EQ_INT(retry_after_parse(" 7 ", NOW), 7000);
    CHECK_EQ_INT(retry_after_parse("1.5", NOW), 1500);
    CHECK_EQ_INT(retry_after_parse("100000", NOW), RETRY_AFTER_CAP_MS);
    CHECK_EQ_INT(retry_after_parse("-5", NOW), -1);
    CHECK_EQ_INT(retry_after_parse("soon", NOW), -1);
    /* The date has whole seconds; a now with a fraction is not truncated first (the wait
     * would come out up to a second longer than asked). NOW is 21 Oct 2015 07:28:00 GMT. */
    CHECK_EQ_INT(retry_after_parse("Wed, 21 Oct 2015 07:28:30 GMT", (double)NOW + 0.75), 29250);
    CHECK_EQ_INT(retry_after_parse("5s", NOW), -1);
    CHECK_EQ_INT(retry_after_parse("", NOW), -1);
    CHECK_EQ_INT(retry_after_parse(NULL, NOW), -1);
}

static void http_date_forms(void)
{
    CHECK_EQ_INT(retry_after_parse("Wed, 21 Oct 2015 07:28:30 GMT", NOW), 30000);
    CHECK_EQ_INT(retry_after_parse("Wednesday, 21-Oct-15 07:29:00 GMT", NOW), 60000);
    CHECK_EQ_INT(retry_after_parse("Wed Oct 21 07:28:05 2015", NOW), 5000);
    /* A date in the past means "now". */
    CHECK_EQ_INT(retry_after_parse("Tue, 20 Oct 2015 07:28:00 GMT", NOW), 0);
    /* Far future is capped. */
    CHECK_EQ_INT(retry_after_parse("Fri, 01 Jan 2016 00:00:00 GMT", NOW), RETRY_AFTER_CAP_MS);
    CHECK_EQ_INT(retry_after_parse("Wed, 21 Foo 2015 07:28:30 GMT", NOW), -1);
    CHECK_EQ_INT(retry_after_parse("Wed, 21 Oct 2015 07:28:30 GMT trailing", NOW), -1);
    /* Relative to the real clock when called with time(NULL). */
    time_t now = time(NULL);
    struct tm tm;
    time_t later = now + 42;
    gmtime_r(&later, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    int64_t ms = retry_after_parse(buf, time(NULL));
    CHECK(ms >= 40000 && ms <= 42000);
}

static void ms_form_and_durations(void)
{
    CHECK_EQ_INT(retry_after_ms_parse("250"), 250);
    CHECK_EQ_INT(retry_after_ms_parse("12.2"), 13);
    CHECK_EQ_INT(retry_after_ms_parse("x"), -1);
    CHECK_EQ_INT(retry_after_ms_parse(NULL), -1);
    CHECK_EQ_INT(retry_after_duration("32s"), 32000);
    CHECK_EQ_INT(retry_after_duration("1.5s"), 1500);
    CHECK_EQ_INT(retry_after_duration("0.250s"), 250);
    CHECK_EQ_INT(retry_after_duration("500ms"), 500);
    CHECK_EQ_INT(retry_after_duration("3600s"), RETRY_AFTER_CAP_MS);
    CHECK_EQ_INT(retry_after_duration("32"), -1);
    CHECK_EQ_INT(retry_after_duration("s"), -1);
}

static void gemini_body(void)
{
    static const char body[] =
        "{\"error\":{\"code\":429,\"message\":\"You exceeded your current quota.\","
        "\"status\":\"RESOURCE_EXHAUSTED\",\"details\":["
        "{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\",\"violations\":[{"
        "\"quotaMetric\":\"generativelanguage.googleapis.com/generate_content_free_tier_requests\","
        "\"quotaId\":\"GenerateRequestsPerMinutePerProjectPerModel-FreeTier\"}]},"
        "{\"@type\":\"type.googleapis.com/google.rpc.Help\",\"links\":[]},"
        "{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"1.5s\"}]}}";
    CHECK_EQ_INT(retry_after_from_body(body, strlen(body)), 1500);
    CHECK_EQ_INT(retry_after_from_body("{\"error\":{\"code\":429}}", 22), -1);
    CHECK_EQ_INT(retry_after_from_body("<html>", 6), -1);
    CHECK_EQ_INT(retry_after_from_body(NULL, 0), -1);
}

struct hdrs {
    const char *ra, *ra_ms;
};
static const char *get(void *ud, const char *name)
{
    struct hdrs *h = ud;
    if (strcasecmp(name, "retry-after") == 0)
        return h->ra;
    if (strcasecmp(name, "retry-after-ms") == 0)
        return h->ra_ms;
    return NULL;
}

static void headers_prefer_ms(void)
{
    struct hdrs h = {"2", "1234"};
    CHECK_EQ_INT(retry_after_from_headers(get, &h, NOW), 1234);
    h.ra_ms = NULL;
    CHECK_EQ_INT(retry_after_from_headers(get, &h, NOW), 2000);
    h.ra_ms = "garbage";
    CHECK_EQ_INT(retry_after_from_headers(get, &h, NOW), 2000);
    h.ra = NULL;
    CHECK_EQ_INT(retry_after_from_headers(get, &h, NOW), -1);
    CHECK_EQ_INT(retry_after_from_headers(NULL, NULL, NOW), -1);
}

#define TESTS(X)                                                                           \
    X(seconds_form)                                                                        \
    X(http_date_forms)                                                                     \
    X(ms_form_and_durations)                                                               \
    X(gemini_body)                                                                         \
    X(headers_prefer_ms)
CHECK_MAIN(TESTS)
