/* rdssecure connect pg against the local PostgreSQL: the CONTRACT's JSON
 * fields and a distinct exit status per typed error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rdssecure/rdssecure.h>

#include "cli_run.h"
#include "closed_port.h"
#include "fake_server.h"
#include "testenv.h"

#define PG(key) testenv("postgres.env", key)

/* Runs connect pg with a conninfo (host part + extra) and options. */
static cJSON *connect_json(const char *conninfo_extra, const char *options, int expected_status)
{
    char args[2048];
    snprintf(args, sizeof(args), "connect pg 'port=%s user=%s password=%s dbname=%s %s' %s --json",
             PG("PG_PORT"), PG("PG_USER"), PG("PG_PASSWORD"), PG("PG_DATABASE"), conninfo_extra, options);
    run_result r = cli_run(RDSS_CLI_PATH, args);
    if (r.status != expected_status)
        fail_msg("rdssecure %s: exit %d, expected %d: %s", args, r.status, expected_status, r.out);
    cJSON *json = cli_parse_one_object(r.out);
    free(r.out);
    assert_string_equal(cli_string_field(json, "engine"), "pg");
    assert_non_null(cli_string_field(json, "message"));
    return json;
}

static int status_of(rdss_code code)
{
    return code == RDSS_OK ? 0 : 10 + (int)code;
}

static void a_good_server_reports_every_contract_field(void **state)
{
    (void)state;
    char options[1024];
    snprintf(options, sizeof(options), "--bundle '%s' --timeout-ms 5000 --query 'SELECT 40 + 2'",
             testenv_pki("root.pem"));
    cJSON *json = connect_json("host=localhost", options, 0);
    cli_assert_connect_report(json, "localhost", atoi(PG("PG_PORT")));
    cJSON_Delete(json);
}

static void each_broken_case_has_its_name_and_exit_status(void **state)
{
    (void)state;
    char trusted[512], untrusted[512];
    snprintf(trusted, sizeof(trusted), "--bundle '%s'", testenv_pki("root.pem"));
    snprintf(untrusted, sizeof(untrusted), "--bundle '%s'", testenv_pki("untrusted-root.pem"));
    closed_port closed = closed_port_hold();
    char closed_target[64];
    snprintf(closed_target, sizeof(closed_target), "host=127.0.0.1 port=%d", closed.port);
    char mismatch[600];
    snprintf(mismatch, sizeof(mismatch), "%s --verify-name other.example.com", trusted);
    struct {
        const char *conninfo, *options;
        rdss_code code;
    } cases[] = {
        {"host=127.0.0.1", untrusted, RDSS_ERR_CERT_VERIFY},
        {"host=127.0.0.1", mismatch, RDSS_ERR_HOSTNAME_MISMATCH},
        {"host=127.0.0.1 sslmode=disable", trusted, RDSS_ERR_INSECURE_OPTION},
        {"host=127.0.0.1 password=wrong", trusted, RDSS_ERR_AUTH},
        {"host=127.0.0.1 dbname=nope", trusted, RDSS_ERR_SERVER},
        {closed_target, trusted, RDSS_ERR_NETWORK},
        {"host=127.0.0.1", "--bundle /nonexistent.pem", RDSS_ERR_BUNDLE},
        {"host=127.0.0.1", "--verify-name '*.bad'", RDSS_ERR_INVALID_ARGUMENT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *json = connect_json(cases[i].conninfo, cases[i].options, status_of(cases[i].code));
        assert_string_equal(cli_string_field(json, "error"), rdss_error_name(cases[i].code));
        if (cases[i].code == RDSS_ERR_CERT_VERIFY) /* the handshake completed: the peer is known */
            assert_non_null(cli_string_field(json, "peer_subject"));
        cJSON_Delete(json);
    }
    closed_port_release(&closed);
}

/* A connect with the embedded bundle to an endpoint it cannot cover (the
 * test server's chain is the test PKI's; the verify-name sets the region):
 * cert_verify, and the message says which bundle to trust and how. */
static void endpoints_outside_the_global_bundle_say_what_to_trust(void **state)
{
    (void)state;
    static const struct {
        const char *name, *says;
    } cases[] = {
        {"db.abc123xyz.us-gov-west-1.rds.amazonaws.com", "is in AWS GovCloud (US) (region us-gov-west-1)"},
        {"db.abc123xyz.rds.cn-north-1.amazonaws.com.cn", "is in the AWS China Regions (region cn-north-1)"},
        {"db.abc123xyz.xx-newregion-7.rds.amazonaws.com", "does not know that region"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char options[256];
        snprintf(options, sizeof(options), "--verify-name %s --timeout-ms 5000", cases[i].name);
        cJSON *json = connect_json("host=127.0.0.1", options, status_of(RDSS_ERR_CERT_VERIFY));
        const char *message = cli_string_field(json, "message");
        if (strstr(message, cases[i].says) == NULL || strstr(message, "--bundle FILE") == NULL ||
            strstr(message, "RDSSECURE_CA_BUNDLE=FILE") == NULL)
            fail_msg("%s: %s", cases[i].name, message);
        cJSON_Delete(json);
    }
}

static void a_blackhole_is_a_timeout(void **state)
{
    (void)state;
    fake_server *hole = fake_server_start(FAKE_BLACKHOLE);
    char args[512];
    snprintf(args, sizeof(args), "connect pg 'host=127.0.0.1 port=%d user=u dbname=x' --timeout-ms 300 --json",
             fake_server_port(hole));
    run_result r = cli_run(RDSS_CLI_PATH, args);
    assert_int_equal(r.status, 10 + RDSS_ERR_TIMEOUT);
    cJSON *json = cli_parse_one_object(r.out);
    assert_string_equal(cli_string_field(json, "error"), "timeout");
    cJSON_Delete(json);
    free(r.out);
    fake_server_stop(hole);
}

static void usage_errors(void **state)
{
    (void)state;
    const char *cases[] = {"connect", "connect oracle x", "connect pg", "connect pg a b",
                           "connect pg x --timeout-ms", "connect pg x --timeout-ms -5", "connect pg x --nope"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char args[256];
        snprintf(args, sizeof(args), "%s --json", cases[i]);
        run_result r = cli_run(RDSS_CLI_PATH, args);
        if (r.status != 2)
            fail_msg("'%s' exited %d", cases[i], r.status);
        cJSON_Delete(cli_parse_one_object(r.out));
        free(r.out);
    }
}

static void probe_reports_the_chain(void **state)
{
    (void)state;
    char root[512];
    snprintf(root, sizeof(root), "%s", testenv_pki("root.pem"));
    cli_check_probe(RDSS_CLI_PATH, "pg", atoi(PG("PG_PORT")), root, testenv_pki("untrusted-root.pem"));
}

static void audit_reports_what_the_server_enforces(void **state)
{
    (void)state;
    char args[1200];
    snprintf(args, sizeof(args),
             "audit pg 'host=127.0.0.1 port=%s user=%s password=%s dbname=%s' --bundle '%s' --json",
             PG("PG_PORT"), PG("PG_USER"), PG("PG_PASSWORD"), PG("PG_DATABASE"), testenv_pki("root.pem"));
    run_result r = cli_run(RDSS_CLI_PATH, args);
    assert_int_equal(r.status, 0);
    cJSON *json = cli_parse_one_object(r.out);
    free(r.out);
    assert_string_equal(cli_string_field(json, "enforced"), "yes"); /* only hostssl lines */
    assert_non_null(strstr(cli_string_field(json, "evidence"), "hostssl"));
    assert_int_equal(strncmp(cli_string_field(json, "server_tls_version"), "TLSv1.", 6), 0);
    cJSON_Delete(json);
    /* audit takes no --query */
    r = cli_run(RDSS_CLI_PATH, "audit pg 'host=x' --query 'SELECT 1' --json");
    assert_int_equal(r.status, 2);
    free(r.out);
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
        cmocka_unit_test(usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
