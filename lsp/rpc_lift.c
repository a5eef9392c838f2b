/* rpc_lift: json_loadb for messages that carry a big string (didOpen's text, a full-text
 * didChange). jansson decodes strings a character at a time: a 200 KB didOpen took 2-3 ms of
 * the loop, the largest part of what opening a file costs it. Here big string values are
 * decoded by runs (memchr and an ASCII fast path), the rest of the message, now small, goes
 * through jansson with placeholders where the strings were, and the decoded strings are put
 * back in the tree. Anything unusual in a big string (a bad escape, a lone surrogate, a raw
 * control character, invalid UTF-8) leaves that string to jansson, and any parse error
 * retries the original bytes with jansson alone: values and errors stay jansson's. */
#include "rpc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

#define LIFT_MIN_MESSAGE (32u * 1024) /* smaller messages: jansson alone, the gain is noise */
#define LIFT_MIN_STRING (8u * 1024)
#define LIFT_MAX 8
#define LIFT_MARK "us-lift-"

struct lifted {
    size_t a, b; /* the string token in the body, quotes included */
    char *s;     /* decoded (UTF-8, may hold NULs) */
    size_t n;
    bool used;
};

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static long hex4(const char *s)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)s[i]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

static size_t put_utf8(char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Strict UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF), as jansson checks it. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned long cp, min;
        if (c >= 0xC2 && c <= 0xDF)
            k = 1, cp = c & 0x1F, min = 0x80;
        else if (c >= 0xE0 && c <= 0xEF)
            k = 2, cp = c & 0x0F, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4)
            k = 3, cp = c & 0x07, min = 0x10000;
        else
            return false;
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

/* Decode the inside of a JSON string; false for anything jansson should judge itself. */
static bool decode(const char *s, size_t n, char **out, size_t *outn)
{
    char *o = xmalloc(n + 1);
    size_t k = 0, i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c != '\\') {
            size_t j = i;
            while (j < n && s[j] != '\\' && (unsigned char)s[j] >= 0x20)
                j++;
            if (j == i)
                goto fail; /* a raw control character */
            memcpy(o + k, s + i, j - i);
            k += j - i;
            i = j;
            continue;
        }
        if (i + 1 >= n)
            goto fail;
        char e = s[i + 1];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char to[] = "\"\\/\b\f\n\r\t";
            o[k++] = to[simple - "\"\\/bfnrt"];
            i += 2;
            continue;
        }
        if (e != 'u' || i + 6 > n)
            goto fail;
        long cp = hex4(s + i + 2);
        if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
            goto fail;
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u')
                goto fail;
            long lo = hex4(s + i + 2);
            if (lo < 0xDC00 || lo > 0xDFFF)
                goto fail;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
        }
        k += put_utf8(o + k, (unsigned long)cp); /* at most 4 bytes for 6 or 12 read */
    }
    if (!utf8_valid((const unsigned char *)o, k))
        goto fail;
    *out = o;
    *outn = k;
    return true;
fail:
    free(o);
    return false;
}

/* Offset just past the string token starting at body[a] == '"', or 0 when it does not end. */
static size_t string_end(const char *body, size_t len, size_t a)
{
    size_t j = a + 1;
    for (;;) {
        const char *q = memchr(body + j, '"', len - j);
        if (!q)
            return 0;
        size_t p = (size_t)(q - body), bs = 0;
        while (p - bs > a + 1 && body[p - bs - 1] == '\\')
            bs++;
        if (!(bs & 1))
            return p + 1;
        j = p + 1;
    }
}

static bool is_value(const char *body, size_t len, size_t b)
{
    while (b < len && (body[b] == ' ' || body[b] == '\t' || body[b] == '\n' || body[b] == '\r'))
        b++;
    return b >= len || body[b] != ':';
}

static long mark_index(json_t *v, size_t n_lifted)
{
    if (!json_is_string(v))
        return -1;
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n < sizeof(LIFT_MARK) + 1 || s[0] != '\0' || memcmp(s + 1, LIFT_MARK, 8) != 0)
        return -1;
    char *end;
    unsigned long i = strtoul(s + 1 + 8, &end, 10);
    return end == s + n && i < n_lifted ? (long)i : -1;
}

static json_t *take(struct lifted *L, long i)
{
    L[i].used = true;
    return json_stringn_nocheck(L[i].s, L[i].n);
}

/* Put the decoded strings back where their placeholders are; returns how many are left. */
static size_t put_back(json_t *v, struct lifted *L, size_t nl, size_t left)
{
    if (json_is_object(v)) {
        for (void *it = json_object_iter(v); it && left; it = json_object_iter_next(v, it)) {
            json_t *x = json_object_iter_value(it);
            long i = mark_index(x, nl);
            if (i >= 0 && !L[i].used) {
                json_object_iter_set_new(v, it, take(L, i));
                left--;
            } else if (json_is_object(x) || json_is_array(x)) {
                left = put_back(x, L, nl, left);
            }
        }
    } else if (json_is_array(v)) {
        for (size_t k = 0; k < json_array_size(v) && left; k++) {
            json_t *x = json_array_get(v, k);
            long i = mark_index(x, nl);
            if (i >= 0 && !L[i].used) {
                json_array_set_new(v, k, take(L, i));
                left--;
            } else if (json_is_object(x) || json_is_array(x)) {
                left = put_back(x, L, nl, left);
            }
        }
    }
    return left;
}

json_t *rpc__loadb(const char *body, size_t len, size_t flags, json_error_t *err)
{
    /* Without JSON_ALLOW_NUL the placeholders could not be parsed; a body that holds the
     * mark could fake one. Both: jansson alone. (A fake written with escapes, the mark's
     * letters as \u0075 and the like, is caught below: it needs a \u0000.) */
    if (len < LIFT_MIN_MESSAGE || !(flags & JSON_ALLOW_NUL) || memmem(body, len, LIFT_MARK, 8))
        return json_loadb(body, len, flags, err);
    struct lifted L[LIFT_MAX];
    size_t nl = 0, i = 0;
    while (i < len && nl < LIFT_MAX) {
        const char *q = memchr(body + i, '"', len - i);
        if (!q)
            break;
        size_t a = (size_t)(q - body), b = string_end(body, len, a);
        if (!b)
            break;
        if (b - a - 2 >= LIFT_MIN_STRING && is_value(body, len, b) &&
            decode(body + a + 1, b - a - 2, &L[nl].s, &L[nl].n)) {
            L[nl].a = a;
            L[nl].b = b;
            L[nl].used = false;
            nl++;
        }
        i = b;
    }
    if (!nl)
        return json_loadb(body, len, flags, err);
    /* A placeholder starts with NUL, which a JSON string holds only from the escape \u0000:
     * what jansson will read besides the placeholders must have none, or it could write one. */
    bool nul = false;
    for (size_t k = 0, from = 0; k <= nl && !nul; k++) {
        size_t to = k < nl ? L[k].a : len;
        nul = memmem(body + from, to - from, "\\u0000", 6) != NULL;
        from = k < nl ? L[k].b : len;
    }
    if (nul) {
        for (size_t k = 0; k < nl; k++)
            free(L[k].s);
        return json_loadb(body, len, flags, err);
    }
    struct strbuf sb;
    sb_init(&sb);
    size_t from = 0;
    for (size_t k = 0; k < nl; k++) {
        sb_add(&sb, body + from, L[k].a - from);
        sb_addf(&sb, "\"\\u0000" LIFT_MARK "%zu\"", k);
        from = L[k].b;
    }
    sb_add(&sb, body + from, len - from);
    json_t *root = json_loadb(sb.data, sb.len, flags, NULL);
    sb_release(&sb);
    if (root) {
        long r = mark_index(root, nl);
        if (r >= 0) {
            json_decref(root);
            root = take(L, r);
        } else if (put_back(root, L, nl, nl) != 0) {
            json_decref(root); /* a placeholder went missing (a duplicate key?): ask jansson */
            root = NULL;
        }
    }
    for (size_t k = 0; k < nl; k++)
        free(L[k].s);
    return root ? root : json_loadb(body, len, flags, err);
}
