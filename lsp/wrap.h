/* wrap: wrap mode (`understudy --wrap -- CMD ARGS...`). Runs the editor's real language server
 * as a child, forwards its traffic unchanged both ways, and merges Understudy's features in.
 * It sees the client's messages before dispatch (the server's input filter calls
 * wrap_from_client) and takes answers over through the outbox's reply hook; it asks the session
 * only for its lifecycle state and tells it the position encoding, through struct wrap_host.
 * The server owns the wrap; the loop, the outbox and the host are borrowed and outlive it. */
#ifndef US_WRAP_H
#define US_WRAP_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "methods.h"
#include "position.h"

struct outbox;
struct wrap;

/* What wrap mode needs from the session it stands in. */
struct wrap_host {
    enum lsp_state (*state)(void *ud);
    /* The merged initialize chose the position encoding Understudy must use. */
    void (*set_encoding)(void *ud, enum pos_encoding enc);
};

/* Spawn argv[0] (searched in PATH) with argv (borrowed; NULL-terminated) as the wrapped server,
 * set *out, and register the reply hook on ob. Returns 0, or a negative US_ code when the
 * command could not be started: *out is set all the same, in its "child gone" state, so
 * Understudy serves its own features alone and says so once after `initialize`. */
int wrap_start(struct wrap **out, uv_loop_t *loop, struct outbox *ob,
               const struct wrap_host *host, void *host_ud, char *const *argv);

/* One message body from the client (borrowed). Returns true when wrap mode handled it fully
 * (forwarded to the child, or answered); false when the server must dispatch it as well. */
bool wrap_from_client(struct wrap *w, const char *body, size_t len);

/* The session ends (`exit` or end of input): stop answering, tell the child to go (forwarded
 * `exit`, or our own shutdown+exit), close its stdin, and kill it if it lingers. The loop keeps
 * running until the child is gone and every handle is closed. */
void wrap_finish(struct wrap *w);

/* After the loop ended. NULL is fine. */
void wrap_free(struct wrap *w);

#endif
