#include "tls/classify.h"

#include <ctype.h>
#include <string.h>

static int is_sqlstate_char(char c)
{
    return isdigit((unsigned char)c) || (c >= 'A' && c <= 'Z');
}

int rdss__find_sqlstate(const char *message, char out[6])
{
    if (message == NULL)
        return 0;
    /* verbose form: "<SEVERITY>:  <SQLSTATE>: <text>" */
    for (const char *p = strstr(message, ":  "); p != NULL; p = strstr(p + 1, ":  ")) {
        const char *code = p + 3;
        int ok = 1;
        for (int i = 0; i < 5 && ok; i++)
            ok = is_sqlstate_char(code[i]);
        if (ok && code[5] == ':') {
            memcpy(out, code, 5);
            out[5] = '\0';
            return 1;
        }
    }
    return 0;
}

rdss_code rdss__code_for_sqlstate(const char *sqlstate)
{
    return strncmp(sqlstate, "28", 2) == 0 ? RDSS_ERR_AUTH : RDSS_ERR_SERVER;
}

rdss_code rdss__code_for_mysql_errno(unsigned server_errno)
{
    switch (server_errno) {
    case 1044: /* ER_DBACCESS_DENIED_ERROR: this user may not use that database */
    case 1045: /* ER_ACCESS_DENIED_ERROR */
    case 1130: /* ER_HOST_NOT_PRIVILEGED: not from this host */
    case 1251: /* ER_NOT_SUPPORTED_AUTH_MODE */
    case 1698: /* ER_ACCESS_DENIED_NO_PASSWORD_ERROR */
    case 1820: /* ER_MUST_CHANGE_PASSWORD */
    case 1862: /* ER_MUST_CHANGE_PASSWORD_LOGIN */
    case 3118: /* MySQL: ER_ACCOUNT_HAS_BEEN_LOCKED */
    case 4151: /* MariaDB: ER_ACCOUNT_HAS_BEEN_LOCKED */
        return RDSS_ERR_AUTH;
    default:
        return RDSS_ERR_SERVER;
    }
}

int rdss__is_mysql_server_errno(unsigned error_number)
{
    /* 2000-2999 are the client library's, 5000-5999 Connector/C's own */
    return (error_number >= 1000 && error_number < 2000) ||
           (error_number >= 3000 && error_number < 5000) || error_number >= 6000;
}
