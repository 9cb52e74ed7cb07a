/* The main cases again the way users connect: by an RDS endpoint name
 * (db1.abc123xyz.us-east-1.rds.amazonaws.com, mapped to 127.0.0.1 in a
 * private /etc/hosts: tests/fixtures/with_files.sh), both engines, with a
 * one-root trust and with the whole bundle (anchor cache, probe, retry).
 *
 *   test_by_name            the cases below
 *   test_by_name cli N      N fresh CLI processes per engine, every one ok
 *   test_by_name threads    8 threads x 200 connects by name, every one ok
 *   test_by_name directory WHERE   (run by the cases) one fresh process's CA directory */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <dirent.h>
#include <netdb.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "certgen.h"
#include "cli_run.h"
#include "fake_server.h"
#include "testenv.h"

#define NAME "db1.abc123xyz.us-east-1.rds.amazonaws.com"
#define OTHER_NAME "db2.abc123xyz.eu-west-1.rds.amazonaws.com" /* mapped too; not in the certificate */
#define TWO_ADDRESSES "db3.abc123xyz.us-east-1.rds.amazonaws.com" /* ::1, then 127.0.0.1 */
#define PG(key) testenv("postgres.env", key)
#define MY(key) testenv("mariadb.env", key)

static rdss_config *one_root, *whole_bundle, *untrusted;
/* users and databases, copied once (testenv's buffers rotate, and are not
 * for threads) */
static char pg_user[64], pg_db[64], my_user[64], my_db[64];

static void read_accounts(void)
{
    snprintf(pg_user, sizeof(pg_user), "%s", PG("PG_USER"));
    snprintf(pg_db, sizeof(pg_db), "%s", PG("PG_DATABASE"));
    snprintf(my_user, sizeof(my_user), "%s", MY("MY_USER"));
    snprintf(my_db, sizeof(my_db), "%s", MY("MY_DATABASE"));
}

static rdss_code pg_by(const rdss_config *cfg, const char *host, const char *port, const char *password)
{
    char info[1024];
    snprintf(info, sizeof(info), "host=%s port=%s user=%s password=%s dbname=%s", host, port, pg_user,
             password, pg_db);
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, info, &err);
    rdss_code code = conn != NULL ? RDSS_OK : rdss_error_code(err);
    if (conn != NULL) { /* the server sees this very session encrypted */
        PGresult *res = PQexec(conn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
        if (PQresultStatus(res) != PGRES_TUPLES_OK || strcmp(PQgetvalue(res, 0, 0), "t") != 0)
            code = RDSS_ERR_INTERNAL;
        PQclear(res);
    }
    PQfinish(conn);
    rdss_error_free(err);
    return code;
}

static rdss_code my_by(const rdss_config *cfg, const char *host, unsigned port, const char *password)
{
    MYSQL *mysql = mysql_init(NULL);
    rdss_error *err = NULL;
    MYSQL *connected = rdss_mysql_connect(cfg, mysql, host, my_user, password, my_db, port, NULL, 0, &err);
    rdss_code code = connected != NULL ? RDSS_OK : rdss_error_code(err);
    if (connected != NULL && mysql_get_ssl_cipher(mysql) == NULL)
        code = RDSS_ERR_INTERNAL;
    mysql_close(mysql);
    rdss_error_free(err);
    return code;
}

static unsigned my_port(void)
{
    return (unsigned)atoi(MY("MY_PORT"));
}

static void check(const char *what, rdss_code got, rdss_code expected)
{
    if (got != expected)
        fail_msg("%s: expected %s, got %s", what, rdss_error_name(expected), rdss_error_name(got));
}

static void connects_by_name(void **state)
{
    (void)state;
    char pg_password[128], my_password[128];
    snprintf(pg_password, sizeof(pg_password), "%s", PG("PG_PASSWORD"));
    snprintf(my_password, sizeof(my_password), "%s", MY("MY_PASSWORD"));
    const rdss_config *trusts[2] = {one_root, whole_bundle};
    for (int t = 0; t < 2; t++) {
        for (int round = 0; round < 2; round++) { /* the second: narrowed, for the whole bundle */
            check("pg by name", pg_by(trusts[t], NAME, PG("PG_PORT"), pg_password), RDSS_OK);
            check("mysql by name", my_by(trusts[t], NAME, my_port(), my_password), RDSS_OK);
        }
        /* a mapped name the certificate does not cover, though it covers the
         * address: the check is against the name */
        check("pg other name", pg_by(trusts[t], OTHER_NAME, PG("PG_PORT"), pg_password),
              RDSS_ERR_HOSTNAME_MISMATCH);
        check("mysql other name", my_by(trusts[t], OTHER_NAME, my_port(), my_password),
              RDSS_ERR_HOSTNAME_MISMATCH);
        check("pg wrong password", pg_by(trusts[t], NAME, PG("PG_PORT"), "wrong"), RDSS_ERR_AUTH);
        check("mysql wrong password", my_by(trusts[t], NAME, my_port(), "wrong"), RDSS_ERR_AUTH);
    }
    check("pg untrusted", pg_by(untrusted, NAME, PG("PG_PORT"), pg_password), RDSS_ERR_CERT_VERIFY);
    check("mysql untrusted", my_by(untrusted, NAME, my_port(), my_password), RDSS_ERR_CERT_VERIFY);
}

static void failures_by_name(void **state)
{
    (void)state;
    /* a server without TLS: nothing of the login sent */
    fake_server *pg_plain = fake_server_start(FAKE_PG_REFUSE_TLS);
    fake_server *my_plain = fake_server_start(FAKE_MY_NO_TLS);
    char port[16];
    snprintf(port, sizeof(port), "%d", fake_server_port(pg_plain));
    check("pg without TLS", pg_by(one_root, NAME, port, "secret"), RDSS_ERR_TLS_REFUSED);
    check("mysql without TLS", my_by(one_root, NAME, (unsigned)fake_server_port(my_plain), "secret"),
          RDSS_ERR_TLS_REFUSED);
    assert_int_equal(fake_server_stop(pg_plain), 0);
    assert_int_equal(fake_server_stop(my_plain), 0);
    /* a server that never answers: the deadline */
    rdss_config *quick = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(quick, testenv_pki("root.pem"), NULL), RDSS_OK);
    assert_int_equal(rdss_config_set_timeout_ms(quick, 500, NULL), RDSS_OK);
    fake_server *hole = fake_server_start(FAKE_BLACKHOLE);
    snprintf(port, sizeof(port), "%d", fake_server_port(hole));
    check("pg silent", pg_by(quick, NAME, port, "secret"), RDSS_ERR_TIMEOUT);
    check("mysql silent", my_by(quick, NAME, (unsigned)fake_server_port(hole), "secret"), RDSS_ERR_TIMEOUT);
    fake_server_stop(hole);
    rdss_config_free(quick);
    /* the first address refuses, the next one drips its TLS handshake: the
     * deadline holds for the next address's socket too */
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
    struct addrinfo *found = NULL;
    int v6_first = getaddrinfo(TWO_ADDRESSES, "1", &hints, &found) == 0 && found->ai_family == AF_INET6 &&
                   found->ai_next != NULL;
    if (found != NULL)
        freeaddrinfo(found);
    if (v6_first) {
        rdss_config *one_second = rdss_config_new();
        assert_int_equal(rdss_config_set_bundle_file(one_second, testenv_pki("root.pem"), NULL), RDSS_OK);
        assert_int_equal(rdss_config_set_timeout_ms(one_second, 1000, NULL), RDSS_OK);
        fake_server *drip = fake_server_start(FAKE_MY_TLS_DRIP);
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        check("mysql, next address drips", my_by(one_second, TWO_ADDRESSES, (unsigned)fake_server_port(drip), "x"),
              RDSS_ERR_TIMEOUT);
        assert_true(seconds_since(&start) < 1.25);
        fake_server_stop(drip);
        rdss_config_free(one_second);
    } else {
        print_message("skipped one case: " TWO_ADDRESSES " does not resolve to ::1 first here\n");
    }
    /* an address literal that glibc and OpenSSL read differently (octal) */
    check("pg octal address", pg_by(one_root, "0177.0.0.1", PG("PG_PORT"), "x"), RDSS_ERR_INVALID_ARGUMENT);
    check("mysql octal address", my_by(one_root, "0177.0.0.1", my_port(), "x"), RDSS_ERR_INVALID_ARGUMENT);
    /* a name that does not resolve */
    check("pg unresolvable", pg_by(one_root, "db9.abc123xyz.us-east-1.rds.invalid", PG("PG_PORT"), "x"),
          RDSS_ERR_NETWORK);
    check("mysql unresolvable", my_by(one_root, "db9.abc123xyz.us-east-1.rds.invalid", my_port(), "x"),
          RDSS_ERR_NETWORK);
}

/* How many entries `dir` holds (not . and ..), or -1 when it is not there. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int count = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        count += e->d_name[0] != '.';
    closedir(d);
    return count;
}

/* The private CA directories this process holds open that `before` does
 * not name, each followed by a newline, in `out`. */
static const char *open_ca_directories(const char *before, char *out, size_t size)
{
    out[0] = '\0';
    for (int fd = 0; fd < 1024; fd++) {
        char link[64], target[512];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        const char *base = strrchr(target, '/');
        struct stat st;
        if (base == NULL || strncmp(base, "/rdssecure-", 11) != 0 || stat(target, &st) != 0 ||
            !S_ISDIR(st.st_mode) || strstr(before, target) != NULL)
            continue;
        size_t used = strlen(out), len = strlen(target);
        if (used + len + 2 <= size) {
            memcpy(out + used, target, len);
            memcpy(out + used + len, "\n", 2);
        }
    }
    return out;
}

/* This program, as it was run. */
static const char *self;

/* The child's config, never freed, yet reachable (not a leak to LeakSanitizer). */
static rdss_config *never_freed;

/* `test_by_name directory WHERE`, a fresh process: connects by name with a
 * config of its own, which it never frees, and checks the directory
 * libmariadb was given; writes its path to WHERE. 0 when all is as
 * expected. */
static int region_directory_process(const char *where)
{
    read_accounts();
    char password[128], made[512], moved[600];
    snprintf(password, sizeof(password), "%s", MY("MY_PASSWORD"));
    rdss_config *cfg = never_freed = rdss_config_new();
    if (rdss_config_add_extra_ca_file(cfg, testenv_pki("root.pem"), NULL) != RDSS_OK)
        return 1;
    /* The first connects, given the directory (the region's root is
     * learned from the second verified one on): a handle whose connect
     * failed connects again, so the directory option was put back (a
     * caller's is refused). */
    MYSQL *mysql = mysql_init(NULL);
    rdss_error *err = NULL;
    int reused = rdss_mysql_connect(cfg, mysql, NAME, my_user, "wrong", my_db, my_port(), NULL, 0, &err) == NULL &&
                 rdss_error_code(err) == RDSS_ERR_AUTH;
    rdss_error_free(err);
    err = NULL;
    reused = reused && rdss_mysql_connect(cfg, mysql, NAME, my_user, password, my_db, my_port(), NULL, 0, &err);
    if (!reused)
        fprintf(stderr, "handle reused after a failed connect: %s\n", err ? rdss_error_message(err) : "?");
    rdss_error_free(err);
    mysql_close(mysql);
    if (!reused)
        return 1;
    /* one private directory of its own: us-east-1's three roots and the test root */
    open_ca_directories("", made, sizeof(made));
    if (strchr(made, '\n') != NULL && strchr(made, '\n')[1] != '\0') {
        fprintf(stderr, "more than one new CA directory: %s", made);
        return 1;
    }
    made[strcspn(made, "\n")] = '\0';
    struct stat st;
    if (made[0] == '\0' || entries(made) != 4 || stat(made, &st) != 0 || (st.st_mode & 0777) != 0700) {
        fprintf(stderr, "expected one 0700 directory of 4 files open: \"%s\", %d files\n", made, entries(made));
        return 1;
    }
    FILE *f = fopen(where, "w");
    if (f == NULL || fprintf(f, "%s", made) < 0 || fclose(f) != 0)
        return 1;
    /* renamed away, an empty one in its place: the driver (still given the
     * directory: this is the region's second verified connect) reads the
     * one opened */
    snprintf(moved, sizeof(moved), "%s.moved", made);
    if (rename(made, moved) != 0 || mkdir(made, 0700) != 0 || my_by(cfg, NAME, my_port(), password) != RDSS_OK)
        return 1;
    return 0;
}

/* MySQL by an RDS name: libmariadb reads the region's roots from a private
 * directory (OpenSSL decodes only the root it needs), which the process
 * removes when it exits, even with its config never freed. */
static void mysql_region_roots_from_a_directory(void **state)
{
    (void)state;
    char *tmp = tc_tmpdir();
    char where[600];
    snprintf(where, sizeof(where), "%s/where", tmp);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) { /* a fresh process, not a fork of this one (nor its anchor cache) */
        execl(self, self, "directory", where, (char *)NULL); /* not /proc/self/exe: valgrind's, under it */
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    size_t len = 0;
    char *made = tc_read(where, &len);
    char moved[600];
    snprintf(moved, sizeof(moved), "%s.moved", made ? made : "?");
    int made_left = made ? entries(made) : -1, moved_left = entries(moved);
    rmdir(moved);
    if (made != NULL)
        rmdir(made);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* the files went with the directory opened; the empty one put in its
     * place went too, by name */
    if (made_left != -1 || moved_left != 0)
        fail_msg("after exit: %d entries in %s, %d in %s", made_left, made, moved_left, moved);
    free(made);
    tc_rmdir_all(tmp);
}

static int setup(void **state)
{
    (void)state;
    read_accounts();
    one_root = rdss_config_new();
    whole_bundle = rdss_config_new();
    untrusted = rdss_config_new();
    if (rdss_config_set_bundle_file(one_root, testenv_pki("root.pem"), NULL) != RDSS_OK ||
        rdss_config_add_extra_ca_file(whole_bundle, testenv_pki("root.pem"), NULL) != RDSS_OK ||
        rdss_config_set_bundle_file(untrusted, testenv_pki("untrusted-root.pem"), NULL) != RDSS_OK)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rdss_config_free(one_root);
    rdss_config_free(whole_bundle);
    rdss_config_free(untrusted);
    return 0;
}

/* ---- fresh processes: the CLI ---------------------------------------------- */

static int cli_runs(int count)
{
    char pg_args[1024], my_args[1024];
    snprintf(pg_args, sizeof(pg_args),
             "connect pg 'host=%s port=%s user=%s password=%s dbname=%s' --bundle '%s' --json", NAME,
             PG("PG_PORT"), PG("PG_USER"), PG("PG_PASSWORD"), PG("PG_DATABASE"), testenv_pki("root.pem"));
    char user[64], password[128], db[64];
    snprintf(user, sizeof(user), "%s", MY("MY_USER"));
    snprintf(password, sizeof(password), "%s", MY("MY_PASSWORD"));
    snprintf(db, sizeof(db), "%s", MY("MY_DATABASE"));
    snprintf(my_args, sizeof(my_args), "connect mysql 'mysql://%s:%s@%s:%s/%s' --bundle '%s' --json", user,
             password, NAME, MY("MY_PORT"), db, testenv_pki("root.pem"));
    int crashes = 0, not_ok = 0;
    for (int i = 0; i < count; i++) {
        for (int engine = 0; engine < 2; engine++) {
            run_result r = cli_run(RDSS_CLI_PATH, engine == 0 ? pg_args : my_args);
            if (r.status > 128 || r.status < 0)
                crashes++;
            else if (r.status != 0 || r.out == NULL || strstr(r.out, "\"error\":\"ok\"") == NULL)
                not_ok++;
            if (r.status != 0 && crashes + not_ok == 1)
                fprintf(stderr, "first failure (%s): status %d: %s\n", engine == 0 ? "pg" : "mysql",
                        r.status, r.out ? r.out : "");
            free(r.out);
        }
    }
    printf("%d fresh CLI processes per engine by name: %d crashed, %d not ok\n", count, crashes, not_ok);
    return crashes == 0 && not_ok == 0 ? 0 : 1;
}

/* ---- threads ---------------------------------------------------------------- */

#define THREADS 8
#define CONNECTS 200
static atomic_int wrong;
/* read before the threads start: testenv's buffers are not for threads */
static char pg_port[16], pg_password[128], my_password[128];
static unsigned my_port_number;

static void *connect_loop(void *arg)
{
    (void)arg;
    for (int i = 0; i < CONNECTS; i++) {
        rdss_code code = i % 2 ? pg_by(whole_bundle, NAME, pg_port, pg_password)
                               : my_by(whole_bundle, NAME, my_port_number, my_password);
        if (code != RDSS_OK && atomic_fetch_add(&wrong, 1) == 0)
            fprintf(stderr, "first wrong result: %s\n", rdss_error_name(code));
    }
    mysql_thread_end();
    return NULL;
}

static int thread_runs(void)
{
    if (setup(NULL) != 0)
        return 1;
    snprintf(pg_port, sizeof(pg_port), "%s", PG("PG_PORT"));
    snprintf(pg_password, sizeof(pg_password), "%s", PG("PG_PASSWORD"));
    snprintf(my_password, sizeof(my_password), "%s", MY("MY_PASSWORD"));
    my_port_number = my_port();
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++)
        pthread_create(&threads[t], NULL, connect_loop, NULL);
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    teardown(NULL);
    printf("%d connects by name from %d threads with the whole bundle: %d not ok\n", THREADS * CONNECTS,
           THREADS, atomic_load(&wrong));
    return atomic_load(&wrong) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    int failed;
    self = argv[0];
    if (argc == 3 && strcmp(argv[1], "cli") == 0) {
        failed = cli_runs(atoi(argv[2]));
    } else if (argc == 3 && strcmp(argv[1], "directory") == 0) {
        failed = region_directory_process(argv[2]); /* returns: the exit handler runs */
    } else if (argc == 2 && strcmp(argv[1], "threads") == 0) {
        failed = thread_runs();
    } else {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(connects_by_name),
            cmocka_unit_test(failures_by_name),
            cmocka_unit_test(mysql_region_roots_from_a_directory),
        };
        failed = cmocka_run_group_tests(tests, setup, teardown);
    }
    mysql_library_end();
    return failed;
}
