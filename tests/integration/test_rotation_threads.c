/* 8 threads connect, both engines, with a whole-bundle trust (the embedded
 * roots and two test roots), while the servers' certificate rotates between
 * the two roots under them: the anchor cache, the first-connect probe and
 * the retry with the whole trust run concurrently, and every connect must
 * succeed. The TSan build of the test command runs this test too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "certgen.h"
#include "scratch.h"
#include "testenv.h"

#define THREADS 8
#define CONNECTS 24
#define SANS "DNS:localhost,IP:127.0.0.1"

static struct {
    rdss_config *cfg;
    char pg_info[512];
    char my_port[16], my_user[64], my_password[128], my_db[64];
    atomic_int running;
    atomic_int failures;
    char first_failure[512];
    pthread_mutex_t lock;
} s;

static void note_failure(const char *engine, const rdss_error *err)
{
    pthread_mutex_lock(&s.lock);
    if (atomic_fetch_add(&s.failures, 1) == 0)
        snprintf(s.first_failure, sizeof(s.first_failure), "%s: %s: %s", engine,
                 rdss_error_name(rdss_error_code(err)), rdss_error_message(err));
    pthread_mutex_unlock(&s.lock);
}

static void *connect_loop(void *arg)
{
    int index = (int)(intptr_t)arg;
    for (int i = 0; i < CONNECTS; i++) {
        rdss_error *err = NULL;
        if ((i + index) % 2 == 0) {
            PGconn *conn = rdss_pg_connect(s.cfg, s.pg_info, &err);
            if (conn == NULL)
                note_failure("pg", err);
            PQfinish(conn);
        } else {
            MYSQL *mysql = mysql_init(NULL);
            if (rdss_mysql_connect(s.cfg, mysql, "127.0.0.1", s.my_user, s.my_password, s.my_db,
                                   (unsigned)atoi(s.my_port), NULL, 0, &err) == NULL)
                note_failure("mysql", err);
            mysql_close(mysql);
        }
        rdss_error_free(err);
    }
    mysql_thread_end();
    atomic_fetch_sub(&s.running, 1);
    return NULL;
}

static void connects_survive_rotations(void **state)
{
    (void)state;
    tc_cert root_a = tc_make("rdssecure rotation Root A", 1, -1, 365, NULL);
    tc_cert root_b = tc_make("rdssecure rotation Root B", 1, -1, 365, NULL);
    tc_cert leaf_a = tc_make_server("rotating", SANS, -1, 30, &root_a);
    tc_cert leaf_b = tc_make_server("rotating", SANS, -1, 30, &root_b);
    char *dir = tc_tmpdir();
    char *pem_a = tc_pem(&root_a, 1), *pem_b = tc_pem(&root_b, 1);
    char *path_a = tc_write(dir, "a.pem", pem_a, strlen(pem_a), 0644);
    char *path_b = tc_write(dir, "b.pem", pem_b, strlen(pem_b), 0644);
    s.cfg = rdss_config_new();
    assert_int_equal(rdss_config_add_extra_ca_file(s.cfg, path_a, NULL), RDSS_OK);
    assert_int_equal(rdss_config_add_extra_ca_file(s.cfg, path_b, NULL), RDSS_OK);
    snprintf(s.pg_info, sizeof(s.pg_info), "host=127.0.0.1 port=%s user=%s password=%s dbname=%s",
             testenv("postgres_scratch.env", "PG_PORT"), testenv("postgres_scratch.env", "PG_USER"),
             testenv("postgres_scratch.env", "PG_PASSWORD"), testenv("postgres_scratch.env", "PG_DATABASE"));
    snprintf(s.my_port, sizeof(s.my_port), "%s", testenv("mariadb_scratch.env", "MY_PORT"));
    snprintf(s.my_user, sizeof(s.my_user), "%s", testenv("mariadb_scratch.env", "MY_USER"));
    snprintf(s.my_password, sizeof(s.my_password), "%s", testenv("mariadb_scratch.env", "MY_PASSWORD"));
    snprintf(s.my_db, sizeof(s.my_db), "%s", testenv("mariadb_scratch.env", "MY_DATABASE"));
    pthread_mutex_init(&s.lock, NULL);
    scratch_pg_serve(&leaf_a, NULL);
    scratch_mysql_serve(&leaf_a, NULL);

    atomic_store(&s.running, THREADS);
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&threads[t], NULL, connect_loop, (void *)(intptr_t)t), 0);
    int rotations = 0;
    while (atomic_load(&s.running) > 0) {
        const tc_cert *next = rotations % 2 == 0 ? &leaf_b : &leaf_a;
        scratch_pg_serve(next, NULL);
        scratch_mysql_serve(next, NULL);
        rotations++;
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    print_message("%d connects from %d threads across %d rotations, %d failed\n", THREADS * CONNECTS,
                  THREADS, rotations, atomic_load(&s.failures));
    if (atomic_load(&s.failures) != 0)
        fail_msg("%d connects failed; the first: %s", atomic_load(&s.failures), s.first_failure);
    assert_true(rotations >= 2); /* the certificate did change under the threads */
    rdss_config_free(s.cfg);
    pthread_mutex_destroy(&s.lock);
    free(pem_a);
    free(pem_b);
    free(path_a);
    free(path_b);
    tc_rmdir_all(dir);
    tc_cert *all[] = {&root_a, &root_b, &leaf_a, &leaf_b};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        tc_cert_free(all[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(connects_survive_rotations),
    };
    int failed = cmocka_run_group_tests(tests, NULL, scratch_both_restore);
    mysql_library_end();
    return failed;
}
