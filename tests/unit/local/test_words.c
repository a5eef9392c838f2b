/* Words index: ranking, document updates, gitignore matching, and the stepped workspace scan. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "check.h"
#include "local/ignore.h"
#include "local/words.h"

static size_t query(struct words *w, const char *uri, const char *text, const char *typed_at,
                    struct words_item *out, size_t max)
{
    /* typed_at: a unique marker in text; the typed fragment is what precedes the cursor "|" */
    const char *bar = strstr(text, "|");
    size_t cursor = (size_t)(bar - text);
    size_t s = cursor;
    while (s > 0 && (text[s - 1] == '_' || ((text[s - 1] | 32) >= 'a' && (text[s - 1] | 32) <= 'z')))
        s--;
    (void)typed_at;
    struct words_query q = {uri, text, strlen(text), cursor, text + s, cursor - s};
    return words_query(w, &q, out, max);
}

static void ranking(void)
{
    struct words *w = words_new();
    /* "process_item" is near the cursor; "process_all" is more frequent but far away */
    const char *text =
        "process_all(); process_all(); process_all(); process_all();\n"
        "x = 1\n y = 2\n z = 3\n"
        "def f(process_item):\n"
        "    return pro| + 1\n"
        "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n"
        "prolog = 1\n";
    words_doc_set(w, "file:///a.py", text, strlen(text));
    struct words_item it[8];
    size_t n = query(w, "file:///a.py", text, NULL, it, 8);
    CHECK(n >= 3);
    CHECK_EQ_STR(it[0].word, "process_item");
    CHECK(it[0].origin == WORDS_HERE);
    /* words after the cursor count, but as farther away */
    int seen_prolog = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(strcmp(it[i].word, "pro") != 0); /* never the fragment itself */
        if (!strcmp(it[i].word, "prolog"))
            seen_prolog = 1;
    }
    CHECK(seen_prolog);

    /* another open document contributes, ranked below the current one's words */
    const char *other = "protocol_version protocol_version protocol_version\n";
    words_doc_set(w, "file:///b.py", other, strlen(other));
    n = query(w, "file:///a.py", text, NULL, it, 8);
    CHECK_EQ_STR(it[0].word, "process_item");
    int found = -1;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(it[i].word, "protocol_version")) {
            found = (int)i;
            CHECK(it[i].origin == WORDS_OPEN_DOC);
        }
    CHECK(found > 0);
    /* removing the document removes its words */
    words_doc_remove(w, "file:///b.py");
    n = query(w, "file:///a.py", text, NULL, it, 8);
    for (size_t i = 0; i < n; i++)
        CHECK(strcmp(it[i].word, "protocol_version") != 0);

    /* fuzzy: "pi" finds process_item by word starts */
    const char *t2 = "process_item = 1\nprint(pi|)\n";
    words_doc_set(w, "file:///c.py", t2, strlen(t2));
    n = query(w, "file:///c.py", t2, NULL, it, 8);
    CHECK(n >= 1);
    CHECK_EQ_STR(it[0].word, "process_item");
    words_free(w);
}

static void recency(void)
{
    struct words *w = words_new();
    const char *v1 = "alpha_one alpha_two\n";
    words_doc_set(w, "u", v1, strlen(v1));
    /* the user types alpha_two again: it becomes recent and wins over equal-distance words */
    const char *v2 = "alpha_one alpha_two\nalpha_two\n";
    words_doc_set(w, "u", v2, strlen(v2));
    const char *t = "alpha_one alpha_two\nalpha_two\nal|";
    struct words_item it[4];
    size_t n = query(w, "u", t, NULL, it, 4);
    CHECK(n == 2);
    CHECK_EQ_STR(it[0].word, "alpha_two");
    words_free(w);
}

static void gitignore(void)
{
    struct ign_list *l = ign_new();
    const char *gi = "# comment\n"
                     "*.log\n"
                     "build/\n"
                     "/root_only.txt\n"
                     "docs/*.html\n"
                     "**/gen/**\n"
                     "secret*\n"
                     "!secret_ok.txt\n"
                     "a/**/z.c\n"
                     "\\#hash\n"
                     "trailing   \n";
    ign_add(l, gi, strlen(gi), "");
    CHECK(ign_match(l, "x.log", false));
    CHECK(ign_match(l, "deep/er/x.log", false));
    CHECK(!ign_match(l, "x.log.txt", false));
    CHECK(ign_match(l, "build", true));
    CHECK(!ign_match(l, "build", false)); /* dir/ matches folders only */
    CHECK(ign_match(l, "src/build/out.o", false)); /* inside an ignored folder */
    CHECK(ign_match(l, "root_only.txt", false));
    CHECK(!ign_match(l, "sub/root_only.txt", false)); /* anchored */
    CHECK(ign_match(l, "docs/a.html", false));
    CHECK(!ign_match(l, "docs/sub/a.html", false)); /* '*' stops at '/' */
    CHECK(ign_match(l, "x/gen/y/z.c", false));
    CHECK(ign_match(l, "secret.key", false));
    CHECK(!ign_match(l, "secret_ok.txt", false)); /* negation */
    CHECK(ign_match(l, "a/z.c", false));          /* "**" + "/" matches zero folders */
    CHECK(ign_match(l, "a/b/c/z.c", false));
    CHECK(ign_match(l, "#hash", false));
    CHECK(ign_match(l, "trailing", false));
    CHECK(!ign_match(l, "keep.c", false));
    /* a nested .gitignore applies below its folder only */
    ign_add(l, "*.tmp\n", 6, "sub");
    CHECK(ign_match(l, "sub/a.tmp", false));
    CHECK(ign_match(l, "sub/deeper/a.tmp", false));
    CHECK(!ign_match(l, "a.tmp", false));
    CHECK(ign_glob("f[a-c]o?", "fbox"));
    CHECK(!ign_glob("f[!a-c]o", "fbo"));
    ign_free(l);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static int hook_calls;
static void hook(void *ud, const char *path, const char *text, size_t len)
{
    (void)ud;
    (void)path;
    (void)text;
    (void)len;
    hook_calls++;
}

static void workspace(void)
{
    char root[] = "/tmp/us-words-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    char p[256];
    snprintf(p, sizeof p, "%s/src", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/build", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/.gitignore", root);
    write_file(p, "build/\n*.secret\n");
    snprintf(p, sizeof p, "%s/src/main.c", root);
    write_file(p, "int compute_total(int x) { return x; }\n");
    snprintf(p, sizeof p, "%s/build/gen.c", root);
    write_file(p, "int generated_symbol;\n");
    snprintf(p, sizeof p, "%s/src/key.secret", root);
    write_file(p, "hidden_password_word\n");
    snprintf(p, sizeof p, "%s/src/blob.dat", root);
    FILE *f = fopen(p, "wb");
    fwrite("binary_word\0\0\0", 1, 14, f);
    fclose(f);

    struct words *w = words_new();
    words_set_file_hook(w, hook, NULL);
    CHECK_EQ_INT(words_index_start(w, "/nonexistent/dir", NULL), US_ENOENT);
    CHECK_EQ_INT(words_index_start(w, root, NULL), 0);
    int steps = 0;
    while (words_index_step(w, 1) == 1 && steps < 1000)
        steps++;
    CHECK(steps > 1); /* a tiny budget really splits the work */
    struct words_stats st;
    words_stats(w, &st);
    CHECK(!st.scanning);
    CHECK_EQ_INT(st.files, 2); /* main.c and .gitignore */
    CHECK_EQ_INT(hook_calls, 2);
    struct words_item it[8];
    struct words_query q = {NULL, NULL, 0, 0, "com", 3};
    CHECK_EQ_INT(words_query(w, &q, it, 8), 1);
    CHECK_EQ_STR(it[0].word, "compute_total");
    CHECK(it[0].origin == WORDS_WORKSPACE);
    q.typed = "gen";
    CHECK_EQ_INT(words_query(w, &q, it, 8), 0); /* ignored folder */
    q.typed = "hid";
    CHECK_EQ_INT(words_query(w, &q, it, 8), 0); /* ignored pattern */
    q.typed = "bin";
    CHECK_EQ_INT(words_query(w, &q, it, 8), 0); /* binary */
    words_free(w);

    /* file cap */
    w = words_new();
    struct words_caps caps = {.max_files = 1};
    words_index_start(w, root, &caps);
    while (words_index_step(w, 1000) == 1)
        ;
    words_stats(w, &st);
    CHECK_EQ_INT(st.files, 1);
    words_free(w);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    CHECK(system(cmd) == 0);
}

/* Vendored and generated folders are skipped without any .gitignore. */
static void skip_list(void)
{
    char root[] = "/tmp/us-words-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    static const char *const skipped[] = {"node_modules", ".git", "build", "build-release",
                                          "dist", "target", "vendor", ".venv", "__pycache__"};
    char p[300];
    for (size_t i = 0; i < sizeof skipped / sizeof *skipped; i++) {
        snprintf(p, sizeof p, "%s/%s", root, skipped[i]);
        mkdir(p, 0755);
        snprintf(p, sizeof p, "%s/%s/f.js", root, skipped[i]);
        write_file(p, "var vendored_word_here = 1;\n");
        CHECK(words_skip_dir(skipped[i]));
    }
    CHECK(!words_skip_dir("src"));
    CHECK(words_skip_dir("build-debug")); /* build* */
    snprintf(p, sizeof p, "%s/src", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/src/app.js", root);
    write_file(p, "var visible_word_here = 1;\n");
    struct words *w = words_new();
    CHECK_EQ_INT(words_index_start(w, root, NULL), 0);
    while (words_index_step(w, 1000) == 1)
        ;
    struct words_stats st;
    words_stats(w, &st);
    CHECK_EQ_INT(st.files, 1);
    struct words_item it[8];
    struct words_query q = {NULL, NULL, 0, 0, "vis", 3};
    CHECK_EQ_INT(words_query(w, &q, it, 8), 1);
    q.typed = "ven";
    CHECK_EQ_INT(words_query(w, &q, it, 8), 0);
    words_free(w);
    char cmd[350];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    CHECK(system(cmd) == 0);
}

static void speed(void)
{
    /* a 10,000-line document: a query must stay far below the 5 ms budget */
    struct strbuf sb;
    sb_init(&sb);
    for (int i = 0; i < 10000; i++)
        sb_addf(&sb, "    value_%d = compute_thing(item_%d, other_name_%d)  # note %d\n", i % 700,
                i % 300, i % 50, i);
    size_t cursor = sb.len / 2;
    struct words *w = words_new();
    words_doc_set(w, "big", sb.data, sb.len);
    struct words_item it[20];
    uint64_t worst = 0;
    for (int r = 0; r < 50; r++) {
        static const char *const typed[] = {"va", "co", "it", "ot", "no"};
        struct words_query q = {"big", sb.data, sb.len, cursor + (size_t)r * 977, typed[r % 5], 2};
        uint64_t t0 = check_thread_cpu_us();
        size_t n = words_query(w, &q, it, 20);
        uint64_t dt = check_thread_cpu_us() - t0;
        if (dt > worst)
            worst = dt;
        CHECK(n > 0);
    }
    printf("words: worst query on 10k lines: %llu us of CPU\n", (unsigned long long)worst);
    CHECK(worst < 50000); /* generous: sanitizer builds are slow */
    words_free(w);
    sb_release(&sb);
}

#define TESTS(X) X(ranking) X(recency) X(gitignore) X(workspace) X(skip_list) X(speed)
CHECK_MAIN(TESTS)
