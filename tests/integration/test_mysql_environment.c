/* Nothing in the environment weakens a MySQL connect: the drop-in form with
 * the default config (RDSSECURE_CA_BUNDLE names the test root), a hostile
 * ~/.my.cnf read because the caller asked for a group, and Connector/C
 * 3.4's MARIADB_TLS_DISABLE_PEER_VERIFICATION. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rdssecure/mysql.h>

#include "certgen.h"
#include "testenv.h"

#define MY(key) testenv("mariadb.env", key)

static char *home;

static int setup(void **state)
{
    (void)state;
    /* before the first connect: the default trust is read once */
    setenv("RDSSECURE_CA_BUNDLE", testenv_pki("root.pem"), 1);
    home = tc_tmpdir();
    setenv("HOME", home, 1);
    unsetenv("MARIADB_HOME");
    unsetenv("MYSQL_HOME");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tc_rmdir_all(home);
    return 0;
}

/* rdss_mysql_real_connect on a fresh handle (read_group: ask libmariadb to
 * read option files for that group); the typed result. */
static rdss_code drop_in(const char *password, const char *read_group)
{
    MYSQL *mysql = mysql_init(NULL);
    if (read_group != NULL)
        mysql_optionsv(mysql, MYSQL_READ_DEFAULT_GROUP, read_group);
    MYSQL *connected = rdss_mysql_real_connect(mysql, "127.0.0.1", MY("MY_USER"), password,
                                               MY("MY_DATABASE"), (unsigned)atoi(MY("MY_PORT")), NULL, 0);
    rdss_code code = RDSS_OK;
    if (connected == NULL) {
        assert_non_null(rdss_last_error());
        code = rdss_error_code(rdss_last_error());
    } else {
        assert_non_null(mysql_get_ssl_cipher(mysql));
    }
    mysql_close(mysql);
    return code;
}

static void drop_in_uses_the_default_config(void **state)
{
    (void)state;
    assert_int_equal(drop_in(MY("MY_PASSWORD"), NULL), RDSS_OK);
    assert_int_equal(drop_in("wrong", NULL), RDSS_ERR_AUTH);
}

static void home_option_file_cannot_weaken(void **state)
{
    (void)state;
    static const char hostile[] = "[client]\nssl-verify-server-cert=0\nssl-ca=/dev/null\n";
    char *file = tc_write(home, ".my.cnf", hostile, sizeof(hostile) - 1, 0600);
    /* not read unless the caller asks for option files */
    assert_int_equal(drop_in(MY("MY_PASSWORD"), NULL), RDSS_OK);
    /* read when a group is asked for: refused, naming the file */
    assert_int_equal(drop_in(MY("MY_PASSWORD"), "myapp"), RDSS_ERR_INSECURE_OPTION);
    assert_non_null(strstr(rdss_error_message(rdss_last_error()), ".my.cnf"));
    free(file);
    static const char harmless[] = "[myapp]\ndefault-character-set=utf8mb4\n";
    file = tc_write(home, ".my.cnf", harmless, sizeof(harmless) - 1, 0600);
    assert_int_equal(drop_in(MY("MY_PASSWORD"), "myapp"), RDSS_OK);
    free(file);
}

static void connector_c_34_switch_is_refused(void **state)
{
    (void)state;
    setenv("MARIADB_TLS_DISABLE_PEER_VERIFICATION", "1", 1);
    assert_int_equal(drop_in(MY("MY_PASSWORD"), NULL), RDSS_ERR_INSECURE_OPTION);
    unsetenv("MARIADB_TLS_DISABLE_PEER_VERIFICATION");
    assert_int_equal(drop_in(MY("MY_PASSWORD"), NULL), RDSS_OK);
}

static int clear_connector_switch(void **state)
{
    (void)state;
    unsetenv("MARIADB_TLS_DISABLE_PEER_VERIFICATION");
    return 0;
}

int main(void)
{
    setlocale(LC_ALL, "");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(drop_in_uses_the_default_config),
        cmocka_unit_test(home_option_file_cannot_weaken),
        cmocka_unit_test_teardown(connector_c_34_switch_is_refused, clear_connector_switch),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    mysql_library_end();
    return failed;
}
