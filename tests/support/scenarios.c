#include "scenarios.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testenv.h"

#define RDS_NAME "db1.abc123xyz.us-east-1.rds.amazonaws.com"
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
    rdss_config *cfg = rdss_config_new(); /* the embedded bundle, 87 roots, plus the two */
    assert_int_equal(rdss_config_add_extra_ca_file(cfg, extra, NULL), RDSS_OK);
    tc_cert leaf_a = tc_make_server(RDS_NAME, SANS, -1, 30, &sub);
    tc_cert leaf_b = tc_make_server(RDS_NAME, SANS, -1, 30, &root_b);
    tc_cert leaf_out = tc_make_server(RDS_NAME, SANS, -1, 30, &outsider);
    serve(&leaf_a, &sub);
    assert_int_equal(connect_with(cfg), RDSS_OK); /* learns root A */
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
