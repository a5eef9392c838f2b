/* context: builds the router's input (struct prov_context) from an open document and a cursor:
 * prefix/suffix windows cut at line boundaries, the cursor's situation and shape, enclosing
 * scope, imports, visible names, and excerpts from other open documents of the language.
 * Boundary: a completion_context owns most of what its ctx points to, but not the URIs (see
 * below); the documents and the privacy cache are borrowed for context_build. */
#ifndef US_CONTEXT_H
#define US_CONTEXT_H

#include <stddef.h>

#include "documents.h"
#include "privacy.h"
#include "provider.h"
#include "syntax.h"

#define CONTEXT_PREFIX_BYTES 6000
#define CONTEXT_SUFFIX_BYTES 2000
#define CONTEXT_MAX_EXCERPTS 3
#define CONTEXT_EXCERPT_BYTES 1200

/* Owns the windows, language, path, indent, signature, receiver, the names array, the excerpt
 * texts and the syntax cursor (ctx.imports and the name strings point into the cursor).
 * Borrowed from the docstore: ctx.uri (the document's URI) and every excerpt's path (another
 * open document's URI), valid only while those documents stay open. Whatever keeps the
 * context beyond that copies it (prov_context_dup; the router's request does). */
struct completion_context {
    struct prov_context ctx;
    struct syn_cursor cursor; /* zeroed when the document has no syntax */
    bool has_cursor;
    size_t offset;            /* cursor byte offset in the document */
    size_t line_start;        /* byte offset of the cursor line's start */
    char *language;
    char *path;
    char *prefix, *suffix, *indent, *scope_signature, *member_receiver;
    const char **names;
    struct prov_excerpt *excerpts;
    char **excerpt_text;
    char *masked;             /* what masking did to the windows, for the trace log:
                                 "jwt=1 password=2", "" when nothing, NULL when not masked */
};

/* What may leave the machine (design.md §5). cache: masked documents per (uri, edit count);
 * mask false (privacy.redact_secrets off, or privacy.loopback_raw, where the router masks what
 * goes to remote providers): windows are cut from the raw text. exclude: documents whose text
 * never rides along as an excerpt (providers/policy/privacy.h). Borrowed. */
struct context_privacy {
    struct privacy_cache *cache;
    const struct privacy_exclude *exclude;
    bool mask;
};

/* Build the context for offset in d; docs gives the other open documents. Mask first, cut
 * later: every window and excerpt is cut from the whole document's masked text, so a secret
 * a window cuts in two is masked in both halves. pv may be NULL (no masking, no exclusion).
 * Caller releases. */
void context_build(struct docstore *docs, struct doc *d, size_t offset, int max_lines,
                   const struct context_privacy *pv, struct completion_context *out);
void context_release(struct completion_context *c);

/* file:///a%20b -> /a b (common/uri.h's rules); NULL for other schemes. Caller frees. */
char *context_path_from_uri(const char *uri);

#endif
