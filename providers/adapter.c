/* adapter: the pieces every provider adapter shares (see adapter_int.h). */
#include "adapter_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "retry_after.h"

/* ---------------------------------------------------------------- outcomes */

/* A provider's message is untrusted text that may echo part of a credential ("Incorrect API
 * key provided: sk-..."): flatten control characters and mask every long token that mixes
 * letters and digits, then let the log redactor mask registered keys. */
static void sanitize(char *dst, size_t cap, const char *src)
{
    struct strbuf sb;
    sb_init(&sb);
    for (const char *p = src; *p;) {
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p)) {
            if (sb.len && sb.data[sb.len - 1] != ' ')
                sb_addc(&sb, ' ');
            p++;
            continue;
        }
        const char *w = p;
        int alpha = 0, digit = 0;
        while (*p && !isspace((unsigned char)*p) && !iscntrl((unsigned char)*p)) {
            alpha |= isalpha((unsigned char)*p) != 0;
            digit |= isdigit((unsigned char)*p) != 0;
            p++;
        }
        size_t n = (size_t)(p - w);
        if (n >= 20 && alpha && digit)
            sb_adds(&sb, "[redacted]");
        else
            sb_add(&sb, w, n);
    }
    log_redact(&sb);
    while (sb.len && sb.data[sb.len - 1] == ' ')
        sb.data[--sb.len] = 0;
    size_t n = sb.len < cap - 1 ? sb.len : cap - 1;
    /* Do not cut a UTF-8 sequence in half. */
    if (n < sb.len)
        while (n > 0 && ((unsigned char)sb.data[n] & 0xC0) == 0x80)
            n--;
    memcpy(dst, sb.data, n);
    dst[n] = 0;
    sb_release(&sb);
}

void prov__outcome_set(struct prov_outcome *out, enum prov_outcome_kind kind, int status,
                       const char *fmt, ...)
{
    char raw[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    out->kind = kind;
    out->http_status = status;
    out->retry_after_ms = -1;
    out->should_retry_false = false;
    out->context_too_long = false;
    sanitize(out->message, sizeof(out->message), raw);
}

static bool has(const char *hay, const char *needle)
{
    return hay && strcasestr(hay, needle) != NULL;
}

static bool mentions_context_too_long(const char *s)
{
    static const char *const phrases[] = {
        "context_length_exceeded", "exceed_context_size", "context length", "context window",
        "maximum context", "prompt is too long", "too many tokens", "input is too long",
        "request_too_large", "tokens exceeds", "exceeds the maximum", "too large", NULL};
    for (int i = 0; phrases[i]; i++)
        if (has(s, phrases[i]))
            return true;
    return false;
}

/* The fields every provider's error body uses, whatever its shape. */
struct err_fields {
    const char *message, *type, *code, *status;
    char codebuf[24];
    int numeric_code;
};

static void read_error(json_t *root, struct err_fields *f)
{
    memset(f, 0, sizeof(*f));
    if (json_is_array(root)) /* Gemini without alt=sse wraps responses in an array */
        root = json_array_get(root, 0);
    if (!json_is_object(root))
        return;
    json_t *e = json_object_get(root, "error");
    if (json_is_string(e)) { /* Ollama: {"error":"..."} */
        f->message = json_string_value(e);
        return;
    }
    json_t *src = json_is_object(e) ? e : root;
    f->message = json_string_value(json_object_get(src, "message"));
    f->type = json_string_value(json_object_get(src, "type"));
    f->status = json_string_value(json_object_get(src, "status"));
    json_t *code = json_object_get(src, "code");
    if (json_is_string(code)) {
        f->code = json_string_value(code);
    } else if (json_is_integer(code)) {
        f->numeric_code = (int)json_integer_value(code);
        snprintf(f->codebuf, sizeof(f->codebuf), "%d", f->numeric_code);
    }
    if (!f->message) { /* Mistral 422: {"detail":[{"msg":...}]} or {"detail":"..."} */
        json_t *d = json_object_get(root, "detail");
        if (json_is_string(d))
            f->message = json_string_value(d);
        else if (json_is_array(d))
            f->message = json_string_value(json_object_get(json_array_get(d, 0), "msg"));
    }
}

static bool any_is(const struct err_fields *f, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if ((f->type && strcasecmp(f->type, names[i]) == 0) ||
            (f->code && strcasecmp(f->code, names[i]) == 0) ||
            (f->status && strcasecmp(f->status, names[i]) == 0))
            return true;
    return false;
}

static const char *const auth_names[] = {
    "insufficient_quota", "billing_error", "billing_not_active", "authentication_error",
    "permission_error", "invalid_api_key", "PERMISSION_DENIED", "UNAUTHENTICATED",
    "access_terminated", NULL};
static const char *const rate_names[] = {"rate_limit_error", "rate_limit_exceeded", "rate_limited",
                                         "RESOURCE_EXHAUSTED", "too_many_requests", NULL};
static const char *const server_names[] = {"overloaded_error", "api_error", "server_error",
                                           "timeout_error", "unavailable_error", "UNAVAILABLE",
                                           "INTERNAL", "DEADLINE_EXCEEDED", NULL};

static enum prov_outcome_kind kind_for_status(int status)
{
    if (status == 401 || status == 403 || status == 402)
        return PROV_OUT_AUTH;
    if (status == 429)
        return PROV_OUT_RATE_LIMITED;
    if (status == 408 || status == 409 || status >= 500)
        return PROV_OUT_SERVER;
    if (status >= 400)
        return PROV_OUT_BAD_REQUEST;
    return PROV_OUT_MALFORMED; /* a redirect or an unexpected 1xx/2xx here */
}

/* The <title> of an HTML error page (proxies, CDNs), for a readable message. */
static void html_title(const char *body, size_t len, char *dst, size_t cap)
{
    dst[0] = 0;
    const char *t = body ? strcasestr(body, "<title>") : NULL;
    if (!t || (size_t)(t - body) >= len)
        return;
    t += 7;
    const char *e = strcasestr(t, "</title>");
    if (!e)
        return;
    size_t n = (size_t)(e - t);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, t, n);
    dst[n] = 0;
}

void prov__classify(int status, prov_header_fn header, void *ud, const char *body,
                    size_t body_len, struct prov_outcome *out)
{
    enum prov_outcome_kind kind = kind_for_status(status);
    json_t *root = body && body_len ? json_loadb(body, body_len, 0, NULL) : NULL;
    struct err_fields f;
    read_error(root, &f);
    const char *detail = f.message;
    char title[96];
    if (!root) {
        html_title(body, body_len, title, sizeof(title));
        detail = title[0] ? title : NULL;
    }

    /* The body refines the status: a 429 for an exhausted quota is a billing problem, a 400
     * for a bad key is an auth problem, and gateways put the real cause in the type/code. */
    bool too_long = status == 413 || mentions_context_too_long(f.message) ||
                    mentions_context_too_long(f.type) || mentions_context_too_long(f.code);
    if (any_is(&f, auth_names) || has(body, "API_KEY_INVALID") ||
        (f.status && strcmp(f.status, "FAILED_PRECONDITION") == 0))
        kind = PROV_OUT_AUTH;
    else if (status >= 400 && status < 500 && status != 408 && status != 409 && too_long)
        kind = PROV_OUT_BAD_REQUEST;
    else if (any_is(&f, rate_names))
        kind = PROV_OUT_RATE_LIMITED;
    else if (any_is(&f, server_names) && kind != PROV_OUT_AUTH)
        kind = status >= 400 && status < 500 && status != 408 && status != 409
                   ? kind
                   : PROV_OUT_SERVER;

    if (detail && *detail)
        prov__outcome_set(out, kind, status, "HTTP %d: %s", status, detail);
    else
        prov__outcome_set(out, kind, status, "HTTP %d", status);
    out->context_too_long = kind == PROV_OUT_BAD_REQUEST && too_long;

    time_t now = time(NULL);
    out->retry_after_ms = retry_after_from_headers(header, ud, now);
    if (out->retry_after_ms < 0 && root)
        out->retry_after_ms = retry_after_from_body(body, body_len);
    /* A per-day quota will not clear in seconds, whatever retryDelay says. */
    if (kind == PROV_OUT_RATE_LIMITED && has(body, "PerDay"))
        out->retry_after_ms = RETRY_AFTER_CAP_MS;
    const char *sr = header ? header(ud, "x-should-retry") : NULL;
    out->should_retry_false = sr && strcasecmp(sr, "false") == 0;
    json_decref(root);
}

void prov__inband_error(json_t *err, struct prov_outcome *out)
{
    json_t *wrap = json_pack("{sO}", "error", err);
    struct err_fields f;
    read_error(wrap, &f);
    enum prov_outcome_kind kind = PROV_OUT_STREAM_ERROR;
    int status = f.numeric_code >= 400 && f.numeric_code < 600 ? f.numeric_code : 0;
    if (any_is(&f, rate_names) || status == 429)
        kind = PROV_OUT_RATE_LIMITED;
    else if (any_is(&f, auth_names) || status == 401 || status == 402 || status == 403)
        kind = PROV_OUT_AUTH;
    const char *what = f.message ? f.message : f.type ? f.type : f.code ? f.code : "error event";
    if (f.type && f.message)
        prov__outcome_set(out, kind, status, "in-stream %s: %s", f.type, f.message);
    else
        prov__outcome_set(out, kind, status, "in-stream error: %s", what);
    if (kind == PROV_OUT_RATE_LIMITED) {
        char *s = json_dumps(wrap, JSON_COMPACT);
        if (s) {
            out->retry_after_ms = retry_after_from_body(s, strlen(s));
            free(s);
        }
    }
    json_decref(wrap);
}

/* ---------------------------------------------------------------- requests */

void prov__hdr_add(struct prov__headers *h, const char *name, const char *value)
{
    if (h->n + 2 > h->cap) {
        h->cap = h->cap ? h->cap * 2 : 8;
        h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
    }
    size_t nn = strlen(name), vn = strlen(value);
    char *line = xmalloc(nn + 2 + vn + 1);
    memcpy(line, name, nn);
    memcpy(line + nn, ": ", 2);
    memcpy(line + nn + 2, value, vn + 1);
    h->v[h->n++] = line;
    h->v[h->n] = NULL;
}

void prov__hdr_bearer(struct prov__headers *h, const char *key)
{
    size_t kn = strlen(key);
    char *v = xmalloc(7 + kn + 1);
    memcpy(v, "Bearer ", 7);
    memcpy(v + 7, key, kn + 1);
    prov__hdr_add(h, "Authorization", v);
    free(v);
}

bool prov__hdr_configured(const struct prov_config *cfg, const char *name)
{
    const char *k;
    json_t *v;
    if (!cfg || !json_is_object(cfg->headers))
        return false;
    json_object_foreach(cfg->headers, k, v) {
        if (strcasecmp(k, name) == 0)
            return true;
    }
    return false;
}

void prov__hdr_extra(struct prov__headers *h, const struct prov_config *cfg)
{
    const char *k;
    json_t *v;
    if (!cfg || !json_is_object(cfg->headers))
        return;
    json_object_foreach(cfg->headers, k, v) {
        const char *val = json_string_value(v);
        /* prov_config_parse already rejects these; a header split would smuggle requests. */
        if (!val || strpbrk(k, "\r\n: ") || strpbrk(val, "\r\n"))
            continue;
        prov__hdr_add(h, k, val);
    }
}

bool prov__ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

char *prov__url(const struct prov_config *cfg, const char *path)
{
    const char *base = cfg->base_url && *cfg->base_url ? cfg->base_url
                       : cfg->ops                     ? cfg->ops->default_base_url
                                                      : "";
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    return xasprintf("%.*s%s", (int)n, base, path);
}

int prov__req_fill(struct prov_request *req, char *url, struct prov__headers *h, json_t *body,
                   bool stream)
{
    memset(req, 0, sizeof(*req));
    req->url = url;
    if (!h->v) /* an empty list is still a list */
        h->v = xcalloc(1, sizeof(*h->v));
    req->headers = h->v;
    h->v = NULL;
    h->n = h->cap = 0;
    req->body = prov_json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(6), &req->body_len);
    req->stream = stream;
    json_decref(body);
    return 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is invalid or truncated. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    unsigned min;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 2, min = 0x80, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 3, min = 0x800, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need;
}

/* ---------------------------------------------------------------- serialising */

/* json_dumps writes a string one character at a time through a callback, which made the
 * request body the second largest cost of a completion. This writes the same bytes (jansson's
 * compact form: object keys in insertion order, the same escapes, reals through jansson
 * itself) with runs of plain characters copied at once. */

#define DUMP_MAX_DEPTH 512

static bool dump_string(const char *s, size_t n, struct strbuf *out)
{
    sb_addc(out, '"');
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0; /* start of the pending run of characters written as they are */
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c >= 0x80) {
            size_t k = utf8_seq(u + i, n - i);
            if (!k)
                return false; /* jansson refuses to write invalid UTF-8 */
            i += k;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        sb_add(out, s + run, i - run);
        switch (c) {
        case '"': sb_adds(out, "\\\""); break;
        case '\\': sb_adds(out, "\\\\"); break;
        case '\b': sb_adds(out, "\\b"); break;
        case '\f': sb_adds(out, "\\f"); break;
        case '\n': sb_adds(out, "\\n"); break;
        case '\r': sb_adds(out, "\\r"); break;
        case '\t': sb_adds(out, "\\t"); break;
        default: sb_addf(out, "\\u%04X", (unsigned)c); break;
        }
        run = ++i;
    }
    sb_add(out, s + run, n - run);
    sb_addc(out, '"');
    return true;
}

static bool dump_value(json_t *j, size_t flags, struct strbuf *out, int depth)
{
    if (depth > DUMP_MAX_DEPTH)
        return false;
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        sb_addc(out, '{');
        bool first = true;
        for (void *it = json_object_iter(j); it; it = json_object_iter_next(j, it)) {
            if (!first)
                sb_addc(out, ',');
            first = false;
            if (!dump_string(json_object_iter_key(it), json_object_iter_key_len(it), out))
                return false;
            sb_addc(out, ':');
            if (!dump_value(json_object_iter_value(it), flags, out, depth + 1))
                return false;
        }
        sb_addc(out, '}');
        return true;
    }
    case JSON_ARRAY: {
        sb_addc(out, '[');
        for (size_t i = 0, n = json_array_size(j); i < n; i++) {
            if (i)
                sb_addc(out, ',');
            if (!dump_value(json_array_get(j, i), flags, out, depth + 1))
                return false;
        }
        sb_addc(out, ']');
        return true;
    }
    case JSON_STRING:
        return dump_string(json_string_value(j), json_string_length(j), out);
    case JSON_INTEGER:
        sb_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        return true;
    case JSON_REAL: {
        char num[64];
        size_t n = json_dumpb(j, num, sizeof(num),
                              JSON_ENCODE_ANY | (flags & JSON_REAL_PRECISION(31)));
        if (n == 0 || n >= sizeof(num))
            return false;
        sb_add(out, num, n);
        return true;
    }
    case JSON_TRUE:
        sb_adds(out, "true");
        return true;
    case JSON_FALSE:
        sb_adds(out, "false");
        return true;
    case JSON_NULL:
        sb_adds(out, "null");
        return true;
    }
    return false;
}

char *prov_json_dumps(json_t *j, size_t flags, size_t *len)
{
    if ((!json_is_object(j) && !json_is_array(j)) ||
        (flags & ~(size_t)(JSON_COMPACT | JSON_REAL_PRECISION(31)))) {
        char *s = json_dumps(j, flags);
        *len = s ? strlen(s) : 0;
        return s;
    }
    struct strbuf out;
    sb_init(&out);
    if (!dump_value(j, flags, &out, 0)) {
        sb_release(&out);
        /* Past what this writer covers (or unwritable): jansson decides. */
        char *s = json_dumps(j, flags);
        *len = s ? strlen(s) : 0;
        return s;
    }
    return sb_detach(&out, len);
}

json_t *prov__jstr(const char *s, size_t len)
{
    if (!s)
        return json_string("");
    json_t *j = json_stringn(s, len);
    if (j)
        return j;
    struct strbuf sb;
    sb_init(&sb);
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(u + i, len - i);
        if (k) {
            sb_add(&sb, s + i, k);
            i += k;
        } else {
            sb_adds(&sb, "\xEF\xBF\xBD");
            i++;
        }
    }
    j = json_stringn(sb.data, sb.len);
    sb_release(&sb);
    return j ? j : json_string("");
}

int prov__max_tokens(const struct prov_config *cfg, const struct prov_context *ctx)
{
    if (cfg->max_tokens > 0)
        return cfg->max_tokens;
    /* Enough for the shape and no more: tokens cost latency. */
    if (ctx->shape == PROV_SHAPE_LINE)
        return 96;
    int lines = ctx->max_lines > 0 ? ctx->max_lines : 12;
    return 64 + lines * 24;
}

double prov__temperature(const struct prov_config *cfg)
{
    return cfg->temperature >= 0 ? cfg->temperature : 0.2;
}

json_t *prov__stops(const struct prov_context *ctx, bool fim)
{
    json_t *a = json_array();
    if (ctx->shape == PROV_SHAPE_LINE)
        json_array_append_new(a, json_string(fim ? "\n" : "\n\n"));
    else
        json_array_append_new(a, json_string("\n\n\n"));
    return a;
}

/* ---------------------------------------------------------------- streams */

static int on_sse(void *ud, const char *event, const char *data, size_t len)
{
    struct prov__stream *s = ud;
    int rc = s->on_event(s, event, data, len);
    if (rc > 0)
        s->done = true;
    return rc;
}

static int on_line(void *ud, const char *line, size_t len)
{
    return on_sse(ud, NULL, line, len);
}

void *prov__stream_new_sse(prov__event_fn fn, const char *end_marker)
{
    struct prov__stream *s = xcalloc(1, sizeof(*s));
    s->sse = sse_new(0, on_sse, s);
    s->on_event = fn;
    s->end_marker = end_marker;
    return s;
}

void *prov__stream_new_ndjson(prov__event_fn fn, const char *end_marker)
{
    struct prov__stream *s = xcalloc(1, sizeof(*s));
    s->nd = ndjson_new(0, on_line, s);
    s->on_event = fn;
    s->end_marker = end_marker;
    return s;
}

static int stream_result(struct prov__stream *s, int rc)
{
    if (rc == US_ETOOBIG) {
        prov__outcome_set(s->out, PROV_OUT_MALFORMED, 0, "stream event larger than %zu bytes",
                          STREAM_MAX_EVENT);
        return -1;
    }
    if (rc < 0)
        return -1;
    return rc > 0 ? 1 : 0;
}

int prov__stream_feed(void *st, const char *buf, size_t len, struct strbuf *text,
                      struct prov_outcome *out)
{
    struct prov__stream *s = st;
    s->text = text;
    s->out = out;
    int rc = s->sse ? sse_feed(s->sse, buf, len) : ndjson_feed(s->nd, buf, len);
    return stream_result(s, rc);
}

int prov__stream_end(void *st, struct strbuf *text, struct prov_outcome *out)
{
    struct prov__stream *s = st;
    s->text = text;
    s->out = out;
    int rc = s->sse ? sse_end(s->sse) : ndjson_end(s->nd);
    rc = stream_result(s, rc);
    if (rc < 0)
        return -1;
    if (!s->done && !s->finished) {
        prov__outcome_set(out, PROV_OUT_MALFORMED, 0, "stream ended before %s",
                          s->end_marker ? s->end_marker : "its end");
        return -1;
    }
    return 0;
}

void prov__stream_free(void *st)
{
    struct prov__stream *s = st;
    if (!s)
        return;
    sse_free(s->sse);
    ndjson_free(s->nd);
    free(s);
}

int prov__flat_event(struct prov__stream *s, const char *data, size_t len, const char *text_key,
                     const char *done_key)
{
    json_t *j = prov__event_json(s, data, len);
    if (!j)
        return -1;
    int rc = 0;
    json_t *err = json_object_get(j, "error");
    if (err) {
        prov__inband_error(err, s->out);
        rc = -1;
    } else {
        const char *t = json_string_value(json_object_get(j, text_key));
        if (t)
            sb_adds(s->text, t);
        if (json_is_true(json_object_get(j, done_key)))
            rc = 1;
    }
    json_decref(j);
    return rc;
}

json_t *prov__event_json(struct prov__stream *s, const char *data, size_t len)
{
    json_error_t e;
    json_t *j = json_loadb(data, len, 0, &e);
    if (!json_is_object(j)) {
        json_decref(j);
        prov__outcome_set(s->out, PROV_OUT_MALFORMED, 0, "stream event is not a JSON object");
        return NULL;
    }
    return j;
}

/* ---------------------------------------------------------------- OpenAI chunks, fast path */

/* Every text delta of an OpenAI-shaped stream is a small JSON object, and building a jansson
 * tree for each (a hash table per object, an allocation per value) was the largest cost of a
 * completion on a warm connection. This scanner reads the few fields the decoder needs straight
 * from the bytes. It accepts only input whose meaning it is sure of, the same as jansson's:
 * well-formed JSON with integers of at most 18 digits, no real numbers, keys without escapes,
 * each field of interest at most once, no \u0000, valid UTF-8, shallow nesting, and a null or
 * absent "error". Anything else (errors included) is left to the jansson decoder, so what a
 * stream means never depends on which path read it. */

#define OAI_SCAN_MAX_DEPTH 32

struct oai_span {
    const char *p; /* between the quotes, undecoded */
    size_t n;
    bool escaped;  /* holds a backslash escape */
    bool seen;     /* the key appeared (whatever its value) */
    bool is_str;   /* its value is a string: p/n are valid */
};

struct oai_scan {
    const char *p, *end;
    int depth;
    bool choices_seen, delta_seen, message_seen;
    struct oai_span content, text, message_content, finish;
};

static void scan_ws(struct oai_scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A \u escape at p (pointing at the 'u'): the code point, or -1 for what the fast path leaves
 * to jansson (U+0000, lone or reversed surrogates, bad hex). *len is what it spans. */
static long scan_u_escape(const char *p, const char *end, size_t *len)
{
    if (end - p < 5)
        return -1;
    int hi = hex4(p + 1);
    if (hi <= 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
        return -1;
    *len = 5;
    if (hi < 0xD800 || hi > 0xDBFF)
        return hi;
    if (end - p < 11 || p[5] != '\\' || p[6] != 'u')
        return -1;
    int lo = hex4(p + 7);
    if (lo < 0xDC00 || lo > 0xDFFF)
        return -1;
    *len = 11;
    return 0x10000 + (((long)hi - 0xD800) << 10) + (lo - 0xDC00);
}

/* A string at s->p (the opening quote); fills out (may be NULL) and moves past the close. */
static bool scan_string(struct oai_scan *s, struct oai_span *out)
{
    const char *p = s->p + 1;
    bool escaped = false;
    while (p < s->end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            if (out) {
                out->p = s->p + 1;
                out->n = (size_t)(p - out->p);
                out->escaped = escaped;
                out->is_str = true;
            }
            s->p = p + 1;
            return true;
        }
        if (c == '\\') {
            if (p + 1 >= s->end)
                return false;
            char e = p[1];
            escaped = true;
            if (e == 'u') {
                size_t len;
                if (scan_u_escape(p + 1, s->end, &len) < 0)
                    return false;
                p += 1 + len;
            } else if (e && strchr("\"\\/bfnrt", e)) {
                p += 2;
            } else {
                return false;
            }
        } else if (c < 0x20) {
            return false;
        } else if (c < 0x80) {
            p++;
        } else {
            size_t k = utf8_seq((const unsigned char *)p, (size_t)(s->end - p));
            if (!k)
                return false;
            p += k;
        }
    }
    return false;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* An integer jansson reads as such and without overflow; real numbers are left to jansson. */
static bool scan_integer(struct oai_scan *s)
{
    const char *p = s->p;
    if (p < s->end && *p == '-')
        p++;
    const char *digits = p;
    while (p < s->end && is_digit(*p))
        p++;
    size_t n = (size_t)(p - digits);
    if (n == 0 || n > 18 || (n > 1 && digits[0] == '0'))
        return false;
    if (p < s->end && (*p == '.' || *p == 'e' || *p == 'E'))
        return false;
    s->p = p;
    return true;
}

static bool scan_word(struct oai_scan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return false;
    const char *after = s->p + n;
    if (after < s->end && ((*after >= 'a' && *after <= 'z') || (*after >= 'A' && *after <= 'Z')))
        return false;
    s->p = after;
    return true;
}

typedef bool (*scan_member_fn)(struct oai_scan *s, const char *key, size_t klen);

static bool scan_value(struct oai_scan *s);

static bool scan_object(struct oai_scan *s, scan_member_fn member)
{
    if (++s->depth > OAI_SCAN_MAX_DEPTH)
        return false;
    s->p++; /* '{' */
    scan_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        s->depth--;
        return true;
    }
    for (;;) {
        struct oai_span key = {0};
        if (s->p >= s->end || *s->p != '"' || !scan_string(s, &key) || key.escaped)
            return false;
        scan_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return false;
        s->p++;
        scan_ws(s);
        if (!(member ? member(s, key.p, key.n) : scan_value(s)))
            return false;
        scan_ws(s);
        if (s->p >= s->end)
            return false;
        if (*s->p == '}') {
            s->p++;
            s->depth--;
            return true;
        }
        if (*s->p != ',')
            return false;
        s->p++;
        scan_ws(s);
    }
}

/* An array; the first element goes to first (NULL: any value), the rest are only checked. */
static bool scan_array(struct oai_scan *s, bool (*first)(struct oai_scan *s))
{
    if (++s->depth > OAI_SCAN_MAX_DEPTH)
        return false;
    s->p++; /* '[' */
    scan_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        s->depth--;
        return true;
    }
    for (bool is_first = true;; is_first = false) {
        if (!(is_first && first ? first(s) : scan_value(s)))
            return false;
        scan_ws(s);
        if (s->p >= s->end)
            return false;
        if (*s->p == ']') {
            s->p++;
            s->depth--;
            return true;
        }
        if (*s->p != ',')
            return false;
        s->p++;
        scan_ws(s);
    }
}

static bool scan_value(struct oai_scan *s)
{
    if (s->p >= s->end)
        return false;
    switch (*s->p) {
    case '{':
        return scan_object(s, NULL);
    case '[':
        return scan_array(s, NULL);
    case '"':
        return scan_string(s, NULL);
    case 't':
        return scan_word(s, "true");
    case 'f':
        return scan_word(s, "false");
    case 'n':
        return scan_word(s, "null");
    default:
        return scan_integer(s);
    }
}

static bool key_is(const char *key, size_t klen, const char *name)
{
    return strlen(name) == klen && memcmp(key, name, klen) == 0;
}

/* A field of interest: a string is recorded; any other value counts as absent, as
 * json_string_value would see it. Twice is left to jansson (the last one wins there). */
static bool scan_field(struct oai_scan *s, struct oai_span *f)
{
    if (f->seen)
        return false;
    f->seen = true;
    if (s->p < s->end && *s->p == '"')
        return scan_string(s, f);
    return scan_value(s);
}

static bool scan_content_member(struct oai_scan *s, struct oai_span *f, const char *key,
                                size_t klen)
{
    return key_is(key, klen, "content") ? scan_field(s, f) : scan_value(s);
}

static bool delta_member(struct oai_scan *s, const char *key, size_t klen)
{
    return scan_content_member(s, &s->content, key, klen);
}

static bool message_member(struct oai_scan *s, const char *key, size_t klen)
{
    return scan_content_member(s, &s->message_content, key, klen);
}

/* "delta" or "message": an object holding "content", or anything else (no text from it). */
static bool scan_holder(struct oai_scan *s, bool *seen, scan_member_fn member)
{
    if (*seen)
        return false;
    *seen = true;
    if (s->p < s->end && *s->p == '{')
        return scan_object(s, member);
    return scan_value(s);
}

static bool choice_member(struct oai_scan *s, const char *key, size_t klen)
{
    if (key_is(key, klen, "delta"))
        return scan_holder(s, &s->delta_seen, delta_member);
    if (key_is(key, klen, "message"))
        return scan_holder(s, &s->message_seen, message_member);
    if (key_is(key, klen, "text"))
        return scan_field(s, &s->text);
    if (key_is(key, klen, "finish_reason"))
        return scan_field(s, &s->finish);
    return scan_value(s);
}

static bool first_choice(struct oai_scan *s)
{
    if (s->p < s->end && *s->p == '{')
        return scan_object(s, choice_member);
    return scan_value(s); /* not an object: no text, no finish reason */
}

static bool chunk_member(struct oai_scan *s, const char *key, size_t klen)
{
    if (key_is(key, klen, "error"))
        return scan_word(s, "null"); /* a real error is jansson's to read */
    if (key_is(key, klen, "choices")) {
        if (s->choices_seen)
            return false;
        s->choices_seen = true;
        if (s->p < s->end && *s->p == '[')
            return scan_array(s, first_choice);
    }
    return scan_value(s);
}

/* Append a scanned string, escapes decoded, to sb. */
static void span_decode(const struct oai_span *f, struct strbuf *sb)
{
    if (!f->escaped) {
        sb_add(sb, f->p, f->n);
        return;
    }
    const char *p = f->p, *end = f->p + f->n;
    while (p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        if (!bs) {
            sb_add(sb, p, (size_t)(end - p));
            break;
        }
        sb_add(sb, p, (size_t)(bs - p));
        char e = bs[1];
        if (e == 'u') {
            size_t len = 0;
            long cp = scan_u_escape(bs + 1, end, &len);
            char u[4];
            size_t n;
            if (cp < 0x80) {
                u[0] = (char)cp, n = 1;
            } else if (cp < 0x800) {
                u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
            } else if (cp < 0x10000) {
                u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
            } else {
                u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F));
                n = 4;
            }
            sb_add(sb, u, n);
            p = bs + 1 + len;
            continue;
        }
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        sb_addc(sb, to[strchr(from, e) - from]);
        p = bs + 2;
    }
}

int prov__openai_event_fast(struct prov__stream *s, const char *data, size_t len)
{
    struct oai_scan sc;
    memset(&sc, 0, sizeof(sc));
    sc.p = data;
    sc.end = data + len;
    scan_ws(&sc);
    if (sc.p >= sc.end || *sc.p != '{' || !scan_object(&sc, chunk_member))
        return -2;
    scan_ws(&sc);
    if (sc.p != sc.end)
        return -2;
    const struct oai_span *t = sc.content.is_str ? &sc.content
                             : sc.text.is_str ? &sc.text
                             : sc.message_content.is_str ? &sc.message_content : NULL;
    if (t)
        span_decode(t, s->text);
    if (!sc.finish.is_str)
        return 0;
    bool is_error;
    if (sc.finish.escaped) {
        struct strbuf fr;
        sb_init(&fr);
        span_decode(&sc.finish, &fr);
        is_error = strcmp(fr.data, "error") == 0;
        sb_release(&fr);
    } else {
        is_error = sc.finish.n == 5 && memcmp(sc.finish.p, "error", 5) == 0;
    }
    if (is_error) {
        prov__outcome_set(s->out, PROV_OUT_STREAM_ERROR, 0, "in-stream error: finish_reason "
                                                            "\"error\"");
        return -1;
    }
    s->finished = true;
    return 0;
}

/* OpenAI-shaped chunks: chat deltas (choices[0].delta.content) or legacy completions
 * (choices[0].text); `data: [DONE]` ends the stream; a top-level "error" is in-band. */
int prov__openai_event(struct prov__stream *s, const char *event, const char *data, size_t len)
{
    (void)event;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
        return 1;
    int rc = prov__openai_event_fast(s, data, len);
    if (rc != -2)
        return rc;
    json_t *j = prov__event_json(s, data, len);
    if (!j)
        return -1;
    rc = 0;
    json_t *err = json_object_get(j, "error");
    if (err && !json_is_null(err)) {
        prov__inband_error(err, s->out);
        rc = -1;
        goto out;
    }
    json_t *choice = json_array_get(json_object_get(j, "choices"), 0);
    if (choice) {
        json_t *delta = json_object_get(choice, "delta");
        const char *t = json_string_value(json_object_get(delta, "content"));
        if (!t)
            t = json_string_value(json_object_get(choice, "text"));
        if (!t) /* a non-streamed answer served to a stream request */
            t = json_string_value(json_object_get(json_object_get(choice, "message"), "content"));
        if (t)
            sb_adds(s->text, t);
        const char *fr = json_string_value(json_object_get(choice, "finish_reason"));
        if (fr && strcmp(fr, "error") == 0) {
            prov__outcome_set(s->out, PROV_OUT_STREAM_ERROR, 0, "in-stream error: finish_reason "
                                                                "\"error\"");
            rc = -1;
        } else if (fr) {
            s->finished = true;
        }
    }
out:
    json_decref(j);
    return rc;
}

void *prov__openai_stream_new(const struct prov_config *cfg)
{
    (void)cfg;
    return prov__stream_new_sse(prov__openai_event, "data: [DONE]");
}
