/* Trusts built from an edition's bytes and decoded on first need: a region's
 * slice holds that region's production roots of the trust and nothing else,
 * whether cut from the bytes or from the decoded certificates; and a fork
 * while another thread cuts one and makes its CA directory neither
 * deadlocks nor gives the child a lock held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trust/bundle_file.h"
#include "trust/certinfo.h"
#include "trust/embedded.h"
#include "trust/trust.h"

static rdss__trust *undecoded_embedded(void)
{
    rdss__trust *trust = NULL;
    assert_int_equal(rdss__trust_of_edition(rdss__embedded_rds_roots_pem, rdss__embedded_rds_roots_pem_len, 0,
                                            "embedded", &trust, NULL),
                     RDSS_OK);
    return trust;
}

static int contains(STACK_OF(X509) *certs, X509 *cert)
{
    for (int i = 0; i < sk_X509_num(certs); i++)
        if (X509_cmp(sk_X509_value(certs, i), cert) == 0)
            return 1;
    return 0;
}

/* Every region of the bundle: the slice from the bytes and the slice from
 * the decoded certificates are the same roots, all of the trust, all of
 * that region, all production roots. */
static void slices_match(rdss__trust *bytes)
{
    rdss__trust *decoded = undecoded_embedded();
    STACK_OF(X509) *all = rdss__trust_certs(decoded); /* decodes it */
    assert_false(rdss__trust_decoded(bytes));
    int regions = 0;
    for (int i = 0; i < sk_X509_num(all); i++) {
        char *cn = rdss__cert_subject_cn(sk_X509_value(all, i));
        char region[RDSS__REGION_MAX];
        if (cn != NULL && rdss__production_root_region(cn, region)) {
            rdss__trust *a = rdss__trust_region(bytes, region), *b = rdss__trust_region(decoded, region);
            assert_non_null(a);
            assert_non_null(b);
            STACK_OF(X509) *from_bytes = rdss__trust_certs(a), *from_certs = rdss__trust_certs(b);
            assert_int_equal(sk_X509_num(from_bytes), sk_X509_num(from_certs));
            for (int k = 0; k < sk_X509_num(from_bytes); k++) {
                X509 *root = sk_X509_value(from_bytes, k);
                char *name = rdss__cert_subject_cn(root);
                char its[RDSS__REGION_MAX];
                assert_true(contains(all, root));
                assert_true(contains(from_certs, root));
                assert_true(rdss__production_root_region(name, its));
                assert_string_equal(its, region);
                free(name);
            }
            regions++;
            rdss__trust_unref(a);
            rdss__trust_unref(b);
        }
        free(cn);
    }
    assert_true(regions >= 34 * 3); /* each root of each region, every time */
    assert_false(rdss__trust_decoded(bytes)); /* slicing never decoded the whole */
    assert_null(rdss__trust_region(bytes, "xx-nowhere-1"));
    rdss__trust_unref(bytes);
    rdss__trust_unref(decoded);
}

/* The embedded edition's bytes: their blocks are found by the names the
 * build took from the pins. */
static void slices_are_the_regions_roots(void **state)
{
    (void)state;
    slices_match(undecoded_embedded());
}

/* Bytes that do not begin with the embedded edition (one newline more): each
 * block's name is read from its DER instead, with the same result. */
static void slices_of_other_bytes_are_the_regions_roots(void **state)
{
    (void)state;
    size_t len = rdss__embedded_rds_roots_pem_len + 1;
    char *shifted = malloc(len + 1);
    assert_non_null(shifted);
    shifted[0] = '\n';
    memcpy(shifted + 1, rdss__embedded_rds_roots_pem, len);
    rdss__trust *trust = NULL;
    assert_int_equal(rdss__trust_of_edition(shifted, len, 1, "shifted", &trust, NULL), RDSS_OK);
    free(shifted);
    slices_match(trust);
}

/* A file of `bytes`, 0600 in a fresh directory; free the path. */
static char *written(const char *bytes, size_t len, char *dir_out, size_t dir_size)
{
    snprintf(dir_out, dir_size, "/tmp/rdss-lazy-XXXXXX");
    assert_non_null(mkdtemp(dir_out));
    char *path = malloc(strlen(dir_out) + 16);
    sprintf(path, "%s/bundle.pem", dir_out);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* A file that is the embedded edition byte for byte is that edition,
 * undecoded; one of the same length that differs in its last byte (a
 * space for the final newline) is compared, then read again from its
 * start and checked certificate by certificate. */
static void bundle_files_of_the_embedded_length(void **state)
{
    (void)state;
    size_t len = rdss__embedded_rds_roots_pem_len;
    char *copy = malloc(len);
    memcpy(copy, rdss__embedded_rds_roots_pem, len);
    char dir[64];
    char *path = written(copy, len, dir, sizeof(dir));
    /* compared, not read into memory (a known edition by its digest would
     * give the same trust: this is what tells the two paths apart) */
    char *data = NULL, *label = NULL;
    size_t got = 0;
    assert_int_equal(rdss__read_bundle_file_unless(path, rdss__embedded_rds_roots_pem, len, &data, &got, &label,
                                                   NULL),
                     RDSS_OK);
    assert_null(data);
    assert_int_equal(got, len);
    free(label);
    rdss__trust *trust = NULL;
    assert_int_equal(rdss__trust_from_file(path, &trust, NULL), RDSS_OK);
    assert_false(rdss__trust_decoded(trust));
    assert_string_equal(rdss__trust_label(trust), path);
    rdss__trust_unref(trust);
    unlink(path);
    rmdir(dir);
    free(path);

    assert_int_equal(copy[len - 1], '\n');
    copy[len - 1] = ' ';
    path = written(copy, len, dir, sizeof(dir));
    /* compared up to its last byte, then read whole from its start */
    assert_int_equal(rdss__read_bundle_file_unless(path, rdss__embedded_rds_roots_pem, len, &data, &got, &label,
                                                   NULL),
                     RDSS_OK);
    assert_non_null(data);
    assert_int_equal(got, len);
    assert_memory_equal(data, copy, len);
    free(data);
    free(label);
    rdss_error *err = NULL;
    assert_int_equal(rdss__trust_from_file(path, &trust, &err), RDSS_OK);
    assert_true(rdss__trust_decoded(trust));
    assert_int_equal(sk_X509_num(rdss__trust_certs(trust)), 108);
    rdss__trust_unref(trust);
    rdss_error_free(err);
    unlink(path);
    rmdir(dir);
    free(path);
    free(copy);
}

static atomic_int stop;

/* Cuts a region from fresh undecoded trusts in a loop: the lock of the
 * lazy parts is held much of the time, and no OpenSSL lock ever (a fork
 * while OpenSSL holds one of its own is the documented limit, not this). */
static void *slice_loop(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        rdss__trust *trust = NULL;
        if (rdss__trust_of_edition(rdss__embedded_rds_roots_pem, rdss__embedded_rds_roots_pem_len, 0, "loop",
                                   &trust, NULL) == RDSS_OK) {
            rdss__trust *slice = rdss__trust_region(trust, "eu-west-1");
            rdss__trust_ca_dir(slice); /* libmariadb's directory, made under the lazy parts' lock */
            rdss__trust_unref(slice);
        }
        rdss__trust_unref(trust);
    }
    return NULL;
}

static void fork_while_a_region_is_cut(void **state)
{
    (void)state;
    atomic_store(&stop, 0);
    pthread_t slicer;
    assert_int_equal(pthread_create(&slicer, NULL, slice_loop, NULL), 0);
    alarm(60); /* a fork that waits on a lock forever (in this process): ends it */
    char failed[128] = "";
    for (int i = 0; i < 20 && failed[0] == '\0'; i++) {
        nanosleep(&(struct timespec){0, (1 + i % 4) * 1000 * 1000}, NULL);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            alarm(20); /* a lock inherited held: the child hangs, and this ends it */
            rdss__trust *trust = undecoded_embedded();
            rdss__trust *slice = rdss__trust_region(trust, "us-west-2");
            int cut = slice != NULL && rdss__trust_ca_dir(slice) != NULL;
            /* a threaded program's child ends by exec (valgrind would count the
             * other thread's allocations as leaks) */
            execl("/bin/sh", "sh", "-c", cut ? "exit 0" : "exit 1", (char *)NULL);
            _exit(2);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            snprintf(failed, sizeof(failed), "fork %d: the child %s %d", i,
                     WIFEXITED(status) ? "exited with" : "died of signal",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
    atomic_store(&stop, 1);
    pthread_join(slicer, NULL);
    alarm(0);
    if (failed[0] != '\0')
        fail_msg("%s", failed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slices_are_the_regions_roots),
        cmocka_unit_test(slices_of_other_bytes_are_the_regions_roots),
        cmocka_unit_test(fork_while_a_region_is_cut),
        cmocka_unit_test(bundle_files_of_the_embedded_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
