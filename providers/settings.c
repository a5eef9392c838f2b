/* settings: schema, defaults and validation of the configuration object. */
#include "settings.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char **strv_dup_list(const char *const *items)
{
    size_t n = 0;
    while (items[n])
        n++;
    char **v = xcalloc(n + 1, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = xstrdup(items[i]);
    return v;
}

static void strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

void settings_init(struct us_settings *s)
{
    static const char *const default_exclude[] = {".env*", "*.pem", "*.key", "id_rsa*", NULL};
    static const char *const none[] = {NULL};
    memset(s, 0, sizeof(*s));
    s->completion.deadline_ms = 1500;
    /* Ghost text is still welcome at 1.5-2 s, and busy providers take 0.6-1.5 s to a first
     * token (README, "Deadlines"): it gets more time than the popup's request. */
    s->completion.inline_deadline_ms = 2000;
    s->completion.popup_budget_ms = 150;
    s->completion.hedge_ms = -1;
    s->completion.max_lines = 12;
    s->breaker.failures = 3;
    s->breaker.cooldown_ms = 5000;
    s->breaker.max_cooldown_ms = 300000;
    s->breaker.probe_ms = 5000;
    s->cache.entries = 512;
    s->cache.ttl_s = 300;
    s->cache.max_bytes = 4u << 20;
    s->local.snippets = s->local.symbols = s->local.words = s->local.lines = true;
    s->local.learn_accepted = true;
    s->local.snippet_dirs = strv_dup_list(none);
    s->local.workspace_max_files = 5000;
    s->local.workspace_max_bytes = 64u << 20;
    s->privacy.redact_secrets = true;
    s->privacy.exclude = strv_dup_list(default_exclude);
    s->privacy.remote = true;
    s->privacy.loopback_raw = false;
    s->log.level = LOG_INFO;
    s->log.file = NULL;
}

static void providers_release(struct us_settings *s)
{
    for (size_t i = 0; i < s->n_providers; i++)
        prov_config_release(&s->providers[i]);
    free(s->providers);
    s->providers = NULL;
    s->n_providers = 0;
}

void settings_release(struct us_settings *s)
{
    providers_release(s);
    strv_free(s->local.snippet_dirs);
    strv_free(s->privacy.exclude);
    free(s->privacy.root);
    free(s->log.file);
    memset(s, 0, sizeof(*s));
}

/* ---- validation helpers ---- */

struct ctx {
    const char *source;
    struct strbuf *warnings, *errors;
    int nerrors;
};

static void problem(struct ctx *c, bool fatal, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void problem(struct ctx *c, bool fatal, const char *key, const char *fmt, ...)
{
    struct strbuf *out = fatal ? c->errors : c->warnings;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (out)
        sb_addf(out, "%s: %s: %s\n", c->source, key, msg);
    if (fatal)
        c->nerrors++;
}

static void get_int(struct ctx *c, json_t *obj, const char *section, const char *name, int *out,
                    int min, int max)
{
    json_t *v = json_object_get(obj, name);
    if (!v)
        return;
    char key[128];
    snprintf(key, sizeof(key), "%s.%s", section, name);
    if (!json_is_integer(v) && !(json_is_real(v) && floor(json_real_value(v)) == json_real_value(v))) {
        problem(c, true, key, "expected an integer, got %s",
                json_is_string(v) ? "a string" : json_is_boolean(v) ? "a boolean" : "another type");
        return;
    }
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : (json_int_t)json_real_value(v);
    if (n < min || n > max) {
        problem(c, true, key, "%lld is out of range (%d..%d)", (long long)n, min, max);
        return;
    }
    *out = (int)n;
}

static void get_bool(struct ctx *c, json_t *obj, const char *section, const char *name, bool *out)
{
    json_t *v = json_object_get(obj, name);
    if (!v)
        return;
    if (!json_is_boolean(v)) {
        char key[128];
        snprintf(key, sizeof(key), "%s.%s", section, name);
        problem(c, true, key, "expected true or false");
        return;
    }
    *out = json_is_true(v);
}

static void get_strv(struct ctx *c, json_t *obj, const char *section, const char *name, char ***out)
{
    json_t *v = json_object_get(obj, name);
    if (!v)
        return;
    char key[128];
    snprintf(key, sizeof(key), "%s.%s", section, name);
    if (!json_is_array(v)) {
        problem(c, true, key, "expected an array of strings");
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item)) {
            problem(c, true, key, "item %zu is not a string", i);
            return;
        }
    }
    char **strv = xcalloc(json_array_size(v) + 1, sizeof(*strv));
    json_array_foreach(v, i, item) strv[i] = xstrdup(json_string_value(item));
    strv_free(*out);
    *out = strv;
}

/* Warn about keys the section does not know; typos should not pass silently. */
static void check_known(struct ctx *c, json_t *obj, const char *section, const char *const *known)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        bool ok = false;
        for (const char *const *p = known; *p; p++)
            if (strcmp(*p, k) == 0)
                ok = true;
        if (!ok) {
            char key[160];
            snprintf(key, sizeof(key), "%s%s%s", section, *section ? "." : "", k);
            problem(c, false, key, "unknown key (ignored)");
        }
    }
}

static json_t *section(struct ctx *c, json_t *root, const char *name)
{
    json_t *v = json_object_get(root, name);
    if (v && !json_is_object(v)) {
        problem(c, true, name, "expected an object");
        return NULL;
    }
    return v;
}

static void apply_completion(struct ctx *c, struct us_settings *s, json_t *o)
{
    static const char *const known[] = {"deadline_ms", "inline_deadline_ms", "popup_budget_ms",
                                        "hedge_ms", "max_lines", NULL};
    check_known(c, o, "completion", known);
    get_int(c, o, "completion", "deadline_ms", &s->completion.deadline_ms, 50, 60000);
    /* The compatible key: a configuration that names only deadline_ms meant every request,
     * ghost text included, and keeps meaning that. */
    if (json_object_get(o, "deadline_ms") && !json_object_get(o, "inline_deadline_ms"))
        s->completion.inline_deadline_ms = s->completion.deadline_ms;
    get_int(c, o, "completion", "inline_deadline_ms", &s->completion.inline_deadline_ms, 50,
            60000);
    get_int(c, o, "completion", "popup_budget_ms", &s->completion.popup_budget_ms, 0, 10000);
    get_int(c, o, "completion", "max_lines", &s->completion.max_lines, 1, 500);
    json_t *h = json_object_get(o, "hedge_ms");
    if (json_is_string(h)) {
        if (strcmp(json_string_value(h), "auto") == 0)
            s->completion.hedge_ms = -1;
        else
            problem(c, true, "completion.hedge_ms", "expected \"auto\" or a number of ms");
    } else {
        get_int(c, o, "completion", "hedge_ms", &s->completion.hedge_ms, 0, 60000);
    }
}

static void apply_providers(struct ctx *c, struct us_settings *s, json_t *arr)
{
    if (!json_is_array(arr)) {
        problem(c, true, "providers", "expected an array of provider objects");
        return;
    }
    /* The array replaces any earlier list as a whole: priorities only make sense together. */
    struct prov_config *list = xcalloc(json_array_size(arr) + 1, sizeof(*list));
    size_t n = 0, i;
    json_t *entry;
    json_array_foreach(arr, i, entry) {
        char key[64];
        snprintf(key, sizeof(key), "providers[%zu]", i);
        char *err = NULL;
        struct strbuf warn;
        sb_init(&warn);
        if (prov_config_parse(entry, &list[n], &warn, &err) < 0) {
            problem(c, true, key, "%s", err ? err : "invalid provider entry");
        } else {
            for (size_t j = 0; j < n; j++)
                if (strcmp(list[j].name, list[n].name) == 0)
                    problem(c, false, key, "name \"%s\" is used twice; names should be unique",
                            list[n].name);
            n++;
        }
        /* Each warning line from the parser is about one key of this entry. */
        for (char *line = warn.data, *nl; line && *line; line = nl ? nl + 1 : NULL) {
            nl = strchr(line, '\n');
            if (nl)
                *nl = 0;
            if (*line)
                problem(c, false, key, "%s", line);
        }
        sb_release(&warn);
        free(err);
    }
    providers_release(s);
    s->providers = list;
    s->n_providers = n;
}

int settings_apply(struct us_settings *s, json_t *json, const char *source,
                   struct strbuf *warnings, struct strbuf *errors)
{
    static const char *const top_known[] = {"providers", "completion", "breaker", "cache", "local",
                                            "privacy", "log", NULL};
    struct ctx c = {.source = source, .warnings = warnings, .errors = errors};
    if (!json_is_object(json)) {
        problem(&c, true, "(top level)", "expected a JSON object");
        return US_ECONFIG;
    }
    check_known(&c, json, "", top_known);

    json_t *p = json_object_get(json, "providers");
    if (p)
        apply_providers(&c, s, p);

    json_t *o;
    if ((o = section(&c, json, "completion")))
        apply_completion(&c, s, o);
    if ((o = section(&c, json, "breaker"))) {
        static const char *const known[] = {"failures", "cooldown_ms", "max_cooldown_ms",
                                            "probe_ms", NULL};
        check_known(&c, o, "breaker", known);
        get_int(&c, o, "breaker", "failures", &s->breaker.failures, 1, 1000);
        get_int(&c, o, "breaker", "cooldown_ms", &s->breaker.cooldown_ms, 10, 3600000);
        get_int(&c, o, "breaker", "max_cooldown_ms", &s->breaker.max_cooldown_ms, 10, 86400000);
        get_int(&c, o, "breaker", "probe_ms", &s->breaker.probe_ms, 0, 3600000);
    }
    if ((o = section(&c, json, "cache"))) {
        static const char *const known[] = {"entries", "ttl_s", "max_bytes", NULL};
        check_known(&c, o, "cache", known);
        get_int(&c, o, "cache", "entries", &s->cache.entries, 0, 1000000);
        get_int(&c, o, "cache", "ttl_s", &s->cache.ttl_s, 0, 86400 * 30);
        int mb = (int)(s->cache.max_bytes);
        get_int(&c, o, "cache", "max_bytes", &mb, 0, 1 << 30);
        s->cache.max_bytes = (size_t)mb;
    }
    if ((o = section(&c, json, "local"))) {
        static const char *const known[] = {"snippets", "symbols", "words", "lines",
                                            "snippet_dirs", "workspace_max_files",
                                            "workspace_max_bytes", "learn_accepted", NULL};
        check_known(&c, o, "local", known);
        get_bool(&c, o, "local", "learn_accepted", &s->local.learn_accepted);
        get_bool(&c, o, "local", "snippets", &s->local.snippets);
        get_bool(&c, o, "local", "symbols", &s->local.symbols);
        get_bool(&c, o, "local", "words", &s->local.words);
        get_bool(&c, o, "local", "lines", &s->local.lines);
        get_strv(&c, o, "local", "snippet_dirs", &s->local.snippet_dirs);
        get_int(&c, o, "local", "workspace_max_files", &s->local.workspace_max_files, 0, 1000000);
        int bytes = (int)US_MIN(s->local.workspace_max_bytes, (size_t)INT32_MAX);
        get_int(&c, o, "local", "workspace_max_bytes", &bytes, 0, INT32_MAX);
        s->local.workspace_max_bytes = (size_t)bytes;
    }
    if ((o = section(&c, json, "privacy"))) {
        static const char *const known[] = {"redact_secrets", "exclude", "remote",
                                            "loopback_raw", NULL};
        check_known(&c, o, "privacy", known);
        get_bool(&c, o, "privacy", "redact_secrets", &s->privacy.redact_secrets);
        get_strv(&c, o, "privacy", "exclude", &s->privacy.exclude);
        get_bool(&c, o, "privacy", "remote", &s->privacy.remote);
        get_bool(&c, o, "privacy", "loopback_raw", &s->privacy.loopback_raw);
    }
    if ((o = section(&c, json, "log"))) {
        static const char *const known[] = {"level", "file", NULL};
        check_known(&c, o, "log", known);
        json_t *lv = json_object_get(o, "level");
        if (lv) {
            if (!json_is_string(lv) || log_parse_level(json_string_value(lv), &s->log.level) < 0)
                problem(&c, true, "log.level", "expected one of error, warn, info, debug, trace");
        }
        json_t *f = json_object_get(o, "file");
        if (f) {
            if (json_is_null(f)) {
                free(s->log.file);
                s->log.file = NULL;
            } else if (json_is_string(f)) {
                free(s->log.file);
                s->log.file = xstrdup(json_string_value(f));
            } else {
                problem(&c, true, "log.file", "expected a path or null");
            }
        }
    }
    return c.nerrors ? US_ECONFIG : 0;
}
