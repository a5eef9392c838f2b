/* completion: both completion methods, the status surface and executeCommand. This first
 * version has no provider chain yet: it answers honestly with nothing and reports `offline`. */
#include <stdlib.h>
#include <string.h>

#include "rpc.h"
#include "server_int.h"

struct completion_engine {
    struct lsp_server *s;
};

struct completion_engine *completion_engine_new(struct lsp_server *s)
{
    struct completion_engine *e = xcalloc(1, sizeof(*e));
    e->s = s;
    return e;
}

void completion_engine_free(struct completion_engine *e)
{
    free(e);
}

void completion_engine_reconfigure(struct completion_engine *e)
{
}

static json_t *status_object(struct completion_engine *e)
{
    json_t *providers = json_array();
    const struct us_settings *st = &e->s->cfg->settings;
    for (size_t i = 0; i < st->n_providers; i++)
        json_array_append_new(providers,
                              json_pack("{s:s, s:s, s:s, s:s}", "name", st->providers[i].name,
                                        "kind", st->providers[i].kind, "state", "disabled",
                                        "reason", "router not available"));
    return json_pack("{s:s, s:s, s:o}", "state", "offline", "served_by", "local", "providers",
                     providers);
}

void completion_engine_started(struct completion_engine *e)
{
    lsp_notify(e->s, "understudy/status", status_object(e));
}

void lsp_on_completion(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    lsp_reply(s, req, json_pack("{s:b, s:[]}", "isIncomplete", 0, "items"));
}

void lsp_on_inline_completion(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    lsp_reply(s, req, json_pack("{s:[]}", "items"));
}

void lsp_on_execute_command(struct lsp_server *s, struct lsp_request *req, json_t *params)
{
    json_t *cmd = json_object_get(params, "command");
    const char *name = json_is_string(cmd) ? json_string_value(cmd) : "";
    if (strcmp(name, "understudy.status") == 0) {
        lsp_reply(s, req, status_object(s->engine));
    } else if (strcmp(name, "understudy.accepted") == 0) {
        lsp_reply(s, req, json_null());
    } else {
        lsp_reply_error(s, req, RPC_INVALID_PARAMS, "unknown command");
    }
}
