#include "fake_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct fake_server {
    fake_mode mode;
    int listener;
    int port;
    int stop_pipe[2];
    pthread_t thread;
    pthread_mutex_t lock;
    int connections;
    size_t bytes_after_request;
    int relay_port; /* the relay modes: where the TLS server listens */
};

#define MAX_CLIENTS 32
#define DRIP_INTERVAL_MS 50

typedef struct client {
    int fd;
    size_t seen;
    int answered;
    long long drip_at; /* when the next dripped byte is due (ms, monotonic); 0: not dripping */
    int upstream;      /* the relay modes: the connection to the TLS server; -1: none yet */
} client;

static int is_mysql(fake_mode mode)
{
    return mode == FAKE_MY_NO_TLS || mode == FAKE_MY_TLS_STALL || mode == FAKE_MY_TLS_RESET ||
           mode == FAKE_MY_TLS_ALERT || mode == FAKE_MY_TRUNCATED || mode == FAKE_MY_GARBAGE ||
           mode == FAKE_MY_TLS_DRIP || mode == FAKE_MY_ERR_FIRST || mode == FAKE_MY_TLS_RELAY;
}

static int is_relay(fake_mode mode)
{
    return mode == FAKE_PG_TLS_RELAY || mode == FAKE_MY_TLS_RELAY || mode == FAKE_TCP_RELAY;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The start of a drip: a TLS 1.2 record header announcing a 16384-byte
 * handshake record, whose body then comes one byte at a time from the
 * poll loop (drip_one). Sent only once the ClientHello is in: libpq takes
 * bytes that come with the 'S' for an attack on the unencrypted stream. */
static int start_drip(client *c)
{
    static const unsigned char header[5] = {0x16, 0x03, 0x03, 0x40, 0x00};
    if (send(c->fd, header, sizeof(header), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(header))
        return 0;
    c->drip_at = now_ms() + DRIP_INTERVAL_MS;
    return 1;
}

/* The next byte of the drip, when due; 0 when the client has gone away.
 * The record never completes (16384 bytes take 13 minutes). */
static int drip_one(client *c, long long now)
{
    if (c->drip_at == 0 || now < c->drip_at)
        return 1;
    static const unsigned char zero = 0;
    if (send(c->fd, &zero, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
        return 0;
    c->drip_at = now + DRIP_INTERVAL_MS;
    return 1;
}

/* An ERR packet in place of the MySQL handshake: errno 1045 with the
 * SQL-state marker, as a server refusing a login says it. */
static int send_mysql_error(int fd)
{
    static const char text[] = "Access denied for user 'x'";
    unsigned char p[4 + 9 + sizeof(text)];
    size_t n = 4;
    p[n++] = 0xff;
    p[n++] = 1045 & 0xff, p[n++] = 1045 >> 8;
    p[n++] = '#';
    memcpy(p + n, "28000", 5);
    n += 5;
    memcpy(p + n, text, sizeof(text) - 1);
    n += sizeof(text) - 1;
    size_t len = n - 4;
    p[0] = (unsigned char)len, p[1] = (unsigned char)(len >> 8), p[2] = 0, p[3] = 0; /* seq 0 */
    return send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n;
}

/* A protocol-3 ErrorResponse as the answer to SSLRequest: its type byte
 * 'E' is the answer libpq reads, and libpq then parses the whole message
 * (severity, SQLSTATE, text) as a server's error. */
static int send_pg_error(int fd)
{
    static const char fields[] = "SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user \"x\"\0";
    unsigned char p[1 + 4 + sizeof(fields)]; /* fields and the terminating 0 (its NUL) */
    size_t len = 4 + sizeof(fields);
    p[0] = 'E';
    p[1] = (unsigned char)(len >> 24), p[2] = (unsigned char)(len >> 16);
    p[3] = (unsigned char)(len >> 8), p[4] = (unsigned char)len;
    memcpy(p + 5, fields, sizeof(fields));
    return send(fd, p, sizeof(p), MSG_NOSIGNAL) == (ssize_t)sizeof(p);
}

static int send_mysql_handshake(int fd, int offer_tls);

/* A fatal handshake_failure alert in a TLS 1.2 record. */
static void send_alert(int fd)
{
    static const unsigned char alert[7] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
    (void)!send(fd, alert, sizeof(alert), MSG_NOSIGNAL);
}

/* Close with a TCP reset, as a killed server's kernel would. */
static void reset(int fd)
{
    struct linger hard = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
}

/* What a MySQL-mode server sends on accept; 0 when the client is dropped. */
static int greet(fake_mode mode, int fd)
{
    if (mode == FAKE_MY_TRUNCATED) {
        static const unsigned char part[24] = {80, 0, 0, 0, 10, '5', '.', '5', '.', '5'};
        (void)!send(fd, part, sizeof(part), MSG_NOSIGNAL);
        return 0;
    }
    if (mode == FAKE_MY_GARBAGE) {
        unsigned char garbage[64];
        for (size_t i = 0; i < sizeof(garbage); i++)
            garbage[i] = (unsigned char)(0x5a ^ (i * 37));
        return send(fd, garbage, sizeof(garbage), MSG_NOSIGNAL) == (ssize_t)sizeof(garbage);
    }
    if (mode == FAKE_MY_ERR_FIRST)
        return send_mysql_error(fd);
    return send_mysql_handshake(fd, mode != FAKE_MY_NO_TLS);
}

/* A MySQL protocol-10 handshake as MariaDB sends it, offering TLS or not. */
static int send_mysql_handshake(int fd, int offer_tls)
{
    unsigned char p[128];
    size_t n = 4;
    p[n++] = 10;
    static const char version[] = "5.5.5-10.11.0-MariaDB-fake";
    memcpy(p + n, version, sizeof(version));
    n += sizeof(version);
    memcpy(p + n, "\1\0\0\0", 4); /* thread id */
    n += 4;
    memcpy(p + n, "abcdefgh", 8); /* scramble, part 1 */
    n += 8;
    p[n++] = 0;
    /* LONG_PASSWORD, CONNECT_WITH_DB, PROTOCOL_41, SECURE_CONNECTION (+SSL) */
    unsigned caps = 0x1 | 0x8 | 0x200 | 0x8000 | (offer_tls ? 0x800 : 0);
    p[n++] = (unsigned char)caps;
    p[n++] = (unsigned char)(caps >> 8);
    p[n++] = 33;                     /* charset */
    p[n++] = 2, p[n++] = 0;          /* status: autocommit */
    p[n++] = 0x08, p[n++] = 0;       /* upper caps: PLUGIN_AUTH */
    p[n++] = 21;                     /* auth data length */
    memset(p + n, 0, 10);
    n += 10;
    memcpy(p + n, "ijklmnopqrst", 13); /* scramble, part 2, and its NUL */
    n += 13;
    static const char plugin[] = "mysql_native_password";
    memcpy(p + n, plugin, sizeof(plugin));
    n += sizeof(plugin);
    size_t len = n - 4;
    p[0] = (unsigned char)len, p[1] = (unsigned char)(len >> 8), p[2] = 0, p[3] = 0;
    return send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n;
}

/* A blocking connection to 127.0.0.1:port (local: at once); -1 on failure. */
static int connect_local(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
        return fd;
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Client bytes on to the TLS server, counted; 0 when that failed. */
static int relay_up(fake_server *s, client *c, const unsigned char *data, size_t n)
{
    if (n == 0)
        return 1;
    if (send(c->upstream, data, n, MSG_NOSIGNAL) != (ssize_t)n)
        return 0;
    pthread_mutex_lock(&s->lock);
    s->bytes_after_request += n;
    pthread_mutex_unlock(&s->lock);
    return 1;
}

/* The TLS server's bytes back to the client; 0 when either side is done. */
static int relay_down(client *c)
{
    unsigned char buffer[4096];
    ssize_t got = recv(c->upstream, buffer, sizeof(buffer), 0);
    return got > 0 && send(c->fd, buffer, (size_t)got, MSG_NOSIGNAL) == got;
}

/* A relay's client: the pre-TLS request (PostgreSQL's 8-byte SSLRequest,
 * MySQL's 4-byte header and 32-byte SSL request), then (connected to the
 * TLS server, and for PostgreSQL after the 'S') everything relayed. */
static int serve_relay(fake_server *s, client *c, const unsigned char *data, size_t got)
{
    if (c->upstream >= 0)
        return relay_up(s, c, data, got);
    size_t request = s->mode == FAKE_PG_TLS_RELAY ? 8 : 36;
    size_t before = c->seen;
    c->seen += got;
    if (c->seen < request)
        return 1;
    c->upstream = connect_local(s->relay_port);
    if (c->upstream < 0)
        return 0;
    c->answered = 1;
    static const char yes = 'S';
    if (s->mode == FAKE_PG_TLS_RELAY && send(c->fd, &yes, 1, MSG_NOSIGNAL) != 1)
        return 0;
    size_t used = request - before; /* the rest came with the request */
    return relay_up(s, c, data + used, got - used);
}

/* Reads what a client sent; answers its SSLRequest once. 0 when it is done. */
static int serve(fake_server *s, client *c)
{
    unsigned char buffer[4096];
    ssize_t got = recv(c->fd, buffer, sizeof(buffer), 0);
    if (got <= 0)
        return 0;
    if (is_relay(s->mode))
        return serve_relay(s, c, buffer, (size_t)got);
    if (is_mysql(s->mode)) { /* everything counts: the server spoke first */
        pthread_mutex_lock(&s->lock);
        s->bytes_after_request += (size_t)got;
        pthread_mutex_unlock(&s->lock);
        c->seen += (size_t)got;
        /* past the 36-byte SSL request: the ClientHello */
        if (c->seen > 36 && s->mode == FAKE_MY_TLS_ALERT) {
            send_alert(c->fd);
            return 0;
        }
        if (c->seen > 36 && s->mode == FAKE_MY_TLS_RESET) {
            reset(c->fd);
            return 0;
        }
        if (c->seen > 36 && s->mode == FAKE_MY_TLS_DRIP && c->drip_at == 0)
            return start_drip(c);
        return 1;
    }
    size_t before = c->seen;
    c->seen += (size_t)got;
    if (c->seen > 8) {
        pthread_mutex_lock(&s->lock);
        s->bytes_after_request += c->seen - (before > 8 ? before : 8);
        pthread_mutex_unlock(&s->lock);
    }
    if (c->answered && c->seen > 8 && s->mode == FAKE_PG_YES_THEN_ALERT) {
        send_alert(c->fd);
        return 0;
    }
    if (c->answered && c->seen > 8 && s->mode == FAKE_PG_YES_THEN_RESET) {
        reset(c->fd);
        return 0;
    }
    if (c->answered && c->seen > 8 && s->mode == FAKE_PG_TLS_DRIP && c->drip_at == 0)
        return start_drip(c);
    if (!c->answered && c->seen >= 8 && s->mode == FAKE_PG_ERROR_ANSWER) {
        c->answered = 1;
        return send_pg_error(c->fd);
    }
    if (!c->answered && c->seen >= 8) {
        c->answered = 1;
        char answer = s->mode == FAKE_PG_REFUSE_TLS ? 'N' : 'S';
        if (send(c->fd, &answer, 1, MSG_NOSIGNAL) != 1 || s->mode == FAKE_PG_YES_THEN_CLOSE)
            return 0;
    }
    return 1;
}

/* What a stopping server reads before it closes: bytes the clients sent
 * before the stop, so that they are counted. Bounded: a client that keeps
 * sending does not hold the stop. */
static void drain(fake_server *s, client *c)
{
    for (int round = 0; round < 64; round++) {
        struct pollfd pfd = {c->fd, POLLIN, 0};
        if (poll(&pfd, 1, 0) <= 0 || !serve(s, c))
            return;
    }
}

/* Milliseconds until the next dripped byte is due, for poll; -1 (forever)
 * when no client is dripping. */
static int next_timer(const client *clients, int count)
{
    long long due = 0;
    for (int i = 0; i < count; i++)
        if (clients[i].drip_at != 0 && (due == 0 || clients[i].drip_at < due))
            due = clients[i].drip_at;
    if (due == 0)
        return -1;
    long long wait = due - now_ms();
    return wait < 0 ? 0 : (int)wait;
}

/* Several clients at once: a failed driver keeps its socket open while the
 * library probes the same server. Drips are timed by poll's timeout, so
 * that they hold up neither the other clients nor a stop. */
static void *run(void *arg)
{
    fake_server *s = arg;
    client clients[MAX_CLIENTS];
    int count = 0;
    for (;;) {
        /* the clients, then their relayed-to servers (fd -1, ignored: none) */
        struct pollfd fds[2 + 2 * MAX_CLIENTS] = {{s->listener, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
        int polled = count;
        for (int i = 0; i < count; i++) {
            fds[2 + i] = (struct pollfd){clients[i].fd, POLLIN, 0};
            fds[2 + polled + i] = (struct pollfd){clients[i].upstream, POLLIN, 0};
        }
        if (poll(fds, 2 + 2 * (nfds_t)polled, next_timer(clients, count)) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents) {
            for (int i = 0; i < count; i++)
                drain(s, &clients[i]);
            break;
        }
        long long now = now_ms();
        for (int i = count - 1; i >= 0; i--) {
            if ((fds[2 + i].revents && !serve(s, &clients[i])) ||
                (fds[2 + polled + i].revents && !relay_down(&clients[i])) || !drip_one(&clients[i], now)) {
                close(clients[i].fd);
                if (clients[i].upstream >= 0)
                    close(clients[i].upstream);
                clients[i] = clients[--count];
            }
        }
        if (fds[0].revents && count < MAX_CLIENTS) {
            int fd = accept(s->listener, NULL, NULL);
            if (fd >= 0) { /* counted before a byte is sent: a client that got one sees it counted */
                pthread_mutex_lock(&s->lock);
                s->connections++;
                pthread_mutex_unlock(&s->lock);
            }
            if (fd >= 0 && is_mysql(s->mode) && !greet(s->mode, fd)) {
                close(fd);
                fd = -1;
            }
            int upstream = -1;
            if (fd >= 0 && s->mode == FAKE_TCP_RELAY && (upstream = connect_local(s->relay_port)) < 0) {
                close(fd);
                fd = -1;
            }
            if (fd >= 0)
                clients[count++] = (client){fd, 0, 0, 0, upstream};
        }
    }
    for (int i = 0; i < count; i++) {
        close(clients[i].fd);
        if (clients[i].upstream >= 0)
            close(clients[i].upstream);
    }
    return NULL;
}

static fake_server *start(fake_mode mode, int relay_port)
{
    fake_server *s = calloc(1, sizeof(*s));
    s->mode = mode;
    s->relay_port = relay_port;
    pthread_mutex_init(&s->lock, NULL);
    s->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (s->listener < 0 || bind(s->listener, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(s->listener, 16) != 0 || getsockname(s->listener, (struct sockaddr *)&addr, &len) != 0 ||
        pipe(s->stop_pipe) != 0)
        abort();
    s->port = ntohs(addr.sin_port);
    /* A black hole never accepts: the kernel completes the TCP handshake
     * from the backlog and nobody ever answers. */
    if (mode != FAKE_BLACKHOLE)
        pthread_create(&s->thread, NULL, run, s);
    return s;
}

fake_server *fake_server_start(fake_mode mode)
{
    return start(mode, 0);
}

fake_server *fake_server_start_relay(fake_mode mode, int relay_port)
{
    if (!is_relay(mode) || relay_port <= 0 || relay_port > 65535)
        abort();
    return start(mode, relay_port);
}

int fake_server_port(const fake_server *s)
{
    return s->port;
}

int fake_server_connections(fake_server *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->connections;
    pthread_mutex_unlock(&s->lock);
    return n;
}

size_t fake_server_stop(fake_server *s)
{
    if (write(s->stop_pipe[1], "x", 1) != 1)
        abort();
    if (s->mode != FAKE_BLACKHOLE)
        pthread_join(s->thread, NULL);
    size_t bytes = s->bytes_after_request;
    close(s->listener);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    pthread_mutex_destroy(&s->lock);
    free(s);
    return bytes;
}
