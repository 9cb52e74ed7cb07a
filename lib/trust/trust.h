/* The trust given to the drivers: validated CA certificates, parsed once,
 * and the CA file the drivers read them from. Immutable once built and
 * reference-counted, so any number of configs and connects share one. */
#ifndef RDSS__LIB_TRUST_H
#define RDSS__LIB_TRUST_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>

#include "rdssecure/rdssecure.h"

typedef struct rdss__trust rdss__trust;

/* Strict validation of a PEM source: at least one certificate block, every
 * block decodes, every certificate is a CA, at least one is within its
 * validity period. Otherwise RDSS_ERR_BUNDLE naming `label` and the entry. */
rdss_code rdss__trust_from_pem(const char *pem, size_t len, const char *label, rdss__trust **out,
                               rdss_error **err);

/* A trust of an official edition's bytes (the embedded one, or a file of
 * a known edition): not checked again, and not decoded until something
 * needs its certificates. `copy`: keep a copy of `pem` (else it must live
 * as long as the process). */
rdss_code rdss__trust_of_edition(const char *pem, size_t len, int copy, const char *label, rdss__trust **out,
                                 rdss_error **err);

/* The roots of `trust` whose RDS name carries `region` (and its
 * intermediates): what a driver needs for an endpoint of that region, a
 * subset of the trust. Cut once per trust and region (from an edition's
 * bytes without decoding the others), as a new reference; NULL when the
 * trust has no root of that region. */
rdss__trust *rdss__trust_region(const rdss__trust *trust, const char *region);

/* The strict checks of rdss__trust_from_pem, for a trust built from an
 * edition's bytes without them (which ones depend on the clock: whether
 * any certificate is within its validity period). */
rdss_code rdss__trust_check(const rdss__trust *trust, rdss_error **err);

/* Whether the certificates are decoded (always, but for an edition's
 * nobody needed yet). */
int rdss__trust_decoded(const rdss__trust *trust);

/* Whether the trust holds more than `count` certificates, without decoding
 * an edition's. */
int rdss__trust_has_more_than(const rdss__trust *trust, int count);

/* rdss__read_bundle_file() followed by rdss__trust_from_pem(), or by
 * rdss__trust_of_edition() for a file of a known edition. */
rdss_code rdss__trust_from_file(const char *path, rdss__trust **out, rdss_error **err);

/* The union of two trusts (duplicates dropped), labelled `label`. */
rdss_code rdss__trust_union(const rdss__trust *a, const rdss__trust *b, const char *label,
                            rdss__trust **out, rdss_error **err);

/* The process-wide default: the bundle named by RDSSECURE_CA_BUNDLE when set
 * (ignored in set-uid programs), otherwise the embedded RDS roots. Built once,
 * on first use, thread-safe; a failure is remembered and reported to every
 * caller. On success *out holds a new reference. */
rdss_code rdss__trust_default(rdss__trust **out, rdss_error **err);

/* The embedded RDS roots alone, built once per process like the default. */
rdss_code rdss__trust_embedded(rdss__trust **out, rdss_error **err);

/* Whether some certificate's name carries `region` ("us-east-1"). */
int rdss__trust_covers_region(const rdss__trust *trust, const char *region);
/* Whether some certificate is a root RDS Proxy endpoints chain to. */
int rdss__trust_has_proxy_roots(const rdss__trust *trust);

/* 32 bytes that depend only on the certificates (SHA-256 over theirs):
 * caches key on it, so that a bundle file read again, or the same
 * certificates in another config, find what was learned under it. */
const unsigned char *rdss__trust_digest(const rdss__trust *trust);

/* A trust of `cert` (a root of `full`) and of full's intermediates, if any,
 * labelled after full: what a driver needs to verify a server `cert`
 * anchored. */
rdss_code rdss__trust_narrowed(const rdss__trust *full, X509 *cert, rdss__trust **out);

rdss__trust *rdss__trust_ref(rdss__trust *trust);
void rdss__trust_unref(rdss__trust *trust);

/* The path of the CA file to hand to a driver. */
const char *rdss__trust_ca_file(const rdss__trust *trust);
/* The same certificates as a CA directory, for libmariadb (trust/cadir.h:
 * OpenSSL then decodes only the roots a chain needs), made on first use;
 * NULL when it cannot be made (give the CA file then). */
const char *rdss__trust_ca_dir(const rdss__trust *trust);
/* Counts one use of the trust (a verified connect); returns how many were
 * counted before. */
int rdss__trust_count_use(const rdss__trust *trust);
/* The CA file's descriptor (a memfd), or -1 (the fallback on disk). */
int rdss__trust_ca_fd(const rdss__trust *trust);
/* "embedded", "memory", a path, ... */
const char *rdss__trust_label(const rdss__trust *trust);
/* The certificates as a verification store, owned by the trust. */
X509_STORE *rdss__trust_store(const rdss__trust *trust);
/* The certificates, owned by the trust. */
STACK_OF(X509) *rdss__trust_certs(const rdss__trust *trust);

#endif
