/* The build embeds exactly the pinned edition of the RDS global bundle:
 * every embedded root's SHA-256 fingerprint is in certs/rds-global-roots.pins
 * under the same name, nothing else is embedded, the library reports the
 * pinned edition, and that edition is a known official one
 * (certs/editions.txt). The regions the npm-derived bundle lacked each have
 * their three roots, with the pinned fingerprints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rdssecure/rdssecure.h>

#define CERTS_DIR RDSS_SOURCE_DIR "/certs"
#define MAX_PINS 512

typedef struct pinned_root {
    char sha256[65];
    char cn[128];
} pinned_root;

typedef struct pins {
    char edition[16];
    char edition_sha256[65];
    char file_sha256[65];
    unsigned roots;
    pinned_root root[MAX_PINS];
    size_t count;
} pins;

static pins *read_pins(void)
{
    FILE *file = fopen(CERTS_DIR "/rds-global-roots.pins", "r");
    assert_non_null(file);
    pins *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    char line[512];
    while (fgets(line, sizeof(line), file) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (strncmp(line, "edition ", 8) == 0 && sscanf(line, "edition %15s", p->edition) == 1)
            continue;
        if (sscanf(line, "edition-sha256 %64s", p->edition_sha256) == 1)
            continue;
        if (sscanf(line, "file-sha256 %64s", p->file_sha256) == 1)
            continue;
        if (sscanf(line, "roots %u", &p->roots) == 1)
            continue;
        assert_true(p->count < MAX_PINS);
        pinned_root *r = &p->root[p->count];
        int cn_at = 0;
        if (sscanf(line, "root %64s %n", r->sha256, &cn_at) != 1 || cn_at == 0)
            fail_msg("unreadable line in rds-global-roots.pins: %s", line);
        snprintf(r->cn, sizeof(r->cn), "%s", line + cn_at);
        p->count++;
    }
    fclose(file);
    assert_int_equal(strlen(p->edition), 7);
    assert_int_equal(strlen(p->edition_sha256), 64);
    assert_int_equal(strlen(p->file_sha256), 64);
    assert_int_equal(p->count, p->roots);
    return p;
}

static const pinned_root *pinned(const pins *p, const char *sha256)
{
    for (size_t i = 0; sha256 != NULL && i < p->count; i++)
        if (strcmp(p->root[i].sha256, sha256) == 0)
            return &p->root[i];
    return NULL;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    assert_int_equal(fseek(file, 0, SEEK_END), 0);
    long size = ftell(file);
    assert_true(size > 0);
    rewind(file);
    char *data = malloc((size_t)size);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, file), (size_t)size);
    fclose(file);
    *len = (size_t)size;
    return data;
}

static void every_embedded_root_is_pinned_and_nothing_else_is_embedded(void **state)
{
    (void)state;
    pins *p = read_pins();
    rdss_bundle *embedded = NULL;
    assert_int_equal(rdss_bundle_open_embedded(RDSS_EMBEDDED_RDS_ROOTS, &embedded, NULL), RDSS_OK);
    assert_int_equal(rdss_bundle_count(embedded), p->count);
    for (size_t i = 0; i < rdss_bundle_count(embedded); i++) {
        const char *sha = rdss_bundle_entry_sha256(embedded, i);
        const pinned_root *pin = pinned(p, sha);
        if (pin == NULL)
            fail_msg("embedded entry %zu (%s, %s) is not pinned", i + 1,
                     rdss_bundle_entry_subject_cn(embedded, i), sha ? sha : "no fingerprint");
        assert_string_equal(pin->cn, rdss_bundle_entry_subject_cn(embedded, i));
        for (size_t j = 0; j < i; j++) /* each pinned root embedded once */
            assert_string_not_equal(rdss_bundle_entry_sha256(embedded, j), sha);
    }
    /* the very bytes certs/update wrote, and the edition they are */
    assert_string_equal(rdss_bundle_sha256(embedded), p->file_sha256);
    assert_string_equal(rdss_bundle_edition(embedded), p->edition);
    assert_string_equal(rdss_embedded_edition(), p->edition);
    assert_string_equal(rdss_embedded_edition_sha256(), p->edition_sha256);
    rdss_bundle_free(embedded);
    free(p);
}

static void the_pinned_edition_is_a_known_official_edition(void **state)
{
    (void)state;
    pins *p = read_pins();
    FILE *file = fopen(CERTS_DIR "/editions.txt", "r");
    assert_non_null(file);
    char line[256];
    int found = 0;
    while (fgets(line, sizeof(line), file) != NULL) {
        char date[16], sha[65];
        unsigned roots = 0;
        if (line[0] == '#' || sscanf(line, "%15s %64s %u", date, sha, &roots) != 3)
            continue;
        if (strcmp(sha, p->edition_sha256) != 0)
            continue;
        found = 1;
        assert_string_equal(date, p->edition);
        assert_int_equal(roots, p->roots); /* no root of the edition dropped */
    }
    fclose(file);
    if (!found)
        fail_msg("edition %s (%s) is not in certs/editions.txt", p->edition, p->edition_sha256);
    free(p);
}

/* The seven regions the npm package lacked: three roots each, one per RDS key
 * type, with exactly the pinned fingerprints. No test can present a chain
 * signed by them (only AWS holds their keys); this is what can be proved. */
static void the_regions_the_old_bundle_lacked_have_their_three_pinned_roots(void **state)
{
    (void)state;
    static const char *const regions[] = {"ap-east-2",      "ap-southeast-5", "ap-southeast-6",
                                          "ap-southeast-7", "ca-west-1",      "il-central-1",
                                          "mx-central-1"};
    static const char *const key_types[] = {"RSA2048", "RSA4096", "ECC384"};
    pins *p = read_pins();
    rdss_bundle *embedded = NULL;
    assert_int_equal(rdss_bundle_open_embedded(RDSS_EMBEDDED_RDS_ROOTS, &embedded, NULL), RDSS_OK);
    for (size_t r = 0; r < sizeof(regions) / sizeof(regions[0]); r++) {
        for (size_t k = 0; k < 3; k++) {
            char cn[128];
            snprintf(cn, sizeof(cn), "Amazon RDS %s Root CA %s G1", regions[r], key_types[k]);
            size_t matches = 0;
            for (size_t i = 0; i < rdss_bundle_count(embedded); i++) {
                if (strcmp(rdss_bundle_entry_subject_cn(embedded, i), cn) != 0)
                    continue;
                matches++;
                assert_string_equal(rdss_bundle_entry_region(embedded, i), regions[r]);
                assert_null(rdss_bundle_entry_stage(embedded, i));
                assert_string_equal(rdss_bundle_entry_key_type(embedded, i), key_types[k]);
                assert_null(rdss_bundle_entry_problem(embedded, i)); /* a valid root today */
                const pinned_root *pin = pinned(p, rdss_bundle_entry_sha256(embedded, i));
                assert_non_null(pin);
                assert_string_equal(pin->cn, cn);
            }
            if (matches != 1)
                fail_msg("%s: %zu embedded roots, expected 1", cn, matches);
        }
        size_t in_region = 0;
        for (size_t i = 0; i < rdss_bundle_count(embedded); i++) {
            const char *region = rdss_bundle_entry_region(embedded, i);
            in_region += region != NULL && strcmp(region, regions[r]) == 0;
        }
        assert_int_equal(in_region, 3);
    }
    rdss_bundle_free(embedded);
    free(p);
}

/* A file is recognised as an edition by its SHA-256 alone: the committed
 * file is (certs/update writes the published bytes when it drops nothing);
 * the same file less one root is not. */
static void a_file_is_named_by_its_edition_only_when_byte_identical(void **state)
{
    (void)state;
    pins *p = read_pins();
    size_t len = 0;
    char *pem = read_file(CERTS_DIR "/rds-global-roots.pem", &len);
    rdss_bundle *bundle = NULL;
    assert_int_equal(rdss_bundle_open_pem(pem, len, &bundle, NULL), RDSS_OK);
    assert_string_equal(rdss_bundle_sha256(bundle), p->file_sha256);
    if (strcmp(p->file_sha256, p->edition_sha256) == 0)
        assert_string_equal(rdss_bundle_edition(bundle), p->edition);
    rdss_bundle_free(bundle);
    const char *second = strstr(pem + 1, "-----BEGIN CERTIFICATE-----");
    assert_non_null(second);
    size_t skip = (size_t)(second - pem);
    assert_int_equal(rdss_bundle_open_pem(second, len - skip, &bundle, NULL), RDSS_OK);
    assert_int_equal(rdss_bundle_count(bundle), p->count - 1);
    assert_string_not_equal(rdss_bundle_sha256(bundle), p->file_sha256);
    assert_null(rdss_bundle_edition(bundle));
    rdss_bundle_free(bundle);
    assert_null(rdss_bundle_sha256(NULL));
    assert_null(rdss_bundle_edition(NULL));
    free(pem);
    free(p);
}

/* The Beta and Preview roots name their stage; production roots none. */
static void stage_roots_say_so(void **state)
{
    (void)state;
    rdss_bundle *embedded = NULL;
    assert_int_equal(rdss_bundle_open_embedded(RDSS_EMBEDDED_RDS_ROOTS, &embedded, NULL), RDSS_OK);
    size_t beta = 0, preview = 0;
    for (size_t i = 0; i < rdss_bundle_count(embedded); i++) {
        const char *stage = rdss_bundle_entry_stage(embedded, i);
        const char *cn = rdss_bundle_entry_subject_cn(embedded, i);
        if (stage == NULL) {
            assert_null(strstr(cn, "Beta"));
            assert_null(strstr(cn, "Preview"));
        } else if (strcmp(stage, "Beta") == 0) {
            assert_string_equal(rdss_bundle_entry_region(embedded, i), "us-east-1");
            beta++;
        } else {
            assert_string_equal(stage, "Preview");
            assert_string_equal(rdss_bundle_entry_region(embedded, i), "us-east-2");
            preview++;
        }
    }
    assert_int_equal(beta, 3);
    assert_int_equal(preview, 3);
    rdss_bundle_free(embedded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_embedded_root_is_pinned_and_nothing_else_is_embedded),
        cmocka_unit_test(the_pinned_edition_is_a_known_official_edition),
        cmocka_unit_test(the_regions_the_old_bundle_lacked_have_their_three_pinned_roots),
        cmocka_unit_test(a_file_is_named_by_its_edition_only_when_byte_identical),
        cmocka_unit_test(stage_roots_say_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
