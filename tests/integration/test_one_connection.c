/* A connect by an RDS endpoint name is one connection on the server: the
 * driver is given the roots of the name's region, and nothing probes the
 * server first. Both engines, by name (a private /etc/hosts maps it to
 * 127.0.0.1: tests/fixtures/with_files.sh), through a relay that counts the
 * connections; on MariaDB, Aborted_connects stays where it was. A server
 * anchored in another region of the trust still connects (the probe finds it
 * fine, the driver retries with the whole trust), and the next connect goes
 * straight to the root it learned. From the second connect on, the one
 * root learned among the region's roots is what the driver gets; a
 * rotation to another root of the region costs one connect a probe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "fake_server.h"
#include "scenarios.h"
#include "scratch.h"
#include "testenv.h"

#define NAME "db1.abc123xyz.us-east-1.rds.amazonaws.com"
#define SANS "DNS:" NAME ",DNS:localhost,IP:127.0.0.1"
#define PG(key) testenv("postgres_scratch.env", key)
#define MY(key) testenv("mariadb_scratch.env", key)

static rdss_code pg_by_name(const rdss_config *cfg, int port)
{
    char info[1024];
    snprintf(info, sizeof(info), "host=%s port=%d user=%s password=%s dbname=%s", NAME, port, PG("PG_USER"),
             PG("PG_PASSWORD"), PG("PG_DATABASE"));
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, info, &err);
    rdss_code code = conn != NULL ? RDSS_OK : rdss_error_code(err);
    if (code != RDSS_OK)
        print_message("pg: %s\n", rdss_error_message(err));
    PQfinish(conn);
    rdss_error_free(err);
    return code;
}

/* The event-loop form, as an event loop drives it: PQsocket asked afresh
 * before each wait (a retry connects on a new socket). */
static rdss_code pg_event_loop_by_name(const rdss_config *cfg, int port)
{
    char info[1024];
    snprintf(info, sizeof(info), "host=%s port=%d user=%s password=%s dbname=%s", NAME, port, PG("PG_USER"),
             PG("PG_PASSWORD"), PG("PG_DATABASE"));
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect_start(cfg, info, &err);
    PostgresPollingStatusType status = conn != NULL ? PGRES_POLLING_WRITING : PGRES_POLLING_FAILED;
    while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED) {
        struct pollfd wait = {PQsocket(conn), status == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};
        poll(&wait, 1, (int)rdss_pg_connect_remaining_ms(conn));
        status = rdss_pg_connect_poll(conn, &err);
    }
    rdss_code code = status == PGRES_POLLING_OK ? RDSS_OK : rdss_error_code(err);
    if (code != RDSS_OK)
        print_message("pg event loop: %s\n", rdss_error_message(err));
    PQfinish(conn);
    rdss_error_free(err);
    return code;
}

static rdss_code my_by_name(const rdss_config *cfg, int port)
{
    char user[64], password[128], db[64];
    snprintf(user, sizeof(user), "%s", MY("MY_USER"));
    snprintf(password, sizeof(password), "%s", MY("MY_PASSWORD"));
    snprintf(db, sizeof(db), "%s", MY("MY_DATABASE"));
    MYSQL *mysql = mysql_init(NULL);
    rdss_error *err = NULL;
    MYSQL *connected = rdss_mysql_connect(cfg, mysql, NAME, user, password, db, (unsigned)port, NULL, 0, &err);
    rdss_code code = connected != NULL ? RDSS_OK : rdss_error_code(err);
    if (code != RDSS_OK)
        print_message("mysql: %s\n", rdss_error_message(err));
    mysql_close(mysql);
    rdss_error_free(err);
    return code;
}

static long aborted_connects(void)
{
    return scratch_mysql_number("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                                "WHERE VARIABLE_NAME = 'ABORTED_CONNECTS'");
}

typedef enum form { PG_BLOCKING, MYSQL_BLOCKING, PG_EVENT_LOOP } form;
static const char *const form_names[] = {"pg", "mysql", "pg event loop"};

/* Three connects of one form through one relay: ok each time, after
 * `first` server connections for the first and `then` for each next. */
static void connections_per_connect(form f, const rdss_config *cfg, int first, int then, const char *what)
{
    int mysql = f == MYSQL_BLOCKING;
    int server = atoi(mysql ? MY("MY_PORT") : PG("PG_PORT"));
    fake_server *relay = fake_server_start_relay(FAKE_TCP_RELAY, server);
    int port = fake_server_port(relay);
    for (int i = 0; i < 3; i++) {
        int before = fake_server_connections(relay);
        rdss_code code = f == MYSQL_BLOCKING ? my_by_name(cfg, port)
                         : f == PG_BLOCKING ? pg_by_name(cfg, port) : pg_event_loop_by_name(cfg, port);
        int used = fake_server_connections(relay) - before, want = i == 0 ? first : then;
        if (code != RDSS_OK || used != want)
            fail_msg("%s, %s connect %d: %s after %d connection(s); expected ok after %d", what, form_names[f],
                     i + 1, rdss_error_name(code), used, want);
    }
    fake_server_stop(relay);
}

static void one_connection_per_connect_by_name(void **state)
{
    (void)state;
    rotation_set r; /* root B is named for us-east-1, the name's region */
    rotation_set_make(&r);
    scratch_pg_serve(&r.leaf_b, NULL);
    scratch_mysql_serve(&r.leaf_b, NULL);
    long aborted = aborted_connects();
    connections_per_connect(PG_BLOCKING, r.cfg, 1, 1, "the name's region anchors the server");
    connections_per_connect(MYSQL_BLOCKING, r.cfg, 1, 1, "the name's region anchors the server");
    connections_per_connect(PG_EVENT_LOOP, r.cfg, 1, 1, "the name's region anchors the server");
    assert_int_equal(aborted_connects(), aborted);
    rotation_set_free(&r);
}

/* The root learned among the region's roots (from the second connect on),
 * then a rotation to the region's other root: one connect takes the probe
 * and the whole trust (D + P + D), the next goes to the new root alone. One
 * relay throughout, one endpoint. */
static void rotation_within_the_region(form f, rotation_set *r)
{
    int mysql = f == MYSQL_BLOCKING;
    scratch_pg_serve(&r->leaf_b, NULL);
    scratch_mysql_serve(&r->leaf_b, NULL);
    fake_server *relay = fake_server_start_relay(FAKE_TCP_RELAY, atoi(mysql ? MY("MY_PORT") : PG("PG_PORT")));
    int port = fake_server_port(relay);
    static const int expected[] = {1, 1, 1, 3, 1};
    for (int i = 0; i < 5; i++) {
        if (i == 3) {
            scratch_pg_serve(&r->leaf_a, &r->sub);
            scratch_mysql_serve(&r->leaf_a, &r->sub);
        }
        int before = fake_server_connections(relay);
        rdss_code code = mysql ? my_by_name(r->cfg, port)
                         : f == PG_BLOCKING ? pg_by_name(r->cfg, port) : pg_event_loop_by_name(r->cfg, port);
        int used = fake_server_connections(relay) - before;
        if (code != RDSS_OK || used != expected[i])
            fail_msg("%s, connect %d (%s): %s after %d connection(s); expected ok after %d", form_names[f], i + 1,
                     i < 3 ? "root B" : "rotated to root A", rdss_error_name(code), used, expected[i]);
    }
    fake_server_stop(relay);
}

static void rotations_within_the_region(void **state)
{
    (void)state;
    for (form f = PG_BLOCKING; f <= PG_EVENT_LOOP; f++) {
        rotation_set r; /* roots A and B, both named for us-east-1: the name's region */
        rotation_set_make(&r);
        rotation_within_the_region(f, &r);
        rotation_set_free(&r);
    }
}

static void anchored_in_another_region(void **state)
{
    (void)state;
    char *dir = tc_tmpdir();
    tc_cert elsewhere = tc_make("Amazon RDS eu-west-1 Root CA RSA2048 G1", 1, -1, 3650, NULL);
    tc_cert leaf = tc_make_server(NAME, SANS, -1, 30, &elsewhere);
    char *pem = tc_pem(&elsewhere, 1);
    char *file = tc_write(dir, "eu-west-1.pem", pem, strlen(pem), 0644);
    rdss_config *cfg = scenario_bundle_plus(file);
    scratch_pg_serve(&leaf, NULL);
    scratch_mysql_serve(&leaf, NULL);
    /* us-east-1's roots fail it, the probe finds it fine against the whole
     * trust, the whole trust connects; then the learned root alone */
    connections_per_connect(PG_BLOCKING, cfg, 3, 1, "anchored in eu-west-1");
    connections_per_connect(MYSQL_BLOCKING, cfg, 3, 1, "anchored in eu-west-1");
    /* the caller's PGconn connects again, on a new socket */
    connections_per_connect(PG_EVENT_LOOP, cfg, 3, 1, "anchored in eu-west-1");
    rdss_config_free(cfg);
    tc_cert_free(&leaf);
    tc_cert_free(&elsewhere);
    free(file);
    free(pem);
    tc_rmdir_all(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_connection_per_connect_by_name),
        cmocka_unit_test(rotations_within_the_region),
        cmocka_unit_test(anchored_in_another_region),
    };
    int failed = cmocka_run_group_tests(tests, NULL, scratch_both_restore);
    mysql_library_end();
    return failed;
}
