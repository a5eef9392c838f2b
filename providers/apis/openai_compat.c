/* openai_compat: any server speaking OpenAI's /v1 (LM Studio, vLLM, LiteLLM, Portkey, Ollama's
 * and llama.cpp's /v1). Chat by default; `"fim": true` uses /v1/completions with `suffix`. */
#include <string.h>

#include "adapter_int.h"

static int build(const struct prov_config *cfg, const struct prov_context *ctx, const char *key,
                 struct prov_request *req)
{
    struct prov__headers h = {0};
    prov__hdr_begin(&h, "text/event-stream", NULL, key);
    prov__hdr_extra(&h, cfg);
    json_t *body;
    const char *path;
    if (cfg->fim) {
        path = "/completions";
        body = prov__fim_body(cfg, ctx, cfg->model, 2.0);
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
    PROV__SHARED_OPS,
};
