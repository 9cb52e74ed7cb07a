/* mysql://user:password@host:port/database?options, for callers and the
 * CLI that hold one string, as libpq users hold a conninfo. */
#ifndef RDSS__LIB_MYSQL_URI_H
#define RDSS__LIB_MYSQL_URI_H

#include "rdssecure/rdssecure.h"

typedef struct rdss__mysql_uri {
    char *user;     /* each percent-decoded; NULL when absent */
    char *password;
    char *host;     /* an IPv6 literal without its brackets */
    unsigned port;  /* 0 when absent */
    char *database;
    char *ssl_ca;   /* ?ssl-ca=FILE: an on-disk bundle */
    char *charset;  /* ?charset=NAME */
} rdss__mysql_uri;

/* Scheme mysql:// or mariadb://. Query options: ssl-mode (REQUIRED,
 * VERIFY_CA and VERIFY_IDENTITY are accepted and all mean VERIFY_IDENTITY;
 * DISABLED and PREFERRED give RDSS_ERR_INSECURE_OPTION), ssl-ca, charset.
 * Anything malformed or unknown is RDSS_ERR_INVALID_ARGUMENT naming it. */
rdss_code rdss__mysql_uri_parse(const char *uri, rdss__mysql_uri *out, rdss_error **err);

void rdss__mysql_uri_free(rdss__mysql_uri *uri);

#endif
