/* ignore: see ignore.h. Rules are few (tens to hundreds) and checked once per directory entry
 * while walking, so a linear scan with a small backtracking glob is plenty. */
#include "ignore.h"

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

void ign_add(struct ign_list *l, const char *text, size_t len, const char *base)
{
    size_t pos = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        size_t e = end;
        if (e > pos && text[e - 1] == '\r')
            e--;
        /* trailing spaces are trimmed unless escaped */
        while (e > pos && text[e - 1] == ' ' && !(e - 1 > pos && text[e - 2] == '\\'))
            e--;
        const char *s = text + pos;
        size_t n = e - pos;
        pos = end + 1;
        if (n == 0 || s[0] == '#')
            continue;
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
            continue;
        /* a slash anywhere but at the end anchors the pattern to base */
        r.anchored = memchr(s, '/', n) != NULL;
        if (s[0] == '/') {
            s++;
            n--;
        }
        if (n == 0)
            continue;
        /* "**" + "/" at the start matches at any depth, like an unanchored pattern */
        r.pattern = xstrndup(s, n);
        r.base = xstrdup(base ? base : "");
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 16;
            l->v = xrealloc(l->v, l->cap * sizeof *l->v);
        }
        l->v[l->n++] = r;
    }
}

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

bool ign_glob(const char *p, const char *s)
{
    while (*p) {
        if (p[0] == '*' && p[1] == '*') {
            /* "**" + "/": zero or more whole directories */
            if (p[2] == '/') {
                const char *rest = p + 3;
                for (const char *t = s;; ) {
                    if (ign_glob(rest, t))
                        return true;
                    t = strchr(t, '/');
                    if (!t)
                        return false;
                    t++;
                }
            }
            /* trailing or other "**": anything, slashes included */
            const char *rest = p + 2;
            for (const char *t = s;; t++) {
                if (ign_glob(rest, t))
                    return true;
                if (!*t)
                    return false;
            }
        }
        if (*p == '*') {
            const char *rest = p + 1;
            for (const char *t = s;; t++) {
                if (ign_glob(rest, t))
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
