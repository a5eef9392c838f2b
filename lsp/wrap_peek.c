/* wrap_peek: reads a message's top-level keys without building a JSON tree. */
#include "wrap_peek.h"

#include <string.h>

#include "base.h"

static size_t skip_ws(const char *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i;
}

/* Index just past the string starting at p[i] == '"', or n + 1 when unterminated. */
static size_t skip_string(const char *p, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '"')
            return i + 1;
    }
    return n + 1;
}

/* Index just past the JSON value at p[i], or n + 1 when malformed. Nesting is tracked only as
 * a depth count: the value's inside is validated later by whoever parses it. */
static size_t skip_value(const char *p, size_t n, size_t i)
{
    if (i >= n)
        return n + 1;
    if (p[i] == '"')
        return skip_string(p, n, i);
    if (p[i] == '{' || p[i] == '[') {
        size_t depth = 0;
        while (i < n) {
            char c = p[i];
            if (c == '"') {
                i = skip_string(p, n, i);
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return i + 1;
            }
            i++;
        }
        return n + 1;
    }
    while (i < n && !strchr(",}] \t\r\n", p[i]))
        i++;
    return i;
}

int wrap_peek_message(const char *p, size_t n, struct wrap_peek *pk)
{
    memset(pk, 0, sizeof(*pk));
    size_t i = skip_ws(p, n, 0);
    if (i >= n || p[i] != '{')
        return US_EPARSE;
    i = skip_ws(p, n, i + 1);
    if (i < n && p[i] == '}')
        return 0;
    while (i < n) {
        if (p[i] != '"')
            return US_EPARSE;
        size_t kstart = i + 1, kend = skip_string(p, n, i);
        if (kend > n)
            return US_EPARSE;
        size_t klen = kend - 1 - kstart;
        i = skip_ws(p, n, kend);
        if (i >= n || p[i] != ':')
            return US_EPARSE;
        i = skip_ws(p, n, i + 1);
        size_t vstart = i, vend = skip_value(p, n, i);
        if (vend > n || vend == vstart)
            return US_EPARSE;
        const char *k = p + kstart;
        if (klen == 2 && memcmp(k, "id", 2) == 0) {
            pk->id = p + vstart;
            pk->id_len = vend - vstart;
        } else if (klen == 6 && memcmp(k, "method", 6) == 0) {
            pk->has_method = true;
            size_t mlen = vend - vstart;
            if (p[vstart] == '"' && mlen - 2 < sizeof(pk->method) &&
                !memchr(p + vstart + 1, '\\', mlen - 2)) {
                memcpy(pk->method, p + vstart + 1, mlen - 2);
                pk->method[mlen - 2] = '\0';
            }
        } else if (klen == 6 && memcmp(k, "params", 6) == 0) {
            pk->params0 = p[vstart];
        } else if ((klen == 6 && memcmp(k, "result", 6) == 0) ||
                   (klen == 5 && memcmp(k, "error", 5) == 0)) {
            pk->has_result = true;
        }
        i = skip_ws(p, n, vend);
        if (i < n && p[i] == ',') {
            i = skip_ws(p, n, i + 1);
            continue;
        }
        if (i < n && p[i] == '}')
            return 0;
        return US_EPARSE;
    }
    return US_EPARSE;
}
