/* The CA file handed to the drivers: a sealed memfd, or a private file that
 * is removed afterwards. Uses the library's internals (static library). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/pem.h>

#include "trust/cafile.h"
#include "certgen.h"

typedef struct fixture {
    tc_cert roots[3];
    STACK_OF(X509) *certs;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->certs = sk_X509_new_null();
    for (int i = 0; i < 3; i++) {
        char cn[32];
        snprintf(cn, sizeof(cn), "CA file root %d", i);
        f->roots[i] = tc_make(cn, 1, -1, 100, NULL);
        sk_X509_push(f->certs, f->roots[i].cert);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sk_X509_free(f->certs);
    for (int i = 0; i < 3; i++)
        tc_cert_free(&f->roots[i]);
    free(f);
    return 0;
}

/* The file at path holds exactly the three roots, in order. */
static void assert_holds_the_roots(const fixture *f, const char *path)
{
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    for (int i = 0; i < 3; i++) {
        X509 *cert = PEM_read_X509(file, NULL, NULL, NULL);
        assert_non_null(cert);
        assert_int_equal(X509_cmp(cert, f->roots[i].cert), 0);
        X509_free(cert);
    }
    assert_null(PEM_read_X509(file, NULL, NULL, NULL));
    fclose(file);
}

static void the_preferred_file_lives_in_memory_and_is_sealed(void **state)
{
    fixture *f = *state;
    rdss__ca_file file;
    assert_int_equal(rdss__ca_file_create(f->certs, &file, NULL), RDSS_OK);
    assert_true(file.fd >= 0);
    assert_null(file.tmp_dir);
    assert_int_equal(strncmp(file.path, "/proc/self/fd/", 14), 0);
    assert_holds_the_roots(f, file.path);
    /* read twice: every open starts at the beginning (each driver reopens) */
    assert_holds_the_roots(f, file.path);
    /* sealed: not even this process can change what the drivers will read */
    assert_int_equal(write(file.fd, "x", 1), -1);
    assert_int_equal(pwrite(file.fd, "x", 1, 0), -1); /* not even in place */
    assert_int_equal(ftruncate(file.fd, 0), -1);
    rdss__ca_file_destroy(&file);
    assert_null(file.path);
    assert_int_equal(file.fd, -1);
    rdss__ca_file_destroy(&file); /* twice is harmless */
}

static void the_fallback_file_is_private_and_removed(void **state)
{
    fixture *f = *state;
    rdss__ca_file file;
    assert_int_equal(rdss__ca_file_create_on_disk(f->certs, &file, NULL), RDSS_OK);
    assert_non_null(file.tmp_dir);
    struct stat st;
    assert_int_equal(stat(file.tmp_dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(file.path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_non_null(strstr(file.tmp_dir, "/rdssecure-"));
    assert_string_not_equal(strrchr(file.tmp_dir, '-'), "-XXXXXX");
    assert_holds_the_roots(f, file.path);
    char *dir = strdup(file.tmp_dir);
    char *path = strdup(file.path);
    rdss__ca_file_destroy(&file);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(access(dir, F_OK), -1);
    free(dir);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_preferred_file_lives_in_memory_and_is_sealed, setup, teardown),
        cmocka_unit_test_setup_teardown(the_fallback_file_is_private_and_removed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
