/* heap_upkeep: give freed heap pages back to the system when the server rests. */
#include "heap_upkeep.h"

#include <stdlib.h>

#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim, mallinfo2 */
#endif

#include "base.h"

/* glibc gives memory back to the system only from the top of a heap. What closed documents,
 * evicted syntax trees and finished requests free below live data stays resident, and so do
 * the pages of the arena a libuv worker thread filled (compiling a language's queries touches
 * ~1.5 MB and keeps ~0.1 MB of it). malloc_trim returns every whole free page of every arena.
 * It runs once the loop has had nothing to do for HEAP_QUIET_MS, and only when the heap moved
 * since the last trim: it reached a new high (documents opened, a worker's arena), what is in
 * use fell (documents closed), or what is free grew (workers deleted trees after the trim that
 * followed a burst of didOpens: up to ~1 MB stayed resident in their arenas, under the in-use
 * rule's threshold). Free memory that stays put is working memory: a reparse of a
 * 10,000-line file frees and takes back ~10 MB, and trimming that at every pause in typing
 * costs 15-30 ms of madvise plus the page faults of the next reparse (a first version that
 * trimmed every 250 ms of work took the bench's completion p99 from 4-8 to 12-26 ms). A loop
 * that never rests that long (a client that never pauses, a periodic timer) is looked at every
 * HEAP_TRIM_MAX_WAIT_MS. */
#define HEAP_QUIET_MS 200
#define HEAP_TRIM_MAX_WAIT_MS 5000
#define HEAP_TRIM_MIN_CHANGE (1u << 20)

static bool churned; /* heap_upkeep_churned: trim at the next quiet moment */

void heap_upkeep_churned(void)
{
    churned = true;
}

static void heap_trim(uv_timer_t *t)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    struct heap_upkeep *h = t->data;
    struct mallinfo2 mi = mallinfo2(); /* a walk of the free lists: ~0.05 ms */
    size_t change = US_MAX((size_t)HEAP_TRIM_MIN_CHANGE, h->in_use / 4);
    bool higher = mi.arena > h->high + change, fell = mi.uordblks + change < h->in_use;
    bool freed = mi.fordblks > h->free + HEAP_TRIM_MIN_CHANGE / 2;
    if (mi.fordblks < HEAP_TRIM_MIN_CHANGE || (!higher && !fell && !freed && !churned))
        return;
    churned = false;
    uint64_t t0 = us_now_us();
    malloc_trim(0);
    h->high = US_MAX(h->high, mi.arena);
    h->in_use = mi.uordblks;
    h->free = mi.fordblks; /* given back, still counted free: the baseline of the third rule */
    LOG_D("heap", "trim: %zu KiB free, %zu KiB in use, %.3f ms", mi.fordblks >> 10,
          mi.uordblks >> 10, (double)(us_now_us() - t0) / 1000.0);
#endif
}

/* Runs after every poll of the loop: each wake-up pushes the trim back by HEAP_QUIET_MS,
 * except the wake-up for the trim timer itself (due now) and once the wait hit its bound. */
static void heap_loop_woke(uv_check_t *c)
{
    struct heap_upkeep *h = c->data;
    uint64_t now = uv_now(c->loop);
    if (!uv_is_active((uv_handle_t *)&h->trim))
        h->busy_since = now;
    else if (uv_timer_get_due_in(&h->trim) == 0 || now - h->busy_since >= HEAP_TRIM_MAX_WAIT_MS)
        return;
    uv_timer_start(&h->trim, heap_trim, HEAP_QUIET_MS, 0);
}

void heap_upkeep_start(uv_loop_t *loop, struct heap_upkeep *h)
{
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
    /* glibc gives threads that allocate arenas of their own, up to 8 per core: every libuv
     * worker that parsed a file kept partly used pages that trimming cannot return. At most
     * two arenas (the loop's, and one more that glibc hands out with it in turn, so a worker
     * may share either) took RSS with 100 open files after completions read them from 21.8 to
     * 19.5 MB (bench section 2); one arena saved 0.8 MB more but made the workers' parses
     * contend with the loop (popup p99 on a 10,000-line file 3.6-3.9 -> 4.6-6.4 ms). A user's
     * MALLOC_ARENA_MAX wins. Before any worker thread exists. */
    if (!getenv("MALLOC_ARENA_MAX"))
        mallopt(M_ARENA_MAX, 2);
#endif
    uv_check_init(loop, &h->woke);
    uv_timer_init(loop, &h->trim);
    h->woke.data = h->trim.data = h;
    h->high = h->in_use = h->free = 0;
    uv_check_start(&h->woke, heap_loop_woke);
    uv_unref((uv_handle_t *)&h->woke);
    uv_unref((uv_handle_t *)&h->trim);
}

void heap_upkeep_stop(struct heap_upkeep *h)
{
    uv_close((uv_handle_t *)&h->woke, NULL);
    uv_close((uv_handle_t *)&h->trim, NULL);
}
