/* rdss_pg_audit: does the PostgreSQL server itself refuse plaintext? */
#include "rdssecure/pg.h"

#include <stdio.h>
#include <string.h>

#include "tls/audit.h"
#include "core/error.h"

/* The one value of a one-row query, or NULL (no row, or an error). */
static PGresult *one_row(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        PQclear(res);
        return NULL;
    }
    return res;
}

/* From pg_hba.conf as the server loaded it: a TCP line that accepts
 * clients without TLS means "no". */
static rdss_audit *audit_hba(PGconn *conn)
{
    PGresult *res = PQexec(conn, "SELECT line_number, type, array_to_string(database, ','), "
                                 "array_to_string(user_name, ','), coalesce(address, ''), "
                                 "coalesce(netmask, ''), auth_method FROM pg_hba_file_rules "
                                 "WHERE error IS NULL ORDER BY line_number");
    rdss_audit *audit = NULL;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        audit = rdss__audit_new(
            RDSS__ENFORCED_UNKNOWN,
            "this user may not read pg_hba_file_rules (PostgreSQL grants it to superusers; "
            "GRANT SELECT ON pg_hba_file_rules and EXECUTE ON FUNCTION pg_hba_file_rules() to "
            "let the audit read it)",
            "ssl = on; pg_hba.conf not readable");
        PQclear(res);
        return audit;
    }
    for (int row = 0; row < PQntuples(res) && audit == NULL; row++) {
        const char *type = PQgetvalue(res, row, 1), *method = PQgetvalue(res, row, 6);
        /* host and hostnossl take clients without TLS; local is not TCP;
         * hostgssenc is encrypted by GSSAPI */
        if ((strcmp(type, "host") == 0 || strcmp(type, "hostnossl") == 0) && strcmp(method, "reject") != 0)
            audit = rdss__audit_new(
                RDSS__ENFORCED_NO,
                "change host lines to hostssl (or add hostnossl ... reject before them); on RDS "
                "set rds.force_ssl = 1 in the parameter group",
                "pg_hba.conf line %s: %s %s %s %s%s%s %s accepts clients without TLS",
                PQgetvalue(res, row, 0), type, PQgetvalue(res, row, 2), PQgetvalue(res, row, 3),
                PQgetvalue(res, row, 4), PQgetvalue(res, row, 5)[0] ? " " : "",
                PQgetvalue(res, row, 5), method);
    }
    if (audit == NULL)
        audit = rdss__audit_new(RDSS__ENFORCED_YES, NULL,
                                "ssl = on; every TCP line of pg_hba.conf (%d lines read) is hostssl, "
                                "hostgssenc or rejects",
                                PQntuples(res));
    PQclear(res);
    return audit;
}

rdss_code rdss_pg_audit(PGconn *conn, rdss_audit **out, rdss_error **err)
{
    if (out == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "rdss_pg_audit: out is NULL");
    *out = NULL;
    if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "rdss_pg_audit: not a connected PGconn");
    rdss_audit *audit = NULL;
    PGresult *res = one_row(conn, "SELECT setting FROM pg_settings WHERE name = 'rds.force_ssl'");
    if (res != NULL) { /* RDS */
        int on = strcmp(PQgetvalue(res, 0, 0), "1") == 0 || strcmp(PQgetvalue(res, 0, 0), "on") == 0;
        audit = rdss__audit_new(on ? RDSS__ENFORCED_YES : RDSS__ENFORCED_NO,
                                on ? NULL : "set rds.force_ssl = 1 in the DB parameter group",
                                "rds.force_ssl = %s", PQgetvalue(res, 0, 0));
    } else if ((res = one_row(conn, "SHOW ssl")) != NULL && strcmp(PQgetvalue(res, 0, 0), "on") != 0) {
        audit = rdss__audit_new(RDSS__ENFORCED_NO, "turn ssl on", "ssl = %s", PQgetvalue(res, 0, 0));
    } else {
        audit = audit_hba(conn);
    }
    PQclear(res);
    res = one_row(conn, "SELECT version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    if (res != NULL)
        rdss__audit_set_session(audit, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
    PQclear(res);
    return rdss__audit_hand_over(audit, out, err);
}
