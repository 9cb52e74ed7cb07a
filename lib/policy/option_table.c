#include "policy/option_table.h"

#include <string.h>
#include <strings.h>

#define ALLOWED RDSS__OPTION_ALLOWED
#define CHECKED RDSS__OPTION_CHECKED
#define FORCED RDSS__OPTION_FORCED
#define REFUSED RDSS__OPTION_REFUSED

/* Reasons shared by several entries. */
#define HARMLESS "it does not touch TLS, trust, files the driver trusts, or where it connects"
#define CRL_WHY                                                                                    \
    "the drivers load a CRL file with X509_STORE_load_locations, which also trusts every "       \
    "certificate in it; librdssecure loads no revocation lists (RDS chains carry none)"
#define TCP_ONLY "only TCP carries TLS: librdssecure always connects over TCP"

/* libpq 15's keywords (PQconndefaults). Options the library forces are set
 * explicitly on every connect, which beats libpq's own fallbacks (the
 * environment, service files, ~/.postgresql/); refused ones are refused in
 * the conninfo and in their environment variable alike. */
static const rdss__option libpq_options[] = {
    {"service", "PGSERVICE", ALLOWED,
     "a service file supplies only options left unset; everything below that is forced is set"},
    {"user", "PGUSER", ALLOWED, HARMLESS},
    {"password", "PGPASSWORD", ALLOWED, "sent only after the server is verified"},
    {"passfile", "PGPASSFILE", ALLOWED, "libpq reads it only when it is a regular file"},
    {"channel_binding", "PGCHANNELBINDING", ALLOWED, "an extra check on top of TLS"},
    {"connect_timeout", "PGCONNECT_TIMEOUT", ALLOWED, "the library's deadline bounds the connect"},
    {"dbname", "PGDATABASE", ALLOWED, HARMLESS},
    {"host", "PGHOST", FORCED,
     "resolved by the library within the deadline and pinned; a socket path is refused"},
    {"hostaddr", "PGHOSTADDR", FORCED, "pinned to the address the library resolved"},
    {"port", "PGPORT", FORCED, "pinned with the address"},
    {"client_encoding", "PGCLIENTENCODING", ALLOWED, HARMLESS},
    {"options", "PGOPTIONS", ALLOWED, "server settings, sent after TLS is verified"},
    {"application_name", "PGAPPNAME", ALLOWED, HARMLESS},
    {"fallback_application_name", NULL, ALLOWED, HARMLESS},
    {"keepalives", NULL, ALLOWED, HARMLESS},
    {"keepalives_idle", NULL, ALLOWED, HARMLESS},
    {"keepalives_interval", NULL, ALLOWED, HARMLESS},
    {"keepalives_count", NULL, ALLOWED, HARMLESS},
    {"tcp_user_timeout", NULL, ALLOWED, HARMLESS},
    {"sslmode", "PGSSLMODE", FORCED,
     "always verify-full; disable is refused, the weaker modes are raised"},
    {"sslcompression", "PGSSLCOMPRESSION", FORCED,
     "always 0: TLS compression leaks secrets (CRIME); 1 is refused"},
    {"sslcert", "PGSSLCERT", CHECKED, "a client certificate; it must be a regular file"},
    {"sslkey", "PGSSLKEY", CHECKED, "a client key; it must be a regular file"},
    {"sslpassword", NULL, ALLOWED, "the client key's passphrase"},
    {"sslrootcert", "PGSSLROOTCERT", FORCED,
     "always the library's CA file; a conninfo value is validated as the bundle to trust, "
     "the environment and service files are ignored"},
    {"sslcrl", "PGSSLCRL", REFUSED, CRL_WHY},
    {"sslcrldir", "PGSSLCRLDIR", REFUSED, CRL_WHY},
    {"sslsni", "PGSSLSNI", FORCED, "always 1: RDS proxies route by the server name"},
    {"requirepeer", "PGREQUIREPEER", ALLOWED, "applies to Unix-domain sockets, which are refused"},
    {"ssl_min_protocol_version", "PGSSLMINPROTOCOLVERSION", FORCED,
     "TLSv1.2 unless the caller asks for TLSv1.3; older versions are refused"},
    {"ssl_max_protocol_version", "PGSSLMAXPROTOCOLVERSION", CHECKED,
     "versions older than TLSv1.2 are refused"},
    {"gssencmode", "PGGSSENCMODE", FORCED,
     "always disable: GSSAPI encryption would replace TLS; require is refused"},
    {"krbsrvname", "PGKRBSRVNAME", ALLOWED, "Kerberos authentication, after TLS"},
    {"gsslib", "PGGSSLIB", ALLOWED, "Kerberos authentication, after TLS"},
    {"replication", NULL, ALLOWED, HARMLESS},
    {"target_session_attrs", "PGTARGETSESSIONATTRS", ALLOWED, HARMLESS},
};

#define OTHER_TRUST                                                                                \
    "it would replace or widen the configured trust (name an on-disk bundle with "              \
    "rdss_config_set_bundle_file or --bundle instead)"
#define VERIFY_STAYS_ON "it would turn off the server certificate check"

/* libmariadb 3.3's option-file keys (mariadb_defaults[] in mariadb_lib.c,
 * '_' read as '-'), then the MySQL client programs' TLS switches, which
 * libmariadb ignores but whose intent (plaintext) is refused. The library
 * reads the files itself and hands libmariadb a copy with ALLOWED and
 * passing CHECKED keys only; keys in no table are left out of that copy. */
static const rdss__option mariadb_file_options[] = {
    {"port", NULL, ALLOWED, HARMLESS},
    {"socket", NULL, FORCED, TCP_ONLY},
    {"compress", NULL, ALLOWED, HARMLESS},
    {"password", NULL, ALLOWED, "sent only after the server is verified"},
    {"pipe", NULL, FORCED, TCP_ONLY},
    {"timeout", NULL, ALLOWED, "the library's deadline bounds the connect"},
    {"user", NULL, ALLOWED, HARMLESS},
    {"init-command", NULL, ALLOWED, "runs after the login, over verified TLS"},
    {"host", NULL, CHECKED, "a socket path or a host list is refused"},
    {"database", NULL, ALLOWED, HARMLESS},
    {"debug", NULL, ALLOWED, HARMLESS},
    {"return-found-rows", NULL, ALLOWED, HARMLESS},
    {"ssl-key", NULL, ALLOWED, "a client key"},
    {"ssl-cert", NULL, ALLOWED, "a client certificate"},
    {"ssl-ca", NULL, REFUSED, OTHER_TRUST},
    {"ssl-capath", NULL, REFUSED, OTHER_TRUST},
    {"ssl-crl", NULL, REFUSED, CRL_WHY},
    {"ssl-crlpath", NULL, REFUSED, CRL_WHY},
    {"ssl-verify-server-cert", NULL, FORCED, VERIFY_STAYS_ON},
    {"character-sets-dir", NULL, ALLOWED, HARMLESS},
    {"default-character-set", NULL, ALLOWED, HARMLESS},
    {"interactive-timeout", NULL, ALLOWED, HARMLESS},
    {"connect-timeout", NULL, ALLOWED, "the library's deadline bounds the connect"},
    {"local-infile", NULL, ALLOWED, HARMLESS},
    {"disable-local-infile", NULL, ALLOWED, HARMLESS},
    {"ssl-cipher", NULL, CHECKED,
     "it allows cipher suites that do not authenticate the server or do not encrypt"},
    {"max-allowed-packet", NULL, ALLOWED, HARMLESS},
    {"net-buffer-length", NULL, ALLOWED, HARMLESS},
    {"protocol", NULL, CHECKED, TCP_ONLY},
    {"shared-memory-base-name", NULL, FORCED, TCP_ONLY},
    {"multi-results", NULL, ALLOWED, HARMLESS},
    {"multi-statements", NULL, ALLOWED, HARMLESS},
    {"multi-queries", NULL, ALLOWED, HARMLESS},
    {"secure-auth", NULL, ALLOWED, HARMLESS},
    {"report-data-truncation", NULL, ALLOWED, HARMLESS},
    {"reconnect", NULL, FORCED,
     "always off: a reconnect inside libmariadb would bypass the library's checks"},
    {"plugin-dir", NULL, ALLOWED, "authentication plugins run after TLS is verified"},
    {"default-auth", NULL, ALLOWED, "authentication plugins run after TLS is verified"},
    {"ssl-fp", NULL, REFUSED, OTHER_TRUST},
    {"ssl-fp-list", NULL, REFUSED, OTHER_TRUST},
    {"ssl-fplist", NULL, REFUSED, OTHER_TRUST},
    {"ssl-passphrase", NULL, ALLOWED, "the client key's passphrase"},
    {"tls-version", NULL, CHECKED, "it allows TLS versions older than 1.2"},
    {"server-public-key", NULL, ALLOWED, "used by password plugins, after TLS"},
    {"bind-address", NULL, ALLOWED, HARMLESS},
    {"ssl-enforce", NULL, FORCED, "it would allow a connection without TLS"},
    {"restricted-auth", NULL, ALLOWED, "an extra restriction"},
    {"connection", NULL, REFUSED,
     "connection strings in option files cannot be checked; set the options one by one"},
    {"db", NULL, ALLOWED, HARMLESS},
    {"unix-socket", NULL, FORCED, TCP_ONLY},
    {"servername", NULL, CHECKED, "a socket path or a host list is refused"},
    {"passwd", NULL, ALLOWED, "sent only after the server is verified"},
    {"tls-fp", NULL, REFUSED, OTHER_TRUST},
    {"tls-fplist", NULL, REFUSED, OTHER_TRUST},
    {"tls-key", NULL, ALLOWED, "a client key"},
    {"tls-cert", NULL, ALLOWED, "a client certificate"},
    {"tls-ca", NULL, REFUSED, OTHER_TRUST},
    {"tls-capath", NULL, REFUSED, OTHER_TRUST},
    {"tls-crl", NULL, REFUSED, CRL_WHY},
    {"tls-crlpath", NULL, REFUSED, CRL_WHY},
    {"tls-cipher", NULL, CHECKED,
     "it allows cipher suites that do not authenticate the server or do not encrypt"},
    {"tls-passphrase", NULL, ALLOWED, "the client key's passphrase"},
    {"tls-enforce", NULL, FORCED, "it would allow a connection without TLS"},
    {"tls-verify-peer", NULL, FORCED, VERIFY_STAYS_ON},
    {"zstd-compression-level", NULL, ALLOWED, HARMLESS},
    /* the MySQL client programs' switches */
    {"ssl", NULL, CHECKED, "it asks for a connection without TLS"},
    {"skip-ssl", NULL, REFUSED, "it asks for a connection without TLS"},
    {"disable-ssl", NULL, REFUSED, "it asks for a connection without TLS"},
    {"skip-ssl-verify-server-cert", NULL, REFUSED, VERIFY_STAYS_ON},
    {"disable-ssl-verify-server-cert", NULL, REFUSED, VERIFY_STAYS_ON},
    {"ssl-mode", NULL, CHECKED,
     "only REQUIRED, VERIFY_CA and VERIFY_IDENTITY are accepted (all become VERIFY_IDENTITY)"},
};

/* libmariadb 3.3's enum mysql_option: what a caller may have set on the
 * handle before handing it to rdss_mysql_connect. */
static const rdss__option mariadb_handle_options[] = {
    {"MYSQL_OPT_CONNECT_TIMEOUT", NULL, FORCED, "bounded by the library's deadline"},
    {"MYSQL_OPT_COMPRESS", NULL, ALLOWED, HARMLESS},
    {"MYSQL_OPT_NAMED_PIPE", NULL, FORCED, TCP_ONLY},
    {"MYSQL_INIT_COMMAND", NULL, ALLOWED, "runs after the login, over verified TLS"},
    {"MYSQL_READ_DEFAULT_FILE", NULL, FORCED,
     "the library reads the file itself and gives libmariadb a checked copy"},
    {"MYSQL_READ_DEFAULT_GROUP", NULL, FORCED,
     "the library reads the files itself and gives libmariadb a checked copy"},
    {"MYSQL_SET_CHARSET_DIR", NULL, ALLOWED, HARMLESS},
    {"MYSQL_SET_CHARSET_NAME", NULL, ALLOWED, HARMLESS},
    {"MYSQL_OPT_LOCAL_INFILE", NULL, ALLOWED, HARMLESS},
    {"MYSQL_OPT_PROTOCOL", NULL, CHECKED, TCP_ONLY},
    {"MYSQL_SHARED_MEMORY_BASE_NAME", NULL, FORCED, TCP_ONLY},
    {"MYSQL_OPT_READ_TIMEOUT", NULL, ALLOWED, HARMLESS},
    {"MYSQL_OPT_WRITE_TIMEOUT", NULL, ALLOWED, HARMLESS},
    {"MYSQL_OPT_USE_RESULT", NULL, ALLOWED, HARMLESS},
    {"MYSQL_OPT_USE_REMOTE_CONNECTION", NULL, ALLOWED, "no effect in libmariadb"},
    {"MYSQL_OPT_USE_EMBEDDED_CONNECTION", NULL, ALLOWED, "no effect in libmariadb"},
    {"MYSQL_OPT_GUESS_CONNECTION", NULL, ALLOWED, "no effect in libmariadb"},
    {"MYSQL_SET_CLIENT_IP", NULL, ALLOWED, "no effect in libmariadb"},
    {"MYSQL_SECURE_AUTH", NULL, ALLOWED, HARMLESS},
    {"MYSQL_REPORT_DATA_TRUNCATION", NULL, ALLOWED, HARMLESS},
    {"MYSQL_OPT_RECONNECT", NULL, FORCED,
     "always off: a reconnect inside libmariadb would bypass the library's checks"},
    {"MYSQL_OPT_SSL_VERIFY_SERVER_CERT", NULL, FORCED, VERIFY_STAYS_ON},
    {"MYSQL_PLUGIN_DIR", NULL, ALLOWED, "authentication plugins run after TLS is verified"},
    {"MYSQL_DEFAULT_AUTH", NULL, ALLOWED, "authentication plugins run after TLS is verified"},
    {"MYSQL_OPT_BIND", NULL, ALLOWED, HARMLESS},
    {"MYSQL_OPT_SSL_KEY", NULL, ALLOWED, "a client key"},
    {"MYSQL_OPT_SSL_CERT", NULL, ALLOWED, "a client certificate"},
    {"MYSQL_OPT_SSL_CA", NULL, FORCED,
     "always the library's CA file; a caller's file is validated as the bundle to trust"},
    {"MYSQL_OPT_SSL_CAPATH", NULL, REFUSED,
     "it would add a directory of CAs the library cannot check; name a bundle file instead"},
    {"MYSQL_OPT_SSL_CIPHER", NULL, CHECKED,
     "it allows cipher suites that do not authenticate the server or do not encrypt"},
    {"MYSQL_OPT_SSL_CRL", NULL, REFUSED, CRL_WHY},
    {"MYSQL_OPT_SSL_CRLPATH", NULL, REFUSED, CRL_WHY},
    {"MYSQL_OPT_CONNECT_ATTR_RESET", NULL, ALLOWED, HARMLESS},
    {"MYSQL_OPT_CONNECT_ATTR_ADD", NULL, ALLOWED, HARMLESS},
    {"MYSQL_OPT_CONNECT_ATTR_DELETE", NULL, ALLOWED, HARMLESS},
    {"MYSQL_SERVER_PUBLIC_KEY", NULL, ALLOWED, "used by password plugins, after TLS"},
    {"MYSQL_ENABLE_CLEARTEXT_PLUGIN", NULL, ALLOWED,
     "the password goes only over TLS the library verified"},
    {"MYSQL_OPT_CAN_HANDLE_EXPIRED_PASSWORDS", NULL, ALLOWED, HARMLESS},
    {"MYSQL_OPT_SSL_ENFORCE", NULL, FORCED, "it would allow a connection without TLS"},
    {"MYSQL_OPT_MAX_ALLOWED_PACKET", NULL, ALLOWED, HARMLESS},
    {"MYSQL_OPT_NET_BUFFER_LENGTH", NULL, ALLOWED, HARMLESS},
    {"MYSQL_OPT_TLS_VERSION", NULL, CHECKED, "it allows TLS versions older than 1.2"},
    {"MYSQL_OPT_ZSTD_COMPRESSION_LEVEL", NULL, ALLOWED, HARMLESS},
    {"MYSQL_PROGRESS_CALLBACK", NULL, ALLOWED, HARMLESS},
    {"MYSQL_OPT_NONBLOCK", NULL, FORCED, "the library drives the connect within its deadline"},
    {"MYSQL_DATABASE_DRIVER", NULL, ALLOWED, HARMLESS},
    {"MARIADB_OPT_SSL_FP", NULL, CHECKED,
     "an extra pin on top of the verified chain; not together with a verify-name"},
    {"MARIADB_OPT_SSL_FP_LIST", NULL, CHECKED,
     "an extra pin on top of the verified chain; not together with a verify-name"},
    {"MARIADB_OPT_TLS_PASSPHRASE", NULL, ALLOWED, "the client key's passphrase"},
    {"MARIADB_OPT_TLS_CIPHER_STRENGTH", NULL, ALLOWED, HARMLESS},
    {"MARIADB_OPT_TLS_VERSION", NULL, CHECKED, "it allows TLS versions older than 1.2"},
    {"MARIADB_OPT_TLS_PEER_FP", NULL, CHECKED,
     "an extra pin on top of the verified chain; not together with a verify-name"},
    {"MARIADB_OPT_TLS_PEER_FP_LIST", NULL, CHECKED,
     "an extra pin on top of the verified chain; not together with a verify-name"},
    {"MARIADB_OPT_CONNECTION_READ_ONLY", NULL, ALLOWED, HARMLESS},
    {"MYSQL_OPT_CONNECT_ATTRS", NULL, ALLOWED, "read-only"},
    {"MARIADB_OPT_USERDATA", NULL, ALLOWED, HARMLESS},
    {"MARIADB_OPT_CONNECTION_HANDLER", NULL, REFUSED,
     "connection plugins open connections the library cannot check"},
    {"MARIADB_OPT_PORT", NULL, ALLOWED, HARMLESS},
    {"MARIADB_OPT_UNIXSOCKET", NULL, REFUSED, TCP_ONLY},
    {"MARIADB_OPT_PASSWORD", NULL, ALLOWED, "sent only after the server is verified"},
    {"MARIADB_OPT_HOST", NULL, CHECKED, "a socket path or a host list is refused"},
    {"MARIADB_OPT_USER", NULL, ALLOWED, HARMLESS},
    {"MARIADB_OPT_SCHEMA", NULL, ALLOWED, HARMLESS},
    {"MARIADB_OPT_DEBUG", NULL, ALLOWED, HARMLESS},
    {"MARIADB_OPT_FOUND_ROWS", NULL, ALLOWED, HARMLESS},
    {"MARIADB_OPT_MULTI_RESULTS", NULL, ALLOWED, HARMLESS},
    {"MARIADB_OPT_MULTI_STATEMENTS", NULL, ALLOWED, HARMLESS},
    {"MARIADB_OPT_INTERACTIVE", NULL, ALLOWED, HARMLESS},
    {"MARIADB_OPT_PROXY_HEADER", NULL, ALLOWED, "carries no credentials"},
    {"MARIADB_OPT_IO_WAIT", NULL, FORCED, "the library waits within its deadline"},
    {"MARIADB_OPT_SKIP_READ_RESPONSE", NULL, ALLOWED, HARMLESS},
    {"MARIADB_OPT_RESTRICTED_AUTH", NULL, ALLOWED, "an extra restriction"},
    {"MARIADB_OPT_RPL_REGISTER_REPLICA", NULL, ALLOWED, HARMLESS},
    {"MARIADB_OPT_STATUS_CALLBACK", NULL, ALLOWED, HARMLESS},
    {"MARIADB_OPT_SERVER_PLUGINS", NULL, ALLOWED, HARMLESS},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const rdss__option *rdss__option_list(rdss__option_table table, size_t *count)
{
    switch (table) {
    case RDSS__OPTIONS_LIBPQ:
        *count = COUNT(libpq_options);
        return libpq_options;
    case RDSS__OPTIONS_MARIADB_FILE:
        *count = COUNT(mariadb_file_options);
        return mariadb_file_options;
    case RDSS__OPTIONS_MARIADB_HANDLE:
        *count = COUNT(mariadb_handle_options);
        return mariadb_handle_options;
    }
    *count = 0;
    return NULL;
}

const rdss__option *rdss__option_find(rdss__option_table table, const char *name)
{
    size_t count = 0;
    const rdss__option *list = rdss__option_list(table, &count);
    for (size_t i = 0; i < count; i++) {
        int same = table == RDSS__OPTIONS_MARIADB_FILE ? strcasecmp(list[i].name, name) == 0
                                                        : strcmp(list[i].name, name) == 0;
        if (same)
            return &list[i];
    }
    return NULL;
}
