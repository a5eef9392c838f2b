/* logsink: the server's log lines go to the editor as window/logMessage (with their type:
 * 1 error, 2 warning, 3 info, 4 log for debug and trace), not to stderr, which editors show as
 * errors. Lines logged before the client said `initialized` wait in a small queue; if it never
 * does, they go to stderr when the server ends. Only fatal start-up errors (printed by main
 * before the server runs) use stderr directly.
 * Boundary: process-wide state; the lines are copied into the queue; the server is borrowed
 * from logsink_attach until logsink_detach. */
#ifndef US_LOGSINK_H
#define US_LOGSINK_H

struct lsp_server;

/* Take log lines from now on (queue them until logsink_attach). */
void logsink_install(void);
/* The client is ready: send the queued lines and every later one to s. */
void logsink_attach(struct lsp_server *s);
/* Stop sending (the transport is going away); queued lines go to stderr. */
void logsink_detach(void);

#endif
