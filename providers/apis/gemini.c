/* gemini: streamGenerateContent with alt=sse (reference/provider-apis.md §4). No FIM field:
 * prompt-based infill; the stream has no sentinel, the last frame carries finishReason. */
#include <ctype.h>
#include <string.h>

#include "adapter_int.h"
#include "prompt.h"

static int build(const struct prov_config *cfg, const struct prov_context *ctx, const char *key,
                 struct prov_request *req)
{
    /* The model is a path segment: keep it to safe characters so it cannot reshape the URL. */
    const char *model = cfg->model ? cfg->model : "";
    if (strncmp(model, "models/", 7) == 0)
        model += 7;
    struct strbuf path;
    sb_init(&path);
    sb_adds(&path, "/models/");
    for (const char *p = model; *p; p++) {
        if (isalnum((unsigned char)*p) || strchr("-._", *p))
            sb_addc(&path, *p);
        else
            sb_addf(&path, "%%%02X", (unsigned char)*p);
    }
    sb_adds(&path, ":streamGenerateContent?alt=sse");
    char *url = prov__url(cfg, path.data);
    sb_release(&path);

    struct prov__headers h = {0};
    prov__hdr_begin(&h, "text/event-stream", "x-goog-api-key", key);
    prov__hdr_extra(&h, cfg);

    struct strbuf user;
    sb_init(&user);
    prompt_user(ctx, &user);
    int max = prov__max_tokens(cfg, ctx);
    json_t *gen = json_pack("{s:o, s:i}", "stopSequences", prov__stops(ctx, false),
                            "candidateCount", 1);
    prov__set_temperature(gen, cfg, "temperature", 2.0);
    /* Thinking counts against maxOutputTokens. 2.5 Flash / Flash-Lite can switch it off;
     * 2.5 Pro cannot (its smallest budget is 128): a small budget and room for it. Gemini 3
     * takes a thinking level instead of a budget. */
    const char *m = model;
    if (strstr(m, "gemini-2.5") && strstr(m, "pro")) {
        json_object_set_new(gen, "thinkingConfig", json_pack("{s:i}", "thinkingBudget", 128));
        max += 512;
    } else if (strstr(m, "gemini-2.5")) {
        json_object_set_new(gen, "thinkingConfig", json_pack("{s:i}", "thinkingBudget", 0));
    } else if (strncmp(m, "gemini-", 7) == 0 && m[7] >= '3' && m[7] <= '9') {
        json_object_set_new(gen, "thinkingConfig", json_pack("{s:s}", "thinkingLevel", "LOW"));
        max += PROV_REASONING_ROOM;
    }
    json_object_set_new(gen, "maxOutputTokens", json_integer(max));
    json_t *body = json_pack("{s:[{s:s, s:[{s:o}]}], s:{s:[{s:s}]}, s:o}", "contents", "role",
                             "user", "parts", "text", prov__jstr(user.data, user.len),
                             "systemInstruction", "parts", "text", prompt_system(),
                             "generationConfig", gen);
    sb_release(&user);
    prov__merge_extra(body, cfg);
    return prov__req_fill(req, url, &h, body, true);
}

static int on_event(struct prov__stream *s, const char *event, const char *data, size_t len)
{
    (void)event;
    json_t *j = prov__event_payload(s, data, len);
    if (!j)
        return -1;
    int rc = 0;
    json_t *cand = json_array_get(json_object_get(j, "candidates"), 0);
    if (!cand) {
        const char *block = json_string_value(
            json_object_get(json_object_get(j, "promptFeedback"), "blockReason"));
        if (block) {
            prov__outcome_set(s->out, PROV_OUT_BAD_REQUEST, 0, "prompt blocked (%s)", block);
            rc = -1;
        }
        goto out;
    }
    json_t *parts = json_object_get(json_object_get(cand, "content"), "parts");
    size_t i;
    json_t *part;
    json_array_foreach(parts, i, part) {
        if (json_is_true(json_object_get(part, "thought")))
            continue; /* thinking summaries are not code */
        const char *t = json_string_value(json_object_get(part, "text"));
        if (t)
            sb_adds(s->text, t);
    }
    /* Frames after the one with finishReason may still carry text: read to the close. */
    if (json_string_value(json_object_get(cand, "finishReason")))
        s->finished = true;
out:
    json_decref(j);
    return rc;
}

static void *stream_new(const struct prov_config *cfg)
{
    (void)cfg;
    return prov__stream_new_sse(on_event, "a frame with finishReason");
}

const struct prov_ops prov__gemini_ops = {
    .kind = "gemini",
    .default_base_url = "https://generativelanguage.googleapis.com/v1beta",
    .default_key_env = "GEMINI_API_KEY",
    .key_required = true,
    .build_request = build,
    .stream_new = stream_new,
    PROV__SHARED_OPS,
};
