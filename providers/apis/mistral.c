/* mistral: Codestral fill-in-the-middle, /v1/fim/completions with prompt + suffix
 * (reference/provider-apis.md §3); the stream is OpenAI-shaped chat chunks. */
#include "adapter_int.h"

static int build(const struct prov_config *cfg, const struct prov_context *ctx, const char *key,
                 struct prov_request *req)
{
    const char *base = cfg->base_url ? cfg->base_url : prov__mistral_ops.default_base_url;
    char *url = prov__url(cfg, prov__ends_with(base, "/v1") ? "/fim/completions"
                                                            : "/v1/fim/completions");
    struct prov__headers h = {0};
    prov__hdr_add(&h, "Content-Type", "application/json");
    prov__hdr_add(&h, "Accept", "text/event-stream");
    if (key)
        prov__hdr_bearer(&h, key);
    prov__hdr_extra(&h, cfg);
    json_t *body = json_object();
    json_object_set_new(body, "model", json_string(cfg->model ? cfg->model : "codestral-latest"));
    json_object_set_new(body, "prompt", prov__jstr(ctx->prefix, ctx->prefix_len));
    json_object_set_new(body, "suffix", prov__jstr(ctx->suffix, ctx->suffix_len));
    json_object_set_new(body, "max_tokens", json_integer(prov__max_tokens(cfg, ctx)));
    prov__set_temperature(body, cfg, "temperature", 1.5);
    json_object_set_new(body, "stop", prov__stops(ctx, true));
    json_object_set_new(body, "stream", json_true());
    prov__merge_extra(body, cfg);
    return prov__req_fill(req, url, &h, body, true);
}

const struct prov_ops prov__mistral_ops = {
    .kind = "mistral",
    .default_base_url = "https://codestral.mistral.ai/v1",
    .default_key_env = "CODESTRAL_API_KEY",
    .key_required = true,
    .build_request = build,
    .stream_new = prov__openai_stream_new,
    .stream_feed = prov__stream_feed,
    .stream_end = prov__stream_end,
    .stream_free = prov__stream_free,
    .classify = prov__classify,
};
