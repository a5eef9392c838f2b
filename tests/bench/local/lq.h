/* lq: the parts of the local engine's quality benchmark (local_quality.c): corpora read from a
 * committed manifest of installed Debian files, split by a hash of each path into a tuning half
 * and a held-out half, the popup and ghost-text samplers with their naive baselines, and the
 * request the server builds. Everything here is for the benchmark only. */
#ifndef US_BENCH_LQ_H
#define US_BENCH_LQ_H

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base.h"
#include "local/lines.h"
#include "local/local.h"
#include "local/words.h"
#include "provider.h"
#include "syntax.h"

struct file {
    char *path;
    char *text;
    size_t len;
    uint64_t hash; /* of the path: which half and which role (lq_role) */
};

struct corpus {
    const char *name; /* LSP language id and lang_info name */
    struct file *ws;  /* the workspace of the split: the engine learns words and lines here */
    size_t n_ws;
    struct file *f;   /* the split's sample files */
    size_t n;
    size_t missing;   /* files of the manifest's half not on this machine */
};

/* Load the manifest's files of one language for the split (0 = tune, 1 = held-out test). A
 * file's path hash decides: bit 0 = the half, bit 1 = workspace or sample file. Missing files
 * are skipped and counted (c->missing): the figures of machines with different packages are
 * not comparable. Returns how many files were read. */
size_t lq_load(struct corpus *c, const char *manifest, const char *language, int split);
void lq_corpus_release(struct corpus *c);

extern uint64_t lq_rng;
uint64_t lq_rnd(void);
size_t lq_rnd_below(size_t n);
const struct file *lq_sample_file(const struct corpus *c);

static inline bool lq_is_w(unsigned char c) { return isalnum(c) || c == '_' || c >= 0x80; }
uint64_t lq_pctl(uint64_t *v, size_t n, double p);
static inline double lq_pct(int a, int b) { return b ? 100.0 * a / b : 0; }

/* An engine as the server has it with no providers: defaults (learning optional), the
 * workspace files learned. */
struct local_engine *lq_engine(uv_loop_t *loop, const struct corpus *c, bool learn);

/* The request the server builds (lsp/completion.c fill_local_request + lsp/context.c). */
struct req_buf {
    struct prov_context ctx;
    struct local_request lr;
    struct syn_cursor cur;
    char partial[80];
};
void lq_build_request(struct req_buf *rb, const char *language, const char *uri,
                      struct syn_doc *sd, const char *doc, size_t len, size_t cursor);
void lq_release_request(struct req_buf *rb);

/* ---------------------------------------------------------------- popup (lq_popup.c) */

struct psample {
    const struct file *f;
    size_t pos, end; /* the identifier in f */
    char want[72];
};
/* mode 0: the identifier occurs earlier in its file; mode 1: it does not. */
size_t lq_draw_popup(const struct corpus *c, int mode, int n, struct psample *out);
/* The document as the user has it: the identifier cut to its first two characters. */
char *lq_cut_doc(const struct psample *s, size_t *len);

struct hits {
    int top1, top5;
};
struct popup_result {
    int n;
    struct hits base, words, engine;
    int by_source[3]; /* engine top-1 hits served as local:symbol, local:word, local:snippet */
    uint64_t *lat;    /* analysis + local_engine_complete, microseconds */
};
void lq_popup(const struct corpus *c, struct local_engine *e, struct words *ws,
              const struct psample *s, size_t n, struct popup_result *pr);

/* ---------------------------------------------------------------- ghost text (lq_ghost.c) */

struct gsample {
    const struct file *f;
    size_t cursor, rn; /* the rest of the line: f->text[cursor .. cursor + rn) */
};
size_t lq_draw_ghost(const struct corpus *c, int n, struct gsample *out);
size_t lq_first_token(const char *s, size_t n, const char **start);

struct gscore {
    int answered, next_ok, exact;
};
struct ghost_result {
    int n;
    /* floorless: the same engine with every confidence floor at its lowest, so it shows its
     * best answer wherever it has one: how many right answers the floors have to choose from
     * (showing 60 % at 70 % right needs 42 % of all samples right). */
    struct gscore trigram, copy, engine, floorless;
    uint64_t *lat;
};
/* floorless: also score the engine with its floors off (twice the time). */
void lq_ghost(const struct corpus *c, struct local_engine *e, bool floorless,
              const struct gsample *s, size_t n, struct ghost_result *gr);

/* Learning the star's lines: the AI (an oracle giving the true rest of the line) is accepted
 * at ghost points of the sample files whose hash bit 2 is 0; then, providers cut, ghost text
 * is scored at points of the other sample files, by an engine that learned and one that did
 * not. */
struct learn_result {
    int accepted;
    struct ghost_result with, without;
};
void lq_learn(const struct corpus *c, uv_loop_t *loop, int samples, struct learn_result *lr);

#endif
