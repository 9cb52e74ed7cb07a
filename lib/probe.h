/* The credential-free probe: the engine's pre-TLS step, a TLS handshake and
 * our own verification, then close. It sends nothing that identifies or
 * authenticates anyone. The connect path runs it to learn, from facts, why
 * a driver's connect failed. */
#ifndef RDSS_LIB_PROBE_H
#define RDSS_LIB_PROBE_H

#include <openssl/x509.h>

#include "deadline.h"
#include "rdssecure/rdssecure.h"
#include "trust.h"

typedef enum rdss_engine { RDSS_ENGINE_PG, RDSS_ENGINE_MYSQL } rdss_engine;

/* TCP to host:port (a name or an address; each address in turn until one
 * accepts), the engine's pre-TLS step (PostgreSQL: SSLRequest; MySQL: the
 * server's handshake must offer CLIENT_SSL, then the SSL request packet),
 * TLS, verification against verify_name. Returns the typed verdict: RDSS_OK,
 * or network, timeout, tls_refused, cert_verify, hostname_mismatch (server
 * when a MySQL server sends an error in place of its handshake; internal
 * for local failures). With leaf_out, on RDSS_OK *leaf_out holds a
 * reference to the verified leaf certificate (X509_free it). */
rdss_code rdss__probe(rdss_engine engine, const char *host, int port, const char *verify_name,
                      const rdss_trust *trust, rdss_deadline deadline, X509 **leaf_out,
                      rdss_error **err);

#endif
