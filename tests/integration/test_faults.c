/* Broken servers and hostile certificates, for both engines: a server
 * reset mid-handshake, one that answers 'S' and closes, TLS alerts, a
 * truncated MySQL handshake, garbage instead of one (fake servers: real
 * ones cannot misbehave like that); a chain of 10 intermediates, a 64 KiB
 * certificate and one with 1,000 SANs (the real scratch servers present
 * them). Each gives its typed result within the deadline, and no file
 * descriptor is left open (memory: the sanitized run checks for leaks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "certgen.h"
#include "fake_server.h"
#include "scratch.h"
#include "testenv.h"

#define RDS_NAME "db1.abc123xyz.us-east-1.rds.amazonaws.com"
#define DEADLINE_MS 2000

static int open_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    int count = 0;
    for (struct dirent *e = dir ? readdir(dir) : NULL; e != NULL; e = readdir(dir))
        count += e->d_name[0] != '.';
    if (dir != NULL)
        closedir(dir);
    return count - 1; /* the directory's own */
}

static rdss_code connect_to(int mysql, const char *env_or_null, int port)
{
    rdss_config *cfg = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), NULL), RDSS_OK);
    assert_int_equal(rdss_config_set_timeout_ms(cfg, DEADLINE_MS, NULL), RDSS_OK);
    assert_int_equal(rdss_config_set_verify_name(cfg, RDS_NAME, NULL), RDSS_OK);
    rdss_error *err = NULL;
    rdss_code code;
    if (mysql) {
        MYSQL *handle = mysql_init(NULL);
        const char *user = env_or_null ? testenv(env_or_null, "MY_USER") : "u";
        char password[128];
        snprintf(password, sizeof(password), "%s", env_or_null ? testenv(env_or_null, "MY_PASSWORD") : "p");
        code = rdss_mysql_connect(cfg, handle, "127.0.0.1", user, password,
                                  env_or_null ? testenv(env_or_null, "MY_DATABASE") : "d", (unsigned)port, NULL,
                                  0, &err)
                   ? RDSS_OK
                   : rdss_error_code(err);
        mysql_close(handle);
    } else {
        char info[512];
        if (env_or_null != NULL)
            snprintf(info, sizeof(info), "host=127.0.0.1 port=%d user=%s password=%s dbname=%s", port,
                     testenv(env_or_null, "PG_USER"), testenv(env_or_null, "PG_PASSWORD"),
                     testenv(env_or_null, "PG_DATABASE"));
        else
            snprintf(info, sizeof(info), "host=127.0.0.1 port=%d user=u password=p dbname=d", port);
        PGconn *conn = rdss_pg_connect(cfg, info, &err);
        code = conn ? RDSS_OK : rdss_error_code(err);
        PQfinish(conn);
    }
    rdss_error_free(err);
    rdss_config_free(cfg);
    return code;
}

/* Runs one case and checks its result, its time and the descriptors. With
 * a fake server (mode >= 0), it runs in this process: it is started
 * after the first count and stopped before the second. */
static void expect_case(const char *what, int mysql, const char *env, int port, int mode,
                        rdss_code expected)
{
    int fds = open_fds();
    fake_server *fake = mode >= 0 ? fake_server_start((fake_mode)mode) : NULL;
    if (fake != NULL)
        port = fake_server_port(fake);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    rdss_code code = connect_to(mysql, env, port);
    double took = seconds_since(&start);
    if (fake != NULL)
        fake_server_stop(fake);
    if (code != expected)
        fail_msg("%s: expected %s, got %s", what, rdss_error_name(expected), rdss_error_name(code));
    assert_true(took < DEADLINE_MS / 1000.0 + 2.0); /* bounded, not timed */
    if (open_fds() != fds) {
        char command[64];
        snprintf(command, sizeof(command), "ls -l /proc/%d/fd >&2", (int)getpid());
        if (system(command) != 0)
            fprintf(stderr, "(cannot list the descriptors)\n");
        fail_msg("%s: %d file descriptors open before, %d after", what, fds, open_fds());
    }
}

static void broken_servers(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        int mysql;
        fake_mode mode;
        rdss_code expected;
    } cases[] = {
        {"pg: answers S and closes", 0, FAKE_PG_YES_THEN_CLOSE, RDSS_ERR_NETWORK},
        {"pg: reset mid-handshake", 0, FAKE_PG_YES_THEN_RESET, RDSS_ERR_NETWORK},
        {"pg: TLS alert", 0, FAKE_PG_YES_THEN_ALERT, RDSS_ERR_TLS_REFUSED},
        {"mysql: reset mid-handshake", 1, FAKE_MY_TLS_RESET, RDSS_ERR_NETWORK},
        {"mysql: TLS alert", 1, FAKE_MY_TLS_ALERT, RDSS_ERR_TLS_REFUSED},
        {"mysql: truncated handshake", 1, FAKE_MY_TRUNCATED, RDSS_ERR_NETWORK},
        {"mysql: garbage for a handshake", 1, FAKE_MY_GARBAGE, RDSS_ERR_TLS_REFUSED},
    };
    /* a first connect of each engine, so that what stays loaded for the
     * process (driver plugins) is not counted as a leak */
    fake_server *warm = fake_server_start(FAKE_PG_YES_THEN_CLOSE);
    connect_to(0, NULL, fake_server_port(warm));
    fake_server_stop(warm);
    warm = fake_server_start(FAKE_MY_GARBAGE);
    connect_to(1, NULL, fake_server_port(warm));
    fake_server_stop(warm);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_case(cases[i].what, cases[i].mysql, NULL, 0, (int)cases[i].mode, cases[i].expected);
}

/* A leaf for RDS_NAME with `extra` DNS SANs before it. */
static tc_cert leaf_with_sans(int extra, const tc_cert *issuer)
{
    size_t size = (size_t)extra * 48 + 256;
    char *sans = malloc(size);
    size_t used = 0;
    for (int i = 0; i < extra; i++)
        used += (size_t)snprintf(sans + used, size - used, "DNS:host-%05d.filler.example.com,", i);
    snprintf(sans + used, size - used, "DNS:%s,IP:127.0.0.1", RDS_NAME);
    tc_cert leaf = tc_make_server(RDS_NAME, sans, -1, 30, issuer);
    free(sans);
    return leaf;
}

static void serve_both(const tc_cert *chain, int n)
{
    scratch_pg_serve_chain(chain, n);
    scratch_mysql_serve_chain(chain, n);
}

static void both_engines_connect(const char *what)
{
    char label[128];
    snprintf(label, sizeof(label), "pg: %s", what);
    expect_case(label, 0, "postgres_scratch.env", atoi(testenv("postgres_scratch.env", "PG_PORT")), -1, RDSS_OK);
    snprintf(label, sizeof(label), "mysql: %s", what);
    expect_case(label, 1, "mariadb_scratch.env", atoi(testenv("mariadb_scratch.env", "MY_PORT")), -1, RDSS_OK);
}

static void hostile_certificates(void **state)
{
    (void)state;
    tc_cert root = tc_load(testenv_pki("root.pem"), testenv_pki("root.key"));
    tc_cert sub = tc_load(testenv_pki("sub.pem"), testenv_pki("sub.key"));
    /* root -> 10 intermediates -> leaf; served leaf first */
    tc_cert chain[11];
    tc_cert *issuer = &root;
    tc_cert intermediates[10];
    for (int i = 0; i < 10; i++) {
        char cn[64];
        snprintf(cn, sizeof(cn), "Amazon RDS us-east-1 Intermediate %d", i + 1);
        intermediates[i] = tc_make(cn, 1, -1, 365, issuer);
        issuer = &intermediates[i];
    }
    chain[0] = leaf_with_sans(0, issuer);
    for (int i = 0; i < 10; i++)
        chain[1 + i] = intermediates[9 - i];
    serve_both(chain, 11);
    both_engines_connect("a chain of 10 intermediates");

    tc_cert many[2] = {leaf_with_sans(1000, &sub), sub};
    serve_both(many, 2);
    both_engines_connect("1,000 SANs");

    tc_cert huge[2] = {leaf_with_sans(2100, &sub), sub}; /* 64 KiB of DER and more */
    int der = i2d_X509(huge[0].cert, NULL);
    assert_true(der >= 64 * 1024);
    serve_both(huge, 2);
    both_engines_connect("a 64 KiB certificate");

    /* the usual certificate back */
    tc_cert usual[2] = {leaf_with_sans(0, &sub), sub};
    serve_both(usual, 2);
    tc_cert_free(&usual[0]);
    tc_cert_free(&huge[0]);
    tc_cert_free(&many[0]);
    tc_cert_free(&chain[0]);
    for (int i = 0; i < 10; i++)
        tc_cert_free(&intermediates[i]);
    tc_cert_free(&sub);
    tc_cert_free(&root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(broken_servers),
        cmocka_unit_test(hostile_certificates),
    };
    int failed = cmocka_run_group_tests(tests, NULL, scratch_both_restore);
    mysql_library_end();
    return failed;
}
