/* The credential-free probe: the engine's pre-TLS step, a TLS handshake and
 * our own verification, then close. It sends nothing that identifies or
 * authenticates anyone. The connect path runs it to learn, from facts, why
 * a driver's connect failed. */
#ifndef RDSS__LIB_PROBE_H
#define RDSS__LIB_PROBE_H

#include <netdb.h>
#include <openssl/x509.h>

#include "core/deadline.h"
#include "rdssecure/rdssecure.h"
#include "trust/trust.h"

/* What a probe saw, for reports and pinning. */
typedef struct rdss__probe_facts {
    char *tls_version;     /* NULL before a completed handshake */
    char *cipher;
    STACK_OF(X509) *chain; /* what the server presented, leaf first (own references) */
    X509 *anchor;          /* the trusted root that anchored it, or NULL */
    int hostname;          /* 1 the name matched, 0 it did not, -1 not checked */
} rdss__probe_facts;

void rdss__probe_facts_free(rdss__probe_facts *facts);

/* TCP to host:port (a name or an address; each address in turn until one
 * accepts), the engine's pre-TLS step (PostgreSQL: SSLRequest; MySQL: the
 * server's handshake must offer CLIENT_SSL, then the SSL request packet),
 * TLS, verification against verify_name. Returns the typed verdict: RDSS_OK,
 * or network, timeout, tls_refused (also for an error a server sends before
 * TLS: nothing is trusted before verification), cert_verify,
 * hostname_mismatch, internal for local failures; never auth or server. With facts (zeroed by the caller), what the
 * handshake showed, whatever the verdict; free with rdss__probe_facts_free. */
rdss_code rdss__probe(rdss_engine engine, const char *host, int port, const char *verify_name,
                      const rdss__trust *trust, rdss__deadline deadline, rdss__probe_facts *facts,
                      rdss_error **err);

/* The same at addresses the caller resolved already (one lookup per
 * connect): `host` names them in messages. */
rdss_code rdss__probe_at(rdss_engine engine, const struct addrinfo *addresses, const char *host, int port,
                         const char *verify_name, const rdss__trust *trust, rdss__deadline deadline,
                         rdss__probe_facts *facts, rdss_error **err);

/* The pure parts of the pre-TLS steps, for the probe and the fuzzers:
 * PostgreSQL's one-byte answer to SSLRequest, and a MySQL server's first
 * packet (payload without the 4-byte header) of any length and content. */
rdss_code rdss__pg_check_answer(unsigned char answer, const char *host, rdss_error **err);
rdss_code rdss__mysql_check_greeting(const unsigned char *payload, size_t len, const char *host,
                                     rdss_error **err);

#endif
