/* Reading MySQL option files as libmariadb 3.3 does, and the policy that
 * refuses what would weaken TLS. The sanitized copy must give libmariadb
 * back exactly the values kept: the reader reads its own output here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "certgen.h"
#include "tls/classify.h"
#include "mysql/mysql_optfile.h"
#include "mysql/mysql_plan.h"

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = tc_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tc_rmdir_all(dir);
    return 0;
}

static char *write_file(const char *name, const char *text)
{
    return tc_write(dir, name, text, strlen(text), 0644);
}

static void groups_quotes_and_escapes(void **state)
{
    (void)state;
    char *file = write_file("a.cnf",
                            "# comment\n"
                            "[mysqld]\nssl=0\nhost=server-side\n"
                            "[client]\n  host = db1.example.com  \nport=3307\n"
                            "password = \"two  words\\tand\\\\slash\"\n"
                            "init_command='SET NAMES utf8mb4'\n"
                            "[myapp]\nuser=app\n"
                            "[other]\nuser=not-me\n");
    rdss__mysql_options options;
    assert_int_equal(rdss__mysql_options_read(file, "myapp", &options, NULL), RDSS_OK);
    assert_string_equal(options.host, "db1.example.com");
    assert_int_equal(options.port, 3307);
    assert_int_equal(options.count, 5);
    assert_non_null(strstr(options.text, "password=\"two  words\\tand\\\\slash\"\n"));
    assert_non_null(strstr(options.text, "init-command=\"SET NAMES utf8mb4\"\n"));
    assert_non_null(strstr(options.text, "user=\"app\"\n"));
    assert_null(strstr(options.text, "not-me"));
    assert_null(strstr(options.text, "server-side"));
    /* the copy reads back to the same settings */
    char *copy = write_file("copy.cnf", options.text);
    rdss__mysql_options again;
    assert_int_equal(rdss__mysql_options_read(copy, NULL, &again, NULL), RDSS_OK);
    assert_string_equal(again.text, options.text);
    rdss__mysql_options_free(&again);
    rdss__mysql_options_free(&options);
    free(copy);
    free(file);
}

static void sockets_and_harmless_tls_settings_are_dropped(void **state)
{
    (void)state;
    char *file = write_file("b.cnf", "[client-server]\nsocket = /run/mysqld/mysqld.sock\n"
                                     "[client]\nprotocol=TCP\nssl\nssl-verify-server-cert=1\n"
                                     "ssl-mode=VERIFY_IDENTITY\ntls-version=TLSv1.2,TLSv1.3\n");
    rdss__mysql_options options;
    assert_int_equal(rdss__mysql_options_read(file, NULL, &options, NULL), RDSS_OK);
    assert_string_equal(options.text, "[client]\ntls-version=\"TLSv1.2,TLSv1.3\"\n");
    rdss__mysql_options_free(&options);
    free(file);
}

static void includes(void **state)
{
    (void)state;
    char sub[512];
    snprintf(sub, sizeof(sub), "%s/conf.d", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    char *in_dir = tc_write(sub, "my.cnf", "[client]\nuser=from-dir\n", 23, 0644);
    /* libmariadb 3.3 reads only my.cnf of an !includedir */
    char *ignored = tc_write(sub, "50-client.cnf", "[client]\nssl-verify-server-cert=0\n", 34, 0644);
    char *inner = write_file("inner.cnf", "[client]\ncompress=1\n");
    char text[1024];
    snprintf(text, sizeof(text), "[client]\n!include %s\n!includedir %s\n", inner, sub);
    char *outer = write_file("outer.cnf", text);
    rdss__mysql_options options;
    assert_int_equal(rdss__mysql_options_read(outer, NULL, &options, NULL), RDSS_OK);
    assert_string_equal(options.text, "[client]\ncompress=\"1\"\nuser=\"from-dir\"\n");
    rdss__mysql_options_free(&options);
    /* what is not a regular file is skipped: /dev/zero would never end */
    char *zero = write_file("zero.cnf", "[client]\n!include /dev/zero\nuser=after\n");
    assert_int_equal(rdss__mysql_options_read(zero, NULL, &options, NULL), RDSS_OK);
    assert_string_equal(options.text, "[client]\nuser=\"after\"\n");
    rdss__mysql_options_free(&options);
    free(zero);
    /* a file that includes itself stops at libmariadb's depth limit */
    snprintf(text, sizeof(text), "[client]\n!include %s/loop.cnf\n", dir);
    char *loop = write_file("loop.cnf", text);
    assert_int_equal(rdss__mysql_options_read(loop, NULL, &options, NULL), RDSS_OK);
    rdss__mysql_options_free(&options);
    free(loop);
    free(outer);
    free(inner);
    free(ignored);
    free(in_dir);
}

static void refusals_name_file_and_setting(void **state)
{
    (void)state;
    char *file = write_file("c.cnf", "[client]\nuser=app\nssl_verify_server_cert=0\n");
    rdss__mysql_options options;
    rdss_error *err = NULL;
    assert_int_equal(rdss__mysql_options_read(file, NULL, &options, &err), RDSS_ERR_INSECURE_OPTION);
    assert_non_null(strstr(rdss_error_message(err), file));
    assert_non_null(strstr(rdss_error_message(err), "ssl-verify-server-cert=0"));
    assert_null(options.text);
    rdss_error_free(err);
    free(file);
    /* a missing file is skipped, as libmariadb skips it */
    assert_int_equal(rdss__mysql_options_read("/nonexistent/my.cnf", NULL, &options, NULL), RDSS_OK);
    assert_string_equal(options.text, "[client]\n");
    rdss__mysql_options_free(&options);
}

static void version_and_cipher_rules(void **state)
{
    (void)state;
    assert_true(rdss__mysql_tls_versions_ok("TLSv1.2,TLSv1.3"));
    assert_true(rdss__mysql_tls_versions_ok("TLSv1.3"));
    assert_false(rdss__mysql_tls_versions_ok("TLSv1.1,TLSv1.2"));
    assert_false(rdss__mysql_tls_versions_ok("TLSv1"));
    assert_false(rdss__mysql_tls_versions_ok(""));
    assert_false(rdss__mysql_tls_versions_ok(NULL));
    assert_true(rdss__mysql_cipher_list_ok("ECDHE-RSA-AES256-GCM-SHA384"));
    assert_false(rdss__mysql_cipher_list_ok("aNULL"));
    assert_false(rdss__mysql_cipher_list_ok("ALL:eNULL"));
    assert_false(rdss__mysql_cipher_list_ok("no-such-cipher"));
}

/* Only the server's own error numbers can say auth or server: the client
 * library's (2000-2999) and Connector/C's (5000-5999) cannot. */
static void which_error_numbers_are_the_servers(void **state)
{
    (void)state;
    assert_true(rdss__is_mysql_server_errno(1045));
    assert_true(rdss__is_mysql_server_errno(4151));
    assert_false(rdss__is_mysql_server_errno(2026));
    assert_false(rdss__is_mysql_server_errno(5013));
    assert_int_equal(rdss__code_for_mysql_errno(1045), RDSS_ERR_AUTH);
    assert_int_equal(rdss__code_for_mysql_errno(1049), RDSS_ERR_SERVER);
}

/* A driver given no CA file trusts the system's CAs: when the library
 * could not make one (out of descriptors), the plan refuses to go on. */
static void no_ca_file_is_refused(void **state)
{
    (void)state;
    MYSQL *mysql = mysql_init(NULL);
    rdss__mysql_plan plan;
    memset(&plan, 0, sizeof(plan));
    plan.option_file.fd = -1;
    rdss_error *err = NULL;
    rdss__connect no_trust; /* neither a CA file nor a directory */
    memset(&no_trust, 0, sizeof(no_trust));
    assert_int_equal(rdss__mysql_plan_apply(&plan, mysql, &no_trust, "", &err), RDSS_ERR_INTERNAL);
    assert_non_null(strstr(rdss_error_message(err), "CA file"));
    const char *ca = "unset";
    assert_int_equal(mysql_get_optionv(mysql, MYSQL_OPT_SSL_CA, &ca), 0);
    assert_null(ca); /* nothing was set on the handle */
    assert_int_equal(mysql_get_optionv(mysql, MYSQL_OPT_SSL_CAPATH, &ca), 0);
    assert_null(ca);
    rdss_error_free(err);
    rdss__mysql_plan_free(&plan);
    mysql_close(mysql);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(groups_quotes_and_escapes),
        cmocka_unit_test(sockets_and_harmless_tls_settings_are_dropped),
        cmocka_unit_test(includes),
        cmocka_unit_test(refusals_name_file_and_setting),
        cmocka_unit_test(version_and_cipher_rules),
        cmocka_unit_test(which_error_numbers_are_the_servers),
        cmocka_unit_test(no_ca_file_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
