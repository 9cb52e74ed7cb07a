#include "closed_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

closed_port closed_port_hold(void)
{
    closed_port held = {socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), 0};
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (held.fd < 0 || bind(held.fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        getsockname(held.fd, (struct sockaddr *)&addr, &len) != 0) {
        perror("closed_port_hold");
        abort();
    }
    held.port = ntohs(addr.sin_port);
    return held;
}

void closed_port_release(closed_port *held)
{
    if (held->fd >= 0)
        close(held->fd);
    held->fd = -1;
}
