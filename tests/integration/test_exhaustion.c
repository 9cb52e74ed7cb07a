/* A process out of file descriptors: a connect is `internal`, with a
 * message that says what ran out; no crash, no hang. The one way to make the
 * library fail inside itself for real, without a fault injected into it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "child.h"

/* No descriptor left: the limit is what is open now, and the holes below
 * it are filled. */
static int use_up_descriptors(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 0;
    int highest = 0;
    for (int fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            highest = fd;
    limit.rlim_cur = (rlim_t)highest + 1;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 0;
    while (open("/dev/null", O_RDONLY) >= 0)
        ;
    return errno == EMFILE;
}

/* Exit status: 0 internal with a message, 1 something else, 2 the
 * descriptors could not be used up. */
static int pg_without_descriptors(void *unused)
{
    (void)unused;
    if (!use_up_descriptors())
        return 2;
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(NULL, "host=127.0.0.1 port=1 user=u dbname=d", &err);
    int ok = conn == NULL && rdss_error_code(err) == RDSS_ERR_INTERNAL && rdss_error_message(err)[0] != '\0';
    fprintf(stderr, "pg: %s: %s\n", rdss_error_name(rdss_error_code(err)), rdss_error_message(err));
    return ok ? 0 : 1;
}

static int mysql_without_descriptors(void *unused)
{
    (void)unused;
    MYSQL *mysql = mysql_init(NULL);
    if (mysql == NULL || !use_up_descriptors())
        return 2;
    rdss_error *err = NULL;
    MYSQL *connected = rdss_mysql_connect(NULL, mysql, "127.0.0.1", "u", "p", "d", 1, NULL, 0, &err);
    int ok = connected == NULL && rdss_error_code(err) == RDSS_ERR_INTERNAL && rdss_error_message(err)[0] != '\0';
    fprintf(stderr, "mysql: %s: %s\n", rdss_error_name(rdss_error_code(err)), rdss_error_message(err));
    return ok ? 0 : 1;
}

static void pg_connect_is_internal(void **state)
{
    (void)state;
    assert_int_equal(run_in_child(pg_without_descriptors, NULL, 20), 0);
}

static void mysql_connect_is_internal(void **state)
{
    (void)state;
    assert_int_equal(run_in_child(mysql_without_descriptors, NULL, 20), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pg_connect_is_internal),
        cmocka_unit_test(mysql_connect_is_internal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
