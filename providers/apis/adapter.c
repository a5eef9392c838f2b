/* adapter: the pieces every provider adapter shares (see adapter_int.h). */
#include "adapter_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "postprocess.h"
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

    out->retry_after_ms = retry_after_from_headers(header, ud, retry_after_now());
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
    else if ((status >= 400 && status < 500 && status != 408 && status != 409) ||
             mentions_context_too_long(f.type) ||
             mentions_context_too_long(f.message))
        kind = PROV_OUT_BAD_REQUEST; /* e.g. llama.cpp's context-size error event */
    const char *what = f.message ? f.message : f.type ? f.type : f.code ? f.code : "error event";
    if (f.type && f.message)
        prov__outcome_set(out, kind, status, "in-stream %s: %s", f.type, f.message);
    else
        prov__outcome_set(out, kind, status, "in-stream error: %s", what);
    out->context_too_long = kind == PROV_OUT_BAD_REQUEST &&
                            (mentions_context_too_long(f.type) ||
                             mentions_context_too_long(f.message));
    if (kind == PROV_OUT_RATE_LIMITED) {
        char *s = json_dumps(wrap, JSON_COMPACT);
        if (s) {
            out->retry_after_ms = retry_after_from_body(s, strlen(s));
            free(s);
        }
    }
    json_decref(wrap);
}

/* The status an error's type or canonical status stands for (Anthropic, Gemini, OpenAI). */
static int status_for_names(const struct err_fields *f)
{
    static const struct {
        const char *name;
        int status;
    } map[] = {{"invalid_request_error", 400}, {"INVALID_ARGUMENT", 400},
               {"FAILED_PRECONDITION", 400},   {"authentication_error", 401},
               {"invalid_api_key", 401},       {"UNAUTHENTICATED", 401},
               {"billing_error", 402},         {"permission_error", 403},
               {"PERMISSION_DENIED", 403},     {"not_found_error", 404},
               {"NOT_FOUND", 404},             {"request_too_large", 413},
               {"rate_limit_error", 429},      {"rate_limit_exceeded", 429},
               {"insufficient_quota", 429},    {"RESOURCE_EXHAUSTED", 429},
               {"api_error", 500},             {"server_error", 500},
               {"INTERNAL", 500},              {"UNAVAILABLE", 503},
               {"unavailable_error", 503},     {"timeout_error", 504},
               {"DEADLINE_EXCEEDED", 504},     {"overloaded_error", 529}};
    for (size_t i = 0; i < US_ARRAY_LEN(map); i++) {
        const char *const one[] = {map[i].name, NULL};
        if (any_is(f, one))
            return map[i].status;
    }
    return 0;
}

void prov__error_body_200(json_t *err, struct prov_outcome *out)
{
    json_t *wrap = json_pack("{sO}", "error", err);
    struct err_fields f;
    read_error(wrap, &f);
    int status = f.numeric_code >= 400 && f.numeric_code < 600 ? f.numeric_code
                                                               : status_for_names(&f);
    if (!status) {
        json_decref(wrap);
        prov__inband_error(err, out);
        return;
    }
    char *body = json_dumps(wrap, JSON_COMPACT);
    prov__classify(status, NULL, NULL, body, body ? strlen(body) : 0, out);
    out->http_status = status;
    free(body);
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

void prov__hdr_begin(struct prov__headers *h, const char *accept, const char *key_header,
                     const char *key)
{
    prov__hdr_add(h, "Content-Type", "application/json");
    prov__hdr_add(h, "Accept", accept);
    if (!key || !*key)
        return;
    if (key_header)
        prov__hdr_add(h, key_header, key);
    else
        prov__hdr_bearer(h, key);
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

char *prov__url_v1(const struct prov_config *cfg, const char *path)
{
    const char *base = cfg->base_url ? cfg->base_url : cfg->ops ? cfg->ops->default_base_url : "";
    if (prov__ends_with(base, "/v1"))
        return prov__url(cfg, path);
    char *v1 = xasprintf("/v1%s", path);
    char *url = prov__url(cfg, v1);
    free(v1);
    return url;
}

int prov__req_fill(struct prov_request *req, char *url, struct prov__headers *h, json_t *body,
                   bool stream)
{
    memset(req, 0, sizeof(*req));
    req->url = url;
    /* Every request names its client, unless the user's headers already do. */
    bool ua = false;
    for (size_t i = 0; i < h->n; i++)
        ua |= strncasecmp(h->v[i], "User-Agent:", 11) == 0;
    if (!ua)
        prov__hdr_add(h, "User-Agent", "understudy/" UNDERSTUDY_VERSION);
    if (!h->v) /* an empty list is still a list */
        h->v = xcalloc(1, sizeof(*h->v));
    req->headers = h->v;
    h->v = NULL;
    h->n = h->cap = 0;
    req->body = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(6));
    req->body_len = req->body ? strlen(req->body) : 0;
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
    if (ctx->shape == SYN_SHAPE_LINE)
        return 96;
    int lines = ctx->max_lines > 0 ? ctx->max_lines : 12;
    return 64 + lines * 24;
}

double prov__temperature(const struct prov_config *cfg)
{
    return cfg->temperature >= 0 ? cfg->temperature : -1;
}

void prov__set_temperature(json_t *body, const struct prov_config *cfg, const char *key,
                           double max)
{
    double t = prov__temperature(cfg);
    if (t >= 0)
        json_object_set_new(body, key, json_real(t > max ? max : t));
}

static void merge(json_t *dst, json_t *src)
{
    const char *k;
    json_t *v;
    json_object_foreach(src, k, v) {
        json_t *cur = json_object_get(dst, k);
        if (json_is_null(v))
            json_object_del(dst, k);
        else if (json_is_object(v) && json_is_object(cur))
            merge(cur, v);
        else
            json_object_set_new(dst, k, json_deep_copy(v));
    }
}

void prov__merge_extra(json_t *body, const struct prov_config *cfg)
{
    if (body && cfg && json_is_object(cfg->extra_obj))
        merge(body, (json_t *)cfg->extra_obj);
}

static const char *model_base(const char *model)
{
    const char *m = model ? strrchr(model, '/') : NULL; /* "openai/o3-mini" on gateways */
    return m ? m + 1 : model ? model : "";
}

bool prov__openai_reasoning(const char *model)
{
    const char *m = model_base(model);
    if (strstr(m, "chat-latest"))
        return false; /* the chat snapshots of gpt-5* do not reason */
    return (m[0] == 'o' && m[1] >= '1' && m[1] <= '9') || strncmp(m, "gpt-5", 5) == 0 ||
           strncmp(m, "gpt-6", 5) == 0;
}

const char *prov__openai_effort(const char *model)
{
    const char *m = model_base(model);
    /* gpt-5 (not 5.x) has "minimal"; the o-series and later gpt-5.x/6 take "low". */
    if (strncmp(m, "gpt-5", 5) == 0 && m[5] != '.')
        return "minimal";
    return "low";
}

bool prov__lines_scan(struct prov__line_scan *sc, enum syn_shape shape, int max_lines,
                      const char *text, size_t len)
{
    if (sc->enough)
        return true;
    const char *nl;
    while (sc->pos < len && (nl = memchr(text + sc->pos, '\n', len - sc->pos)) != NULL) {
        const char *l = text + sc->pos;
        size_t n = (size_t)(nl - l);
        sc->pos += n + 1;
        if (pp_is_fence(l, n)) {
            if (sc->fence_open && sc->lines)
                return sc->enough = true; /* the closing fence: the answer is complete */
            sc->fence_open = true;
            continue;
        }
        bool visible = false;
        for (size_t k = 0; k < n && !visible; k++)
            visible = !isspace((unsigned char)l[k]);
        if (!visible && sc->lines == 0)
            continue; /* leading blank lines are not part of the answer */
        sc->lines++;
        if (shape == SYN_SHAPE_LINE)
            return sc->enough = true;
    }
    /* A block: post-processing keeps at most max_lines; one more line shows where it ends. */
    int cap = max_lines > 0 ? max_lines : 12;
    return sc->enough = shape == SYN_SHAPE_BLOCK && sc->lines > (size_t)cap;
}

bool prov__enough_lines(enum syn_shape shape, int max_lines, const char *text, size_t len)
{
    struct prov__line_scan sc = {0};
    return prov__lines_scan(&sc, shape, max_lines, text, len);
}

json_t *prov__stops(const struct prov_context *ctx, bool fim)
{
    json_t *a = json_array();
    if (ctx->shape == SYN_SHAPE_LINE)
        json_array_append_new(a, json_string(fim ? "\n" : "\n\n"));
    else
        json_array_append_new(a, json_string("\n\n\n"));
    return a;
}

json_t *prov__fim_body(const struct prov_config *cfg, const struct prov_context *ctx,
                       const char *model, double temp_max)
{
    json_t *body = json_object();
    if (model)
        json_object_set_new(body, "model", json_string(model));
    json_object_set_new(body, "prompt", prov__jstr(ctx->prefix, ctx->prefix_len));
    json_object_set_new(body, "suffix", prov__jstr(ctx->suffix, ctx->suffix_len));
    json_object_set_new(body, "max_tokens", json_integer(prov__max_tokens(cfg, ctx)));
    prov__set_temperature(body, cfg, "temperature", temp_max);
    json_object_set_new(body, "stop", prov__stops(ctx, true));
    json_object_set_new(body, "stream", json_true());
    prov__merge_extra(body, cfg);
    return body;
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
    sb_init(&s->whole);
    s->on_event = fn;
    s->end_marker = end_marker;
    return s;
}

void *prov__stream_new_ndjson(prov__event_fn fn, const char *end_marker)
{
    struct prov__stream *s = xcalloc(1, sizeof(*s));
    s->nd = ndjson_new(0, on_line, s);
    sb_init(&s->whole);
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
    /* A leading UTF-8 BOM is dropped (the SSE standard says so), even split across reads. */
    static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
    while (s->bom >= 0 && s->bom < 3 && len > 0) {
        if ((unsigned char)buf[0] != bom[s->bom]) {
            if (s->bom > 0) { /* a false start: what was held back is data after all */
                int held = s->bom;
                s->bom = -1;
                int rc = prov__stream_feed(st, (const char *)bom, (size_t)held, text, out);
                if (rc != 0)
                    return rc;
            }
            s->bom = -1;
            break;
        }
        s->bom++, buf++, len--;
    }
    if (s->bom >= 0 && s->bom < 3)
        return 0;
    s->bom = -1;
    /* One JSON value instead of an SSE stream: decide on the first non-blank byte. */
    if (s->sse && s->json_mode == 0) {
        size_t i = 0;
        while (i < len && isspace((unsigned char)buf[i]))
            i++;
        if (i < len)
            s->json_mode = buf[i] == '{' || buf[i] == '[' ? 2 : 1;
    }
    if (s->json_mode == 2) {
        if (s->whole.len + len > STREAM_MAX_EVENT)
            return stream_result(s, US_ETOOBIG);
        sb_add(&s->whole, buf, len);
        return 0;
    }
    int rc = s->sse ? sse_feed(s->sse, buf, len) : ndjson_feed(s->nd, buf, len);
    return stream_result(s, rc);
}

/* The body was one JSON value: an error (classified like the same error with its status) or a
 * whole answer from a server that ignored stream:true (read like one event; Gemini's JSON
 * array form like one event per element). */
static int whole_json(struct prov__stream *s)
{
    json_t *root = json_loadb(s->whole.data, s->whole.len, 0, NULL);
    if (!root) {
        prov__outcome_set(s->out, PROV_OUT_MALFORMED, 0, "response is not a stream nor JSON");
        return -1;
    }
    int rc = 0;
    size_t n = json_is_array(root) ? json_array_size(root) : 1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        json_t *v = json_is_array(root) ? json_array_get(root, i) : root;
        json_t *err = json_object_get(v, "error");
        if (err && !json_is_null(err)) {
            prov__error_body_200(err, s->out);
            rc = -1;
            break;
        }
        char *one = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        rc = one ? s->on_event(s, NULL, one, strlen(one)) : -1;
        free(one);
    }
    json_decref(root);
    if (rc > 0)
        s->done = true;
    return rc < 0 ? -1 : 0;
}

int prov__stream_end(void *st, struct strbuf *text, struct prov_outcome *out)
{
    struct prov__stream *s = st;
    s->text = text;
    s->out = out;
    int rc;
    if (s->json_mode == 2) {
        rc = whole_json(s);
    } else {
        rc = s->sse ? sse_end(s->sse) : ndjson_end(s->nd);
        rc = stream_result(s, rc);
    }
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
    sb_release(&s->whole);
    free(s);
}

int prov__flat_event(struct prov__stream *s, const char *data, size_t len, const char *text_key,
                     const char *done_key)
{
    json_t *j = prov__event_payload(s, data, len);
    if (!j)
        return -1;
    const char *t = json_string_value(json_object_get(j, text_key));
    if (t)
        sb_adds(s->text, t);
    int rc = json_is_true(json_object_get(j, done_key)) ? 1 : 0;
    json_decref(j);
    return rc;
}

json_t *prov__event_payload(struct prov__stream *s, const char *data, size_t len)
{
    json_t *j = prov__event_json(s, data, len);
    json_t *err = json_object_get(j, "error");
    if (err) {
        prov__inband_error(err, s->out);
        json_decref(j);
        return NULL;
    }
    return j;
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

/* OpenAI-shaped chunks: chat deltas (choices[0].delta.content) or legacy completions
 * (choices[0].text); `data: [DONE]` ends the stream; a top-level "error" is in-band. */
int prov__openai_event(struct prov__stream *s, const char *event, const char *data, size_t len)
{
    (void)event;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
        return 1;
    json_t *j = prov__event_json(s, data, len);
    if (!j)
        return -1;
    int rc = 0;
    json_t *err = json_object_get(j, "error");
    if (err && !json_is_null(err)) {
        prov__inband_error(err, s->out);
        rc = -1;
        goto out;
    }
    /* The choice with index 0 (we ask for one), wherever it stands in the array. */
    json_t *choices = json_object_get(j, "choices");
    json_t *choice = NULL, *c;
    size_t ci;
    json_array_foreach(choices, ci, c) {
        json_t *idx = json_object_get(c, "index");
        if (idx ? json_integer_value(idx) == 0 && json_is_integer(idx) : ci == 0) {
            choice = c;
            break;
        }
    }
    if (choice) {
        json_t *delta = json_object_get(choice, "delta");
        json_t *content = json_object_get(delta, "content");
        if (!content) /* a non-streamed answer served to a stream request */
            content = json_object_get(json_object_get(choice, "message"), "content");
        const char *t = json_string_value(content);
        if (!t && !content)
            t = json_string_value(json_object_get(choice, "text"));
        if (t)
            sb_adds(s->text, t);
        json_t *part;
        size_t pi;
        json_array_foreach(content, pi, part) { /* Mistral: an array of typed chunks */
            const char *pt = json_string_value(json_object_get(part, "type"));
            const char *tx = json_string_value(json_object_get(part, "text"));
            if (tx && (!pt || strcmp(pt, "text") == 0))
                sb_adds(s->text, tx);
        }
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
