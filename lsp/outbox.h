/* outbox: everything the server says to the client: answers to the requests it is working on
 * (the pending list; cancellation answers -32800), notifications, window/showMessage, and the
 * helpers that read request params. It writes through a sink set by its owner (stdout's
 * transport, or memory in tests and the fuzzer); with no sink nothing is sent. A reply hook may
 * take an answer over (wrap mode merges Understudy's answers with the wrapped server's).
 * Includes nothing of the server, the handlers or wrap mode: they all call down into it. */
#ifndef US_OUTBOX_H
#define US_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "list.h"

#include "position.h"

struct docstore;
struct doc;
struct outbox;

/* A request being answered. Made by outbox_request_new and owned by the outbox's pending list
 * until outbox_reply, outbox_reply_error or a cancellation frees it. */
struct lsp_request {
    json_t *id;          /* owned reference */
    const char *method;  /* borrowed; a static string (the method table's) */
    struct outbox *ob;   /* borrowed: the outbox that answers it */
    uint64_t start_us;
    /* Set by an asynchronous handler: called when the client cancels the request (or the
     * server shuts down). It must stop the work; the outbox then answers -32800 and frees the
     * request, so the handler must not touch it afterwards. */
    void (*cancel)(void *ud);
    void *cancel_ud;
    struct us_list link; /* in the outbox's pending list */
};

/* Where finished message bodies go: body is borrowed for the call (not framed). */
typedef void (*outbox_send_fn)(void *ud, const char *body, size_t len);

/* Called before a pending request is answered: id borrowed; result (code 0) or code/msg. Returns
 * true when it takes the answer over (result is then stolen and nothing is sent); false leaves
 * the answer to the outbox. */
typedef bool (*outbox_reply_hook)(void *ud, json_t *id, json_t *result, int code,
                                  const char *msg);

struct outbox *outbox_new(void);
/* Frees requests still pending without answering them. NULL is fine. */
void outbox_free(struct outbox *ob);
/* Set (or with send NULL, remove) the sink; ud is borrowed. */
void outbox_set_sink(struct outbox *ob, outbox_send_fn send, void *ud);
bool outbox_has_sink(const struct outbox *ob);
/* One hook at a time; NULL removes it. ud is borrowed. */
void outbox_set_reply_hook(struct outbox *ob, outbox_reply_hook hook, void *ud);

/* A new pending request (id borrowed: a reference is taken; method borrowed, static). */
struct lsp_request *outbox_request_new(struct outbox *ob, json_t *id, const char *method);
/* Answer a request (result stolen) or fail it; both free req. */
void outbox_reply(struct lsp_request *req, json_t *result);
void outbox_reply_error(struct lsp_request *req, int code, const char *msg);
/* $/cancelRequest: the pending request with this id (borrowed) has its cancel callback run and
 * is answered -32800 with msg. Returns false when no pending request has that id. */
bool outbox_cancel(struct outbox *ob, json_t *id, const char *msg);
/* Cancel every pending request the same way (the session ends). */
void outbox_cancel_all(struct outbox *ob, const char *msg);
/* The pending requests, newest first (borrowed), and how many there are. */
struct lsp_request *outbox_pending(const struct outbox *ob);
size_t outbox_pending_count(const struct outbox *ob);

/* A whole message (stolen), not an answer to a pending request: the reply hook never sees it. */
void outbox_send(struct outbox *ob, json_t *msg);
/* A message body already serialized (borrowed), e.g. forwarded from the wrapped server. */
void outbox_send_raw(struct outbox *ob, const char *body, size_t len);
/* A notification (params stolen; NULL for none). */
void outbox_notify(struct outbox *ob, const char *method, json_t *params);
/* window/showMessage; type 1 error, 2 warning, 3 info. text borrowed. */
void outbox_show_message(struct outbox *ob, int type, const char *text);

/* Params helpers: borrowed results, NULL when missing or of the wrong type. */
const char *lsp_param_uri(json_t *params);
/* Read {line, character}; returns false when missing or negative. */
bool lsp_param_position(json_t *pos, struct lsp_pos *out);
/* The open document of docs that a request names (textDocument.uri; borrowed), or NULL after
 * answering the request with -32602 (no uri, or the document is not open: req is then freed). */
struct doc *lsp_request_doc(struct docstore *docs, struct lsp_request *req, json_t *params);

#endif
