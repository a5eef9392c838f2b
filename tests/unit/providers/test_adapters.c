/* Unit tests for the provider adapters' error classification table, the registry and provider
 * config validation, and context copies (requests and streams: test_adapters_requests.c and
 * test_adapters_streams.c). Pure code, no network. */
#include "adapters_util.h"

/* ---------------------------------------------------------------- classify */

struct hdr {
    const char *name, *value;
};
static const char *get_hdr(void *ud, const char *name)
{
    for (const struct hdr *h = ud; h && h->name; h++)
        if (strcasecmp(h->name, name) == 0)
            return h->value;
    return NULL;
}

static struct prov_outcome classify(const char *kind, int status, const struct hdr *hdrs,
                                    const char *body)
{
    struct prov_outcome out;
    memset(&out, 0x5A, sizeof(out));
    const struct prov_ops *ops = prov_ops_find(kind);
    CHECK(ops != NULL);
    ops->classify(status, get_hdr, (void *)hdrs, body, body ? strlen(body) : 0, &out);
    CHECK_EQ_INT(out.http_status, status);
    CHECK(memchr(out.message, 0, sizeof(out.message)) != NULL);
    return out;
}

static void classify_table(void)
{
    struct prov_outcome o;
    static const struct hdr ra17[] = {{"retry-after", "17"}, {NULL, NULL}};
    static const struct hdr ra_ms[] = {{"retry-after", "2"}, {"Retry-After-Ms", "350"}, {NULL, NULL}};
    static const struct hdr noretry[] = {{"x-should-retry", "false"}, {NULL, NULL}};

    o = classify("anthropic", 401, NULL, "{\"type\":\"error\",\"error\":{\"type\":"
                 "\"authentication_error\",\"message\":\"invalid x-api-key\"},\"request_id\":\"r\"}");
    CHECK_EQ_INT(o.kind, PROV_OUT_AUTH);
    CHECK(strstr(o.message, "invalid x-api-key") != NULL);
    CHECK_EQ_INT(o.retry_after_ms, -1);
    o = classify("anthropic", 529, NULL, "{\"type\":\"error\",\"error\":{\"type\":"
                 "\"overloaded_error\",\"message\":\"Overloaded\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_SERVER);
    o = classify("anthropic", 429, ra17, "{\"type\":\"error\",\"error\":{\"type\":"
                 "\"rate_limit_error\",\"message\":\"Number of requests has exceeded your rate limit\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_RATE_LIMITED);
    CHECK_EQ_INT(o.retry_after_ms, 17000);
    o = classify("anthropic", 400, NULL, "{\"type\":\"error\",\"error\":{\"type\":"
                 "\"invalid_request_error\",\"message\":\"prompt is too long: 210000 tokens > "
                 "200000 maximum\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_BAD_REQUEST);
    CHECK(o.context_too_long);
    o = classify("anthropic", 400, NULL, "{\"type\":\"error\",\"error\":{\"type\":"
                 "\"invalid_request_error\",\"message\":\"max_tokens: field required\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_BAD_REQUEST);
    CHECK(!o.context_too_long);
    o = classify("anthropic", 402, NULL, "{\"type\":\"error\",\"error\":{\"type\":\"billing_error\","
                 "\"message\":\"credit balance too low\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_AUTH);
    o = classify("anthropic", 500, noretry, "{\"type\":\"error\",\"error\":{\"type\":\"api_error\","
                 "\"message\":\"Internal server error\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_SERVER);
    CHECK(o.should_retry_false);

    o = classify("openai", 429, NULL, "{\"error\":{\"message\":\"You exceeded your current quota, "
                 "please check your plan and billing details.\",\"type\":\"insufficient_quota\","
                 "\"param\":null,\"code\":\"insufficient_quota\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_AUTH);
    o = classify("openai", 429, ra_ms, "{\"error\":{\"message\":\"Rate limit reached for requests\","
                 "\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_RATE_LIMITED);
    CHECK_EQ_INT(o.retry_after_ms, 350);
    CHECK(!o.should_retry_false);
    o = classify("openai", 400, NULL, "{\"error\":{\"message\":\"This model's maximum context length "
                 "is 128000 tokens.\",\"type\":\"invalid_request_error\",\"param\":\"messages\","
                 "\"code\":\"context_length_exceeded\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_BAD_REQUEST);
    CHECK(o.context_too_long);
    o = classify("openai", 503, NULL, "{\"error\":{\"message\":\"The engine is currently overloaded\","
                 "\"type\":\"server_error\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_SERVER);
    o = classify("openai", 409, NULL, NULL);
    CHECK_EQ_INT(o.kind, PROV_OUT_SERVER);
    o = classify("openai", 408, NULL, "");
    CHECK_EQ_INT(o.kind, PROV_OUT_SERVER);
    o = classify("openai", 404, NULL, "{\"error\":{\"message\":\"The model `gpt-9` does not exist\","
                 "\"type\":\"invalid_request_error\",\"code\":\"model_not_found\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_BAD_REQUEST);
    CHECK(!o.context_too_long);
    o = classify("openai", 403, NULL, "{\"error\":{\"message\":\"Country, region, or territory not "
                 "supported\",\"type\":\"request_forbidden\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_AUTH);

    static const char gemini_429[] =
        "{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted.\",\"status\":"
        "\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc."
        "QuotaFailure\",\"violations\":[{\"quotaId\":\"GenerateRequestsPerMinutePerProjectPerModel\"}]},"
        "{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"1.5s\"}]}}";
    o = classify("gemini", 429, NULL, gemini_429);
    CHECK_EQ_INT(o.kind, PROV_OUT_RATE_LIMITED);
    CHECK_EQ_INT(o.retry_after_ms, 1500);
    o = classify("gemini", 429, NULL,
                 "{\"error\":{\"code\":429,\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{"
                 "\"violations\":[{\"quotaId\":\"GenerateRequestsPerDayPerProjectPerModel-FreeTier\"}]},"
                 "{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"20s\"}]}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_RATE_LIMITED);
    CHECK_EQ_INT(o.retry_after_ms, 300000);
    o = classify("gemini", 400, NULL, "{\"error\":{\"code\":400,\"message\":\"API key not valid. "
                 "Please pass a valid API key.\",\"status\":\"INVALID_ARGUMENT\",\"details\":[{"
                 "\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":"
                 "\"API_KEY_INVALID\"}]}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_AUTH);
    o = classify("gemini", 503, NULL, "{\"error\":{\"code\":503,\"message\":\"The model is "
                 "overloaded.\",\"status\":\"UNAVAILABLE\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_SERVER);
    o = classify("gemini", 500, NULL, "{\"error\":{\"code\":500,\"status\":\"INTERNAL\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_SERVER);
    o = classify("gemini", 403, NULL, "{\"error\":{\"code\":403,\"status\":\"PERMISSION_DENIED\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_AUTH);
    o = classify("gemini", 400, NULL, "{\"error\":{\"code\":400,\"message\":\"User location is not "
                 "supported for the API use.\",\"status\":\"FAILED_PRECONDITION\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_AUTH);
    o = classify("gemini", 400, NULL, "[{\"error\":{\"code\":400,\"message\":\"Invalid JSON payload\","
                 "\"status\":\"INVALID_ARGUMENT\"}}]");
    CHECK_EQ_INT(o.kind, PROV_OUT_BAD_REQUEST);
    CHECK(strstr(o.message, "Invalid JSON payload") != NULL);

    o = classify("mistral", 422, NULL, "{\"detail\":[{\"loc\":[\"body\",\"prompt\"],\"msg\":"
                 "\"field required\",\"type\":\"value_error.missing\"}]}");
    CHECK_EQ_INT(o.kind, PROV_OUT_BAD_REQUEST);
    CHECK(strstr(o.message, "field required") != NULL);
    o = classify("mistral", 429, NULL, "{\"message\":\"Requests rate limit exceeded\"}");
    CHECK_EQ_INT(o.kind, PROV_OUT_RATE_LIMITED);
    CHECK_EQ_INT(o.retry_after_ms, -1);
    o = classify("mistral", 429, NULL, "{\"object\":\"error\",\"message\":\"Rate limit exceeded\","
                 "\"type\":\"rate_limited\",\"param\":null,\"code\":\"1300\"}");
    CHECK_EQ_INT(o.kind, PROV_OUT_RATE_LIMITED);

    o = classify("openrouter", 402, NULL, "{\"error\":{\"code\":402,\"message\":\"Insufficient credits\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_AUTH);
    o = classify("openrouter", 502, NULL, "{\"error\":{\"code\":502,\"message\":\"Provider returned "
                 "error\",\"metadata\":{\"provider_name\":\"X\",\"raw\":\"...\"}}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_SERVER);
    static const struct hdr ra_date[] = {{"Retry-After", "Fri, 01 Jan 2100 00:00:00 GMT"}, {NULL, NULL}};
    o = classify("openrouter", 503, ra_date, "{\"error\":{\"code\":503,\"message\":\"No providers\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_SERVER);
    CHECK_EQ_INT(o.retry_after_ms, 300000);

    o = classify("ollama", 404, NULL, "{\"error\":\"model 'qwen9' not found, try pulling it first\"}");
    CHECK_EQ_INT(o.kind, PROV_OUT_BAD_REQUEST);
    CHECK(strstr(o.message, "not found") != NULL);
    o = classify("ollama", 400, NULL, "{\"error\":\"llama3 does not support insert\"}");
    CHECK_EQ_INT(o.kind, PROV_OUT_BAD_REQUEST);

    o = classify("llamacpp", 400, NULL, "{\"error\":{\"code\":400,\"message\":\"the request exceeds "
                 "the available context size\",\"type\":\"exceed_context_size_error\","
                 "\"n_prompt_tokens\":5000,\"n_ctx\":4096}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_BAD_REQUEST);
    CHECK(o.context_too_long);
    o = classify("llamacpp", 503, NULL, "{\"error\":{\"code\":503,\"message\":\"Loading model\","
                 "\"type\":\"unavailable_error\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_SERVER);

    /* HTML from a proxy: the status decides, the title explains. */
    o = classify("openai-compatible", 502, NULL,
                 "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>nginx</body></html>");
    CHECK_EQ_INT(o.kind, PROV_OUT_SERVER);
    CHECK(strstr(o.message, "502 Bad Gateway") != NULL);
    o = classify("anthropic", 413, NULL, "<html><title>413 Request Entity Too Large</title></html>");
    CHECK_EQ_INT(o.kind, PROV_OUT_BAD_REQUEST);
    CHECK(o.context_too_long);
    o = classify("openai", 401, NULL, "<html>Unauthorized</html>");
    CHECK_EQ_INT(o.kind, PROV_OUT_AUTH);
    o = classify("openai", 429, NULL, "Too Many Requests");
    CHECK_EQ_INT(o.kind, PROV_OUT_RATE_LIMITED);
}

static void classify_never_echoes_keys(void)
{
    struct prov_outcome o;
    o = classify("openai", 401, NULL, "{\"error\":{\"message\":\"Incorrect API key provided: "
                 "sk-proj-abcdefghijklmnopqrstuvwxyz123456. You can find your API key at "
                 "https://platform.openai.com/account/api-keys.\",\"type\":"
                 "\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
    CHECK_EQ_INT(o.kind, PROV_OUT_AUTH);
    CHECK(strstr(o.message, "abcdefghijklmnop") == NULL);
    CHECK(strstr(o.message, "Incorrect API key") != NULL);
    /* A registered key is masked even if it has no digits. */
    log_add_secret("topsecretvalueonlyletters");
    o = classify("ollama", 400, NULL, "{\"error\":\"bad token topsecretvalueonlyletters\"}");
    CHECK(strstr(o.message, "topsecretvalueonlyletters") == NULL);
    /* Control characters never reach a message (it goes to logs and showMessage). */
    o = classify("ollama", 500, NULL, "{\"error\":\"line1\\nline2\\u001b[31m\"}");
    CHECK(strchr(o.message, '\n') == NULL && strchr(o.message, 0x1b) == NULL);
}

/* ---------------------------------------------------------------- registry and config */

static void registry_lookup(void)
{
    const char *const *k = prov_kind_names();
    int n = 0;
    for (; k[n]; n++)
        CHECK(prov_ops_find(k[n]) != NULL);
    CHECK_EQ_INT(n, 8);
    CHECK(prov_ops_find("nope") == NULL);
    CHECK(prov_ops_find(NULL) == NULL);
    CHECK_EQ_STR(prov_outcome_name(PROV_OUT_RATE_LIMITED), "rate limited");
    CHECK_EQ_STR(prov_outcome_name(PROV_OUT_OK), "ok");
    for (k = prov_kind_names(); *k; k++) {
        const struct prov_ops *o = prov_ops_find(*k);
        CHECK(o->build_request && o->stream_new && o->stream_feed && o->stream_end &&
              o->stream_free && o->classify && o->default_base_url);
        CHECK(!o->key_required || o->default_key_env);
    }
}

static int parse_err(const char *json, char **err, struct strbuf *warn)
{
    struct prov_config cfg;
    json_t *j = json_loads(json, 0, NULL);
    CHECK(j != NULL);
    int rc = prov_config_parse(j, &cfg, warn, err);
    json_decref(j);
    if (rc == 0)
        prov_config_release(&cfg);
    return rc;
}

static void config_validation(void)
{
    char *err = NULL;
    struct strbuf warn;
    sb_init(&warn);

    CHECK_EQ_INT(parse_err("{\"kind\":\"claude\"}", &err, &warn), US_ECONFIG);
    CHECK(err && strstr(err, "\"claude\"") && strstr(err, "anthropic") && strstr(err, "llamacpp") &&
          strstr(err, "openai-compatible"));
    free(err);
    CHECK_EQ_INT(parse_err("{\"model\":\"x\"}", &err, &warn), US_ECONFIG);
    CHECK(err && strstr(err, "kind"));
    free(err);
    CHECK_EQ_INT(parse_err("{\"kind\":\"openai\"}", &err, &warn), US_ECONFIG);
    CHECK(err && strstr(err, "model"));
    free(err);
    CHECK_EQ_INT(parse_err("[1]", &err, &warn), US_ECONFIG);
    free(err);

    /* A key pasted where a name belongs is refused without being echoed. */
    CHECK_EQ_INT(parse_err("{\"kind\":\"openai\",\"model\":\"m\",\"api_key_env\":"
                           "\"sk-live-0123456789abcdef\"}", &err, &warn), US_ECONFIG);
    CHECK(err && strstr(err, "api_key_env") && !strstr(err, "0123456789abcdef"));
    free(err);
    CHECK_EQ_INT(parse_err("{\"kind\":\"sk-live-0123456789abcdef0123456789\"}", &err, &warn),
                 US_ECONFIG);
    CHECK(err && !strstr(err, "0123456789abcdef"));
    free(err);
    CHECK_EQ_INT(parse_err("{\"kind\":\"openai\",\"model\":\"m\",\"headers\":{\"Authorization\":"
                           "\"Bearer sk-0123456789\"}}", &err, &warn), US_ECONFIG);
    CHECK(err && strstr(err, "Authorization") && !strstr(err, "sk-0123456789"));
    free(err);
    CHECK_EQ_INT(parse_err("{\"kind\":\"openai\",\"model\":\"m\",\"headers\":{\"X-A\":\"a\\r\\nB: c\"}}",
                           &err, &warn), US_ECONFIG);
    free(err);
    CHECK_EQ_INT(parse_err("{\"kind\":\"openai\",\"model\":\"m\",\"base_url\":\"ftp://x\"}", &err,
                           &warn), US_ECONFIG);
    CHECK(err && strstr(err, "base_url"));
    free(err);
    CHECK_EQ_INT(parse_err("{\"kind\":\"openai\",\"model\":\"m\",\"temperature\":3}", &err, &warn),
                 US_ECONFIG);
    CHECK(err && strstr(err, "temperature"));
    free(err);
    CHECK_EQ_INT(parse_err("{\"kind\":\"openai\",\"model\":\"m\",\"timeout_ms\":\"fast\"}", &err,
                           &warn), US_ECONFIG);
    CHECK(err && strstr(err, "timeout_ms"));
    free(err);
    CHECK_EQ_INT(parse_err("{\"kind\":\"openai\",\"model\":7}", &err, &warn), US_ECONFIG);
    CHECK(err && strstr(err, "model"));
    free(err);

    /* Unknown keys warn (never echoing a value) and do not fail. */
    sb_clear(&warn);
    err = NULL;
    CHECK_EQ_INT(parse_err("{\"kind\":\"openai\",\"model\":\"m\",\"api_key\":\"sk-live-999999\","
                           "\"colour\":\"magenta\"}", &err, &warn), 0);
    CHECK(err == NULL);
    CHECK(strstr(warn.data, "\"api_key\"") && strstr(warn.data, "\"colour\"") &&
          strstr(warn.data, "api_key_env"));
    CHECK(!strstr(warn.data, "sk-live") && !strstr(warn.data, "magenta"));

    /* Defaults and normalisation. */
    struct prov_config cfg = cfg_from("{\"kind\":\"ollama\",\"model\":\"m\",\"base_url\":"
                                      "\"http://localhost:11434///\",\"timeout_ms\":3000,"
                                      "\"enabled\":false}");
    CHECK_EQ_STR(cfg.name, "ollama");
    CHECK_EQ_STR(cfg.base_url, "http://localhost:11434");
    CHECK_EQ_INT(cfg.timeout_ms, 3000);
    CHECK(!cfg.enabled);
    CHECK(cfg.temperature < 0); /* unset: the adapter's default */
    CHECK(cfg.ops == prov_ops_find("ollama"));
    prov_config_release(&cfg);
    cfg = cfg_from("{\"name\":\"g\",\"kind\":\"gemini\",\"model\":\"m\",\"api_key_file\":"
                   "\"~/.keys/gemini\",\"api_key_env\":null}");
    CHECK_EQ_STR(cfg.name, "g");
    CHECK(cfg.api_key_env == NULL);
    CHECK_EQ_STR(cfg.api_key_file, "~/.keys/gemini");
    CHECK_EQ_STR(cfg.base_url, "https://generativelanguage.googleapis.com/v1beta");
    prov_config_release(&cfg);

    /* Plain http to a remote host with a key: a warning. */
    sb_clear(&warn);
    CHECK_EQ_INT(parse_err("{\"kind\":\"openai\",\"model\":\"m\",\"base_url\":"
                           "\"http://example.com/v1\"}", &err, &warn), 0);
    CHECK(strstr(warn.data, "plain http") != NULL);
    sb_release(&warn);
}

static void context_dup(void)
{
    struct prov_context ctx = make_ctx(SYN_SHAPE_BLOCK);
    struct prov_context *c = prov_context_dup(&ctx);
    CHECK(c->prefix != ctx.prefix);
    CHECK_EQ_INT(c->prefix_len, ctx.prefix_len);
    CHECK(memcmp(c->prefix, PREFIX, c->prefix_len) == 0);
    CHECK_EQ_STR(c->suffix, SUFFIX);
    CHECK_EQ_STR(c->names[2], "os");
    CHECK_EQ_STR(c->excerpts[0].path, "util.py");
    CHECK(c->excerpts != ctx.excerpts);
    CHECK_EQ_STR(c->scope_signature, "def greet(name):");
    CHECK(c->uri == NULL);
    CHECK_EQ_INT(c->shape, SYN_SHAPE_BLOCK);
    CHECK_EQ_INT(c->max_lines, 8);
    prov_context_free(c);
    prov_context_free(NULL);
}

#define TESTS(X)                                                                           \
    X(classify_table)                                                                      \
    X(classify_never_echoes_keys)                                                          \
    X(registry_lookup)                                                                     \
    X(config_validation)                                                                   \
    X(context_dup)
CHECK_MAIN(TESTS)
