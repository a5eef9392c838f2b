/* registry: the table of provider kinds, outcome names, context copies, and the validation of
 * one "providers" entry of the configuration (provider.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "adapter_int.h"
#include "loopback.h"
#include "provider.h"

static const struct prov_ops *const all_ops[] = {
    &prov__anthropic_ops, &prov__openai_ops, &prov__openai_compat_ops, &prov__openrouter_ops,
    &prov__gemini_ops,    &prov__mistral_ops, &prov__ollama_ops,       &prov__llamacpp_ops,
};

const struct prov_ops *prov_ops_find(const char *kind)
{
    if (!kind)
        return NULL;
    for (size_t i = 0; i < US_ARRAY_LEN(all_ops); i++)
        if (strcmp(all_ops[i]->kind, kind) == 0)
            return all_ops[i];
    return NULL;
}

const char *const *prov_kind_names(void)
{
    static const char *names[US_ARRAY_LEN(all_ops) + 1];
    if (!names[0])
        for (size_t i = 0; i < US_ARRAY_LEN(all_ops); i++)
            names[i] = all_ops[i]->kind;
    return names;
}

const char *prov_outcome_name(enum prov_outcome_kind kind)
{
    switch (kind) {
#define PROV__OUT_NAME(name, text) \
    case PROV_OUT_##name:          \
        return text;
        PROV_OUTCOME_MAP(PROV__OUT_NAME)
#undef PROV__OUT_NAME
    }
    return "unknown";
}

/* ---------------------------------------------------------------- context copies */

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static char *dup_len(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    if (n)
        memcpy(d, s, n);
    d[n] = 0;
    return d;
}

struct prov_context *prov_context_dup(const struct prov_context *ctx)
{
    struct prov_context *c = xcalloc(1, sizeof(*c));
    *c = *ctx;
    c->language = dup_or_null(ctx->language);
    c->uri = dup_or_null(ctx->uri);
    c->path = dup_or_null(ctx->path);
    c->prefix = dup_len(ctx->prefix ? ctx->prefix : "", ctx->prefix ? ctx->prefix_len : 0);
    c->prefix_len = ctx->prefix ? ctx->prefix_len : 0;
    c->suffix = dup_len(ctx->suffix ? ctx->suffix : "", ctx->suffix ? ctx->suffix_len : 0);
    c->suffix_len = ctx->suffix ? ctx->suffix_len : 0;
    c->member_receiver = dup_or_null(ctx->member_receiver);
    c->indent = dup_or_null(ctx->indent);
    c->scope_signature = dup_or_null(ctx->scope_signature);
    c->imports = dup_or_null(ctx->imports);
    c->names = NULL;
    c->n_names = 0;
    if (ctx->names && ctx->n_names) {
        const char **names = xcalloc(ctx->n_names, sizeof(*names));
        for (size_t i = 0; i < ctx->n_names; i++)
            names[i] = dup_or_null(ctx->names[i]);
        c->names = names;
        c->n_names = ctx->n_names;
    }
    c->excerpts = NULL;
    c->n_excerpts = 0;
    if (ctx->excerpts && ctx->n_excerpts) {
        struct prov_excerpt *ex = xcalloc(ctx->n_excerpts, sizeof(*ex));
        for (size_t i = 0; i < ctx->n_excerpts; i++) {
            ex[i].path = dup_or_null(ctx->excerpts[i].path);
            ex[i].text = dup_or_null(ctx->excerpts[i].text);
        }
        c->excerpts = ex;
        c->n_excerpts = ctx->n_excerpts;
    }
    return c;
}

void prov_context_free(struct prov_context *c)
{
    if (!c)
        return;
    free((char *)c->language);
    free((char *)c->uri);
    free((char *)c->path);
    free((char *)c->prefix);
    free((char *)c->suffix);
    free((char *)c->member_receiver);
    free((char *)c->indent);
    free((char *)c->scope_signature);
    free((char *)c->imports);
    for (size_t i = 0; i < c->n_names; i++)
        free((char *)c->names[i]);
    free((void *)c->names);
    for (size_t i = 0; i < c->n_excerpts; i++) {
        free((char *)c->excerpts[i].path);
        free((char *)c->excerpts[i].text);
    }
    free((void *)c->excerpts);
    free(c);
}

void prov_request_release(struct prov_request *req)
{
    if (!req)
        return;
    free(req->url);
    if (req->headers)
        for (char **h = req->headers; *h; h++)
            free(*h);
    free(req->headers);
    free(req->body);
    memset(req, 0, sizeof(*req));
}

/* ---------------------------------------------------------------- configuration */

void prov_config_release(struct prov_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->name);
    free(cfg->kind);
    free(cfg->model);
    free(cfg->base_url);
    free(cfg->api_key_env);
    free(cfg->api_key_file);
    json_decref(cfg->headers);
    memset(cfg, 0, sizeof(*cfg));
}

void prov_config_copy(struct prov_config *dst, const struct prov_config *src)
{
    *dst = *src;
    dst->name = dup_or_null(src->name);
    dst->kind = dup_or_null(src->kind);
    dst->model = dup_or_null(src->model);
    dst->base_url = dup_or_null(src->base_url);
    dst->api_key_env = dup_or_null(src->api_key_env);
    dst->api_key_file = dup_or_null(src->api_key_file);
    dst->headers = src->headers ? json_deep_copy(src->headers) : NULL;
}

/* One copy per distinct `extra` object for the life of the process: configs are copied by
 * value (struct assignment), so a borrowed pointer into this table stays valid in every copy. */
static const json_t *intern_extra(json_t *x)
{
    static json_t *table;
    if (!table)
        table = json_object();
    char *key = json_dumps(x, JSON_COMPACT | JSON_SORT_KEYS);
    if (!key)
        return NULL;
    json_t *have = json_object_get(table, key);
    if (!have) {
        have = json_deep_copy(x);
        json_object_set_new(table, key, have);
    }
    free(key);
    return have;
}

/* CA file paths live as long as the process: a configuration names a few, and a by-value copy
 * of a prov_config then never dangles. Returns the interned copy of path. */
static const char *intern_path(const char *path)
{
    static char **table;
    static size_t n;
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i], path) == 0)
            return table[i];
    table = xrealloc(table, (n + 1) * sizeof(*table));
    table[n] = xstrdup(path);
    return table[n++];
}

static char *kinds_list(void)
{
    struct strbuf sb;
    sb_init(&sb);
    for (const char *const *k = prov_kind_names(); *k; k++) {
        if (sb.len)
            sb_adds(&sb, ", ");
        sb_adds(&sb, *k);
    }
    char *r = sb_detach(&sb, NULL);
    sb_release(&sb);
    return r;
}

/* A value that could be shown back to the user without risk of printing a secret pasted into
 * the wrong key: short, and made of identifier characters only. */
static bool safe_to_echo(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32)
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return false;
    return true;
}

static bool is_env_name(const char *s)
{
    if (!*s || isdigit((unsigned char)*s))
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

static bool is_header_name(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+-.^_`|~", *p))
            return false;
    return true;
}

#define FAIL(...)                          \
    do {                                   \
        *err = xasprintf(__VA_ARGS__);     \
        goto fail;                         \
    } while (0)

static int get_string(json_t *entry, const char *key, char **dst, char **err)
{
    json_t *v = json_object_get(entry, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || json_string_length(v) == 0) {
        *err = xasprintf("\"%s\" must be a non-empty string", key);
        return US_ECONFIG;
    }
    *dst = xstrdup(json_string_value(v));
    return 0;
}

int prov_config_parse(json_t *entry, struct prov_config *out, struct strbuf *warnings,
                      char **err)
{
    static const char *const known[] = {"name",         "kind",    "model",      "base_url",
                                        "api_key_env",  "api_key_file", "headers", "timeout_ms",
                                        "max_tokens",   "temperature",  "fim",     "enabled",
                                        "extra",        "ca_file",      NULL};
    char *tmp = NULL;
    memset(out, 0, sizeof(*out));
    *err = NULL;
    out->temperature = -1; /* unset: the adapter's default */
    out->enabled = true;
    if (!json_is_object(entry)) {
        *err = xstrdup("expected an object with at least \"kind\"");
        return US_ECONFIG;
    }

    const char *key;
    json_t *val;
    json_object_foreach(entry, key, val) {
        bool ok = false;
        for (int i = 0; known[i]; i++)
            if (strcmp(key, known[i]) == 0)
                ok = true;
        if (ok || !warnings)
            continue;
        if (strcasestr(key, "key") || strcasestr(key, "token") || strcasestr(key, "secret"))
            sb_addf(warnings, "unknown key \"%s\" (ignored; keys never go in the config: name "
                              "an environment variable with \"api_key_env\" or a file with "
                              "\"api_key_file\")\n", safe_to_echo(key) ? key : "?");
        else
            sb_addf(warnings, "unknown key \"%s\" (ignored)\n", safe_to_echo(key) ? key : "?");
    }

    json_t *kind = json_object_get(entry, "kind");
    if (!json_is_string(kind)) {
        tmp = kinds_list();
        FAIL("\"kind\" is required and must be one of: %s", tmp);
    }
    out->ops = prov_ops_find(json_string_value(kind));
    if (!out->ops) {
        tmp = kinds_list();
        if (safe_to_echo(json_string_value(kind)))
            FAIL("\"kind\": unknown kind \"%s\"; valid kinds: %s", json_string_value(kind), tmp);
        FAIL("\"kind\": unknown kind; valid kinds: %s", tmp);
    }
    out->kind = xstrdup(out->ops->kind);

    if (get_string(entry, "name", &out->name, err) < 0)
        goto fail;
    if (!out->name)
        out->name = xstrdup(out->kind);
    if (get_string(entry, "model", &out->model, err) < 0)
        goto fail;
    if (!out->model) {
        if (strcmp(out->kind, "mistral") == 0)
            out->model = xstrdup("codestral-latest");
        else if (strcmp(out->kind, "llamacpp") != 0 && strcmp(out->kind, "openai-compatible") != 0)
            FAIL("\"model\" is required for kind \"%s\"", out->kind);
    }

    if (get_string(entry, "base_url", &out->base_url, err) < 0)
        goto fail;
    if (out->base_url) {
        if (strncmp(out->base_url, "http://", 7) != 0 && strncmp(out->base_url, "https://", 8) != 0)
            FAIL("\"base_url\" must start with http:// or https://");
        size_t n = strlen(out->base_url);
        while (n > 0 && out->base_url[n - 1] == '/')
            out->base_url[--n] = 0;
    } else {
        out->base_url = xstrdup(out->ops->default_base_url);
    }
    if (warnings && strncmp(out->base_url, "http://", 7) == 0 && !us_url_is_loopback(out->base_url) &&
        out->ops->key_required)
        sb_addf(warnings, "\"base_url\" uses plain http to a remote host; the API key would "
                          "travel unencrypted\n");

    json_t *ke = json_object_get(entry, "api_key_env");
    if (ke && json_is_null(ke)) {
        out->api_key_env = NULL; /* explicitly none */
    } else if (ke) {
        if (!json_is_string(ke) || !is_env_name(json_string_value(ke)))
            FAIL("\"api_key_env\" must name an environment variable (letters, digits and _), "
                 "not hold the key itself");
        out->api_key_env = xstrdup(json_string_value(ke));
    } else if (out->ops->default_key_env) {
        out->api_key_env = xstrdup(out->ops->default_key_env);
    }
    if (get_string(entry, "api_key_file", &out->api_key_file, err) < 0)
        goto fail;

    json_t *h = json_object_get(entry, "headers");
    if (h && !json_is_null(h)) {
        if (!json_is_object(h))
            FAIL("\"headers\" must be an object of header names to string values");
        const char *hk;
        json_t *hv;
        json_object_foreach(h, hk, hv) {
            if (!is_header_name(hk))
                FAIL("\"headers\": invalid header name");
            if (!json_is_string(hv) || strpbrk(json_string_value(hv), "\r\n"))
                FAIL("\"headers\".\"%s\" must be a one-line string", hk);
            if (strcasecmp(hk, "authorization") == 0 || strcasecmp(hk, "x-api-key") == 0 ||
                strcasecmp(hk, "x-goog-api-key") == 0)
                FAIL("\"headers\".\"%s\": credentials never go in the config; use "
                     "\"api_key_env\" or \"api_key_file\"", hk);
        }
        out->headers = json_incref(h);
    }

    json_t *x = json_object_get(entry, "extra");
    if (x && !json_is_null(x)) {
        if (!json_is_object(x))
            FAIL("\"extra\" must be an object (merged into every request body)");
        out->extra_obj = intern_extra(x);
    }

    json_t *v;
    if ((v = json_object_get(entry, "timeout_ms"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 600000)
            FAIL("\"timeout_ms\" must be an integer from 0 to 600000");
        out->timeout_ms = (int)json_integer_value(v);
    }
    if ((v = json_object_get(entry, "max_tokens"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100000)
            FAIL("\"max_tokens\" must be an integer from 1 to 100000");
        out->max_tokens = (int)json_integer_value(v);
    }
    if ((v = json_object_get(entry, "temperature"))) {
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 2)
            FAIL("\"temperature\" must be a number from 0 to 2");
        out->temperature = json_number_value(v);
    }
    if ((v = json_object_get(entry, "fim"))) {
        if (!json_is_boolean(v))
            FAIL("\"fim\" must be true or false");
        out->fim = json_is_true(v);
        if (out->fim && strcmp(out->kind, "openai-compatible") != 0 && warnings)
            sb_addf(warnings, "\"fim\" only applies to kind \"openai-compatible\" (ignored)\n");
    }
    if ((v = json_object_get(entry, "ca_file")) && !json_is_null(v)) {
        if (!json_is_string(v) || json_string_length(v) == 0)
            FAIL("\"ca_file\" must be the path of a CA bundle (PEM)");
        /* Read here, once, so a typo is a configuration error rather than a TLS failure on
         * every keystroke. The path is the user's own, so it may be echoed. */
        FILE *f = fopen(json_string_value(v), "r");
        if (!f)
            FAIL("\"ca_file\": cannot read %.300s", json_string_value(v));
        fclose(f);
        out->ca_file = intern_path(json_string_value(v));
    }
    if ((v = json_object_get(entry, "enabled"))) {
        if (!json_is_boolean(v))
            FAIL("\"enabled\" must be true or false");
        out->enabled = json_is_true(v);
    }
    free(tmp);
    return 0;

fail:
    free(tmp);
    prov_config_release(out);
    return US_ECONFIG;
}
