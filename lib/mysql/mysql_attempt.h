/* The MySQL adapter's connect attempt, and how libmariadb is driven
 * within the deadline (mysql_drive.c). Private to lib/mysql/. */
#ifndef RDSS__LIB_MYSQL_ATTEMPT_H
#define RDSS__LIB_MYSQL_ATTEMPT_H

#include <mysql.h>
#include <netdb.h>
#include <openssl/ssl.h>

#include "connect/connect.h"
#include "mysql/mysql_plan.h"
#include "net/watchdog.h"
#include "rdssecure/mysql.h"

struct rdss_mysql_attempt {
    rdss__connect core;
    MYSQL *mysql;
    rdss__mysql_plan plan;
    char *user, *password, *db; /* copies: libmariadb reads them until done */
    int driver_waits;           /* MYSQL_WAIT_* the driver asked for; 0 when not running */
    int (*callers_io_wait)(my_socket, my_bool, int); /* restored when done */
    int hooked;
    unsigned long client_flag;
    struct addrinfo *addresses; /* where the host resolved: the one lookup of the connect */
    const struct addrinfo *trying; /* the one libmariadb connects to now */
    char address[64];   /* its numeric form, libmariadb's host */
    rdss__watch *watch;  /* shuts the socket at the deadline (see watchdog.h) */
    int watched_fd;
    int tls_done;       /* libmariadb wrote over TLS: it had verified the server */
    MYSQL *connected;
    rdss_error *error;
};

/* Starts libmariadb's non-blocking connect to the address being tried, or
 * continues it; the MYSQL_WAIT_* it waits for, 0 when it is done. */
int rdss__mysql_drive_start(rdss_mysql_attempt *a, unsigned long client_flag);
int rdss__mysql_drive_cont(rdss_mysql_attempt *a, int ready_status);

/* Bounds the driver by the deadline (connect timeout, I/O wait hook, the
 * I/O callback); rdss__mysql_unhook gives the caller's I/O wait back. */
rdss_code rdss__mysql_hook(rdss_mysql_attempt *a);
void rdss__mysql_unhook(rdss_mysql_attempt *a);

/* Stops watching the socket (see watchdog.h). */
void rdss__mysql_unwatch(rdss_mysql_attempt *a);

/* The SSL object of a handle connected over TLS, or NULL. */
const SSL *rdss__mysql_ssl_of(const MYSQL *mysql);

#endif
