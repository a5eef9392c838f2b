/* llamacpp: llama-server's /infill (reference/provider-apis.md §7): the server applies the
 * model's own FIM tokens; other open files go in input_extra. SSE frames end with stop:true. */
#include <string.h>

#include "adapter_int.h"

static int build(const struct prov_config *cfg, const struct prov_context *ctx, const char *key,
                 struct prov_request *req)
{
    struct prov__headers h = {0};
    /* A key only when the server runs with --api-key. */
    prov__hdr_begin(&h, "text/event-stream", NULL, key);
    prov__hdr_extra(&h, cfg);

    json_t *extra = json_array();
    for (size_t i = 0; i < ctx->n_excerpts; i++) {
        const struct prov_excerpt *e = &ctx->excerpts[i];
        if (!e->text || !*e->text)
            continue;
        json_array_append_new(extra, json_pack("{s:s, s:o}", "filename", e->path ? e->path : "", "text",
                                               prov__jstr(e->text, strlen(e->text))));
    }
    json_t *body = json_object();
    json_object_set_new(body, "input_prefix", prov__jstr(ctx->prefix, ctx->prefix_len));
    json_object_set_new(body, "input_suffix", prov__jstr(ctx->suffix, ctx->suffix_len));
    json_object_set_new(body, "input_extra", extra);
    json_object_set_new(body, "n_predict", json_integer(prov__max_tokens(cfg, ctx)));
    prov__set_temperature(body, cfg, "temperature", 2.0);
    json_object_set_new(body, "stop", prov__stops(ctx, true));
    json_object_set_new(body, "stream", json_true());
    json_object_set_new(body, "cache_prompt", json_true());
    if (cfg->model)
        json_object_set_new(body, "model", json_string(cfg->model));
    prov__merge_extra(body, cfg);
    return prov__req_fill(req, prov__url(cfg, "/infill"), &h, body, true);
}

static int on_event(struct prov__stream *s, const char *event, const char *data, size_t len)
{
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
        return 1;
    if (event && strcmp(event, "error") == 0) {
        /* llama-server reports a failure as an SSE `error:` field holding
         * {"code","message","type"}: classify it (a context-size error shrinks and retries). */
        json_t *j = json_loadb(data, len, 0, NULL);
        if (json_is_object(j))
            prov__error_body_200(j, s->out);
        else
            prov__outcome_set(s->out, PROV_OUT_STREAM_ERROR, 0, "in-stream error: %.*s",
                              (int)US_MIN(len, 150), data);
        json_decref(j);
        return -1;
    }
    return prov__flat_event(s, data, len, "content", "stop");
}

static void *stream_new(const struct prov_config *cfg)
{
    (void)cfg;
    return prov__stream_new_sse(on_event, "a frame with \"stop\": true");
}

const struct prov_ops prov__llamacpp_ops = {
    .kind = "llamacpp",
    .default_base_url = "http://127.0.0.1:8080",
    .default_key_env = NULL,
    .key_required = false,
    .build_request = build,
    .stream_new = stream_new,
    PROV__SHARED_OPS,
};
