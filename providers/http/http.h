/* http: the non-blocking HTTP engine. One curl multi handle driven by a libuv loop (uv_poll_t per
 * socket, one uv_timer_t for curl), streaming callbacks, per-transfer timeouts, abort at any time.
 * Boundary: the engine owns curl and its handles (http_engine_free); a request's fields are
 * copied at http_start; what the callbacks get is borrowed for the call. */
#ifndef US_HTTP_H
#define US_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct http_engine;
struct http_transfer;
struct http_headers;

enum http_method { HTTP_POST, HTTP_GET };

/* How a transfer ended. */
#define HTTP_RESULT_MAP(X)                                                      \
    X(OK, "ok")                               /* a complete response, any status */ \
    X(REFUSED, "connection failed")           /* refused / could not connect */    \
    X(DNS, "name resolution failed")                                            \
    X(TLS, "TLS failure")                     /* handshake or verification */      \
    X(RECV, "connection reset or receive error")                                \
    X(TIMEOUT_CONNECT, "connect timeout")                                       \
    X(TIMEOUT_FIRST_BYTE, "first-byte timeout")                                 \
    X(TIMEOUT_STALL, "stall timeout")                                           \
    X(TIMEOUT_TOTAL, "total timeout")                                           \
    X(TOO_LARGE, "response too large")                                          \
    X(ABORTED, "aborted")                                                       \
    X(OTHER, "transfer failed")

enum http_result {
#define HTTP__RES_ENUM(name, text) HTTP_RESULT_##name,
    HTTP_RESULT_MAP(HTTP__RES_ENUM)
#undef HTTP__RES_ENUM
};

/* Static text for a result; never NULL. */
const char *http_result_name(enum http_result r);

/* One request. Everything is copied by http_start; the caller keeps ownership. A timeout of 0
 * means none. The first-byte timeout counts from http_start to the first response byte (header
 * or body); the stall timeout is the longest silence allowed after the first byte. */
struct http_request {
    enum http_method method;
    const char *url;
    const char *const *headers; /* NULL-terminated "Name: value" list, or NULL */
    const char *body;           /* POST body (may be NULL with body_len 0) */
    size_t body_len;
    int connect_timeout_ms;
    int first_byte_timeout_ms;
    int stall_timeout_ms;
    int total_timeout_ms;
    size_t max_response_bytes;  /* cap on decoded body bytes; 0 = none */
    const char *ca_file;        /* CA bundle for https; NULL: $SSL_CERT_FILE, else the system's */
};

/* Microseconds from http_start; -1 when the point was never reached. connect_us is 0 when a
 * kept-alive connection was reused. */
struct http_timing {
    int64_t connect_us;
    int64_t first_byte_us;
    int64_t total_us;
};

struct http_done {
    enum http_result result;
    int status;                        /* final HTTP status, 0 when none arrived */
    const struct http_headers *headers; /* borrowed until on_done returns; NULL if none */
    size_t body_bytes;                 /* decoded body bytes delivered */
    struct http_timing timing;
    const char *error;                 /* borrowed, curl's message or ""; never NULL */
    int http_version;                  /* 10, 11, 2 or 3 as negotiated; 0 when unknown */
};

/* Callbacks. All run on the loop thread. Each may call http_abort (on any transfer, its own
 * included) and http_start. After on_done returns, or after http_abort, the transfer pointer is
 * invalid and nothing else is called for it. */
struct http_callbacks {
    /* The final (non-1xx) status line and headers arrived; before any on_data. May be NULL. */
    void (*on_headers)(struct http_transfer *t, void *ud, int status,
                       const struct http_headers *headers);
    /* Body bytes (decoded), streamed as they arrive. buf is borrowed. May be NULL. */
    void (*on_data)(struct http_transfer *t, void *ud, const char *buf, size_t len);
    /* Exactly once per transfer that was neither aborted nor failed to start. Required. */
    void (*on_done)(struct http_transfer *t, void *ud, const struct http_done *done);
};

/* A new engine on loop. Caller frees with http_engine_free. Curl itself is set up on the first
 * transfer or after http_engine_warm_up, not here. */
struct http_engine *http_engine_new(uv_loop_t *loop);

/* Set curl up (about 2 ms, most of it OpenSSL) right after the loop's current I/O phase: a
 * caller that is answering a request gets its answer out first, and the first transfer does
 * not pay for it. A no-op once set up. */
void http_engine_warm_up(struct http_engine *eng);

/* Open (and for https TLS-handshake) a connection to url's origin soon, off the caller's
 * stack, and keep it in the pool, so the first completion does not pay for DNS, connect, CA
 * load and handshake. Only https origins are warmed (a loopback TCP connect costs ~0.1 ms and
 * plain fakes count requests); the request is a GET of "/" without credentials, its answer
 * ignored. The same origin is warmed once per engine. url and ca_file are copied. */
void http_warm(struct http_engine *eng, const char *url, const char *ca_file);

/* Abort every transfer (no callbacks fire) and release the engine. Its libuv handles close
 * asynchronously: run the loop afterwards (uv_run) so their memory is released. Must not be
 * called from inside an http callback. */
void http_engine_free(struct http_engine *eng);

/* Start a transfer. On success stores the handle in *out (may be NULL if unwanted) and returns
 * 0; on error returns US_EINVAL (bad arguments) or US_EIO and no callback is ever called. */
int http_start(struct http_engine *eng, const struct http_request *req,
               const struct http_callbacks *cb, void *ud, struct http_transfer **out);

/* Stop a transfer now: no callback fires for it afterwards. On HTTP/1.1 its connection is
 * closed (not returned to the pool), so the server sees the client leave; on HTTP/2 only its
 * stream is reset and the connection stays warm for the next keystroke. A no-op once on_done
 * runs. */
void http_abort(struct http_transfer *t);

/* Response header value by name, case-insensitive, without surrounding spaces; borrowed from
 * the transfer, NULL when absent. The last occurrence wins. */
const char *http_header_get(const struct http_headers *h, const char *name);

/* Transfers started and not yet finished or aborted. */
size_t http_engine_active(const struct http_engine *eng);

#endif
