/* Chains that must not verify, presented by the real scratch servers of
 * both engines: a leaf good for clientAuth only, an intermediate that is
 * not a CA, a path-length violation, and a DNS SAN with an embedded NUL
 * that would cover the host only if the NUL were ignored. Each must give
 * its typed error through rdss_probe and through real connects
 * (rdss_pg_connect, rdss_mysql_connect), each with two trusts:
 * - one-root: a file holding only this test's root (a small trust: the
 *   driver meets the chain first, the probe only types its failure);
 * - bundle+root: the embedded RDS bundle plus that root as an extra CA
 *   (more than 4 certificates: the library's own first-connect probe meets
 *   the chain before the driver does).
 * The same chains with the defect removed connect, last (a success teaches
 * the narrowing cache an anchor, which would change the bundle+root path
 * of any later case). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/x509v3.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "certgen.h"
#include "scratch.h"
#include "testenv.h"

#define PGS(key) testenv("postgres_scratch.env", key)
#define MYS(key) testenv("mariadb_scratch.env", key)
#define HOST "127.0.0.1"
#define SANS "DNS:localhost,IP:127.0.0.1"
#define RDS_NAME "db1.abc123xyz.us-east-1.rds.amazonaws.com"
#define TIMEOUT_MS 5000

typedef enum trust_kind { ONE_ROOT = 0, BUNDLE_PLUS_ROOT = 1 } trust_kind;
static const char *const trust_names[] = {"one-root", "bundle+root"};

static tc_cert root;
static char *dir, *root_path;

static int setup(void **state)
{
    (void)state;
    root = tc_make("rdssecure bad-chains test Root CA", 1, -1, 365, NULL);
    dir = tc_tmpdir();
    char *pem = tc_pem(&root, 1);
    root_path = tc_write(dir, "root.pem", pem, strlen(pem), 0644);
    free(pem);
    /* the bundle+root trust must be past the small-trust threshold (4) */
    rdss_bundle *bundle = NULL;
    if (rdss_bundle_open_embedded(RDSS_EMBEDDED_RDS_ROOTS, &bundle, NULL) != RDSS_OK)
        return -1;
    size_t count = rdss_bundle_count(bundle);
    rdss_bundle_free(bundle);
    if (count + 1 <= 4) {
        fprintf(stderr, "the embedded bundle holds %zu certificates: too few for this test\n", count);
        return -1;
    }
    return 0;
}

/* The scratch servers go back to the fixture's own certificate, whatever
 * happened: other tests share them. */
static int teardown(void **state)
{
    (void)state;
    scratch_both_restore(state);
    tc_rmdir_all(dir);
    free(root_path);
    tc_cert_free(&root);
    return 0;
}

static rdss_config *make_config(trust_kind kind, const char *verify_name)
{
    rdss_config *cfg = rdss_config_new();
    assert_non_null(cfg);
    if (kind == ONE_ROOT) {
        assert_int_equal(rdss_config_set_bundle_file(cfg, root_path, NULL), RDSS_OK);
    } else {
        assert_int_equal(rdss_config_use_embedded_bundle(cfg, NULL), RDSS_OK);
        assert_int_equal(rdss_config_add_extra_ca_file(cfg, root_path, NULL), RDSS_OK);
    }
    assert_int_equal(rdss_config_set_timeout_ms(cfg, TIMEOUT_MS, NULL), RDSS_OK);
    if (verify_name != NULL)
        assert_int_equal(rdss_config_set_verify_name(cfg, verify_name, NULL), RDSS_OK);
    return cfg;
}

typedef enum path_kind { PROBE = 0, CONNECT = 1 } path_kind;

/* One attempt: its typed result, its message in `msg` and the driver's own
 * message in `driver` ("" when none: the driver never met the chain, the
 * library's probe refused it first). */
static rdss_code attempt(int mysql, path_kind path, trust_kind kind, const char *verify_name, char *msg,
                         size_t msg_size, char *driver, size_t driver_size)
{
    rdss_config *cfg = make_config(kind, verify_name);
    rdss_error *err = NULL;
    rdss_code code;
    if (path == PROBE) {
        rdss_probe_report *report = NULL;
        int port = atoi(mysql ? MYS("MY_PORT") : PGS("PG_PORT"));
        code = rdss_probe(cfg, mysql ? RDSS_ENGINE_MYSQL : RDSS_ENGINE_PG, HOST, port, &report, &err);
        rdss_probe_report_free(report);
    } else if (mysql) {
        MYSQL *handle = mysql_init(NULL);
        assert_non_null(handle);
        char password[128];
        snprintf(password, sizeof(password), "%s", MYS("MY_PASSWORD"));
        char user[128];
        snprintf(user, sizeof(user), "%s", MYS("MY_USER"));
        MYSQL *made = rdss_mysql_connect(cfg, handle, HOST, user, password, MYS("MY_DATABASE"),
                                         (unsigned)atoi(MYS("MY_PORT")), NULL, 0, &err);
        code = made != NULL ? RDSS_OK : rdss_error_code(err);
        mysql_close(handle);
    } else {
        char info[512];
        snprintf(info, sizeof(info), "host=%s port=%s user=%s password=%s dbname=%s", HOST, PGS("PG_PORT"),
                 PGS("PG_USER"), PGS("PG_PASSWORD"), PGS("PG_DATABASE"));
        PGconn *conn = rdss_pg_connect(cfg, info, &err);
        code = conn != NULL ? RDSS_OK : rdss_error_code(err);
        PQfinish(conn);
    }
    snprintf(msg, msg_size, "%s", err != NULL ? rdss_error_message(err) : "");
    const char *driver_msg = rdss_error_driver_message(err);
    snprintf(driver, driver_size, "%s", driver_msg != NULL ? driver_msg : "");
    /* one line: libpq's messages end in a newline */
    for (char *nl = strchr(driver, '\n'); nl != NULL; nl = strchr(nl, '\n'))
        *nl = ' ';
    rdss_error_free(err);
    rdss_config_free(cfg);
    return code;
}

/* Serves `chain` on both scratch servers and checks every engine, path and
 * trust gives `expected`; prints each result, then fails listing every
 * mismatch. `show_messages`: print the library's messages too. */
static void expect_everywhere(const char *what, const tc_cert *chain, int n, const char *verify_name,
                              rdss_code expected, int show_messages)
{
    scratch_pg_serve_chain(chain, n);
    scratch_mysql_serve_chain(chain, n);
    char failures[2048] = "";
    size_t used = 0;
    for (int mysql = 0; mysql <= 1; mysql++)
        for (int path = PROBE; path <= CONNECT; path++)
            for (int kind = ONE_ROOT; kind <= BUNDLE_PLUS_ROOT; kind++) {
                char msg[2048], driver[1024];
                rdss_code got = attempt(mysql, (path_kind)path, (trust_kind)kind, verify_name, msg, sizeof(msg),
                                        driver, sizeof(driver));
                const char *engine = mysql ? "mysql" : "pg";
                const char *path_name = path == PROBE ? "rdss_probe" : mysql ? "rdss_mysql_connect" : "rdss_pg_connect";
                print_message("[%s] %-5s %-18s %-11s -> %s%s\n", what, engine, path_name, trust_names[kind],
                              rdss_error_name(got), got == expected ? "" : "  (UNEXPECTED)");
                if (show_messages || got != expected)
                    print_message("    %s\n", msg);
                if (path == CONNECT && got != RDSS_OK)
                    print_message("    driver: %s\n", driver[0] ? driver : "(none: the probe refused first)");
                /* the path each trust is for: a failed connect with the
                 * one-root trust is the driver's (then typed by the probe);
                 * with bundle+root the probe refuses before the driver runs,
                 * except where the name is an RDS name: then the driver,
                 * given that region's roots, goes first, and the probe types
                 * its failure. (MySQL with a verify-name always probes
                 * first: it pins the certificate the probe verified.) */
                int region_roots = !mysql && verify_name != NULL && strstr(verify_name, ".rds.amazonaws.com");
                int probe_first = (kind == BUNDLE_PLUS_ROOT && !region_roots) || (mysql && verify_name != NULL);
                int wrong_path = path == CONNECT && got != RDSS_OK &&
                                 (probe_first ? driver[0] != '\0' : driver[0] == '\0');
                if (wrong_path && used < sizeof(failures))
                    used += (size_t)snprintf(failures + used, sizeof(failures) - used,
                                             "%s%s %s %s: %s", used ? "; " : "", engine, path_name,
                                             trust_names[kind],
                                             probe_first ? "the driver met the chain before the probe"
                                                         : "the driver never met the chain");
                if (got != expected && used < sizeof(failures))
                    used += (size_t)snprintf(failures + used, sizeof(failures) - used,
                                             "%s%s %s %s: %s", used ? "; " : "", engine, path_name,
                                             trust_names[kind], rdss_error_name(got));
            }
    if (failures[0] != '\0')
        fail_msg("%s: expected %s everywhere; got %s", what, rdss_error_name(expected), failures);
}

static const char *const client_auth_only[] = {"extendedKeyUsage=clientAuth", NULL};
static const char *const server_and_client_auth[] = {"extendedKeyUsage=serverAuth,clientAuth", NULL};
static const char *const not_a_ca[] = {"basicConstraints=critical,CA:FALSE", NULL};
static const char *const pathlen_0[] = {"basicConstraints=critical,CA:TRUE,pathlen:0", NULL};
static const char *const pathlen_1[] = {"basicConstraints=critical,CA:TRUE,pathlen:1", NULL};

/* 1. extendedKeyUsage clientAuth only: not for a TLS server. */
static void leaf_for_client_auth_only(void **state)
{
    (void)state;
    tc_cert leaf = tc_make_with("clientauth-only leaf", 0, SANS, client_auth_only, -1, 30, &root);
    expect_everywhere("EKU clientAuth only", &leaf, 1, NULL, RDSS_ERR_CERT_VERIFY, 0);
    tc_cert_free(&leaf);
}

/* 2. The leaf's issuer has keyCertSign but basicConstraints CA:FALSE. */
static void intermediate_not_a_ca(void **state)
{
    (void)state;
    tc_cert sub = tc_make_with("rdssecure bad-chains CA:FALSE Intermediate", 1, NULL, not_a_ca, -1, 365, &root);
    assert_int_equal(X509_check_ca(sub.cert), 0);
    tc_cert chain[2] = {tc_make_server("leaf under a non-CA", SANS, -1, 30, &sub), sub};
    expect_everywhere("intermediate CA:FALSE", chain, 2, NULL, RDSS_ERR_CERT_VERIFY, 0);
    tc_cert_free(&chain[0]);
    tc_cert_free(&sub);
}

/* 3. root -> intermediate (pathlen:0) -> intermediate -> leaf. */
static void path_length_exceeded(void **state)
{
    (void)state;
    tc_cert first = tc_make_with("rdssecure bad-chains pathlen:0 Intermediate", 1, NULL, pathlen_0, -1, 365, &root);
    tc_cert second = tc_make("rdssecure bad-chains second Intermediate", 1, -1, 365, &first);
    tc_cert chain[3] = {tc_make_server("leaf two CAs down", SANS, -1, 30, &second), second, first};
    expect_everywhere("pathlen:0 exceeded", chain, 3, NULL, RDSS_ERR_CERT_VERIFY, 0);
    tc_cert_free(&chain[0]);
    tc_cert_free(&second);
    tc_cert_free(&first);
}

/* The one DNS SAN of `cert` has `len` bytes with a NUL among them. */
static void assert_nul_san(const tc_cert *cert, size_t len)
{
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert->cert, NID_subject_alt_name, NULL, NULL);
    assert_non_null(sans);
    assert_int_equal(sk_GENERAL_NAME_num(sans), 1);
    const GENERAL_NAME *san = sk_GENERAL_NAME_value(sans, 0);
    assert_int_equal(san->type, GEN_DNS);
    assert_int_equal(ASN1_STRING_length(san->d.dNSName), (int)len);
    assert_non_null(memchr(ASN1_STRING_get0_data(san->d.dNSName), '\0', len));
    GENERAL_NAMES_free(sans);
}

/* 4a. DNS SAN "127.0.0.1\0.evil.example", connecting to 127.0.0.1 (no
 * verify-name): covered only if the NUL ended the name. */
static void nul_in_san_address(void **state)
{
    (void)state;
    static const char name[] = "127.0.0.1\0.evil.example";
    const char *names[] = {name};
    size_t lens[] = {sizeof(name) - 1};
    tc_cert leaf = tc_make_server_raw_dns("evil.example", names, lens, 1, -1, 30, &root);
    assert_nul_san(&leaf, lens[0]);
    /* OpenSSL itself (what libmariadb asks) does not match either */
    assert_int_equal(X509_check_host(leaf.cert, HOST, 0, 0, NULL), 0);
    assert_int_equal(X509_check_ip_asc(leaf.cert, HOST, 0), 0);
    expect_everywhere("NUL SAN 127.0.0.1\\0.evil.example", &leaf, 1, NULL, RDSS_ERR_HOSTNAME_MISMATCH, 1);
    tc_cert_free(&leaf);
}

/* 4b. DNS SAN "<RDS name>\0.evil.example", checked with verify-name <RDS name>. */
static void nul_in_san_verify_name(void **state)
{
    (void)state;
    static const char name[] = RDS_NAME "\0.evil.example";
    const char *names[] = {name};
    size_t lens[] = {sizeof(name) - 1};
    tc_cert leaf = tc_make_server_raw_dns("evil.example", names, lens, 1, -1, 30, &root);
    assert_nul_san(&leaf, lens[0]);
    assert_int_equal(X509_check_host(leaf.cert, RDS_NAME, 0, 0, NULL), 0);
    expect_everywhere("NUL SAN <rds name>\\0.evil.example, verify-name", &leaf, 1, RDS_NAME,
                      RDSS_ERR_HOSTNAME_MISMATCH, 1);
    tc_cert_free(&leaf);
}

/* The same shapes without their defect connect everywhere: the failures
 * above are the defects', not the setup's. Last (see the top). */
static void the_same_chains_without_the_defect_connect(void **state)
{
    (void)state;
    tc_cert leaf = tc_make_with("serverAuth leaf", 0, SANS, server_and_client_auth, -1, 30, &root);
    expect_everywhere("control: EKU serverAuth,clientAuth", &leaf, 1, NULL, RDSS_OK, 0);
    tc_cert_free(&leaf);

    tc_cert first = tc_make_with("rdssecure bad-chains pathlen:1 Intermediate", 1, NULL, pathlen_1, -1, 365, &root);
    tc_cert second = tc_make("rdssecure bad-chains second Intermediate", 1, -1, 365, &first);
    tc_cert chain[3] = {tc_make_server("leaf two CAs down", SANS, -1, 30, &second), second, first};
    expect_everywhere("control: pathlen:1, two intermediates", chain, 3, NULL, RDSS_OK, 0);
    tc_cert_free(&chain[0]);
    tc_cert_free(&second);
    tc_cert_free(&first);

    static const char name[] = RDS_NAME;
    const char *names[] = {name};
    size_t lens[] = {sizeof(name) - 1};
    tc_cert named = tc_make_server_raw_dns("evil.example", names, lens, 1, -1, 30, &root);
    expect_everywhere("control: raw SAN without the NUL, verify-name", &named, 1, RDS_NAME, RDSS_OK, 0);
    tc_cert_free(&named);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(leaf_for_client_auth_only),
        cmocka_unit_test(intermediate_not_a_ca),
        cmocka_unit_test(path_length_exceeded),
        cmocka_unit_test(nul_in_san_address),
        cmocka_unit_test(nul_in_san_verify_name),
        cmocka_unit_test(the_same_chains_without_the_defect_connect),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    mysql_library_end();
    return failed;
}
