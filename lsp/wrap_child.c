/* wrap_child: the wrapped server's process and pipes. */
#include "wrap_child.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "framer.h"

#define WRAP_EXIT_GRACE_MS 1000
#define WRAP_READ_CHUNK (64 * 1024)

struct wrap_child {
    const struct wrap_child_callbacks *cb;
    void *ud;
    char *name;           /* the child's program, for messages */
    uv_process_t proc;
    uv_pipe_t in, out;    /* child's stdin (we write), child's stdout (we read) */
    uv_shutdown_t shut;
    uv_timer_t kill_timer;
    bool proc_open, in_open, out_open, timer_open;
    bool ending;
    int kill_stage;
    struct framer *fr;
    char *read_buf;
};

static void handle_closed(uv_handle_t *h)
{
    (void)h; /* the handles live inside struct wrap_child, freed after the loop ends */
}

static void close_out(struct wrap_child *c)
{
    if (c->out_open) {
        c->out_open = false;
        uv_close((uv_handle_t *)&c->out, handle_closed);
    }
}

void wrap_child_close_stdin(struct wrap_child *c)
{
    if (c->in_open) {
        c->in_open = false;
        uv_close((uv_handle_t *)&c->in, handle_closed);
    }
}

static void close_timer(struct wrap_child *c)
{
    if (c->timer_open) {
        c->timer_open = false;
        uv_close((uv_handle_t *)&c->kill_timer, handle_closed);
    }
}

static void close_all(struct wrap_child *c)
{
    wrap_child_close_stdin(c);
    close_out(c);
    close_timer(c);
}

/* ---- writing ---- */

struct child_write {
    uv_write_t req;
    char data[];
};

static void child_write_cb(uv_write_t *req, int status)
{
    if (status < 0 && status != UV_ECANCELED)
        LOG_D("wrap", "write to the child failed: %s", uv_strerror(status));
    free(req);
}

void wrap_child_send(struct wrap_child *c, const char *body, size_t len)
{
    if (!c->in_open)
        return;
    char header[64];
    int hl = snprintf(header, sizeof(header), "Content-Length: %zu\r\n\r\n", len);
    struct child_write *cw = xmalloc(sizeof(*cw) + (size_t)hl + len);
    memcpy(cw->data, header, (size_t)hl);
    memcpy(cw->data + hl, body, len);
    uv_buf_t b = uv_buf_init(cw->data, (unsigned)((size_t)hl + len));
    if (uv_write(&cw->req, (uv_stream_t *)&c->in, &b, 1, child_write_cb) < 0)
        free(cw);
}

/* ---- reading ---- */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct wrap_child *c = h->data;
    (void)suggested;
    if (!c->read_buf)
        c->read_buf = xmalloc(WRAP_READ_CHUNK);
    buf->base = c->read_buf;
    buf->len = WRAP_READ_CHUNK;
}

static void read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    struct wrap_child *c = st->data;
    if (n < 0) {
        close_out(c);
        return;
    }
    if (n == 0)
        return;
    framer_feed(c->fr, buf->base, (size_t)n);
    for (;;) {
        const char *body, *why = NULL;
        size_t blen;
        int rc = framer_next(c->fr, &body, &blen, &why);
        if (rc == 0)
            break;
        if (rc < 0) {
            LOG_W("wrap", "bad framing from %s: %s", c->name, why);
            continue;
        }
        c->cb->on_body(c->ud, body, blen);
    }
}

/* ---- life ---- */

static void exit_cb(uv_process_t *p, int64_t status, int sig)
{
    struct wrap_child *c = p->data;
    LOG_I("wrap", "%s exited (status %lld, signal %d)", c->name, (long long)status, sig);
    c->proc_open = false;
    uv_close((uv_handle_t *)&c->proc, handle_closed);
    if (c->ending)
        close_all(c);
    c->cb->on_exit(c->ud, status, sig);
}

int wrap_child_spawn(struct wrap_child **out, uv_loop_t *loop, char *const *argv,
                     const struct wrap_child_callbacks *cb, void *ud)
{
    struct wrap_child *c = xcalloc(1, sizeof(*c));
    *out = c;
    c->cb = cb;
    c->ud = ud;
    const char *slash = strrchr(argv[0], '/');
    c->name = xstrdup(slash ? slash + 1 : argv[0]);
    c->fr = framer_new(FRAMER_DEFAULT_MAX_BODY);
    uv_timer_init(loop, &c->kill_timer);
    c->kill_timer.data = c;
    c->timer_open = true;

    uv_pipe_init(loop, &c->in, 0);
    uv_pipe_init(loop, &c->out, 0);
    c->in.data = c->out.data = c;
    c->in_open = c->out_open = true;
    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
    stdio[0].data.stream = (uv_stream_t *)&c->in;
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&c->out;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = 2;
    uv_process_options_t opt;
    memset(&opt, 0, sizeof(opt));
    opt.file = argv[0];
    opt.args = (char **)argv;
    opt.exit_cb = exit_cb;
    opt.stdio = stdio;
    opt.stdio_count = 3;
    c->proc.data = c;
    int rc = uv_spawn(loop, &c->proc, &opt);
    if (rc < 0) {
        LOG_E("wrap", "cannot start %s: %s", argv[0], uv_strerror(rc));
        /* libuv wants the handle closed even when spawning failed. */
        uv_close((uv_handle_t *)&c->proc, handle_closed);
        wrap_child_close_stdin(c);
        close_out(c);
        return rc;
    }
    c->proc_open = true;
    uv_read_start((uv_stream_t *)&c->out, alloc_cb, read_cb);
    LOG_I("wrap", "started %s (pid %d)", argv[0], c->proc.pid);
    return 0;
}

const char *wrap_child_name(const struct wrap_child *c)
{
    return c->name;
}

bool wrap_child_running(const struct wrap_child *c)
{
    return c->proc_open;
}

static void kill_tick(uv_timer_t *t)
{
    struct wrap_child *c = t->data;
    if (!c->proc_open)
        return;
    int sig = c->kill_stage++ == 0 ? SIGTERM : SIGKILL;
    LOG_W("wrap", "%s still running after exit; sending signal %d", c->name, sig);
    uv_process_kill(&c->proc, sig);
    if (sig == SIGTERM)
        uv_timer_start(&c->kill_timer, kill_tick, WRAP_EXIT_GRACE_MS, 0);
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    struct wrap_child *c = req->data;
    (void)status;
    wrap_child_close_stdin(c);
}

void wrap_child_end(struct wrap_child *c)
{
    if (c->ending)
        return;
    c->ending = true;
    if (!c->proc_open) {
        close_all(c);
        return;
    }
    /* EOF on its stdin once the queued messages are written: most servers exit on that. */
    if (c->in_open) {
        c->shut.data = c;
        if (uv_shutdown(&c->shut, (uv_stream_t *)&c->in, shutdown_cb) < 0)
            wrap_child_close_stdin(c);
    }
    uv_timer_start(&c->kill_timer, kill_tick, WRAP_EXIT_GRACE_MS, 0);
}

void wrap_child_free(struct wrap_child *c)
{
    if (!c)
        return;
    framer_free(c->fr);
    free(c->read_buf);
    free(c->name);
    free(c);
}
