/* Privacy: exclusion globs, secret masking, offset mapping, cut key blocks, the cache. */
#include <string.h>

#include "check.h"
#include "privacy.h"

static void excluded_paths(void)
{
    /* privacy.exclude defaults plus a .understudyignore, gitignore semantics under /w. */
    const char *pats[] = {".env*", "*.pem", "*.key", "id_rsa*", "private/", "/vault/",
                          "config/secrets.py", "docs/**/draft-*.md", "*.secret",
                          "!public.secret", "my secrets/", NULL};
    struct privacy_exclude *x = privacy_exclude_new(pats, "/w");
    CHECK(privacy_exclude_match(x, "/w/.env"));
    CHECK(privacy_exclude_match(x, "file:///w/app/.env.local"));
    CHECK(privacy_exclude_match(x, "file:///srv/tls/server.pem"));         /* outside: names */
    CHECK(privacy_exclude_match(x, "file:///home/u/.ssh/id_rsa.pub"));
    CHECK(privacy_exclude_match(x, "file:///w/a/private/db.py"));           /* dir anywhere */
    CHECK(privacy_exclude_match(x, "file:///w/vault/x.py"));                /* anchored dir */
    CHECK(!privacy_exclude_match(x, "file:///w/src/vault/x.py"));
    CHECK(privacy_exclude_match(x, "file:///w/config/secrets.py"));         /* inner slash */
    CHECK(!privacy_exclude_match(x, "file:///w/app/config/secrets.py"));
    CHECK(privacy_exclude_match(x, "file:///w/docs/a/b/draft-1.md"));       /* ** */
    CHECK(privacy_exclude_match(x, "file:///w/k.secret"));
    CHECK(!privacy_exclude_match(x, "file:///w/public.secret"));            /* negation */
    CHECK(privacy_exclude_match(x, "file:///w/my%20secrets/rates.py"));     /* %-decoded */
    CHECK(privacy_exclude_match(x, "file://localhost/w/config/secrets.py"));
    CHECK(privacy_exclude_match(x, "untitled:.env"));                       /* non-file */
    CHECK(privacy_exclude_match(x, "vscode-remote://ssh-remote%2Bbox/srv/server.pem"));
    CHECK(privacy_exclude_match(x, "vscode-vfs://github/o/r/.env.production"));
    CHECK(!privacy_exclude_match(x, "untitled:Untitled-1"));
    CHECK(!privacy_exclude_match(x, "file:///w/main.py"));
    CHECK(!privacy_exclude_match(x, "file:///w/environment.py"));
    CHECK(!privacy_exclude_match(x, NULL));
    CHECK(!privacy_exclude_match(NULL, "file:///w/.env"));
    privacy_exclude_free(x);
    /* No root (a document outside any workspace): the name rules still apply. */
    x = privacy_exclude_new(pats, NULL);
    CHECK(privacy_exclude_match(x, "file:///anywhere/.env"));
    CHECK(!privacy_exclude_match(x, "file:///anywhere/main.py"));
    privacy_exclude_free(x);
    CHECK(privacy_secret_file_name(".env"));
    CHECK(privacy_secret_file_name(".env.local"));
    CHECK(privacy_secret_file_name("server.PEM"));
    CHECK(privacy_secret_file_name("id_ed25519"));
    CHECK(!privacy_secret_file_name("environment.py"));
    CHECK(!privacy_secret_file_name("keys.py"));
}

/* in masked: must_vanish gone, "<secret:type>" present, must_stay kept. */
static void masks_as(const char *in, const char *must_vanish, const char *type,
                     const char *must_stay)
{
    struct mask_result r;
    size_t n = privacy_mask(in, strlen(in), &r);
    char want[64];
    snprintf(want, sizeof want, "<secret:%s>", type);
    if (n < 1 || strstr(r.text, must_vanish) || !strstr(r.text, want) ||
        (must_stay && !strstr(r.text, must_stay)))
        fprintf(stderr, "  input:  %s\n  output: %s\n  want:   %s\n", in, r.text, want);
    CHECK(n >= 1);
    CHECK(strstr(r.text, must_vanish) == NULL);
    CHECK(strstr(r.text, want) != NULL);
    if (must_stay)
        CHECK(strstr(r.text, must_stay) != NULL);
    CHECK_EQ_INT(r.len, strlen(r.text));
    privacy_result_release(&r);
}

static void secret_shapes(void)
{
    masks_as("key = '''-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n"
             "-----END RSA PRIVATE KEY-----'''",
             "MIIEowIBAAKCAQEA7", "private-key", "key = '''");
    masks_as("aws_id = \"AKIAIOSFODNN7EXAMPLE\"\n", "AKIAIOSFODNN7EXAMPLE", "aws-access-key",
             "aws_id");
    masks_as("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
             "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws-secret-key",
             "aws_secret_access_key = ");
    masks_as("client = OpenAI(api_key=\"sk-proj-abcdefghijklmnopqrstuvwx1234\")",
             "abcdefghijklmnopqrstuvwx1234", "openai-key", "OpenAI(api_key=\"");
    masks_as("token: ghp_0123456789abcdefghijklmnopqrstuvwxyzAB", "ghp_0123456789abcdef",
             "github-token", "token: ");
    masks_as("SLACK = 'xoxb-1234567890-abcdefghij'", "xoxb-1234567890", "slack-token", "SLACK");
    masks_as("headers['Authorization'] = 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3In0"
             ".c2lnbmF0dXJlc2lnbmF0dXJl'",
             "eyJhbGciOiJIUzI1NiJ9", "jwt", "'Bearer <secret:jwt>'");
    masks_as("curl -H 'Authorization: Bearer 9f8e7d6c5b4a39281706abcdefABCDEF'",
             "9f8e7d6c5b4a", "bearer-token", "Authorization: Bearer <");
    masks_as("DB_PASSWORD = \"hunter2hunter2\"\nport = 5432\n", "hunter2hunter2", "password",
             "port = 5432");
    masks_as("const config = { password: 'correct horse' };", "correct horse", "password",
             "const config = { password: '<secret:password>' };");
    masks_as("url = 'postgresql://app:S3cr3t%21@db.internal:5432/prod'", "S3cr3t",
             "url-password", "postgresql://app:<secret:url-password>@db.internal:5432/prod");
    masks_as("MONGO=mongodb+srv://admin:pa55w0rd@cluster0.ab1cd.mongodb.net/app", "pa55w0rd",
             "url-password", "@cluster0");
    masks_as("r = redis.from_url(\"redis://:hunter22@cache:6379/0\")", "hunter22",
             "url-password", "redis://:<");
    masks_as("os.environ[\"X_API_KEY\"] = \"a1b2c3d4e5\"", "a1b2c3d4e5", "api-key",
             "os.environ[\"X_API_KEY\"] = \"");
    masks_as("settings['secret']='topsecretvalue'", "topsecretvalue", "secret", "settings[");
    masks_as("export PGPASSWORD=Zx9-kk2\npsql -h db\n", "Zx9-kk2", "password", "psql -h db");
    masks_as("mysql --password hunter42 -u root", "hunter42", "password", "-u root");
    masks_as("tool --api-token=Qm9vOhhx77 run", "Qm9vOhhx77", "token", "run");
    masks_as("db:\n  password: s3cr3t!x\n  host: db\n", "s3cr3t!x", "password", "host: db");
    masks_as("password: str = \"hunter2xx\"", "hunter2xx", "password", "password: str = \"");
    masks_as("var dbPass string = \"n0t-s0-s3cret\"", "n0t-s0-s3cret", "password", "var dbPass");
    masks_as("$config['db_password'] = 'mypass1';", "mypass1", "password", "$config");
    masks_as("'password' => 'phpPass99',", "phpPass99", "password", "'password' => '");
    masks_as("{\"client_secret\": \"GOCSPX-abcdefghijklmnopqrstuvwxyz12\"}",
             "GOCSPX-abcdefghijkl", "google-key", "client_secret");
    masks_as("cache_seed = \"q8ZrT2vLw9XyB4nM6pK1\"", "q8ZrT2vLw9XyB4nM6pK1", "high-entropy",
             "cache_seed");
}

static void unmasked(const char *code)
{
    struct mask_result r;
    size_t n = privacy_mask(code, strlen(code), &r);
    if (n)
        fprintf(stderr, "  masked ordinary code:\n  input:  %s\n  output: %s\n", code, r.text);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_STR(r.text, code);
    privacy_result_release(&r);
}

static void ordinary_code_untouched(void)
{
    unmasked("def check_password(password):\n    return hash(password) == stored\n"
             "token = next(tokens)\nkey = 'a'\n");
    unmasked("password_field = form.password\n");
    unmasked("token = next_token()\n");
    unmasked("if password == \"admin\":\n    deny()\n");
    unmasked("password = input(\"Password: \")\n");
    unmasked("password = getpass.getpass()\n");
    unmasked("api_key = os.environ[\"OPENAI_API_KEY\"]\n");
    unmasked("api_key = os.getenv(\"OPENAI_API_KEY\")\n");
    unmasked("max_tokens = 256\nnum_tokens = len(tokens)\n");
    unmasked("tokenizer = AutoTokenizer.from_pretrained(\"bert-base-uncased\")\n");
    unmasked("PASSWORD_MIN_LENGTH = 8\n");
    unmasked("token_type = \"bearer\"\n");
    unmasked("password_label = \"Enter your password\"\n");
    unmasked("const token = req.headers.authorization;\n");
    unmasked("@dataclass\nclass User:\n    password: str\n    token: Optional[str] = None\n");
    unmasked("interface Creds {\n  password: string;\n  token?: string;\n}\n");
    unmasked("type Login struct {\n\tPassword string `json:\"password\"`\n}\n");
    unmasked("password: ${DB_PASSWORD}\ntoken: ${{ secrets.TOKEN }}\n");
    unmasked("\"password\": \"${DB_PASSWORD}\",\n");
    unmasked("secret = request.args.get(\"secret\")\n");
    unmasked("headers = {\"Authorization\": f\"Bearer {token}\"}\n");
    unmasked("self.password = password\nuser.token = token\n");
    unmasked("cache_key = f\"user:{user_id}\"\nsort_key = 'name'\n");
    unmasked("commit = \"5d41402abc4b2a76b9719d911017c592\"\n");
    unmasked("password_reset_url = \"/accounts/reset/\"\nTOKEN_EXPIRY = 3600\n");
    unmasked("auth_method = \"oauth\"\nauthor = \"Jane Doe\"\n");
    unmasked("PASSWORD=$(cat /run/secrets/db)\nexport TOKEN=$GITHUB_TOKEN\n");
    unmasked("token := scanner.Token()\nconst { token } = useAuth();\n");
    unmasked("# token: rotate monthly\n// password: see vault\n");
    unmasked("const onTokens = (tokens) => tokens.map(t => t.id);\n");
    unmasked("url = 'https://example.com:8080/path?q=1'\nssh git@github.com:org/repo.git\n");
    unmasked("-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa\n"
             "-----END CERTIFICATE-----\n");
    unmasked("task-runner-configuration-name = 1\nclass=\"sk-button-primary-outline-large\"\n");
    unmasked("def login(username, password):\n    session.password = password\n");
    unmasked("if (token === undefined) { token = defaultToken; }\n");
    unmasked("password = None\ntoken = null;\nsecret = nil\n");
    unmasked("Basic usage: run the tool with --help\nBearer tokens are described below.\n");
    unmasked("assert password != \"\"\n");
    /* real code once taken for random values (test_privacy_corpus: real_code_keeps_its_code) */
    unmasked("key = key.encode('utf-8')\nseed = random.randrange(10000000)\n");
    unmasked("RegOpenKeyEx = win32api.RegOpenKeyEx\ntoken = self._fp.read(1)[0]\n");
    unmasked("/* SPDX-License-Identifier: LGPL-2.1-or-later */\n");
    unmasked("auth = \"Basic \" + b64encode(user_pass)\nauth_val = 'Digest %s' % auth\n");
    unmasked("    SERVER_AUTH = '1.3.6.1.5.5.7.3.1'\n    [MATCH_KEYS] = \"MATCH_KEYS\",\n");
    unmasked("def f(x,\n      credentials=None, secure=None):\n    U_BAD_TOKEN=0x10100,\n");
}

/* A value typed into a quote the editor did not close for the user (Neovim and Emacs by
 * default), or a URL's password before its '@host': every keystroke's version is masked, not
 * only the finished one (test_privacy_e2e types the corpus into a buffer the same way). */
static void value_being_typed(void)
{
    masks_as("db_password = \"hunter2", "hunter2", "password", "db_password = \"");
    masks_as("db_password = \"hunter2\nx = 1\n", "hunter2", "password", "x = 1");
    masks_as("database:\n  password: \"s3cr3tpw\n  host: db\n", "s3cr3tpw", "password",
             "host: db");
    masks_as("export PGPASSWORD='hunter22\npsql -h db\n", "hunter22", "password", "psql -h db");
    masks_as("mysqldump --password \"hunter22\n", "hunter22", "password", "mysqldump");
    const char *line = "api_token = \"q8ZrT2vLw9XyB4nM6pK1q8ZrT2vLw9XyB4nM6pK1\"";
    const char *value = strchr(line, '"') + 1;
    for (size_t n = (size_t)(value - line) + 3; n <= strlen(line); n++) {
        struct mask_result r;
        privacy_mask(line, n, &r);
        char typed[64];
        size_t vn = n - (size_t)(value - line);
        snprintf(typed, sizeof typed, "%.*s", (int)(vn < 40 ? vn : 40), value);
        if (strstr(r.text, typed))
            fprintf(stderr, "  %zu bytes typed: %s\n", n, r.text);
        CHECK(strstr(r.text, typed) == NULL);
        privacy_result_release(&r);
    }
    /* a login URL's password before its '@host' is typed; a port or a template is none */
    masks_as("DATABASE_URL = \"postgresql://app_user:hunter22", "hunter22", "url-password",
             "postgresql://app_user:");
    masks_as("REDIS_URL=redis://:s3cr3tpw\n", "s3cr3tpw", "url-password", "redis://:");
    masks_as("e = create_engine('mysql+pymysql://root:hunter22')\n", "hunter22", "url-password",
             "mysql+pymysql://root:");
    unmasked("url = \"postgresql://db.internal:5432\"\nr = \"redis://cache:6379/0\"\n");
    unmasked("uses: docker://alpine:latest\nurl = 'http://localhost:abc'\n");
    unmasked("dsn = f\"postgresql://{host}:{port}/db\"\nDSN = 'mysql://db:%d' % port\n");
    /* what follows an open quote is code, not a value */
    unmasked("print(\"password = \", x)\n");
    unmasked("log.info('token = ' + token)\n");
    unmasked("password = \"\nsecret = '\n");
}

/* Offsets map both ways; text outside spans is unchanged. */
static void offset_mapping(void)
{
    const char *in = "a = 1\npassword = \"hunter2xyz\"\nb = 2\n"
                     "-----BEGIN PRIVATE KEY-----\nAAAA\nBBBB\n-----END PRIVATE KEY-----\nc = 3\n";
    struct mask_result r;
    CHECK_EQ_INT(privacy_mask(in, strlen(in), &r), 2);
    CHECK_EQ_INT(r.n_spans, 2);
    const char *pw = strstr(in, "hunter2xyz");
    size_t ps = (size_t)(pw - in);
    CHECK_EQ_INT(r.spans[0].start, ps);
    CHECK_EQ_INT(r.spans[0].end, ps + 10);
    CHECK_EQ_INT(privacy_map_offset(&r, ps, false), r.spans[0].mstart);
    CHECK_EQ_INT(privacy_map_offset(&r, ps + 3, false), r.spans[0].mstart);
    CHECK_EQ_INT(privacy_map_offset(&r, ps + 3, true), r.spans[0].mend);
    /* every byte outside a span maps to the same byte */
    for (size_t o = 0; o <= strlen(in); o++) {
        bool inside = false;
        for (size_t k = 0; k < r.n_spans; k++)
            inside |= o > r.spans[k].start && o < r.spans[k].end;
        if (inside)
            continue;
        size_t m = privacy_map_offset(&r, o, false);
        CHECK(m <= r.len);
        if (o < strlen(in) && !(o >= r.spans[0].start && o < r.spans[0].end) &&
            !(o >= r.spans[1].start && o < r.spans[1].end))
            CHECK(r.text[m] == in[o]);
        CHECK_EQ_INT(privacy_unmap_offset(&r, m, false), o);
    }
    /* the key block keeps its line count */
    size_t nl_in = 0, nl_out = 0;
    for (const char *p = in; *p; p++)
        nl_in += *p == '\n';
    for (const char *p = r.text; *p; p++)
        nl_out += *p == '\n';
    CHECK_EQ_INT(nl_in, nl_out);
    CHECK(strstr(r.text, "c = 3\n") != NULL);
    char *counts = privacy_counts_format(&r);
    CHECK_EQ_STR(counts, "private-key=1 password=1");
    free(counts);
    privacy_result_release(&r);
    privacy_result_release(&r); /* released twice: harmless */
}

/* A 40-line key in a file; every window [a, b) on line boundaries, masked as a fragment,
 * must hold no body line; and cut from the whole document's masked text, neither. */
static void key_block_cut_by_windows(void)
{
    struct strbuf doc;
    sb_init(&doc);
    sb_adds(&doc, "import os\n\ndef load():\n    pem = \"\"\"\n");
    sb_adds(&doc, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
    char lines[40][71];
    unsigned x = 12345;
    const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int l = 0; l < 40; l++) {
        int len = l == 39 ? 24 : 70;
        for (int k = 0; k < len; k++) {
            x = x * 1103515245u + 12345u;
            lines[l][k] = b64[(x >> 16) % 64];
        }
        lines[l][len] = 0;
        sb_adds(&doc, lines[l]);
        sb_addc(&doc, '\n');
    }
    sb_adds(&doc, "-----END OPENSSH PRIVATE KEY-----\n\"\"\"\n    return pem\n\nprint(load())\n");
    /* line starts */
    size_t starts[80], nl = 0;
    starts[nl++] = 0;
    for (size_t i = 0; i < doc.len; i++)
        if (doc.data[i] == '\n' && i + 1 < doc.len)
            starts[nl++] = i + 1;
    starts[nl] = doc.len;
    struct mask_result whole;
    privacy_mask(doc.data, doc.len, &whole);
    int leaks = 0;
    for (size_t a = 0; a < nl; a++)
        for (size_t b = a + 1; b <= nl; b++) {
            const char *w = doc.data + starts[a];
            size_t wl = starts[b] - starts[a];
            struct mask_result r;
            privacy_mask_fragment(w, wl, &r);
            /* the masked-whole text, cut at the mapped window */
            size_t ma = privacy_map_offset(&whole, starts[a], true);
            size_t mb = privacy_map_offset(&whole, starts[b], false);
            for (int l = 0; l < 40; l++) {
                /* a 12-character piece of any body line */
                char piece[13];
                memcpy(piece, lines[l] + 4, 12);
                piece[12] = 0;
                if (strstr(r.text, piece)) {
                    fprintf(stderr, "  fragment leak: window lines %zu-%zu, key line %d\n%s\n", a, b, l, r.text);
                    leaks++;
                }
                if (mb > ma && memmem(whole.text + ma, mb - ma, piece, 12)) {
                    fprintf(stderr, "  whole leak: window lines %zu-%zu, key line %d\n", a, b, l);
                    leaks++;
                }
            }
            /* code outside the key survives */
            if (a == 0 && b == nl)
                CHECK(strstr(r.text, "print(load())") && strstr(r.text, "import os"));
            privacy_result_release(&r);
        }
    CHECK_EQ_INT(leaks, 0);
    /* cut inside lines too: every byte offset as a prefix window's end or suffix's start */
    for (size_t c = 0; c < doc.len; c += 7) {
        struct mask_result p, s;
        privacy_mask_fragment(doc.data, c, &p);
        privacy_mask_fragment(doc.data + c, doc.len - c, &s);
        for (int l = 0; l < 40; l++) {
            char piece[13];
            memcpy(piece, lines[l] + (l == 39 ? 8 : 30), 12);
            piece[12] = 0;
            if (strstr(p.text, piece) || strstr(s.text, piece)) {
                fprintf(stderr, "  leak at cut %zu, line %d\n", c, l);
                leaks++;
            }
        }
        privacy_result_release(&p);
        privacy_result_release(&s);
    }
    CHECK_EQ_INT(leaks, 0);
    privacy_result_release(&whole);
    sb_release(&doc);
}

static void cache_serves_versions(void)
{
    struct privacy_cache *c = privacy_cache_new(2);
    const char *v1 = "token = \"abcd1234efgh5678\"\n";
    const char *v2 = "token = \"zzzz1234efgh5678\"\nx = 1\n";
    const struct mask_result *a = privacy_cache_get(c, "file:///a.py", 1, v1, strlen(v1));
    const struct mask_result *b = privacy_cache_get(c, "file:///a.py", 1, v1, strlen(v1));
    CHECK(a == b);
    CHECK(strstr(a->text, "abcd1234") == NULL);
    b = privacy_cache_get(c, "file:///a.py", 2, v2, strlen(v2));
    CHECK(strstr(b->text, "zzzz1234") == NULL && strstr(b->text, "x = 1"));
    /* the same version with another length is masked again, never served stale */
    b = privacy_cache_get(c, "file:///a.py", 2, v1, strlen(v1));
    CHECK(strstr(b->text, "x = 1") == NULL);
    /* no version: keyed by content */
    const struct mask_result *n1 = privacy_cache_get(c, "cli", -1, v1, strlen(v1));
    const struct mask_result *n2 = privacy_cache_get(c, "cli", -1, v1, strlen(v1));
    CHECK(n1 == n2);
    n2 = privacy_cache_get(c, "cli", -1, v2, strlen(v2));
    CHECK(strstr(n2->text, "x = 1") != NULL);
    /* nothing to mask: no copy is kept, the caller's text is lent back (issue 17); the same
     * version read from another copy of the text lends that one */
    const char *plain = "x = 1\ny = 2\n";
    char copy[16];
    memcpy(copy, plain, strlen(plain) + 1);
    const struct mask_result *p1 = privacy_cache_get(c, "file:///p.py", 1, plain, strlen(plain));
    CHECK(p1->text == plain && p1->len == strlen(plain) && p1->n_spans == 0);
    p1 = privacy_cache_get(c, "file:///p.py", 1, copy, strlen(copy));
    CHECK(p1->text == copy);
    p1 = privacy_cache_get(c, "file:///p.py", 2, v1, strlen(v1)); /* now a secret: a copy */
    CHECK(p1->text != v1 && strstr(p1->text, "abcd1234") == NULL);
    /* eviction of the least recently used, and drop */
    privacy_cache_get(c, "third", 1, "x", 1);
    privacy_cache_drop(c, "third");
    privacy_cache_drop(c, "never-seen");
    privacy_cache_free(c);
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
    struct strbuf sb;
    sb_init(&sb);
    sb_adds(&sb, "x = 1\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBn");
    CHECK_EQ_INT(privacy_mask_sb(&sb), 1);
    CHECK_EQ_STR(sb.data, "x = 1\n<secret:private-key>\n");
    sb_release(&sb);
}

#define TESTS(X)                                                                         \
    X(excluded_paths) X(secret_shapes) X(ordinary_code_untouched) X(offset_mapping)      \
    X(key_block_cut_by_windows) X(cache_serves_versions) X(scrub_context)                  \
    X(value_being_typed)
CHECK_MAIN(TESTS)
