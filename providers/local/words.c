/* words: see words.h. One interned table of distinct words with counts per origin; open
 * documents keep their (word, count) lists so an update can subtract the old version; the
 * workspace scan is an explicit state machine stepped by the caller under a time budget. */
#include "words.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "fuzzy.h"
#include "ignore.h"
#include "privacy.h"

#define MIN_WORD 3
#define MAX_WORD 64
#define WINDOW_BEFORE (64u << 10)
#define WINDOW_AFTER (32u << 10)
#define ARENA_CHUNK (64u << 10)

struct word {
    const char *s; /* in the arena: stable for the index's lifetime */
    uint32_t len;
    uint32_t hash;
    uint32_t ws;     /* occurrences in workspace files */
    uint32_t docs;   /* occurrences in open documents (all of them) */
    uint32_t recent; /* tick of the last edit that added an occurrence; 0 = never */
    /* scratch, valid while mark fields equal the current epoch */
    uint32_t mark, tmp, oldmark, old;
    uint32_t qmark, here, dist;
};

struct doc {
    char *uri;
    uint32_t *ids, *counts;
    size_t n;
};

struct arena_chunk {
    struct arena_chunk *next;
    size_t used;
    char data[];
};

struct walk {
    char *root;
    char **stack; /* folders still to read, relative to root ("" = root) */
    size_t n_stack, cap_stack;
    DIR *dir;     /* folder being read */
    char *dir_rel;
    struct ign_list *ign;
    struct ign_list *priv; /* privacy: never read, whatever .gitignore says */
    struct words_caps caps;
    bool active;
};

struct words {
    struct word *v;
    size_t n, cap;
    uint32_t *table; /* open addressing: id + 1, 0 = empty */
    size_t table_cap;
    uint32_t *bucket[256]; /* ids by lower-cased first byte */
    size_t bucket_n[256], bucket_cap[256];
    struct arena_chunk *arena;
    struct doc *docs;
    size_t n_docs;
    uint32_t epoch, tick;
    struct walk walk;
    words_file_fn hook;
    void *hook_ud;
    size_t files, bytes, skipped;
};

/* ---------------------------------------------------------------- interning */

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static const char *arena_copy(struct words *w, const char *s, size_t n)
{
    if (!w->arena || w->arena->used + n + 1 > ARENA_CHUNK) {
        struct arena_chunk *c = xmalloc(sizeof *c + ARENA_CHUNK);
        c->next = w->arena;
        c->used = 0;
        w->arena = c;
    }
    char *d = w->arena->data + w->arena->used;
    memcpy(d, s, n);
    d[n] = 0;
    w->arena->used += n + 1;
    return d;
}

static void table_grow(struct words *w)
{
    size_t cap = w->table_cap ? w->table_cap * 2 : 4096;
    uint32_t *t = xcalloc(cap, sizeof *t);
    for (size_t i = 0; i < w->n; i++) {
        size_t j = w->v[i].hash & (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = (uint32_t)i + 1;
    }
    free(w->table);
    w->table = t;
    w->table_cap = cap;
}

/* Id of s, or -1 when unknown and !create. */
static long intern(struct words *w, const char *s, size_t n, bool create)
{
    if (!w->table_cap || (create && w->n * 2 >= w->table_cap))
        table_grow(w); /* lookups never rehash: queries stay cheap */
    uint32_t h = hash_bytes(s, n);
    size_t j = h & (w->table_cap - 1);
    while (w->table[j]) {
        struct word *x = &w->v[w->table[j] - 1];
        if (x->hash == h && x->len == n && !memcmp(x->s, s, n))
            return w->table[j] - 1;
        j = (j + 1) & (w->table_cap - 1);
    }
    if (!create)
        return -1;
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4096;
        w->v = xrealloc(w->v, w->cap * sizeof *w->v);
    }
    uint32_t id = (uint32_t)w->n++;
    struct word *x = &w->v[id];
    memset(x, 0, sizeof *x);
    x->s = arena_copy(w, s, n);
    x->len = (uint32_t)n;
    x->hash = h;
    w->table[j] = id + 1;
    unsigned char b = (unsigned char)tolower((unsigned char)s[0]);
    if (w->bucket_n[b] == w->bucket_cap[b]) {
        w->bucket_cap[b] = w->bucket_cap[b] ? w->bucket_cap[b] * 2 : 64;
        w->bucket[b] = xrealloc(w->bucket[b], w->bucket_cap[b] * sizeof **w->bucket);
    }
    w->bucket[b][w->bucket_n[b]++] = id;
    return id;
}

/* Next identifier at or after *pos (numbers skipped); returns false at the end. */
static bool next_word(const char *t, size_t len, size_t *pos, size_t *start, size_t *wlen)
{
    size_t i = *pos;
    while (i < len) {
        unsigned char c = (unsigned char)t[i];
        if (!fuzzy_is_word(c)) {
            i++;
            continue;
        }
        size_t s = i;
        while (i < len && fuzzy_is_word((unsigned char)t[i]))
            i++;
        if (isdigit((unsigned char)t[s]) || i - s < MIN_WORD || i - s > MAX_WORD)
            continue;
        *start = s;
        *wlen = i - s;
        *pos = i;
        return true;
    }
    *pos = i;
    return false;
}

/* ---------------------------------------------------------------- documents */

struct words *words_new(void) { return xcalloc(1, sizeof(struct words)); }

static void walk_reset(struct walk *wk)
{
    if (wk->dir)
        closedir(wk->dir);
    wk->dir = NULL;
    free(wk->dir_rel);
    wk->dir_rel = NULL;
    for (size_t i = 0; i < wk->n_stack; i++)
        free(wk->stack[i]);
    free(wk->stack);
    wk->stack = NULL;
    wk->n_stack = wk->cap_stack = 0;
    ign_free(wk->ign);
    wk->ign = NULL;
    ign_free(wk->priv);
    wk->priv = NULL;
    free(wk->root);
    wk->root = NULL;
    wk->active = false;
}

static void doc_release(struct doc *d)
{
    free(d->uri);
    free(d->ids);
    free(d->counts);
}

void words_free(struct words *w)
{
    if (!w)
        return;
    walk_reset(&w->walk);
    for (size_t i = 0; i < w->n_docs; i++)
        doc_release(&w->docs[i]);
    free(w->docs);
    for (int b = 0; b < 256; b++)
        free(w->bucket[b]);
    while (w->arena) {
        struct arena_chunk *next = w->arena->next;
        free(w->arena);
        w->arena = next;
    }
    free(w->table);
    free(w->v);
    free(w);
}

static struct doc *doc_find(struct words *w, const char *uri)
{
    for (size_t i = 0; uri && i < w->n_docs; i++)
        if (!strcmp(w->docs[i].uri, uri))
            return &w->docs[i];
    return NULL;
}

void words_doc_set(struct words *w, const char *uri, const char *text, size_t len)
{
    struct doc *d = doc_find(w, uri);
    bool known = d != NULL;
    if (!d) {
        w->docs = xrealloc(w->docs, (w->n_docs + 1) * sizeof *w->docs);
        d = &w->docs[w->n_docs++];
        memset(d, 0, sizeof *d);
        d->uri = xstrdup(uri);
    }
    uint32_t ep = ++w->epoch;
    for (size_t i = 0; i < d->n; i++) {
        struct word *x = &w->v[d->ids[i]];
        x->oldmark = ep;
        x->old = d->counts[i];
        x->docs -= d->counts[i];
    }
    uint32_t *ids = NULL;
    size_t n = 0, cap = 0;
    size_t pos = 0, s, wl;
    while (next_word(text, len, &pos, &s, &wl)) {
        uint32_t id = (uint32_t)intern(w, text + s, wl, true);
        struct word *x = &w->v[id];
        if (x->mark != ep) {
            x->mark = ep;
            x->tmp = 0;
            if (n == cap) {
                cap = cap ? cap * 2 : 256;
                ids = xrealloc(ids, cap * sizeof *ids);
            }
            ids[n++] = id;
        }
        x->tmp++;
    }
    uint32_t *counts = xmalloc((n ? n : 1) * sizeof *counts);
    bool bumped = false;
    for (size_t i = 0; i < n; i++) {
        struct word *x = &w->v[ids[i]];
        counts[i] = x->tmp;
        x->docs += x->tmp;
        uint32_t old = x->oldmark == ep ? x->old : 0;
        if (known && x->tmp > old) {
            if (!bumped) {
                w->tick++;
                bumped = true;
            }
            x->recent = w->tick;
        }
    }
    free(d->ids);
    free(d->counts);
    d->ids = ids;
    d->counts = counts;
    d->n = n;
}

void words_doc_remove(struct words *w, const char *uri)
{
    struct doc *d = doc_find(w, uri);
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        w->v[d->ids[i]].docs -= d->counts[i];
    doc_release(d);
    *d = w->docs[--w->n_docs];
}

/* ---------------------------------------------------------------- workspace scan */

void words_set_file_hook(struct words *w, words_file_fn fn, void *ud)
{
    w->hook = fn;
    w->hook_ud = ud;
}

static void push_dir(struct walk *wk, const char *rel)
{
    if (wk->n_stack == wk->cap_stack) {
        wk->cap_stack = wk->cap_stack ? wk->cap_stack * 2 : 32;
        wk->stack = xrealloc(wk->stack, wk->cap_stack * sizeof *wk->stack);
    }
    wk->stack[wk->n_stack++] = xstrdup(rel);
}

int words_index_start(struct words *w, const char *root, const struct words_caps *caps)
{
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
        return US_ENOENT;
    struct walk *wk = &w->walk;
    walk_reset(wk);
    wk->root = xstrdup(root);
    size_t rl = strlen(wk->root);
    while (rl > 1 && wk->root[rl - 1] == '/')
        wk->root[--rl] = 0;
    wk->ign = ign_new();
    struct words_caps c = caps ? *caps : (struct words_caps){0};
    if (!c.max_files)
        c.max_files = 5000;
    if (!c.max_file_bytes)
        c.max_file_bytes = 512u << 10;
    if (!c.max_total_bytes)
        c.max_total_bytes = 64u << 20;
    if (!c.max_depth)
        c.max_depth = 24;
    wk->priv = ign_new();
    for (const char *const *p = c.privacy_exclude; p && *p; p++)
        ign_add_pattern(wk->priv, *p);
    c.privacy_exclude = NULL; /* copied */
    wk->caps = c;
    push_dir(wk, "");
    wk->active = true;
    return 0;
}

static char *join_rel(const char *rel, const char *name)
{
    return rel[0] ? xasprintf("%s/%s", rel, name) : xstrdup(name);
}

/* Vendored and generated folders: what is in them is not the user's code, and a big tree
 * (a home folder, /usr) spends the index's budget there. build* covers build, build-release,
 * builddir. */
bool words_skip_dir(const char *name)
{
    static const char *const dirs[] = {".git", ".hg", ".svn", "node_modules", "__pycache__",
                                       "dist", "target", "vendor", ".venv", "venv",
                                       ".tox", ".mypy_cache", ".cache"};
    for (size_t i = 0; i < US_ARRAY_LEN(dirs); i++)
        if (!strcmp(name, dirs[i]))
            return true;
    return !strncmp(name, "build", 5);
}

static bool skip_name(const char *name, bool is_dir)
{
    if (is_dir)
        return words_skip_dir(name);
    static const char *const exts[] = {
        ".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".pdf", ".zip", ".gz", ".tgz",
        ".xz", ".bz2", ".zst", ".7z", ".jar", ".class", ".o", ".a", ".so", ".dylib", ".dll",
        ".exe", ".bin", ".pyc", ".woff", ".woff2", ".ttf", ".otf", ".mp3", ".mp4", ".wasm",
        ".min.js", ".map", ".lock", ".sqlite", ".db"};
    size_t nl = strlen(name);
    for (size_t i = 0; i < US_ARRAY_LEN(exts); i++) {
        size_t el = strlen(exts[i]);
        if (nl > el && !strcasecmp(name + nl - el, exts[i]))
            return true;
    }
    return false;
}

static int depth_of(const char *rel)
{
    int d = rel[0] ? 1 : 0;
    for (; *rel; rel++)
        d += *rel == '/';
    return d;
}

/* Read a file within the caps; false when it should be skipped. */
static bool read_capped(const char *path, size_t cap, struct strbuf *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return false;
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= cap;
    if (ok) {
        sb_clear(out);
        char buf[65536];
        ssize_t r;
        while ((r = read(fd, buf, sizeof buf)) > 0) {
            sb_add(out, buf, (size_t)r);
            if (out->len > cap) {
                ok = false;
                break;
            }
        }
        if (r < 0)
            ok = false;
    }
    close(fd);
    if (ok && memchr(out->data, 0, US_MIN(out->len, 8192)))
        ok = false; /* binary */
    return ok;
}

static void index_text(struct words *w, const char *text, size_t len)
{
    size_t pos = 0, s, wl;
    while (next_word(text, len, &pos, &s, &wl)) {
        long id = intern(w, text + s, wl, true); /* may move w->v: index after the call */
        w->v[id].ws++;
    }
}

void words_add_workspace_text(struct words *w, const char *text, size_t len)
{
    index_text(w, text, len);
}

static void walk_file(struct words *w, const char *rel, struct strbuf *buf)
{
    struct walk *wk = &w->walk;
    if (w->files >= wk->caps.max_files || w->bytes >= wk->caps.max_total_bytes) {
        w->skipped++;
        return;
    }
    char *path = xasprintf("%s/%s", wk->root, rel);
    size_t room = wk->caps.max_total_bytes - w->bytes;
    if (read_capped(path, US_MIN(wk->caps.max_file_bytes, room), buf)) {
        /* Secrets in ordinary files (a key in settings.py) never become items either. */
        struct mask_result m;
        privacy_mask(buf->data, buf->len, &m);
        index_text(w, m.text, m.len);
        w->files++;
        w->bytes += buf->len;
        if (w->hook)
            w->hook(w->hook_ud, path, m.text, m.len);
        privacy_result_release(&m);
    } else {
        w->skipped++;
    }
    free(path);
}

/* One unit of work: open the next folder, or handle one entry. Returns false when done. */
static bool walk_one(struct words *w, struct strbuf *buf)
{
    struct walk *wk = &w->walk;
    if (!wk->dir) {
        if (!wk->n_stack)
            return false;
        char *rel = wk->stack[--wk->n_stack];
        char *full = rel[0] ? xasprintf("%s/%s", wk->root, rel) : xstrdup(wk->root);
        wk->dir = opendir(full);
        if (wk->dir) {
            char *gi = xasprintf("%s/.gitignore", full);
            struct strbuf t;
            sb_init(&t);
            if (read_capped(gi, 1u << 20, &t))
                ign_add(wk->ign, t.data, t.len, rel);
            sb_release(&t);
            free(gi);
            wk->dir_rel = rel;
        } else {
            free(rel);
        }
        free(full);
        return true;
    }
    struct dirent *de = readdir(wk->dir);
    if (!de) {
        closedir(wk->dir);
        wk->dir = NULL;
        free(wk->dir_rel);
        wk->dir_rel = NULL;
        return true;
    }
    const char *name = de->d_name;
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return true;
    bool is_dir = de->d_type == DT_DIR, is_reg = de->d_type == DT_REG;
    if (de->d_type == DT_UNKNOWN) {
        char *full = xasprintf("%s/%s/%s", wk->root, wk->dir_rel, name);
        struct stat st;
        if (lstat(full, &st) == 0) {
            is_dir = S_ISDIR(st.st_mode);
            is_reg = S_ISREG(st.st_mode);
        }
        free(full);
    }
    if (!is_dir && !is_reg) /* symlinks, devices, sockets */
        return true;
    char *rel = join_rel(wk->dir_rel, name);
    /* The admission check: privacy first (never read), then the walk's own skips. */
    if ((!is_dir && privacy_secret_file_name(name)) || ign_match_entry(wk->priv, rel, is_dir) ||
        skip_name(name, is_dir) || ign_match_entry(wk->ign, rel, is_dir)) {
        if (!is_dir)
            w->skipped++;
    } else if (is_dir) {
        if (depth_of(rel) <= wk->caps.max_depth)
            push_dir(wk, rel);
    } else {
        walk_file(w, rel, buf);
    }
    free(rel);
    return true;
}

int words_index_step(struct words *w, uint64_t budget_us)
{
    struct walk *wk = &w->walk;
    if (!wk->active)
        return 0;
    uint64_t start = us_now_us();
    struct strbuf buf;
    sb_init(&buf);
    bool more = true;
    do {
        more = walk_one(w, &buf);
        if (w->files >= wk->caps.max_files || w->bytes >= wk->caps.max_total_bytes)
            more = false;
    } while (more && us_now_us() - start < budget_us);
    sb_release(&buf);
    if (!more) {
        LOG_D("words", "workspace indexed: %zu files, %zu bytes, %zu skipped, %zu words",
              w->files, w->bytes, w->skipped, w->n);
        walk_reset(wk);
        return 0;
    }
    return 1;
}

void words_stats(const struct words *w, struct words_stats *out)
{
    out->files = w->files;
    out->bytes = w->bytes;
    out->skipped = w->skipped;
    out->distinct = w->n;
    out->docs = w->n_docs;
    out->scanning = w->walk.active;
}

/* ---------------------------------------------------------------- queries */

static int item_cmp(const void *a, const void *b)
{
    const struct words_item *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return strcmp(x->word, y->word);
}

size_t words_query(struct words *w, const struct words_query *q, struct words_item *out,
                   size_t max)
{
    if (!max || !q->typed || !q->typed_len || !w->n)
        return 0;
    const char *typed = q->typed;
    size_t tl = q->typed_len;
    unsigned char c0 = (unsigned char)tolower((unsigned char)typed[0]);
    uint32_t ep = ++w->epoch;

    /* counts in the current document */
    struct doc *d = doc_find(w, q->uri);
    if (d)
        for (size_t i = 0; i < d->n; i++) {
            struct word *x = &w->v[d->ids[i]];
            x->qmark = ep;
            x->here = d->counts[i];
            x->dist = UINT32_MAX;
        }

    /* nearest occurrence around the cursor; after the cursor counts as twice as far */
    if (q->text && q->cursor <= q->len) {
        size_t from = q->cursor > WINDOW_BEFORE ? q->cursor - WINDOW_BEFORE : 0;
        size_t to = US_MIN(q->len, q->cursor + WINDOW_AFTER);
        /* start at a word boundary */
        while (from > 0 && from < to && fuzzy_is_word((unsigned char)q->text[from - 1]))
            from++;
        size_t pos = from, s, wl;
        while (next_word(q->text, to, &pos, &s, &wl)) {
            if (tolower((unsigned char)q->text[s]) != c0 || wl <= tl)
                continue;
            if (s <= q->cursor && s + wl >= q->cursor)
                continue; /* the word being typed */
            long id = intern(w, q->text + s, wl, false);
            if (id < 0)
                continue;
            struct word *x = &w->v[id];
            if (x->qmark != ep) {
                x->qmark = ep;
                x->here = 0;
                x->dist = UINT32_MAX;
            }
            size_t dd = s + wl <= q->cursor ? q->cursor - (s + wl) : 2 * (s - q->cursor);
            if (dd < x->dist)
                x->dist = (uint32_t)US_MIN(dd, UINT32_MAX - 1);
        }
    }

    size_t n = 0;
    for (size_t bi = 0; bi < w->bucket_n[c0]; bi++) {
        uint32_t id = w->bucket[c0][bi];
        struct word *x = &w->v[id];
        bool mine = x->qmark == ep;
        uint32_t here = mine ? x->here : 0;
        uint32_t other = x->docs - here;
        if (!x->ws && !other && !(mine && (here || x->dist != UINT32_MAX)))
            continue;
        if (x->len == tl && !memcmp(x->s, typed, tl))
            continue;
        int fs = fuzzy_score(typed, tl, x->s, x->len);
        if (!fs)
            continue;
        enum fuzzy_class cls = fuzzy_class_of(fs);
        double score = cls >= FUZZY_PREFIX_CI ? 100.0 : cls * 20.0;
        if (cls == FUZZY_PREFIX)
            score += 4.0;
        if (mine && x->dist != UINT32_MAX)
            score += 2.2 * (22.0 - log2(2.0 + x->dist));
        score += 2.0 * log2(1.0 + here) + 1.0 * log2(1.0 + other) + 0.5 * log2(1.0 + x->ws);
        if (x->recent && w->tick - x->recent < 64)
            score += 3.0 * (1.0 - (w->tick - x->recent) / 64.0);
        score += (fs % 1000) / 1000.0; /* shorter first among equals */
        struct words_item it = {x->s, score,
                                mine && (here || x->dist != UINT32_MAX) ? WORDS_HERE
                                : other                                  ? WORDS_OPEN_DOC
                                                                         : WORDS_WORKSPACE};
        if (n < max) {
            out[n++] = it;
            continue;
        }
        size_t worst = 0;
        for (size_t k = 1; k < n; k++)
            if (item_cmp(&out[k], &out[worst]) > 0)
                worst = k;
        if (item_cmp(&it, &out[worst]) < 0)
            out[worst] = it;
    }
    qsort(out, n, sizeof *out, item_cmp);
    return n;
}
