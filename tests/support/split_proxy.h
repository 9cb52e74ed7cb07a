/* A TCP proxy on 127.0.0.1 that sends each accepted connection to a target
 * chosen by its number: connection 1 to `first_port`, every later one to
 * `rest_port` (the same port for both: a plain counting proxy). Bytes are
 * relayed both ways, a close on one side passed on as a half-close. Runs
 * in a thread of the test; what a man in the middle who splits a client's
 * connections between servers can do. */
#ifndef RDSS_TEST_SPLIT_PROXY_H
#define RDSS_TEST_SPLIT_PROXY_H

typedef struct split_proxy split_proxy;

/* Aborts the test program when it cannot listen. */
split_proxy *split_proxy_start(int first_port, int rest_port);
/* The port it listens on, on 127.0.0.1. */
int split_proxy_port(const split_proxy *proxy);
/* Connections accepted so far. */
int split_proxy_connections(split_proxy *proxy);
/* Stops it (prompt: it waits for no client) and closes every connection. */
void split_proxy_stop(split_proxy *proxy);

#endif
