/* Driving libmariadb within the deadline. */
#include "mysql/mysql_attempt.h"

#include <errno.h>
/* libmariadb's installed pvio headers: with HAVE_TLS they declare the TLS
 * member, the one way to the SSL object (rdss__mysql_ssl_of). */
#define HAVE_TLS
typedef unsigned char uchar; /* ma_tls.h needs it before ma_pvio.h declares it */
#include <ma_pvio.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "core/error.h"
#include "net/resolve.h"

/* libmariadb 3.3 runs its TLS handshake on a blocking socket even in
 * non-blocking mode, and waits inside it with its own whole-second
 * timeouts. Three things keep that within our deadline: after the writes
 * made before TLS is up (the SSL request), the socket's receive and send
 * timeouts are set to what is left (libmariadb's I/O callback); the
 * driver's waits go through io_wait_within_deadline (MARIADB_OPT_IO_WAIT);
 * and the driver's connect timeout is the deadline rounded up to a second,
 * as a backstop. libmariadb resets the socket timeouts to the handle's own
 * once connected. */
static __thread rdss_mysql_attempt *driving;

static void bound_socket_timeouts(const rdss_mysql_attempt *a)
{
    int fd = (int)mysql_get_socket(a->mysql);
    long left = rdss__deadline_remaining_ms(a->core.deadline);
    if (fd < 0)
        return;
    if (left < 1)
        left = 1;
    struct timeval limit = {left / 1000, (left % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
}

/* Exported by libmariadb 3 (its ABI lists it) but in no installed header. */
int ma_pvio_register_callback(my_bool register_callback,
                              void (*callback)(int mode, MYSQL *mysql, const uchar *buffer,
                                               size_t length));

/* libmariadb is given the address the library resolved (it would otherwise
 * look the name up again, with no deadline), and checks the server's
 * certificate against mysql->host, which it copied from that argument when
 * the server's greeting came. Before the SSL request goes out, the host
 * becomes the name again: libmariadb's own check is then against the name,
 * on the connection that carries the login. (Without this step the check
 * would be against the address, which RDS certificates do not name: a
 * failure, never a weaker check.) */
static void name_the_host(rdss_mysql_attempt *a)
{
    MYSQL *mysql = a->mysql;
    if (a->plan.pinned || mysql->host == NULL || strcmp(mysql->host, a->plan.host) == 0)
        return;
    char *name = strdup(a->plan.host);
    free(mysql->host); /* libmariadb's own strdup, freed with free() when closed */
    /* out of memory: no host at all, which libmariadb refuses ("Invalid
     * (empty) hostname"), rather than a check against the address */
    mysql->host = name;
}

/* After each of the driver's writes. Before TLS is up, the next write is
 * the SSL request, which the blocking handshake follows: bound the socket
 * then, not after every read and write (each bound is two system calls).
 * A write over TLS means the handshake and libmariadb's checks of the
 * server passed (it writes nothing before they do): from then on an error
 * number is the verified server's. */
static void after_driver_io(int mode, MYSQL *mysql, const uchar *buffer, size_t length)
{
    (void)buffer, (void)length;
    if (driving == NULL || driving->mysql != mysql || mode != 1 || mysql->net.pvio == NULL)
        return;
    if (mysql->net.pvio->ctls == NULL) {
        bound_socket_timeouts(driving);
        name_the_host(driving);
    } else {
        driving->tls_done = 1;
    }
}

/* The socket the driver uses now, watched until the deadline. */
static void watch_socket(rdss_mysql_attempt *a)
{
    int fd = (int)mysql_get_socket(a->mysql);
    if (fd < 0 || (a->watch != NULL && fd == a->watched_fd))
        return;
    rdss__watchdog_disarm(a->watch);
    a->watch = rdss__watchdog_arm(fd, a->core.deadline);
    a->watched_fd = fd;
}

void rdss__mysql_unwatch(rdss_mysql_attempt *a)
{
    rdss__watchdog_disarm(a->watch);
    a->watch = NULL;
}

static pthread_once_t callback_once = PTHREAD_ONCE_INIT;

/* Process-wide and never removed, not even by rdss_global_cleanup():
 * libmariadb 3.3 cannot take a callback off its list reliably (its
 * unregister loses the list head when it removes the first entry).
 * Outside our connects it does nothing. */
static void register_io_callback(void)
{
    ma_pvio_register_callback(1, after_driver_io);
}

static int io_wait_within_deadline(my_socket fd, my_bool is_read, int timeout_ms)
{
    long wait = timeout_ms > 0 ? timeout_ms : -1;
    if (driving != NULL) {
        long left = rdss__deadline_remaining_ms(driving->core.deadline);
        if (wait < 0 || left < wait)
            wait = left;
    }
    struct pollfd pfd = {(int)fd, is_read ? POLLIN : POLLOUT, 0};
    int ready;
    do
        ready = poll(&pfd, 1, (int)wait);
    while (ready < 0 && errno == EINTR);
    return ready;
}

int rdss__mysql_drive_start(rdss_mysql_attempt *a, unsigned long client_flag)
{
    /* a new socket: it may get the old one's number, which the watch would
     * then take for the socket it already watches */
    rdss__mysql_unwatch(a);
    rdss__address_text(a->trying->ai_addr, a->address, sizeof(a->address));
    driving = a;
    int waits = mysql_real_connect_start(&a->connected, a->mysql, a->address, a->user,
                                         a->password, a->db, a->plan.port, NULL, client_flag);
    driving = NULL;
    return waits;
}

int rdss__mysql_drive_cont(rdss_mysql_attempt *a, int ready_status)
{
    watch_socket(a);
    driving = a;
    int waits = mysql_real_connect_cont(&a->connected, a->mysql, ready_status);
    driving = NULL;
    return waits;
}

void rdss__mysql_unhook(rdss_mysql_attempt *a)
{
    if (a->hooked)
        mysql_optionsv(a->mysql, MARIADB_OPT_IO_WAIT, a->callers_io_wait);
    a->hooked = 0;
}

rdss_code rdss__mysql_hook(rdss_mysql_attempt *a)
{
    unsigned int seconds = (unsigned int)((rdss__deadline_remaining_ms(a->core.deadline) + 999) / 1000);
    if (seconds == 0)
        seconds = 1;
    unsigned int callers = a->mysql->options.connect_timeout;
    if ((callers == 0 || callers > seconds) &&
        mysql_optionsv(a->mysql, MYSQL_OPT_CONNECT_TIMEOUT, &seconds) != 0)
        return rdss__fail(&a->error, RDSS_ERR_INTERNAL, "libmariadb refused the connect timeout");
    if (mysql_get_optionv(a->mysql, MARIADB_OPT_IO_WAIT, &a->callers_io_wait) != 0 ||
        mysql_optionsv(a->mysql, MARIADB_OPT_IO_WAIT, io_wait_within_deadline) != 0)
        return rdss__fail(&a->error, RDSS_ERR_INTERNAL, "libmariadb refused the I/O wait hook");
    a->hooked = 1;
    pthread_once(&callback_once, register_io_callback);
    return RDSS_OK;
}

/* libmariadb's public pvio headers are the one way to its SSL object. */
const SSL *rdss__mysql_ssl_of(const MYSQL *mysql)
{
    if (mysql == NULL || mysql->net.pvio == NULL || mysql->net.pvio->ctls == NULL)
        return NULL;
    return mysql->net.pvio->ctls->ssl;
}

