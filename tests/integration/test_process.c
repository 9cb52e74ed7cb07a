/* Process-wide state: rdss_global_cleanup() releases what the library
 * built (memfds, the watchdog thread, the trusts) and the library works
 * again afterwards; a child after fork() connects with what it inherited,
 * counts its own connects and starts its own watchdog, also when the
 * parent has other threads that connect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "testenv.h"

#define PG(key) testenv("postgres.env", key)
#define MY(key) testenv("mariadb.env", key)

/* The embedded bundle plus the test root: big enough for the anchor cache. */
static rdss_config *whole_bundle(void)
{
    rdss_config *cfg = rdss_config_new();
    assert_non_null(cfg);
    assert_int_equal(rdss_config_add_extra_ca_file(cfg, testenv_pki("root.pem"), NULL), RDSS_OK);
    return cfg;
}

static rdss_code pg_connect(const rdss_config *cfg)
{
    char info[512];
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%s user=%s password=%s dbname=%s", PG("PG_PORT"),
             PG("PG_USER"), PG("PG_PASSWORD"), PG("PG_DATABASE"));
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, info, &err);
    rdss_code code = rdss_error_code(err);
    if (code != RDSS_OK)
        fprintf(stderr, "pg: %s\n", rdss_error_message(err));
    rdss_error_free(err);
    PQfinish(conn);
    return code;
}

static rdss_code my_connect(const rdss_config *cfg)
{
    MYSQL *mysql = mysql_init(NULL);
    rdss_error *err = NULL;
    rdss_mysql_connect(cfg, mysql, "127.0.0.1", MY("MY_USER"), MY("MY_PASSWORD"), MY("MY_DATABASE"),
                       (unsigned)atoi(MY("MY_PORT")), NULL, 0, &err);
    rdss_code code = rdss_error_code(err);
    if (code != RDSS_OK)
        fprintf(stderr, "mysql: %s\n", rdss_error_message(err));
    rdss_error_free(err);
    mysql_close(mysql);
    return code;
}

static int threads(void)
{
    DIR *dir = opendir("/proc/self/task");
    int count = 0;
    for (struct dirent *e = dir ? readdir(dir) : NULL; e != NULL; e = readdir(dir))
        count += e->d_name[0] != '.';
    if (dir != NULL)
        closedir(dir);
    return count;
}

/* The thread count once it is `want` (threads that are ending: a resolver
 * thread, say), or what it still is after two seconds. */
static int threads_settle_at(int want)
{
    int now = threads();
    for (int i = 0; i < 200 && now != want; i++) {
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        now = threads();
    }
    return now;
}

static void cleanup_releases_everything_and_the_library_works_again(void **state)
{
    (void)state;
    rdss_global_cleanup(); /* nothing built yet: harmless */
    assert_int_equal(threads(), 1);
    int before = count_memfds("");
    for (int round = 0; round < 2; round++) {
        rdss_config *cfg = whole_bundle();
        rdss_global_cleanup(); /* the process's embedded trust, which the config read */
        int with_config = count_memfds(""); /* the config's own trust */
        assert_int_equal(pg_connect(cfg), RDSS_OK);
        assert_int_equal(my_connect(cfg), RDSS_OK);
        assert_int_equal(pg_connect(cfg), RDSS_OK); /* from the anchor cache */
        assert_true(count_memfds("") > with_config);        /* the cache's CA files, the empty file */
        assert_int_equal(threads(), 2);             /* the watchdog */
        rdss_global_cleanup();
        assert_int_equal(count_memfds(""), with_config); /* what remains is the config's own */
        assert_int_equal(threads_settle_at(1), 1);
        rdss_global_cleanup(); /* idempotent */
        assert_int_equal(count_memfds(""), with_config);
        assert_int_equal(pg_connect(cfg), RDSS_OK); /* builds again what it needs */
        assert_int_equal(my_connect(cfg), RDSS_OK);
        rdss_config_free(cfg);
        rdss_global_cleanup();
        assert_int_equal(count_memfds(""), before);
        assert_int_equal(threads_settle_at(1), 1);
    }
    rdss_global_cleanup();
}

/* Runs `child` in a forked process, which a watchdog alarm ends if it
 * hangs (a lock it inherited held); its exit status, or -signal. With
 * `then_exec`, the child ends by exec'ing a shell that exits with that
 * status, as POSIX asks of a child of a threaded program: valgrind then
 * leaves it alone, where it would count the other threads' OpenSSL state,
 * unreachable in a child that lacks them, as leaks. */
static int in_child_ending(int (*child)(void *), void *arg, int then_exec)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(60);
        int code = child(arg);
        if (then_exec) {
            char text[16];
            snprintf(text, sizeof(text), "%d", code);
            execl("/bin/sh", "sh", "-c", "exit \"$1\"", "sh", text, (char *)NULL);
        }
        _exit(code);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static int in_child(int (*child)(void *), void *arg)
{
    return in_child_ending(child, arg, 0);
}

/* Exit statuses of the child's checks, to name what failed. */
enum { CHILD_OK, CHILD_COUNTERS, CHILD_CACHE, CHILD_PG, CHILD_MYSQL, CHILD_WATCHDOG };

static int child_connects_with_the_inherited_cache(void *arg)
{
    const rdss_config *cfg = arg;
    if (rdss_stats_attempts() != 0)
        return CHILD_COUNTERS;
    int inherited = count_memfds("");
    if (threads() != 1)
        return CHILD_WATCHDOG;
    if (pg_connect(cfg) != RDSS_OK)
        return CHILD_PG;
    if (count_memfds("") != inherited) /* the anchor came from the cache: no new CA file */
        return CHILD_CACHE;
    if (my_connect(cfg) != RDSS_OK)
        return CHILD_MYSQL;
    if (threads() != 2) /* its own watchdog, started by the MySQL connect */
        return CHILD_WATCHDOG;
    if (rdss_stats_attempts() != 2 || rdss_stats_results(RDSS_OK) != 2)
        return CHILD_COUNTERS;
    rdss_global_cleanup();
    return CHILD_OK;
}

static int child_counts_from_zero(void *arg)
{
    (void)arg;
    return rdss_stats_attempts() == 0 ? CHILD_OK : CHILD_COUNTERS;
}

static void a_child_after_cleanup_counts_from_zero(void **state)
{
    (void)state;
    rdss_config *cfg = whole_bundle();
    assert_int_equal(pg_connect(cfg), RDSS_OK);
    rdss_global_cleanup();
    assert_true(rdss_stats_attempts() > 0); /* cleanup keeps the counts... */
    assert_int_equal(in_child(child_counts_from_zero, NULL), CHILD_OK); /* ...a child starts its own */
    rdss_config_free(cfg);
    rdss_global_cleanup();
}

/* The library reads RDSSECURE_CA_BUNDLE while it builds the default trust,
 * under that trust's lock: this program's secure_getenv (which the
 * library's call reaches first) makes that build slow on demand. */
static atomic_int slow_build;

/* (visible: the build hides symbols by default) */
__attribute__((visibility("default"))) char *secure_getenv(const char *name)
{
    static char *(*real)(const char *);
    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "secure_getenv");
    if (atomic_load(&slow_build) && strcmp(name, "RDSSECURE_CA_BUNDLE") == 0)
        nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
    return real(name);
}

static void *build_default_trust(void *arg)
{
    (void)arg;
    rdss_config *cfg = rdss_config_new();
    rdss_code code = rdss_config_check_trust(cfg, NULL);
    rdss_config_free(cfg);
    return code == RDSS_OK ? NULL : (void *)1;
}

static int child_does_nothing(void *arg)
{
    (void)arg;
    return CHILD_OK;
}

/* fork() while another thread builds the default trust: the fork handlers
 * take the library's locks in one order, and the build (which takes the
 * embedded trust inside) must not wait for the registry the fork holds. */
static void fork_during_the_first_trust_build(void **state)
{
    (void)state;
    rdss_global_cleanup(); /* the default trust is built again below */
    atomic_store(&slow_build, 1);
    pthread_t builder;
    assert_int_equal(pthread_create(&builder, NULL, build_default_trust, NULL), 0);
    nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL); /* the builder is in secure_getenv */
    alarm(30); /* a deadlock ends the test here */
    /* the builder may be decoding when it forks: the child execs (see in_child_ending) */
    assert_int_equal(in_child_ending(child_does_nothing, NULL, 1), CHILD_OK);
    void *failed = (void *)1;
    pthread_join(builder, &failed);
    alarm(0);
    atomic_store(&slow_build, 0);
    assert_null(failed);
    rdss_global_cleanup();
}

static void a_child_keeps_the_cache_and_counts_its_own(void **state)
{
    (void)state;
    rdss_config *cfg = whole_bundle();
    rdss_stats_reset();
    assert_int_equal(pg_connect(cfg), RDSS_OK);
    assert_int_equal(my_connect(cfg), RDSS_OK);
    assert_int_equal(pg_connect(cfg), RDSS_OK);
    assert_int_equal(my_connect(cfg), RDSS_OK);
    assert_int_equal(rdss_stats_attempts(), 4);
    assert_int_equal(in_child(child_connects_with_the_inherited_cache, cfg), CHILD_OK);
    assert_int_equal(rdss_stats_attempts(), 4); /* the child's are its own */
    assert_int_equal(my_connect(cfg), RDSS_OK);
    rdss_config_free(cfg);
    rdss_global_cleanup();
}

/* Worker threads connect in loops; the main thread forks while they are
 * parked between connects. (A fork while another thread is inside a
 * driver call can leave the child a lock of libmariadb's or OpenSSL's
 * held: POSIX allows such a child only async-signal-safe calls until it
 * execs, and the README says so.) */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int pause, parked, stop;
} workers = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};

static void *connect_loop(void *arg)
{
    const rdss_config *cfg = arg;
    void *failed = NULL;
    for (int i = 0;; i++) {
        /* PostgreSQL: libmariadb's non-blocking connects switch stacks,
         * which valgrind misreads in threads other than the main one */
        (void)i;
        if (pg_connect(cfg) != RDSS_OK)
            failed = (void *)1;
        pthread_mutex_lock(&workers.lock);
        if (workers.pause) {
            workers.parked++;
            pthread_cond_broadcast(&workers.changed);
            while (workers.pause && !workers.stop)
                pthread_cond_wait(&workers.changed, &workers.lock);
            workers.parked--;
        }
        int stop = workers.stop;
        pthread_mutex_unlock(&workers.lock);
        if (stop)
            break;
    }
    mysql_thread_end();
    return failed;
}

static int child_connects_once_each(void *arg)
{
    const rdss_config *cfg = arg;
    if (pg_connect(cfg) != RDSS_OK)
        return CHILD_PG;
    if (my_connect(cfg) != RDSS_OK)
        return CHILD_MYSQL;
    return CHILD_OK;
}

static void fork_from_a_threaded_program(void **state)
{
    (void)state;
    enum { WORKERS = 3 };
    rdss_config *cfg = whole_bundle();
    pthread_t loops[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        assert_int_equal(pthread_create(&loops[i], NULL, connect_loop, cfg), 0);
    for (int round = 0; round < 4; round++) {
        pthread_mutex_lock(&workers.lock);
        workers.pause = 1;
        while (workers.parked < WORKERS)
            pthread_cond_wait(&workers.changed, &workers.lock);
        pthread_mutex_unlock(&workers.lock);
        assert_int_equal(in_child_ending(child_connects_once_each, cfg, 1), CHILD_OK);
        pthread_mutex_lock(&workers.lock);
        workers.pause = 0;
        pthread_cond_broadcast(&workers.changed);
        pthread_mutex_unlock(&workers.lock);
    }
    pthread_mutex_lock(&workers.lock);
    workers.stop = 1;
    pthread_cond_broadcast(&workers.changed);
    pthread_mutex_unlock(&workers.lock);
    for (int i = 0; i < WORKERS; i++) {
        void *failed = NULL;
        pthread_join(loops[i], &failed);
        assert_null(failed);
    }
    rdss_config_free(cfg);
    rdss_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cleanup_releases_everything_and_the_library_works_again),
        cmocka_unit_test(a_child_keeps_the_cache_and_counts_its_own),
        cmocka_unit_test(a_child_after_cleanup_counts_from_zero),
        cmocka_unit_test(fork_during_the_first_trust_build),
        cmocka_unit_test(fork_from_a_threaded_program),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    mysql_library_end();
    return failed;
}
