/* line_rules: the structural half of offline ghost text: the next step of a repetition, the
 * continuation of an analogous earlier line, closing open brackets. Knows no statistics.
 * Also the tokenized line both halves read (lines.c's n-gram counts the same tokens).
 * Internal to providers/local/lines: only lines.c includes it. Every view borrows its text;
 * a candidate's strbuf is the caller's (init and release around the rules). */
#ifndef US_LOCAL_LINE_RULES_H
#define US_LOCAL_LINE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "lines.h"

#define LINE_MAX_TOKENS 256
#define LINE_MAX_BYTES 1000 /* longer lines are data or minified code: not learned from */

enum line_tok_kind { LTOK_ID, LTOK_NUM, LTOK_STR, LTOK_OP };

struct line_tok {
    uint32_t start, len; /* in the line */
    uint32_t gap;        /* bytes of whitespace before it */
    enum line_tok_kind kind;
    bool open_string;    /* a string literal not closed on this line */
};

struct line_view {
    const char *s;
    size_t n;
    struct line_tok toks[LINE_MAX_TOKENS];
    size_t k;
};

struct line_cursor {
    const struct lines_query *q;
    size_t ls;           /* start of the cursor's line */
    struct line_view pre; /* the line up to the cursor */
    size_t indent;       /* leading whitespace bytes of the prefix */
    bool partial;        /* the last prefix token is still being typed */
    bool ends_space;     /* the prefix ends with whitespace after some code */
    char suffix[64];     /* non-blank text after the cursor on the line */
    double min_conf;
    size_t suffix_n;
};

struct line_cand {
    struct strbuf text;
    double conf;
    const char *rule;
};

/* Tokens of one line (no newline inside) into out (at most max). Returns the count. */
size_t line_tokenize(const char *s, size_t n, struct line_tok *out, size_t max);
/* Tokenize s[0, n) into v (no tokens when over LINE_MAX_BYTES); s borrowed. */
void line_view_init(struct line_view *v, const char *s, size_t n);
/* Leading blanks of s[0, n). */
size_t line_indent(const char *s, size_t n);
/* Offer text with a confidence; best keeps the better. Handles the text after the cursor: a
 * suggestion must end with it, and then does not repeat it. */
void line_offer(const struct line_cursor *qs, struct line_cand *best, const char *text, size_t n,
                double conf, const char *rule);

/* The rules; each offers into best what it finds. */
void line_rules_repeat(const struct line_cursor *qs, struct line_cand *best);
void line_rules_analogy(const struct line_cursor *qs, struct line_cand *best);
void line_rules_close(const struct line_cursor *qs, struct line_cand *best);

#endif
