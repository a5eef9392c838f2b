/* attempt: glue between the HTTP engine and one provider adapter. The adapter knows the wire
 * format; this file knows the policy for partial failures (reference/resilience.md): text that
 * already streamed is kept up to its last complete line when the stream breaks afterwards. */
#include "attempt.h"

#include "adapter_int.h"
#include "ratelimit.h"
#include "retry_after.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct attempt {
    struct http_engine *eng;
    const struct prov_config *cfg;
    const struct prov_ops *ops;
    struct http_transfer *xfer;
    struct attempt_callbacks cb;
    void *ud;
    void *stream;         /* adapter's parser state, 2xx only */
    int status;
    bool success_status;  /* 2xx */
    bool complete;        /* the adapter saw the end-of-stream marker */
    bool finished;        /* on_done delivered or cancelled: nothing more goes out */
    int depth;            /* > 0 while a user callback runs: free later */
    struct strbuf text;
    struct strbuf errbody;
    uint64_t start_us;
    int64_t first_byte_us;
    int64_t first_text_us;
    const struct http_headers *headers; /* borrowed from the transfer while it runs */
    int64_t budget_wait_ms;  /* from the rate-limit headers; -1 none */
    char budget_what[24];
    enum syn_shape shape;  /* for ops->cut_lines */
    int max_lines;
    struct prov__line_scan lines; /* complete lines of text seen so far (incremental) */
    /* One retry with a smaller prompt after a context-size rejection: what it needs. */
    struct prov_context *ctx;
    char *key;
    struct attempt_opts opts;
    bool has_opts;
    bool shrunk;
};

static int start_transfer(struct attempt *a);

static void attempt_free(struct attempt *a)
{
    if (a->stream)
        a->ops->stream_free(a->stream);
    if (a->ctx)
        prov_context_free(a->ctx);
    if (a->key) {
        memset(a->key, 0, strlen(a->key));
        free(a->key);
    }
    sb_release(&a->text);
    sb_release(&a->errbody);
    free(a);
}

/* Free once nobody up the stack still uses the struct. Returns true when freed. */
static bool maybe_free(struct attempt *a)
{
    if (a->finished && a->depth == 0) {
        attempt_free(a);
        return true;
    }
    return false;
}

static void outcome_init(struct prov_outcome *out, enum prov_outcome_kind kind, int status)
{
    memset(out, 0, sizeof(*out));
    out->kind = kind;
    out->http_status = status;
    out->retry_after_ms = -1;
}

static bool has_visible_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i]))
            return true;
    return false;
}

size_t attempt_complete_lines(const char *text, size_t len)
{
    const char *nl = len ? memrchr(text, '\n', len) : NULL;
    if (!nl)
        return 0;
    size_t keep = (size_t)(nl - text) + 1;
    return has_visible_text(text, keep) ? keep : 0;
}

/* A broken stream keeps its text up to the last complete line, if that holds anything. */
static bool keep_complete_lines(struct strbuf *text)
{
    size_t keep = attempt_complete_lines(text->data, text->len);
    if (!keep)
        return false;
    text->len = keep;
    text->data[keep] = 0;
    return true;
}

/* Deliver the result. Stops the transfer first when it is still running (finishing from inside
 * an http callback), so nothing can arrive afterwards. */
static void finish(struct attempt *a, const struct prov_outcome *out, bool partial,
                   int64_t connect_us)
{
    if (a->finished)
        return;
    a->finished = true;
    if (a->xfer) {
        http_abort(a->xfer);
        a->xfer = NULL;
    }
    struct attempt_result res;
    memset(&res, 0, sizeof(res));
    res.outcome = *out;
    if (out->kind == PROV_OUT_OK) {
        res.text = a->text.data;
        res.text_len = a->text.len;
    } else {
        res.text = "";
        res.text_len = 0;
    }
    res.truncated = partial;
    res.ttfb_ms = a->first_text_us < 0 ? -1 : a->first_text_us / 1000;
    res.timing.connect_us = connect_us;
    res.timing.first_byte_us = a->first_byte_us;
    res.timing.first_text_us = a->first_text_us;
    res.timing.total_us = (int64_t)(us_now_us() - a->start_us);
    res.budget_wait_ms = a->budget_wait_ms;
    memcpy(res.budget_what, a->budget_what, sizeof(res.budget_what));
    LOG_D("attempt", "%s: %s (status %d, %zu bytes of text%s)", a->cfg->name ? a->cfg->name : "?",
          prov_outcome_name(out->kind), out->http_status, res.text_len,
          partial ? ", partial" : "");
    a->depth++;
    a->cb.on_done(a, a->ud, &res);
    a->depth--;
}

/* The body ended (or broke) after a 2xx: decide between a full answer, a partial one, and
 * failure `fail`. */
static void finish_stream(struct attempt *a, const struct prov_outcome *fail, int64_t connect_us)
{
    struct prov_outcome out;
    outcome_init(&out, PROV_OUT_OK, a->status);
    if (a->complete || fail == NULL) {
        if (!has_visible_text(a->text.data, a->text.len)) {
            outcome_init(&out, PROV_OUT_MALFORMED, a->status);
            snprintf(out.message, sizeof(out.message), "empty completion");
        }
        finish(a, &out, false, connect_us);
        return;
    }
    if (keep_complete_lines(&a->text)) {
        finish(a, &out, true, connect_us);
        return;
    }
    finish(a, fail, false, connect_us);
}

static bool content_type_ok(const char *ct)
{
    if (!ct || !*ct)
        return true;
    static const char *const ok[] = {"text/event-stream", "application/x-ndjson",
                                     "application/jsonl", "text/plain"};
    for (size_t i = 0; i < US_ARRAY_LEN(ok); i++)
        if (strncasecmp(ct, ok[i], strlen(ok[i])) == 0)
            return true;
    /* application/json, application/stream+json, application/problem+json ... */
    return strncasecmp(ct, "application/", 12) == 0 && strstr(ct, "json") != NULL;
}

static const char *header_lookup(void *ud, const char *name)
{
    return http_header_get(ud, name);
}

/* A context-size rejection (HTTP 400/413 or llama.cpp's error event) gets one more try with
 * the prompt halved: the prefix keeps its tail, the suffix its head, other files go. Returns
 * true when the new transfer is running (the old one is stopped). */
static bool retry_smaller(struct attempt *a, const struct prov_outcome *out)
{
    if (a->shrunk || !a->ctx || !out->context_too_long || a->finished)
        return false;
    a->shrunk = true;
    struct prov_context *c = a->ctx;
    size_t keep = c->prefix_len / 2;
    while (keep < c->prefix_len && ((unsigned char)c->prefix[c->prefix_len - keep] & 0xC0) == 0x80)
        keep++;
    memmove((char *)c->prefix, c->prefix + c->prefix_len - keep, keep);
    c->prefix_len = keep;
    size_t sk = c->suffix_len / 2;
    while (sk < c->suffix_len && ((unsigned char)c->suffix[sk] & 0xC0) == 0x80)
        sk++;
    c->suffix_len = sk;
    for (size_t i = 0; i < c->n_excerpts; i++)
        if (c->excerpts[i].text)
            ((char *)c->excerpts[i].text)[0] = 0; /* adapters skip empty excerpts */
    LOG_I("attempt", "%s: %s; trying once more with half the context",
          a->cfg->name ? a->cfg->name : "?", out->message);
    if (a->xfer) {
        http_abort(a->xfer);
        a->xfer = NULL;
    }
    if (a->stream) {
        a->ops->stream_free(a->stream);
        a->stream = NULL;
    }
    sb_clear(&a->text);
    sb_clear(&a->errbody);
    memset(&a->lines, 0, sizeof(a->lines));
    a->status = 0;
    a->success_status = a->complete = false;
    a->headers = NULL;
    return start_transfer(a) == 0;
}

/* ------------------------------------------------------------------ http callbacks */

static void on_headers(struct http_transfer *t, void *ud, int status,
                       const struct http_headers *h)
{
    struct attempt *a = ud;
    (void)t;
    a->status = status;
    a->headers = h;
    a->first_byte_us = (int64_t)(us_now_us() - a->start_us);
    a->success_status = status >= 200 && status < 300;
    /* Read the budget now: the headers are gone once the transfer is cut short. */
    struct ratelimit rl;
    int64_t wall = (int64_t)(retry_after_now() * 1000.0); /* the clock retry-after dates use */
    a->budget_wait_ms = -1;
    a->budget_what[0] = 0;
    if (ratelimit_read(header_lookup, (void *)h, wall, 0, &rl) && rl.until_ms > wall) {
        a->budget_wait_ms = rl.until_ms - wall;
        memcpy(a->budget_what, rl.exhausted, sizeof(a->budget_what));
    }
    if (!a->success_status)
        return;
    const char *ct = http_header_get(h, "content-type");
    if (!content_type_ok(ct)) {
        struct prov_outcome out;
        outcome_init(&out, PROV_OUT_MALFORMED, status);
        snprintf(out.message, sizeof(out.message), "unexpected content type %.60s", ct);
        finish(a, &out, false, -1);
        maybe_free(a);
        return;
    }
    a->stream = a->ops->stream_new(a->cfg);
}

static void on_data(struct http_transfer *t, void *ud, const char *buf, size_t len)
{
    struct attempt *a = ud;
    (void)t;
    if (!a->success_status) {
        size_t room = ATTEMPT_MAX_ERROR_BODY - a->errbody.len;
        sb_add(&a->errbody, buf, US_MIN(room, len));
        if (len >= room) {
            /* Enough to classify; do not download a huge error page. */
            struct prov_outcome out;
            outcome_init(&out, PROV_OUT_SERVER, a->status);
            a->ops->classify(a->status, header_lookup, (void *)a->headers, a->errbody.data,
                             a->errbody.len, &out);
            out.http_status = a->status;
            finish(a, &out, false, -1);
            maybe_free(a);
        }
        return;
    }
    if (a->complete || !a->stream)
        return;
    size_t before = a->text.len;
    struct prov_outcome err;
    outcome_init(&err, PROV_OUT_STREAM_ERROR, a->status);
    int rv = a->ops->stream_feed(a->stream, buf, len, &a->text, &err);
    if (a->text.len > before && a->cb.on_text) {
        if (a->first_text_us < 0)
            a->first_text_us = (int64_t)(us_now_us() - a->start_us);
        a->depth++;
        a->cb.on_text(a, a->ud, a->text.data + before, a->text.len - before);
        a->depth--;
        if (maybe_free(a) || a->finished)
            return; /* aborted from on_text */
    } else if (a->text.len > before && a->first_text_us < 0) {
        a->first_text_us = (int64_t)(us_now_us() - a->start_us);
    }
    if (rv > 0) {
        a->complete = true; /* the rest of the body is the end of framing; let it drain */
    } else if (rv < 0) {
        err.http_status = a->status;
        if (a->text.len == 0 && retry_smaller(a, &err))
            return;
        finish_stream(a, &err, -1);
        maybe_free(a);
    } else if (a->text.len > before) {
        /* Only the new text is looked at: a long answer costs its length once, not once per
         * chunk (a 10 MB line used to stall the loop for 35-120 ms). */
        bool enough = prov__lines_scan(&a->lines, a->shape, a->max_lines, a->text.data,
                                       a->text.len);
        if (enough && a->ops->cut_lines) {
            /* No stop sequence could say it: the lines are here, stop the transfer now. */
            a->complete = true;
            finish_stream(a, NULL, -1);
            maybe_free(a);
        } else if (a->text.len - a->lines.pos > ATTEMPT_MAX_LINE_BYTES ||
                   a->text.len > ATTEMPT_MAX_TEXT_BYTES) {
            /* A runaway answer: no completion needs more; serve the complete lines so far
             * rather than reading (and parsing) megabytes on the loop. */
            struct prov_outcome big;
            outcome_init(&big, PROV_OUT_MALFORMED, a->status);
            snprintf(big.message, sizeof(big.message), "%s longer than %u bytes",
                     a->text.len > ATTEMPT_MAX_TEXT_BYTES ? "answer" : "a line",
                     a->text.len > ATTEMPT_MAX_TEXT_BYTES ? ATTEMPT_MAX_TEXT_BYTES
                                                          : ATTEMPT_MAX_LINE_BYTES);
            finish_stream(a, &big, -1);
            maybe_free(a);
        }
    }
}

static void on_http_done(struct http_transfer *t, void *ud, const struct http_done *d)
{
    struct attempt *a = ud;
    (void)t;
    a->xfer = NULL; /* the engine releases it after we return */
    struct prov_outcome out;
    int64_t connect_us = d->timing.connect_us;

    if (d->status > 0 && !a->success_status && d->headers) {
        outcome_init(&out, PROV_OUT_SERVER, d->status);
        a->ops->classify(d->status, header_lookup, (void *)d->headers, a->errbody.data,
                         a->errbody.len, &out);
        out.http_status = d->status;
        if (retry_smaller(a, &out))
            return;
        finish(a, &out, false, connect_us);
        maybe_free(a);
        return;
    }

    enum prov_outcome_kind kind;
    switch (d->result) {
    case HTTP_RESULT_OK:
        kind = PROV_OUT_OK;
        break;
    case HTTP_RESULT_TIMEOUT_CONNECT:
    case HTTP_RESULT_TIMEOUT_FIRST_BYTE:
    case HTTP_RESULT_TIMEOUT_STALL:
    case HTTP_RESULT_TIMEOUT_TOTAL:
        kind = PROV_OUT_TIMEOUT;
        break;
    case HTTP_RESULT_TOO_LARGE:
        kind = PROV_OUT_MALFORMED;
        break;
    case HTTP_RESULT_ABORTED:
        kind = PROV_OUT_CANCELLED;
        break;
    default:
        kind = PROV_OUT_TRANSPORT;
        break;
    }
    outcome_init(&out, kind, d->status);
    if (kind != PROV_OUT_OK)
        snprintf(out.message, sizeof(out.message), "%s", http_result_name(d->result));

    if (!a->success_status) {
        /* No response at all: refused, DNS, TLS, reset, timeout before the headers. */
        if (kind == PROV_OUT_OK) {
            outcome_init(&out, PROV_OUT_MALFORMED, d->status);
            snprintf(out.message, sizeof(out.message), "no response");
        }
        finish(a, &out, false, connect_us);
        maybe_free(a);
        return;
    }
    if (kind == PROV_OUT_MALFORMED) {
        snprintf(out.message, sizeof(out.message), "response larger than %u bytes",
                 ATTEMPT_MAX_RESPONSE_BYTES);
        finish_stream(a, &out, connect_us); /* its complete lines are still an answer */
    } else if (kind == PROV_OUT_OK) {
        if (!a->complete && a->stream) {
            struct prov_outcome end;
            outcome_init(&end, PROV_OUT_MALFORMED, d->status);
            if (a->ops->stream_end(a->stream, &a->text, &end) != 0) {
                if (a->text.len == 0 && retry_smaller(a, &end))
                    return;
                end.http_status = d->status;
                if (!end.message[0])
                    snprintf(end.message, sizeof(end.message), "stream ended early");
                finish_stream(a, &end, connect_us);
                maybe_free(a);
                return;
            }
        }
        finish_stream(a, NULL, connect_us);
    } else {
        finish_stream(a, &out, connect_us);
    }
    maybe_free(a);
}

static const struct http_callbacks attempt_http_cb = {on_headers, on_data, on_http_done};

/* ------------------------------------------------------------------ public API */

static int start_transfer(struct attempt *a)
{
    struct prov_request req;
    memset(&req, 0, sizeof(req));
    int rc = a->ops->build_request(a->cfg, a->ctx, a->key, &req);
    if (rc != 0)
        return rc;

    struct http_request hreq = {
        .method = req.body ? HTTP_POST : HTTP_GET,
        .url = req.url,
        .headers = (const char *const *)req.headers,
        .body = req.body,
        .body_len = req.body_len,
        .max_response_bytes = ATTEMPT_MAX_RESPONSE_BYTES,
        .ca_file = a->cfg->ca_file,
    };
    if (a->has_opts) {
        const struct attempt_opts *opts = &a->opts;
        hreq.connect_timeout_ms = opts->connect_timeout_ms;
        hreq.first_byte_timeout_ms = opts->first_byte_timeout_ms;
        hreq.stall_timeout_ms = opts->stall_timeout_ms;
        hreq.total_timeout_ms = opts->total_timeout_ms;
        if (opts->max_response_bytes)
            hreq.max_response_bytes = opts->max_response_bytes;
    }
    if (log_get_level() >= LOG_TRACE) {
        /* What goes out, never the text: the endpoint's path (no query: some APIs take the
         * key there), the document, byte counts. Masking is logged by lsp/context.c. */
        const char *u = strstr(req.url, "://");
        u = u ? strchr(u + 3, '/') : NULL;
        size_t ulen = u ? strcspn(u, "?#") : 0;
        size_t eb = 0;
        for (size_t i = 0; i < a->ctx->n_excerpts; i++)
            eb += a->ctx->excerpts[i].text ? strlen(a->ctx->excerpts[i].text) : 0;
        LOG_T("attempt", "%s: %s %.*s for %s: body %zu bytes (prefix %zu, suffix %zu, %zu "
                         "excerpts of %zu bytes)",
              a->cfg->name ? a->cfg->name : "?", req.body ? "POST" : "GET", (int)ulen,
              u ? u : "/", a->ctx->path ? a->ctx->path : a->ctx->uri ? a->ctx->uri : "-",
              req.body_len, a->ctx->prefix_len, a->ctx->suffix_len, a->ctx->n_excerpts, eb);
    }
    rc = http_start(a->eng, &hreq, &attempt_http_cb, a, &a->xfer);
    prov_request_release(&req);
    return rc;
}

int attempt_start(struct http_engine *eng, const struct prov_config *cfg,
                  const struct prov_context *ctx, const char *key,
                  const struct attempt_opts *opts, const struct attempt_callbacks *cb,
                  void *ud, struct attempt **out)
{
    if (out)
        *out = NULL;
    if (!eng || !cfg || !cfg->ops || !ctx || !cb || !cb->on_done)
        return US_EINVAL;
    struct attempt *a = xcalloc(1, sizeof(*a));
    a->eng = eng;
    a->cfg = cfg;
    a->ops = cfg->ops;
    a->cb = *cb;
    a->ud = ud;
    a->first_byte_us = -1;
    a->first_text_us = -1;
    a->budget_wait_ms = -1;
    a->shape = ctx->shape;
    a->max_lines = ctx->max_lines;
    a->ctx = prov_context_dup(ctx);
    a->key = key ? xstrdup(key) : NULL;
    if (opts) {
        a->opts = *opts;
        a->has_opts = true;
    }
    sb_init(&a->text);
    sb_init(&a->errbody);
    a->start_us = us_now_us();
    int rc = start_transfer(a);
    if (rc != 0) {
        attempt_free(a);
        return rc;
    }
    if (out)
        *out = a;
    return 0;
}

void attempt_abort(struct attempt *a)
{
    if (!a || a->finished)
        return;
    a->finished = true;
    if (a->xfer) {
        http_abort(a->xfer);
        a->xfer = NULL;
    }
    maybe_free(a);
}
