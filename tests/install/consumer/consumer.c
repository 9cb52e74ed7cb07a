/* A program outside the tree, built against an installed librdssecure as
 * the README shows: it includes both engines' headers and calls the
 * drivers' own functions next to the library's, so the build recipes must
 * carry the drivers' include directories and libraries. */
#include <stdio.h>
#include <string.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>
#include <rdssecure/rdssecure.h>

int main(void)
{
    rdss_bundle *bundle = NULL;
    rdss_error *err = NULL;
    if (rdss_bundle_open_embedded(RDSS_EMBEDDED_RDS_ROOTS, &bundle, &err) != RDSS_OK) {
        fprintf(stderr, "%s: %s\n", rdss_error_name(rdss_error_code(err)), rdss_error_message(err));
        rdss_error_free(err);
        return 1;
    }
    size_t count = rdss_bundle_count(bundle);
    rdss_bundle_free(bundle);

    /* A refused connect: typed, and nothing but the drivers' own calls after. */
    rdss_config *cfg = rdss_config_new();
    PGconn *conn = rdss_pg_connect(cfg, "host=db.example.invalid sslmode=disable", &err);
    int refused = conn == NULL && rdss_error_code(err) == RDSS_ERR_INSECURE_OPTION;
    rdss_error_free(err);
    err = NULL;
    PGresult *result = PQexec(conn, "SELECT 1"); /* NULL conn: libpq answers NULL */
    PQclear(result);
    PQfinish(conn);
    MYSQL *mysql = mysql_init(NULL);
    int query = mysql_query(mysql, "SELECT 1"); /* not connected: an error, not a crash */
    mysql_close(mysql);
    rdss_config_free(cfg);

    printf("librdssecure %s: %zu embedded roots; libpq %d, libmariadb %s\n", rdss_version(), count,
           PQlibVersion(), mysql_get_client_info());
    return count >= 87 && refused && query != 0 ? 0 : 1;
}
