/* Privacy: exclusion globs and secret masking before text leaves the machine. */
#include <string.h>

#include "check.h"
#include "privacy.h"

static void excluded_paths(void)
{
    const char *pats[] = {".env*", "*.pem", "*.key", "id_rsa*", "secrets/", NULL};
    CHECK(privacy_path_excluded("/home/u/proj/.env", pats));
    CHECK(privacy_path_excluded("/home/u/proj/.env.local", pats));
    CHECK(privacy_path_excluded("/srv/tls/server.pem", pats));
    CHECK(privacy_path_excluded("/home/u/.ssh/id_rsa.pub", pats));
    CHECK(privacy_path_excluded("/home/u/proj/secrets/db.py", pats));
    CHECK(!privacy_path_excluded("/home/u/proj/main.py", pats));
    CHECK(!privacy_path_excluded("/home/u/proj/environment.py", pats));
    CHECK(!privacy_path_excluded(NULL, pats));
}

static void masks(const char *in, const char *must_vanish, const char *must_stay)
{
    struct strbuf sb;
    sb_init(&sb);
    sb_adds(&sb, in);
    int n = privacy_mask(&sb);
    CHECK(n >= 1);
    CHECK(strstr(sb.data, must_vanish) == NULL);
    CHECK(strstr(sb.data, PRIVACY_MASK) != NULL);
    if (must_stay)
        CHECK(strstr(sb.data, must_stay) != NULL);
    sb_release(&sb);
}

static void secret_shapes(void)
{
    masks("key = '''-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----'''",
          "MIIEowIBAAKCAQEA7", "key = ");
    masks("aws_id = \"AKIAIOSFODNN7EXAMPLE\"\n", "AKIAIOSFODNN7EXAMPLE", "aws_id");
    masks("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
          "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key");
    masks("client = OpenAI(api_key=\"sk-proj-abcdefghijklmnopqrstuvwx1234\")",
          "abcdefghijklmnopqrstuvwx1234", "OpenAI(");
    masks("token: ghp_0123456789abcdefghijklmnopqrstuvwxyzAB", "ghp_0123456789abcdef", NULL);
    masks("SLACK = 'xoxb-1234567890-abcdefghij'", "xoxb-1234567890", "SLACK");
    masks("headers['Authorization'] = 'Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig'",
          "eyJhbGciOiJIUzI1NiJ9", "headers");
    masks("DB_PASSWORD = \"hunter2hunter2\"\nport = 5432\n", "hunter2hunter2", "port = 5432");
    masks("const config = { password: 'correct horse' };", "correct horse", "const config");
}

static void ordinary_code_untouched(void)
{
    const char *code = "def check_password(password):\n    return hash(password) == stored\n"
                       "token = next(tokens)\nkey = 'a'\n";
    struct strbuf sb;
    sb_init(&sb);
    sb_adds(&sb, code);
    CHECK_EQ_INT(privacy_mask(&sb), 0);
    CHECK_EQ_STR(sb.data, code);
    sb_release(&sb);
}

static void scrub_context(void)
{
    const char *prefix = "api_key = \"sk-ant-REALSECRETVALUE1234567890\"\ndef f():\n    ";
    const char *suffix = "\npassword = \"s3cr3t-pass\"\n";
    struct prov_excerpt ex = {"/x/other.py", "TOKEN = 'glpat-abcdefghijklmnopqrstu'"};
    struct prov_context ctx = {.language = "python", .prefix = prefix,
                               .prefix_len = strlen(prefix), .suffix = suffix,
                               .suffix_len = strlen(suffix), .excerpts = &ex, .n_excerpts = 1,
                               .indent = "    "};
    struct prov_context *s = privacy_scrub(&ctx);
    CHECK(strstr(s->prefix, "REALSECRETVALUE") == NULL);
    CHECK(strstr(s->suffix, "s3cr3t-pass") == NULL);
    CHECK(strstr(s->excerpts[0].text, "glpat-") == NULL);
    CHECK(strstr(s->prefix, "def f():") != NULL);
    CHECK_EQ_INT(s->prefix_len, strlen(s->prefix));
    prov_context_free(s);
}

#define TESTS(X) X(excluded_paths) X(secret_shapes) X(ordinary_code_untouched) X(scrub_context)
CHECK_MAIN(TESTS)
