/* transport: stdio through libuv streams, with a blocking fallback for regular files. */
#include "transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"

#define READ_CHUNK (64 * 1024)

union stdio_handle {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_pipe_t pipe;
    uv_tty_t tty;
};

struct transport {
    uv_loop_t *loop;
    struct transport_callbacks cb;
    void *ud;
    int in_fd, out_fd;
    union stdio_handle in;
    union stdio_handle out;
    bool in_is_stream, out_is_stream;
    bool in_open, out_open;
    bool reading;
    bool eof_sent;
    bool closing;
    uv_fs_t file_read;     /* stdin as a regular file */
    uv_poll_t out_watch;   /* a dup of a stdout pipe or socket, watched for the reader leaving */
    int out_watch_fd;      /* -1 when not watching */
    char *file_buf;
    size_t pending;
    int open_handles;
};

struct write_req {
    uv_write_t req;
    struct transport *t;
    size_t len;
    char data[];
};

static void maybe_free(struct transport *t)
{
    if (t->closing && t->open_handles == 0 && t->pending == 0) {
        free(t->file_buf);
        free(t);
    }
}

static void signal_eof(struct transport *t)
{
    if (t->eof_sent)
        return;
    t->eof_sent = true;
    if (t->cb.on_eof)
        t->cb.on_eof(t->ud);
}

/* The editor's end of stdout is gone (it died, or closed our output): nothing we do can reach
 * it any more, and requests to providers would cost money for nobody. Treated as the end of
 * input, so the server aborts its transfers and exits. */
static void out_gone(struct transport *t)
{
    if (t->closing || t->eof_sent)
        return;
    LOG_I("transport", "stdout closed by the client; exiting");
    signal_eof(t);
}

static void close_cb(uv_handle_t *h);

static void out_watch_close_cb(uv_handle_t *h)
{
    struct transport *t = h->data;
    close(t->out_watch_fd);
    t->out_watch_fd = -1;
    close_cb(h);
}

/* epoll reports an error on a pipe's write end once its read end is closed (a socket: a
 * hang-up), without us writing anything. */
static void out_watch_cb(uv_poll_t *h, int status, int events)
{
    struct transport *t = h->data;
    (void)events;
    uv_poll_stop(h);
    if (status < 0 || (events & UV_DISCONNECT))
        out_gone(t);
}

static void out_watch_start(struct transport *t)
{
    t->out_watch_fd = -1;
    if (!t->out_is_stream || uv_guess_handle(t->out_fd) == UV_TTY)
        return;
    int fd = dup(t->out_fd);
    if (fd < 0)
        return;
    if (uv_poll_init(t->loop, &t->out_watch, fd) != 0) {
        close(fd);
        return;
    }
    t->out_watch.data = t;
    t->out_watch_fd = fd;
    t->open_handles++;
    uv_poll_start(&t->out_watch, UV_DISCONNECT, out_watch_cb);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct transport *t = h->data;
    if (!t->file_buf)
        t->file_buf = xmalloc(READ_CHUNK);
    buf->base = t->file_buf;
    buf->len = READ_CHUNK;
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct transport *t = s->data;
    if (n > 0) {
        t->cb.on_read(t->ud, buf->base, (size_t)n);
        return;
    }
    if (n < 0) {
        uv_read_stop(s);
        t->reading = false;
        signal_eof(t);
    }
}

static void file_read_cb(uv_fs_t *req)
{
    struct transport *t = req->data;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    /* The finished read still counts as open while we call out: a callback that closes the
     * transport (`exit`, end of input) must not free it under us. */
    if (n > 0 && t->reading && !t->closing) {
        t->cb.on_read(t->ud, t->file_buf, (size_t)n);
        if (t->reading && !t->closing) {
            uv_buf_t b = uv_buf_init(t->file_buf, READ_CHUNK);
            if (uv_fs_read(t->loop, &t->file_read, t->in_fd, &b, 1, -1, file_read_cb) == 0)
                return; /* the new read inherits the count */
            n = 0;
        }
    }
    if (!t->closing && n <= 0)
        signal_eof(t);
    t->open_handles--;
    maybe_free(t);
}

static int open_stdio(struct transport *t, int fd, union stdio_handle *h, bool readable,
                      bool *is_stream)
{
    uv_handle_type type = uv_guess_handle(fd);
    int rc;
    *is_stream = true;
    if (type == UV_TTY) {
        rc = uv_tty_init(t->loop, &h->tty, fd, 0);
    } else if (type == UV_NAMED_PIPE || type == UV_TCP) {
        rc = uv_pipe_init(t->loop, &h->pipe, 0);
        if (rc == 0) {
            rc = uv_pipe_open(&h->pipe, fd);
            if (rc < 0)
                uv_close(&h->handle, NULL);
        }
    } else {
        *is_stream = false; /* regular file or /dev/null */
        return 0;
    }
    (void)readable;
    if (rc < 0)
        return rc;
    h->handle.data = t;
    t->open_handles++;
    return 0;
}

struct transport *transport_new(uv_loop_t *loop, int in_fd, int out_fd,
                                const struct transport_callbacks *cb, void *ud)
{
    struct transport *t = xcalloc(1, sizeof(*t));
    t->loop = loop;
    t->cb = *cb;
    t->ud = ud;
    t->in_fd = in_fd;
    t->out_fd = out_fd;
    if (open_stdio(t, in_fd, &t->in, true, &t->in_is_stream) < 0 ||
        open_stdio(t, out_fd, &t->out, false, &t->out_is_stream) < 0) {
        LOG_E("transport", "cannot use stdin/stdout");
        free(t);
        return NULL;
    }
    t->in_open = t->in_is_stream;
    t->out_open = t->out_is_stream;
    out_watch_start(t);
    t->reading = true;
    if (t->in_is_stream) {
        uv_read_start(&t->in.stream, alloc_cb, read_cb);
    } else {
        t->file_buf = xmalloc(READ_CHUNK);
        t->file_read.data = t;
        uv_buf_t b = uv_buf_init(t->file_buf, READ_CHUNK);
        t->open_handles++;
        if (uv_fs_read(loop, &t->file_read, in_fd, &b, 1, -1, file_read_cb) < 0)
            t->open_handles--;
    }
    return t;
}

static void close_out(struct transport *t)
{
    if (t->out_open) {
        t->out_open = false;
        uv_close(&t->out.handle, close_cb);
    }
}

static void write_cb(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct transport *t = w->t;
    t->pending -= w->len;
    if (status < 0)
        LOG_D("transport", "write failed: %s", uv_strerror(status));
    free(w);
    if (status == UV_EPIPE || status == UV_ECONNRESET) {
        t->open_handles++; /* out_gone may close the transport: keep t until we return */
        out_gone(t);
        t->open_handles--;
    }
    /* Closing waits for the last answer to reach the client (the reply to shutdown, say). */
    if (t->closing && t->pending == 0)
        close_out(t);
    maybe_free(t);
}

/* Write what the pipe takes now, without a write request: a queued request's callback costs a
 * turn of the loop after every answer. Returns the bytes written (all, some or none). */
static size_t write_now(struct transport *t, const char *header, size_t hl, const char *body,
                        size_t len)
{
    if (!t->out_is_stream || t->pending)
        return 0; /* files are written below; queued bytes go first */
    uv_buf_t bufs[2] = {uv_buf_init((char *)header, (unsigned)hl),
                        uv_buf_init((char *)body, (unsigned)len)};
    int n = uv_try_write(&t->out.stream, bufs, 2);
    return n > 0 ? (size_t)n : 0; /* an error shows again, and is reported, in uv_write */
}

void transport_send(struct transport *t, const char *body, size_t len)
{
    char header[64];
    int hl = snprintf(header, sizeof(header), "Content-Length: %zu\r\n\r\n", len);
    size_t done = write_now(t, header, (size_t)hl, body, len);
    if (done == (size_t)hl + len)
        return;
    /* The rest waits in a write request: the header's unwritten part, then the body's. */
    size_t head_left = done < (size_t)hl ? (size_t)hl - done : 0;
    size_t body_from = done > (size_t)hl ? done - (size_t)hl : 0;
    struct write_req *w = xmalloc(sizeof(*w) + head_left + len - body_from);
    memcpy(w->data, header + (size_t)hl - head_left, head_left);
    memcpy(w->data + head_left, body + body_from, len - body_from);
    w->len = head_left + len - body_from;
    w->t = t;
    if (!t->out_is_stream) {
        /* A file or /dev/null never blocks for long; write synchronously. */
        size_t off = 0;
        while (off < w->len) {
            ssize_t n = write(t->out_fd, w->data + off, w->len - off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            off += (size_t)n;
        }
        free(w);
        return;
    }
    uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
    t->pending += w->len;
    if (uv_write(&w->req, &t->out.stream, &b, 1, write_cb) < 0) {
        t->pending -= w->len;
        free(w);
    }
}

void transport_stop_reading(struct transport *t)
{
    if (!t->reading)
        return;
    t->reading = false;
    if (t->in_is_stream)
        uv_read_stop(&t->in.stream);
}

size_t transport_pending(const struct transport *t)
{
    return t->pending;
}

static void close_cb(uv_handle_t *h)
{
    struct transport *t = h->data;
    t->open_handles--;
    maybe_free(t);
}

void transport_close(struct transport *t)
{
    transport_stop_reading(t);
    t->closing = true;
    if (t->in_open) {
        t->in_open = false;
        uv_close(&t->in.handle, close_cb);
    }
    if (t->out_watch_fd >= 0 && !uv_is_closing((uv_handle_t *)&t->out_watch))
        uv_close((uv_handle_t *)&t->out_watch, out_watch_close_cb);
    if (t->pending == 0)
        close_out(t);
    if (!t->in_is_stream && t->open_handles > 0)
        uv_cancel((uv_req_t *)&t->file_read);
    maybe_free(t);
}
