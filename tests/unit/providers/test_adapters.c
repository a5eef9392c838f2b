/* Unit tests for the provider adapters and registry: each kind's request (URL, auth and version
 * headers, body fields, stream flag), each kind's stream reassembled at every split, in-band
 * errors, the classification table, and provider config validation. Pure code, no network. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "base.h"
#include "check.h"
#include "provider.h"

/* ---------------------------------------------------------------- helpers */

static const char PREFIX[] = "import os\n\ndef greet(name):\n    msg = \"caf\xC3\xA9\"\n    return ";
static const char SUFFIX[] = "\n\nprint(greet('x'))\n";

static struct prov_context make_ctx(enum syn_shape shape)
{
    static const char *const names[] = {"name", "msg", "os"};
    static const struct prov_excerpt ex[] = {{"util.py", "def helper():\n    return 1\n"}};
    struct prov_context c = {
        .language = "python",
        .path = "app.py",
        .prefix = PREFIX,
        .prefix_len = sizeof(PREFIX) - 1,
        .suffix = SUFFIX,
        .suffix_len = sizeof(SUFFIX) - 1,
        .line = 4,
        .column = 11,
        .situation = PROV_SIT_CODE,
        .shape = shape,
        .indent = "    ",
        .scope_signature = "def greet(name):",
        .imports = "import os",
        .names = names,
        .n_names = 3,
        .excerpts = ex,
        .n_excerpts = 1,
        .max_lines = 8,
    };
    return c;
}

/* Parse a config entry from JSON text; the test fails if it does not validate. */
static struct prov_config cfg_from(const char *json)
{
    struct prov_config cfg;
    json_error_t e;
    json_t *j = json_loads(json, 0, &e);
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

static bool has_header(const struct prov_request *r, const char *line)
{
    for (char **h = r->headers; h && *h; h++)
        if (strcmp(*h, line) == 0)
            return true;
    return false;
}

static bool has_header_named(const struct prov_request *r, const char *name)
{
    size_t n = strlen(name);
    for (char **h = r->headers; h && *h; h++)
        if (strncasecmp(*h, name, n) == 0 && (*h)[n] == ':')
            return true;
    return false;
}

static json_t *body_of(const struct prov_request *r)
{
    json_error_t e;
    CHECK(r->body != NULL);
    CHECK_EQ_INT(strlen(r->body), r->body_len);
    json_t *j = json_loadb(r->body, r->body_len, 0, &e);
    CHECK(json_is_object(j));
    return j;
}

static const char *jstr(json_t *o, const char *path)
{
    /* "a.b.0.c": objects by key, arrays by index */
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    json_t *cur = o;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
        cur = json_is_array(cur) ? json_array_get(cur, (size_t)atoi(tok))
                                 : json_object_get(cur, tok);
    return json_string_value(cur);
}

static json_t *jget(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    json_t *cur = o;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
        cur = json_is_array(cur) ? json_array_get(cur, (size_t)atoi(tok))
                                 : json_object_get(cur, tok);
    return cur;
}

static bool str_contains(const char *s, const char *needle)
{
    return s && strstr(s, needle) != NULL;
}

/* ---------------------------------------------------------------- requests */

static void anthropic_request(void)
{
    struct prov_config cfg = cfg_from("{\"name\":\"claude\",\"kind\":\"anthropic\","
                                      "\"model\":\"claude-sonnet-4-5\","
                                      "\"headers\":{\"anthropic-beta\":\"x-1\"}}");
    CHECK_EQ_STR(cfg.base_url, "https://api.anthropic.com");
    CHECK_EQ_STR(cfg.api_key_env, "ANTHROPIC_API_KEY");
    struct prov_context ctx = make_ctx(PROV_SHAPE_LINE);
    struct prov_request req;
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, "sk-ant-test", &req), 0);
    CHECK_EQ_STR(req.url, "https://api.anthropic.com/v1/messages");
    CHECK(has_header(&req, "x-api-key: sk-ant-test"));
    CHECK(has_header(&req, "anthropic-version: 2023-06-01"));
    CHECK(has_header(&req, "Content-Type: application/json"));
    CHECK(has_header(&req, "anthropic-beta: x-1"));
    CHECK(!has_header_named(&req, "Authorization"));
    CHECK(req.stream);
    json_t *b = body_of(&req);
    CHECK_EQ_STR(jstr(b, "model"), "claude-sonnet-4-5");
    CHECK(json_integer_value(json_object_get(b, "max_tokens")) > 0);
    CHECK(json_is_true(json_object_get(b, "stream")));
    CHECK(str_contains(jstr(b, "system"), "text to insert"));
    CHECK_EQ_STR(jstr(b, "messages.0.role"), "user");
    const char *user = jstr(b, "messages.0.content");
    CHECK(str_contains(user, "    return <CURSOR>\n\nprint(greet('x'))"));
    CHECK(str_contains(user, "Language: python"));
    CHECK(str_contains(user, "app.py"));
    CHECK(str_contains(user, "def greet(name):"));
    CHECK(str_contains(user, "import os"));
    CHECK(str_contains(user, "def helper():"));
    CHECK(str_contains(user, "caf\xC3\xA9"));
    /* No prefill (Claude 4.6+ rejects it): the user turn ends the conversation and names the
     * cursor line; no whitespace-only stop sequences; no unconfigured temperature. */
    CHECK_EQ_INT(json_array_size(json_object_get(b, "messages")), 1);
    CHECK(str_contains(user, "right after `    return`"));
    CHECK(json_object_get(b, "stop_sequences") == NULL);
    CHECK(json_object_get(b, "temperature") == NULL);
    json_decref(b);
    prov_request_release(&req);

    /* Line start: no prefill (an empty or blank assistant turn is rejected). */
    struct prov_context c2 = make_ctx(PROV_SHAPE_BLOCK);
    c2.prefix = "def f():\n    ";
    c2.prefix_len = strlen(c2.prefix);
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &c2, "k", &req), 0);
    b = body_of(&req);
    CHECK_EQ_INT(json_array_size(json_object_get(b, "messages")), 1);
    CHECK(json_object_get(b, "stop_sequences") == NULL);
    json_decref(b);
    prov_request_release(&req);
    prov_config_release(&cfg);

    /* A base with the version segment is not doubled. */
    cfg = cfg_from("{\"kind\":\"anthropic\",\"model\":\"m\",\"base_url\":\"http://127.0.0.1:9/v1/\"}");
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, "k", &req), 0);
    CHECK_EQ_STR(req.url, "http://127.0.0.1:9/v1/messages");
    prov_request_release(&req);
    prov_config_release(&cfg);
}

static void openai_request(void)
{
    struct prov_config cfg = cfg_from("{\"kind\":\"openai\",\"model\":\"gpt-4.1-mini\","
                                      "\"max_tokens\":77,\"temperature\":0.5}");
    CHECK_EQ_STR(cfg.api_key_env, "OPENAI_API_KEY");
    struct prov_context ctx = make_ctx(PROV_SHAPE_LINE);
    struct prov_request req;
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, "sk-test", &req), 0);
    CHECK_EQ_STR(req.url, "https://api.openai.com/v1/chat/completions");
    CHECK(has_header(&req, "Authorization: Bearer sk-test"));
    CHECK(has_header(&req, "Content-Type: application/json"));
    json_t *b = body_of(&req);
    CHECK_EQ_STR(jstr(b, "model"), "gpt-4.1-mini");
    CHECK_EQ_STR(jstr(b, "messages.0.role"), "system");
    CHECK_EQ_STR(jstr(b, "messages.1.role"), "user");
    CHECK(str_contains(jstr(b, "messages.1.content"), "return <CURSOR>"));
    CHECK_EQ_INT(json_integer_value(json_object_get(b, "max_completion_tokens")), 77);
    CHECK(json_object_get(b, "max_tokens") == NULL);
    CHECK(json_real_value(json_object_get(b, "temperature")) == 0.5);
    CHECK_EQ_STR(jstr(b, "stop.0"), "\n\n");
    CHECK(json_is_true(json_object_get(b, "stream")));
    json_decref(b);
    prov_request_release(&req);
    prov_config_release(&cfg);

    /* Reasoning models reject stop and temperature. */
    cfg = cfg_from("{\"kind\":\"openai\",\"model\":\"o3-mini\"}");
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, "sk-test", &req), 0);
    b = body_of(&req);
    CHECK(json_object_get(b, "stop") == NULL);
    CHECK(json_object_get(b, "temperature") == NULL);
    json_decref(b);
    prov_request_release(&req);
    prov_config_release(&cfg);
}

static void openai_compatible_request(void)
{
    struct prov_config cfg = cfg_from("{\"kind\":\"openai-compatible\",\"model\":\"qwen\","
                                      "\"base_url\":\"http://127.0.0.1:1234/v1\"}");
    CHECK(cfg.api_key_env == NULL);
    struct prov_context ctx = make_ctx(PROV_SHAPE_LINE);
    struct prov_request req;
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, NULL, &req), 0);
    CHECK_EQ_STR(req.url, "http://127.0.0.1:1234/v1/chat/completions");
    CHECK(!has_header_named(&req, "Authorization"));
    json_t *b = body_of(&req);
    CHECK(json_integer_value(json_object_get(b, "max_tokens")) > 0);
    CHECK_EQ_STR(jstr(b, "messages.0.role"), "system");
    CHECK(json_is_true(json_object_get(b, "stream")));
    json_decref(b);
    prov_request_release(&req);
    prov_config_release(&cfg);

    /* fim: /v1/completions with prompt + suffix, stop at the line end for a line. */
    cfg = cfg_from("{\"kind\":\"openai-compatible\",\"model\":\"deepseek-coder\",\"fim\":true,"
                   "\"base_url\":\"https://gw.example/v1\",\"api_key_env\":\"GW_KEY\"}");
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, "gw-key", &req), 0);
    CHECK_EQ_STR(req.url, "https://gw.example/v1/completions");
    CHECK(has_header(&req, "Authorization: Bearer gw-key"));
    b = body_of(&req);
    CHECK_EQ_STR(jstr(b, "model"), "deepseek-coder");
    CHECK_EQ_STR(jstr(b, "prompt"), PREFIX);
    CHECK_EQ_STR(jstr(b, "suffix"), SUFFIX);
    CHECK_EQ_STR(jstr(b, "stop.0"), "\n");
    CHECK(json_object_get(b, "messages") == NULL);
    CHECK(json_is_true(json_object_get(b, "stream")));
    json_decref(b);
    prov_request_release(&req);
    prov_config_release(&cfg);
}

static void openrouter_request(void)
{
    struct prov_config cfg = cfg_from("{\"kind\":\"openrouter\",\"model\":\"qwen/qwen-2.5-coder\"}");
    CHECK_EQ_STR(cfg.api_key_env, "OPENROUTER_API_KEY");
    struct prov_context ctx = make_ctx(PROV_SHAPE_LINE);
    struct prov_request req;
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, "or-key", &req), 0);
    CHECK_EQ_STR(req.url, "https://openrouter.ai/api/v1/chat/completions");
    CHECK(has_header(&req, "Authorization: Bearer or-key"));
    CHECK(has_header(&req, "X-OpenRouter-Title: Understudy"));
    CHECK(has_header_named(&req, "HTTP-Referer"));
    json_t *b = body_of(&req);
    CHECK_EQ_STR(jstr(b, "model"), "qwen/qwen-2.5-coder");
    CHECK(json_integer_value(json_object_get(b, "max_tokens")) > 0);
    CHECK(json_is_true(json_object_get(b, "stream")));
    json_decref(b);
    prov_request_release(&req);
    prov_config_release(&cfg);

    cfg = cfg_from("{\"kind\":\"openrouter\",\"model\":\"m\",\"headers\":{"
                   "\"HTTP-Referer\":\"https://example.dev\",\"X-Title\":\"My Editor\"}}");
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, "or-key", &req), 0);
    CHECK(has_header(&req, "HTTP-Referer: https://example.dev"));
    CHECK(has_header(&req, "X-Title: My Editor"));
    CHECK(!has_header(&req, "X-Title: Understudy"));
    prov_request_release(&req);
    prov_config_release(&cfg);
}

static void gemini_request(void)
{
    struct prov_config cfg = cfg_from("{\"kind\":\"gemini\",\"model\":\"gemini-2.0-flash\"}");
    CHECK_EQ_STR(cfg.api_key_env, "GEMINI_API_KEY");
    struct prov_context ctx = make_ctx(PROV_SHAPE_BLOCK);
    struct prov_request req;
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, "AIza-test", &req), 0);
    CHECK_EQ_STR(req.url, "https://generativelanguage.googleapis.com/v1beta/models/"
                          "gemini-2.0-flash:streamGenerateContent?alt=sse");
    CHECK(!str_contains(req.url, "AIza")); /* the key travels in a header, never the URL */
    CHECK(has_header(&req, "x-goog-api-key: AIza-test"));
    json_t *b = body_of(&req);
    CHECK_EQ_STR(jstr(b, "contents.0.role"), "user");
    CHECK(str_contains(jstr(b, "contents.0.parts.0.text"), "return <CURSOR>"));
    CHECK(str_contains(jstr(b, "systemInstruction.parts.0.text"), "text to insert"));
    CHECK(json_integer_value(jget(b, "generationConfig.maxOutputTokens")) > 0);
    CHECK(jget(b, "generationConfig.temperature") == NULL); /* only when configured */
    CHECK(json_is_array(jget(b, "generationConfig.stopSequences")));
    CHECK(json_array_size(jget(b, "generationConfig.stopSequences")) <= 5);
    json_decref(b);
    prov_request_release(&req);
    prov_config_release(&cfg);

    /* "models/" prefix accepted, odd characters escaped. */
    cfg = cfg_from("{\"kind\":\"gemini\",\"model\":\"models/x y?\"}");
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, "k", &req), 0);
    CHECK(str_contains(req.url, "/models/x%20y%3F:streamGenerateContent?alt=sse"));
    prov_request_release(&req);
    prov_config_release(&cfg);
}

static void mistral_request(void)
{
    struct prov_config cfg = cfg_from("{\"kind\":\"mistral\"}");
    CHECK_EQ_STR(cfg.model, "codestral-latest");
    struct prov_context ctx = make_ctx(PROV_SHAPE_LINE);
    struct prov_request req;
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, "cs-key", &req), 0);
    CHECK_EQ_STR(req.url, "https://codestral.mistral.ai/v1/fim/completions");
    CHECK(has_header(&req, "Authorization: Bearer cs-key"));
    json_t *b = body_of(&req);
    CHECK_EQ_STR(jstr(b, "model"), "codestral-latest");
    CHECK_EQ_STR(jstr(b, "prompt"), PREFIX);
    CHECK_EQ_STR(jstr(b, "suffix"), SUFFIX);
    CHECK(json_integer_value(json_object_get(b, "max_tokens")) > 0);
    CHECK_EQ_STR(jstr(b, "stop.0"), "\n");
    CHECK(json_is_true(json_object_get(b, "stream")));
    json_decref(b);
    prov_request_release(&req);
    prov_config_release(&cfg);

    cfg = cfg_from("{\"kind\":\"mistral\",\"base_url\":\"https://api.mistral.ai\","
                   "\"api_key_env\":\"MISTRAL_API_KEY\"}");
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, "k", &req), 0);
    CHECK_EQ_STR(req.url, "https://api.mistral.ai/v1/fim/completions");
    prov_request_release(&req);
    prov_config_release(&cfg);
}

static void ollama_request(void)
{
    struct prov_config cfg = cfg_from("{\"kind\":\"ollama\",\"model\":\"my-model\",\"max_tokens\":50}");
    CHECK_EQ_STR(cfg.base_url, "http://127.0.0.1:11434");
    CHECK(cfg.api_key_env == NULL);
    struct prov_context ctx = make_ctx(PROV_SHAPE_LINE);
    struct prov_request req;
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, NULL, &req), 0);
    CHECK_EQ_STR(req.url, "http://127.0.0.1:11434/api/generate");
    CHECK(!has_header_named(&req, "Authorization"));
    json_t *b = body_of(&req);
    /* Unknown family: the Modelfile template does the infill from prompt + suffix. */
    CHECK_EQ_STR(jstr(b, "model"), "my-model");
    CHECK_EQ_STR(jstr(b, "prompt"), PREFIX);
    CHECK_EQ_STR(jstr(b, "suffix"), SUFFIX);
    CHECK(json_object_get(b, "raw") == NULL);
    CHECK(json_is_true(json_object_get(b, "stream")));
    CHECK_EQ_INT(json_integer_value(jget(b, "options.num_predict")), 50);
    CHECK(jget(b, "options.temperature") == NULL); /* only when configured */
    CHECK_EQ_STR(jstr(b, "options.stop.0"), "\n");
    json_decref(b);
    prov_request_release(&req);
    prov_config_release(&cfg);

    /* A known FIM family: raw prompt with its own tokens and stops. */
    cfg = cfg_from("{\"kind\":\"ollama\",\"model\":\"qwen2.5-coder:1.5b\"}");
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, NULL, &req), 0);
    b = body_of(&req);
    CHECK(json_is_true(json_object_get(b, "raw")));
    char want[512];
    snprintf(want, sizeof(want), "<|fim_prefix|>%s<|fim_suffix|>%s<|fim_middle|>", PREFIX, SUFFIX);
    CHECK_EQ_STR(jstr(b, "prompt"), want);
    CHECK(json_object_get(b, "suffix") == NULL);
    bool eot = false;
    size_t i;
    json_t *s;
    json_array_foreach(jget(b, "options.stop"), i, s) eot |= strcmp(json_string_value(s), "<|endoftext|>") == 0;
    CHECK(eot);
    json_decref(b);
    prov_request_release(&req);
    prov_config_release(&cfg);

    /* Codestral is suffix-first. */
    cfg = cfg_from("{\"kind\":\"ollama\",\"model\":\"codestral:22b\"}");
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, NULL, &req), 0);
    b = body_of(&req);
    snprintf(want, sizeof(want), "[SUFFIX]%s[PREFIX]%s", SUFFIX, PREFIX);
    CHECK_EQ_STR(jstr(b, "prompt"), want);
    json_decref(b);
    prov_request_release(&req);
    prov_config_release(&cfg);
}

static void llamacpp_request(void)
{
    struct prov_config cfg = cfg_from("{\"kind\":\"llamacpp\"}");
    CHECK_EQ_STR(cfg.base_url, "http://127.0.0.1:8080");
    struct prov_context ctx = make_ctx(PROV_SHAPE_BLOCK);
    struct prov_request req;
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, NULL, &req), 0);
    CHECK_EQ_STR(req.url, "http://127.0.0.1:8080/infill");
    CHECK(!has_header_named(&req, "Authorization"));
    json_t *b = body_of(&req);
    CHECK_EQ_STR(jstr(b, "input_prefix"), PREFIX);
    CHECK_EQ_STR(jstr(b, "input_suffix"), SUFFIX);
    CHECK_EQ_STR(jstr(b, "input_extra.0.filename"), "util.py");
    CHECK_EQ_STR(jstr(b, "input_extra.0.text"), "def helper():\n    return 1\n");
    CHECK(json_integer_value(json_object_get(b, "n_predict")) > 0);
    CHECK(json_is_true(json_object_get(b, "stream")));
    json_decref(b);
    prov_request_release(&req);
    prov_config_release(&cfg);

    cfg = cfg_from("{\"kind\":\"llamacpp\",\"base_url\":\"http://127.0.0.1:9931\","
                   "\"api_key_env\":\"LLAMA_KEY\"}");
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, "lk", &req), 0);
    CHECK_EQ_STR(req.url, "http://127.0.0.1:9931/infill");
    CHECK(has_header(&req, "Authorization: Bearer lk"));
    prov_request_release(&req);
    prov_config_release(&cfg);
}

static void invalid_utf8_in_document(void)
{
    /* A document with bytes that are not UTF-8 still produces a valid JSON body. */
    struct prov_config cfg = cfg_from("{\"kind\":\"mistral\"}");
    struct prov_context ctx = make_ctx(PROV_SHAPE_LINE);
    ctx.prefix = "x = \"\xFF\xFE\xC3\"";
    ctx.prefix_len = strlen(ctx.prefix);
    struct prov_request req;
    CHECK_EQ_INT(cfg.ops->build_request(&cfg, &ctx, "k", &req), 0);
    json_t *b = body_of(&req);
    CHECK_EQ_STR(jstr(b, "prompt"), "x = \"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    json_decref(b);
    prov_request_release(&req);
    prov_config_release(&cfg);
}

/* ---------------------------------------------------------------- streams */

/* The answer every recorded stream below spells out, with 2-, 3- and 4-byte characters. */
static const char WANT[] = "def f():\n    return \"caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80\"\n";

static const char anthropic_stream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\","
    "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,"
    "\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
    "\"text\":\"\"}}\n\n"
    "event: ping\n"
    "data: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\"def f():\\n\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\"    return \\\"caf\xC3\xA9 \"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\"\\u4e2d \\ud83d\\ude00\\\"\\n\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
    "\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

#define OAI_CHUNK(delta, fin)                                                              \
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"     \
    "\"model\":\"gpt-4.1-mini\",\"choices\":[{\"index\":0,\"delta\":" delta                \
    ",\"finish_reason\":" fin "}]}\n\n"

static const char openai_stream[] =
    OAI_CHUNK("{\"role\":\"assistant\",\"content\":\"\"}", "null")
    OAI_CHUNK("{\"content\":\"def f():\\n\"}", "null")
    OAI_CHUNK("{\"content\":\"    return \\\"caf\xC3\xA9 \"}", "null")
    OAI_CHUNK("{\"content\":\"\xE4\xB8\xAD \xF0\x9F\x98\x80\\\"\\n\"}", "null")
    OAI_CHUNK("{}", "\"stop\"")
    "data: [DONE]\n\n";

/* OpenRouter: CR LF line ends and keep-alive comments between events. */
static const char openrouter_stream[] =
    ": OPENROUTER PROCESSING\r\n\r\n"
    "data: {\"id\":\"gen-1\",\"model\":\"qwen/qwen-2.5-coder\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"role\":\"assistant\",\"content\":\"def f():\\n    return \"},"
    "\"finish_reason\":null}]}\r\n\r\n"
    ": OPENROUTER PROCESSING\r\n\r\n"
    "data: {\"id\":\"gen-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
    "\"\\\"caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80\\\"\\n\"},\"finish_reason\":\"stop\"}]}\r\n\r\n"
    "data: {\"id\":\"gen-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,"
    "\"completion_tokens\":9,\"total_tokens\":19}}\r\n\r\n"
    "data: [DONE]\r\n\r\n";

/* openai-compatible with fim: legacy completions chunks. */
static const char completions_stream[] =
    "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[{\"text\":\"def f():\\n"
    "    return \",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[{\"text\":\"\\\"caf\xC3\xA9"
    " \xE4\xB8\xAD \xF0\x9F\x98\x80\\\"\\n\",\"index\":0,\"logprobs\":null,"
    "\"finish_reason\":\"stop\"}]}\n\n"
    "data: [DONE]\n\n";

static const char mistral_stream[] =
    "data: {\"id\":\"a1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
    "\"codestral-latest\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":\"def f():\\n    return \\\"caf\xC3\xA9 \"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"a1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
    "\"codestral-latest\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\xE4\xB8\xAD "
    "\xF0\x9F\x98\x80\\\"\\n\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,"
    "\"total_tokens\":20,\"completion_tokens\":11}}\n\n"
    "data: [DONE]\n\n";

/* Gemini: CR LF, no sentinel; the last frame has finishReason. */
static const char gemini_stream[] =
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"def f():\\n    return \"}],"
    "\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 30,"
    "\"totalTokenCount\": 30},\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n"
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\\\"caf\xC3\xA9 \xE4\xB8\xAD "
    "\"}],\"role\": \"model\"},\"index\": 0}]}\r\n\r\n"
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\xF0\x9F\x98\x80\\\"\\n\"}],"
    "\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": "
    "{\"promptTokenCount\": 30,\"candidatesTokenCount\": 12,\"totalTokenCount\": 42}}\r\n\r\n";

static const char ollama_stream[] =
    "{\"model\":\"qwen2.5-coder:1.5b\",\"created_at\":\"2025-01-01T00:00:00Z\",\"response\":"
    "\"def f():\\n\",\"done\":false}\n"
    "{\"model\":\"qwen2.5-coder:1.5b\",\"created_at\":\"2025-01-01T00:00:00Z\",\"response\":"
    "\"    return \\\"caf\xC3\xA9 \xE4\xB8\xAD \",\"done\":false}\n"
    "{\"model\":\"qwen2.5-coder:1.5b\",\"created_at\":\"2025-01-01T00:00:00Z\",\"response\":"
    "\"\xF0\x9F\x98\x80\\\"\\n\",\"done\":false}\n"
    "{\"model\":\"qwen2.5-coder:1.5b\",\"created_at\":\"2025-01-01T00:00:00Z\",\"response\":\"\","
    "\"done\":true,\"done_reason\":\"stop\",\"total_duration\":123456,\"eval_count\":12}\n";

static const char llamacpp_stream[] =
    "data: {\"content\":\"def f():\\n\",\"tokens\":[1],\"stop\":false}\n\n"
    ": ping\n\n"
    "data: {\"content\":\"    return \\\"caf\xC3\xA9 \xE4\xB8\xAD \",\"tokens\":[2],\"stop\":false}\n\n"
    "data: {\"content\":\"\xF0\x9F\x98\x80\\\"\\n\",\"tokens\":[3],\"stop\":false}\n\n"
    "data: {\"content\":\"\",\"stop\":true,\"stop_type\":\"eos\",\"model\":\"m\","
    "\"timings\":{\"predicted_n\":12}}\n\n";

/* Feed in pieces cut at the given offsets; returns 0 for a complete answer, -1 with out set. */
static int run_stream(const struct prov_ops *ops, const struct prov_config *cfg, const char *in,
                      size_t n, const size_t *cuts, size_t ncuts, struct strbuf *text,
                      struct prov_outcome *out)
{
    void *st = ops->stream_new(cfg);
    size_t at = 0;
    int rc = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        rc = ops->stream_feed(st, in + at, end - at, text, out);
        at = end;
        if (rc != 0)
            break;
    }
    if (rc >= 0)
        rc = ops->stream_end(st, text, out);
    ops->stream_free(st);
    return rc;
}

static int check_all_splits(const char *cfg_json, const char *in, size_t n)
{
    struct prov_config cfg = cfg_from(cfg_json);
    int bad = 0;
    struct strbuf text;
    sb_init(&text);
    struct prov_outcome out;
    /* whole */
    if (run_stream(cfg.ops, &cfg, in, n, NULL, 0, &text, &out) != 0 || strcmp(text.data, WANT)) {
        fprintf(stderr, "%s whole: got \"%s\" (%s)\n", cfg.kind, text.data, out.message);
        bad++;
    }
    /* every two-piece split, including inside each multi-byte character */
    for (size_t i = 0; i <= n; i++) {
        sb_clear(&text);
        if (run_stream(cfg.ops, &cfg, in, n, &i, 1, &text, &out) != 0 || strcmp(text.data, WANT)) {
            if (!bad)
                fprintf(stderr, "%s split at %zu: got \"%s\"\n", cfg.kind, i, text.data);
            bad++;
        }
    }
    /* one byte at a time */
    size_t *cuts = xmalloc(n * sizeof(*cuts));
    for (size_t i = 0; i + 1 < n; i++)
        cuts[i] = i + 1;
    sb_clear(&text);
    if (run_stream(cfg.ops, &cfg, in, n, cuts, n - 1, &text, &out) != 0 || strcmp(text.data, WANT))
        bad++;
    free(cuts);
    sb_release(&text);
    prov_config_release(&cfg);
    return bad;
}

static void streams_reassemble_at_every_split(void)
{
    CHECK_EQ_INT(check_all_splits("{\"kind\":\"anthropic\",\"model\":\"m\"}", anthropic_stream,
                                  sizeof(anthropic_stream) - 1), 0);
    CHECK_EQ_INT(check_all_splits("{\"kind\":\"openai\",\"model\":\"m\"}", openai_stream,
                                  sizeof(openai_stream) - 1), 0);
    CHECK_EQ_INT(check_all_splits("{\"kind\":\"openrouter\",\"model\":\"m\"}", openrouter_stream,
                                  sizeof(openrouter_stream) - 1), 0);
    CHECK_EQ_INT(check_all_splits("{\"kind\":\"openai-compatible\",\"fim\":true}",
                                  completions_stream, sizeof(completions_stream) - 1), 0);
    CHECK_EQ_INT(check_all_splits("{\"kind\":\"openai-compatible\"}", openai_stream,
                                  sizeof(openai_stream) - 1), 0);
    CHECK_EQ_INT(check_all_splits("{\"kind\":\"mistral\"}", mistral_stream,
                                  sizeof(mistral_stream) - 1), 0);
    CHECK_EQ_INT(check_all_splits("{\"kind\":\"gemini\",\"model\":\"m\"}", gemini_stream,
                                  sizeof(gemini_stream) - 1), 0);
    CHECK_EQ_INT(check_all_splits("{\"kind\":\"ollama\",\"model\":\"m\"}", ollama_stream,
                                  sizeof(ollama_stream) - 1), 0);
    CHECK_EQ_INT(check_all_splits("{\"kind\":\"llamacpp\"}", llamacpp_stream,
                                  sizeof(llamacpp_stream) - 1), 0);
}

/* The end marker makes stream_feed return 1 at once (the router can stop reading). */
static void end_marker_reported_by_feed(void)
{
    struct prov_config cfg = cfg_from("{\"kind\":\"ollama\",\"model\":\"m\"}");
    struct strbuf text;
    sb_init(&text);
    struct prov_outcome out;
    void *st = cfg.ops->stream_new(&cfg);
    CHECK_EQ_INT(cfg.ops->stream_feed(st, ollama_stream, sizeof(ollama_stream) - 1, &text, &out), 1);
    CHECK_EQ_STR(text.data, WANT);
    CHECK_EQ_INT(cfg.ops->stream_end(st, &text, &out), 0);
    cfg.ops->stream_free(st);
    sb_release(&text);
    prov_config_release(&cfg);
}

static int feed_all(const char *cfg_json, const char *in, struct strbuf *text,
                    struct prov_outcome *out)
{
    struct prov_config cfg = cfg_from(cfg_json);
    int rc = run_stream(cfg.ops, &cfg, in, strlen(in), NULL, 0, text, out);
    prov_config_release(&cfg);
    return rc;
}

static void inband_errors(void)
{
    struct strbuf text;
    sb_init(&text);
    struct prov_outcome out;

    CHECK_EQ_INT(feed_all("{\"kind\":\"anthropic\",\"model\":\"m\"}",
                          "event: content_block_delta\n"
                          "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
                          "\"text_delta\",\"text\":\"x\"}}\n\n"
                          "event: error\n"
                          "data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                          "\"message\":\"Overloaded\"}}\n\n",
                          &text, &out), -1);
    CHECK_EQ_INT(out.kind, PROV_OUT_STREAM_ERROR);
    CHECK(strstr(out.message, "Overloaded") != NULL);
    CHECK_EQ_STR(text.data, "x");

    sb_clear(&text);
    CHECK_EQ_INT(feed_all("{\"kind\":\"openai\",\"model\":\"m\"}",
                          "data: {\"error\":{\"message\":\"The server had an error while "
                          "processing your request.\",\"type\":\"server_error\",\"param\":null,"
                          "\"code\":null}}\n\n", &text, &out), -1);
    CHECK_EQ_INT(out.kind, PROV_OUT_STREAM_ERROR);
    CHECK(strstr(out.message, "server had an error") != NULL);

    sb_clear(&text);
    CHECK_EQ_INT(feed_all("{\"kind\":\"openrouter\",\"model\":\"m\"}",
                          ": OPENROUTER PROCESSING\n\n"
                          "data: {\"id\":\"g\",\"object\":\"chat.completion.chunk\",\"error\":{"
                          "\"code\":502,\"message\":\"Provider returned error\"},\"choices\":[{"
                          "\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]}"
                          "\n\n", &text, &out), -1);
    CHECK_EQ_INT(out.kind, PROV_OUT_STREAM_ERROR);
    CHECK(strstr(out.message, "Provider returned error") != NULL);

    sb_clear(&text);
    CHECK_EQ_INT(feed_all("{\"kind\":\"openrouter\",\"model\":\"m\"}",
                          "data: {\"error\":{\"code\":429,\"message\":\"Rate limited upstream\"}}"
                          "\n\n", &text, &out), -1);
    CHECK_EQ_INT(out.kind, PROV_OUT_RATE_LIMITED);

    sb_clear(&text);
    CHECK_EQ_INT(feed_all("{\"kind\":\"mistral\"}",
                          "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},"
                          "\"finish_reason\":\"error\"}]}\n\n", &text, &out), -1);
    CHECK_EQ_INT(out.kind, PROV_OUT_STREAM_ERROR);

    sb_clear(&text);
    CHECK_EQ_INT(feed_all("{\"kind\":\"ollama\",\"model\":\"m\"}",
                          "{\"response\":\"a\",\"done\":false}\n"
                          "{\"error\":\"model runner has unexpectedly stopped\"}\n", &text, &out),
                 -1);
    CHECK_EQ_INT(out.kind, PROV_OUT_STREAM_ERROR);
    CHECK(strstr(out.message, "unexpectedly stopped") != NULL);

    sb_clear(&text);
    CHECK_EQ_INT(feed_all("{\"kind\":\"gemini\",\"model\":\"m\"}",
                          "data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\","
                          "\"status\":\"UNAVAILABLE\"}}\r\n\r\n", &text, &out), -1);
    CHECK_EQ_INT(out.kind, PROV_OUT_STREAM_ERROR);

    sb_clear(&text);
    CHECK_EQ_INT(feed_all("{\"kind\":\"gemini\",\"model\":\"m\"}",
                          "data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\"}}\n\n", &text,
                          &out), -1);
    CHECK_EQ_INT(out.kind, PROV_OUT_BAD_REQUEST);

    sb_clear(&text);
    CHECK_EQ_INT(feed_all("{\"kind\":\"llamacpp\"}",
                          "data: {\"error\":{\"code\":500,\"message\":\"slot unavailable\","
                          "\"type\":\"server_error\"}}\n\n", &text, &out), -1);
    CHECK_EQ_INT(out.kind, PROV_OUT_STREAM_ERROR);
    sb_release(&text);
}

static void truncated_and_garbled_streams(void)
{
    struct strbuf text;
    sb_init(&text);
    struct prov_outcome out;
    /* Anthropic: deltas but the connection closed before message_stop. */
    CHECK_EQ_INT(feed_all("{\"kind\":\"anthropic\",\"model\":\"m\"}",
                          "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                          "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n",
                          &text, &out), -1);
    CHECK_EQ_INT(out.kind, PROV_OUT_MALFORMED);
    sb_clear(&text);
    /* Gemini: no finishReason = truncated. */
    CHECK_EQ_INT(feed_all("{\"kind\":\"gemini\",\"model\":\"m\"}",
                          "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]}}]}\n\n",
                          &text, &out), -1);
    CHECK_EQ_INT(out.kind, PROV_OUT_MALFORMED);
    sb_clear(&text);
    CHECK_EQ_INT(feed_all("{\"kind\":\"ollama\",\"model\":\"m\"}",
                          "{\"response\":\"x\",\"done\":false}\n", &text, &out), -1);
    CHECK_EQ_INT(out.kind, PROV_OUT_MALFORMED);
    sb_clear(&text);
    CHECK_EQ_INT(feed_all("{\"kind\":\"openai\",\"model\":\"m\"}", "data: {not json\n\n", &text,
                          &out), -1);
    CHECK_EQ_INT(out.kind, PROV_OUT_MALFORMED);
    sb_clear(&text);
    CHECK_EQ_INT(feed_all("{\"kind\":\"openai\",\"model\":\"m\"}", "<html>oops</html>", &text,
                          &out), -1);
    CHECK_EQ_INT(out.kind, PROV_OUT_MALFORMED);
    sb_release(&text);
}

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
    struct prov_context ctx = make_ctx(PROV_SHAPE_BLOCK);
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
    CHECK_EQ_INT(c->shape, PROV_SHAPE_BLOCK);
    CHECK_EQ_INT(c->max_lines, 8);
    prov_context_free(c);
    prov_context_free(NULL);
}

#define TESTS(X)                                                                           \
    X(anthropic_request)                                                                   \
    X(openai_request)                                                                      \
    X(openai_compatible_request)                                                           \
    X(openrouter_request)                                                                  \
    X(gemini_request)                                                                      \
    X(mistral_request)                                                                     \
    X(ollama_request)                                                                      \
    X(llamacpp_request)                                                                    \
    X(invalid_utf8_in_document)                                                            \
    X(streams_reassemble_at_every_split)                                                   \
    X(end_marker_reported_by_feed)                                                         \
    X(inband_errors)                                                                       \
    X(truncated_and_garbled_streams)                                                       \
    X(classify_table)                                                                      \
    X(classify_never_echoes_keys)                                                          \
    X(registry_lookup)                                                                     \
    X(config_validation)                                                                   \
    X(context_dup)
CHECK_MAIN(TESTS)
