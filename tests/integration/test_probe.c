/* rdss_probe against real PostgreSQL and MariaDB servers and fake ones, for
 * both engines: the report (chain, anchor and its family, name check, days
 * to expiry) and the typed verdict, with no credentials. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rdssecure/rdssecure.h>

#include "fake_server.h"
#include "testenv.h"

#define RDS_NAME "db1.abc123xyz.us-east-1.rds.amazonaws.com"

typedef struct engine_case {
    rdss_engine engine;
    const char *env;     /* the real server's env file */
    fake_mode no_tls;    /* a fake that refuses TLS in this engine's way */
} engine_case;

static const engine_case engines[] = {
    {RDSS_ENGINE_PG, "postgres.env", FAKE_PG_REFUSE_TLS},
    {RDSS_ENGINE_MYSQL, "mariadb.env", FAKE_MY_NO_TLS},
};

static int server_port(const engine_case *e)
{
    return atoi(testenv(e->env, e->engine == RDSS_ENGINE_PG ? "PG_PORT" : "MY_PORT"));
}

static rdss_config *config(const char *bundle, const char *verify_name)
{
    rdss_config *cfg = rdss_config_new();
    assert_int_equal(rdss_config_set_bundle_file(cfg, testenv_pki(bundle), NULL), RDSS_OK);
    if (verify_name != NULL)
        assert_int_equal(rdss_config_set_verify_name(cfg, verify_name, NULL), RDSS_OK);
    assert_int_equal(rdss_config_set_timeout_ms(cfg, 3000, NULL), RDSS_OK);
    return cfg;
}

/* Probes and checks the verdict; the caller frees the report. */
static rdss_probe_report *probe(const rdss_config *cfg, const engine_case *e, const char *host,
                                int port, rdss_code expected, const char *says)
{
    rdss_probe_report *report = NULL;
    rdss_error *err = NULL;
    rdss_code code = rdss_probe(cfg, e->engine, host, port, &report, &err);
    if (code != expected || (says != NULL && strstr(rdss_error_message(err), says) == NULL))
        fail_msg("engine %d, %s:%d: expected %s (\"%s\"), got %s: %s", e->engine, host, port,
                 rdss_error_name(expected), says ? says : "", rdss_error_name(code),
                 err ? rdss_error_message(err) : "-");
    assert_non_null(report);
    assert_int_equal(rdss_probe_report_code(report), code);
    rdss_error_free(err);
    return report;
}

static void a_good_server_reports_its_whole_chain(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        rdss_config *cfg = config("root.pem", RDS_NAME);
        rdss_probe_report *r = probe(cfg, &engines[i], "127.0.0.1", server_port(&engines[i]), RDSS_OK, NULL);
        assert_int_equal(strncmp(rdss_probe_report_tls_version(r), "TLSv1.", 6), 0);
        assert_non_null(rdss_probe_report_cipher(r));
        assert_int_equal(rdss_probe_report_chain_length(r), 2); /* leaf and subordinate */
        assert_non_null(strstr(rdss_probe_report_cert_subject(r, 0), RDS_NAME));
        assert_non_null(strstr(rdss_probe_report_cert_subject(r, 1), "Subordinate CA"));
        assert_int_equal(strlen(rdss_probe_report_cert_sha256(r, 1)), 64);
        assert_non_null(rdss_probe_report_cert_not_before(r, 0));
        assert_string_equal(rdss_probe_report_leaf_san(r, 0), "DNS:" RDS_NAME);
        assert_string_equal(rdss_probe_report_leaf_san(r, 2), "DNS:*.tenants.rdssecure.test");
        assert_string_equal(rdss_probe_report_leaf_san(r, 3), "IP:127.0.0.1");
        assert_non_null(strstr(rdss_probe_report_anchor_subject(r), "Amazon RDS us-east-1 Root CA RSA2048 G1"));
        assert_string_equal(rdss_probe_report_anchor_family(r), "rds-ca-rsa2048-g1");
        assert_int_equal(rdss_probe_report_hostname_verified(r), 1);
        assert_string_equal(rdss_probe_report_verify_name(r), RDS_NAME);
        /* the test PKI's leaf and subordinate expire first, in about 825 days */
        assert_true(rdss_probe_report_days_until_expiry(r) > 800);
        const char *earliest = rdss_probe_report_earliest_not_after(r); /* ISO text sorts as time */
        assert_true(strcmp(earliest, rdss_probe_report_cert_not_after(r, 0)) <= 0);
        assert_true(strcmp(earliest, rdss_probe_report_cert_not_after(r, 1)) <= 0);
        assert_true(strcmp(earliest, rdss_probe_report_anchor_not_after(r)) < 0);
        assert_false(rdss_probe_report_expiry_warning(r));
        rdss_probe_report_free(r);
        rdss_config_free(cfg);
    }
}

static void an_untrusted_ca_names_the_missing_region(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        rdss_config *cfg = config("untrusted-root.pem", RDS_NAME);
        rdss_probe_report *r = probe(cfg, &engines[i], "127.0.0.1", server_port(&engines[i]),
                                     RDSS_ERR_CERT_VERIFY, "has no root for us-east-1");
        assert_int_equal(rdss_probe_report_chain_length(r), 2); /* still seen */
        assert_null(rdss_probe_report_anchor_subject(r));
        assert_int_equal(rdss_probe_report_hostname_verified(r), -1);
        rdss_probe_report_free(r);
        rdss_config_free(cfg);
        /* an RDS Proxy endpoint needs the Amazon roots instead */
        cfg = config("untrusted-root.pem", "app.proxy-abc123xyz.us-east-1.rds.amazonaws.com");
        rdss_probe_report_free(probe(cfg, &engines[i], "127.0.0.1", server_port(&engines[i]),
                                     RDSS_ERR_CERT_VERIFY, "rdss_config_add_rds_proxy_roots()"));
        /* with them added, the chain still fails (it is the test PKI's), but
         * the missing Amazon roots are no longer the reason given */
        assert_int_equal(rdss_config_add_rds_proxy_roots(cfg, NULL), RDSS_OK);
        assert_non_null(strstr(rdss_config_trust_source(cfg), " + 5 extra"));
        rdss_probe_report *report = NULL;
        rdss_error *err = NULL;
        assert_int_equal(rdss_probe(cfg, engines[i].engine, "127.0.0.1", server_port(&engines[i]),
                                    &report, &err),
                         RDSS_ERR_CERT_VERIFY);
        assert_null(strstr(rdss_error_message(err), "RDS Proxy endpoint"));
        rdss_error_free(err);
        rdss_probe_report_free(report);
        rdss_config_free(cfg);
    }
}

/* With the embedded bundle as trust, a cert_verify for an endpoint the
 * global bundle cannot cover says why and what to trust instead. The test
 * server's chain is the test PKI's, so every verdict here is cert_verify; the
 * verify-name decides the explanation. */
static void endpoints_the_global_bundle_does_not_cover_say_what_to_trust(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *says[4];
    } cases[] = {
        {"db.abc123xyz.us-gov-west-1.rds.amazonaws.com",
         {"AWS GovCloud (US) (region us-gov-west-1)",
          "https://truststore.pki.us-gov-west-1.rds.amazonaws.com/global/global-bundle.pem",
          "RDSSECURE_CA_BUNDLE=FILE", "--bundle FILE"}},
        {"db.abc123xyz.us-gov-east-1.rds.amazonaws.com",
         {"AWS GovCloud (US) (region us-gov-east-1)", "rdss_config_set_bundle_file()", NULL}},
        {"db.abc123xyz.rds.cn-north-1.amazonaws.com.cn",
         {"the AWS China Regions (region cn-north-1)",
          "https://rds-truststore.s3.cn-north-1.amazonaws.com.cn/global/global-bundle.pem",
          "RDSSECURE_CA_BUNDLE=FILE", "--bundle FILE"}},
        {"db.abc123xyz.cn-northwest-1.rds.amazonaws.com.cn",
         {"the AWS China Regions (region cn-northwest-1)", NULL}},
        /* a region opened after the embedded edition */
        {"db.abc123xyz.xx-newregion-7.rds.amazonaws.com",
         {"no root for xx-newregion-7", "edition 2026-09",
          "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem",
          "RDSSECURE_CA_BUNDLE=FILE"}},
    };
    char edition[64];
    snprintf(edition, sizeof(edition), "edition %s", rdss_embedded_edition());
    assert_string_equal(edition, "edition 2026-09"); /* the cases above name it */
    for (size_t i = 0; i < 2; i++) {
        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
            rdss_config *cfg = rdss_config_new();
            assert_int_equal(rdss_config_use_embedded_bundle(cfg, NULL), RDSS_OK);
            assert_int_equal(rdss_config_set_verify_name(cfg, cases[c].name, NULL), RDSS_OK);
            rdss_probe_report *r = probe(cfg, &engines[i], "127.0.0.1", server_port(&engines[i]),
                                         RDSS_ERR_CERT_VERIFY, cases[c].says[0]);
            rdss_probe_report_free(r);
            rdss_probe_report *report = NULL;
            rdss_error *err = NULL;
            assert_int_equal(rdss_probe(cfg, engines[i].engine, "127.0.0.1",
                                        server_port(&engines[i]), &report, &err),
                             RDSS_ERR_CERT_VERIFY);
            for (size_t k = 1; k < 4 && cases[c].says[k] != NULL; k++)
                if (strstr(rdss_error_message(err), cases[c].says[k]) == NULL)
                    fail_msg("%s: message lacks \"%s\": %s", cases[c].name, cases[c].says[k],
                             rdss_error_message(err));
            /* GovCloud and China are not "regions newer than the edition" */
            assert_true((strstr(rdss_error_message(err), "does not know that region") != NULL) ==
                        (strstr(cases[c].name, "xx-newregion") != NULL));
            rdss_error_free(err);
            rdss_probe_report_free(report);
            rdss_config_free(cfg);
        }
    }
}

static void a_wrong_name_explains_itself(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        rdss_config *cfg = config("root.pem", "db2.abc123xyz.us-east-1.rds.amazonaws.com");
        rdss_probe_report *r = probe(cfg, &engines[i], "127.0.0.1", server_port(&engines[i]),
                                     RDSS_ERR_HOSTNAME_MISMATCH, "it covers: " RDS_NAME);
        assert_int_equal(rdss_probe_report_hostname_verified(r), 0);
        assert_non_null(rdss_probe_report_anchor_subject(r)); /* the chain did verify */
        rdss_probe_report_free(r);
        rdss_config_free(cfg);
        /* a CNAME of ours in front of the endpoint: suggest the verify-name */
        cfg = config("root.pem", "orders-db.internal.example.com");
        rdss_probe_report_free(probe(cfg, &engines[i], "127.0.0.1", server_port(&engines[i]),
                                     RDSS_ERR_HOSTNAME_MISMATCH, "--verify-name " RDS_NAME));
        rdss_config_free(cfg);
    }
}

static void no_tls_and_no_answer(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        rdss_config *cfg = config("root.pem", NULL);
        fake_server *refusing = fake_server_start(engines[i].no_tls);
        rdss_probe_report *r = probe(cfg, &engines[i], "127.0.0.1", fake_server_port(refusing),
                                     RDSS_ERR_TLS_REFUSED, "does not offer TLS");
        assert_null(rdss_probe_report_tls_version(r));
        assert_int_equal(rdss_probe_report_chain_length(r), 0);
        assert_int_equal(rdss_probe_report_days_until_expiry(r), RDSS_DAYS_UNKNOWN);
        rdss_probe_report_free(r);
        fake_server_stop(refusing);
        fake_server *hole = fake_server_start(FAKE_BLACKHOLE);
        assert_int_equal(rdss_config_set_timeout_ms(cfg, 300, NULL), RDSS_OK);
        rdss_probe_report_free(probe(cfg, &engines[i], "127.0.0.1", fake_server_port(hole),
                                     RDSS_ERR_TIMEOUT, NULL));
        fake_server_stop(hole);
        rdss_config_free(cfg);
    }
    /* and a real MariaDB without TLS */
    rdss_config *cfg = config("root.pem", NULL);
    rdss_probe_report_free(probe(cfg, &engines[1], "127.0.0.1",
                                 atoi(testenv("mariadb_notls.env", "MY_PORT")), RDSS_ERR_TLS_REFUSED,
                                 "lacks CLIENT_SSL"));
    rdss_config_free(cfg);
}

static void bad_arguments(void **state)
{
    (void)state;
    rdss_probe_report *r = NULL;
    rdss_error *err = NULL;
    assert_int_equal(rdss_probe(NULL, RDSS_ENGINE_PG, NULL, 0, &r, &err), RDSS_ERR_INVALID_ARGUMENT);
    assert_null(r);
    rdss_error_free(err);
    assert_int_equal(rdss_probe(NULL, (rdss_engine)7, "h", 0, &r, NULL), RDSS_ERR_INVALID_ARGUMENT);
    assert_int_equal(rdss_probe(NULL, RDSS_ENGINE_MYSQL, "h", 70000, &r, NULL), RDSS_ERR_INVALID_ARGUMENT);
    assert_int_equal(rdss_probe(NULL, RDSS_ENGINE_MYSQL, "h", 1, NULL, NULL), RDSS_ERR_INVALID_ARGUMENT);
    /* an unresolvable name is network, with a report that saw nothing */
    assert_int_equal(rdss_probe(NULL, RDSS_ENGINE_PG, "nowhere.invalid", 0, &r, NULL), RDSS_ERR_NETWORK);
    assert_int_equal(rdss_probe_report_port(r), 5432);
    assert_int_equal(rdss_probe_report_chain_length(r), 0);
    rdss_probe_report_free(r);
}

int main(void)
{
    setlocale(LC_ALL, "");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_good_server_reports_its_whole_chain),
        cmocka_unit_test(an_untrusted_ca_names_the_missing_region),
        cmocka_unit_test(endpoints_the_global_bundle_does_not_cover_say_what_to_trust),
        cmocka_unit_test(a_wrong_name_explains_itself),
        cmocka_unit_test(no_tls_and_no_answer),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
