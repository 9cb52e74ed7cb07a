/* The embedded bundle equals the committed PEM files, certificate by
 * certificate (read here with OpenSSL alone, not with the library's parser). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <rdssecure/rdssecure.h>

static void fingerprint(X509 *cert, char out[65])
{
    unsigned char digest[32];
    unsigned int len = 0;
    assert_true(X509_digest(cert, EVP_sha256(), digest, &len));
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static void compare(const char *committed_path, int which)
{
    FILE *file = fopen(committed_path, "r");
    assert_non_null(file);
    rdss_bundle *bundle = NULL;
    assert_int_equal(rdss_bundle_open_embedded(which, &bundle, NULL), RDSS_OK);
    size_t index = 0;
    X509 *cert;
    while ((cert = PEM_read_X509(file, NULL, NULL, NULL)) != NULL) {
        char expected[65];
        fingerprint(cert, expected);
        assert_true(index < rdss_bundle_count(bundle));
        const char *embedded = rdss_bundle_entry_sha256(bundle, index);
        if (embedded == NULL || strcmp(embedded, expected) != 0)
            fail_msg("%s entry %zu: committed %s, embedded %s", committed_path, index + 1,
                     expected, embedded ? embedded : "(none)");
        X509_free(cert);
        index++;
    }
    fclose(file);
    assert_true(index > 0);
    assert_int_equal(index, rdss_bundle_count(bundle));
    rdss_bundle_free(bundle);
}

static void embedded_rds_roots_equal_the_committed_file(void **state)
{
    (void)state;
    compare(RDSS_SOURCE_DIR "/certs/rds-global-roots.pem", RDSS_EMBEDDED_RDS_ROOTS);
}

static void embedded_proxy_roots_equal_the_committed_file(void **state)
{
    (void)state;
    compare(RDSS_SOURCE_DIR "/certs/rds-proxy-roots.pem", RDSS_EMBEDDED_PROXY_ROOTS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(embedded_rds_roots_equal_the_committed_file),
        cmocka_unit_test(embedded_proxy_roots_equal_the_committed_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
