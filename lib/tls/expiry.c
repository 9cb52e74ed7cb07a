#include "tls/expiry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/process.h"
#include "trust/certinfo.h"
#include "trust/config.h"

/* The endpoints warned about so far: a short list, searched under a lock
 * only when a chain is within the horizon (rare). */
typedef struct warned {
    struct warned *next;
    char endpoint[];
} warned;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static warned *warned_list;

static void forget_all(void)
{
    pthread_mutex_lock(&lock);
    while (warned_list != NULL) {
        warned *next = warned_list->next;
        free(warned_list);
        warned_list = next;
    }
    pthread_mutex_unlock(&lock);
}

static void lock_list(void)
{
    pthread_mutex_lock(&lock);
}

static void unlock_list(void)
{
    pthread_mutex_unlock(&lock);
}

/* A child keeps what its parent warned about: it warns once per process
 * tree, not once per worker. */
static const rdss__process_state process_expiry = {"expiry warnings", forget_all, 0, lock_list,
                                                   unlock_list, unlock_list, 0};

/* 1 the first time `endpoint` is seen in this process. */
static int first_time(const char *endpoint)
{
    rdss__process_register(&process_expiry);
    pthread_mutex_lock(&lock);
    int first = 1;
    for (warned *w = warned_list; w != NULL && first; w = w->next)
        first = strcmp(w->endpoint, endpoint) != 0;
    if (first) {
        warned *w = malloc(sizeof(*w) + strlen(endpoint) + 1);
        if (w != NULL) {
            memcpy(w->endpoint, endpoint, strlen(endpoint) + 1);
            w->next = warned_list;
            warned_list = w;
        }
    }
    pthread_mutex_unlock(&lock);
    return first;
}

rdss__expiry_watch rdss__expiry_watch_of(const rdss_config *cfg)
{
    rdss__expiry_watch watch;
    watch.log = rdss__config_log(cfg, &watch.user);
    watch.days = rdss_config_expiry_warning_days(cfg);
    return watch;
}

void rdss__warn_if_expiring(const rdss__expiry_watch *watch, const char *host, int port,
                            const SSL *ssl)
{
    if (watch->log == NULL || watch->days <= 0 || ssl == NULL)
        return;
    char iso[RDSS__ISO_TIME_LEN + 1];
    int64_t when = 0;
    if (!rdss__chain_earliest_not_after(SSL_get_peer_cert_chain(ssl), iso, &when))
        return;
    int64_t left = when - (int64_t)time(NULL);
    long days = (long)((left + 86399) / 86400);
    if (days > watch->days)
        return;
    char endpoint[300];
    snprintf(endpoint, sizeof(endpoint), "%s:%d", host ? host : "?", port);
    if (!first_time(endpoint))
        return;
    char message[512];
    snprintf(message, sizeof(message),
             "librdssecure: the certificate chain of %s expires in %ld days (%s): the server's "
             "certificate must be rotated before then (rdssecure probe shows the chain)",
             endpoint, days, iso);
    watch->log(watch->user, message);
}
