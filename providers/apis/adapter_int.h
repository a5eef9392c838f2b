/* adapter_int: what the provider adapters share, internal to providers/ (double-underscore
 * names): request assembly, the stream scaffold over SSE/NDJSON, outcome classification.
 * Boundary: as prov_ops says: contexts and configs are borrowed; built requests and stream
 * states belong to the attempt that asked for them; JSON references are stated per function. */
#ifndef US_ADAPTER_INT_H
#define US_ADAPTER_INT_H

#include <stdbool.h>

#include <jansson.h>

#include "provider.h"
#include "stream.h"

/* Every kind's vtable, defined in its own file and listed by registry.c. */
extern const struct prov_ops prov__anthropic_ops;
extern const struct prov_ops prov__openai_ops;
extern const struct prov_ops prov__openai_compat_ops;
extern const struct prov_ops prov__openrouter_ops;
extern const struct prov_ops prov__gemini_ops;
extern const struct prov_ops prov__mistral_ops;
extern const struct prov_ops prov__ollama_ops;
extern const struct prov_ops prov__llamacpp_ops;

/* ---------------------------------------------------------------- outcomes */

/* Fill out completely (no retry hint, flags cleared) with a printf message. */
void prov__outcome_set(struct prov_outcome *out, enum prov_outcome_kind kind, int status,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The shared classification of a non-2xx answer (reference/resilience.md outcome table). The
 * body is read as JSON when it is JSON (every provider's error shape is understood), else the
 * status alone decides. */
void prov__classify(int status, prov_header_fn header, void *ud, const char *body,
                    size_t body_len, struct prov_outcome *out);

/* An error that arrived inside a 200 stream: the JSON value under "error" (object or string,
 * borrowed). Rate limits and auth problems keep their meaning; everything else is
 * STREAM_ERROR. */
void prov__inband_error(json_t *err, struct prov_outcome *out);

/* ---------------------------------------------------------------- requests */

struct prov__headers {
    char **v; /* NULL-terminated once finished */
    size_t n, cap;
};
/* Append "name: value" (both copied). */
void prov__hdr_add(struct prov__headers *h, const char *name, const char *value);
/* Append "Authorization: Bearer <key>". */
void prov__hdr_bearer(struct prov__headers *h, const char *key);
/* The headers every adapter starts with: a JSON body, Accept (the stream's media type) and the
 * key: under key_header ("x-api-key"), or as a Bearer token when key_header is NULL. A NULL or
 * empty key sends none (the router never hands a key-requiring kind an empty key). */
void prov__hdr_begin(struct prov__headers *h, const char *accept, const char *key_header,
                     const char *key);
/* True when the config's extra headers name this header (case-insensitive). */
bool prov__hdr_configured(const struct prov_config *cfg, const char *name);
/* Append the config's extra headers (skipping unsafe ones). */
void prov__hdr_extra(struct prov__headers *h, const struct prov_config *cfg);

/* base_url (or the kind's default) + path; caller frees. */
char *prov__url(const struct prov_config *cfg, const char *path);
/* Whether s ends with suffix. */
bool prov__ends_with(const char *s, const char *suffix);
/* Like prov__url for an API versioned under /v1: the configured base (or the kind's default)
 * may name the version segment or not; path follows it ("/messages"). Caller frees. */
char *prov__url_v1(const struct prov_config *cfg, const char *path);

/* Fill req: steals url and the headers, serialises body (stolen reference). Returns 0. */
int prov__req_fill(struct prov_request *req, char *url, struct prov__headers *h, json_t *body,
                   bool stream);

/* A JSON string from untrusted bytes: invalid UTF-8 becomes U+FFFD instead of failing (jansson
 * refuses invalid UTF-8, and a document may hold any bytes). New reference. */
json_t *prov__jstr(const char *s, size_t len);

/* Per-request numbers: cfg value when set, else a default suited to the shape. */
int prov__max_tokens(const struct prov_config *cfg, const struct prov_context *ctx);
/* The configured temperature, or -1 when the user set none: sampling parameters are sent only
 * when configured (the newest models deprecate them; every API has its own default). */
double prov__temperature(const struct prov_config *cfg);
/* Set body[key] to the configured temperature (capped at max) when there is one. */
void prov__set_temperature(json_t *body, const struct prov_config *cfg, const char *key,
                           double max);

/* Deep-merge the provider's `extra` object (config) into body: objects merge key by key, any
 * other value replaces, and null deletes the key. */
void prov__merge_extra(json_t *body, const struct prov_config *cfg);

/* Reasoning families: what makes a short completion fast on them (reference in README). */
/* OpenAI-shaped: o-series and gpt-5* (not *-chat-latest). */
bool prov__openai_reasoning(const char *model);
/* The reasoning_effort to send for such a model ("minimal" or "low"). */
const char *prov__openai_effort(const char *model);
/* Extra output-token room for reasoning models (reasoning tokens count against the cap). */
#define PROV_REASONING_ROOM 2048

/* Whether the text holds enough lines for the shape: a line-shaped answer is complete with its
 * first line that has visible code (a fence line does not count); a block once it has more
 * lines than post-processing keeps. Lets stop-sequence-less APIs (Anthropic) end early. */
bool prov__enough_lines(enum syn_shape shape, int max_lines, const char *text, size_t len);
/* The same, resumable as text streams in: each call looks only at what arrived since the last
 * one (a growing answer is scanned once, not once per chunk). pos is the offset where the
 * current, unfinished line starts. Start from a zeroed struct; reset it when the text is. */
struct prov__line_scan {
    size_t pos;
    size_t lines;
    bool fence_open;
    bool enough;
};
bool prov__lines_scan(struct prov__line_scan *sc, enum syn_shape shape, int max_lines,
                      const char *text, size_t len);

/* ---------------------------------------------------------------- streams */

/* The prov_ops members every kind shares: the stream scaffold below and the shared
 * classification. Written last in each kind's ops table. */
#define PROV__SHARED_OPS                                                                 \
    .stream_feed = prov__stream_feed, .stream_end = prov__stream_end,                    \
    .stream_free = prov__stream_free, .classify = prov__classify

struct prov__stream;
/* One SSE event (event may be NULL) or NDJSON line (event NULL). Return 0 to go on, 1 when
 * the stream is complete, -1 after filling s->out. */
typedef int (*prov__event_fn)(struct prov__stream *s, const char *event, const char *data,
                              size_t len);

struct prov__stream {
    struct sse_parser *sse;       /* exactly one of sse / nd */
    struct ndjson_parser *nd;
    prov__event_fn on_event;
    const char *end_marker;       /* for messages: "[DONE]", "message_stop" ... */
    struct strbuf *text;          /* valid during feed/end */
    struct prov_outcome *out;     /* valid during feed/end */
    bool done;                    /* the end marker was seen */
    bool finished;                /* a finish reason was seen: a close after it is complete */
    int state;                    /* free for the adapter */
    /* A body that is one JSON value instead of a stream (an error answered with 200, or a
     * server ignoring stream:true): decided on the first non-blank byte, kept whole. */
    int json_mode;                /* 0 undecided, 1 stream, 2 one JSON value */
    int bom;                      /* bytes of a leading UTF-8 BOM matched so far */
    struct strbuf whole;
};

void *prov__stream_new_sse(prov__event_fn fn, const char *end_marker);
void *prov__stream_new_ndjson(prov__event_fn fn, const char *end_marker);
int prov__stream_feed(void *st, const char *buf, size_t len, struct strbuf *text,
                      struct prov_outcome *out);
int prov__stream_end(void *st, struct strbuf *text, struct prov_outcome *out);
void prov__stream_free(void *st);
/* Classify an error body that came with a 2xx: like the same error with its own status
 * (error.code, or the status its type means). err is the JSON value under "error". */
void prov__error_body_200(json_t *err, struct prov_outcome *out);

/* Parse one event's data as a JSON object; on failure fills s->out (MALFORMED), returns NULL.
 * Caller decrefs. */
json_t *prov__event_json(struct prov__stream *s, const char *data, size_t len);
/* Like prov__event_json, and an object holding an "error" member (any value) is an in-band
 * error: classified into s->out, NULL returned. Caller decrefs. */
json_t *prov__event_payload(struct prov__stream *s, const char *data, size_t len);
/* The flat event shape of local servers (Ollama's NDJSON lines, llama.cpp's SSE frames):
 * {"error": ...} is an in-band error, else text_key holds a text delta and a true done_key
 * ends the stream. Returns like a prov__event_fn. */
int prov__flat_event(struct prov__stream *s, const char *data, size_t len, const char *text_key,
                     const char *done_key);

/* Decoder for OpenAI-shaped streams (chat deltas and legacy completions text), shared by the
 * openai, openai-compatible, openrouter and mistral kinds. */
int prov__openai_event(struct prov__stream *s, const char *event, const char *data,
                       size_t len);
void *prov__openai_stream_new(const struct prov_config *cfg);

/* The body of an OpenAI-shaped chat request (system + user message, stream on); max_field is
 * "max_tokens" or "max_completion_tokens". Used by openai, openai-compatible, openrouter. */
json_t *prov__openai_chat_body(const struct prov_config *cfg, const struct prov_context *ctx,
                               const char *max_field);

/* The body of an OpenAI-shaped FIM request (/v1/completions, Codestral's /fim/completions):
 * prompt + suffix, raw-FIM stops, stream on, `extra` merged. model is sent when not NULL;
 * temp_max caps the configured temperature. New reference. */
json_t *prov__fim_body(const struct prov_config *cfg, const struct prov_context *ctx,
                       const char *model, double temp_max);

/* Stop sequences as a JSON array (new reference) for the shape; fim = a raw FIM API (stop at
 * the line end for line shape), else a chat model. */
json_t *prov__stops(const struct prov_context *ctx, bool fim);

#endif
