/* framer: splits a byte stream into LSP messages by their Content-Length headers. Pure (no
 * I/O): feed it whatever a read returned, then pull whole messages out; caps keep a hostile
 * peer from making it allocate without bound.
 * Boundary: the framer copies what it is fed and owns its buffer; a body it hands out is
 * borrowed until the next call. Its owner (the server) frees it. */
#ifndef US_FRAMER_H
#define US_FRAMER_H

#include <stddef.h>

#include "base.h"

#define FRAMER_MAX_HEADER 8192u              /* bytes of header block */
#define FRAMER_DEFAULT_MAX_BODY (64u << 20) /* 64 MiB */

struct framer;

struct framer *framer_new(size_t max_body);
void framer_free(struct framer *fr);

/* Append bytes read from the peer (copied). */
void framer_feed(struct framer *fr, const char *buf, size_t len);

/* Take the next complete message body. Returns 1 and sets *body and *len (borrowed: valid until the
 * next framer call) when one is ready, 0 when more bytes are needed, or a negative US_ code when
 * the header block is malformed or a size cap is exceeded; then *why (static string) says what
 * was wrong, and the framer has skipped past the offending message (an oversized body is
 * discarded as it arrives; after a malformed header, bytes up to the next "Content-Length:"
 * are dropped), so the caller can report and keep reading. */
int framer_next(struct framer *fr, const char **body, size_t *len, const char **why);

#endif
