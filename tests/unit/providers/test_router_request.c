/* The router's request state machine with a fake attempt (router__set_attempt_ops: no HTTP):
 * failover, hedging, first answer wins and the loser is cancelled, deadline, cancel, joiners,
 * retry. A real libuv loop with short timers; every provider is a loopback "ollama" entry
 * whose behaviour the test scripts per call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include <uv.h>

#include "check.h"

/* Steps name only the fields they use. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include "router_int.h"
#include "settings.h"

/* ------------------------------------------------------------------ the fake attempt */

struct step {
    int delay_ms;                /* until the outcome (and the text, when OK) */
    enum prov_outcome_kind kind;
    const char *text;
    /* A stream: the first chunk_len bytes of text at delay_ms, then chunk_len more every
     * chunk_ms; the outcome after the last chunk. 0: all the text at once. */
    int chunk_ms;
    int chunk_len;
};

#define MAX_FAKES 32

struct fake {
    uv_timer_t timer;
    const struct attempt_callbacks *cb;
    void *ud;
    char provider[32];
    struct step step;
    size_t sent;                 /* bytes of a stream delivered so far */
    uint64_t started_ms;
    bool aborted, done;
};

static struct {
    uv_loop_t loop;
    struct fake fakes[MAX_FAKES];
    int n_fakes;
    /* per provider name ("a", "b", "c"): its scripted calls, used in order */
    struct step script[3][12];
    int used[3];
    uint64_t t0;
    bool refuse_start; /* attempts fail to start (as when every provider is unusable) */
    bool sync_clock;   /* attempts start from the real time, as I/O arrives */
} F;

static int provider_index(const char *name)
{
    return name[0] - 'a';
}

static void fake_fire(uv_timer_t *t)
{
    struct fake *f = t->data;
    if (f->step.chunk_ms > 0 && f->step.kind == PROV_OUT_OK) {
        size_t total = strlen(f->step.text);
        size_t n = US_MIN((size_t)f->step.chunk_len, total - f->sent);
        f->cb->on_text((struct attempt *)f, f->ud, f->step.text + f->sent, n);
        f->sent += n;
        if (f->aborted) /* aborted from on_text */
            return;
        if (f->sent < total) {
            uv_timer_start(&f->timer, fake_fire, (uint64_t)f->step.chunk_ms, 0);
            return;
        }
    }
    f->done = true;
    struct attempt_result res;
    memset(&res, 0, sizeof(res));
    res.outcome.kind = f->step.kind;
    res.outcome.retry_after_ms = -1;
    res.ttfb_ms = -1;
    res.text = "";
    if (f->step.kind == PROV_OUT_OK) {
        res.text = f->step.text;
        res.text_len = strlen(f->step.text);
        res.ttfb_ms = f->step.delay_ms;
        if (f->step.chunk_ms <= 0)
            f->cb->on_text((struct attempt *)f, f->ud, res.text, res.text_len);
    } else {
        snprintf(res.outcome.message, sizeof(res.outcome.message), "scripted %s",
                 prov_outcome_name(f->step.kind));
    }
    f->cb->on_done((struct attempt *)f, f->ud, &res);
}

static int fake_start(struct http_engine *eng, const struct prov_config *cfg,
                      const struct prov_context *ctx, const char *key,
                      const struct attempt_opts *opts, const struct attempt_callbacks *cb,
                      void *ud, struct attempt **out)
{
    if (F.n_fakes == MAX_FAKES)
        return US_ENOMEM;
    if (F.refuse_start)
        return US_EIO;
    int pi = provider_index(cfg->name);
    struct fake *f = &F.fakes[F.n_fakes++];
    memset(f, 0, sizeof(*f));
    f->cb = cb;
    f->ud = ud;
    snprintf(f->provider, sizeof(f->provider), "%s", cfg->name);
    f->step = F.script[pi][F.used[pi]++];
    /* The transfer's own first-byte limit, as the HTTP engine would enforce it (the old
     * 60 %-of-the-deadline rule lived there). */
    if (opts && opts->first_byte_timeout_ms > 0 && f->step.delay_ms > opts->first_byte_timeout_ms)
        f->step = (struct step){opts->first_byte_timeout_ms, PROV_OUT_TIMEOUT, NULL};
    f->started_ms = us_now_ms() - F.t0;
    uv_timer_init(&F.loop, &f->timer);
    f->timer.data = f;
    if (F.sync_clock)
        uv_update_time(&F.loop);
    uv_timer_start(&f->timer, fake_fire, (uint64_t)f->step.delay_ms, 0);
    *out = (struct attempt *)f;
    return 0;
}

static void fake_abort(struct attempt *a)
{
    struct fake *f = (struct fake *)a;
    if (f->done)
        return;
    f->aborted = true;
    uv_timer_stop(&f->timer);
}

static const struct router_attempt_ops fake_ops = {fake_start, fake_abort};

/* ------------------------------------------------------------------ harness */

struct answer {
    int calls;
    enum router_how how;
    char text[64];
    char source[16];
    char why[160];
    int attempts;
    bool partial;
    uint64_t at_ms;
};

static void on_answer(void *ud, const struct router_answer *a)
{
    struct answer *out = ud;
    out->calls++;
    out->how = a->how;
    snprintf(out->text, sizeof(out->text), "%.*s", (int)a->len, a->text ? a->text : "");
    snprintf(out->source, sizeof(out->source), "%s", a->source ? a->source : "");
    snprintf(out->why, sizeof(out->why), "%s", a->why ? a->why : "");
    out->attempts = a->attempts;
    out->partial = a->partial;
    out->at_ms = us_now_ms() - F.t0;
}

static struct us_settings settings;

/* n providers "a", "b", ... in that order; hedge "auto" or a number of ms. */
static struct router *setup(int n, const char *hedge, int deadline_ms)
{
    memset(&F.script, 0, sizeof(F.script));
    memset(F.used, 0, sizeof(F.used));
    F.n_fakes = 0;
    uv_loop_init(&F.loop);
    char json[1024];
    int k = snprintf(json, sizeof(json), "{\"providers\": [");
    for (int i = 0; i < n; i++)
        k += snprintf(json + k, sizeof(json) - (size_t)k,
                      "%s{\"name\": \"%c\", \"kind\": \"ollama\", \"model\": \"m\", "
                      "\"base_url\": \"http://127.0.0.1:9\"}",
                      i ? ", " : "", 'a' + i);
    snprintf(json + k, sizeof(json) - (size_t)k,
             "], \"completion\": {\"deadline_ms\": %d, \"hedge_ms\": %s}}", deadline_ms, hedge);
    settings_init(&settings);
    json_error_t jerr;
    json_t *j = json_loads(json, 0, &jerr);
    struct strbuf w, e;
    sb_init(&w);
    sb_init(&e);
    int rc = settings_apply(&settings, j, "test", &w, &e);
    if (rc < 0)
        fprintf(stderr, "settings: %s\n", e.data);
    CHECK_EQ_INT(rc, 0);
    json_decref(j);
    sb_release(&w);
    sb_release(&e);
    struct router *r = router_new(&F.loop, &settings, NULL, NULL);
    router__set_attempt_ops(r, &fake_ops);
    F.t0 = us_now_ms();
    return r;
}

static void stop_timer(uv_timer_t *t)
{
    uv_timer_stop(t);
}

static void run_for(int ms)
{
    uv_timer_t t;
    uv_timer_init(&F.loop, &t);
    uv_timer_start(&t, stop_timer, (uint64_t)ms, 0);
    while (uv_is_active((uv_handle_t *)&t) && uv_run(&F.loop, UV_RUN_ONCE))
        ;
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&F.loop, UV_RUN_NOWAIT);
}

static void close_fake(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void teardown(struct router *r)
{
    router_free(r);
    uv_run(&F.loop, UV_RUN_DEFAULT); /* the router's and curl's handles close */
    uv_walk(&F.loop, close_fake, NULL);
    uv_run(&F.loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&F.loop), 0);
    settings_release(&settings);
}

static const char PREFIX[] = "x = ";
static const char SUFFIX[] = "\n";

static struct prov_context context(const char *prefix)
{
    struct prov_context c;
    memset(&c, 0, sizeof(c));
    c.language = "python";
    c.prefix = prefix;
    c.prefix_len = strlen(prefix);
    c.suffix = SUFFIX;
    c.suffix_len = strlen(SUFFIX);
    c.max_lines = 12;
    return c;
}

static struct fake *fake_of(const char *provider, int nth)
{
    for (int i = 0; i < F.n_fakes; i++)
        if (strcmp(F.fakes[i].provider, provider) == 0 && nth-- == 0)
            return &F.fakes[i];
    return NULL;
}

/* ------------------------------------------------------------------ cases */

static void failover_on_error(void)
{
    struct router *r = setup(2, "\"auto\"", 1500);
    F.script[0][0] = (struct step){10, PROV_OUT_SERVER, NULL};
    F.script[1][0] = (struct step){10, PROV_OUT_OK, "42"};
    struct prov_context c = context(PREFIX);
    struct answer a = {0};
    CHECK(router_complete(r, &c, 0, on_answer, &a) != NULL);
    run_for(300);
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_INT(a.how, ROUTER_PROVIDER);
    CHECK_EQ_STR(a.text, "42");
    CHECK_EQ_STR(a.source, "b");
    CHECK_EQ_INT(a.attempts, 2);
    /* the second provider started right after the first failed, within the same request */
    CHECK(fake_of("b", 0) && fake_of("b", 0)->started_ms < 100);
    teardown(r);
}

static void hedge_after_delay_first_answer_wins(void)
{
    struct router *r = setup(2, "60", 1500);
    F.script[0][0] = (struct step){600, PROV_OUT_OK, "slow"};
    F.script[1][0] = (struct step){20, PROV_OUT_OK, "fast"};
    struct prov_context c = context(PREFIX);
    struct answer a = {0};
    router_complete(r, &c, 0, on_answer, &a);
    run_for(400);
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_STR(a.source, "b");
    CHECK_EQ_STR(a.text, "fast");
    struct fake *fa = fake_of("a", 0), *fb = fake_of("b", 0);
    CHECK(fa && fb);
    if (fa && fb) {
        CHECK(fb->started_ms >= 55);   /* not before the hedge delay */
        CHECK(fb->started_ms < 300);
        CHECK(fa->aborted);            /* the loser is cancelled */
        CHECK(!fb->aborted);
    }
    teardown(r);
}

static void hedged_original_still_wins(void)
{
    struct router *r = setup(2, "40", 1500);
    F.script[0][0] = (struct step){90, PROV_OUT_OK, "first"};
    F.script[1][0] = (struct step){600, PROV_OUT_OK, "second"};
    struct prov_context c = context(PREFIX);
    struct answer a = {0};
    router_complete(r, &c, 0, on_answer, &a);
    run_for(300);
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_STR(a.source, "a");
    CHECK_EQ_INT(a.attempts, 2);
    CHECK(fake_of("b", 0) && fake_of("b", 0)->aborted);
    teardown(r);
}

static void deadline_gives_none(void)
{
    struct router *r = setup(1, "\"auto\"", 120);
    F.script[0][0] = (struct step){5000, PROV_OUT_OK, "late"};
    struct prov_context c = context(PREFIX);
    struct answer a = {0};
    router_complete(r, &c, 0, on_answer, &a);
    run_for(400);
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_INT(a.how, ROUTER_NONE);
    CHECK_EQ_STR(a.why, "deadline reached");
    CHECK(a.at_ms >= 110 && a.at_ms < 350);
    CHECK(fake_of("a", 0) && fake_of("a", 0)->aborted);
    teardown(r);
}

/* The caller worked for a while before asking (the loop's clock stood still meanwhile: the
 * first completion with a hundred files open parsed them all): the deadline counts from the
 * call, not from the stale clock, and an answer in time is served. The fake reads the real
 * clock when it starts, as a socket's data arrives in real time. */
static void deadline_counts_from_the_call(void)
{
    struct router *r = setup(1, "\"auto\"", 300);
    F.script[0][0] = (struct step){50, PROV_OUT_OK, "42"};
    uv_run(&F.loop, UV_RUN_NOWAIT);
    usleep(400 * 1000); /* the caller's work, the loop not running */
    F.sync_clock = true;
    struct prov_context c = context(PREFIX);
    struct answer a = {0};
    router_complete(r, &c, 0, on_answer, &a);
    run_for(600);
    F.sync_clock = false;
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_INT(a.how, ROUTER_PROVIDER);
    CHECK_EQ_STR(a.text, "42");
    teardown(r);
}

static void cancel_means_no_callback(void)
{
    struct router *r = setup(1, "\"auto\"", 1500);
    F.script[0][0] = (struct step){50, PROV_OUT_OK, "42"};
    struct prov_context c = context(PREFIX);
    struct answer a = {0};
    struct router_request *rq = router_complete(r, &c, 0, on_answer, &a);
    run_for(10);
    router_cancel(rq);
    run_for(150);
    CHECK_EQ_INT(a.calls, 0);
    CHECK(fake_of("a", 0) && fake_of("a", 0)->aborted);
    teardown(r);
}

static void joiner_gets_the_rest(void)
{
    struct router *r = setup(1, "\"auto\"", 1500);
    F.script[0][0] = (struct step){80, PROV_OUT_OK, "42 + 1"};
    struct prov_context c1 = context("x = ");
    struct prov_context c2 = context("x = 4"); /* the user typed the answer's first character */
    struct answer a1 = {0}, a2 = {0};
    router_complete(r, &c1, 0, on_answer, &a1);
    run_for(10);
    router_complete(r, &c2, 0, on_answer, &a2);
    run_for(300);
    CHECK_EQ_INT(F.n_fakes, 1); /* one transfer served both */
    CHECK_EQ_INT(a1.calls, 1);
    CHECK_EQ_STR(a1.text, "42 + 1");
    CHECK_EQ_INT(a2.calls, 1);
    CHECK_EQ_INT(a2.how, ROUTER_TYPE_THROUGH);
    CHECK_EQ_STR(a2.text, "2 + 1");
    /* the answer filled the cache: asking again is a hit, answered from the loop */
    struct answer a3 = {0};
    router_complete(r, &c1, 0, on_answer, &a3);
    CHECK_EQ_INT(a3.calls, 0);
    run_for(20);
    CHECK_EQ_INT(a3.how, ROUTER_CACHE);
    CHECK_EQ_INT(F.n_fakes, 1);
    teardown(r);
}

static void cancelled_base_keeps_running_for_its_joiner(void)
{
    struct router *r = setup(1, "\"auto\"", 1500);
    F.script[0][0] = (struct step){80, PROV_OUT_OK, "42 + 1"};
    struct prov_context c1 = context("x = ");
    struct prov_context c2 = context("x = 4");
    struct answer a1 = {0}, a2 = {0};
    struct router_request *base = router_complete(r, &c1, 0, on_answer, &a1);
    run_for(10);
    router_complete(r, &c2, 0, on_answer, &a2);
    router_cancel(base); /* superseded, but someone waits on its transfer */
    run_for(300);
    CHECK_EQ_INT(a1.calls, 0);
    CHECK_EQ_INT(a2.calls, 1);
    CHECK_EQ_STR(a2.text, "2 + 1");
    CHECK(fake_of("a", 0) && !fake_of("a", 0)->aborted);
    teardown(r);
}

/* An answer callback may cancel another request (the API allows it). Two joiners wait on one
 * transfer; the first one served cancels the other from its callback: the other gets no
 * answer, and serving the rest must not walk a list entry that was taken out under it (it
 * spun for ever on the cancelled joiner's self-linked node). */
static void on_hang(int sig)
{
    (void)sig;
    static const char msg[] = "joiner_cancels_other_joiner: hung serving joiners\n";
    (void)!write(2, msg, sizeof(msg) - 1);
    _exit(1);
}

struct cancelling_answer {
    struct answer a;
    struct router_request *victim;
};

static void on_answer_cancel(void *ud, const struct router_answer *a)
{
    struct cancelling_answer *ca = ud;
    on_answer(&ca->a, a);
    if (ca->victim)
        router_cancel(ca->victim);
    ca->victim = NULL;
}

static void joiner_cancels_other_joiner(void)
{
    struct router *r = setup(1, "\"auto\"", 1500);
    F.script[0][0] = (struct step){80, PROV_OUT_OK, "42 + 1"};
    struct prov_context c0 = context("x = ");
    struct prov_context c1 = context("x = 4");
    struct prov_context c2 = context("x = 42");
    struct answer a0 = {0}, a1 = {0};
    struct cancelling_answer a2 = {0};
    router_complete(r, &c0, 0, on_answer, &a0);
    run_for(10);
    struct router_request *j1 = router_complete(r, &c1, 0, on_answer, &a1);
    router_complete(r, &c2, 0, on_answer_cancel, &a2); /* newest: served first */
    a2.victim = j1;
    signal(SIGALRM, on_hang);
    alarm(5);
    run_for(300);
    alarm(0);
    signal(SIGALRM, SIG_DFL);
    CHECK_EQ_INT(F.n_fakes, 1);
    CHECK_EQ_INT(a0.calls, 1);
    CHECK_EQ_INT(a2.a.calls, 1);
    CHECK_EQ_STR(a2.a.text, " + 1");
    CHECK_EQ_INT(a1.calls, 0); /* cancelled before its turn: no callback */
    teardown(r);
}

static void retry_once_on_transient_failure(void)
{
    struct router *r = setup(1, "\"auto\"", 1500);
    F.script[0][0] = (struct step){10, PROV_OUT_TRANSPORT, NULL};
    F.script[0][1] = (struct step){10, PROV_OUT_OK, "42"};
    struct prov_context c = context(PREFIX);
    struct answer a = {0};
    router_complete(r, &c, 0, on_answer, &a);
    run_for(600);
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_INT(a.how, ROUTER_PROVIDER);
    CHECK_EQ_STR(a.text, "42");
    CHECK_EQ_INT(a.attempts, 2);
    CHECK_EQ_INT(F.used[0], 2);
    teardown(r);
}

static void no_retry_on_rejection(void)
{
    struct router *r = setup(1, "\"auto\"", 1500);
    F.script[0][0] = (struct step){10, PROV_OUT_BAD_REQUEST, NULL};
    F.script[0][1] = (struct step){10, PROV_OUT_OK, "42"};
    struct prov_context c = context(PREFIX);
    struct answer a = {0};
    router_complete(r, &c, 0, on_answer, &a);
    run_for(300);
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_INT(a.how, ROUTER_NONE);
    CHECK_EQ_INT(F.used[0], 1);
    teardown(r);
}

static void stale_if_error(void)
{
    struct router *r = setup(1, "\"auto\"", 1500);
    F.script[0][0] = (struct step){10, PROV_OUT_OK, "42"};
    F.script[0][1] = (struct step){10, PROV_OUT_BAD_REQUEST, NULL};
    struct prov_context c = context(PREFIX);
    struct answer a = {0}, b = {0};
    router_complete(r, &c, 0, on_answer, &a);
    run_for(100);
    CHECK_EQ_STR(a.text, "42");
    /* expire the entry, then fail: the stale answer beats nothing */
    cache_resize(r->cache, 512, 1 << 20, 0);
    router_complete_uncached(r, &c, 0, on_answer, &b);
    run_for(100);
    CHECK_EQ_INT(b.calls, 1);
    CHECK_EQ_INT(b.how, ROUTER_STALE);
    CHECK_EQ_STR(b.text, "42");
    teardown(r);
}

/* An answer known while router_complete runs (no attempt could start) still arrives from the
 * loop: callers set up their side after the call returns (the soak test found the popup's
 * request freed inside router_complete and written to afterwards). */
static void answer_never_inside_the_call(void)
{
    struct router *r = setup(2, "\"auto\"", 1500);
    F.refuse_start = true;
    struct prov_context c = context(PREFIX);
    struct answer a = {0};
    CHECK(router_complete(r, &c, 0, on_answer, &a) != NULL);
    CHECK_EQ_INT(a.calls, 0);
    run_for(50);
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_INT(a.how, ROUTER_NONE);
    /* cancelled before the loop turned: no callback at all */
    struct answer b = {0};
    struct router_request *rq = router_complete(r, &c, 0, on_answer, &b);
    router_cancel(rq);
    run_for(50);
    CHECK_EQ_INT(b.calls, 0);
    F.refuse_start = false;
    teardown(r);
}

/* ------------------------------------------------------------------ slow is not dead */

static const char *provider_state(struct router *r, int i, json_int_t *failures)
{
    static char buf[32];
    json_t *st = router_status(r);
    json_t *p = json_array_get(json_object_get(st, "providers"), (size_t)i);
    snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(p, "state")));
    if (failures)
        *failures = json_integer_value(json_object_get(p, "failures"));
    json_decref(st);
    return buf;
}

/* Issue 18: a healthy provider 1 s to its first token, deadline 1.5 s. The old rule (first
 * byte within 60 % of what remains = 900 ms) failed it over, counted a failure and, three
 * times over, opened its breaker. Alone, and beside a second provider with hedging off. */
static void one_second_provider_is_served(void)
{
    for (int n = 1; n <= 2; n++) {
        struct router *r = setup(n, n == 1 ? "\"auto\"" : "0", 1500);
        for (int k = 0; k < 3; k++)
            F.script[0][k] = (struct step){1000, PROV_OUT_OK, "42"};
        F.script[1][0] = (struct step){10, PROV_OUT_OK, "other"};
        for (int k = 0; k < 3; k++) {
            char prefix[16];
            snprintf(prefix, sizeof(prefix), "x%d = ", k);
            struct prov_context c = context(prefix);
            struct answer a = {0};
            router_complete(r, &c, 0, on_answer, &a);
            run_for(1300);
            CHECK_EQ_INT(a.calls, 1);
            CHECK_EQ_STR(a.source, "a");
            CHECK_EQ_STR(a.text, "42");
        }
        json_int_t failures = -1;
        CHECK_EQ_STR(provider_state(r, 0, &failures), "closed");
        CHECK_EQ_INT((int)failures, 0);
        CHECK_EQ_STR(router_overall_state(r), "ok");
        CHECK_EQ_INT(F.used[1], 0); /* the second provider was never needed */
        teardown(r);
    }
}

/* 3-byte lines every 100 ms: ~30 bytes/s, a tenth of the slowest normal stream. */
static const char TRICKLE[] = "l01\nl02\nl03\nl04\nl05\nl06\nl07\nl08\nl09\nl10\nl11\nl12\n";

/* A stream that will not end before the deadline starts the next provider beside it; when
 * that one is not faster, the complete lines received so far are served at the deadline and
 * the rest is aborted. */
static void trickle_partial_lines_at_deadline(void)
{
    struct router *r = setup(2, "\"auto\"", 800);
    F.script[0][0] = (struct step){50, PROV_OUT_OK, TRICKLE, 100, 4};
    F.script[1][0] = (struct step){3000, PROV_OUT_OK, "too late"};
    struct prov_context c = context("x = 1\n"); /* at a line start: a block is wanted */
    c.shape = SYN_SHAPE_BLOCK;
    struct answer a = {0};
    router_complete(r, &c, 0, on_answer, &a);
    run_for(1200);
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_INT(a.how, ROUTER_PROVIDER);
    CHECK_EQ_STR(a.source, "a");
    CHECK(a.partial);
    CHECK(a.at_ms >= 780 && a.at_ms < 1000);
    /* 50 ms + 100 ms per line: 7 or 8 complete lines by 800 ms, never a broken one */
    CHECK(strncmp(a.text, "l01\nl02\nl03\nl04\nl05\nl06\nl07", 27) == 0);
    CHECK(strlen(a.text) % 4 == 3); /* whole lines (post-processing drops the last newline) */
    struct fake *fa = fake_of("a", 0), *fb = fake_of("b", 0);
    CHECK(fa && fa->aborted);
    /* the next provider was asked while the stream ran, long before the deadline */
    CHECK(fb && fb->started_ms >= 150 && fb->started_ms < 500);
    CHECK(fb && fb->aborted);
    /* a partial answer is not cached: the same place asks again */
    struct answer b = {0};
    F.script[0][1] = (struct step){10, PROV_OUT_OK, "full"};
    router_complete(r, &c, 0, on_answer, &b);
    run_for(100);
    CHECK_EQ_STR(b.text, "full");
    teardown(r);
}

/* The same trickle with a healthy second provider: that one serves well before the deadline,
 * and the trickle counts against its provider (too slow). */
static void trickle_next_provider_serves(void)
{
    /* 12 lines at 10 per second end at 1,150 ms: past this deadline */
    struct router *r = setup(2, "\"auto\"", 1000);
    F.script[0][0] = (struct step){50, PROV_OUT_OK, TRICKLE, 100, 4};
    F.script[1][0] = (struct step){30, PROV_OUT_OK, "fast"};
    struct prov_context c = context(PREFIX);
    struct answer a = {0};
    router_complete(r, &c, 0, on_answer, &a);
    run_for(800);
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_STR(a.source, "b");
    CHECK_EQ_STR(a.text, "fast");
    CHECK(!a.partial);
    CHECK(a.at_ms < 600);
    CHECK(fake_of("a", 0) && fake_of("a", 0)->aborted);
    json_int_t failures = -1;
    provider_state(r, 0, &failures);
    CHECK_EQ_INT((int)failures, 1);
    teardown(r);
}

/* Hedging off, so only the trickle's projection starts the next provider, 2 ms after the
 * watch pass read the clock (a loaded machine; here a slow log line): the watch pass that started it must not judge the new attempt
 * against the `now` it read before (the difference wrapped: "no text after -1 ms", dropped at
 * once, counted against it, and the trickle's lines served at the deadline). */
static bool slow_log_line(enum log_level level, const char *line, size_t len, void *ud)
{
    (void)level, (void)len, (void)ud;
    /* logged by watch_cb after it read `now`, before it starts the next provider */
    if (strstr(line, "asking the next provider too"))
        for (uint64_t until = us_now_us() + 2000; us_now_us() < until;)
            ;
    return false;
}

static void next_provider_started_mid_watch_is_kept(void)
{
    struct router *r = setup(2, "0", 1000);
    F.script[0][0] = (struct step){50, PROV_OUT_OK, TRICKLE, 100, 4};
    F.script[1][0] = (struct step){30, PROV_OUT_OK, "fast"};
    log_set_sink(slow_log_line, NULL);
    struct prov_context c = context(PREFIX);
    struct answer a = {0};
    router_complete(r, &c, 0, on_answer, &a);
    run_for(800);
    log_set_sink(NULL, NULL);
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_STR(a.source, "b");
    CHECK(!a.partial);
    json_int_t failures = -1;
    provider_state(r, 1, &failures);
    CHECK_EQ_INT((int)failures, 0);
    provider_state(r, 0, &failures);
    CHECK_EQ_INT((int)failures, 1);
    teardown(r);
}

/* Too slow again and again is a failure like any other: the breaker opens (3 in a row) and
 * the provider is skipped for the cooldown. One provider, so every call runs to the deadline
 * and serves its lines. */
static void repeated_too_slow_opens_breaker(void)
{
    struct router *r = setup(1, "\"auto\"", 400);
    for (int k = 0; k < 4; k++)
        F.script[0][k] = (struct step){20, PROV_OUT_OK, TRICKLE, 100, 4};
    for (int k = 0; k < 4; k++) {
        char prefix[16];
        snprintf(prefix, sizeof(prefix), "x%d = ", k);
        struct prov_context c = context(prefix);
        struct answer a = {0};
        router_complete(r, &c, 0, on_answer, &a);
        run_for(500);
        CHECK_EQ_INT(a.calls, 1);
        if (k < 3) {
            CHECK_EQ_STR(a.source, "a"); /* its lines were still served */
            CHECK(a.partial);
        } else {
            CHECK_EQ_INT(a.how, ROUTER_NONE); /* skipped: not asked at all */
            CHECK_EQ_INT(a.attempts, 0);
        }
    }
    CHECK_EQ_INT(F.used[0], 3);
    json_int_t failures = -1;
    CHECK_EQ_STR(provider_state(r, 0, &failures), "open");
    CHECK_EQ_INT((int)failures, 3);
    teardown(r);
}

/* `slow`: a provider whose recent answers take far longer than its own normal shows as slow
 * (not failing, not offline) while it still serves. */
static void slow_state_against_own_normal(void)
{
    struct router *r = setup(1, "\"auto\"", 1500);
    int k = 0;
    for (; k < 5; k++)
        F.script[0][k] = (struct step){30, PROV_OUT_OK, "42"};
    for (; k < 8; k++)
        F.script[0][k] = (struct step){700, PROV_OUT_OK, "42"};
    for (int i = 0; i < 8; i++) {
        char prefix[16];
        snprintf(prefix, sizeof(prefix), "x%d = ", i);
        struct prov_context c = context(prefix);
        struct answer a = {0};
        router_complete(r, &c, 0, on_answer, &a);
        run_for(i < 5 ? 80 : 800);
        CHECK_EQ_STR(a.source, "a");
        if (i == 5) /* one slow answer is not a trend */
            CHECK_EQ_STR(provider_state(r, 0, NULL), "closed");
    }
    json_int_t failures = -1;
    CHECK_EQ_STR(provider_state(r, 0, &failures), "slow");
    CHECK_EQ_INT((int)failures, 0);
    CHECK_EQ_STR(router_overall_state(r), "ok");
    char *sig = router_status_signature(r);
    CHECK(strstr(sig, "a=slow") != NULL);
    free(sig);
    teardown(r);
}

/* No text far past its own normal (history: 30 ms, so its limit is 1,030 ms), with hedging
 * off: dropped for the next provider and counted, well before the deadline. */
static void no_text_far_past_own_normal_fails_over(void)
{
    struct router *r = setup(2, "0", 3000);
    for (int k = 0; k < 3; k++)
        F.script[0][k] = (struct step){30, PROV_OUT_OK, "42"};
    F.script[0][3] = (struct step){10000, PROV_OUT_OK, "late"};
    F.script[1][0] = (struct step){10, PROV_OUT_OK, "other"};
    for (int i = 0; i < 4; i++) {
        char prefix[16];
        snprintf(prefix, sizeof(prefix), "x%d = ", i);
        struct prov_context c = context(prefix);
        struct answer a = {0};
        router_complete(r, &c, 0, on_answer, &a);
        run_for(i < 3 ? 80 : 2500);
        if (i == 3) {
            CHECK_EQ_STR(a.source, "b");
            CHECK(a.at_ms >= 1000 && a.at_ms < 2200); /* long before the 3 s deadline */
        }
    }
    json_int_t failures = -1;
    provider_state(r, 0, &failures);
    CHECK_EQ_INT((int)failures, 1);
    teardown(r);
}

/* ------------------------------------------------------------------ reconfigure */

static void settings_from(struct us_settings *st, const char *json)
{
    settings_init(st);
    json_error_t jerr;
    json_t *j = json_loads(json, 0, &jerr);
    struct strbuf w, e;
    sb_init(&w);
    sb_init(&e);
    CHECK_EQ_INT(settings_apply(st, j, "test", &w, &e), 0);
    json_decref(j);
    sb_release(&w);
    sb_release(&e);
}

/* The same provider with another key variable keeps its health, but what the user is told to
 * check must name the new variable, not the one the configuration no longer has. */
static void reconfigured_key_is_the_one_named(void)
{
    struct router *r = setup(1, "\"auto\"", 1500);
    struct us_settings s2;
    settings_from(&s2, "{\"providers\": [{\"name\": \"a\", \"kind\": \"ollama\", \"model\": "
                       "\"m\", \"base_url\": \"http://127.0.0.1:9\", \"api_key_env\": "
                       "\"US_TEST_NEW_KEY\"}]}");
    router_configure(r, &s2);
    F.script[0][0] = (struct step){10, PROV_OUT_AUTH, NULL};
    struct prov_context c = context(PREFIX);
    struct answer a = {0};
    router_complete(r, &c, 0, on_answer, &a);
    run_for(100);
    CHECK_EQ_INT(a.calls, 1);
    json_t *st = router_status(r);
    const char *reason = json_string_value(
        json_object_get(json_array_get(json_object_get(st, "providers"), 0), "reason"));
    CHECK(reason && strstr(reason, "$US_TEST_NEW_KEY") != NULL);
    if (reason && !strstr(reason, "$US_TEST_NEW_KEY"))
        fprintf(stderr, "reason: %s\n", reason);
    json_decref(st);
    teardown(r);
    settings_release(&s2);
}

/* A reconfigure that drops a provider while its attempt runs: the attempt keeps the provider
 * alive to its end and an answer from it still serves; when it fails, the request goes on to
 * the providers it has not asked yet (their indexes moved: it used to skip "b", now first in
 * the list, and answer nothing), never back to the dropped one. */
static void reconfigure_drops_provider_in_flight(void)
{
    for (int ok = 0; ok <= 1; ok++) {
        struct router *r = setup(2, "0", 1500);
        F.script[0][0] = ok ? (struct step){60, PROV_OUT_OK, "42"}
                            : (struct step){60, PROV_OUT_TRANSPORT, NULL};
        F.script[1][0] = (struct step){10, PROV_OUT_OK, "other"};
        struct prov_context c = context(PREFIX);
        struct answer a = {0};
        router_complete(r, &c, 0, on_answer, &a);
        run_for(20);
        struct us_settings s2; /* only "b" is left */
        settings_from(&s2, "{\"providers\": [{\"name\": \"b\", \"kind\": \"ollama\", \"model\": "
                           "\"m\", \"base_url\": \"http://127.0.0.1:9\"}]}");
        router_configure(r, &s2);
        run_for(200);
        CHECK_EQ_INT(a.calls, 1);
        CHECK_EQ_INT(F.used[0], 1); /* never retried on the dropped provider */
        CHECK_EQ_STR(a.source, ok ? "a" : "b");
        teardown(r);
        settings_release(&s2);
    }
}

#define TESTS(X)                                                                        \
    X(failover_on_error) X(hedge_after_delay_first_answer_wins)                          \
    X(hedged_original_still_wins) X(deadline_gives_none) X(deadline_counts_from_the_call) \
    X(cancel_means_no_callback)                                                            \
    X(joiner_gets_the_rest) X(cancelled_base_keeps_running_for_its_joiner) X(joiner_cancels_other_joiner) \
    X(retry_once_on_transient_failure) X(no_retry_on_rejection) X(stale_if_error)            \
    X(answer_never_inside_the_call)                                                        \
    X(one_second_provider_is_served) X(trickle_partial_lines_at_deadline)                  \
    X(trickle_next_provider_serves) X(next_provider_started_mid_watch_is_kept)             \
    X(repeated_too_slow_opens_breaker)                                                     \
    X(slow_state_against_own_normal) X(no_text_far_past_own_normal_fails_over)     \
    X(reconfigured_key_is_the_one_named) X(reconfigure_drops_provider_in_flight)
CHECK_MAIN(TESTS)
