/* fakectl: C tests' handle on tests/fakes/fake_provider.py: spawn it, read its port, script it
 * through /_control and read /_stats with blocking libcurl calls (never on the code under test's
 * loop). Header-only so any test binary can include it; needs libcurl, jansson and POSIX. */
#ifndef US_FAKECTL_H
#define US_FAKECTL_H

#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

extern char **environ;

struct fake {
    pid_t pid;
    int port;
    int tls_port;  /* 0 unless started with "--tls-port", "0" */
    char base[64]; /* "http://127.0.0.1:PORT" */
};

/* Path of fake_provider.py: $US_SOURCE_ROOT/tests/fakes/fake_provider.py. Caller frees. */
static char *fake__script_path(void)
{
    const char *root = getenv("US_SOURCE_ROOT");
    if (!root || !*root)
        root = ".";
    size_t n = strlen(root) + 64;
    char *p = malloc(n);
    if (!p)
        abort();
    snprintf(p, n, "%s/tests/fakes/fake_provider.py", root);
    return p;
}

/* Start a fake with extra command-line arguments (NULL-terminated, may be NULL). Returns 0, or
 * -1 with a message on stderr. */
static int fake_start(struct fake *f, const char *const *extra)
{
    memset(f, 0, sizeof(*f));
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    char *script = fake__script_path();
    const char *argv[32] = {"python3", script, "--port", "0", "--max-seconds", "300"};
    int argc = 6;
    for (const char *const *a = extra; a && *a && argc < 30; a++)
        argv[argc++] = *a;
    argv[argc] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    int rc = posix_spawnp(&f->pid, "python3", &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(script);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        fprintf(stderr, "fakectl: cannot spawn python3\n");
        return -1;
    }
    FILE *in = fdopen(fds[0], "r");
    char line[256];
    if (!in || !fgets(line, sizeof(line), in)) {
        fprintf(stderr, "fakectl: fake provider did not report its port (US_SOURCE_ROOT=%s)\n",
                getenv("US_SOURCE_ROOT") ? getenv("US_SOURCE_ROOT") : "(unset)");
        if (in)
            fclose(in);
        kill(f->pid, SIGKILL);
        waitpid(f->pid, NULL, 0);
        return -1;
    }
    fclose(in);
    json_t *info = json_loads(line, 0, NULL);
    f->port = (int)json_integer_value(json_object_get(info, "port"));
    f->tls_port = (int)json_integer_value(json_object_get(info, "tls_port"));
    json_decref(info);
    if (f->port <= 0)
        return -1;
    snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%d", f->port);
    return 0;
}

static void fake_stop(struct fake *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
    }
}

static size_t fake__collect(char *buf, size_t size, size_t n, void *ud)
{
    char **acc = ud;
    size_t old = *acc ? strlen(*acc) : 0, len = size * n;
    char *p = realloc(*acc, old + len + 1);
    if (!p)
        abort();
    memcpy(p + old, buf, len);
    p[old + len] = 0;
    *acc = p;
    return len;
}

/* GET (body NULL) or POST path; returns the parsed JSON answer (caller decrefs) or NULL. */
static json_t *fake_call(const struct fake *f, const char *path, const char *body)
{
    CURL *c = curl_easy_init();
    char url[256];
    char *acc = NULL;
    snprintf(url, sizeof(url), "%s%s", f->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fake__collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &acc);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    json_t *out = NULL;
    if (rc == CURLE_OK && acc)
        out = json_loads(acc, 0, NULL);
    else
        fprintf(stderr, "fakectl: %s failed: %s\n", path, curl_easy_strerror(rc));
    free(acc);
    return out;
}

/* Send a control command (a JSON object as text). Returns 0 when the fake accepted it. */
static int fake_control(const struct fake *f, const char *json)
{
    json_t *r = fake_call(f, "/_control", json);
    int ok = r && json_is_true(json_object_get(r, "ok"));
    if (!ok)
        fprintf(stderr, "fakectl: control %s refused\n", json);
    json_decref(r);
    return ok ? 0 : -1;
}

static json_t *fake_stats(const struct fake *f)
{
    return fake_call(f, "/_stats", NULL);
}

static long fake_stat_int(const struct fake *f, const char *key)
{
    json_t *s = fake_stats(f);
    long v = (long)json_integer_value(json_object_get(s, key));
    json_decref(s);
    return v;
}

/* Wait (polling) until the last logged request shows the client disconnected. */
static bool fake_wait_client_closed(const struct fake *f, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        json_t *s = fake_stats(f);
        json_t *reqs = json_object_get(s, "requests");
        size_t n = json_array_size(reqs);
        bool closed = n && json_is_true(json_object_get(json_array_get(reqs, n - 1),
                                                        "client_closed"));
        json_decref(s);
        if (closed)
            return true;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

#endif
