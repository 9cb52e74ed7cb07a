/* What both engine adapters do around their driver's connect, written once:
 * the settings of one connect, read from the config once when it starts
 * (deadline, trust, verify-name, expiry watch); which CA file the driver
 * gets (the anchor cache, anchors/narrow.h); what a verified handshake
 * teaches; the typing of a failure from the driver's facts and, when they
 * are not enough, the probe; the one retry; the count of results. An
 * adapter supplies only its driver: how to start, drive and finish a
 * connect, and what the driver says about a failure (rdss__driver_facts).
 *
 * TLS handshakes to the server per connect (D: the driver's, P: the
 * credential-free probe's), all within one deadline:
 *
 *   connected by an RDS name (its region's roots, then the one
 *     root learned among them from the second connect on) ...... D
 *   connected, endpoint's anchor cached ........................ D
 *   connected, endpoint not seen yet (not an RDS name) ......... P + D
 *   connected after the server moved to another root of the
 *     bundle (the cached anchor no longer fits) ................ D + P + D (whole trust)
 *   refused on first sight (bad chain, wrong name, no TLS) ..... P (D + P by an RDS name)
 *   refused, anchor cached ..................................... D + P
 *   the verified server's answer (auth, server) ................ D (P + D on first sight)
 *   timeout ..................................................... what fit in the deadline
 *
 * A failed driver connect is typed by one probe, never by a second driver
 * connect: the probe verifies against the whole trust, which is the
 * driver's trust too. Only when the probe finds the server fine does a
 * narrowed driver connect once more, with the whole trust (no rotation
 * within it can fail that), and a second failure is typed without another
 * probe. Several hosts use the whole trust and no cache (D; D + P per
 * host on failure); the PostgreSQL event-loop form never probes first. */
#ifndef RDSS__LIB_CONNECT_H
#define RDSS__LIB_CONNECT_H

#include <netdb.h>
#include <openssl/ssl.h>

#include "core/deadline.h"
#include "rdssecure/rdssecure.h"
#include "tls/expiry.h"
#include "tls/probe.h"
#include "trust/trust.h"

/* One host the driver will try, as the probe and the cache see it. */
typedef struct rdss__endpoint {
    const char *host;                 /* as the caller named it (messages, cache key) */
    const struct addrinfo *addresses; /* where it resolved, or NULL: */
    const char *address;              /* the one numeric address, or NULL: resolve `host` */
    int port;
    const char *verify_name;          /* what the certificate must name */
} rdss__endpoint;

typedef struct rdss__connect {
    rdss_engine engine;
    long timeout_ms;
    rdss__deadline deadline;
    rdss__expiry_watch expiry;
    char *verify_name;   /* the config's, or NULL */
    rdss__trust *trust;  /* the whole trust; NULL until rdss__connect_trust */
    rdss__trust *narrow; /* the one root the driver is given instead, or NULL */
    rdss__trust *region; /* an RDS name's region's roots (what narrow was learned under), or NULL */
    int narrow_is_region; /* narrow is `region` itself */
    char key[1024];      /* the anchor cache's key; "" when not caching */
    int retried;         /* the one retry was made */
    int ended;           /* the result was counted */
} rdss__connect;

/* The snapshot of `cfg` (NULL: defaults) for one connect of `engine`; the
 * deadline starts now. RDSS_ERR_INTERNAL when out of memory. Release with
 * rdss__connect_release, whatever the result. */
rdss_code rdss__connect_begin(rdss__connect *c, rdss_engine engine, const rdss_config *cfg,
                              rdss_error **err);

/* The whole trust: the caller's CA file when the connect names one (an
 * on-disk bundle, validated like any), else the config's. */
rdss_code rdss__connect_trust(rdss__connect *c, const rdss_config *cfg, const char *callers_ca_file,
                              rdss_error **err);

/* For a connect to one endpoint: the CA file comes from the root learned
 * for the endpoint, or for an RDS name from its region's roots, or, the
 * first time, from the anchor the probe finds (the probe's verdict is
 * returned: a connect that cannot succeed is typed without running the
 * driver). Without `may_probe` (an event loop must not wait on a
 * handshake of ours) the first time uses the whole trust and learns from
 * the driver's verified handshake. With `leaf`, the probe runs every time
 * and *leaf gets the verified leaf (a new reference). */
rdss_code rdss__connect_choose_anchor(rdss__connect *c, const rdss__endpoint *endpoint, X509 **leaf,
                                      int may_probe, rdss_error **err);

/* The CA file to give the driver now; NULL when it could not be created
 * (the adapter then fails: a driver without one trusts the system's CAs). */
const char *rdss__connect_ca_file(const rdss__connect *c);

/* For a driver that reads a CA directory (libmariadb), the one to give it
 * instead of the CA file, or NULL: the roots of an RDS name's region,
 * of which OpenSSL then decodes only the one that anchors the server
 * (trust/cadir.h). A cached anchor is one root already: its file. */
const char *rdss__connect_ca_dir(const rdss__connect *c);

/* After the driver connected over `ssl` to host:port, verifying
 * verify_name: expiry warnings, and the anchor remembered when the cache did
 * not know it. */
void rdss__connect_succeeded(rdss__connect *c, const char *host, int port, const char *verify_name,
                             const SSL *ssl);

/* What the driver says about its failed connect. */
typedef struct rdss__driver_facts {
    int timed_out;            /* the adapter's own watch fired (the deadline is checked too) */
    const char *host;         /* where it was connecting, for a timeout message */
    int port;
    const char *stage;        /* how far it got, or NULL */
    rdss_code server_code;    /* the verified server's answer, typed; RDSS_OK when none */
    const char *server_said;  /* that answer's code: "SQLSTATE 28P01", "MySQL error 1045" */
    rdss_error *known;        /* typed from the driver's facts alone (taken), or NULL */
    rdss_error *if_tls_verifies; /* the reading when the probe finds TLS fine (taken), or NULL */
    int may_retry;            /* the driver could connect again with another CA file */
    const char *driver_message;
} rdss__driver_facts;

/* Types a failed driver connect: the deadline, the verified server's
 * answer, what the driver knew, else the probe of each endpoint against the
 * whole trust. Returns NULL, and no error, in one case: the connect was
 * narrowed to a cached anchor (and the adapter allows a retry), yet the
 * probe verifies the server: a rotation. The cache entry is forgotten and
 * the driver should connect again with rdss__connect_ca_file(), now the
 * whole trust's. */
rdss_error *rdss__connect_failed(rdss__connect *c, const rdss__endpoint *endpoints, size_t count,
                                 rdss__driver_facts *facts);

/* The timeout error of this connect. */
rdss_error *rdss__connect_timeout(const rdss__connect *c, const char *host, int port, const char *stage);

/* Counts the connect's result, once. */
void rdss__connect_end(rdss__connect *c, const rdss_error *e);

void rdss__connect_release(rdss__connect *c);

#endif
