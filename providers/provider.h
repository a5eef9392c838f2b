/* provider: the router's input (a plain completion context built by lsp/ from a document), its
 * output (a suggestion with provenance), and the vtable every provider API implements. The
 * router, cache and local engine never know which API they talk to.
 * Boundary: a prov_context is borrowed by whoever receives it (prov_context_dup to keep it);
 * a prov_config owns its strings and headers (extra and ca_file are interned for the process). */
#ifndef US_PROVIDER_H
#define US_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base.h"
#include "syntax.h"

/* ---------------------------------------------------------------- context (router input) */

/* Where the cursor stands and what the insertion should look like are grammars/syntax.h's
 * enum syn_situation (SYN_SIT_*) and enum syn_shape (SYN_SHAPE_*: finish the line, or write a
 * block; post-processing cuts the answer accordingly): one definition for every floor. */

struct prov_excerpt {
    const char *path; /* borrowed */
    const char *text; /* borrowed, NUL-terminated */
};

/* Every pointer is borrowed for the duration of the call that receives the context; whoever
 * needs it longer (an attempt outliving the call) copies it with prov_context_dup. */
struct prov_context {
    const char *language;  /* LSP languageId ("python", "c", ...) */
    const char *uri;       /* document URI, may be NULL */
    const char *path;      /* file system path, may be NULL */
    const char *prefix;    /* text before the cursor, already cut to its window */
    size_t prefix_len;
    const char *suffix;    /* text after the cursor, already cut to its window */
    size_t suffix_len;
    uint32_t line;         /* 0-based line of the cursor */
    uint32_t column;       /* 0-based byte column of the cursor */
    enum syn_situation situation;
    const char *member_receiver; /* for SYN_SIT_MEMBER: "self", "p", "std" ...; else NULL */
    enum syn_shape shape;
    const char *indent;          /* leading whitespace of the cursor's line */
    const char *scope_signature; /* enclosing function/class header, or NULL */
    const char *imports;         /* the file's import lines joined by '\n', or NULL */
    const char *const *names;    /* names visible at the cursor, nearest scope first */
    size_t n_names;
    const struct prov_excerpt *excerpts; /* from other open documents of the same language */
    size_t n_excerpts;
    int max_lines;               /* cap for the suggestion's line count */
    unsigned unclosed;           /* PROV_UNCLOSED_*: brackets the file still needs closed */
};

/* prov_context.unclosed: the syntax tree has an error and the document opens more of these
 * brackets than it closes, so a closer after the cursor belongs to an outer block and the
 * model's own closer must stay (providers/postprocess.c). */
#define PROV_UNCLOSED_BRACE 1u   /* { } */
#define PROV_UNCLOSED_PAREN 2u   /* ( ) */
#define PROV_UNCLOSED_SQUARE 4u  /* [ ] */
#define PROV_UNCLOSED_END 8u     /* Lua's and Ruby's blocks closed by `end` */
#define PROV_UNCLOSED_FI 16u     /* shell: if ... fi */
#define PROV_UNCLOSED_DONE 32u   /* shell: for/while/until ... do ... done */
#define PROV_UNCLOSED_ESAC 64u   /* shell: case ... esac */

/* Deep copy / free of a context (one allocation block per string; caller frees with
 * prov_context_free). */
struct prov_context *prov_context_dup(const struct prov_context *ctx);
void prov_context_free(struct prov_context *ctx);

/* ---------------------------------------------------------------- configuration */

/* One entry of the "providers" array, parsed and validated. Strings are owned by the struct. */
struct prov_config {
    char *name;        /* user's name for it: "claude" */
    char *kind;        /* "anthropic", "openai", "openai-compatible", "openrouter", "gemini",
                          "mistral", "ollama", "llamacpp" */
    char *model;
    char *base_url;    /* defaulted per kind, no trailing slash */
    char *api_key_env; /* defaulted per kind (may be NULL for local kinds) */
    char *api_key_file;
    json_t *headers;   /* object of extra non-secret headers, or NULL (owned reference) */
    /* `extra`: an object deep-merged into every request body, or NULL. Borrowed from an
     * interned table that lives as long as the process (a struct copy stays valid; never
     * freed by prov_config_release). */
    const json_t *extra_obj;
    int timeout_ms;    /* 0 = no own cap beyond the request deadline */
    int max_tokens;
    double temperature;
    bool fim;          /* openai-compatible: use /v1/completions with suffix */
    bool enabled;
    const char *ca_file; /* CA bundle for https, or NULL ($SSL_CERT_FILE, else the system's).
                            Interned for the process (never freed), so copying the struct by
                            value, as the router does, stays right. */
    const struct prov_ops *ops; /* resolved from kind */
};

/* Validate one entry of the "providers" array (borrowed) and fill out (release with
 * prov_config_release), applying the kind's defaults. Unknown keys append one line each to
 * warnings ("unknown key \"x\" (ignored)"). On error returns US_ECONFIG and sets *err to a
 * message naming the key (caller frees); out then holds nothing. Never includes a key value. */
int prov_config_parse(json_t *entry, struct prov_config *out, struct strbuf *warnings,
                      char **err);
void prov_config_release(struct prov_config *cfg);
/* Fill dst with a copy of src that dst owns (release it with prov_config_release): the
 * strings and headers are copied; extra_obj and ca_file are the process-lifetime interned
 * ones, shared. The one way to copy a configuration (a struct assignment is a move). */
void prov_config_copy(struct prov_config *dst, const struct prov_config *src);

/* ---------------------------------------------------------------- outcomes */

/* What an attempt came to; the router acts on these alone (reference/resilience.md table). */
#define PROV_OUTCOME_MAP(X)                                                           \
    X(OK, "ok")                                                                       \
    X(TRANSPORT, "connection failed")      /* refused, reset, DNS, TLS: failover, counts */ \
    X(TIMEOUT, "timed out")                /* first byte or stall: failover, counts */     \
    X(SERVER, "server error")              /* 408/409/5xx/529/UNAVAILABLE: counts */        \
    X(STREAM_ERROR, "error in stream")     /* in-band error before usable text: counts */   \
    X(MALFORMED, "malformed response")     /* bad body, wrong type, empty: counts */        \
    X(RATE_LIMITED, "rate limited")        /* 429/RESOURCE_EXHAUSTED: open until retry */   \
    X(AUTH, "authentication failed")       /* 401/403/402/quota/billing: disabled */        \
    X(BAD_REQUEST, "request rejected")     /* 400/404/413/422/too long: no penalty */       \
    X(CANCELLED, "cancelled")              /* client or superseded: no penalty */

enum prov_outcome_kind {
#define PROV__OUT_ENUM(name, text) PROV_OUT_##name,
    PROV_OUTCOME_MAP(PROV__OUT_ENUM)
#undef PROV__OUT_ENUM
};

const char *prov_outcome_name(enum prov_outcome_kind kind);

struct prov_outcome {
    enum prov_outcome_kind kind;
    int http_status;          /* 0 when none */
    int64_t retry_after_ms;   /* -1 when the provider gave no hint */
    bool should_retry_false;  /* `x-should-retry: false` seen */
    bool context_too_long;    /* shrink the context next time */
    char message[200];        /* short, human, never contains a key */
};

/* ---------------------------------------------------------------- the vtable */

/* An HTTP request as data. All strings owned by the struct; free with prov_request_release. */
struct prov_request {
    char *url;
    char **headers;   /* NULL-terminated array of "Name: value" */
    char *body;
    size_t body_len;
    bool stream;      /* the body asks for a streamed answer */
};
void prov_request_release(struct prov_request *req);

/* Lookup of a response header, case-insensitive; returns a borrowed value or NULL. */
typedef const char *(*prov_header_fn)(void *headers_ud, const char *name);

struct prov_ops {
    const char *kind;
    const char *default_base_url;
    const char *default_key_env; /* NULL when the kind needs no key */
    bool key_required;

    /* Fill req for one completion. key may be NULL for keyless local servers. Returns 0 or a
     * negative US_ code (then req holds nothing). */
    int (*build_request)(const struct prov_config *cfg, const struct prov_context *ctx,
                         const char *key, struct prov_request *req);

    /* Streaming state for one response (2xx). Created per attempt, caller frees with
     * stream_free. */
    void *(*stream_new)(const struct prov_config *cfg);
    /* Feed body bytes in any split. Appends decoded text to text. Returns 0 to go on, 1 when
     * the stream said it is complete, or sets out (kind STREAM_ERROR, RATE_LIMITED ...) and
     * returns -1 on an in-band error. */
    int (*stream_feed)(void *st, const char *buf, size_t len, struct strbuf *text,
                       struct prov_outcome *out);
    /* The body ended. Returns 0 if what was received is a complete answer, else sets out
     * (MALFORMED for truncated/garbled bodies) and returns -1. */
    int (*stream_end)(void *st, struct strbuf *text, struct prov_outcome *out);
    void (*stream_free)(void *st);

    /* Classify a non-2xx response from its status, headers and (capped) body. */
    void (*classify)(int status, prov_header_fn header, void *headers_ud, const char *body,
                     size_t body_len, struct prov_outcome *out);

    /* The API has no usable line stop (Anthropic rejects whitespace-only stop sequences): the
     * attempt ends the transfer itself once the text holds the lines the shape needs. */
    bool cut_lines;
};

/* The kinds, looked up by name; NULL when unknown. */
const struct prov_ops *prov_ops_find(const char *kind);
/* NULL-terminated list of every kind's name, for error messages. */
const char *const *prov_kind_names(void);

/* ---------------------------------------------------------------- output */

/* Provenance of a suggestion: a provider's name, or one of the local sources. */
#define PROV_SOURCE_SNIPPET "local:snippet"
#define PROV_SOURCE_SYMBOL "local:symbol"
#define PROV_SOURCE_WORD "local:word"
#define PROV_SOURCE_LINE "local:line"

#endif
