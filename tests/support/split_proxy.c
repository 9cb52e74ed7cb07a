#include "split_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PAIRS 32

struct split_proxy {
    int first_port, rest_port;
    int listener;
    int port;
    int stop_pipe[2];
    pthread_t thread;
    pthread_mutex_t lock;
    int connections;
};

/* One proxied connection: side 0 the client, side 1 the target. open[i]:
 * side i may still send to us (no end of stream read from it yet). */
typedef struct pair {
    int fd[2];
    int open[2];
} pair;

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Sends all of buf (blocking: the volumes here are a few handshakes). */
static int send_all(int fd, const unsigned char *buf, size_t len)
{
    while (len > 0) {
        ssize_t sent = send(fd, buf, len, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return 0;
        buf += sent;
        len -= (size_t)sent;
    }
    return 1;
}

/* Moves what side `from` sent to the other side; 0 when the pair is done
 * (an error, or both ends closed). */
static int relay(pair *p, int from)
{
    unsigned char buffer[16384];
    ssize_t got = recv(p->fd[from], buffer, sizeof(buffer), 0);
    if (got < 0 && errno == EINTR)
        return 1;
    if (got < 0)
        return 0;
    if (got == 0) { /* end of stream: pass it on, keep the other direction */
        p->open[from] = 0;
        shutdown(p->fd[!from], SHUT_WR);
        return p->open[!from];
    }
    return send_all(p->fd[!from], buffer, (size_t)got);
}

static void close_pair(pair *p)
{
    close(p->fd[0]);
    close(p->fd[1]);
}

static void *run(void *arg)
{
    split_proxy *s = arg;
    pair pairs[MAX_PAIRS];
    int count = 0;
    for (;;) {
        struct pollfd fds[2 + 2 * MAX_PAIRS] = {{s->listener, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
        for (int i = 0; i < count; i++)
            for (int side = 0; side < 2; side++)
                fds[2 + 2 * i + side] = (struct pollfd){pairs[i].open[side] ? pairs[i].fd[side] : -1, POLLIN, 0};
        if (poll(fds, 2 + 2 * (nfds_t)count, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents)
            break;
        for (int i = count - 1; i >= 0; i--) {
            int done = 0;
            for (int side = 0; side < 2 && !done; side++)
                if (fds[2 + 2 * i + side].revents && !relay(&pairs[i], side))
                    done = 1;
            if (done) {
                close_pair(&pairs[i]);
                pairs[i] = pairs[--count];
            }
        }
        if (fds[0].revents && count < MAX_PAIRS) {
            int client = accept4(s->listener, NULL, NULL, SOCK_CLOEXEC);
            if (client < 0)
                continue;
            pthread_mutex_lock(&s->lock);
            int number = ++s->connections;
            pthread_mutex_unlock(&s->lock);
            int target = connect_to(number == 1 ? s->first_port : s->rest_port);
            if (target < 0) {
                close(client);
                continue;
            }
            pairs[count++] = (pair){{client, target}, {1, 1}};
        }
    }
    for (int i = 0; i < count; i++)
        close_pair(&pairs[i]);
    return NULL;
}

split_proxy *split_proxy_start(int first_port, int rest_port)
{
    split_proxy *s = calloc(1, sizeof(*s));
    if (s == NULL)
        abort();
    s->first_port = first_port;
    s->rest_port = rest_port;
    pthread_mutex_init(&s->lock, NULL);
    s->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (s->listener < 0 || bind(s->listener, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(s->listener, 16) != 0 || getsockname(s->listener, (struct sockaddr *)&addr, &len) != 0 ||
        pipe2(s->stop_pipe, O_CLOEXEC) != 0 || pthread_create(&s->thread, NULL, run, s) != 0)
        abort();
    s->port = ntohs(addr.sin_port);
    return s;
}

int split_proxy_port(const split_proxy *s)
{
    return s->port;
}

int split_proxy_connections(split_proxy *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->connections;
    pthread_mutex_unlock(&s->lock);
    return n;
}

void split_proxy_stop(split_proxy *s)
{
    if (write(s->stop_pipe[1], "x", 1) != 1)
        abort();
    pthread_join(s->thread, NULL);
    close(s->listener);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
