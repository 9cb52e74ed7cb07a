/* Connects by name when the DNS server is silent or slow, both engines: the
 * caller's deadline covers name resolution (lib/net/resolve.c). A silent
 * resolver ends in RDSS_ERR_TIMEOUT within the deadline, and the lookups the
 * library abandons end when glibc's own timeout passes (no thread stays
 * behind, nothing crashes); a resolver answering after half the deadline
 * still lets the connect succeed, with one lookup per connect.
 *
 * Runs only under tests/fixtures/with_files.sh, which gives this process an
 * /etc/hosts without the RDS names and an /etc/resolv.conf naming
 * 127.0.0.1, where tests/support/fake_dns.c answers (or does not). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "fake_dns.h"
#include "testenv.h"
#ifdef RDSS_CLI_PATH
#include "cli_run.h"
#endif

#define PG(key) testenv("postgres.env", key)
#define MY(key) testenv("mariadb.env", key)
#define RDS_NAME "db1.abc123xyz.us-east-1.rds.amazonaws.com"
#define RDS_SUFFIX "rds.amazonaws.com"
#define DEADLINE_MS 2000
#define LATE_BY_S 0.25      /* how far past the deadline a timeout may end */
#define SLOW_ANSWER_MS 1000 /* half the deadline */
#define TIMEOUTS_PER_ENGINE 3
#define THREADS_SETTLE_S 6.0

/* This process's threads (/proc/self/status), or -1. */
static int thread_count(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    int threads = -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "Threads: %d", &threads) == 1)
            break;
    fclose(f);
    return threads;
}

/* Whether /etc/resolv.conf names 127.0.0.1 as its only nameserver: with
 * any other, lookups would leave this machine, so the test does not run. */
static int resolver_is_local(void)
{
    FILE *f = fopen("/etc/resolv.conf", "r");
    if (f == NULL)
        return 0;
    char line[512];
    int local = 0, other = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        char address[256];
        if (sscanf(line, " nameserver %255s", address) != 1)
            continue;
        if (strcmp(address, "127.0.0.1") == 0)
            local++;
        else
            other++;
    }
    fclose(f);
    return local > 0 && other == 0;
}

/* The fake DNS server of the running case; the teardown stops it even when
 * the case failed half-way (else the next case would find port 53 taken). */
static fake_dns *running_dns;
static int cases_skipped; /* all of them: exit 77, ctest's "skipped" */

static int stop_dns(void **state)
{
    (void)state;
    fake_dns_stop(running_dns);
    running_dns = NULL;
    return 0;
}

/* The fake DNS server, or the test skipped (visibly) where it cannot be. */
static fake_dns *start_dns(fake_dns_mode mode, int delay_ms)
{
    if (!resolver_is_local()) {
        print_message("skipped: /etc/resolv.conf does not name only 127.0.0.1 "
                      "(run under tests/fixtures/with_files.sh, as ctest does)\n");
        cases_skipped++;
        skip();
    }
    fake_dns_options options = {.mode = mode, .delay_ms = delay_ms, .suffix = RDS_SUFFIX};
    fake_dns *dns = fake_dns_start(&options);
    if (dns == NULL && errno == EADDRINUSE) {
        print_message("skipped: port 53 is taken\n");
        cases_skipped++;
        skip();
    }
    if (dns == NULL)
        fail_msg("cannot start the fake DNS server on 127.0.0.1:53: %s", strerror(errno));
    running_dns = dns;
    return dns;
}

static rdss_config *test_config(void)
{
    rdss_config *cfg = rdss_config_new();
    rdss_error *err = NULL;
    if (rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), &err) != RDSS_OK)
        fail_msg("%s", rdss_error_message(err));
    assert_int_equal(rdss_config_set_timeout_ms(cfg, DEADLINE_MS, NULL), RDSS_OK);
    return cfg;
}

static const char *pg_conninfo(void)
{
    static char text[1024];
    snprintf(text, sizeof(text), "host=" RDS_NAME " port=%s user=%s password=%s dbname=%s",
             PG("PG_PORT"), PG("PG_USER"), PG("PG_PASSWORD"), PG("PG_DATABASE"));
    return text;
}

static void fail_unless(rdss_error *err, rdss_code expected, const char *what, double elapsed)
{
    if (rdss_error_code(err) != expected)
        fail_msg("%s: expected %s, got %s after %.3f s: %s (driver: %s)", what,
                 rdss_error_name(expected), rdss_error_name(rdss_error_code(err)), elapsed,
                 rdss_error_message(err),
                 rdss_error_driver_message(err) ? rdss_error_driver_message(err) : "-");
}

/* One rdss_pg_connect by name; its time in seconds. */
static double pg_connect(const rdss_config *cfg, rdss_code expected, const char *what)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, pg_conninfo(), &err);
    double elapsed = seconds_since(&start);
    fail_unless(err, expected, what, elapsed);
    if (expected == RDSS_OK) {
        assert_non_null(conn);
        assert_int_equal(PQstatus(conn), CONNECTION_OK);
        assert_int_equal(PQsslInUse(conn), 1);
        PQfinish(conn);
    } else {
        assert_null(conn);
    }
    rdss_error_free(err);
    return elapsed;
}

/* One rdss_mysql_connect by name; its time in seconds. */
static double mysql_connect(const rdss_config *cfg, rdss_code expected, const char *what)
{
    MYSQL *mysql = mysql_init(NULL);
    assert_non_null(mysql);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    rdss_error *err = NULL;
    MYSQL *connected = rdss_mysql_connect(cfg, mysql, RDS_NAME, MY("MY_USER"), MY("MY_PASSWORD"),
                                          MY("MY_DATABASE"), (unsigned)atoi(MY("MY_PORT")), NULL, 0,
                                          &err);
    double elapsed = seconds_since(&start);
    fail_unless(err, expected, what, elapsed);
    if (expected == RDSS_OK) {
        assert_ptr_equal(connected, mysql);
        assert_non_null(mysql_get_ssl_cipher(mysql));
    } else {
        assert_null(connected);
    }
    rdss_error_free(err);
    mysql_close(mysql);
    return elapsed;
}

static void silent_resolver_times_out_at_the_deadline(void **state)
{
    (void)state;
    fake_dns *dns = start_dns(FAKE_DNS_SILENT, 0);
    rdss_config *cfg = test_config();
    int threads_before = thread_count();
    assert_true(threads_before > 0);

    double pg = pg_connect(cfg, RDSS_ERR_TIMEOUT, "pg, silent resolver");
    print_message("pg    by name, silent resolver: timeout after %.3f s (deadline %.3f s)\n", pg,
                  DEADLINE_MS / 1000.0);
    assert_true(pg < DEADLINE_MS / 1000.0 + LATE_BY_S);
    double my = mysql_connect(cfg, RDSS_ERR_TIMEOUT, "mysql, silent resolver");
    print_message("mysql by name, silent resolver: timeout after %.3f s\n", my);
    assert_true(my < DEADLINE_MS / 1000.0 + LATE_BY_S);

    /* More in a row: every abandoned lookup holds a thread until glibc
     * gives up (timeout:4 attempts:1), none longer. */
    double slowest = 0, fastest = 1e9;
    struct timespec last_end;
    for (int i = 0; i < TIMEOUTS_PER_ENGINE; i++) {
        double t = pg_connect(cfg, RDSS_ERR_TIMEOUT, "pg, silent resolver, in a row");
        slowest = t > slowest ? t : slowest;
        fastest = t < fastest ? t : fastest;
        t = mysql_connect(cfg, RDSS_ERR_TIMEOUT, "mysql, silent resolver, in a row");
        slowest = t > slowest ? t : slowest;
        fastest = t < fastest ? t : fastest;
    }
    clock_gettime(CLOCK_MONOTONIC, &last_end);
    int threads_after_last = thread_count();
    print_message("%d more timed-out connects (%d per engine): %.3f to %.3f s each\n",
                  2 * TIMEOUTS_PER_ENGINE, TIMEOUTS_PER_ENGINE, fastest, slowest);
    assert_true(slowest < DEADLINE_MS / 1000.0 + LATE_BY_S);

    int threads = threads_after_last;
    while (threads != threads_before && seconds_since(&last_end) < THREADS_SETTLE_S) {
        struct timespec pause = {0, 50 * 1000000L};
        nanosleep(&pause, NULL);
        threads = thread_count();
    }
    double settled = seconds_since(&last_end);
    fake_dns_counts counts = fake_dns_counts_now(dns);
    print_message("threads: %d before, %d right after the last connect, %d %.2f s later\n",
                  threads_before, threads_after_last, threads, settled);
    print_message("fake DNS (silent) saw %d queries (%d A, %d AAAA, %d malformed) for %d connects\n",
                  counts.queries, counts.a, counts.aaaa, counts.malformed, 2 + 2 * TIMEOUTS_PER_ENGINE);
    assert_int_equal(threads, threads_before);
    assert_int_equal(counts.answered, 0);
    assert_true(counts.queries >= 2 + 2 * TIMEOUTS_PER_ENGINE); /* every connect asked */

    rdss_config_free(cfg);
    /* The teardown stops the server only now: a closed port would have
     * ended glibc's waits early. */
}

/* Asserts the queries one connect made: at least one, at most two (A and
 * AAAA, asked together): a single lookup. */
static void check_one_lookup(fake_dns *dns, fake_dns_counts *before, const char *what, double elapsed)
{
    fake_dns_counts now = fake_dns_counts_now(dns);
    int queries = now.queries - before->queries;
    print_message("%-32s ok after %.3f s, %d DNS queries (%d A, %d AAAA)\n", what, elapsed, queries,
                  now.a - before->a, now.aaaa - before->aaaa);
    assert_true(queries >= 1); /* the name really went to DNS */
    assert_true(queries <= 2); /* exactly one lookup */
    assert_true(elapsed >= SLOW_ANSWER_MS / 1000.0 - 0.01); /* waited for the answer */
    *before = now;
}

static void slow_resolver_within_the_deadline_connects(void **state)
{
    (void)state;
    fake_dns *dns = start_dns(FAKE_DNS_SLOW, SLOW_ANSWER_MS);
    rdss_config *cfg = test_config();
    fake_dns_counts before = fake_dns_counts_now(dns);
    for (int round = 0; round < 2; round++) {
        double t = pg_connect(cfg, RDSS_OK, "pg, slow resolver");
        check_one_lookup(dns, &before, "pg    by name, slow resolver:", t);
        assert_true(t < DEADLINE_MS / 1000.0 + LATE_BY_S);
        t = mysql_connect(cfg, RDSS_OK, "mysql, slow resolver");
        check_one_lookup(dns, &before, "mysql by name, slow resolver:", t);
        assert_true(t < DEADLINE_MS / 1000.0 + LATE_BY_S);
    }
    rdss_config_free(cfg);
}

#ifdef RDSS_CLI_PATH
/* `rdssecure connect ...` as a fresh process against the slow resolver. */
static void cli_connect(fake_dns *dns, fake_dns_counts *before, const char *engine, const char *target)
{
    char args[2048];
    snprintf(args, sizeof(args), "connect %s '%s' --bundle '%s' --timeout-ms %d --json", engine, target,
             testenv_pki("root.pem"), DEADLINE_MS);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    run_result r = cli_run(RDSS_CLI_PATH, args);
    double elapsed = seconds_since(&start);
    if (r.status != 0)
        fail_msg("rdssecure connect %s: exit %d after %.3f s: %s", engine, r.status, elapsed, r.out);
    cJSON *json = cli_parse_one_object(r.out);
    assert_string_equal(cli_string_field(json, "error"), "ok");
    cJSON_Delete(json);
    free(r.out);
    char what[64];
    snprintf(what, sizeof(what), "cli %-5s by name, slow resolver:", engine);
    check_one_lookup(dns, before, what, elapsed);
}

static void slow_resolver_through_the_cli(void **state)
{
    (void)state;
    fake_dns *dns = start_dns(FAKE_DNS_SLOW, SLOW_ANSWER_MS);
    fake_dns_counts before = fake_dns_counts_now(dns);
    char target[1024];
    cli_connect(dns, &before, "pg", pg_conninfo());
    snprintf(target, sizeof(target), "mysql://%s:%s@" RDS_NAME ":%s/%s", MY("MY_USER"),
             MY("MY_PASSWORD"), MY("MY_PORT"), MY("MY_DATABASE"));
    cli_connect(dns, &before, "mysql", target);
}
#endif

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(silent_resolver_times_out_at_the_deadline, stop_dns),
        cmocka_unit_test_teardown(slow_resolver_within_the_deadline_connects, stop_dns),
#ifdef RDSS_CLI_PATH
        cmocka_unit_test_teardown(slow_resolver_through_the_cli, stop_dns),
#endif
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    mysql_library_end();
    if (failed == 0 && cases_skipped == (int)(sizeof(tests) / sizeof(tests[0])))
        return 77; /* nothing ran: say so to ctest (SKIP_RETURN_CODE) */
    return failed;
}
