/* Name resolution that keeps to a deadline (libpq and libmariadb call
 * getaddrinfo and wait as long as it takes). */
#ifndef RDSS__LIB_RESOLVE_H
#define RDSS__LIB_RESOLVE_H

#include <netdb.h>

#include "core/deadline.h"
#include "rdssecure/rdssecure.h"

/* The TCP addresses of `host` (a name or an IP literal). RDSS_ERR_NETWORK
 * when it does not resolve, RDSS_ERR_TIMEOUT when the deadline passes first.
 * On success free *out with freeaddrinfo(). */
rdss_code rdss__resolve(const char *host, int port, rdss__deadline deadline, struct addrinfo **out,
                        rdss_error **err);

/* The numeric form of an address ("127.0.0.1", "::1") into out. */
void rdss__address_text(const struct sockaddr *addr, char *out, size_t size);

#endif
