/* adapter_json: the JSON writer behind every request body (defined in adapter.c), also used by
 * the LSP side for its messages: jansson's bytes, without its cost. */
#ifndef US_ADAPTER_JSON_H
#define US_ADAPTER_JSON_H

#include <stddef.h>

#include <jansson.h>

/* json_dumps(j, flags) byte for byte, several times faster for objects and arrays (jansson
 * writes a string one character at a time through a callback). flags: JSON_COMPACT and
 * JSON_REAL_PRECISION(n); any other flag, or a scalar, goes to json_dumps itself. Caller frees
 * the result; *len is its length. NULL (and *len 0) when jansson would fail too. */
char *prov_json_dumps(json_t *j, size_t flags, size_t *len);

#endif
