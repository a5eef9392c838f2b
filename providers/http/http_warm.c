/* http_warm: warm connections. http_warm's origins get a connection before the first request,
 * and re-warming uses them again before curl's idle limit closes them while the editor is active.
 * Boundary: the engine owns the warm origins (eng->warm_list, freed by http_engine_free), the
 * check handle and the re-warm timer; a warm-up is an uncounted transfer like any other. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "base.h"
#include "http_int.h"
#include "loopback.h"

/* ------------------------------------------------------------------ engine warm-up */

static void warm_cb(uv_check_t *check)
{
    struct http_engine *eng = check->data;
    uv_check_stop(check);
    http__engine_ready(eng);
    http__warm_start_pending(eng);
}

void http_engine_warm_up(struct http_engine *eng)
{
    if (eng && !eng->multi && !eng->closing)
        uv_check_start(&eng->warm, warm_cb);
}

/* ------------------------------------------------------------------ warm connections */

static void warm_done(struct http_transfer *t, void *ud, const struct http_done *done)
{
    struct http_engine *eng = t->eng;
    size_t i = (size_t)(uintptr_t)ud;
    if (i < eng->n_warm) {
        eng->warm_list[i].in_flight = false;
        if (done->result == HTTP_RESULT_OK)
            eng->warm_list[i].fresh_ms = uv_now(eng->loop);
        http__rewarm_schedule(eng);
    }
    if (done->result != HTTP_RESULT_OK)
        LOG_I("http", "warming a connection failed: %s (%s)", http_result_name(done->result),
              done->error);
    else
        LOG_D("http", "connection warm (HTTP/%s) after %lld us",
              done->http_version == 2 ? "2" : "1.1", (long long)done->timing.total_us);
}

static void warm_start_one(struct http_engine *eng, size_t i)
{
    static const struct http_callbacks cb = {NULL, NULL, warm_done};
    eng->warm_list[i].started = true;
    eng->warm_list[i].in_flight = true;
    {
        struct http_request req = {
            .method = HTTP_GET, /* HEAD is refused (501, close) by some servers */
            .url = eng->warm_list[i].url,
            .ca_file = eng->warm_list[i].ca_file,
            .connect_timeout_ms = 10000,
            .total_timeout_ms = 15000,
            .max_response_bytes = 64 * 1024,
        };
        if (http__start_transfer(eng, &req, &cb, (void *)(uintptr_t)i, NULL, false) != 0) {
            eng->warm_list[i].in_flight = false;
            LOG_I("http", "cannot warm %s", eng->warm_list[i].url);
        }
    }
}

/* Start the warm-ups not started yet. Called from the check handle, after http__engine_ready. */
void http__warm_start_pending(struct http_engine *eng)
{
    for (size_t i = 0; i < eng->n_warm; i++) {
        if (eng->warm_list[i].started)
            continue;
        if (!eng->warm_list[i].ca_file)
            http__ca_load_begin(eng);
        if (!eng->warm_list[i].ca_file && eng->ca_state == CA_LOADING)
            continue; /* ca_done_cb starts it: its handshake would load the CA on the loop */
        warm_start_one(eng, i);
    }
}

/* The warm origin a finished request went to, by its effective URL: its connection is fresh. */
void http__warm_note_used(struct http_engine *eng, CURL *easy)
{
    char *url = NULL;
    if (!eng->n_warm || curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK || !url)
        return;
    for (size_t i = 0; i < eng->n_warm; i++) {
        const char *o = eng->warm_list[i].url; /* "https://host[:port]/" */
        size_t n = strlen(o) - 1;
        if (strncasecmp(url, o, n) == 0 && (url[n] == '/' || url[n] == '?' || !url[n]))
            eng->warm_list[i].fresh_ms = uv_now(eng->loop);
    }
}

static void rewarm_cb(uv_timer_t *timer)
{
    struct http_engine *eng = timer->data;
    uint64_t now = uv_now(eng->loop);
    if (eng->closing || !eng->multi)
        return;
    if (!eng->active_ms || now - eng->active_ms > eng->rewarm_ms * HTTP_REWARM_ACTIVE_N)
        return; /* the editor is idle: let connections go; the next completion re-arms this */
    for (size_t i = 0; i < eng->n_warm; i++) {
        struct warm_origin *w = &eng->warm_list[i];
        if (w->started && !w->in_flight && w->fresh_ms && now >= w->fresh_ms + eng->rewarm_ms &&
            !(!w->ca_file && eng->ca_state == CA_LOADING)) {
            LOG_D("http", "re-warming %s (idle %llu ms)", w->url,
                  (unsigned long long)(now - w->fresh_ms));
            warm_start_one(eng, i);
        }
    }
    http__rewarm_schedule(eng);
}

/* Arm the timer for the warm connection that goes stale first. */
void http__rewarm_schedule(struct http_engine *eng)
{
    if (eng->closing)
        return;
    uint64_t now = uv_now(eng->loop), next = UINT64_MAX;
    for (size_t i = 0; i < eng->n_warm; i++)
        if (eng->warm_list[i].fresh_ms && !eng->warm_list[i].in_flight)
            next = US_MIN(next, eng->warm_list[i].fresh_ms + eng->rewarm_ms);
    if (next == UINT64_MAX) {
        uv_timer_stop(&eng->rewarm);
        return;
    }
    uv_timer_start(&eng->rewarm, rewarm_cb, next > now ? next - now : 0, 0);
}

void http_warm(struct http_engine *eng, const char *url, const char *ca_file)
{
    if (!eng || !url || eng->closing || strncasecmp(url, "https://", 8) != 0)
        return;
    const char *host;
    size_t host_len;
    if (!us_url_host(url, &host, &host_len))
        return;
    /* origin = scheme://[userinfo@]host[:port]; userinfo is never sent to warm */
    const char *end = host + host_len;
    if (*end == ':')
        while (*end && *end != '/' && *end != '?' && *end != '#')
            end++;
    char *origin = xasprintf("https://%.*s/", (int)(end - host), host);
    for (size_t i = 0; i < eng->n_warm; i++) {
        const char *c = eng->warm_list[i].ca_file;
        if (strcmp(eng->warm_list[i].url, origin) == 0 &&
            ((!c && !ca_file) || (c && ca_file && strcmp(c, ca_file) == 0))) {
            free(origin);
            return;
        }
    }
    if (eng->n_warm == HTTP_WARM_MAX) {
        free(origin);
        return;
    }
    eng->warm_list[eng->n_warm].url = origin;
    eng->warm_list[eng->n_warm].ca_file = ca_file ? xstrdup(ca_file) : NULL;
    eng->warm_list[eng->n_warm].started = false;
    eng->warm_list[eng->n_warm].in_flight = false;
    eng->warm_list[eng->n_warm].fresh_ms = 0;
    eng->n_warm++;
    uv_check_start(&eng->warm, warm_cb);
}

