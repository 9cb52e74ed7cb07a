/* Proves the PostgreSQL fixture: raw libpq reaches the local server over
 * verified TLS with the test root, and fails verification without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <libpq-fe.h>

#include "testenv.h"

static PGconn *connect_with_root(const char *host_key, const char *host, const char *root)
{
    char conninfo[2048];
    snprintf(conninfo, sizeof(conninfo),
             "%s=%s port=%s user=%s password=%s dbname=%s sslmode=verify-full sslrootcert=%s "
             "gssencmode=disable connect_timeout=10",
             host_key, host, testenv("postgres.env", "PG_PORT"), testenv("postgres.env", "PG_USER"),
             testenv("postgres.env", "PG_PASSWORD"), testenv("postgres.env", "PG_DATABASE"), root);
    return PQconnectdb(conninfo);
}

static void raw_libpq_connects_with_verify_full(void **state)
{
    (void)state;
    const char *hosts[] = {"127.0.0.1", "localhost"};
    for (size_t i = 0; i < 2; i++) {
        PGconn *conn = connect_with_root("host", hosts[i], testenv_pki("root.pem"));
        if (PQstatus(conn) != CONNECTION_OK)
            fail_msg("%s: %s", hosts[i], PQerrorMessage(conn));
        assert_int_equal(PQsslInUse(conn), 1);
        PGresult *res = PQexec(conn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
        assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
        assert_string_equal(PQgetvalue(res, 0, 0), "t");
        PQclear(res);
        PQfinish(conn);
    }
}

static void the_rds_style_name_verifies_through_hostaddr(void **state)
{
    (void)state;
    char conninfo[2048];
    snprintf(conninfo, sizeof(conninfo),
             "host=db1.abc123xyz.us-east-1.rds.amazonaws.com hostaddr=127.0.0.1 port=%s user=%s "
             "password=%s dbname=%s sslmode=verify-full sslrootcert=%s gssencmode=disable",
             testenv("postgres.env", "PG_PORT"), testenv("postgres.env", "PG_USER"),
             testenv("postgres.env", "PG_PASSWORD"), testenv("postgres.env", "PG_DATABASE"),
             testenv_pki("root.pem"));
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK)
        fail_msg("%s", PQerrorMessage(conn));
    PQfinish(conn);
}

static void an_untrusted_root_fails_verification(void **state)
{
    (void)state;
    PGconn *conn = connect_with_root("host", "127.0.0.1", testenv_pki("untrusted-root.pem"));
    assert_int_equal(PQstatus(conn), CONNECTION_BAD);
    PQfinish(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(raw_libpq_connects_with_verify_full),
        cmocka_unit_test(the_rds_style_name_verifies_through_hostaddr),
        cmocka_unit_test(an_untrusted_root_fails_verification),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
