/* stream: SSE and NDJSON incremental parsers (see stream.h). */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"

struct sse_parser {
    struct strbuf line;  /* the current, unfinished line */
    struct strbuf data;  /* data lines of the pending event, each followed by '\n' */
    struct strbuf event; /* pending `event:` name */
    int has_data;        /* a data: line was seen (data may still be empty) */
    int has_event;
    int cr_pending;      /* the last byte was '\r': a '\n' right after it is the same line end */
    size_t max;
    int stopped;         /* sticky return once the callback or a cap stopped us */
    sse_event_fn cb;
    void *ud;
};

struct sse_parser *sse_new(size_t max_event, sse_event_fn on_event, void *ud)
{
    struct sse_parser *p = xcalloc(1, sizeof(*p));
    sb_init(&p->line);
    sb_init(&p->data);
    sb_init(&p->event);
    p->max = max_event ? max_event : STREAM_MAX_EVENT;
    p->cb = on_event;
    p->ud = ud;
    return p;
}

void sse_free(struct sse_parser *p)
{
    if (!p)
        return;
    sb_release(&p->line);
    sb_release(&p->data);
    sb_release(&p->event);
    free(p);
}

static int sse_dispatch(struct sse_parser *p)
{
    int rc = 0;
    if (p->has_data) {
        /* The spec joins data lines with '\n': drop the one after the last line. */
        if (p->data.len > 0) {
            p->data.len--;
            p->data.data[p->data.len] = 0;
        }
        rc = p->cb(p->ud, p->has_event ? p->event.data : NULL, p->data.data, p->data.len);
    }
    sb_clear(&p->data);
    sb_clear(&p->event);
    p->has_data = p->has_event = 0;
    return rc;
}

static int sse_line(struct sse_parser *p)
{
    const char *s = p->line.data;
    size_t n = p->line.len;
    int rc = 0;
    if (n == 0) {
        rc = sse_dispatch(p);
    } else if (s[0] != ':') { /* lines starting with ':' are comments (keep-alives) */
        const char *colon = memchr(s, ':', n);
        size_t flen = colon ? (size_t)(colon - s) : n;
        const char *val = colon ? colon + 1 : s + n;
        size_t vlen = (size_t)(s + n - val);
        if (vlen > 0 && val[0] == ' ') {
            val++;
            vlen--;
        }
        if (flen == 4 && memcmp(s, "data", 4) == 0) {
            sb_add(&p->data, val, vlen);
            sb_addc(&p->data, '\n');
            p->has_data = 1;
        } else if (flen == 5 && memcmp(s, "error", 5) == 0) {
            /* Not an SSE field, but llama-server sends its failures as `error: {json}`: hand
             * it over as an event named "error" instead of losing it. */
            sb_add(&p->data, val, vlen);
            sb_addc(&p->data, '\n');
            p->has_data = 1;
            sb_clear(&p->event);
            sb_adds(&p->event, "error");
            p->has_event = 1;
        } else if (flen == 5 && memcmp(s, "event", 5) == 0) {
            sb_clear(&p->event);
            sb_add(&p->event, val, vlen);
            p->has_event = 1;
        }
        /* id, retry and unknown fields do not matter for one-shot completion streams. */
    }
    sb_clear(&p->line);
    return rc;
}

int sse_feed(struct sse_parser *p, const char *buf, size_t len)
{
    size_t i = 0;
    if (p->stopped)
        return p->stopped;
    while (i < len) {
        if (p->cr_pending) {
            p->cr_pending = 0;
            if (buf[i] == '\n') {
                i++;
                continue;
            }
        }
        /* Copy the run up to the next line end in one go. */
        size_t j = i;
        while (j < len && buf[j] != '\n' && buf[j] != '\r')
            j++;
        if (j > i) {
            if (p->line.len + p->data.len + (j - i) > p->max) {
                p->stopped = US_ETOOBIG;
                return p->stopped;
            }
            sb_add(&p->line, buf + i, j - i);
        }
        if (j == len)
            break;
        p->cr_pending = buf[j] == '\r';
        i = j + 1;
        int rc = sse_line(p);
        if (rc) {
            p->stopped = rc;
            return rc;
        }
    }
    return 0;
}

int sse_end(struct sse_parser *p)
{
    int rc;
    if (p->stopped)
        return p->stopped;
    if (p->line.len > 0 && (rc = sse_line(p)) != 0)
        return p->stopped = rc;
    if ((rc = sse_dispatch(p)) != 0)
        p->stopped = rc;
    return rc;
}

struct ndjson_parser {
    struct strbuf line;
    size_t max;
    int stopped;
    ndjson_line_fn cb;
    void *ud;
};

struct ndjson_parser *ndjson_new(size_t max_line, ndjson_line_fn on_line, void *ud)
{
    struct ndjson_parser *p = xcalloc(1, sizeof(*p));
    sb_init(&p->line);
    p->max = max_line ? max_line : STREAM_MAX_EVENT;
    p->cb = on_line;
    p->ud = ud;
    return p;
}

void ndjson_free(struct ndjson_parser *p)
{
    if (!p)
        return;
    sb_release(&p->line);
    free(p);
}

static int ndjson_line(struct ndjson_parser *p)
{
    size_t n = p->line.len;
    int rc = 0;
    if (n > 0 && p->line.data[n - 1] == '\r')
        n--;
    size_t k = 0;
    while (k < n && (p->line.data[k] == ' ' || p->line.data[k] == '\t'))
        k++;
    if (k < n) {
        p->line.data[n] = 0;
        rc = p->cb(p->ud, p->line.data, n);
    }
    sb_clear(&p->line);
    return rc;
}

int ndjson_feed(struct ndjson_parser *p, const char *buf, size_t len)
{
    size_t i = 0;
    if (p->stopped)
        return p->stopped;
    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t j = nl ? (size_t)(nl - buf) : len;
        if (p->line.len + (j - i) > p->max) {
            p->stopped = US_ETOOBIG;
            return p->stopped;
        }
        sb_add(&p->line, buf + i, j - i);
        if (!nl)
            break;
        i = j + 1;
        int rc = ndjson_line(p);
        if (rc)
            return p->stopped = rc;
    }
    return 0;
}

int ndjson_end(struct ndjson_parser *p)
{
    int rc;
    if (p->stopped)
        return p->stopped;
    if (p->line.len > 0 && (rc = ndjson_line(p)) != 0)
        p->stopped = rc;
    return p->stopped;
}
