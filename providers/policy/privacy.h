/* privacy: what may leave the machine (design.md §5). Files matching the exclude globs are
 * never sent to remote providers, and text that looks like a secret (private key blocks,
 * cloud access keys, API tokens, password assignments) is masked before it is. */
#ifndef US_PRIVACY_H
#define US_PRIVACY_H

#include <stdbool.h>

#include "base.h"
#include "provider.h"

#define PRIVACY_MASK "[secret]"

/* Does path (or its file name) match one of the NULL-terminated glob patterns? NULL path:
 * false. */
bool privacy_path_excluded(const char *path, const char *const *patterns);

/* Mask secrets in text in place; returns how many were masked. */
int privacy_mask(struct strbuf *text);

/* A deep copy of ctx with every text field masked (caller frees with prov_context_free). */
struct prov_context *privacy_scrub(const struct prov_context *ctx);

#endif
