/* mistral: Codestral fill-in-the-middle, /v1/fim/completions with prompt + suffix
 * (reference/provider-apis.md §3); the stream is OpenAI-shaped chat chunks. */
#include "adapter_int.h"

static int build(const struct prov_config *cfg, const struct prov_context *ctx, const char *key,
                 struct prov_request *req)
{
    char *url = prov__url_v1(cfg, "/fim/completions");
    struct prov__headers h = {0};
    prov__hdr_begin(&h, "text/event-stream", NULL, key);
    prov__hdr_extra(&h, cfg);
    json_t *body = prov__fim_body(cfg, ctx, cfg->model ? cfg->model : "codestral-latest", 1.5);
    return prov__req_fill(req, url, &h, body, true);
}

const struct prov_ops prov__mistral_ops = {
    .kind = "mistral",
    .default_base_url = "https://codestral.mistral.ai/v1",
    .default_key_env = "CODESTRAL_API_KEY",
    .key_required = true,
    .build_request = build,
    .stream_new = prov__openai_stream_new,
    PROV__SHARED_OPS,
};
