/* The MySQL adapter: plan (policy), connect with libmariadb's non-blocking
 * API within the deadline, classify failures from facts. */
#include "rdssecure/mysql.h"

#include <errmsg.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/error.h"
#include "core/last_error.h"
#include "mysql/mysql_attempt.h"
#include "mysql/mysql_uri.h"
#include "net/resolve.h"
#include "tls/classify.h"
#include "tls/tls_info.h"

static char *copy_or_null(const char *text, int *failed)
{
    char *copy = text ? strdup(text) : NULL;
    if (text != NULL && copy == NULL)
        *failed = 1;
    return copy;
}

static rdss_error *timeout_error(const rdss_mysql_attempt *a)
{
    return rdss__connect_timeout(&a->core, a->plan.host, (int)a->plan.port, NULL);
}

static rdss__endpoint endpoint_of(const rdss_mysql_attempt *a)
{
    return (rdss__endpoint){.host = a->plan.host, .addresses = a->addresses, .port = (int)a->plan.port,
                            .verify_name = a->plan.verify_name};
}

/* What libmariadb's failure means when the probe finds TLS to the server
 * fine (see rdss__connect_failed). */
static rdss_error *reading_if_tls_verifies(const rdss_mysql_attempt *a, unsigned number)
{
    if (rdss__is_mysql_server_errno(number))
        /* anyone on the path can send an error packet before TLS */
        return rdss__error_new(RDSS_ERR_TLS_REFUSED,
                               "%s port %u answered with MySQL error %u before TLS was set up; "
                               "nothing a server says before its certificate is verified is "
                               "trusted (a check just after found it offering TLS: try again)",
                               a->plan.host, a->plan.port, number);
    if (a->plan.pinned && number == CR_SSL_CONNECTION_ERROR)
        return rdss__error_new(RDSS_ERR_CERT_VERIFY,
                               "%s port %u presented another certificate to the connection than "
                               "to the check just before it (several servers behind one address, "
                               "or a certificate change): try again",
                               a->plan.host, a->plan.port);
    if (number == CR_SSL_CONNECTION_ERROR)
        /* our check (libpq's rules) passed, libmariadb's own host check
         * (OpenSSL's X509_check_host/_ip_asc) did not: the stricter
         * answer stands, e.g. an address only in the CN next to DNS SANs */
        return rdss__error_new(RDSS_ERR_HOSTNAME_MISMATCH,
                               "libmariadb's host-name check refused the certificate for \"%s\" "
                               "(OpenSSL's rules: an address must be an IP SAN; a name is not "
                               "matched against the CN when there are DNS SANs): connect by a name "
                               "the certificate lists, or use a verify-name",
                               a->plan.host);
    return rdss__error_new(RDSS_ERR_SERVER,
                           "TLS to the server verifies, but the connection failed after it "
                           "(client error %u; see the driver's message)", number);
}

/* Why the driver's connect failed (NULL: connect again, see
 * rdss__connect_failed). libmariadb's facts: the error number the server
 * sent (only after TLS was verified: with verification on, libmariadb
 * sends no credentials before) or its own; the core probes the same
 * addresses when they say nothing. */
static rdss_error *classify_failure(rdss_mysql_attempt *a)
{
    unsigned number = mysql_errno(a->mysql);
    char said[32] = "";
    rdss__driver_facts facts = {0};
    facts.timed_out = rdss__watchdog_fired(a->watch);
    facts.host = a->plan.host;
    facts.port = (int)a->plan.port;
    facts.driver_message = mysql_error(a->mysql);
    /* a retry could only use the fingerprint the first probe pinned */
    facts.may_retry = !a->plan.pinned && number == CR_SSL_CONNECTION_ERROR;
    if (rdss__is_mysql_server_errno(number) && a->tls_done) {
        facts.server_code = rdss__code_for_mysql_errno(number);
        snprintf(said, sizeof(said), "MySQL error %u", number);
        facts.server_said = said;
    } else if (number == CR_AUTH_PLUGIN_CANNOT_LOAD || number == CR_AUTH_PLUGIN_ERR) {
        facts.known = rdss__error_new(RDSS_ERR_AUTH,
                                      "TLS was verified, then authentication failed in this client "
                                      "(client error %u: the server asked for a plugin this client "
                                      "cannot use)", number);
    } else {
        facts.if_tls_verifies = reading_if_tls_verifies(a, number);
    }
    rdss__endpoint endpoint = endpoint_of(a);
    return rdss__connect_failed(&a->core, &endpoint, 1, &facts);
}

/* The driver's connect ended: connected, typed, or (a->driver_waits set)
 * started again with the CA file the core chose. */
static void finish(rdss_mysql_attempt *a)
{
    if (a->connected == NULL) {
        a->error = classify_failure(a);
        if (a->error == NULL) {
            a->tls_done = 0;
            if (rdss__mysql_plan_set_trust(a->mysql, &a->core)) { /* now the whole trust's file */
                a->driver_waits = rdss__mysql_drive_start(a, a->client_flag);
                return;
            }
            a->error = rdss__error_new(RDSS_ERR_INTERNAL, "libmariadb refused an option: %s",
                                       mysql_error(a->mysql));
        }
    }
    rdss__mysql_unhook(a);
    rdss__mysql_unwatch(a);
    if (a->connected != NULL && mysql_get_ssl_cipher(a->mysql) == NULL) {
        /* cannot happen with the options set; never hand out plaintext */
        a->connected = NULL;
        a->error = rdss__error_new(RDSS_ERR_INTERNAL, "libmariadb connected without TLS; refused");
    } else if (a->connected != NULL) {
        rdss__connect_succeeded(&a->core, a->plan.host, (int)a->plan.port, a->plan.verify_name,
                                rdss__mysql_ssl_of(a->mysql));
    }
    rdss__mysql_plan_restore(&a->plan, a->mysql, a->connected != NULL);
    rdss__connect_end(&a->core, a->error);
}

/* The server's address refused the TCP connection (or could not be
 * reached): the next address the name resolved to, as libmariadb itself
 * would have tried them. 1 when restarted. */
static int try_next_address(rdss_mysql_attempt *a)
{
    unsigned number = mysql_errno(a->mysql);
    if (a->connected != NULL || a->trying == NULL || a->trying->ai_next == NULL ||
        (number != CR_CONN_HOST_ERROR && number != CR_CONNECTION_ERROR) || rdss__deadline_passed(a->core.deadline))
        return 0;
    a->trying = a->trying->ai_next;
    a->tls_done = 0;
    a->driver_waits = rdss__mysql_drive_start(a, a->client_flag);
    return 1;
}

/* The deadline passed while the driver waits: end its connect at once.
 * Shutting the socket makes every pending read and write fail, and
 * MYSQL_WAIT_TIMEOUT ends the waits that honour it; the driver then unwinds
 * its own state and the handle is reusable, as after any failed connect. */
static void abandon(rdss_mysql_attempt *a)
{
    int fd = (int)mysql_get_socket(a->mysql);
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
    for (int round = 0; a->driver_waits != 0 && round < 64; round++)
        a->driver_waits = rdss__mysql_drive_cont(a, (a->driver_waits & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE)) |
                                            MYSQL_WAIT_TIMEOUT);
    rdss__mysql_unhook(a);
    rdss__mysql_unwatch(a);
    rdss__mysql_plan_restore(&a->plan, a->mysql, 0);
    a->connected = NULL; /* a completion now is past the deadline: the caller closes the handle */
    a->driver_waits = 0;
    a->error = timeout_error(a);
    rdss__connect_end(&a->core, a->error);
}

/* What the caller waits for next; 0 when done. */
static int next_wait(rdss_mysql_attempt *a)
{
    if (a->driver_waits == 0 && try_next_address(a))
        return next_wait(a); /* bounded: the addresses run out */
    if (a->driver_waits == 0) {
        finish(a);
        if (a->driver_waits == 0)
            return 0;
        return next_wait(a); /* connecting again: the core allows it once */
    }
    /* our deadline always wakes the caller */
    return (a->driver_waits & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE | MYSQL_WAIT_EXCEPT)) | MYSQL_WAIT_TIMEOUT;
}

/* SHA-1 of the leaf in libmariadb 3.3's fingerprint format (40 hex). */
static int fingerprint_of(X509 *leaf, char out[41])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (leaf == NULL || !X509_digest(leaf, EVP_sha1(), digest, &len) || len != 20)
        return 0;
    for (unsigned i = 0; i < len; i++)
        snprintf(out + 2 * (size_t)i, 3, "%02x", digest[i]);
    return 1;
}

/* Everything before the driver runs; RDSS_OK when it may start. */
static rdss_code prepare(rdss_mysql_attempt *a, const rdss_config *cfg, const char *host,
                         unsigned port, const char *unix_socket)
{
    rdss_code code = rdss__connect_begin(&a->core, RDSS_ENGINE_MYSQL, cfg, &a->error);
    if (code == RDSS_OK)
        code = rdss__mysql_plan_make(a->mysql, &a->core, cfg, host, port, unix_socket, &a->plan,
                                     &a->error);
    /* The one lookup, within the deadline: the probes and libmariadb use its
     * addresses (a name that does not resolve is typed before any I/O). */
    if (code == RDSS_OK)
        code = rdss__resolve(a->plan.host, (int)a->plan.port, a->core.deadline, &a->addresses, &a->error);
    if (code != RDSS_OK)
        return code;
    a->trying = a->addresses;
    /* With a verify-name, libmariadb checks the certificate against the
     * name it connects to: the probe verifies the name, and libmariadb is
     * pinned to the leaf the probe verified (see rdss__mysql_plan_apply). */
    char fingerprint[41] = "";
    X509 *leaf = NULL;
    rdss__endpoint endpoint = endpoint_of(a);
    code = rdss__connect_choose_anchor(&a->core, &endpoint, a->plan.pinned ? &leaf : NULL, 1, &a->error);
    int made = code == RDSS_OK && a->plan.pinned && fingerprint_of(leaf, fingerprint);
    X509_free(leaf);
    if (code != RDSS_OK)
        return code; /* typed by the probe: the driver could not have connected */
    if (a->plan.pinned && !made)
        return rdss__fail(&a->error, RDSS_ERR_INTERNAL, "cannot hash the server's certificate");
    code = rdss__mysql_plan_apply(&a->plan, a->mysql, &a->core, fingerprint, &a->error);
    return code == RDSS_OK ? rdss__mysql_hook(a) : code;
}

int rdss_mysql_connect_start(rdss_mysql_attempt **attempt, const rdss_config *cfg, MYSQL *mysql,
                             const char *host, const char *user, const char *passwd,
                             const char *db, unsigned int port, const char *unix_socket,
                             unsigned long client_flag)
{
    if (attempt == NULL)
        return 0;
    rdss_mysql_attempt *a = *attempt = calloc(1, sizeof(*a));
    if (a == NULL)
        return 0;
    a->plan.option_file.fd = -1;
    a->mysql = mysql;
    int failed = 0;
    a->user = copy_or_null(user, &failed);
    a->password = copy_or_null(passwd, &failed);
    a->db = copy_or_null(db, &failed);
    if (failed)
        rdss__fail(&a->error, RDSS_ERR_INTERNAL, "out of memory");
    if (failed || prepare(a, cfg, host, port, unix_socket) != RDSS_OK) {
        rdss__connect_end(&a->core, a->error);
        return 0;
    }
    a->client_flag = client_flag;
    a->driver_waits = rdss__mysql_drive_start(a, client_flag);
    return next_wait(a);
}

int rdss_mysql_connect_cont(rdss_mysql_attempt *a, int ready_status)
{
    if (a == NULL || a->driver_waits == 0)
        return 0;
    if (rdss__deadline_passed(a->core.deadline)) {
        abandon(a);
        return 0;
    }
    /* A timeout the driver did not ask for is only ours, and not yet due. */
    if ((ready_status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE | MYSQL_WAIT_EXCEPT)) == 0 &&
        !(a->driver_waits & MYSQL_WAIT_TIMEOUT))
        return next_wait(a);
    a->driver_waits = rdss__mysql_drive_cont(a, ready_status);
    return next_wait(a);
}

long rdss_mysql_connect_wait_ms(const rdss_mysql_attempt *a)
{
    if (a == NULL || a->driver_waits == 0)
        return 0;
    long left = rdss__deadline_remaining_ms(a->core.deadline);
    if (a->driver_waits & MYSQL_WAIT_TIMEOUT) {
        long driver = (long)mysql_get_timeout_value_ms(a->mysql);
        if (driver < left)
            left = driver;
    }
    return left;
}

MYSQL *rdss_mysql_connect_result(rdss_mysql_attempt *a, rdss_error **err)
{
    if (a == NULL) {
        rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory starting the connection");
        return NULL;
    }
    if (a->driver_waits != 0) {
        rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                   "rdss_mysql_connect_result: the connect has not finished (call "
                   "rdss_mysql_connect_cont until it returns 0)");
        return NULL;
    }
    if (a->connected != NULL) {
        rdss__succeed(err);
        return a->connected;
    }
    if (a->error == NULL) {
        rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                   "rdss_mysql_connect_result: the error was already handed over");
        return NULL;
    }
    rdss__hand_over(err, a->error);
    a->error = NULL;
    return NULL;
}

void rdss_mysql_attempt_free(rdss_mysql_attempt *a)
{
    if (a == NULL)
        return;
    if (a->driver_waits != 0)
        abandon(a);
    rdss__mysql_unwatch(a);
    if (a->addresses != NULL)
        freeaddrinfo(a->addresses);
    rdss__mysql_plan_free(&a->plan);
    rdss__connect_release(&a->core);
    if (a->password != NULL)
        OPENSSL_cleanse(a->password, strlen(a->password));
    free(a->user);
    free(a->password);
    free(a->db);
    rdss_error_free(a->error);
    free(a);
}

/* Waits as `waits` says, never past the attempt's deadline. */
static int wait_for_driver(rdss_mysql_attempt *a, int waits)
{
    struct pollfd pfd = {(int)mysql_get_socket(a->mysql), 0, 0};
    if (waits & MYSQL_WAIT_READ)
        pfd.events |= POLLIN;
    if (waits & MYSQL_WAIT_WRITE)
        pfd.events |= POLLOUT;
    if (waits & MYSQL_WAIT_EXCEPT)
        pfd.events |= POLLPRI;
    long wait_ms = rdss_mysql_connect_wait_ms(a);
    int ready = poll(&pfd, 1, (int)(wait_ms < 0 ? 0 : wait_ms));
    if (ready <= 0)
        return MYSQL_WAIT_TIMEOUT;
    int status = 0;
    if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
        status |= MYSQL_WAIT_READ;
    if (pfd.revents & (POLLOUT | POLLHUP | POLLERR))
        status |= MYSQL_WAIT_WRITE;
    if (pfd.revents & POLLPRI)
        status |= MYSQL_WAIT_EXCEPT;
    return status & (waits | MYSQL_WAIT_TIMEOUT) ? status : MYSQL_WAIT_TIMEOUT;
}

MYSQL *rdss_mysql_connect(const rdss_config *cfg, MYSQL *mysql, const char *host, const char *user,
                          const char *passwd, const char *db, unsigned int port,
                          const char *unix_socket, unsigned long client_flag, rdss_error **err)
{
    rdss_mysql_attempt *a = NULL;
    int waits = rdss_mysql_connect_start(&a, cfg, mysql, host, user, passwd, db, port, unix_socket,
                                         client_flag);
    while (waits != 0)
        waits = rdss_mysql_connect_cont(a, wait_for_driver(a, waits));
    MYSQL *connected = rdss_mysql_connect_result(a, err);
    rdss_mysql_attempt_free(a);
    return connected;
}

MYSQL *rdss_mysql_connect_uri(const rdss_config *cfg, MYSQL *mysql, const char *uri,
                              unsigned long client_flag, rdss_error **err)
{
    rdss__mysql_uri parsed;
    if (rdss__mysql_uri_parse(uri, &parsed, err) != RDSS_OK)
        return NULL;
    if (mysql == NULL) {
        rdss__mysql_uri_free(&parsed);
        rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "the MYSQL handle is NULL (call mysql_init first)");
        return NULL;
    }
    /* the URI's settings become the handle's, as if the caller had set them */
    if ((parsed.ssl_ca && mysql_optionsv(mysql, MYSQL_OPT_SSL_CA, parsed.ssl_ca)) ||
        (parsed.charset && mysql_optionsv(mysql, MYSQL_SET_CHARSET_NAME, parsed.charset))) {
        rdss__mysql_uri_free(&parsed);
        rdss__fail(err, RDSS_ERR_INTERNAL, "libmariadb refused an option: %s", mysql_error(mysql));
        return NULL;
    }
    MYSQL *connected = rdss_mysql_connect(cfg, mysql, parsed.host, parsed.user,
                                          parsed.password ? parsed.password : "", parsed.database,
                                          parsed.port, NULL, client_flag, err);
    if (parsed.password != NULL)
        OPENSSL_cleanse(parsed.password, strlen(parsed.password));
    rdss__mysql_uri_free(&parsed);
    return connected;
}

rdss_code rdss_mysql_uri_host_port(const char *uri, char *host, size_t host_size, unsigned int *port,
                                   rdss_error **err)
{
    if (host == NULL || host_size == 0 || port == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "rdss_mysql_uri_host_port: no room for the answer");
    rdss__mysql_uri parsed;
    rdss_code code = rdss__mysql_uri_parse(uri, &parsed, err);
    if (code != RDSS_OK)
        return code;
    snprintf(host, host_size, "%s", parsed.host);
    *port = parsed.port ? parsed.port : 3306;
    rdss__mysql_uri_free(&parsed);
    return RDSS_OK;
}

MYSQL *rdss_mysql_real_connect(MYSQL *mysql, const char *host, const char *user, const char *passwd,
                               const char *db, unsigned int port, const char *unix_socket,
                               unsigned long client_flag)
{
    rdss_error *e = NULL;
    MYSQL *connected = rdss_mysql_connect(NULL, mysql, host, user, passwd, db, port, unix_socket,
                                          client_flag, &e);
    rdss__set_last_error(e);
    return connected;
}

rdss_code rdss_mysql_tls_info(MYSQL *mysql, rdss_tls_info **out, rdss_error **err)
{
    if (out == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "rdss_mysql_tls_info: out is NULL");
    *out = NULL;
    const SSL *ssl = rdss__mysql_ssl_of(mysql);
    if (ssl == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                          "rdss_mysql_tls_info: not a MYSQL connected over TLS");
    return rdss__tls_info_from_ssl(ssl, out, err);
}
