/* rpc: JSON-RPC 2.0 parsing and builders. */
#include "rpc.h"

#include <string.h>

/* Deeply nested JSON could exhaust the stack of a recursive consumer; jansson caps depth
 * itself (JSON_PARSER_MAX_DEPTH 2048), and nothing in the server recurses over params. */
int rpc_parse(const char *body, size_t len, struct rpc_msg *msg)
{
    memset(msg, 0, sizeof(*msg));
    json_error_t err;
    msg->root = rpc__loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
    if (!msg->root)
        return RPC_PARSE_ERROR;
    msg->kind = RPC_INVALID;
    if (!json_is_object(msg->root)) {
        msg->why = json_is_array(msg->root) ? "batch messages are not supported by LSP"
                                            : "message is not a JSON object";
        return 0;
    }
    json_t *id = json_object_get(msg->root, "id");
    if (id && (json_is_integer(id) || json_is_string(id)))
        msg->id = id;
    json_t *method = json_object_get(msg->root, "method");
    json_t *version = json_object_get(msg->root, "jsonrpc");
    if (!json_is_string(version) || strcmp(json_string_value(version), "2.0") != 0) {
        msg->why = "\"jsonrpc\" must be \"2.0\"";
        return 0;
    }
    if (id && !msg->id && !json_is_null(id)) {
        msg->why = "\"id\" must be an integer or a string";
        return 0;
    }
    if (method) {
        if (!json_is_string(method)) {
            msg->why = "\"method\" must be a string";
            return 0;
        }
        msg->method = json_string_value(method);
        msg->params = json_object_get(msg->root, "params");
        if (json_is_null(msg->params))
            msg->params = NULL; /* Eglot sends `"params": null` (shutdown): read as absent */
        if (msg->params && !json_is_object(msg->params) && !json_is_array(msg->params)) {
            msg->why = "\"params\" must be an object or an array";
            return 0;
        }
        msg->kind = msg->id ? RPC_REQUEST : RPC_NOTIFICATION;
        return 0;
    }
    if (json_object_get(msg->root, "result") || json_object_get(msg->root, "error")) {
        msg->kind = RPC_RESPONSE;
        return 0;
    }
    msg->why = "message has neither \"method\" nor \"result\"/\"error\"";
    return 0;
}

void rpc_msg_release(struct rpc_msg *msg)
{
    json_decref(msg->root);
    memset(msg, 0, sizeof(*msg));
}

json_t *rpc_response(json_t *id, json_t *result)
{
    return json_pack("{s:s, s:O?, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "result",
                     result ? result : json_null());
}

json_t *rpc_error(json_t *id, int code, const char *message, json_t *data)
{
    json_t *e = json_pack("{s:i, s:s}", "code", code, "message", message);
    if (data)
        json_object_set_new(e, "data", data);
    return json_pack("{s:s, s:O?, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error", e);
}

json_t *rpc_notification(const char *method, json_t *params)
{
    json_t *n = json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);
    if (params)
        json_object_set_new(n, "params", params);
    return n;
}

json_t *rpc_request(json_t *id, const char *method, json_t *params)
{
    json_t *r = json_pack("{s:s, s:O, s:s}", "jsonrpc", "2.0", "id", id, "method", method);
    if (params)
        json_object_set_new(r, "params", params);
    return r;
}
