/* privacy_catalog: the secret shapes we know by their prefix, and the names that mark a secret.
 * Written from the vendors' documented token formats and the rule families of gitleaks,
 * detect-secrets and trufflehog (read, not copied). A rule is a literal prefix, a body class and
 * a length range; structured shapes (JWT, PEM, URLs, Discord, Telegram) live in privacy.c. */
#include "privacy_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define R(p, cs, lo, hi, ty, fl) {p, cs, lo, hi, PRIVACY_##ty, fl}

const struct privacy__rule privacy__rules[] = {
    /* AI providers */
    R("sk-ant-", CS_B64URL, 20, 250, ANTHROPIC, 0),
    R("sk-proj-", CS_B64URL, 20, 250, OPENAI, 0),
    R("sk-svcacct-", CS_B64URL, 20, 250, OPENAI, 0),
    R("sk-admin-", CS_B64URL, 20, 250, OPENAI, 0),
    R("sk-", CS_B64URL, 32, 250, OPENAI, PR_MIXED | PR_DIGIT),
    R("gsk_", CS_ALNUM, 40, 64, API_TOKEN, 0),       /* Groq */
    R("pplx-", CS_ALNUM, 40, 64, API_TOKEN, 0),      /* Perplexity */
    R("xai-", CS_ALNUM, 60, 100, API_TOKEN, 0),      /* xAI */
    R("r8_", CS_ALNUM, 30, 45, API_TOKEN, PR_MIXED), /* Replicate */
    R("nvapi-", CS_B64URL, 60, 80, API_TOKEN, 0),    /* NVIDIA */
    R("tvly-", CS_ALNUM, 30, 50, API_TOKEN, 0),      /* Tavily */
    R("lsv2_pt_", CS_ALNUM_US, 40, 80, API_TOKEN, 0),/* LangSmith */
    R("lsv2_sk_", CS_ALNUM_US, 40, 80, API_TOKEN, 0),
    R("hf_", CS_ALNUM, 30, 40, HUGGINGFACE, PR_MIXED),
    R("api_org_", CS_ALNUM, 30, 40, HUGGINGFACE, PR_MIXED),
    /* Cloud */
    R("AKIA", CS_UPPER_ALNUM, 16, 16, AWS_ACCESS, 0),
    R("ASIA", CS_UPPER_ALNUM, 16, 16, AWS_ACCESS, 0),
    R("ABIA", CS_UPPER_ALNUM, 16, 16, AWS_ACCESS, 0),
    R("ACCA", CS_UPPER_ALNUM, 16, 16, AWS_ACCESS, 0),
    R("A3T", CS_UPPER_ALNUM, 17, 17, AWS_ACCESS, 0),
    R("AIza", CS_B64URL, 35, 35, GOOGLE, 0),
    R("GOCSPX-", CS_B64URL, 24, 40, GOOGLE, 0),     /* OAuth client secret */
    R("ya29.", CS_B64URL_DOT, 30, 2048, GOOGLE, 0), /* OAuth access token */
    R("AccountKey=", CS_B64, 80, 100, AZURE, PR_KEEP_PREFIX),
    R("SharedAccessKey=", CS_B64, 40, 100, AZURE, PR_KEEP_PREFIX),
    R("dop_v1_", CS_HEX, 64, 64, DIGITALOCEAN, 0),
    R("doo_v1_", CS_HEX, 64, 64, DIGITALOCEAN, 0),
    R("dor_v1_", CS_HEX, 64, 64, DIGITALOCEAN, 0),
    R("AKID", CS_ALNUM, 32, 32, API_TOKEN, 0),          /* Tencent */
    R("LTAI", CS_ALNUM, 16, 28, API_TOKEN, PR_MIXED),   /* Alibaba */
    R("dapi", CS_HEX, 32, 32, API_TOKEN, 0),            /* Databricks */
    R("hvs.", CS_B64URL, 90, 200, API_TOKEN, 0),        /* Vault */
    R("hvb.", CS_B64URL, 90, 250, API_TOKEN, 0),
    R("HRKU-", CS_B64URL, 30, 70, API_TOKEN, 0),        /* Heroku */
    R("fo1_", CS_B64URL, 40, 50, API_TOKEN, 0),         /* Fly.io */
    R("sbp_", CS_HEX, 40, 40, API_TOKEN, 0),            /* Supabase */
    R("rnd_", CS_ALNUM, 30, 40, API_TOKEN, 0),          /* Render */
    R("nfp_", CS_ALNUM, 36, 40, API_TOKEN, 0),          /* Netlify */
    R("pul-", CS_HEX, 40, 40, API_TOKEN, 0),            /* Pulumi */
    R("pscale_tkn_", CS_B64URL, 32, 64, API_TOKEN, 0),  /* PlanetScale */
    R("pscale_pw_", CS_B64URL, 32, 64, API_TOKEN, 0),
    R("dp.pt.", CS_ALNUM, 40, 50, API_TOKEN, 0),        /* Doppler */
    R("dp.st.", CS_ALNUM_US, 40, 60, API_TOKEN, 0),
    /* Code hosting and registries */
    R("ghp_", CS_ALNUM, 30, 40, GITHUB, 0),
    R("gho_", CS_ALNUM, 30, 40, GITHUB, 0),
    R("ghu_", CS_ALNUM, 30, 40, GITHUB, 0),
    R("ghs_", CS_ALNUM, 30, 40, GITHUB, 0),
    R("ghr_", CS_ALNUM, 30, 80, GITHUB, 0),
    R("github_pat_", CS_ALNUM_US, 30, 100, GITHUB, 0),
    R("glpat-", CS_B64URL, 20, 64, GITLAB, 0),
    R("gldt-", CS_B64URL, 20, 64, GITLAB, 0),
    R("glrt-", CS_B64URL, 20, 64, GITLAB, 0),
    R("glptt-", CS_B64URL, 20, 64, GITLAB, 0),
    R("glsoat-", CS_B64URL, 20, 64, GITLAB, 0),
    R("glcbt-", CS_B64URL, 20, 64, GITLAB, 0),
    R("glft-", CS_B64URL, 20, 64, GITLAB, 0),
    R("GR1348941", CS_B64URL, 20, 64, GITLAB, 0),       /* runner registration */
    R("npm_", CS_ALNUM, 36, 36, NPM, 0),
    R("pypi-AgEIcHlwaS5vcmc", CS_B64URL, 50, 1000, PYPI, 0),
    R("pypi-AgENdGVzdC5weXBpLm9yZw", CS_B64URL, 50, 1000, PYPI, 0),
    R("rubygems_", CS_HEX, 48, 48, API_TOKEN, 0),
    R("dckr_pat_", CS_B64URL, 27, 40, API_TOKEN, 0),    /* Docker Hub */
    R("oy2", CS_ALNUM, 43, 43, API_TOKEN, PR_DIGIT),    /* NuGet */
    R("AKCp", CS_ALNUM, 69, 80, API_TOKEN, 0),          /* JFrog */
    /* Chat and mail */
    R("xoxb-", CS_B64URL, 10, 250, SLACK, 0),
    R("xoxp-", CS_B64URL, 10, 250, SLACK, 0),
    R("xoxa-", CS_B64URL, 10, 250, SLACK, 0),
    R("xoxo-", CS_B64URL, 10, 250, SLACK, 0),
    R("xoxr-", CS_B64URL, 10, 250, SLACK, 0),
    R("xoxs-", CS_B64URL, 10, 250, SLACK, 0),
    R("xoxe.xoxp-", CS_B64URL, 10, 250, SLACK, 0),
    R("xoxe-", CS_B64URL, 10, 250, SLACK, 0),
    R("xapp-", CS_B64URL, 20, 250, SLACK, 0),
    R("hooks.slack.com/services/", CS_URLPATH, 20, 200, WEBHOOK, PR_KEEP_PREFIX),
    R("hooks.slack.com/workflows/", CS_URLPATH, 20, 200, WEBHOOK, PR_KEEP_PREFIX),
    R("hooks.slack.com/triggers/", CS_URLPATH, 20, 200, WEBHOOK, PR_KEEP_PREFIX),
    R("discord.com/api/webhooks/", CS_URLPATH, 20, 200, WEBHOOK, PR_KEEP_PREFIX),
    R("discordapp.com/api/webhooks/", CS_URLPATH, 20, 200, WEBHOOK, PR_KEEP_PREFIX),
    R("webhook.office.com/webhookb2/", CS_URLPATH, 20, 300, WEBHOOK, PR_KEEP_PREFIX),
    R("hooks.zapier.com/hooks/catch/", CS_URLPATH, 8, 100, WEBHOOK, PR_KEEP_PREFIX),
    R("SG.", CS_B64URL_DOT, 60, 80, SENDGRID, 0),
    R("key-", CS_ALNUM, 32, 32, MAILGUN, PR_DIGIT),
    R("SK", CS_HEX, 32, 32, TWILIO, PR_DIGIT),
    R("ntn_", CS_ALNUM, 40, 50, API_TOKEN, 0),          /* Notion */
    R("secret_", CS_ALNUM, 43, 43, API_TOKEN, PR_DIGIT),
    R("lin_api_", CS_ALNUM, 40, 40, API_TOKEN, 0),      /* Linear */
    R("PMAK-", CS_B64URL, 55, 65, API_TOKEN, 0),        /* Postman */
    R("ATATT3", CS_B64URL_EQ, 150, 250, API_TOKEN, 0),  /* Atlassian */
    R("figd_", CS_B64URL, 40, 50, API_TOKEN, 0),        /* Figma */
    R("CFPAT-", CS_B64URL, 43, 43, API_TOKEN, 0),       /* Contentful */
    R("pnu_", CS_ALNUM, 36, 36, API_TOKEN, 0),          /* Prefect */
    /* Payments, commerce, monitoring */
    R("sk_live_", CS_ALNUM, 16, 250, STRIPE, 0),
    R("sk_test_", CS_ALNUM, 16, 250, STRIPE, 0),
    R("rk_live_", CS_ALNUM, 16, 250, STRIPE, 0),
    R("rk_test_", CS_ALNUM, 16, 250, STRIPE, 0),
    R("whsec_", CS_ALNUM, 24, 100, STRIPE, 0),
    R("sq0atp-", CS_B64URL, 22, 22, API_TOKEN, 0),      /* Square */
    R("sq0csp-", CS_B64URL, 43, 43, API_TOKEN, 0),
    R("EAAA", CS_B64URL, 60, 60, API_TOKEN, PR_MIXED),
    R("access_token$production$", CS_B64URL_DOLLAR, 40, 60, API_TOKEN, 0), /* Braintree */
    R("shippo_live_", CS_HEX, 40, 40, API_TOKEN, 0),
    R("EZAK", CS_ALNUM, 54, 54, API_TOKEN, 0),          /* EasyPost */
    R("shpat_", CS_HEX, 32, 32, SHOPIFY, 0),
    R("shpca_", CS_HEX, 32, 32, SHOPIFY, 0),
    R("shppa_", CS_HEX, 32, 32, SHOPIFY, 0),
    R("shpss_", CS_HEX, 32, 32, SHOPIFY, 0),
    R("NRAK-", CS_UPPER_ALNUM, 27, 27, API_TOKEN, 0),   /* New Relic */
    R("glc_", CS_B64, 32, 400, API_TOKEN, 0),           /* Grafana */
    R("glsa_", CS_ALNUM_US, 40, 50, API_TOKEN, 0),
    R("sntrys_", CS_B64URL_EQ, 50, 400, API_TOKEN, 0),  /* Sentry */
    R("sntryu_", CS_HEX, 64, 64, API_TOKEN, 0),
    R("sk.eyJ", CS_B64URL_DOT, 60, 400, API_TOKEN, 0),  /* Mapbox secret */
    R("ops_eyJ", CS_B64URL_EQ, 100, 2000, API_TOKEN, 0),/* 1Password service account */
    /* Keys that are not PEM */
    R("AGE-SECRET-KEY-1", CS_UPPER_ALNUM, 58, 58, PRIVATE_KEY, 0),
};
const size_t privacy__n_rules = sizeof(privacy__rules) / sizeof(privacy__rules[0]);

uint16_t privacy__cs[256];

static void init_classes(void)
{
    for (int c = 0; c < 256; c++) {
        bool up = c >= 'A' && c <= 'Z', lo = c >= 'a' && c <= 'z', dg = c >= '0' && c <= '9';
        bool an = up || lo || dg;
        uint16_t m = 0;
        if (an)
            m |= CS_ALNUM | CS_ALNUM_US | CS_B64URL | CS_B64 | CS_B64URL_DOT | CS_URLPATH |
                 CS_B64URL_EQ | CS_TOKEN68 | CS_B64URL_DOLLAR;
        if (up || dg)
            m |= CS_UPPER_ALNUM;
        if (dg || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
            m |= CS_HEX;
        if (c == '_')
            m |= CS_ALNUM_US | CS_B64URL | CS_B64URL_DOT | CS_URLPATH | CS_B64URL_EQ |
                 CS_TOKEN68 | CS_B64URL_DOLLAR;
        if (c == '-')
            m |= CS_B64URL | CS_B64URL_DOT | CS_URLPATH | CS_B64URL_EQ | CS_TOKEN68 |
                 CS_B64URL_DOLLAR;
        if (c == '+' || c == '/')
            m |= CS_B64 | CS_TOKEN68;
        if (c == '=')
            m |= CS_B64 | CS_B64URL_EQ | CS_TOKEN68;
        if (c == '.')
            m |= CS_B64URL_DOT | CS_TOKEN68 | CS_URLPATH;
        if (c == '~')
            m |= CS_TOKEN68;
        if (c == '/' || c == '@' || c == '%')
            m |= CS_URLPATH;
        if (c == '$')
            m |= CS_B64URL_DOLLAR;
        privacy__cs[c] = m;
    }
}

static pthread_once_t catalog_once = PTHREAD_ONCE_INIT;

static void sort_lists(void);

static void init_catalog(void)
{
    init_classes();
    sort_lists();
}

void privacy__catalog_init(void) { pthread_once(&catalog_once, init_catalog); }

/* ------------------------------------------------------------------ names */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

#define LIST_LEN(a) (sizeof(a) / sizeof(a[0]) - 1) /* without the NULL */

/* The stop lists are sorted once (catalog init) and searched by bisection. */
static bool in_sorted(const char *w, const char **list, size_t n)
{
    return bsearch(&w, list, n, sizeof *list, cmp_str) != NULL;
}

static bool in_list(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(w, *list) == 0)
            return true;
    return false;
}

/* Last words that make a name about a secret rather than the secret itself. */
static const char *stop_last[] = {
    "field", "fields", "label", "labels", "prompt", "hint", "placeholder", "message", "msg",
    "text", "title", "error", "errors", "err", "length", "len", "min", "max", "count", "policy",
    "regex", "re", "pattern", "rule", "rules", "name", "names", "path", "file", "filename",
    "dir", "env", "var", "variable", "type", "types", "kind", "id", "ids", "url", "uri",
    "endpoint", "header", "param", "params", "column", "col", "format", "fmt", "size", "expiry",
    "expires", "expiration", "expired", "ttl", "timeout", "lifetime", "age", "mode", "enabled",
    "required", "input", "widget", "class", "style", "changed", "strength", "validator",
    "check", "util", "utils", "helper", "manager", "service", "provider", "factory", "cache",
    "location", "source", "scope", "scopes", "limit", "limits", "usage", "prefix", "suffix",
    "index", "idx", "chars", "list", "map", "dict", "table", "help", "description", "desc",
    "doc", "button", "btn", "link", "view", "form", "page", "template", "box", "dialog",
    "modal", "screen", "route", "handler", "callback", "fn", "func", "method", "schema",
    "model", "serializer", "spec", "test", "tests", "mock", "stub", "level", "valid", "visible",
    "visibility", "status", "state", "flag", "attr", "attribute", "prop", "property",
    "encoding", "algorithm", "alg", "digest", "storage", "store", "repo", "client", "count",
    "counter", "reset", "version", "metadata", "info", "options", "opts", "config", "cfg",
    "settings", "request", "response", "resp", "req", "result", "parser", "reader", "writer",
    "generator", "exists", "ok", "required", "policy", "placeholder", "command", "cmd", "var",
    "stdin", "hash", "hashed", "hasher", "bytes", "kwargs", "args", "arg", "option",
    "identifier", "identifiers", NULL};

/* First words of predicates, verbs and counts ("is_password", "get_token", "num_secrets"). */
static const char *stop_first[] = {
    "is", "has", "use", "show", "hide", "enable", "disable", "allow", "require", "needs",
    "validate", "verify", "check", "get", "set", "num", "max", "min", "no", "should", "can",
    "must", "toggle", "forgot", "handle", "on", "parse", "load", "fetch", "read", "generate",
    "gen", "create", "update", "count", "total", "n", "with", "without", "invalid", "missing",
    "expected", NULL};

/* Words before "key" that make it a credential ("access_key", "signing_key"). */
static const char *const key_owners[] = {
    "api", "access", "secret", "private", "signing", "encryption", "encrypt", "master",
    "client", "app", "license", "account", "subscription", "auth", "consumer", "webhook",
    "session", "admin", "jwt", "hmac", "service", "storage", "shared", "write", "deploy",
    "ssh", "gpg", "pgp", "crypt", "cipher", "aes", "sign", NULL};

static void sort_lists(void)
{
    qsort(stop_last, LIST_LEN(stop_last), sizeof *stop_last, cmp_str);
    qsort(stop_first, LIST_LEN(stop_first), sizeof *stop_first, cmp_str);
}

/* a first-letter test saves most calls: names rarely share a keyword's first letter */
#define EQ(p, lit) ((p)[0] == (lit)[0] && strcmp((p), (lit)) == 0)

#define MAX_PARTS 12
#define MAX_PART 40

/* Split a name into lower-case words at '_', '-', '.', ' ', '$', ':', '/' and camelCase
 * humps ("dbPassword", "APIKey" -> "api", "key"). Returns the count; *all_upper tells whether
 * the name had no lower-case letter (env-var style). */
static int split_name(const char *s, size_t n, char parts[MAX_PARTS][MAX_PART + 1],
                      bool *all_upper)
{
    int np = 0;
    size_t i = 0;
    *all_upper = true;
    while (i < n && np < MAX_PARTS) {
        while (i < n && !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                          (s[i] >= '0' && s[i] <= '9')))
            i++;
        if (i >= n)
            break;
        size_t st = i, k = 0;
        while (i < n) {
            char c = s[i];
            bool up = c >= 'A' && c <= 'Z', lo = c >= 'a' && c <= 'z', dg = c >= '0' && c <= '9';
            if (!up && !lo && !dg)
                break;
            if (lo)
                *all_upper = false;
            if (i > st && up) {
                char p = s[i - 1];
                bool plo = (p >= 'a' && p <= 'z') || (p >= '0' && p <= '9');
                bool next_lo = i + 1 < n && s[i + 1] >= 'a' && s[i + 1] <= 'z';
                bool pup = p >= 'A' && p <= 'Z';
                if (plo || (pup && next_lo))
                    break;
            }
            if (k < MAX_PART)
                parts[np][k++] = (char)(up ? c - 'A' + 'a' : c);
            i++;
        }
        parts[np][k] = 0;
        np++;
    }
    return np;
}

static int classify_parts(char parts[MAX_PARTS][MAX_PART + 1], int np, bool all_upper,
                          enum privacy_type *type);

int privacy__name_class(const char *name, size_t n, enum privacy_type *type)
{
    char parts[MAX_PARTS][MAX_PART + 1];
    bool all_upper;
    if (n == 0 || n > 128)
        return NAME_NONE;
    int np = split_name(name, n, parts, &all_upper);
    if (np == 0)
        return NAME_NONE;
    int cls = classify_parts(parts, np, all_upper, type);
    /* the stop lists are long: consult them only for a name that looked like a secret */
    if (cls && (in_sorted(parts[np - 1], stop_last, LIST_LEN(stop_last)) ||
                (np > 1 && in_sorted(parts[0], stop_first, LIST_LEN(stop_first)))))
        return NAME_NONE;
    return cls;
}

static int classify_parts(char parts[MAX_PARTS][MAX_PART + 1], int np, bool all_upper,
                          enum privacy_type *type)
{
    int weak = 0;
    for (int i = 0; i < np; i++) {
        const char *p = parts[i];
        /* most names hold no keyword: a first letter no keyword starts with and no 'p' (for
         * "dbpassword") settle it without a string compare */
        if (!p[0] || (!strchr("pscatbkhdln", p[0]) && !strchr(p + 1, 'p')))
            continue;
        if (strstr(p, "password") || strstr(p, "passwd") || strstr(p, "passphrase") ||
            strstr(p, "passcode") || EQ(p, "pwd") || EQ(p, "pw") ||
            EQ(p, "pass") || EQ(p, "pswd") || EQ(p, "pword")) {
            *type = PRIVACY_PASSWORD;
            return NAME_STRONG;
        }
        if (EQ(p, "secret") || EQ(p, "secrets") ||
            EQ(p, "credential") || EQ(p, "credentials") ||
            EQ(p, "creds") || EQ(p, "privatekey") ||
            EQ(p, "clientsecret")) {
            bool aws = false;
            for (int j = 0; j < np; j++)
                aws |= strcmp(parts[j], "aws") == 0 || strcmp(parts[j], "access") == 0;
            *type = aws ? PRIVACY_AWS_SECRET : PRIVACY_SECRET;
            return NAME_STRONG;
        }
        if (EQ(p, "token") || EQ(p, "authtoken") ||
            EQ(p, "accesstoken") || EQ(p, "bearer") ||
            EQ(p, "auth") || EQ(p, "authorization") ||
            EQ(p, "pat")) {
            *type = PRIVACY_TOKEN;
            return NAME_STRONG;
        }
        if (EQ(p, "apikey") || EQ(p, "accesskey")) {
            *type = PRIVACY_API_KEY;
            return NAME_STRONG;
        }
        if (EQ(p, "key") || EQ(p, "keys")) {
            if (i > 0 && in_list(parts[i - 1], key_owners)) {
                *type = strcmp(parts[i - 1], "private") == 0 ? PRIVACY_SECRET : PRIVACY_API_KEY;
                return NAME_STRONG;
            }
            /* OPENAI_KEY, STRIPE_KEY: an env var named for a key holds one */
            if (all_upper && np > 1 && i == np - 1) {
                *type = PRIVACY_API_KEY;
                return NAME_STRONG;
            }
            weak = 1;
        }
        if (EQ(p, "salt") || EQ(p, "hmac") || EQ(p, "signature") ||
            EQ(p, "sig") || EQ(p, "seed") || EQ(p, "dsn") ||
            EQ(p, "sas") || EQ(p, "cookie") || EQ(p, "session") ||
            EQ(p, "license") || EQ(p, "nonce"))
            weak = 1;
    }
    if (weak) {
        *type = PRIVACY_HIGH_ENTROPY;
        return NAME_WEAK;
    }
    return NAME_NONE;
}

bool privacy__value_is_keyword(const char *s, size_t n)
{
    static const char *const kw[] = {
        "true", "false", "null", "none", "nil", "undefined", "yes", "no", "on", "off", "~",
        "str", "string", "bool", "boolean", "int", "integer", "number", "bytes", "any",
        "object", "secretstr", "secretbytes", "optional", "required", "char", "float",
        "double", "void", "unknown", "never", "text", "varchar", "password", "secret", "token",
        "self", "this", "nullptr", "default", NULL};
    char w[16];
    if (n == 0 || n >= sizeof w)
        return false;
    for (size_t i = 0; i < n; i++)
        w[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
    w[n] = 0;
    return in_list(w, kw);
}
