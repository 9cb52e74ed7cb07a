/* Narrowed trust for the drivers. libpq and libmariadb re-read and decode
 * their CA file on every connect: ~90 RDS roots cost most of a connect. We
 * remember, per endpoint, which root of the full trust anchored the last
 * verified handshake, and give the driver a file with that root alone. The
 * semantics stay the full trust's: the narrowed set is a subset (what it
 * accepts, the full trust accepts), and a connect the narrowed file fails
 * in TLS is retried with the full trust, which forgets the entry (a server
 * that rotated to another root of the bundle connects, one that moved
 * outside it fails as before).
 *
 * Bounded (64 endpoints, least recently used out), thread-safe, memfds only
 * (nothing on disk); released at exit. */
#ifndef RDSS__LIB_NARROW_H
#define RDSS__LIB_NARROW_H

#include <openssl/x509.h>

#include "core/deadline.h"
#include "tls/probe.h"
#include "trust/trust.h"

/* "engine|address|port|verify_name" into out. */
void rdss__narrow_key(const char *engine, const char *address, int port, const char *verify_name,
                      char *out, size_t size);

/* The narrowed trust remembered for `key` under `full` (under a trust of
 * the same certificates: see rdss__trust_digest), as a new reference,
 * or NULL (use the full trust). */
rdss__trust *rdss__narrow_lookup(const rdss__trust *full, const char *key);

/* Remembers that `anchor` (a certificate of `full`) anchored `key`. */
void rdss__narrow_learn(const rdss__trust *full, const char *key, X509 *anchor);

/* The anchor the server presented over `ssl` verifies to under `full` (for
 * `name`), remembered for `key`. Does nothing when it does not verify. */
void rdss__narrow_learn_from(const rdss__trust *full, const char *key, const char *name,
                             STACK_OF(X509) *chain);

/* Forgets what `key` learned under `full`. */
void rdss__narrow_forget(const rdss__trust *full, const char *key);

/* For an endpoint not seen yet: the credential-free probe verifies the
 * server against `full` in-process (its certificates are parsed already),
 * the anchor is remembered, and *narrow gets the narrowed trust, so that the
 * driver never decodes the whole bundle: one extra TLS handshake per
 * endpoint and process (a few ms nearby) instead of decoding ~90
 * certificates on every first connect (25-35 ms here). Returns the probe's
 * verdict: a connect that cannot succeed is typed without running the driver.
 * `addresses`: where `host` resolved already, or NULL to resolve it. */
rdss_code rdss__narrow_first(rdss_engine engine, const char *host, const struct addrinfo *addresses,
                             int port, const char *name, const rdss__trust *full, rdss__deadline deadline,
                             const char *key, rdss__trust **narrow, rdss_error **err);

#endif
