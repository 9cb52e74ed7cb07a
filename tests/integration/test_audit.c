/* The enforcement audit against real servers: PostgreSQL with only hostssl
 * lines (enforced), with a plaintext host line (not enforced), read by a
 * user who may not see pg_hba.conf (unknown); MariaDB with and without
 * require_secure_transport. rds.force_ssl exists only on RDS: not here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "certgen.h"
#include "testenv.h"

static rdss_config *cfg;

static PGconn *pg_connect(const char *env, const char *user_key)
{
    char info[512];
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%s user=%s password=%s dbname=postgres",
             testenv(env, "PG_PORT"), testenv(env, user_key), testenv(env, "PG_PASSWORD"));
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, info, &err);
    if (conn == NULL)
        fail_msg("%s", rdss_error_message(err));
    return conn;
}

static rdss_audit *pg_audit(const char *env, const char *user_key)
{
    PGconn *conn = pg_connect(env, user_key);
    rdss_audit *audit = NULL;
    assert_int_equal(rdss_pg_audit(conn, &audit, NULL), RDSS_OK);
    PQfinish(conn);
    assert_int_equal(strncmp(rdss_audit_server_tls_version(audit), "TLSv1.", 6), 0);
    assert_non_null(rdss_audit_server_cipher(audit));
    return audit;
}

static void postgres_with_only_hostssl_lines_is_enforced(void **state)
{
    (void)state;
    rdss_audit *audit = pg_audit("postgres.env", "PG_USER");
    assert_string_equal(rdss_audit_enforced(audit), "yes");
    assert_non_null(strstr(rdss_audit_evidence(audit), "hostssl"));
    assert_null(rdss_audit_reason(audit));
    rdss_audit_free(audit);
}

static void postgres_unreadable_rules_are_unknown(void **state)
{
    (void)state;
    rdss_audit *audit = pg_audit("postgres.env", "PG_NOHBA_USER");
    assert_string_equal(rdss_audit_enforced(audit), "unknown");
    assert_non_null(strstr(rdss_audit_reason(audit), "pg_hba_file_rules"));
    rdss_audit_free(audit);
}

static char hba_path[512];
static char *hba_original; /* what the teardown writes back */
static size_t hba_len;

static void reload_scratch_pg(void)
{
    char info[512]; /* reloading takes a superuser: over the Unix socket */
    snprintf(info, sizeof(info), "host=%s port=%s user=postgres dbname=postgres",
             testenv("postgres_scratch.env", "PG_SOCKET_DIR"), testenv("postgres_scratch.env", "PG_PORT"));
    PGconn *admin = PQconnectdb(info);
    PQclear(PQexec(admin, "SELECT pg_reload_conf()"));
    PQfinish(admin);
}

/* The scratch server's pg_hba.conf as it was, whatever the test did. */
static int restore_hba(void **state)
{
    (void)state;
    if (hba_original != NULL) {
        FILE *f = fopen(hba_path, "w");
        if (f != NULL) {
            fwrite(hba_original, 1, hba_len, f);
            fclose(f);
        }
        reload_scratch_pg();
        free(hba_original);
        hba_original = NULL;
    }
    return 0;
}

/* The scratch server gains a plaintext `host` line, then loses it again. */
static void postgres_with_a_plaintext_host_line_is_not_enforced(void **state)
{
    (void)state;
    char *path = hba_path;
    snprintf(hba_path, sizeof(hba_path), "%s/data/pg_hba.conf", testenv("postgres_scratch.env", "PG_BASE"));
    size_t len = 0;
    char *original = tc_read(path, &len);
    assert_non_null(original);
    hba_original = original;
    hba_len = len;
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs("host all all 127.0.0.2/32 scram-sha-256\n", f);
    fclose(f);
    char info[512]; /* reloading takes a superuser: over the Unix socket */
    snprintf(info, sizeof(info), "host=%s port=%s user=postgres dbname=postgres",
             testenv("postgres_scratch.env", "PG_SOCKET_DIR"), testenv("postgres_scratch.env", "PG_PORT"));
    PGconn *admin = PQconnectdb(info);
    assert_int_equal(PQstatus(admin), CONNECTION_OK);
    PQclear(PQexec(admin, "SELECT pg_reload_conf()"));
    rdss_audit *audit = NULL;
    for (int i = 0; i < 100; i++) { /* until the reload has taken effect */
        rdss_audit_free(audit);
        audit = pg_audit("postgres_scratch.env", "PG_USER");
        if (strcmp(rdss_audit_enforced(audit), "no") == 0)
            break;
    }
    assert_string_equal(rdss_audit_enforced(audit), "no");
    assert_non_null(strstr(rdss_audit_evidence(audit), "host all all 127.0.0.2"));
    assert_non_null(strstr(rdss_audit_reason(audit), "hostssl"));
    rdss_audit_free(audit);
    PQfinish(admin); /* pg_hba.conf is restored in the teardown */
}

static rdss_audit *mysql_audit(const char *env)
{
    MYSQL *mysql = mysql_init(NULL);
    rdss_error *err = NULL;
    if (rdss_mysql_connect(cfg, mysql, "127.0.0.1", testenv(env, "MY_USER"), testenv(env, "MY_PASSWORD"),
                           testenv(env, "MY_DATABASE"), (unsigned)atoi(testenv(env, "MY_PORT")), NULL, 0,
                           &err) == NULL)
        fail_msg("%s", rdss_error_message(err));
    rdss_audit *audit = NULL;
    assert_int_equal(rdss_mysql_audit(mysql, &audit, NULL), RDSS_OK);
    mysql_close(mysql);
    assert_int_equal(strncmp(rdss_audit_server_tls_version(audit), "TLSv1.", 6), 0);
    assert_non_null(rdss_audit_server_cipher(audit));
    return audit;
}

static void mariadb_admin(const char *sql)
{
    MYSQL *mysql = mysql_init(NULL);
    unsigned socket_protocol = MYSQL_PROTOCOL_SOCKET;
    mysql_optionsv(mysql, MYSQL_OPT_PROTOCOL, &socket_protocol);
    if (!mysql_real_connect(mysql, "localhost", "root", NULL, NULL, 0,
                            testenv("mariadb_scratch.env", "MY_SOCKET"), 0))
        fail_msg("admin: %s", mysql_error(mysql));
    assert_int_equal(mysql_query(mysql, sql), 0);
    mysql_close(mysql);
}

static int restore_secure_transport(void **state)
{
    (void)state;
    mariadb_admin("SET GLOBAL require_secure_transport = OFF");
    return 0;
}

static void mariadb_with_and_without_require_secure_transport(void **state)
{
    (void)state;
    rdss_audit *audit = mysql_audit("mariadb_scratch.env");
    assert_string_equal(rdss_audit_enforced(audit), "no");
    assert_string_equal(rdss_audit_evidence(audit), "require_secure_transport = OFF");
    assert_non_null(strstr(rdss_audit_reason(audit), "require_secure_transport = ON"));
    rdss_audit_free(audit);
    mariadb_admin("SET GLOBAL require_secure_transport = ON");
    audit = mysql_audit("mariadb_scratch.env");
    assert_string_equal(rdss_audit_enforced(audit), "yes");
    assert_string_equal(rdss_audit_evidence(audit), "require_secure_transport = ON");
    rdss_audit_free(audit);
    mariadb_admin("SET GLOBAL require_secure_transport = OFF");
}

static void an_unconnected_handle_is_invalid(void **state)
{
    (void)state;
    rdss_audit *audit = NULL;
    rdss_error *err = NULL;
    assert_int_equal(rdss_pg_audit(NULL, &audit, &err), RDSS_ERR_INVALID_ARGUMENT);
    rdss_error_free(err);
    MYSQL *mysql = mysql_init(NULL);
    assert_int_equal(rdss_mysql_audit(mysql, &audit, NULL), RDSS_ERR_INVALID_ARGUMENT);
    assert_null(audit);
    mysql_close(mysql);
}

int main(void)
{
    cfg = rdss_config_new();
    if (rdss_config_set_bundle_file(cfg, testenv_pki("root.pem"), NULL) != RDSS_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(postgres_with_only_hostssl_lines_is_enforced),
        cmocka_unit_test(postgres_unreadable_rules_are_unknown),
        cmocka_unit_test_teardown(postgres_with_a_plaintext_host_line_is_not_enforced, restore_hba),
        cmocka_unit_test_teardown(mariadb_with_and_without_require_secure_transport, restore_secure_transport),
        cmocka_unit_test(an_unconnected_handle_is_invalid),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    rdss_config_free(cfg);
    mysql_library_end();
    return failed;
}
