/* The option table against the installed drivers: every option libpq,
 * libmariadb's option-file reader and its handle API know must be
 * classified, so that a newer driver cannot bring in one nobody judged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "driver_options.h"
#include "policy/option_table.h"

static void every_driver_option_is_classified(rdss__option_table table, const driver_option_list *known,
                                              const char *driver)
{
    size_t missing = 0;
    for (size_t i = 0; i < known->count; i++) {
        char name[128];
        snprintf(name, sizeof(name), "%s", known->items[i].name);
        if (table == RDSS__OPTIONS_MARIADB_FILE) /* libmariadb reads '_' as '-' */
            for (char *c = name; *c; c++)
                *c = *c == '_' ? '-' : *c;
        const rdss__option *o = rdss__option_find(table, name);
        if (o == NULL) {
            print_error("%s knows \"%s\", which the option table does not classify\n", driver, name);
            missing++;
            continue;
        }
        const char *envvar = known->items[i].envvar;
        if ((envvar == NULL) != (o->envvar == NULL) || (envvar && strcmp(envvar, o->envvar) != 0)) {
            print_error("%s: \"%s\" reads %s, the table says %s\n", driver, name, envvar ? envvar : "none",
                        o->envvar ? o->envvar : "none");
            missing++;
        }
        assert_non_null(o->why);
    }
    assert_int_equal(missing, 0);
}

static void libpq_keywords(void **state)
{
    (void)state;
    driver_option_list known = {0};
    assert_int_equal(driver_options_libpq(&known), 0);
    assert_true(known.count >= 30); /* libpq 15 lists 36 */
    every_driver_option_is_classified(RDSS__OPTIONS_LIBPQ, &known, "libpq");
    /* what must never go through */
    assert_int_equal(rdss__option_find(RDSS__OPTIONS_LIBPQ, "sslcrl")->rule, RDSS__OPTION_REFUSED);
    assert_int_equal(rdss__option_find(RDSS__OPTIONS_LIBPQ, "sslcrldir")->rule, RDSS__OPTION_REFUSED);
    assert_int_equal(rdss__option_find(RDSS__OPTIONS_LIBPQ, "sslmode")->rule, RDSS__OPTION_FORCED);
    driver_option_list_free(&known);
}

static void libmariadb_option_file_keys(void **state)
{
    (void)state;
    driver_option_list known = {0};
    assert_int_equal(driver_options_mariadb_keys(&known), 0);
    assert_true(known.count >= 60); /* libmariadb 3.3.20 knows 65 */
    every_driver_option_is_classified(RDSS__OPTIONS_MARIADB_FILE, &known, "libmariadb (option files)");
    static const char *const refused[] = {"ssl-crl", "tls-crl", "ssl-crlpath", "tls-crlpath",
                                          "ssl-ca", "ssl-capath", "connection"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        assert_int_equal(rdss__option_find(RDSS__OPTIONS_MARIADB_FILE, refused[i])->rule,
                         RDSS__OPTION_REFUSED);
    assert_int_equal(rdss__option_find(RDSS__OPTIONS_MARIADB_FILE, "reconnect")->rule, RDSS__OPTION_FORCED);
    driver_option_list_free(&known);
}

static void libmariadb_handle_options(void **state)
{
    (void)state;
    driver_option_list known = {0};
    assert_int_equal(driver_options_mysql_enum(RDSS_MYSQL_H, &known), 0);
    assert_true(known.count >= 70); /* libmariadb 3.3 declares 75 */
    every_driver_option_is_classified(RDSS__OPTIONS_MARIADB_HANDLE, &known, "libmariadb (mysql_optionsv)");
    assert_int_equal(rdss__option_find(RDSS__OPTIONS_MARIADB_HANDLE, "MYSQL_OPT_SSL_CRL")->rule,
                     RDSS__OPTION_REFUSED);
    driver_option_list_free(&known);
}

/* The harvesting itself must be able to fail: a name the drivers do not
 * know is not found in what they list. */
static void the_comparison_can_fail(void **state)
{
    (void)state;
    driver_option_list known = {0};
    assert_int_equal(driver_options_libpq(&known), 0);
    int found_crl = 0;
    for (size_t i = 0; i < known.count; i++) {
        assert_string_not_equal(known.items[i].name, "no_such_keyword");
        found_crl |= strcmp(known.items[i].name, "sslcrl") == 0;
    }
    assert_true(found_crl);
    assert_null(rdss__option_find(RDSS__OPTIONS_LIBPQ, "no_such_keyword"));
    driver_option_list_free(&known);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(libpq_keywords),
        cmocka_unit_test(libmariadb_option_file_keys),
        cmocka_unit_test(libmariadb_handle_options),
        cmocka_unit_test(the_comparison_can_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
