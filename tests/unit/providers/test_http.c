/* Unit tests for providers/http against the fake provider (tests/fakes/fake_provider.py): streaming,
 * timeouts, aborts seen by the server, connection reuse, caps, refusal, loop responsiveness. */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base.h"
#include "check.h"
#include "fakectl.h"
#include "http.h"

static struct fake g_fake;
static bool g_fake_up;

static void stop_fake(void)
{
    fake_stop(&g_fake);
}

/* One fake for the whole binary, reset before each case. */
static struct fake *the_fake(void)
{
    if (!g_fake_up) {
        /* The engine's own tests send no API request, so the fake checks no API rules. */
        static const char *const args[] = {"--tls-port", "0", "--no-validate", NULL};
        if (fake_start(&g_fake, args) != 0) {
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
};

static void env_init(struct env *e)
{
    uv_loop_init(&e->loop);
    e->eng = http_engine_new(&e->loop);
    e->f = the_fake();
}

static void env_done(struct env *e)
{
    http_engine_free(e->eng);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&e->loop), 0); /* every handle closed: nothing leaked */
}

static void guard_cb(uv_timer_t *t)
{
    (void)t;
}

/* Run the loop until *flag is set or timeout_ms passes. */
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

struct rec {
    int headers_calls, data_calls, done_calls;
    int status;
    char ctype[64];
    char retry_after[64];
    struct strbuf body;
    struct http_done done;
    bool finished;
    uint64_t done_ms;
    bool abort_in_data;   /* call http_abort from on_data */
    struct http_transfer *self;
};

static void rec_init(struct rec *r)
{
    memset(r, 0, sizeof(*r));
    sb_init(&r->body);
}

static void on_headers(struct http_transfer *t, void *ud, int status, const struct http_headers *h)
{
    struct rec *r = ud;
    (void)t;
    r->headers_calls++;
    r->status = status;
    const char *ct = http_header_get(h, "content-type");
    snprintf(r->ctype, sizeof(r->ctype), "%s", ct ? ct : "");
    const char *ra = http_header_get(h, "Retry-After");
    snprintf(r->retry_after, sizeof(r->retry_after), "%s", ra ? ra : "");
}

static void on_data(struct http_transfer *t, void *ud, const char *buf, size_t len)
{
    struct rec *r = ud;
    r->data_calls++;
    sb_add(&r->body, buf, len);
    if (r->abort_in_data) {
        http_abort(t);
        r->finished = true; /* nothing more will come */
    }
}

static void on_done(struct http_transfer *t, void *ud, const struct http_done *d)
{
    struct rec *r = ud;
    (void)t;
    r->done_calls++;
    r->done = *d;
    r->done.headers = NULL;
    r->done.error = NULL;
    r->finished = true;
    r->done_ms = us_now_ms();
}

static const struct http_callbacks rec_cb = {on_headers, on_data, on_done};

static struct http_request post(char *url, size_t url_cap, const struct fake *f, const char *path)
{
    static const char *const hdrs[] = {"Content-Type: application/json", "x-api-key: sk-test",
                                       NULL};
    snprintf(url, url_cap, "%s%s", f->base, path);
    struct http_request req = {
        .method = HTTP_POST,
        .url = url,
        .headers = hdrs,
        .body = "{\"stream\": true}",
        .body_len = strlen("{\"stream\": true}"),
        .connect_timeout_ms = 1000,
        .first_byte_timeout_ms = 5000,
        .stall_timeout_ms = 5000,
        .total_timeout_ms = 20000,
    };
    return req;
}

/* ------------------------------------------------------------------ cases */

static void test_stream_pieces(void)
{
    struct env e;
    env_init(&e);
    fake_control(e.f, "{\"mode\": \"healthy\", \"text\": \"def add(a, b):\\n    return a + b\\n\","
                      " \"chunk_delay_ms\": 30}");
    struct rec r;
    rec_init(&r);
    char url[128];
    struct http_request req = post(url, sizeof(url), e.f, "/v1/chat/completions");
    CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r, NULL), 0);
    CHECK_EQ_INT(http_engine_active(e.eng), 1);
    run_until(&e, &r.finished, 10000);
    CHECK_EQ_INT(r.done_calls, 1);
    CHECK_EQ_INT(r.done.result, HTTP_RESULT_OK);
    CHECK_EQ_INT(r.done.status, 200);
    CHECK_EQ_INT(r.headers_calls, 1);
    CHECK(strncmp(r.ctype, "text/event-stream", 17) == 0);
    CHECK(r.data_calls >= 4); /* pieces, not one blob at the end */
    CHECK(strstr(r.body.data, "\"content\":\"def \"") != NULL);
    CHECK(strstr(r.body.data, "data: [DONE]") != NULL);
    CHECK_EQ_INT(r.done.body_bytes, r.body.len);
    CHECK(r.done.timing.first_byte_us > 0);
    CHECK(r.done.timing.total_us >= r.done.timing.first_byte_us);
    CHECK(r.done.timing.connect_us > 0);
    CHECK_EQ_INT(http_engine_active(e.eng), 0);
    /* The request reached the server as sent. */
    json_t *s = fake_stats(e.f);
    json_t *q = json_array_get(json_object_get(s, "requests"), 0);
    CHECK_EQ_STR(json_string_value(json_object_get(q, "method")), "POST");
    CHECK_EQ_STR(json_string_value(json_object_get(q, "body")), "{\"stream\": true}");
    CHECK(json_is_true(json_object_get(json_object_get(q, "json"), "stream")));
    json_decref(s);
    sb_release(&r.body);
    env_done(&e);
}

static void test_status_and_headers(void)
{
    struct env e;
    env_init(&e);
    fake_control(e.f, "{\"mode\": \"rate_limit_seconds\"}");
    struct rec r;
    rec_init(&r);
    char url[128];
    struct http_request req = post(url, sizeof(url), e.f, "/v1/messages");
    CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r, NULL), 0);
    run_until(&e, &r.finished, 10000);
    CHECK_EQ_INT(r.done.result, HTTP_RESULT_OK);
    CHECK_EQ_INT(r.done.status, 429);
    CHECK_EQ_STR(r.retry_after, "7");
    CHECK(strstr(r.body.data, "rate_limit_error") != NULL);
    sb_release(&r.body);
    env_done(&e);
}

static void test_first_byte_timeout(void)
{
    struct env e;
    env_init(&e);
    fake_control(e.f, "{\"mode\": \"hang\"}");
    struct rec r;
    rec_init(&r);
    char url[128];
    struct http_request req = post(url, sizeof(url), e.f, "/v1/messages");
    req.first_byte_timeout_ms = 300;
    uint64_t t0 = us_now_ms();
    CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r, NULL), 0);
    run_until(&e, &r.finished, 10000);
    uint64_t took = r.done_ms - t0;
    CHECK_EQ_INT(r.done.result, HTTP_RESULT_TIMEOUT_FIRST_BYTE);
    CHECK(took >= 250 && took < 3000);
    CHECK_EQ_INT(r.headers_calls, 0);
    CHECK_EQ_INT(r.done.status, 0);
    CHECK(fake_wait_client_closed(e.f, 5000)); /* the server saw us go */
    sb_release(&r.body);
    env_done(&e);
}

static void test_stall_timeout(void)
{
    struct env e;
    env_init(&e);
    fake_control(e.f, "{\"mode\": \"stall\"}");
    struct rec r;
    rec_init(&r);
    char url[128];
    struct http_request req = post(url, sizeof(url), e.f, "/api/generate");
    req.first_byte_timeout_ms = 3000;
    req.stall_timeout_ms = 300;
    uint64_t t0 = us_now_ms();
    CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r, NULL), 0);
    run_until(&e, &r.finished, 10000);
    CHECK_EQ_INT(r.done.result, HTTP_RESULT_TIMEOUT_STALL);
    CHECK(r.done_ms - t0 >= 250 && r.done_ms - t0 < 3000);
    CHECK_EQ_INT(r.status, 200);
    CHECK(strstr(r.body.data, "\"response\":\"hell\"") != NULL); /* text before the stall */
    CHECK(fake_wait_client_closed(e.f, 5000));
    sb_release(&r.body);
    env_done(&e);
}

static void test_total_timeout(void)
{
    struct env e;
    env_init(&e);
    fake_control(e.f, "{\"mode\": \"drip\"}");
    struct rec r;
    rec_init(&r);
    char url[128];
    struct http_request req = post(url, sizeof(url), e.f, "/infill");
    req.total_timeout_ms = 500;
    CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r, NULL), 0);
    run_until(&e, &r.finished, 10000);
    CHECK_EQ_INT(r.done.result, HTTP_RESULT_TIMEOUT_TOTAL);
    CHECK(r.data_calls >= 2); /* the drip kept the stall timer quiet */
    CHECK(fake_wait_client_closed(e.f, 5000));
    sb_release(&r.body);
    env_done(&e);
}

struct abort_ctx {
    struct http_transfer *t;
    bool fired;
};

static void abort_timer_cb(uv_timer_t *timer)
{
    struct abort_ctx *a = timer->data;
    http_abort(a->t);
    http_abort(a->t); /* twice is harmless */
    a->fired = true;
}

static void test_abort_from_timer(void)
{
    struct env e;
    env_init(&e);
    fake_control(e.f, "{\"mode\": \"hang\"}");
    struct rec r;
    rec_init(&r);
    char url[128];
    struct http_request req = post(url, sizeof(url), e.f, "/v1/messages");
    struct abort_ctx a = {0};
    CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r, &a.t), 0);
    CHECK(a.t != NULL);
    uv_timer_t timer;
    uv_timer_init(&e.loop, &timer);
    timer.data = &a;
    uv_timer_start(&timer, abort_timer_cb, 200, 0);
    run_until(&e, NULL, 800); /* long enough for any stray callback */
    CHECK(a.fired);
    CHECK_EQ_INT(r.done_calls, 0);
    CHECK_EQ_INT(http_engine_active(e.eng), 0);
    CHECK(fake_wait_client_closed(e.f, 5000));
    uv_close((uv_handle_t *)&timer, NULL);
    sb_release(&r.body);
    env_done(&e);
}

static void test_abort_in_callback(void)
{
    struct env e;
    env_init(&e);
    fake_control(e.f, "{\"mode\": \"stall\"}");
    struct rec r;
    rec_init(&r);
    r.abort_in_data = true;
    char url[128];
    struct http_request req = post(url, sizeof(url), e.f, "/v1/messages");
    CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r, NULL), 0);
    run_until(&e, &r.finished, 10000);
    run_until(&e, NULL, 300);
    CHECK_EQ_INT(r.data_calls, 1);
    CHECK_EQ_INT(r.done_calls, 0);
    CHECK(fake_wait_client_closed(e.f, 5000));
    sb_release(&r.body);
    env_done(&e);
}

/* Sequential requests: each on_done starts the next (re-entrant http_start). */
struct chain {
    struct http_engine *eng;
    struct http_request req;
    int remaining, ok;
    bool finished;
};

static void chain_done(struct http_transfer *t, void *ud, const struct http_done *d);
static const struct http_callbacks chain_cb = {NULL, NULL, chain_done};

static void chain_done(struct http_transfer *t, void *ud, const struct http_done *d)
{
    struct chain *c = ud;
    (void)t;
    if (d->result == HTTP_RESULT_OK && d->status == 200)
        c->ok++;
    if (--c->remaining > 0) {
        if (http_start(c->eng, &c->req, &chain_cb, c, NULL) != 0)
            c->finished = true;
    } else {
        c->finished = true;
    }
}

static void test_keepalive_reuse(void)
{
    struct env e;
    env_init(&e);
    struct chain c = {.eng = e.eng, .remaining = 100};
    char url[128];
    c.req = post(url, sizeof(url), e.f, "/v1/completions");
    CHECK_EQ_INT(http_start(e.eng, &c.req, &chain_cb, &c, NULL), 0);
    run_until(&e, &c.finished, 30000);
    CHECK_EQ_INT(c.ok, 100);
    long conns = fake_stat_int(e.f, "connections_accepted");
    CHECK(conns >= 1 && conns <= 3);
    CHECK_EQ_INT(fake_stat_int(e.f, "requests_total"), 100);
    env_done(&e);
}

static void test_size_cap(void)
{
    struct env e;
    env_init(&e);
    fake_control(e.f, "{\"mode\": \"huge\"}");
    struct rec r;
    rec_init(&r);
    char url[128];
    struct http_request req = post(url, sizeof(url), e.f, "/v1/chat/completions");
    req.max_response_bytes = 1 << 20;
    CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r, NULL), 0);
    run_until(&e, &r.finished, 10000);
    CHECK_EQ_INT(r.done.result, HTTP_RESULT_TOO_LARGE);
    CHECK(r.body.len <= (size_t)1 << 20);
    CHECK(r.body.len > 0);
    sb_release(&r.body);
    env_done(&e);
}

static void test_refused(void)
{
    struct env e;
    env_init(&e);
    /* An unused port: bind one, note it, close it. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_EQ_INT(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t sl = sizeof(sa);
    getsockname(s, (struct sockaddr *)&sa, &sl);
    close(s);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/messages", ntohs(sa.sin_port));
    struct http_request req = {.method = HTTP_POST, .url = url, .body = "{}", .body_len = 2,
                               .connect_timeout_ms = 2000};
    struct rec r;
    rec_init(&r);
    uint64_t t0 = us_now_ms();
    CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r, NULL), 0);
    run_until(&e, &r.finished, 10000);
    CHECK_EQ_INT(r.done.result, HTTP_RESULT_REFUSED);
    CHECK(r.done_ms - t0 < 1000);
    CHECK_EQ_INT(r.done.timing.connect_us, -1);
    CHECK_EQ_INT(r.headers_calls, 0);
    sb_release(&r.body);
    env_done(&e);
}

struct tick {
    uint64_t last, max_gap;
    int count;
};

static void tick_cb(uv_timer_t *timer)
{
    struct tick *k = timer->data;
    uint64_t now = us_now_ms();
    if (k->last && now - k->last > k->max_gap)
        k->max_gap = now - k->last;
    k->last = now;
    k->count++;
}

static void test_loop_responsive(void)
{
    struct env e;
    env_init(&e);
    /* One transfer drips a byte per 100 ms, another hangs: the loop must stay free. */
    fake_control(e.f, "{\"queue\": [{\"mode\": \"drip\", \"count\": 1},"
                      " {\"mode\": \"hang\", \"count\": 1}]}");
    struct rec r1, r2;
    rec_init(&r1);
    rec_init(&r2);
    char url[128];
    struct http_request req = post(url, sizeof(url), e.f, "/v1/messages");
    struct http_transfer *t1, *t2;
    CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r1, &t1), 0);
    CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r2, &t2), 0);
    struct tick k = {0};
    uv_timer_t timer;
    uv_timer_init(&e.loop, &timer);
    timer.data = &k;
    uv_timer_start(&timer, tick_cb, 20, 20);
    run_until(&e, NULL, 1200);
    CHECK(k.count >= 30);       /* ~60 expected */
    CHECK(k.max_gap < 150);     /* generous: 20 ms period */
    /* The drip was being read meanwhile (either transfer may have drawn it). */
    CHECK(r1.data_calls + r2.data_calls >= 3);
    CHECK_EQ_INT(r1.done_calls + r2.done_calls, 0);
    http_abort(t1);
    http_abort(t2);
    uv_close((uv_handle_t *)&timer, NULL);
    sb_release(&r1.body);
    sb_release(&r2.body);
    env_done(&e);
}

static void test_gzip(void)
{
    struct env e;
    env_init(&e);
    fake_control(e.f, "{\"mode\": \"gzip\"}");
    struct rec r;
    rec_init(&r);
    char url[128];
    struct http_request req = post(url, sizeof(url), e.f, "/v1/messages");
    CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r, NULL), 0);
    run_until(&e, &r.finished, 10000);
    CHECK_EQ_INT(r.done.result, HTTP_RESULT_OK);
    CHECK(strstr(r.body.data, "event: message_stop") != NULL); /* decoded */
    /* We announced gzip. */
    json_t *s = fake_stats(e.f);
    json_t *hdrs = json_object_get(json_array_get(json_object_get(s, "requests"), 0), "headers");
    bool saw = false;
    for (size_t i = 0; i < json_array_size(hdrs); i++) {
        json_t *h = json_array_get(hdrs, i);
        if (strcasecmp(json_string_value(json_array_get(h, 0)), "accept-encoding") == 0 &&
            strstr(json_string_value(json_array_get(h, 1)), "gzip"))
            saw = true;
    }
    CHECK(saw);
    json_decref(s);
    sb_release(&r.body);
    env_done(&e);
}

static void test_reset_mid_body(void)
{
    struct env e;
    env_init(&e);
    fake_control(e.f, "{\"mode\": \"reset_mid_body\"}");
    struct rec r;
    rec_init(&r);
    char url[128];
    struct http_request req = post(url, sizeof(url), e.f, "/v1/chat/completions");
    CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r, NULL), 0);
    run_until(&e, &r.finished, 10000);
    CHECK_EQ_INT(r.done.result, HTTP_RESULT_RECV);
    CHECK_EQ_INT(r.status, 200);
    sb_release(&r.body);
    env_done(&e);
}

static void test_start_errors(void)
{
    struct env e;
    env_init(&e);
    struct rec r;
    rec_init(&r);
    struct http_request req = {.method = HTTP_POST, .url = NULL};
    struct http_transfer *t = (struct http_transfer *)&r;
    CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r, &t), US_EINVAL);
    CHECK(t == NULL);
    struct http_callbacks no_done = {on_headers, on_data, NULL};
    req.url = "http://127.0.0.1:1/";
    CHECK_EQ_INT(http_start(e.eng, &req, &no_done, &r, NULL), US_EINVAL);
    run_until(&e, NULL, 100);
    CHECK_EQ_INT(r.done_calls, 0);
    CHECK_EQ_INT(http_engine_active(e.eng), 0);
    CHECK_EQ_STR(http_result_name(HTTP_RESULT_TIMEOUT_STALL), "stall timeout");
    sb_release(&r.body);
    env_done(&e);
}

/* From inside one transfer's on_data: abort another running transfer and start a new one
 * (both must be deferred until curl returns). */
struct reent {
    struct http_engine *eng;
    struct http_request req;
    struct http_transfer *victim;
    struct rec victim_rec, new_rec, main_rec;
    bool did;
};

static void reent_data(struct http_transfer *t, void *ud, const char *buf, size_t len)
{
    struct reent *x = ud;
    on_data(t, &x->main_rec, buf, len);
    if (!x->did) {
        x->did = true;
        http_abort(x->victim);
        CHECK_EQ_INT(http_start(x->eng, &x->req, &rec_cb, &x->new_rec, NULL), 0);
    }
}

static void reent_done(struct http_transfer *t, void *ud, const struct http_done *d)
{
    struct reent *x = ud;
    on_done(t, &x->main_rec, d);
}

static void test_reentrant_start_and_abort(void)
{
    struct env e;
    env_init(&e);
    fake_control(e.f, "{\"queue\": [{\"mode\": \"hang\", \"count\": 1},"
                      " {\"mode\": \"healthy\", \"chunk_delay_ms\": 20, \"count\": 1}]}");
    struct reent x;
    memset(&x, 0, sizeof(x));
    rec_init(&x.victim_rec);
    rec_init(&x.new_rec);
    rec_init(&x.main_rec);
    x.eng = e.eng;
    char url[128];
    x.req = post(url, sizeof(url), e.f, "/v1/chat/completions");
    CHECK_EQ_INT(http_start(e.eng, &x.req, &rec_cb, &x.victim_rec, &x.victim), 0);
    run_until(&e, NULL, 200); /* let the victim reach the server first (it gets 'hang') */
    static const struct http_callbacks cb = {NULL, reent_data, reent_done};
    CHECK_EQ_INT(http_start(e.eng, &x.req, &cb, &x, NULL), 0);
    run_until(&e, &x.main_rec.finished, 10000);
    run_until(&e, &x.new_rec.finished, 10000);
    CHECK_EQ_INT(x.main_rec.done.result, HTTP_RESULT_OK);
    CHECK_EQ_INT(x.new_rec.done.result, HTTP_RESULT_OK);
    CHECK_EQ_INT(x.new_rec.done_calls, 1);
    CHECK_EQ_INT(x.victim_rec.done_calls, 0);
    CHECK_EQ_INT(http_engine_active(e.eng), 0);
    sb_release(&x.victim_rec.body);
    sb_release(&x.new_rec.body);
    sb_release(&x.main_rec.body);
    env_done(&e);
}

static void test_engine_free_running(void)
{
    struct env e;
    env_init(&e);
    fake_control(e.f, "{\"mode\": \"stall\"}");
    struct rec r[3];
    char url[128];
    struct http_request req = post(url, sizeof(url), e.f, "/v1/messages");
    for (int i = 0; i < 3; i++) {
        rec_init(&r[i]);
        CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r[i], NULL), 0);
    }
    run_until(&e, NULL, 300);
    CHECK_EQ_INT(http_engine_active(e.eng), 3);
    env_done(&e); /* frees with three transfers in flight */
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(r[i].done_calls, 0);
        sb_release(&r[i].body);
    }
    CHECK(fake_wait_client_closed(e.f, 5000));
}

/* TLS verification is always on: a self-signed certificate must fail the transfer. */
static void test_tls_verification(void)
{
    struct env e;
    env_init(&e);
    CHECK(e.f->tls_port > 0);
    char url[128];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/v1/messages", e.f->tls_port);
    struct http_request req = {.method = HTTP_POST, .url = url, .body = "{}", .body_len = 2,
                               .connect_timeout_ms = 3000, .total_timeout_ms = 10000};
    struct rec r;
    rec_init(&r);
    CHECK_EQ_INT(http_start(e.eng, &req, &rec_cb, &r, NULL), 0);
    run_until(&e, &r.finished, 10000);
    CHECK_EQ_INT(r.done.result, HTTP_RESULT_TLS);
    CHECK_EQ_INT(r.headers_calls, 0);
    CHECK_EQ_INT(fake_stat_int(e.f, "requests_total"), 0); /* nothing was sent in clear */
    /* The fake counts the failed handshake on its own thread, maybe after we saw ours. */
    for (int i = 0; i < 100 && fake_stat_int(e.f, "tls_handshake_failures") < 1; i++)
        usleep(20 * 1000);
    CHECK(fake_stat_int(e.f, "tls_handshake_failures") >= 1);
    sb_release(&r.body);
    env_done(&e);
}

/* Run one request to its end; returns its result. */
static enum http_result run_one(struct env *e, const struct http_request *req)
{
    struct rec r;
    rec_init(&r);
    CHECK_EQ_INT(http_start(e->eng, req, &rec_cb, &r, NULL), 0);
    run_until(e, &r.finished, 10000);
    CHECK_EQ_INT(r.done_calls, 1);
    sb_release(&r.body);
    return r.done.result;
}

static bool request_has_header(json_t *q, const char *name)
{
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(q, "headers"), i, h) {
        if (strcasecmp(json_string_value(json_array_get(h, 0)), name) == 0)
            return true;
    }
    return false;
}

/* Finished easy handles serve the next requests: nothing of one request (method, body,
 * headers) may reach the next. */
static void test_kept_handles_start_clean(void)
{
    struct env e;
    env_init(&e);
    char url[128];
    struct http_request first = post(url, sizeof(url), e.f, "/v1/chat/completions");
    CHECK_EQ_INT(run_one(&e, &first), HTTP_RESULT_OK);
    static const char *const only_second[] = {"x-only-second: 1", NULL};
    char url2[128];
    snprintf(url2, sizeof(url2), "%s/v1/models", e.f->base);
    struct http_request get = {.method = HTTP_GET, .url = url2, .headers = only_second,
                               .total_timeout_ms = 10000};
    run_one(&e, &get);
    struct http_request third = {.method = HTTP_POST, .url = url, .body = "{\"n\": 3}",
                                 .body_len = 8, .total_timeout_ms = 10000};
    CHECK_EQ_INT(run_one(&e, &third), HTTP_RESULT_OK);
    json_t *s = fake_stats(e.f);
    json_t *reqs = json_object_get(s, "requests");
    CHECK_EQ_INT(json_array_size(reqs), 3);
    json_t *q1 = json_array_get(reqs, 0), *q2 = json_array_get(reqs, 1);
    json_t *q3 = json_array_get(reqs, 2);
    CHECK(request_has_header(q1, "x-api-key"));
    CHECK_EQ_STR(json_string_value(json_object_get(q2, "method")), "GET");
    CHECK_EQ_STR(json_string_value(json_object_get(q2, "body")), "");
    CHECK(request_has_header(q2, "x-only-second"));
    CHECK(!request_has_header(q2, "x-api-key"));
    CHECK_EQ_STR(json_string_value(json_object_get(q3, "method")), "POST");
    CHECK_EQ_STR(json_string_value(json_object_get(q3, "body")), "{\"n\": 3}");
    CHECK(!request_has_header(q3, "x-api-key"));
    CHECK(!request_has_header(q3, "x-only-second"));
    json_decref(s);
    env_done(&e);
}

/* Connections the server closes after each answer: curl closes every socket (its poll handle
 * goes with it) and the next request, often on the same descriptor number, is watched anew. */
static void test_closed_connections_are_watched_anew(void)
{
    struct env e;
    env_init(&e);
    static const char *const close_hdr[] = {"Connection: close", NULL};
    char url[128];
    struct http_request req = post(url, sizeof(url), e.f, "/v1/completions");
    req.headers = close_hdr;
    for (int i = 0; i < 20; i++)
        CHECK_EQ_INT(run_one(&e, &req), HTTP_RESULT_OK);
    CHECK_EQ_INT(fake_stat_int(e.f, "requests_total"), 20);
    CHECK_EQ_INT(fake_stat_int(e.f, "connections_accepted"), 20);
    env_done(&e); /* and every poll handle was closed: uv_loop_close succeeds */
}

/* Curl is set up lazily: an engine warmed up (or never used) frees cleanly, and a warmed-up one
 * serves requests. */
static void test_warm_up_and_unused_engines(void)
{
    struct env e;
    env_init(&e);
    env_done(&e); /* never used */
    env_init(&e);
    http_engine_warm_up(e.eng);
    http_engine_warm_up(e.eng);
    uv_run(&e.loop, UV_RUN_NOWAIT);
    char url[128];
    struct http_request req = post(url, sizeof(url), e.f, "/v1/completions");
    CHECK_EQ_INT(run_one(&e, &req), HTTP_RESULT_OK);
    env_done(&e);
    env_init(&e);
    http_engine_warm_up(e.eng);
    env_done(&e); /* freed before the warm-up ran */
}

#define TESTS(X)                                                                       \
    X(test_stream_pieces)                                                              \
    X(test_status_and_headers)                                                         \
    X(test_first_byte_timeout)                                                         \
    X(test_stall_timeout)                                                              \
    X(test_total_timeout)                                                              \
    X(test_abort_from_timer)                                                           \
    X(test_abort_in_callback)                                                          \
    X(test_keepalive_reuse)                                                            \
    X(test_size_cap)                                                                   \
    X(test_refused)                                                                    \
    X(test_loop_responsive)                                                            \
    X(test_gzip)                                                                       \
    X(test_reset_mid_body)                                                             \
    X(test_start_errors)                                                               \
    X(test_reentrant_start_and_abort)                                                  \
    X(test_engine_free_running)                                                        \
    X(test_tls_verification)                                                           \
    X(test_kept_handles_start_clean)                                                   \
    X(test_closed_connections_are_watched_anew)                                        \
    X(test_warm_up_and_unused_engines)

CHECK_MAIN(TESTS)
