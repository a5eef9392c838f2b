/* http_ca: the default CA store, parsed from the bundle on a libuv worker instead of in curl's
 * first handshake on the loop (OpenSSL builds only), and the CA options of each easy handle.
 * Boundary: the engine owns the store (eng->ca_store, freed by http__ca_free); a CA job owns its
 * path and its store until ca_done_cb hands the store over; it holds the engine open meanwhile. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#ifdef US_HAVE_OPENSSL
#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#endif

#include "base.h"
#include "http_int.h"
#include "list.h"

#ifdef US_HAVE_OPENSSL
struct ca_job {
    uv_work_t work;
    struct http_engine *eng;
    char *path;
    X509_STORE *store;
    uint64_t took_us;
};

static void ca_work_cb(uv_work_t *w)
{
    struct ca_job *job = w->data;
    uint64_t t0 = us_now_us();
    X509_STORE *st = X509_STORE_new();
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    int ok = st && X509_STORE_load_file(st, job->path) == 1;
#else
    int ok = st && X509_STORE_load_locations(st, job->path, NULL) == 1;
#endif
    if (ok) {
        /* What curl sets on the stores it builds (prefer our anchors over sent ones). */
        X509_STORE_set_flags(st, X509_V_FLAG_TRUSTED_FIRST);
        job->store = st;
    } else {
        X509_STORE_free(st);
    }
    job->took_us = us_now_us() - t0;
}

/* Transfers that waited for the store go to curl now (not from a curl callback). */
static void ca_release_waiting(struct http_engine *eng)
{
    struct us_list *l, *tmp; /* before the label: a declaration may not follow one in C11 */
again:
    US_LIST_FOREACH_SAFE(l, tmp, &eng->live) {
        struct http_transfer *t = US_LIST_ENTRY(l, struct http_transfer, link);
        if (t->state != XF_WAIT_CA || t->aborted)
            continue;
        if (http__easy_set_ca(t->easy, eng, NULL) != 0 ||
            curl_multi_add_handle(eng->multi, t->easy) != CURLM_OK) {
            http__transfer_finish(t, HTTP_RESULT_OTHER, CURLE_FAILED_INIT);
            goto again; /* on_done may have changed the list */
        }
        t->state = XF_RUNNING;
    }
}

static void ca_done_cb(uv_work_t *w, int status)
{
    struct ca_job *job = w->data;
    struct http_engine *eng = job->eng;
    (void)status;
    if (!eng->closing) {
        if (job->store) {
            eng->ca_store = job->store;
            job->store = NULL;
            eng->ca_state = CA_READY;
            LOG_D("http", "CA store %s loaded on a worker in %llu us", job->path,
                  (unsigned long long)job->took_us);
        } else {
            eng->ca_state = CA_CURL; /* curl loads it (and reports what is wrong) */
            LOG_I("http", "cannot load the CA bundle %s on a worker; curl will", job->path);
        }
        ca_release_waiting(eng);
        http__warm_start_pending(eng);
    }
    X509_STORE_free(job->store);
    free(job->path);
    free(job);
    http__engine_unref(eng);
}

/* Curl's TLS set-up, per new connection of a transfer using the default CA: our store instead
 * of the one curl would load (it has no CA file to load: CURLOPT_CAINFO is NULL). */
static CURLcode ssl_ctx_cb(CURL *curl, void *ssl_ctx, void *userp)
{
    struct http_engine *eng = userp;
    (void)curl;
    if (eng->ca_store)
        SSL_CTX_set1_cert_store(ssl_ctx, eng->ca_store); /* takes its own reference */
    return CURLE_OK;
}
#endif

/* Build the default CA store on a worker (libcurl on OpenSSL only: the callback hands
 * OpenSSL the store). Until it is ready, transfers let curl load the file as before. */
void http__ca_load_begin(struct http_engine *eng)
{
    if (eng->ca_state != CA_NONE)
        return;
    eng->ca_state = CA_CURL; /* unless the worker takes it below */
#ifdef US_HAVE_OPENSSL
    const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
    if (!eng->default_ca || !vi->ssl_version || strncmp(vi->ssl_version, "OpenSSL", 7) != 0)
        return;
    struct ca_job *job = xcalloc(1, sizeof(*job));
    job->eng = eng;
    job->path = xstrdup(eng->default_ca);
    job->work.data = job;
    if (uv_queue_work(eng->loop, &job->work, ca_work_cb, ca_done_cb) != 0) {
        free(job->path);
        free(job);
        return;
    }
    eng->open_handles++; /* the engine outlives the job (ca_done_cb) */
    eng->ca_state = CA_LOADING;
#else
    (void)eng;
#endif
}

/* The CA options: a provider's own ca_file, else the default CA. */
int http__easy_set_ca(CURL *e, struct http_engine *eng, const char *ca_file)
{
    int bad = 0;
    const char *ca = ca_file ? ca_file : eng->default_ca;
#ifdef US_HAVE_OPENSSL
    /* The default CA from our store (built on a worker): curl gets no file to load. A
     * provider's own ca_file stays curl's (usually one small file, and a different CAINFO
     * keeps curl from sharing a connection verified against another CA). */
    bool own_store = !ca_file && eng->ca_state == CA_READY;
    bad |= curl_easy_setopt(e, CURLOPT_CAINFO, own_store ? NULL : ca);
    if (curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, own_store ? ssl_ctx_cb : NULL) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, eng) != CURLE_OK)
        bad |= own_store;
#else
    bad |= curl_easy_setopt(e, CURLOPT_CAINFO, ca);
#endif
    return bad;
}


/* Free the default CA store (http_engine_free). */
void http__ca_free(struct http_engine *eng)
{
#ifdef US_HAVE_OPENSSL
    X509_STORE_free(eng->ca_store);
#endif
    eng->ca_store = NULL;
}
