/* base: the small things every floor shares: one error table, the xmalloc family (allocation
 * failure aborts), a growable byte buffer, leveled logging with secret redaction, clocks.
 * Boundary: x* results and sb_detach's buffer are the caller's to free(); a strbuf is a value
 * owned by whoever holds it; log_add_secret copies. Nothing here does I/O on the event loop. */
#ifndef US_BASE_H
#define US_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One error table for the whole program (libuv's UV_ERRNO_MAP style). Functions return 0 or
 * one of these negative codes. */
#define US_ERRNO_MAP(X)                                                        \
    X(EINVAL, -1, "invalid argument")                                          \
    X(ENOMEM, -2, "out of memory")                                             \
    X(ETOOBIG, -3, "input exceeds its size cap")                               \
    X(EPARSE, -4, "malformed input")                                           \
    X(ENOENT, -5, "not found")                                                 \
    X(EIO, -6, "input/output error")                                           \
    X(ECONFIG, -7, "invalid configuration")                                    \
    X(ENOKEY, -8, "API key missing")                                           \
    X(ECANCELED, -9, "cancelled")                                              \
    X(ETIMEDOUT, -10, "timed out")                                             \
    X(EPROTO, -11, "protocol error")                                           \
    X(EUNSUPPORTED, -12, "not supported")                                      \
    X(EEXIST, -13, "already exists")                                           \
    X(ESTATE, -14, "not allowed in this state")

enum us_err {
#define US__ERR_ENUM(name, val, msg) US_##name = (val),
    US_ERRNO_MAP(US__ERR_ENUM)
#undef US__ERR_ENUM
};

/* Static string for an error code; never NULL. */
const char *us_strerror(int err);

/* Allocation: never returns NULL; aborts with a message on exhaustion. Caller frees with free(). */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grow the array *arr (elements of size elem) so that it holds at least need of them: capacity
 * doubles from 16, so appending one at a time is amortised O(1) (git's ALLOC_GROW). */
void xgrow(void **arr, size_t *cap, size_t need, size_t elem);
/* printf into a fresh string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer, always NUL-terminated (data[len] == 0). Value type owned by whoever
 * holds it: sb_init before use, sb_release frees the storage, sb_clear keeps it for reuse
 * (git's S_init / S_release / S_clear verbs). */
struct strbuf {
    char *data; /* never NULL after sb_init */
    size_t len;
    size_t cap;
};
void sb_init(struct strbuf *sb);
void sb_release(struct strbuf *sb);
void sb_clear(struct strbuf *sb);
void sb_add(struct strbuf *sb, const void *data, size_t len);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Remove the first n bytes. */
void sb_consume(struct strbuf *sb, size_t n);
/* Hand the storage to the caller (caller frees); sb is left released (sb_release on it is a
 * no-op; sb_init before reusing it). */
char *sb_detach(struct strbuf *sb, size_t *len);

/* Logging. Messages go to stderr (never stdout: stdout is LSP only) or to the configured file.
 * Every registered secret is replaced by "[redacted]" before a line is written, and header
 * lines naming Authorization, x-api-key or x-goog-api-key have their values masked. */
enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "error|warn|info|debug|trace"; returns 0 or US_EINVAL. */
int log_parse_level(const char *name, enum log_level *out);
/* Redirect output to path (append); NULL goes back to stderr. Returns 0 or US_EIO. */
int log_set_file(const char *path);
/* Remember a secret value (an API key) so that it never appears in a log line. Copies it. */
void log_add_secret(const char *secret);
/* Mask every registered secret and credential header value in text, in place. */
void log_redact(struct strbuf *text);
void log_msg(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Lines read "understudy[PID] level [module] message" (the process id tells apart the
 * servers of several editors logging to one file). A sink receives every line that passes the
 * level, already redacted ("understudy[PID] [module] message", no newline), and returns true when it took the line: stderr then gets nothing (a configured
 * file still gets every line). Lines logged from inside the sink go to the file or stderr
 * (no recursion). fn NULL removes the sink. */
typedef bool (*log_sink_fn)(enum log_level level, const char *line, size_t len, void *ud);
void log_set_sink(log_sink_fn fn, void *ud);
#define LOG_E(mod, ...) log_msg(LOG_ERROR, mod, __VA_ARGS__)
#define LOG_W(mod, ...) log_msg(LOG_WARN, mod, __VA_ARGS__)
#define LOG_I(mod, ...) log_msg(LOG_INFO, mod, __VA_ARGS__)
#define LOG_D(mod, ...) \
    do { if (log_get_level() >= LOG_DEBUG) log_msg(LOG_DEBUG, mod, __VA_ARGS__); } while (0)
/* Trace lines say what was sent (paths, providers, byte counts, what was masked): never text. */
#define LOG_T(mod, ...) \
    do { if (log_get_level() >= LOG_TRACE) log_msg(LOG_TRACE, mod, __VA_ARGS__); } while (0)

/* Monotonic milliseconds (for deadlines) and microseconds (for timings). */
uint64_t us_now_ms(void);
uint64_t us_now_us(void);

#define US_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define US_MIN(a, b) ((a) < (b) ? (a) : (b))
#define US_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
