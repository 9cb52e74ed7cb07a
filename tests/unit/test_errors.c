/* Typed error names, descriptions and error objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <rdssecure/pg.h>
#include <rdssecure/rdssecure.h>

/* The typed error names the library promises (README and rdssecure.h), in enum order. */
static const char *const contract_names[] = {
    "ok",     "cert_verify",     "hostname_mismatch", "tls_refused",      "timeout", "auth",
    "network", "insecure_option", "bundle",            "invalid_argument", "server",  "internal",
};

static void every_code_has_its_contract_name(void **state)
{
    (void)state;
    assert_int_equal(RDSS_CODE_MAX + 1, sizeof(contract_names) / sizeof(contract_names[0]));
    for (int code = RDSS_OK; code <= RDSS_CODE_MAX; code++) {
        assert_string_equal(rdss_error_name(code), contract_names[code]);
        assert_int_equal(rdss_code_from_name(contract_names[code]), code);
    }
}

static void every_code_has_a_distinct_description(void **state)
{
    (void)state;
    for (int a = RDSS_OK; a <= RDSS_CODE_MAX; a++) {
        const char *text = rdss_strerror(a);
        assert_non_null(text);
        assert_true(strlen(text) > 10);
        assert_string_not_equal(text, rdss_strerror(-1));
        for (int b = a + 1; b <= RDSS_CODE_MAX; b++)
            assert_string_not_equal(text, rdss_strerror(b));
    }
}

static void out_of_range_codes_and_names(void **state)
{
    (void)state;
    assert_string_equal(rdss_error_name(-1), "unknown");
    assert_string_equal(rdss_error_name(RDSS_CODE_MAX + 1), "unknown");
    assert_string_equal(rdss_strerror(1000), "unknown error code");
    assert_int_equal(rdss_code_from_name("no_such_name"), -1);
    assert_int_equal(rdss_code_from_name(NULL), -1);
    assert_int_equal(rdss_code_from_name("OK"), -1); /* names are exact, lower case */
}

static void null_error_object_reads_as_success(void **state)
{
    (void)state;
    assert_int_equal(rdss_error_code(NULL), RDSS_OK);
    assert_string_equal(rdss_error_message(NULL), "");
    assert_null(rdss_error_driver_message(NULL));
    assert_null(rdss_error_cert_subject(NULL));
    assert_null(rdss_error_cert_issuer(NULL));
    assert_null(rdss_error_cert_not_after(NULL));
    rdss_error_free(NULL);
}

static void a_failing_call_fills_the_error_object(void **state)
{
    (void)state;
    rdss_error *err = (rdss_error *)&err; /* garbage the call must overwrite */
    assert_int_equal(rdss_config_set_timeout_ms(NULL, 10, &err), RDSS_ERR_INVALID_ARGUMENT);
    assert_int_equal(rdss_error_code(err), RDSS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(rdss_error_message(err), "config is NULL"));
    assert_null(rdss_error_driver_message(err));
    rdss_error_free(err);

    /* err may be NULL: the code alone comes back. */
    assert_int_equal(rdss_config_set_timeout_ms(NULL, 10, NULL), RDSS_ERR_INVALID_ARGUMENT);
}

static void a_succeeding_call_clears_the_error_pointer(void **state)
{
    (void)state;
    rdss_config *cfg = rdss_config_new();
    rdss_error *err = (rdss_error *)&err;
    assert_int_equal(rdss_config_set_timeout_ms(cfg, 250, &err), RDSS_OK);
    assert_null(err);
    rdss_config_free(cfg);
}

static void assert_one_line(const char *text)
{
    assert_non_null(text);
    assert_true(text[0] != '\0');
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++)
        assert_true(*c >= 0x20 && *c != 0x7f);
    assert_true(text[strlen(text) - 1] != ' ');
}

/* What libpq says ends in a newline and may hold several lines; a message
 * of ours is one line whatever went into it. */
static void messages_are_one_line(void **state)
{
    (void)state;
    rdss_config *cfg = rdss_config_new();
    static const char *const conninfos[] = {"hostx=1", "host='unterminated", "port=5432 dbname"};
    for (size_t i = 0; i < sizeof(conninfos) / sizeof(conninfos[0]); i++) {
        rdss_error *err = NULL;
        PGconn *conn = rdss_pg_connect(cfg, conninfos[i], &err);
        assert_int_equal(rdss_error_code(err), RDSS_ERR_INVALID_ARGUMENT);
        assert_one_line(rdss_error_message(err));
        if (rdss_error_driver_message(err) != NULL)
            assert_one_line(rdss_error_driver_message(err));
        PQfinish(conn);
        rdss_error_free(err);
    }
    /* bytes a hostile server or name may carry: other line breaks, escape
     * sequences, invalid UTF-8, U+2028 */
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, "host=h sslmode='x\v\fb\x1b[8m\xff\xe2\x80\xa8" "y'", &err);
    assert_int_equal(rdss_error_code(err), RDSS_ERR_INVALID_ARGUMENT);
    const char *message = rdss_error_message(err);
    assert_one_line(message);
    assert_non_null(strstr(message, "x b [8m?")); /* the value is still there, made harmless */
    assert_null(strstr(message, "\xe2\x80\xa8"));
    assert_null(strstr(message, "\xff"));
    PQfinish(conn);
    rdss_error_free(err);
    rdss_config_free(cfg);
}

static void version_functions_agree_with_the_header(void **state)
{
    (void)state;
    char expected[32];
    snprintf(expected, sizeof(expected), "%d.%d.%d", RDSSECURE_VERSION_MAJOR,
             RDSSECURE_VERSION_MINOR, RDSSECURE_VERSION_PATCH);
    assert_string_equal(rdss_version(), expected);
    assert_int_equal(rdss_version_number(), (RDSSECURE_VERSION_MAJOR << 16) |
                                                (RDSSECURE_VERSION_MINOR << 8) |
                                                RDSSECURE_VERSION_PATCH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_code_has_its_contract_name),
        cmocka_unit_test(every_code_has_a_distinct_description),
        cmocka_unit_test(out_of_range_codes_and_names),
        cmocka_unit_test(null_error_object_reads_as_success),
        cmocka_unit_test(a_failing_call_fills_the_error_object),
        cmocka_unit_test(a_succeeding_call_clears_the_error_pointer),
        cmocka_unit_test(version_functions_agree_with_the_header),
        cmocka_unit_test(messages_are_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
