/* openai: Chat Completions (reference/provider-apis.md §2.1); the chat body is shared with the
 * openai-compatible and openrouter kinds. */
#include <stdbool.h>
#include <string.h>

#include "adapter_int.h"
#include "prompt.h"

/* Reasoning models reject `stop` and any temperature but the default. */
static bool is_reasoning_model(const char *model)
{
    if (!model)
        return false;
    const char *m = strrchr(model, '/'); /* "openai/o3-mini" on gateways */
    m = m ? m + 1 : model;
    return (m[0] == 'o' && m[1] >= '1' && m[1] <= '9') || strncmp(m, "gpt-5", 5) == 0;
}

json_t *prov__openai_chat_body(const struct prov_config *cfg, const struct prov_context *ctx,
                               const char *max_field)
{
    struct strbuf user;
    sb_init(&user);
    prompt_user(ctx, &user);
    json_t *messages = json_pack("[{s:s, s:s}, {s:s, s:o}]", "role", "system", "content",
                                 prompt_system(), "role", "user", "content",
                                 prov__jstr(user.data, user.len));
    sb_release(&user);
    json_t *body = json_object();
    if (cfg->model)
        json_object_set_new(body, "model", json_string(cfg->model));
    json_object_set_new(body, "messages", messages);
    json_object_set_new(body, max_field, json_integer(prov__max_tokens(cfg, ctx)));
    if (!is_reasoning_model(cfg->model)) {
        json_object_set_new(body, "temperature", json_real(prov__temperature(cfg)));
        json_object_set_new(body, "stop", prov__stops(ctx, false));
    }
    json_object_set_new(body, "stream", json_true());
    return body;
}

static int build(const struct prov_config *cfg, const struct prov_context *ctx, const char *key,
                 struct prov_request *req)
{
    struct prov__headers h = {0};
    prov__hdr_add(&h, "Content-Type", "application/json");
    prov__hdr_add(&h, "Accept", "text/event-stream");
    if (key)
        prov__hdr_bearer(&h, key);
    prov__hdr_extra(&h, cfg);
    json_t *body = prov__openai_chat_body(cfg, ctx, "max_completion_tokens");
    return prov__req_fill(req, prov__url(cfg, "/chat/completions"), &h, body, true);
}

const struct prov_ops prov__openai_ops = {
    .kind = "openai",
    .default_base_url = "https://api.openai.com/v1",
    .default_key_env = "OPENAI_API_KEY",
    .key_required = true,
    .build_request = build,
    .stream_new = prov__openai_stream_new,
    .stream_feed = prov__stream_feed,
    .stream_end = prov__stream_end,
    .stream_free = prov__stream_free,
    .classify = prov__classify,
};
