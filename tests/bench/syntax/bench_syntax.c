/* bench_syntax: the cost of typing in a 10,000-line file: reparse after a one-character edit
 * and the cursor analysis right after it, p50/p99 per language, printed as a table and JSON. */
#include <glob.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "languages.h"
#include "syntax.h"

#ifndef SOURCE_ROOT
#define SOURCE_ROOT "."
#endif

/* ---------------------------------------------------------------- small helpers */

static void *xalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

struct buf {
    char *s;
    size_t len, cap;
    size_t lines;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            abort();
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
    for (size_t i = 0; i < n; i++)
        b->lines += s[i] == '\n';
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 65536 > cap) {
            cap = (n + 65536) * 2;
            s = realloc(s, cap);
            if (!s)
                abort();
        }
        size_t r = fread(s + n, 1, 65536, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    s[n] = 0;
    *len = n;
    return s;
}

static const char *dump_dir; /* --dump: write each corpus there */

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (uint32_t)(rng % n) : 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of this thread: what the work costs, apart from a busy machine's scheduling. */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static struct syn_point point_at(const char *t, size_t b)
{
    struct syn_point p = {0, 0};
    size_t ls = 0;
    for (size_t i = 0; i < b; i++)
        if (t[i] == '\n') {
            p.row++;
            ls = i + 1;
        }
    p.column = (uint32_t)(b - ls);
    return p;
}

/* ---------------------------------------------------------------- corpora */

/* A line where a file may be cut without leaving an item half-written. */
typedef bool (*boundary_fn)(const char *line, size_t n, const char *prev, size_t prev_n);

static bool py_boundary(const char *line, size_t n, const char *prev, size_t prev_n)
{
    (void)prev;
    (void)prev_n;
    return (n >= 4 && memcmp(line, "def ", 4) == 0) || (n >= 6 && memcmp(line, "class ", 6) == 0);
}

static bool c_boundary(const char *line, size_t n, const char *prev, size_t prev_n)
{
    (void)line;
    (void)n;
    return prev && prev_n >= 1 && prev[0] == '}' && (prev_n == 1 || prev[1] == ';' || prev[1] == '\r');
}

/* Append text, or only the part before its last boundary that keeps the total within
 * target lines. Returns false once the corpus is full. */
static bool add_source(struct buf *b, const char *text, size_t len, size_t target,
                       boundary_fn boundary)
{
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    if (len && text[len - 1] != '\n')
        lines++;
    if (b->lines + lines <= target) {
        buf_add(b, text, len);
        if (len && text[len - 1] != '\n')
            buf_add(b, "\n", 1);
        buf_add(b, "\n", 1);
        return b->lines < target;
    }
    size_t budget = target - b->lines, cut = 0, row = 0;
    const char *prev = NULL;
    size_t prev_n = 0;
    for (size_t i = 0; i < len && row < budget;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = (size_t)((nl ? nl : text + len) - (text + i));
        if (boundary(text + i, n, prev, prev_n))
            cut = i;
        prev = text + i;
        prev_n = n;
        i += n + 1;
        row++;
    }
    buf_add(b, text, cut);
    return false;
}

/* Filler in the same language so that every corpus has exactly the target line count. */
static void pad(struct buf *b, const char *lang, size_t target)
{
    char tmp[512];
    for (unsigned k = 0; b->lines < target; k++) {
        size_t room = target - b->lines;
        int n;
        if (strcmp(lang, "python") == 0) {
            if (room >= 5) /* the block below is 5 lines */
                n = snprintf(tmp, sizeof(tmp),
                             "def filler_%u(a, b=%u):\n    total = a + b\n    if total > %u:\n"
                             "        return total - a\n    return total * 2\n", k, k, k * 3);
            else
                n = snprintf(tmp, sizeof(tmp), "FILLER_%u = %u\n", k, k);
        } else {
            if (room >= 7) /* the block below is 7 lines */
                n = snprintf(tmp, sizeof(tmp),
                             "static int filler_%u(int a, int b)\n{\n    int total = a + b;\n"
                             "    if (total > %u)\n        return total - a;\n"
                             "    return total * 2;\n}\n", k, k * 3);
            else
                n = snprintf(tmp, sizeof(tmp), "static const int filler_%u = %u;\n", k, k);
        }
        /* Keep the exact count: a too-long block is replaced by one-line items. */
        size_t nl = 0;
        for (int i = 0; i < n; i++)
            nl += tmp[i] == '\n';
        if (nl > room)
            continue;
        buf_add(b, tmp, (size_t)n);
    }
}

/* Real code where the machine has it: the Python standard library, this project's C sources
 * (then system headers); generated code otherwise. Caller frees *what. */
static struct buf build_corpus(const char *lang, const char *source_root, size_t target,
                               char **what)
{
    struct buf b = {0};
    glob_t g;
    char pat[1024];
    boundary_fn boundary = strcmp(lang, "python") == 0 ? py_boundary : c_boundary;
    const char *pats_py[] = {"/usr/lib/python3*/*.py", NULL};
    const char *pats_c[] = {"%s/grammars/*.c", "%s/lsp/*.c", "%s/providers/*.c",
                            "%s/providers/local/*.c", "/usr/include/*.h", NULL};
    const char **pats = strcmp(lang, "python") == 0 ? pats_py : pats_c;
    const char *first = NULL;
    char first_dir[512] = "";
    size_t files = 0;
    bool more = true;
    for (size_t p = 0; pats[p] && more; p++) {
        snprintf(pat, sizeof(pat), pats[p], source_root);
        if (glob(pat, 0, NULL, &g) != 0)
            continue;
        for (size_t i = 0; i < g.gl_pathc && more; i++) {
            size_t len;
            char *text = read_file(g.gl_pathv[i], &len);
            if (!text)
                continue;
            if (!first) {
                first = pats[p];
                snprintf(first_dir, sizeof(first_dir), "%s", g.gl_pathv[i]);
                char *slash = strrchr(first_dir, '/');
                if (slash)
                    *slash = 0;
            }
            more = add_source(&b, text, len, target, boundary);
            files++;
            free(text);
        }
        globfree(&g);
    }
    size_t real = b.lines;
    pad(&b, lang, target);
    *what = xalloc(1200);
    if (files)
        snprintf(*what, 1200, "%zu files (first from %s), %zu generated lines", files,
                 first_dir, b.lines - real);
    else
        snprintf(*what, 1200, "generated");
    return b;
}

/* ---------------------------------------------------------------- measuring */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct stats {
    double p50, p99, max, mean;
};

static struct stats summarize(double *v, size_t n)
{
    struct stats s = {0, 0, 0, 0};
    if (!n)
        return s;
    qsort(v, n, sizeof(*v), cmp_double);
    size_t i99 = (n * 99 + 99) / 100;
    s.p50 = v[n / 2];
    s.p99 = v[(i99 ? i99 : 1) - 1];
    s.max = v[n - 1];
    for (size_t i = 0; i < n; i++)
        s.mean += v[i];
    s.mean /= (double)n;
    return s;
}

struct result {
    const char *lang;
    size_t lines, bytes;
    char *what;
    double first_parse_ms, first_analyze_ms;
    size_t n;
    struct stats reparse, analyze, reparse_cpu, analyze_cpu;
    size_t failures, timeouts;
    struct syn_stats st;
};

/* One edit: insert a character at a random place, or delete the one inserted last (so the
 * file stays the real code); then analyse at the edit. */
static struct result run_lang(const char *lang_id, const char *source_root, size_t target,
                              size_t iterations)
{
    struct result r;
    memset(&r, 0, sizeof(r));
    r.lang = lang_id;
    struct buf b = build_corpus(lang_id, source_root, target, &r.what);
    r.lines = b.lines;
    r.bytes = b.len;
    if (dump_dir) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/corpus.%s", dump_dir, lang_id);
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(b.s, 1, b.len, f);
            fclose(f);
        }
    }
    const struct lang_info *lang = lang_for_id(lang_id);
    double t0 = now_ms();
    struct syn_doc *doc = syn_doc_new(lang, b.s, b.len);
    r.first_parse_ms = now_ms() - t0;
    struct syn_cursor cur;
    t0 = now_ms();
    syn_doc_analyze(doc, (uint32_t)(b.len / 2), &cur);
    r.first_analyze_ms = now_ms() - t0;
    syn_cursor_release(&cur);
    if (!syn_doc_has_tree(doc)) {
        fprintf(stderr, "bench_syntax: %s: no tree after the first parse\n", lang_id);
        r.failures++;
    }

    size_t n = iterations * 2;
    double *rep = xalloc(n * sizeof(double)), *ana = xalloc(n * sizeof(double));
    double *rep_c = xalloc(n * sizeof(double)), *ana_c = xalloc(n * sizeof(double));
    static const char typed[] = "xxxxe_1 .(:\n";
    char *text = b.s;
    size_t len = b.len;
    for (size_t i = 0; i < n; i++) {
        size_t at;
        bool insert = i % 2 == 0;
        static size_t last;
        if (insert) {
            at = rnd((uint32_t)len + 1);
            while (at > 0 && at < len && ((unsigned char)text[at] & 0xC0) == 0x80)
                at--;
            last = at;
        } else {
            at = last;
        }
        struct syn_edit e;
        e.start_byte = (uint32_t)at;
        e.start = point_at(text, at);
        if (insert) {
            char c = typed[rnd(sizeof(typed) - 1)];
            memmove(text + at + 1, text + at, len - at + 1);
            text[at] = c;
            len++;
            e.old_end_byte = (uint32_t)at;
            e.old_end = e.start;
            e.new_end_byte = (uint32_t)at + 1;
            e.new_end = point_at(text, at + 1);
        } else {
            e.old_end_byte = (uint32_t)at + 1;
            e.old_end = point_at(text, at + 1);
            memmove(text + at, text + at + 1, len - at);
            len--;
            e.new_end_byte = (uint32_t)at;
            e.new_end = e.start;
        }
        double a = now_ms(), ac = cpu_ms();
        syn_doc_edit(doc, &e);
        int rc = syn_doc_reparse(doc, text, len);
        double m = now_ms(), mc = cpu_ms();
        rep[i] = m - a;
        rep_c[i] = mc - ac;
        uint32_t cursor = insert ? (uint32_t)at + 1 : (uint32_t)at;
        syn_doc_analyze(doc, cursor, &cur);
        ana[i] = now_ms() - m;
        ana_c[i] = cpu_ms() - mc;
        if (rc != 0 || rep[i] > SYN_PARSE_BUDGET_US / 1000.0)
            r.timeouts++; /* would have been over the default parse budget */
        if (!syn_doc_has_tree(doc))
            r.failures++;
        syn_cursor_release(&cur);
    }
    r.n = n;
    r.reparse = summarize(rep, n);
    r.analyze = summarize(ana, n);
    r.reparse_cpu = summarize(rep_c, n);
    r.analyze_cpu = summarize(ana_c, n);
    syn_doc_stats(doc, &r.st);
    free(rep);
    free(ana);
    free(rep_c);
    free(ana_c);
    syn_doc_free(doc);
    free(b.s);
    return r;
}

int main(int argc, char **argv)
{
    size_t iterations = 1000, target = 10000;
    const char *source_root = SOURCE_ROOT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
            iterations = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--lines") == 0 && i + 1 < argc)
            target = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--source-root") == 0 && i + 1 < argc)
            source_root = argv[++i];
        else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
            dump_dir = argv[++i];
        else {
            fprintf(stderr,
                    "usage: %s [--iterations N] [--lines N] [--source-root DIR] [--dump DIR]\n"
                    "  N edits per language (each followed by its undo), in a file of --lines "
                    "lines\n", argv[0]);
            return 2;
        }
    }
    if (!iterations || target < 10) {
        fprintf(stderr, "bench_syntax: --iterations must be > 0 and --lines >= 10\n");
        return 2;
    }
    /* Measure every parse to its end: on a busy machine the default budget would abandon
     * some (the count of those over the default is still reported). */
    syn_set_parse_budget_us(10u * 1000 * 1000);
    static const char *const langs[] = {"python", "c"};
    struct result res[2];
    for (size_t l = 0; l < 2; l++)
        res[l] = run_lang(langs[l], source_root, target, iterations);

    printf("syntax benchmark: one-character edits (insert, then its undo), analysis at the edit\n");
    for (size_t l = 0; l < 2; l++)
        printf("  %-7s %zu lines, %zu bytes: %s; first parse %.1f ms, first analysis %.1f ms;\n"
               "          %llu incremental index updates (%.0f bytes re-queried on average), "
               "%llu full builds, %zu reparses over budget\n",
               res[l].lang, res[l].lines, res[l].bytes, res[l].what, res[l].first_parse_ms,
               res[l].first_analyze_ms, (unsigned long long)res[l].st.incremental_updates,
               res[l].st.incremental_updates
                   ? (double)res[l].st.requeried_bytes / (double)res[l].st.incremental_updates
                   : 0.0,
               (unsigned long long)res[l].st.full_builds, res[l].timeouts);
    printf("\n%-8s %-8s %6s | %9s %9s %9s | %9s %9s %9s\n", "", "", "", "wall", "", "",
           "cpu", "", "");
    printf("%-8s %-8s %6s | %9s %9s %9s | %9s %9s %9s\n", "language", "op", "n", "p50 ms",
           "p99 ms", "max ms", "p50 ms", "p99 ms", "max ms");
    size_t failures = 0;
    static const char *const ops[2] = {"reparse", "analyze"};
    for (size_t l = 0; l < 2; l++) {
        const struct stats *st[2] = {&res[l].reparse, &res[l].analyze};
        const struct stats *sc[2] = {&res[l].reparse_cpu, &res[l].analyze_cpu};
        for (int o = 0; o < 2; o++)
            printf("%-8s %-8s %6zu | %9.3f %9.3f %9.3f | %9.3f %9.3f %9.3f\n", res[l].lang,
                   ops[o], res[l].n, st[o]->p50, st[o]->p99, st[o]->max, sc[o]->p50, sc[o]->p99,
                   sc[o]->max);
        failures += res[l].failures;
    }
    printf("target: p99 under 2 ms for each (wall includes waiting for a busy CPU; cpu is this "
           "thread's own time)\n\n");
    printf("{\"bench\":\"syntax\",\"target_p99_ms\":2,\"results\":[");
    for (size_t l = 0; l < 2; l++) {
        const struct stats *st[2] = {&res[l].reparse, &res[l].analyze};
        const struct stats *sc[2] = {&res[l].reparse_cpu, &res[l].analyze_cpu};
        for (int o = 0; o < 2; o++)
            printf("%s{\"language\":\"%s\",\"lines\":%zu,\"bytes\":%zu,\"op\":\"%s\",\"n\":%zu,"
                   "\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"max_ms\":%.4f,\"mean_ms\":%.4f,"
                   "\"cpu_p50_ms\":%.4f,\"cpu_p99_ms\":%.4f,\"cpu_max_ms\":%.4f}",
                   l || o ? "," : "", res[l].lang, res[l].lines, res[l].bytes, ops[o], res[l].n,
                   st[o]->p50, st[o]->p99, st[o]->max, st[o]->mean, sc[o]->p50, sc[o]->p99,
                   sc[o]->max);
        free(res[l].what);
    }
    printf("],\"failures\":%zu}\n", failures);
    /* A smoke run fails when a document lost its tree: the pipeline, not the speed, broke. */
    return failures ? 1 : 0;
}
