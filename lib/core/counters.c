#include "core/counters.h"

#include <stdatomic.h>

#include "core/process.h"

/* Relaxed atomics: each count is exact, a reader may see one a moment late. */
static atomic_ullong attempts;
static atomic_ullong results[RDSS_CODE_MAX + 1];

/* The counts are per process: a child after fork() starts from zero, so
 * that workers forked from one parent never report its connects twice.
 * Nothing to release: registered for good (rdss_global_cleanup keeps it). */
static const rdss__process_state process_counters = {"counters", NULL, 0, NULL, NULL, rdss_stats_reset, 0};

void rdss__count_result(rdss_code code)
{
    rdss__process_register(&process_counters);
    atomic_fetch_add_explicit(&attempts, 1, memory_order_relaxed);
    if ((int)code >= 0 && (int)code <= RDSS_CODE_MAX)
        atomic_fetch_add_explicit(&results[code], 1, memory_order_relaxed);
}

unsigned long long rdss_stats_attempts(void)
{
    return atomic_load_explicit(&attempts, memory_order_relaxed);
}

unsigned long long rdss_stats_results(int code)
{
    if (code < 0 || code > RDSS_CODE_MAX)
        return 0;
    return atomic_load_explicit(&results[code], memory_order_relaxed);
}

void rdss_stats_reset(void)
{
    atomic_store_explicit(&attempts, 0, memory_order_relaxed);
    for (int i = 0; i <= RDSS_CODE_MAX; i++)
        atomic_store_explicit(&results[i], 0, memory_order_relaxed);
}
