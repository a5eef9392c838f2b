/* config: configuration layers and their merge. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"

char *lsp_config_user_path(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg)
        return xasprintf("%s/understudy/config.json", xdg);
    const char *home = getenv("HOME");
    return xasprintf("%s/.config/understudy/config.json", home && *home ? home : ".");
}

/* Recompute settings from defaults and every layer. Each layer is validated on its own so a
 * message names the file (or LSP message) the bad key came from. */
static int recompute(struct lsp_config *cfg, struct strbuf *warnings, struct strbuf *errors)
{
    struct us_settings next;
    settings_init(&next);
    int rc = 0;
    size_t i;
    json_t *layer;
    json_array_foreach(cfg->layers, i, layer) {
        const char *source = json_string_value(json_object_get(layer, "source"));
        if (settings_apply(&next, json_object_get(layer, "json"), source, warnings, errors) < 0)
            rc = US_ECONFIG;
    }
    /* Workspace ignore patterns add to whatever exclude list the layers produced. */
    size_t n = 0, m = 0;
    while (next.privacy.exclude && next.privacy.exclude[n])
        n++;
    while (cfg->ignore_patterns && cfg->ignore_patterns[m])
        m++;
    if (m) {
        next.privacy.exclude = xrealloc(next.privacy.exclude, (n + m + 1) * sizeof(char *));
        for (size_t k = 0; k < m; k++)
            next.privacy.exclude[n + k] = xstrdup(cfg->ignore_patterns[k]);
        next.privacy.exclude[n + m] = NULL;
    }
    /* Both lists are gitignore patterns relative to the workspace root. */
    next.privacy.root = cfg->root ? xstrdup(cfg->root) : NULL;
    settings_release(&cfg->settings);
    cfg->settings = next;
    cfg->generation++;
    return rc;
}

int lsp_config_load_ignore_file(struct lsp_config *cfg, const char *root)
{
    for (char **p = cfg->ignore_patterns; p && *p; p++)
        free(*p);
    free(cfg->ignore_patterns);
    cfg->ignore_patterns = NULL;
    free(cfg->root);
    cfg->root = root && *root ? xstrdup(root) : NULL;
    size_t n = 0;
    if (cfg->root) {
        char *path = xasprintf("%s/.understudyignore", root);
        struct strbuf text;
        sb_init(&text);
        int rc = us_read_file(path, 1u << 20, &text, NULL);
        if (rc < 0 && rc != US_ENOENT)
            LOG_W("config", "%s: %s; its patterns are not applied", path, us_strerror(rc));
        /* Lines are kept as written: gitignore semantics relative to the root ("/vault/",
         * "config/secrets.py", "!keep.env") are the matcher's job (providers/local/ignore.h),
         * the same as for privacy.exclude. */
        for (size_t pos = 0; rc == 0 && pos < text.len;) {
            const char *nl = memchr(text.data + pos, '\n', text.len - pos);
            size_t end = nl ? (size_t)(nl - text.data) : text.len;
            size_t len = end - pos;
            if (len && text.data[pos + len - 1] == '\r')
                len--;
            if (len && text.data[pos] != '#') {
                cfg->ignore_patterns = xrealloc(cfg->ignore_patterns, (n + 2) * sizeof(char *));
                cfg->ignore_patterns[n++] = xstrndup(text.data + pos, len);
                cfg->ignore_patterns[n] = NULL;
            }
            pos = end + 1;
        }
        sb_release(&text);
        free(path);
    }
    struct strbuf w, e;
    sb_init(&w);
    sb_init(&e);
    recompute(cfg, &w, &e);
    sb_release(&w);
    sb_release(&e);
    return (int)n;
}

static void add_layer(struct lsp_config *cfg, const char *source, json_t *obj)
{
    json_array_append_new(cfg->layers, json_pack("{s:s, s:O}", "source", source, "json", obj));
}

static int load_file(struct lsp_config *cfg, const char *path, bool must_exist,
                     struct strbuf *errors)
{
    json_error_t jerr;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (!must_exist && errno == ENOENT)
            return 0;
        sb_addf(errors, "%s: cannot read the configuration file: %s\n", path, strerror(errno));
        return US_ECONFIG;
    }
    json_t *obj = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    fclose(f);
    if (!obj) {
        sb_addf(errors, "%s:%d:%d: not valid JSON: %s\n", path, jerr.line, jerr.column, jerr.text);
        return US_ECONFIG;
    }
    add_layer(cfg, path, obj);
    json_decref(obj);
    return 0;
}

struct lsp_config *lsp_config_load(const char *explicit_path, struct strbuf *warnings,
                                   struct strbuf *errors, int *rc)
{
    struct lsp_config *cfg = xcalloc(1, sizeof(*cfg));
    settings_init(&cfg->settings);
    cfg->layers = json_array();
    *rc = 0;

    char *user = lsp_config_user_path();
    if (load_file(cfg, user, false, errors) < 0)
        *rc = US_ECONFIG;
    free(user);

    const char *env = getenv("UNDERSTUDY_CONFIG");
    const char *path = explicit_path ? explicit_path : (env && *env ? env : NULL);
    if (path) {
        cfg->explicit_path = xstrdup(path);
        if (load_file(cfg, path, true, errors) < 0)
            *rc = US_ECONFIG;
    }
    if (recompute(cfg, warnings, errors) < 0)
        *rc = US_ECONFIG;
    return cfg;
}

/* A file layer as it would load now: *out is the object (new reference) or NULL when an
 * optional file is missing. */
static int read_file_layer(const char *path, bool must_exist, json_t **out, struct strbuf *errors)
{
    struct lsp_config tmp = {0};
    tmp.layers = json_array();
    int rc = load_file(&tmp, path, must_exist, errors);
    json_t *layer = json_array_get(tmp.layers, 0);
    *out = layer ? json_incref(json_object_get(layer, "json")) : NULL;
    json_decref(tmp.layers);
    return rc;
}

static bool is_file_layer(const struct lsp_config *cfg, const char *source, const char *user)
{
    return strcmp(source, user) == 0 ||
           (cfg->explicit_path && strcmp(source, cfg->explicit_path) == 0);
}

int lsp_config_reload_files(struct lsp_config *cfg, struct strbuf *warnings,
                            struct strbuf *errors)
{
    char *user = lsp_config_user_path();
    json_t *fresh[2] = {NULL, NULL};
    const char *paths[2] = {user, cfg->explicit_path};
    int rc = 0;
    /* Read and check both files on their own before anything changes. */
    for (int i = 0; i < 2 && rc == 0; i++) {
        if (!paths[i])
            continue;
        rc = read_file_layer(paths[i], i == 1, &fresh[i], errors);
        if (rc == 0 && fresh[i]) {
            struct us_settings probe;
            settings_init(&probe);
            struct strbuf w;
            sb_init(&w);
            if (settings_apply(&probe, fresh[i], paths[i], &w, errors) < 0)
                rc = US_ECONFIG;
            sb_release(&w);
            settings_release(&probe);
        }
    }
    if (rc == 0) {
        /* Replace the file layers (they come first, before the client's) and recompute. */
        json_t *layers = json_array();
        for (int i = 0; i < 2; i++)
            if (fresh[i])
                json_array_append_new(layers, json_pack("{s:s, s:O}", "source", paths[i],
                                                        "json", fresh[i]));
        size_t i;
        json_t *layer;
        json_array_foreach(cfg->layers, i, layer) {
            if (!is_file_layer(cfg, json_string_value(json_object_get(layer, "source")), user))
                json_array_append(layers, layer);
        }
        json_decref(cfg->layers);
        cfg->layers = layers;
        recompute(cfg, warnings, errors);
    }
    json_decref(fresh[0]);
    json_decref(fresh[1]);
    free(user);
    return rc;
}

void lsp_config_free(struct lsp_config *cfg)
{
    if (!cfg)
        return;
    settings_release(&cfg->settings);
    json_decref(cfg->layers);
    free(cfg->explicit_path);
    for (char **p = cfg->ignore_patterns; p && *p; p++)
        free(*p);
    free(cfg->ignore_patterns);
    free(cfg->root);
    free(cfg->flag_log_level);
    free(cfg->flag_log_file);
    free(cfg);
}

int lsp_config_set_layer(struct lsp_config *cfg, const char *source, json_t *obj,
                         struct strbuf *warnings, struct strbuf *errors)
{
    if (json_is_object(obj)) {
        /* Clients wrap settings in their section name; accept both shapes. */
        json_t *inner = json_object_get(obj, "understudy");
        if (json_is_object(inner))
            obj = inner;
    }
    size_t i;
    json_t *layer;
    json_array_foreach(cfg->layers, i, layer) {
        if (strcmp(json_string_value(json_object_get(layer, "source")), source) == 0) {
            json_array_remove(cfg->layers, i);
            break;
        }
    }
    if (obj && !json_is_null(obj)) {
        if (!json_is_object(obj)) {
            sb_addf(errors, "%s: (top level): expected a JSON object\n", source);
            return US_ECONFIG;
        }
        add_layer(cfg, source, obj);
    }
    return recompute(cfg, warnings, errors);
}

/* Did a client layer (initializationOptions, didChangeConfiguration) set log.<key>? */
static bool client_layer_sets_log(const struct lsp_config *cfg, const char *key)
{
    size_t i;
    json_t *layer;
    json_array_foreach(cfg->layers, i, layer) {
        const char *src = json_string_value(json_object_get(layer, "source"));
        json_t *log = json_object_get(json_object_get(layer, "json"), "log");
        if (src && (strcmp(src, "initializationOptions") == 0 ||
                    strcmp(src, "didChangeConfiguration") == 0) &&
            json_object_get(log, key))
            return true;
    }
    return false;
}

void lsp_config_set_log_flags(struct lsp_config *cfg, const char *level, const char *file)
{
    free(cfg->flag_log_level);
    free(cfg->flag_log_file);
    cfg->flag_log_level = level ? xstrdup(level) : NULL;
    cfg->flag_log_file = file ? xstrdup(file) : NULL;
}

int lsp_config_apply_log(struct lsp_config *cfg)
{
    static char *current; /* the file the log goes to now, NULL: stderr */
    const struct us_settings *st = &cfg->settings;
    enum log_level lv = st->log.level;
    int rc = 0;
    if (cfg->flag_log_level && !client_layer_sets_log(cfg, "level") &&
        log_parse_level(cfg->flag_log_level, &lv) < 0) {
        lv = st->log.level;
        rc = US_EINVAL;
    }
    log_set_level(lv);
    const char *file = st->log.file;
    if (cfg->flag_log_file && !client_layer_sets_log(cfg, "file"))
        file = cfg->flag_log_file;
    if ((file == NULL) != (current == NULL) || (file && strcmp(file, current) != 0)) {
        free(current);
        current = NULL;
        if (file && log_set_file(file) < 0) {
            log_set_file(NULL);
            LOG_W("config", "cannot open the log file %s; logging to stderr", file);
            rc = US_EIO;
        } else {
            if (!file)
                log_set_file(NULL);
            current = file ? xstrdup(file) : NULL;
        }
    }
    return rc;
}
