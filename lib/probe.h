/* The credential-free probe: the engine's pre-TLS step, a TLS handshake and
 * our own verification, then close. It sends nothing that identifies or
 * authenticates anyone. The connect path runs it to learn, from facts, why
 * a driver's connect failed. */
#ifndef RDSS_LIB_PROBE_H
#define RDSS_LIB_PROBE_H

#include "deadline.h"
#include "rdssecure/rdssecure.h"
#include "trust.h"

/* PostgreSQL: TCP to host:port (a name or an address; each address in turn
 * until one accepts), SSLRequest, TLS, verification against verify_name.
 * Returns the typed verdict: RDSS_OK, or network, timeout, tls_refused,
 * cert_verify, hostname_mismatch (internal for local failures). */
rdss_code rdss__probe_pg(const char *host, int port, const char *verify_name,
                         const rdss_trust *trust, rdss_deadline deadline, rdss_error **err);

#endif
