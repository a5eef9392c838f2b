/* Unit tests for providers/attempt with a tiny test-only adapter (OpenAI-chat-like SSE) against
 * the fake provider: outcomes for every kind of ending, partial text kept to its last complete
 * line, abort semantics, byte-split streams. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "attempt.h"
#include "base.h"
#include "check.h"
#include "fakectl.h"
#include "http.h"

/* ------------------------------------------------------------------ test adapter */

struct tstream {
    struct strbuf line;
    bool done;
};

static int t_build(const struct prov_config *cfg, const struct prov_context *ctx,
                   const char *key, struct prov_request *req)
{
    if (!key)
        return US_ENOKEY;
    memset(req, 0, sizeof(*req));
    req->url = xasprintf("%s/v1/chat/completions", cfg->base_url);
    req->headers = xcalloc(3, sizeof(char *));
    req->headers[0] = xstrdup("Content-Type: application/json");
    req->headers[1] = xasprintf("Authorization: Bearer %s", key);
    json_t *body = json_pack("{s:b, s:s#}", "stream", 1, "prompt", ctx->prefix, ctx->prefix_len);
    req->body = json_dumps(body, JSON_COMPACT);
    req->body_len = strlen(req->body);
    req->stream = true;
    json_decref(body);
    return 0;
}

static void *t_new(const struct prov_config *cfg)
{
    (void)cfg;
    struct tstream *st = xcalloc(1, sizeof(*st));
    sb_init(&st->line);
    return st;
}

static int t_line(struct tstream *st, const char *line, struct strbuf *text,
                  struct prov_outcome *out)
{
    if (strncmp(line, "data: ", 6) != 0)
        return 0;
    const char *data = line + 6;
    if (strcmp(data, "[DONE]") == 0) {
        st->done = true;
        return 1;
    }
    json_t *j = json_loads(data, 0, NULL);
    if (!j) {
        out->kind = PROV_OUT_MALFORMED;
        snprintf(out->message, sizeof(out->message), "bad json");
        return -1;
    }
    if (json_object_get(j, "error")) {
        out->kind = PROV_OUT_STREAM_ERROR;
        snprintf(out->message, sizeof(out->message), "in-stream error");
        json_decref(j);
        return -1;
    }
    json_t *c = json_object_get(
        json_object_get(json_array_get(json_object_get(j, "choices"), 0), "delta"), "content");
    if (json_is_string(c))
        sb_add(text, json_string_value(c), json_string_length(c));
    json_decref(j);
    return 0;
}

static int t_feed(void *p, const char *buf, size_t len, struct strbuf *text,
                  struct prov_outcome *out)
{
    struct tstream *st = p;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n') {
            sb_addc(&st->line, buf[i]);
            continue;
        }
        int rv = t_line(st, st->line.data, text, out);
        sb_clear(&st->line);
        if (rv != 0)
            return rv;
    }
    return 0;
}

static int t_end(void *p, struct strbuf *text, struct prov_outcome *out)
{
    struct tstream *st = p;
    (void)text;
    if (st->done)
        return 0;
    out->kind = PROV_OUT_MALFORMED;
    snprintf(out->message, sizeof(out->message), "no [DONE]");
    return -1;
}

static void t_free(void *p)
{
    struct tstream *st = p;
    sb_release(&st->line);
    free(st);
}

static void t_classify(int status, prov_header_fn header, void *ud, const char *body,
                       size_t body_len, struct prov_outcome *out)
{
    (void)body;
    (void)body_len;
    if (status == 429) {
        out->kind = PROV_OUT_RATE_LIMITED;
        const char *ra = header(ud, "retry-after");
        if (ra)
            out->retry_after_ms = atoll(ra) * 1000;
    } else if (status >= 500) {
        out->kind = PROV_OUT_SERVER;
    } else if (status == 401 || status == 402 || status == 403) {
        out->kind = PROV_OUT_AUTH;
    } else {
        out->kind = PROV_OUT_BAD_REQUEST;
    }
    snprintf(out->message, sizeof(out->message), "HTTP %d", status);
}

static const struct prov_ops test_ops = {
    .kind = "test",
    .default_base_url = "http://127.0.0.1:1",
    .build_request = t_build,
    .stream_new = t_new,
    .stream_feed = t_feed,
    .stream_end = t_end,
    .stream_free = t_free,
    .classify = t_classify,
};

/* ------------------------------------------------------------------ harness */

static struct fake g_fake;
static bool g_fake_up;

static void stop_fake(void)
{
    fake_stop(&g_fake);
}

static struct fake *the_fake(void)
{
    if (!g_fake_up) {
        if (fake_start(&g_fake, NULL) != 0) {
            fprintf(stderr, "cannot start the fake provider\n");
            exit(1);
        }
        g_fake_up = true;
        atexit(stop_fake);
    } else {
        fake_control(&g_fake, "{\"reset\": true}");
    }
    return &g_fake;
}

struct env {
    uv_loop_t loop;
    struct http_engine *eng;
    struct fake *f;
    struct prov_config cfg;
    struct prov_context ctx;
    struct attempt_opts opts;
};

static void env_init(struct env *e)
{
    memset(e, 0, sizeof(*e));
    uv_loop_init(&e->loop);
    e->eng = http_engine_new(&e->loop);
    e->f = the_fake();
    e->cfg.name = "fake";
    e->cfg.kind = "test";
    e->cfg.base_url = e->f->base;
    e->cfg.ops = &test_ops;
    e->ctx.language = "python";
    e->ctx.prefix = "def f():\n    ";
    e->ctx.prefix_len = strlen(e->ctx.prefix);
    e->ctx.suffix = "";
    e->opts.connect_timeout_ms = 1000;
    e->opts.first_byte_timeout_ms = 3000;
    e->opts.stall_timeout_ms = 3000;
    e->opts.total_timeout_ms = 10000;
}

static void env_done(struct env *e)
{
    http_engine_free(e->eng);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&e->loop), 0);
}

static void guard_cb(uv_timer_t *t)
{
    (void)t;
}

static void run_until(struct env *e, const bool *flag, int timeout_ms)
{
    uv_timer_t guard;
    uv_timer_init(&e->loop, &guard);
    uv_timer_start(&guard, guard_cb, 5, 5);
    uint64_t end = us_now_ms() + (uint64_t)timeout_ms;
    while ((!flag || !*flag) && us_now_ms() < end)
        uv_run(&e->loop, UV_RUN_ONCE);
    uv_timer_stop(&guard);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(&e->loop, UV_RUN_NOWAIT);
}

struct arec {
    int text_calls, done_calls;
    struct strbuf deltas;
    struct prov_outcome out;
    char text[4096];
    size_t text_len;
    bool truncated;
    int64_t ttfb_ms;
    struct attempt_timing timing;
    bool finished;
    bool abort_on_text;
};

static void arec_init(struct arec *r)
{
    memset(r, 0, sizeof(*r));
    sb_init(&r->deltas);
}

static void a_text(struct attempt *a, void *ud, const char *delta, size_t len)
{
    struct arec *r = ud;
    r->text_calls++;
    sb_add(&r->deltas, delta, len);
    if (r->abort_on_text) {
        attempt_abort(a);
        r->finished = true;
    }
}

static void a_done(struct attempt *a, void *ud, const struct attempt_result *res)
{
    struct arec *r = ud;
    r->done_calls++;
    r->out = res->outcome;
    r->text_len = US_MIN(res->text_len, sizeof(r->text) - 1);
    memcpy(r->text, res->text, r->text_len);
    r->text[r->text_len] = 0;
    r->truncated = res->truncated;
    r->ttfb_ms = res->ttfb_ms;
    r->timing = res->timing;
    r->finished = true;
    attempt_abort(a); /* a no-op once on_done runs */
}

static const struct attempt_callbacks acb = {a_text, a_done};

/* Run one attempt against the fake in `mode_json` and record what came back. */
static void run_one(struct env *e, const char *mode_json, struct arec *r)
{
    if (mode_json)
        fake_control(e->f, mode_json);
    CHECK_EQ_INT(attempt_start(e->eng, &e->cfg, &e->ctx, "sk-test-key", &e->opts, &acb, r, NULL),
                 0);
    run_until(e, &r->finished, 15000);
}

/* ------------------------------------------------------------------ cases */

static void test_ok_streams_text(void)
{
    struct env e;
    env_init(&e);
    struct arec r;
    arec_init(&r);
    run_one(&e, "{\"mode\": \"healthy\", \"text\": \"return 42\\n\", \"chunk_delay_ms\": 10}", &r);
    CHECK_EQ_INT(r.done_calls, 1);
    CHECK_EQ_INT(r.out.kind, PROV_OUT_OK);
    CHECK_EQ_STR(r.text, "return 42\n");
    CHECK_EQ_STR(r.deltas.data, "return 42\n");
    CHECK(r.text_calls >= 2);
    CHECK(!r.truncated);
    CHECK(r.ttfb_ms >= 0);
    CHECK(r.timing.first_text_us >= r.timing.first_byte_us);
    CHECK(r.timing.total_us >= r.timing.first_text_us);
    /* The request went out as the adapter built it. */
    json_t *s = fake_stats(e.f);
    json_t *q = json_array_get(json_object_get(s, "requests"), 0);
    CHECK_EQ_STR(json_string_value(json_object_get(q, "path")), "/v1/chat/completions");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(q, "json"), "prompt")),
                 "def f():\n    ");
    json_decref(s);
    sb_release(&r.deltas);
    env_done(&e);
}

static void test_split_every_byte_utf8(void)
{
    struct env e;
    env_init(&e);
    struct arec r;
    arec_init(&r);
    run_one(&e, "{\"mode\": \"chunked_bytes\", \"text\": \"print('h\\u00e9llo \\u2713 \\ud83d\\ude00')\\n\"}",
            &r);
    CHECK_EQ_INT(r.out.kind, PROV_OUT_OK);
    CHECK_EQ_STR(r.text, "print('h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80')\n");
    sb_release(&r.deltas);
    env_done(&e);
}

static void test_status_outcomes(void)
{
    static const struct {
        const char *mode;
        enum prov_outcome_kind kind;
        int status;
    } cases[] = {
        {"status_503", PROV_OUT_SERVER, 503},  {"status_529", PROV_OUT_SERVER, 529},
        {"html_error", PROV_OUT_SERVER, 502},  {"auth_401", PROV_OUT_AUTH, 401},
        {"payment_402", PROV_OUT_AUTH, 402},   {"context_too_long", PROV_OUT_BAD_REQUEST, 400},
        {"rate_limit_seconds", PROV_OUT_RATE_LIMITED, 429},
    };
    for (size_t i = 0; i < US_ARRAY_LEN(cases); i++) {
        struct env e;
        env_init(&e);
        struct arec r;
        arec_init(&r);
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "{\"mode\": \"%s\"}", cases[i].mode);
        run_one(&e, cmd, &r);
        CHECK_EQ_INT(r.done_calls, 1);
        CHECK_EQ_INT(r.out.kind, cases[i].kind);
        CHECK_EQ_INT(r.out.http_status, cases[i].status);
        CHECK_EQ_INT(r.text_len, 0);
        if (cases[i].kind == PROV_OUT_RATE_LIMITED)
            CHECK_EQ_INT(r.out.retry_after_ms, 7000);
        else
            CHECK_EQ_INT(r.out.retry_after_ms, -1);
        sb_release(&r.deltas);
        env_done(&e);
    }
}

static void test_malformed_endings(void)
{
    static const char *const modes[] = {"wrong_content_type", "empty", "truncated", "malformed",
                                        "huge"};
    for (size_t i = 0; i < US_ARRAY_LEN(modes); i++) {
        struct env e;
        env_init(&e);
        e.opts.max_response_bytes = 1 << 20;
        struct arec r;
        arec_init(&r);
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "{\"mode\": \"%s\"}", modes[i]);
        run_one(&e, cmd, &r);
        CHECK_EQ_INT(r.done_calls, 1);
        if (r.out.kind != PROV_OUT_MALFORMED)
            fprintf(stderr, "mode %s gave %s\n", modes[i], prov_outcome_name(r.out.kind));
        CHECK_EQ_INT(r.out.kind, PROV_OUT_MALFORMED);
        sb_release(&r.deltas);
        env_done(&e);
    }
}

static void test_stream_errors(void)
{
    struct env e;
    env_init(&e);
    struct arec r;
    arec_init(&r);
    run_one(&e, "{\"mode\": \"stream_error_first\"}", &r);
    CHECK_EQ_INT(r.out.kind, PROV_OUT_STREAM_ERROR);
    sb_release(&r.deltas);
    /* Error after some text but before a complete line: still an error. */
    arec_init(&r);
    run_one(&e, "{\"mode\": \"stream_error\"}", &r);
    CHECK_EQ_INT(r.out.kind, PROV_OUT_STREAM_ERROR);
    CHECK_EQ_STR(r.deltas.data, "hell");
    sb_release(&r.deltas);
    /* Error after a complete line: the line is kept. */
    arec_init(&r);
    run_one(&e, "{\"mode\": \"stream_error\", \"text\": \"x = 1\\ny = 2\\n\", \"delta_size\": 8}",
            &r);
    CHECK_EQ_INT(r.out.kind, PROV_OUT_OK);
    CHECK_EQ_STR(r.text, "x = 1\n");
    CHECK(r.truncated);
    sb_release(&r.deltas);
    env_done(&e);
}

static void test_timeouts(void)
{
    struct env e;
    env_init(&e);
    e.opts.first_byte_timeout_ms = 300;
    e.opts.stall_timeout_ms = 300;
    struct arec r;
    arec_init(&r);
    run_one(&e, "{\"mode\": \"hang\"}", &r);
    CHECK_EQ_INT(r.out.kind, PROV_OUT_TIMEOUT);
    CHECK_EQ_INT(r.ttfb_ms, -1);
    CHECK(fake_wait_client_closed(e.f, 5000));
    sb_release(&r.deltas);
    /* Stall before any complete line: timeout. */
    arec_init(&r);
    run_one(&e, "{\"mode\": \"stall\"}", &r);
    CHECK_EQ_INT(r.out.kind, PROV_OUT_TIMEOUT);
    sb_release(&r.deltas);
    /* Stall after a complete line: keep it. */
    arec_init(&r);
    run_one(&e, "{\"mode\": \"stall\", \"text\": \"if x:\\n    go()\\n\", \"delta_size\": 8}", &r);
    CHECK_EQ_INT(r.out.kind, PROV_OUT_OK);
    CHECK_EQ_STR(r.text, "if x:\n");
    CHECK(r.truncated);
    sb_release(&r.deltas);
    env_done(&e);
}

static void test_transport(void)
{
    struct env e;
    env_init(&e);
    struct arec r;
    arec_init(&r);
    run_one(&e, "{\"mode\": \"accept_reset\"}", &r);
    CHECK_EQ_INT(r.out.kind, PROV_OUT_TRANSPORT);
    sb_release(&r.deltas);
    arec_init(&r);
    run_one(&e, "{\"mode\": \"reset_mid_body\"}", &r);
    CHECK_EQ_INT(r.out.kind, PROV_OUT_TRANSPORT);
    sb_release(&r.deltas);
    arec_init(&r);
    e.cfg.base_url = "http://127.0.0.1:1";
    run_one(&e, NULL, &r);
    CHECK_EQ_INT(r.out.kind, PROV_OUT_TRANSPORT);
    sb_release(&r.deltas);
    env_done(&e);
}

static void test_gzip_answer(void)
{
    struct env e;
    env_init(&e);
    struct arec r;
    arec_init(&r);
    run_one(&e, "{\"mode\": \"gzip\", \"text\": \"pass\\n\"}", &r);
    CHECK_EQ_INT(r.out.kind, PROV_OUT_OK);
    CHECK_EQ_STR(r.text, "pass\n");
    sb_release(&r.deltas);
    env_done(&e);
}

static void abort_timer_cb(uv_timer_t *t)
{
    attempt_abort(t->data);
}

static void test_abort(void)
{
    struct env e;
    env_init(&e);
    /* From outside, while the server hangs. */
    fake_control(e.f, "{\"mode\": \"hang\"}");
    struct arec r;
    arec_init(&r);
    struct attempt *a = NULL;
    CHECK_EQ_INT(attempt_start(e.eng, &e.cfg, &e.ctx, "k", &e.opts, &acb, &r, &a), 0);
    uv_timer_t timer;
    uv_timer_init(&e.loop, &timer);
    timer.data = a;
    uv_timer_start(&timer, abort_timer_cb, 150, 0);
    run_until(&e, NULL, 600);
    CHECK_EQ_INT(r.done_calls, 0);
    CHECK(fake_wait_client_closed(e.f, 5000));
    uv_close((uv_handle_t *)&timer, NULL);
    sb_release(&r.deltas);
    /* From inside on_text. */
    arec_init(&r);
    r.abort_on_text = true;
    fake_control(e.f, "{\"mode\": \"stall\"}");
    CHECK_EQ_INT(attempt_start(e.eng, &e.cfg, &e.ctx, "k", &e.opts, &acb, &r, NULL), 0);
    run_until(&e, &r.finished, 5000);
    run_until(&e, NULL, 200);
    CHECK_EQ_INT(r.text_calls, 1);
    CHECK_EQ_INT(r.done_calls, 0);
    CHECK(fake_wait_client_closed(e.f, 5000));
    CHECK_EQ_INT(http_engine_active(e.eng), 0);
    sb_release(&r.deltas);
    env_done(&e);
}

static void test_start_error(void)
{
    struct env e;
    env_init(&e);
    struct arec r;
    arec_init(&r);
    struct attempt *a = (struct attempt *)&r;
    CHECK_EQ_INT(attempt_start(e.eng, &e.cfg, &e.ctx, NULL, &e.opts, &acb, &r, &a), US_ENOKEY);
    CHECK(a == NULL);
    run_until(&e, NULL, 100);
    CHECK_EQ_INT(r.done_calls, 0);
    CHECK_EQ_INT(fake_stat_int(e.f, "requests_total"), 0);
    sb_release(&r.deltas);
    env_done(&e);
}

/* The real adapters (providers/<kind>.c) against the fake's wire formats, end to end through
 * attempt and the engine: the fake and the adapters were written from the same reference and
 * must agree, for every split of the bytes. */
static void test_real_adapters(void)
{
    static const struct {
        const char *mode;
        enum prov_outcome_kind kind;
    } modes[] = {
        {"{\"mode\": \"healthy\", \"text\": \"h\\u00e9llo \\u2713\\nworld\\n\"}", PROV_OUT_OK},
        {"{\"mode\": \"chunked_bytes\", \"text\": \"h\\u00e9llo \\u2713\\nworld\\n\"}", PROV_OUT_OK},
        {"{\"mode\": \"status_503\"}", PROV_OUT_SERVER},
        {"{\"mode\": \"rate_limit_seconds\"}", PROV_OUT_RATE_LIMITED},
        {"{\"mode\": \"auth_401\"}", PROV_OUT_AUTH},
        {"{\"mode\": \"stream_error_first\"}", PROV_OUT_STREAM_ERROR},
    };
    struct env e;
    env_init(&e);
    int kinds = 0;
    for (const char *const *k = prov_kind_names(); k && *k; k++) {
        kinds++;
        const struct prov_ops *ops = prov_ops_find(*k);
        CHECK(ops != NULL);
        if (!ops)
            continue;
        /* Same path as the kind's default base URL, on the fake's host and port. */
        const char *path = strstr(ops->default_base_url, "://");
        path = path ? strchr(path + 3, '/') : NULL;
        char base[256];
        snprintf(base, sizeof(base), "%s%s", e.f->base, path ? path : "");
        json_t *entry = json_pack("{s:s, s:s, s:s, s:s}", "name", *k, "kind", *k, "model",
                                  "fake-model", "base_url", base);
        struct prov_config cfg;
        char *err = NULL;
        int rc = prov_config_parse(entry, &cfg, NULL, &err);
        json_decref(entry);
        CHECK_EQ_INT(rc, 0);
        if (rc != 0) {
            fprintf(stderr, "%s: %s\n", *k, err ? err : "?");
            free(err);
            continue;
        }
        for (size_t m = 0; m < US_ARRAY_LEN(modes); m++) {
            fake_control(e.f, "{\"reset\": true}");
            fake_control(e.f, modes[m].mode);
            struct arec r;
            arec_init(&r);
            CHECK_EQ_INT(attempt_start(e.eng, &cfg, &e.ctx, "sk-test", &e.opts, &acb, &r, NULL),
                         0);
            run_until(&e, &r.finished, 15000);
            /* A kind without line stops (Anthropic) ends the transfer once the line-shaped
             * answer's first line is in. */
            const char *want = ops->cut_lines ? "h\xc3\xa9llo \xe2\x9c\x93\n"
                                              : "h\xc3\xa9llo \xe2\x9c\x93\nworld\n";
            if (r.out.kind != modes[m].kind ||
                (modes[m].kind == PROV_OUT_OK && strcmp(r.text, want)))
                fprintf(stderr, "kind %s, fake %s: got %s (%s) text \"%s\"\n", *k, modes[m].mode,
                        prov_outcome_name(r.out.kind), r.out.message, r.text);
            CHECK_EQ_INT(r.out.kind, modes[m].kind);
            if (modes[m].kind == PROV_OUT_OK)
                CHECK_EQ_STR(r.text, want);
            if (modes[m].kind == PROV_OUT_RATE_LIMITED)
                CHECK_EQ_INT(r.out.retry_after_ms, 7000);
            sb_release(&r.deltas);
        }
        prov_config_release(&cfg);
    }
    CHECK_EQ_INT(kinds, 8);
    env_done(&e);
}

#define TESTS(X)                                                                       \
    X(test_ok_streams_text)                                                            \
    X(test_split_every_byte_utf8)                                                      \
    X(test_status_outcomes)                                                            \
    X(test_malformed_endings)                                                          \
    X(test_stream_errors)                                                              \
    X(test_timeouts)                                                                   \
    X(test_transport)                                                                  \
    X(test_gzip_answer)                                                                \
    X(test_abort)                                                                      \
    X(test_start_error)                                                               \
    X(test_real_adapters)

CHECK_MAIN(TESTS)
