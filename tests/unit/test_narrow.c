/* The narrowing cache: what it remembers, for which trust, how much. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include <openssl/pem.h>

#include "certgen.h"
#include "child.h"
#include "anchors/narrow.h"

static void learn_lookup_forget(void **state)
{
    (void)state;
    rdss__trust *embedded = NULL, *other = NULL;
    assert_int_equal(rdss__trust_embedded(&embedded, NULL), RDSS_OK);
    tc_cert root = tc_make("Other Root", 1, -1, 365, NULL);
    char *pem = tc_pem(&root, 1);
    assert_int_equal(rdss__trust_from_pem(pem, strlen(pem), "other", &other, NULL), RDSS_OK);
    X509 *anchor = sk_X509_value(rdss__trust_certs(embedded), 5);
    char key[128];
    rdss__narrow_key("10.0.0.1", 5432, "db.example.com", key, sizeof(key));
    assert_null(rdss__narrow_lookup(embedded, key));
    rdss__trust_unref(rdss__narrow_learn(embedded, key, anchor));
    rdss__trust *narrow = rdss__narrow_lookup(embedded, key);
    assert_non_null(narrow);
    assert_int_equal(sk_X509_num(rdss__trust_certs(narrow)), 1);
    assert_int_equal(X509_cmp(sk_X509_value(rdss__trust_certs(narrow), 0), anchor), 0);
    assert_non_null(strstr(rdss__trust_ca_file(narrow), "/proc/self/fd/"));
    rdss__trust_unref(narrow);
    /* another trust (another bundle) never gets that entry */
    assert_null(rdss__narrow_lookup(other, key));
    rdss__narrow_forget(embedded, key);
    assert_null(rdss__narrow_lookup(embedded, key));
    rdss__trust_unref(other);
    rdss__trust_unref(embedded);
    free(pem);
    tc_cert_free(&root);
}

static void bounded_least_recently_used_goes(void **state)
{
    (void)state;
    rdss__trust *embedded = NULL;
    assert_int_equal(rdss__trust_embedded(&embedded, NULL), RDSS_OK);
    X509 *anchor = sk_X509_value(rdss__trust_certs(embedded), 0);
    char key[128];
    for (int i = 0; i < 1030; i++) {
        rdss__narrow_key("10.0.0.2", 3306 + i, "db", key, sizeof(key));
        rdss__trust_unref(rdss__narrow_learn(embedded, key, anchor));
    }
    int remembered = 0;
    for (int i = 0; i < 1030; i++) {
        rdss__narrow_key("10.0.0.2", 3306 + i, "db", key, sizeof(key));
        rdss__trust *narrow = rdss__narrow_lookup(embedded, key);
        remembered += narrow != NULL;
        rdss__trust_unref(narrow);
    }
    assert_int_equal(remembered, 1024);
    rdss__narrow_key("10.0.0.2", 3306, "db", key, sizeof(key));
    rdss__trust *oldest = rdss__narrow_lookup(embedded, key);
    assert_null(oldest); /* learned first, never used since: evicted */
    rdss__trust_unref(embedded);
}

static int open_descriptors(void)
{
    int count = 0;
    for (int fd = 0; fd < 4096; fd++)
        count += fcntl(fd, F_GETFD) != -1;
    return count;
}

/* Two hundred endpoints anchored by two roots: every one is remembered, and
 * they share two narrowed trusts (two CA files), not two hundred. */
static void endpoints_of_one_anchor_share_its_file(void **state)
{
    (void)state;
    rdss__trust *embedded = NULL;
    assert_int_equal(rdss__trust_embedded(&embedded, NULL), RDSS_OK);
    STACK_OF(X509) *certs = rdss__trust_certs(embedded);
    X509 *anchors[2] = {sk_X509_value(certs, 7), sk_X509_value(certs, 8)};
    char key[128];
    rdss__trust *first[2] = {NULL, NULL};
    int before = open_descriptors();
    for (int i = 0; i < 200; i++) {
        char host[64];
        snprintf(host, sizeof(host), "tenant%d.example.com", i);
        rdss__narrow_key(host, 5432, "", key, sizeof(key));
        rdss__trust *narrow = rdss__narrow_learn(embedded, key, anchors[i % 2]);
        assert_non_null(narrow);
        assert_non_null(rdss__trust_ca_file(narrow));
        if (first[i % 2] == NULL)
            first[i % 2] = rdss__trust_ref(narrow);
        assert_ptr_equal(narrow, first[i % 2]);
        rdss__trust_unref(narrow);
    }
    assert_ptr_not_equal(first[0], first[1]);
    assert_int_equal(open_descriptors(), before + 2);
    for (int i = 0; i < 200; i++) {
        char host[64];
        snprintf(host, sizeof(host), "tenant%d.example.com", i);
        rdss__narrow_key(host, 5432, "", key, sizeof(key));
        rdss__trust *narrow = rdss__narrow_lookup(embedded, key);
        assert_ptr_equal(narrow, first[i % 2]);
        rdss__trust_unref(narrow);
        rdss__narrow_forget(embedded, key);
        assert_null(rdss__narrow_lookup(embedded, key));
    }
    rdss__trust_unref(first[0]);
    rdss__trust_unref(first[1]);
    rdss__trust_unref(embedded);
}

/* A trust of five embedded roots, starting at `first`. */
static rdss__trust *five_roots(STACK_OF(X509) *roots, int first)
{
    BIO *bio = BIO_new(BIO_s_mem());
    for (int i = first; i < first + 5; i++)
        PEM_write_bio_X509(bio, sk_X509_value(roots, i));
    char *pem = NULL;
    long len = BIO_get_mem_data(bio, &pem);
    rdss__trust *trust = NULL;
    assert_int_equal(rdss__trust_from_pem(pem, (size_t)len, "five", &trust, NULL), RDSS_OK);
    BIO_free(bio);
    return trust;
}

/* A hundred trusts, each a different bundle, each with a learned endpoint:
 * the endpoints are remembered, the CA files stay at most 64 (a descriptor
 * each; a process must keep descriptors for its sockets), and an endpoint
 * whose file went is simply unknown again. */
static void files_are_bounded_whatever_the_trusts(void **state)
{
    (void)state;
    rdss__trust *embedded = NULL;
    assert_int_equal(rdss__trust_embedded(&embedded, NULL), RDSS_OK);
    STACK_OF(X509) *roots = rdss__trust_certs(embedded);
    rdss__trust *trusts[100];
    for (int i = 0; i < 100; i++)
        trusts[i] = five_roots(roots, i); /* each with its own CA file */
    int before = open_descriptors();
    char key[128];
    rdss__narrow_key("shared.example.com", 5432, "", key, sizeof(key));
    for (int i = 0; i < 100; i++)
        rdss__trust_unref(rdss__narrow_learn(trusts[i], key, sk_X509_value(roots, i + 2)));
    assert_true(open_descriptors() <= before + 64);
    int known = 0;
    for (int i = 0; i < 100; i++) {
        rdss__trust *narrow = rdss__narrow_lookup(trusts[i], key);
        known += narrow != NULL;
        if (narrow != NULL)
            assert_int_equal(X509_cmp(sk_X509_value(rdss__trust_certs(narrow), 0), sk_X509_value(roots, i + 2)), 0);
        rdss__trust_unref(narrow);
    }
    assert_int_equal(known, 64); /* the newest files' endpoints */
    for (int i = 0; i < 100; i++) {
        rdss__narrow_forget(trusts[i], key);
        rdss__trust_unref(trusts[i]);
    }
    rdss__trust_unref(embedded);
}

/* Two trusts with the same root, one with an intermediate under it: each
 * trust's file is its own (the other's intermediate never joins it). */
static void a_file_is_never_another_trusts(void **state)
{
    (void)state;
    rdss__trust *embedded = NULL;
    assert_int_equal(rdss__trust_embedded(&embedded, NULL), RDSS_OK);
    STACK_OF(X509) *roots = rdss__trust_certs(embedded);
    tc_cert root = tc_make("Shared Root", 1, -1, 365, NULL);
    tc_cert intermediate = tc_make("Its Intermediate", 1, -1, 365, &root);
    BIO *with = BIO_new(BIO_s_mem()), *without = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(with, root.cert);
    PEM_write_bio_X509(with, intermediate.cert);
    PEM_write_bio_X509(without, root.cert);
    for (int i = 10; i < 14; i++) {
        PEM_write_bio_X509(with, sk_X509_value(roots, i));
        PEM_write_bio_X509(without, sk_X509_value(roots, i));
    }
    char *pem = NULL;
    long len = BIO_get_mem_data(with, &pem);
    rdss__trust *a = NULL, *b = NULL;
    assert_int_equal(rdss__trust_from_pem(pem, (size_t)len, "with", &a, NULL), RDSS_OK);
    len = BIO_get_mem_data(without, &pem);
    assert_int_equal(rdss__trust_from_pem(pem, (size_t)len, "without", &b, NULL), RDSS_OK);
    char key_a[128], key_b[128];
    rdss__narrow_key("a.example.com", 5432, "", key_a, sizeof(key_a));
    rdss__narrow_key("b.example.com", 5432, "", key_b, sizeof(key_b));
    rdss__trust *narrow_a = rdss__narrow_learn(a, key_a, root.cert);
    rdss__trust *narrow_b = rdss__narrow_learn(b, key_b, root.cert);
    assert_int_equal(sk_X509_num(rdss__trust_certs(narrow_a)), 2); /* the root and its intermediate */
    assert_int_equal(sk_X509_num(rdss__trust_certs(narrow_b)), 1); /* the root alone */
    rdss__trust_unref(narrow_a);
    rdss__trust_unref(narrow_b);
    rdss__narrow_forget(a, key_a);
    rdss__narrow_forget(b, key_b);
    rdss__trust_unref(a);
    rdss__trust_unref(b);
    BIO_free(with);
    BIO_free(without);
    tc_cert_free(&intermediate);
    tc_cert_free(&root);
    rdss__trust_unref(embedded);
}

/* Two configs with other bundles on one endpoint keep an entry each, and
 * the same certificates read again (a new trust object) find theirs. */
static void one_entry_per_trust_content(void **state)
{
    (void)state;
    rdss__trust *embedded = NULL, *other = NULL, *other_again = NULL;
    assert_int_equal(rdss__trust_embedded(&embedded, NULL), RDSS_OK);
    STACK_OF(X509) *certs = rdss__trust_certs(embedded);
    BIO *bio = BIO_new(BIO_s_mem());
    for (int i = 1; i < 7; i++) /* six of the embedded roots: another bundle */
        PEM_write_bio_X509(bio, sk_X509_value(certs, i));
    char *pem = NULL;
    long len = BIO_get_mem_data(bio, &pem);
    assert_int_equal(rdss__trust_from_pem(pem, (size_t)len, "six", &other, NULL), RDSS_OK);
    assert_int_equal(rdss__trust_from_pem(pem, (size_t)len, "six again", &other_again, NULL), RDSS_OK);
    char key[128];
    rdss__narrow_key("10.0.0.9", 5432, "db", key, sizeof(key));
    rdss__trust_unref(rdss__narrow_learn(embedded, key, sk_X509_value(certs, 3)));
    rdss__trust_unref(rdss__narrow_learn(other, key, sk_X509_value(certs, 3)));
    rdss__trust *a = rdss__narrow_lookup(embedded, key), *b = rdss__narrow_lookup(other_again, key);
    assert_non_null(a); /* not evicted by the other trust's entry */
    assert_non_null(b); /* found under the same certificates */
    rdss__trust_unref(a);
    rdss__trust_unref(b);
    rdss__narrow_forget(other, key);
    assert_null(rdss__narrow_lookup(other_again, key));
    a = rdss__narrow_lookup(embedded, key);
    assert_non_null(a); /* forgetting one trust's entry leaves the other's */
    rdss__trust_unref(a);
    rdss__narrow_forget(embedded, key);
    BIO_free(bio);
    rdss__trust_unref(other);
    rdss__trust_unref(other_again);
    rdss__trust_unref(embedded);
}

static volatile int hammering;

/* Takes and releases the cache's lock as fast as it can, and never enters
 * OpenSSL: a fork while another thread is inside OpenSSL can leave one of
 * OpenSSL's locks held in the child (X509_STORE_new then hangs there), which
 * the library documents as outside its promise. */
static void *hammer(void *arg)
{
    rdss__trust *embedded = arg;
    char key[128];
    rdss__narrow_key("10.0.0.7", 5432, "db", key, sizeof(key));
    while (hammering)
        rdss__trust_unref(rdss__narrow_lookup(embedded, key));
    return NULL;
}

static int use_the_cache(void *arg)
{
    rdss__trust *embedded = arg;
    char key[128];
    rdss__narrow_key("10.0.0.7", 5432, "db", key, sizeof(key));
    rdss__trust *kept = rdss__narrow_lookup(embedded, key); /* the parent's entry came along */
    int found = kept != NULL;
    rdss__trust_unref(kept);
    rdss__trust_unref(rdss__narrow_learn(embedded, key, sk_X509_value(rdss__trust_certs(embedded), 4)));
    return found ? 0 : 1;
}

/* fork() while another thread works the cache: the child can use it (the
 * lock is not left held by a thread the child does not have). */
static void a_child_after_fork_can_use_the_cache(void **state)
{
    (void)state;
    rdss__trust *embedded = NULL;
    assert_int_equal(rdss__trust_embedded(&embedded, NULL), RDSS_OK);
    char key[128];
    rdss__narrow_key("10.0.0.7", 5432, "db", key, sizeof(key));
    rdss__trust_unref(rdss__narrow_learn(embedded, key, sk_X509_value(rdss__trust_certs(embedded), 2)));
    hammering = 1;
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, hammer, embedded), 0);
    int result = 0;
    for (int i = 0; i < 20 && result == 0; i++)
        result = run_in_child(use_the_cache, embedded, 10);
    hammering = 0;
    pthread_join(thread, NULL);
    rdss__narrow_forget(embedded, key);
    rdss__trust_unref(embedded);
    if (result < 0)
        fail_msg("a child after fork() hung on the anchor cache");
    if (result > 0)
        fail_msg("a child after fork() lost the parent's cache entry");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(learn_lookup_forget),
        cmocka_unit_test(bounded_least_recently_used_goes),
        cmocka_unit_test(one_entry_per_trust_content),
        cmocka_unit_test(endpoints_of_one_anchor_share_its_file),
        cmocka_unit_test(files_are_bounded_whatever_the_trusts),
        cmocka_unit_test(a_file_is_never_another_trusts),
        cmocka_unit_test(a_child_after_fork_can_use_the_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
