/* MySQL option files, read before libmariadb can read them.
 *
 * A caller may ask libmariadb to read option files (MYSQL_READ_DEFAULT_FILE
 * or MYSQL_READ_DEFAULT_GROUP); libmariadb then reads them inside
 * mysql_real_connect, after every option we set, and a line such as
 * `ssl-verify-server-cert=0` or `ssl-ca=/elsewhere` would quietly undo
 * them. So the adapter reads the same files here first, exactly the way
 * libmariadb 3.3 does (same files, groups, !include and !includedir,
 * quoting), refuses every setting that would weaken TLS, and hands
 * libmariadb a sealed copy holding only the settings that stay. The copy is
 * what libmariadb reads: nothing can change between our check and its
 * reading. */
#ifndef RDSS__LIB_MYSQL_OPTFILE_H
#define RDSS__LIB_MYSQL_OPTFILE_H

#include <stddef.h>

#include "rdssecure/rdssecure.h"

typedef struct rdss__mysql_options {
    char *text;   /* the sanitized option file: one [client] group */
    size_t len;
    char *host;   /* the last host= (or servername=) read, or NULL */
    int port;     /* the last port= read, or 0 */
    size_t count; /* settings kept */
} rdss__mysql_options;

/* Reads `file` (when set) or else the default option files for `group`
 * (libmariadb's rule: /etc/my.cnf, /etc/mysql/my.cnf, $MARIADB_HOME or
 * $MYSQL_HOME /my.cnf, ~/.my.cnf), groups client, client-server,
 * client-mariadb and `group`. RDSS_ERR_INSECURE_OPTION naming the file and
 * the setting for anything that would weaken TLS: ssl=0, skip-ssl,
 * ssl-mode=DISABLED or PREFERRED, ssl-verify-server-cert=0 (or without a
 * value), ssl-enforce=0, any ssl-ca, ssl-capath, ssl-fp or fingerprint
 * list, a tls-version below TLSv1.2, a cipher list that allows
 * unauthenticated or unencrypted suites, a protocol other than TCP, a
 * connection string. Socket and named-pipe settings are dropped (TCP is
 * forced). Unreadable files are skipped, as libmariadb skips them. */
rdss_code rdss__mysql_options_read(const char *file, const char *group, rdss__mysql_options *out,
                                rdss_error **err);

void rdss__mysql_options_free(rdss__mysql_options *options);

/* Shared with the adapter, which checks what a caller set on the MYSQL
 * handle by the same rules. */
/* Whether every TLS version named in a libmariadb version list
 * ("TLSv1.2,TLSv1.3") is 1.2 or newer, and at least one is named. */
int rdss__mysql_tls_versions_ok(const char *list);
/* Whether an OpenSSL cipher list selects only suites that authenticate the
 * server and encrypt. */
int rdss__mysql_cipher_list_ok(const char *list);

/* 0 when `path` names something that exists and is not a regular file
 * (libmariadb would open it blocking). */
int rdss__mysql_file_ok(const char *path);

#endif
