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

/* A cursor inside a line's leading blanks (line_start.c): the line above and the levels the
 * line may start at. target[]: 0 dedent (the enclosing level), 1 same as the line above,
 * 2 one level in, 3 after a blank line; SIZE_MAX where the cursor is already past it. */
struct indent_geom {
    size_t col;         /* the cursor's column */
    char ch;            /* the indentation character */
    bool have_prev;
    bool prev_blank;    /* a blank line lies between the cursor and the line above */
    size_t prev_b, prev_e; /* the nearest non-blank line above */
    size_t prev_indent;
    size_t unit;        /* one level of indentation */
    size_t target[4];
};
/* False unless the prefix is all blanks with nothing after the cursor and a line above. */
bool line_start_geometry(const struct line_cursor *qs, struct indent_geom *g);
/* Blanks from the cursor's column up to target, into out. */
void line_start_pad(const struct indent_geom *g, size_t target, struct strbuf *out);
/* self.x = x after a constructor's signature, the next elif/case arm, the line that followed
 * the same line earlier in the file, the file's habit after a line starting like the one above. */
void line_rules_start(const struct line_cursor *qs, const struct indent_geom *g,
                      struct line_cand *best);

#endif
