/* The workspace walk's privacy admission check, on the gitignore table shared with the privacy
 * integration test (tests/fixtures/ignore_table.txt): the patterns as privacy.exclude, every
 * row a file in a temporary workspace; a '+' file must never be read (the walk's file hook
 * never sees it), a '-' file is read. Also: .env files and key files are never read whatever
 * the patterns say, and a secret in an ordinary file reaches the index masked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "check.h"
#include "words.h"

struct seen {
    char *paths[256];
    size_t n;
    bool secret_seen;
};

static const char *g_secret;

static void hook(void *ud, const char *path, const char *text, size_t len)
{
    struct seen *s = ud;
    if (s->n < 256)
        s->paths[s->n++] = xstrdup(path);
    if (g_secret && memmem(text, len, g_secret, strlen(g_secret)))
        s->secret_seen = true;
}

static void mkdirs_for(const char *path)
{
    char *d = xstrdup(path);
    for (char *p = d + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(d, 0700);
            *p = '/';
        }
    free(d);
}

static void write_file(const char *path, const char *text)
{
    mkdirs_for(path);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static bool was_read(const struct seen *s, const char *root, const char *rel)
{
    char *full = xasprintf("%s/%s", root, rel);
    bool hit = false;
    for (size_t i = 0; i < s->n; i++)
        hit |= strcmp(s->paths[i], full) == 0;
    free(full);
    return hit;
}

static bool in_skipped_dir(const char *rel)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", rel);
    for (char *c = buf, *slash; (slash = strchr(c, '/')); c = slash + 1) {
        *slash = 0;
        if (words_skip_dir(c))
            return true;
    }
    return false;
}

struct table {
    char name[128];
    char *patterns[32];
    size_t np;
    char *rows[32];
    bool excluded[32];
    size_t nr;
};

static void run_table(struct table *t)
{
    char root[] = "/tmp/understudy-walk-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    for (size_t i = 0; i < t->nr; i++) {
        char *p = xasprintf("%s/%s", root, t->rows[i]);
        write_file(p, "def ordinary_function(x):\n    return x\n");
        free(p);
    }
    t->patterns[t->np] = NULL;
    struct words_caps caps = {.privacy_exclude = (const char *const *)t->patterns};
    struct words *w = words_new();
    struct seen s = {0};
    words_set_file_hook(w, hook, &s);
    CHECK(words_index_start(w, root, &caps) == 0);
    while (words_index_step(w, 100000))
        ;
    for (size_t i = 0; i < t->nr; i++) {
        bool read = was_read(&s, root, t->rows[i]);
        /* A vendored or generated folder (words_skip_dir) is never read, excluded or not. */
        if (!read && !t->excluded[i] && in_skipped_dir(t->rows[i]))
            continue;
        if (read == t->excluded[i]) {
            fprintf(stderr, "  [%s] %s: %s\n", t->name, t->rows[i],
                    read ? "read although excluded" : "not read although not excluded");
            CHECK(read != t->excluded[i]);
        }
    }
    words_free(w);
    for (size_t i = 0; i < s.n; i++)
        free(s.paths[i]);
    char *cmd = xasprintf("rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
    free(cmd);
}

static void shared_table(void)
{
    FILE *f = fopen(TABLE, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    struct table t = {0};
    bool have = false;
    size_t tables = 0, rows = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0] == '=' && line[1] == ' ') {
            if (have)
                run_table(&t);
            for (size_t i = 0; i < t.np; i++)
                free(t.patterns[i]);
            for (size_t i = 0; i < t.nr; i++)
                free(t.rows[i]);
            memset(&t, 0, sizeof t);
            snprintf(t.name, sizeof t.name, "%.100s", line + 2);
            have = true;
            tables++;
        } else if (line[0] == 'p' && (line[1] == ' ' || !line[1])) {
            t.patterns[t.np++] = xstrdup(line[1] ? line + 2 : "");
        } else if ((line[0] == '+' || line[0] == '-') && line[1] == ' ') {
            t.excluded[t.nr] = line[0] == '+';
            t.rows[t.nr++] = xstrdup(line + 2);
            rows++;
        }
    }
    fclose(f);
    if (have)
        run_table(&t);
    for (size_t i = 0; i < t.np; i++)
        free(t.patterns[i]);
    for (size_t i = 0; i < t.nr; i++)
        free(t.rows[i]);
    CHECK(tables >= 5 && rows >= 30);
}

static void never_read_and_masked(void)
{
    char root[] = "/tmp/understudy-walk-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    static const char *const never[] = {".env", ".env.local", "app/.env.production",
                                        "tls/server.pem", "tls/server.key", ".ssh/id_ed25519",
                                        "keystore.p12", NULL};
    for (const char *const *n = never; *n; n++) {
        char *p = xasprintf("%s/%s", root, *n);
        write_file(p, "STRIPE_KEY=sk_live_0123456789abcdefghijABCDEFGHIJ\n");
        free(p);
    }
    g_secret = "hf_QkWpLmNoRsTuVxYzAbCdEfGhIjKlMnOpQr";
    char *settings = xasprintf("%s/settings.py", root);
    char *text = xasprintf("HF_TOKEN = \"%s\"\ndef ordinary():\n    pass\n", g_secret);
    write_file(settings, text);
    struct words *w = words_new();
    struct seen s = {0};
    words_set_file_hook(w, hook, &s);
    static const char *const none[] = {NULL}; /* even with privacy.exclude emptied */
    struct words_caps caps = {.privacy_exclude = none};
    CHECK(words_index_start(w, root, &caps) == 0);
    while (words_index_step(w, 100000))
        ;
    for (const char *const *n = never; *n; n++)
        CHECK(!was_read(&s, root, *n));
    CHECK(was_read(&s, root, "settings.py"));
    CHECK(!s.secret_seen); /* the models learn masked text */
    words_free(w);
    for (size_t i = 0; i < s.n; i++)
        free(s.paths[i]);
    free(settings);
    free(text);
    char *cmd = xasprintf("rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
    free(cmd);
    g_secret = NULL;
}

#define TESTS(X) X(shared_table) X(never_read_and_masked)
CHECK_MAIN(TESTS)
