/* wrap: wrap mode (`understudy --wrap -- CMD ARGS...`). Runs the editor's real language server
 * as a child, forwards its traffic unchanged both ways, and merges Understudy's features in. */
#ifndef US_WRAP_H
#define US_WRAP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct lsp_server;
struct wrap;

/* Spawn argv[0] (searched in PATH) with argv (borrowed; NULL-terminated) as the wrapped server
 * of s, and attach it (s->wrap). Returns 0, or a negative US_ code when the command could not
 * be started: the wrap is attached all the same, in its "child gone" state, so Understudy
 * serves its own features alone and says so once after `initialize`. */
int wrap_start(struct lsp_server *s, char *const *argv);

/* One message body from the client (borrowed). Returns true when wrap mode handled it fully
 * (forwarded to the child, or answered); false when the server must dispatch it as well. */
bool wrap_from_client(struct wrap *w, const char *body, size_t len);

/* The server is about to answer the client's request `id` (borrowed) with `result` (code 0)
 * or with the error code/msg. Returns true when wrap mode takes the answer over, to merge it
 * with the child's (result is then stolen); false leaves both with the caller. */
bool wrap_local_reply(struct wrap *w, json_t *id, json_t *result, int code, const char *msg);

/* The session ends (`exit` or end of input): stop answering, tell the child to go (forwarded
 * `exit`, or our own shutdown+exit), close its stdin, and kill it if it lingers. The loop keeps
 * running until the child is gone and every handle is closed. */
void wrap_finish(struct wrap *w);

/* After the loop ended. NULL is fine. */
void wrap_free(struct wrap *w);

#endif
