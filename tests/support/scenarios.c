#include "scenarios.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "testenv.h"

#define RDS_NAME "db1.abc123xyz.us-east-1.rds.amazonaws.com"

/* The CA memfds this process holds (each trust, narrowed ones included). */
static int ca_memfds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    int count = 0;
    for (struct dirent *e = dir ? readdir(dir) : NULL; e != NULL; e = readdir(dir)) {
        char link[300], target[256];
        snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(link, target, sizeof(target) - 1);
        if (len > 0) {
            target[len] = '\0';
            count += strstr(target, "memfd:ca.pem") != NULL;
        }
    }
    if (dir != NULL)
        closedir(dir);
    return count;
}
#define SANS "DNS:" RDS_NAME ",DNS:localhost,IP:127.0.0.1"

void scenario_rotations(void (*serve)(const tc_cert *leaf, const tc_cert *chain_rest),
                        rdss_code (*connect_with)(const rdss_config *cfg))
{
    char *dir = tc_tmpdir();
    tc_cert sub = tc_load(testenv_pki("sub.pem"), testenv_pki("sub.key"));
    tc_cert root_a = tc_load(testenv_pki("root.pem"), testenv_pki("root.key"));
    tc_cert root_b = tc_make("Amazon RDS us-east-1 Root CA ECC384 G1", 1, -1, 3650, NULL);
    tc_cert outsider = tc_make("Amazon RDS us-east-1 Root CA RSA4096 G1", 1, -1, 3650, NULL);
    char *extra_pem = tc_pem((tc_cert[]){root_a, root_b}, 2);
    char *extra = tc_write(dir, "extra.pem", extra_pem, strlen(extra_pem), 0644);
    rdss_config *cfg = rdss_config_new(); /* the embedded bundle, 108 roots, plus the two */
    assert_int_equal(rdss_config_add_extra_ca_file(cfg, extra, NULL), RDSS_OK);
    tc_cert leaf_a = tc_make_server(RDS_NAME, SANS, -1, 30, &sub);
    tc_cert leaf_b = tc_make_server(RDS_NAME, SANS, -1, 30, &root_b);
    tc_cert leaf_out = tc_make_server(RDS_NAME, SANS, -1, 30, &outsider);
    serve(&leaf_a, &sub);
    int memfds = ca_memfds();
    assert_int_equal(connect_with(cfg), RDSS_OK); /* learns root A */
    assert_int_equal(ca_memfds(), memfds + 1);    /* ... into a CA file of its own */
    assert_int_equal(connect_with(cfg), RDSS_OK); /* narrowed to root A */
    serve(&leaf_b, NULL);
    assert_int_equal(connect_with(cfg), RDSS_OK); /* rotated to root B: still connects */
    assert_int_equal(connect_with(cfg), RDSS_OK); /* narrowed to root B now */
    serve(&leaf_out, NULL);
    assert_int_equal(connect_with(cfg), RDSS_ERR_CERT_VERIFY); /* outside the bundle */
    serve(&leaf_a, &sub);
    assert_int_equal(connect_with(cfg), RDSS_OK);
    rdss_config_free(cfg);
    tc_cert_free(&leaf_out);
    tc_cert_free(&leaf_b);
    tc_cert_free(&leaf_a);
    tc_cert_free(&outsider);
    tc_cert_free(&root_b);
    tc_cert_free(&root_a);
    tc_cert_free(&sub);
    free(extra);
    free(extra_pem);
    tc_rmdir_all(dir);
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
