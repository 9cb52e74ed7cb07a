/* A real PostgreSQL presenting certificates that must fail (expired leaf,
 * self-signed leaf) and running without TLS at all. The test rewrites the
 * scratch server's certificate files and reloads it between cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/ssl.h>

#include <rdssecure/pg.h>

#include "certgen.h"
#include "fake_server.h"
#include "scenarios.h"
#include "scratch.h"
#include "testenv.h"

#define SCRATCH(key) testenv("postgres_scratch.env", key)
#define SANS "DNS:db1.abc123xyz.us-east-1.rds.amazonaws.com,DNS:localhost,IP:127.0.0.1"

static rdss_code connect_code(rdss_error **err)
{
    rdss_config *cfg = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), NULL), RDSS_OK);
    char info[512];
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%s user=postgres dbname=postgres", SCRATCH("PG_PORT"));
    PGconn *conn = rdss_pg_connect(cfg, info, err);
    rdss_config_free(cfg);
    rdss_code code = conn ? RDSS_OK : rdss_error_code(*err);
    PQfinish(conn);
    return code;
}

static void an_expired_leaf_is_cert_verify(void **state)
{
    (void)state;
    tc_cert sub = tc_load(testenv_pki("sub.pem"), testenv_pki("sub.key"));
    tc_cert leaf = tc_make_server("db1.abc123xyz.us-east-1.rds.amazonaws.com", SANS, -60, -1, &sub);
    scratch_pg_serve(&leaf, &sub);
    rdss_error *err = NULL;
    assert_int_equal(connect_code(&err), RDSS_ERR_CERT_VERIFY);
    assert_non_null(strstr(rdss_error_message(err), "expired"));
    assert_non_null(rdss_error_cert_not_after(err));
    rdss_error_free(err);
    /* the probe says the same, and that the chain's expiry has passed */
    scenario_probe_sees_expired_chain(RDSS_ENGINE_PG, atoi(SCRATCH("PG_PORT")));
    tc_cert_free(&leaf);
    tc_cert_free(&sub);
}

static void a_self_signed_leaf_is_cert_verify(void **state)
{
    (void)state;
    tc_cert leaf = tc_make_server("db1.abc123xyz.us-east-1.rds.amazonaws.com", SANS, -1, 30, NULL);
    scratch_pg_serve(&leaf, NULL);
    rdss_error *err = NULL;
    assert_int_equal(connect_code(&err), RDSS_ERR_CERT_VERIFY);
    assert_non_null(strstr(rdss_error_message(err), "self-signed"));
    rdss_error_free(err);
    tc_cert_free(&leaf);
}


static rdss_code connect_at(const rdss_config *cfg, int port)
{
    char info[512];
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%d user=%s password=%s dbname=%s", port,
             SCRATCH("PG_USER"), SCRATCH("PG_PASSWORD"), SCRATCH("PG_DATABASE"));
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, info, &err);
    rdss_code code = conn ? RDSS_OK : rdss_error_code(err);
    rdss_error_free(err);
    PQfinish(conn);
    return code;
}

static rdss_code connect_with(const rdss_config *cfg)
{
    return connect_at(cfg, atoi(SCRATCH("PG_PORT")));
}

static void a_leaf_expiring_in_10_days_warns(void **state)
{
    (void)state;
    scenario_expiring_leaf(scratch_pg_serve, connect_with, RDSS_ENGINE_PG, atoi(SCRATCH("PG_PORT")));
}

static void rotations_keep_the_full_bundle_semantics(void **state)
{
    (void)state;
    scenario_rotations(scratch_pg_serve, connect_with);
}

/* One connect through `relay` that must end in `want` after exactly
 * `handshakes` connections (each one TLS handshake attempt: the driver's
 * or the probe's), as docs/ARCHITECTURE.md counts them. */
static void connects_with(fake_server *relay, const rdss_config *cfg, rdss_code want, int handshakes,
                          const char *what)
{
    int before = fake_server_connections(relay);
    rdss_code got = connect_at(cfg, fake_server_port(relay));
    int used = fake_server_connections(relay) - before;
    if (got != want || used != handshakes)
        fail_msg("%s: %s after %d connection(s); expected %s after %d", what, rdss_error_name(got), used,
                 rdss_error_name(want), handshakes);
}

/* A failed connect costs no more handshakes than typing it needs: a relay
 * in front of the scratch server counts the connections of each case. */
static void handshakes_per_connect(void **state)
{
    (void)state;
    rotation_set r;
    rotation_set_make(&r);
    int server = atoi(SCRATCH("PG_PORT"));

    scratch_pg_serve(&r.leaf_out, NULL);
    fake_server *relay = fake_server_start_relay(FAKE_TCP_RELAY, server);
    connects_with(relay, r.cfg, RDSS_ERR_CERT_VERIFY, 1, "refused on first sight: the probe");
    fake_server_stop(relay);

    scratch_pg_serve(&r.leaf_a, &r.sub);
    relay = fake_server_start_relay(FAKE_TCP_RELAY, server); /* a new port: not seen yet */
    connects_with(relay, r.cfg, RDSS_OK, 2, "first sight: the probe, then libpq");
    connects_with(relay, r.cfg, RDSS_OK, 1, "anchor cached: libpq alone");
    scratch_pg_serve(&r.leaf_out, NULL);
    connects_with(relay, r.cfg, RDSS_ERR_CERT_VERIFY, 2, "refused, anchor cached: libpq, then the probe");
    scratch_pg_serve(&r.leaf_b, NULL);
    connects_with(relay, r.cfg, RDSS_OK, 3, "rotated within the bundle: libpq, the probe, libpq");
    connects_with(relay, r.cfg, RDSS_OK, 1, "the new anchor cached");
    fake_server_stop(relay);

    scratch_pg_restore(NULL);
    rotation_set_free(&r);
}

/* A server that sends its leaf alone, and a bundle that carries the
 * intermediate: the one-root file the cache gives libpq keeps the bundle's
 * intermediates, so the cached connect is still one handshake. */
static void a_bare_leaf_and_a_bundle_with_the_intermediate(void **state)
{
    (void)state;
    rotation_set r;
    rotation_set_make(&r);
    char *pem = tc_pem((tc_cert[]){r.sub, r.root_a}, 2);
    char *file = tc_write(r.dir, "with-intermediate.pem", pem, strlen(pem), 0644);
    rdss_config *cfg = scenario_bundle_plus(file);
    scratch_pg_serve(&r.leaf_a, NULL);
    fake_server *relay = fake_server_start_relay(FAKE_TCP_RELAY, atoi(SCRATCH("PG_PORT")));
    connects_with(relay, cfg, RDSS_OK, 2, "leaf alone, first sight: the probe, then libpq");
    connects_with(relay, cfg, RDSS_OK, 1, "leaf alone, anchor cached: libpq alone");
    fake_server_stop(relay);
    scratch_pg_restore(NULL);
    rdss_config_free(cfg);
    free(file);
    free(pem);
    rotation_set_free(&r);
}

static void a_good_leaf_connects_again(void **state)
{
    (void)state;
    /* the same server with a proper chain: proves the two failures above
     * were the certificates', not the server's */
    tc_cert sub = tc_load(testenv_pki("sub.pem"), testenv_pki("sub.key"));
    tc_cert leaf = tc_make_server("db1.abc123xyz.us-east-1.rds.amazonaws.com", SANS, -1, 30, &sub);
    scratch_pg_serve(&leaf, &sub);
    rdss_error *err = NULL;
    /* superuser postgres has no password and local-only trust: over TCP the
     * server demands one, so success here is "auth", reached after TLS */
    rdss_code code = connect_code(&err);
    if (code != RDSS_ERR_AUTH)
        fail_msg("%s: %s", rdss_error_name(code), rdss_error_message(err));
    rdss_error_free(err);
    tc_cert_free(&leaf);
    tc_cert_free(&sub);
}

static void a_server_without_tls_is_tls_refused(void **state)
{
    (void)state;
    scratch_pg_admin("ALTER SYSTEM SET ssl = off");
    scratch_pg_admin("SELECT pg_reload_conf()");
    rdss_error *err = NULL;
    rdss_code code = RDSS_OK;
    for (int i = 0; i < 100; i++) { /* until the reload has taken effect */
        rdss_error_free(err);
        err = NULL;
        code = connect_code(&err);
        if (code == RDSS_ERR_TLS_REFUSED)
            break;
        usleep(50000);
    }
    assert_int_equal(code, RDSS_ERR_TLS_REFUSED);
    rdss_error_free(err);
    /* the probe of the real server says the same, having seen no certificate */
    rdss_probe_report *report = NULL;
    assert_int_equal(rdss_probe(NULL, RDSS_ENGINE_PG, "127.0.0.1", atoi(SCRATCH("PG_PORT")), &report, NULL),
                     RDSS_ERR_TLS_REFUSED);
    assert_int_equal(rdss_probe_report_chain_length(report), 0);
    rdss_probe_report_free(report);
    /* ssl comes back on in the teardown, whatever happened here */
}

int main(void)
{
    setlocale(LC_ALL, ""); /* as an application would: the German run is German */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_expired_leaf_is_cert_verify),
        cmocka_unit_test(a_self_signed_leaf_is_cert_verify),
        cmocka_unit_test(a_leaf_expiring_in_10_days_warns),
        cmocka_unit_test(rotations_keep_the_full_bundle_semantics),
        cmocka_unit_test(handshakes_per_connect),
        cmocka_unit_test(a_bare_leaf_and_a_bundle_with_the_intermediate),
        cmocka_unit_test(a_good_leaf_connects_again),
        cmocka_unit_test_teardown(a_server_without_tls_is_tls_refused, scratch_pg_restore),
    };
    return cmocka_run_group_tests(tests, NULL, scratch_pg_restore);
}
