/* syntax_mem: grammars/'s allocators. grammars/ sits below providers/ and cannot use its
 * xmalloc; same rule: abort on exhaustion. The one place to swap for common/ later. */
#include "syntax_int.h"

#include <stdio.h>
#include <stdlib.h>

void *syn__alloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("understudy: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *syn__realloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("understudy: out of memory\n", stderr);
        abort();
    }
    return p;
}

char *syn__strndup(const char *s, size_t n)
{
    char *d = syn__alloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void syn__grow(void **arr, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap * 2 : 16;
    while (c < need)
        c *= 2;
    *arr = syn__realloc(*arr, c * sz);
    *cap = c;
}
