/* rdss_pg_connect against a real PostgreSQL 15 (and fake servers where a
 * real one cannot misbehave as needed): every typed error produced for real. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <time.h>
#include <cmocka.h>

#include <rdssecure/pg.h>

#include "closed_port.h"
#include "fake_server.h"
#include "scenarios.h"
#include "testenv.h"

#define PG(key) testenv("postgres.env", key)
#define RDS_NAME "db1.abc123xyz.us-east-1.rds.amazonaws.com"

/* A config trusting the test root (the test PKI stands in for RDS's). */
static rdss_config *test_config(void)
{
    rdss_config *cfg = rdss_config_new();
    rdss_error *err = NULL;
    if (rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), &err) != RDSS_OK)
        fail_msg("%s", rdss_error_message(err));
    return cfg;
}

/* "user=... password=... dbname=... port=..." plus `extra`. */
static const char *conninfo(const char *extra)
{
    static char text[2048];
    snprintf(text, sizeof(text), "port=%s user=%s password=%s dbname=%s %s", PG("PG_PORT"),
             PG("PG_USER"), PG("PG_PASSWORD"), PG("PG_DATABASE"), extra);
    return text;
}

/* Connects and checks the typed result; on success also that the session
 * really is TLS (the server's own view, pg_stat_ssl). */
static void expect(const rdss_config *cfg, const char *info, rdss_code expected)
{
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, info, &err);
    if (rdss_error_code(err) != expected)
        fail_msg("%s: expected %s, got %s: %s (driver: %s)", info, rdss_error_name(expected),
                 rdss_error_name(rdss_error_code(err)), rdss_error_message(err),
                 rdss_error_driver_message(err) ? rdss_error_driver_message(err) : "-");
    if (expected == RDSS_OK) {
        assert_non_null(conn);
        assert_int_equal(PQstatus(conn), CONNECTION_OK);
        PGresult *res = PQexec(conn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
        assert_string_equal(PQgetvalue(res, 0, 0), "t");
        PQclear(res);
        PQfinish(conn);
    } else {
        assert_null(conn);
        assert_true(strlen(rdss_error_message(err)) > 10);
    }
    rdss_error_free(err);
}

static void ok_by_ip_by_localhost_and_by_rds_name(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    expect(cfg, conninfo("host=127.0.0.1"), RDSS_OK);
    expect(cfg, conninfo("host=localhost"), RDSS_OK);
    expect(cfg, conninfo("host=" RDS_NAME " hostaddr=127.0.0.1"), RDSS_OK);
    /* a tunnel: connect to 127.0.0.1, verify the RDS endpoint name */
    assert_int_equal(rdss_config_set_verify_name(cfg, RDS_NAME, NULL), RDSS_OK);
    expect(cfg, conninfo("host=127.0.0.1"), RDSS_OK);
    rdss_config_free(cfg);
}

static void ok_through_a_uri_and_params(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    char uri[1024];
    snprintf(uri, sizeof(uri), "postgresql://%s:%s@127.0.0.1:%s/%s?sslmode=require", PG("PG_USER"),
             PG("PG_PASSWORD"), PG("PG_PORT"), PG("PG_DATABASE"));
    expect(cfg, uri, RDSS_OK); /* require is raised to verify-full */
    const char *keywords[] = {"host", "port", "user", "password", "dbname", NULL};
    const char *values[] = {"localhost", PG("PG_PORT"), PG("PG_USER"), PG("PG_PASSWORD"),
                            PG("PG_DATABASE"), NULL};
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect_params(cfg, keywords, values, 0, &err);
    assert_null(err);
    assert_int_equal(PQsslInUse(conn), 1);
    rdss_tls_info *info = NULL;
    assert_int_equal(rdss_pg_tls_info(conn, &info, NULL), RDSS_OK);
    assert_int_equal(strncmp(rdss_tls_info_version(info), "TLSv1.", 6), 0);
    assert_non_null(strstr(rdss_tls_info_peer_subject(info), RDS_NAME));
    assert_non_null(rdss_tls_info_cipher(info));
    rdss_tls_info_free(info);
    PQfinish(conn);
    /* expand_dbname: a whole conninfo as dbname, overridden by what follows */
    const char *kw2[] = {"dbname", "password", NULL};
    char inner[1024];
    snprintf(inner, sizeof(inner), "host=127.0.0.1 port=%s user=%s dbname=%s password=wrong",
             PG("PG_PORT"), PG("PG_USER"), PG("PG_DATABASE"));
    const char *v2[] = {inner, PG("PG_PASSWORD"), NULL};
    conn = rdss_pg_connect_params(cfg, kw2, v2, 1, &err);
    if (err != NULL)
        fail_msg("%s", rdss_error_message(err));
    PQfinish(conn);
    rdss_config_free(cfg);
}

static void cert_verify_for_an_untrusted_ca(void **state)
{
    (void)state;
    rdss_config *cfg = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(cfg, testenv_pki("untrusted-root.pem"), NULL), RDSS_OK);
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, conninfo("host=127.0.0.1"), &err);
    assert_null(conn);
    assert_int_equal(rdss_error_code(err), RDSS_ERR_CERT_VERIFY);
    assert_non_null(rdss_error_driver_message(err)); /* libpq's own words kept */
    assert_non_null(strstr(rdss_error_cert_subject(err), RDS_NAME));
    rdss_error_free(err);
    /* the embedded RDS bundle does not trust the test PKI either */
    rdss_config_free(cfg);
    cfg = rdss_config_new();
    expect(cfg, conninfo("host=127.0.0.1"), RDSS_ERR_CERT_VERIFY);
    rdss_config_free(cfg);
}

static void hostname_mismatch_names_what_the_certificate_covers(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, conninfo("host=db2.other.us-east-1.rds.amazonaws.com hostaddr=127.0.0.1"), &err);
    assert_null(conn);
    assert_int_equal(rdss_error_code(err), RDSS_ERR_HOSTNAME_MISMATCH);
    assert_non_null(strstr(rdss_error_message(err), "db2.other.us-east-1.rds.amazonaws.com"));
    assert_non_null(strstr(rdss_error_message(err), RDS_NAME));
    rdss_error_free(err);
    assert_int_equal(rdss_config_set_verify_name(cfg, "wrong.example.com", NULL), RDSS_OK);
    expect(cfg, conninfo("host=127.0.0.1"), RDSS_ERR_HOSTNAME_MISMATCH);
    rdss_config_free(cfg);
}

static void tls_refused_by_a_server_without_tls_and_nothing_leaks(void **state)
{
    (void)state;
    fake_server *fake = fake_server_start(FAKE_PG_REFUSE_TLS);
    rdss_config *cfg = test_config();
    char info[256];
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%d user=secret_user password=secret_pw dbname=x",
             fake_server_port(fake));
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, info, &err);
    assert_null(conn);
    assert_int_equal(rdss_error_code(err), RDSS_ERR_TLS_REFUSED);
    rdss_error_free(err);
    /* the event-loop form, the same */
    conn = rdss_pg_connect_start(cfg, info, &err);
    PostgresPollingStatusType status = conn ? PGRES_POLLING_WRITING : PGRES_POLLING_FAILED;
    while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED) {
        struct pollfd p = {PQsocket(conn), status == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};
        poll(&p, 1, (int)rdss_pg_connect_remaining_ms(conn));
        status = rdss_pg_connect_poll(conn, &err);
    }
    assert_int_equal(status, PGRES_POLLING_FAILED);
    assert_int_equal(rdss_error_code(err), RDSS_ERR_TLS_REFUSED);
    rdss_error_free(err);
    PQfinish(conn);
    assert_true(fake_server_connections(fake) >= 1);
    /* after 'N' the client sent nothing: no StartupMessage, no user, no password */
    assert_int_equal(fake_server_stop(fake), 0);
    rdss_config_free(cfg);
}

static void timeout_for_silent_and_stalling_servers(void **state)
{
    (void)state;
    fake_mode modes[2] = {FAKE_BLACKHOLE, FAKE_PG_TLS_STALL};
    for (int i = 0; i < 2; i++) {
        fake_server *fake = fake_server_start(modes[i]);
        rdss_config *cfg = test_config();
        assert_int_equal(rdss_config_set_timeout_ms(cfg, 400, NULL), RDSS_OK);
        char info[256];
        snprintf(info, sizeof(info), "host=127.0.0.1 port=%d user=u password=p dbname=x",
                 fake_server_port(fake));
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        rdss_error *err = NULL;
        PGconn *conn = rdss_pg_connect(cfg, info, &err);
        double took = seconds_since(&start);
        assert_null(conn);
        if (rdss_error_code(err) != RDSS_ERR_TIMEOUT)
            fail_msg("mode %d: %s: %s", i, rdss_error_name(rdss_error_code(err)), rdss_error_message(err));
        /* bounded, not timed: the deadline holds (generous margin for
         * loaded machines and sanitizers) */
        assert_true(took < 0.4 + 2.0);
        rdss_error_free(err);
        fake_server_stop(fake);
        rdss_config_free(cfg);
    }
}

static void auth_for_a_wrong_password_and_server_for_an_unknown_database(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    char info[512];
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%s user=%s password=wrong dbname=%s", PG("PG_PORT"),
             PG("PG_USER"), PG("PG_DATABASE"));
    expect(cfg, info, RDSS_ERR_AUTH);
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%s user=%s dbname=%s", PG("PG_PORT"),
             PG("PG_USER"), PG("PG_DATABASE"));
    expect(cfg, info, RDSS_ERR_AUTH); /* no password at all */
    expect(cfg, conninfo("host=127.0.0.1 dbname=no_such_database"), RDSS_ERR_SERVER);
    rdss_config_free(cfg);
}

static void network_for_a_closed_port_and_an_unresolvable_name(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    fake_server *fake = fake_server_start(FAKE_PG_REFUSE_TLS);
    int port = fake_server_port(fake);
    fake_server_stop(fake); /* now nothing listens there */
    char info[256];
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%d user=u password=p dbname=x", port);
    expect(cfg, info, RDSS_ERR_NETWORK);
    expect(cfg, conninfo("host=no-such-host.invalid"), RDSS_ERR_NETWORK);
    rdss_config_free(cfg);
}

static void insecure_options_are_refused_before_anything_is_sent(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    fake_server *fake = fake_server_start(FAKE_PG_REFUSE_TLS);
    char base[128];
    snprintf(base, sizeof(base), "host=127.0.0.1 port=%d user=u password=p dbname=x", fake_server_port(fake));
    const char *extras[] = {"sslmode=disable", "gssencmode=require",
                            "ssl_min_protocol_version=TLSv1.1", "ssl_max_protocol_version=TLSv1"};
    for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++) {
        char info[256];
        snprintf(info, sizeof(info), "%s %s", base, extras[i]);
        expect(cfg, info, RDSS_ERR_INSECURE_OPTION);
    }
    char uri[256];
    snprintf(uri, sizeof(uri), "postgresql://u:p@127.0.0.1:%d/x?sslmode=disable", fake_server_port(fake));
    expect(cfg, uri, RDSS_ERR_INSECURE_OPTION);
    const char *keywords[] = {"host", "sslmode", NULL};
    const char *values[] = {"127.0.0.1", "disable", NULL};
    rdss_error *err = NULL;
    assert_null(rdss_pg_connect_params(cfg, keywords, values, 0, &err));
    assert_int_equal(rdss_error_code(err), RDSS_ERR_INSECURE_OPTION);
    rdss_error_free(err);
    /* a Unix-domain socket: libpq would ignore sslmode there */
    expect(cfg, "host=/var/run/postgresql user=u dbname=x", RDSS_ERR_INSECURE_OPTION);
    expect(cfg, "host=@abstract-socket user=u dbname=x", RDSS_ERR_INSECURE_OPTION);
    /* nothing reached the network for any of these */
    assert_int_equal(fake_server_connections(fake), 0);
    fake_server_stop(fake);
    rdss_config_free(cfg);
}

static void multi_host_tries_each_in_turn(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    closed_port closed = closed_port_hold();
    int port_closed = closed.port;
    char info[1024];
    /* the first host refuses the TCP connection; libpq moves on to the second */
    snprintf(info, sizeof(info), "host=127.0.0.1,localhost port=%d,%s user=%s password=%s dbname=%s",
             port_closed, PG("PG_PORT"), PG("PG_USER"), PG("PG_PASSWORD"), PG("PG_DATABASE"));
    expect(cfg, info, RDSS_OK);
    /* both bad: the typed error is the first host's, named in the message */
    snprintf(info, sizeof(info), "host=127.0.0.1,localhost port=%d,%d user=u password=p dbname=x",
             port_closed, port_closed);
    rdss_error *err = NULL;
    assert_null(rdss_pg_connect(cfg, info, &err));
    assert_int_equal(rdss_error_code(err), RDSS_ERR_NETWORK);
    assert_non_null(strstr(rdss_error_message(err), "127.0.0.1 port"));
    rdss_error_free(err);
    /* mismatched lists are the caller's mistake */
    expect(cfg, "host=a.example,b.example hostaddr=127.0.0.1 user=u dbname=x", RDSS_ERR_INVALID_ARGUMENT);
    closed_port_release(&closed);
    rdss_config_free(cfg);
}

static void bad_arguments_and_bundles(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    expect(cfg, conninfo("host=127.0.0.1 sslrootcert=/nonexistent/root.pem"), RDSS_ERR_BUNDLE);
    expect(cfg, "this is = not valid conninfo '", RDSS_ERR_INVALID_ARGUMENT);
    expect(cfg, conninfo("host=127.0.0.1 sslmode=sometimes"), RDSS_ERR_INVALID_ARGUMENT);
    expect(cfg, "user=u dbname=x", RDSS_ERR_INVALID_ARGUMENT); /* no host: would be a socket */
    rdss_error *err = NULL;
    assert_null(rdss_pg_connect(cfg, NULL, &err));
    assert_int_equal(rdss_error_code(err), RDSS_ERR_INVALID_ARGUMENT);
    rdss_error_free(err);
    /* the caller's sslrootcert is a bundle like any: the test root works */
    char extra[512];
    snprintf(extra, sizeof(extra), "host=127.0.0.1 sslrootcert=%s", testenv_pki("root.pem"));
    rdss_config *embedded = rdss_config_new();
    expect(embedded, conninfo(extra), RDSS_OK);
    rdss_config_free(embedded);
    rdss_config_free(cfg);
}

static void the_non_blocking_pair_connects_and_classifies(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect_start(cfg, conninfo("host=localhost"), &err);
    assert_non_null(conn);
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED) {
        assert_true(rdss_pg_connect_remaining_ms(conn) >= 0);
        struct pollfd p = {PQsocket(conn), status == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};
        poll(&p, 1, (int)rdss_pg_connect_remaining_ms(conn));
        status = rdss_pg_connect_poll(conn, &err);
    }
    assert_int_equal(status, PGRES_POLLING_OK);
    assert_null(err);
    assert_int_equal(PQsslInUse(conn), 1);
    PQfinish(conn);

    conn = rdss_pg_connect_start(cfg, conninfo("host=127.0.0.1 password=wrong"), &err);
    status = PGRES_POLLING_WRITING;
    while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED) {
        struct pollfd p = {PQsocket(conn), status == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};
        poll(&p, 1, (int)rdss_pg_connect_remaining_ms(conn));
        status = rdss_pg_connect_poll(conn, &err);
    }
    assert_int_equal(status, PGRES_POLLING_FAILED);
    assert_int_equal(rdss_error_code(err), RDSS_ERR_AUTH);
    rdss_error_free(err);
    err = NULL;
    PQfinish(conn);

    /* the deadline holds in the event loop too: a server that says yes to
     * TLS and then nothing */
    assert_int_equal(rdss_config_set_timeout_ms(cfg, 500, NULL), RDSS_OK);
    fake_server *stall = fake_server_start(FAKE_PG_TLS_STALL);
    char info[256];
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%d user=u password=p dbname=x", fake_server_port(stall));
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    conn = rdss_pg_connect_start(cfg, info, &err);
    assert_non_null(conn);
    status = PGRES_POLLING_WRITING;
    while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED && seconds_since(&start) < 10) {
        struct pollfd p = {PQsocket(conn), status == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};
        poll(&p, 1, (int)rdss_pg_connect_remaining_ms(conn));
        status = rdss_pg_connect_poll(conn, &err);
    }
    assert_int_equal(status, PGRES_POLLING_FAILED);
    assert_int_equal(rdss_error_code(err), RDSS_ERR_TIMEOUT);
    assert_true(seconds_since(&start) < 0.75);
    rdss_error_free(err);
    PQfinish(conn);
    fake_server_stop(stall);
    rdss_config_free(cfg);
}

static void drop_in_forms_keep_libpq_conventions(void **state)
{
    (void)state;
    /* default config: the embedded RDS bundle, which does not trust the
     * test PKI, so the drop-in fails verification */
    PGconn *conn = rdss_PQconnectdb(conninfo("host=127.0.0.1"));
    assert_int_equal(PQstatus(conn), CONNECTION_BAD);
    assert_int_equal(rdss_error_code(rdss_last_error()), RDSS_ERR_CERT_VERIFY);
    /* what a caller that was only renamed prints: the typed reason, one line */
    assert_non_null(strstr(PQerrorMessage(conn), "rdssecure: cert_verify: "));
    assert_non_null(strstr(PQerrorMessage(conn), rdss_error_message(rdss_last_error())));
    PQfinish(conn);
    conn = rdss_PQconnectdb("host=127.0.0.1 sslmode=disable");
    assert_non_null(conn); /* refused before anything was sent, still a PGconn to ask */
    assert_int_equal(PQstatus(conn), CONNECTION_BAD);
    assert_non_null(strstr(PQerrorMessage(conn), "rdssecure: insecure_option: "));
    assert_int_equal(rdss_error_code(rdss_last_error()), RDSS_ERR_INSECURE_OPTION);
    PQfinish(conn);
    char root[512];
    snprintf(root, sizeof(root), "host=localhost sslrootcert=%s", testenv_pki("root.pem"));
    conn = rdss_PQconnectdb(conninfo(root));
    assert_int_equal(PQstatus(conn), CONNECTION_OK);
    assert_null(rdss_last_error());
    PQfinish(conn);
    const char *keywords[] = {"host", "port", "user", "password", "dbname", "sslrootcert", NULL};
    const char *values[] = {"127.0.0.1", PG("PG_PORT"), PG("PG_USER"), "wrong", PG("PG_DATABASE"),
                            testenv_pki("root.pem"), NULL};
    conn = rdss_PQconnectdbParams(keywords, values, 0);
    assert_int_equal(PQstatus(conn), CONNECTION_BAD);
    assert_int_equal(rdss_error_code(rdss_last_error()), RDSS_ERR_AUTH);
    /* libpq's own failed connection: a caller that prompts and retries can */
    assert_string_equal(PQuser(conn), PG("PG_USER"));
    assert_true(PQconnectionUsedPassword(conn));
    PQfinish(conn);
}

/* In the German run, prove the run is German: libpq's own words are. */
static void driver_messages_follow_the_locale(void **state)
{
    (void)state;
    const char *language = getenv("LANGUAGE");
    if (language == NULL || strncmp(language, "de", 2) != 0)
        skip();
    fake_server *fake = fake_server_start(FAKE_PG_REFUSE_TLS);
    rdss_config *cfg = test_config();
    char info[256];
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%d user=u password=p dbname=x", fake_server_port(fake));
    rdss_error *err = NULL;
    assert_null(rdss_pg_connect(cfg, info, &err));
    assert_int_equal(rdss_error_code(err), RDSS_ERR_TLS_REFUSED);
    const char *driver = rdss_error_driver_message(err);
    if (driver == NULL || strstr(driver, "does not support SSL") != NULL)
        fail_msg("libpq's message is not translated: %s", driver ? driver : "(none)");
    rdss_error_free(err);
    fake_server_stop(fake);
    rdss_config_free(cfg);
}

/* A config whose bundle lacks the server's root learns nothing from another
 * config that trusts it, on the same endpoint: what the first learned (the
 * anchor that narrows the driver's CA file) belongs to its own trust. */
static void another_bundle_learns_nothing_from_this_one(void **state)
{
    (void)state;
    rdss_config *trusting = scenario_bundle_plus(testenv_pki("root.pem"));
    rdss_config *other = scenario_bundle_plus(testenv_pki("untrusted-root.pem"));
    expect(trusting, conninfo("host=127.0.0.1"), RDSS_OK); /* learns the anchor */
    expect(trusting, conninfo("host=127.0.0.1"), RDSS_OK); /* narrowed to it */
    expect(other, conninfo("host=127.0.0.1"), RDSS_ERR_CERT_VERIFY);
    expect(trusting, conninfo("host=127.0.0.1"), RDSS_OK);
    rdss_config_free(trusting);
    rdss_config_free(other);
}

int main(void)
{
    /* As an application would: take the locale from the environment, so
     * libpq translates its messages in the German run. */
    setlocale(LC_ALL, "");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(another_bundle_learns_nothing_from_this_one),
        cmocka_unit_test(driver_messages_follow_the_locale),
        cmocka_unit_test(ok_by_ip_by_localhost_and_by_rds_name),
        cmocka_unit_test(ok_through_a_uri_and_params),
        cmocka_unit_test(cert_verify_for_an_untrusted_ca),
        cmocka_unit_test(hostname_mismatch_names_what_the_certificate_covers),
        cmocka_unit_test(tls_refused_by_a_server_without_tls_and_nothing_leaks),
        cmocka_unit_test(timeout_for_silent_and_stalling_servers),
        cmocka_unit_test(auth_for_a_wrong_password_and_server_for_an_unknown_database),
        cmocka_unit_test(network_for_a_closed_port_and_an_unresolvable_name),
        cmocka_unit_test(insecure_options_are_refused_before_anything_is_sent),
        cmocka_unit_test(multi_host_tries_each_in_turn),
        cmocka_unit_test(bad_arguments_and_bundles),
        cmocka_unit_test(the_non_blocking_pair_connects_and_classifies),
        cmocka_unit_test(drop_in_forms_keep_libpq_conventions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
