/* Narrowed trust for the drivers. libpq and libmariadb re-read and decode
 * their CA file on every connect: ~100 RDS roots cost most of a connect. We
 * remember, per endpoint, which root of the full trust anchored the last
 * verified handshake, and give the driver a file with that root alone (and
 * the trust's intermediates, if it has any). The semantics stay the full
 * trust's: the narrowed set is a subset (what it accepts, the full trust
 * accepts); connect/connect.c forgets an entry and retries with the full
 * trust when the server moved to another root (see rdss__connect_failed).
 *
 * Bounded (1024 endpoints and 64 narrowed trusts, least recently used out;
 * endpoints with the same trust and anchor share one narrowed trust and its
 * memfd), thread-safe, memfds only (nothing on disk); released by
 * rdss_global_cleanup() and at exit. */
#ifndef RDSS__LIB_NARROW_H
#define RDSS__LIB_NARROW_H

#include <openssl/x509.h>

#include "trust/trust.h"

/* The one key of an endpoint, for both engines: host, port and
 * verify-name, the host as the caller named it (the anchor belongs to the
 * certificate the name serves, whichever address answers), separated by
 * newlines, which no name contains. "" (not cached) when it does not fit
 * in `size`. */
void rdss__narrow_key(const char *host, int port, const char *verify_name, char *out, size_t size);

/* Whether `full` is big enough for a probe on first sight to pay: a
 * trust of a few certificates costs a driver less to decode than the probe
 * costs, and is narrowed only from what verified connects teach (an RDS
 * name's region's roots: rdss__narrow_learn_from). Learning needs more
 * than one certificate. */
int rdss__narrow_worth_it(const rdss__trust *full);

/* The narrowed trust remembered for `key` under `full` (under a trust of
 * the same certificates: see rdss__trust_digest), as a new reference,
 * or NULL (use the full trust). */
rdss__trust *rdss__narrow_lookup(const rdss__trust *full, const char *key);

/* Remembers that `anchor` (a certificate of `full`) anchored `key`, and
 * returns the narrowed trust (a new reference), or NULL when not worth it
 * or out of memory. */
rdss__trust *rdss__narrow_learn(const rdss__trust *full, const char *key, X509 *anchor);

/* The anchor the server presented over `ssl` verifies to under `full` (for
 * `name`), remembered for `key`. Does nothing when it does not verify. */
void rdss__narrow_learn_from(const rdss__trust *full, const char *key, const char *name,
                             STACK_OF(X509) *chain);

/* Forgets what `key` learned under `full`. */
void rdss__narrow_forget(const rdss__trust *full, const char *key);

#endif
