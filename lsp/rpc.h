/* rpc: JSON-RPC 2.0 message shapes for LSP: classify an incoming message, build responses,
 * errors and notifications. Pure (no I/O).
 * Boundary: a parsed rpc_msg owns one reference to the whole message and lends the rest;
 * builders return new references and steal result, data and params (ids are copied). */
#ifndef US_RPC_H
#define US_RPC_H

#include <jansson.h>

#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_INTERNAL_ERROR -32603
#define RPC_SERVER_NOT_INITIALIZED -32002
#define RPC_REQUEST_FAILED -32803
#define RPC_REQUEST_CANCELLED -32800

enum rpc_kind { RPC_REQUEST, RPC_NOTIFICATION, RPC_RESPONSE, RPC_INVALID };

struct rpc_msg {
    enum rpc_kind kind;
    const char *method; /* borrowed from root; NULL for responses */
    json_t *id;         /* borrowed; integer or string, NULL for notifications */
    json_t *params;     /* borrowed; may be NULL */
    json_t *root;       /* owned reference to the whole message */
    const char *why;    /* for RPC_INVALID: what is wrong (static string) */
};

/* Parse a message body. Returns 0 and fills msg (release with rpc_msg_release), or
 * RPC_PARSE_ERROR when the bytes are not JSON (msg->root NULL). A JSON value that is not a
 * valid message gives kind RPC_INVALID with an id when one could be read. */
int rpc_parse(const char *body, size_t len, struct rpc_msg *msg);
void rpc_msg_release(struct rpc_msg *msg);
/* json_loadb with big string values decoded by rpc_lift.c's fast path (same value, same
 * errors). Caller owns the result. */
json_t *rpc__loadb(const char *body, size_t len, size_t flags, json_error_t *err);

/* Builders return new references (caller owns). `result` and `data` are stolen. id is
 * borrowed (copied); NULL id becomes JSON null. */
json_t *rpc_response(json_t *id, json_t *result);
json_t *rpc_error(json_t *id, int code, const char *message, json_t *data);
json_t *rpc_notification(const char *method, json_t *params);
json_t *rpc_request(json_t *id, const char *method, json_t *params);

#endif
