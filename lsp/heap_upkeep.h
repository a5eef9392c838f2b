/* heap_upkeep: malloc_trim when the loop has been quiet and the heap moved (see the .c for
 * why not more often).
 * Boundary: the struct lives inside its owner (main's stack); its handles are closed by
 * heap_upkeep_stop, and the struct must outlive their close callbacks (the loop must run). */
#ifndef US_HEAP_UPKEEP_H
#define US_HEAP_UPKEEP_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct heap_upkeep {
    uv_check_t woke;
    uv_timer_t trim;
    uint64_t busy_since;   /* loop time of the first wake-up since the last look */
    size_t high, in_use;   /* arena bytes before, and bytes in use at, the last trim */
    size_t free;           /* bytes free at the last trim */
};

/* Loop thread only: worker threads allocated and freed a lot (a batch of parses read for their
 * definitions and deleted). The in-use and free totals cannot show it (the same bytes were
 * free before, but the pages were given back and are resident again), so the next quiet
 * moment trims whatever they say. */
void heap_upkeep_churned(void);

/* Neither handle keeps the loop alive. */
void heap_upkeep_start(uv_loop_t *loop, struct heap_upkeep *h);
/* h must stay valid until the loop ran the close callbacks. */
void heap_upkeep_stop(struct heap_upkeep *h);

#endif
