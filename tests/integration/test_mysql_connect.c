/* rdss_mysql_connect against a real MariaDB 10.11 (and fake servers where a
 * real one cannot misbehave as needed): every typed error produced for real,
 * and nothing a caller sets on the handle or in an option file weakens TLS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <time.h>
#include <cmocka.h>

#include <rdssecure/mysql.h>

#include "certgen.h"
#include "closed_port.h"
#include "fake_server.h"
#include "scenarios.h"
#include "testenv.h"

#define MY(key) testenv("mariadb.env", key)
#define RDS_NAME "db1.abc123xyz.us-east-1.rds.amazonaws.com"

static unsigned my_port(void)
{
    return (unsigned)atoi(MY("MY_PORT"));
}

/* A config trusting the test root (the test PKI stands in for RDS's). */
static rdss_config *test_config(void)
{
    rdss_config *cfg = rdss_config_new();
    rdss_error *err = NULL;
    if (rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), &err) != RDSS_OK)
        fail_msg("%s", rdss_error_message(err));
    return cfg;
}

/* The server's own view of the session's TLS: Ssl_cipher, "" without TLS. */
static void assert_session_encrypted(MYSQL *mysql)
{
    assert_int_equal(mysql_query(mysql, "SHOW SESSION STATUS LIKE 'Ssl_cipher'"), 0);
    MYSQL_RES *res = mysql_store_result(mysql);
    MYSQL_ROW row = mysql_fetch_row(res);
    assert_non_null(row);
    assert_non_null(row[1]);
    assert_true(strlen(row[1]) > 0);
    mysql_free_result(res);
}

/* Connects a fresh handle (prepared by `prepare` when given) and checks the
 * typed result; on success also that the server sees an encrypted session. */
static void expect_on(MYSQL *mysql, const rdss_config *cfg, const char *host, const char *user,
                      const char *password, const char *db, unsigned port, const char *socket,
                      rdss_code expected, const char *what)
{
    rdss_error *err = NULL;
    MYSQL *connected = rdss_mysql_connect(cfg, mysql, host, user, password, db, port, socket, 0, &err);
    if (rdss_error_code(err) != expected)
        fail_msg("%s: expected %s, got %s: %s (driver: %s)", what, rdss_error_name(expected),
                 rdss_error_name(rdss_error_code(err)), rdss_error_message(err),
                 rdss_error_driver_message(err) ? rdss_error_driver_message(err) : "-");
    if (expected == RDSS_OK) {
        assert_ptr_equal(connected, mysql);
        assert_session_encrypted(mysql);
    } else {
        assert_null(connected);
        assert_non_null(rdss_error_message(err));
    }
    rdss_error_free(err);
    mysql_close(mysql);
}

static void expect(const rdss_config *cfg, const char *host, const char *password, const char *db,
                   unsigned port, rdss_code expected, const char *what)
{
    expect_on(mysql_init(NULL), cfg, host, MY("MY_USER"), password, db, port, NULL, expected, what);
}

static void ok_by_localhost_over_tcp_and_by_address(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    /* localhost would be libmariadb's Unix socket; here it is TCP with TLS */
    expect(cfg, "localhost", MY("MY_PASSWORD"), MY("MY_DATABASE"), my_port(), RDSS_OK, "localhost");
    expect(cfg, "127.0.0.1", MY("MY_PASSWORD"), MY("MY_DATABASE"), my_port(), RDSS_OK, "127.0.0.1");
    rdss_config_free(cfg);
}

static void ok_with_ed25519_authentication(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    expect_on(mysql_init(NULL), cfg, "127.0.0.1", MY("MY_ED_USER"), MY("MY_PASSWORD"),
              MY("MY_DATABASE"), my_port(), NULL, RDSS_OK, "ed25519 user");
    expect_on(mysql_init(NULL), cfg, "127.0.0.1", MY("MY_ED_USER"), "wrong", MY("MY_DATABASE"),
              my_port(), NULL, RDSS_ERR_AUTH, "ed25519 user, wrong password");
    rdss_config_free(cfg);
}

static void tls_info_names_the_session(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    MYSQL *mysql = mysql_init(NULL);
    rdss_error *err = NULL;
    assert_non_null(rdss_mysql_connect(cfg, mysql, "127.0.0.1", MY("MY_USER"), MY("MY_PASSWORD"),
                                       MY("MY_DATABASE"), my_port(), NULL, 0, &err));
    rdss_tls_info *info = NULL;
    assert_int_equal(rdss_mysql_tls_info(mysql, &info, &err), RDSS_OK);
    assert_int_equal(strncmp(rdss_tls_info_version(info), "TLSv1.", 6), 0);
    assert_string_equal(rdss_tls_info_cipher(info), mysql_get_ssl_cipher(mysql));
    assert_non_null(strstr(rdss_tls_info_peer_subject(info), RDS_NAME));
    rdss_tls_info_free(info);
    mysql_close(mysql);
    /* an unconnected handle has no TLS to describe */
    mysql = mysql_init(NULL);
    assert_int_equal(rdss_mysql_tls_info(mysql, &info, &err), RDSS_ERR_INVALID_ARGUMENT);
    rdss_error_free(err);
    mysql_close(mysql);
    rdss_config_free(cfg);
}

static void uri_form(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    char uri[512];
    snprintf(uri, sizeof(uri), "mysql://%s:%s@127.0.0.1:%u/%s?ssl-mode=REQUIRED&charset=utf8mb4",
             MY("MY_USER"), MY("MY_PASSWORD"), my_port(), MY("MY_DATABASE"));
    MYSQL *mysql = mysql_init(NULL);
    rdss_error *err = NULL;
    MYSQL *connected = rdss_mysql_connect_uri(cfg, mysql, uri, 0, &err);
    if (connected == NULL)
        fail_msg("%s: %s", rdss_error_name(rdss_error_code(err)), rdss_error_message(err));
    assert_session_encrypted(mysql);
    assert_string_equal(mysql_character_set_name(mysql), "utf8mb4");
    mysql_close(mysql);
    /* ssl-mode=DISABLED is refused before any byte is sent */
    snprintf(uri, sizeof(uri), "mysql://u:p@127.0.0.1:%u/db?ssl-mode=DISABLED", my_port());
    mysql = mysql_init(NULL);
    assert_null(rdss_mysql_connect_uri(cfg, mysql, uri, 0, &err));
    assert_int_equal(rdss_error_code(err), RDSS_ERR_INSECURE_OPTION);
    rdss_error_free(err);
    mysql_close(mysql);
    /* malformed */
    mysql = mysql_init(NULL);
    assert_null(rdss_mysql_connect_uri(cfg, mysql, "mysql://u:p@127.0.0.1:99999/db", 0, &err));
    assert_int_equal(rdss_error_code(err), RDSS_ERR_INVALID_ARGUMENT);
    rdss_error_free(err);
    mysql_close(mysql);
    rdss_config_free(cfg);
}

static void verify_name_for_a_tunnel(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    /* 127.0.0.1 stands for a tunnel's local end; the certificate must name
     * the RDS endpoint, checked on the connection that logs in */
    assert_int_equal(rdss_config_set_verify_name(cfg, RDS_NAME, NULL), RDSS_OK);
    expect(cfg, "127.0.0.1", MY("MY_PASSWORD"), MY("MY_DATABASE"), my_port(), RDSS_OK,
           "verify-name, right name");
    assert_int_equal(rdss_config_set_verify_name(cfg, "db2.abc123xyz.us-east-1.rds.amazonaws.com", NULL),
                     RDSS_OK);
    expect(cfg, "127.0.0.1", MY("MY_PASSWORD"), MY("MY_DATABASE"), my_port(),
           RDSS_ERR_HOSTNAME_MISMATCH, "verify-name, wrong name");
    rdss_config_free(cfg);
}

static void cert_verify_for_an_untrusted_root(void **state)
{
    (void)state;
    rdss_config *cfg = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(cfg, testenv_pki("untrusted-root.pem"), NULL), RDSS_OK);
    expect(cfg, "127.0.0.1", MY("MY_PASSWORD"), MY("MY_DATABASE"), my_port(), RDSS_ERR_CERT_VERIFY,
           "untrusted root");
    /* the caller turning verification off on the handle changes nothing */
    MYSQL *mysql = mysql_init(NULL);
    my_bool off = 0;
    mysql_optionsv(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &off);
    mysql_optionsv(mysql, MYSQL_OPT_SSL_ENFORCE, &off);
    expect_on(mysql, cfg, "127.0.0.1", MY("MY_USER"), MY("MY_PASSWORD"), MY("MY_DATABASE"),
              my_port(), NULL, RDSS_ERR_CERT_VERIFY, "verification off on the handle");
    rdss_config_free(cfg);
}

static void tls_refused_by_a_handshake_without_client_ssl(void **state)
{
    (void)state;
    fake_server *fake = fake_server_start(FAKE_MY_NO_TLS);
    rdss_config *cfg = test_config();
    expect(cfg, "127.0.0.1", "secret", "db", (unsigned)fake_server_port(fake), RDSS_ERR_TLS_REFUSED,
           "no CLIENT_SSL");
    /* the driver connected, read the handshake and then sent nothing at all:
     * no login packet, no user name */
    assert_true(fake_server_connections(fake) >= 1);
    assert_int_equal(fake_server_stop(fake), 0);
    rdss_config_free(cfg);
}

static void tls_refused_by_a_server_without_tls(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    expect(cfg, "127.0.0.1", testenv("mariadb_notls.env", "MY_PASSWORD"), "rdss",
           (unsigned)atoi(testenv("mariadb_notls.env", "MY_PORT")), RDSS_ERR_TLS_REFUSED,
           "server without TLS");
    rdss_config_free(cfg);
}

static void timeout_for_silent_and_stalling_servers(void **state)
{
    (void)state;
    fake_mode modes[2] = {FAKE_BLACKHOLE, FAKE_MY_TLS_STALL};
    for (int i = 0; i < 2; i++) {
        fake_server *fake = fake_server_start(modes[i]);
        rdss_config *cfg = test_config();
        assert_int_equal(rdss_config_set_timeout_ms(cfg, 400, NULL), RDSS_OK);
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        expect(cfg, "127.0.0.1", "secret", "db", (unsigned)fake_server_port(fake), RDSS_ERR_TIMEOUT,
               modes[i] == FAKE_BLACKHOLE ? "black hole" : "TLS stall");
        /* bounded, not timed: the deadline holds (generous margin for
         * loaded machines and sanitizers) */
        assert_true(seconds_since(&start) < 0.4 + 2.0);
        fake_server_stop(fake);
        rdss_config_free(cfg);
    }
}

static void auth_and_server_errors(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    expect(cfg, "127.0.0.1", "wrong", MY("MY_DATABASE"), my_port(), RDSS_ERR_AUTH, "wrong password");
    expect(cfg, "127.0.0.1", MY("MY_PASSWORD"), "rdss_missing", my_port(), RDSS_ERR_SERVER,
           "unknown database");
    rdss_config_free(cfg);
}

static void network_for_a_closed_port_and_an_unresolvable_name(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    closed_port closed = closed_port_hold();
    expect(cfg, "127.0.0.1", "secret", "db", (unsigned)closed.port, RDSS_ERR_NETWORK, "closed port");
    closed_port_release(&closed);
    expect(cfg, "no-such-host.invalid", "secret", "db", my_port(), RDSS_ERR_NETWORK, ".invalid");
    rdss_config_free(cfg);
}

static void insecure_options_on_the_handle(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    char password[128], db[128]; /* testenv's buffers rotate: keep copies */
    snprintf(password, sizeof(password), "%s", MY("MY_PASSWORD"));
    snprintf(db, sizeof(db), "%s", MY("MY_DATABASE"));
    expect_on(mysql_init(NULL), cfg, "localhost", MY("MY_USER"), password, db, my_port(),
              MY("MY_SOCKET"), RDSS_ERR_INSECURE_OPTION, "socket argument");
    expect(cfg, MY("MY_SOCKET"), password, db, my_port(), RDSS_ERR_INSECURE_OPTION, "socket as host");

    MYSQL *mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MARIADB_OPT_UNIXSOCKET, MY("MY_SOCKET"));
    expect_on(mysql, cfg, "localhost", MY("MY_USER"), password, db, my_port(), NULL,
              RDSS_ERR_INSECURE_OPTION, "MARIADB_OPT_UNIXSOCKET");
    mysql = mysql_init(NULL);
    unsigned socket_protocol = MYSQL_PROTOCOL_SOCKET;
    mysql_optionsv(mysql, MYSQL_OPT_PROTOCOL, &socket_protocol);
    expect_on(mysql, cfg, "localhost", MY("MY_USER"), password, db, my_port(), NULL,
              RDSS_ERR_INSECURE_OPTION, "socket protocol");
    mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CAPATH, "/etc/ssl/certs");
    expect_on(mysql, cfg, "127.0.0.1", MY("MY_USER"), password, db, my_port(), NULL,
              RDSS_ERR_INSECURE_OPTION, "capath");
    mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CIPHER, "aNULL:eNULL");
    expect_on(mysql, cfg, "127.0.0.1", MY("MY_USER"), password, db, my_port(), NULL,
              RDSS_ERR_INSECURE_OPTION, "null ciphers");
    mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MARIADB_OPT_TLS_VERSION, "TLSv1.1,TLSv1.2");
    expect_on(mysql, cfg, "127.0.0.1", MY("MY_USER"), password, db, my_port(), NULL,
              RDSS_ERR_INSECURE_OPTION, "TLS 1.1");
    mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MARIADB_OPT_CONNECTION_HANDLER, "aurora");
    expect_on(mysql, cfg, "127.0.0.1", MY("MY_USER"), password, db, my_port(), NULL,
              RDSS_ERR_INSECURE_OPTION, "connection handler");
    /* a verify-name pins the certificate it verified: a fingerprint of the
     * caller's would be overwritten, so the pair is refused */
    rdss_config *named = test_config();
    assert_int_equal(rdss_config_set_verify_name(named, "localhost", NULL), RDSS_OK);
    mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MARIADB_OPT_TLS_PEER_FP, "0123456789012345678901234567890123456789");
    expect_on(mysql, named, "127.0.0.1", MY("MY_USER"), password, db, my_port(), NULL,
              RDSS_ERR_INVALID_ARGUMENT, "verify-name with a fingerprint");
    rdss_config_free(named);
    /* what is strong enough is kept */
    mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MARIADB_OPT_TLS_VERSION, "TLSv1.3");
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CIPHER, "ECDHE-RSA-AES256-GCM-SHA384");
    expect_on(mysql, cfg, "127.0.0.1", MY("MY_USER"), password, db, my_port(), NULL, RDSS_OK,
              "TLS 1.3 only");
    rdss_config_free(cfg);
}

static void invalid_arguments(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    rdss_error *err = NULL;
    assert_null(rdss_mysql_connect(cfg, NULL, "127.0.0.1", "u", "p", "db", my_port(), NULL, 0, &err));
    assert_int_equal(rdss_error_code(err), RDSS_ERR_INVALID_ARGUMENT);
    rdss_error_free(err);
    expect(cfg, "127.0.0.1,localhost", "p", "db", my_port(), RDSS_ERR_INVALID_ARGUMENT, "host list");
    /* a handle that is connected already (asking for auto-reconnect, which
     * is turned off: it would not go through the verification) */
    MYSQL *mysql = mysql_init(NULL);
    my_bool reconnect = 1;
    mysql_optionsv(mysql, MYSQL_OPT_RECONNECT, &reconnect);
    assert_non_null(rdss_mysql_connect(cfg, mysql, "127.0.0.1", MY("MY_USER"), MY("MY_PASSWORD"),
                                       MY("MY_DATABASE"), my_port(), NULL, 0, NULL));
    assert_int_equal(mysql_get_optionv(mysql, MYSQL_OPT_RECONNECT, &reconnect), 0);
    assert_int_equal(reconnect, 0);
    assert_null(rdss_mysql_connect(cfg, mysql, "127.0.0.1", MY("MY_USER"), MY("MY_PASSWORD"),
                                   MY("MY_DATABASE"), my_port(), NULL, 0, &err));
    assert_int_equal(rdss_error_code(err), RDSS_ERR_INVALID_ARGUMENT);
    rdss_error_free(err);
    mysql_close(mysql);
    expect(cfg, "aurora://127.0.0.1", "p", "db", my_port(), RDSS_ERR_INVALID_ARGUMENT, "plugin URL");
    rdss_config_free(cfg);
}

static void bundle_for_a_bad_ca_file_on_the_handle(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    char *dir = tc_tmpdir();
    char *empty = tc_write(dir, "empty.pem", "", 0, 0644);
    MYSQL *mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CA, empty);
    expect_on(mysql, cfg, "127.0.0.1", MY("MY_USER"), MY("MY_PASSWORD"), MY("MY_DATABASE"),
              my_port(), NULL, RDSS_ERR_BUNDLE, "empty CA file");
    /* the caller's CA file is an on-disk bundle like any: the right one works */
    mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CA, testenv_pki("root.pem"));
    expect_on(mysql, NULL, "127.0.0.1", MY("MY_USER"), MY("MY_PASSWORD"), MY("MY_DATABASE"),
              my_port(), NULL, RDSS_OK, "caller's CA file");
    free(empty);
    tc_rmdir_all(dir);
    rdss_config_free(cfg);
}

/* Each option-file downgrade, in a file the caller names. */
static void option_file_downgrades_are_insecure_option(void **state)
{
    (void)state;
    static const char *const downgrades[] = {
        "ssl=0\n",
        "skip-ssl\n",
        "ssl-verify-server-cert=0\n",
        "ssl_verify_server_cert=0\n",
        "ssl-verify-server-cert\n",
        "tls-verify-peer=0\n",
        "ssl-enforce=0\n",
        "ssl-mode=DISABLED\n",
        "ssl-mode=PREFERRED\n",
        "ssl-ca=/etc/ssl/certs/ca-certificates.crt\n",
        "ssl-capath=/etc/ssl/certs\n",
        "ssl-fp=0123456789012345678901234567890123456789\n",
        "tls-version=TLSv1.0,TLSv1.1\n",
        "ssl-cipher=aNULL\n",
        "protocol=socket\n",
        "connection=ssl-verify-server-cert=0\n",
        /* libmariadb's other spellings of the same */
        "tls-ca=/etc/ssl/certs/ca-certificates.crt\n",
        "tls-capath=/etc/ssl/certs\n",
        "tls-fp=0123456789012345678901234567890123456789\n",
        "tls-fplist=/etc/hostname\n",
        "ssl-fplist=/etc/hostname\n",
        "ssl-fp-list=/etc/hostname\n",
        "tls-enforce=0\n",
        "tls-crl=/etc/hostname\n",
        "tls-crlpath=/etc/ssl/certs\n",
        "tls-cipher=aNULL\n",
        "disable-ssl\n",
        "skip-ssl-verify-server-cert\n",
    };
    rdss_config *cfg = test_config();
    char *dir = tc_tmpdir();
    for (size_t i = 0; i < sizeof(downgrades) / sizeof(downgrades[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "[client]\nuser=%s\n%s", MY("MY_USER"), downgrades[i]);
        char *file = tc_write(dir, "my.cnf", text, strlen(text), 0644);
        MYSQL *mysql = mysql_init(NULL);
        mysql_optionsv(mysql, MYSQL_READ_DEFAULT_FILE, file);
        expect_on(mysql, cfg, "127.0.0.1", NULL, MY("MY_PASSWORD"), MY("MY_DATABASE"), my_port(),
                  NULL, RDSS_ERR_INSECURE_OPTION, downgrades[i]);
        free(file);
    }
    /* in an included file, in the caller's own group */
    char *inner = tc_write(dir, "inner.cnf", "[myapp]\nssl-verify-server-cert=0\n", 34, 0644);
    char outer[512];
    snprintf(outer, sizeof(outer), "[client]\n!include %s\n", inner);
    char *file = tc_write(dir, "outer.cnf", outer, strlen(outer), 0644);
    MYSQL *mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_READ_DEFAULT_FILE, file);
    mysql_optionsv(mysql, MYSQL_READ_DEFAULT_GROUP, "myapp");
    expect_on(mysql, cfg, "127.0.0.1", MY("MY_USER"), MY("MY_PASSWORD"), MY("MY_DATABASE"),
              my_port(), NULL, RDSS_ERR_INSECURE_OPTION, "included file");
    free(file);
    free(inner);
    tc_rmdir_all(dir);
    rdss_config_free(cfg);
}

/* An option file without downgrades still works, and its settings reach
 * the driver: here the user name and password come only from the file. */
static void option_file_settings_are_kept(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    char *dir = tc_tmpdir();
    char text[1024];
    snprintf(text, sizeof(text),
             "[client-server]\nsocket = /run/mysqld/mysqld.sock\n"
             "[client]\nuser = %s\npassword = \"%s\"\nprotocol=TCP\nssl-verify-server-cert=1\n"
             "default-character-set=utf8mb4\n[mysqld]\nssl=0\n",
             MY("MY_USER"), MY("MY_PASSWORD"));
    char *file = tc_write(dir, "my.cnf", text, strlen(text), 0644);
    MYSQL *mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_READ_DEFAULT_FILE, file);
    rdss_error *err = NULL;
    MYSQL *connected = rdss_mysql_connect(cfg, mysql, "localhost", NULL, NULL, MY("MY_DATABASE"),
                                          my_port(), NULL, 0, &err);
    if (connected == NULL)
        fail_msg("%s: %s (driver: %s)", rdss_error_name(rdss_error_code(err)), rdss_error_message(err),
                 rdss_error_driver_message(err) ? rdss_error_driver_message(err) : "-");
    assert_session_encrypted(mysql);
    assert_string_equal(mysql_character_set_name(mysql), "utf8mb4");
    mysql_close(mysql);
    free(file);
    tc_rmdir_all(dir);
    rdss_config_free(cfg);
}

/* The event-loop form, driven by poll as an application would. */
static rdss_code connect_non_blocking(const rdss_config *cfg, unsigned port, MYSQL **out)
{
    MYSQL *mysql = mysql_init(NULL);
    rdss_mysql_attempt *attempt = NULL;
    int waits = rdss_mysql_connect_start(&attempt, cfg, mysql, "127.0.0.1", MY("MY_USER"),
                                         MY("MY_PASSWORD"), MY("MY_DATABASE"), port, NULL, 0);
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
    rdss_code code = rdss_error_code(err);
    rdss_error_free(err);
    rdss_mysql_attempt_free(attempt);
    assert_true(rounds > 0);
    if (connected == NULL)
        mysql_close(mysql);
    *out = connected;
    return code;
}

static void non_blocking_connect(void **state)
{
    (void)state;
    rdss_config *cfg = test_config();
    MYSQL *mysql = NULL;
    assert_int_equal(connect_non_blocking(cfg, my_port(), &mysql), RDSS_OK);
    assert_session_encrypted(mysql);
    mysql_close(mysql);
    /* and its deadline holds */
    fake_server *fake = fake_server_start(FAKE_MY_TLS_STALL);
    assert_int_equal(rdss_config_set_timeout_ms(cfg, 300, NULL), RDSS_OK);
    assert_int_equal(connect_non_blocking(cfg, (unsigned)fake_server_port(fake), &mysql), RDSS_ERR_TIMEOUT);
    assert_null(mysql);
    fake_server_stop(fake);
    rdss_config_free(cfg);
}

/* As for PostgreSQL: another bundle on the same endpoint gets nothing of
 * what a config trusting the server learned. */
static void another_bundle_learns_nothing_from_this_one(void **state)
{
    (void)state;
    rdss_config *trusting = scenario_bundle_plus(testenv_pki("root.pem"));
    rdss_config *other = scenario_bundle_plus(testenv_pki("untrusted-root.pem"));
    for (int round = 0; round < 2; round++) /* learns the anchor, then narrowed to it */
        expect(trusting, "127.0.0.1", MY("MY_PASSWORD"), MY("MY_DATABASE"), my_port(), RDSS_OK, "trusting");
    expect(other, "127.0.0.1", MY("MY_PASSWORD"), MY("MY_DATABASE"), my_port(), RDSS_ERR_CERT_VERIFY,
           "another bundle");
    rdss_config_free(trusting);
    rdss_config_free(other);
}

int main(void)
{
    setlocale(LC_ALL, ""); /* as an application would: the German run is German */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(another_bundle_learns_nothing_from_this_one),
        cmocka_unit_test(ok_by_localhost_over_tcp_and_by_address),
        cmocka_unit_test(ok_with_ed25519_authentication),
        cmocka_unit_test(tls_info_names_the_session),
        cmocka_unit_test(uri_form),
        cmocka_unit_test(verify_name_for_a_tunnel),
        cmocka_unit_test(cert_verify_for_an_untrusted_root),
        cmocka_unit_test(tls_refused_by_a_handshake_without_client_ssl),
        cmocka_unit_test(tls_refused_by_a_server_without_tls),
        cmocka_unit_test(timeout_for_silent_and_stalling_servers),
        cmocka_unit_test(auth_and_server_errors),
        cmocka_unit_test(network_for_a_closed_port_and_an_unresolvable_name),
        cmocka_unit_test(insecure_options_on_the_handle),
        cmocka_unit_test(invalid_arguments),
        cmocka_unit_test(bundle_for_a_bad_ca_file_on_the_handle),
        cmocka_unit_test(option_file_downgrades_are_insecure_option),
        cmocka_unit_test(option_file_settings_are_kept),
        cmocka_unit_test(non_blocking_connect),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    mysql_library_end();
    return failed;
}
