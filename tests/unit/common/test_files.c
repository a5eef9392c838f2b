/* test_files: the bounded file reader, change stamps and the key-file reader. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "check.h"
#include "files.h"

static char dir[] = "/tmp/us_test_files_XXXXXX";

static void remove_dir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* A scratch folder, made on first use (any case may run alone) and removed at exit. */
static void ensure_dir(void)
{
    static int made;
    if (made++)
        return;
    if (!mkdtemp(dir))
        abort();
    atexit(remove_dir);
}

static const char *put(const char *name, const void *data, size_t len)
{
    static char path[256];
    ensure_dir();
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, len, f);
    fclose(f);
    return path;
}

#define PUTS(name, lit) put(name, lit, sizeof(lit) - 1)

static void read_caps(void)
{
    struct strbuf sb;
    sb_init(&sb);
    struct us_file_stamp st;
    const char *p = PUTS("ten", "0123456789");
    CHECK_EQ_INT(us_read_file(p, 10, &sb, &st), 0); /* exactly the cap is fine */
    CHECK_EQ_STR(sb.data, "0123456789");
    CHECK_EQ_INT(st.size, 10);
    CHECK(st.mtime_sec > 0);
    sb_clear(&sb);
    CHECK_EQ_INT(us_read_file(p, 9, &sb, NULL), US_ETOOBIG);
    CHECK_EQ_INT(sb.len, 9); /* the first cap bytes */
    sb_clear(&sb);
    CHECK_EQ_INT(us_read_file(p, 0, &sb, NULL), US_ETOOBIG);
    sb_clear(&sb);
    p = PUTS("empty", "");
    CHECK_EQ_INT(us_read_file(p, 0, &sb, NULL), 0);
    CHECK_EQ_INT(sb.len, 0);
    /* bigger than the reader's own buffer */
    size_t big = 100000;
    char *data = xmalloc(big);
    memset(data, 'x', big);
    p = put("big", data, big);
    CHECK_EQ_INT(us_read_file(p, big, &sb, NULL), 0);
    CHECK_EQ_INT(sb.len, big);
    sb_clear(&sb);
    CHECK_EQ_INT(us_read_file(p, big - 1, &sb, NULL), US_ETOOBIG);
    free(data);
    sb_clear(&sb);
    char missing[256];
    snprintf(missing, sizeof(missing), "%s/missing", dir);
    CHECK_EQ_INT(us_read_file(missing, 10, &sb, &st), US_ENOENT);
    CHECK_EQ_INT(errno, ENOENT);
    CHECK(st.size == 0 && st.mtime_sec == 0);
    CHECK_EQ_INT(us_read_file(dir, 10, &sb, NULL), US_EIO); /* a directory */
    CHECK_EQ_INT(errno, EISDIR);
    CHECK_EQ_INT(us_read_file(NULL, 10, &sb, NULL), US_EINVAL);
    sb_release(&sb);
}

static void stamps(void)
{
    const char *p = PUTS("stamp", "one");
    struct us_file_stamp a = us_file_stamp_of(p);
    CHECK(us_file_stamp_equal(a, us_file_stamp_of(p)));
    PUTS("stamp", "three"); /* same second, other size */
    CHECK(!us_file_stamp_equal(a, us_file_stamp_of(p)));
    struct us_file_stamp b = us_file_stamp_of(p);
    struct timespec ts[2] = {{0, UTIME_OMIT}, {b.mtime_sec, (b.mtime_nsec + 1) % 1000000000}};
    CHECK_EQ_INT(utimensat(AT_FDCWD, p, ts, 0), 0); /* same size, mtime moved by 1 ns */
    CHECK(!us_file_stamp_equal(b, us_file_stamp_of(p)));
    struct us_file_stamp none = us_file_stamp_of("/nonexistent/us/stamp");
    CHECK(none.size == 0 && none.mtime_sec == 0 && none.mtime_nsec == 0);
}

/* Read a key from literal content; returns the code, *key and *err as the reader left them. */
static int key_of(const char *name, const char *content, size_t len, char **key, char **err)
{
    const char *p = put(name, content, len);
    struct us_file_stamp st;
    int rc = us_read_key_file(p, key, err, &st);
    CHECK_EQ_INT(st.size, len);
    return rc;
}

#define KEY(lit, key, err) key_of("key", lit, sizeof(lit) - 1, key, err)

static void key_reader(void)
{
    char *key, *err;
    CHECK_EQ_INT(KEY("sk-abc123\n", &key, &err), 0);
    CHECK_EQ_STR(key, "sk-abc123");
    CHECK(err == NULL);
    free(key);
    CHECK_EQ_INT(KEY("sk-abc123\r\n", &key, &err), 0); /* CRLF */
    CHECK_EQ_STR(key, "sk-abc123");
    free(key);
    CHECK_EQ_INT(KEY("  \tsk-abc123  \n\n", &key, &err), 0); /* surrounding whitespace */
    CHECK_EQ_STR(key, "sk-abc123");
    free(key);
    CHECK_EQ_INT(KEY("sk-abc123", &key, &err), 0); /* no newline */
    CHECK_EQ_STR(key, "sk-abc123");
    free(key);
    CHECK_EQ_INT(KEY("sk key with spaces", &key, &err), 0); /* inner spaces are not controls */
    CHECK_EQ_STR(key, "sk key with spaces");
    free(key);
}

static void key_reader_rejects(void)
{
    char *key, *err;
    /* header injection */
    CHECK_EQ_INT(KEY("sk-secret1\r\nX-Injected: yes\n", &key, &err), US_EPARSE);
    CHECK(key == NULL);
    CHECK(err && strstr(err, dir) && strstr(err, "/key"));
    CHECK(err && !strstr(err, "sk-secret1") && !strstr(err, "Injected"));
    CHECK(err && strstr(err, "carriage return"));
    free(err);
    CHECK_EQ_INT(KEY("sk-secret1\nsk-secret2\n", &key, &err), US_EPARSE); /* two lines */
    CHECK(err && strstr(err, "second line") && !strstr(err, "sk-secret"));
    free(err);
    CHECK_EQ_INT(KEY("sk-sec\tret\n", &key, &err), US_EPARSE); /* a tab inside */
    free(err);
    CHECK_EQ_INT(key_of("key", "sk-sec\0ret", 10, &key, &err), US_EPARSE); /* NUL */
    free(err);
    CHECK_EQ_INT(KEY("", &key, &err), US_ENOKEY); /* empty */
    CHECK(err && strstr(err, "empty") && strstr(err, dir));
    free(err);
    CHECK_EQ_INT(KEY(" \r\n\n", &key, &err), US_ENOKEY); /* only whitespace */
    free(err);
    /* huge */
    size_t big = US_KEY_FILE_MAX + 1;
    char *data = xmalloc(big);
    memset(data, 'k', big);
    CHECK_EQ_INT(key_of("key", data, big, &key, &err), US_ETOOBIG);
    CHECK(err && strstr(err, "larger") && !strstr(err, "kkkk"));
    free(err);
    CHECK_EQ_INT(key_of("key", data, big - 1, &key, &err), 0); /* at the cap: a (silly) key */
    CHECK(key && strlen(key) == big - 1);
    free(key);
    free(data);
    /* missing; err may be NULL to ignore it */
    char missing[256];
    snprintf(missing, sizeof(missing), "%s/nokey", dir);
    CHECK_EQ_INT(us_read_key_file(missing, &key, &err, NULL), US_ENOENT);
    CHECK(err && strstr(err, missing));
    free(err);
    CHECK_EQ_INT(us_read_key_file(missing, &key, NULL, NULL), US_ENOENT);
    CHECK(key == NULL);
}

#define TESTS(X) X(read_caps) X(stamps) X(key_reader) X(key_reader_rejects)
CHECK_MAIN(TESTS)
