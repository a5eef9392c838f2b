/* cli: `understudy complete` and `understudy doctor`. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "files.h"
#include "config.h"
#include "attempt.h"
#include "http.h"
#include "languages.h"
#include "loopback.h"
#include "router.h"
#include "completion.h"
#include "server.h"
#include "server_int.h"

/* Split FILE:LINE:COL from the right so paths may contain ':'. */
static int parse_target(const char *arg, char **path, long *line, long *col)
{
    const char *c2 = strrchr(arg, ':');
    if (!c2 || c2 == arg)
        return US_EINVAL;
    const char *c1 = c2 - 1;
    while (c1 > arg && *c1 != ':')
        c1--;
    if (c1 == arg)
        return US_EINVAL;
    char *end;
    *line = strtol(c1 + 1, &end, 10);
    if (end != c2 || *line < 1)
        return US_EINVAL;
    *col = strtol(c2 + 1, &end, 10);
    if (*end || *col < 1)
        return US_EINVAL;
    *path = xstrndup(arg, (size_t)(c1 - arg));
    return 0;
}

struct complete_run {
    bool json_out;
    bool done;
    int status;
    uint64_t start_us;
};

static void print_json_answer(const struct router_answer *a, const char *local_text, double ms)
{
    const char *text = NULL, *source = NULL, *how = "none";
    size_t len = 0;
    if (a && a->how != ROUTER_NONE) {
        text = a->text;
        len = a->len;
        source = a->source;
        how = a->how == ROUTER_PROVIDER ? "provider" : a->how == ROUTER_STALE ? "stale" : "cache";
    } else if (local_text) {
        text = local_text;
        len = strlen(local_text);
        source = PROV_SOURCE_LINE;
        how = "local";
    }
    json_t *o = json_pack("{s:o, s:s?, s:s, s:f, s:i, s:s?}", "suggestion",
                          text ? json_stringn(text, len) : json_null(), "source", source, "how",
                          how, "elapsed_ms", ms, "attempts", a ? a->attempts : 0, "reason",
                          a && a->how == ROUTER_NONE ? a->why : NULL);
    char *dump = json_dumps(o, JSON_COMPACT);
    puts(dump);
    free(dump);
    json_decref(o);
}

static void complete_done(void *ud, const struct router_answer *a, const char *local_text)
{
    struct complete_run *run = ud;
    double ms = (double)(us_now_us() - run->start_us) / 1000.0;
    run->done = true;
    bool ai = a && a->how != ROUTER_NONE;
    run->status = (ai || local_text) ? 0 : 1;
    if (run->json_out) {
        print_json_answer(a, local_text, ms);
        return;
    }
    if (ai) {
        printf("%.*s\n", (int)a->len, a->text);
        printf("-- source: %s%s  (%.1f ms, %d attempt%s)\n", a->source,
               a->how == ROUTER_CACHE ? " (cache)" : a->how == ROUTER_STALE ? " (stale)" : "",
               ms, a->attempts, a->attempts == 1 ? "" : "s");
    } else if (local_text) {
        printf("%s\n", local_text);
        printf("-- source: %s  (%.1f ms; AI: %s)\n", PROV_SOURCE_LINE, ms,
               a && a->why ? a->why : "not asked");
    } else {
        printf("-- no suggestion at this position (AI: %s; the local engine had nothing "
               "confident)  (%.1f ms)\n",
               a && a->why ? a->why : "not asked", ms);
    }
}

#define CLI_INDEX_WAIT_MS 5000

/* The workspace a file belongs to: the nearest folder above it holding a .understudyignore or
 * a .git (file or folder), as an editor would open it. NULL when none. Caller frees. */
static char *workspace_root_of(const char *abs_path)
{
    char *dir = xstrdup(abs_path);
    for (;;) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        *slash = 0;
        const char *d = *dir ? dir : "/";
        char *ign = xasprintf("%s/.understudyignore", *dir ? dir : "");
        char *git = xasprintf("%s/.git", *dir ? dir : "");
        bool found = access(ign, F_OK) == 0 || access(git, F_OK) == 0;
        free(ign);
        free(git);
        if (found) {
            char *root = xstrdup(d);
            free(dir);
            return root;
        }
        if (!*dir)
            break;
    }
    free(dir);
    return NULL;
}

int cli_complete(struct lsp_config *cfg, int argc, char **argv, bool json_out)
{
    int status = 2;
    char *path = NULL, *abs = NULL, *uri = NULL;
    struct strbuf text;
    sb_init(&text);
    long line, col;
    if (argc != 1 || parse_target(argv[0], &path, &line, &col) < 0) {
        fprintf(stderr, "understudy complete: expected FILE:LINE:COL (1-based), e.g. "
                        "src/main.c:12:5\n");
        lsp_config_free(cfg);
        goto out;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "understudy complete: cannot open %s: %s\n", path, strerror(errno));
        lsp_config_free(cfg);
        goto out;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && text.len < DOC_DEFAULT_MAX_BYTES)
        sb_add(&text, buf, n);
    fclose(f);
    abs = realpath(path, NULL);
    uri = xasprintf("file://%s", abs ? abs : path);
    /* The same privacy rules as in an editor: the workspace's .understudyignore, relative to
     * the folder found walking up. */
    char *root = abs ? workspace_root_of(abs) : NULL;
    lsp_config_load_ignore_file(cfg, root);

    uv_loop_t *loop = uv_default_loop();
    struct lsp_server *s = lsp_server_new_headless(loop, cfg);
    if (root) {
        free(s->root_path);
        s->root_path = root;
        root = NULL;
    }
    /* What the local engine knows in an editor: the workspace's words and lines too (the
     * index is bounded; a huge tree is cut off after a few seconds, and said so). */
    if (completion_index_workspace_now(s->engine, CLI_INDEX_WAIT_MS) == US_ETIMEDOUT)
        fprintf(stderr, "understudy complete: the workspace index took over %d s; answering "
                        "with what it had read\n", CLI_INDEX_WAIT_MS / 1000);
    const struct lang_info *lang = lang_for_path(path);
    if (docstore_open(s->docs, uri, lang ? lang->name : "", 1, text.data, text.len) < 0) {
        fprintf(stderr, "understudy complete: %s is too large\n", path);
        lsp_server_free_headless(s);
        goto out;
    }
    struct doc *d = docstore_get(s->docs, uri);
    /* 1-based line and column (column in bytes of the line) to the LSP position. */
    struct lsp_pos pos = {(uint32_t)(line - 1), (uint32_t)(col - 1)};
    struct complete_run run = {.json_out = json_out, .status = 1, .start_us = us_now_us()};
    if (completion_run_once(s->engine, d, pos, complete_done, &run) == 0) {
        while (!run.done && uv_run(loop, UV_RUN_ONCE))
            ;
    }
    status = run.status;
    lsp_server_free_headless(s);
out:
    sb_release(&text);
    free(path);
    free(abs);
    free(uri);
    return status;
}

/* ---- doctor ---- */

struct doctor_row {
    const struct prov_config *cfg;
    struct attempt *a;
    bool done;
    char status[32];
    char detail[480];
    double ms;
    uint64_t start_us;
};

static void doctor_done(struct attempt *a, void *ud, const struct attempt_result *res)
{
    struct doctor_row *row = ud;
    row->done = true;
    row->ms = (double)(us_now_us() - row->start_us) / 1000.0;
    if (res->outcome.kind == PROV_OUT_OK && res->text_len > 0) {
        snprintf(row->status, sizeof(row->status), "ok");
        snprintf(row->detail, sizeof(row->detail), "answered %zu bytes, first text after %lld ms",
                 res->text_len, (long long)res->ttfb_ms);
    } else if (res->outcome.kind == PROV_OUT_BAD_REQUEST && !res->outcome.context_too_long) {
        /* The provider refuses our request as invalid: its own words, and what to change. */
        const struct prov_outcome *o = &res->outcome;
        snprintf(row->status, sizeof(row->status), "rejected");
        const char *model = row->cfg->model ? row->cfg->model : "(default)";
        if (o->http_status == 404)
            snprintf(row->detail, sizeof(row->detail),
                     "%s -- change \"model\" (%s) to one this provider serves, or "
                     "check \"base_url\" and \"kind\"",
                     o->message, model);
        else
            snprintf(row->detail, sizeof(row->detail),
                     "%s -- the provider refuses the request for model %s: change "
                     "\"model\", or drop the parameter it names with \"extra\" (e.g. "
                     "{\"stop\": null}) or \"temperature\"/\"max_tokens\"",
                     o->message, model);
    } else {
        snprintf(row->status, sizeof(row->status), "%s",
                 res->outcome.kind == PROV_OUT_OK ? "empty" : prov_outcome_name(res->outcome.kind));
        if (res->outcome.http_status)
            snprintf(row->detail, sizeof(row->detail), "HTTP %d: %s", res->outcome.http_status,
                     res->outcome.message);
        else
            snprintf(row->detail, sizeof(row->detail), "%s", res->outcome.message);
    }
}

/* The key as the router reads it (common/files.h); *why (caller frees) says what is wrong with
 * a key file that exists but is not one clean line. */
static char *doctor_key(const struct prov_config *c, char **why)
{
    *why = NULL;
    if (c->api_key_file) {
        char *key = NULL;
        if (us_read_key_file(c->api_key_file, &key, why, NULL) == US_ENOENT) {
            free(*why);
            *why = NULL;
        }
        return key;
    }
    const char *v = c->api_key_env ? getenv(c->api_key_env) : NULL;
    return v && *v ? xstrdup(v) : NULL;
}

int cli_doctor(struct lsp_config *cfg, int argc, char **argv)
{
    const struct us_settings *st = &cfg->settings;
    uv_loop_t *loop = uv_default_loop();
    struct http_engine *http = http_engine_new(loop);
    struct doctor_row *rows = xcalloc(st->n_providers + 1, sizeof(*rows));
    /* A tiny real request: enough to prove key, route and model, cheap for the user. */
    static const char prefix[] = "def add(a, b):\n    ";
    struct prov_context ctx = {
        .language = "python", .path = "doctor.py", .prefix = prefix,
        .prefix_len = sizeof(prefix) - 1, .suffix = "\n", .suffix_len = 1,
        .situation = SYN_SIT_LINE_START, .shape = SYN_SHAPE_LINE, .indent = "    ",
        .max_lines = 1,
    };
    static const struct attempt_callbacks cbs = {NULL, doctor_done};
    size_t waiting = 0;
    for (size_t i = 0; i < st->n_providers; i++) {
        struct doctor_row *row = &rows[i];
        const struct prov_config *c = &st->providers[i];
        row->cfg = c;
        row->done = true;
        char *why = NULL;
        char *key = doctor_key(c, &why);
        if (key)
            log_add_secret(key);
        if (!c->enabled) {
            snprintf(row->status, sizeof(row->status), "disabled");
            snprintf(row->detail, sizeof(row->detail), "\"enabled\": false in the configuration");
        } else if (!st->privacy.remote && !(c->base_url && us_url_is_loopback(c->base_url))) {
            /* The test prompt is harmless, but "local models only" means nothing leaves. */
            snprintf(row->status, sizeof(row->status), "skipped");
            snprintf(row->detail, sizeof(row->detail),
                     "remote provider; privacy.remote is false, so nothing is sent to it");
        } else if (!key && c->ops && c->ops->key_required && why) {
            snprintf(row->status, sizeof(row->status), "disabled");
            snprintf(row->detail, sizeof(row->detail), "no key: %s", why);
        } else if (!key && c->ops && c->ops->key_required) {
            snprintf(row->status, sizeof(row->status), "disabled");
            snprintf(row->detail, sizeof(row->detail), "no key: set %s%s",
                     c->api_key_file ? "the key file " : "$",
                     c->api_key_file ? c->api_key_file : c->api_key_env ? c->api_key_env : "?");
        } else {
            struct attempt_opts opts = {2000, 8000, 2000, 10000, 0};
            row->start_us = us_now_us();
            row->done = false;
            if (attempt_start(http, c, &ctx, key, &opts, &cbs, row, &row->a) < 0) {
                row->done = true;
                snprintf(row->status, sizeof(row->status), "error");
                snprintf(row->detail, sizeof(row->detail), "could not build the request");
            } else {
                waiting++;
            }
        }
        free(key);
        free(why);
    }
    while (waiting > 0) {
        uv_run(loop, UV_RUN_ONCE);
        waiting = 0;
        for (size_t i = 0; i < st->n_providers; i++)
            waiting += !rows[i].done;
    }
    int serving = 0;
    printf("%-16s %-18s %-10s %9s  %s\n", "PROVIDER", "KIND", "STATUS", "LATENCY", "DETAIL");
    for (size_t i = 0; i < st->n_providers; i++) {
        struct doctor_row *row = &rows[i];
        char lat[32] = "-";
        if (row->ms > 0)
            snprintf(lat, sizeof(lat), "%.0f ms", row->ms);
        printf("%-16s %-18s %-10s %9s  %s\n", row->cfg->name, row->cfg->kind, row->status, lat,
               row->detail);
        serving += strcmp(row->status, "ok") == 0;
    }
    printf("%-16s %-18s %-10s %9s  %s\n", "local", "local", "ok", "-",
           "snippets, symbols, words and lines; always available");
    if (st->n_providers == 0)
        printf("\nNo provider configured: only the local engine serves. See README.md for "
               "ready-to-paste provider entries.\n");
    free(rows);
    http_engine_free(http);
    uv_run(loop, UV_RUN_DEFAULT);
    size_t configured = st->n_providers;
    lsp_config_free(cfg);
    /* Exit 0 when something can serve: an AI provider, or (with none configured) local. */
    return (serving > 0 || configured == 0) ? 0 : 1;
}
