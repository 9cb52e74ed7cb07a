/* A program that loads librdssecure with dlopen(), connects to MySQL
 * through it, cleans up and dlclose()s it, then uses libmariadb directly.
 * libmariadb keeps the library's I/O callback for the process (it cannot
 * remove one reliably), so the library must stay mapped: it is linked
 * with -z nodelete. Without that, this program's last connect calls into
 * unmapped memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <mysql.h>
#include <stdlib.h>

#include <rdssecure/rdssecure.h>

#include "testenv.h"

#define MY(key) testenv("mariadb.env", key)

typedef rdss_config *(*config_new_fn)(void);
typedef rdss_code (*set_bundle_fn)(rdss_config *, const char *, rdss_error **);
typedef MYSQL *(*connect_fn)(const rdss_config *, MYSQL *, const char *, const char *, const char *,
                             const char *, unsigned int, const char *, unsigned long, rdss_error **);

static void *symbol(void *library, const char *name)
{
    void *found = dlsym(library, name);
    if (found == NULL)
        fail_msg("%s: %s", name, dlerror());
    return found;
}

static void unloaded_after_a_mysql_connect(void **state)
{
    (void)state;
    void *library = dlopen(RDSS_LIBRARY_PATH, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL)
        fail_msg("dlopen: %s", dlerror());
    rdss_config *cfg = ((config_new_fn)symbol(library, "rdss_config_new"))();
    assert_int_equal(((set_bundle_fn)symbol(library, "rdss_config_set_bundle_file"))(
                         cfg, testenv_pki("root.pem"), NULL),
                     RDSS_OK);
    unsigned port = (unsigned)atoi(MY("MY_PORT"));
    MYSQL *mysql = mysql_init(NULL);
    assert_non_null(((connect_fn)symbol(library, "rdss_mysql_connect"))(
        cfg, mysql, "127.0.0.1", MY("MY_USER"), MY("MY_PASSWORD"), MY("MY_DATABASE"), port, NULL, 0, NULL));
    mysql_close(mysql);
    ((void (*)(rdss_config *))symbol(library, "rdss_config_free"))(cfg);
    ((void (*)(void))symbol(library, "rdss_global_cleanup"))();
    assert_int_equal(dlclose(library), 0);
    /* libmariadb alone now: its I/O callbacks run on every write */
    mysql = mysql_init(NULL);
    mysql_real_connect(mysql, "127.0.0.1", MY("MY_USER"), "not the password", NULL, port, NULL, 0);
    assert_int_not_equal(mysql_errno(mysql), 0); /* refused, and still running */
    mysql_close(mysql);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(unloaded_after_a_mysql_connect)};
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    mysql_library_end();
    return failed;
}
