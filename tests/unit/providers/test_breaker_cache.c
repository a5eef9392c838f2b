/* Breaker state machine and suggestion cache. */
#include <string.h>

#include "breaker.h"
#include "cache.h"
#include "check.h"

static const struct breaker_policy policy = {3, 5000, 300000, 0};
static const struct breaker_policy probing = {3, 5000, 300000, 2000};

static void opens_after_consecutive_failures(void)
{
    struct breaker b;
    bool probe;
    breaker_init(&b, &policy, 1);
    CHECK(breaker_allow(&b, 0, &probe) && !probe);
    breaker_failure(&b, 0, -1, "500");
    breaker_failure(&b, 10, -1, "500");
    CHECK_EQ_INT(breaker_state_at(&b, 20), BREAKER_CLOSED);
    breaker_success(&b, 30); /* a success in between resets the count */
    breaker_failure(&b, 40, -1, "500");
    breaker_failure(&b, 50, -1, "500");
    CHECK_EQ_INT(breaker_state_at(&b, 55), BREAKER_CLOSED);
    breaker_failure(&b, 60, -1, "529");
    CHECK_EQ_INT(breaker_state_at(&b, 61), BREAKER_OPEN);
    CHECK(!breaker_allow(&b, 100, &probe));
    /* 5 s +- 20 % */
    int64_t wait = breaker_retry_in_ms(&b, 60);
    CHECK(wait >= 4000 && wait <= 6000);
}

static void half_open_one_probe(void)
{
    struct breaker b;
    bool probe;
    breaker_init(&b, &policy, 7);
    for (int i = 0; i < 3; i++)
        breaker_failure(&b, 0, -1, "x");
    uint64_t later = 7000;
    CHECK_EQ_INT(breaker_state_at(&b, later), BREAKER_HALF_OPEN);
    CHECK(breaker_probe_due(&b, later));
    CHECK(breaker_allow(&b, later, &probe) && probe);
    CHECK(!breaker_allow(&b, later, &probe)); /* exactly one probe at a time */
    breaker_probe_abandoned(&b);
    CHECK(breaker_allow(&b, later, &probe) && probe);
    breaker_success(&b, later + 10);
    CHECK_EQ_INT(breaker_state_at(&b, later + 11), BREAKER_CLOSED);
}

static void cooldown_doubles_and_caps(void)
{
    struct breaker b;
    bool probe;
    breaker_init(&b, &policy, 3);
    uint64_t now = 0;
    int64_t prev = 0;
    for (int trip = 0; trip < 12; trip++) {
        if (trip == 0)
            for (int i = 0; i < 3; i++)
                breaker_failure(&b, now, -1, "x");
        else
            breaker_failure(&b, now, -1, "x"); /* the probe failed */
        int64_t w = breaker_retry_in_ms(&b, now);
        CHECK(w <= 300000);
        if (trip > 0 && trip < 5)
            CHECK(w > prev); /* doubling beats the 20 % jitter */
        prev = w;
        now += (uint64_t)w;
        CHECK(breaker_allow(&b, now, &probe) && probe);
    }
    CHECK(prev >= 240000); /* capped near the max with jitter */
}

static void rate_limit_exact_retry_after(void)
{
    struct breaker b;
    bool probe;
    breaker_init(&b, &policy, 5);
    breaker_rate_limited(&b, 1000, 2000, "429");
    CHECK_EQ_INT(breaker_state_at(&b, 1001), BREAKER_OPEN);
    CHECK_EQ_INT(breaker_retry_in_ms(&b, 1000), 2000);
    CHECK(!breaker_allow(&b, 2999, &probe));
    CHECK(breaker_allow(&b, 3000, &probe) && probe);
    /* Retry-After longer than the cooldown wins for ordinary failures too. */
    breaker_init(&b, &policy, 5);
    for (int i = 0; i < 3; i++)
        breaker_failure(&b, 0, 60000, "503");
    CHECK(breaker_retry_in_ms(&b, 0) >= 60000);
    /* and is capped */
    breaker_rate_limited(&b, 0, 10000000, "429");
    CHECK_EQ_INT(breaker_retry_in_ms(&b, 0), 300000);
}

static void disabled_until_reset(void)
{
    struct breaker b;
    bool probe;
    breaker_init(&b, &policy, 9);
    breaker_disable(&b, "401: check OPENAI_API_KEY");
    CHECK(!breaker_allow(&b, 1000000, &probe));
    CHECK_EQ_INT(breaker_retry_in_ms(&b, 0), -1);
    breaker_success(&b, 0); /* a late success from before does not re-enable it */
    CHECK_EQ_INT(breaker_state_at(&b, 0), BREAKER_DISABLED);
    breaker_reset(&b);
    CHECK(breaker_allow(&b, 0, &probe) && !probe);
}

static void cache_exact_and_ttl(void)
{
    struct cache *c = cache_new(4, 1 << 20, 300);
    struct cache_key k = cache_key_of("python", "def f(a, b):\n    ", 17, "\n", 1);
    cache_put(c, k, "return a + b", 12, "claude", 1000);
    struct cache_hit hit;
    CHECK(cache_get(c, k, 2000, false, &hit));
    CHECK_EQ_STR(hit.text, "return a + b");
    CHECK_EQ_STR(hit.source, "claude");
    /* Different language or suffix: different key. */
    struct cache_key k2 = cache_key_of("c", "def f(a, b):\n    ", 17, "\n", 1);
    CHECK(!cache_get(c, k2, 2000, false, &hit));
    /* Expired: only stale-if-error sees it. */
    CHECK(!cache_get(c, k, 1000 + 301000, false, &hit));
    CHECK(cache_get(c, k, 1000 + 301000, true, &hit) && hit.stale);
    cache_free(c);
}

static void cache_lru_and_caps(void)
{
    struct cache *c = cache_new(3, 1 << 20, 300);
    struct cache_key keys[5];
    for (int i = 0; i < 5; i++) {
        char p[16];
        snprintf(p, sizeof p, "p%d", i);
        keys[i] = cache_key_of("c", p, strlen(p), "", 0);
    }
    struct cache_hit hit;
    cache_put(c, keys[0], "a", 1, "x", 0);
    cache_put(c, keys[1], "b", 1, "x", 0);
    cache_put(c, keys[2], "c", 1, "x", 0);
    CHECK(cache_get(c, keys[0], 0, false, &hit)); /* 0 is now most recent */
    cache_put(c, keys[3], "d", 1, "x", 0);        /* evicts 1, the least recent */
    CHECK(!cache_get(c, keys[1], 0, false, &hit));
    CHECK(cache_get(c, keys[0], 0, false, &hit));
    CHECK_EQ_INT(cache_count(c), 3);
    /* Byte cap. */
    cache_resize(c, 100, 200, 300);
    char big[150];
    memset(big, 'x', sizeof big);
    cache_put(c, keys[4], big, sizeof big, "x", 0);
    CHECK(cache_bytes(c) <= 200);
    cache_free(c);
}

/* Issue 18 item 3: while open, a background probe is due every probe_ms (not only after the
 * doubling cooldown); a failed one keeps it open and schedules the next; a success closes it. */
static void interval_probes_while_open(void)
{
    struct breaker b;
    bool probe;
    breaker_init(&b, &probing, 5);
    for (int i = 0; i < 3; i++)
        breaker_failure(&b, 0, -1, "refused");
    CHECK_EQ_INT(breaker_state_at(&b, 1), BREAKER_OPEN);
    CHECK(!breaker_bg_probe_due(&b, 1999));
    CHECK(breaker_bg_probe_due(&b, 2000));
    CHECK_EQ_INT(breaker_next_event_ms(&b), 2000);
    CHECK(!breaker_allow(&b, 2000, &probe)); /* user requests still skip it */
    breaker_probe_take(&b);
    CHECK(!breaker_bg_probe_due(&b, 2001)); /* one at a time */
    breaker_failure(&b, 2100, -1, "refused"); /* the probe failed: open, next probe later */
    CHECK_EQ_INT(breaker_state_at(&b, 2101), BREAKER_OPEN);
    CHECK_EQ_INT(b.trips, 1);                /* the cooldown did not grow */
    CHECK(!breaker_bg_probe_due(&b, 4000));
    CHECK(breaker_bg_probe_due(&b, 4100));
    breaker_probe_take(&b);
    breaker_success(&b, 4200);
    CHECK_EQ_INT(breaker_state_at(&b, 4201), BREAKER_CLOSED);
    /* A 429 with Retry-After: no probe before the provider said. */
    breaker_rate_limited(&b, 10000, 30000, "429");
    CHECK(!breaker_bg_probe_due(&b, 20000));
    CHECK(breaker_bg_probe_due(&b, 40000)); /* half_open */
}

/* Issue 14: the same 400 three times in a row -> rejected (no user requests, probe every
 * 10 min); a different one in between restarts the count; a success ends it. */
static void rejected_after_same_rejection(void)
{
    struct breaker b;
    bool probe;
    breaker_init(&b, &policy, 9);
    CHECK(!breaker_rejected(&b, 0, 400, "bad stop"));
    CHECK(!breaker_rejected(&b, 1, 404, "no model")); /* different: count restarts */
    CHECK(!breaker_rejected(&b, 2, 400, "bad stop"));
    CHECK(!breaker_rejected(&b, 3, 400, "bad stop"));
    CHECK_EQ_INT(breaker_state_at(&b, 4), BREAKER_CLOSED);
    CHECK(breaker_allow(&b, 4, &probe));
    CHECK(breaker_rejected(&b, 5, 400, "bad stop")); /* third in a row */
    CHECK_EQ_INT(breaker_state_at(&b, 6), BREAKER_REJECTED);
    CHECK_EQ_STR(breaker_state_name(BREAKER_REJECTED), "rejected");
    CHECK_EQ_STR(b.reason, "bad stop");
    CHECK(!breaker_allow(&b, 7, &probe));
    CHECK(!breaker_bg_probe_due(&b, 5 + BREAKER_REJECT_PROBE_MS - 1));
    CHECK(breaker_bg_probe_due(&b, 5 + BREAKER_REJECT_PROBE_MS));
    breaker_probe_take(&b);
    CHECK(!breaker_rejected(&b, 700000, 400, "bad stop")); /* still: next probe in 10 min */
    CHECK_EQ_INT(breaker_state_at(&b, 700001), BREAKER_REJECTED);
    CHECK(!breaker_bg_probe_due(&b, 700001));
    CHECK(breaker_bg_probe_due(&b, 700000 + BREAKER_REJECT_PROBE_MS));
    breaker_probe_take(&b);
    breaker_failure(&b, 1400000, -1, "timed out"); /* a probe timing out stays rejected */
    CHECK_EQ_INT(breaker_state_at(&b, 1400001), BREAKER_REJECTED);
    CHECK(!breaker_bg_probe_due(&b, 1400001));
    breaker_success(&b, 2100000);
    CHECK_EQ_INT(breaker_state_at(&b, 2100001), BREAKER_CLOSED);
    CHECK_EQ_INT(b.rejections, 0);
}

/* Issue 18 item 6: a refused key that worked: open 30 s, 60 s, ... capped at 10 min. */
static void auth_trouble_doubles_to_ten_minutes(void)
{
    struct breaker b;
    breaker_init(&b, &policy, 11);
    uint64_t now = 0;
    int64_t expect[] = {30000, 60000, 120000, 240000, 480000, 600000, 600000};
    for (int i = 0; i < 7; i++) {
        breaker_auth_trouble(&b, now, "401");
        CHECK_EQ_INT(breaker_state_at(&b, now), BREAKER_OPEN);
        CHECK_EQ_INT(breaker_retry_in_ms(&b, now), expect[i]);
        now += (uint64_t)expect[i];
        CHECK(breaker_bg_probe_due(&b, now)); /* half_open: the background probe */
    }
    breaker_success(&b, now);
    breaker_auth_trouble(&b, now, "401");
    CHECK_EQ_INT(breaker_retry_in_ms(&b, now), 30000); /* a success starts over */
}

/* Issue 18 item 4: a spent budget reads rate_limited until the reset, then closed. */
static void budget_spent_until_reset(void)
{
    struct breaker b;
    bool probe;
    breaker_init(&b, &policy, 13);
    breaker_budget_spent(&b, 100, 5100, "no requests left");
    CHECK_EQ_INT(breaker_state_at(&b, 101), BREAKER_RATE_LIMITED);
    CHECK_EQ_STR(breaker_state_name(BREAKER_RATE_LIMITED), "rate_limited");
    CHECK_EQ_INT(breaker_retry_in_ms(&b, 1100), 4000);
    CHECK(!breaker_allow(&b, 1100, &probe));
    CHECK(!breaker_bg_probe_due(&b, 1100));
    CHECK_EQ_INT(breaker_next_event_ms(&b), 5100);
    CHECK_EQ_INT(breaker_state_at(&b, 5100), BREAKER_CLOSED);
    CHECK(breaker_allow(&b, 5100, &probe) && !probe);
    /* Only a closed breaker turns rate_limited; an open one stays open. */
    for (int i = 0; i < 3; i++)
        breaker_failure(&b, 6000, -1, "x");
    breaker_budget_spent(&b, 6001, 9000, "spent");
    CHECK_EQ_INT(breaker_state_at(&b, 6002), BREAKER_OPEN);
}

static void cache_typing_through(void)
{
    struct cache *c = cache_new(16, 1 << 20, 300);
    const char *prefix = "def add(a, b):\n    ";
    const char *suffix = "\n\nprint(add(1, 2))\n";
    cache_put(c, cache_key_of("python", prefix, strlen(prefix), suffix, strlen(suffix)),
              "return a + b", 12, "gpt", 0);
    char typed[64];
    snprintf(typed, sizeof typed, "%sret", prefix);
    struct cache_hit hit;
    CHECK(cache_type_through(c, "python", typed, strlen(typed), suffix, strlen(suffix), 10, &hit));
    CHECK_EQ_INT(hit.len, 9);
    CHECK(memcmp(hit.text, "urn a + b", 9) == 0);
    CHECK_EQ_STR(hit.source, "gpt");
    /* Typed something else: no hit. */
    snprintf(typed, sizeof typed, "%sx", prefix);
    CHECK(!cache_type_through(c, "python", typed, strlen(typed), suffix, strlen(suffix), 10, &hit));
    /* Typed all of it: nothing left to serve. */
    snprintf(typed, sizeof typed, "%sreturn a + b", prefix);
    CHECK(!cache_type_through(c, "python", typed, strlen(typed), suffix, strlen(suffix), 10, &hit));
    cache_free(c);
}

/* The editor auto-closed what the user typed: "print(" is followed by ")" that was not there
 * when the suggestion was made. The suggestion still serves, without the closer it already has. */
static void cache_typing_through_autoclosed(void)
{
    struct cache *c = cache_new(16, 1 << 20, 300);
    const char *prefix = "def add(a, b):\n    ";
    const char *suffix = "\n";
    const char *text = "print(f\"{a}\", [a, b])";
    cache_put(c, cache_key_of("python", prefix, strlen(prefix), suffix, strlen(suffix)), text,
              strlen(text), "gpt", 0);
    struct cache_hit hit;
    char typed[128], suf[64];
#define TT(t, s) (snprintf(typed, sizeof typed, "%s%s", prefix, t), snprintf(suf, sizeof suf, "%s", s), \
                  cache_type_through(c, "python", typed, strlen(typed), suf, strlen(suf), 10, &hit))
    CHECK(TT("print(", ")\n"));
    CHECK_EQ_INT(hit.len, strlen("f\"{a}\", [a, b]"));
    CHECK(memcmp(hit.text, "f\"{a}\", [a, b]", hit.len) == 0);
    /* Quote and bracket both auto-closed: the rest ends with "])", not with the '")' after
     * the cursor, so serving it would double them; a new request is made instead. */
    CHECK(!TT("print(f\"", "\")\n"));
    CHECK(TT("print(f\"{a}\", [", "])\n"));
    CHECK(memcmp(hit.text, "a, b", hit.len) == 0 && hit.len == 4);
    /* Typed over the editor's "]": only ")" is left, and it is already there. */
    CHECK(!TT("print(f\"{a}\", [a, b]", ")\n"));
    CHECK(TT("print(", "\n"));                        /* no auto-close: the plain rest */
    CHECK(memcmp(hit.text, "f\"{a}\", [a, b])", hit.len) == 0);
    CHECK(!TT("print(", "]\n"));                      /* not the closer of what was typed */
    CHECK(!TT("print(", ") + 1\n"));                  /* more than the closer changed */
#undef TT
    CHECK_EQ_INT(cache_autoclosed("f(x, \"", 6, "\")", 2), 2);
    CHECK_EQ_INT(cache_autoclosed("it's (", 6, ")", 1), 1);  /* an apostrophe opens nothing */
    CHECK_EQ_INT(cache_autoclosed("(a)", 3, ")", 1), 0);
    cache_free(c);
}

#define TESTS(X)                                                                        \
    X(opens_after_consecutive_failures) X(half_open_one_probe) X(cooldown_doubles_and_caps) \
    X(rate_limit_exact_retry_after) X(disabled_until_reset) X(cache_exact_and_ttl)       \
    X(cache_lru_and_caps) X(cache_typing_through) X(cache_typing_through_autoclosed)     \
    X(interval_probes_while_open) X(rejected_after_same_rejection)                        \
    X(auth_trouble_doubles_to_ten_minutes) X(budget_spent_until_reset)
CHECK_MAIN(TESTS)
