/* test_list_map: the intrusive list and the string-keyed map. */
#include <stdint.h>
#include <stdio.h>

#include "base.h"
#include "check.h"
#include "list.h"
#include "map.h"

struct item {
    int v;
    struct us_list link;
};

static void list_basics(void)
{
    struct us_list head = US_LIST_INIT(head);
    CHECK(us_list_empty(&head));
    CHECK(us_list_first(&head) == NULL);
    struct item it[5];
    for (int i = 0; i < 5; i++) {
        it[i].v = i;
        us_list_init(&it[i].link);
        CHECK(!us_list_linked(&it[i].link));
    }
    us_list_add_tail(&head, &it[1].link);
    us_list_add_tail(&head, &it[2].link);
    us_list_add_head(&head, &it[0].link);
    us_list_add_tail(&head, &it[3].link);
    CHECK_EQ_INT(us_list_count(&head), 4);
    CHECK(us_list_linked(&it[2].link));
    struct us_list *pos, *tmp;
    int want = 0;
    US_LIST_FOREACH(pos, &head) CHECK_EQ_INT(US_LIST_ENTRY(pos, struct item, link)->v, want++);
    CHECK_EQ_INT(want, 4);
    CHECK_EQ_INT(US_LIST_ENTRY(us_list_last(&head), struct item, link)->v, 3);
    /* unlink while walking: drop the even ones */
    US_LIST_FOREACH_SAFE(pos, tmp, &head) {
        if (US_LIST_ENTRY(pos, struct item, link)->v % 2 == 0)
            us_list_del(pos);
    }
    CHECK_EQ_INT(us_list_count(&head), 2);
    CHECK_EQ_INT(US_LIST_ENTRY(us_list_first(&head), struct item, link)->v, 1);
    us_list_del(&it[0].link); /* already unlinked: harmless */
    CHECK(!us_list_linked(&it[0].link));
    us_list_del(&it[1].link);
    us_list_del(&it[3].link);
    CHECK(us_list_empty(&head));
}

static void map_basics(void)
{
    struct us_map *m = us_map_new(false);
    int a = 1, b = 2, c = 3;
    CHECK(us_map_get(m, "a") == NULL);
    CHECK(us_map_put(m, "a", &a) == NULL);
    CHECK(us_map_put(m, "b", &b) == NULL);
    CHECK_EQ_INT(us_map_count(m), 2);
    CHECK(us_map_get(m, "a") == &a);
    CHECK(us_map_put(m, "a", &c) == &a); /* replace hands the old value back */
    CHECK(us_map_get(m, "a") == &c);
    CHECK_EQ_INT(us_map_count(m), 2);
    CHECK(us_map_del(m, "a") == &c);
    CHECK(us_map_del(m, "a") == NULL);
    CHECK(us_map_get(m, "a") == NULL);
    CHECK(us_map_get(m, "b") == &b);
    CHECK_EQ_INT(us_map_count(m), 1);
    CHECK(us_map_put(m, "", &a) == NULL); /* the empty key is a key */
    CHECK(us_map_get(m, "") == &a);
    us_map_clear(m);
    CHECK_EQ_INT(us_map_count(m), 0);
    CHECK(us_map_get(m, "b") == NULL);
    us_map_free(m);
    us_map_free(NULL);
}

static void map_many_keys_grow_delete_iterate(void)
{
    enum { N = 20000 };
    struct us_map *m = us_map_new(true); /* copies keys: the buffer below is reused */
    static intptr_t vals[N];
    char key[32];
    for (int i = 0; i < N; i++) {
        vals[i] = i;
        snprintf(key, sizeof(key), "key-%d", i);
        CHECK(us_map_put(m, key, &vals[i]) == NULL);
    }
    CHECK_EQ_INT(us_map_count(m), N);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        intptr_t *v = us_map_get(m, key);
        bad += !v || *v != i;
    }
    CHECK_EQ_INT(bad, 0);
    /* iterate: every key once, and delete the odd ones while iterating */
    static unsigned char seen[N];
    size_t it = 0, n = 0;
    const char *k;
    void *v;
    while (us_map_next(m, &it, &k, &v)) {
        int i = (int)*(intptr_t *)v;
        char want[32];
        snprintf(want, sizeof(want), "key-%d", i);
        CHECK_EQ_STR(k, want);
        seen[i]++;
        n++;
        if (i % 2)
            CHECK(us_map_del(m, k) == v);
    }
    CHECK_EQ_INT(n, N);
    bad = 0;
    for (int i = 0; i < N; i++)
        bad += seen[i] != 1;
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(us_map_count(m), N / 2);
    /* churn through tombstones: insert and delete many times, count stays right */
    for (int round = 0; round < 5; round++)
        for (int i = 1; i < N; i += 2) {
            snprintf(key, sizeof(key), "key-%d", i);
            CHECK(us_map_put(m, key, &vals[i]) == NULL);
            CHECK(us_map_del(m, key) == &vals[i]);
        }
    CHECK_EQ_INT(us_map_count(m), N / 2);
    CHECK(us_map_get(m, "key-1") == NULL);
    CHECK(us_map_get(m, "key-2") == &vals[2]);
    us_map_free(m);
}

static void map_borrowed_keys(void)
{
    struct us_map *m = us_map_new(false);
    char *k = xstrdup("borrowed");
    int x = 7;
    us_map_put(m, k, &x);
    const char *got = NULL;
    size_t it = 0;
    CHECK(us_map_next(m, &it, &got, NULL));
    CHECK(got == k); /* the map keeps the caller's pointer */
    CHECK(!us_map_next(m, &it, NULL, NULL));
    us_map_del(m, "borrowed");
    free(k);
    us_map_free(m);
    CHECK_EQ_INT((long long)us_hash_str(""), (long long)1469598103934665603ull);
}

#define TESTS(X) X(list_basics) X(map_basics) X(map_many_keys_grow_delete_iterate) X(map_borrowed_keys)
CHECK_MAIN(TESTS)
