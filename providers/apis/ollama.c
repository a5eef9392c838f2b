/* ollama: native /api/generate streaming NDJSON (reference/provider-apis.md §6.1). Models of a
 * known FIM family get a raw prompt with their own tokens (works whatever the Modelfile
 * template); others get prompt + suffix and the template does the infill. */
#include <string.h>

#include "adapter_int.h"
#include "prompt.h"

static int build(const struct prov_config *cfg, const struct prov_context *ctx, const char *key,
                 struct prov_request *req)
{
    struct prov__headers h = {0};
    /* A key: a local server needs none; ollama.com and proxies do. */
    prov__hdr_begin(&h, "application/x-ndjson", NULL, key);
    prov__hdr_extra(&h, cfg);

    json_t *body = json_object();
    json_object_set_new(body, "model", json_string(cfg->model ? cfg->model : ""));
    json_t *stops = prov__stops(ctx, true);
    struct strbuf raw;
    sb_init(&raw);
    if (prompt_fim_raw(cfg->model, ctx, &raw, stops)) {
        json_object_set_new(body, "prompt", prov__jstr(raw.data, raw.len));
        json_object_set_new(body, "raw", json_true());
    } else {
        json_object_set_new(body, "prompt", prov__jstr(ctx->prefix, ctx->prefix_len));
        json_object_set_new(body, "suffix", prov__jstr(ctx->suffix, ctx->suffix_len));
    }
    sb_release(&raw);
    json_object_set_new(body, "stream", json_true());
    json_t *options = json_pack("{s:i, s:o}", "num_predict", prov__max_tokens(cfg, ctx), "stop",
                                stops);
    prov__set_temperature(options, cfg, "temperature", 2.0);
    json_object_set_new(body, "options", options);
    prov__merge_extra(body, cfg);
    return prov__req_fill(req, prov__url(cfg, "/api/generate"), &h, body, true);
}

static int on_line(struct prov__stream *s, const char *event, const char *data, size_t len)
{
    (void)event;
    return prov__flat_event(s, data, len, "response", "done");
}

static void *stream_new(const struct prov_config *cfg)
{
    (void)cfg;
    return prov__stream_new_ndjson(on_line, "a line with \"done\": true");
}

const struct prov_ops prov__ollama_ops = {
    .kind = "ollama",
    .default_base_url = "http://127.0.0.1:11434",
    .default_key_env = NULL,
    .key_required = false,
    .build_request = build,
    .stream_new = stream_new,
    PROV__SHARED_OPS,
};
