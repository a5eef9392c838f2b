/* http_int: what the HTTP engine's three files share, internal to providers/http/: the engine
 * and transfer structs, and the double-underscore calls between the engine core (http.c), the
 * default CA store (http_ca.c) and warm connections (http_warm.c).
 * Boundary: the engine owns its transfers, easy handles, sockets, CA store and warm origins
 * (http_engine_free); a transfer owns its easy handle, header list and response headers until
 * it is released. Not for use outside providers/http/. */
#ifndef US_HTTP_INT_H
#define US_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "http.h"
#include "list.h"

/* Finished easy handles kept for the next transfers: creating and configuring one costs more
 * than the rest of a request on a warm connection. Two attempts run at once at most. */
#define HTTP_IDLE_HANDLES 4
/* Origins http_warm keeps track of (a configuration names a handful of providers). */
#define HTTP_WARM_MAX 16
/* Warm connections are used again this long after their last use, so curl's idle limit never
 * closes them and a keystroke after a pause of a few minutes pays no handshake. Only while the
 * editor is active: a completion started within HTTP_REWARM_ACTIVE_N intervals (10 minutes);
 * an idle editor sends nothing. $UNDERSTUDY_REWARM_MS overrides it (tests). */
#define HTTP_REWARM_MS (100 * 1000)
#define HTTP_REWARM_ACTIVE_N 6

struct sock_ctx; /* http.c */

struct http_headers {
    char **names;
    char **values;
    size_t count;
    size_t cap;
    size_t bytes;
};

enum xfer_state {
    XF_PENDING_ADD, /* started from inside a curl callback; added after curl returns */
    XF_WAIT_CA,     /* https with the default CA while its store loads on a worker */
    XF_RUNNING,     /* in the multi handle */
    XF_DONE,        /* finished, aborted or being released */
};

struct http_transfer {
    struct http_engine *eng;
    CURL *easy;
    struct curl_slist *req_headers;
    struct http_callbacks cb;
    void *ud;
    enum xfer_state state;
    bool aborted;       /* http_abort was called; no callback may fire any more */
    bool headers_done;  /* on_headers delivered for the final response */
    bool got_first_byte;
    bool too_large;
    bool uncounted;     /* a warm-up transfer: not in http_engine_active */
    int status;
    struct http_headers headers;
    size_t body_bytes;
    size_t max_bytes;
    int first_byte_ms, stall_ms, total_ms;
    uint64_t start_loop_ms;  /* uv_now at start: the timeouts run on loop time */
    uint64_t last_byte_ms;
    uint64_t start_us;
    int64_t first_byte_us;
    uv_timer_t deadline;     /* first-byte / stall / total; lives until its close callback */
    char errbuf[CURL_ERROR_SIZE];
    struct us_list link;     /* in the engine's list of unreleased transfers */
};

struct http_engine {
    uv_loop_t *loop;
    CURLM *multi;         /* NULL until the first transfer or warm-up (http__engine_ready) */
    uv_timer_t curl_timer;
    uv_check_t warm;      /* http_engine_warm_up: ready the engine after the loop's I/O phase */
    uv_timer_t rewarm;    /* re-warms connections before curl's idle limit (rewarm_cb) */
    int open_handles;     /* curl_timer, warm, rewarm, a CA job: the engine is freed after */
    uint64_t rewarm_ms;   /* HTTP_REWARM_MS, or $UNDERSTUDY_REWARM_MS */
    uint64_t active_ms;   /* loop time of the last counted transfer's start (0: none) */
    int in_curl;          /* > 0 while curl_multi_socket_action runs (user callbacks inside) */
    bool closing;
    size_t active;
    struct us_list live;     /* unreleased transfers, newest first */
    struct sock_ctx *socks;
    CURL *idle[HTTP_IDLE_HANDLES];
    size_t n_idle;
    char *default_ca;     /* $SSL_CERT_FILE, else libcurl's built-in bundle; NULL if neither */
    /* The default CA store, built from default_ca on a worker thread (http__ca_load_begin):
     * parsing the system bundle takes 25-65 ms, which curl would spend on the loop in the first
     * handshake. Transfers using the default CA hand it to OpenSSL from ssl_ctx_cb (http_ca.c). */
    enum { CA_NONE, CA_LOADING, CA_READY, CA_CURL } ca_state; /* CA_CURL: curl loads it */
    void *ca_store;       /* X509_STORE * when CA_READY */
    struct warm_origin {
        char *url;        /* origin + "/" */
        char *ca_file;    /* NULL: default_ca */
        bool started;
        bool in_flight;   /* a warm-up request is running */
        uint64_t fresh_ms; /* loop time the connection was last used (0: never) */
    } warm_list[HTTP_WARM_MAX];
    size_t n_warm;
};

/* http.c: the engine core */
void http__engine_ready(struct http_engine *eng);
void http__engine_unref(struct http_engine *eng);
int http__start_transfer(struct http_engine *eng, const struct http_request *req,
                         const struct http_callbacks *cb, void *ud,
                         struct http_transfer **out, bool counted);
void http__transfer_finish(struct http_transfer *t, enum http_result result, CURLcode rc);

/* http_ca.c: the default CA store */
void http__ca_load_begin(struct http_engine *eng);
int http__easy_set_ca(CURL *e, struct http_engine *eng, const char *ca_file);
void http__ca_free(struct http_engine *eng);

/* http_warm.c: warm connections */
void http__warm_start_pending(struct http_engine *eng);
void http__warm_note_used(struct http_engine *eng, CURL *easy);
void http__rewarm_schedule(struct http_engine *eng);

#endif
