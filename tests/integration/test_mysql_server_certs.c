/* A real MariaDB presenting certificates that must fail (expired leaf,
 * self-signed leaf, a leaf that does not name the host). The test rewrites
 * the scratch server's certificate files and reloads them (FLUSH SSL)
 * between cases. */
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

#include <rdssecure/mysql.h>

#include "certgen.h"
#include "scenarios.h"
#include "scratch.h"
#include "testenv.h"

#define SCRATCH(key) testenv("mariadb_scratch.env", key)
#define RDS_NAME "db1.abc123xyz.us-east-1.rds.amazonaws.com"
#define SANS "DNS:" RDS_NAME ",DNS:localhost,IP:127.0.0.1"

static rdss_code connect_code(rdss_error **err)
{
    rdss_config *cfg = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), NULL), RDSS_OK);
    MYSQL *mysql = mysql_init(NULL);
    MYSQL *connected = rdss_mysql_connect(cfg, mysql, "127.0.0.1", SCRATCH("MY_USER"),
                                          SCRATCH("MY_PASSWORD"), SCRATCH("MY_DATABASE"),
                                          (unsigned)atoi(SCRATCH("MY_PORT")), NULL, 0, err);
    rdss_config_free(cfg);
    mysql_close(mysql);
    return connected ? RDSS_OK : rdss_error_code(*err);
}

static void expect_code(rdss_code expected, const char *message_part)
{
    rdss_error *err = NULL;
    rdss_code code = connect_code(&err);
    if (code != expected)
        fail_msg("expected %s, got %s: %s", rdss_error_name(expected), rdss_error_name(code),
                 err ? rdss_error_message(err) : "-");
    if (message_part != NULL)
        assert_non_null(strstr(rdss_error_message(err), message_part));
    if (expected != RDSS_OK)
        assert_non_null(rdss_error_cert_not_after(err));
    rdss_error_free(err);
}

static void an_expired_leaf_is_cert_verify(void **state)
{
    (void)state;
    tc_cert sub = tc_load(testenv_pki("sub.pem"), testenv_pki("sub.key"));
    tc_cert leaf = tc_make_server(RDS_NAME, SANS, -60, -1, &sub);
    scratch_mysql_serve(&leaf, &sub);
    expect_code(RDSS_ERR_CERT_VERIFY, "expired");
    /* the probe says the same, and that the chain's expiry has passed */
    scenario_probe_sees_expired_chain(RDSS_ENGINE_MYSQL, atoi(SCRATCH("MY_PORT")));
    tc_cert_free(&leaf);
    tc_cert_free(&sub);
}

static void a_self_signed_leaf_is_cert_verify(void **state)
{
    (void)state;
    tc_cert leaf = tc_make_server(RDS_NAME, SANS, -1, 30, NULL);
    scratch_mysql_serve(&leaf, NULL);
    expect_code(RDSS_ERR_CERT_VERIFY, "self-signed");
    tc_cert_free(&leaf);
}

static void a_leaf_for_another_name_is_hostname_mismatch(void **state)
{
    (void)state;
    /* chains to the trusted root, but names neither 127.0.0.1 nor localhost:
     * libmariadb's own host check fails, the probe says why */
    tc_cert sub = tc_load(testenv_pki("sub.pem"), testenv_pki("sub.key"));
    tc_cert leaf = tc_make_server(RDS_NAME, "DNS:" RDS_NAME, -1, 30, &sub);
    scratch_mysql_serve(&leaf, &sub);
    expect_code(RDSS_ERR_HOSTNAME_MISMATCH, RDS_NAME);
    tc_cert_free(&leaf);
    tc_cert_free(&sub);
}


static rdss_code connect_with(const rdss_config *cfg)
{
    MYSQL *mysql = mysql_init(NULL);
    rdss_error *err = NULL;
    MYSQL *connected = rdss_mysql_connect(cfg, mysql, "127.0.0.1", SCRATCH("MY_USER"), SCRATCH("MY_PASSWORD"),
                                          SCRATCH("MY_DATABASE"), (unsigned)atoi(SCRATCH("MY_PORT")), NULL, 0,
                                          &err);
    rdss_code code = connected ? RDSS_OK : rdss_error_code(err);
    rdss_error_free(err);
    mysql_close(mysql);
    return code;
}

static void a_leaf_expiring_in_10_days_warns(void **state)
{
    (void)state;
    scenario_expiring_leaf(scratch_mysql_serve, connect_with, RDSS_ENGINE_MYSQL, atoi(SCRATCH("MY_PORT")));
    /* still served: on success too the chain's earliest expiry is known */
    rdss_config *cfg = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), NULL), RDSS_OK);
    MYSQL *mysql = mysql_init(NULL);
    rdss_error *err = NULL;
    if (rdss_mysql_connect(cfg, mysql, "127.0.0.1", SCRATCH("MY_USER"), SCRATCH("MY_PASSWORD"),
                           SCRATCH("MY_DATABASE"), (unsigned)atoi(SCRATCH("MY_PORT")), NULL, 0, &err) == NULL)
        fail_msg("%s", rdss_error_message(err));
    rdss_tls_info *info = NULL;
    assert_int_equal(rdss_mysql_tls_info(mysql, &info, NULL), RDSS_OK);
    assert_string_equal(rdss_tls_info_chain_not_after(info), rdss_tls_info_peer_not_after(info));
    rdss_tls_info_free(info);
    mysql_close(mysql);
    rdss_config_free(cfg);
}

static void rotations_keep_the_full_bundle_semantics(void **state)
{
    (void)state;
    scenario_rotations(scratch_mysql_serve, connect_with);
}

static void a_good_leaf_connects_again(void **state)
{
    (void)state;
    /* the same server with a proper chain: the failures above were the
     * certificates', not the server's */
    tc_cert sub = tc_load(testenv_pki("sub.pem"), testenv_pki("sub.key"));
    tc_cert leaf = tc_make_server(RDS_NAME, SANS, -1, 30, &sub);
    scratch_mysql_serve(&leaf, &sub);
    expect_code(RDSS_OK, NULL);
    tc_cert_free(&leaf);
    tc_cert_free(&sub);
}

int main(void)
{
    setlocale(LC_ALL, ""); /* as an application would: the German run is German */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_expired_leaf_is_cert_verify),
        cmocka_unit_test(a_self_signed_leaf_is_cert_verify),
        cmocka_unit_test(a_leaf_for_another_name_is_hostname_mismatch),
        cmocka_unit_test(a_leaf_expiring_in_10_days_warns),
        cmocka_unit_test(rotations_keep_the_full_bundle_semantics),
        cmocka_unit_test(a_good_leaf_connects_again),
    };
    int failed = cmocka_run_group_tests(tests, NULL, scratch_mysql_restore);
    mysql_library_end();
    return failed;
}
