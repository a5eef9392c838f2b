/* config: where configuration comes from (design.md §3): built-in defaults, the user's config
 * file, --config PATH or $UNDERSTUDY_CONFIG, LSP initializationOptions, and
 * workspace/didChangeConfiguration, later layers overriding earlier ones. The schema itself is
 * providers/settings.
 * Boundary: a loaded lsp_config is the caller's (lsp_config_free, or stolen by the server and
 * the CLI); layers and paths passed in are borrowed and copied; its settings are read-only. */
#ifndef US_CONFIG_H
#define US_CONFIG_H

#include <jansson.h>

#include "base.h"
#include "settings.h"

struct lsp_config {
    struct us_settings settings; /* the effective result of every layer */
    json_t *layers;              /* array of {"source": name, "json": object}, in order */
    char *explicit_path;         /* --config or $UNDERSTUDY_CONFIG, or NULL */
    uint64_t generation;         /* bumped by every successful recompute */
    char **ignore_patterns;      /* lines of the workspace's .understudyignore, NULL-terminated */
    char *root;                  /* the workspace folder those (and privacy.exclude) are
                                    relative to, or NULL */
    char *flag_log_level, *flag_log_file; /* --log-level / --log-file, or NULL */
};

/* Read the file layers. A missing user file is fine; an explicit path that cannot be read or
 * parsed is an error. Problems are appended to errors/warnings as "<file>: <key>: <what>" lines.
 * Returns a config (caller frees with lsp_config_free) even on error, holding what was valid,
 * and sets *rc to 0 or US_ECONFIG. */
struct lsp_config *lsp_config_load(const char *explicit_path, struct strbuf *warnings,
                                   struct strbuf *errors, int *rc);
void lsp_config_free(struct lsp_config *cfg);

/* Set (replace) the client layer named `source` ("initializationOptions" or
 * "didChangeConfiguration"); obj is borrowed. Accepts {"understudy": {...}} or the bare object.
 * Recomputes settings. Returns 0 or US_ECONFIG (errors appended). */
int lsp_config_set_layer(struct lsp_config *cfg, const char *source, json_t *obj,
                         struct strbuf *warnings, struct strbuf *errors);

/* Read the file layers again (the user file and the explicit path) after they changed on disk.
 * All or nothing: when either cannot be read, is not valid JSON or has an invalid key, nothing
 * changes, the problems are appended to errors and US_ECONFIG is returned (the last good
 * configuration stays). Else the file layers are replaced and the settings recomputed (unknown
 * keys appended to warnings); returns 0. */
int lsp_config_reload_files(struct lsp_config *cfg, struct strbuf *warnings,
                            struct strbuf *errors);

/* Make root (may be NULL) the workspace root and read root/.understudyignore: its lines join
 * privacy.exclude as written (gitignore semantics relative to root, settings.privacy.root).
 * A missing file clears them. Recomputes settings. Returns how many lines were read. */
int lsp_config_load_ignore_file(struct lsp_config *cfg, const char *root);

/* Remember --log-level / --log-file (borrowed, copied; NULL: not given). They override the
 * configuration files; a client layer that sets log.level or log.file overrides them. */
void lsp_config_set_log_flags(struct lsp_config *cfg, const char *level, const char *file);

/* Apply the effective log.level and log.file now (called after every layer change); the file
 * is reopened only when its path changed. Returns 0, US_EINVAL (a bad --log-level) or US_EIO
 * (the file cannot be opened: logging goes to stderr). */
int lsp_config_apply_log(struct lsp_config *cfg);

/* Path of the user's config file ($XDG_CONFIG_HOME/understudy/config.json or
 * ~/.config/understudy/config.json); caller frees. */
char *lsp_config_user_path(void);

#endif
