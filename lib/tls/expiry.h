/* Warnings, on connect, about a server chain that expires soon: once per
 * process per endpoint, through the config's log callback. */
#ifndef RDSS__LIB_EXPIRY_H
#define RDSS__LIB_EXPIRY_H

#include <openssl/ssl.h>

#include "rdssecure/rdssecure.h"

/* What a connect copies from its config when it starts (the config may be
 * freed before a non-blocking connect ends). */
typedef struct rdss__expiry_watch {
    rdss_log_fn log;
    void *user;
    long days;
} rdss__expiry_watch;

rdss__expiry_watch rdss__expiry_watch_of(const rdss_config *cfg);

/* After a verified connect to host:port over `ssl`. */
void rdss__warn_if_expiring(const rdss__expiry_watch *watch, const char *host, int port,
                            const SSL *ssl);

#endif
