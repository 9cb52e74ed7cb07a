/* A TCP port on 127.0.0.1 where a connect is refused, held for the test:
 * bound, never listening, so that no other process can take it meanwhile
 * (a port freed after use could be listened on by anyone again). */
#ifndef RDSS_TEST_CLOSED_PORT_H
#define RDSS_TEST_CLOSED_PORT_H

typedef struct closed_port {
    int fd;
    int port;
} closed_port;

/* Aborts the test program when no socket can be had. */
closed_port closed_port_hold(void);
void closed_port_release(closed_port *held);

#endif
