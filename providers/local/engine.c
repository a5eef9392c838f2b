/* engine: the local engine's facade (local.h): snippets + symbols + words for the popup, the
 * line model for ghost text, and background indexing of the workspace. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>

#include "engine_int.h"
#include "fuzzy.h"
#include "languages.h"
#include "learned.h"
#include "lines.h"
#include "local.h"
#include "map.h"
#include "near.h"
#include "privacy.h"
#include "snippet.h"
#include "symbols.h"
#include "syntax.h"
#include "words.h"

/* The line model costs about six times the text it learns. It learns the documents ghost text
 * is asked for in, forgetting the least recently used beyond this many bytes, and workspace
 * files up to the cap below, so many open files do not make it grow with them. */
#define LINES_OPEN_DOC_BYTES (2u << 20)
#define LINES_WORKSPACE_BYTES (2u << 20)
/* Of which the workspace walk hands it this much source code: on /usr's C and Python the model
 * took 20 MB per MiB learned (2 MiB: 63 MB of RSS with the root at /usr; 512 KiB: 34 MB). */
#define WALK_LINES_BYTES (512u << 10)
/* A big document is read whole again by the word and line models (milliseconds for a
 * 10,000-line file, up to tens on a busy machine): while it is being typed in, at most once
 * per LOCAL_BIG_DOC_RESYNC_MS. Its newest words join the suggestions a moment later. */
#define LOCAL_BIG_DOC_BYTES (128u * 1024)
#define LOCAL_BIG_DOC_RESYNC_MS 1000

/* text with its secrets replaced by placeholders (borrowed until the next call). Keyed like the
 * lsp's context (lsp/context.c) so a shared cache masks one edit once. */
const char *local_masked_text(struct local_engine *e, const char *uri, uint64_t edit_count,
                              const char *text, size_t len, size_t *mlen)
{
    int64_t version = edit_count ? (int64_t)edit_count : -1;
    const struct mask_result *m = privacy_cache_get(e->masked, uri ? uri : "", version, text, len);
    *mlen = m->len;
    return m->text;
}

#define LEARNED_SAVE_EVERY_MS 5000

/* The line model counts an accepted line in (and out when it is dropped): the cursor line's
 * text from the key, then the suggestion. */
static void learned_to_lines(void *ud, const char *key, size_t kn, const char *text, size_t tn,
                             int delta)
{
    struct local_engine *e = ud;
    const char *nl = memchr(key, '\n', kn);
    size_t off = nl ? (size_t)(nl - key) + 1 : 0;
    struct strbuf sb;
    sb_init(&sb);
    sb_add(&sb, key + off, kn - off);
    sb_add(&sb, text, tn);
    lines_add_learned(e->lines, sb.data, sb.len, delta);
    sb_release(&sb);
}

static void feed_lines(void *ud, const char *path, const char *text, size_t len)
{
    struct local_engine *e = ud;
    lines_add_text(e->lines, text, len);
}

static void free_strv(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

static bool same_strv(char **a, char **b)
{
    size_t i = 0;
    for (; a && b && a[i] && b[i]; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return (!a || !a[i]) && (!b || !b[i]);
}

static void load_snippets(struct local_engine *e, char **dirs)
{
    snip_lib_free(e->snippets);
    e->snippets = snip_lib_new();
    snip_lib_load_builtin(e->snippets);
    for (char **d = dirs; d && *d; d++) {
        int n = snip_lib_load_dir(e->snippets, *d);
        if (n < 0)
            LOG_W("local", "snippet folder %s: %s", *d, us_strerror(n));
        else
            LOG_I("local", "loaded %d snippets from %s", n, *d);
    }
}

struct local_engine *local_engine_new(uv_loop_t *loop, const struct us_settings *settings)
{
    struct local_engine *e = xcalloc(1, sizeof(*e));
    e->loop = loop;
    e->words = words_new();
    struct lines_caps lcaps = {.max_workspace_bytes = LINES_WORKSPACE_BYTES};
    e->lines = lines_new(&lcaps);
    words_set_file_hook(e->words, feed_lines, e);
    uv_idle_init(loop, &e->indexer);
    e->indexer.data = e;
    e->seen = us_map_new(false);
    e->masked = privacy_cache_new(0);
    e->star = learned_new(0);
    learned_set_hook(e->star, learned_to_lines, e);
    local_engine_configure(e, settings);
    return e;
}

void local_engine_share_masked(struct local_engine *e, struct privacy_cache *cache)
{
    if (!cache || cache == e->masked)
        return;
    if (!e->masked_borrowed)
        privacy_cache_free(e->masked);
    e->masked = cache;
    e->masked_borrowed = true;
}

static void indexer_closed(uv_handle_t *h)
{
    struct local_engine *e = h->data;
    free(e);
}

void local_engine_free(struct local_engine *e)
{
    if (!e)
        return;
    if (e->learned_dirty && e->learned_path)
        learned_save(e->star, e->learned_path);
    learned_free(e->star);
    free(e->learned_path);
    privacy_exclude_free(e->exclude);
    snip_lib_free(e->snippets);
    words_free(e->words);
    lines_free(e->lines);
    free_strv(e->snippet_dirs);
    free_strv(e->privacy_exclude);
    if (!e->masked_borrowed)
        privacy_cache_free(e->masked);
    for (size_t i = 0; i < e->n_learned; i++)
        free(e->learned[i].uri);
    free(e->learned);
    size_t it = 0;
    void *v;
    while (us_map_next(e->seen, &it, NULL, &v))
        free(v);
    us_map_free(e->seen);
    uv_close((uv_handle_t *)&e->indexer, indexer_closed);
}

void local_engine_configure(struct local_engine *e, const struct us_settings *st)
{
    e->use_snippets = st->local.snippets;
    e->use_symbols = st->local.symbols;
    e->use_words = st->local.words;
    e->use_lines = st->local.lines;
    e->learn = st->local.learn_accepted;
    privacy_exclude_free(e->exclude);
    e->exclude = privacy_exclude_new((const char *const *)st->privacy.exclude, st->privacy.root);
    e->caps.max_files = (size_t)st->local.workspace_max_files;
    e->caps.max_total_bytes = st->local.workspace_max_bytes;
    e->caps.hook_max_bytes = WALK_LINES_BYTES;
    e->caps.hook_code_only = true; /* the line model learns code, not data or prose */
    free_strv(e->privacy_exclude);
    size_t np = 0;
    while (st->privacy.exclude && st->privacy.exclude[np])
        np++;
    e->privacy_exclude = xcalloc(np + 1, sizeof(char *));
    for (size_t i = 0; i < np; i++)
        e->privacy_exclude[i] = xstrdup(st->privacy.exclude[i]);
    e->caps.privacy_exclude = (const char *const *)e->privacy_exclude;
    if (!e->snippets || !same_strv(e->snippet_dirs, st->local.snippet_dirs)) {
        free_strv(e->snippet_dirs);
        size_t n = 0;
        while (st->local.snippet_dirs && st->local.snippet_dirs[n])
            n++;
        e->snippet_dirs = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            e->snippet_dirs[i] = xstrdup(st->local.snippet_dirs[i]);
        load_snippets(e, e->snippet_dirs);
    }
}

static void forget_learned(struct local_engine *e, size_t i)
{
    lines_doc_remove(e->lines, e->learned[i].uri);
    free(e->learned[i].uri);
    e->learned[i] = e->learned[--e->n_learned];
}

/* Record that the line model learned len bytes of uri, then forget the least recently edited
 * documents while the total is over budget (never uri itself). */
void local_note_learned(struct local_engine *e, const char *uri, size_t len)
{
    size_t i = 0;
    while (i < e->n_learned && strcmp(e->learned[i].uri, uri) != 0)
        i++;
    if (i == e->n_learned) {
        e->learned = xrealloc(e->learned, (e->n_learned + 1) * sizeof(*e->learned));
        e->learned[e->n_learned++] = (struct learned_doc){xstrdup(uri), 0, 0};
    }
    e->learned[i].bytes = len;
    e->learned[i].tick = ++e->tick;
    for (;;) {
        size_t total = 0, oldest = SIZE_MAX;
        for (size_t k = 0; k < e->n_learned; k++) {
            total += e->learned[k].bytes;
            if (e->learned[k].tick != e->tick &&
                (oldest == SIZE_MAX || e->learned[k].tick < e->learned[oldest].tick))
                oldest = k;
        }
        if (total <= LINES_OPEN_DOC_BYTES || oldest == SIZE_MAX)
            return;
        forget_learned(e, oldest);
    }
}

static void doc_update(struct local_engine *e, const char *uri, uint64_t edit_count,
                       const char *text, size_t len)
{
    /* A disabled source costs nothing: its model never sees the text. The line model learns
     * a document when ghost text is asked for in it (local_engine_line): the files being
     * worked on, not every file an editor happens to have open. */
    if (e->use_words) {
        size_t mlen;
        const char *m = local_masked_text(e, uri, edit_count, text, len, &mlen);
        words_doc_set(e->words, uri, m, mlen);
    }
}

void local_engine_doc_update(struct local_engine *e, const char *uri, const char *language,
                             const char *text, size_t len)
{
    (void)language;
    doc_update(e, uri, 0, text, len);
}

void local_engine_doc_sync(struct local_engine *e, const struct local_doc *d)
{
    /* The word and line models catch up lazily, when a completion consults them, not per
     * keystroke (and not before an AI request goes out). */
    struct seen_doc *s = us_map_get(e->seen, d->uri);
    if (s && s->edit_count == d->edit_count)
        return;
    uint64_t now = us_now_ms();
    if (s && s->edit_count && d->len >= LOCAL_BIG_DOC_BYTES &&
        now - s->synced_ms < LOCAL_BIG_DOC_RESYNC_MS)
        return;
    if (!s) {
        size_t n = strlen(d->uri) + 1;
        s = xmalloc(sizeof(*s) + n);
        memcpy(s->uri, d->uri, n);
        us_map_put(e->seen, s->uri, s);
    }
    s->edit_count = d->edit_count;
    s->synced_ms = now;
    doc_update(e, d->uri, d->edit_count, d->text, d->len);
}

void local_engine_doc_close(struct local_engine *e, const char *uri)
{
    free(us_map_del(e->seen, uri));
    privacy_cache_drop(e->masked, uri);
    words_doc_remove(e->words, uri);
    lines_doc_remove(e->lines, uri);
    for (size_t i = 0; i < e->n_learned; i++)
        if (strcmp(e->learned[i].uri, uri) == 0) {
            free(e->learned[i].uri);
            e->learned[i] = e->learned[--e->n_learned];
            break;
        }
}

void local_engine_add_workspace_text(struct local_engine *e, const char *text, size_t len)
{
    words_add_workspace_text(e->words, text, len);
    lines_add_text(e->lines, text, len);
}

static void index_done(void *ud)
{
    struct local_engine *e = ud;
    struct words_stats st;
    words_stats(e->words, &st);
    LOG_I("local", "workspace indexed: %zu files, %zu bytes, %zu distinct words (%zu left out), "
          "%zu KiB", st.files, st.bytes, st.distinct, st.dropped_words, st.memory >> 10);
    e->indexing = false;
}

void local_engine_stats(struct local_engine *e, struct local_stats *out)
{
    struct words_stats st;
    words_stats(e->words, &st);
    *out = (struct local_stats){st.files, st.bytes, st.skipped, st.distinct,
                                st.dropped_words, st.memory, st.docs, 0, st.scanning};
    for (size_t i = 0; i < e->n_learned; i++)
        out->line_doc_bytes += e->learned[i].bytes;
}

/* $XDG_STATE_HOME/understudy (or ~/.local/state/understudy), made when missing; NULL if none. */
static char *state_dir(void)
{
    const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    struct strbuf sb;
    sb_init(&sb);
    if (x && x[0] == '/')
        sb_adds(&sb, x);
    else if (home && home[0] == '/')
        sb_addf(&sb, "%s/.local/state", home);
    else {
        sb_release(&sb);
        return NULL;
    }
    /* each level, as mkdir -p */
    for (size_t i = 1; i <= sb.len; i++)
        if (i == sb.len || sb.data[i] == '/') {
            char c = sb.data[i];
            sb.data[i] = 0;
            mkdir(sb.data, 0700);
            sb.data[i] = c;
        }
    sb_adds(&sb, "/understudy");
    if (mkdir(sb.data, 0700) != 0 && errno != EEXIST) {
        sb_release(&sb);
        return NULL;
    }
    return sb_detach(&sb, NULL);
}

void local_engine_set_workspace(struct local_engine *e, const char *root)
{
    if (e->learned_dirty && e->learned_path)
        learned_save(e->star, e->learned_path);
    free(e->learned_path);
    e->learned_path = NULL;
    e->learned_dirty = false;
    if (!root)
        return;
    char *dir = state_dir();
    if (!dir)
        return;
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = root; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    struct strbuf sb;
    sb_init(&sb);
    sb_addf(&sb, "%s/learned-%016llx.txt", dir, (unsigned long long)h);
    free(dir);
    e->learned_path = sb_detach(&sb, NULL);
    int rc = learned_load(e->star, e->learned_path);
    if (rc < 0 && rc != US_ENOENT)
        LOG_W("local", "learned lines %s: %s", e->learned_path, us_strerror(rc));
    else
        LOG_I("local", "%zu learned lines for %s", learned_count(e->star), root);
}

int local_engine_learn(struct local_engine *e, const struct local_accept *a)
{
    if (!e->learn)
        return US_ESTATE;
    if (!a->source || !strncmp(a->source, "local:", 6) || !a->suggestion || !a->suggestion_len)
        return US_EINVAL; /* the understudy's own lines teach it nothing */
    if (privacy_exclude_match(e->exclude, a->path))
        return US_EUNSUPPORTED;
    /* Masked like everything that leaves the document: a secret in the line or in the
     * suggestion becomes its placeholder before it is kept or written to disk. */
    char key[600];
    size_t kn = learned_key(a->before, a->before_len, key, sizeof key);
    if (!kn)
        return US_EINVAL;
    struct strbuf line;
    sb_init(&line);
    learned_text_of(a->before, a->before_len, a->suggestion, a->suggestion_len, &line);
    struct mask_result mk = {0}, mt = {0};
    privacy_mask(key, kn, &mk);
    privacy_mask(line.data, line.len, &mt);
    learned_add(e->star, mk.text, mk.len, mt.text, mt.len);
    privacy_result_release(&mk);
    privacy_result_release(&mt);
    sb_release(&line);
    e->learned_dirty = true;
    uint64_t now = us_now_ms();
    if (e->learned_path && now - e->learned_saved_ms >= LEARNED_SAVE_EVERY_MS) {
        if (learned_save(e->star, e->learned_path) == 0)
            e->learned_dirty = false;
        e->learned_saved_ms = now;
    }
    return 0;
}

size_t local_engine_learned_count(const struct local_engine *e)
{
    return learned_count(e->star);
}

void local_engine_index_workspace(struct local_engine *e, const char *root)
{
    local_engine_set_workspace(e, root);
    if (!root || !e->use_words)
        return;
    /* Off the loop: batches walked, read and counted on workers, merged here. */
    if (words_index_start_async(e->words, e->loop, root, &e->caps, index_done, e) < 0) {
        LOG_W("local", "cannot index workspace %s", root);
        return;
    }
    e->indexing = true;
}

/* ------------------------------------------------------------------ popup */

struct item_meta {
    signed char scope; /* enum sym_scope of a symbol, -1 for words and snippets */
};

struct item_list {
    struct local_item *items;
    struct item_meta *meta;
    size_t n, cap;
};

static bool has_label(const struct item_list *l, const char *label)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].label, label) == 0)
            return true;
    return false;
}

static struct local_item *push(struct item_list *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
        l->meta = xrealloc(l->meta, l->cap * sizeof(*l->meta));
    }
    l->meta[l->n].scope = -1;
    struct local_item *it = &l->items[l->n++];
    memset(it, 0, sizeof(*it));
    return it;
}

static enum local_kind kind_of(enum syn_kind k)
{
    switch (k) {
    case SYN_KIND_FUNCTION: return LOCAL_KIND_FUNCTION;
    case SYN_KIND_METHOD: return LOCAL_KIND_METHOD;
    case SYN_KIND_CLASS: return LOCAL_KIND_CLASS;
    case SYN_KIND_TYPE: return LOCAL_KIND_STRUCT;
    case SYN_KIND_FIELD: return LOCAL_KIND_FIELD;
    case SYN_KIND_IMPORT: return LOCAL_KIND_MODULE;
    default: return LOCAL_KIND_VARIABLE;
    }
}

static int cmp_items(const void *a, const void *b)
{
    const struct local_item *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return strcmp(x->label, y->label);
}

/* How the popup weighs its evidence. Every item's score is its match class (fuzzy.h) in the
 * thousands, so a prefix match always beats a scattered one, plus bonuses below 1000: where a
 * symbol is defined relative to the cursor (scope), and how near, frequent and recent the word is
 * (the rank words_query gives it). Chosen by coordinate search on the benchmark's tuning split
 * (tests/bench/local, --split tune; since localq3 on its feature dump, US_LOCAL_FEATURES, re-scored
 * offline); the numbers we report come from the held-out test split, never used to choose.
 * The result is flat around these values: what matters is that the bonuses stay below one
 * match class and that word nearness and scope both count. In the popup branch (issue 17) a
 * coordinate search of all weights on one half of the tuning samples did not carry over to the
 * other half, so the old ones stay; ngram1/2 and def_symbol were swept offline (1000 tuning
 * samples per language) and kept at the middle of their flat range. Tried and dropped there:
 * the successor of the last look-alike in the file's order, and the case shape of the token
 * before the cursor (no gain). */
struct popup_weights {
    double word_top;    /* bonus of the best-ranked word; rank i gets word_top / (1 + i * word_decay) */
    double word_decay;
    double scope[SYM_SCOPE_KEYWORD + 1];
    double snippet;
    /* near.h: the code around the cursor */
    double near_top, near_decay; /* nearest occurrence, then by distance rank */
    double prev1, prev2;         /* share of occurrences after the cursor's token(s) */
    double next;                 /* share before the character after the cursor */
    double count;                /* per log2 of occurrences */
    double sigil_var;            /* shell: a variable the script defines, after `$` */
    double short_pen;            /* a name one character longer than what is typed saves
                                    nothing: typing it is as quick as choosing it */
    double recency;              /* the latest occurrence before the cursor, on a log scale */
    double cooc;                 /* share of occurrences on a line sharing a name with the
                                    cursor's line */
    double prose;                /* in a comment or string: a lowercase word up, a code name down */
    double absent;               /* a candidate that does not occur around the cursor */
    double comment_in, comment_out; /* share of occurrences in comments, in a comment / in code */
    double member_word;          /* a word after `x.` when members of x are known */
    double kw_prose;             /* a keyword in a comment or string */
    double ngram1, ngram2;       /* share of the workspace's occurrences of the one / two tokens
                                    before the cursor that this word followed (lines.h) */
    double scope_prose;          /* share of the scope bonus in a comment or string: 0, prose
                                    follows no scope (a parameter's name is no likelier there
                                    than another word; tuning half +0.2-0.3 points first,
                                    Python +0.6-0.8, two seeds) */
    double def_symbol;           /* after `def`, `class`, `function` a new name is written: not
                                    one already defined (C's `#define` is left out: headers
                                    define a macro again in each branch of an #if) */
};

static struct popup_weights W = {
    .word_top = 0, /* since near.c: the words' own order adds nothing on the tuning half */
    .word_decay = 0.3,
    .scope = {
        /* scope beats distance: a local of the cursor's function above a nearer word */
        [SYM_SCOPE_LOCAL] = 250,
        [SYM_SCOPE_PARAM] = 250,
        [SYM_SCOPE_OUTER] = 50,
        [SYM_SCOPE_FILE] = 0,
        [SYM_SCOPE_IMPORT] = 0,
        [SYM_SCOPE_MEMBER] = 400,
        [SYM_SCOPE_MEMBER_ELSEWHERE] = 350,
        [SYM_SCOPE_KEYWORD] = 0,
    },
    .snippet = 0,
    .near_top = 75,
    .near_decay = 0.25,
    .prev1 = 75,
    .prev2 = 150,
    .next = 200,
    .count = 20,
    .sigil_var = 300,
    .short_pen = 250,
    .recency = 225,
    .cooc = 100,
    .prose = 0,
    .absent = 0,
    .member_word = 400,
    .kw_prose = 0,
    .comment_in = 40,
    .comment_out = 0,
    .ngram1 = 100,
    .ngram2 = 200,
    .def_symbol = 300,
    .scope_prose = 0,
};
/* For tuning runs of the benchmark only: US_LOCAL_TUNE="name=value,..." overrides weights. */
void local_tune_from_env(void)
{
    static bool done;
    const char *t = getenv("US_LOCAL_TUNE");
    if (done || !t)
        return;
    done = true;
    struct { const char *k; double *v; } keys[] = {
        {"word_top", &W.word_top}, {"word_decay", &W.word_decay},
        {"local", &W.scope[SYM_SCOPE_LOCAL]}, {"param", &W.scope[SYM_SCOPE_PARAM]},
        {"outer", &W.scope[SYM_SCOPE_OUTER]}, {"file", &W.scope[SYM_SCOPE_FILE]},
        {"import", &W.scope[SYM_SCOPE_IMPORT]}, {"member", &W.scope[SYM_SCOPE_MEMBER]},
        {"keyword", &W.scope[SYM_SCOPE_KEYWORD]}, {"near_top", &W.near_top},
        {"near_decay", &W.near_decay}, {"prev1", &W.prev1}, {"prev2", &W.prev2},
        {"next", &W.next}, {"count", &W.count}, {"sigil_var", &W.sigil_var}, {"snippet", &W.snippet},
        {"short", &W.short_pen}, {"recency", &W.recency}, {"cooc", &W.cooc},
        {"prose", &W.prose}, {"absent", &W.absent},
        {"member_word", &W.member_word}, {"comment_in", &W.comment_in},
        {"kw_prose", &W.kw_prose}, {"ngram1", &W.ngram1}, {"ngram2", &W.ngram2},
        {"def_symbol", &W.def_symbol}, {"scope_prose", &W.scope_prose},
        {"comment_out", &W.comment_out}, {"ghost_conf", &local_ghost_tune.ghost},
        {"comment_conf", &local_ghost_tune.comment}, {"min_ngram", &local_ghost_tune.ngram},
        {"min_copy", &local_ghost_tune.copy}, {"min_analogy", &local_ghost_tune.analogy},
        {"min_start", &local_ghost_tune.start}, {"min_follow", &local_ghost_tune.follow},
        {"min_match", &local_ghost_tune.match},
        {"min_match_start", &local_ghost_tune.match_start},
        {"min_other", &local_ghost_tune.other},
    };
    while (*t) {
        const char *eq = strchr(t, '=');
        if (!eq)
            break;
        for (size_t i = 0; i < US_ARRAY_LEN(keys); i++)
            if (strlen(keys[i].k) == (size_t)(eq - t) && !strncmp(t, keys[i].k, (size_t)(eq - t)))
                *keys[i].v = atof(eq + 1);
        t = strchr(eq, ',');
        if (!t)
            break;
        t++;
    }
}

/* A word of prose: lowercase letters only (what comments and strings are written in), as
 * opposed to a code name with `_`, digits or capitals inside. */
static bool prose_word(const char *w)
{
    for (const char *p = w; *p; p++)
        if (*p < 'a' || *p > 'z')
            return false;
    return true;
}

static double class_base(int match) { return fuzzy_class_of(match) * 1000.0; }

static bool hash_comments(const char *lang)
{
    static const char *const hash[] = {"python", "shellscript", "bash", "sh", "ruby", "perl",
                                       "yaml", "toml", "makefile", "r", "cmake", "dockerfile"};
    for (size_t i = 0; lang && i < US_ARRAY_LEN(hash); i++)
        if (!strcmp(lang, hash[i]))
            return true;
    return false;
}

/* For tuning runs of the benchmark only: US_LOCAL_FEATURES set writes every popup item's
 * evidence to stderr (tests/bench/README.md). */
static bool features_dump(void)
{
    static int dump = -1;
    if (dump < 0)
        dump = getenv("US_LOCAL_FEATURES") != NULL;
    return dump;
}

/* What the code around the cursor says (near.h), added to every identifier item: the same
 * tokens before it, the same character after it, nearness and frequency. */
static void add_near(struct local_engine *e, const struct local_request *req, struct item_list *l,
                     bool member)
{
    if (!req->partial || !*req->partial || !req->text)
        return;
    struct near_set ns;
    size_t plen = strlen(req->partial);
    near_scan(req->text, req->text_len, req->offset, req->partial, plen,
              hash_comments(req->ctx->language), &ns);
    enum syn_situation sit = req->ctx->situation;
    bool prose = sit == SYN_SIT_COMMENT || sit == SYN_SIT_STRING;
    bool dump = features_dump();
    struct lines_follow lf;
    lines_follow_init(e->lines, req->text, req->offset - plen, &lf);
    bool def_slot = near_prev_is(&ns, "def") || near_prev_is(&ns, "class") ||
                    near_prev_is(&ns, "function");
    if (dump)
        fprintf(stderr, "C %.*s %.*s %d - %u %u\n", ns.p2 && *ns.p2 != '\n' ? (int)ns.p2n : 2,
                ns.p2 && *ns.p2 != '\n' ? ns.p2 : "NL", ns.p1 && *ns.p1 != '\n' ? (int)ns.p1n : 2,
                ns.p1 && *ns.p1 != '\n' ? ns.p1 : "NL", ns.next_char,
                lf.total[0], lf.total[1]);
    /* Identifiers of the window the other sources missed (the word index answers at most 64)
     * join as words: a name the file uses is a candidate however many others look alike. */
    if (e->use_words) {
        bool *had = xcalloc(ns.n + 1, sizeof *had);
        for (size_t i = 0; i < l->n; i++) {
            const struct near_word *w = near_find(&ns, l->items[i].label);
            if (w)
                had[w - ns.w] = true;
        }
        for (size_t k = 0; k < ns.n; k++) {
            if (had[k])
                continue;
            struct local_item *it = push(l);
            it->label = xstrndup(ns.w[k].s, ns.w[k].n);
            it->insert_text = xstrdup(it->label);
            it->source = PROV_SOURCE_WORD;
            it->kind = LOCAL_KIND_TEXT;
            it->detail = xstrdup("word in this file");
            int fs = fuzzy_score(req->partial, plen, it->label, ns.w[k].n);
            it->score = class_base(fs) + (fs % 1000) * 0.01 - (member ? W.member_word : 0);
        }
        free(had);
    }
    for (size_t i = 0; i < l->n; i++) {
        struct local_item *it = &l->items[i];
        if (it->kind == LOCAL_KIND_SNIPPET)
            continue;
        size_t n = strlen(it->label);
        bool shrt = n <= plen + 1, pw = prose_word(it->label);
        if (shrt)
            it->score -= W.short_pen;
        if (prose)
            it->score += (pw ? W.prose : -W.prose) -
                         (l->meta[i].scope == SYM_SCOPE_KEYWORD ? W.kw_prose : 0);
        const struct near_word *w = near_find(&ns, it->label);
        uint32_t fol[2];
        lines_follow_count(e->lines, &lf, it->label, n, fol);
        if (dump)
            fprintf(stderr, "F %s %.3f %d %d %d %d %d %d %u %u %u %u %u %u %u %u %zu %u %d %u %u %u\n", it->label,
                    it->score, l->meta[i].scope, !strcmp(it->source, PROV_SOURCE_WORD),
                    (int)sit, pw, shrt, w != NULL, w ? w->rank : 0, w ? w->dist : 0,
                    w ? w->before : 0, w ? w->count : 0, w ? w->prev1 : 0, w ? w->prev2 : 0,
                    w ? w->next : 0, w ? w->cooc : 0, n, w ? w->comment : 0, (int)it->kind,
                    0, fol[0], fol[1]);
        if (def_slot && l->meta[i].scope >= 0)
            it->score -= W.def_symbol;
        if (!w) {
            it->score -= W.absent;
            continue;
        }
        double c = w->count + 1.0;
        double rec = w->before == UINT32_MAX ? 0 : 1.0 - log2(1.0 + w->before) / 20.0;
        it->score += W.near_top / (1.0 + w->rank * W.near_decay) + W.prev1 * w->prev1 / c +
                     W.prev2 * w->prev2 / c + W.next * w->next / c +
                     W.count * log2(1.0 + w->count) + W.recency * US_MAX(rec, 0.0) +
                     W.cooc * w->cooc / c +
                     (prose ? W.comment_in : -W.comment_out) * w->comment / c +
                     W.ngram1 * fol[0] / (lf.total[0] + 5.0) +
                     W.ngram2 * fol[1] / (lf.total[1] + 5.0);
    }
    near_release(&ns);
}

static void add_snippets(struct local_engine *e, const struct local_request *req,
                         struct item_list *l)
{
    const struct prov_context *ctx = req->ctx;
    if (!e->use_snippets || !req->partial || !*req->partial)
        return;
    if (ctx->situation == SYN_SIT_MEMBER || ctx->situation == SYN_SIT_COMMENT ||
        ctx->situation == SYN_SIT_STRING)
        return;
    struct snip_match m[12];
    size_t n = snip_lib_lookup(e->snippets, ctx->language, req->partial, m, 12);
    size_t line_end = req->offset;
    while (line_end < req->text_len && req->text[line_end] != '\n')
        line_end++;
    char *current_line = xstrndup(req->text + (req->offset - ctx->column),
                                  line_end - (req->offset - ctx->column));
    struct snip_env env = {
        .language = ctx->language,
        .path = ctx->path,
        .workspace_folder = req->workspace_folder,
        .current_line = current_line,
        .current_word = req->partial,
        .indent = ctx->indent,
        .line = ctx->line,
    };
    for (size_t i = 0; i < n; i++) {
        /* Snippets complete keywords-like prefixes; scattered matches would be noise. */
        if (fuzzy_class_of(m[i].score) < FUZZY_PREFIX_CI)
            continue;
        struct strbuf body;
        sb_init(&body);
        snip_render(m[i].info->body, &env, req->snippet_support ? SNIP_LSP : SNIP_PLAIN, &body,
                    NULL);
        struct local_item *it = push(l);
        it->label = xstrdup(m[i].prefix);
        it->insert_text = sb_detach(&body, NULL);
        sb_release(&body);
        it->snippet = req->snippet_support;
        it->source = PROV_SOURCE_SNIPPET;
        it->kind = LOCAL_KIND_SNIPPET;
        it->detail = xstrdup(m[i].info->description[0] ? m[i].info->description
                                                        : m[i].info->name);
        /* Below identifiers of the same match class: a snippet is a bigger commitment. */
        it->score = US_MIN(class_base(m[i].score), FUZZY_PREFIX * 1000.0) + W.snippet;
    }
    free(current_line);
}

static void add_symbols(struct local_engine *e, const struct local_request *req,
                        struct item_list *l)
{
    if (!e->use_symbols)
        return;
    /* Callers that did not analyse the cursor (tests, tools) still get names in scope. */
    struct syn_cursor own;
    const struct syn_cursor *cursor = req->cursor;
    bool analysed = false;
    if (!cursor && req->syntax) {
        syn_doc_analyze(req->syntax, (uint32_t)req->offset, &own);
        cursor = &own;
        analysed = true;
    }
    struct sym_query q = {
        .doc = req->syntax,
        .cursor = cursor,
        .offset = (uint32_t)req->offset,
        .language = req->ctx->language,
        .partial = req->partial,
        .others = req->others,
        .n_others = req->n_others,
        .text = req->text,
        .text_len = req->text_len,
    };
    struct sym_candidate *c;
    size_t n = sym_complete(&q, &c, 200);
    enum syn_situation sit = req->ctx->situation;
    double scope_share = sit == SYN_SIT_COMMENT || sit == SYN_SIT_STRING ? W.scope_prose : 1.0;
    for (size_t i = 0; i < n; i++) {
        if (has_label(l, c[i].name))
            continue;
        struct local_item *it = push(l);
        it->label = xstrdup(c[i].name);
        it->insert_text = xstrdup(c[i].name);
        it->source = PROV_SOURCE_SYMBOL;
        it->kind = c[i].what == SYM_KEYWORD ? LOCAL_KIND_KEYWORD : kind_of(c[i].kind);
        it->detail = xstrdup(c[i].what == SYM_KEYWORD ? "keyword" : syn_kind_name(c[i].kind));
        /* a tiny share of the fuzzy tie-break keeps tighter matches first among equals */
        it->score = class_base(c[i].match) + scope_share * W.scope[c[i].scope] +
                    (c[i].match % 1000) * 0.01;
        l->meta[l->n - 1].scope = (signed char)c[i].scope;
    }
    sym_candidates_free(c, n);
    if (analysed)
        syn_cursor_release(&own);
}

/* Words come ranked by nearness, frequency and recency, which predicts the wanted identifier
 * well; a word that is also a visible symbol keeps the symbol's provenance and adds the word's
 * evidence to the symbol's. */
static void add_words(struct local_engine *e, const struct local_request *req,
                      struct item_list *l, bool member)
{
    if (!e->use_words || !req->partial || !*req->partial)
        return;
    struct words_item w[64];
    struct words_query q = {req->uri, req->text, req->text_len, req->offset, req->partial,
                            strlen(req->partial)};
    size_t n = words_query(e->words, &q, w, US_ARRAY_LEN(w));
    size_t plen = strlen(req->partial);
    size_t n_symbols = l->n;
    for (size_t i = 0; i < n; i++) {
        int fs = fuzzy_score(req->partial, plen, w[i].word, strlen(w[i].word));
        double near = W.word_top / (1.0 + (double)i * W.word_decay);
        bool found = false;
        for (size_t k = 0; k < n_symbols; k++) {
            if (strcmp(l->items[k].label, w[i].word) != 0)
                continue;
            found = true;
            l->items[k].score += near;
            break;
        }
        if (found)
            continue;
        struct local_item *it = push(l);
        it->label = xstrdup(w[i].word);
        it->insert_text = xstrdup(w[i].word);
        it->source = PROV_SOURCE_WORD;
        it->kind = LOCAL_KIND_TEXT;
        it->detail = xstrdup(w[i].origin == WORDS_HERE       ? "word in this file"
                             : w[i].origin == WORDS_OPEN_DOC ? "word in an open file"
                                                             : "word in the workspace");
        it->score = class_base(fs) + near + (fs % 1000) * 0.01;
        /* after `x.` with members known, a word is a fallback (a member set elsewhere) */
        if (member)
            it->score -= W.member_word;
    }
}

static void release_items(struct local_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(items[i].label);
        free(items[i].insert_text);
        free(items[i].detail);
    }
}

/* In shell scripts `$name` reads the variable defined as `name=`: complete the name after the
 * sigil and put the sigil back in front, so the item still replaces the typed `$na` (or the
 * whole `-I$na` when the server's partial word takes text glued before the `$` along).
 * Returns the length of what goes back in front (0: no sigil). */
static size_t sigil_request(const struct local_request *req, struct local_request *out)
{
    const char *lang = req->ctx->language ? req->ctx->language : "";
    const char *d = req->partial ? strrchr(req->partial, '$') : NULL;
    if (!d || !d[1] ||
        (strcmp(lang, "shellscript") != 0 && strcmp(lang, "bash") != 0 && strcmp(lang, "sh") != 0))
        return 0;
    *out = *req;
    out->partial = d + 1;
    return (size_t)(d + 1 - req->partial);
}

static void add_sigil(struct item_list *l, const char *pre, size_t pn)
{
    for (size_t i = 0; i < l->n; i++) {
        struct local_item *it = &l->items[i];
        size_t ln = strlen(it->label), in = strlen(it->insert_text);
        char *label = xmalloc(ln + pn + 1), *ins = xmalloc(in + pn + 1);
        memcpy(label, pre, pn);
        memcpy(ins, pre, pn);
        memcpy(label + pn, it->label, ln + 1);
        memcpy(ins + pn, it->insert_text, in + 1);
        free(it->label);
        free(it->insert_text);
        it->label = label;
        it->insert_text = ins;
    }
}

size_t local_engine_complete(struct local_engine *e, const struct local_request *req,
                             struct local_item **items, size_t max)
{
    struct item_list l = {0};
    struct local_request unsigiled;
    const char *typed = req->partial;
    size_t sigil = sigil_request(req, &unsigiled);
    if (sigil)
        req = &unsigiled;
    bool member = req->ctx->situation == SYN_SIT_MEMBER;
    local_tune_from_env();
    if (features_dump())
        fprintf(stderr, "Q %s %zu\n", typed ? typed : "", sigil);
    add_symbols(e, req, &l);
    size_t symbols = l.n;
    /* After `x.` words are a fallback for receivers we know nothing about. */
    add_words(e, req, &l, member && symbols > 0);
    add_near(e, req, &l, member && symbols > 0);
    if (sigil) {
        /* keywords and snippets do not follow a `$` */
        size_t k = 0;
        for (size_t i = 0; i < l.n; i++) {
            if (l.items[i].kind == LOCAL_KIND_KEYWORD)
                release_items(&l.items[i], 1);
            else
                l.items[k++] = l.items[i];
        }
        l.n = k;
        /* after `$` a name the script assigns is what is read, not any word that looks alike */
        for (size_t i = 0; i < l.n; i++)
            if (!strcmp(l.items[i].source, PROV_SOURCE_SYMBOL))
                l.items[i].score += W.sigil_var;
        add_sigil(&l, typed, sigil);
    } else {
        add_snippets(e, req, &l);
    }
    /* the fragment being typed is no completion of itself (the tree sees it as a name) */
    {
        size_t k = 0;
        for (size_t i = 0; i < l.n; i++) {
            if (typed && !strcmp(l.items[i].label, typed) && l.items[i].kind != LOCAL_KIND_SNIPPET)
                release_items(&l.items[i], 1);
            else
                l.items[k++] = l.items[i];
        }
        l.n = k;
    }
    free(l.meta);
    if (l.n > 1) /* qsort(NULL, 0) is undefined */
        qsort(l.items, l.n, sizeof(*l.items), cmp_items);
    if (l.n > max) {
        release_items(l.items + max, l.n - max);
        l.n = max;
    }
    *items = l.items;
    return l.n;
}

void local_items_free(struct local_item *items, size_t n)
{
    release_items(items, n);
    free(items);
}
