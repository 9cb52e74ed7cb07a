/* The one verification core both engines share: does a presented chain
 * verify against the trust, and does its leaf name the host? Run by the
 * probe; its verdict names the typed error of a failed connect. */
#ifndef RDSS__LIB_VERIFY_H
#define RDSS__LIB_VERIFY_H

#include <openssl/x509.h>

#include "rdssecure/rdssecure.h"
#include "trust/trust.h"

/* `chain` is what the server presented, leaf first. RDSS_OK, or
 * RDSS_ERR_CERT_VERIFY with OpenSSL's reason (and, for an RDS endpoint name,
 * the region or Proxy roots the bundle lacks), or RDSS_ERR_HOSTNAME_MISMATCH
 * naming the names the certificate covers (and suggesting a verify-name when
 * an address or a non-RDS name meets an RDS certificate); the error carries
 * the leaf's subject, issuer and not_after and the chain's earliest expiry.
 * `name` is a DNS name or an IP literal. With anchor_out, once the chain
 * verifies *anchor_out holds a reference to the trusted root that anchored it
 * (X509_free it), whatever the name check says. */
rdss_code rdss__verify_chain(const rdss__trust *trust, STACK_OF(X509) *chain, const char *name,
                             X509 **anchor_out, rdss_error **err);

/* Whether the certificate covers `name` (DNS name or IP literal), the way
 * libpq 15's verify-full decides: SANs of either kind may match; the CN only
 * when there is no SAN of the host's kind; wildcards only as the whole
 * first label, matching one label. */
int rdss__cert_matches_name(X509 *cert, const char *name);

#endif
