/* ignore: see ignore.h. Rules are few (tens to hundreds) and checked once per directory entry
 * while walking, so a linear scan with a small backtracking glob is plenty. */
#include "ignore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

struct rule {
    char *base;     /* folder of the .gitignore, "" for the root */
    char *pattern;  /* without '!', leading '/', trailing '/' */
    bool negate;
    bool dir_only;
    bool anchored;  /* matched against the path below base, else against the last component */
};

struct ign_list {
    struct rule *v;
    size_t n, cap;
};

struct ign_list *ign_new(void) { return xcalloc(1, sizeof(struct ign_list)); }

void ign_free(struct ign_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].base);
        free(l->v[i].pattern);
    }
    free(l->v);
    free(l);
}

/* One pattern line (no newline), already cut from its file. */
static void add_line(struct ign_list *l, const char *s, size_t n, const char *base)
{
    if (n && s[n - 1] == '\r')
        n--;
    /* trailing spaces are trimmed unless escaped */
    while (n && s[n - 1] == ' ' && !(n > 1 && s[n - 2] == '\\'))
        n--;
    if (n == 0 || s[0] == '#')
        return;
    struct rule r = {0};
    if (s[0] == '!') {
        r.negate = true;
        s++;
        n--;
    } else if (s[0] == '\\' && n > 1 && (s[1] == '#' || s[1] == '!')) {
        s++;
        n--;
    }
    if (n && s[n - 1] == '/') {
        r.dir_only = true;
        n--;
    }
    if (n == 0)
        return;
    /* a slash anywhere but at the end anchors the pattern to base */
    r.anchored = memchr(s, '/', n) != NULL;
    if (s[0] == '/') {
        s++;
        n--;
    }
    if (n == 0)
        return;
    r.pattern = xstrndup(s, n);
    r.base = xstrdup(base ? base : "");
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = r;
}

void ign_add(struct ign_list *l, const char *text, size_t len, const char *base)
{
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        add_line(l, text + pos, end - pos, base);
        pos = end + 1;
    }
}

void ign_add_pattern(struct ign_list *l, const char *pattern)
{
    if (pattern)
        add_line(l, pattern, strnlen(pattern, 4096), "");
}

int ign_add_file(struct ign_list *l, const char *path, const char *base)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return US_ENOENT;
    struct strbuf sb;
    sb_init(&sb);
    char buf[4096];
    size_t got;
    int rc = 0;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        sb_add(&sb, buf, got);
        if (sb.len > (1u << 20)) { /* an ignore file of a megabyte is not one */
            rc = US_ETOOBIG;
            break;
        }
    }
    if (ferror(f))
        rc = US_EIO;
    fclose(f);
    if (rc == 0)
        ign_add(l, sb.data ? sb.data : "", sb.len, base);
    sb_release(&sb);
    return rc;
}

size_t ign_count(const struct ign_list *l) { return l ? l->n : 0; }

static bool class_match(const char **pp, char c)
{
    const char *p = *pp + 1; /* after '[' */
    bool neg = false, hit = false;
    if (*p == '!' || *p == '^') {
        neg = true;
        p++;
    }
    bool first = true;
    while (*p && (first || *p != ']')) {
        first = false;
        char lo = *p, hi = lo;
        if (p[1] == '-' && p[2] && p[2] != ']') {
            hi = p[2];
            p += 3;
        } else {
            p++;
        }
        if (c >= lo && c <= hi)
            hit = true;
    }
    if (*p != ']')
        return false; /* unterminated: treat as no match */
    *pp = p + 1;
    return hit != neg;
}

/* pat0: the pattern's start, to tell a "**" that is a whole path component (special) from
 * one inside a name ("a**b": two plain stars, as git has it). */
static bool glob_at(const char *pat0, const char *p, const char *s)
{
    while (*p) {
        if (p[0] == '*' && p[1] == '*' && (p == pat0 || p[-1] == '/') &&
            (p[2] == '/' || p[2] == 0)) {
            /* "**" + "/": zero or more whole directories */
            if (p[2] == '/') {
                const char *rest = p + 3;
                for (const char *t = s;; ) {
                    if (glob_at(pat0, rest, t))
                        return true;
                    t = strchr(t, '/');
                    if (!t)
                        return false;
                    t++;
                }
            }
            /* trailing "**": anything, slashes included */
            const char *rest = p + 2;
            for (const char *t = s;; t++) {
                if (glob_at(pat0, rest, t))
                    return true;
                if (!*t)
                    return false;
            }
        }
        if (*p == '*') {
            const char *rest = p + 1;
            while (*rest == '*') /* "a**b": plain stars */
                rest++;
            for (const char *t = s;; t++) {
                if (glob_at(pat0, rest, t))
                    return true;
                if (!*t || *t == '/')
                    return false;
            }
        }
        if (!*s)
            return false;
        if (*p == '?') {
            if (*s == '/')
                return false;
            p++;
            s++;
            continue;
        }
        if (*p == '[') {
            if (*s == '/' || !class_match(&p, *s))
                return false;
            s++;
            continue;
        }
        if (*p == '\\' && p[1])
            p++;
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *s == 0;
}

bool ign_glob(const char *pattern, const char *path) { return glob_at(pattern, pattern, path); }

static bool rule_match(const struct rule *r, const char *relpath, bool is_dir)
{
    if (r->dir_only && !is_dir)
        return false;
    const char *sub = relpath;
    size_t bl = strlen(r->base);
    if (bl) {
        if (strncmp(relpath, r->base, bl) != 0 || relpath[bl] != '/')
            return false;
        sub = relpath + bl + 1;
    }
    if (r->anchored)
        return ign_glob(r->pattern, sub);
    const char *slash = strrchr(sub, '/');
    return ign_glob(r->pattern, slash ? slash + 1 : sub);
}

bool ign_match_entry(const struct ign_list *l, const char *relpath, bool is_dir)
{
    for (size_t i = l->n; i-- > 0;)
        if (rule_match(&l->v[i], relpath, is_dir))
            return !l->v[i].negate;
    return false;
}

bool ign_match(const struct ign_list *l, const char *relpath, bool is_dir)
{
    char *tmp = xstrdup(relpath);
    bool ignored = false;
    for (char *slash = strchr(tmp, '/'); slash && !ignored; slash = strchr(slash + 1, '/')) {
        *slash = 0;
        ignored = ign_match_entry(l, tmp, true);
        *slash = '/';
    }
    if (!ignored)
        ignored = ign_match_entry(l, relpath, is_dir);
    free(tmp);
    return ignored;
}

bool ign_match_path(const struct ign_list *l, const char *path, const char *root, bool is_dir)
{
    if (!l || !path || !*path)
        return false;
    size_t rl = root ? strlen(root) : 0;
    while (rl > 1 && root[rl - 1] == '/')
        rl--;
    if (rl && strncmp(path, root, rl) == 0 && (path[rl] == '/' || (rl == 1 && root[0] == '/'))) {
        const char *rel = path + rl;
        while (*rel == '/')
            rel++;
        return *rel ? ign_match(l, rel, is_dir) : false;
    }
    /* outside the workspace (or a non-file URI's path): only rules that match a name at any
     * depth apply, to each component (folders as folders, the last as given) */
    bool ignored = false;
    const char *p = path;
    while (*p && !ignored) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char *name = xstrndup(p, n);
        bool dir = e ? true : is_dir;
        for (size_t i = l->n; i-- > 0;) {
            const struct rule *r = &l->v[i];
            if (r->anchored || r->base[0] || (r->dir_only && !dir))
                continue;
            if (ign_glob(r->pattern, name)) {
                ignored = !r->negate;
                break;
            }
        }
        free(name);
        p += n;
    }
    return ignored;
}
