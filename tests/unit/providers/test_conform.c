/* What the real provider APIs accept and send (issue 14), checked on the adapters alone: request
 * parameters per kind and model family, the `extra` merge, headers, and the stream and error
 * shapes the official SDKs and references document. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include <jansson.h>

#include "adapter_int.h"
#include "postprocess.h"
#include "base.h"
#include "check.h"
#include "provider.h"

static const char PREFIX[] = "def add(a, b):\n    return ";
static const char SUFFIX[] = "\n\nprint(add(1, 2))\n";

static struct prov_context ctx_of(enum syn_shape shape)
{
    struct prov_context c = {
        .language = "python", .path = "m.py", .prefix = PREFIX, .prefix_len = sizeof(PREFIX) - 1,
        .suffix = SUFFIX, .suffix_len = sizeof(SUFFIX) - 1, .shape = shape, .max_lines = 4,
    };
    return c;
}

static struct prov_config cfg_from(const char *json)
{
    struct prov_config cfg;
    json_t *j = json_loads(json, 0, NULL);
    CHECK(j != NULL);
    char *err = NULL;
    int rc = prov_config_parse(j, &cfg, NULL, &err);
    if (rc != 0)
        fprintf(stderr, "config error: %s\n", err ? err : "?");
    CHECK_EQ_INT(rc, 0);
    free(err);
    json_decref(j);
    return cfg;
}

/* Build the request for a config; returns its body (caller decrefs) and keeps the headers. */
static json_t *body_for(const char *cfg_json, enum syn_shape shape, struct prov_request *req)
{
    struct prov_config cfg = cfg_from(cfg_json);
    struct prov_context ctx = ctx_of(shape);
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, "k-test", req), 0);
    json_t *b = json_loadb(req->body, req->body_len, 0, NULL);
    CHECK(b != NULL);
    prov_config_release(&cfg);
    return b;
}

static json_t *body_only(const char *cfg_json, enum syn_shape shape)
{
    struct prov_request req;
    json_t *b = body_for(cfg_json, shape, &req);
    prov_request_release(&req);
    return b;
}

static json_t *jget(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = strtok(buf, "."); p && o; p = strtok(NULL, "."))
        o = json_is_array(o) ? json_array_get(o, (size_t)atoi(p)) : json_object_get(o, p);
    return o;
}

static bool has_header(const struct prov_request *r, const char *line)
{
    for (char **h = r->headers; h && *h; h++)
        if (strcasecmp(*h, line) == 0)
            return true;
    return false;
}

static const char *const KINDS[] = {"anthropic", "openai", "openai-compatible", "openrouter",
                                    "gemini", "mistral", "ollama", "llamacpp"};

static void sampling_only_when_configured(void)
{
    for (size_t i = 0; i < US_ARRAY_LEN(KINDS); i++) {
        char cfg[160];
        snprintf(cfg, sizeof(cfg), "{\"kind\":\"%s\",\"model\":\"m\"}", KINDS[i]);
        json_t *b = body_only(cfg, SYN_SHAPE_LINE);
        char *dump = json_dumps(b, 0);
        if (strstr(dump, "temperature"))
            fprintf(stderr, "%s sends an unconfigured temperature: %s\n", KINDS[i], dump);
        CHECK(strstr(dump, "temperature") == NULL);
        CHECK(strstr(dump, "top_p") == NULL && strstr(dump, "topP") == NULL);
        free(dump);
        json_decref(b);
        snprintf(cfg, sizeof(cfg), "{\"kind\":\"%s\",\"model\":\"m\",\"temperature\":0.3}",
                 KINDS[i]);
        b = body_only(cfg, SYN_SHAPE_LINE);
        json_t *t = json_object_get(b, "temperature");
        if (strcmp(KINDS[i], "anthropic") == 0) { /* the current Messages API has none */
            CHECK(t == NULL);
            json_decref(b);
            continue;
        }
        if (!t)
            t = jget(b, "options.temperature");
        if (!t)
            t = jget(b, "generationConfig.temperature");
        CHECK(json_real_value(t) > 0.29 && json_real_value(t) < 0.31);
        json_decref(b);
    }
}

static void anthropic_no_prefill_no_blank_stops(void)
{
    for (int shape = 0; shape < 2; shape++) {
        json_t *b = body_only("{\"kind\":\"anthropic\",\"model\":\"claude-sonnet-4-6\"}",
                              (enum syn_shape)shape);
        json_t *msgs = json_object_get(b, "messages");
        CHECK_EQ_STR(json_string_value(jget(msgs, "0.role")), "user");
        CHECK_EQ_STR(json_string_value(
                         jget(msgs, json_array_size(msgs) == 1 ? "0.role" : "1.role")),
                     "user");
        json_t *stops = json_object_get(b, "stop_sequences");
        size_t i;
        json_t *v;
        json_array_foreach(stops, i, v) {
            const char *s = json_string_value(v);
            bool visible = false;
            for (; s && *s; s++)
                visible |= !isspace((unsigned char)*s);
            CHECK(visible); /* the API: "each stop sequence must contain non-whitespace" */
        }
        json_decref(b);
    }
    CHECK(prov_ops_find("anthropic")->cut_lines);
}

static void enough_lines_rules(void)
{
    CHECK(!prov__enough_lines(SYN_SHAPE_LINE, 4, "a + b", 5));
    CHECK(prov__enough_lines(SYN_SHAPE_LINE, 4, "a + b\n", 6));
    CHECK(!prov__enough_lines(SYN_SHAPE_LINE, 4, "\n```python\n", 11));
    CHECK(prov__enough_lines(SYN_SHAPE_LINE, 4, "```python\na + b\n", 16));
    CHECK(!prov__enough_lines(SYN_SHAPE_BLOCK, 2, "a\nb\n", 4));
    CHECK(prov__enough_lines(SYN_SHAPE_BLOCK, 2, "a\nb\nc\n", 6));
    CHECK(prov__enough_lines(SYN_SHAPE_BLOCK, 9, "```\na\n```\n", 10));
    /* Resumable: the same answers fed a byte at a time; pos is the unfinished line's start. */
    static const char block[] = "\n```py\na\n\nb\n```\nrest";
    struct prov__line_scan sc = {0};
    size_t at = 0;
    for (size_t n = 1; n <= sizeof(block) - 1 && !at; n++)
        if (prov__lines_scan(&sc, SYN_SHAPE_BLOCK, 9, block, n))
            at = n;
    CHECK_EQ_INT((int)at, (int)(sizeof(block) - 1 - 4)); /* at the closing fence's newline */
    CHECK_EQ_INT((int)sc.lines, 3);
    struct prov__line_scan sl = {0};
    CHECK(!prov__lines_scan(&sl, SYN_SHAPE_LINE, 4, "  \nab", 6));
    CHECK_EQ_INT((int)sl.pos, 3);
    CHECK(prov__lines_scan(&sl, SYN_SHAPE_LINE, 4, "  \nabc\nd", 9));
    CHECK_EQ_INT((int)sl.pos, 7);
    /* A fence-like line indented by four spaces is code (CommonMark), for the stream's cut as
     * for the clean-up (pp_is_fence): a docstring showing markdown does not end the answer. */
    static const char doc[] = "```\n    \"\"\"Example:\n    ```\n    x = 1\n    ```\n    \"\"\"\n```\n";
    struct prov__line_scan sd = {0};
    CHECK(!prov__lines_scan(&sd, SYN_SHAPE_BLOCK, 9, doc, sizeof(doc) - 1 - 4));
    CHECK(prov__lines_scan(&sd, SYN_SHAPE_BLOCK, 9, doc, sizeof(doc) - 1));
    CHECK_EQ_INT((int)sd.lines, 5);
    CHECK(pp_is_fence("   ```", 6));
    CHECK(!pp_is_fence("    ```", 7));
    CHECK(!pp_is_fence("\t```", 4));
}

static void reasoning_models(void)
{
    static const struct {
        const char *model, *effort;
    } fam[] = {{"gpt-5", "minimal"}, {"gpt-5-mini", "minimal"}, {"gpt-5.4-mini", "low"},
               {"o4-mini", "low"},   {"o3", "low"},             {"gpt-6-luna", "low"}};
    for (size_t i = 0; i < US_ARRAY_LEN(fam); i++) {
        char cfg[160];
        snprintf(cfg, sizeof(cfg), "{\"kind\":\"openai\",\"model\":\"%s\"}", fam[i].model);
        json_t *b = body_only(cfg, SYN_SHAPE_BLOCK);
        CHECK_EQ_STR(json_string_value(json_object_get(b, "reasoning_effort")), fam[i].effort);
        CHECK(json_integer_value(json_object_get(b, "max_completion_tokens")) >= 1024);
        CHECK(json_object_get(b, "stop") == NULL);
        CHECK(json_object_get(b, "max_tokens") == NULL);
        json_decref(b);
    }
    json_t *b = body_only("{\"kind\":\"openai\",\"model\":\"gpt-4.1-mini\"}", SYN_SHAPE_LINE);
    CHECK(json_object_get(b, "reasoning_effort") == NULL);
    CHECK(json_integer_value(json_object_get(b, "max_completion_tokens")) < 1024);
    json_decref(b);
    b = body_only("{\"kind\":\"openai\",\"model\":\"gpt-5-chat-latest\"}", SYN_SHAPE_LINE);
    CHECK(json_object_get(b, "reasoning_effort") == NULL);
    json_decref(b);

    b = body_only("{\"kind\":\"gemini\",\"model\":\"gemini-2.5-flash\"}", SYN_SHAPE_LINE);
    CHECK_EQ_INT(json_integer_value(jget(b, "generationConfig.thinkingConfig.thinkingBudget")), 0);
    CHECK(json_is_integer(jget(b, "generationConfig.thinkingConfig.thinkingBudget")));
    json_decref(b);
    b = body_only("{\"kind\":\"gemini\",\"model\":\"gemini-2.5-flash-lite\"}", SYN_SHAPE_LINE);
    CHECK(json_is_integer(jget(b, "generationConfig.thinkingConfig.thinkingBudget")));
    json_decref(b);
    b = body_only("{\"kind\":\"gemini\",\"model\":\"gemini-2.5-pro\"}", SYN_SHAPE_LINE);
    json_int_t budget = json_integer_value(jget(b, "generationConfig.thinkingConfig.thinkingBudget"));
    CHECK(budget >= 128); /* 2.5 Pro cannot switch thinking off */
    CHECK(json_integer_value(jget(b, "generationConfig.maxOutputTokens")) > budget + 64);
    json_decref(b);
}

static void extra_is_deep_merged(void)
{
    json_t *b = body_only("{\"kind\":\"gemini\",\"model\":\"gemini-2.5-pro\",\"extra\":{"
                          "\"generationConfig\":{\"thinkingConfig\":{\"thinkingBudget\":512},"
                          "\"stopSequences\":null},\"safetySettings\":[]}}",
                          SYN_SHAPE_LINE);
    CHECK_EQ_INT(json_integer_value(jget(b, "generationConfig.thinkingConfig.thinkingBudget")),
                 512);
    CHECK(jget(b, "generationConfig.stopSequences") == NULL); /* null deletes */
    CHECK(jget(b, "generationConfig.maxOutputTokens") != NULL); /* siblings stay */
    CHECK(json_is_array(json_object_get(b, "safetySettings")));
    json_decref(b);
    for (size_t i = 0; i < US_ARRAY_LEN(KINDS); i++) {
        char cfg[160];
        snprintf(cfg, sizeof(cfg), "{\"kind\":\"%s\",\"model\":\"m\",\"extra\":{\"x_probe\":7}}",
                 KINDS[i]);
        b = body_only(cfg, SYN_SHAPE_LINE);
        CHECK_EQ_INT(json_integer_value(json_object_get(b, "x_probe")), 7);
        json_decref(b);
    }
    /* A non-object is a config error. */
    json_t *j = json_loads("{\"kind\":\"openai\",\"model\":\"m\",\"extra\":[1]}", 0, NULL);
    struct prov_config cfg;
    char *err = NULL;
    CHECK(prov_config_parse(j, &cfg, NULL, &err) != 0);
    CHECK(err && strstr(err, "extra"));
    free(err);
    json_decref(j);
}

static void headers_user_agent_and_openrouter(void)
{
    for (size_t i = 0; i < US_ARRAY_LEN(KINDS); i++) {
        char cfg[160];
        snprintf(cfg, sizeof(cfg), "{\"kind\":\"%s\",\"model\":\"m\"}", KINDS[i]);
        struct prov_request req;
        json_decref(body_for(cfg, SYN_SHAPE_LINE, &req));
        CHECK(has_header(&req, "User-Agent: understudy/" UNDERSTUDY_VERSION));
        prov_request_release(&req);
    }
    struct prov_request req;
    json_decref(body_for("{\"kind\":\"openrouter\",\"model\":\"m\"}", SYN_SHAPE_LINE, &req));
    CHECK(has_header(&req, "X-OpenRouter-Title: Understudy"));
    CHECK(has_header(&req, "HTTP-Referer: https://understudy.invalid/"));
    prov_request_release(&req);
    json_decref(body_for("{\"kind\":\"openrouter\",\"model\":\"m\",\"headers\":{\"HTTP-Referer\":"
                         "\"https://me.example\",\"X-OpenRouter-Title\":\"Mine\"}}",
                         SYN_SHAPE_LINE, &req));
    CHECK(has_header(&req, "HTTP-Referer: https://me.example"));
    CHECK(has_header(&req, "X-OpenRouter-Title: Mine"));
    CHECK(!has_header(&req, "X-OpenRouter-Title: Understudy"));
    CHECK(!has_header(&req, "HTTP-Referer: https://understudy.invalid/"));
    prov_request_release(&req);
}

/* Feed a body in pieces of `piece` bytes (0 = whole) and end it. */
static int feed(const char *kind, const char *in, size_t piece, struct strbuf *text,
                struct prov_outcome *out)
{
    char cfgj[96];
    snprintf(cfgj, sizeof(cfgj), "{\"kind\":\"%s\",\"model\":\"m\"}", kind);
    struct prov_config cfg = cfg_from(cfgj);
    sb_clear(text);
    memset(out, 0, sizeof(*out));
    void *st = cfg.ops->stream_new(&cfg);
    size_t n = strlen(in), at = 0;
    int rc = 0;
    while (at < n && rc == 0) {
        size_t k = piece && n - at > piece ? piece : n - at;
        rc = cfg.ops->stream_feed(st, in + at, k, text, out);
        at += k;
    }
    if (rc >= 0)
        rc = cfg.ops->stream_end(st, text, out);
    cfg.ops->stream_free(st);
    prov_config_release(&cfg);
    return rc < 0 ? -1 : 0;
}

static void bom_is_dropped(void)
{
    struct strbuf t;
    sb_init(&t);
    struct prov_outcome o;
    const char *s = "\xEF\xBB\xBF" "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},"
                    "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    for (size_t piece = 0; piece < 3; piece++) {
        CHECK_EQ_INT(feed("openai", s, piece, &t, &o), 0);
        CHECK_EQ_STR(t.data, "hi");
    }
    sb_release(&t);
}

static void choices_by_index_and_content_arrays(void)
{
    struct strbuf t;
    sb_init(&t);
    struct prov_outcome o;
    CHECK_EQ_INT(feed("openai",
                      "data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\"NO\"}},"
                      "{\"index\":0,\"delta\":{\"content\":\"yes\"}}]}\n\n"
                      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"
                      "\n\ndata: [DONE]\n\n", 0, &t, &o), 0);
    CHECK_EQ_STR(t.data, "yes");
    CHECK_EQ_INT(feed("mistral",
                      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":[{\"type\":\"text\","
                      "\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}}]}\n\n"
                      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"c\"},"
                      "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n", 0, &t, &o), 0);
    CHECK_EQ_STR(t.data, "abc");
    sb_release(&t);
}

static void gemini_reads_past_finish_reason(void)
{
    struct strbuf t;
    sb_init(&t);
    struct prov_outcome o;
    CHECK_EQ_INT(feed("gemini",
                      "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},"
                      "\"finishReason\":\"STOP\",\"index\":0}]}\n\n"
                      "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"b\"}]},"
                      "\"index\":0}]}\n\n", 0, &t, &o), 0);
    CHECK_EQ_STR(t.data, "ab");
    /* A bare error chunk mid-stream, classified by its code. */
    CHECK_EQ_INT(feed("gemini",
                      "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\n\n"
                      "data: {\"error\":{\"code\":429,\"message\":\"Resource exhausted\",\"status\":"
                      "\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/"
                      "google.rpc.RetryInfo\",\"retryDelay\":\"21s\"}]}}\n\n", 0, &t, &o), -1);
    CHECK_EQ_INT(o.kind, PROV_OUT_RATE_LIMITED);
    CHECK_EQ_INT(o.retry_after_ms, 21000);
    sb_release(&t);
}

static void json_body_on_a_200(void)
{
    struct strbuf t;
    sb_init(&t);
    struct prov_outcome o;
    /* An error object answered with 200, classified like the same error with its status. */
    CHECK_EQ_INT(feed("anthropic",
                      "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
                      "\"Overloaded\"}}", 0, &t, &o), -1);
    CHECK_EQ_INT(o.kind, PROV_OUT_SERVER);
    CHECK_EQ_INT(o.http_status, 529);
    CHECK_EQ_INT(feed("openai",
                      "{\n  \"error\": {\n    \"message\": \"Incorrect API key provided\",\n"
                      "    \"type\": \"invalid_request_error\",\n    \"code\": \"invalid_api_key\"\n"
                      "  }\n}\n", 3, &t, &o), -1);
    CHECK_EQ_INT(o.kind, PROV_OUT_AUTH);
    CHECK_EQ_INT(feed("gemini",
                      "{\"error\":{\"code\":429,\"message\":\"quota\",\"status\":"
                      "\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/"
                      "google.rpc.RetryInfo\",\"retryDelay\":\"9s\"}]}}", 0, &t, &o), -1);
    CHECK_EQ_INT(o.kind, PROV_OUT_RATE_LIMITED);
    CHECK_EQ_INT(o.retry_after_ms, 9000);
    /* A server that ignored stream:true: the one JSON answer is read. */
    CHECK_EQ_INT(feed("openai",
                      "{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                      "\"message\":{\"role\":\"assistant\",\"content\":\"a + b\"},"
                      "\"finish_reason\":\"stop\"}]}", 0, &t, &o), 0);
    CHECK_EQ_STR(t.data, "a + b");
    CHECK_EQ_INT(feed("anthropic",
                      "{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{"
                      "\"type\":\"text\",\"text\":\"a + b\"}],\"stop_reason\":\"end_turn\"}", 7,
                      &t, &o), 0);
    CHECK_EQ_STR(t.data, "a + b");
    CHECK_EQ_INT(feed("gemini",
                      "[{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a \"}]}}]},"
                      "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"+ b\"}]},"
                      "\"finishReason\":\"STOP\"}]}]", 0, &t, &o), 0);
    CHECK_EQ_STR(t.data, "a + b");
    sb_release(&t);
}

static void llamacpp_error_field(void)
{
    struct strbuf t;
    sb_init(&t);
    struct prov_outcome o;
    CHECK_EQ_INT(feed("llamacpp",
                      "error: {\"code\":400,\"message\":\"the request exceeds the available "
                      "context size, try increasing it\",\"type\":\"exceed_context_size_error\","
                      "\"n_prompt_tokens\":9000,\"n_ctx\":4096}\n\n", 0, &t, &o), -1);
    CHECK_EQ_INT(o.kind, PROV_OUT_BAD_REQUEST);
    CHECK(o.context_too_long);
    CHECK(strstr(o.message, "context size") != NULL);
    CHECK_EQ_INT(feed("llamacpp",
                      "data: {\"content\":\"a\",\"stop\":false}\n\n"
                      "error: {\"code\":500,\"message\":\"failed to decode the batch\",\"type\":"
                      "\"server_error\"}\n\n", 1, &t, &o), -1);
    CHECK_EQ_INT(o.kind, PROV_OUT_SERVER);
    CHECK(strstr(o.message, "decode") != NULL);
    sb_release(&t);
}

#define TESTS(X)                                                                           \
    X(sampling_only_when_configured)                                                       \
    X(anthropic_no_prefill_no_blank_stops)                                                 \
    X(enough_lines_rules)                                                                  \
    X(reasoning_models)                                                                    \
    X(extra_is_deep_merged)                                                                \
    X(headers_user_agent_and_openrouter)                                                   \
    X(bom_is_dropped)                                                                      \
    X(choices_by_index_and_content_arrays)                                                 \
    X(gemini_reads_past_finish_reason)                                                     \
    X(json_body_on_a_200)                                                                  \
    X(llamacpp_error_field)
CHECK_MAIN(TESTS)
