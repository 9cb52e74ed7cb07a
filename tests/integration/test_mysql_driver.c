/* Proves the MariaDB fixture: raw libmariadb reaches the local server over
 * verified TLS with the test root, and fails verification without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <mysql.h>

#include "testenv.h"

static MYSQL *connect_with_root(const char *host, const char *root)
{
    MYSQL *mysql = mysql_init(NULL);
    assert_non_null(mysql);
    my_bool verify = 1;
    unsigned int timeout = 10;
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CA, root);
    mysql_optionsv(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
    mysql_optionsv(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    unsigned int tcp = MYSQL_PROTOCOL_TCP;
    mysql_optionsv(mysql, MYSQL_OPT_PROTOCOL, &tcp);
    if (!mysql_real_connect(mysql, host, testenv("mariadb.env", "MY_USER"),
                            testenv("mariadb.env", "MY_PASSWORD"),
                            testenv("mariadb.env", "MY_DATABASE"),
                            (unsigned)atoi(testenv("mariadb.env", "MY_PORT")), NULL, 0)) {
        return mysql; /* the caller looks at mysql_errno */
    }
    return mysql;
}

static void raw_libmariadb_connects_with_verification(void **state)
{
    (void)state;
    const char *hosts[] = {"127.0.0.1", "localhost"};
    for (size_t i = 0; i < 2; i++) {
        MYSQL *mysql = connect_with_root(hosts[i], testenv_pki("root.pem"));
        if (mysql_errno(mysql) != 0)
            fail_msg("%s: %s", hosts[i], mysql_error(mysql));
        assert_non_null(mysql_get_ssl_cipher(mysql));
        assert_int_equal(mysql_query(mysql, "SHOW SESSION STATUS LIKE 'Ssl_version'"), 0);
        MYSQL_RES *res = mysql_store_result(mysql);
        MYSQL_ROW row = mysql_fetch_row(res);
        assert_non_null(row);
        assert_int_equal(strncmp(row[1], "TLSv1.", 6), 0);
        mysql_free_result(res);
        mysql_close(mysql);
    }
}

static void an_untrusted_root_fails_verification(void **state)
{
    (void)state;
    MYSQL *mysql = connect_with_root("127.0.0.1", testenv_pki("untrusted-root.pem"));
    assert_int_not_equal(mysql_errno(mysql), 0);
    mysql_close(mysql);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(raw_libmariadb_connects_with_verification),
        cmocka_unit_test(an_untrusted_root_fails_verification),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    mysql_library_end();
    return failed;
}
