/* Facts -> typed error, for what the probe cannot see: how the server
 * answered after TLS was verified. */
#ifndef RDSS__LIB_CLASSIFY_H
#define RDSS__LIB_CLASSIFY_H

#include "rdssecure/rdssecure.h"

/* Finds the SQLSTATE in a libpq message built with PQERRORS_VERBOSE
 * ("FATAL:  28P01: ..."; the code is the same in every language) and copies
 * it into out; 0 when there is none (the error was not the server's). */
int rdss__find_sqlstate(const char *message, char out[6]);

/* RDSS_ERR_AUTH for SQLSTATE class 28 (invalid authorization), else
 * RDSS_ERR_SERVER (unknown database, too many connections, ...). */
rdss_code rdss__code_for_sqlstate(const char *sqlstate);

/* The typed error for an error number a MySQL or MariaDB server sent
 * (below 2000 or from 3000; the client's own CR_ numbers are not
 * accepted here): RDSS_ERR_AUTH for rejected credentials, locked or
 * expired accounts and a host the user may not connect from, else
 * RDSS_ERR_SERVER (unknown database, too many connections, ...). */
rdss_code rdss__code_for_mysql_errno(unsigned server_errno);

/* Whether an error number is the server's (1000-1999, 3000 and up) rather
 * than one libmariadb made up itself (CR_*, 2000-2999). */
int rdss__is_mysql_server_errno(unsigned error_number);

#endif
