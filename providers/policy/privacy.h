/* privacy: what may leave the machine (design.md §5). Secrets are found on a whole document and
 * replaced by typed placeholders ("<secret:jwt>") before any window is cut from it; the result
 * keeps a sorted span list so offsets in the original map to offsets in the masked text.
 * Boundary: texts are borrowed; mask results, caches and exclusion matchers are the caller's
 * (release/free); a cached result is borrowed from its cache until the next call on it. */
#ifndef US_PRIVACY_H
#define US_PRIVACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "provider.h"

/* The secret types, each with its placeholder name: X(ENUM, "name"). Provider families first,
 * then the structural shapes, then what only a secret-looking name tells. */
#define PRIVACY_TYPE_MAP(X)                                                    \
    X(ANTHROPIC, "anthropic-key")                                              \
    X(OPENAI, "openai-key")                                                    \
    X(AWS_ACCESS, "aws-access-key")                                            \
    X(AWS_SECRET, "aws-secret-key")                                            \
    X(GITHUB, "github-token")                                                  \
    X(GITLAB, "gitlab-token")                                                  \
    X(SLACK, "slack-token")                                                    \
    X(WEBHOOK, "webhook")                                                      \
    X(STRIPE, "stripe-key")                                                    \
    X(SENDGRID, "sendgrid-key")                                                \
    X(HUGGINGFACE, "huggingface-token")                                        \
    X(GOOGLE, "google-key")                                                    \
    X(NPM, "npm-token")                                                        \
    X(PYPI, "pypi-token")                                                      \
    X(TWILIO, "twilio-key")                                                    \
    X(MAILGUN, "mailgun-key")                                                  \
    X(DISCORD, "discord-token")                                                \
    X(TELEGRAM, "telegram-token")                                              \
    X(DIGITALOCEAN, "digitalocean-token")                                      \
    X(SHOPIFY, "shopify-token")                                                \
    X(AZURE, "azure-key")                                                      \
    X(API_TOKEN, "api-token")    /* other vendors' prefixed tokens */          \
    X(PRIVATE_KEY, "private-key")                                              \
    X(JWT, "jwt")                                                              \
    X(URL_PASSWORD, "url-password")                                            \
    X(BEARER, "bearer-token")                                                  \
    X(PASSWORD, "password")                                                    \
    X(SECRET, "secret")                                                        \
    X(TOKEN, "token")                                                          \
    X(API_KEY, "api-key")                                                      \
    X(HIGH_ENTROPY, "high-entropy")

enum privacy_type {
#define PRIVACY__TYPE_ENUM(e, name) PRIVACY_##e,
    PRIVACY_TYPE_MAP(PRIVACY__TYPE_ENUM)
#undef PRIVACY__TYPE_ENUM
    PRIVACY_TYPE_COUNT
};

/* "jwt", "private-key", ...; never NULL ("?" for an unknown value). */
const char *privacy_type_name(enum privacy_type t);

/* One masked secret: [start, end) in the original text became [mstart, mend) in the masked
 * text. The placeholder keeps the secret's line count (a key block of 27 lines becomes
 * "<secret:private-key>" and 26 newlines), so line numbers agree between the two texts. */
struct privacy_span {
    size_t start, end;
    size_t mstart, mend;
    enum privacy_type type;
};

/* What privacy_mask gives: the masked text (NUL-terminated, len bytes), its spans sorted by
 * start and disjoint, and the count per type (for the trace log: never log the text). */
struct mask_result {
    char *text;
    size_t len;
    struct privacy_span *spans;
    size_t n_spans;
    unsigned counts[PRIVACY_TYPE_COUNT];
};

/* Mask the secrets of a whole document (text borrowed, len bytes, NULs allowed). Fills *out,
 * which the caller releases with privacy_result_release. Returns the number of spans. */
size_t privacy_mask(const char *text, size_t len, struct mask_result *out);

/* Like privacy_mask, for text already cut from something bigger (a window or an excerpt of a
 * file we do not hold whole): a key block missing its END runs to the fragment's end, one
 * missing its BEGIN runs back to the fragment's start, and key-body lines touching either edge
 * are masked too. Prefer privacy_mask on the whole document, then cut. */
size_t privacy_mask_fragment(const char *text, size_t len, struct mask_result *out);

/* Frees what *r holds and zeroes it; a zeroed result may be released again. */
void privacy_result_release(struct mask_result *r);

/* Map an offset of the original text to the masked text. An offset strictly inside a secret
 * maps to its placeholder's start (after = false: a window's end stops before the secret) or
 * end (after = true: a window's start begins after it). */
size_t privacy_map_offset(const struct mask_result *r, size_t off, bool after);

/* The reverse: an offset of the masked text to the original (inside a placeholder: its
 * secret's start, or end when after). */
size_t privacy_unmap_offset(const struct mask_result *r, size_t moff, bool after);

/* "jwt=1 password=2" for the trace log (caller frees); "" when nothing was masked. */
char *privacy_counts_format(const struct mask_result *r);

/* A per-document cache of masked texts, so repeated completions on one version cost a lookup.
 * Entries are keyed by (doc, version); version < 0 means "no version" (CLI, files read from
 * disk) and keys by a hash of the content instead. Holds at most max_docs documents (least
 * recently used dropped first; 0 picks 16). */
struct privacy_cache;
struct privacy_cache *privacy_cache_new(size_t max_docs);
void privacy_cache_free(struct privacy_cache *c);

/* The masked whole document (text borrowed). The result is borrowed from the cache and stays
 * valid until the next privacy_cache_* call on c: cut what you need from it at once. A text of
 * a different length under the same (doc, version) is masked again, never served stale. When
 * nothing was masked (n_spans == 0) the result's text is text itself, not a copy: then it is
 * also valid only while the caller's text is, and NUL-terminated only if that is. */
const struct mask_result *privacy_cache_get(struct privacy_cache *c, const char *doc,
                                            int64_t version, const char *text, size_t len);

/* Forget a document (didClose). */
void privacy_cache_drop(struct privacy_cache *c, const char *doc);

/* How many versions were masked whole, and how many from the previous version's lines (only
 * the lines an edit changed are scanned again; the result is the same). */
void privacy_cache_counts(const struct privacy_cache *c, uint64_t *full, uint64_t *edits);

/* What is never sent to any provider, loopback included: the patterns of privacy.exclude and
 * the workspace's .understudyignore (gitignore semantics through providers/local/ignore.h,
 * relative to root; the root .gitignore does not apply). One matcher for the router, the
 * context's excerpts, the local engine's workspace walk and the CLI. */
struct privacy_exclude;

/* patterns: NULL-terminated (borrowed, copied); root: the workspace folder or NULL (then only
 * the rules matching a name apply). Caller frees with privacy_exclude_free. */
struct privacy_exclude *privacy_exclude_new(const char *const *patterns, const char *root);
void privacy_exclude_free(struct privacy_exclude *x);

/* Is the document excluded? uri_or_path is a URI of any scheme (decoded by common/uri.h:
 * "file:///w/my%20secrets/rates.py", "untitled:.env", "vscode-remote://h/srv/server.pem") or a
 * plain path. NULL x or NULL uri_or_path: false. */
bool privacy_exclude_match(const struct privacy_exclude *x, const char *uri_or_path);

/* Is a file of this name never to be read into any index whatever the configuration says
 * (.env files, private keys, keystores, credential files)? name is the last path component. */
bool privacy_secret_file_name(const char *name);

/* Mask the secrets of sb in place as a fragment; returns how many were masked. */
size_t privacy_mask_sb(struct strbuf *sb);

/* A deep copy of ctx with every text field masked as a fragment (caller frees with
 * prov_context_free). Once the context is cut from masked documents this is a second net. */
struct prov_context *privacy_scrub(const struct prov_context *ctx);

#endif
