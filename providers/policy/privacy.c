/* privacy: exclusion globs and secret masking. */
#include "privacy.h"

#include <fnmatch.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

bool privacy_path_excluded(const char *path, const char *const *patterns)
{
    if (!path || !patterns)
        return false;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (const char *const *p = patterns; *p; p++) {
        if (fnmatch(*p, base, 0) == 0 || fnmatch(*p, path, FNM_PATHNAME) == 0)
            return true;
        /* Folder patterns ("secrets/") match that folder anywhere in the path. */
        size_t n = strlen(*p);
        if (n > 1 && (*p)[n - 1] == '/') {
            char *needle = xasprintf("/%s", *p);
            bool hit = strstr(path, needle) != NULL;
            free(needle);
            if (hit)
                return true;
        }
    }
    return false;
}

/* Secret shapes, each with the regex group to mask (0: the whole match). Kept deliberately
 * specific: masking ordinary code would hurt completions. */
static const struct {
    const char *re;
    int group;
} secret_patterns[] = {
    /* PEM private key blocks, whole */
    {"-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]*-----END [A-Z ]*PRIVATE KEY-----", 0},
    /* AWS access key ids and secret assignments */
    {"(A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}", 0},
    {"aws_secret_access_key[\"']?[[:space:]]*[:=][[:space:]]*[\"']?([A-Za-z0-9/+=]{40})", 1},
    /* Provider and platform tokens */
    {"sk-(ant-|proj-)?[A-Za-z0-9_-]{20,}", 0},
    {"gh[pousr]_[A-Za-z0-9]{30,}", 0},
    {"github_pat_[A-Za-z0-9_]{30,}", 0},
    {"xox[baprs]-[A-Za-z0-9-]{10,}", 0},
    {"AIza[0-9A-Za-z_-]{35}", 0},
    {"glpat-[A-Za-z0-9_-]{20,}", 0},
    /* Bearer tokens in code or config */
    {"[Bb]earer[[:space:]]+([A-Za-z0-9._~+/=-]{20,})", 1},
    /* password / secret / token / api_key assignments with a quoted literal */
    {"([Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]|[Pp][Aa][Ss][Ss][Ww][Dd]|[Ss][Ee][Cc][Rr][Ee][Tt]|"
     "[Aa][Pp][Ii]_?[Kk][Ee][Yy]|[Tt][Oo][Kk][Ee][Nn])[A-Za-z0-9_]*[\"']?[[:space:]]*[:=]+"
     "[[:space:]]*[\"']([^\"'\n]{4,})[\"']",
     2},
};

static regex_t compiled[sizeof(secret_patterns) / sizeof(secret_patterns[0])];
static bool compiled_ok;

static void compile_once(void)
{
    if (compiled_ok)
        return;
    for (size_t i = 0; i < US_ARRAY_LEN(secret_patterns); i++)
        if (regcomp(&compiled[i], secret_patterns[i].re, REG_EXTENDED) != 0) {
            LOG_E("privacy", "internal: secret pattern %zu does not compile", i);
            abort();
        }
    compiled_ok = true;
}

int privacy_mask(struct strbuf *text)
{
    compile_once();
    int masked = 0;
    for (size_t i = 0; i < US_ARRAY_LEN(compiled); i++) {
        size_t from = 0;
        regmatch_t m[3];
        int g = secret_patterns[i].group;
        while (from < text->len &&
               regexec(&compiled[i], text->data + from, 3, m, from ? REG_NOTBOL : 0) == 0) {
            regmatch_t hit = m[g].rm_so >= 0 ? m[g] : m[0];
            if (hit.rm_eo <= hit.rm_so) {
                from += (size_t)m[0].rm_eo + 1;
                continue;
            }
            size_t a = from + (size_t)hit.rm_so, b = from + (size_t)hit.rm_eo;
            struct strbuf out;
            sb_init(&out);
            sb_add(&out, text->data, a);
            sb_adds(&out, PRIVACY_MASK);
            sb_add(&out, text->data + b, text->len - b);
            sb_release(text);
            *text = out;
            from = a + strlen(PRIVACY_MASK);
            masked++;
        }
    }
    return masked;
}

static char *masked_copy(const char *s, size_t len, size_t *out_len)
{
    struct strbuf sb;
    sb_init(&sb);
    sb_add(&sb, s, len);
    privacy_mask(&sb);
    return sb_detach(&sb, out_len);
}

struct prov_context *privacy_scrub(const struct prov_context *ctx)
{
    /* Mask into temporaries, then let prov_context_dup own the copies. */
    struct prov_context tmp = *ctx;
    size_t plen, slen;
    char *prefix = masked_copy(ctx->prefix, ctx->prefix_len, &plen);
    char *suffix = masked_copy(ctx->suffix, ctx->suffix_len, &slen);
    char *imports = ctx->imports ? masked_copy(ctx->imports, strlen(ctx->imports), NULL) : NULL;
    struct prov_excerpt *ex = NULL;
    char **ex_text = NULL;
    if (ctx->n_excerpts) {
        ex = xcalloc(ctx->n_excerpts, sizeof(*ex));
        ex_text = xcalloc(ctx->n_excerpts, sizeof(*ex_text));
        for (size_t i = 0; i < ctx->n_excerpts; i++) {
            ex[i].path = ctx->excerpts[i].path;
            ex_text[i] = masked_copy(ctx->excerpts[i].text, strlen(ctx->excerpts[i].text), NULL);
            ex[i].text = ex_text[i];
        }
    }
    tmp.prefix = prefix;
    tmp.prefix_len = plen;
    tmp.suffix = suffix;
    tmp.suffix_len = slen;
    tmp.imports = imports;
    tmp.excerpts = ex;
    struct prov_context *out = prov_context_dup(&tmp);
    free(prefix);
    free(suffix);
    free(imports);
    for (size_t i = 0; i < ctx->n_excerpts; i++)
        free(ex_text[i]);
    free(ex_text);
    free(ex);
    return out;
}
