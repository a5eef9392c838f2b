/* openrouter: OpenAI-shaped chat through OpenRouter (reference/provider-apis.md §5), with its
 * app-attribution headers; its keep-alive comments are skipped by the SSE parser. */
#include "adapter_int.h"

/* The default attribution URL (a placeholder: the project has no site yet); set "headers": {"HTTP-Referer": ...} for your own. */
#define PROV_OPENROUTER_REFERER "https://understudy.invalid/"

static int build(const struct prov_config *cfg, const struct prov_context *ctx, const char *key,
                 struct prov_request *req)
{
    struct prov__headers h = {0};
    prov__hdr_begin(&h, "text/event-stream", NULL, key);
    /* App attribution (openrouter.ai/docs/app-attribution): HTTP-Referer identifies the app,
     * X-OpenRouter-Title names it (X-Title is the older name). The user's headers win. */
    if (!prov__hdr_configured(cfg, "HTTP-Referer"))
        prov__hdr_add(&h, "HTTP-Referer", PROV_OPENROUTER_REFERER);
    if (!prov__hdr_configured(cfg, "X-Title") && !prov__hdr_configured(cfg, "X-OpenRouter-Title"))
        prov__hdr_add(&h, "X-OpenRouter-Title", "Understudy");
    prov__hdr_extra(&h, cfg);
    json_t *body = prov__openai_chat_body(cfg, ctx, "max_tokens");
    return prov__req_fill(req, prov__url(cfg, "/chat/completions"), &h, body, true);
}

const struct prov_ops prov__openrouter_ops = {
    .kind = "openrouter",
    .default_base_url = "https://openrouter.ai/api/v1",
    .default_key_env = "OPENROUTER_API_KEY",
    .key_required = true,
    .build_request = build,
    .stream_new = prov__openai_stream_new,
    PROV__SHARED_OPS,
};
