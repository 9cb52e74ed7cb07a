/*
 * librdssecure for PostgreSQL: libpq connections that are always TLS,
 * always verified against the RDS bundle (or the configured one), always
 * checked against the host name.
 *
 * Whatever the caller passes, these are enforced:
 *   sslmode=verify-full (allow, prefer, require and verify-ca are raised to
 *   it; disable is refused with RDSS_ERR_INSECURE_OPTION before any byte is
 *   sent), sslrootcert = the configured trust (a caller's sslrootcert is an
 *   on-disk bundle, validated), gssencmode=disable (GSSAPI encryption would
 *   replace TLS), ssl_min_protocol_version TLSv1.2 or the caller's newer one,
 *   SNI on. Every host is resolved by us within the deadline and pinned with
 *   hostaddr; Unix-domain sockets are refused (libpq ignores sslmode on
 *   them). PGSSLMODE, PGSSLROOTCERT, PGGSSENCMODE, PGREQUIRESSL,
 *   PGSSLMINPROTOCOLVERSION, service files and ~/.postgresql/root.crt cannot
 *   change any of this.
 */
#ifndef RDSSECURE_PG_H
#define RDSSECURE_PG_H

#include <libpq-fe.h>

#include <rdssecure/rdssecure.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Connects with a libpq conninfo string or a postgresql:// URI, within the
 * config's deadline (cfg NULL: the defaults). Returns a connected PGconn
 * usable with all of libpq (free it with PQfinish), or NULL with the typed
 * error in *err, the driver's own message kept as its detail.
 * Thread-safe: any number of threads may connect with one config. */
RDSS_API PGconn *rdss_pg_connect(const rdss_config *cfg, const char *conninfo, rdss_error **err);

/* The same, mirroring PQconnectdbParams (keywords/values NULL-terminated;
 * expand_dbname as in libpq). */
RDSS_API PGconn *rdss_pg_connect_params(const rdss_config *cfg, const char *const *keywords,
                                        const char *const *values, int expand_dbname,
                                        rdss_error **err);

/* Non-blocking, mirroring PQconnectStart/PQconnectPoll for event loops.
 * rdss_pg_connect_start checks and resolves (within the deadline) and starts
 * the connect; then wait on PQsocket(conn) for writing and call
 * rdss_pg_connect_poll whenever the socket is ready as the previous status
 * said (PGRES_POLLING_READING / _WRITING), or when
 * rdss_pg_connect_remaining_ms() has run out. Ask PQsocket(conn) again
 * before each wait: the socket can change (libpq moving to another host,
 * or the library connecting once more with the whole bundle after a
 * server changed roots). On PGRES_POLLING_FAILED *err holds the typed
 * error (timeout once the deadline has passed) and the caller still owns
 * conn (PQfinish it). */
RDSS_API PGconn *rdss_pg_connect_start(const rdss_config *cfg, const char *conninfo,
                                       rdss_error **err);
RDSS_API PostgresPollingStatusType rdss_pg_connect_poll(PGconn *conn, rdss_error **err);
/* Milliseconds left before the deadline of a connect begun with
 * rdss_pg_connect_start; -1 for a connection that was not. */
RDSS_API long rdss_pg_connect_remaining_ms(const PGconn *conn);

/* Drop-in forms with libpq's own signatures and the default config: change
 * PQconnectdb to rdss_PQconnectdb and nothing else. As with libpq, check
 * PQstatus(); on failure it is CONNECTION_BAD, and rdss_last_error() gives
 * the typed error. When libpq itself ran and failed (after TLS was verified:
 * a wrong password, an unknown database), the result is libpq's own failed
 * connection: PQconnectionNeedsPassword(), PQuser() and the rest answer as
 * libpq's would, and PQerrorMessage() is libpq's, in its verbose form (the
 * form the library reads SQLSTATEs in; libpq cannot rewrite a stored
 * message). When the library refused or typed the failure before libpq ran
 * (cert_verify, tls_refused, insecure_option, ...), the result is a
 * stand-in whose PQerrorMessage() carries the typed error in one line:
 *   invalid connection option "rdssecure: cert_verify: <message>"
 * (libpq has no call that sets a connection's message; the one failure it
 * reports with a text of ours verbatim is an unknown option's name, and it
 * sends nothing to report it). NULL only when out of memory, as with libpq. */
RDSS_API PGconn *rdss_PQconnectdb(const char *conninfo);
RDSS_API PGconn *rdss_PQconnectdbParams(const char *const *keywords, const char *const *values,
                                        int expand_dbname);

/* TLS facts of a connected PGconn (version, cipher, the server's
 * certificate), or RDSS_ERR_INVALID_ARGUMENT when it is not using TLS. */
RDSS_API rdss_code rdss_pg_tls_info(const PGconn *conn, rdss_tls_info **out, rdss_error **err);

/* The enforcement audit of a connected PGconn: rds.force_ssl when the
 * server has it (RDS), otherwise ssl and the pg_hba.conf rules when this user
 * may read pg_hba_file_rules (else "unknown", saying so); plus the session's
 * TLS from pg_stat_ssl. Runs a few read-only queries. */
RDSS_API rdss_code rdss_pg_audit(PGconn *conn, rdss_audit **out, rdss_error **err);

#ifdef __cplusplus
}
#endif

#endif /* RDSSECURE_PG_H */
