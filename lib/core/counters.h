/* Per-process counts of connect results, for monitoring. */
#ifndef RDSS_LIB_COUNTERS_H
#define RDSS_LIB_COUNTERS_H

#include "rdssecure/rdssecure.h"

/* One connect attempt ended with `code` (RDSS_OK: connected). */
void rdss__count_result(rdss_code code);

#endif
