/* Unit tests for the provider adapters' stream decoders: each kind's stream reassembled at every
 * split, end markers, in-band errors, truncated and garbled streams. Pure code, no network. */
#include "adapters_util.h"

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

#define TESTS(X)                                                                           \
    X(streams_reassemble_at_every_split)                                                   \
    X(end_marker_reported_by_feed)                                                         \
    X(inband_errors)                                                                       \
    X(truncated_and_garbled_streams)
CHECK_MAIN(TESTS)
