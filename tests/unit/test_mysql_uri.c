/* The mysql:// URI parser: what it accepts and every way it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mysql/mysql_uri.h"

static void full_uri(void **state)
{
    (void)state;
    rdss__mysql_uri uri;
    assert_int_equal(rdss__mysql_uri_parse("mysql://app%40corp:p%3Aw%2Fd%25@db1.example.com:3307/sales%20db"
                                        "?ssl-mode=VERIFY_IDENTITY&ssl-ca=%2Ftmp%2Fca.pem&charset=utf8mb4",
                                        &uri, NULL),
                     RDSS_OK);
    assert_string_equal(uri.user, "app@corp");
    assert_string_equal(uri.password, "p:w/d%");
    assert_string_equal(uri.host, "db1.example.com");
    assert_int_equal(uri.port, 3307);
    assert_string_equal(uri.database, "sales db");
    assert_string_equal(uri.ssl_ca, "/tmp/ca.pem");
    assert_string_equal(uri.charset, "utf8mb4");
    rdss__mysql_uri_free(&uri);
}

static void minimal_and_ipv6(void **state)
{
    (void)state;
    rdss__mysql_uri uri;
    assert_int_equal(rdss__mysql_uri_parse("mariadb://db1", &uri, NULL), RDSS_OK);
    assert_null(uri.user);
    assert_null(uri.password);
    assert_string_equal(uri.host, "db1");
    assert_int_equal(uri.port, 0);
    assert_null(uri.database);
    rdss__mysql_uri_free(&uri);
    assert_int_equal(rdss__mysql_uri_parse("mysql://u@[::1]:3306/", &uri, NULL), RDSS_OK);
    assert_string_equal(uri.user, "u");
    assert_null(uri.password);
    assert_string_equal(uri.host, "::1");
    assert_int_equal(uri.port, 3306);
    assert_null(uri.database);
    rdss__mysql_uri_free(&uri);
    /* a raw '@' in the password: the last '@' ends the credentials */
    assert_int_equal(rdss__mysql_uri_parse("mysql://u:a@b@[fe80::1]/db", &uri, NULL), RDSS_OK);
    assert_string_equal(uri.password, "a@b");
    assert_string_equal(uri.host, "fe80::1");
    rdss__mysql_uri_free(&uri);
}

static void refusals(void **state)
{
    (void)state;
    static const struct {
        const char *uri;
        rdss_code code;
        const char *says;
    } cases[] = {
        {"postgresql://h/db", RDSS_ERR_INVALID_ARGUMENT, "not a mysql://"},
        {"mysql://", RDSS_ERR_INVALID_ARGUMENT, "no host"},
        {"mysql://u:p@/db", RDSS_ERR_INVALID_ARGUMENT, "no host"},
        {"mysql://h:0/db", RDSS_ERR_INVALID_ARGUMENT, "port"},
        {"mysql://h:65536/db", RDSS_ERR_INVALID_ARGUMENT, "port"},
        {"mysql://h:33o6/db", RDSS_ERR_INVALID_ARGUMENT, "port"},
        {"mysql://h:/db", RDSS_ERR_INVALID_ARGUMENT, "port"},
        {"mysql://[::1/db", RDSS_ERR_INVALID_ARGUMENT, "']'"},
        {"mysql://[::1]x/db", RDSS_ERR_INVALID_ARGUMENT, "after ']'"},
        {"mysql://u%4@h/db", RDSS_ERR_INVALID_ARGUMENT, "percent"},
        {"mysql://u%zz@h/db", RDSS_ERR_INVALID_ARGUMENT, "percent"},
        {"mysql://u%00@h/db", RDSS_ERR_INVALID_ARGUMENT, "percent"},
        {"mysql://a,b/db", RDSS_ERR_INVALID_ARGUMENT, "one host"},
        {"mysql://h/db/more", RDSS_ERR_INVALID_ARGUMENT, "one database"},
        {"mysql://h/db?sslmode", RDSS_ERR_INVALID_ARGUMENT, "key=value"},
        {"mysql://h/db?color=blue", RDSS_ERR_INVALID_ARGUMENT, "unknown option"},
        {"mysql://h/db?ssl-mode=sometimes", RDSS_ERR_INVALID_ARGUMENT, "unknown ssl-mode"},
        {"mysql://h/db?ssl-mode=DISABLED", RDSS_ERR_INSECURE_OPTION, "DISABLED"},
        {"mysql://h/db?ssl_mode=preferred", RDSS_ERR_INSECURE_OPTION, "preferred"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rdss__mysql_uri uri;
        rdss_error *err = NULL;
        rdss_code code = rdss__mysql_uri_parse(cases[i].uri, &uri, &err);
        if (code != cases[i].code || strstr(rdss_error_message(err), cases[i].says) == NULL)
            fail_msg("%s: %s: %s", cases[i].uri, rdss_error_name(code), rdss_error_message(err));
        assert_null(uri.host); /* nothing half-parsed is left */
        rdss_error_free(err);
    }
    rdss_error *err = NULL;
    rdss__mysql_uri uri;
    assert_int_equal(rdss__mysql_uri_parse(NULL, &uri, &err), RDSS_ERR_INVALID_ARGUMENT);
    rdss_error_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_uri),
        cmocka_unit_test(minimal_and_ipv6),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
