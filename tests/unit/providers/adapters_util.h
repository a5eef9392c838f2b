/* adapters_util: what the provider adapter unit tests (test_adapters*.c) share: a context with
 * every field set, config entries from JSON, and readers for request headers and bodies. */
#ifndef US_TEST_ADAPTERS_UTIL_H
#define US_TEST_ADAPTERS_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "base.h"
#include "check.h"
#include "provider.h"

static const char PREFIX[] = "import os\n\ndef greet(name):\n    msg = \"caf\xC3\xA9\"\n    return ";
static const char SUFFIX[] = "\n\nprint(greet('x'))\n";

static inline struct prov_context make_ctx(enum syn_shape shape)
{
    static const char *const names[] = {"name", "msg", "os"};
    static const struct prov_excerpt ex[] = {{"util.py", "def helper():\n    return 1\n"}};
    struct prov_context c = {
        .language = "python",
        .path = "app.py",
        .prefix = PREFIX,
        .prefix_len = sizeof(PREFIX) - 1,
        .suffix = SUFFIX,
        .suffix_len = sizeof(SUFFIX) - 1,
        .line = 4,
        .column = 11,
        .situation = SYN_SIT_CODE,
        .shape = shape,
        .indent = "    ",
        .scope_signature = "def greet(name):",
        .imports = "import os",
        .names = names,
        .n_names = 3,
        .excerpts = ex,
        .n_excerpts = 1,
        .max_lines = 8,
    };
    return c;
}

/* Parse a config entry from JSON text; the test fails if it does not validate. */
static inline struct prov_config cfg_from(const char *json)
{
    struct prov_config cfg;
    json_error_t e;
    json_t *j = json_loads(json, 0, &e);
    CHECK(j != NULL);
    char *err = NULL;
    int rc = prov_config_parse(j, &cfg, NULL, &err);
    if (rc != 0)
        fprintf(stderr, "config error: %s\n", err ? err : "?");
    CHECK_EQ_INT(rc, 0);
    free(err);
    json_decref(j);
    return cfg;
}

static inline bool has_header(const struct prov_request *r, const char *line)
{
    for (char **h = r->headers; h && *h; h++)
        if (strcmp(*h, line) == 0)
            return true;
    return false;
}

static inline bool has_header_named(const struct prov_request *r, const char *name)
{
    size_t n = strlen(name);
    for (char **h = r->headers; h && *h; h++)
        if (strncasecmp(*h, name, n) == 0 && (*h)[n] == ':')
            return true;
    return false;
}

static inline json_t *body_of(const struct prov_request *r)
{
    json_error_t e;
    CHECK(r->body != NULL);
    CHECK_EQ_INT(strlen(r->body), r->body_len);
    json_t *j = json_loadb(r->body, r->body_len, 0, &e);
    CHECK(json_is_object(j));
    return j;
}

static inline const char *jstr(json_t *o, const char *path)
{
    /* "a.b.0.c": objects by key, arrays by index */
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    json_t *cur = o;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
        cur = json_is_array(cur) ? json_array_get(cur, (size_t)atoi(tok))
                                 : json_object_get(cur, tok);
    return json_string_value(cur);
}

static inline json_t *jget(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    json_t *cur = o;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
        cur = json_is_array(cur) ? json_array_get(cur, (size_t)atoi(tok))
                                 : json_object_get(cur, tok);
    return cur;
}

static inline bool str_contains(const char *s, const char *needle)
{
    return s && strstr(s, needle) != NULL;
}

#endif
