/* retry_after: parse every Retry-After form providers send (see retry_after.h). */
#include "retry_after.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

static int64_t cap(double ms)
{
    if (!(ms >= 0)) /* also rejects NaN */
        return -1;
    if (ms > (double)RETRY_AFTER_CAP_MS)
        return RETRY_AFTER_CAP_MS;
    return (int64_t)ceil(ms);
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* A plain non-negative decimal number filling the whole (trimmed) string. */
static int parse_number(const char *s, double *out, const char **rest)
{
    s = skip_ws(s);
    if (!isdigit((unsigned char)*s) && !(*s == '.' && isdigit((unsigned char)s[1])))
        return -1;
    char *end;
    double v = strtod(s, &end);
    if (end == s)
        return -1;
    *out = v;
    *rest = end;
    return 0;
}

static int month_index(const char *m)
{
    static const char *const names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
    for (int i = 0; i < 12; i++)
        if (strncasecmp(m, names[i], 3) == 0)
            return i;
    return -1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian); avoids timegm's portability doubts. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The three HTTP-date forms (RFC 9110 §5.6.7), all GMT:
 *   Sun, 06 Nov 1994 08:49:37 GMT     IMF-fixdate
 *   Sunday, 06-Nov-94 08:49:37 GMT    RFC 850
 *   Sun Nov  6 08:49:37 1994          asctime */
static int parse_http_date(const char *s, time_t *out)
{
    char wk[16], mon[4];
    int d, y, hh, mm, ss, n = 0;
    s = skip_ws(s);
    if (sscanf(s, "%15[A-Za-z], %d %3s %d %d:%d:%d GMT%n", wk, &d, mon, &y, &hh, &mm, &ss, &n) ==
            7 && n > 0) {
    } else if (n = 0, sscanf(s, "%15[A-Za-z], %d-%3s-%d %d:%d:%d GMT%n", wk, &d, mon, &y, &hh, &mm,
                             &ss, &n) == 7 && n > 0) {
        if (y < 100) /* RFC 9110: a two-digit year more than 50 years ahead is in the past */
            y += y < 70 ? 2000 : 1900;
    } else if (n = 0, sscanf(s, "%15[A-Za-z] %3s %d %d:%d:%d %d%n", wk, mon, &d, &hh, &mm, &ss,
                             &y, &n) == 7 && n > 0) {
    } else {
        return -1;
    }
    if (*skip_ws(s + n) != 0)
        return -1;
    int m = month_index(mon);
    if (m < 0 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 || y < 1970 || hh < 0 ||
        mm < 0 || ss < 0)
        return -1;
    *out = (time_t)(days_from_civil(y, m + 1, d) * 86400 + hh * 3600 + mm * 60 + ss);
    return 0;
}

double retry_after_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t retry_after_parse(const char *value, double now)
{
    if (!value)
        return -1;
    double secs;
    const char *rest;
    if (parse_number(value, &secs, &rest) == 0) {
        if (*skip_ws(rest) != 0)
            return -1;
        return cap(secs * 1000.0);
    }
    time_t when;
    if (parse_http_date(value, &when) < 0)
        return -1;
    if ((double)when <= now)
        return 0;
    return cap(((double)when - now) * 1000.0);
}

int64_t retry_after_ms_parse(const char *value)
{
    if (!value)
        return -1;
    double ms;
    const char *rest;
    if (parse_number(value, &ms, &rest) < 0 || *skip_ws(rest) != 0)
        return -1;
    return cap(ms);
}

int64_t retry_after_duration(const char *value)
{
    if (!value)
        return -1;
    double v;
    const char *rest;
    if (parse_number(value, &v, &rest) < 0)
        return -1;
    double scale;
    if (strcmp(rest, "s") == 0)
        scale = 1000.0;
    else if (strcmp(rest, "ms") == 0)
        scale = 1.0;
    else if (strcmp(rest, "m") == 0)
        scale = 60000.0;
    else
        return -1;
    return cap(v * scale);
}

static int64_t find_delay(json_t *j, int depth)
{
    if (depth > 8)
        return -1;
    if (json_is_object(j)) {
        json_t *d = json_object_get(j, "retryDelay");
        if (json_is_string(d)) {
            int64_t ms = retry_after_duration(json_string_value(d));
            if (ms >= 0)
                return ms;
        }
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v) {
            int64_t ms = find_delay(v, depth + 1);
            if (ms >= 0)
                return ms;
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) {
            int64_t ms = find_delay(v, depth + 1);
            if (ms >= 0)
                return ms;
        }
    }
    return -1;
}

int64_t retry_after_from_body(const char *body, size_t len)
{
    if (!body || len == 0)
        return -1;
    json_t *j = json_loadb(body, len, 0, NULL);
    if (!j)
        return -1;
    int64_t ms = find_delay(j, 0);
    json_decref(j);
    return ms;
}

int64_t retry_after_from_headers(prov_header_fn header, void *ud, double now)
{
    if (!header)
        return -1;
    int64_t ms = retry_after_ms_parse(header(ud, "retry-after-ms"));
    if (ms >= 0)
        return ms;
    return retry_after_parse(header(ud, "retry-after"), now);
}
