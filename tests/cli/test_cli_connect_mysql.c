/* rdssecure connect mysql against the local MariaDB: the CONTRACT's JSON
 * fields and a distinct exit status per typed error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <rdssecure/rdssecure.h>

#include "cli_run.h"
#include "closed_port.h"
#include "fake_server.h"
#include "testenv.h"

#define MY(key) testenv("mariadb.env", key)

static int status_of(rdss_code code)
{
    return code == RDSS_OK ? 0 : 10 + (int)code;
}

/* Runs connect mysql URI OPTIONS --json and checks the common fields. */
static cJSON *connect_json(const char *uri, const char *options, rdss_code expected)
{
    char args[2048];
    snprintf(args, sizeof(args), "connect mysql '%s' %s --json", uri, options);
    run_result r = cli_run(RDSS_CLI_PATH, args);
    if (r.status != status_of(expected))
        fail_msg("rdssecure %s: exit %d, expected %d: %s", args, r.status, status_of(expected), r.out);
    cJSON *json = cli_parse_one_object(r.out);
    free(r.out);
    assert_string_equal(cli_string_field(json, "engine"), "mysql");
    assert_string_equal(cli_string_field(json, "error"), rdss_error_name(expected));
    assert_non_null(cli_string_field(json, "message"));
    return json;
}

/* mysql://user:password@HOST:PORT/DB with the fixture's account. */
static const char *uri(const char *host, const char *port, const char *password, const char *db)
{
    static char text[16][512]; /* more than one table of cases holds */
    static int next;
    char *out = text[next++ % 16];
    snprintf(out, 512, "mysql://%s:%s@%s:%s/%s", MY("MY_USER"), password ? password : MY("MY_PASSWORD"),
             host, port ? port : MY("MY_PORT"), db ? db : MY("MY_DATABASE"));
    return out;
}

static void a_good_server_reports_every_contract_field(void **state)
{
    (void)state;
    char options[1024];
    snprintf(options, sizeof(options), "--bundle '%s' --timeout-ms 5000 --query 'SELECT 40 + 2'",
             testenv_pki("root.pem"));
    cJSON *json = connect_json(uri("localhost", NULL, NULL, NULL), options, RDSS_OK);
    cli_assert_connect_report(json, "localhost", atoi(MY("MY_PORT")));
    cJSON_Delete(json);
}

static void each_broken_case_has_its_name_and_exit_status(void **state)
{
    (void)state;
    char trusted[512], untrusted[512], mismatch[700], tunnel[700];
    snprintf(trusted, sizeof(trusted), "--bundle '%s'", testenv_pki("root.pem"));
    snprintf(untrusted, sizeof(untrusted), "--bundle '%s'", testenv_pki("untrusted-root.pem"));
    snprintf(mismatch, sizeof(mismatch), "%s --verify-name other.example.com", trusted);
    snprintf(tunnel, sizeof(tunnel), "%s --verify-name db1.abc123xyz.us-east-1.rds.amazonaws.com", trusted);
    closed_port closed = closed_port_hold();
    char closed_target[16], no_tls_port[16];
    snprintf(closed_target, sizeof(closed_target), "%d", closed.port);
    fake_server *no_tls = fake_server_start(FAKE_MY_NO_TLS);
    snprintf(no_tls_port, sizeof(no_tls_port), "%d", fake_server_port(no_tls));
    char disabled[600];
    snprintf(disabled, sizeof(disabled), "%s?ssl-mode=DISABLED", uri("127.0.0.1", NULL, NULL, NULL));
    struct {
        const char *uri, *options;
        rdss_code code;
    } cases[] = {
        {uri("127.0.0.1", NULL, NULL, NULL), tunnel, RDSS_OK},
        {uri("127.0.0.1", NULL, NULL, NULL), untrusted, RDSS_ERR_CERT_VERIFY},
        {uri("127.0.0.1", NULL, NULL, NULL), mismatch, RDSS_ERR_HOSTNAME_MISMATCH},
        {uri("127.0.0.1", no_tls_port, NULL, NULL), trusted, RDSS_ERR_TLS_REFUSED},
        {disabled, trusted, RDSS_ERR_INSECURE_OPTION},
        {uri("127.0.0.1", NULL, "wrong", NULL), trusted, RDSS_ERR_AUTH},
        {uri("127.0.0.1", NULL, NULL, "rdss_missing"), trusted, RDSS_ERR_SERVER},
        {uri("127.0.0.1", closed_target, NULL, NULL), trusted, RDSS_ERR_NETWORK},
        {uri("127.0.0.1", NULL, NULL, NULL), "--bundle /nonexistent.pem", RDSS_ERR_BUNDLE},
        {"mysql://u:p@[::1/db", trusted, RDSS_ERR_INVALID_ARGUMENT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *json = connect_json(cases[i].uri, cases[i].options, cases[i].code);
        if (cases[i].code == RDSS_ERR_CERT_VERIFY) /* the handshake completed: the peer is known */
            assert_non_null(cli_string_field(json, "peer_subject"));
        cJSON_Delete(json);
    }
    assert_int_equal(fake_server_stop(no_tls), 0); /* nothing sent after its handshake */
    closed_port_release(&closed);
}

/* The embedded bundle and an endpoint it cannot cover: cert_verify, and the
 * message says which bundle to trust and how. */
static void endpoints_outside_the_global_bundle_say_what_to_trust(void **state)
{
    (void)state;
    static const struct {
        const char *name, *says;
    } cases[] = {
        {"db.abc123xyz.us-gov-east-1.rds.amazonaws.com", "is in AWS GovCloud (US) (region us-gov-east-1)"},
        {"db.abc123xyz.cn-northwest-1.rds.amazonaws.com.cn", "is in the AWS China Regions (region cn-northwest-1)"},
        {"db.abc123xyz.xx-newregion-7.rds.amazonaws.com", "does not know that region"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char options[256];
        snprintf(options, sizeof(options), "--verify-name %s --timeout-ms 5000", cases[i].name);
        cJSON *json = connect_json(uri("127.0.0.1", NULL, NULL, NULL), options, RDSS_ERR_CERT_VERIFY);
        const char *message = cli_string_field(json, "message");
        if (strstr(message, cases[i].says) == NULL || strstr(message, "--bundle FILE") == NULL)
            fail_msg("%s: %s", cases[i].name, message);
        cJSON_Delete(json);
    }
}

static void a_blackhole_is_a_timeout(void **state)
{
    (void)state;
    fake_server *hole = fake_server_start(FAKE_BLACKHOLE);
    char target[128];
    snprintf(target, sizeof(target), "mysql://u:p@127.0.0.1:%d/x", fake_server_port(hole));
    cJSON_Delete(connect_json(target, "--timeout-ms 300", RDSS_ERR_TIMEOUT));
    fake_server_stop(hole);
}

static void probe_reports_the_chain(void **state)
{
    (void)state;
    char root[512];
    snprintf(root, sizeof(root), "%s", testenv_pki("root.pem"));
    cli_check_probe(RDSS_CLI_PATH, "mysql", atoi(MY("MY_PORT")), root, testenv_pki("untrusted-root.pem"));
}

static void audit_reports_what_the_server_enforces(void **state)
{
    (void)state;
    char options[600];
    snprintf(options, sizeof(options), "--bundle '%s'", testenv_pki("root.pem"));
    char args[1200];
    snprintf(args, sizeof(args), "audit mysql '%s' %s --json", uri("127.0.0.1", NULL, NULL, NULL), options);
    run_result r = cli_run(RDSS_CLI_PATH, args);
    assert_int_equal(r.status, 0);
    cJSON *json = cli_parse_one_object(r.out);
    free(r.out);
    assert_string_equal(cli_string_field(json, "error"), "ok");
    assert_string_equal(cli_string_field(json, "enforced"), "no"); /* the fixture allows plaintext */
    assert_string_equal(cli_string_field(json, "evidence"), "require_secure_transport = OFF");
    assert_int_equal(strncmp(cli_string_field(json, "server_tls_version"), "TLSv1.", 6), 0);
    assert_non_null(cli_string_field(json, "server_cipher"));
    cJSON_Delete(json);
}

/* A password not in the URI (which ps and shell history show): from
 * MYSQL_PWD, or from a file only its owner may read. */
static void a_password_from_the_environment_or_a_file(void **state)
{
    (void)state;
    char bare[512], options[1200], file[600];
    snprintf(bare, sizeof(bare), "mysql://%s@127.0.0.1:%s/%s", MY("MY_USER"), MY("MY_PORT"), MY("MY_DATABASE"));
    char dir[] = "/tmp/rdss-cli-password-XXXXXX";
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/password", dir);
    setenv("MYSQL_PWD", MY("MY_PASSWORD"), 1);
    snprintf(options, sizeof(options), "--bundle '%s'", testenv_pki("root.pem"));
    cJSON_Delete(connect_json(bare, options, RDSS_OK));
    setenv("MYSQL_PWD", "not-the-password", 1);
    cJSON_Delete(connect_json(bare, options, RDSS_ERR_AUTH));
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", MY("MY_PASSWORD"));
    fclose(f);
    assert_int_equal(chmod(file, 0600), 0);
    snprintf(options, sizeof(options), "--bundle '%s' --password-file '%s'", testenv_pki("root.pem"), file);
    cJSON_Delete(connect_json(bare, options, RDSS_OK)); /* the file wins over MYSQL_PWD */
    assert_int_equal(chmod(file, 0644), 0);
    cJSON *json = connect_json(bare, options, RDSS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(cli_string_field(json, "message"), "chmod 600"));
    cJSON_Delete(json);
    /* a password that would not fit is refused, not cut short */
    f = fopen(file, "w");
    assert_non_null(f);
    for (int i = 0; i < 1500; i++)
        fputc('L', f);
    fclose(f);
    assert_int_equal(chmod(file, 0600), 0);
    json = connect_json(bare, options, RDSS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(cli_string_field(json, "message"), "longer than"));
    cJSON_Delete(json);
    /* a password in the URI and a file: which one was meant? */
    json = connect_json(uri("127.0.0.1", NULL, NULL, NULL), options, RDSS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(cli_string_field(json, "message"), "has a password already"));
    cJSON_Delete(json);
    unsetenv("MYSQL_PWD");
    snprintf(options, sizeof(options), "--bundle '%s'", testenv_pki("root.pem"));
    cJSON_Delete(connect_json(bare, options, RDSS_ERR_AUTH)); /* no terminal here: no password */
    unlink(file);
    rmdir(dir);
}

/* audit --require-enforced gates a CI job: the fixture allows plaintext. */
static void audit_can_require_enforcement(void **state)
{
    (void)state;
    char args[1200];
    snprintf(args, sizeof(args), "audit mysql '%s' --bundle '%s' --require-enforced --json",
             uri("127.0.0.1", NULL, NULL, NULL), testenv_pki("root.pem"));
    run_result r = cli_run(RDSS_CLI_PATH, args);
    assert_int_equal(r.status, 3);
    cJSON *json = cli_parse_one_object(r.out);
    free(r.out);
    assert_string_equal(cli_string_field(json, "enforced"), "no");
    cJSON_Delete(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_good_server_reports_every_contract_field),
        cmocka_unit_test(each_broken_case_has_its_name_and_exit_status),
        cmocka_unit_test(endpoints_outside_the_global_bundle_say_what_to_trust),
        cmocka_unit_test(a_blackhole_is_a_timeout),
        cmocka_unit_test(probe_reports_the_chain),
        cmocka_unit_test(audit_reports_what_the_server_enforces),
        cmocka_unit_test(a_password_from_the_environment_or_a_file),
        cmocka_unit_test(audit_can_require_enforcement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
