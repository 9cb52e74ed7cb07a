#include "scenarios.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "testenv.h"

#define RDS_NAME "db1.abc123xyz.us-east-1.rds.amazonaws.com"

#define SANS "DNS:" RDS_NAME ",DNS:localhost,IP:127.0.0.1"

void rotation_set_make(rotation_set *r)
{
    r->dir = tc_tmpdir();
    r->sub = tc_load(testenv_pki("sub.pem"), testenv_pki("sub.key"));
    r->root_a = tc_load(testenv_pki("root.pem"), testenv_pki("root.key"));
    r->root_b = tc_make("Amazon RDS us-east-1 Root CA ECC384 G1", 1, -1, 3650, NULL);
    r->outsider = tc_make("Amazon RDS us-east-1 Root CA RSA4096 G1", 1, -1, 3650, NULL);
    r->extra_pem = tc_pem((tc_cert[]){r->root_a, r->root_b}, 2);
    r->extra = tc_write(r->dir, "extra.pem", r->extra_pem, strlen(r->extra_pem), 0644);
    r->cfg = rdss_config_new(); /* the embedded bundle, 108 roots, plus the two */
    assert_int_equal(rdss_config_add_extra_ca_file(r->cfg, r->extra, NULL), RDSS_OK);
    r->leaf_a = tc_make_server(RDS_NAME, SANS, -1, 30, &r->sub);
    r->leaf_b = tc_make_server(RDS_NAME, SANS, -1, 30, &r->root_b);
    r->leaf_out = tc_make_server(RDS_NAME, SANS, -1, 30, &r->outsider);
}

void rotation_set_free(rotation_set *r)
{
    rdss_config_free(r->cfg);
    tc_cert_free(&r->leaf_out);
    tc_cert_free(&r->leaf_b);
    tc_cert_free(&r->leaf_a);
    tc_cert_free(&r->outsider);
    tc_cert_free(&r->root_b);
    tc_cert_free(&r->root_a);
    tc_cert_free(&r->sub);
    free(r->extra);
    free(r->extra_pem);
    tc_rmdir_all(r->dir);
}

void scenario_rotations(void (*serve)(const tc_cert *leaf, const tc_cert *chain_rest),
                        rdss_code (*connect_with)(const rdss_config *cfg))
{
    rotation_set r;
    rotation_set_make(&r);
    serve(&r.leaf_a, &r.sub);
    int memfds = count_memfds("ca.pem");
    assert_int_equal(connect_with(r.cfg), RDSS_OK);     /* learns root A */
    assert_int_equal(count_memfds("ca.pem"), memfds + 1); /* ... into a CA file of its own */
    assert_int_equal(connect_with(r.cfg), RDSS_OK);     /* narrowed to root A */
    serve(&r.leaf_b, NULL);
    assert_int_equal(connect_with(r.cfg), RDSS_OK); /* rotated to root B: still connects */
    assert_int_equal(connect_with(r.cfg), RDSS_OK); /* narrowed to root B now */
    serve(&r.leaf_out, NULL);
    assert_int_equal(connect_with(r.cfg), RDSS_ERR_CERT_VERIFY); /* outside the bundle */
    serve(&r.leaf_a, &r.sub);
    assert_int_equal(connect_with(r.cfg), RDSS_OK);
    rotation_set_free(&r);
}

void scenario_probe_sees_expired_chain(rdss_engine engine, int port)
{
    rdss_config *cfg = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), NULL), RDSS_OK);
    rdss_probe_report *report = NULL;
    rdss_error *err = NULL;
    assert_int_equal(rdss_probe(cfg, engine, "127.0.0.1", port, &report, &err), RDSS_ERR_CERT_VERIFY);
    assert_true(rdss_probe_report_days_until_expiry(report) <= -1);
    assert_string_equal(rdss_error_chain_not_after(err), rdss_probe_report_cert_not_after(report, 0));
    rdss_probe_report_free(report);
    rdss_error_free(err);
    rdss_config_free(cfg);
}

void scenario_expiring_leaf(void (*serve)(const tc_cert *leaf, const tc_cert *chain_rest),
                            rdss_code (*connect_with)(const rdss_config *cfg), rdss_engine engine,
                            int port)
{
    tc_cert sub = tc_load(testenv_pki("sub.pem"), testenv_pki("sub.key"));
    tc_cert leaf = tc_make_server(RDS_NAME, SANS, -1, 10, &sub);
    serve(&leaf, &sub);
    rdss_config *cfg = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), NULL), RDSS_OK);
    test_log warnings = {0};
    assert_int_equal(rdss_config_set_expiry_warning(cfg, 30, test_log_collect, &warnings, NULL), RDSS_OK);
    rdss_probe_report *report = NULL;
    assert_int_equal(rdss_probe(cfg, engine, "127.0.0.1", port, &report, NULL), RDSS_OK);
    assert_int_equal(rdss_probe_report_days_until_expiry(report), 10);
    assert_true(rdss_probe_report_expiry_warning(report));
    rdss_probe_report_free(report);
    for (int i = 0; i < 2; i++) /* two connects: one warning for the endpoint */
        assert_int_equal(connect_with(cfg), RDSS_OK);
    assert_int_equal(warnings.count, 1);
    assert_non_null(strstr(warnings.first, "expires in 10 days"));
    assert_non_null(strstr(warnings.first, "127.0.0.1:"));
    rdss_config_free(cfg);
    tc_cert_free(&leaf);
    tc_cert_free(&sub);
}

rdss_config *scenario_bundle_plus(const char *extra_ca)
{
    rdss_config *cfg = rdss_config_new();
    assert_int_equal(rdss_config_add_extra_ca_file(cfg, extra_ca, NULL), RDSS_OK);
    return cfg;
}
