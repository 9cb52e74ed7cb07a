#include "tls/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls/classify.h"
#include "core/error.h"
#include "core/process.h"
#include "net/resolve.h"
#include "tls/verify.h"

/* A non-blocking TCP connection to addr within the deadline; -1 with the
 * verdict in *code and *err on failure. */
static int connect_tcp(const struct addrinfo *addr, const char *host, int port,
                       rdss__deadline deadline, rdss_code *code, rdss_error **err)
{
    char address[64];
    rdss__address_text(addr->ai_addr, address, sizeof(address));
    int fd = socket(addr->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *code = rdss__fail(err, RDSS_ERR_INTERNAL, "cannot create a socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int failure = 0;
    if (connect(fd, addr->ai_addr, addr->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            failure = errno;
        } else {
            int ready = rdss__wait_fd(fd, 1, deadline);
            socklen_t len = sizeof(failure);
            if (ready == 0) {
                close(fd);
                *code = rdss__fail(err, RDSS_ERR_TIMEOUT,
                                   "TCP connect to %s (%s) port %d did not finish before the deadline",
                                   host, address, port);
                return -1;
            }
            if (ready < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &len) != 0)
                failure = errno;
        }
    }
    if (failure != 0) {
        close(fd);
        *code = rdss__fail(err, RDSS_ERR_NETWORK, "cannot connect to %s (%s) port %d: %s", host,
                           address, port, strerror(failure));
        return -1;
    }
    return fd;
}

static rdss_code send_all(int fd, const unsigned char *data, size_t len, rdss__deadline deadline,
                          const char *host, rdss_error **err)
{
    while (len > 0) {
        ssize_t sent = send(fd, data, len, MSG_NOSIGNAL);
        if (sent > 0) {
            data += sent;
            len -= (size_t)sent;
            continue;
        }
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            int ready = rdss__wait_fd(fd, 1, deadline);
            if (ready == 0)
                return rdss__fail(err, RDSS_ERR_TIMEOUT, "sending to %s did not finish before the deadline", host);
            if (ready > 0)
                continue;
        }
        return rdss__fail(err, RDSS_ERR_NETWORK, "connection to %s failed while sending: %s", host,
                          strerror(errno));
    }
    return RDSS_OK;
}

/* Reads exactly len bytes within the deadline. */
static rdss_code read_exact(int fd, unsigned char *out, size_t len, rdss__deadline deadline,
                            const char *host, const char *waiting_for, rdss_error **err)
{
    while (len > 0) {
        ssize_t got = recv(fd, out, len, 0);
        if (got > 0) {
            out += got;
            len -= (size_t)got;
            continue;
        }
        if (got == 0)
            return rdss__fail(err, RDSS_ERR_NETWORK, "%s closed the connection before %s", host,
                              waiting_for);
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return rdss__fail(err, RDSS_ERR_NETWORK, "connection to %s failed before %s: %s", host,
                              waiting_for, strerror(errno));
        int ready = rdss__wait_fd(fd, 0, deadline);
        if (ready == 0)
            return rdss__fail(err, RDSS_ERR_TIMEOUT, "%s did not answer before the deadline (waiting for %s)",
                              host, waiting_for);
        if (ready < 0)
            return rdss__fail(err, RDSS_ERR_NETWORK, "connection to %s failed: %s", host, strerror(errno));
    }
    return RDSS_OK;
}

/* PostgreSQL's pre-TLS step: SSLRequest, then 'S' (go ahead) or 'N' (no TLS). */
static rdss_code pg_request_tls(int fd, const char *host, rdss__deadline deadline, rdss_error **err)
{
    static const unsigned char ssl_request[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
    rdss_code code = send_all(fd, ssl_request, sizeof(ssl_request), deadline, host, err);
    if (code != RDSS_OK)
        return code;
    unsigned char answer = 0;
    code = read_exact(fd, &answer, 1, deadline, host, "answering the TLS request", err);
    return code == RDSS_OK ? rdss__pg_check_answer(answer, host, err) : code;
}

rdss_code rdss__pg_check_answer(unsigned char answer, const char *host, rdss_error **err)
{
    if (answer == 'S')
        return RDSS_OK;
    if (answer == 'N')
        return rdss__fail(err, RDSS_ERR_TLS_REFUSED,
                          "%s does not offer TLS (it answered N to SSLRequest): enable ssl on the "
                          "server (on RDS, TLS is always available; check the endpoint and port)",
                          host);
    if (answer == 'E')
        return rdss__fail(err, RDSS_ERR_TLS_REFUSED,
                          "%s answered the TLS request with an error, before TLS (too many "
                          "connections, or not the server it claims to be)", host);
    return rdss__fail(err, RDSS_ERR_TLS_REFUSED,
                      "%s answered the TLS request with 0x%02x, not 'S': not a PostgreSQL server "
                      "offering TLS", host, answer);
}

enum {
    MY_CLIENT_LONG_PASSWORD = 0x1,
    MY_CLIENT_PROTOCOL_41 = 0x200,
    MY_CLIENT_SSL = 0x800,
    MY_CLIENT_SECURE_CONNECTION = 0x8000,
    MY_HANDSHAKE_MAX = 64 * 1024,
};

/* A server's error packet in place of the handshake (too many connections,
 * host blocked): errno and text, before any TLS, so nobody's verified word:
 * tls_refused, never auth or server, whatever the number says. */
static rdss_code mysql_early_error(const unsigned char *p, size_t len, const char *host, rdss_error **err)
{
    unsigned server_errno = len >= 3 ? (unsigned)(p[1] | p[2] << 8) : 0;
    size_t text = len > 9 && p[3] == '#' ? 9 : 3;
    int text_len = len > text ? (int)(len - text) : 0;
    rdss_code code = RDSS_ERR_TLS_REFUSED; /* whatever the number says */
    return rdss__fail(err, code, "%s sent an error in place of its handshake, before TLS (error %u: %.*s)",
                      host, server_errno, text_len, (const char *)p + text);
}

rdss_code rdss__mysql_check_greeting(const unsigned char *p, size_t len, const char *host,
                                     rdss_error **err)
{
    if (len == 0)
        return rdss__fail(err, RDSS_ERR_TLS_REFUSED, "%s sent an empty first packet", host);
    if (p[0] == 0xff)
        return mysql_early_error(p, len, host, err);
    /* protocol 10: version, NUL, thread id (4), scramble (8), filler, caps (2) */
    const unsigned char *nul = memchr(p + 1, 0, len - 1);
    size_t caps_at = nul ? (size_t)(nul - p) + 1 + 4 + 8 + 1 : len;
    if (p[0] != 10 || caps_at + 2 > len)
        return rdss__fail(err, RDSS_ERR_TLS_REFUSED,
                          "%s did not send a MySQL handshake (protocol %u): is this a MySQL "
                          "or MariaDB port?", host, p[0]);
    if (!((p[caps_at] | p[caps_at + 1] << 8) & MY_CLIENT_SSL))
        return rdss__fail(err, RDSS_ERR_TLS_REFUSED,
                          "%s does not offer TLS (its handshake lacks CLIENT_SSL): configure "
                          "ssl_cert and ssl_key on the server (on RDS, TLS is always "
                          "available; check the endpoint and port)", host);
    return RDSS_OK;
}

/* MySQL's pre-TLS step: the server speaks first with its handshake, whose
 * capability flags must include CLIENT_SSL; we answer with the short SSL
 * request (capabilities, no user name) and TLS starts. */
static rdss_code mysql_request_tls(int fd, const char *host, rdss__deadline deadline, rdss_error **err)
{
    unsigned char header[4];
    rdss_code code = read_exact(fd, header, 4, deadline, host, "the server's handshake", err);
    if (code != RDSS_OK)
        return code;
    size_t len = (size_t)header[0] | (size_t)header[1] << 8 | (size_t)header[2] << 16;
    if (len == 0 || len > MY_HANDSHAKE_MAX)
        return rdss__fail(err, RDSS_ERR_TLS_REFUSED,
                          "%s sent no MySQL handshake (a first packet of %zu bytes)", host, len);
    unsigned char *p = malloc(len);
    if (p == NULL)
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    code = read_exact(fd, p, len, deadline, host, "the server's handshake", err);
    if (code == RDSS_OK)
        code = rdss__mysql_check_greeting(p, len, host, err);
    free(p);
    if (code != RDSS_OK)
        return code;
    unsigned char request[4 + 32] = {32, 0, 0, (unsigned char)(header[3] + 1)};
    uint32_t caps = MY_CLIENT_LONG_PASSWORD | MY_CLIENT_PROTOCOL_41 | MY_CLIENT_SSL |
                    MY_CLIENT_SECURE_CONNECTION;
    for (int i = 0; i < 4; i++)
        request[4 + i] = (unsigned char)(caps >> (8 * i));
    request[4 + 7] = 1;  /* max packet 16 MiB, little-endian 0x01000000 */
    request[4 + 8] = 33; /* utf8_general_ci; the rest stays zero */
    return send_all(fd, request, sizeof(request), deadline, host, err);
}

/* Handshake failures that mean "no TLS we allow", as opposed to a broken
 * connection. */
static int is_refusal(unsigned long error)
{
    switch (ERR_GET_REASON(error)) {
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_TLSV1_ALERT_INSUFFICIENT_SECURITY:
    case SSL_R_LEGACY_SIGALG_DISALLOWED_OR_UNSUPPORTED: /* an old server at today's security level */
        return 1;
    default:
        return 0;
    }
}

/* OpenSSL's socket BIO writes with write(): a peer that has gone away
 * raises SIGPIPE, which kills an application that did not ignore it. Ours
 * sends with MSG_NOSIGNAL instead. */
static BIO_METHOD *nosigpipe_method; /* under nosigpipe_lock */
static pthread_mutex_t nosigpipe_lock = PTHREAD_MUTEX_INITIALIZER;

static int socket_of(BIO *bio)
{
    return (int)(intptr_t)BIO_get_data(bio);
}

static int nosigpipe_write(BIO *bio, const char *data, int len)
{
    BIO_clear_retry_flags(bio);
    ssize_t sent = send(socket_of(bio), data, (size_t)len, MSG_NOSIGNAL);
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(bio);
    return (int)sent;
}

static int nosigpipe_read(BIO *bio, char *out, int len)
{
    BIO_clear_retry_flags(bio);
    ssize_t got = recv(socket_of(bio), out, (size_t)len, 0);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(bio);
    return (int)got;
}

static long nosigpipe_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    (void)bio, (void)num, (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static void release_nosigpipe_method(void)
{
    pthread_mutex_lock(&nosigpipe_lock);
    BIO_meth_free(nosigpipe_method);
    nosigpipe_method = NULL;
    pthread_mutex_unlock(&nosigpipe_lock);
}

static void lock_method(void)
{
    pthread_mutex_lock(&nosigpipe_lock);
}

static void unlock_method(void)
{
    pthread_mutex_unlock(&nosigpipe_lock);
}

/* Not freed at exit: a probe still running in another thread uses it
 * without a reference. */
static const rdss__process_state process_bio_method = {"probe BIO method", release_nosigpipe_method, 1,
                                                       lock_method, unlock_method, unlock_method, 0};

/* Under nosigpipe_lock. */
static void make_nosigpipe_method(void)
{
    BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "rdssecure socket");
    if (method != NULL && BIO_meth_set_write(method, nosigpipe_write) &&
        BIO_meth_set_read(method, nosigpipe_read) && BIO_meth_set_ctrl(method, nosigpipe_ctrl))
        nosigpipe_method = method;
    else
        BIO_meth_free(method);
}

/* A BIO over fd that never raises SIGPIPE; the caller keeps the fd. */
static BIO *nosigpipe_bio(int fd)
{
    rdss__process_register(&process_bio_method);
    pthread_mutex_lock(&nosigpipe_lock);
    if (nosigpipe_method == NULL)
        make_nosigpipe_method();
    BIO *bio = nosigpipe_method ? BIO_new(nosigpipe_method) : NULL;
    pthread_mutex_unlock(&nosigpipe_lock);
    if (bio != NULL) {
        BIO_set_data(bio, (void *)(intptr_t)fd);
        BIO_set_init(bio, 1);
    }
    return bio;
}

/* Keeps what the handshake showed. */
static void record(SSL *ssl, rdss__probe_facts *facts)
{
    facts->tls_version = strdup(SSL_get_version(ssl));
    facts->cipher = strdup(SSL_get_cipher_name(ssl));
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    facts->chain = chain ? X509_chain_up_ref(chain) : NULL;
}

void rdss__probe_facts_free(rdss__probe_facts *facts)
{
    free(facts->tls_version);
    free(facts->cipher);
    sk_X509_pop_free(facts->chain, X509_free);
    X509_free(facts->anchor);
    memset(facts, 0, sizeof(*facts));
    facts->hostname = -1;
}

static rdss_code handshake_and_verify(int fd, const char *host, const char *verify_name,
                                      const rdss__trust *trust, rdss__deadline deadline,
                                      rdss__probe_facts *facts, rdss_error **err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    /* before SSL_new: a connection takes its minimum from the context once,
     * when it is made (set after, the probe spoke TLS 1.0) */
    int minimum_set = ctx != NULL && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL *ssl = minimum_set ? SSL_new(ctx) : NULL;
    BIO *bio = ssl ? nosigpipe_bio(fd) : NULL;
    if (bio == NULL) {
        BIO_free(bio);
        SSL_free(ssl);
        SSL_CTX_free(ctx);
        return rdss__fail(err, RDSS_ERR_INTERNAL, "cannot set up a TLS client");
    }
    SSL_set_bio(ssl, bio, bio); /* the SSL owns the BIO now */
    /* Verified below, by the same code that names the error; the probe
     * carries no credentials, so nothing is at stake before that. */
    SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
    unsigned char ip[16];
    if (inet_pton(AF_INET, verify_name, ip) != 1 && inet_pton(AF_INET6, verify_name, ip) != 1)
        SSL_set_tlsext_host_name(ssl, verify_name);
    ERR_clear_error();
    rdss_code code = RDSS_OK;
    for (;;) {
        int result = SSL_connect(ssl);
        if (result == 1)
            break;
        int reason = SSL_get_error(ssl, result);
        if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
            int ready = rdss__wait_fd(fd, reason == SSL_ERROR_WANT_WRITE, deadline);
            if (ready > 0)
                continue;
            code = ready == 0 ? rdss__fail(err, RDSS_ERR_TIMEOUT,
                                           "the TLS handshake with %s did not finish before the deadline", host)
                              : rdss__fail(err, RDSS_ERR_NETWORK, "connection to %s failed during the TLS handshake: %s",
                                           host, strerror(errno));
            break;
        }
        unsigned long error = ERR_peek_last_error();
        char detail[256] = "connection closed";
        if (error != 0)
            ERR_error_string_n(error, detail, sizeof(detail));
        if (error != 0 && is_refusal(error))
            code = rdss__fail(err, RDSS_ERR_TLS_REFUSED,
                              "%s rejected every TLS version and cipher we allow (TLS 1.2 or newer): %s",
                              host, detail);
        else
            code = rdss__fail(err, RDSS_ERR_NETWORK, "the TLS handshake with %s failed: %s", host, detail);
        break;
    }
    if (code == RDSS_OK) {
        X509 *anchor = NULL;
        code = rdss__verify_chain(trust, SSL_get_peer_cert_chain(ssl), verify_name, &anchor, err);
        if (facts != NULL) {
            record(ssl, facts);
            facts->anchor = anchor;
            facts->hostname = code == RDSS_OK ? 1 : code == RDSS_ERR_HOSTNAME_MISMATCH ? 0 : -1;
        } else {
            X509_free(anchor);
        }
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return code;
}

rdss_code rdss__probe_at(rdss_engine engine, const struct addrinfo *addresses, const char *host, int port,
                         const char *verify_name, const rdss__trust *trust, rdss__deadline deadline,
                         rdss__probe_facts *facts, rdss_error **err)
{
    if (facts != NULL)
        facts->hostname = -1;
    rdss_code code = RDSS_OK;
    int fd = -1;
    rdss_error *last = NULL;
    /* like the drivers: each address in turn until one accepts */
    for (const struct addrinfo *a = addresses; a != NULL && fd < 0; a = a->ai_next) {
        rdss_error_free(last);
        last = NULL;
        fd = connect_tcp(a, host, port, deadline, &code, &last);
        if (code == RDSS_ERR_TIMEOUT)
            break;
    }
    if (fd < 0 && last == NULL)
        return rdss__fail(err, RDSS_ERR_NETWORK, "\"%s\" resolved to no address", host);
    if (fd < 0)
        return rdss__hand_over(err, last);
    rdss_error_free(last);
    code = engine == RDSS_ENGINE_PG ? pg_request_tls(fd, host, deadline, err)
                                    : mysql_request_tls(fd, host, deadline, err);
    if (code == RDSS_OK)
        code = handshake_and_verify(fd, host, verify_name, trust, deadline, facts, err);
    close(fd);
    return code == RDSS_OK ? rdss__succeed(err) : code;
}

rdss_code rdss__probe(rdss_engine engine, const char *host, int port, const char *verify_name,
                      const rdss__trust *trust, rdss__deadline deadline, rdss__probe_facts *facts,
                      rdss_error **err)
{
    if (facts != NULL)
        facts->hostname = -1;
    struct addrinfo *addresses = NULL;
    rdss_code code = rdss__resolve(host, port, deadline, &addresses, err);
    if (code != RDSS_OK)
        return code;
    code = rdss__probe_at(engine, addresses, host, port, verify_name, trust, deadline, facts, err);
    freeaddrinfo(addresses);
    return code;
}
