/* 8 threads x 200 connects, both engines, good servers and broken ones,
 * the library's first use (the default bundle's lazy initialisation) raced
 * by all threads at once: every result must be the expected typed name.
 * The TSan build of the test command runs this test too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "closed_port.h"
#include "fake_server.h"
#include "testenv.h"

#define THREADS 8
#define CONNECTS 200
#define KINDS 8

typedef struct shared {
    pthread_barrier_t start;
    rdss_config *trusting; /* the test root */
    char pg_good[512], pg_wrong_password[512], pg_closed[128];
    char my_port[16], my_user[64], my_password[128], my_db[64];
    int no_tls_port;
    int wrong[THREADS];
    char first_wrong[THREADS][256];
} shared;

static shared s;

static const rdss_code expected[KINDS] = {
    RDSS_OK,          RDSS_OK,
    RDSS_ERR_CERT_VERIFY, RDSS_ERR_CERT_VERIFY, /* the default bundle does not trust the test PKI */
    RDSS_ERR_AUTH,    RDSS_ERR_INSECURE_OPTION,
    RDSS_ERR_NETWORK, RDSS_ERR_TLS_REFUSED,
};

static rdss_code my_connect(const rdss_config *cfg, const char *password, unsigned port, const char *socket)
{
    MYSQL *mysql = mysql_init(NULL);
    rdss_error *err = NULL;
    MYSQL *connected = rdss_mysql_connect(cfg, mysql, "127.0.0.1", s.my_user, password, s.my_db, port,
                                          socket, 0, &err);
    rdss_code code = connected ? RDSS_OK : rdss_error_code(err);
    rdss_error_free(err);
    mysql_close(mysql);
    return code;
}

static rdss_code pg_connect(const rdss_config *cfg, const char *info)
{
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, info, &err);
    rdss_code code = conn ? RDSS_OK : rdss_error_code(err);
    rdss_error_free(err);
    PQfinish(conn);
    return code;
}

static rdss_code run_kind(int kind)
{
    unsigned my_port = (unsigned)atoi(s.my_port);
    switch (kind) {
    case 0: return pg_connect(s.trusting, s.pg_good);
    case 1: return my_connect(s.trusting, s.my_password, my_port, NULL);
    case 2: return pg_connect(NULL, s.pg_good);
    case 3: return my_connect(NULL, s.my_password, my_port, NULL);
    case 4: return pg_connect(s.trusting, s.pg_wrong_password);
    case 5: return my_connect(s.trusting, s.my_password, my_port, "/run/mysqld/mysqld.sock");
    case 6: return pg_connect(s.trusting, s.pg_closed);
    default: return my_connect(s.trusting, "secret", (unsigned)s.no_tls_port, NULL);
    }
}

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    pthread_barrier_wait(&s.start);
    /* the first calls of all threads together: kinds 2 and 3 first build
     * the process-wide default trust */
    for (int i = 0; i < CONNECTS; i++) {
        int kind = (i + 2 + t) % KINDS;
        rdss_code code = run_kind(kind);
        if (code != expected[kind] && s.wrong[t]++ == 0)
            snprintf(s.first_wrong[t], sizeof(s.first_wrong[t]), "kind %d: expected %s, got %s", kind,
                     rdss_error_name(expected[kind]), rdss_error_name(code));
    }
    mysql_thread_end();
    return NULL;
}

static void every_result_is_the_expected_name(void **state)
{
    (void)state;
    fake_server *no_tls = fake_server_start(FAKE_MY_NO_TLS);
    closed_port closed = closed_port_hold(); /* refused, and held for the test */
    int port_closed = closed.port;
    s.no_tls_port = fake_server_port(no_tls);
#define PG_INFO "host=127.0.0.1 port=%s user=%s password=%s dbname=%s"
    snprintf(s.pg_good, sizeof(s.pg_good), PG_INFO, testenv("postgres.env", "PG_PORT"),
             testenv("postgres.env", "PG_USER"), testenv("postgres.env", "PG_PASSWORD"),
             testenv("postgres.env", "PG_DATABASE"));
    snprintf(s.pg_wrong_password, sizeof(s.pg_wrong_password), PG_INFO, testenv("postgres.env", "PG_PORT"),
             testenv("postgres.env", "PG_USER"), "wrong", testenv("postgres.env", "PG_DATABASE"));
    snprintf(s.pg_closed, sizeof(s.pg_closed), "host=127.0.0.1 port=%d user=u password=p dbname=d", port_closed);
    snprintf(s.my_port, sizeof(s.my_port), "%s", testenv("mariadb.env", "MY_PORT"));
    snprintf(s.my_user, sizeof(s.my_user), "%s", testenv("mariadb.env", "MY_USER"));
    snprintf(s.my_password, sizeof(s.my_password), "%s", testenv("mariadb.env", "MY_PASSWORD"));
    snprintf(s.my_db, sizeof(s.my_db), "%s", testenv("mariadb.env", "MY_DATABASE"));
    s.trusting = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(s.trusting, testenv_pki("root.pem"), NULL), RDSS_OK);
    rdss_stats_reset();
    pthread_barrier_init(&s.start, NULL, THREADS);
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&threads[t], NULL, worker, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    pthread_barrier_destroy(&s.start);
    for (int t = 0; t < THREADS; t++)
        if (s.wrong[t] != 0)
            fail_msg("thread %d: %d wrong results, first: %s", t, s.wrong[t], s.first_wrong[t]);
    assert_int_equal(rdss_stats_attempts(), THREADS * CONNECTS);
    assert_int_equal(rdss_stats_results(RDSS_OK), THREADS * CONNECTS / 4);
    print_message("%d connects from %d threads, each with its expected typed name\n", THREADS * CONNECTS,
                  THREADS);
    rdss_config_free(s.trusting);
    fake_server_stop(no_tls);
    closed_port_release(&closed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(every_result_is_the_expected_name)};
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    mysql_library_end();
    return failed;
}
