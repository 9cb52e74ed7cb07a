#include "fake_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
};

#define MAX_CLIENTS 32

typedef struct client {
    int fd;
    size_t seen;
    int answered;
} client;

/* Reads what a client sent; answers its SSLRequest once. 0 when it is done. */
static int serve(fake_server *s, client *c)
{
    unsigned char buffer[4096];
    ssize_t got = recv(c->fd, buffer, sizeof(buffer), 0);
    if (got <= 0)
        return 0;
    size_t before = c->seen;
    c->seen += (size_t)got;
    if (c->seen > 8) {
        pthread_mutex_lock(&s->lock);
        s->bytes_after_request += c->seen - (before > 8 ? before : 8);
        pthread_mutex_unlock(&s->lock);
    }
    if (!c->answered && c->seen >= 8) {
        c->answered = 1;
        char answer = s->mode == FAKE_PG_REFUSE_TLS ? 'N' : 'S';
        if (send(c->fd, &answer, 1, MSG_NOSIGNAL) != 1)
            return 0;
    }
    return 1;
}

/* Several clients at once: a failed driver keeps its socket open while the
 * library probes the same server. */
static void *run(void *arg)
{
    fake_server *s = arg;
    client clients[MAX_CLIENTS];
    int count = 0;
    for (;;) {
        struct pollfd fds[2 + MAX_CLIENTS] = {{s->listener, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
        for (int i = 0; i < count; i++)
            fds[2 + i] = (struct pollfd){clients[i].fd, POLLIN, 0};
        if (poll(fds, 2 + (nfds_t)count, -1) <= 0 || fds[1].revents)
            break;
        for (int i = count - 1; i >= 0; i--) {
            if (fds[2 + i].revents && !serve(s, &clients[i])) {
                close(clients[i].fd);
                clients[i] = clients[--count];
            }
        }
        if (fds[0].revents && count < MAX_CLIENTS) {
            int fd = accept(s->listener, NULL, NULL);
            if (fd >= 0) {
                clients[count++] = (client){fd, 0, 0};
                pthread_mutex_lock(&s->lock);
                s->connections++;
                pthread_mutex_unlock(&s->lock);
            }
        }
    }
    for (int i = 0; i < count; i++)
        close(clients[i].fd);
    return NULL;
}

fake_server *fake_server_start(fake_mode mode)
{
    fake_server *s = calloc(1, sizeof(*s));
    s->mode = mode;
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
