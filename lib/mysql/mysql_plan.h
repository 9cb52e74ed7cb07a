/* The MySQL adapter's policy: what a caller asked for (arguments, options
 * already set on the MYSQL handle, option files), checked against what
 * librdssecure enforces, and the options that enforce it. */
#ifndef RDSS__LIB_MYSQL_PLAN_H
#define RDSS__LIB_MYSQL_PLAN_H

#include <mysql.h>

#include "connect/connect.h"
#include "rdssecure/rdssecure.h"
#include "trust/cafile.h"

typedef struct rdss__mysql_plan {
    char *host;          /* what libmariadb connects to */
    unsigned port;
    char *verify_name;   /* what the certificate must name */
    int pinned;          /* verify_name is not host: see rdss__mysql_plan_apply */
    rdss__ca_file option_file; /* the sanitized option file; path NULL when none */
    int caller_tls_version; /* the caller set an acceptable one: keep it */
    char *callers_ca, *callers_file, *callers_group; /* as the caller left the handle */
    int applied;            /* rdss__mysql_plan_apply changed the handle */
} rdss__mysql_plan;

/* Refuses what would weaken TLS (RDSS_ERR_INSECURE_OPTION: a Unix socket
 * path, a non-TCP protocol, MYSQL_OPT_SSL_CAPATH, a weak cipher list or TLS
 * version, option-file downgrades, MARIADB_TLS_DISABLE_PEER_VERIFICATION)
 * and what it cannot honour (RDSS_ERR_INVALID_ARGUMENT: host lists,
 * connection plugins, a caller's fingerprint together with a verify-name),
 * then settles host, port and the connect's trust (the caller's CA file,
 * else the config's: rdss__connect_trust). Sends nothing. */
rdss_code rdss__mysql_plan_make(MYSQL *mysql, rdss__connect *c, const rdss_config *cfg, const char *host,
                                unsigned port, const char *unix_socket, rdss__mysql_plan *plan,
                                rdss_error **err);

/* Gives libmariadb the connect's trust: its CA directory when it has one
 * (rdss__connect_ca_dir; MYSQL_OPT_SSL_CA unset), else its CA file
 * (MYSQL_OPT_SSL_CAPATH unset). 0 when neither could be made, or
 * libmariadb refused. */
int rdss__mysql_plan_set_trust(MYSQL *mysql, const rdss__connect *c);

/* Sets the enforcing options on the handle: the trust
 * (rdss__mysql_plan_set_trust), TLS
 * required and verified, TLS 1.2 or newer, TCP, the sanitized option file,
 * non-blocking mode, no automatic reconnect (it would reuse a CA file path
 * that is released after the connect). Without a verify-name libmariadb checks the host name
 * itself; with one (pinned), the name was verified by the probe and
 * `fingerprint` (SHA-1 hex of that verified leaf) makes libmariadb accept
 * only that certificate, still chained to the trust, on the connection
 * that carries the credentials. */
rdss_code rdss__mysql_plan_apply(rdss__mysql_plan *plan, MYSQL *mysql, const rdss__connect *c,
                                 const char *fingerprint, rdss_error **err);

/* Puts back the handle options rdss__mysql_plan_apply replaced (CA file,
 * option file and group), once the driver is done with them: a handle
 * whose connect failed can be used again as the caller left it. A
 * connected handle whose caller set no CA file keeps one nothing can open:
 * libmariadb's own reconnect then fails rather than trust other CAs. */
void rdss__mysql_plan_restore(const rdss__mysql_plan *plan, MYSQL *mysql, int connected);

void rdss__mysql_plan_free(rdss__mysql_plan *plan);

#endif
