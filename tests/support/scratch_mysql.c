#include "scratch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <mysql.h>

#include "testenv.h"

#define SCRATCH(key) testenv("mariadb_scratch.env", key)

/* The scratch server's root, over its Unix socket, having run `sql`. */
static MYSQL *admin_query(const char *sql)
{
    MYSQL *mysql = mysql_init(NULL);
    unsigned socket_protocol = MYSQL_PROTOCOL_SOCKET;
    mysql_optionsv(mysql, MYSQL_OPT_PROTOCOL, &socket_protocol);
    if (!mysql_real_connect(mysql, "localhost", "root", NULL, NULL, 0, SCRATCH("MY_SOCKET"), 0))
        fail_msg("admin connection: %s", mysql_error(mysql));
    if (mysql_query(mysql, sql) != 0)
        fail_msg("%s: %s", sql, mysql_error(mysql));
    return mysql;
}

void scratch_mysql_admin(const char *sql)
{
    mysql_close(admin_query(sql));
}

long scratch_mysql_number(const char *sql)
{
    MYSQL *mysql = admin_query(sql);
    MYSQL_RES *result = mysql_store_result(mysql);
    MYSQL_ROW row = result ? mysql_fetch_row(result) : NULL;
    if (row == NULL || row[0] == NULL)
        fail_msg("%s: no result", sql);
    long n = atol(row[0]);
    mysql_free_result(result);
    mysql_close(mysql);
    return n;
}

/* Installs leaf (+ the rest of its chain) as the server's certificate. */
void scratch_mysql_serve(const tc_cert *leaf, const tc_cert *chain_rest)
{
    tc_cert both[2] = {*leaf, chain_rest ? *chain_rest : *leaf};
    scratch_mysql_serve_chain(both, chain_rest ? 2 : 1);
}

void scratch_mysql_serve_chain(const tc_cert *certs, int n)
{
    tc_install_server_chain(SCRATCH("MY_BASE"), SCRATCH("MY_SERVER_USER"), certs, n);
    scratch_mysql_admin("FLUSH SSL"); /* new connections get the new certificate */
}


int scratch_mysql_restore(void **state)
{
    (void)state;
    scratch_mysql_admin("SET GLOBAL require_secure_transport = OFF");
    scratch_mysql_admin("SET GLOBAL general_log = OFF");
    scratch_mysql_admin("SET GLOBAL log_output = 'FILE'");
    tc_cert leaf = tc_load(testenv_pki("server.pem"), testenv_pki("server.key"));
    tc_cert sub = tc_load(testenv_pki("sub.pem"), testenv_pki("sub.key"));
    scratch_mysql_serve(&leaf, &sub);
    tc_cert_free(&leaf);
    tc_cert_free(&sub);
    return 0;
}

int scratch_both_restore(void **state)
{
    scratch_pg_restore(state);
    return scratch_mysql_restore(state);
}
