/* A corpus of planted secrets, generated at run time (seeded, so a failure repeats) with the
 * lengths and alphabets the vendors use, written in the syntax of several languages. Every
 * planted value must be gone from the masked text with the right placeholder type, the code
 * around it kept; all of them in one document too, and cut into windows. Then the cache's
 * re-masking of edited lines against full passes, and Debian's own code, which must keep its
 * code. */
#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "privacy.h"

static uint64_t rng = 0x5eed1234abcdULL;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static const char *const A_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
static const char *const A_B64URL =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
static const char *const A_B64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char *const A_HEX = "0123456789abcdef";
static const char *const A_UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char *const A_UPALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char *const A_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char *const A_DIGITS = "0123456789";
static const char *const A_PASS =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!%^*_+=.~";

/* Append n characters of alphabet a, with a digit, an upper and a lower letter somewhere when
 * the alphabet has them (real tokens do; short random runs sometimes do not). */
static void put(struct strbuf *sb, const char *a, size_t n)
{
    size_t al = strlen(a), at = sb->len;
    for (size_t i = 0; i < n; i++)
        sb_addc(sb, a[rnd() % al]);
    if (n >= 6) {
        if (strpbrk(a, "0123456789") && strchr(a, '7'))
            sb->data[at + 1] = '7';
        if (strchr(a, 'Q'))
            sb->data[at + 2] = 'Q';
        if (strchr(a, 'k'))
            sb->data[at + 3] = 'k';
    }
}

static void putb64url_of(struct strbuf *sb, const char *s)
{
    const char *tab = A_B64URL;
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (uint32_t)(unsigned char)s[i + 2];
        sb_addc(sb, tab[(v >> 18) & 63]);
        sb_addc(sb, tab[(v >> 12) & 63]);
        if (i + 1 < n)
            sb_addc(sb, tab[(v >> 6) & 63]);
        if (i + 2 < n)
            sb_addc(sb, tab[v & 63]);
    }
}

enum form { F_VALUE, F_MULTILINE, F_FIXED };

struct shape {
    const char *id;
    const char *type;        /* placeholder type */
    enum form form;
    const char *name;        /* the variable the value is assigned to (F_VALUE) */
    void (*gen)(struct strbuf *sb);
    const char *fixed;       /* F_FIXED: a template with %s for the value */
    const char *must_stay;   /* kept text (F_FIXED), NULL: the name */
};

#define GEN(fn, body) static void fn(struct strbuf *sb) { body; }
GEN(g_anthropic, sb_adds(sb, "sk-ant-api03-"); put(sb, A_B64URL, 93); sb_adds(sb, "AA"))
GEN(g_anthropic_admin, sb_adds(sb, "sk-ant-admin01-"); put(sb, A_B64URL, 93); sb_adds(sb, "AA"))
GEN(g_openai_proj, sb_adds(sb, "sk-proj-"); put(sb, A_B64URL, 156))
GEN(g_openai_legacy, sb_adds(sb, "sk-"); put(sb, A_ALNUM, 20); sb_adds(sb, "T3BlbkFJ");
    put(sb, A_ALNUM, 20))
GEN(g_openai_svc, sb_adds(sb, "sk-svcacct-"); put(sb, A_B64URL, 120))
GEN(g_akia, sb_adds(sb, "AKIA"); put(sb, A_UPPER32, 16))
GEN(g_asia, sb_adds(sb, "ASIA"); put(sb, A_UPPER32, 16))
GEN(g_aws_secret, put(sb, A_B64, 40))
GEN(g_ghp, sb_adds(sb, "ghp_"); put(sb, A_ALNUM, 36))
GEN(g_gho, sb_adds(sb, "gho_"); put(sb, A_ALNUM, 36))
GEN(g_ghs, sb_adds(sb, "ghs_"); put(sb, A_ALNUM, 36))
GEN(g_ghpat, sb_adds(sb, "github_pat_"); put(sb, A_ALNUM, 22); sb_addc(sb, '_');
    put(sb, A_ALNUM, 59))
GEN(g_glpat, sb_adds(sb, "glpat-"); put(sb, A_B64URL, 20))
GEN(g_xoxb, sb_adds(sb, "xoxb-"); put(sb, A_DIGITS, 12); sb_addc(sb, '-'); put(sb, A_DIGITS, 13);
    sb_addc(sb, '-'); put(sb, A_ALNUM, 24))
GEN(g_xoxp, sb_adds(sb, "xoxp-"); put(sb, A_DIGITS, 12); sb_addc(sb, '-'); put(sb, A_DIGITS, 12);
    sb_addc(sb, '-'); put(sb, A_DIGITS, 13); sb_addc(sb, '-'); put(sb, A_HEX, 32))
GEN(g_slack_hook, sb_adds(sb, "https://hooks.slack.com/services/T"); put(sb, A_UPALNUM, 10);
    sb_adds(sb, "/B"); put(sb, A_UPALNUM, 10); sb_addc(sb, '/'); put(sb, A_ALNUM, 24))
GEN(g_sk_live, sb_adds(sb, "sk_live_"); put(sb, A_ALNUM, 99))
GEN(g_rk_live, sb_adds(sb, "rk_live_"); put(sb, A_ALNUM, 24))
GEN(g_sendgrid, sb_adds(sb, "SG."); put(sb, A_B64URL, 22); sb_addc(sb, '.');
    put(sb, A_B64URL, 43))
GEN(g_hf, sb_adds(sb, "hf_"); put(sb, A_LETTERS, 34))
GEN(g_google, sb_adds(sb, "AIza"); put(sb, A_B64URL, 35))
GEN(g_gocspx, sb_adds(sb, "GOCSPX-"); put(sb, A_B64URL, 28))
GEN(g_npm, sb_adds(sb, "npm_"); put(sb, A_ALNUM, 36))
GEN(g_pypi, sb_adds(sb, "pypi-AgEIcHlwaS5vcmc"); put(sb, A_B64URL, 140))
GEN(g_twilio, sb_adds(sb, "SK"); put(sb, A_HEX, 32))
GEN(g_mailgun, sb_adds(sb, "key-"); put(sb, A_HEX, 32))
GEN(g_discord, sb_addc(sb, "MNO"[rnd() % 3]); put(sb, A_ALNUM, 23); sb_addc(sb, '.');
    put(sb, A_B64URL, 6); sb_addc(sb, '.'); put(sb, A_B64URL, 38))
GEN(g_discord_hook, sb_adds(sb, "https://discord.com/api/webhooks/"); put(sb, A_DIGITS, 18);
    sb_addc(sb, '/'); put(sb, A_B64URL, 68))
GEN(g_telegram, put(sb, A_DIGITS, 10); sb_adds(sb, ":AA"); put(sb, A_B64URL, 33))
GEN(g_do, sb_adds(sb, "dop_v1_"); put(sb, A_HEX, 64))
GEN(g_shopify, sb_adds(sb, "shpat_"); put(sb, A_HEX, 32))
GEN(g_azure, put(sb, A_B64, 86); sb_adds(sb, "=="))
GEN(g_vault, sb_adds(sb, "hvs."); put(sb, A_B64URL, 94))
GEN(g_linear, sb_adds(sb, "lin_api_"); put(sb, A_ALNUM, 40))
GEN(g_grafana, sb_adds(sb, "glc_"); put(sb, A_B64, 60))
GEN(g_databricks, sb_adds(sb, "dapi"); put(sb, A_HEX, 32))
GEN(g_age, sb_adds(sb, "AGE-SECRET-KEY-1"); put(sb, A_UPALNUM, 58))
GEN(g_mailchimp, put(sb, A_HEX, 32); sb_adds(sb, "-us"); put(sb, A_DIGITS, 2))
GEN(g_password, put(sb, A_ALNUM, 1); put(sb, A_PASS, 7 + rnd() % 12))
GEN(g_token40, put(sb, A_ALNUM, 40))
GEN(g_salt, put(sb, A_B64URL, 32))
static void g_jwt(struct strbuf *sb)
{
    char payload[128];
    snprintf(payload, sizeof payload, "{\"sub\":\"%u\",\"name\":\"user%u\",\"iat\":%u}",
             rnd() % 100000, rnd() % 1000, 1700000000u + rnd() % 1000000);
    putb64url_of(sb, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
    sb_addc(sb, '.');
    putb64url_of(sb, payload);
    sb_addc(sb, '.');
    put(sb, A_B64URL, 43);
}
static void g_userpass(struct strbuf *sb) { put(sb, A_ALNUM, 6 + rnd() % 14); }

/* Multi-line keys: the value is the whole block. */
static void pem(struct strbuf *sb, const char *label, int lines, int width)
{
    sb_addf(sb, "-----BEGIN %s-----\n", label);
    for (int i = 0; i < lines; i++) {
        put(sb, A_B64, i == lines - 1 ? 20 : (size_t)width);
        sb_addc(sb, '\n');
    }
    sb_addf(sb, "-----END %s-----", label);
}
static void g_pem_rsa(struct strbuf *sb) { pem(sb, "RSA PRIVATE KEY", 25, 64); }
static void g_pem_pkcs8(struct strbuf *sb) { pem(sb, "PRIVATE KEY", 26, 64); }
static void g_pem_ec(struct strbuf *sb) { pem(sb, "EC PRIVATE KEY", 4, 64); }
static void g_openssh(struct strbuf *sb) { pem(sb, "OPENSSH PRIVATE KEY", 7, 70); }
static void g_pem_enc(struct strbuf *sb) { pem(sb, "ENCRYPTED PRIVATE KEY", 16, 64); }
static void g_putty(struct strbuf *sb)
{
    sb_adds(sb, "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n"
                "Comment: ed25519-key-20240101\nPublic-Lines: 2\n");
    put(sb, A_B64, 64);
    sb_adds(sb, "\n");
    put(sb, A_B64, 16);
    sb_adds(sb, "\nPrivate-Lines: 1\n");
    put(sb, A_B64, 44);
    sb_adds(sb, "\nPrivate-MAC: ");
    put(sb, A_HEX, 64);
}

static const struct shape shapes[] = {
    {"anthropic", "anthropic-key", F_VALUE, "upstream", g_anthropic, 0, 0},
    {"anthropic-admin", "anthropic-key", F_VALUE, "upstream", g_anthropic_admin, 0, 0},
    {"openai-project", "openai-key", F_VALUE, "upstream", g_openai_proj, 0, 0},
    {"openai-legacy", "openai-key", F_VALUE, "upstream", g_openai_legacy, 0, 0},
    {"openai-svcacct", "openai-key", F_VALUE, "upstream", g_openai_svc, 0, 0},
    {"aws-akia", "aws-access-key", F_VALUE, "aws_id", g_akia, 0, 0},
    {"aws-asia", "aws-access-key", F_VALUE, "aws_id", g_asia, 0, 0},
    {"aws-secret", "aws-secret-key", F_VALUE, "aws_secret_access_key", g_aws_secret, 0, 0},
    {"github-ghp", "github-token", F_VALUE, "upstream", g_ghp, 0, 0},
    {"github-gho", "github-token", F_VALUE, "upstream", g_gho, 0, 0},
    {"github-ghs", "github-token", F_VALUE, "upstream", g_ghs, 0, 0},
    {"github-pat", "github-token", F_VALUE, "upstream", g_ghpat, 0, 0},
    {"gitlab-pat", "gitlab-token", F_VALUE, "upstream", g_glpat, 0, 0},
    {"slack-bot", "slack-token", F_VALUE, "upstream", g_xoxb, 0, 0},
    {"slack-user", "slack-token", F_VALUE, "upstream", g_xoxp, 0, 0},
    {"slack-webhook", "webhook", F_VALUE, "notify_url", g_slack_hook, 0, 0},
    {"stripe-secret", "stripe-key", F_VALUE, "upstream", g_sk_live, 0, 0},
    {"stripe-restricted", "stripe-key", F_VALUE, "upstream", g_rk_live, 0, 0},
    {"sendgrid", "sendgrid-key", F_VALUE, "upstream", g_sendgrid, 0, 0},
    {"huggingface", "huggingface-token", F_VALUE, "upstream", g_hf, 0, 0},
    {"google-api", "google-key", F_VALUE, "upstream", g_google, 0, 0},
    {"google-oauth-secret", "google-key", F_VALUE, "upstream", g_gocspx, 0, 0},
    {"npm", "npm-token", F_VALUE, "upstream", g_npm, 0, 0},
    {"pypi", "pypi-token", F_VALUE, "upstream", g_pypi, 0, 0},
    {"twilio", "twilio-key", F_VALUE, "upstream", g_twilio, 0, 0},
    {"mailgun", "mailgun-key", F_VALUE, "upstream", g_mailgun, 0, 0},
    {"discord-bot", "discord-token", F_VALUE, "upstream", g_discord, 0, 0},
    {"discord-webhook", "webhook", F_VALUE, "notify_url", g_discord_hook, 0, 0},
    {"telegram-bot", "telegram-token", F_VALUE, "upstream", g_telegram, 0, 0},
    {"digitalocean", "digitalocean-token", F_VALUE, "upstream", g_do, 0, 0},
    {"shopify", "shopify-token", F_VALUE, "upstream", g_shopify, 0, 0},
    {"vault", "api-token", F_VALUE, "upstream", g_vault, 0, 0},
    {"linear", "api-token", F_VALUE, "upstream", g_linear, 0, 0},
    {"grafana", "api-token", F_VALUE, "upstream", g_grafana, 0, 0},
    {"databricks", "api-token", F_VALUE, "upstream", g_databricks, 0, 0},
    {"mailchimp", "api-token", F_VALUE, "upstream", g_mailchimp, 0, 0},
    {"age", "private-key", F_VALUE, "upstream", g_age, 0, 0},
    {"jwt", "jwt", F_VALUE, "upstream", g_jwt, 0, 0},
    {"password-name", "password", F_VALUE, "db_password", g_password, 0, 0},
    {"passwd-camel", "password", F_VALUE, "smtpPasswd", g_password, 0, 0},
    {"secret-name", "secret", F_VALUE, "client_secret", g_token40, 0, 0},
    {"token-name", "token", F_VALUE, "access_token", g_token40, 0, 0},
    {"apikey-name", "api-key", F_VALUE, "apiKey", g_token40, 0, 0},
    {"envkey-name", "api-key", F_VALUE, "WEATHER_KEY", g_token40, 0, 0},
    {"salt-entropy", "high-entropy", F_VALUE, "hash_salt", g_salt, 0, 0},
    {"pem-rsa", "private-key", F_MULTILINE, "key_pem", g_pem_rsa, 0, 0},
    {"pem-pkcs8", "private-key", F_MULTILINE, "key_pem", g_pem_pkcs8, 0, 0},
    {"pem-ec", "private-key", F_MULTILINE, "key_pem", g_pem_ec, 0, 0},
    {"pem-openssh", "private-key", F_MULTILINE, "key_pem", g_openssh, 0, 0},
    {"pem-encrypted", "private-key", F_MULTILINE, "key_pem", g_pem_enc, 0, 0},
    {"putty", "private-key", F_MULTILINE, "key_ppk", g_putty, 0, 0},
    /* fixed forms: the syntax is the shape */
    {"postgres-url", "url-password", F_FIXED, 0, g_userpass,
     "DATABASE_URL = \"postgresql://app_user:%s@db.internal:5432/app\"\n", "@db.internal"},
    {"postgres-short", "url-password", F_FIXED, 0, g_userpass,
     "dsn: postgres://reporting:%s@10.0.0.7/metrics\n", "@10.0.0.7"},
    {"mysql-url", "url-password", F_FIXED, 0, g_userpass,
     "engine = create_engine('mysql+pymysql://root:%s@localhost/shop')\n", "create_engine("},
    {"mongodb-srv", "url-password", F_FIXED, 0, g_userpass,
     "const uri = `mongodb+srv://admin:%s@cluster0.abcde.mongodb.net/?retryWrites=true`;\n",
     "@cluster0"},
    {"redis-url", "url-password", F_FIXED, 0, g_userpass,
     "REDIS_URL=redis://:%s@cache:6379/0\n", "@cache:6379"},
    {"amqp-url", "url-password", F_FIXED, 0, g_userpass,
     "broker_url = \"amqp://guest:%s@rabbit:5672//\"\n", "@rabbit"},
    {"settings-index", "password", F_FIXED, 0, g_password,
     "settings[\"password\"] = \"%s\"\n", "settings[\"password\"] = \""},
    {"settings-single", "secret", F_FIXED, 0, g_token40,
     "settings['secret']='%s'\n", "settings['secret']='"},
    {"environ-index", "api-key", F_FIXED, 0, g_token40,
     "os.environ[\"X_API_KEY\"] = \"%s\"\n", "os.environ[\"X_API_KEY\"]"},
    {"pgpassword", "password", F_FIXED, 0, g_password,
     "export PGPASSWORD=%s\npsql -h db -U app\n", "psql -h db"},
    {"cli-password", "password", F_FIXED, 0, g_password,
     "mysqldump --password %s --all-databases > dump.sql\n", "--all-databases"},
    {"cli-token-eq", "token", F_FIXED, 0, g_token40,
     "deploy --auth-token=%s --prod\n", "--prod"},
    {"yaml-password", "password", F_FIXED, 0, g_password,
     "database:\n  user: app\n  password: %s\n  host: db\n", "host: db"},
    {"dotenv-password", "password", F_FIXED, 0, g_password,
     "DB_HOST=db\nDB_PASSWORD=%s\nDB_PORT=5432\n", "DB_PORT=5432"},
    {"php-array", "password", F_FIXED, 0, g_password,
     "$db = ['user' => 'app', 'password' => '%s'];\n", "'password' => '"},
    {"go-struct", "password", F_FIXED, 0, g_password,
     "cfg := Config{Host: \"db\", Password: \"%s\"}\n", "Config{Host: \"db\""},
    {"typed-py", "token", F_FIXED, 0, g_token40,
     "api_token: str = \"%s\"\n", "api_token: str = \""},
    {"bearer-header", "bearer-token", F_FIXED, 0, g_token40,
     "curl -H \"Authorization: Bearer %s\" https://api.example.com\n", "https://api.example.com"},
    {"azure-conn", "azure-key", F_FIXED, 0, g_azure,
     "conn = \"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=%s;EndpointSuffix=core.windows.net\"\n",
     "EndpointSuffix"},
    {"json-sa-key", "private-key", F_FIXED, 0, g_token40,
     "{\"type\": \"service_account\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEv%s\\n"
     "-----END PRIVATE KEY-----\\n\", \"client_email\": \"x@p.iam.gserviceaccount.com\"}\n",
     "client_email"},
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

enum lang { L_PY, L_JS, L_SH, L_YAML, L_JSON, L_ENV, L_GO, L_COUNT };
static const char *const lang_names[] = {"python", "js", "shell", "yaml", "json", ".env", "go"};

/* Write `name = value` in lang's syntax, framed by ordinary code. */
static void embed(struct strbuf *sb, enum lang l, const struct shape *sh, const char *v,
                  bool multiline)
{
    const char *n = sh->name;
    switch (l) {
    case L_PY:
        sb_adds(sb, "import os\n\n");
        if (multiline)
            sb_addf(sb, "%s = \"\"\"\n%s\n\"\"\"\n", n, v);
        else
            sb_addf(sb, "%s = \"%s\"\n", n, v);
        sb_adds(sb, "\ndef main():\n    return os.getcwd()\n");
        break;
    case L_JS:
        sb_adds(sb, "import fs from 'fs';\n");
        if (multiline)
            sb_addf(sb, "const %s = `%s`;\n", n, v);
        else
            sb_addf(sb, "const %s = '%s';\n", n, v);
        sb_adds(sb, "export default function main() { return fs; }\n");
        break;
    case L_SH:
        sb_adds(sb, "#!/bin/sh\nset -e\n");
        if (multiline)
            sb_addf(sb, "cat > /tmp/k <<'EOF'\n%s\nEOF\n", v);
        else
            sb_addf(sb, "export %s=\"%s\"\n", n, v);
        sb_adds(sb, "exec ./run.sh\n");
        break;
    case L_YAML:
        sb_adds(sb, "service:\n  replicas: 2\n");
        if (multiline) {
            sb_addf(sb, "  %s: |\n    ", n);
            for (const char *p = v; *p; p++) {
                sb_addc(sb, *p);
                if (*p == '\n')
                    sb_adds(sb, "    ");
            }
            sb_addc(sb, '\n');
        } else {
            sb_addf(sb, "  %s: %s\n", n, v);
        }
        sb_adds(sb, "  image: app:latest\n");
        break;
    case L_JSON:
        sb_adds(sb, "{\n  \"replicas\": 2,\n");
        sb_addf(sb, "  \"%s\": \"", n);
        for (const char *p = v; *p; p++) {
            if (*p == '\n')
                sb_adds(sb, "\\n");
            else
                sb_addc(sb, *p);
        }
        sb_adds(sb, "\",\n  \"image\": \"app:latest\"\n}\n");
        break;
    case L_ENV:
        sb_adds(sb, "APP_ENV=production\n");
        if (multiline)
            sb_addf(sb, "%s=\"%s\"\n", n, v);
        else
            sb_addf(sb, "%s=%s\n", n, v);
        sb_adds(sb, "LOG_LEVEL=info\n");
        break;
    case L_GO:
        sb_adds(sb, "package main\n\nfunc main() {\n");
        if (multiline)
            sb_addf(sb, "\t%s := `%s`\n", n, v);
        else
            sb_addf(sb, "\t%s := \"%s\"\n", n, v);
        sb_adds(sb, "\t_ = run()\n}\n");
        break;
    default:
        break;
    }
}

static int failures_shown;

/* pieces of the value that must not survive: each 10-character slice of it that is not
 * shared with the placeholder or public structure (checked on the secret's body) */
static bool leaked(const char *masked, const char *v)
{
    size_t n = strlen(v);
    /* check slices of the value's second half: prefixes like "sk-ant-" are public */
    size_t step = n > 40 ? 10 : 4;
    for (size_t at = n / 2; at + 8 <= n; at += step) {
        char piece[9];
        memcpy(piece, v + at, 8);
        piece[8] = 0;
        if (strchr(piece, '\n'))
            continue;
        if (strstr(masked, piece))
            return true;
    }
    return n < 16 && strstr(masked, v);
}

static void check_one(const char *what, const char *lang, const char *doc, const char *v,
                      const char *type, const char *must_stay)
{
    struct mask_result r;
    privacy_mask(doc, strlen(doc), &r);
    char want[64];
    snprintf(want, sizeof want, "<secret:%s>", type);
    bool bad = leaked(r.text, v) || !strstr(r.text, want) ||
               (must_stay && !strstr(r.text, must_stay));
    if (bad && failures_shown++ < 12)
        fprintf(stderr, "  %s in %s: want %s\n--- input\n%s--- output\n%s---\n", what, lang, want,
                doc, r.text);
    CHECK(!bad);
    privacy_result_release(&r);
}

static void planted_corpus(void)
{
    size_t cases = 0;
    for (size_t i = 0; i < N_SHAPES; i++) {
        const struct shape *sh = &shapes[i];
        for (int rep = 0; rep < 3; rep++) {
            struct strbuf v, doc;
            sb_init(&v);
            sb_init(&doc);
            sh->gen(&v);
            if (sh->form == F_FIXED) {
                sb_addf(&doc, sh->fixed, v.data);
                check_one(sh->id, "fixed", doc.data, v.data, sh->type, sh->must_stay);
                cases++;
            } else {
                for (int l = 0; l < L_COUNT; l++) {
                    sb_clear(&doc);
                    embed(&doc, (enum lang)l, sh, v.data, sh->form == F_MULTILINE);
                    /* a quoted .env/YAML is the name's job; shapes found by their own form
                     * must also be found unquoted */
                    check_one(sh->id, lang_names[l], doc.data, v.data, sh->type,
                              sh->form == F_MULTILINE ? NULL : sh->name);
                    cases++;
                }
            }
            sb_release(&v);
            sb_release(&doc);
        }
    }
    fprintf(stderr, "  %zu shapes, %zu planted documents\n", N_SHAPES, cases);
    CHECK(N_SHAPES >= 40);
}

/* Every shape in one document with code between; then every 30-line window of it, masked as
 * a fragment and cut from the masked whole, must hold no secret. */
static void one_document_and_windows(void)
{
    struct strbuf doc;
    sb_init(&doc);
    char *vals[N_SHAPES];
    for (size_t i = 0; i < N_SHAPES; i++) {
        struct strbuf v;
        sb_init(&v);
        shapes[i].gen(&v);
        vals[i] = sb_detach(&v, NULL);
        sb_addf(&doc, "def helper_%zu(x):\n    return x * %zu\n\n", i, i);
        if (shapes[i].form == F_FIXED)
            sb_addf(&doc, shapes[i].fixed, vals[i]);
        else
            embed(&doc, (enum lang)(i % L_COUNT), &shapes[i], vals[i],
                  shapes[i].form == F_MULTILINE);
    }
    struct mask_result whole;
    size_t n = privacy_mask(doc.data, doc.len, &whole);
    CHECK(n >= N_SHAPES);
    for (size_t i = 0; i < N_SHAPES; i++)
        if (leaked(whole.text, vals[i])) {
            fprintf(stderr, "  %s leaked from the whole document\n", shapes[i].id);
            CHECK(!"leak");
        }
    CHECK(strstr(whole.text, "def helper_7(x):") != NULL);
    /* windows on line boundaries */
    size_t starts[4096], nl = 0;
    starts[nl++] = 0;
    for (size_t i = 0; i < doc.len && nl < 4095; i++)
        if (doc.data[i] == '\n' && i + 1 < doc.len)
            starts[nl++] = i + 1;
    starts[nl] = doc.len;
    int leaks = 0;
    for (size_t a = 0; a < nl; a += 3) {
        size_t b = a + 30 < nl ? a + 30 : nl;
        struct mask_result r;
        privacy_mask_fragment(doc.data + starts[a], starts[b] - starts[a], &r);
        size_t ma = privacy_map_offset(&whole, starts[a], true);
        size_t mb = privacy_map_offset(&whole, starts[b], false);
        char *cut = xstrndup(whole.text + ma, mb - ma);
        for (size_t i = 0; i < N_SHAPES; i++) {
            if (shapes[i].form != F_MULTILINE)
                continue; /* short tokens cut in two are the mask-first path's job */
            if (leaked(cut, vals[i]))
                leaks++;
            /* a fragment may cut one key line in two; check whole lines of the body */
            const char *nlp = strchr(vals[i], '\n');
            if (nlp && nlp[1]) {
                char line[24];
                memcpy(line, nlp + 1 + 20, 16);
                line[16] = 0;
                if (strstr(r.text, line)) {
                    if (leaks < 3)
                        fprintf(stderr, "  %s leaked from window %zu-%zu:\n%s\n", shapes[i].id,
                                a, b, r.text);
                    leaks++;
                }
            }
        }
        free(cut);
        privacy_result_release(&r);
    }
    CHECK_EQ_INT(leaks, 0);
    char *counts = privacy_counts_format(&whole);
    fprintf(stderr, "  one document: %s\n", counts);
    free(counts);
    privacy_result_release(&whole);
    for (size_t i = 0; i < N_SHAPES; i++)
        free(vals[i]);
    sb_release(&doc);
}

/* ------------------------------------------------------------------ re-masking edits */

/* Snippets whose detectors read past their own line (privacy.c, "far reads"), typed and
 * deleted in pieces by the edit test below. */
static const char *const far_pieces[] = {
    "password = \"\"\"\n", "\"\"\"\n", "api_token = '''", "'''\n", "const apiKey = `\n",
    "`;\n", "secret = \"first half \\\n", "second half\"\n", "--password `\n",
    "-----BEGIN RSA PRIVATE KEY-----\n", "-----END RSA PRIVATE KEY-----\n",
    "PuTTY-User-Key-File-3: ssh-ed25519\n", "Private-MAC: 00ff\n",
};

static const char *const code_pieces[] = {
    "def f(x):\n    return x + 1\n", "if token == other:\n", "x = y\n", "    pass\n",
    "password: str = field()\n", "url = base + '://' + host\n", "\n", "# comment: key\n",
    "headers = {\"Authorization\": \"Bearer \" + t}\n", "print(f\"{secret}\")\n",
};

/* What the edit test's pieces may hold, besides planted secrets and code. */
enum reach { NEAR, STRINGS, KEYS }; /* nothing read far / strings read far / key blocks too */

static bool key_block(const char *s)
{
    return s && (strstr(s, "-----") || strstr(s, "PuTTY") || strstr(s, "Private-"));
}

/* One piece of text to type or paste: a planted secret in some language, code, or something
 * that reads far. */
static void random_piece(struct strbuf *sb, enum reach r)
{
    unsigned k = rnd() % 10;
    if (k < 5) {
        const struct shape *sh;
        do
            sh = &shapes[rnd() % N_SHAPES];
        while (r != KEYS && (sh->form == F_MULTILINE || key_block(sh->fixed)));
        struct strbuf v;
        sb_init(&v);
        sh->gen(&v);
        if (sh->form == F_FIXED)
            sb_addf(sb, sh->fixed, v.data);
        else
            embed(sb, (enum lang)(rnd() % L_COUNT), sh, v.data, sh->form == F_MULTILINE);
        sb_release(&v);
    } else if (k < 8 || r == NEAR) {
        sb_adds(sb, code_pieces[rnd() % US_ARRAY_LEN(code_pieces)]);
    } else {
        const char *p;
        do
            p = far_pieces[rnd() % US_ARRAY_LEN(far_pieces)];
        while (r != KEYS && key_block(p));
        sb_adds(sb, p);
    }
}

static size_t random_line_start(const struct strbuf *doc)
{
    size_t at = doc->len ? rnd() % doc->len : 0;
    while (at > 0 && doc->data[at - 1] != '\n')
        at--;
    return at;
}

static void splice(struct strbuf *doc, size_t at, size_t del, const char *ins, size_t n)
{
    struct strbuf out;
    sb_init(&out);
    sb_add(&out, doc->data, at);
    sb_add(&out, ins, n);
    sb_add(&out, doc->data + at + del, doc->len - at - del);
    sb_release(doc);
    *doc = out;
}

/* The cache's answer for this version equals a full pass over it. */
static bool same_as_full(struct privacy_cache *c, int64_t version, const struct strbuf *doc,
                         const char *what)
{
    const char *text = doc->data ? doc->data : "";
    const struct mask_result *got = privacy_cache_get(c, "file:///w/edit.py", version, text,
                                                      doc->len);
    struct mask_result want;
    privacy_mask(text, doc->len, &want);
    bool same = got->len == want.len && !memcmp(got->text, want.text, want.len) &&
                got->n_spans == want.n_spans;
    for (size_t k = 0; same && k < want.n_spans; k++) {
        const struct privacy_span *a = &got->spans[k], *b = &want.spans[k];
        same = a->start == b->start && a->end == b->end && a->mstart == b->mstart &&
               a->mend == b->mend && a->type == b->type;
    }
    if (!same && failures_shown++ < 3)
        fprintf(stderr, "  after %s (version %lld): %zu spans, a full pass %zu\n--- text\n%s---\n",
                what, (long long)version, got->n_spans, want.n_spans, text);
    privacy_result_release(&want);
    return same;
}

/* Edits as an editor sends them (typing a piece a character at a time, backspaces, pastes,
 * deleted lines, stray quotes and line breaks): after each, the cache's masking, which scans
 * again only the changed lines when it can, must equal a full pass. Three phases: nothing that
 * reads far (nearly every version must be re-masked from its lines), strings that do (the
 * edits they reach are masked whole), and key blocks too (the whole text while one is there). */
static void remasking_edits_equals_full_passes(void)
{
    for (enum reach phase = NEAR; phase <= KEYS; phase++) {
        struct privacy_cache *c = privacy_cache_new(4);
        struct strbuf doc;
        sb_init(&doc);
        for (int i = 0; i < 40; i++)
            random_piece(&doc, NEAR);
        int64_t version = 1;
        int bad = 0, gets = 1;
        CHECK(same_as_full(c, version++, &doc, "opening"));
        for (int op = 0; op < 300 && bad == 0; op++) {
            unsigned k = rnd() % 100;
            struct strbuf piece;
            sb_init(&piece);
            if (k < 35) { /* type a piece at a line start, a character at a time */
                random_piece(&piece, phase);
                size_t at = random_line_start(&doc);
                for (size_t i = 0; i < piece.len && i < 120 && !bad; i++, gets++) {
                    splice(&doc, at + i, 0, piece.data + i, 1);
                    bad += !same_as_full(c, version++, &doc, "typing");
                }
            } else if (k < 55 && doc.len) { /* backspaces */
                size_t at = rnd() % doc.len, n = 1 + rnd() % 8;
                for (size_t i = 0; i < n && at > 0 && !bad; i++, gets++) {
                    splice(&doc, --at, 1, "", 0);
                    bad += !same_as_full(c, version++, &doc, "a backspace");
                }
            } else if (k < 70) { /* paste */
                random_piece(&piece, phase);
                splice(&doc, random_line_start(&doc), 0, piece.data, piece.len);
                bad += !same_as_full(c, version++, &doc, "a paste");
                gets++;
            } else if (k < 85 && doc.len) { /* delete lines, or a stretch inside one */
                size_t at = k < 78 ? random_line_start(&doc) : rnd() % doc.len, end = at;
                for (unsigned l = k < 72 ? 20 + rnd() % 40 : 1 + rnd() % 3; l && end < doc.len;
                     end++)
                    l -= doc.data[end] == '\n';
                splice(&doc, at, end - at, "", 0);
                bad += !same_as_full(c, version++, &doc, "deleting lines");
                gets++;
            } else { /* a stray character anywhere */
                static const char stray[] = "\n\"'`=:-\\ aZ9_#";
                char ch = stray[rnd() % (sizeof stray - 1)];
                splice(&doc, doc.len ? rnd() % doc.len : 0, 0, &ch, 1);
                bad += !same_as_full(c, version++, &doc, "a stray character");
                gets++;
            }
            sb_release(&piece);
            if (doc.len > 24000) /* keep it a file someone edits, not a log */
                splice(&doc, 0, doc.len / 2, "", 0);
        }
        uint64_t full, edits;
        privacy_cache_counts(c, &full, &edits);
        fprintf(stderr, "  phase %d: %d versions, %llu masked whole, %llu from changed lines\n",
                phase, gets, (unsigned long long)full, (unsigned long long)edits);
        CHECK_EQ_INT(bad, 0);
        CHECK(full + edits == (uint64_t)gets);
        if (phase == NEAR)
            CHECK(edits * 10 >= (full + edits) * 9);
        else if (phase == STRINGS)
            CHECK(edits * 4 >= full + edits && full > 10);
        else
            CHECK(full > 10);
        privacy_cache_free(c);
        sb_release(&doc);
    }
}

/* Type `typed` a character at a time at line `line` of doc (0-based), checking the cache
 * against a full pass after each; *version counts on. */
static int type_and_check(struct privacy_cache *c, int64_t *version, struct strbuf *doc,
                          int line, const char *typed)
{
    size_t at = 0;
    for (int l = 0; l < line && at < doc->len; at++)
        l += doc->data[at] == '\n';
    int bad = 0;
    for (size_t i = 0; typed[i] && !bad; i++) {
        splice(doc, at + i, 0, typed + i, 1);
        bad += !same_as_full(c, (*version)++, doc, typed);
    }
    return bad;
}

/* What reads far, written where a random edit seldom puts it: the closing half typed far
 * below the opening one, or the opening half typed above. Each keystroke's masking must
 * equal a full pass, and the typed half must have reached the other. */
static void remasking_far_halves(void)
{
    static const struct {
        const char *top, *typed; /* typed 30 lines below top, or above it */
        bool above;
        const char *gone;        /* a piece of top's value, masked once both halves are in */
    } cases[] = {
        {"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx7Qk2Ls9v\nZm9vYmFyYmF6cXV4MTIz\n",
         "-----END RSA PRIVATE KEY-----\n", false, "MIIEowIBAAKCAQEAx7Qk2Ls9v"},
        {"MIIEowIBAAKCAQEAx7Qk2Ls9vMIIEowIBAAKCAQEAx7Qk2Ls9v\nZm9vYmFyYmF6cXV4MTIz\n"
         "-----END RSA PRIVATE KEY-----\n",
         "-----BEGIN RSA PRIVATE KEY-----\n", true, "Zm9vYmFyYmF6cXV4MTIz"},
        {"password = \"\"\"\nhunter2-and-more\n", "\"\"\"\n", false, "hunter2-and-more"},
        {"api_token = '''\nq8ZrT2vLw9XyB4nM6pK1\n", "'''\n", false, "q8ZrT2vLw9XyB4nM6pK1"},
        {"const apiKey = `\nq8ZrT2vLw9XyB4nM6pK1\n", "`;\n", false, "q8ZrT2vLw9XyB4nM6pK1"},
        {"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n",
         "Private-MAC: 0f1e2d3c4b5a69788796a5b4c3d2e1f0\n", false, "Encryption: none"},
    };
    for (size_t k = 0; k < US_ARRAY_LEN(cases); k++) {
        struct privacy_cache *c = privacy_cache_new(2);
        struct strbuf doc;
        sb_init(&doc);
        sb_adds(&doc, "import os\n");
        if (!cases[k].above)
            sb_adds(&doc, cases[k].top);
        for (int i = 0; i < 30; i++)
            sb_addf(&doc, "x_%d = compute(%d)\n", i, i);
        if (cases[k].above)
            sb_adds(&doc, cases[k].top);
        int64_t version = 1;
        CHECK(same_as_full(c, version++, &doc, "opening"));
        int line = cases[k].above ? 1 : 31;
        CHECK_EQ_INT(type_and_check(c, &version, &doc, line, cases[k].typed), 0);
        const struct mask_result *m = privacy_cache_get(c, "file:///w/edit.py", version - 1,
                                                        doc.data, doc.len);
        if (strstr(m->text, cases[k].gone))
            fprintf(stderr, "  case %zu: %s still there\n", k, cases[k].gone);
        CHECK(strstr(m->text, cases[k].gone) == NULL);
        privacy_cache_free(c);
        sb_release(&doc);
    }
}

/* ------------------------------------------------------------------ real code */

struct real_walk {
    size_t files, spans, random, shown;
};

/* Mask every file under dir whose name ends with ext, counting what was masked. */
static void mask_tree(const char *dir, const char *ext, struct real_walk *w, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > 8) {
        if (d)
            closedir(d);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            mask_tree(path, ext, w, depth + 1);
            continue;
        }
        size_t nl = strlen(de->d_name), el = strlen(ext);
        if (!S_ISREG(st.st_mode) || nl < el || strcmp(de->d_name + nl - el, ext) != 0 ||
            st.st_size > 4 << 20)
            continue;
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        char *t = xmalloc((size_t)st.st_size + 1);
        size_t n = fread(t, 1, (size_t)st.st_size, f);
        fclose(f);
        struct mask_result r;
        privacy_mask(t, n, &r);
        w->files++;
        w->spans += r.n_spans;
        for (size_t k = 0; k < r.n_spans; k++) {
            if (r.spans[k].type != PRIVACY_HIGH_ENTROPY)
                continue;
            w->random++;
            if (w->shown++ < 5)
                fprintf(stderr, "  %s: [%.*s] taken for a random value\n", path,
                        (int)(r.spans[k].end - r.spans[k].start), t + r.spans[k].start);
        }
        privacy_result_release(&r);
        free(t);
    }
    closedir(d);
}

/* Debian's Python standard library and C headers, code nobody here wrote, hold no generated
 * secret: nothing in them may be taken for a random value (code such as
 * "key.encode('utf-8')", "win32api.RegOpenKeyEx" or an SPDX licence was, before), and what
 * the names mask stays rare (one span in 200 files). Skipped where they are not installed. */
static void real_code_keeps_its_code(void)
{
    struct real_walk w = {0};
    mask_tree("/usr/lib/python3.11", ".py", &w, 0);
    mask_tree("/usr/include", ".h", &w, 0);
    fprintf(stderr, "  %zu files of real code: %zu spans masked, %zu as random values\n",
            w.files, w.spans, w.random);
    if (w.files < 100) {
        fprintf(stderr, "  skipped: Debian's python3.11 and C headers are not installed\n");
        return;
    }
    CHECK_EQ_INT(w.random, 0);
    CHECK(w.spans * 200 <= w.files); /* 12 in 8,013 files on 2026-12-06 */
}

#define TESTS(X)                                                                          \
    X(planted_corpus) X(one_document_and_windows) X(remasking_edits_equals_full_passes)     \
    X(remasking_far_halves) X(real_code_keeps_its_code)
CHECK_MAIN(TESTS)
