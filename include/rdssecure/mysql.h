/*
 * librdssecure for MySQL and MariaDB: libmariadb connections that are
 * always TLS, always verified against the RDS bundle (or the configured
 * one), always checked against the host name.
 *
 * Whatever the caller set on the MYSQL handle or asked libmariadb to read,
 * these are enforced: TLS required and verified against the configured
 * trust (MYSQL_OPT_SSL_CA and MYSQL_OPT_SSL_VERIFY_SERVER_CERT are set by
 * us; a caller's MYSQL_OPT_SSL_CA is an on-disk bundle, validated like any;
 * MYSQL_OPT_SSL_CAPATH is refused), TLS 1.2 or newer, TCP always
 * (`localhost` too; a Unix socket path or a non-TCP protocol is
 * RDSS_ERR_INSECURE_OPTION). Option files the caller asked for
 * (MYSQL_READ_DEFAULT_FILE / _GROUP) are read by librdssecure first and any
 * setting in them that would weaken TLS is RDSS_ERR_INSECURE_OPTION; the
 * rest is handed to libmariadb in a sealed copy. Nothing that carries
 * credentials is sent before the server's certificate and name are
 * verified. MARIADB_TLS_DISABLE_PEER_VERIFICATION in the environment is
 * RDSS_ERR_INSECURE_OPTION.
 *
 * Host lists ("a,b"), connection plugins ("aurora://") and
 * MARIADB_OPT_CONNECTION_HANDLER are RDSS_ERR_INVALID_ARGUMENT.
 * Automatic reconnect (MYSQL_OPT_RECONNECT) is turned off: reconnect
 * through these functions, so that every connection is verified.
 */
#ifndef RDSSECURE_MYSQL_H
#define RDSSECURE_MYSQL_H

#include <mysql.h>

#include <rdssecure/rdssecure.h>

#ifdef __cplusplus
extern "C" {
#endif

/* mysql_real_connect with a config (NULL: the defaults) and a typed error:
 * mysql comes from mysql_init() and may carry the caller's options; host
 * NULL or "" means the option's or option file's host, else "localhost";
 * port 0 means 3306 (or the option's). Returns mysql, connected, or NULL
 * with the typed error in *err (the driver's own message kept as detail);
 * the handle is then unconnected, as after a failed mysql_real_connect, and
 * the caller mysql_close()s it either way. The connect keeps to the
 * config's deadline (TCP, TLS and authentication together). Thread-safe
 * with one handle per thread. */
RDSS_API MYSQL *rdss_mysql_connect(const rdss_config *cfg, MYSQL *mysql, const char *host,
                                   const char *user, const char *passwd, const char *db,
                                   unsigned int port, const char *unix_socket,
                                   unsigned long client_flag, rdss_error **err);

/* The same from mysql://user:password@host:port/database?options (also
 * mariadb://): user, password and database percent-decoded, an IPv6 host in
 * brackets; options ssl-mode (REQUIRED, VERIFY_CA, VERIFY_IDENTITY accepted;
 * DISABLED, PREFERRED refused), ssl-ca (an on-disk bundle) and charset. */
RDSS_API MYSQL *rdss_mysql_connect_uri(const rdss_config *cfg, MYSQL *mysql, const char *uri,
                                       unsigned long client_flag, rdss_error **err);

/* The host (brackets removed, percent-decoded) and port (3306 when absent)
 * a mysql:// URI names, without connecting: for reports and logs. host is
 * NUL-terminated, truncated to host_size. RDSS_ERR_INVALID_ARGUMENT or
 * RDSS_ERR_INSECURE_OPTION as rdss_mysql_connect_uri would say. */
RDSS_API rdss_code rdss_mysql_uri_host_port(const char *uri, char *host, size_t host_size,
                                            unsigned int *port, rdss_error **err);

/* Drop-in with mysql_real_connect's own signature and the default config:
 * change mysql_real_connect to rdss_mysql_real_connect and nothing else.
 * On NULL, rdss_last_error() gives the typed error (and mysql_error() the
 * driver's message when the driver got that far). */
RDSS_API MYSQL *rdss_mysql_real_connect(MYSQL *mysql, const char *host, const char *user,
                                        const char *passwd, const char *db, unsigned int port,
                                        const char *unix_socket, unsigned long client_flag);

/* Non-blocking, mirroring mysql_real_connect_start/_cont for event loops.
 *
 *   rdss_mysql_attempt *a;
 *   int wait = rdss_mysql_connect_start(&a, cfg, mysql, host, ...);
 *   while (wait != 0) {
 *       ... wait until mysql_get_socket(mysql) is ready as `wait` says
 *       (MYSQL_WAIT_READ / MYSQL_WAIT_WRITE), or for at most
 *       rdss_mysql_connect_wait_ms(a) when it includes MYSQL_WAIT_TIMEOUT ...
 *       wait = rdss_mysql_connect_cont(a, what_happened);
 *   }
 *   MYSQL *connected = rdss_mysql_connect_result(a, &err);
 *   rdss_mysql_attempt_free(a);
 *
 * Start does its checks, resolves the name and, before it returns and
 * within the deadline, probes the server (one credential-free handshake)
 * when it has a verify-name, and on the first connect of the process to an
 * endpoint that is not named like an RDS endpoint (to learn its root; an
 * RDS name needs no probe): an event loop that must never block should
 * connect by RDS names, or make one blocking connect to each endpoint
 * first. The deadline is kept
 * by these functions: once it passes, cont returns 0 and the result is
 * RDSS_ERR_TIMEOUT. A failed start returns 0 too, with the error in the
 * result; *attempt is NULL only when out of memory or attempt is NULL. */
typedef struct rdss_mysql_attempt rdss_mysql_attempt;

RDSS_API int rdss_mysql_connect_start(rdss_mysql_attempt **attempt, const rdss_config *cfg,
                                      MYSQL *mysql, const char *host, const char *user,
                                      const char *passwd, const char *db, unsigned int port,
                                      const char *unix_socket, unsigned long client_flag);
RDSS_API int rdss_mysql_connect_cont(rdss_mysql_attempt *attempt, int ready_status);
/* How long the loop may wait before calling cont with MYSQL_WAIT_TIMEOUT:
 * the driver's own timeout or what is left of the deadline, if shorter. */
RDSS_API long rdss_mysql_connect_wait_ms(const rdss_mysql_attempt *attempt);
/* Once cont (or start) returned 0: the connected MYSQL, or NULL with the
 * typed error handed over in *err (once). */
RDSS_API MYSQL *rdss_mysql_connect_result(rdss_mysql_attempt *attempt, rdss_error **err);
RDSS_API void rdss_mysql_attempt_free(rdss_mysql_attempt *attempt);

/* TLS facts of a connected MYSQL (version, cipher, the server's
 * certificate), or RDSS_ERR_INVALID_ARGUMENT when it is not using TLS. */
RDSS_API rdss_code rdss_mysql_tls_info(MYSQL *mysql, rdss_tls_info **out, rdss_error **err);

/* The enforcement audit of a connected MYSQL: require_secure_transport
 * (MySQL 5.7+, MariaDB 10.5.2+; else "unknown"), plus the session's
 * Ssl_version and Ssl_cipher. Runs a few read-only queries. */
RDSS_API rdss_code rdss_mysql_audit(MYSQL *mysql, rdss_audit **out, rdss_error **err);

#ifdef __cplusplus
}
#endif

#endif /* RDSSECURE_MYSQL_H */
