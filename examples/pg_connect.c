/* pg_connect: connect to PostgreSQL through librdssecure, run a query, show
 * the TLS in use, and turn each typed error into the advice a user needs.
 *
 *   example_pg_connect 'host=mydb.abc123.us-east-1.rds.amazonaws.com user=app dbname=app' [BUNDLE]
 *
 * BUNDLE: an on-disk CA bundle to trust instead of the embedded RDS one.
 */
#include <stdio.h>

#include <rdssecure/pg.h>

#include "advice.h"

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s CONNINFO [BUNDLE]\n", argv[0]);
        return 2;
    }
    rdss_config *cfg = rdss_config_new();
    rdss_error *err = NULL;
    PGconn *conn = NULL;
    if (argc == 3 && rdss_config_set_bundle_file(cfg, argv[2], &err) != RDSS_OK)
        goto failed;
    rdss_config_set_timeout_ms(cfg, 5000, NULL);

    conn = rdss_pg_connect(cfg, argv[1], &err);
    if (conn == NULL)
        goto failed;

    rdss_tls_info *tls = NULL;
    rdss_pg_tls_info(conn, &tls, NULL);
    printf("connected to %s:%s over %s (%s)\n", PQhost(conn), PQport(conn),
           rdss_tls_info_version(tls), rdss_tls_info_cipher(tls));
    printf("server certificate: %s, valid until %s\n", rdss_tls_info_peer_subject(tls),
           rdss_tls_info_peer_not_after(tls));
    rdss_tls_info_free(tls);

    PGresult *res = PQexec(conn, "SELECT current_user, version FROM pg_stat_ssl "
                                 "WHERE pid = pg_backend_pid()");
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        printf("as %s; the server sees %s\n", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
    PQclear(res);
    PQfinish(conn);
    rdss_config_free(cfg);
    return 0;

failed:
    /* The typed name is for the program; the message and advice for people. */
    fprintf(stderr, "%s: %s\n", rdss_error_name(rdss_error_code(err)), rdss_error_message(err));
    if (rdss_error_driver_message(err) != NULL)
        fprintf(stderr, "  (libpq said: %s)\n", rdss_error_driver_message(err));
    fprintf(stderr, "  what to do: %s\n", advice(rdss_error_code(err)));
    int status = 10 + (int)rdss_error_code(err);
    rdss_error_free(err);
    rdss_config_free(cfg);
    return status;
}
