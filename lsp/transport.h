/* transport: the server's stdin/stdout on the libuv loop. Reads raw bytes from stdin (pipe,
 * tty or file) and hands them on; writes whole LSP messages (framed here) to stdout, keeping
 * each buffer alive until its write completes.
 * Boundary: the transport owns its libuv handles and queued buffers (bodies are copied);
 * the loop and the callbacks' ud are borrowed and must outlive transport_close. */
#ifndef US_TRANSPORT_H
#define US_TRANSPORT_H

#include <stddef.h>

#include <uv.h>

struct transport;

/* on_read gets bytes as they arrive (borrowed for the call); on_eof once when stdin ends or
 * fails. */
struct transport_callbacks {
    void (*on_read)(void *ud, const char *buf, size_t len);
    void (*on_eof)(void *ud);
};

/* Returns NULL and logs when stdio cannot be used. */
struct transport *transport_new(uv_loop_t *loop, int in_fd, int out_fd,
                                const struct transport_callbacks *cb, void *ud);
/* Frame and queue one message body (copied). */
void transport_send(struct transport *t, const char *body, size_t len);
/* Stop reading (after `exit`); pending writes still complete. */
void transport_stop_reading(struct transport *t);
/* Close handles; frees t in their close callbacks once writes have drained. */
void transport_close(struct transport *t);
/* Bytes queued but not yet written. */
size_t transport_pending(const struct transport *t);

#endif
