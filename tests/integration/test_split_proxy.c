/* A man in the middle who splits a client's connections between servers:
 * the library's credential-free probe goes to the real server, the next
 * connection (the one that would carry the login) somewhere else. The
 * library probes first in two cases: MySQL with a verify-name (libmariadb
 * 3.3 checks only the host it connects to, so the probe checks the name and
 * libmariadb is pinned to the probed leaf's fingerprint), and, for both
 * engines, the first connect to an endpoint with a trust of more than 4
 * certificates (the probe learns the anchor; see lib/anchors/narrow.h). Whatever
 * the second server is, not one byte of login may reach it: a server
 * without TLS gets nothing after its handshake (MySQL) or SSLRequest
 * (PostgreSQL), a real server with another certificate from the same CA
 * sees no login. And with the narrowed trust, a wrong password is one
 * login attempt, not two (no retry with the full trust after auth). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "certgen.h"
#include "fake_server.h"
#include "scratch.h"
#include "split_proxy.h"
#include "testenv.h"

#define MY(key) testenv("mariadb.env", key)
#define PG(key) testenv("postgres.env", key)
#define SCRATCH(key) testenv("mariadb_scratch.env", key)
#define RDS_NAME "db1.abc123xyz.us-east-1.rds.amazonaws.com"
#define DEADLINE_MS 5000

/* big: the embedded bundle plus the test root (more than 4 certificates:
 * the first connect to an endpoint probes first); else the test root alone. */
static rdss_config *config(int big, const char *verify_name)
{
    rdss_config *cfg = rdss_config_new();
    assert_non_null(cfg);
    if (big) {
        assert_int_equal(rdss_config_use_embedded_bundle(cfg, NULL), RDSS_OK);
        assert_int_equal(rdss_config_add_extra_ca_file(cfg, testenv_pki("root.pem"), NULL), RDSS_OK);
    } else {
        assert_int_equal(rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), NULL), RDSS_OK);
    }
    assert_int_equal(rdss_config_set_timeout_ms(cfg, DEADLINE_MS, NULL), RDSS_OK);
    if (verify_name != NULL)
        assert_int_equal(rdss_config_set_verify_name(cfg, verify_name, NULL), RDSS_OK);
    return cfg;
}

/* Connects as the fixture's user to 127.0.0.1:port; the typed result. */
static rdss_code my_connect(const rdss_config *cfg, int port, const char *password, const char *what)
{
    MYSQL *mysql = mysql_init(NULL);
    rdss_error *err = NULL;
    MYSQL *ok = rdss_mysql_connect(cfg, mysql, "127.0.0.1", MY("MY_USER"), password, MY("MY_DATABASE"),
                                   (unsigned)port, NULL, 0, &err);
    rdss_code code = ok ? RDSS_OK : rdss_error_code(err);
    print_message("%s: %s%s%s\n", what, rdss_error_name(code), err ? ": " : "",
                  err ? rdss_error_message(err) : "");
    rdss_error_free(err);
    mysql_close(mysql);
    return code;
}

static rdss_code pg_connect(const rdss_config *cfg, int port, const char *password, const char *what)
{
    char info[512];
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%d user=%s password=%s dbname=%s", port, PG("PG_USER"),
             password, PG("PG_DATABASE"));
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, info, &err);
    rdss_code code = conn ? RDSS_OK : rdss_error_code(err);
    print_message("%s: %s%s%s\n", what, rdss_error_name(code), err ? ": " : "",
                  err ? rdss_error_message(err) : "");
    rdss_error_free(err);
    PQfinish(conn);
    return code;
}

/* Connection 1 (the probe) to the real server, the rest to a fake one
 * without TLS; the connect's code, and no byte past the fake's handshake. */
static rdss_code split_to_fake(int mysql, const rdss_config *cfg, const char *what)
{
    fake_server *fake = fake_server_start(mysql ? FAKE_MY_NO_TLS : FAKE_PG_REFUSE_TLS);
    int real = atoi(mysql ? MY("MY_PORT") : PG("PG_PORT"));
    split_proxy *proxy = split_proxy_start(real, fake_server_port(fake));
    rdss_code code = mysql ? my_connect(cfg, split_proxy_port(proxy), MY("MY_PASSWORD"), what)
                           : pg_connect(cfg, split_proxy_port(proxy), PG("PG_PASSWORD"), what);
    int proxied = split_proxy_connections(proxy);
    int faked = fake_server_connections(fake);
    split_proxy_stop(proxy);
    size_t bytes = fake_server_stop(fake);
    print_message("%s: %d connections through the proxy, %d of them to the fake, %zu bytes after its %s\n",
                  what, proxied, faked, bytes, mysql ? "handshake" : "SSLRequest");
    /* the split happened: the probe met the real server, the driver the fake */
    assert_true(proxied >= 2);
    assert_true(faked >= 1);
    if (bytes != 0)
        fail_msg("%s: %zu bytes reached the server without TLS", what, bytes);
    return code;
}

/* 1. MySQL, verify-name: the probe verifies the real server, the login's
 * connection meets a server without TLS. */
static void mysql_pinned_then_no_tls(void **state)
{
    (void)state;
    rdss_config *cfg = config(0, "localhost");
    rdss_code code = split_to_fake(1, cfg, "mysql, verify-name, probe real, then no TLS");
    if (code != RDSS_ERR_TLS_REFUSED && code != RDSS_ERR_CERT_VERIFY)
        fail_msg("expected tls_refused or cert_verify, got %s", rdss_error_name(code));
    rdss_config_free(cfg);
}

/* Logins (and refused logins) of the fixture's user the scratch server's
 * general log recorded since it was last cleared. */
static long scratch_logins(void)
{
    return scratch_mysql_number("SELECT COUNT(*) FROM mysql.general_log WHERE command_type = 'Connect' "
                          "AND argument LIKE '%rdss%'");
}

static void scratch_log_cleared(void)
{
    scratch_mysql_admin("SET GLOBAL general_log = OFF");
    scratch_mysql_admin("TRUNCATE TABLE mysql.general_log");
    scratch_mysql_admin("SET GLOBAL general_log = ON");
}

/* Connection 1 to the real server, the rest to the scratch server, which
 * presents `leaf` (under the test PKI's subordinate, like the real one's). */
static rdss_code split_to_scratch(const tc_cert *leaf, const tc_cert *sub, const char *what)
{
    scratch_mysql_serve(leaf, sub);
    scratch_log_cleared();
    split_proxy *proxy = split_proxy_start(atoi(MY("MY_PORT")), atoi(SCRATCH("MY_PORT")));
    rdss_config *cfg = config(0, "localhost");
    /* the scratch server has the same user and password: a login would succeed */
    rdss_code code = my_connect(cfg, split_proxy_port(proxy), MY("MY_PASSWORD"), what);
    int proxied = split_proxy_connections(proxy);
    split_proxy_stop(proxy);
    rdss_config_free(cfg);
    long logins = scratch_logins();
    print_message("%s: %d connections through the proxy, %ld logins in the scratch server's log\n", what,
                  proxied, logins);
    assert_true(proxied >= 2);
    if (logins != 0)
        fail_msg("%s: %ld logins reached the other server", what, logins);
    return code;
}

/* 2. MySQL, verify-name: the login's connection meets a real server whose
 * certificate the same CA issued, for another name (2a), or for the same
 * name with another key (2b: what the fingerprint pin alone catches). */
static void mysql_pinned_then_other_certificate(void **state)
{
    (void)state;
    tc_cert sub = tc_load(testenv_pki("sub.pem"), testenv_pki("sub.key"));
    scratch_mysql_admin("SET GLOBAL log_output = 'TABLE'");

    tc_cert other = tc_make_server("other.example.com", "DNS:other.example.com,IP:127.0.0.1", -1, 30, &sub);
    /* libmariadb refuses the unpinned leaf; the library's re-probe for the
     * type then meets the same server and names its defect (hostname_mismatch) */
    rdss_code code = split_to_scratch(&other, &sub, "mysql, verify-name, probe real, then another name's server");
    if (code != RDSS_ERR_CERT_VERIFY && code != RDSS_ERR_HOSTNAME_MISMATCH)
        fail_msg("another name: expected cert_verify (or hostname_mismatch), got %s", rdss_error_name(code));

    tc_cert twin = tc_make_server(RDS_NAME, "DNS:" RDS_NAME ",DNS:localhost,IP:127.0.0.1", -1, 30, &sub);
    code = split_to_scratch(&twin, &sub, "mysql, verify-name, probe real, then the same name, another key");
    if (code != RDSS_ERR_CERT_VERIFY)
        fail_msg("the same name, another key: expected cert_verify, got %s", rdss_error_name(code));

    /* the usual certificate back, and the log shown to count a login */
    tc_cert usual = tc_load(testenv_pki("server.pem"), testenv_pki("server.key"));
    scratch_mysql_serve(&usual, &sub);
    scratch_log_cleared();
    rdss_config *cfg = config(0, "localhost");
    assert_int_equal(my_connect(cfg, atoi(SCRATCH("MY_PORT")), MY("MY_PASSWORD"), "mysql, scratch, direct"),
                     RDSS_OK);
    long logins = scratch_logins();
    scratch_mysql_admin("SET GLOBAL general_log = OFF");
    scratch_mysql_admin("TRUNCATE TABLE mysql.general_log");
    scratch_mysql_admin("SET GLOBAL log_output = 'FILE'");
    if (logins < 1)
        fail_msg("a direct login was not in the scratch server's log (%ld): the check above sees nothing", logins);
    rdss_config_free(cfg);
    tc_cert_free(&usual);
    tc_cert_free(&twin);
    tc_cert_free(&other);
    tc_cert_free(&sub);
}

/* 3. PostgreSQL, a big trust: the first connect's probe meets the real
 * server, libpq's connection a server refusing TLS. */
static void pg_narrowing_probe_then_no_tls(void **state)
{
    (void)state;
    rdss_config *cfg = config(1, NULL);
    rdss_code code = split_to_fake(0, cfg, "pg, big trust, probe real, then no TLS");
    if (code != RDSS_ERR_TLS_REFUSED)
        fail_msg("expected tls_refused, got %s", rdss_error_name(code));
    rdss_config_free(cfg);
}

/* 4. MySQL, the same. */
static void mysql_narrowing_probe_then_no_tls(void **state)
{
    (void)state;
    rdss_config *cfg = config(1, NULL);
    rdss_code code = split_to_fake(1, cfg, "mysql, big trust, probe real, then no TLS");
    if (code != RDSS_ERR_TLS_REFUSED)
        fail_msg("expected tls_refused, got %s", rdss_error_name(code));
    rdss_config_free(cfg);
}

/* 5. Narrowed trust and a wrong password: one login attempt. */
static void one_attempt_for_a_wrong_password(int mysql)
{
    const char *engine = mysql ? "mysql" : "pg";
    int real = atoi(mysql ? MY("MY_PORT") : PG("PG_PORT"));
    split_proxy *proxy = split_proxy_start(real, real);
    int port = split_proxy_port(proxy);
    rdss_config *cfg = config(1, NULL);
    char what[128];
    snprintf(what, sizeof(what), "%s, big trust, first connect", engine);
    rdss_code code = mysql ? my_connect(cfg, port, MY("MY_PASSWORD"), what)
                           : pg_connect(cfg, port, PG("PG_PASSWORD"), what);
    assert_int_equal(code, RDSS_OK);
    int first = split_proxy_connections(proxy);
    snprintf(what, sizeof(what), "%s, big trust, wrong password", engine);
    code = mysql ? my_connect(cfg, port, "not-the-password", what) : pg_connect(cfg, port, "not-the-password", what);
    int second = split_proxy_connections(proxy) - first;
    split_proxy_stop(proxy);
    rdss_config_free(cfg);
    print_message("%s: first connect %d connections, wrong password %d\n", engine, first, second);
    if (code != RDSS_ERR_AUTH)
        fail_msg("%s, wrong password: expected auth, got %s", engine, rdss_error_name(code));
    assert_int_equal(first, 2); /* the probe that learned the anchor, then the driver */
    if (second != 1)
        fail_msg("%s, wrong password: %d connections, expected one login attempt", engine, second);
}

static void mysql_one_attempt_for_a_wrong_password(void **state)
{
    (void)state;
    one_attempt_for_a_wrong_password(1);
}

static void pg_one_attempt_for_a_wrong_password(void **state)
{
    (void)state;
    one_attempt_for_a_wrong_password(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mysql_pinned_then_no_tls),
        cmocka_unit_test(mysql_pinned_then_other_certificate),
        cmocka_unit_test(pg_narrowing_probe_then_no_tls),
        cmocka_unit_test(mysql_narrowing_probe_then_no_tls),
        cmocka_unit_test(mysql_one_attempt_for_a_wrong_password),
        cmocka_unit_test(pg_one_attempt_for_a_wrong_password),
    };
    int failed = cmocka_run_group_tests(tests, NULL, scratch_mysql_restore);
    mysql_library_end();
    return failed;
}
