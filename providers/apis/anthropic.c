/* anthropic: the Messages API (reference/provider-apis.md §1). Fill-in-the-middle by prompt
 * (cursor marker). No assistant prefill (Claude 4.6 and later reject a conversation that does
 * not end with a user turn) and no stop sequences (each must contain non-whitespace, so a line
 * end cannot be one): the user turn says where the answer starts, and the attempt cuts the
 * stream once the lines the shape needs have arrived (ops.cut_lines). */
#include <string.h>

#include "adapter_int.h"
#include "prompt.h"

static int build(const struct prov_config *cfg, const struct prov_context *ctx, const char *key,
                 struct prov_request *req)
{
    /* Accept a base with or without the version segment ("https://api.anthropic.com[/v1]"). */
    char *url = prov__url_v1(cfg, "/messages");

    struct prov__headers h = {0};
    prov__hdr_begin(&h, "text/event-stream", "x-api-key", key);
    prov__hdr_add(&h, "anthropic-version", "2023-06-01");
    prov__hdr_extra(&h, cfg);

    struct strbuf user;
    sb_init(&user);
    prompt_user(ctx, &user);
    /* What a prefill used to do, said in words: the answer continues the cursor line. */
    const char *line;
    size_t line_len = prompt_prefill(ctx, &line);
    if (line_len) {
        sb_adds(&user, "\nYour reply continues the cursor line right after `");
        sb_add(&user, line, line_len);
        sb_adds(&user, "`; do not repeat that text.");
    }
    json_t *messages = json_array();
    json_array_append_new(messages, json_pack("{s:s, s:o}", "role", "user", "content",
                                              prov__jstr(user.data, user.len)));
    sb_release(&user);

    json_t *body = json_pack("{s:s, s:i, s:s, s:o, s:b}", "model", cfg->model ? cfg->model : "",
                             "max_tokens", prov__max_tokens(cfg, ctx), "system", prompt_system(),
                             "messages", messages, "stream", 1);
    /* No temperature even when configured: the Messages API of the current SDK
     * (@anthropic-ai/sdk 1.17) has no sampling parameters any more; `extra` can still add one
     * for an older model that takes it. */
    prov__merge_extra(body, cfg);
    return prov__req_fill(req, url, &h, body, true);
}

/* Every frame's data carries "type" equal to the event name; the type decides. */
static int on_event(struct prov__stream *s, const char *event, const char *data, size_t len)
{
    json_t *j = prov__event_json(s, data, len);
    if (!j)
        return -1;
    int rc = 0;
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type)
        type = event ? event : "";
    if (strcmp(type, "content_block_delta") == 0) {
        json_t *d = json_object_get(j, "delta");
        const char *dt = json_string_value(json_object_get(d, "type"));
        const char *t = json_string_value(json_object_get(d, "text"));
        if (t && (!dt || strcmp(dt, "text_delta") == 0))
            sb_adds(s->text, t);
    } else if (strcmp(type, "message") == 0) { /* a whole Message (stream:false answered) */
        size_t i;
        json_t *b;
        json_array_foreach(json_object_get(j, "content"), i, b) {
            const char *bt = json_string_value(json_object_get(b, "type"));
            const char *t = json_string_value(json_object_get(b, "text"));
            if (t && bt && strcmp(bt, "text") == 0)
                sb_adds(s->text, t);
        }
        rc = 1;
    } else if (strcmp(type, "message_stop") == 0) {
        rc = 1;
    } else if (strcmp(type, "message_delta") == 0) {
        const char *sr = json_string_value(
            json_object_get(json_object_get(j, "delta"), "stop_reason"));
        if (sr)
            s->finished = true;
    } else if (strcmp(type, "error") == 0) {
        json_t *err = json_object_get(j, "error");
        prov__inband_error(err ? err : j, s->out);
        rc = -1;
    }
    /* message_start, content_block_start/stop, ping and future types carry no text. */
    json_decref(j);
    return rc;
}

static void *stream_new(const struct prov_config *cfg)
{
    (void)cfg;
    return prov__stream_new_sse(on_event, "event message_stop");
}

const struct prov_ops prov__anthropic_ops = {
    .kind = "anthropic",
    .default_base_url = "https://api.anthropic.com",
    .default_key_env = "ANTHROPIC_API_KEY",
    .key_required = true,
    .build_request = build,
    .stream_new = stream_new,
    PROV__SHARED_OPS,
    .cut_lines = true,
};
