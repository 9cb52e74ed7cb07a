/* A connect's deadline on the monotonic clock, and waiting on a socket
 * without passing it. */
#ifndef RDSS__LIB_DEADLINE_H
#define RDSS__LIB_DEADLINE_H

#include <stdint.h>

typedef struct rdss__deadline {
    int64_t at_ms; /* CLOCK_MONOTONIC milliseconds */
} rdss__deadline;

rdss__deadline rdss__deadline_in(long timeout_ms);

/* Milliseconds left, 0 when passed. */
long rdss__deadline_remaining_ms(rdss__deadline deadline);

int rdss__deadline_passed(rdss__deadline deadline);

/* Waits until fd is readable (want_write = 0) or writable (1).
 * Returns 1 when ready, 0 when the deadline passed, -1 on error (errno). */
int rdss__wait_fd(int fd, int want_write, rdss__deadline deadline);

#endif
