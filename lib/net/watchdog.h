/* A deadline for waits the library cannot bound any other way: libmariadb
 * 3.3 runs its TLS handshake with blocking reads on the socket, and a
 * socket timeout bounds each read, not the handshake (a server that sends
 * one byte every 50 ms would hold it for minutes). A watched socket is shut
 * down when its deadline passes, which ends every read and write on it.
 *
 * One thread for the whole process, started on first use; after fork() the
 * child starts its own when it needs one (what the parent watched is not
 * the child's to watch). */
#ifndef RDSS__LIB_WATCHDOG_H
#define RDSS__LIB_WATCHDOG_H

#include "core/deadline.h"

typedef struct rdss__watch rdss__watch;

/* Watches the socket `fd` until rdss__watchdog_disarm. The watch holds its
 * own duplicate of the descriptor, so a number the driver closes and the
 * process reuses is never shut down by mistake. NULL when it cannot (out of
 * memory, no thread): the connect then relies on the socket timeouts alone. */
rdss__watch *rdss__watchdog_arm(int fd, rdss__deadline deadline);

/* Stops watching and closes the duplicate. NULL is fine. */
void rdss__watchdog_disarm(rdss__watch *watch);

/* Whether the deadline passed and the socket was shut down. */
int rdss__watchdog_fired(const rdss__watch *watch);

#endif
