/* privacy_int: what the privacy files share, internal to providers/: the secret catalog
 * (privacy_catalog.c) as the masker (privacy.c) reads it (prefixed token rules, character
 * classes, what a variable name says about its value), and the masker's scan state that the
 * fragment edge rules (privacy_fragment.c) extend. Everything here is borrowed or static. */
#ifndef US_PRIVACY_INT_H
#define US_PRIVACY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "privacy.h"

/* Character classes of a token's body (bits of privacy__cs[c]). */
enum {
    CS_ALNUM = 1 << 0,      /* A-Za-z0-9 */
    CS_ALNUM_US = 1 << 1,   /* + _ */
    CS_B64URL = 1 << 2,     /* A-Za-z0-9_- */
    CS_B64 = 1 << 3,        /* A-Za-z0-9+/= */
    CS_HEX = 1 << 4,        /* 0-9a-fA-F */
    CS_B64URL_DOT = 1 << 5, /* A-Za-z0-9_-. */
    CS_UPPER_ALNUM = 1 << 6,/* A-Z0-9 */
    CS_URLPATH = 1 << 7,    /* A-Za-z0-9_-/@.% (webhook paths) */
    CS_B64URL_EQ = 1 << 8,  /* A-Za-z0-9_-= */
    CS_TOKEN68 = 1 << 9,    /* A-Za-z0-9._~+/=- (RFC 6750 bearer) */
    CS_B64URL_DOLLAR = 1 << 10, /* A-Za-z0-9_-$ */
};

/* Rule flags. */
enum {
    PR_MIXED = 1,       /* the body needs an upper and a lower case letter */
    PR_DIGIT = 2,       /* the body needs a digit */
    PR_KEEP_PREFIX = 4, /* mask only the body: the prefix is a public host or field name */
};

struct privacy__rule {
    const char *prefix;
    uint16_t cs;
    uint16_t min, max; /* body length; a longer run than max is some other word */
    uint8_t type;      /* enum privacy_type */
    uint8_t flags;
};

extern const struct privacy__rule privacy__rules[];
extern const size_t privacy__n_rules;

/* 256 class masks, filled once by privacy__catalog_init (thread-safe, idempotent). */
extern uint16_t privacy__cs[256];
void privacy__catalog_init(void);

/* What a name (variable, key, flag, env var) tells about the value assigned to it:
 * NAME_NONE, NAME_WEAK (mask only a random-looking value: "cache_key"), NAME_STRONG (mask any
 * literal: "db_password"). *type gets the placeholder type. */
enum { NAME_NONE = 0, NAME_WEAK = 1, NAME_STRONG = 2 };
int privacy__name_class(const char *name, size_t n, enum privacy_type *type);

/* Values that are types or keywords, not literals ("str", "null", "true"). */
bool privacy__value_is_keyword(const char *s, size_t n);

/* ---------------------------------------------------------------- the masker's scan */

/* One pass over a text (privacy.c): the text (borrowed), whether it is a window cut from a
 * document, and the spans found so far (sorted, disjoint; handed to the mask_result). */
struct privacy__scan {
    const char *t;
    size_t n;
    bool fragment;
    struct privacy_span *v;
    size_t nv, cap;
    size_t floor; /* end of the last span */
    size_t limit; /* detectors start before this (0: n); they may read the whole text */
    /* Reads that left the line of the byte that woke their detector (see "far reads" in
     * privacy.c): the re-masking of edited lines (privacy_remask.c) must not trust lines
     * they touched. */
    struct privacy__reach *far;
    size_t n_far, cap_far;
};

/* [lo, hi) of the text a far read depended on. */
struct privacy__reach {
    size_t lo, hi;
};

/* Scan s->t from s->floor up to s->limit (whole-document rules; not a fragment). */
void privacy__scan_run(struct privacy__scan *s);

/* The mask_result of a text and its sorted, disjoint spans (taken: v is out's now). */
size_t privacy__render(const char *t, size_t n, struct privacy_span *v, size_t nv,
                       struct mask_result *out);

/* Does the text at i start with lit? */
bool privacy__starts(const struct privacy__scan *s, size_t i, const char *lit);
/* A detector read [lo, hi), beyond the line of the byte that woke it (privacy.c). */
void privacy__note_far(struct privacy__scan *s, size_t lo, size_t hi);
/* The key-block detectors (privacy_keys.c), at "-----" and at a word starting with 'P': the
 * position past what they masked, 0 when nothing. */
size_t privacy__try_pem(struct privacy__scan *s, size_t i);
size_t privacy__try_putty(struct privacy__scan *s, size_t i);

/* Add [a, b) as a span of type ty, clipped to start at the last span's end. */
void privacy__add_span(struct privacy__scan *s, size_t a, size_t b, enum privacy_type ty);
/* A value that looks generated: long enough, no spaces, mixed classes, high entropy. */
bool privacy__looks_random(const char *p, size_t n);
/* Is [a, b) one line of a key body (code decorations allowed)? *len gets its base64 count. */
bool privacy__body_line(const struct privacy__scan *s, size_t a, size_t b, size_t *len);

/* The start and end of the line holding byte i. */
static inline size_t privacy__line_start(const struct privacy__scan *s, size_t i)
{
    while (i > 0 && s->t[i - 1] != '\n')
        i--;
    return i;
}

static inline size_t privacy__line_end(const struct privacy__scan *s, size_t i)
{
    const char *nl = memchr(s->t + i, '\n', s->n - i);
    return nl ? (size_t)(nl - s->t) : s->n;
}

/* A window's first and last lines that are key body (the window cut a key block): masked as
 * a private key when one is a full-length line (privacy_fragment.c). */
void privacy__fragment_edge_start(struct privacy__scan *s);
void privacy__fragment_edge_end(struct privacy__scan *s);

#endif
