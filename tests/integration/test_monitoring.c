/* The per-process counters: every connect of both engines is counted once,
 * under its typed result, from any number of threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <cmocka.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "testenv.h"

#define PG(key) testenv("postgres.env", key)
#define MY(key) testenv("mariadb.env", key)

static rdss_config *cfg;

static void pg_connect(const char *password)
{
    char info[512];
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%s user=%s password=%s dbname=%s", PG("PG_PORT"),
             PG("PG_USER"), password, PG("PG_DATABASE"));
    PQfinish(rdss_pg_connect(cfg, info, NULL));
}

static void my_connect(const char *password)
{
    MYSQL *mysql = mysql_init(NULL);
    rdss_mysql_connect(cfg, mysql, "127.0.0.1", MY("MY_USER"), password, MY("MY_DATABASE"),
                       (unsigned)atoi(MY("MY_PORT")), NULL, 0, NULL);
    mysql_close(mysql);
}

static void each_connect_is_counted_under_its_result(void **state)
{
    (void)state;
    rdss_stats_reset();
    char pg_password[128], my_password[128];
    snprintf(pg_password, sizeof(pg_password), "%s", PG("PG_PASSWORD"));
    snprintf(my_password, sizeof(my_password), "%s", MY("MY_PASSWORD"));
    pg_connect(pg_password);
    pg_connect("wrong");
    my_connect(my_password);
    my_connect("wrong");
    PQfinish(rdss_pg_connect(cfg, "host=127.0.0.1 sslmode=disable", NULL));
    MYSQL *mysql = mysql_init(NULL);
    rdss_mysql_connect(cfg, mysql, "localhost", "u", "p", "db", 3306, "/tmp/x.sock", 0, NULL);
    mysql_close(mysql);
    assert_int_equal(rdss_stats_attempts(), 6);
    assert_int_equal(rdss_stats_results(RDSS_OK), 2);
    assert_int_equal(rdss_stats_results(RDSS_ERR_AUTH), 2);
    assert_int_equal(rdss_stats_results(RDSS_ERR_INSECURE_OPTION), 2);
    assert_int_equal(rdss_stats_results(RDSS_ERR_CERT_VERIFY), 0);
    assert_int_equal(rdss_stats_results(99), 0);
}

/* Refused before any I/O: many connects, quickly, from several threads. */
static void *refused_connects(void *arg)
{
    (void)arg;
    for (int i = 0; i < 50; i++) {
        PQfinish(rdss_pg_connect(cfg, "host=127.0.0.1 sslmode=disable", NULL));
        MYSQL *mysql = mysql_init(NULL);
        rdss_mysql_connect(cfg, mysql, "localhost", "u", "p", "db", 3306, "/tmp/x.sock", 0, NULL);
        mysql_close(mysql);
    }
    mysql_thread_end();
    return NULL;
}

static void counting_is_thread_safe(void **state)
{
    (void)state;
    rdss_stats_reset();
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, refused_connects, NULL), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    assert_int_equal(rdss_stats_attempts(), 400);
    assert_int_equal(rdss_stats_results(RDSS_ERR_INSECURE_OPTION), 400);
}

int main(void)
{
    cfg = rdss_config_new();
    if (rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), NULL) != RDSS_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_connect_is_counted_under_its_result),
        cmocka_unit_test(counting_is_thread_safe),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    rdss_config_free(cfg);
    mysql_library_end();
    return failed;
}
