/* Bundle inspection: the embedded sets, and a file with bad entries where
 * each entry gets its own verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <rdssecure/rdssecure.h>

#include "certgen.h"

static void the_embedded_rds_roots_are_current_regional_roots(void **state)
{
    (void)state;
    rdss_bundle *bundle = NULL;
    assert_int_equal(rdss_bundle_open_embedded(RDSS_EMBEDDED_RDS_ROOTS, &bundle, NULL), RDSS_OK);
    size_t count = rdss_bundle_count(bundle);
    assert_true(count >= 87);
    assert_string_equal(rdss_bundle_source(bundle), "embedded");
    int has_us_east_1[3] = {0, 0, 0};
    for (size_t i = 0; i < count; i++) {
        const char *cn = rdss_bundle_entry_subject_cn(bundle, i);
        assert_non_null(cn);
        assert_null(rdss_bundle_entry_problem(bundle, i));
        assert_int_equal(strncmp(cn, "Amazon RDS ", 11), 0);
        assert_non_null(rdss_bundle_entry_region(bundle, i));
        assert_non_null(strstr(cn, rdss_bundle_entry_region(bundle, i)));
        assert_int_equal(strlen(rdss_bundle_entry_sha256(bundle, i)), 64);
        assert_true(rdss_bundle_entry_not_after_unix(bundle, i) > (int64_t)time(NULL));
        /* subject == issuer: roots */
        assert_string_equal(rdss_bundle_entry_subject(bundle, i), rdss_bundle_entry_issuer(bundle, i));
        if (strcmp(rdss_bundle_entry_region(bundle, i), "us-east-1") == 0 && !strstr(cn, "Beta")) {
            const char *key = rdss_bundle_entry_key_type(bundle, i);
            has_us_east_1[0] |= strcmp(key, "RSA2048") == 0;
            has_us_east_1[1] |= strcmp(key, "RSA4096") == 0;
            has_us_east_1[2] |= strcmp(key, "ECC384") == 0;
        }
    }
    assert_true(has_us_east_1[0] && has_us_east_1[1] && has_us_east_1[2]);
    rdss_bundle_free(bundle);
}

static void the_embedded_proxy_roots_are_the_amazon_trust_roots(void **state)
{
    (void)state;
    rdss_bundle *bundle = NULL;
    assert_int_equal(rdss_bundle_open_embedded(RDSS_EMBEDDED_PROXY_ROOTS, &bundle, NULL), RDSS_OK);
    assert_int_equal(rdss_bundle_count(bundle), 5);
    int amazon = 0, starfield = 0;
    for (size_t i = 0; i < 5; i++) {
        const char *cn = rdss_bundle_entry_subject_cn(bundle, i);
        amazon += strncmp(cn, "Amazon Root CA ", 15) == 0;
        starfield += strcmp(cn, "Starfield Services Root Certificate Authority - G2") == 0;
        assert_null(rdss_bundle_entry_region(bundle, i));
        assert_null(rdss_bundle_entry_problem(bundle, i));
    }
    assert_int_equal(amazon, 4);
    assert_int_equal(starfield, 1);
    rdss_bundle_free(bundle);
    rdss_error *err = NULL;
    assert_int_equal(rdss_bundle_open_embedded(7, &bundle, &err), RDSS_ERR_INVALID_ARGUMENT);
    rdss_error_free(err);
}

static void every_bad_entry_gets_its_own_verdict(void **state)
{
    (void)state;
    tc_cert good = tc_make("Amazon RDS eu-west-1 Root CA RSA2048 G1", 1, -1, 365, NULL);
    tc_cert expired = tc_make("Amazon RDS eu-west-1 2019 CA", 1, -900, -30, NULL);
    tc_cert future = tc_make("Future Root", 1, 10, 400, NULL);
    tc_cert leaf = tc_make("db.example.test", 0, -1, 30, &good);
    tc_cert sub = tc_make("Sub CA", 1, -1, 300, &good);
    char *a = tc_pem((tc_cert[]){good, expired, future, leaf, sub}, 5);
    const char damaged[] = "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n";
    size_t len = strlen(a) + sizeof(damaged) + 40;
    char *text = malloc(len);
    snprintf(text, len, "# comment line\n%s%s", a, damaged);

    rdss_bundle *bundle = NULL;
    assert_int_equal(rdss_bundle_open_pem(text, strlen(text), &bundle, NULL), RDSS_OK);
    assert_int_equal(rdss_bundle_count(bundle), 6);
    assert_null(rdss_bundle_entry_problem(bundle, 0));
    assert_string_equal(rdss_bundle_entry_region(bundle, 0), "eu-west-1");
    assert_string_equal(rdss_bundle_entry_key_type(bundle, 0), "ECC256");
    assert_int_equal(rdss_bundle_entry_line(bundle, 0), 2); /* after the comment */
    assert_string_equal(rdss_bundle_entry_problem(bundle, 1), "expired");
    assert_string_equal(rdss_bundle_entry_problem(bundle, 2), "not yet valid");
    assert_string_equal(rdss_bundle_entry_problem(bundle, 3), "not a CA certificate");
    assert_string_equal(rdss_bundle_entry_problem(bundle, 4), "not self-signed");
    assert_string_equal(rdss_bundle_entry_problem(bundle, 5), "malformed PEM block");
    assert_null(rdss_bundle_entry_subject_cn(bundle, 5));
    assert_null(rdss_bundle_entry_sha256(bundle, 5));
    assert_true(rdss_bundle_entry_line(bundle, 5) > rdss_bundle_entry_line(bundle, 4));
    /* out of range */
    assert_null(rdss_bundle_entry_subject_cn(bundle, 6));
    assert_string_equal(rdss_bundle_entry_problem(bundle, 99), "no such entry");
    assert_int_equal(rdss_bundle_entry_line(bundle, 99), 0);
    rdss_bundle_free(bundle);

    free(text);
    free(a);
    tc_cert_free(&good);
    tc_cert_free(&expired);
    tc_cert_free(&future);
    tc_cert_free(&leaf);
    tc_cert_free(&sub);
}

static void a_bad_file_fails_to_open_with_a_bundle_error(void **state)
{
    (void)state;
    char *dir = tc_tmpdir();
    rdss_bundle *bundle = NULL;
    rdss_error *err = NULL;
    char *empty = tc_write(dir, "empty.pem", "", 0, 0644);
    assert_int_equal(rdss_bundle_open_file(empty, &bundle, &err), RDSS_ERR_BUNDLE);
    assert_null(bundle);
    assert_non_null(strstr(rdss_error_message(err), "empty"));
    rdss_error_free(err);
    char *text = tc_write(dir, "text.pem", "hello\n", 6, 0644);
    assert_int_equal(rdss_bundle_open_file(text, &bundle, &err), RDSS_ERR_BUNDLE);
    rdss_error_free(err);
    assert_int_equal(rdss_bundle_open_file(NULL, &bundle, &err), RDSS_ERR_INVALID_ARGUMENT);
    rdss_error_free(err);
    assert_int_equal(rdss_bundle_open_file(text, NULL, NULL), RDSS_ERR_INVALID_ARGUMENT);
    assert_int_equal(rdss_bundle_open_pem(NULL, 3, &bundle, NULL), RDSS_ERR_INVALID_ARGUMENT);
    /* NULL-safe accessors */
    assert_int_equal(rdss_bundle_count(NULL), 0);
    assert_null(rdss_bundle_source(NULL));
    assert_null(rdss_bundle_entry_sha256(NULL, 0));
    rdss_bundle_free(NULL);
    free(empty);
    free(text);
    tc_rmdir_all(dir);
}

/* A file named like a built-in set cannot pass for it, in inspection or in
 * the trust a config reports. */
static void a_file_named_embedded_is_labelled_as_a_file(void **state)
{
    (void)state;
    char *dir = tc_tmpdir();
    tc_cert root = tc_make("Amazon RDS us-east-1 Root CA RSA2048 G1", 1, -1, 365, NULL);
    char *pem = tc_pem(&root, 1);
    char *cwd = getcwd(NULL, 0);
    assert_int_equal(chdir(dir), 0);
    static const char *const names[] = {"embedded", "embedded-proxy", "memory"};
    for (size_t i = 0; i < 3; i++) {
        free(tc_write(dir, names[i], pem, strlen(pem), 0644));
        char expected[64];
        snprintf(expected, sizeof(expected), "./%s", names[i]);
        rdss_bundle *bundle = NULL;
        assert_int_equal(rdss_bundle_open_file(names[i], &bundle, NULL), RDSS_OK);
        assert_string_equal(rdss_bundle_source(bundle), expected);
        rdss_bundle_free(bundle);
        rdss_config *cfg = rdss_config_new();
        assert_int_equal(rdss_config_set_bundle_file(cfg, names[i], NULL), RDSS_OK);
        assert_string_equal(rdss_config_trust_source(cfg), expected);
        rdss_config_free(cfg);
    }
    assert_int_equal(chdir(cwd), 0);
    free(cwd);
    free(pem);
    tc_cert_free(&root);
    tc_rmdir_all(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_embedded_rds_roots_are_current_regional_roots),
        cmocka_unit_test(the_embedded_proxy_roots_are_the_amazon_trust_roots),
        cmocka_unit_test(every_bad_entry_gets_its_own_verdict),
        cmocka_unit_test(a_bad_file_fails_to_open_with_a_bundle_error),
        cmocka_unit_test(a_file_named_embedded_is_labelled_as_a_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
