/* openai: Chat Completions (reference/provider-apis.md §2.1); the chat body is shared with the
 * openai-compatible and openrouter kinds. */
#include "adapter_int.h"
#include "prompt.h"

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
    int max = prov__max_tokens(cfg, ctx);
    if (prov__openai_reasoning(cfg->model)) {
        /* Reasoning tokens count against the cap: least effort, and room for it. They reject
         * `stop` (o3, o4-mini) and any temperature but the default. */
        json_object_set_new(body, "reasoning_effort",
                            json_string(prov__openai_effort(cfg->model)));
        json_object_set_new(body, max_field, json_integer(max + PROV_REASONING_ROOM));
    } else {
        json_object_set_new(body, max_field, json_integer(max));
        prov__set_temperature(body, cfg, "temperature", 2.0);
        json_object_set_new(body, "stop", prov__stops(ctx, false));
    }
    json_object_set_new(body, "stream", json_true());
    prov__merge_extra(body, cfg);
    return body;
}

static int build(const struct prov_config *cfg, const struct prov_context *ctx, const char *key,
                 struct prov_request *req)
{
    struct prov__headers h = {0};
    prov__hdr_begin(&h, "text/event-stream", NULL, key);
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
    PROV__SHARED_OPS,
};
