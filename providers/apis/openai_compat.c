/* openai_compat: any server speaking OpenAI's /v1 (LM Studio, vLLM, LiteLLM, Portkey, Ollama's
 * and llama.cpp's /v1). Chat by default; `"fim": true` uses /v1/completions with `suffix`. */
#include <string.h>

#include "adapter_int.h"

static int build(const struct prov_config *cfg, const struct prov_context *ctx, const char *key,
                 struct prov_request *req)
{
    struct prov__headers h = {0};
    prov__hdr_add(&h, "Content-Type", "application/json");
    prov__hdr_add(&h, "Accept", "text/event-stream");
    if (key && *key)
        prov__hdr_bearer(&h, key);
    prov__hdr_extra(&h, cfg);
    json_t *body;
    const char *path;
    if (cfg->fim) {
        path = "/completions";
        body = json_object();
        if (cfg->model)
            json_object_set_new(body, "model", json_string(cfg->model));
        json_object_set_new(body, "prompt",
                            prov__jstr(ctx->prefix, ctx->prefix_len));
        json_object_set_new(body, "suffix",
                            prov__jstr(ctx->suffix, ctx->suffix_len));
        json_object_set_new(body, "max_tokens", json_integer(prov__max_tokens(cfg, ctx)));
        prov__set_temperature(body, cfg, "temperature", 2.0);
        json_object_set_new(body, "stop", prov__stops(ctx, true));
        json_object_set_new(body, "stream", json_true());
        prov__merge_extra(body, cfg);
    } else {
        path = "/chat/completions";
        /* max_tokens: what every compatible server accepts (max_completion_tokens is newer). */
        body = prov__openai_chat_body(cfg, ctx, "max_tokens");
    }
    return prov__req_fill(req, prov__url(cfg, path), &h, body, true);
}

const struct prov_ops prov__openai_compat_ops = {
    .kind = "openai-compatible",
    .default_base_url = "http://127.0.0.1:1234/v1",
    .default_key_env = NULL,
    .key_required = false,
    .build_request = build,
    .stream_new = prov__openai_stream_new,
    .stream_feed = prov__stream_feed,
    .stream_end = prov__stream_end,
    .stream_free = prov__stream_free,
    .classify = prov__classify,
};
