/* The ignore matcher against a table of gitignore cases, expectations written from git's
 * documentation (gitignore(5)); when git is installed, the same table is checked against
 * `git check-ignore --no-index` in a temporary repository (a real implementation nobody here
 * wrote), so a wrong expectation cannot hide. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "check.h"
#include "ignore.h"

struct row {
    const char *path; /* relative; a trailing '/' marks a directory */
    int ignored;
};

struct table {
    const char *name;
    const char *patterns; /* one ignore file */
    struct row rows[24];
};

static const struct table tables[] = {
    {"name anywhere", "*.log\n.env*\nid_rsa*\n",
     {{"x.log", 1}, {"deep/er/x.log", 1}, {"x.log.txt", 0}, {"logs/", 0}, {".env", 1},
      {"config/.env.local", 1}, {"environment.py", 0}, {"a/.ssh/id_rsa", 1},
      {"a/id_rsa.pub", 1}, {"y.log/inner.txt", 1}, {NULL, 0}}},
    {"directory patterns", "private/\nbuild/\n",
     {{"private/", 1}, {"private/a.py", 1}, {"src/private/b/c.py", 1}, {"a/private", 0},
      {"privates/x", 0}, {"build/out.o", 1}, {"src/build/", 1}, {"notbuild/x", 0}, {NULL, 0}}},
    {"anchoring", "/vault/\n/root_only.txt\nconfig/secrets.py\ndocs/*.html\n",
     {{"vault/", 1}, {"vault/k.pem", 1}, {"sub/vault/k.pem", 0}, {"root_only.txt", 1},
      {"sub/root_only.txt", 0}, {"config/secrets.py", 1}, {"app/config/secrets.py", 0},
      {"docs/a.html", 1}, {"docs/sub/a.html", 0}, {"x/docs/a.html", 0}, {NULL, 0}}},
    {"double star", "**/gen/\nlogs/**\na/**/z.c\n**/cache\nfoo**bar\n",
     {{"gen/", 1}, {"x/gen/y/z.c", 1}, {"x/y/gen/", 1}, {"logs/a", 1}, {"logs/a/b/c", 1},
      {"logs/", 0}, {"sub/logs/a", 0}, {"a/z.c", 1}, {"a/b/z.c", 1}, {"a/b/c/d/z.c", 1},
      {"b/a/z.c", 0}, {"cache", 1}, {"x/y/cache", 1}, {"x/y/cache/", 1}, {"fooxbar", 1},
      {"foo/bar", 0}, {NULL, 0}}},
    {"wildcards and classes", "file?.txt\n[abc]*.c\n[!x]y.md\ndata[0-9].csv\n",
     {{"file1.txt", 1}, {"file12.txt", 0}, {"file/.txt", 0}, {"a.c", 1}, {"bee.c", 1},
      {"dee.c", 0}, {"ay.md", 1}, {"xy.md", 0}, {"data7.csv", 1}, {"dataX.csv", 0},
      {NULL, 0}}},
    {"negation, last match wins", "*.key\n!public.key\nsecret*\n!secret_ok.txt\n*.tmp\n!*.tmp\n",
     {{"a.key", 1}, {"public.key", 0}, {"dir/public.key", 0}, {"secret.key", 1},
      {"secret_ok.txt", 0}, {"secrets.txt", 1}, {"x.tmp", 0}, {NULL, 0}}},
    {"no re-include below an excluded folder", "build/\n!build/keep.txt\nout/*\n!out/keep.txt\n",
     {{"build/keep.txt", 1}, {"build/other.txt", 1}, {"out/keep.txt", 0}, {"out/x.txt", 1},
      {"out/", 0}, {NULL, 0}}},
    {"comments, escapes, spaces", "# a comment\n\\#hash\n\\!bang\n  \ntrailing   \nesc\\ \n",
     {{"# a comment", 0}, {"#hash", 1}, {"!bang", 1}, {"trailing", 1}, {"trailing   ", 0},
      {"esc ", 1}, {"esc", 0}, {NULL, 0}}},
    {"re-include a folder's file by unignoring the folder", "logs/*\n!logs/keep/\nlogs/keep/*.tmp\n",
     {{"logs/a.txt", 1}, {"logs/keep/a.txt", 0}, {"logs/keep/b.tmp", 1}, {NULL, 0}}},
    {"CRLF files", "*.bak\r\n/only\r\n",
     {{"a.bak", 1}, {"only", 1}, {"x/only", 0}, {NULL, 0}}},
};
#define N_TABLES (sizeof tables / sizeof tables[0])

static bool is_dir_path(const char *p, char *clean, size_t cap)
{
    size_t n = strlen(p);
    bool dir = n && p[n - 1] == '/';
    snprintf(clean, cap, "%.*s", (int)(dir ? n - 1 : n), p);
    return dir;
}

static void table_rows(void)
{
    int rows = 0;
    for (size_t t = 0; t < N_TABLES; t++) {
        struct ign_list *l = ign_new();
        ign_add(l, tables[t].patterns, strlen(tables[t].patterns), "");
        for (const struct row *r = tables[t].rows; r->path; r++) {
            char clean[256];
            bool dir = is_dir_path(r->path, clean, sizeof clean);
            bool got = ign_match(l, clean, dir);
            if (got != (r->ignored != 0))
                fprintf(stderr, "  [%s] %s: want %s\n", tables[t].name, r->path,
                        r->ignored ? "ignored" : "not ignored");
            CHECK(got == (r->ignored != 0));
            rows++;
        }
        ign_free(l);
    }
    fprintf(stderr, "  %d rows\n", rows);
}

/* The same table through git, if git is here: one temporary repository per table. */
static void cross_check_with_git(void)
{
    if (system("git --version >/dev/null 2>&1") != 0) {
        fprintf(stderr, "  git not installed: cross-check skipped\n");
        return;
    }
    int disagreements = 0, asked = 0;
    for (size_t t = 0; t < N_TABLES; t++) {
        char dir[] = "/tmp/us-ignore-XXXXXX";
        if (!mkdtemp(dir)) {
            CHECK(!"mkdtemp");
            return;
        }
        char *cmd = xasprintf("cd '%s' && git init -q . 2>/dev/null", dir);
        CHECK(system(cmd) == 0);
        free(cmd);
        char *gi = xasprintf("%s/.gitignore", dir);
        FILE *f = fopen(gi, "wb");
        fputs(tables[t].patterns, f);
        fclose(f);
        free(gi);
        /* make every path exist, so git knows folders from files */
        char *list = xasprintf("%s/.paths", dir);
        f = fopen(list, "wb");
        for (const struct row *r = tables[t].rows; r->path; r++) {
            char clean[256];
            bool isdir = is_dir_path(r->path, clean, sizeof clean);
            char *full = xasprintf("%s/%s", dir, clean);
            for (char *s = full + strlen(dir) + 1; *s; s++)
                if (*s == '/') {
                    *s = 0;
                    mkdir(full, 0700);
                    *s = '/';
                }
            if (isdir) {
                mkdir(full, 0700);
            } else {
                FILE *g = fopen(full, "wb");
                if (g)
                    fclose(g);
            }
            free(full);
            fprintf(f, "%s%c", clean, 0);
        }
        fclose(f);
        char *out = xasprintf("%s/.out", dir);
        cmd = xasprintf("cd '%s' && git -c core.excludesFile=/dev/null check-ignore --no-index "
                        "-z --stdin < .paths > .out 2>/dev/null",
                        dir);
        int rc = system(cmd);
        (void)rc; /* exit 1 when nothing is ignored */
        free(cmd);
        /* read the NUL-separated ignored paths */
        struct strbuf got;
        sb_init(&got);
        f = fopen(out, "rb");
        char buf[4096];
        size_t n;
        while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
            sb_add(&got, buf, n);
        if (f)
            fclose(f);
        for (const struct row *r = tables[t].rows; r->path; r++) {
            char clean[256];
            is_dir_path(r->path, clean, sizeof clean);
            bool git_ignored = false;
            for (size_t p = 0; p < got.len; p += strlen(got.data + p) + 1)
                if (strcmp(got.data + p, clean) == 0)
                    git_ignored = true;
            asked++;
            if (git_ignored != (r->ignored != 0)) {
                fprintf(stderr, "  git disagrees: [%s] %s: git says %s\n", tables[t].name,
                        r->path, git_ignored ? "ignored" : "not ignored");
                disagreements++;
            }
        }
        sb_release(&got);
        free(out);
        free(list);
        cmd = xasprintf("rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
        free(cmd);
    }
    fprintf(stderr, "  git checked %d rows\n", asked);
    CHECK_EQ_INT(disagreements, 0);
}

static void sources_and_paths(void)
{
    /* privacy.exclude entries one by one, plus an ignore file: later sources win */
    struct ign_list *l = ign_new();
    const char *file = "secrets/\n/vault/\n!vault/README.md\n";
    ign_add(l, file, strlen(file), "");
    ign_add_pattern(l, ".env*");
    ign_add_pattern(l, "*.pem");
    ign_add_pattern(l, "config/secrets.py");
    ign_add_pattern(l, "my secrets/");
    CHECK_EQ_INT(ign_count(l), 7);
    const char *root = "/home/u/proj";
    CHECK(ign_match_path(l, "/home/u/proj/.env", root, false));
    CHECK(ign_match_path(l, "/home/u/proj/app/.env.local", root, false));
    CHECK(ign_match_path(l, "/home/u/proj/config/secrets.py", root, false));
    CHECK(!ign_match_path(l, "/home/u/proj/app/config/secrets.py", root, false));
    CHECK(ign_match_path(l, "/home/u/proj/vault/a.txt", root, false));
    CHECK(ign_match_path(l, "/home/u/proj/vault/README.md", root, false)); /* folder excluded */
    CHECK(ign_match_path(l, "/home/u/proj/a/secrets/db.py", root, false));
    CHECK(ign_match_path(l, "/home/u/proj/my secrets/rates.py", root, false));
    CHECK(!ign_match_path(l, "/home/u/proj/main.py", root, false));
    CHECK(ign_match_path(l, "/home/u/projx/.env2/main.py", root, false)); /* not under root */
    CHECK(ign_match_path(l, "/home/u/proj/", "/home/u/proj/", true) == false);
    /* outside the root: rules without a slash, on each name */
    CHECK(ign_match_path(l, "/srv/tls/server.pem", root, false));
    CHECK(ign_match_path(l, "/tmp/secrets/x.py", root, false));
    CHECK(!ign_match_path(l, "/tmp/vault/x.py", root, false));     /* anchored: root only */
    CHECK(!ign_match_path(l, "/tmp/config/secrets.py", root, false));
    /* a non-file URI's path component ("untitled:.env" -> ".env") */
    CHECK(ign_match_path(l, ".env", root, false));
    CHECK(!ign_match_path(l, "Untitled-1", root, false));
    CHECK(!ign_match_path(l, NULL, root, false));
    CHECK(!ign_match_path(l, "/home/u/proj/x.py", NULL, false));
    /* a file source */
    char path[] = "/tmp/us-ignore-file-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *more = "# extra\n*.sqlite\n";
    CHECK(write(fd, more, strlen(more)) == (ssize_t)strlen(more));
    close(fd);
    CHECK_EQ_INT(ign_add_file(l, path, ""), 0);
    unlink(path);
    CHECK_EQ_INT(ign_add_file(l, path, ""), US_ENOENT);
    CHECK(ign_match_path(l, "/home/u/proj/db/app.sqlite", root, false));
    ign_free(l);
}

#define TESTS(X) X(table_rows) X(cross_check_with_git) X(sources_and_paths)
CHECK_MAIN(TESTS)
