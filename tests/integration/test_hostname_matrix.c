/* The host-name cases PostgreSQL's own SSL test suite checks for
 * verify-full, with certificates made here, served by both real scratch
 * servers. For every (certificate, name): raw libpq with sslmode=verify-full
 * is the oracle (and must give the expected answer), and librdssecure's
 * check, through the probe of both engines, must give the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libpq-fe.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "certgen.h"
#include "scratch.h"
#include "testenv.h"

#define PG(key) testenv("postgres_scratch.env", key)
#define MY(key) testenv("mariadb_scratch.env", key)

typedef struct name_case {
    const char *name;
    int covered;
} name_case;

typedef struct cert_case {
    const char *what;
    const char *cn;   /* NULL: none */
    const char *sans; /* NULL: no subjectAltName */
    name_case names[8];
} cert_case;

static const cert_case cases[] = {
    {"CN only", "common-name.pg-ssltest.test", NULL,
     {{"common-name.pg-ssltest.test", 1}, {"COMMON-name.pg-ssltest.test", 1}, {"wronghost.test", 0}}},
    {"several SANs, wildcard", "common-name.pg-ssltest.test",
     "DNS:dns1.alt-name.pg-ssltest.test,DNS:dns2.alt-name.pg-ssltest.test,DNS:*.wildcard.pg-ssltest.test",
     {{"dns1.alt-name.pg-ssltest.test", 1},
      {"dns2.alt-name.pg-ssltest.test", 1},
      {"foo.wildcard.pg-ssltest.test", 1},
      {"deep.foo.wildcard.pg-ssltest.test", 0}, /* a wildcard is one label */
      {"wildcard.pg-ssltest.test", 0},          /* not the bare domain */
      {"common-name.pg-ssltest.test", 0},       /* DNS SANs take precedence over the CN */
      {"wronghost.test", 0}}},
    {"one SAN", "common-name.pg-ssltest.test", "DNS:single.alt-name.pg-ssltest.test",
     {{"single.alt-name.pg-ssltest.test", 1}, {"common-name.pg-ssltest.test", 0}}},
    {"no names at all", NULL, NULL, {{"common-name.pg-ssltest.test", 0}, {"192.0.2.1", 0}}},
    {"IP SANs", "common-name.pg-ssltest.test", "IP:192.0.2.1,IP:2001:db8::1",
     {{"192.0.2.1", 1},
      {"2001:db8::1", 1},
      {"192.0.2.2", 0},
      {"common-name.pg-ssltest.test", 1}}}, /* no DNS SAN: the CN counts for a name */
    {"IP in the CN", "192.0.2.1", NULL, {{"192.0.2.1", 1}, {"192.0.2.2", 0}}},
    {"IP in the CN, DNS SANs", "192.0.2.1", "DNS:dns1.alt-name.pg-ssltest.test",
     {{"192.0.2.1", 1}, /* no IP SAN: the CN counts for an address */
      {"dns1.alt-name.pg-ssltest.test", 1}}},
    {"IP in the CN, another IP SAN", "192.0.2.1", "IP:192.0.2.2",
     {{"192.0.2.1", 0}, {"192.0.2.2", 1}}},
};

/* raw libpq, sslmode=verify-full, host NAME pinned to the scratch server */
static int libpq_accepts(const char *name)
{
    char info[1024];
    snprintf(info, sizeof(info),
             "host=%s hostaddr=127.0.0.1 port=%s user=%s password=%s dbname=%s sslmode=verify-full "
             "sslrootcert=%s connect_timeout=10",
             name, PG("PG_PORT"), PG("PG_USER"), PG("PG_PASSWORD"), PG("PG_DATABASE"), testenv_pki("root.pem"));
    PGconn *conn = PQconnectdb(info);
    int ok = PQstatus(conn) == CONNECTION_OK;
    PQfinish(conn);
    return ok;
}

/* librdssecure's verdict through the probe of `engine`, checking `name` */
static rdss_code probe(rdss_engine engine, int port, const char *name)
{
    rdss_config *cfg = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), NULL), RDSS_OK);
    assert_int_equal(rdss_config_set_verify_name(cfg, name, NULL), RDSS_OK);
    rdss_probe_report *report = NULL;
    rdss_code code = rdss_probe(cfg, engine, "127.0.0.1", port, &report, NULL);
    rdss_probe_report_free(report);
    rdss_config_free(cfg);
    return code;
}

/* librdssecure's verdict through a real connect (login included) of each
 * engine: PostgreSQL with the name as host pinned to the server's address,
 * MySQL with the name as verify-name while connecting to the address. */
static rdss_code connect_pg(const char *name)
{
    rdss_config *cfg = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), NULL), RDSS_OK);
    char info[1024];
    snprintf(info, sizeof(info), "host=%s hostaddr=127.0.0.1 port=%s user=%s password=%s dbname=%s", name,
             PG("PG_PORT"), PG("PG_USER"), PG("PG_PASSWORD"), PG("PG_DATABASE"));
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, info, &err);
    rdss_code code = conn != NULL ? RDSS_OK : rdss_error_code(err);
    PQfinish(conn);
    rdss_error_free(err);
    rdss_config_free(cfg);
    return code;
}

static rdss_code connect_mysql(const char *name)
{
    rdss_config *cfg = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), NULL), RDSS_OK);
    assert_int_equal(rdss_config_set_verify_name(cfg, name, NULL), RDSS_OK);
    MYSQL *mysql = mysql_init(NULL);
    rdss_error *err = NULL;
    char user[64], password[128], db[64]; /* testenv's buffers rotate */
    snprintf(user, sizeof(user), "%s", MY("MY_USER"));
    snprintf(password, sizeof(password), "%s", MY("MY_PASSWORD"));
    snprintf(db, sizeof(db), "%s", MY("MY_DATABASE"));
    MYSQL *connected = rdss_mysql_connect(cfg, mysql, "127.0.0.1", user, password, db,
                                          (unsigned)atoi(MY("MY_PORT")), NULL, 0, &err);
    rdss_code code = connected != NULL ? RDSS_OK : rdss_error_code(err);
    mysql_close(mysql);
    rdss_error_free(err);
    rdss_config_free(cfg);
    return code;
}

static void the_matrix(void **state)
{
    (void)state;
    tc_cert sub = tc_load(testenv_pki("sub.pem"), testenv_pki("sub.key"));
    int checked = 0;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        tc_cert leaf = tc_make_server(cases[c].cn, cases[c].sans, -1, 30, &sub);
        scratch_pg_serve(&leaf, &sub);
        scratch_mysql_serve(&leaf, &sub);
        for (const name_case *n = cases[c].names; n->name != NULL; n++) {
            rdss_code expected = n->covered ? RDSS_OK : RDSS_ERR_HOSTNAME_MISMATCH;
            if (libpq_accepts(n->name) != n->covered)
                fail_msg("%s, %s: libpq says %s", cases[c].what, n->name, n->covered ? "no" : "yes");
            rdss_code pg = probe(RDSS_ENGINE_PG, atoi(PG("PG_PORT")), n->name);
            rdss_code my = probe(RDSS_ENGINE_MYSQL, atoi(MY("MY_PORT")), n->name);
            if (pg != expected || my != expected)
                fail_msg("%s, %s: expected %s, probe pg %s, mysql %s", cases[c].what, n->name,
                         rdss_error_name(expected), rdss_error_name(pg), rdss_error_name(my));
            pg = connect_pg(n->name);
            my = connect_mysql(n->name);
            if (pg != expected || my != expected)
                fail_msg("%s, %s: expected %s, connect pg %s, mysql %s", cases[c].what, n->name,
                         rdss_error_name(expected), rdss_error_name(pg), rdss_error_name(my));
            checked++;
        }
        tc_cert_free(&leaf);
    }
    print_message("%d certificate/name pairs: libpq, both engines' probes and both engines' connects agree\n",
                  checked);
    tc_cert_free(&sub); /* the usual certificate comes back in the teardown */
}

/* Where libmariadb's own check (direct connects, no verify-name) is
 * stricter than libpq's: an address in the CN next to DNS SANs. libpq
 * accepts it; librdssecure follows the stricter answer for MySQL. */
static void libmariadb_stricter_answer_stands(void **state)
{
    (void)state;
    tc_cert sub = tc_load(testenv_pki("sub.pem"), testenv_pki("sub.key"));
    tc_cert leaf = tc_make_server("127.0.0.1", "DNS:db1.abc123xyz.us-east-1.rds.amazonaws.com", -1, 30, &sub);
    scratch_mysql_serve(&leaf, &sub);
    rdss_config *cfg = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), NULL), RDSS_OK);
    MYSQL *mysql = mysql_init(NULL);
    rdss_error *err = NULL;
    assert_null(rdss_mysql_connect(cfg, mysql, "127.0.0.1", MY("MY_USER"), MY("MY_PASSWORD"), MY("MY_DATABASE"),
                                   (unsigned)atoi(MY("MY_PORT")), NULL, 0, &err));
    if (rdss_error_code(err) != RDSS_ERR_HOSTNAME_MISMATCH)
        fail_msg("%s: %s", rdss_error_name(rdss_error_code(err)), rdss_error_message(err));
    rdss_error_free(err);
    mysql_close(mysql);
    /* the probe, with libpq's rules, accepts the same certificate */
    assert_int_equal(probe(RDSS_ENGINE_MYSQL, atoi(MY("MY_PORT")), "127.0.0.1"), RDSS_OK);
    tc_cert usual = tc_make_server("db1.abc123xyz.us-east-1.rds.amazonaws.com",
                                   "DNS:db1.abc123xyz.us-east-1.rds.amazonaws.com,DNS:localhost,IP:127.0.0.1",
                                   -1, 30, &sub);
    scratch_mysql_serve(&usual, &sub);
    rdss_config_free(cfg);
    tc_cert_free(&usual);
    tc_cert_free(&leaf);
    tc_cert_free(&sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(the_matrix),
                                       cmocka_unit_test(libmariadb_stricter_answer_stands)};
    int failed = cmocka_run_group_tests(tests, NULL, scratch_both_restore);
    mysql_library_end();
    return failed;
}
