/* main: command line (design.md §3): LSP on stdio by default, plus `complete` and `doctor`. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <uv.h>

#include "base.h"
#include "cli.h"
#include "config.h"
#include "logsink.h"
#include "heap_upkeep.h"
#include "loop_probe.h"
#include "server.h"
#include "syntax.h"
#include "syntax_glue.h"

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
    /* Tests that show what a completion does while a first tree is still being built slow
     * the build down (lsp/syntax_glue.h); users never need it. */
    const char *delay = getenv("UNDERSTUDY_TEST_BUILD_DELAY_MS");
    if (delay && *delay)
        syntax_glue_set_build_delay_us(strtoull(delay, NULL, 10) * 1000);
    /* curl_global_init is left to the HTTP engine, which runs it once a provider needs it and
     * after `initialize` is answered (providers/http.c): it is OpenSSL's set-up, ~2 ms. */

    struct strbuf warnings, errors;
    sb_init(&warnings);
    sb_init(&errors);
    int rc = 0;
    if (!command)
        logsink_install(); /* an editor started us: logs go to it as window/logMessage */
    struct lsp_config *cfg = lsp_config_load(config_path, &warnings, &errors, &rc);
    lsp_config_set_log_flags(cfg, log_level, log_file);
    int lrc = lsp_config_apply_log(cfg);
    if (lrc == US_EINVAL)
        fprintf(stderr, "understudy: --log-level: unknown level '%s'\n", log_level);
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
        struct loop_probe probe; /* benchmarks: UNDERSTUDY_LOOP_PROBE=file */
        loop_probe_start(loop, &probe);
        struct lsp_server *srv = lsp_server_new(loop, cfg, STDIN_FILENO, STDOUT_FILENO);
        if (!srv) {
            lsp_config_free(cfg);
            status = 1;
        } else {
            if (wrap_argv)
                lsp_server_wrap(srv, wrap_argv); /* on failure Understudy serves alone */
            status = lsp_server_run(srv);
        }
        logsink_detach(); /* before anything else may log: the server is gone */
        heap_upkeep_stop(&heap);
        loop_probe_stop(&probe);
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
