/* http: curl multi on a libuv loop. Shape of curl's docs/examples/multi-uv.c, hardened:
 * every curl_multi_socket_action (socket event or timer expiry) is followed by a full drain of
 * curl_multi_info_read; user callbacks may re-enter (start/abort), so anything that curl forbids
 * inside its own callbacks (adding or removing handles) is deferred until curl has returned;
 * libuv handles are freed only in their close callbacks.
 * Boundary: this file owns the engine's lifetime, transfers, easy handles and sockets; the
 * default CA store is http_ca.c's, warm connections http_warm.c's (shared structs: http_int.h). */
#include "http.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base.h"
#include "http_int.h"
#include "list.h"
#include "loopback.h"

#define HTTP_MAX_HEADER_BYTES (64 * 1024)
/* How long curl may keep a loaded CA store (seconds): one load per process in practice. The
 * store is rebuilt when a connection asks for another CA file (curl keeps one per multi). */
#define HTTP_CA_CACHE_S (24L * 60 * 60)
/* libcurl closes a connection idle for longer than this (its default, said here because the
 * re-warming in http_warm.c depends on it). */
#define HTTP_CONN_MAXAGE_S 118L

/* One socket curl opened and asked us to watch. It lives as long as the socket, not as long as
 * curl's interest: a kept-alive connection goes idle (CURL_POLL_REMOVE) after every response and
 * is watched again by the next request, and re-creating the poll handle each time costs four
 * system calls. On the engine's list from the first watch until curl closes the socket
 * (close_socket_cb); freed in the poll handle's close callback. */
struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    int events;              /* what the poll handle watches now; 0 when stopped */
    struct http_engine *eng;
    struct sock_ctx *next;
};

static const char *const result_names[] = {
#define HTTP__RES_NAME(name, text) text,
    HTTP_RESULT_MAP(HTTP__RES_NAME)
#undef HTTP__RES_NAME
};

const char *http_result_name(enum http_result r)
{
    if ((size_t)r >= US_ARRAY_LEN(result_names))
        return "unknown";
    return result_names[r];
}

/* ------------------------------------------------------------------ headers */

static void headers_clear(struct http_headers *h)
{
    for (size_t i = 0; i < h->count; i++) {
        free(h->names[i]);
        free(h->values[i]);
    }
    h->count = 0;
    h->bytes = 0;
}

static void headers_release(struct http_headers *h)
{
    headers_clear(h);
    free(h->names);
    free(h->values);
    memset(h, 0, sizeof(*h));
}

static void headers_add_line(struct http_headers *h, const char *line, size_t len)
{
    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return;
    /* A hostile server must not make us hold unbounded header memory. */
    if (h->bytes + len > HTTP_MAX_HEADER_BYTES)
        return;
    size_t name_len = (size_t)(colon - line);
    while (name_len && (line[name_len - 1] == ' ' || line[name_len - 1] == '\t'))
        name_len--;
    const char *v = colon + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (h->count == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->names = xrealloc(h->names, h->cap * sizeof(*h->names));
        h->values = xrealloc(h->values, h->cap * sizeof(*h->values));
    }
    h->names[h->count] = xstrndup(line, name_len);
    h->values[h->count] = xstrndup(v, (size_t)(end - v));
    h->count++;
    h->bytes += len;
}

const char *http_header_get(const struct http_headers *h, const char *name)
{
    if (!h || !name)
        return NULL;
    for (size_t i = h->count; i-- > 0;)
        if (strcasecmp(h->names[i], name) == 0)
            return h->values[i];
    return NULL;
}

/* ------------------------------------------------------------------ transfer lifetime */

static void link_transfer(struct http_engine *eng, struct http_transfer *t)
{
    us_list_add_head(&eng->live, &t->link);
}

static void unlink_transfer(struct http_engine *eng, struct http_transfer *t)
{
    us_list_del(&t->link); /* harmless when not linked */
}

static void easy_keep(struct http_engine *eng, CURL *e);

static void transfer_close_cb(uv_handle_t *h)
{
    struct http_transfer *t = h->data;
    free(t);
}

/* Take the transfer out of curl and our list and release everything; the struct itself is
 * freed in the timer's close callback, so a pointer still on the caller's stack stays valid
 * until the loop turns. Removing a handle mid-transfer makes curl close its connection rather
 * than pool it, which is how the server learns that we left. */
static void transfer_release(struct http_transfer *t)
{
    struct http_engine *eng = t->eng;
    if (t->state == XF_RUNNING)
        curl_multi_remove_handle(eng->multi, t->easy);
    t->state = XF_DONE;
    unlink_transfer(eng, t);
    easy_keep(eng, t->easy);
    t->easy = NULL;
    curl_slist_free_all(t->req_headers);
    t->req_headers = NULL;
    headers_release(&t->headers);
    uv_timer_stop(&t->deadline);
    uv_close((uv_handle_t *)&t->deadline, transfer_close_cb);
}

static enum http_result map_curl_code(struct http_transfer *t, CURLcode rc)
{
    switch (rc) {
    case CURLE_OK:
        return HTTP_RESULT_OK;
    case CURLE_COULDNT_CONNECT:
        return HTTP_RESULT_REFUSED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return HTTP_RESULT_DNS;
    case CURLE_OPERATION_TIMEDOUT:
        /* Only curl's connect timeout is set; our own timers cover the rest. */
        return t->got_first_byte ? HTTP_RESULT_TIMEOUT_TOTAL : HTTP_RESULT_TIMEOUT_CONNECT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
        return HTTP_RESULT_TLS;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
        return HTTP_RESULT_RECV;
    case CURLE_FILESIZE_EXCEEDED:
        return HTTP_RESULT_TOO_LARGE;
    case CURLE_WRITE_ERROR:
        return t->too_large ? HTTP_RESULT_TOO_LARGE : HTTP_RESULT_OTHER;
    default:
        return HTTP_RESULT_OTHER;
    }
}

/* Deliver on_done and release. Called only outside curl callbacks. */
void http__transfer_finish(struct http_transfer *t, enum http_result result, CURLcode rc)
{
    struct http_engine *eng = t->eng;
    if (t->state == XF_RUNNING)
        curl_multi_remove_handle(eng->multi, t->easy);
    t->state = XF_DONE;
    uv_timer_stop(&t->deadline);
    if (!t->uncounted) {
        eng->active--;
        if (result == HTTP_RESULT_OK)
            http__warm_note_used(eng, t->easy);
    }

    struct http_done done;
    memset(&done, 0, sizeof(done));
    done.result = result;
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    done.status = t->headers_done ? t->status : (int)status;
    done.headers = t->headers_done ? &t->headers : NULL;
    done.body_bytes = t->body_bytes;
    curl_off_t connect_us = 0;
    curl_easy_getinfo(t->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
    if (connect_us > 0)
        done.timing.connect_us = (int64_t)connect_us;
    else
        done.timing.connect_us = t->got_first_byte ? 0 : -1;
    done.timing.first_byte_us = t->first_byte_us;
    long version = 0;
    curl_easy_getinfo(t->easy, CURLINFO_HTTP_VERSION, &version);
    done.http_version = version == CURL_HTTP_VERSION_1_0   ? 10
                        : version == CURL_HTTP_VERSION_1_1 ? 11
                        : version == CURL_HTTP_VERSION_2_0 ? 2
                        : version == CURL_HTTP_VERSION_3   ? 3
                                                           : 0;
    done.timing.total_us = (int64_t)(us_now_us() - t->start_us);
    if (result == HTTP_RESULT_OK)
        done.error = "";
    else if (t->errbuf[0] && rc != CURLE_OK && result != HTTP_RESULT_TOO_LARGE)
        done.error = t->errbuf;
    else if (rc != CURLE_OK && result != HTTP_RESULT_TOO_LARGE)
        done.error = curl_easy_strerror(rc);
    else
        done.error = http_result_name(result);

    LOG_D("http", "transfer done: %s status %d, %zu bytes, first byte %lld us, total %lld us",
          http_result_name(result), done.status, done.body_bytes,
          (long long)done.timing.first_byte_us, (long long)done.timing.total_us);

    t->cb.on_done(t, t->ud, &done);
    transfer_release(t);
}

/* ------------------------------------------------------------------ deadlines */

static void deadline_arm(struct http_transfer *t);

static void deadline_cb(uv_timer_t *timer)
{
    struct http_transfer *t = timer->data;
    if (t->state == XF_DONE || t->aborted)
        return;
    uint64_t now = uv_now(t->eng->loop);
    if (t->total_ms > 0 && now >= t->start_loop_ms + (uint64_t)t->total_ms) {
        http__transfer_finish(t, HTTP_RESULT_TIMEOUT_TOTAL, CURLE_OK);
        return;
    }
    if (!t->got_first_byte && t->first_byte_ms > 0 &&
        now >= t->start_loop_ms + (uint64_t)t->first_byte_ms) {
        http__transfer_finish(t, HTTP_RESULT_TIMEOUT_FIRST_BYTE, CURLE_OK);
        return;
    }
    if (t->got_first_byte && t->stall_ms > 0 && now >= t->last_byte_ms + (uint64_t)t->stall_ms) {
        http__transfer_finish(t, HTTP_RESULT_TIMEOUT_STALL, CURLE_OK);
        return;
    }
    deadline_arm(t);
}

/* Arm the transfer's one timer for its nearest deadline. The stall deadline moves with every
 * byte; rather than restarting the timer per chunk we let it fire and re-arm from here. */
static void deadline_arm(struct http_transfer *t)
{
    uint64_t now = uv_now(t->eng->loop);
    uint64_t next = UINT64_MAX;
    if (t->total_ms > 0)
        next = US_MIN(next, t->start_loop_ms + (uint64_t)t->total_ms);
    if (!t->got_first_byte && t->first_byte_ms > 0)
        next = US_MIN(next, t->start_loop_ms + (uint64_t)t->first_byte_ms);
    if (t->got_first_byte && t->stall_ms > 0)
        next = US_MIN(next, t->last_byte_ms + (uint64_t)t->stall_ms);
    if (next == UINT64_MAX) {
        uv_timer_stop(&t->deadline);
        return;
    }
    uv_timer_start(&t->deadline, deadline_cb, next > now ? next - now : 0, 0);
}

static void note_bytes(struct http_transfer *t)
{
    t->last_byte_ms = uv_now(t->eng->loop);
    if (!t->got_first_byte) {
        t->got_first_byte = true;
        t->first_byte_us = (int64_t)(us_now_us() - t->start_us);
        if (t->stall_ms > 0 || t->first_byte_ms > 0)
            deadline_arm(t);
    }
}

/* ------------------------------------------------------------------ curl callbacks */

static size_t header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct http_transfer *t = userdata;
    size_t len = size * nitems;
    if (t->aborted)
        return 0;
    note_bytes(t);
    if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        /* A new response head (after a 1xx, say): forget the previous one. */
        headers_clear(&t->headers);
        return len;
    }
    if ((len == 2 && buf[0] == '\r' && buf[1] == '\n') || (len == 1 && buf[0] == '\n')) {
        long status = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && !t->headers_done) {
            t->headers_done = true;
            t->status = (int)status;
            if (t->cb.on_headers)
                t->cb.on_headers(t, t->ud, t->status, &t->headers);
            if (t->aborted)
                return 0;
        }
        return len;
    }
    if (!t->headers_done)
        headers_add_line(&t->headers, buf, len);
    return len;
}

static size_t write_cb(char *buf, size_t size, size_t nmemb, void *userdata)
{
    struct http_transfer *t = userdata;
    size_t len = size * nmemb;
    if (t->aborted)
        return 0;
    if (len == 0)
        return 0;
    note_bytes(t);
    if (t->max_bytes && t->body_bytes + len > t->max_bytes) {
        t->too_large = true;
        return 0; /* curl fails the transfer with CURLE_WRITE_ERROR and drops the connection */
    }
    t->body_bytes += len;
    if (t->cb.on_data)
        t->cb.on_data(t, t->ud, buf, len);
    return t->aborted ? 0 : len;
}

/* ------------------------------------------------------------------ driving curl */

static void drain_info(struct http_engine *eng)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(eng->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        char *priv = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        struct http_transfer *t = (struct http_transfer *)(void *)priv;
        if (!t || t->state == XF_DONE)
            continue;
        if (t->aborted) {
            transfer_release(t);
            continue;
        }
        http__transfer_finish(t, map_curl_code(t, rc), rc);
    }
}

/* After curl returns: carry out what user callbacks asked for while curl was running (releases
 * of aborted transfers, additions of new ones), then deliver every finished transfer. */
static void after_action(struct http_engine *eng)
{
    if (eng->in_curl)
        return;
    struct us_list *l, *tmp; /* before the label: a declaration may not follow one in C11 */
again:
    US_LIST_FOREACH_SAFE(l, tmp, &eng->live) {
        struct http_transfer *t = US_LIST_ENTRY(l, struct http_transfer, link);
        if (t->aborted) {
            transfer_release(t);
        } else if (t->state == XF_PENDING_ADD) {
            if (curl_multi_add_handle(eng->multi, t->easy) != CURLM_OK) {
                http__transfer_finish(t, HTTP_RESULT_OTHER, CURLE_FAILED_INIT);
                goto again; /* on_done may have changed the list */
            }
            t->state = XF_RUNNING;
        }
    }
    drain_info(eng);
}

static void socket_action(struct http_engine *eng, curl_socket_t fd, int flags)
{
    int running = 0;
    eng->in_curl++;
    curl_multi_socket_action(eng->multi, fd, flags, &running);
    eng->in_curl--;
    after_action(eng);
}

static void poll_cb(uv_poll_t *handle, int status, int events)
{
    struct sock_ctx *sc = handle->data;
    int flags = 0;
    if (status < 0) {
        flags = CURL_CSELECT_ERR;
    } else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    socket_action(sc->eng, sc->fd, flags);
}

static void curl_timer_fired(uv_timer_t *timer)
{
    struct http_engine *eng = timer->data;
    socket_action(eng, CURL_SOCKET_TIMEOUT, 0);
}

static void sock_close_cb(uv_handle_t *h)
{
    free(h->data);
}

static struct sock_ctx **sock_ref(struct http_engine *eng, curl_socket_t fd)
{
    struct sock_ctx **pp = &eng->socks;
    while (*pp && (*pp)->fd != fd)
        pp = &(*pp)->next;
    return pp;
}

static void sock_watch(struct sock_ctx *sc, int events)
{
    if (events == sc->events)
        return;
    if (events)
        uv_poll_start(&sc->poll, events, poll_cb);
    else
        uv_poll_stop(&sc->poll);
    sc->events = events;
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct http_engine *eng = userp;
    struct sock_ctx *sc = socketp;
    (void)easy;
    if (!sc)
        sc = *sock_ref(eng, fd); /* watched before, then idle in the pool */
    if (what == CURL_POLL_REMOVE) {
        /* Curl forgets the association itself; the handle waits for the socket's next use or
         * its close. */
        if (sc)
            sock_watch(sc, 0);
        return 0;
    }
    if (!sc) {
        sc = xcalloc(1, sizeof(*sc));
        sc->fd = fd;
        sc->eng = eng;
        if (uv_poll_init_socket(eng->loop, &sc->poll, fd) != 0) {
            free(sc);
            return -1;
        }
        sc->poll.data = sc;
        sc->next = eng->socks;
        eng->socks = sc;
    }
    if (!socketp)
        curl_multi_assign(eng->multi, fd, sc);
    int events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= UV_WRITABLE;
    sock_watch(sc, events);
    return 0;
}

/* Curl closes every socket it opened through here (CURLOPT_CLOSESOCKETFUNCTION): the poll handle
 * goes first, while the descriptor still names the socket it watched. */
static int close_socket_cb(void *clientp, curl_socket_t fd)
{
    struct http_engine *eng = clientp;
    struct sock_ctx **pp = sock_ref(eng, fd);
    struct sock_ctx *sc = *pp;
    if (sc) {
        *pp = sc->next;
        uv_close((uv_handle_t *)&sc->poll, sock_close_cb);
    }
    return close(fd);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct http_engine *eng = userp;
    (void)multi;
    if (eng->closing)
        return 0;
    if (timeout_ms < 0)
        uv_timer_stop(&eng->curl_timer);
    else /* 0 means "now": the loop runs it on its next turn, outside this callback */
        uv_timer_start(&eng->curl_timer, curl_timer_fired, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ------------------------------------------------------------------ public API */

static bool curl_ready;

/* The curl side of the engine, made on first need: curl_global_init (OpenSSL's set-up) and the
 * multi handle take about 2 ms, which a server answering `initialize` should not wait for. */
void http__engine_ready(struct http_engine *eng)
{
    if (eng->multi)
        return;
    if (!curl_ready) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl_ready = true;
    }
    eng->multi = curl_multi_init();
    if (!eng->multi) {
        LOG_E("http", "curl_multi_init failed");
        abort();
    }
    curl_multi_setopt(eng->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(eng->multi, CURLMOPT_SOCKETDATA, eng);
    curl_multi_setopt(eng->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(eng->multi, CURLMOPT_TIMERDATA, eng);
    /* HTTP/2 streams share one warm connection: a cancelled keystroke resets its stream and the
     * next one needs no handshake. (libcurl's default since 7.62; said here because it matters.) */
    curl_multi_setopt(eng->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    /* The CA bundle: $SSL_CERT_FILE as OpenSSL and curl's tool honour it (libcurl itself does
     * not), else the bundle libcurl was built with. Always a file, never a directory: curl
     * caches a store loaded from a file only, and Debian's libcurl also names a CA directory,
     * which turned the cache off and cost 24-49 ms of loop per new TLS connection. */
    const char *env_ca = getenv("SSL_CERT_FILE");
    if (env_ca && *env_ca) {
        eng->default_ca = xstrdup(env_ca);
    } else {
        CURL *probe = curl_easy_init();
        char *builtin = NULL;
        if (probe && curl_easy_getinfo(probe, CURLINFO_CAINFO, &builtin) == CURLE_OK && builtin)
            eng->default_ca = xstrdup(builtin);
        curl_easy_cleanup(probe);
    }
    /* The loop's clock stood still meanwhile; a transfer started now counts its deadlines from
     * uv_now, which must not be those milliseconds behind. */
    uv_update_time(eng->loop);
}

struct http_engine *http_engine_new(uv_loop_t *loop)
{
    struct http_engine *eng = xcalloc(1, sizeof(*eng));
    eng->loop = loop;
    us_list_init(&eng->live);
    uv_timer_init(loop, &eng->curl_timer);
    eng->curl_timer.data = eng;
    uv_check_init(loop, &eng->warm);
    eng->warm.data = eng;
    uv_timer_init(loop, &eng->rewarm);
    eng->rewarm.data = eng;
    uv_unref((uv_handle_t *)&eng->rewarm); /* never keeps the loop alive by itself */
    eng->open_handles = 3;
    eng->rewarm_ms = HTTP_REWARM_MS;
    const char *rw = getenv("UNDERSTUDY_REWARM_MS");
    if (rw && atoi(rw) > 0)
        eng->rewarm_ms = (uint64_t)atoi(rw);
    return eng;
}

void http__engine_unref(struct http_engine *eng)
{
    if (--eng->open_handles > 0)
        return;
    free(eng);
}

static void engine_close_cb(uv_handle_t *h)
{
    http__engine_unref(h->data);
}

void http_engine_free(struct http_engine *eng)
{
    if (!eng)
        return;
    while (!us_list_empty(&eng->live)) {
        struct http_transfer *t = US_LIST_ENTRY(us_list_first(&eng->live), struct http_transfer,
                                                link);
        t->aborted = true;
        transfer_release(t);
    }
    eng->active = 0;
    while (eng->n_idle)
        curl_easy_cleanup(eng->idle[--eng->n_idle]);
    /* Closes the pooled connections; their sockets come back through close_socket_cb. */
    if (eng->multi)
        curl_multi_cleanup(eng->multi);
    eng->multi = NULL;
    /* Sockets curl never reported closed (none are expected) still hold a poll handle. */
    while (eng->socks) {
        struct sock_ctx *sc = eng->socks;
        eng->socks = sc->next;
        uv_close((uv_handle_t *)&sc->poll, sock_close_cb);
    }
    eng->closing = true;
    free(eng->default_ca);
    eng->default_ca = NULL;
    http__ca_free(eng);
    for (size_t i = 0; i < eng->n_warm; i++) {
        free(eng->warm_list[i].url);
        free(eng->warm_list[i].ca_file);
    }
    eng->n_warm = 0;
    uv_timer_stop(&eng->curl_timer);
    uv_timer_stop(&eng->rewarm);
    uv_close((uv_handle_t *)&eng->curl_timer, engine_close_cb);
    uv_close((uv_handle_t *)&eng->warm, engine_close_cb);
    uv_close((uv_handle_t *)&eng->rewarm, engine_close_cb);
}

/* A new easy handle with the options every transfer shares. NULL when curl fails. */
static CURL *easy_new(struct http_engine *eng)
{
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    bad |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    bad |= curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    bad |= curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket_cb);
    bad |= curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, eng);
    if (curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK)
        LOG_D("http", "CURLOPT_PROTOCOLS_STR unsupported");
    /* HTTP/2 when the server offers it by ALPN; HTTP/1.1 otherwise and for plain http. */
    bad |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    /* No CA directory (see http__engine_ready) and a long-lived CA store cache. */
    bad |= curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
    bad |= curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, HTTP_CA_CACHE_S);
    bad |= curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, HTTP_CONN_MAXAGE_S);
#if CURL_AT_LEAST_VERSION(7, 87, 0)
    /* A transfer removed (aborted, timed out) while its name is being resolved: libcurl
     * 7.88's threaded resolver would join the getaddrinfo thread right here, on the loop,
     * for as long as the resolver takes to give up (seconds on a dead DNS server). With
     * QUICK_EXIT the thread is detached instead and finishes on its own. */
    bad |= curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
#endif
    if (bad) {
        curl_easy_cleanup(e);
        return NULL;
    }
    return e;
}

/* An easy handle for a request: a kept one if any, else a new one. */
static CURL *easy_take(struct http_engine *eng)
{
    if (eng->n_idle)
        return eng->idle[--eng->n_idle];
    return easy_new(eng);
}

/* Keep a finished handle for the next request, without pointers into the transfer that used it
 * (its header list and error buffer are freed with it). */
static void easy_keep(struct http_engine *eng, CURL *e)
{
    if (eng->closing || eng->n_idle == HTTP_IDLE_HANDLES) {
        curl_easy_cleanup(e);
        return;
    }
    curl_easy_setopt(e, CURLOPT_PRIVATE, NULL);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, NULL);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, NULL);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
    eng->idle[eng->n_idle++] = e;
}

/* The options that differ between requests. Every one is set each time, to its default when
 * the request does not ask for it, because the handle may have served another request. */
static int easy_configure(CURL *e, struct http_transfer *t, const struct http_request *req)
{
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_URL, req->url);
    /* Loopback servers (ollama, llama.cpp, the fakes) never go through a proxy from the
     * environment; the rest keep libcurl's own proxy and no_proxy handling (NULL: from the
     * environment). One loopback definition for privacy and proxies: common/loopback.h. */
    bad |= curl_easy_setopt(e, CURLOPT_NOPROXY, us_url_is_loopback(req->url) ? "*" : NULL);
    bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)t);
    bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                            (long)US_MAX(req->connect_timeout_ms, 0));
    bad |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_response_bytes);
    /* https: a request started while a connection to its origin is still being set up (the
     * warm-up's) waits for ALPN and multiplexes, instead of paying for a second handshake.
     * Never for plain http: there the HTTP version is known only from the first response, and
     * a request would queue behind a hanging one on the same connection. */
    bad |= curl_easy_setopt(e, CURLOPT_PIPEWAIT, strncasecmp(req->url, "https://", 8) == 0 ? 1L : 0L);
    bad |= http__easy_set_ca(e, t->eng, req->ca_file);
    if (req->method == HTTP_POST) {
        bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        bad |= curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body ? req->body : "");
    } else { /* also turns a handle that last sent a POST back to GET, without a body */
        bad |= curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    /* Without this curl waits up to a second for "100 Continue" on larger bodies. */
    t->req_headers = curl_slist_append(NULL, "Expect:");
    for (const char *const *h = req->headers; h && *h; h++)
        t->req_headers = curl_slist_append(t->req_headers, *h);
    bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->req_headers);
    return bad;
}

int http__start_transfer(struct http_engine *eng, const struct http_request *req,
                         const struct http_callbacks *cb, void *ud,
                         struct http_transfer **out, bool counted)
{
    if (out)
        *out = NULL;
    if (!eng || !req || !req->url || !cb || !cb->on_done)
        return US_EINVAL;
    if (req->body_len && !req->body)
        return US_EINVAL;
    if (eng->closing)
        return US_ESTATE;
    http__engine_ready(eng);

    struct http_transfer *t = xcalloc(1, sizeof(*t));
    us_list_init(&t->link);
    t->eng = eng;
    t->uncounted = !counted;
    t->cb = *cb;
    t->ud = ud;
    t->max_bytes = req->max_response_bytes;
    t->first_byte_ms = US_MAX(req->first_byte_timeout_ms, 0);
    t->stall_ms = US_MAX(req->stall_timeout_ms, 0);
    t->total_ms = US_MAX(req->total_timeout_ms, 0);
    t->first_byte_us = -1;
    t->easy = easy_take(eng);
    if (!t->easy) {
        free(t);
        return US_EIO;
    }
    CURL *e = t->easy;
    if (easy_configure(e, t, req) != 0) {
        curl_slist_free_all(t->req_headers);
        curl_easy_cleanup(e);
        free(t);
        return US_EINVAL;
    }

    bool default_ca_tls = !req->ca_file && strncasecmp(req->url, "https://", 8) == 0;
    if (default_ca_tls)
        http__ca_load_begin(eng); /* the first https transfer with the default CA: on a worker */
    if (eng->ca_state == CA_LOADING && default_ca_tls) {
        /* Its handshake would load the CA on the loop (curl) while a worker loads it too:
         * wait for the worker (ca_release_waiting); the deadlines run meanwhile. */
        t->state = XF_WAIT_CA;
    } else if (eng->in_curl) {
        t->state = XF_PENDING_ADD; /* curl refuses additions from inside its callbacks */
    } else {
        if (curl_multi_add_handle(eng->multi, e) != CURLM_OK) {
            curl_slist_free_all(t->req_headers);
            curl_easy_cleanup(e);
            free(t);
            return US_EIO;
        }
        t->state = XF_RUNNING;
    }
    uv_timer_init(eng->loop, &t->deadline);
    t->deadline.data = t;
    t->start_us = us_now_us();
    t->start_loop_ms = uv_now(eng->loop);
    t->last_byte_ms = t->start_loop_ms;
    link_transfer(eng, t);
    if (counted) {
        eng->active++;
        eng->active_ms = t->start_loop_ms;
        if (!uv_is_active((uv_handle_t *)&eng->rewarm))
            http__rewarm_schedule(eng);
    }
    deadline_arm(t);
    if (out)
        *out = t;
    return 0;
}

int http_start(struct http_engine *eng, const struct http_request *req,
               const struct http_callbacks *cb, void *ud, struct http_transfer **out)
{
    return http__start_transfer(eng, req, cb, ud, out, true);
}

void http_abort(struct http_transfer *t)
{
    if (!t || t->aborted || t->state == XF_DONE)
        return;
    struct http_engine *eng = t->eng;
    t->aborted = true;
    if (!t->uncounted)
        eng->active--;
    uv_timer_stop(&t->deadline);
    if (eng->in_curl)
        return; /* after_action releases it once curl has returned */
    transfer_release(t);
}

size_t http_engine_active(const struct http_engine *eng)
{
    return eng ? eng->active : 0;
}
