/* stream: incremental parsers for the two framings providers stream in, SSE (text/event-stream)
 * and NDJSON. Bytes may arrive split anywhere (even inside a UTF-8 character or a CR LF pair).
 * Boundary: a parser owns its buffered partial event (caller frees it); fed bytes are
 * borrowed for the call, and events are borrowed for the callback only. */
#ifndef US_STREAM_H
#define US_STREAM_H

#include <stddef.h>

/* Default cap on one SSE event (all its data lines) or one NDJSON line. */
#define STREAM_MAX_EVENT ((size_t)1 << 20)

/* ---------------------------------------------------------------- SSE */

/* One dispatched event. event is the last `event:` name or NULL when none was given; data is
 * the `data:` lines joined by '\n' (NUL-terminated, len without the NUL). Both borrowed for the
 * call. Return 0 to go on; any other value stops the parser and is returned by sse_feed. */
typedef int (*sse_event_fn)(void *ud, const char *event, const char *data, size_t len);

struct sse_parser;

/* max_event caps one event's size (0 = STREAM_MAX_EVENT). Caller frees with sse_free. */
struct sse_parser *sse_new(size_t max_event, sse_event_fn on_event, void *ud);
void sse_free(struct sse_parser *p);
/* Parse buf (borrowed). Returns 0, the callback's non-zero value (the parser then refuses more
 * input and keeps returning it), or US_ETOOBIG when an event exceeds the cap. */
int sse_feed(struct sse_parser *p, const char *buf, size_t len);
/* The body ended: a last line without its line end, and an event without its blank line, are
 * dispatched (servers that close right after the last data line lose nothing). Same returns. */
int sse_end(struct sse_parser *p);

/* ---------------------------------------------------------------- NDJSON */

/* One non-blank line without its line end (a trailing '\r' is dropped), NUL-terminated,
 * borrowed for the call. Return 0 to go on; non-zero stops the parser as for SSE. */
typedef int (*ndjson_line_fn)(void *ud, const char *line, size_t len);

struct ndjson_parser;

/* Caller frees with ndjson_free. max_line 0 = STREAM_MAX_EVENT. */
struct ndjson_parser *ndjson_new(size_t max_line, ndjson_line_fn on_line, void *ud);
void ndjson_free(struct ndjson_parser *p);
int ndjson_feed(struct ndjson_parser *p, const char *buf, size_t len);
/* A last line without '\n' is delivered. */
int ndjson_end(struct ndjson_parser *p);

#endif
