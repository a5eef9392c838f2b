/* longmatch: the "longest match" half of offline ghost text. The token stream before the cursor
 * (lines.c's ids; a line is its indentation change, its tokens, an end-of-line id) is matched
 * against earlier text, the document's own and the workspace's, for its longest suffix seen
 * before; what followed those occurrences, where they agree, is the continuation. Unbounded
 * context where the n-gram sees three tokens: a repeated block is continued as it went.
 * Internal to providers/local/lines: only lines.c includes it. */
#ifndef US_LOCAL_LONGMATCH_H
#define US_LOCAL_LONGMATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LM_MAX_OUT 40 /* continuation tokens at most (the line's rest) */

struct longmatch;

/* eol: the id ending a line (continuations stop there); unk: the id of unknown tokens, which
 * never match. max_ws_tokens bounds the workspace stream (8 bytes a token with its index). */
struct longmatch *lm_new(uint32_t eol, uint32_t unk, size_t max_ws_tokens);
void lm_free(struct longmatch *lm);

/* Append workspace token ids (copied); add-only, ignored beyond max_ws_tokens. */
void lm_ws_append(struct longmatch *lm, const uint32_t *ids, size_t n);
size_t lm_ws_tokens(const struct longmatch *lm);
size_t lm_mem_bytes(const struct longmatch *lm);

struct lines;
struct line_cursor;
struct line_cand;

/* The rule: the stream before the cursor (the document's last 64 KiB) matched, the
 * continuation offered into best as "match" when at least qs->q->min_match sure. */
void lm_suggest(struct lines *m, struct longmatch *lm, const struct line_cursor *qs,
                struct line_cand *best);

/* The same at a line start (nothing typed on the cursor's line, geometry g): the next line as
 * it went after the longest match of the lines above, at the level the match says, as
 * "match-start" when surer than best, else finishing best's answer when it begins with it;
 * at least qs->q->min_start_match sure (0: not tried). */
struct indent_geom;
void lm_suggest_line_start(struct lines *m, struct longmatch *lm, const struct line_cursor *qs,
                           const struct indent_geom *g, struct line_cand *best);

/* first_ok: may the continuation start with this id (the partial token being typed). */
typedef bool (*lm_first_fn)(void *ud, uint32_t id);

struct lm_answer {
    uint32_t ids[LM_MAX_OUT];
    size_t n;          /* continuation tokens, the line's end not included */
    bool done;         /* the occurrences agree the line ends after them */
    uint32_t len;      /* matched tokens (capped at LM_MAX_LEN) */
    double weight;     /* occurrences behind the first token (a document's weigh more) */
    double agree;      /* their share among all occurrences of that length */
};

/* q[0, qn): the document's stream up to the cursor; occurrences are looked for in q[0, doc_n)
 * (the lines before the cursor's) and the workspace. Returns false when no suffix of at least
 * min_len tokens was seen before. q borrowed. */
bool lm_predict(const struct longmatch *lm, const uint32_t *q, size_t qn, size_t doc_n,
                size_t min_len, lm_first_fn first_ok, void *ud, struct lm_answer *out);

#endif
