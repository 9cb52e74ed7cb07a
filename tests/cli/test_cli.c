/* The rdssecure CLI as a shell user meets it: exit statuses, and exactly one
 * JSON object on stdout with --json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include <rdssecure/rdssecure.h>

#include "certgen.h"
#include "cli_run.h"

static run_result run(const char *args)
{
    return cli_run(RDSS_CLI_PATH, args);
}

#define parse_one_object cli_parse_one_object
#define string_field cli_string_field

static void bundle_verify_accepts_the_embedded_bundle(void **state)
{
    (void)state;
    run_result r = run("bundle verify --json");
    assert_int_equal(r.status, 0);
    cJSON *json = parse_one_object(r.out);
    assert_string_equal(string_field(json, "error"), "ok");
    assert_int_equal(cJSON_GetObjectItem(json, "count")->valueint, 108);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(json, "bad")), 0);
    cJSON_Delete(json);
    free(r.out);
}

/* verify reads the active bundle, as regions and expiry do: the one
 * RDSSECURE_CA_BUNDLE names when set. */
static void bundle_verify_reads_the_bundle_the_environment_names(void **state)
{
    (void)state;
    char *dir = tc_tmpdir();
    tc_cert good = tc_make("Amazon RDS us-east-1 Root CA RSA2048 G1", 1, -1, 365, NULL);
    tc_cert expired = tc_make("Old Root", 1, -500, -1, NULL);
    char *pem = tc_pem((tc_cert[]){good, expired}, 2);
    char *path = tc_write(dir, "active.pem", pem, strlen(pem), 0644);
    setenv("RDSSECURE_CA_BUNDLE", path, 1);
    run_result r = run("bundle verify --json");
    assert_int_equal(r.status, 10 + RDSS_ERR_BUNDLE);
    cJSON *json = parse_one_object(r.out);
    assert_string_equal(string_field(json, "source"), path);
    assert_int_equal(cJSON_GetObjectItem(json, "count")->valueint, 2);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(json, "edition"))); /* no official edition */
    cJSON_Delete(json);
    free(r.out);
    r = run("bundle verify");
    assert_int_equal(r.status, 10 + RDSS_ERR_BUNDLE);
    assert_non_null(strstr(r.out, path));
    assert_non_null(strstr(r.out, "Old Root: expired"));
    assert_non_null(strstr(r.out, "not a known edition"));
    free(r.out);
    /* a coverage table of a bundle connects would refuse says so */
    r = run("bundle regions");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "WARNING: 1 certificate of "));
    free(r.out);
    r = run("bundle regions --json");
    json = parse_one_object(r.out);
    assert_int_equal(cJSON_GetObjectItem(json, "problems")->valueint, 1);
    cJSON_Delete(json);
    free(r.out);
    /* an explicit FILE or --proxy still wins over the environment */
    r = run("bundle verify --proxy --json");
    assert_int_equal(r.status, 0);
    json = parse_one_object(r.out);
    assert_string_equal(string_field(json, "source"), "embedded-proxy");
    cJSON_Delete(json);
    free(r.out);
    /* list shows the embedded bundle without FILE, whatever the environment says */
    r = run("bundle list --json");
    assert_int_equal(r.status, 0);
    json = parse_one_object(r.out);
    assert_string_equal(string_field(json, "source"), "embedded");
    cJSON_Delete(json);
    free(r.out);
    unsetenv("RDSSECURE_CA_BUNDLE");
    free(path);
    free(pem);
    tc_cert_free(&good);
    tc_cert_free(&expired);
    tc_rmdir_all(dir);
}

static void bundle_list_shows_every_regional_root(void **state)
{
    (void)state;
    run_result r = run("bundle list --json");
    assert_int_equal(r.status, 0);
    cJSON *json = parse_one_object(r.out);
    cJSON *certs = cJSON_GetObjectItem(json, "certificates");
    assert_int_equal(cJSON_GetArraySize(certs), 108);
    /* the edition embedded, named and hashed */
    assert_string_equal(string_field(json, "edition"), rdss_embedded_edition());
    assert_string_equal(string_field(json, "sha256"), rdss_embedded_edition_sha256());
    cJSON *embedded = cJSON_GetObjectItem(json, "embedded_edition");
    assert_string_equal(string_field(embedded, "date"), "2026-09");
    assert_string_equal(string_field(embedded, "sha256"),
                        "e5bb2084ccf45087bda1c9bffdea0eb15ee67f0b91646106e466714f9de3c7e3");
    assert_int_equal(cJSON_GetArraySize(certs), cJSON_GetObjectItem(json, "count")->valueint);
    const cJSON *entry;
    cJSON_ArrayForEach(entry, certs)
    {
        assert_non_null(string_field(entry, "subject_cn"));
        assert_int_equal(strlen(string_field(entry, "sha256")), 64);
        assert_non_null(string_field(entry, "not_after"));
        assert_non_null(string_field(entry, "region"));
        assert_true(cJSON_IsNull(cJSON_GetObjectItem(entry, "problem"))); /* none expired */
    }
    cJSON_Delete(json);
    free(r.out);
}

/* Names from a certificate reach the terminal escaped: a bundle cannot move
 * the cursor and print "edition 2026-09 of the official RDS global bundle"
 * over the line that says it is not. */
static void certificate_names_cannot_drive_the_terminal(void **state)
{
    (void)state;
    char *dir = tc_tmpdir();
    /* ESC sequences, DEL, and U+009B (a C1 control: the name is Latin-1) */
    tc_cert evil = tc_make("Amazon RDS us-east-1 Root CA \x1b[2A\x1b[2K\x9b" "2K\x7f G1", 1, -1, 365, NULL);
    char *pem = tc_pem(&evil, 1);
    char *path = tc_write(dir, "evil.pem", pem, strlen(pem), 0644);
    char args[1024];
    snprintf(args, sizeof(args), "bundle list '%s'", path);
    run_result r = run(args);
    assert_int_equal(r.status, 0);
    assert_null(strchr(r.out, '\x1b'));
    assert_null(strchr(r.out, '\x7f'));
    assert_null(strstr(r.out, "\xc2\x9b"));
    assert_non_null(strstr(r.out, "Root CA \\x1b[2A\\x1b[2K\\xc2\\x9b2K\\x7f G1"));
    free(r.out);
    /* JSON carries the name as it is, escaped the JSON way */
    snprintf(args, sizeof(args), "bundle list '%s' --json", path);
    r = run(args);
    cJSON *json = parse_one_object(r.out);
    const char *cn = string_field(cJSON_GetArrayItem(cJSON_GetObjectItem(json, "certificates"), 0), "subject_cn");
    assert_non_null(strstr(cn, "\x1b[2A"));
    cJSON_Delete(json);
    free(r.out);
    free(path);
    free(pem);
    tc_cert_free(&evil);
    tc_rmdir_all(dir);
}

static void bundle_verify_names_each_bad_entry_and_fails(void **state)
{
    (void)state;
    char *dir = tc_tmpdir();
    tc_cert good = tc_make("Good Root", 1, -1, 365, NULL);
    tc_cert expired = tc_make("Old Root", 1, -500, -1, NULL);
    char *pem = tc_pem((tc_cert[]){good, expired}, 2);
    char *path = tc_write(dir, "mixed.pem", pem, strlen(pem), 0644);
    char args[1024];
    snprintf(args, sizeof(args), "bundle verify '%s' --json", path);
    run_result r = run(args);
    assert_int_equal(r.status, 10 + RDSS_ERR_BUNDLE);
    cJSON *json = parse_one_object(r.out);
    assert_string_equal(string_field(json, "error"), "bundle");
    cJSON *bad = cJSON_GetObjectItem(json, "bad");
    assert_int_equal(cJSON_GetArraySize(bad), 1);
    assert_string_equal(string_field(cJSON_GetArrayItem(bad, 0), "subject_cn"), "Old Root");
    assert_string_equal(string_field(cJSON_GetArrayItem(bad, 0), "problem"), "expired");
    cJSON_Delete(json);
    free(r.out);

    /* text mode names it too */
    snprintf(args, sizeof(args), "bundle verify '%s'", path);
    r = run(args);
    assert_int_equal(r.status, 10 + RDSS_ERR_BUNDLE);
    assert_non_null(strstr(r.out, "Old Root: expired"));
    free(r.out);
    free(path);
    free(pem);
    tc_cert_free(&good);
    tc_cert_free(&expired);
    tc_rmdir_all(dir);
}

static void bundle_expiry_fails_within_the_horizon_only(void **state)
{
    (void)state;
    char *dir = tc_tmpdir();
    tc_cert lasting = tc_make("Amazon RDS us-east-1 Root CA RSA4096 G1", 1, -1, 3650, NULL);
    tc_cert soon = tc_make("Amazon RDS eu-west-1 Root CA RSA2048 G1", 1, -1, 30, NULL);
    char *pem = tc_pem((tc_cert[]){lasting, soon}, 2);
    char *path = tc_write(dir, "bundle.pem", pem, strlen(pem), 0644);
    char args[1024];
    snprintf(args, sizeof(args), "bundle expiry --within 60 '%s' --json", path);
    run_result r = run(args);
    assert_int_equal(r.status, 10 + RDSS_ERR_BUNDLE);
    cJSON *json = parse_one_object(r.out);
    cJSON *expiring = cJSON_GetObjectItem(json, "expiring");
    assert_int_equal(cJSON_GetArraySize(expiring), 1);
    assert_string_equal(string_field(cJSON_GetArrayItem(expiring, 0), "subject_cn"),
                        "Amazon RDS eu-west-1 Root CA RSA2048 G1");
    cJSON_Delete(json);
    free(r.out);
    snprintf(args, sizeof(args), "bundle expiry --within 10 --bundle '%s'", path);
    r = run(args);
    assert_int_equal(r.status, 0);
    free(r.out);
    /* the active bundle may come from RDSSECURE_CA_BUNDLE */
    setenv("RDSSECURE_CA_BUNDLE", path, 1);
    r = run("bundle expiry --within 60");
    assert_int_equal(r.status, 10 + RDSS_ERR_BUNDLE);
    assert_non_null(strstr(r.out, "eu-west-1"));
    free(r.out);
    r = run("bundle regions --json");
    assert_int_equal(r.status, 0);
    json = parse_one_object(r.out);
    assert_string_equal(string_field(json, "source"), path);
    cJSON *regions = cJSON_GetObjectItem(json, "regions");
    assert_int_equal(cJSON_GetArraySize(regions), 2);
    assert_string_equal(string_field(cJSON_GetArrayItem(regions, 0), "region"), "eu-west-1");
    cJSON_Delete(json);
    free(r.out);
    unsetenv("RDSSECURE_CA_BUNDLE");
    free(path);
    free(pem);
    tc_cert_free(&lasting);
    tc_cert_free(&soon);
    tc_rmdir_all(dir);
}

/* 34 commercial regions and the Beta and Preview stages: 36 names with one
 * root of each RDS key type. */
static void bundle_regions_of_the_embedded_bundle(void **state)
{
    (void)state;
    run_result r = run("bundle regions --json");
    assert_int_equal(r.status, 0);
    cJSON *json = parse_one_object(r.out);
    assert_string_equal(string_field(json, "source"), "embedded");
    assert_string_equal(string_field(json, "edition"), "2026-09");
    assert_string_equal(string_field(cJSON_GetObjectItem(json, "embedded_edition"), "sha256"),
                        "e5bb2084ccf45087bda1c9bffdea0eb15ee67f0b91646106e466714f9de3c7e3");
    cJSON *regions = cJSON_GetObjectItem(json, "regions");
    assert_int_equal(cJSON_GetObjectItem(json, "region_count")->valueint, 36);
    assert_int_equal(cJSON_GetArraySize(regions), 36);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(json, "without_region")), 0);
    static const char *const newer[] = {"ap-east-2", "ap-southeast-5", "ap-southeast-6",
                                        "ap-southeast-7", "ca-west-1", "il-central-1",
                                        "mx-central-1", "us-east-1 (Beta)", "us-east-2 (Preview)"};
    size_t found = 0, stages = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, regions) {
        assert_int_equal(cJSON_GetObjectItem(entry, "roots")->valueint, 3);
        cJSON *types = cJSON_GetObjectItem(entry, "key_types");
        assert_int_equal(cJSON_GetArraySize(types), 3);
        assert_string_equal(cJSON_GetArrayItem(types, 0)->valuestring, "RSA2048");
        assert_string_equal(cJSON_GetArrayItem(types, 1)->valuestring, "RSA4096");
        assert_string_equal(cJSON_GetArrayItem(types, 2)->valuestring, "ECC384");
        stages += !cJSON_IsNull(cJSON_GetObjectItem(entry, "stage"));
        for (size_t i = 0; i < sizeof(newer) / sizeof(newer[0]); i++)
            found += strcmp(string_field(entry, "name"), newer[i]) == 0;
    }
    assert_int_equal(found, sizeof(newer) / sizeof(newer[0]));
    assert_int_equal(stages, 2);
    cJSON_Delete(json);
    free(r.out);
    r = run("bundle regions");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "edition 2026-09 of the official RDS global bundle"));
    assert_non_null(strstr(r.out, "\n34 regions, and 2 RDS stages (Beta, Preview): 36 names\n"));
    assert_non_null(strstr(r.out, "  mx-central-1           3 roots: RSA2048 RSA4096 ECC384\n"));
    free(r.out);
    r = run("bundle expiry --json");
    assert_int_equal(r.status, 2); /* --within is required */
    free(r.out);
}

static void a_missing_file_is_a_bundle_error(void **state)
{
    (void)state;
    run_result r = run("bundle list /nonexistent/bundle.pem --json");
    assert_int_equal(r.status, 10 + RDSS_ERR_BUNDLE);
    cJSON *json = parse_one_object(r.out);
    assert_string_equal(string_field(json, "error"), "bundle");
    assert_non_null(strstr(string_field(json, "message"), "/nonexistent/bundle.pem"));
    cJSON_Delete(json);
    free(r.out);
}

static void usage_errors_exit_2_with_json_too(void **state)
{
    (void)state;
    const char *cases[] = {"", "frobnicate", "bundle", "bundle shred", "bundle list a b",
                           "bundle list --bogus", "version extra"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char args[256];
        snprintf(args, sizeof(args), "%s --json", cases[i]);
        run_result r = run(args);
        if (r.status != 2)
            fail_msg("'rdssecure %s' exited %d, not 2", args, r.status);
        cJSON *json = parse_one_object(r.out);
        assert_string_equal(string_field(json, "error"), "invalid_argument");
        cJSON_Delete(json);
        free(r.out);
    }
}

static void help_lists_a_distinct_exit_status_per_typed_error(void **state)
{
    (void)state;
    run_result r = run("--help");
    assert_int_equal(r.status, 0);
    for (int code = RDSS_OK + 1; code <= RDSS_CODE_MAX; code++) {
        char line[64];
        snprintf(line, sizeof(line), "  %-3d %s\n", 10 + code, rdss_error_name(code));
        if (strstr(r.out, line) == NULL)
            fail_msg("--help lacks \"%s\"", line);
    }
    free(r.out);
}

static void version_prints_the_library_version(void **state)
{
    (void)state;
    run_result r = run("version --json");
    assert_int_equal(r.status, 0);
    cJSON *json = parse_one_object(r.out);
    assert_string_equal(string_field(json, "version"), rdss_version());
    cJSON *embedded = cJSON_GetObjectItem(json, "embedded_edition");
    assert_string_equal(string_field(embedded, "date"), "2026-09");
    assert_string_equal(string_field(embedded, "sha256"),
                        "e5bb2084ccf45087bda1c9bffdea0eb15ee67f0b91646106e466714f9de3c7e3");
    /* what this process runs with */
    assert_int_equal(strncmp(string_field(json, "openssl"), "OpenSSL 3.", 10), 0);
    assert_non_null(string_field(json, "libpq"));
    assert_non_null(string_field(json, "libmariadb"));
    cJSON_Delete(json);
    free(r.out);
    r = run("version");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "edition 2026-09, SHA-256 "
                                  "e5bb2084ccf45087bda1c9bffdea0eb15ee67f0b91646106e466714f9de3c7e3\n"));
    free(r.out);
}

/* Each command's --help is that command's; help COMMAND and -V too. */
static void help_per_command(void **state)
{
    (void)state;
    static const char *const forms[][2] = {
        {"probe --help", "probe pg|mysql"}, {"bundle -h", "bundle expiry --within DAYS"},
        {"help audit", "--require-enforced"}, {"connect --help", "--password-file"},
        {"help version", "-V, --version"},
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        run_result r = run(forms[i][0]);
        assert_int_equal(r.status, 0);
        if (strstr(r.out, forms[i][1]) == NULL)
            fail_msg("'rdssecure %s' lacks \"%s\"", forms[i][0], forms[i][1]);
        /* that command's help only: no other command's line */
        int others = (strstr(r.out, "bundle list") != NULL) + (strstr(r.out, "probe pg|mysql") != NULL) +
                     (strstr(r.out, "connect pg TARGET") != NULL);
        if (others > 1)
            fail_msg("'rdssecure %s' prints more than its own command's help", forms[i][0]);
        free(r.out);
    }
    run_result r = run("help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "bundle list"));
    assert_non_null(strstr(r.out, "probe pg|mysql"));
    free(r.out);
    r = run("-V");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, rdss_version()));
    free(r.out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bundle_verify_accepts_the_embedded_bundle),
        cmocka_unit_test(bundle_verify_reads_the_bundle_the_environment_names),
        cmocka_unit_test(bundle_list_shows_every_regional_root),
        cmocka_unit_test(bundle_verify_names_each_bad_entry_and_fails),
        cmocka_unit_test(certificate_names_cannot_drive_the_terminal),
        cmocka_unit_test(bundle_expiry_fails_within_the_horizon_only),
        cmocka_unit_test(bundle_regions_of_the_embedded_bundle),
        cmocka_unit_test(a_missing_file_is_a_bundle_error),
        cmocka_unit_test(usage_errors_exit_2_with_json_too),
        cmocka_unit_test(help_lists_a_distinct_exit_status_per_typed_error),
        cmocka_unit_test(version_prints_the_library_version),
        cmocka_unit_test(help_per_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
