#define _GNU_SOURCE /* before any header: threads, clocks and getaddrinfo under -std=c11 */
#include "net/resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"

/* A name is looked up by plain getaddrinfo() on a detached thread of our own,
 * and the caller waits for it only until the deadline (the design of curl's
 * threaded resolver). getaddrinfo() cannot be cancelled, so a lookup the
 * caller gives up on runs to the end of the system resolver's own timeouts:
 * an abandoned lookup costs one thread until then, never more.
 *
 * The request is shared by the caller and the thread and counted: each side
 * drops its reference under the lock and whichever drops the last one frees
 * it (with the thread's result when nobody took it). After dropping its
 * reference a side never touches the request again.
 *
 * There is no process-wide state: nothing to set up once, nothing to reset
 * in a child after fork(). */
typedef struct lookup {
    pthread_mutex_t lock;
    pthread_cond_t finished; /* on CLOCK_MONOTONIC, the clock of rdss__deadline */
    int references;          /* 2 while both sides hold it */
    int done;                /* the thread has stored status/result/error */
    int status;              /* getaddrinfo()'s return, meaningful once done */
    int error;               /* errno after getaddrinfo(), for EAI_SYSTEM */
    struct addrinfo *result;
    struct addrinfo hints;
    char host[256];
    char service[16];
} lookup;

/* Room for getaddrinfo() and the NSS modules it loads; far below the default
 * (8 MiB of address space per abandoned lookup). */
#define RESOLVER_STACK_SIZE ((size_t)256 * 1024)

static void lookup_destroy(lookup *l)
{
    if (l->result != NULL)
        freeaddrinfo(l->result);
    pthread_cond_destroy(&l->finished);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

/* Drops one reference; the caller holds the lock, which this releases. */
static void lookup_release(lookup *l)
{
    int last = --l->references == 0;
    pthread_mutex_unlock(&l->lock);
    if (last)
        lookup_destroy(l);
}

static void *lookup_thread(void *arg)
{
    lookup *l = arg;
    struct addrinfo *result = NULL;
    int status = getaddrinfo(l->host, l->service, &l->hints, &result);
    int error = errno;
    pthread_mutex_lock(&l->lock);
    l->status = status;
    l->error = error;
    l->result = status == 0 ? result : NULL;
    l->done = 1;
    pthread_cond_signal(&l->finished);
    lookup_release(l); /* frees the result too when the caller has gone */
    return NULL;
}

static lookup *lookup_new(const char *host, const char *service)
{
    lookup *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    pthread_condattr_t attr;
    int ok = pthread_condattr_init(&attr) == 0;
    if (ok) {
        ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
             pthread_cond_init(&l->finished, &attr) == 0;
        pthread_condattr_destroy(&attr);
    }
    if (!ok) {
        free(l);
        return NULL;
    }
    if (pthread_mutex_init(&l->lock, NULL) != 0) {
        pthread_cond_destroy(&l->finished);
        free(l);
        return NULL;
    }
    l->references = 2;
    snprintf(l->host, sizeof(l->host), "%s", host);
    snprintf(l->service, sizeof(l->service), "%s", service);
    l->hints.ai_family = AF_UNSPEC;
    l->hints.ai_socktype = SOCK_STREAM;
    l->hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
    return l;
}

/* Starts the detached thread; 0 or an error number. */
static int lookup_start(lookup *l)
{
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc != 0)
        return rc;
    rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (rc == 0)
        rc = pthread_attr_setstacksize(&attr, RESOLVER_STACK_SIZE);
    if (rc == 0) {
        /* The thread inherits the signal mask: with every signal blocked,
         * the program's handlers never run on it. */
        sigset_t all, saved;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &saved);
        pthread_t thread;
        rc = pthread_create(&thread, &attr, lookup_thread, l);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
    }
    pthread_attr_destroy(&attr);
    return rc;
}

rdss_code rdss__resolve(const char *host, int port, rdss__deadline deadline, struct addrinfo **out,
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
    if (getaddrinfo(host, service, &numeric, out) == 0) {
        /* glibc also takes "0177.0.0.1" (octal: 127.0.0.1) and "127.1";
         * OpenSSL's certificate checks read such text otherwise (177.0.0.1)
         * or as a name: the address connected to and the one verified must
         * be the same, so only the canonical forms are addresses here */
        unsigned char bytes[16];
        if (inet_pton(AF_INET, host, bytes) == 1 || inet_pton(AF_INET6, host, bytes) == 1)
            return rdss__succeed(err);
        freeaddrinfo(*out);
        *out = NULL;
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                          "\"%s\" is an address in a form that certificate checks read differently: "
                          "write it as a dotted quad without leading zeros, or use the name", host);
    }
    *out = NULL;
    if (rdss__deadline_passed(deadline))
        return rdss__fail(err, RDSS_ERR_TIMEOUT, "resolving \"%s\" did not finish before the deadline",
                          host);

    lookup *l = lookup_new(host, service);
    if (l == NULL)
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    int rc = lookup_start(l);
    if (rc != 0) {
        lookup_destroy(l); /* no thread: the only reference is ours */
        return rdss__fail(err, RDSS_ERR_INTERNAL, "cannot start resolving \"%s\": %s", host,
                          strerror(rc));
    }

    /* deadline.at_ms is on CLOCK_MONOTONIC, the condition variable's clock. */
    struct timespec at = {(time_t)(deadline.at_ms / 1000), (long)(deadline.at_ms % 1000) * 1000000L};
    pthread_mutex_lock(&l->lock);
    /* The wait ends only on done or on the deadline: a wake-up for any
     * other reason (spurious, EINTR) goes round again. */
    while (!l->done && rdss__deadline_remaining_ms(deadline) > 0)
        pthread_cond_timedwait(&l->finished, &l->lock, &at);
    if (!l->done) {
        lookup_release(l); /* the thread frees it, and its result, when it ends */
        return rdss__fail(err, RDSS_ERR_TIMEOUT, "resolving \"%s\" did not finish before the deadline",
                          host);
    }
    /* Done: the thread has dropped its reference, so the request is ours
     * alone and the lock is no longer needed past this point. */
    int status = l->status, error = l->error;
    *out = l->result;
    l->result = NULL;
    lookup_release(l);
    if (status == 0)
        return rdss__succeed(err);
    if (status == EAI_SYSTEM && error != 0)
        return rdss__fail(err, RDSS_ERR_NETWORK, "cannot resolve \"%s\": %s: %s", host,
                          gai_strerror(status), strerror(error));
    return rdss__fail(err, RDSS_ERR_NETWORK, "cannot resolve \"%s\": %s", host, gai_strerror(status));
}

void rdss__address_text(const struct sockaddr *addr, char *out, size_t size)
{
    const void *bytes = addr->sa_family == AF_INET6
                            ? (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr
                            : (const void *)&((const struct sockaddr_in *)addr)->sin_addr;
    if (inet_ntop(addr->sa_family, bytes, out, (socklen_t)size) == NULL)
        snprintf(out, size, "?");
}
