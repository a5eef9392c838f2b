/* A tiny vector library used by the syntax tests. */
#include <stdio.h>
#include <stdlib.h>
#include "vec.h"

#define VEC_MIN 4

struct vec {
    int *items;
    size_t len;
    size_t cap;
};

typedef struct {
    double x, y;
} point;

static int counter = 0;

struct vec *vec_new(size_t cap)
{
    struct vec *v = malloc(sizeof(*v));
    size_t real = cap < VEC_MIN ? VEC_MIN : cap;
    v->items = calloc(real, sizeof(int));
    v->len = 0;
    v->cap = real;
    counter++;
    return v;
}

int vec_push(struct vec *v, int value)
{
    if (v->len == v->cap) {
        size_t bigger = v->cap * 2;
        int *grown = realloc(v->items, bigger * sizeof(int));
        if (!grown)
            return -1;
        v->items = grown;
        v->cap = bigger;
    }
    v->items[v->len++] = value;
    return 0;
}

long vec_sum(const struct vec *v)
{
    long total = 0;
    for (size_t i = 0; i < v->len; i++) {
        total += v->items[i];
    }
    return total;
}

int main(int argc, char **argv)
{
    struct vec *numbers = vec_new(8);
    for (int i = 1; i < argc; i++)
        vec_push(numbers, atoi(argv[i]));
    printf("sum: %ld\n", vec_sum(numbers));
    return 0;
}
