/* Unit tests for the provider adapters' requests: each kind's URL, auth and version headers,
 * body fields and stream flag, and invalid UTF-8 in a document. Pure code, no network. */
#include "adapters_util.h"

/* ---------------------------------------------------------------- requests */

static void anthropic_request(void)
{
    struct prov_config cfg = cfg_from("{\"name\":\"claude\",\"kind\":\"anthropic\","
                                      "\"model\":\"claude-sonnet-4-5\","
                                      "\"headers\":{\"anthropic-beta\":\"x-1\"}}");
    CHECK_EQ_STR(cfg.base_url, "https://api.anthropic.com");
    CHECK_EQ_STR(cfg.api_key_env, "ANTHROPIC_API_KEY");
    struct prov_context ctx = make_ctx(SYN_SHAPE_LINE);
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
    struct prov_context c2 = make_ctx(SYN_SHAPE_BLOCK);
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
    struct prov_context ctx = make_ctx(SYN_SHAPE_LINE);
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
    struct prov_context ctx = make_ctx(SYN_SHAPE_LINE);
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
    struct prov_context ctx = make_ctx(SYN_SHAPE_LINE);
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
    struct prov_context ctx = make_ctx(SYN_SHAPE_BLOCK);
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
    struct prov_context ctx = make_ctx(SYN_SHAPE_LINE);
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
    struct prov_context ctx = make_ctx(SYN_SHAPE_LINE);
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
    struct prov_context ctx = make_ctx(SYN_SHAPE_BLOCK);
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
    struct prov_context ctx = make_ctx(SYN_SHAPE_LINE);
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

#define TESTS(X)                                                                           \
    X(anthropic_request)                                                                   \
    X(openai_request)                                                                      \
    X(openai_compatible_request)                                                           \
    X(openrouter_request)                                                                  \
    X(gemini_request)                                                                      \
    X(mistral_request)                                                                     \
    X(ollama_request)                                                                      \
    X(llamacpp_request)                                                                    \
    X(invalid_utf8_in_document)
CHECK_MAIN(TESTS)
