/* What a server (or anyone on the path) sends before TLS is verified, for
 * both engines, against fake servers: a TLS handshake dripped a byte every
 * 50 ms must not hold a connect past its deadline (libmariadb 3.3 reads its
 * handshake with blocking reads; the socket timeout bounds each read, not
 * the handshake), and an error sent in place of TLS, however much it looks
 * like a refused login, is tls_refused, never auth or server, with not one
 * byte of login sent after it.
 *
 * Every connect runs twice: with the embedded bundle, whose ~90 roots make
 * the library probe the endpoint itself before the driver runs (see
 * lib/anchors/narrow.h), and with the test PKI's one root, a trust too small to be
 * worth that, where libpq and libmariadb meet the server first: only that
 * run reaches libmariadb's blocking TLS reads and libpq's parsing of the
 * ErrorResponse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "fake_server.h"
#include "testenv.h"

#define DEADLINE_MS 1000
/* how far past the deadline a connect may end */
#define SLACK_S 0.25

/* A connect that hangs (as libmariadb's did, for minutes) fails here with
 * its name, long before ctest's own timeout. */
#define GUARD_S 20
static char guarded[256];

static void guard_fired(int sig)
{
    (void)sig;
    static const char says[] = ": still not done after 20 s, with a 1 s deadline\n";
    (void)!write(STDERR_FILENO, guarded, strlen(guarded));
    (void)!write(STDERR_FILENO, says, sizeof(says) - 1);
    _exit(1);
}

/* Arms the guard for `what`; NULL disarms it. */
static void guard(const char *what)
{
    if (what != NULL)
        snprintf(guarded, sizeof(guarded), "%s", what);
    alarm(what != NULL ? GUARD_S : 0);
}

/* The two trusts each case runs with. */
typedef struct trust_case {
    const char *name;
    int small; /* the test PKI's root alone: the driver meets the server first */
} trust_case;

static const trust_case trusts[] = {
    {"embedded bundle, library probes first", 0},
    {"one root, driver first", 1},
};
#define TRUSTS (sizeof(trusts) / sizeof(trusts[0]))

static rdss_config *config(const trust_case *t)
{
    rdss_config *cfg = rdss_config_new();
    assert_non_null(cfg);
    if (t->small)
        assert_int_equal(rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), NULL), RDSS_OK);
    else
        assert_int_equal(rdss_config_use_embedded_bundle(cfg, NULL), RDSS_OK);
    assert_int_equal(rdss_config_set_timeout_ms(cfg, DEADLINE_MS, NULL), RDSS_OK);
    return cfg;
}

/* "what (trust)", for messages. */
static const char *label(const char *what, const trust_case *t)
{
    static char text[256];
    snprintf(text, sizeof(text), "%s (%s)", what, t->name);
    return text;
}

/* A timeout at the deadline: not before it (the deadline is what passed),
 * not more than SLACK_S after it. */
static void expect_deadline(const char *what, double took)
{
    if (took < DEADLINE_MS / 1000.0 - 0.05 || took >= DEADLINE_MS / 1000.0 + SLACK_S)
        fail_msg("%s: the timeout came after %.3f s; the deadline was %.3f s (+ %.3f s allowed)", what,
                 took, DEADLINE_MS / 1000.0, SLACK_S);
}

static rdss_code pg_connect(const rdss_config *cfg, int port, double *took, const char *what)
{
    char info[128];
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%d user=u password=p dbname=d", port);
    rdss_error *err = NULL;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    guard(what);
    PGconn *conn = rdss_pg_connect(cfg, info, &err);
    guard(NULL);
    *took = seconds_since(&start);
    rdss_code code = conn ? RDSS_OK : rdss_error_code(err);
    print_message("%s: %s after %.3f s: %s (driver: %s)\n", what, rdss_error_name(code), *took,
                  err ? rdss_error_message(err) : "-",
                  err && rdss_error_driver_message(err) ? rdss_error_driver_message(err) : "-");
    PQfinish(conn);
    rdss_error_free(err);
    return code;
}

static rdss_code mysql_connect(const rdss_config *cfg, int port, double *took, const char *what)
{
    MYSQL *mysql = mysql_init(NULL);
    assert_non_null(mysql);
    rdss_error *err = NULL;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    guard(what);
    MYSQL *connected = rdss_mysql_connect(cfg, mysql, "127.0.0.1", "u", "p", "d", (unsigned)port, NULL, 0, &err);
    guard(NULL);
    *took = seconds_since(&start);
    rdss_code code = connected ? RDSS_OK : rdss_error_code(err);
    print_message("%s: %s after %.3f s: %s (driver: %s)\n", what, rdss_error_name(code), *took,
                  err ? rdss_error_message(err) : "-",
                  err && rdss_error_driver_message(err) ? rdss_error_driver_message(err) : "-");
    mysql_close(mysql);
    rdss_error_free(err);
    return code;
}

/* The event-loop form, driven by poll as an application would. */
static rdss_code mysql_connect_non_blocking(const rdss_config *cfg, int port, double *took, const char *what,
                                            int *rounds_out)
{
    MYSQL *mysql = mysql_init(NULL);
    assert_non_null(mysql);
    rdss_mysql_attempt *attempt = NULL;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    guard(what);
    int waits = rdss_mysql_connect_start(&attempt, cfg, mysql, "127.0.0.1", "u", "p", "d", (unsigned)port,
                                         NULL, 0);
    assert_non_null(attempt);
    int rounds = 0;
    while (waits != 0) {
        struct pollfd pfd = {(int)mysql_get_socket(mysql),
                             (short)(((waits & MYSQL_WAIT_READ) ? POLLIN : 0) |
                                     ((waits & MYSQL_WAIT_WRITE) ? POLLOUT : 0)),
                             0};
        int ready = poll(&pfd, 1, (int)rdss_mysql_connect_wait_ms(attempt));
        int status = ready > 0 ? ((pfd.revents & POLLIN ? MYSQL_WAIT_READ : 0) |
                                  (pfd.revents & POLLOUT ? MYSQL_WAIT_WRITE : 0))
                               : MYSQL_WAIT_TIMEOUT;
        waits = rdss_mysql_connect_cont(attempt, status ? status : MYSQL_WAIT_READ);
        rounds++;
    }
    rdss_error *err = NULL;
    MYSQL *connected = rdss_mysql_connect_result(attempt, &err);
    *took = seconds_since(&start);
    guard(NULL);
    rdss_code code = connected ? RDSS_OK : rdss_error_code(err);
    print_message("%s: %s after %.3f s, %d rounds of the loop: %s (driver: %s)\n", what,
                  rdss_error_name(code), *took, rounds, err ? rdss_error_message(err) : "-",
                  err && rdss_error_driver_message(err) ? rdss_error_driver_message(err) : "-");
    rdss_mysql_attempt_free(attempt);
    mysql_close(mysql);
    rdss_error_free(err);
    *rounds_out = rounds;
    return code;
}

static rdss_code probe(const rdss_config *cfg, rdss_engine engine, int port, double *took, const char *what)
{
    rdss_probe_report *report = NULL;
    rdss_error *err = NULL;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    guard(what);
    rdss_code code = rdss_probe(cfg, engine, "127.0.0.1", port, &report, &err);
    guard(NULL);
    *took = seconds_since(&start);
    print_message("%s: %s after %.3f s: %s\n", what, rdss_error_name(code), *took,
                  err ? rdss_error_message(err) : "-");
    assert_non_null(report);
    assert_int_equal(rdss_probe_report_code(report), code);
    assert_null(rdss_probe_report_tls_version(report)); /* no handshake */
    rdss_probe_report_free(report);
    rdss_error_free(err);
    return code;
}

/* The typed result, within the deadline (an answer that comes at once,
 * not a timeout, for the errors). */
static void check(const char *what, rdss_code code, double took, rdss_code expected)
{
    if (code != expected)
        fail_msg("%s: expected %s, got %s after %.3f s", what, rdss_error_name(expected),
                 rdss_error_name(code), took);
    if (took >= DEADLINE_MS / 1000.0 + SLACK_S)
        fail_msg("%s: %s after %.3f s, past the deadline", what, rdss_error_name(code), took);
}

/* Stops a dripping fake: promptly, whatever its client still waits for. */
static void stop_promptly(fake_server *fake)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    fake_server_stop(fake);
    double took = seconds_since(&start);
    if (took > 0.2)
        fail_msg("fake_server_stop took %.3f s", took);
}

/* The fake itself, with a raw socket: 'S', then (on a ClientHello) the
 * record header and zero bytes about every 50 ms; and it stops promptly
 * with that client still connected. */
static void the_drip_drips(void **state)
{
    (void)state;
    fake_server *fake = fake_server_start(FAKE_PG_TLS_DRIP);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fake_server_port(fake))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    static const unsigned char ssl_request[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
    assert_int_equal(send(fd, ssl_request, sizeof(ssl_request), 0), sizeof(ssl_request));
    unsigned char got[64];
    assert_int_equal(recv(fd, got, 1, 0), 1);
    assert_int_equal(got[0], 'S');
    assert_int_equal(send(fd, "\x16\x03\x01", 3, 0), 3); /* the start of a ClientHello */
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    size_t total = 0;
    while (seconds_since(&start) < 0.5) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 100) > 0) {
            ssize_t n = recv(fd, got + total, sizeof(got) - total, 0);
            assert_true(n > 0);
            total += (size_t)n;
        }
    }
    static const unsigned char header[5] = {0x16, 0x03, 0x03, 0x40, 0x00};
    assert_true(total >= 5);
    assert_memory_equal(got, header, 5);
    print_message("the drip: %zu zero bytes in 0.5 s\n", total - 5);
    assert_in_range(total - 5, 6, 11); /* about one per 50 ms */
    for (size_t i = 5; i < total; i++)
        assert_int_equal(got[i], 0);
    stop_promptly(fake);
    close(fd);
}

static void pg_drip_times_out_at_the_deadline(void **state)
{
    (void)state;
    for (size_t i = 0; i < TRUSTS; i++) {
        const char *what = label("pg drip: connect", &trusts[i]);
        rdss_config *cfg = config(&trusts[i]);
        fake_server *fake = fake_server_start(FAKE_PG_TLS_DRIP);
        double took;
        rdss_code code = pg_connect(cfg, fake_server_port(fake), &took, what);
        assert_true(fake_server_connections(fake) >= 1);
        stop_promptly(fake);
        check(what, code, took, RDSS_ERR_TIMEOUT);
        expect_deadline(what, took);
        rdss_config_free(cfg);
    }
}

/* What libmariadb 3.3's blocking TLS reads let run for minutes (the run
 * with one root: the driver reads the drip itself). */
static void mysql_drip_times_out_at_the_deadline(void **state)
{
    (void)state;
    for (size_t i = 0; i < TRUSTS; i++) {
        const char *what = label("mysql drip: connect", &trusts[i]);
        rdss_config *cfg = config(&trusts[i]);
        fake_server *fake = fake_server_start(FAKE_MY_TLS_DRIP);
        double took;
        rdss_code code = mysql_connect(cfg, fake_server_port(fake), &took, what);
        assert_true(fake_server_connections(fake) >= 1);
        stop_promptly(fake);
        check(what, code, took, RDSS_ERR_TIMEOUT);
        expect_deadline(what, took);
        rdss_config_free(cfg);
    }
}

static void mysql_drip_times_out_in_an_event_loop(void **state)
{
    (void)state;
    for (size_t i = 0; i < TRUSTS; i++) {
        const char *what = label("mysql drip: event loop", &trusts[i]);
        rdss_config *cfg = config(&trusts[i]);
        fake_server *fake = fake_server_start(FAKE_MY_TLS_DRIP);
        double took;
        int rounds = 0;
        rdss_code code = mysql_connect_non_blocking(cfg, fake_server_port(fake), &took, what, &rounds);
        assert_true(fake_server_connections(fake) >= 1);
        stop_promptly(fake);
        check(what, code, took, RDSS_ERR_TIMEOUT);
        expect_deadline(what, took);
        /* with the embedded bundle, start's own probe meets the drip and
         * the loop never runs; with one root the driver is driven by it */
        if (trusts[i].small && rounds == 0)
            fail_msg("%s: the event loop never ran: the drip was not met by the driver", what);
        rdss_config_free(cfg);
    }
}

/* An ERR packet in place of the handshake, "Access denied" (1045, 28000):
 * forgeable, so tls_refused; and no login follows it. */
static void mysql_error_before_tls_is_tls_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < TRUSTS; i++) {
        rdss_config *cfg = config(&trusts[i]);
        const char *what = label("mysql ERR first: connect", &trusts[i]);
        fake_server *fake = fake_server_start(FAKE_MY_ERR_FIRST);
        double took;
        rdss_code code = mysql_connect(cfg, fake_server_port(fake), &took, what);
        int connections = fake_server_connections(fake);
        size_t after = fake_server_stop(fake);
        print_message("%s: %d connections, %zu bytes sent after the server's packet\n", what, connections,
                      after);
        assert_true(connections >= 1);
        check(what, code, took, RDSS_ERR_TLS_REFUSED);
        assert_int_equal(after, 0);

        what = label("mysql ERR first: probe", &trusts[i]);
        fake = fake_server_start(FAKE_MY_ERR_FIRST);
        code = probe(cfg, RDSS_ENGINE_MYSQL, fake_server_port(fake), &took, what);
        connections = fake_server_connections(fake);
        after = fake_server_stop(fake);
        print_message("%s: %d connections, %zu bytes sent after the server's packet\n", what, connections,
                      after);
        assert_true(connections >= 1);
        check(what, code, took, RDSS_ERR_TLS_REFUSED);
        assert_int_equal(after, 0);
        rdss_config_free(cfg);
    }
}

/* An ErrorResponse for an answer to SSLRequest, "password authentication
 * failed" (FATAL, 28P01): forgeable, so tls_refused; and nothing follows
 * the SSLRequest. */
static void pg_error_answer_is_tls_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < TRUSTS; i++) {
        rdss_config *cfg = config(&trusts[i]);
        const char *what = label("pg E answer: connect", &trusts[i]);
        fake_server *fake = fake_server_start(FAKE_PG_ERROR_ANSWER);
        double took;
        rdss_code code = pg_connect(cfg, fake_server_port(fake), &took, what);
        int connections = fake_server_connections(fake);
        size_t after = fake_server_stop(fake);
        print_message("%s: %d connections, %zu bytes sent after the SSLRequest\n", what, connections, after);
        assert_true(connections >= 1);
        check(what, code, took, RDSS_ERR_TLS_REFUSED);
        assert_int_equal(after, 0);

        what = label("pg E answer: probe", &trusts[i]);
        fake = fake_server_start(FAKE_PG_ERROR_ANSWER);
        code = probe(cfg, RDSS_ENGINE_PG, fake_server_port(fake), &took, what);
        connections = fake_server_connections(fake);
        after = fake_server_stop(fake);
        print_message("%s: %d connections, %zu bytes sent after the SSLRequest\n", what, connections, after);
        assert_true(connections >= 1);
        check(what, code, took, RDSS_ERR_TLS_REFUSED);
        assert_int_equal(after, 0);
        rdss_config_free(cfg);
    }
}

/* An argument runs only the cases whose names match it (cmocka's filter,
 * * wildcards). */
int main(int argc, char **argv)
{
    signal(SIGALRM, guard_fired);
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_drip_drips),
        cmocka_unit_test(pg_drip_times_out_at_the_deadline),
        cmocka_unit_test(mysql_drip_times_out_at_the_deadline),
        cmocka_unit_test(mysql_drip_times_out_in_an_event_loop),
        cmocka_unit_test(mysql_error_before_tls_is_tls_refused),
        cmocka_unit_test(pg_error_answer_is_tls_refused),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    mysql_library_end();
    return failed;
}
