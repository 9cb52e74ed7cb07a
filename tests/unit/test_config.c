/* Config: trust sources (embedded, file, memory, extra CAs), every bad
 * bundle case, deadline and verify-name validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <rdssecure/rdssecure.h>

#include "certgen.h"

typedef struct fixture {
    char *dir;
    tc_cert root;    /* a current CA */
    tc_cert other;   /* a second current CA */
    tc_cert leaf;    /* not a CA */
    tc_cert expired; /* an expired CA */
    rdss_config *cfg;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->dir = tc_tmpdir();
    f->root = tc_make("Test Root CA", 1, -1, 3650, NULL);
    f->other = tc_make("Other Root CA", 1, -1, 3650, NULL);
    f->leaf = tc_make("db.example.test", 0, -1, 30, &f->root);
    f->expired = tc_make("Expired Root CA", 1, -400, -10, NULL);
    f->cfg = rdss_config_new();
    assert_non_null(f->cfg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rdss_config_free(f->cfg);
    tc_cert_free(&f->root);
    tc_cert_free(&f->other);
    tc_cert_free(&f->leaf);
    tc_cert_free(&f->expired);
    tc_rmdir_all(f->dir);
    free(f);
    return 0;
}

/* Writes text as a file with mode and tries it as the bundle; returns the
 * code and leaves the message in *message (caller frees the error). */
static rdss_code try_bundle_text(fixture *f, const char *name, const char *text, size_t len,
                                 mode_t mode, rdss_error **err)
{
    char *path = tc_write(f->dir, name, text, len, mode);
    rdss_code code = rdss_config_set_bundle_file(f->cfg, path, err);
    free(path);
    return code;
}

/* errp, not err: the call producing `code` is an argument too, and C leaves
 * the order of evaluating arguments open. */
static void expect_bundle_error(rdss_code code, rdss_error **errp, const char *fragment)
{
    rdss_error *err = *errp;
    *errp = NULL;
    assert_int_equal(code, RDSS_ERR_BUNDLE);
    assert_int_equal(rdss_error_code(err), RDSS_ERR_BUNDLE);
    if (strstr(rdss_error_message(err), fragment) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", rdss_error_message(err), fragment);
    rdss_error_free(err);
}

static void a_good_file_becomes_the_trust_source(void **state)
{
    fixture *f = *state;
    char *pem = tc_pem(&f->root, 1);
    char *path = tc_write(f->dir, "good.pem", pem, strlen(pem), 0644);
    rdss_error *err = NULL;
    assert_int_equal(rdss_config_set_bundle_file(f->cfg, path, &err), RDSS_OK);
    assert_null(err);
    assert_string_equal(rdss_config_trust_source(f->cfg), path);
    assert_int_equal(rdss_config_check_trust(f->cfg, &err), RDSS_OK);
    free(path);
    free(pem);
}

static void a_missing_file_is_a_bundle_error_naming_the_path(void **state)
{
    fixture *f = *state;
    rdss_error *err = NULL;
    char path[512];
    snprintf(path, sizeof(path), "%s/does-not-exist.pem", f->dir);
    rdss_code code = rdss_config_set_bundle_file(f->cfg, path, &err);
    expect_bundle_error(code, &err, path);
}

static void an_empty_file_is_a_bundle_error(void **state)
{
    fixture *f = *state;
    rdss_error *err = NULL;
    expect_bundle_error(try_bundle_text(f, "empty.pem", "", 0, 0644, &err), &err, "empty");
    expect_bundle_error(try_bundle_text(f, "blank.pem", " \n\t\n", 4, 0644, &err), &err, "empty");
}

static void a_file_that_is_not_pem_is_a_bundle_error(void **state)
{
    fixture *f = *state;
    rdss_error *err = NULL;
    const char text[] = "<html>404 Not Found</html>\n";
    expect_bundle_error(try_bundle_text(f, "html.pem", text, sizeof(text) - 1, 0644, &err), &err,
                        "no PEM certificate");
    const unsigned char binary[] = {0x30, 0x82, 0x00, 0x00, 0xff, 0x00, 0x01};
    expect_bundle_error(try_bundle_text(f, "der.pem", (const char *)binary, sizeof(binary), 0644, &err),
                        &err, "no PEM certificate");
}

static void a_truncated_download_is_a_bundle_error(void **state)
{
    fixture *f = *state;
    char *pem = tc_pem((tc_cert[]){f->root, f->other}, 2);
    size_t cut = strlen(pem) - 120; /* inside the second certificate */
    rdss_error *err = NULL;
    expect_bundle_error(try_bundle_text(f, "cut.pem", pem, cut, 0644, &err), &err,
                        "entry 2 (line");
    /* a damaged base64 body is as bad as a missing END line */
    char *damaged = strdup(pem);
    char *body = strstr(damaged, "-----BEGIN CERTIFICATE-----\n") + 28;
    memcpy(body, "!!!!", 4);
    expect_bundle_error(try_bundle_text(f, "damaged.pem", damaged, strlen(damaged), 0644, &err),
                        &err, "entry 1 (line 1) is malformed");
    free(damaged);
    free(pem);
}

static void a_leaf_certificate_in_a_bundle_is_refused(void **state)
{
    fixture *f = *state;
    char *pem = tc_pem((tc_cert[]){f->root, f->leaf}, 2);
    rdss_error *err = NULL;
    rdss_code code = try_bundle_text(f, "leaf.pem", pem, strlen(pem), 0644, &err);
    /* the error carries the offending certificate */
    assert_non_null(rdss_error_cert_subject(err));
    assert_non_null(strstr(rdss_error_cert_subject(err), "db.example.test"));
    assert_non_null(rdss_error_cert_not_after(err));
    expect_bundle_error(code, &err, "entry 2 (line");
    free(pem);
}

static void a_bundle_of_only_expired_cas_has_no_usable_ca(void **state)
{
    fixture *f = *state;
    char *pem = tc_pem(&f->expired, 1);
    rdss_error *err = NULL;
    expect_bundle_error(try_bundle_text(f, "expired.pem", pem, strlen(pem), 0644, &err), &err,
                        "no usable CA");
    free(pem);
    /* one expired CA among good ones is fine (older bundles carry them) */
    pem = tc_pem((tc_cert[]){f->expired, f->root}, 2);
    assert_int_equal(try_bundle_text(f, "mixed.pem", pem, strlen(pem), 0644, &err), RDSS_OK);
    free(pem);
}

static void a_bundle_writable_by_others_is_refused(void **state)
{
    fixture *f = *state;
    char *pem = tc_pem(&f->root, 1);
    rdss_error *err = NULL;
    expect_bundle_error(try_bundle_text(f, "world.pem", pem, strlen(pem), 0666, &err), &err,
                        "writable by group or others (mode 0666)");
    expect_bundle_error(try_bundle_text(f, "group.pem", pem, strlen(pem), 0664, &err), &err,
                        "writable by group or others");
    expect_bundle_error(try_bundle_text(f, "others.pem", pem, strlen(pem), 0646, &err), &err,
                        "writable by group or others (mode 0646)");
    /* read-only for everyone is fine */
    assert_int_equal(try_bundle_text(f, "readonly.pem", pem, strlen(pem), 0444, &err), RDSS_OK);
    free(pem);
}

static void a_directory_is_not_a_bundle(void **state)
{
    fixture *f = *state;
    rdss_error *err = NULL;
    expect_bundle_error(rdss_config_set_bundle_file(f->cfg, f->dir, &err), &err,
                        "not a regular file");
}

static void a_failed_change_keeps_the_previous_trust(void **state)
{
    fixture *f = *state;
    char *pem = tc_pem(&f->root, 1);
    char *good = tc_write(f->dir, "keep.pem", pem, strlen(pem), 0644);
    rdss_error *err = NULL;
    assert_int_equal(rdss_config_set_bundle_file(f->cfg, good, NULL), RDSS_OK);
    assert_int_equal(rdss_config_set_bundle_file(f->cfg, "/nonexistent/x.pem", &err), RDSS_ERR_BUNDLE);
    rdss_error_free(err);
    assert_string_equal(rdss_config_trust_source(f->cfg), good);
    free(good);
    free(pem);
}

static void pem_in_memory_is_validated_like_a_file(void **state)
{
    fixture *f = *state;
    char *pem = tc_pem(&f->root, 1);
    rdss_error *err = NULL;
    assert_int_equal(rdss_config_set_bundle_pem(f->cfg, pem, strlen(pem), &err), RDSS_OK);
    assert_string_equal(rdss_config_trust_source(f->cfg), "memory");
    expect_bundle_error(rdss_config_set_bundle_pem(f->cfg, pem, 0, &err), &err, "empty");
    expect_bundle_error(rdss_config_set_bundle_pem(f->cfg, "hello", 5, &err), &err,
                        "no PEM certificate");
    char *leaf = tc_pem(&f->leaf, 1);
    expect_bundle_error(rdss_config_set_bundle_pem(f->cfg, leaf, strlen(leaf), &err), &err,
                        "not a CA certificate");
    assert_int_equal(rdss_config_set_bundle_pem(f->cfg, NULL, 10, &err), RDSS_ERR_INVALID_ARGUMENT);
    rdss_error_free(err);
    free(leaf);
    free(pem);
}

static void extra_cas_are_added_to_any_bundle(void **state)
{
    fixture *f = *state;
    char *other = tc_pem(&f->other, 1);
    char *root = tc_pem(&f->root, 1);
    rdss_error *err = NULL;
    /* on top of the default */
    assert_int_equal(rdss_config_add_extra_ca_pem(f->cfg, other, strlen(other), &err), RDSS_OK);
    assert_non_null(strstr(rdss_config_trust_source(f->cfg), "+ 1 extra"));
    /* they stay when the bundle changes; a duplicate is counted once */
    assert_int_equal(rdss_config_set_bundle_pem(f->cfg, root, strlen(root), &err), RDSS_OK);
    assert_string_equal(rdss_config_trust_source(f->cfg), "memory + 1 extra");
    char *path = tc_write(f->dir, "extra.pem", root, strlen(root), 0644);
    assert_int_equal(rdss_config_add_extra_ca_file(f->cfg, path, &err), RDSS_OK);
    assert_string_equal(rdss_config_trust_source(f->cfg), "memory + 2 extra");
    assert_int_equal(rdss_config_check_trust(f->cfg, &err), RDSS_OK);
    /* a bad extra is a bundle error too */
    char *leaf = tc_pem(&f->leaf, 1);
    expect_bundle_error(rdss_config_add_extra_ca_pem(f->cfg, leaf, strlen(leaf), &err), &err,
                        "not a CA certificate");
    assert_string_equal(rdss_config_trust_source(f->cfg), "memory + 2 extra");
    free(leaf);
    free(path);
    free(root);
    free(other);
}

static void the_embedded_bundle_can_be_chosen_explicitly(void **state)
{
    fixture *f = *state;
    rdss_error *err = NULL;
    assert_int_equal(rdss_config_use_embedded_bundle(f->cfg, &err), RDSS_OK);
    assert_string_equal(rdss_config_trust_source(f->cfg), "embedded");
    assert_int_equal(rdss_config_check_trust(f->cfg, &err), RDSS_OK);
}

static void the_default_trust_is_the_embedded_bundle(void **state)
{
    fixture *f = *state;
    assert_string_equal(rdss_config_trust_source(f->cfg), "default");
    assert_int_equal(rdss_config_check_trust(f->cfg, NULL), RDSS_OK);
    assert_string_equal(rdss_config_trust_source(f->cfg), "embedded");
}

static void the_deadline_is_validated(void **state)
{
    fixture *f = *state;
    rdss_error *err = NULL;
    assert_int_equal(rdss_config_timeout_ms(f->cfg), RDSS_DEFAULT_TIMEOUT_MS);
    assert_int_equal(rdss_config_set_timeout_ms(f->cfg, 0, &err), RDSS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(rdss_error_message(err), "out of range"));
    rdss_error_free(err);
    assert_int_equal(rdss_config_set_timeout_ms(f->cfg, -5, NULL), RDSS_ERR_INVALID_ARGUMENT);
    assert_int_equal(rdss_config_set_timeout_ms(f->cfg, RDSS_MAX_TIMEOUT_MS + 1L, NULL),
                     RDSS_ERR_INVALID_ARGUMENT);
    assert_int_equal(rdss_config_timeout_ms(f->cfg), RDSS_DEFAULT_TIMEOUT_MS);
    assert_int_equal(rdss_config_set_timeout_ms(f->cfg, 1, NULL), RDSS_OK);
    assert_int_equal(rdss_config_set_timeout_ms(f->cfg, RDSS_MAX_TIMEOUT_MS, NULL), RDSS_OK);
    assert_int_equal(rdss_config_timeout_ms(f->cfg), RDSS_MAX_TIMEOUT_MS);
}

static void verify_names_must_be_dns_names_or_addresses(void **state)
{
    fixture *f = *state;
    const char *good[] = {"db1.abc123xyz.us-east-1.rds.amazonaws.com", "localhost", "127.0.0.1",
                          "::1", "2001:db8::5", "a-b.c"};
    const char *bad[] = {"",      "*.rds.amazonaws.com", "bad name", "-lead.example", "trail-.x",
                         "a..b",  "a.b.", "x\nexample.com", "under_score.example",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(rdss_config_set_verify_name(f->cfg, good[i], NULL), RDSS_OK);
        assert_string_equal(rdss_config_verify_name(f->cfg), good[i]);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rdss_error *err = NULL;
        if (rdss_config_set_verify_name(f->cfg, bad[i], &err) != RDSS_ERR_INVALID_ARGUMENT)
            fail_msg("verify-name \"%s\" was accepted", bad[i]);
        rdss_error_free(err);
        /* the previous, valid name stays */
        assert_string_equal(rdss_config_verify_name(f->cfg), good[5]);
    }
    assert_int_equal(rdss_config_set_verify_name(f->cfg, NULL, NULL), RDSS_OK);
    assert_null(rdss_config_verify_name(f->cfg));
}

static void null_arguments_are_invalid_not_fatal(void **state)
{
    (void)state;
    rdss_error *err = NULL;
    assert_int_equal(rdss_config_set_bundle_file(NULL, "/x", &err), RDSS_ERR_INVALID_ARGUMENT);
    rdss_error_free(err);
    rdss_config *cfg = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(cfg, NULL, &err), RDSS_ERR_INVALID_ARGUMENT);
    rdss_error_free(err);
    assert_int_equal(rdss_config_set_bundle_file(cfg, "", NULL), RDSS_ERR_INVALID_ARGUMENT);
    assert_int_equal(rdss_config_add_extra_ca_file(cfg, NULL, NULL), RDSS_ERR_INVALID_ARGUMENT);
    assert_int_equal(rdss_config_add_extra_ca_pem(NULL, "x", 1, NULL), RDSS_ERR_INVALID_ARGUMENT);
    assert_int_equal(rdss_config_use_embedded_bundle(NULL, NULL), RDSS_ERR_INVALID_ARGUMENT);
    assert_int_equal(rdss_config_set_verify_name(NULL, "x", NULL), RDSS_ERR_INVALID_ARGUMENT);
    assert_int_equal(rdss_config_check_trust(NULL, NULL), RDSS_ERR_INVALID_ARGUMENT);
    assert_null(rdss_config_verify_name(NULL));
    assert_int_equal(rdss_config_timeout_ms(NULL), RDSS_DEFAULT_TIMEOUT_MS);
    assert_string_equal(rdss_config_trust_source(NULL), "default");
    rdss_config_free(NULL);
    rdss_config_free(cfg);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(a_good_file_becomes_the_trust_source),
        T(a_missing_file_is_a_bundle_error_naming_the_path),
        T(an_empty_file_is_a_bundle_error),
        T(a_file_that_is_not_pem_is_a_bundle_error),
        T(a_truncated_download_is_a_bundle_error),
        T(a_leaf_certificate_in_a_bundle_is_refused),
        T(a_bundle_of_only_expired_cas_has_no_usable_ca),
        T(a_bundle_writable_by_others_is_refused),
        T(a_directory_is_not_a_bundle),
        T(a_failed_change_keeps_the_previous_trust),
        T(pem_in_memory_is_validated_like_a_file),
        T(extra_cas_are_added_to_any_bundle),
        T(the_embedded_bundle_can_be_chosen_explicitly),
        T(the_default_trust_is_the_embedded_bundle),
        T(the_deadline_is_validated),
        T(verify_names_must_be_dns_names_or_addresses),
        cmocka_unit_test(null_arguments_are_invalid_not_fatal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
