/* ratelimit: see ratelimit.h. */
#include "ratelimit.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* A non-negative integer header; -1 when absent or not a number. */
static int64_t count_value(const char *v)
{
    if (!v)
        return -1;
    v = skip_ws(v);
    if (!isdigit((unsigned char)*v))
        return -1;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (*skip_ws(end) != 0 || n < 0)
        return -1;
    return (int64_t)n;
}

int64_t ratelimit_duration_ms(const char *s)
{
    if (!s)
        return -1;
    s = skip_ws(s);
    if (!*s)
        return -1;
    double total_ms = 0;
    bool any = false;
    while (*s && *s != ' ' && *s != '\t') {
        if (!isdigit((unsigned char)*s) && *s != '.')
            return -1;
        char *end;
        double n = strtod(s, &end);
        if (end == s || n < 0)
            return -1;
        s = end;
        double unit;
        if (strncmp(s, "ms", 2) == 0) {
            unit = 1, s += 2;
        } else if (strncmp(s, "us", 2) == 0 || strncmp(s, "\xc2\xb5s", 3) == 0) {
            unit = 0.001, s += (*s == 'u' ? 2 : 3);
        } else if (strncmp(s, "ns", 2) == 0) {
            unit = 0.000001, s += 2;
        } else if (*s == 'h') {
            unit = 3600000, s++;
        } else if (*s == 'm') {
            unit = 60000, s++;
        } else if (*s == 's') {
            unit = 1000, s++;
        } else if (*s == 0 && !any) {
            unit = 1000; /* a bare number: seconds */
        } else {
            return -1;
        }
        total_ms += n * unit;
        any = true;
    }
    if (*skip_ws(s) != 0 || !any || total_ms > 1e12)
        return -1;
    int64_t ms = (int64_t)total_ms;
    if ((double)ms < total_ms)
        ms++; /* never come back early */
    return ms;
}

int64_t ratelimit_rfc3339_ms(const char *s)
{
    if (!s)
        return -1;
    s = skip_ws(s);
    int y, mo, d, h, mi, sec, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return -1;
    s += n;
    if (*s != 'T' && *s != 't' && *s != ' ')
        return -1;
    s++;
    if (sscanf(s, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 || n != 8)
        return -1;
    s += n;
    double frac = 0;
    if (*s == '.') {
        char *end;
        frac = strtod(s, &end);
        if (end == s + 1)
            return -1;
        s = end;
    }
    int offset_min = 0;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int oh, om;
        if (sscanf(s + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5)
            return -1;
        offset_min = (oh * 60 + om) * (*s == '-' ? -1 : 1);
        s += 1 + n;
    } else {
        return -1;
    }
    if (*skip_ws(s) != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60)
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    return ((int64_t)t - (int64_t)offset_min * 60) * 1000 + (int64_t)(frac * 1000);
}

/* OpenRouter's bare reset: epoch ms, epoch s, or a duration. Absolute ms, -1 if unreadable. */
static int64_t reset_any(const char *v, int64_t now_ms)
{
    int64_t n = count_value(v);
    if (n >= 100000000000LL) /* after 1973 in ms */
        return n;
    if (n >= 1000000000LL) /* after 2001 in s */
        return n * 1000;
    int64_t d = ratelimit_duration_ms(v);
    return d < 0 ? -1 : now_ms + d;
}

enum reset_form { RESET_RFC3339, RESET_DURATION, RESET_ANY };

struct dim {
    const char *name;      /* reported in out->exhausted */
    const char *remaining; /* header names */
    const char *reset;
    const char *limit;
    bool tokens;
    enum reset_form form;
};

static const struct dim dims[] = {
    {"requests", "anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset",
     "anthropic-ratelimit-requests-limit", false, RESET_RFC3339},
    {"tokens", "anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset",
     "anthropic-ratelimit-tokens-limit", true, RESET_RFC3339},
    {"input-tokens", "anthropic-ratelimit-input-tokens-remaining",
     "anthropic-ratelimit-input-tokens-reset", "anthropic-ratelimit-input-tokens-limit", true,
     RESET_RFC3339},
    {"output-tokens", "anthropic-ratelimit-output-tokens-remaining",
     "anthropic-ratelimit-output-tokens-reset", "anthropic-ratelimit-output-tokens-limit", true,
     RESET_RFC3339},
    {"requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
     "x-ratelimit-limit-requests", false, RESET_DURATION},
    {"tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens",
     "x-ratelimit-limit-tokens", true, RESET_DURATION},
    {"requests", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-limit", false,
     RESET_ANY},
};

bool ratelimit_read(prov_header_fn header, void *ud, int64_t now_ms, int64_t min_tokens,
                    struct ratelimit *out)
{
    memset(out, 0, sizeof(*out));
    out->remaining_requests = -1;
    out->remaining_tokens = -1;
    if (!header)
        return false;
    for (size_t i = 0; i < US_ARRAY_LEN(dims); i++) {
        const struct dim *dm = &dims[i];
        const char *rem_v = header(ud, dm->remaining);
        const char *reset_v = header(ud, dm->reset);
        if (rem_v || reset_v || header(ud, dm->limit))
            out->seen = true;
        int64_t rem = count_value(rem_v);
        if (rem < 0)
            continue;
        if (dm->tokens) {
            if (out->remaining_tokens < 0 || rem < out->remaining_tokens)
                out->remaining_tokens = rem;
        } else if (out->remaining_requests < 0 || rem < out->remaining_requests) {
            out->remaining_requests = rem;
        }
        bool used_up = rem == 0 || (dm->tokens && min_tokens > 0 && rem < min_tokens);
        if (!used_up)
            continue;
        int64_t at = -1;
        if (dm->form == RESET_RFC3339) {
            at = ratelimit_rfc3339_ms(reset_v);
        } else if (dm->form == RESET_DURATION) {
            int64_t d = ratelimit_duration_ms(reset_v);
            at = d < 0 ? -1 : now_ms + d;
        } else {
            at = reset_any(reset_v, now_ms);
        }
        if (at < 0)
            at = now_ms + RATELIMIT_DEFAULT_WAIT_MS;
        if (at <= now_ms)
            continue; /* the window has turned already */
        if (at > now_ms + RATELIMIT_CAP_MS)
            at = now_ms + RATELIMIT_CAP_MS;
        if (at > out->until_ms) {
            out->until_ms = at;
            snprintf(out->exhausted, sizeof(out->exhausted), "%s", dm->name);
        }
    }
    return out->seen;
}
