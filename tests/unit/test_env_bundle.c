/* RDSSECURE_CA_BUNDLE selects the default trust. The default is decided once
 * per process, so ctest runs this program once per case:
 *   test_env_bundle good | missing | writable | empty-value */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rdssecure/rdssecure.h>

#include "certgen.h"

static const char *scenario;

static void the_environment_decides_the_default_trust(void **state)
{
    (void)state;
    char *dir = tc_tmpdir();
    tc_cert root = tc_make("Env Root CA", 1, -1, 365, NULL);
    char *pem = tc_pem(&root, 1);
    char *path = NULL;
    if (strcmp(scenario, "good") == 0 || strcmp(scenario, "writable") == 0)
        path = tc_write(dir, "env.pem", pem, strlen(pem),
                        strcmp(scenario, "good") == 0 ? 0644 : 0666);
    else if (strcmp(scenario, "missing") == 0)
        path = strdup("/nonexistent/rdssecure/bundle.pem");
    setenv("RDSSECURE_CA_BUNDLE", path ? path : "", 1);

    rdss_config *cfg = rdss_config_new();
    rdss_error *err = NULL;
    rdss_code code = rdss_config_check_trust(cfg, &err);
    if (strcmp(scenario, "good") == 0) {
        assert_int_equal(code, RDSS_OK);
        assert_string_equal(rdss_config_trust_source(cfg), path);
    } else if (strcmp(scenario, "empty-value") == 0) {
        /* set but empty: as if unset */
        assert_int_equal(code, RDSS_OK);
        assert_string_equal(rdss_config_trust_source(cfg), "embedded");
    } else {
        assert_int_equal(code, RDSS_ERR_BUNDLE);
        assert_non_null(strstr(rdss_error_message(err), "RDSSECURE_CA_BUNDLE: "));
        assert_non_null(strstr(rdss_error_message(err), path));
        rdss_error_free(err);
        /* the failure is remembered: a second use reports it again */
        assert_int_equal(rdss_config_check_trust(cfg, &err), RDSS_ERR_BUNDLE);
        assert_non_null(strstr(rdss_error_message(err),
                               strcmp(scenario, "missing") == 0 ? "cannot open" : "writable"));
        rdss_error_free(err);
        /* a config with an explicit bundle does not depend on the environment */
        assert_int_equal(rdss_config_use_embedded_bundle(cfg, NULL), RDSS_OK);
        assert_int_equal(rdss_config_check_trust(cfg, NULL), RDSS_OK);
    }
    rdss_config_free(cfg);
    free(path);
    free(pem);
    tc_cert_free(&root);
    tc_rmdir_all(dir);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s good|missing|writable|empty-value\n", argv[0]);
        return 2;
    }
    scenario = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_environment_decides_the_default_trust),
    };
    return cmocka_run_group_tests_name(scenario, tests, NULL, NULL);
}
