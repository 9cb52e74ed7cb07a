/* Per-process counts of connect results, for monitoring. */
#ifndef RDSS__LIB_COUNTERS_H
#define RDSS__LIB_COUNTERS_H

#include "rdssecure/rdssecure.h"

/* One connect attempt ended with `code` (RDSS_OK: connected). */
void rdss__count_result(rdss_code code);

#endif
