/* learned: accepted AI lines by place (learned.h). A list in order of use (most recent at the
 * tail) and a linear search: 2 MiB of short entries is some ten thousand compares of keys,
 * tens of microseconds, once per ghost-text request. */
#include "learned.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "files.h"
#include "list.h"

#define LEARNED_DEFAULT_BYTES (2u << 20)
#define LEARNED_FIRST_LINE_MAX 400
#define LEARNED_TEXT_MAX 1024
#define LEARNED_KEY_MAX 512
#define ENTRY_OVERHEAD 48 /* what an entry costs besides its bytes, counted against the cap */

struct entry {
    struct us_list node;
    size_t kn, tn;
    char *text; /* after the key in the same block */
    char key[];
};

struct learned {
    struct us_list used; /* least recent first */
    size_t bytes, max_bytes, n;
    learned_fn hook;
    void *hook_ud;
};

static struct entry *entry_of(struct us_list *n)
{
    return (struct entry *)((char *)n - offsetof(struct entry, node));
}

struct learned *learned_new(size_t max_bytes)
{
    struct learned *l = xcalloc(1, sizeof *l);
    us_list_init(&l->used);
    l->max_bytes = max_bytes ? max_bytes : LEARNED_DEFAULT_BYTES;
    return l;
}

static void drop(struct learned *l, struct entry *e)
{
    if (l->hook)
        l->hook(l->hook_ud, e->key, e->kn, e->text, e->tn, -1);
    us_list_del(&e->node);
    l->bytes -= e->kn + e->tn + ENTRY_OVERHEAD;
    l->n--;
    free(e);
}

void learned_free(struct learned *l)
{
    if (!l)
        return;
    l->hook = NULL;
    while (!us_list_empty(&l->used))
        drop(l, entry_of(l->used.next));
    free(l);
}

void learned_set_hook(struct learned *l, learned_fn fn, void *ud)
{
    l->hook = fn;
    l->hook_ud = ud;
}

static size_t trim(const char *s, size_t n, const char **out)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    *out = s;
    return n;
}

/* The cursor's column when only blanks stand before it on its line, else SIZE_MAX. */
static size_t blank_col(const char *before, size_t n)
{
    size_t ls = n;
    while (ls > 0 && before[ls - 1] != '\n')
        ls--;
    for (size_t i = ls; i < n; i++)
        if (before[i] != ' ' && before[i] != '\t')
            return SIZE_MAX;
    return n - ls;
}

void learned_text_of(const char *before, size_t n, const char *suggestion, size_t sn,
                     struct strbuf *out)
{
    size_t col = blank_col(before, n);
    if (col != SIZE_MAX)
        sb_add(out, before + n - col, col);
    sb_add(out, suggestion, sn);
}

const char *learned_text_at(const char *before, size_t n, const char *t, size_t tn,
                            size_t *out_n)
{
    size_t col = blank_col(before, n);
    if (col == SIZE_MAX || !col) {
        *out_n = tn;
        return t;
    }
    if (tn <= col || memcmp(t, before + n - col, col) != 0)
        return NULL;
    *out_n = tn - col;
    return t + col;
}

size_t learned_key(const char *before, size_t n, char *out, size_t cap)
{
    size_t ls = n;
    while (ls > 0 && before[ls - 1] != '\n')
        ls--;
    /* the previous non-blank line */
    const char *prev = "";
    size_t pn = 0;
    for (size_t e = ls; e > 0 && !pn;) {
        size_t b = e - 1;
        while (b > 0 && before[b - 1] != '\n')
            b--;
        pn = trim(before + b, e - 1 - b, &prev);
        e = b;
    }
    const char *cur;
    size_t cn = trim(before + ls, n - ls, &cur);
    /* the cursor line keeps its trailing blank: "x = " and "x =" continue differently */
    if (cn && n > ls && (before[n - 1] == ' ' || before[n - 1] == '\t'))
        cn++;
    pn = US_MIN(pn, LEARNED_KEY_MAX / 2);
    cn = US_MIN(cn, LEARNED_KEY_MAX / 2);
    if (pn + cn + 2 > cap)
        return 0;
    memcpy(out, prev, pn);
    out[pn] = '\n';
    memcpy(out + pn + 1, cur, cn);
    if (cn && cur[cn - 1] == '\t')
        out[pn + cn] = ' ';
    out[pn + 1 + cn] = 0;
    return pn + 1 + cn;
}

void learned_add(struct learned *l, const char *key, size_t kn, const char *text, size_t tn)
{
    const char *nl = memchr(text, '\n', tn);
    if ((nl ? (size_t)(nl - text) : tn) > LEARNED_FIRST_LINE_MAX || kn > LEARNED_KEY_MAX)
        return;
    tn = US_MIN(tn, (size_t)LEARNED_TEXT_MAX);
    while (tn && (text[tn - 1] == '\n' || text[tn - 1] == ' ' || text[tn - 1] == '\r'))
        tn--;
    if (!tn || memchr(key, 0, kn) || memchr(text, 0, tn))
        return;
    for (struct us_list *n = l->used.next; n != &l->used; n = n->next) {
        struct entry *e = entry_of(n);
        if (e->kn == kn && e->tn == tn && !memcmp(e->key, key, kn) && !memcmp(e->text, text, tn)) {
            us_list_del(&e->node);
            us_list_add_tail(&l->used, &e->node);
            return;
        }
    }
    struct entry *e = xmalloc(sizeof *e + kn + tn + 2);
    memcpy(e->key, key, kn);
    e->key[kn] = 0;
    e->text = e->key + kn + 1;
    memcpy(e->text, text, tn);
    e->text[tn] = 0;
    e->kn = kn;
    e->tn = tn;
    us_list_add_tail(&l->used, &e->node);
    l->bytes += kn + tn + ENTRY_OVERHEAD;
    l->n++;
    if (l->hook)
        l->hook(l->hook_ud, e->key, kn, e->text, tn, +1);
    while (l->bytes > l->max_bytes && l->used.next != &e->node)
        drop(l, entry_of(l->used.next));
}

/* The shape of a line: its first word kept (a keyword, mostly), every later identifier or
 * number one 'x', blanks dropped, punctuation kept. `self.a = a` and `self.b = b` share it. */
static size_t line_shape(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    bool first = true;
    for (size_t i = 0; i < n && k + 1 < cap;) {
        unsigned char c = (unsigned char)s[i];
        bool w = c == '_' || c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
        if (w) {
            size_t b = i;
            while (i < n && (s[i] == '_' || (unsigned char)s[i] >= 0x80 ||
                             (s[i] >= '0' && s[i] <= '9') ||
                             ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')))
                i++;
            if (first)
                for (size_t j = b; j < i && k + 1 < cap; j++)
                    out[k++] = s[j];
            else
                out[k++] = 'x';
            first = false;
            continue;
        }
        if (c != ' ' && c != '\t' && c != '\r')
            out[k++] = (char)c;
        first = false;
        i++;
    }
    return k;
}

static bool same_shape(const char *a, size_t an, const char *b, size_t bn)
{
    char sa[LEARNED_KEY_MAX], sb[LEARNED_KEY_MAX];
    size_t na = line_shape(a, an, sa, sizeof sa), nb = line_shape(b, bn, sb, sizeof sb);
    return na == nb && !memcmp(sa, sb, na);
}

/* Exact key first (same previous line, same cursor line); then the same cursor line after a
 * previous line of the same shape; a cursor line alone only when it says a lot (LOOSE_MIN
 * non-blank bytes): `return ` after any line is no place to repeat an answer. */
#define LOOSE_MIN 16
const char *learned_find(struct learned *l, const char *key, size_t kn, size_t *tn)
{
    const char *nl = memchr(key, '\n', kn);
    size_t cur_off = nl ? (size_t)(nl - key) + 1 : 0;
    size_t cn = kn - cur_off;
    size_t pn = nl ? (size_t)(nl - key) : 0;
    struct entry *found = NULL, *shaped = NULL, *loose = NULL;
    for (struct us_list *n = l->used.prev; n != &l->used; n = n->prev) {
        struct entry *e = entry_of(n);
        if (e->kn == kn && !memcmp(e->key, key, kn)) {
            found = e;
            break;
        }
        if (shaped || cn < 3)
            continue;
        const char *enl = memchr(e->key, '\n', e->kn);
        size_t eoff = enl ? (size_t)(enl - e->key) + 1 : 0;
        if (e->kn - eoff != cn || memcmp(e->key + eoff, key + cur_off, cn))
            continue;
        if (same_shape(e->key, enl ? (size_t)(enl - e->key) : 0, key, pn))
            shaped = e;
        else if (!loose && cn >= LOOSE_MIN)
            loose = e;
    }
    if (!found)
        found = shaped ? shaped : loose;
    if (!found)
        return NULL;
    us_list_del(&found->node);
    us_list_add_tail(&l->used, &found->node);
    *tn = found->tn;
    return found->text;
}

size_t learned_bytes(const struct learned *l) { return l->bytes; }
size_t learned_count(const struct learned *l) { return l->n; }

/* One record per line: key and text with '\\', '\n' and '\t' escaped, separated by a tab. */
static void put_escaped(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\')
            fputs("\\\\", f);
        else if (s[i] == '\n')
            fputs("\\n", f);
        else if (s[i] == '\t')
            fputs("\\t", f);
        else
            fputc(s[i], f);
    }
}

int learned_save(const struct learned *l, const char *path)
{
    size_t pl = strlen(path);
    char *tmp = xmalloc(pl + 8);
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp", 5);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        free(tmp);
        return US_EIO;
    }
    fputs("understudy-learned 1\n", f);
    for (const struct us_list *n = l->used.next; n != &l->used; n = n->next) {
        const struct entry *e = (const struct entry *)((const char *)n -
                                                       offsetof(struct entry, node));
        put_escaped(f, e->key, e->kn);
        fputc('\t', f);
        put_escaped(f, e->text, e->tn);
        fputc('\n', f);
    }
    int rc = ferror(f) ? US_EIO : 0;
    if (fclose(f) != 0)
        rc = US_EIO;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = US_EIO;
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

static size_t unescape(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            i++;
            s[o++] = s[i] == 'n' ? '\n' : s[i] == 't' ? '\t' : s[i];
        } else {
            s[o++] = s[i];
        }
    }
    return o;
}

int learned_load(struct learned *l, const char *path)
{
    struct strbuf sb;
    sb_init(&sb);
    int rc = us_read_file(path, l->max_bytes * 2, &sb, NULL);
    if (rc < 0 && rc != US_ETOOBIG) {
        sb_release(&sb);
        return rc;
    }
    char *p = sb.data, *end = sb.data + sb.len;
    const char *magic = "understudy-learned 1\n";
    if (!p || sb.len < strlen(magic) || memcmp(p, magic, strlen(magic)) != 0) {
        rc = sb.len ? US_EPARSE : 0;
        sb_release(&sb);
        return rc;
    }
    p += strlen(magic);
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        char *tab = memchr(p, '\t', (size_t)(nl - p));
        if (tab) {
            size_t kn = unescape(p, (size_t)(tab - p));
            size_t tn = unescape(tab + 1, (size_t)(nl - tab - 1));
            learned_add(l, p, kn, tab + 1, tn);
        }
        p = nl + 1;
    }
    sb_release(&sb);
    return 0;
}
