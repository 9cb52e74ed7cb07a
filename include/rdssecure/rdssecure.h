/*
 * librdssecure: verified TLS to Amazon RDS, or a typed error saying why not.
 *
 * This header needs no database driver header: FFI users and users of the
 * bundle tools include only this file. The engine adapters live in
 * <rdssecure/pg.h> and <rdssecure/mysql.h>.
 *
 * Conventions, for every function below:
 * - Objects are opaque and created/freed by the library (FFI-friendly: plain
 *   C types and pointers only, no struct passed by value).
 * - A function that can fail returns an rdss_code and takes a last argument
 *   `rdss_error **err`. On failure, when err is not NULL, *err receives an
 *   error object the caller frees with rdss_error_free(); on success *err is
 *   set to NULL. Passing NULL for err is allowed: the code alone is returned.
 * - A NULL or malformed argument gives RDSS_ERR_INVALID_ARGUMENT, never a
 *   crash.
 * - Strings returned by accessors are owned by the object they came from and
 *   live as long as it does.
 */
#ifndef RDSSECURE_RDSSECURE_H
#define RDSSECURE_RDSSECURE_H

#include <stddef.h>
#include <stdint.h>

#if defined(RDSS_BUILDING_LIBRARY) && defined(__GNUC__)
#define RDSS_API __attribute__((visibility("default")))
#else
#define RDSS_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Typed errors. Append-only: a value never changes meaning or number.
 * The stable lower-case name of each is given by rdss_error_name().
 * ------------------------------------------------------------------------ */
typedef enum rdss_code {
    RDSS_OK = 0,                    /* "ok" */
    RDSS_ERR_CERT_VERIFY = 1,       /* "cert_verify": chain does not verify against the bundle */
    RDSS_ERR_HOSTNAME_MISMATCH = 2, /* "hostname_mismatch": chain fine, name not covered */
    RDSS_ERR_TLS_REFUSED = 3,       /* "tls_refused": server refused or does not offer TLS */
    RDSS_ERR_TIMEOUT = 4,           /* "timeout": the caller's deadline passed */
    RDSS_ERR_AUTH = 5,              /* "auth": TLS verified, credentials rejected */
    RDSS_ERR_NETWORK = 6,           /* "network": resolution, refused, unreachable, reset */
    RDSS_ERR_INSECURE_OPTION = 7,   /* "insecure_option": a request to weaken TLS; nothing sent */
    RDSS_ERR_BUNDLE = 8,            /* "bundle": CA bundle missing, unreadable, malformed... */
    RDSS_ERR_INVALID_ARGUMENT = 9,  /* "invalid_argument": NULL or malformed argument */
    RDSS_ERR_SERVER = 10,           /* "server": TLS verified, server failed otherwise */
    RDSS_ERR_INTERNAL = 11          /* "internal": out of memory, unexpected failure */
} rdss_code;

/* The highest value of rdss_code; codes run from RDSS_OK to this. */
#define RDSS_CODE_MAX RDSS_ERR_INTERNAL

/* The stable name of a code ("ok", "cert_verify", ...), as in the public
 * contract. Out-of-range values give "unknown". Static string; thread-safe. */
RDSS_API const char *rdss_error_name(int code);

/* A one-line English description of a code, for people (may change between
 * releases; programs compare codes or names). Static string; thread-safe. */
RDSS_API const char *rdss_strerror(int code);

/* The code whose name is `name`, or -1 when no code has that name. */
RDSS_API int rdss_code_from_name(const char *name);

/* ------------------------------------------------------------------------
 * Error objects
 * ------------------------------------------------------------------------ */
typedef struct rdss_error rdss_error;

/* The typed code. NULL (no error) gives RDSS_OK. */
RDSS_API rdss_code rdss_error_code(const rdss_error *err);

/* One line for a person: what went wrong and, where known, what to do.
 * Never NULL for a non-NULL err; "" for NULL. */
RDSS_API const char *rdss_error_message(const rdss_error *err);

/* The database driver's or TLS library's own message, kept as detail;
 * NULL when there is none. Its text and language are the driver's. */
RDSS_API const char *rdss_error_driver_message(const rdss_error *err);

/* The certificate the error is about (the peer's, or a bundle entry's), as
 * RFC 2253 subject, RFC 2253 issuer and ISO 8601 UTC not-after time;
 * each NULL when the error concerns no certificate. */
RDSS_API const char *rdss_error_cert_subject(const rdss_error *err);
RDSS_API const char *rdss_error_cert_issuer(const rdss_error *err);
RDSS_API const char *rdss_error_cert_not_after(const rdss_error *err);
/* The earliest expiry (ISO 8601 UTC) of the chain the server presented, when
 * the TLS handshake got that far: the date a rotation has to beat. */
RDSS_API const char *rdss_error_chain_not_after(const rdss_error *err);

/* Frees an error object. NULL is allowed. */
RDSS_API void rdss_error_free(rdss_error *err);

/* The typed error of the calling thread's last drop-in connect
 * (rdss_PQconnectdb, ...): NULL when it succeeded. Owned by the library,
 * valid until that thread's next drop-in call. */
RDSS_API const rdss_error *rdss_last_error(void);

/* ------------------------------------------------------------------------
 * TLS facts of an established connection (rdss_pg_tls_info(), ...)
 * ------------------------------------------------------------------------ */
typedef struct rdss_tls_info rdss_tls_info;

/* "TLSv1.3", "TLS_AES_256_GCM_SHA384", the server certificate's RFC 2253
 * subject and issuer and ISO 8601 not-after; NULL when unknown. */
RDSS_API const char *rdss_tls_info_version(const rdss_tls_info *info);
RDSS_API const char *rdss_tls_info_cipher(const rdss_tls_info *info);
RDSS_API const char *rdss_tls_info_peer_subject(const rdss_tls_info *info);
RDSS_API const char *rdss_tls_info_peer_issuer(const rdss_tls_info *info);
RDSS_API const char *rdss_tls_info_peer_not_after(const rdss_tls_info *info);
/* The earliest not_after (ISO 8601) of the whole chain the server presented. */
RDSS_API const char *rdss_tls_info_chain_not_after(const rdss_tls_info *info);
RDSS_API void rdss_tls_info_free(rdss_tls_info *info);

/* ------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------ */
#define RDSSECURE_VERSION_MAJOR 0
#define RDSSECURE_VERSION_MINOR 1
#define RDSSECURE_VERSION_PATCH 0

/* "MAJOR.MINOR.PATCH" of the library actually linked. Static string. */
RDSS_API const char *rdss_version(void);

/* (MAJOR << 16) | (MINOR << 8) | PATCH of the library actually linked. */
RDSS_API unsigned int rdss_version_number(void);

/* ------------------------------------------------------------------------
 * Configuration
 *
 * A config holds the trust source and the connect settings. Defaults: the
 * trust is the bundle named by the environment variable RDSSECURE_CA_BUNDLE
 * when set (read once, at the first connect that needs it), otherwise the RDS
 * bundle embedded in the library; deadline RDSS_DEFAULT_TIMEOUT_MS; no
 * verify-name.
 *
 * Thread safety: setters must not run concurrently with any other use of the
 * same config. Once set up, one config may be used by any number of threads
 * at once for connects and getters.
 * ------------------------------------------------------------------------ */
typedef struct rdss_config rdss_config;

#define RDSS_DEFAULT_TIMEOUT_MS 15000
#define RDSS_MAX_TIMEOUT_MS 3600000

/* A new config with the defaults above. NULL only when out of memory.
 * Free with rdss_config_free(). */
RDSS_API rdss_config *rdss_config_new(void);

/* Frees a config. NULL is allowed. Connections already made are unaffected. */
RDSS_API void rdss_config_free(rdss_config *cfg);

/* Trust the on-disk PEM bundle at `path` instead of the embedded one.
 * The file is read and validated now, once: it must exist, be readable, not
 * be writable by group or others, not be empty, hold PEM certificates that
 * all parse and are all CA certificates, at least one of them not expired.
 * Otherwise RDSS_ERR_BUNDLE, with the path and the reason in the message.
 * To follow a rotated bundle, call again (or make a new config). */
RDSS_API rdss_code rdss_config_set_bundle_file(rdss_config *cfg, const char *path,
                                               rdss_error **err);

/* Trust `len` bytes of PEM in memory, validated as for a file. The bytes are
 * copied; the caller keeps ownership of `pem`. */
RDSS_API rdss_code rdss_config_set_bundle_pem(rdss_config *cfg, const char *pem, size_t len,
                                              rdss_error **err);

/* Trust the embedded RDS bundle, whatever RDSSECURE_CA_BUNDLE says. */
RDSS_API rdss_code rdss_config_use_embedded_bundle(rdss_config *cfg, rdss_error **err);

/* Trust the CAs in this PEM file or memory in addition to the bundle (for
 * example a corporate TLS-inspecting proxy's root, or the RDS Proxy roots).
 * Validated as a bundle is. May be called more than once; the extras stay
 * when the bundle is changed afterwards. */
RDSS_API rdss_code rdss_config_add_extra_ca_file(rdss_config *cfg, const char *path,
                                                 rdss_error **err);
RDSS_API rdss_code rdss_config_add_extra_ca_pem(rdss_config *cfg, const char *pem, size_t len,
                                                rdss_error **err);

/* Trust the roots RDS Proxy endpoints chain to (Amazon Root CA 1-4, Starfield
 * Services Root Certificate Authority - G2; embedded, see `rdssecure bundle
 * list --proxy`) in addition to the bundle, as an extra. Opt-in: they are
 * public web roots, trusted for every name, so only programs that connect
 * through RDS Proxy should add them. */
RDSS_API rdss_code rdss_config_add_rds_proxy_roots(rdss_config *cfg, rdss_error **err);

/* The deadline of a whole connect (TCP connect, TLS handshake and
 * authentication), in milliseconds, 1 to RDSS_MAX_TIMEOUT_MS. */
RDSS_API rdss_code rdss_config_set_timeout_ms(rdss_config *cfg, long timeout_ms,
                                              rdss_error **err);
RDSS_API long rdss_config_timeout_ms(const rdss_config *cfg);

/* Verify the server certificate against `name` instead of the host connected
 * to (for tunnels: connect to 127.0.0.1:6432, verify the RDS endpoint name).
 * `name` is a DNS name (no wildcard) or an IP address literal; NULL clears it.
 * The name check is never skipped, only retargeted. The string is copied. */
RDSS_API rdss_code rdss_config_set_verify_name(rdss_config *cfg, const char *name,
                                               rdss_error **err);
/* The verify-name, or NULL when none is set. */
RDSS_API const char *rdss_config_verify_name(const rdss_config *cfg);

/* Certificate expiry warnings. A connect whose presented chain expires
 * within `days` (default RDSS_DEFAULT_WARNING_DAYS; 0 turns warnings off)
 * calls `log` (when not NULL) once per process per endpoint (host:port),
 * from the connecting thread, with a one-line message; probes report the
 * same horizon as rdss_probe_report_expiry_warning(). */
#define RDSS_DEFAULT_WARNING_DAYS 30
typedef void (*rdss_log_fn)(void *user, const char *message);
RDSS_API rdss_code rdss_config_set_expiry_warning(rdss_config *cfg, long days, rdss_log_fn log,
                                                  void *user, rdss_error **err);
RDSS_API long rdss_config_expiry_warning_days(const rdss_config *cfg);

/* Resolves the trust this config will give the drivers (loading the
 * embedded bundle or RDSSECURE_CA_BUNDLE if that has not happened yet in this
 * process) and checks it in full, so that a bad bundle is reported before
 * the first connect: also the checks that depend on the clock (a bundle
 * whose certificates are all expired or not yet valid is a bundle error),
 * which the embedded edition and files of a known edition otherwise pass
 * on to the connect (there as cert_verify). Optional: connects do what
 * they need themselves. */
RDSS_API rdss_code rdss_config_check_trust(rdss_config *cfg, rdss_error **err);

/* A description of the trust source: "default" (RDSSECURE_CA_BUNDLE or the
 * embedded bundle, decided at first use), "embedded", "memory", or the path
 * of the on-disk bundle; followed by " + N extra" when extra CAs were added.
 * Owned by the config, valid until its next setter call or its free. */
RDSS_API const char *rdss_config_trust_source(const rdss_config *cfg);

/* ------------------------------------------------------------------------
 * Bundle inspection (what `rdssecure bundle list|verify` uses)
 *
 * An inspected bundle lists every certificate block of a PEM source with its
 * details and its own verdict, instead of failing on the first bad one as
 * trust loading does. Read-only once opened: safe to share between threads.
 * ------------------------------------------------------------------------ */
typedef struct rdss_bundle rdss_bundle;

/* Which embedded set to open. */
typedef enum rdss_embedded_set {
    RDSS_EMBEDDED_RDS_ROOTS = 0,  /* the RDS regional roots: the default trust */
    RDSS_EMBEDDED_PROXY_ROOTS = 1 /* the roots RDS Proxy endpoints chain to */
} rdss_embedded_set;

/* Opens an embedded set. */
RDSS_API rdss_code rdss_bundle_open_embedded(int which, rdss_bundle **out, rdss_error **err);

/* Opens an on-disk PEM file. Fails with RDSS_ERR_BUNDLE when the file is
 * missing, unreadable, writable by group or others, empty, larger than
 * 16 MiB or holds no PEM certificate block; bad entries do not fail it. */
RDSS_API rdss_code rdss_bundle_open_file(const char *path, rdss_bundle **out, rdss_error **err);

/* Opens `len` bytes of PEM in memory (copied). */
RDSS_API rdss_code rdss_bundle_open_pem(const char *pem, size_t len, rdss_bundle **out,
                                        rdss_error **err);

/* Frees a bundle. NULL is allowed. */
RDSS_API void rdss_bundle_free(rdss_bundle *bundle);

/* "embedded", "embedded-proxy", "memory" or the file's path. */
RDSS_API const char *rdss_bundle_source(const rdss_bundle *bundle);

/* The SHA-256 of the bundle's bytes as read, 64 lower-case hex digits; NULL
 * for NULL. Compare it with the hash AWS publishes for an edition. */
RDSS_API const char *rdss_bundle_sha256(const rdss_bundle *bundle);

/* The edition of the official RDS global bundle this is ("2026-09"): the
 * embedded edition for RDSS_EMBEDDED_RDS_ROOTS, and for a file or memory the
 * known edition with the same SHA-256. NULL when it is no edition the library
 * knows (a newer one, an edited copy, the RDS Proxy roots). */
RDSS_API const char *rdss_bundle_edition(const rdss_bundle *bundle);

/* The edition of the official RDS global bundle the library embeds as its
 * default trust: its date ("2026-09") and the SHA-256 of the file AWS
 * published for it (64 lower-case hex digits). Static strings. */
RDSS_API const char *rdss_embedded_edition(void);
RDSS_API const char *rdss_embedded_edition_sha256(void);

/* Number of certificate blocks, good or bad. 0 for NULL. */
RDSS_API size_t rdss_bundle_count(const rdss_bundle *bundle);

/* Details of entry `index` (0-based). Each returns NULL when bundle is NULL,
 * index is out of range, or the entry did not parse. Times are ISO 8601 UTC
 * ("2061-05-25T23:34:57Z"); the fingerprint is the SHA-256 of the DER
 * encoding, 64 lower-case hex digits. */
RDSS_API const char *rdss_bundle_entry_subject_cn(const rdss_bundle *bundle, size_t index);
RDSS_API const char *rdss_bundle_entry_subject(const rdss_bundle *bundle, size_t index);
RDSS_API const char *rdss_bundle_entry_issuer(const rdss_bundle *bundle, size_t index);
RDSS_API const char *rdss_bundle_entry_sha256(const rdss_bundle *bundle, size_t index);
RDSS_API const char *rdss_bundle_entry_not_before(const rdss_bundle *bundle, size_t index);
RDSS_API const char *rdss_bundle_entry_not_after(const rdss_bundle *bundle, size_t index);
/* The AWS region the subject CN names ("us-east-1"), or NULL when none. */
RDSS_API const char *rdss_bundle_entry_region(const rdss_bundle *bundle, size_t index);
/* What the subject CN says between "Amazon RDS" and the region: "Beta" or
 * "Preview" for the roots of those RDS stages; NULL for a production root. */
RDSS_API const char *rdss_bundle_entry_stage(const rdss_bundle *bundle, size_t index);
/* The key, such as "RSA2048", "RSA4096", "ECC384"; NULL if it did not parse. */
RDSS_API const char *rdss_bundle_entry_key_type(const rdss_bundle *bundle, size_t index);
/* not_after as seconds since the Unix epoch; 0 when unavailable. */
RDSS_API int64_t rdss_bundle_entry_not_after_unix(const rdss_bundle *bundle, size_t index);
/* The 1-based line of the file where the entry's BEGIN line stands. */
RDSS_API size_t rdss_bundle_entry_line(const rdss_bundle *bundle, size_t index);

/* The verdict on entry `index` as a trust anchor, at the current time:
 * NULL when it is good (parses, is a CA, is self-signed with a valid
 * signature, is within its validity period), otherwise a short reason such
 * as "expired", "not yet valid", "not a CA certificate", "not self-signed",
 * "malformed PEM block". Static string. */
RDSS_API const char *rdss_bundle_entry_problem(const rdss_bundle *bundle, size_t index);

/* ------------------------------------------------------------------------
 * Counters for monitoring: per process, every connect (PostgreSQL and MySQL,
 * all forms) that reached a result, and how many ended in each typed error
 * (RDSS_OK: connected). Thread-safe; a burst of cert_verify after a CA
 * rotation is the signal to watch. Probes (rdss_probe) are not connects
 * and are not counted. A child process after fork() starts from zero: each
 * process counts its own connects.
 * ------------------------------------------------------------------------ */
RDSS_API unsigned long long rdss_stats_attempts(void);
RDSS_API unsigned long long rdss_stats_results(int code);
RDSS_API void rdss_stats_reset(void);

/* ------------------------------------------------------------------------
 * Process-wide state. The library builds what it shares between connects
 * on first use and releases it at exit by itself: the embedded and default
 * trusts, the anchor cache and its in-memory CA files, the list of
 * endpoints already warned about (warnings come again after a clean-up),
 * an empty CA file, the probe's socket method, the watchdog thread.
 * rdss_global_cleanup() releases all of that now, for a program that
 * checks for leaks before exit, and frees the calling thread's
 * rdss_last_error() (a pointer to it is then invalid). It keeps the
 * counters, and leaves OpenSSL's, libpq's and libmariadb's own global
 * state to them. Idempotent; the library stays usable afterwards and
 * builds again what it needs (reading RDSSECURE_CA_BUNDLE again). Call it
 * only while no other thread uses the library and no connection it made is
 * open (libpq's PQreset re-reads files the library gave it). The library
 * stays loaded after dlclose() (it is linked with -z nodelete): libmariadb
 * keeps a callback into it for the life of the process.
 *
 * After fork(), the child keeps the anchor cache and its sealed
 * in-memory CA files (inherited descriptors, read only), the trusts and
 * the expiry warnings already given; it starts its own counters from zero
 * and its own watchdog thread when it needs one. A connect in progress in
 * another thread of the parent does not exist in the child.
 * ------------------------------------------------------------------------ */
RDSS_API void rdss_global_cleanup(void);

/* ------------------------------------------------------------------------
 * Enforcement audit (rdss_pg_audit(), rdss_mysql_audit()): over a verified
 * connection, does the server itself refuse clients without TLS?
 * ------------------------------------------------------------------------ */
typedef struct rdss_audit rdss_audit;

/* "yes" (plaintext clients are refused), "no" (they are accepted) or
 * "unknown" (the server does not say; see the reason). */
RDSS_API const char *rdss_audit_enforced(const rdss_audit *audit);
/* What that was decided from, e.g. "rds.force_ssl = 1",
 * "require_secure_transport = OFF", "pg_hba.conf line 3: host all all
 * 0.0.0.0/0 scram-sha-256". */
RDSS_API const char *rdss_audit_evidence(const rdss_audit *audit);
/* Why it is unknown, or what to turn on when it is "no"; NULL for "yes". */
RDSS_API const char *rdss_audit_reason(const rdss_audit *audit);
/* The session's TLS as the server reports it (pg_stat_ssl, Ssl_version and
 * Ssl_cipher). */
RDSS_API const char *rdss_audit_server_tls_version(const rdss_audit *audit);
RDSS_API const char *rdss_audit_server_cipher(const rdss_audit *audit);
RDSS_API void rdss_audit_free(rdss_audit *audit);

/* ------------------------------------------------------------------------
 * Probe: the engine's pre-TLS step, the TLS handshake and verification with
 * no credentials, then close. "Will this still connect after a rotation?"
 * ------------------------------------------------------------------------ */
typedef enum rdss_engine { RDSS_ENGINE_PG = 0, RDSS_ENGINE_MYSQL = 1 } rdss_engine;

typedef struct rdss_probe_report rdss_probe_report;

/* Probes host:port (port 0: 5432 or 3306) with the config's trust, deadline
 * and verify-name (cfg NULL: the defaults). Returns the typed verdict, as a
 * connect would type it (never auth or server: nothing is sent that could
 * be refused), with the error in *err. *report (free it with
 * rdss_probe_report_free) holds what was seen, whatever the verdict; NULL
 * only for RDSS_ERR_INVALID_ARGUMENT or out of memory. */
RDSS_API rdss_code rdss_probe(const rdss_config *cfg, rdss_engine engine, const char *host,
                              int port, rdss_probe_report **report, rdss_error **err);

RDSS_API rdss_code rdss_probe_report_code(const rdss_probe_report *report);
RDSS_API const char *rdss_probe_report_host(const rdss_probe_report *report);
RDSS_API int rdss_probe_report_port(const rdss_probe_report *report);
/* The name the certificate was checked against (verify-name or host). */
RDSS_API const char *rdss_probe_report_verify_name(const rdss_probe_report *report);
/* NULL when the handshake did not complete. */
RDSS_API const char *rdss_probe_report_tls_version(const rdss_probe_report *report);
RDSS_API const char *rdss_probe_report_cipher(const rdss_probe_report *report);
/* The certificates the server presented, leaf first (0 when none). */
RDSS_API size_t rdss_probe_report_chain_length(const rdss_probe_report *report);
RDSS_API const char *rdss_probe_report_cert_subject(const rdss_probe_report *report, size_t index);
RDSS_API const char *rdss_probe_report_cert_issuer(const rdss_probe_report *report, size_t index);
RDSS_API const char *rdss_probe_report_cert_not_before(const rdss_probe_report *report, size_t index);
RDSS_API const char *rdss_probe_report_cert_not_after(const rdss_probe_report *report, size_t index);
RDSS_API const char *rdss_probe_report_cert_sha256(const rdss_probe_report *report, size_t index);
/* The leaf's subject alternative names ("DNS:..." and "IP:..."). */
RDSS_API size_t rdss_probe_report_leaf_san_count(const rdss_probe_report *report);
RDSS_API const char *rdss_probe_report_leaf_san(const rdss_probe_report *report, size_t index);
/* The trusted root that anchored the chain (NULL when it did not verify),
 * its not_after, and its family: "rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1",
 * "rds-ca-ecc384-g1", "rds-proxy-amazon-root" or "not-rds". */
RDSS_API const char *rdss_probe_report_anchor_subject(const rdss_probe_report *report);
RDSS_API const char *rdss_probe_report_anchor_not_after(const rdss_probe_report *report);
RDSS_API const char *rdss_probe_report_anchor_family(const rdss_probe_report *report);
/* 1 the certificate covers the name, 0 it does not, -1 not checked (the
 * chain did not verify, or no handshake). */
RDSS_API int rdss_probe_report_hostname_verified(const rdss_probe_report *report);
/* The earliest not_after among the presented chain and its anchor, and the
 * days from now until then, counting a started day (a certificate expiring
 * in 9 days and 1 hour: 10; negative once passed); NULL and
 * RDSS_DAYS_UNKNOWN without a handshake. */
#define RDSS_DAYS_UNKNOWN (-2147483647L - 1)
RDSS_API const char *rdss_probe_report_earliest_not_after(const rdss_probe_report *report);
RDSS_API long rdss_probe_report_days_until_expiry(const rdss_probe_report *report);
/* 1 when that is within the config's warning horizon (or already passed). */
RDSS_API int rdss_probe_report_expiry_warning(const rdss_probe_report *report);
RDSS_API void rdss_probe_report_free(rdss_probe_report *report);

#ifdef __cplusplus
}
#endif

#endif /* RDSSECURE_RDSSECURE_H */
