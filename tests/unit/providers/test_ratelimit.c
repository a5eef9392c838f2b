/* Unit tests for providers/ratelimit: the providers' documented rate-limit headers read into
 * "no budget until T". */
#include <string.h>
#include <strings.h>

#include "check.h"
#include "ratelimit.h"

/* 2024-07-01T00:00:00Z */
static const int64_t NOW = 1719792000000LL;

struct hdrs {
    const char *kv[32];
};

static const char *get(void *ud, const char *name)
{
    struct hdrs *h = ud;
    for (int i = 0; h->kv[i]; i += 2)
        if (strcasecmp(h->kv[i], name) == 0)
            return h->kv[i + 1];
    return NULL;
}

static void durations(void)
{
    CHECK_EQ_INT(ratelimit_duration_ms("1s"), 1000);
    CHECK_EQ_INT(ratelimit_duration_ms("6m0s"), 360000);
    CHECK_EQ_INT(ratelimit_duration_ms("20ms"), 20);
    CHECK_EQ_INT(ratelimit_duration_ms("1.5s"), 1500);
    CHECK_EQ_INT(ratelimit_duration_ms("1h2m3.5s"), 3723500);
    CHECK_EQ_INT(ratelimit_duration_ms("17.123s"), 17123);
    CHECK_EQ_INT(ratelimit_duration_ms("300us"), 1); /* rounded up: never early */
    CHECK_EQ_INT(ratelimit_duration_ms("7"), 7000);
    CHECK_EQ_INT(ratelimit_duration_ms(" 2s "), 2000);
    CHECK_EQ_INT(ratelimit_duration_ms(""), -1);
    CHECK_EQ_INT(ratelimit_duration_ms("soon"), -1);
    CHECK_EQ_INT(ratelimit_duration_ms("1x"), -1);
    CHECK_EQ_INT(ratelimit_duration_ms("-1s"), -1);
    CHECK_EQ_INT(ratelimit_duration_ms("1s2"), -1);
    CHECK_EQ_INT(ratelimit_duration_ms(NULL), -1);
}

static void rfc3339(void)
{
    CHECK_EQ_INT(ratelimit_rfc3339_ms("2024-07-01T00:00:01Z"), NOW + 1000);
    CHECK_EQ_INT(ratelimit_rfc3339_ms("2024-07-01T00:00:01.250Z"), NOW + 1250);
    CHECK_EQ_INT(ratelimit_rfc3339_ms("2024-07-01T02:00:30+02:00"), NOW + 30000);
    CHECK_EQ_INT(ratelimit_rfc3339_ms("2024-06-30T23:00:00-01:00"), NOW);
    CHECK_EQ_INT(ratelimit_rfc3339_ms("2024-07-01 00:00:05z"), NOW + 5000);
    CHECK_EQ_INT(ratelimit_rfc3339_ms("2024-07-01T00:00:01"), -1); /* no zone */
    CHECK_EQ_INT(ratelimit_rfc3339_ms("2024-13-01T00:00:01Z"), -1);
    CHECK_EQ_INT(ratelimit_rfc3339_ms("Mon, 01 Jul 2024 00:00:01 GMT"), -1);
    CHECK_EQ_INT(ratelimit_rfc3339_ms("2024-07-01T00:00:01Z junk"), -1);
    CHECK_EQ_INT(ratelimit_rfc3339_ms(NULL), -1);
}

/* OpenAI's documented example: budget left, nothing blocked. */
static void openai_budget_left(void)
{
    struct hdrs h = {{"x-ratelimit-limit-requests", "60", "x-ratelimit-limit-tokens", "150000",
                      "x-ratelimit-remaining-requests", "59", "x-ratelimit-remaining-tokens",
                      "149984", "x-ratelimit-reset-requests", "1s", "x-ratelimit-reset-tokens",
                      "6m0s", NULL}};
    struct ratelimit rl;
    CHECK(ratelimit_read(get, &h, NOW, 0, &rl));
    CHECK_EQ_INT(rl.until_ms, 0);
    CHECK_EQ_INT(rl.remaining_requests, 59);
    CHECK_EQ_INT(rl.remaining_tokens, 149984);
    CHECK_EQ_STR(rl.exhausted, "");
}

static void openai_requests_used_up(void)
{
    struct hdrs h = {{"x-ratelimit-limit-requests", "60", "x-ratelimit-remaining-requests", "0",
                      "x-ratelimit-reset-requests", "20ms", "x-ratelimit-remaining-tokens",
                      "149984", "x-ratelimit-reset-tokens", "6m0s", NULL}};
    struct ratelimit rl;
    CHECK(ratelimit_read(get, &h, NOW, 0, &rl));
    CHECK_EQ_INT(rl.until_ms, NOW + 20);
    CHECK_EQ_STR(rl.exhausted, "requests");
}

static void openai_tokens_below_need(void)
{
    struct hdrs h = {{"x-ratelimit-remaining-requests", "12", "x-ratelimit-reset-requests",
                      "1s", "x-ratelimit-remaining-tokens", "300", "x-ratelimit-reset-tokens",
                      "17.5s", NULL}};
    struct ratelimit rl;
    ratelimit_read(get, &h, NOW, 0, &rl);
    CHECK_EQ_INT(rl.until_ms, 0); /* 300 tokens left is budget when nothing is asked */
    ratelimit_read(get, &h, NOW, 1024, &rl);
    CHECK_EQ_INT(rl.until_ms, NOW + 17500);
    CHECK_EQ_STR(rl.exhausted, "tokens");
    /* A long token window is capped. */
    h.kv[7] = "6m0s";
    ratelimit_read(get, &h, NOW, 1024, &rl);
    CHECK_EQ_INT(rl.until_ms, NOW + RATELIMIT_CAP_MS);
}

/* Anthropic: RFC 3339 resets; the latest used-up dimension wins. */
static void anthropic_headers(void)
{
    struct hdrs h = {{"anthropic-ratelimit-requests-limit", "50",
                      "anthropic-ratelimit-requests-remaining", "49",
                      "anthropic-ratelimit-requests-reset", "2024-07-01T00:00:01Z",
                      "anthropic-ratelimit-tokens-limit", "40000",
                      "anthropic-ratelimit-tokens-remaining", "0",
                      "anthropic-ratelimit-tokens-reset", "2024-07-01T00:00:12Z",
                      "anthropic-ratelimit-input-tokens-limit", "40000",
                      "anthropic-ratelimit-input-tokens-remaining", "0",
                      "anthropic-ratelimit-input-tokens-reset", "2024-07-01T00:00:30Z",
                      "anthropic-ratelimit-output-tokens-limit", "8000",
                      "anthropic-ratelimit-output-tokens-remaining", "8000",
                      "anthropic-ratelimit-output-tokens-reset", "2024-07-01T00:00:01Z", NULL}};
    struct ratelimit rl;
    CHECK(ratelimit_read(get, &h, NOW, 0, &rl));
    CHECK_EQ_INT(rl.until_ms, NOW + 30000);
    CHECK_EQ_STR(rl.exhausted, "input-tokens");
    CHECK_EQ_INT(rl.remaining_requests, 49);
    CHECK_EQ_INT(rl.remaining_tokens, 0);
    /* Past resets leave budget: the window has turned. */
    CHECK(ratelimit_read(get, &h, NOW + 60000, 0, &rl));
    CHECK_EQ_INT(rl.until_ms, 0);
}

static void anthropic_requests_used_up_without_reset(void)
{
    struct hdrs h = {{"anthropic-ratelimit-requests-remaining", "0",
                      "anthropic-ratelimit-requests-reset", "tomorrow", NULL}};
    struct ratelimit rl;
    CHECK(ratelimit_read(get, &h, NOW, 0, &rl));
    CHECK_EQ_INT(rl.until_ms, NOW + RATELIMIT_DEFAULT_WAIT_MS);
    CHECK_EQ_STR(rl.exhausted, "requests");
}

/* OpenRouter: X-RateLimit-Limit / -Remaining / -Reset (epoch milliseconds). */
static void openrouter_headers(void)
{
    struct hdrs h = {{"X-RateLimit-Limit", "20", "X-RateLimit-Remaining", "0",
                      "X-RateLimit-Reset", "1719792045000", NULL}};
    struct ratelimit rl;
    CHECK(ratelimit_read(get, &h, NOW, 0, &rl));
    CHECK_EQ_INT(rl.until_ms, NOW + 45000);
    h.kv[5] = "1719792010"; /* epoch seconds */
    ratelimit_read(get, &h, NOW, 0, &rl);
    CHECK_EQ_INT(rl.until_ms, NOW + 10000);
    h.kv[5] = "3s";
    ratelimit_read(get, &h, NOW, 0, &rl);
    CHECK_EQ_INT(rl.until_ms, NOW + 3000);
}

static void none_or_garbage(void)
{
    struct hdrs h = {{"content-type", "text/event-stream", NULL}};
    struct ratelimit rl;
    CHECK(!ratelimit_read(get, &h, NOW, 0, &rl));
    CHECK_EQ_INT(rl.until_ms, 0);
    CHECK_EQ_INT(rl.remaining_requests, -1);
    CHECK(!ratelimit_read(NULL, NULL, NOW, 0, &rl));
    struct hdrs g = {{"x-ratelimit-remaining-requests", "-3", "x-ratelimit-remaining-tokens",
                      "lots", NULL}};
    CHECK(ratelimit_read(get, &g, NOW, 0, &rl));
    CHECK_EQ_INT(rl.until_ms, 0);
    CHECK_EQ_INT(rl.remaining_tokens, -1);
}

#define TESTS(X)                                                                           \
    X(durations)                                                                           \
    X(rfc3339)                                                                             \
    X(openai_budget_left)                                                                  \
    X(openai_requests_used_up)                                                             \
    X(openai_tokens_below_need)                                                            \
    X(anthropic_headers)                                                                   \
    X(anthropic_requests_used_up_without_reset)                                            \
    X(openrouter_headers)                                                                  \
    X(none_or_garbage)
CHECK_MAIN(TESTS)
