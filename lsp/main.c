/* main: command line (design.md §3): LSP on stdio by default, plus `complete` and `doctor`. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim */
#endif

#include <curl/curl.h>
#include <uv.h>

#include "base.h"
#include "cli.h"
#include "config.h"
#include "server.h"
#include "syntax.h"
#include "wrap.h"

static const char usage[] =
    "usage: understudy [--stdio] [--config PATH]\n"
    "       understudy complete FILE:LINE:COL [--config PATH] [--json]\n"
    "       understudy doctor [--config PATH]\n"
    "       understudy [--config PATH] --wrap -- CMD [ARGS...]\n"
    "       understudy --version | --help\n"
    "\n"
    "Speaks the Language Server Protocol on stdin/stdout (the default), giving AI code\n"
    "completions from a prioritized list of providers with failover, and local suggestions\n"
    "when every provider is down.\n"
    "\n"
    "  --stdio          speak LSP on stdin/stdout (default)\n"
    "  --config PATH    read configuration from PATH (also $UNDERSTUDY_CONFIG)\n"
    "  --log-level L    error, warn, info, debug or trace (overrides log.level)\n"
    "  --log-file PATH  append logs to PATH instead of stderr\n"
    "  complete         run one completion at FILE:LINE:COL (1-based) and print the\n"
    "                   suggestion, its source and timings; --json for machine output\n"
    "  doctor           check every configured provider and print one row each;\n"
    "                   exit status 0 if any can serve\n"
    "  --wrap -- CMD    run the language server CMD ARGS... behind Understudy: its\n"
    "                   features and Understudy's completions in one server\n"
    "  --version        print the version\n"
    "  --help           print this help\n";

/* ---- heap upkeep ----
 * glibc gives memory back to the system only from the top of a heap. What closed documents,
 * evicted syntax trees and finished requests free below live data stays resident, and so do
 * the pages of the arena a libuv worker thread filled (compiling a language's queries touches
 * ~1.5 MB and keeps ~0.1 MB of it). malloc_trim returns every whole free page of every arena.
 * It runs once the loop has had nothing to do for HEAP_QUIET_MS, and only when the heap moved
 * since the last trim: it reached a new high (documents opened, a worker's arena) or what is in
 * use fell (documents closed). Free memory that stays put is working memory: a reparse of a
 * 10,000-line file frees and takes back ~10 MB, and trimming that at every pause in typing
 * costs 15-30 ms of madvise plus the page faults of the next reparse (a first version that
 * trimmed every 250 ms of work took the bench's completion p99 from 4-8 to 12-26 ms). A loop
 * that never rests that long (a client that never pauses, a periodic timer) is looked at every
 * HEAP_TRIM_MAX_WAIT_MS. */
#define HEAP_QUIET_MS 200
#define HEAP_TRIM_MAX_WAIT_MS 5000
#define HEAP_TRIM_MIN_CHANGE (1u << 20)

struct heap_upkeep {
    uv_check_t woke;
    uv_timer_t trim;
    uint64_t busy_since;   /* loop time of the first wake-up since the last look */
    size_t high, in_use;   /* arena bytes before, and bytes in use at, the last trim */
};

static void heap_trim(uv_timer_t *t)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    struct heap_upkeep *h = t->data;
    struct mallinfo2 mi = mallinfo2(); /* a walk of the free lists: ~0.05 ms */
    size_t change = US_MAX((size_t)HEAP_TRIM_MIN_CHANGE, h->in_use / 4);
    bool higher = mi.arena > h->high + change, fell = mi.uordblks + change < h->in_use;
    if (mi.fordblks < HEAP_TRIM_MIN_CHANGE || (!higher && !fell))
        return;
    uint64_t t0 = us_now_us();
    malloc_trim(0);
    h->high = US_MAX(h->high, mi.arena);
    h->in_use = mi.uordblks;
    LOG_D("heap", "trim: %zu KiB free, %zu KiB in use, %.3f ms", mi.fordblks >> 10,
          mi.uordblks >> 10, (double)(us_now_us() - t0) / 1000.0);
#endif
}

/* Runs after every poll of the loop: each wake-up pushes the trim back by HEAP_QUIET_MS,
 * except the wake-up for the trim timer itself (due now) and once the wait hit its bound. */
static void heap_loop_woke(uv_check_t *c)
{
    struct heap_upkeep *h = c->data;
    uint64_t now = uv_now(c->loop);
    if (!uv_is_active((uv_handle_t *)&h->trim))
        h->busy_since = now;
    else if (uv_timer_get_due_in(&h->trim) == 0 || now - h->busy_since >= HEAP_TRIM_MAX_WAIT_MS)
        return;
    uv_timer_start(&h->trim, heap_trim, HEAP_QUIET_MS, 0);
}

/* Neither handle keeps the loop alive. */
static void heap_upkeep_start(uv_loop_t *loop, struct heap_upkeep *h)
{
    uv_check_init(loop, &h->woke);
    uv_timer_init(loop, &h->trim);
    h->woke.data = h->trim.data = h;
    h->high = h->in_use = 0;
    uv_check_start(&h->woke, heap_loop_woke);
    uv_unref((uv_handle_t *)&h->woke);
    uv_unref((uv_handle_t *)&h->trim);
}

/* h must stay valid until the loop ran the close callbacks. */
static void heap_upkeep_stop(struct heap_upkeep *h)
{
    uv_close((uv_handle_t *)&h->woke, NULL);
    uv_close((uv_handle_t *)&h->trim, NULL);
}

static void apply_log_settings(const struct us_settings *st, const char *level_override,
                               const char *file_override)
{
    enum log_level lv = st->log.level;
    if (level_override && log_parse_level(level_override, &lv) < 0)
        fprintf(stderr, "understudy: --log-level: unknown level '%s'\n", level_override);
    log_set_level(lv);
    const char *file = file_override ? file_override : st->log.file;
    if (file && log_set_file(file) < 0)
        fprintf(stderr, "understudy: cannot open log file %s; logging to stderr\n", file);
}

int main(int argc, char **argv)
{
    const char *config_path = NULL, *log_level = NULL, *log_file = NULL;
    const char *command = NULL;
    char **rest = xcalloc((size_t)argc + 1, sizeof(*rest));
    int nrest = 0;
    bool json_out = false;
    char **wrap_argv = NULL; /* --wrap -- CMD ARGS...: the rest of argv */

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--version") == 0) {
            printf("understudy %s\n", UNDERSTUDY_VERSION);
            free(rest);
            return 0;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            free(rest);
            return 0;
        } else if (strcmp(a, "--wrap") == 0) {
            if (i + 1 < argc && strcmp(argv[i + 1], "--") == 0)
                i++;
            if (i + 1 >= argc) {
                fprintf(stderr, "understudy: --wrap needs a command: --wrap -- CMD [ARGS...]\n");
                free(rest);
                return 2;
            }
            wrap_argv = argv + i + 1;
            break;
        } else if (strcmp(a, "--stdio") == 0) {
            /* the default */
        } else if (strcmp(a, "--json") == 0) {
            json_out = true;
        } else if (strcmp(a, "--config") == 0 || strcmp(a, "--log-level") == 0 ||
                   strcmp(a, "--log-file") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "understudy: %s needs a value\n\n%s", a, usage);
                free(rest);
                return 2;
            }
            const char *value = argv[++i];
            if (strcmp(a, "--config") == 0)
                config_path = value;
            else if (strcmp(a, "--log-level") == 0)
                log_level = value;
            else
                log_file = value;
        } else if (strncmp(a, "--config=", 9) == 0) {
            config_path = a + 9;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "understudy: unknown option %s\n\n%s", a, usage);
            free(rest);
            return 2;
        } else if (!command && (strcmp(a, "complete") == 0 || strcmp(a, "doctor") == 0)) {
            command = a;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    if (!command && nrest > 0) {
        fprintf(stderr, "understudy: unexpected argument '%s'\n\n%s", rest[0], usage);
        free(rest);
        return 2;
    }

    signal(SIGPIPE, SIG_IGN); /* a client that goes away must not kill us mid-write */
    /* Tests that compare trees raise the parse budget so a loaded machine cannot make a parse
     * give up (see grammars/syntax.h); users never need it. */
    const char *budget = getenv("UNDERSTUDY_PARSE_BUDGET_US");
    if (budget && *budget)
        syn_set_parse_budget_us(strtoull(budget, NULL, 10));
    /* curl_global_init is left to the HTTP engine, which runs it once a provider needs it and
     * after `initialize` is answered (providers/http.c): it is OpenSSL's set-up, ~2 ms. */

    struct strbuf warnings, errors;
    sb_init(&warnings);
    sb_init(&errors);
    int rc = 0;
    struct lsp_config *cfg = lsp_config_load(config_path, &warnings, &errors, &rc);
    apply_log_settings(&cfg->settings, log_level, log_file);
    if (warnings.len)
        LOG_W("config", "%.*s", (int)warnings.len - 1, warnings.data);

    int status;
    if (command) {
        /* One-shot commands: a broken configuration is an error the user must see. */
        if (rc < 0) {
            fprintf(stderr, "understudy: configuration error:\n%s", errors.data);
            status = 2;
            lsp_config_free(cfg);
        } else if (strcmp(command, "complete") == 0) {
            status = cli_complete(cfg, nrest, rest, json_out);
        } else {
            status = cli_doctor(cfg, nrest, rest);
        }
    } else {
        /* An editor started us: keep serving with whatever part of the configuration is
         * valid, and say what was wrong (logged now, shown to the user after initialize). */
        if (rc < 0)
            LOG_E("config", "%.*s", (int)errors.len - 1, errors.data);
        uv_loop_t *loop = uv_default_loop();
        struct heap_upkeep heap;
        heap_upkeep_start(loop, &heap);
        struct lsp_server *srv = lsp_server_new(loop, cfg, STDIN_FILENO, STDOUT_FILENO);
        if (!srv) {
            lsp_config_free(cfg);
            status = 1;
        } else {
            if (wrap_argv)
                wrap_start(srv, wrap_argv); /* on failure Understudy serves alone */
            status = lsp_server_run(srv);
        }
        heap_upkeep_stop(&heap);
        uv_run(loop, UV_RUN_DEFAULT); /* the close callbacks */
        uv_loop_close(loop);
    }
    sb_release(&warnings);
    sb_release(&errors);
    free(rest);
    curl_global_cleanup(); /* a no-op when curl was never set up */
    log_set_file(NULL);
    return status;
}
