/* What libpq is given, whatever the caller and the environment asked for:
 * the boundary between librdssecure and the driver, where settings that
 * change nothing a test can observe over the wire (SNI, the minimum TLS
 * version against a modern server) are still pinned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "certgen.h"
#include "pg/pg_params.h"

static const char *value_of(const rdss__pg_plan *plan, const char *keyword)
{
    for (size_t i = 0; i < plan->params.count; i++)
        if (strcmp(plan->params.keywords[i], keyword) == 0)
            return plan->params.values[i];
    return NULL;
}

/* The plan, and the CA file libpq would be given for it. */
static void plan_for(const char *conninfo, rdss_config *cfg, rdss__connect *c, rdss__pg_plan *plan)
{
    rdss__pg_params params;
    rdss_error *err = NULL;
    assert_int_equal(rdss__pg_params_from_conninfo(conninfo, &params, &err), RDSS_OK);
    assert_int_equal(rdss__connect_begin(c, RDSS_ENGINE_PG, cfg, &err), RDSS_OK);
    rdss_code code = rdss__pg_plan_make(&params, c, cfg, plan, &err);
    if (code != RDSS_OK)
        fail_msg("%s: %s", conninfo, rdss_error_message(err));
    assert_true(rdss__pg_plan_use_ca_file(plan, rdss__connect_ca_file(c)));
    rdss_error_free(err);
}

static void forced_whatever_the_environment_says(void **state)
{
    (void)state;
    static const char *const weak[][2] = {
        {"PGSSLMODE", "disable"},        {"PGSSLSNI", "0"},
        {"PGGSSENCMODE", "require"},     {"PGSSLMINPROTOCOLVERSION", "TLSv1"},
        {"PGSSLCOMPRESSION", "1"},       {"PGSSLROOTCERT", "/etc/ssl/certs/ca-certificates.crt"},
    };
    for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++)
        setenv(weak[i][0], weak[i][1], 1);
    rdss_config *cfg = rdss_config_new();
    rdss__pg_plan plan;
    rdss__connect c;
    plan_for("host=127.0.0.1 port=5432 user=u dbname=d sslmode=require", cfg, &c, &plan);
    assert_string_equal(value_of(&plan, "sslmode"), "verify-full");
    assert_string_equal(value_of(&plan, "sslsni"), "1");
    assert_string_equal(value_of(&plan, "gssencmode"), "disable");
    assert_string_equal(value_of(&plan, "ssl_min_protocol_version"), "TLSv1.2");
    assert_string_equal(value_of(&plan, "sslcompression"), "0");
    assert_string_equal(value_of(&plan, "sslrootcert"), rdss__trust_ca_file(c.trust));
    /* the CRL settings: one empty file of ours, for both */
    const char *crl = value_of(&plan, "sslcrl");
    assert_non_null(crl);
    assert_string_equal(value_of(&plan, "sslcrldir"), crl);
    size_t len = 99;
    char *content = tc_read(crl, &len);
    assert_non_null(content);
    assert_int_equal(len, 0);
    free(content);
    /* the address is pinned, so a service file's host cannot move it */
    assert_string_equal(value_of(&plan, "hostaddr"), "127.0.0.1");
    rdss__pg_plan_free(&plan);
    rdss__connect_release(&c);
    /* a caller's own stronger choice stays */
    plan_for("host=127.0.0.1 ssl_min_protocol_version=TLSv1.3", cfg, &c, &plan);
    assert_string_equal(value_of(&plan, "ssl_min_protocol_version"), "TLSv1.3");
    rdss__pg_plan_free(&plan);
    rdss__connect_release(&c);
    rdss_config_free(cfg);
    for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++)
        unsetenv(weak[i][0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forced_whatever_the_environment_says),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
