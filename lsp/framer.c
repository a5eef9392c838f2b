/* framer: Content-Length message splitting with caps. */
#include "framer.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct framer {
    struct strbuf in;
    size_t max_body;
    size_t consumed;   /* bytes of `in` already handed out (dropped lazily) */
    size_t skip_body;  /* bytes of an oversized body still to discard */
    bool resync;       /* after a bad header: skip to the next "Content-Length:" line */
};

struct framer *framer_new(size_t max_body)
{
    struct framer *fr = xcalloc(1, sizeof(*fr));
    sb_init(&fr->in);
    fr->max_body = max_body ? max_body : FRAMER_DEFAULT_MAX_BODY;
    return fr;
}

void framer_free(struct framer *fr)
{
    if (!fr)
        return;
    sb_release(&fr->in);
    free(fr);
}

static void compact(struct framer *fr)
{
    if (fr->consumed) {
        sb_consume(&fr->in, fr->consumed);
        fr->consumed = 0;
    }
}

void framer_feed(struct framer *fr, const char *buf, size_t len)
{
    compact(fr);
    if (fr->skip_body) {
        size_t drop = US_MIN(fr->skip_body, len);
        fr->skip_body -= drop;
        buf += drop;
        len -= drop;
    }
    sb_add(&fr->in, buf, len);
}

/* Find the end of the header block ("\r\n\r\n"; a bare "\n\n" is accepted too because some
 * hand-written clients send it). Returns the offset just past it, or 0. */
static size_t header_end(const char *p, size_t n, size_t *hdr_len)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] == '\n' && p[i + 1] == '\n') {
            *hdr_len = i;
            return i + 2;
        }
        if (i + 3 < n && p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n') {
            *hdr_len = i;
            return i + 4;
        }
    }
    return 0;
}

/* Parse the header block; returns the content length or -1 with *why set. */
static long long parse_headers(const char *p, size_t n, const char **why)
{
    long long length = -1;
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && p[e] != '\n')
            e++;
        size_t line_end = e;
        if (line_end > i && p[line_end - 1] == '\r')
            line_end--;
        const char *line = p + i;
        size_t ll = line_end - i;
        if (ll > 0) {
            const char *colon = memchr(line, ':', ll);
            if (!colon) {
                *why = "header line without ':'";
                return -1;
            }
            size_t nl = (size_t)(colon - line);
            if (nl == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
                const char *v = colon + 1, *end = line + ll;
                while (v < end && (*v == ' ' || *v == '\t'))
                    v++;
                if (v == end || !isdigit((unsigned char)*v)) {
                    *why = "Content-Length is not a non-negative number";
                    return -1;
                }
                long long val = 0;
                while (v < end && isdigit((unsigned char)*v)) {
                    val = val * 10 + (*v - '0');
                    if (val > (1LL << 40)) {
                        *why = "Content-Length is absurdly large";
                        return -2;
                    }
                    v++;
                }
                while (v < end && (*v == ' ' || *v == '\t'))
                    v++;
                if (v != end) {
                    *why = "Content-Length is not a number";
                    return -1;
                }
                length = val;
            }
            /* Content-Type and unknown headers are accepted and ignored. */
        }
        i = e + 1;
    }
    if (length < 0)
        *why = "missing Content-Length header";
    return length;
}

/* After a malformed header the body that followed it is garbage to us: look for the start of
 * the next message, "Content-Length:" (bodies are not newline-terminated, so it may follow the
 * garbage directly). Returns false (keeping a possible partial match) when it is not in the
 * buffer yet. */
static bool resync(struct framer *fr)
{
    static const char key[] = "content-length:";
    const size_t klen = sizeof(key) - 1;
    const char *p = fr->in.data + fr->consumed;
    size_t n = fr->in.len - fr->consumed;
    for (size_t i = 0; i < n; i++) {
        size_t have = US_MIN(klen, n - i);
        if (strncasecmp(p + i, key, have) != 0)
            continue;
        fr->consumed += i;
        if (have < klen)
            return false; /* a prefix of the header name at the end: wait for more */
        fr->resync = false;
        return true;
    }
    fr->consumed = fr->in.len;
    return false;
}

int framer_next(struct framer *fr, const char **body, size_t *len, const char **why)
{
    if (fr->resync && !resync(fr))
        return 0;
    const char *p = fr->in.data + fr->consumed;
    size_t n = fr->in.len - fr->consumed;
    size_t hdr_len = 0;
    size_t start = header_end(p, n, &hdr_len);
    if (!start) {
        if (n > FRAMER_MAX_HEADER) {
            /* No header terminator in a huge run of bytes: drop it all, resync later. */
            fr->consumed = fr->in.len;
            *why = "header block too large or missing terminator";
            return US_ETOOBIG;
        }
        return 0;
    }
    if (hdr_len > FRAMER_MAX_HEADER) {
        fr->consumed += start;
        *why = "header block too large";
        return US_ETOOBIG;
    }
    long long clen = parse_headers(p, hdr_len, why);
    if (clen == -1) {
        fr->consumed += start;
        fr->resync = true;
        return US_EPARSE;
    }
    if (clen == -2 || (unsigned long long)clen > fr->max_body) {
        size_t have = n - start;
        if (clen != -2 && (unsigned long long)clen > have)
            fr->skip_body = (size_t)clen - have;
        else if (clen != -2)
            have = (size_t)clen;
        fr->consumed += start + have;
        *why = "message body exceeds the size cap";
        return US_ETOOBIG;
    }
    if (n - start < (size_t)clen)
        return 0;
    *body = p + start;
    *len = (size_t)clen;
    fr->consumed += start + (size_t)clen;
    return 1;
}
