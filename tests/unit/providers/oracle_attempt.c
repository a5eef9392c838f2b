/* oracle_attempt: a test-only entry into one real attempt (http engine + a kind's adapter +
 * attempt, on a libuv loop) that prints the raw decoded text, before post-processing and before
 * any line cut. tests/integration/test_sdk_streams.py compares it with what each official SDK
 * decodes from the same bytes (issue 14: the SDKs' stream parsers are the oracle).
 *
 *   oracle_attempt CASES.json
 *
 * CASES.json is an array of {"fake": BASE, "control": {...}, "provider": {...config entry...}}.
 * For each case, in order: POST control to BASE/_control (so the fake serves the case's bytes
 * next), run one attempt with the provider entry, print one JSON line
 * {"outcome": NAME, "status": N, "raw": TEXT, "truncated": BOOL, "message": MSG}; truncated =
 * the stream broke and only its complete lines are kept (reference/resilience.md). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "adapter_int.h"
#include "attempt.h"
#include "base.h"
#include "http.h"

struct run {
    struct strbuf raw;
    struct prov_outcome out;
    bool truncated;
    bool finished;
};

static void on_text(struct attempt *a, void *ud, const char *delta, size_t len)
{
    (void)a;
    struct run *r = ud;
    sb_add(&r->raw, delta, len);
}

static void on_done(struct attempt *a, void *ud, const struct attempt_result *res)
{
    (void)a;
    struct run *r = ud;
    r->out = res->outcome;
    r->truncated = res->truncated;
    /* Complete: the whole text (a body that was one JSON value is decoded only at its end,
     * after the last on_text). Otherwise what was decoded before the failure. */
    if (res->outcome.kind == PROV_OUT_OK) {
        sb_clear(&r->raw);
        sb_add(&r->raw, res->text, res->text_len);
    }
    r->finished = true;
}

static const struct attempt_callbacks callbacks = {on_text, on_done};

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* POST the case's control command to the fake (blocking; nothing runs on the loop now). */
static int control(const char *base, json_t *cmd)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/_control", base);
    char *body = json_dumps(cmd, JSON_COMPACT);
    CURL *e = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
    long code = 0;
    CURLcode rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    free(body);
    if (rc != CURLE_OK || code != 200) {
        fprintf(stderr, "oracle_attempt: control refused (%s, HTTP %ld)\n",
                curl_easy_strerror(rc), code);
        return -1;
    }
    return 0;
}

static void tick(uv_timer_t *t)
{
    (void)t;
}

/* One case: returns 0 when it ran (whatever its outcome), -1 on a harness problem. */
static int run_case(uv_loop_t *loop, struct http_engine *eng, json_t *c)
{
    const char *base = json_string_value(json_object_get(c, "fake"));
    json_t *cmd = json_object_get(c, "control");
    json_t *entry = json_object_get(c, "provider");
    if (!base || !json_is_object(entry)) {
        fprintf(stderr, "oracle_attempt: a case needs \"fake\" and \"provider\"\n");
        return -1;
    }
    if (cmd && control(base, cmd) != 0)
        return -1;
    struct prov_config cfg;
    struct strbuf warnings;
    sb_init(&warnings);
    char *err = NULL;
    if (prov_config_parse(entry, &cfg, &warnings, &err) != 0) {
        fprintf(stderr, "oracle_attempt: bad provider entry: %s\n", err ? err : "?");
        free(err);
        sb_release(&warnings);
        return -1;
    }
    sb_release(&warnings);
    /* The raw text: no line cut (the attempt would end an Anthropic transfer early). */
    struct prov_ops ops = *cfg.ops;
    ops.cut_lines = false;
    cfg.ops = &ops;

    struct prov_context ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.language = "python";
    ctx.path = "/tmp/oracle.py";
    ctx.prefix = "def add(a, b):\n    return ";
    ctx.prefix_len = strlen(ctx.prefix);
    ctx.suffix = "\n\nprint(add(1, 2))\n";
    ctx.suffix_len = strlen(ctx.suffix);
    ctx.line = 1;
    ctx.column = 11;
    ctx.shape = SYN_SHAPE_BLOCK;
    ctx.indent = "    ";
    ctx.max_lines = 1000;

    struct attempt_opts opts = {.connect_timeout_ms = 2000, .first_byte_timeout_ms = 5000,
                                .stall_timeout_ms = 5000, .total_timeout_ms = 15000};
    struct run r;
    memset(&r, 0, sizeof(r));
    sb_init(&r.raw);
    int rc = attempt_start(eng, &cfg, &ctx, "sk-oracle-dummy-key", &opts, &callbacks, &r, NULL);
    if (rc != 0) {
        fprintf(stderr, "oracle_attempt: attempt_start: %d\n", rc);
        prov_config_release(&cfg);
        sb_release(&r.raw);
        return -1;
    }
    uv_timer_t guard;
    uv_timer_init(loop, &guard);
    uv_timer_start(&guard, tick, 10, 10); /* the loop never sleeps past the attempt's end */
    while (!r.finished)
        uv_run(loop, UV_RUN_ONCE);
    uv_timer_stop(&guard);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(loop, UV_RUN_NOWAIT);

    json_t *o = json_pack("{s:s, s:i, s:o, s:b, s:s}", "outcome",
                          prov_outcome_name(r.out.kind), "status", r.out.http_status, "raw",
                          prov__jstr(r.raw.data ? r.raw.data : "", r.raw.len), "truncated",
                          r.truncated, "message", r.out.message);
    char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    printf("%s\n", line);
    fflush(stdout);
    free(line);
    json_decref(o);
    sb_release(&r.raw);
    prov_config_release(&cfg);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: oracle_attempt CASES.json\n");
        return 2;
    }
    json_error_t je;
    json_t *cases = json_load_file(argv[1], 0, &je);
    if (!json_is_array(cases)) {
        fprintf(stderr, "oracle_attempt: %s: %s\n", argv[1], je.text);
        return 2;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct http_engine *eng = http_engine_new(&loop);
    int status = 0;
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        if (run_case(&loop, eng, c) != 0) {
            status = 1;
            break;
        }
    }
    http_engine_free(eng);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    json_decref(cases);
    return status;
}
