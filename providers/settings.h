/* settings: Understudy's configuration as validated data (design.md §3). Turns one JSON object
 * into struct us_settings with defaults applied, and reports problems as messages that name
 * the source and the key (never a key's value). Knows nothing of where the JSON came from.
 * Boundary: us_settings owns its providers and lists (settings_release); the JSON it reads
 * is borrowed; warnings and error messages land in caller-owned buffers. */
#ifndef US_SETTINGS_H
#define US_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base.h"
#include "provider.h"

struct us_settings {
    struct prov_config *providers; /* in priority order */
    size_t n_providers;
    struct {
        int deadline_ms;        /* the popup's AI request (it waits popup_budget_ms) and others */
        int inline_deadline_ms; /* ghost text; follows deadline_ms when only that is set */
        int popup_budget_ms;
        int hedge_ms; /* -1 = "auto", 0 = off */
        int max_lines;
    } completion;
    struct {
        int failures;
        int cooldown_ms;
        int max_cooldown_ms;
        int probe_ms; /* while open: background probe interval (0 = only after the cooldown) */
    } breaker;
    struct {
        int entries;
        int ttl_s;
        size_t max_bytes;
    } cache;
    struct {
        bool snippets, symbols, words, lines;
        bool learn_accepted; /* accepted AI suggestions teach the line model (persisted) */
        char **snippet_dirs; /* NULL-terminated */
        int workspace_max_files;
        size_t workspace_max_bytes;
    } local;
    struct {
        bool redact_secrets;
        char **exclude; /* NULL-terminated gitignore patterns: privacy.exclude, then the lines
                           of the workspace's .understudyignore */
        bool remote;
        bool loopback_raw; /* loopback providers get unmasked text (default: masked too) */
        char *root;        /* workspace folder the patterns are relative to (not JSON: set by
                              the lsp floor from rootUri or the CLI's walk up), or NULL */
    } privacy;
    struct {
        enum log_level level;
        char *file; /* NULL: stderr */
    } log;
};

/* Built-in defaults (no providers: only the local engine serves). */
void settings_init(struct us_settings *s);
void settings_release(struct us_settings *s);

/* Validate and apply `json` (borrowed) over the defaults in s. Unknown keys add a warning;
 * wrong types or values add an error. Messages are "<source>: <key.path>: <problem>" lines
 * appended to warnings/errors. Returns 0 when there were no errors, else US_ECONFIG (s then
 * holds defaults for the bad keys). */
int settings_apply(struct us_settings *s, json_t *json, const char *source,
                   struct strbuf *warnings, struct strbuf *errors);

#endif
