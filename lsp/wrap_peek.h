/* wrap_peek: what wrap mode's routing needs from a JSON-RPC message (id, method, whether it is
 * an answer, the first byte of params), read from the raw body without building a JSON tree.
 * Pure; the body is borrowed and the result points into it (valid while the body is). */
#ifndef US_WRAP_PEEK_H
#define US_WRAP_PEEK_H

#include <stdbool.h>
#include <stddef.h>

struct wrap_peek {
    const char *id;      /* raw JSON text of the id (inside the body), or NULL */
    size_t id_len;
    bool has_method, has_result;
    char params0;        /* first byte of params, 0 when absent */
    char method[128];    /* a copy; empty when absent, escaped or too long */
};

/* Returns 0 and fills pk, or US_EPARSE when the body is not a JSON object. Values are only
 * skipped over (nesting as a depth count): whoever parses them later validates them. */
int wrap_peek_message(const char *p, size_t n, struct wrap_peek *pk);

#endif
