/* What the server fixtures wrote for the tests (ENVDIR/<server>.env and the
 * test PKI in ENVDIR/pki). ENVDIR is RDSS_TESTENV_DIR, fixed at build time. */
#ifndef RDSS_TEST_TESTENV_H
#define RDSS_TEST_TESTENV_H

/* The value of `key` in ENVDIR/<file>; a static copy, or NULL. The test fails
 * (cmocka fail_msg) when the file is missing: its fixture did not run. */
const char *testenv(const char *file, const char *key);

/* ENVDIR/pki/<name>, as a static string (one slot per call site is enough:
 * it rotates over 8 buffers). */
const char *testenv_pki(const char *name);

#include <time.h>

/* Seconds on the monotonic clock since *start (for deadline bounds). */
double seconds_since(const struct timespec *start);

/* How many of this process's descriptors are memfds whose name starts with
 * `name` ("" for all: the library's CA files are "ca.pem", its empty file
 * another). */
int count_memfds(const char *name);

/* An rdss_log_fn for tests: counts the messages and keeps the first. */
typedef struct test_log {
    int count;
    char first[512];
} test_log;
void test_log_collect(void *user, const char *message);

#endif
