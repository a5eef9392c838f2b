/* wrap_child: the wrapped language server as a child process on pipes: spawn it, write framed
 * messages to its stdin, hand each framed message from its stdout on, and end it (EOF on stdin,
 * then SIGTERM, then SIGKILL). Its libuv handles live inside it; free it after the loop ended.
 * Routing and merging are wrap.c's: this module knows nothing of JSON-RPC. */
#ifndef US_WRAP_CHILD_H
#define US_WRAP_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct wrap_child;

struct wrap_child_callbacks {
    /* One message body from the child (borrowed for the call). */
    void (*on_body)(void *ud, const char *body, size_t len);
    /* The child exited (once). After wrap_child_end, every handle is closing already. */
    void (*on_exit)(void *ud, int64_t status, int term_signal);
};

/* Spawn argv[0] (searched in PATH; argv borrowed, NULL-terminated). *out is set either way
 * (cb and ud borrowed; callbacks run from the loop). Returns 0, or a negative libuv error when
 * the command could not be started: its handles are then closing and on_exit never runs. */
int wrap_child_spawn(struct wrap_child **out, uv_loop_t *loop, char *const *argv,
                     const struct wrap_child_callbacks *cb, void *ud);
/* The program's name (last path component of argv[0]), for messages; borrowed. */
const char *wrap_child_name(const struct wrap_child *c);
/* Whether the process has been started and has not exited. */
bool wrap_child_running(const struct wrap_child *c);
/* Frame and queue one body (copied); nothing once its stdin is closed. */
void wrap_child_send(struct wrap_child *c, const char *body, size_t len);
/* Close its stdin now (it died: nothing more to write). */
void wrap_child_close_stdin(struct wrap_child *c);
/* The session ends: EOF on its stdin once queued messages are written (most servers exit on
 * that), SIGTERM after a grace period, then SIGKILL. Closes every handle once it has exited
 * (at once when it is not running). */
void wrap_child_end(struct wrap_child *c);
/* After the loop ended. NULL is fine. */
void wrap_child_free(struct wrap_child *c);

#endif
