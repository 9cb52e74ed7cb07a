#include "fake_dns.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DNS_HEADER 12
#define DNS_MAX_NAME 255  /* encoded, the final zero included (RFC 1035 2.3.4) */
#define DNS_MAX_LABEL 63
#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define MAX_PENDING 128   /* answers waiting for their time; more are dropped */
#define MAX_REPLY 512     /* header + question (at most 259) + one A record */

typedef struct pending {
    int used;
    long long due_ms;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    size_t reply_len;
    unsigned char reply[MAX_REPLY];
} pending;

struct fake_dns {
    fake_dns_options options;
    char suffix[DNS_MAX_NAME + 1];
    int sock;
    int stop_pipe[2];
    pthread_t thread;
    pthread_mutex_t lock; /* guards counts */
    fake_dns_counts counts;
    pending queue[MAX_PENDING];
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

/* The one question of a query: its name (dotted, lower case), type, class
 * and where it ends. 0 when the message is not a query this server reads. */
static int parse_question(const unsigned char *msg, size_t len, char *name, size_t name_size,
                          unsigned *qtype, unsigned *qclass, size_t *end)
{
    if (len < DNS_HEADER || get16(msg + 4) != 1)
        return 0;
    size_t pos = DNS_HEADER, out = 0;
    for (;;) {
        if (pos >= len)
            return 0;
        size_t label = msg[pos++];
        if (label == 0)
            break;
        if (label > DNS_MAX_LABEL) /* a compression pointer has no place in a question */
            return 0;
        if (len - pos < label || pos - DNS_HEADER + label >= DNS_MAX_NAME)
            return 0;
        if (out + (out > 0) + label + 1 > name_size)
            return 0;
        if (out > 0)
            name[out++] = '.';
        for (size_t i = 0; i < label; i++) {
            unsigned char c = msg[pos + i];
            if (c == '\0' || c == '.') /* would blur the name compared */
                return 0;
            name[out++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        pos += label;
    }
    name[out] = '\0';
    if (len - pos < 4)
        return 0;
    *qtype = get16(msg + pos);
    *qclass = get16(msg + pos + 2);
    *end = pos + 4;
    return 1;
}

/* name is the suffix or ends in ".suffix" (both lower case). */
static int under_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    if (s == 0 || n < s)
        return 0;
    if (strcmp(name + n - s, suffix) != 0)
        return 0;
    return n == s || name[n - s - 1] == '.';
}

/* The response to msg (len bytes, at least a header) into reply: its
 * length, or 0 for none. */
static size_t build_reply(const fake_dns *dns, const unsigned char *msg, size_t len,
                          unsigned char *reply, fake_dns_counts *seen)
{
    char name[DNS_MAX_NAME + 1];
    unsigned qtype = 0, qclass = 0;
    size_t end = 0;
    int opcode = (msg[2] >> 3) & 0x0f;
    int parsed = (msg[2] & 0x80) == 0 && parse_question(msg, len, name, sizeof(name), &qtype, &qclass, &end);
    if (!parsed) {
        seen->malformed++;
        if (msg[2] & 0x80) /* a response: never answer one */
            return 0;
    } else if (qclass == DNS_CLASS_IN && qtype == DNS_TYPE_A) {
        seen->a++;
    } else if (qclass == DNS_CLASS_IN && qtype == DNS_TYPE_AAAA) {
        seen->aaaa++;
    }

    memset(reply, 0, DNS_HEADER);
    memcpy(reply, msg, 2);                                    /* ID */
    reply[2] = (unsigned char)(0x80 | (opcode << 3) | 0x01); /* QR, the opcode, RD */
    if (!parsed) {
        reply[3] = 0x80 | DNS_RCODE_FORMERR; /* RA; no question echoed */
        return DNS_HEADER;
    }
    if (end > MAX_REPLY - 16) /* cannot happen: a question is at most 12 + 255 + 4 */
        return 0;
    put16(reply + 4, 1);
    memcpy(reply + DNS_HEADER, msg + DNS_HEADER, end - DNS_HEADER); /* the question */
    size_t used = end;
    int rcode = 0;
    int ours = qclass == DNS_CLASS_IN && under_suffix(name, dns->suffix);
    if (opcode != 0) {
        rcode = DNS_RCODE_NOTIMP;
    } else if (ours && qtype == DNS_TYPE_A) {
        put16(reply + 6, 1);
        unsigned char *rr = reply + used;
        put16(rr, 0xc000 | DNS_HEADER); /* the name: a pointer to the question's */
        put16(rr + 2, DNS_TYPE_A);
        put16(rr + 4, DNS_CLASS_IN);
        put16(rr + 6, 0);
        put16(rr + 8, 60); /* TTL */
        put16(rr + 10, 4);
        rr[12] = 127;
        rr[13] = 0;
        rr[14] = 0;
        rr[15] = 1;
        used += 16;
    } else if (ours && qtype == DNS_TYPE_AAAA) {
        rcode = 0; /* NOERROR, no answers: the name exists, without IPv6 */
    } else {
        rcode = DNS_RCODE_NXDOMAIN;
    }
    reply[3] = (unsigned char)(0x80 | rcode); /* RA */
    return used;
}

static void receive_all(fake_dns *dns)
{
    unsigned char msg[4096];
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t peer_len = sizeof(peer);
        ssize_t got = recvfrom(dns->sock, msg, sizeof(msg), 0, (struct sockaddr *)&peer, &peer_len);
        if (got < 0)
            return; /* EAGAIN: drained (or an error: poll says so again) */
        fake_dns_counts seen = {.queries = 1};
        unsigned char reply[MAX_REPLY];
        size_t reply_len = 0;
        if ((size_t)got < DNS_HEADER)
            seen.malformed = 1;
        else
            reply_len = build_reply(dns, msg, (size_t)got, reply, &seen);
        pthread_mutex_lock(&dns->lock);
        dns->counts.queries += seen.queries;
        dns->counts.a += seen.a;
        dns->counts.aaaa += seen.aaaa;
        dns->counts.malformed += seen.malformed;
        pthread_mutex_unlock(&dns->lock);
        if (dns->options.mode != FAKE_DNS_SLOW || reply_len == 0)
            continue;
        for (size_t i = 0; i < MAX_PENDING; i++) {
            pending *p = &dns->queue[i];
            if (p->used)
                continue;
            p->used = 1;
            p->due_ms = now_ms() + dns->options.delay_ms;
            memcpy(&p->peer, &peer, sizeof(peer));
            p->peer_len = peer_len;
            memcpy(p->reply, reply, reply_len);
            p->reply_len = reply_len;
            break;
        }
    }
}

/* Sends what is due; the milliseconds until the next answer, -1 for none. */
static int send_due(fake_dns *dns)
{
    long long now = now_ms(), next = -1;
    for (size_t i = 0; i < MAX_PENDING; i++) {
        pending *p = &dns->queue[i];
        if (!p->used)
            continue;
        if (p->due_ms <= now) {
            ssize_t sent = sendto(dns->sock, p->reply, p->reply_len, 0, (struct sockaddr *)&p->peer,
                                  p->peer_len);
            p->used = 0;
            if (sent == (ssize_t)p->reply_len) {
                pthread_mutex_lock(&dns->lock);
                dns->counts.answered++;
                pthread_mutex_unlock(&dns->lock);
            }
        } else if (next < 0 || p->due_ms - now < next) {
            next = p->due_ms - now;
        }
    }
    return (int)next;
}

static void *serve(void *arg)
{
    fake_dns *dns = arg;
    for (;;) {
        int timeout = send_due(dns);
        struct pollfd fds[2] = {{.fd = dns->sock, .events = POLLIN}, {.fd = dns->stop_pipe[0], .events = POLLIN}};
        int ready = poll(fds, 2, timeout);
        if (ready < 0 && errno != EINTR)
            break;
        if (ready <= 0)
            continue;
        if (fds[1].revents != 0)
            break;
        if (fds[0].revents & POLLIN)
            receive_all(dns);
        else if (fds[0].revents != 0)
            break; /* POLLERR/POLLNVAL on the socket: nothing more to serve */
    }
    return NULL;
}

fake_dns *fake_dns_start(const fake_dns_options *options)
{
    if (options == NULL || options->delay_ms < 0 ||
        (options->suffix != NULL && strlen(options->suffix) > DNS_MAX_NAME)) {
        errno = EINVAL;
        return NULL;
    }
    fake_dns *dns = calloc(1, sizeof(*dns));
    if (dns == NULL)
        return NULL;
    dns->options = *options;
    const char *suffix = options->suffix ? options->suffix : "";
    size_t i = 0;
    for (; suffix[i] != '\0'; i++)
        dns->suffix[i] = (char)(suffix[i] >= 'A' && suffix[i] <= 'Z' ? suffix[i] - 'A' + 'a' : suffix[i]);
    if (i > 0 && dns->suffix[i - 1] == '.') /* "example.com." means "example.com" */
        i--;
    dns->suffix[i] = '\0';
    dns->options.suffix = dns->suffix;
    dns->stop_pipe[0] = dns->stop_pipe[1] = -1;

    /* No SO_REUSEADDR: a server already on the port must make this fail. */
    dns->sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(53),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int saved;
    if (dns->sock < 0 || bind(dns->sock, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        pipe2(dns->stop_pipe, O_CLOEXEC) != 0)
        goto fail;
    if (pthread_mutex_init(&dns->lock, NULL) != 0)
        goto fail;
    int rc = pthread_create(&dns->thread, NULL, serve, dns);
    if (rc != 0) {
        pthread_mutex_destroy(&dns->lock);
        errno = rc;
        goto fail;
    }
    return dns;
fail:
    saved = errno;
    if (dns->sock >= 0)
        close(dns->sock);
    if (dns->stop_pipe[0] >= 0) {
        close(dns->stop_pipe[0]);
        close(dns->stop_pipe[1]);
    }
    free(dns);
    errno = saved;
    return NULL;
}

fake_dns_counts fake_dns_counts_now(fake_dns *dns)
{
    pthread_mutex_lock(&dns->lock);
    fake_dns_counts counts = dns->counts;
    pthread_mutex_unlock(&dns->lock);
    return counts;
}

void fake_dns_stop(fake_dns *dns)
{
    if (dns == NULL)
        return;
    char byte = 1;
    while (write(dns->stop_pipe[1], &byte, 1) < 0 && errno == EINTR)
        ;
    pthread_join(dns->thread, NULL);
    pthread_mutex_destroy(&dns->lock);
    close(dns->sock);
    close(dns->stop_pipe[0]);
    close(dns->stop_pipe[1]);
    free(dns);
}
