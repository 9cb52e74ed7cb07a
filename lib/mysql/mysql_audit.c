/* rdss_mysql_audit: does the MySQL or MariaDB server itself refuse plaintext? */
#include "rdssecure/mysql.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tls/audit.h"
#include "core/error.h"

/* The second column of a one-row result (SHOW ... LIKE), or the first of a
 * SELECT; copied into out. 0 when the query fails. */
static int value_of(MYSQL *mysql, const char *sql, unsigned column, char *out, size_t size)
{
    if (mysql_query(mysql, sql) != 0)
        return 0;
    MYSQL_RES *res = mysql_store_result(mysql);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    int found = row != NULL && mysql_num_fields(res) > column && row[column] != NULL;
    if (found)
        snprintf(out, size, "%s", row[column]);
    mysql_free_result(res);
    return found;
}

rdss_code rdss_mysql_audit(MYSQL *mysql, rdss_audit **out, rdss_error **err)
{
    if (out == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "rdss_mysql_audit: out is NULL");
    *out = NULL;
    if (mysql == NULL || mysql_get_ssl_cipher(mysql) == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "rdss_mysql_audit: not a MYSQL connected over TLS");
    char value[64], version[64] = "", cipher[128] = "";
    rdss_audit *audit;
    if (!value_of(mysql, "SELECT @@GLOBAL.require_secure_transport", 0, value, sizeof(value))) {
        audit = rdss__audit_new(RDSS__ENFORCED_UNKNOWN,
                                "the server has no require_secure_transport (MySQL before 5.7, "
                                "MariaDB before 10.5.2): it cannot refuse plaintext clients",
                                "require_secure_transport: not available (error %u)", mysql_errno(mysql));
    } else {
        int on = strcasecmp(value, "ON") == 0 || strcmp(value, "1") == 0;
        audit = rdss__audit_new(on ? RDSS__ENFORCED_YES : RDSS__ENFORCED_NO,
                                on ? NULL
                                   : "set require_secure_transport = ON (on RDS: in the DB parameter group)",
                                "require_secure_transport = %s", on ? "ON" : "OFF");
    }
    value_of(mysql, "SHOW SESSION STATUS LIKE 'Ssl_version'", 1, version, sizeof(version));
    value_of(mysql, "SHOW SESSION STATUS LIKE 'Ssl_cipher'", 1, cipher, sizeof(cipher));
    rdss__audit_set_session(audit, version, cipher);
    return rdss__audit_hand_over(audit, out, err);
}
