#define _GNU_SOURCE /* getaddrinfo_a */
#include "resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* One asynchronous request. Heap-allocated with its strings, because a
 * request that cannot be cancelled in time must stay valid until the
 * resolver thread finishes with it: then it is deliberately left behind. */
typedef struct lookup {
    struct gaicb request;
    struct addrinfo hints;
    char host[256];
    char service[16];
} lookup;

rdss_code rdss__resolve(const char *host, int port, rdss_deadline deadline, struct addrinfo **out,
                        rdss_error **err)
{
    *out = NULL;
    if (strlen(host) >= sizeof(((lookup *)0)->host))
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "host name \"%.40s...\" is too long", host);
    char service[16];
    snprintf(service, sizeof(service), "%d", port);
    /* An address literal needs no lookup, and so no resolver thread: the
     * common case on every connect once hosts are pinned. */
    struct addrinfo numeric = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                               .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    if (getaddrinfo(host, service, &numeric, out) == 0)
        return rdss__succeed(err);
    *out = NULL;
    lookup *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    snprintf(l->host, sizeof(l->host), "%s", host);
    snprintf(l->service, sizeof(l->service), "%s", service);
    l->hints.ai_family = AF_UNSPEC;
    l->hints.ai_socktype = SOCK_STREAM;
    l->hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
    l->request.ar_name = l->host;
    l->request.ar_service = l->service;
    l->request.ar_request = &l->hints;
    struct gaicb *list[1] = {&l->request};
    if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL) != 0) {
        free(l);
        return rdss__fail(err, RDSS_ERR_INTERNAL, "cannot start resolving \"%s\"", host);
    }
    int status;
    for (;;) {
        long left = rdss__deadline_remaining_ms(deadline);
        struct timespec wait = {left / 1000, (left % 1000) * 1000000L};
        status = gai_suspend((const struct gaicb *const *)list, 1, &wait);
        if (status == 0 || status == EAI_ALLDONE)
            break;
        if (status == EAI_INTR)
            continue;
        /* EAI_AGAIN: the deadline passed first */
        if (gai_cancel(&l->request) == EAI_CANCELED)
            free(l);
        /* else: still running; left behind on purpose (see above) */
        return rdss__fail(err, RDSS_ERR_TIMEOUT, "resolving \"%s\" did not finish before the deadline",
                          host);
    }
    status = gai_error(&l->request);
    if (status != 0) {
        rdss_code code = rdss__fail(err, RDSS_ERR_NETWORK, "cannot resolve \"%s\": %s", host,
                                    gai_strerror(status));
        free(l);
        return code;
    }
    *out = l->request.ar_result;
    free(l);
    return rdss__succeed(err);
}

void rdss__address_text(const struct sockaddr *addr, char *out, size_t size)
{
    const void *bytes = addr->sa_family == AF_INET6
                            ? (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr
                            : (const void *)&((const struct sockaddr_in *)addr)->sin_addr;
    if (inet_ntop(addr->sa_family, bytes, out, (socklen_t)size) == NULL)
        snprintf(out, size, "?");
}
