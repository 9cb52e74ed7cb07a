/* mysql_connect: connect to MySQL or MariaDB through librdssecure, run a
 * query, show the TLS in use, and turn each typed error into the advice a
 * user needs.
 *
 *   example_mysql_connect 'mysql://app:secret@mydb.abc123.us-east-1.rds.amazonaws.com/app' [BUNDLE]
 *
 * BUNDLE: an on-disk CA bundle to trust instead of the embedded RDS one.
 * An application holding host, user and password separately calls
 * rdss_mysql_connect(cfg, mysql, host, user, password, db, port, NULL, 0, &err)
 * instead: the same arguments as mysql_real_connect, plus the config.
 */
#include <stdio.h>

#include <rdssecure/mysql.h>

#include "advice.h"

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s mysql://USER:PASSWORD@HOST[:PORT]/DATABASE [BUNDLE]\n", argv[0]);
        return 2;
    }
    rdss_config *cfg = rdss_config_new();
    rdss_error *err = NULL;
    if (argc == 3 && rdss_config_set_bundle_file(cfg, argv[2], &err) != RDSS_OK)
        goto failed;
    rdss_config_set_timeout_ms(cfg, 5000, NULL); /* TCP, TLS and login together */

    /* Anything set on the handle stays, except what would weaken TLS. */
    MYSQL *mysql = mysql_init(NULL);
    if (rdss_mysql_connect_uri(cfg, mysql, argv[1], 0, &err) == NULL) {
        mysql_close(mysql); /* unconnected, but still the caller's to free */
        goto failed;
    }

    rdss_tls_info *tls = NULL;
    rdss_mysql_tls_info(mysql, &tls, NULL);
    printf("connected to %s over %s (%s)\n", mysql_get_host_info(mysql), rdss_tls_info_version(tls),
           rdss_tls_info_cipher(tls));
    printf("server certificate: %s, valid until %s\n", rdss_tls_info_peer_subject(tls),
           rdss_tls_info_peer_not_after(tls));
    rdss_tls_info_free(tls);

    if (mysql_query(mysql, "SELECT CURRENT_USER(), VARIABLE_VALUE FROM information_schema.SESSION_STATUS "
                           "WHERE VARIABLE_NAME = 'Ssl_version'") == 0) {
        MYSQL_RES *res = mysql_store_result(mysql);
        MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
        if (row != NULL)
            printf("as %s; the server sees %s\n", row[0], row[1]);
        mysql_free_result(res);
    }
    mysql_close(mysql);
    rdss_config_free(cfg);
    mysql_library_end();
    return 0;

failed:
    /* The typed name is for the program; the message and advice for people. */
    fprintf(stderr, "%s: %s\n", rdss_error_name(rdss_error_code(err)), rdss_error_message(err));
    if (rdss_error_driver_message(err) != NULL)
        fprintf(stderr, "  (libmariadb said: %s)\n", rdss_error_driver_message(err));
    fprintf(stderr, "  what to do: %s\n", advice(rdss_error_code(err)));
    int status = 10 + (int)rdss_error_code(err);
    rdss_error_free(err);
    rdss_config_free(cfg);
    mysql_library_end();
    return status;
}
