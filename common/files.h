/* files: read a whole small file with a size cap, a file's change stamp (size + mtime to the
 * nanosecond), and the API-key-file reader every floor uses (one definition of a key file).
 * Boundary: the text lands in a caller's strbuf (caller releases); us_read_key_file's key and
 * error message are the caller's to free(); paths are borrowed. Blocking I/O: small files only. */
#ifndef US_FILES_H
#define US_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"

/* What tells a caller that a file changed: size and modification time to the nanosecond. An
 * all-zero stamp means "no such file / unreadable". Compare with us_file_stamp_equal. */
struct us_file_stamp {
    uint64_t size;
    int64_t mtime_sec;
    long mtime_nsec;
};

/* Stamp of path (following symlinks); all zero when it cannot be stat'ed. */
struct us_file_stamp us_file_stamp_of(const char *path);
bool us_file_stamp_equal(struct us_file_stamp a, struct us_file_stamp b);

/* Append the whole of path (a regular file) to out, reading at most cap bytes.
 * Returns 0; US_ENOENT when it does not exist; US_ETOOBIG when it holds more than cap bytes
 * (out keeps the first cap bytes); US_EIO when it cannot be opened or read, or is not a regular
 * file (a directory, a FIFO: never blocks on one). On US_ENOENT and US_EIO errno holds the
 * system's reason. stamp (may be NULL) receives the file's stamp when it could be opened. */
int us_read_file(const char *path, size_t cap, struct strbuf *out, struct us_file_stamp *stamp);

/* The largest key file read (keys are a few hundred bytes; anything bigger is not a key). */
#define US_KEY_FILE_MAX 16384

/* Read an API key file: one line. Surrounding whitespace (spaces, tabs, a trailing "\n" or
 * "\r\n", blank lines) is removed; any control character left inside (a "\r" mid-line, a second
 * line, a tab, NUL) is an error: the key would otherwise smuggle headers into requests.
 * Returns 0 and *key (caller frees); or US_ENOENT (missing), US_EIO (unreadable),
 * US_ETOOBIG (over US_KEY_FILE_MAX), US_ENOKEY (empty), US_EPARSE (control character), with
 * *err (caller frees, may be NULL to ignore) a sentence naming the file and the problem, never
 * the file's content. stamp (may be NULL) receives the file's stamp whenever it exists, so a
 * caller can notice a rotated key. *key is NULL on error. */
int us_read_key_file(const char *path, char **key, char **err, struct us_file_stamp *stamp);

#endif
