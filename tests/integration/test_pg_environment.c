/* Nothing in the environment weakens a connect: each variable libpq reads,
 * and a service file are set to the weakest or most hostile value, and the
 * connect is still verified TLS (or refused). ~/.postgresql/ (which libpq
 * 15 finds through the passwd entry, not $HOME) is test_weakening's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <rdssecure/pg.h>

#include "certgen.h"
#include "testenv.h"

#define PG(key) testenv("postgres.env", key)

static rdss_config *cfg;
static char *dir;

static int setup(void **state)
{
    (void)state;
    cfg = rdss_config_new();
    if (rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), NULL) != RDSS_OK)
        return -1;
    dir = tc_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rdss_config_free(cfg);
    tc_rmdir_all(dir);
    return 0;
}

/* Whatever a case set, unset after it, passed or not. */
static int clear_environment(void **state)
{
    (void)state;
    static const char *const names[] = {"PGSSLMODE", "PGSSLROOTCERT", "PGGSSENCMODE", "PGREQUIRESSL",
                                        "PGSSLMINPROTOCOLVERSION", "PGSSLSNI", "PGSERVICEFILE",
                                        "PGSERVICE", "PGHOST"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unsetenv(names[i]);
    return 0;
}

static void connect_verified(const char *what, const char *extra)
{
    char info[1024];
    snprintf(info, sizeof(info), "port=%s user=%s password=%s dbname=%s %s", PG("PG_PORT"),
             PG("PG_USER"), PG("PG_PASSWORD"), PG("PG_DATABASE"), extra);
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, info, &err);
    if (conn == NULL)
        fail_msg("%s: %s: %s", what, rdss_error_name(rdss_error_code(err)), rdss_error_message(err));
    assert_int_equal(PQsslInUse(conn), 1);
    PGresult *res = PQexec(conn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    assert_string_equal(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
    PQfinish(conn);
}

static void each_variable_alone_changes_nothing(void **state)
{
    (void)state;
    const char *untrusted = testenv_pki("untrusted-root.pem");
    struct {
        const char *name, *value;
    } cases[] = {
        {"PGSSLMODE", "disable"},
        {"PGSSLROOTCERT", untrusted}, /* honoured, it would fail verification */
        {"PGGSSENCMODE", "require"},
        {"PGREQUIRESSL", "0"},
        {"PGSSLMINPROTOCOLVERSION", "TLSv1"},
        {"PGSSLSNI", "0"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setenv(cases[i].name, cases[i].value, 1);
        connect_verified(cases[i].name, "host=127.0.0.1");
        unsetenv(cases[i].name);
    }
}

static void a_service_file_cannot_weaken_anything(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof(text),
             "[weak]\nsslmode=disable\ngssencmode=require\nsslrootcert=%s\nhost=/var/run/postgresql\n"
             "hostaddr=\nssl_min_protocol_version=TLSv1\n",
             testenv_pki("untrusted-root.pem"));
    char *path = tc_write(dir, "pg_service.conf", text, strlen(text), 0644);
    setenv("PGSERVICEFILE", path, 1);
    setenv("PGSERVICE", "weak", 1);
    connect_verified("PGSERVICE", "host=127.0.0.1");
    unsetenv("PGSERVICE");
    connect_verified("service=weak", "host=localhost service=weak");
    unsetenv("PGSERVICEFILE");
    free(path);
}

static void everything_at_once(void **state)
{
    (void)state;
    setenv("PGSSLMODE", "disable", 1);
    setenv("PGSSLROOTCERT", testenv_pki("untrusted-root.pem"), 1);
    setenv("PGGSSENCMODE", "require", 1);
    setenv("PGSSLMINPROTOCOLVERSION", "TLSv1", 1);
    connect_verified("all variables", "host=localhost");
    unsetenv("PGSSLMODE");
    unsetenv("PGSSLROOTCERT");
    unsetenv("PGGSSENCMODE");
    unsetenv("PGSSLMINPROTOCOLVERSION");
}

static void pghost_is_honoured_but_never_as_a_socket(void **state)
{
    (void)state;
    setenv("PGHOST", "127.0.0.1", 1);
    connect_verified("PGHOST", "");
    setenv("PGHOST", "/var/run/postgresql", 1);
    rdss_error *err = NULL;
    char info[512];
    snprintf(info, sizeof(info), "port=%s user=%s dbname=%s", PG("PG_PORT"), PG("PG_USER"), PG("PG_DATABASE"));
    assert_null(rdss_pg_connect(cfg, info, &err));
    assert_int_equal(rdss_error_code(err), RDSS_ERR_INSECURE_OPTION);
    rdss_error_free(err);
    unsetenv("PGHOST");
}

int main(void)
{
    setlocale(LC_ALL, ""); /* as an application would: the German run is German */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(each_variable_alone_changes_nothing, clear_environment),
        cmocka_unit_test_teardown(a_service_file_cannot_weaken_anything, clear_environment),
        cmocka_unit_test_teardown(everything_at_once, clear_environment),
        cmocka_unit_test_teardown(pghost_is_honoured_but_never_as_a_socket, clear_environment),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
