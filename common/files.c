/* files: bounded whole-file reads, change stamps, the key-file reader. */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct us_file_stamp stamp_from(const struct stat *st)
{
    struct us_file_stamp s = {(uint64_t)st->st_size, (int64_t)st->st_mtim.tv_sec,
                              (long)st->st_mtim.tv_nsec};
    return s;
}

struct us_file_stamp us_file_stamp_of(const char *path)
{
    struct stat st;
    if (!path || stat(path, &st) != 0)
        return (struct us_file_stamp){0, 0, 0};
    return stamp_from(&st);
}

bool us_file_stamp_equal(struct us_file_stamp a, struct us_file_stamp b)
{
    return a.size == b.size && a.mtime_sec == b.mtime_sec && a.mtime_nsec == b.mtime_nsec;
}

int us_read_file(const char *path, size_t cap, struct strbuf *out, struct us_file_stamp *stamp)
{
    if (stamp)
        *stamp = (struct us_file_stamp){0, 0, 0};
    if (!path)
        return US_EINVAL;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? US_ENOENT : US_EIO;
    int rc = 0;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = US_EIO;
        goto out;
    }
    if (stamp)
        *stamp = stamp_from(&st);
    if (!S_ISREG(st.st_mode)) {
        errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        rc = US_EIO;
        goto out;
    }
    size_t got = 0;
    char buf[16384];
    for (;;) {
        /* Read one byte past the cap to tell "exactly cap" from "more than cap". */
        size_t want = US_MIN(sizeof(buf), cap + 1 - got);
        ssize_t n = read(fd, buf, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = US_EIO;
            goto out;
        }
        if (n == 0)
            break;
        size_t keep = US_MIN((size_t)n, cap - got);
        sb_add(out, buf, keep);
        got += (size_t)n;
        if (got > cap) {
            rc = US_ETOOBIG;
            goto out;
        }
    }
out:;
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static bool key_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int us_read_key_file(const char *path, char **key, char **err, struct us_file_stamp *stamp)
{
    *key = NULL;
    char *msg = NULL;
    struct strbuf sb;
    sb_init(&sb);
    int rc = us_read_file(path, US_KEY_FILE_MAX, &sb, stamp);
    switch (rc) {
    case 0:
        break;
    case US_ENOENT:
        msg = xasprintf("key file %s does not exist", path);
        goto out;
    case US_ETOOBIG:
        msg = xasprintf("key file %s is larger than %d bytes; it should hold one key", path,
                        US_KEY_FILE_MAX);
        goto out;
    default:
        msg = xasprintf("key file %s cannot be read: %s", path, strerror(errno));
        goto out;
    }
    size_t s = 0, e = sb.len;
    while (s < e && key_space(sb.data[s]))
        s++;
    while (e > s && key_space(sb.data[e - 1]))
        e--;
    if (e == s) {
        rc = US_ENOKEY;
        msg = xasprintf("key file %s is empty", path);
        goto out;
    }
    for (size_t i = s; i < e; i++) {
        unsigned char c = (unsigned char)sb.data[i];
        if (c < 0x20 || c == 0x7f) {
            rc = US_EPARSE;
            msg = xasprintf("key file %s must hold one line (the key) but has %s at byte %zu",
                            path,
                            c == '\n'   ? "a second line"
                            : c == '\r' ? "a carriage return inside the line"
                                        : "a control character",
                            i + 1);
            goto out;
        }
    }
    *key = xstrndup(sb.data + s, e - s);
out:
    sb_release(&sb);
    if (err)
        *err = msg;
    else
        free(msg);
    return rc;
}
