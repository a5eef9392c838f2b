/* words_walk: the workspace scan behind words.h's words_index_* (see there): a walk of the
 * folder tree as an explicit state machine, one admission check per entry (privacy first:
 * excluded, .env and key files are never opened), and batches of files read, masked and
 * counted into a private index, merged into the shared one on the caller's thread: stepped in
 * place (words_index_step) or on libuv's workers (words_index_start_async). */
#include "words_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base.h"
#include "ignore.h"
#include "privacy.h"

/* One batch's share of a worker turn: stop after this long even if the batch is not full. */
#define JOB_BUDGET_US 20000

struct walk {
    char *root;
    char **stack; /* folders still to read, relative to root ("" = root) */
    size_t n_stack, cap_stack;
    DIR *dir;     /* folder being read */
    char *dir_rel;
    struct ign_list *ign;  /* .gitignore files met on the way (the root's first) */
    struct ign_list *priv; /* privacy: never read, whatever .gitignore says */
    struct words_caps caps;
    size_t files, bytes;   /* read so far, for the caps */
    size_t hook_bytes;     /* handed to the file hook so far */
    bool want_hook;
    bool done;
};

/* A file's masked text kept for the file hook, called when the batch is merged. */
struct hook_text {
    char *path;
    char *text;
    size_t len;
};

/* What one batch found: counts in a private index, texts for the hook, tallies. */
struct batch {
    struct words *acc;
    struct hook_text *texts;
    size_t n_texts;
    size_t files, bytes, skipped;
};

struct words_job {
    uv_work_t req;
    struct words *w; /* NULL once the index is freed or restarted: the job cleans up alone */
    struct walk *walk;
    struct batch b;
    void (*done)(void *ud);
    void *ud;
};

static void walk_free(struct walk *wk)
{
    if (!wk)
        return;
    if (wk->dir)
        closedir(wk->dir);
    free(wk->dir_rel);
    for (size_t i = 0; i < wk->n_stack; i++)
        free(wk->stack[i]);
    free(wk->stack);
    ign_free(wk->ign);
    ign_free(wk->priv);
    free(wk->root);
    free(wk);
}

static void batch_release(struct batch *b)
{
    words_free(b->acc);
    for (size_t i = 0; i < b->n_texts; i++) {
        free(b->texts[i].path);
        free(b->texts[i].text);
    }
    free(b->texts);
    memset(b, 0, sizeof(*b));
}

void words__walk_release(struct words *w)
{
    if (w->job) {
        w->job->w = NULL; /* the worker's batch is dropped when it is back */
        w->job = NULL;
    }
    walk_free(w->walk);
    w->walk = NULL;
    w->scanning = false;
}

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
    words__walk_release(w);
    struct walk *wk = xcalloc(1, sizeof(*wk));
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
    w->max_words = c.max_words ? c.max_words : WORDS_DEFAULT_MAX_WORDS;
    w->max_bytes = c.max_index_bytes ? c.max_index_bytes : WORDS_DEFAULT_MAX_BYTES;
    wk->priv = ign_new();
    for (const char *const *p = c.privacy_exclude; p && *p; p++)
        ign_add_pattern(wk->priv, *p);
    c.privacy_exclude = NULL; /* copied */
    wk->caps = c;
    wk->want_hook = w->hook != NULL;
    push_dir(wk, "");
    w->walk = wk;
    w->scanning = true;
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

/* Source code, by extension: what the file hook (the line model, which learns lines of code
 * and costs 6 to 20 times the text it learns) is shown. Data, prose and configuration files
 * only feed the word counts. */
static bool is_code_file(const char *name)
{
    static const char *const exts[] = {
        ".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx", ".py", ".pyi", ".js",
        ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".java", ".kt", ".go", ".rs", ".rb", ".lua",
        ".sh", ".bash", ".zsh", ".php", ".cs", ".swift", ".scala", ".pl", ".pm", ".m", ".mm",
        ".hs", ".ml", ".ex", ".exs", ".erl", ".clj", ".el", ".vim", ".r", ".jl", ".dart",
        ".zig", ".nim", ".sql", ".vue", ".svelte"};
    const char *dot = strrchr(name, '.');
    if (!dot)
        return false;
    for (size_t i = 0; i < US_ARRAY_LEN(exts); i++)
        if (!strcasecmp(dot, exts[i]))
            return true;
    return false;
}

static bool over_caps(const struct walk *wk)
{
    return wk->files >= wk->caps.max_files || wk->bytes >= wk->caps.max_total_bytes;
}

static void walk_file(struct walk *wk, struct batch *b, const char *rel, struct strbuf *buf)
{
    if (over_caps(wk)) {
        b->skipped++;
        return;
    }
    char *path = xasprintf("%s/%s", wk->root, rel);
    size_t room = wk->caps.max_total_bytes - wk->bytes;
    if (read_capped(path, US_MIN(wk->caps.max_file_bytes, room), buf)) {
        /* Secrets in ordinary files (a key in settings.py) never become items either. */
        struct mask_result m;
        privacy_mask(buf->data, buf->len, &m);
        if (!b->acc)
            b->acc = words_new();
        words_add_workspace_text(b->acc, m.text, m.len);
        wk->files++;
        wk->bytes += buf->len;
        b->files++;
        b->bytes += buf->len;
        size_t cap = wk->caps.hook_max_bytes;
        const char *base = strrchr(rel, '/');
        if (wk->want_hook && (!wk->caps.hook_code_only || is_code_file(base ? base + 1 : rel)) &&
            (!cap || wk->hook_bytes + m.len <= cap)) {
            b->texts = xrealloc(b->texts, (b->n_texts + 1) * sizeof(*b->texts));
            b->texts[b->n_texts++] = (struct hook_text){path, xstrndup(m.text, m.len), m.len};
            wk->hook_bytes += m.len;
            path = NULL;
        }
        privacy_result_release(&m);
    } else {
        b->skipped++;
    }
    free(path);
}

/* The admission check, the walk's one decision about an entry: privacy first (never read,
 * whatever else says), then the walk's own skips (vendored and generated folders, binary
 * extensions), then the .gitignore files met on the way. */
static bool admitted(const struct walk *wk, const char *name, const char *rel, bool is_dir)
{
    if (!is_dir && privacy_secret_file_name(name))
        return false;
    if (ign_match_entry(wk->priv, rel, is_dir))
        return false;
    if (skip_name(name, is_dir))
        return false;
    return !ign_match_entry(wk->ign, rel, is_dir);
}

/* One unit of work: open the next folder, or handle one entry. Returns false when done. */
static bool walk_one(struct walk *wk, struct batch *b, struct strbuf *buf)
{
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
    if (!admitted(wk, name, rel, is_dir)) {
        if (!is_dir)
            b->skipped++;
    } else if (is_dir) {
        if (depth_of(rel) <= wk->caps.max_depth)
            push_dir(wk, rel);
    } else {
        walk_file(wk, b, rel, buf);
    }
    free(rel);
    return true;
}

/* Walk until the budget is spent or the batch is full (any thread: touches only wk and b). */
static void batch_run(struct walk *wk, struct batch *b, uint64_t budget_us)
{
    uint64_t start = us_now_us();
    struct strbuf buf;
    sb_init(&buf);
    bool more = true;
    do {
        more = walk_one(wk, b, &buf) && !over_caps(wk);
    } while (more && b->bytes < WORDS_INDEX_BATCH_BYTES && us_now_us() - start < budget_us);
    sb_release(&buf);
    if (!more)
        wk->done = true;
}

/* On the index's thread: the batch's counts and tallies join the index, the hook sees its
 * files. Returns whether the walk goes on. */
static bool batch_merge(struct words *w, struct walk *wk, struct batch *b)
{
    if (b->acc)
        words__merge_ws(w, b->acc);
    w->files += b->files;
    w->bytes += b->bytes;
    w->skipped += b->skipped;
    for (size_t i = 0; i < b->n_texts && w->hook; i++)
        w->hook(w->hook_ud, b->texts[i].path, b->texts[i].text, b->texts[i].len);
    batch_release(b);
    if (!wk->done)
        return true;
    LOG_D("words", "workspace indexed: %zu files, %zu bytes, %zu skipped, %zu words (%zu left out)",
          w->files, w->bytes, w->skipped, w->n, w->dropped);
    return false;
}

int words_index_step(struct words *w, uint64_t budget_us)
{
    struct walk *wk = w->walk;
    if (!wk || w->job)
        return w->job ? 1 : 0;
    struct batch b;
    memset(&b, 0, sizeof(b));
    batch_run(wk, &b, budget_us);
    if (batch_merge(w, wk, &b))
        return 1;
    walk_free(wk);
    w->walk = NULL;
    w->scanning = false;
    return 0;
}

/* ---------------------------------------------------------------- on libuv's workers */

/* Work on libuv's threads is background work (first trees, reparses, the workspace index):
 * each worker thread lowers its own priority once (nice 10; it cannot be raised back without
 * privileges, and every job of the pool is background work), so on a busy machine the loop
 * thread, which answers the editor, gets the CPU first. */
static void background_priority(void)
{
    static __thread bool done;
    if (!done) {
        done = true;
        setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    }
}

static void job_work(uv_work_t *req)
{
    struct words_job *job = req->data;
    background_priority();
    batch_run(job->walk, &job->b, JOB_BUDGET_US);
}

static void job_back(uv_work_t *req, int status)
{
    struct words_job *job = req->data;
    struct words *w = job->w;
    if (!w || status < 0) {
        if (w) {
            w->job = NULL;
            w->scanning = false;
        }
        batch_release(&job->b);
        walk_free(job->walk);
        free(job);
        return;
    }
    if (batch_merge(w, job->walk, &job->b) &&
        uv_queue_work(req->loop, &job->req, job_work, job_back) == 0)
        return;
    w->job = NULL;
    w->scanning = false;
    walk_free(job->walk);
    void (*done)(void *) = job->done;
    void *ud = job->ud;
    free(job);
    if (done)
        done(ud);
}

int words_index_start_async(struct words *w, uv_loop_t *loop, const char *root,
                            const struct words_caps *caps, void (*done)(void *ud), void *ud)
{
    int rc = words_index_start(w, root, caps);
    if (rc < 0)
        return rc;
    struct words_job *job = xcalloc(1, sizeof(*job));
    job->w = w;
    job->walk = w->walk;
    job->done = done;
    job->ud = ud;
    job->req.data = job;
    if (uv_queue_work(loop, &job->req, job_work, job_back) < 0) {
        free(job); /* no workers: the caller may still step the walk in place */
        return 0;
    }
    w->walk = NULL; /* the worker's until the job is back */
    w->job = job;
    return 0;
}
