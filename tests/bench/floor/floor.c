/* floor: the physical floor for a completion round trip -- the same HTTP request Understudy
 * sends, replayed from one libcurl easy handle (keep-alive) with nothing else in the way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

/* Usage: floor --url URL --body FILE [--header "K: V"]... [--iterations N] [--warmup N]
 *              [--cacert FILE] [--http2]
 * Prints one JSON line: {"samples_us":[...], "connects":N, "bytes":N, "errors":N,
 * "http_version":N}. Every sample is one curl_easy_perform from start to the last body byte.
 * For https: --cacert names the CA bundle (the test CA), --http2 asks for HTTP/2 by ALPN (what
 * Understudy does); the warm-up requests pay the handshake, the samples reuse the connection. */

struct sink {
    size_t bytes;
};

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
    struct sink *s = user;
    (void)data;
    s->bytes += size * n;
    return size * n;
}

static char *slurp(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    if (!s)
        abort();
    size_t got;
    while ((got = fread(s + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            s = realloc(s, cap);
            if (!s)
                abort();
        }
    }
    fclose(f);
    *len = (long)n;
    return s;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    const char *url = NULL, *body_path = NULL;
    long iterations = 100, warmup = 10;
    const char *cacert = NULL;
    int http2 = 0;
    struct curl_slist *headers = NULL;
    /* curl would otherwise wait up to a second for "100 Continue" on bodies over 1 KiB. */
    headers = curl_slist_append(headers, "Expect:");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--http2")) {
            http2 = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "floor: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--url"))
            url = v;
        else if (!strcmp(a, "--body"))
            body_path = v;
        else if (!strcmp(a, "--header"))
            headers = curl_slist_append(headers, v);
        else if (!strcmp(a, "--iterations"))
            iterations = strtol(v, NULL, 10);
        else if (!strcmp(a, "--warmup"))
            warmup = strtol(v, NULL, 10);
        else if (!strcmp(a, "--cacert"))
            cacert = v;
        else {
            fprintf(stderr, "floor: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    if (!url || !body_path || iterations <= 0 || warmup < 0) {
        fprintf(stderr, "usage: floor --url URL --body FILE [--header 'K: V']... "
                        "[--iterations N] [--warmup N]\n");
        return 2;
    }
    long body_len = 0;
    char *body = slurp(body_path, &body_len);
    if (!body) {
        fprintf(stderr, "floor: cannot read %s\n", body_path);
        return 2;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    struct sink sink = {0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, body_len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (cacert) {
        curl_easy_setopt(h, CURLOPT_CAINFO, cacert);
        curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
    }
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
                     http2 ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_1_1);

    double *samples = malloc(sizeof(double) * (size_t)iterations);
    if (!samples)
        abort();
    long connects = 0, errors = 0;
    for (long i = -warmup; i < iterations; i++) {
        double t0 = now_us();
        CURLcode rc = curl_easy_perform(h);
        double t1 = now_us();
        long status = 0, nconn = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nconn);
        if (rc != CURLE_OK || status != 200) {
            errors++;
            fprintf(stderr, "floor: request %ld: %s, status %ld\n", i, curl_easy_strerror(rc),
                    status);
        }
        if (i >= 0) {
            samples[i] = t1 - t0;
            connects += nconn;
        }
    }

    printf("{\"samples_us\":[");
    for (long i = 0; i < iterations; i++)
        printf("%s%.1f", i ? "," : "", samples[i]);
    long version = 0;
    curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &version);
    printf("],\"connects\":%ld,\"bytes\":%zu,\"errors\":%ld,\"http_version\":%s}\n", connects,
           sink.bytes, errors,
           version == CURL_HTTP_VERSION_2_0 ? "2" : version == CURL_HTTP_VERSION_1_1 ? "1.1" : "0");

    free(samples);
    free(body);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    curl_global_cleanup();
    return errors ? 1 : 0;
}
