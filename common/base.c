/* base: error table, allocation, byte buffers and redacting logger. */
#include "base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

const char *us_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define US__ERR_CASE(name, val, msg) case (val): return msg;
        US_ERRNO_MAP(US__ERR_CASE)
#undef US__ERR_CASE
    }
    return "unknown error";
}

static void oom(size_t n)
{
    fprintf(stderr, "understudy: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void xgrow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap * 2 : 16;
    while (c < need)
        c *= 2;
    *arr = xrealloc(*arr, c * elem);
    *cap = c;
}

char *xasprintf(const char *fmt, ...)
{
    struct strbuf sb;
    va_list ap;
    sb_init(&sb);
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    sb.data = xrealloc(sb.data, (size_t)n + 1);
    sb.cap = (size_t)n + 1;
    va_start(ap, fmt);
    vsnprintf(sb.data, sb.cap, fmt, ap);
    va_end(ap);
    return sb.data;
}

/* ---- strbuf ---- */

void sb_init(struct strbuf *sb)
{
    sb->cap = 16;
    sb->len = 0;
    sb->data = xmalloc(sb->cap);
    sb->data[0] = 0;
}

void sb_release(struct strbuf *sb)
{
    free(sb->data);
    sb->data = NULL;
    sb->len = sb->cap = 0;
}

void sb_clear(struct strbuf *sb)
{
    sb->len = 0;
    sb->data[0] = 0;
}

/* Appends in small steps double the storage (amortized O(1)); one append larger than that gets
 * exactly what it needs, so a buffer filled in one go (a document's text on didOpen) carries no
 * slack: rounding 23 KB up to 32 KB cost 1 MB over 100 open files. */
static void sb_grow(struct strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap * 2 : 16;
    if (cap < need)
        cap = need;
    sb->data = xrealloc(sb->data, cap);
    sb->cap = cap;
}

void sb_add(struct strbuf *sb, const void *data, size_t len)
{
    sb_grow(sb, len);
    if (len)
        memcpy(sb->data + sb->len, data, len);
    sb->len += len;
    sb->data[sb->len] = 0;
}

void sb_adds(struct strbuf *sb, const char *s)
{
    sb_add(sb, s, strlen(s));
}

void sb_addc(struct strbuf *sb, char c)
{
    sb_add(sb, &c, 1);
}

void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    sb_grow(sb, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void sb_consume(struct strbuf *sb, size_t n)
{
    if (n >= sb->len) {
        sb_clear(sb);
        return;
    }
    memmove(sb->data, sb->data + n, sb->len - n);
    sb->len -= n;
    sb->data[sb->len] = 0;
}

char *sb_detach(struct strbuf *sb, size_t *len)
{
    char *p = sb->data;
    if (len)
        *len = sb->len;
    sb->data = NULL; /* released: sb_init before reusing it */
    sb->len = sb->cap = 0;
    return p;
}

/* ---- time ---- */

uint64_t us_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t us_now_ms(void)
{
    return us_now_us() / 1000u;
}

/* ---- logging ---- */

static enum log_level g_level = LOG_INFO;
static FILE *g_log_file; /* NULL: stderr */
static char **g_secrets;
static size_t g_nsecrets;
static log_sink_fn g_sink;
static void *g_sink_ud;
static bool g_in_sink;

void log_set_sink(log_sink_fn fn, void *ud)
{
    g_sink = fn;
    g_sink_ud = ud;
}

void log_set_level(enum log_level level)
{
    g_level = level;
}

enum log_level log_get_level(void)
{
    return g_level;
}

int log_parse_level(const char *name, enum log_level *out)
{
    static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
    for (size_t i = 0; i < US_ARRAY_LEN(names); i++) {
        if (strcasecmp(name, names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    if (strcasecmp(name, "warning") == 0) {
        *out = LOG_WARN;
        return 0;
    }
    return US_EINVAL;
}

int log_set_file(const char *path)
{
    if (g_log_file) {
        fclose(g_log_file);
        g_log_file = NULL;
    }
    if (!path)
        return 0;
    g_log_file = fopen(path, "a");
    if (!g_log_file)
        return US_EIO;
    setvbuf(g_log_file, NULL, _IOLBF, 0);
    return 0;
}

void log_add_secret(const char *secret)
{
    /* Very short values would mask ordinary words; real keys are long. */
    if (!secret || strlen(secret) < 8)
        return;
    for (size_t i = 0; i < g_nsecrets; i++)
        if (strcmp(g_secrets[i], secret) == 0)
            return;
    g_secrets = xrealloc(g_secrets, (g_nsecrets + 1) * sizeof(*g_secrets));
    g_secrets[g_nsecrets++] = xstrdup(secret);
}

static void replace_all(struct strbuf *text, const char *needle, const char *with)
{
    size_t nlen = strlen(needle), wlen = strlen(with);
    char *hit;
    size_t from = 0;
    while (from <= text->len && (hit = memmem(text->data + from, text->len - from, needle, nlen))) {
        size_t at = (size_t)(hit - text->data);
        struct strbuf out;
        sb_init(&out);
        sb_add(&out, text->data, at);
        sb_add(&out, with, wlen);
        sb_add(&out, text->data + at + nlen, text->len - at - nlen);
        sb_release(text);
        *text = out;
        from = at + wlen;
    }
}

/* Mask "Name: value" up to the end of the line for credential headers. */
static void mask_header(struct strbuf *text, const char *name)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i + nlen < text->len; i++) {
        if (strncasecmp(text->data + i, name, nlen) != 0 || text->data[i + nlen] != ':')
            continue;
        size_t v = i + nlen + 1;
        while (v < text->len && text->data[v] == ' ')
            v++;
        size_t e = v;
        while (e < text->len && text->data[e] != '\r' && text->data[e] != '\n' &&
               text->data[e] != '"')
            e++;
        if (e > v) {
            struct strbuf out;
            sb_init(&out);
            sb_add(&out, text->data, v);
            sb_adds(&out, "[redacted]");
            sb_add(&out, text->data + e, text->len - e);
            sb_release(text);
            *text = out;
        }
        i = v;
    }
}

void log_redact(struct strbuf *text)
{
    for (size_t i = 0; i < g_nsecrets; i++)
        replace_all(text, g_secrets[i], "[redacted]");
    mask_header(text, "authorization");
    mask_header(text, "x-api-key");
    mask_header(text, "x-goog-api-key");
}

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
{
    static const char *const tags[] = {"error", "warn", "info", "debug", "trace"};
    if (level > g_level)
        return;
    struct strbuf line;
    sb_init(&line);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        char *msg = xmalloc((size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)n + 1, fmt, ap);
        va_end(ap);
        sb_addf(&line, "understudy[%ld] %s [%s] %s\n", (long)getpid(), tags[level], module,
                msg);
        free(msg);
    }
    log_redact(&line);
    bool sunk = false;
    if (g_sink && !g_in_sink && line.len > 0) {
        /* Without the level tag and the newline: the sink has the level. */
        const char *tag = strchr(line.data, ']') + 1; /* after "understudy[PID]" */
        size_t skip = (size_t)(tag - line.data) + 1 + strlen(tags[level]);
        struct strbuf sl;
        sb_init(&sl);
        sb_add(&sl, line.data, (size_t)(tag - line.data));
        sb_add(&sl, line.data + skip, line.len - skip - 1);
        g_in_sink = true;
        sunk = g_sink(level, sl.data, sl.len, g_sink_ud);
        sb_release(&sl);
        g_in_sink = false;
    }
    if (g_log_file || !sunk) {
        FILE *out = g_log_file ? g_log_file : stderr;
        fwrite(line.data, 1, line.len, out);
        fflush(out);
    }
    sb_release(&line);
}
