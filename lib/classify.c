#include "classify.h"

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
