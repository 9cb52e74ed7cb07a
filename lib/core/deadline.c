#include "core/deadline.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

rdss__deadline rdss__deadline_in(long timeout_ms)
{
    rdss__deadline deadline = {now_ms() + timeout_ms};
    return deadline;
}

long rdss__deadline_remaining_ms(rdss__deadline deadline)
{
    int64_t left = deadline.at_ms - now_ms();
    return left > 0 ? (long)left : 0;
}

int rdss__deadline_passed(rdss__deadline deadline)
{
    return rdss__deadline_remaining_ms(deadline) == 0;
}

int rdss__wait_fd(int fd, int want_write, rdss__deadline deadline)
{
    for (;;) {
        long left = rdss__deadline_remaining_ms(deadline);
        if (left == 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = want_write ? POLLOUT : POLLIN};
        int ready = poll(&p, 1, (int)left);
        if (ready > 0)
            return 1; /* errors and hang-ups show up on the next read or write */
        if (ready == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}
