/* Endpoint names: the region and Proxy rules behind the cert_verify advice,
 * and the embedded bundle's coverage of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "trust/certinfo.h"
#include "trust/endpoint.h"
#include "trust/trust.h"

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
        /* DNS names are case-insensitive: so is the region they carry */
        {"DB.ABC123XYZ.US-GOV-WEST-1.RDS.AMAZONAWS.COM", "us-gov-west-1"},
        {"db.abc.RDS.CN-NORTH-1.amazonaws.com.cn", "cn-north-1"},
        {"db.abc.Ca-West-1.rds.amazonaws.com", "ca-west-1"},
        /* look-alikes under other domains carry none */
        {"db.us-gov-west-1.rds.amazonaws.com.evil.example", NULL},
        {"x.rds.amazonaws.com.cn.evil.example", NULL},
        {"db.example.com", NULL},
        {"us-east-1.example.com", NULL},
        {"127.0.0.1", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char region[RDSS__REGION_MAX] = "";
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

static void the_embedded_bundle_covers_the_commercial_regions_only(void **state)
{
    (void)state;
    rdss__trust *embedded = NULL;
    assert_int_equal(rdss__trust_embedded(&embedded, NULL), RDSS_OK);
    assert_true(rdss__trust_covers_region(embedded, "us-east-1"));
    assert_true(rdss__trust_covers_region(embedded, "eu-central-1"));
    assert_true(rdss__trust_covers_region(embedded, "mx-central-1"));
    /* GovCloud and China have bundles of their own */
    assert_false(rdss__trust_covers_region(embedded, "us-gov-west-1"));
    assert_false(rdss__trust_covers_region(embedded, "cn-north-1"));
    assert_false(rdss__trust_has_proxy_roots(embedded));
    rdss__trust_unref(embedded);
}

static void govcloud_and_china_regions_have_bundles_of_their_own(void **state)
{
    (void)state;
    const rdss__partition *gov = rdss__region_partition("us-gov-east-1");
    assert_non_null(gov);
    assert_string_equal(gov->name, "AWS GovCloud (US)");
    assert_non_null(strstr(gov->bundle_url, "us-gov-west-1"));
    assert_ptr_equal(rdss__region_partition("us-gov-west-1"), gov);
    const rdss__partition *china = rdss__region_partition("cn-northwest-1");
    assert_non_null(china);
    assert_non_null(strstr(china->bundle_url, ".amazonaws.com.cn/"));
    assert_ptr_not_equal(china, gov);
    assert_null(rdss__region_partition("us-east-1"));
    assert_null(rdss__region_partition("ca-west-1"));
    assert_null(rdss__region_partition(NULL));
}

/* The roots a region's endpoints chain to: production roots, not those of
 * RDS's Beta and Preview stages, whose names carry a region too. */
static void production_roots_of_a_region(void **state)
{
    (void)state;
    char region[RDSS__REGION_MAX];
    assert_true(rdss__production_root_region("Amazon RDS us-east-1 Root CA RSA2048 G1", region));
    assert_string_equal(region, "us-east-1");
    assert_true(rdss__production_root_region("Amazon RDS ap-southeast-7 Root CA ECC384 G1", region));
    assert_string_equal(region, "ap-southeast-7");
    assert_false(rdss__production_root_region("Amazon RDS Beta us-east-1 Root CA RSA4096 G1", region));
    assert_false(rdss__production_root_region("Amazon RDS Preview us-east-2 Root CA RSA2048 G1", region));
    assert_false(rdss__production_root_region("rdssecure untrusted Root CA", region));
    assert_false(rdss__production_root_region(NULL, region));
    /* so the us-east-1 roots of the embedded bundle are three, not six */
    rdss__trust *embedded = NULL;
    assert_int_equal(rdss__trust_embedded(&embedded, NULL), RDSS_OK);
    rdss__trust *slice = rdss__trust_region(embedded, "us-east-1");
    assert_non_null(slice);
    assert_int_equal(sk_X509_num(rdss__trust_certs(slice)), 3);
    rdss__trust_unref(slice);
    rdss__trust_unref(embedded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(regions_of_endpoint_names),
        cmocka_unit_test(the_embedded_bundle_covers_the_commercial_regions_only),
        cmocka_unit_test(govcloud_and_china_regions_have_bundles_of_their_own),
        cmocka_unit_test(production_roots_of_a_region),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
