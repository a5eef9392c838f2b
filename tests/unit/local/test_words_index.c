/* Words index, issue 17 items 4 and 5: counts kept by difference equal a full re-count after
 * thousands of random edits; the workspace index stays within its bounds of distinct words and
 * memory; the scan off the loop (libuv workers) finds what the stepped scan finds, calls the
 * file hook on the loop thread, and survives the index being freed while a batch is out. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "base.h"
#include "check.h"
#include "local/words.h"

/* ---------------------------------------------------------------- incremental counts */

static const char *const pieces[] = {
    "alpha", "beta_2", "gamma", "delta_long_name", "x", "yy", "zzz", "_private", "$dollar",
    "élan", "123abc", " ", " ", "  ", "\n", "\n", "\n\n", "(", ")", ".", ",", "=", "\t",
    "self.value", "return total", "def compute(a, b):", "# note", "\"str\"", "Ünïcode",
};

/* Every word the tokenizer could see in text: identifiers of word characters. */
static void each_word(const char *t, size_t len, void (*fn)(void *ud, const char *w), void *ud)
{
    char buf[128];
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)t[i];
        bool wc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c >= 0x80;
        if (!wc) {
            i++;
            continue;
        }
        size_t s = i;
        while (i < len) {
            unsigned char d = (unsigned char)t[i];
            if (!((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9') ||
                  d == '_' || d >= 0x80))
                break;
            i++;
        }
        if (i - s < sizeof buf) {
            memcpy(buf, t + s, i - s);
            buf[i - s] = 0;
            fn(ud, buf);
        }
    }
}

struct cmp_ctx {
    struct words *inc, *ref;
    const char *uri;
    int mismatches;
};

static void cmp_word(void *ud, const char *word)
{
    struct cmp_ctx *c = ud;
    uint32_t a = words_doc_count(c->inc, c->uri, word), b = words_doc_count(c->ref, c->uri, word);
    uint32_t ta = words_doc_count(c->inc, NULL, word), tb = words_doc_count(c->ref, NULL, word);
    if (a != b || ta != tb) {
        if (c->mismatches++ < 5)
            fprintf(stderr, "mismatch %s: doc %u vs %u, all %u vs %u\n", word, a, b, ta, tb);
    }
}

static void splice_text(struct strbuf *t, size_t a, size_t b, const char *ins)
{
    struct strbuf out;
    sb_init(&out);
    sb_add(&out, t->data, a);
    sb_adds(&out, ins);
    sb_add(&out, t->data + b, t->len - b);
    sb_release(t);
    *t = out;
}

static void incremental_equals_recount(void)
{
    srand(17);
    static const char *const uris[] = {"file:///a.py", "file:///b.py", "file:///c.py"};
    struct strbuf text[3], old[3];
    struct words *inc = words_new();
    for (int k = 0; k < 3; k++) {
        sb_init(&text[k]);
        sb_init(&old[k]);
        for (int i = 0; i < 300; i++)
            sb_adds(&text[k], pieces[(size_t)rand() % US_ARRAY_LEN(pieces)]);
        words_doc_set(inc, uris[k], text[k].data, text[k].len);
    }
    int mismatches = 0, checks = 0;
    for (int e = 0; e < 6000; e++) {
        /* Mostly one document (counted by difference), now and then the others, so the kept
         * texts move between documents and some updates are counted whole. */
        int k = rand() % 10 < 8 ? 0 : 1 + rand() % 2;
        sb_clear(&old[k]);
        sb_add(&old[k], text[k].data, text[k].len);
        /* one to three places edited before the update (a keystroke here, another there) */
        for (int places = rand() % 4 == 0 ? 2 + rand() % 2 : 1; places > 0; places--) {
            size_t a = text[k].len ? (size_t)rand() % (text[k].len + 1) : 0;
            size_t b = a + (size_t)(rand() % 4 == 0 ? rand() % 60 : rand() % 3);
            if (b > text[k].len)
                b = text[k].len;
            char ins[256] = "";
            int n = rand() % 4;
            for (int i = 0; i < n; i++)
                strcat(ins, pieces[(size_t)rand() % US_ARRAY_LEN(pieces)]);
            if (rand() % 500 == 0) { /* a whole replacement now and then */
                a = 0;
                b = text[k].len;
            }
            splice_text(&text[k], a, b, ins);
        }
        words_doc_set(inc, uris[k], text[k].data, text[k].len);
        if (e % 7 == 0 || e > 5900) {
            struct words *ref = words_new();
            for (int j = 0; j < 3; j++)
                words_doc_set(ref, uris[j], text[j].data, text[j].len);
            for (int j = 0; j < 3; j++) {
                struct cmp_ctx c = {inc, ref, uris[j], 0};
                each_word(text[j].data, text[j].len, cmp_word, &c);
                each_word(old[j].data, old[j].len, cmp_word, &c); /* words that left */
                if (words_doc_distinct(inc, uris[j]) != words_doc_distinct(ref, uris[j])) {
                    if (c.mismatches++ < 5)
                        fprintf(stderr, "edit %d doc %d: %zu distinct vs %zu\n", e, j,
                                words_doc_distinct(inc, uris[j]),
                                words_doc_distinct(ref, uris[j]));
                }
                mismatches += c.mismatches;
            }
            checks++;
            words_free(ref);
        }
    }
    CHECK_EQ_INT(mismatches, 0);
    CHECK(checks > 800);
    /* Removing a document takes exactly its counts out. */
    words_doc_remove(inc, uris[0]);
    CHECK_EQ_INT(words_doc_distinct(inc, uris[0]), 0);
    struct words *ref = words_new();
    for (int j = 1; j < 3; j++)
        words_doc_set(ref, uris[j], text[j].data, text[j].len);
    struct cmp_ctx c = {inc, ref, NULL, 0};
    each_word(text[0].data, text[0].len, cmp_word, &c);
    CHECK_EQ_INT(c.mismatches, 0);
    words_free(ref);
    words_free(inc);
    for (int k = 0; k < 3; k++) {
        sb_release(&text[k]);
        sb_release(&old[k]);
    }
}

/* Recency still follows the words an edit added, counted by difference. */
static void incremental_recency(void)
{
    struct words *w = words_new();
    const char *v1 = "def main():\n    pass\nrefund_amount = 1\nreport_card = 2\n";
    words_doc_set(w, "u", v1, strlen(v1));
    const char *v2 = "def main():\n    report_card = 3\nrefund_amount = 1\nreport_card = 2\n";
    words_doc_set(w, "u", v2, strlen(v2));
    struct words_item it[8];
    struct words_query q = {"other", NULL, 0, 0, "re", 2};
    size_t n = words_query(w, &q, it, 8);
    CHECK(n >= 2);
    CHECK_EQ_STR(it[0].word, "report_card"); /* just typed: recent */
    words_free(w);
}

/* ---------------------------------------------------------------- workspace */

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fwrite(text, 1, len, f);
        fclose(f);
    }
}

/* A workspace of 40 files with 2,000 distinct words each (80,000 in all). */
static char *many_words_tree(void)
{
    char *root = xstrdup("/tmp/us-wordsidx-XXXXXX");
    CHECK(mkdtemp(root) != NULL);
    struct strbuf sb;
    sb_init(&sb);
    for (int f = 0; f < 40; f++) {
        sb_clear(&sb);
        for (int i = 0; i < 2000; i++)
            sb_addf(&sb, "ident_%d_%d ", f, i);
        char *p = xasprintf("%s/f%02d.txt", root, f);
        write_file(p, sb.data, sb.len);
        free(p);
    }
    sb_release(&sb);
    return root;
}

static void rm_rf(const char *root)
{
    char *cmd = xasprintf("rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
    free(cmd);
}

static void bounds(void)
{
    char *root = many_words_tree();
    /* distinct words */
    struct words *w = words_new();
    struct words_caps caps = {.max_words = 5000};
    CHECK_EQ_INT(words_index_start(w, root, &caps), 0);
    while (words_index_step(w, 100000))
        ;
    struct words_stats st;
    words_stats(w, &st);
    CHECK_EQ_INT(st.files, 40); /* every file read ... */
    CHECK(st.distinct <= 5000);  /* ... but no more words kept than the bound */
    CHECK(st.distinct >= 4900);
    CHECK(st.dropped_words > 70000);
    /* Open documents are always counted, bound or not. */
    const char *doc = "brand_new_word_in_doc = 1\n";
    words_doc_set(w, "file:///d.py", doc, strlen(doc));
    CHECK_EQ_INT(words_doc_count(w, "file:///d.py", "brand_new_word_in_doc"), 1);
    words_free(w);

    /* bytes of memory */
    w = words_new();
    struct words_caps mcaps = {.max_index_bytes = 512u << 10};
    CHECK_EQ_INT(words_index_start(w, root, &mcaps), 0);
    while (words_index_step(w, 100000))
        ;
    words_stats(w, &st);
    printf("bounded by 512 KiB: %zu distinct words, %zu bytes, %zu left out\n", st.distinct,
           st.memory, st.dropped_words);
    CHECK(st.memory <= (512u << 10));
    CHECK(st.distinct > 1000);
    CHECK(st.dropped_words > 0);
    words_free(w);

    /* defaults: 80,000 words fit */
    w = words_new();
    CHECK_EQ_INT(words_index_start(w, root, NULL), 0);
    while (words_index_step(w, 100000))
        ;
    words_stats(w, &st);
    CHECK_EQ_INT(st.distinct, 80000);
    CHECK(st.memory <= WORDS_DEFAULT_MAX_BYTES);
    printf("80,000 distinct words: %zu bytes of index (%.1f per word)\n", st.memory,
           (double)st.memory / (double)st.distinct);
    words_free(w);
    rm_rf(root);
    free(root);
}

struct async_ctx {
    pthread_t loop_thread;
    int hook_calls, hook_off_loop, done_calls;
};

static void async_hook(void *ud, const char *path, const char *text, size_t len)
{
    struct async_ctx *c = ud;
    (void)path;
    (void)text;
    (void)len;
    c->hook_calls++;
    if (!pthread_equal(pthread_self(), c->loop_thread))
        c->hook_off_loop++;
}

static void async_done(void *ud)
{
    ((struct async_ctx *)ud)->done_calls++;
}

static void async_walk(void)
{
    char *root = many_words_tree();
    /* a skipped folder and a .gitignore'd file, as in the stepped scan */
    char *p = xasprintf("%s/node_modules", root);
    mkdir(p, 0755);
    free(p);
    p = xasprintf("%s/node_modules/dep.js", root);
    write_file(p, "vendored_word_xyz\n", 18);
    free(p);
    p = xasprintf("%s/.gitignore", root);
    write_file(p, "f39.txt\n", 8);
    free(p);

    uv_loop_t loop;
    uv_loop_init(&loop);
    struct async_ctx c = {pthread_self(), 0, 0, 0};
    struct words *w = words_new();
    words_set_file_hook(w, async_hook, &c);
    CHECK_EQ_INT(words_index_start_async(w, &loop, "/nonexistent/x", NULL, async_done, &c),
                 US_ENOENT);
    CHECK_EQ_INT(words_index_start_async(w, &loop, root, NULL, async_done, &c), 0);
    struct words_stats st;
    words_stats(w, &st);
    CHECK(st.scanning);
    uv_run(&loop, UV_RUN_DEFAULT);
    words_stats(w, &st);
    CHECK(!st.scanning);
    CHECK_EQ_INT(c.done_calls, 1);
    CHECK_EQ_INT(st.files, 40); /* 39 .txt + .gitignore; f39.txt ignored */
    CHECK_EQ_INT(c.hook_calls, 40);
    CHECK_EQ_INT(c.hook_off_loop, 0);
    CHECK_EQ_INT(st.distinct, 39 * 2000 + 2); /* + "f39", "txt" from .gitignore */
    struct words_item it[4];
    struct words_query q = {NULL, NULL, 0, 0, "vendored_", 9};
    CHECK_EQ_INT(words_query(w, &q, it, 4), 0);
    q = (struct words_query){NULL, NULL, 0, 0, "ident_39_1", 10};
    CHECK_EQ_INT(words_query(w, &q, it, 4), 0);
    q = (struct words_query){NULL, NULL, 0, 0, "ident_38_199", 12};
    CHECK(words_query(w, &q, it, 4) >= 1);
    words_free(w);

    /* Freed (or restarted) while a batch is out: the batch cleans up after itself. */
    c = (struct async_ctx){pthread_self(), 0, 0, 0};
    w = words_new();
    CHECK_EQ_INT(words_index_start_async(w, &loop, root, NULL, async_done, &c), 0);
    CHECK_EQ_INT(words_index_start_async(w, &loop, root, NULL, async_done, &c), 0);
    uv_run(&loop, UV_RUN_NOWAIT);
    words_free(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(c.done_calls, 0);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    rm_rf(root);
    free(root);
}

#define TESTS(X) X(incremental_equals_recount) X(incremental_recency) X(bounds) X(async_walk)
CHECK_MAIN(TESTS)
