/* The CA directory libmariadb is given for an RDS name's region
 * (trust/cadir.h): files named by OpenSSL's subject hash, computed from
 * the DER without decoding keys, that OpenSSL's own directory lookup finds;
 * private; reached through the opened directory; removed when destroyed.
 * Uses the library's internals (static library). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "certgen.h"
#include "trust/cadir.h"
#include "trust/embedded.h"
#include "trust/pem.h"

/* Every block's hash as OpenSSL computes it from the decoded certificate. */
static void hashes_match_openssls(const char *pem, size_t len, size_t expected_blocks)
{
    const char *cursor = pem, *begin, *end;
    size_t blocks = 0;
    while (rdss__pem_next_block(&cursor, pem + len, &begin, &end)) {
        BIO *bio = BIO_new_mem_buf(begin, (int)(end - begin));
        X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
        assert_non_null(cert);
        unsigned long ours = 0;
        assert_true(rdss__pem_block_subject_hash(begin, end, &ours));
        assert_int_equal(ours, X509_subject_name_hash(cert));
        X509_free(cert);
        blocks++;
    }
    assert_int_equal(blocks, expected_blocks);
}

static void hash_of_every_embedded_root(void **state)
{
    (void)state;
    hashes_match_openssls(rdss__embedded_rds_roots_pem, rdss__embedded_rds_roots_pem_len, 108);
    hashes_match_openssls(rdss__embedded_proxy_roots_pem, rdss__embedded_proxy_roots_pem_len, 5);
}

/* A version 1 certificate has no [0] version field: the subject is then
 * the fourth element, not the fifth. */
static void hash_of_a_version_1_certificate(void **state)
{
    (void)state;
    tc_cert v3 = tc_make("cadir v1 root", 1, -1, 100, NULL);
    X509 *v1 = X509_dup(v3.cert);
    assert_true(X509_set_version(v1, X509_VERSION_1));
    assert_true(X509_sign(v1, v3.key, EVP_sha256()) > 0);
    BIO *bio = BIO_new(BIO_s_mem());
    assert_true(PEM_write_bio_X509(bio, v1));
    char *pem = NULL;
    long len = BIO_get_mem_data(bio, &pem);
    assert_int_equal(X509_get_version(v1), X509_VERSION_1);
    hashes_match_openssls(pem, (size_t)len, 1);
    BIO_free(bio);
    X509_free(v1);
    tc_cert_free(&v3);
}

static void malformed_blocks_have_no_hash(void **state)
{
    (void)state;
    static const char *const blocks[] = {
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----\n!!!!not base64!!!!\n-----END CERTIFICATE-----",
        /* SEQUENCE { SEQUENCE { INTEGER 1 } }: no subject */
        "-----BEGIN CERTIFICATE-----\nMAUwAwIBAQ==\n-----END CERTIFICATE-----",
        /* a length past the end */
        "-----BEGIN CERTIFICATE-----\nMIIBADAA\n-----END CERTIFICATE-----",
        /* indefinite length (BER, not DER) */
        "-----BEGIN CERTIFICATE-----\nMIAwgAIBAQAAAAA=\n-----END CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----",
    };
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        unsigned long hash = 0;
        assert_false(rdss__pem_block_subject_hash(blocks[i], blocks[i] + strlen(blocks[i]), &hash));
    }
    assert_int_equal(ERR_peek_error(), 0); /* nothing left on the caller's queue */
    assert_null(rdss__ca_dir_create(blocks[2], strlen(blocks[2])));
    assert_null(rdss__ca_dir_create("no certificate", 14));
}

/* A root, a second root of the same subject (another key: a rotation), an
 * intermediate under the first, a leaf under that. */
static void openssl_finds_the_roots_by_name(void **state)
{
    (void)state;
    tc_cert certs[3] = {tc_make("cadir root", 1, -1, 100, NULL), tc_make("cadir root", 1, -1, 100, NULL),
                        tc_make("cadir other root", 1, -1, 100, NULL)};
    tc_cert sub = tc_make("cadir sub", 1, -1, 100, &certs[1]);
    tc_cert leaf = tc_make_server("cadir.example", "DNS:cadir.example", -1, 100, &sub);
    char *pem = tc_pem(certs, 3);
    rdss__ca_dir *dir = rdss__ca_dir_create(pem, strlen(pem));
    assert_non_null(dir);

    /* reached through the opened directory, which is the private one made */
    const char *path = rdss__ca_dir_path(dir);
    assert_int_equal(strncmp(path, "/proc/self/fd/", 14), 0);
    char where[4096];
    ssize_t n = readlink(path, where, sizeof(where) - 1);
    assert_true(n > 0);
    where[n] = '\0';
    /* in memory, named for this process */
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "/dev/shm/rdssecure-ca-%ld-", (long)getpid());
    if (strncmp(where, prefix, strlen(prefix)) != 0)
        fail_msg("made as %s", where);
    struct stat st;
    assert_int_equal(stat(where, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char expected[3][32];
    for (int i = 0; i < 3; i++) /* the two of one subject: .0 and .1 */
        snprintf(expected[i], sizeof(expected[i]), "%08lx.%d", X509_subject_name_hash(certs[i].cert),
                 i == 1);
    int files = 0;
    DIR *d = opendir(where);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        files++;
        int known = 0;
        for (int i = 0; i < 3; i++)
            known |= strcmp(e->d_name, expected[i]) == 0;
        if (!known)
            fail_msg("unexpected file %s", e->d_name);
        assert_int_equal(fstatat(dirfd(d), e->d_name, &st, 0), 0);
        assert_int_equal(st.st_mode & 0777, 0400);
    }
    closedir(d);
    assert_int_equal(files, 3);

    /* OpenSSL's directory lookup, as libmariadb sets it, finds the root
     * of the chain among two of the same name */
    X509_STORE *store = X509_STORE_new();
    assert_true(X509_STORE_load_locations(store, NULL, path));
    STACK_OF(X509) *chain = sk_X509_new_null();
    sk_X509_push(chain, sub.cert);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    assert_true(X509_STORE_CTX_init(ctx, store, leaf.cert, chain));
    if (X509_verify_cert(ctx) != 1)
        fail_msg("chain did not verify: %s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    X509_STORE_CTX_free(ctx);
    sk_X509_free(chain);
    X509_STORE_free(store);

    rdss__ca_dir_destroy(dir);
    assert_int_equal(stat(where, &st), -1); /* removed */
    free(pem);
    tc_cert_free(&leaf);
    tc_cert_free(&sub);
    for (int i = 0; i < 3; i++)
        tc_cert_free(&certs[i]);
}

/* A forked child may use the parent's directory, and leaves it. */
static void a_forked_child_does_not_remove_it(void **state)
{
    (void)state;
    tc_cert root = tc_make("cadir fork root", 1, -1, 100, NULL);
    char *pem = tc_pem(&root, 1);
    rdss__ca_dir *dir = rdss__ca_dir_create(pem, strlen(pem));
    assert_non_null(dir);
    char file[4200];
    snprintf(file, sizeof(file), "%s/%08lx.0", rdss__ca_dir_path(dir), X509_subject_name_hash(root.cert));
    pid_t pid = fork();
    if (pid == 0) {
        rdss__ca_dir_destroy(dir);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_int_equal(access(file, R_OK), 0);
    rdss__ca_dir_destroy(dir);
    free(pem);
    tc_cert_free(&root);
}

/* A leftover of a process that is gone, made as its directory would be. */
static void leave(const char *path, uid_t owner)
{
    char file[300];
    snprintf(file, sizeof(file), "%s/12345678.0", path);
    unlink(file); /* what an earlier run that failed midway left */
    rmdir(path);
    assert_int_equal(mkdir(path, 0700), 0);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("-----BEGIN CERTIFICATE-----\n", f);
    fclose(f);
    if (owner != geteuid()) {
        assert_int_equal(chown(file, owner, (gid_t)-1), 0);
        assert_int_equal(chown(path, owner, (gid_t)-1), 0);
    }
}

/* The first directory a process makes sweeps what killed processes of this
 * user left: a gone process's directory goes; a living process's, and
 * another user's, stay. First in this program: the sweep runs once per
 * process. */
static void leftovers_of_killed_processes_are_swept(void **state)
{
    (void)state;
    pid_t gone = fork();
    if (gone == 0)
        _exit(0);
    assert_int_equal(waitpid(gone, NULL, 0), gone);
    char dead[128], alive[128], foreign[128];
    snprintf(dead, sizeof(dead), "/dev/shm/rdssecure-ca-%ld-Gone01", (long)gone);
    snprintf(alive, sizeof(alive), "/dev/shm/rdssecure-ca-%ld-Alive1", (long)getppid());
    snprintf(foreign, sizeof(foreign), "/dev/shm/rdssecure-ca-%ld-Other1", (long)gone);
    leave(dead, geteuid());
    leave(alive, geteuid());
    int as_root = geteuid() == 0;
    if (as_root)
        leave(foreign, 65534); /* nobody's */
    tc_cert root = tc_make("cadir sweep root", 1, -1, 100, NULL);
    char *pem = tc_pem(&root, 1);
    rdss__ca_dir *dir = rdss__ca_dir_create(pem, strlen(pem));
    assert_non_null(dir);
    struct stat st;
    assert_int_equal(stat(dead, &st), -1);
    assert_int_equal(stat(alive, &st), 0);
    if (as_root)
        assert_int_equal(stat(foreign, &st), 0);
    char file[300];
    for (int i = 0; i < 2; i++) {
        const char *kept = i == 0 ? alive : foreign;
        snprintf(file, sizeof(file), "%s/12345678.0", kept);
        unlink(file);
        rmdir(kept);
    }
    rdss__ca_dir_destroy(dir);
    free(pem);
    tc_cert_free(&root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(leftovers_of_killed_processes_are_swept),
        cmocka_unit_test(hash_of_every_embedded_root),
        cmocka_unit_test(hash_of_a_version_1_certificate),
        cmocka_unit_test(malformed_blocks_have_no_hash),
        cmocka_unit_test(openssl_finds_the_roots_by_name),
        cmocka_unit_test(a_forked_child_does_not_remove_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
