#define _GNU_SOURCE /* F_DUPFD_CLOEXEC */
#include "net/watchdog.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/process.h"

struct rdss__watch {
    int fd; /* our duplicate */
    rdss__deadline deadline;
    atomic_int fired;
    struct rdss__watch *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed;
static pthread_once_t changed_once = PTHREAD_ONCE_INIT;
static rdss__watch *watches; /* under lock */
static int running;         /* the thread exists in this process; under lock */
static int stopping;        /* the thread is asked to end; under lock */
static pthread_t thread;

static void init_changed(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&changed, &attr);
    pthread_condattr_destroy(&attr);
}

static const rdss__process_state process_watchdog;

/* Ends the thread (rdss_global_cleanup and exit), when no watch is armed:
 * a watch belongs to a connect in progress, which cleanup must not meet. */
static void stop_thread(void)
{
    pthread_mutex_lock(&lock);
    int joining = running && watches == NULL;
    if (joining) {
        stopping = 1;
        pthread_cond_signal(&changed);
    }
    int stays = running && !joining;
    pthread_mutex_unlock(&lock);
    if (stays) /* a connect still runs (a caller broke cleanup's rule): keep its fork handling */
        rdss__process_register(&process_watchdog);
    if (!joining)
        return;
    pthread_join(thread, NULL);
    pthread_mutex_lock(&lock);
    running = stopping = 0;
    pthread_mutex_unlock(&lock);
}

static void lock_watches(void)
{
    pthread_mutex_lock(&lock);
}

static void unlock_watches(void)
{
    pthread_mutex_unlock(&lock);
}

/* In a child after fork() only the forking thread exists: no watchdog
 * thread (the next watch starts one), and the parent's watches belong to
 * connects in threads the child lacks: left, not freed. */
static void after_fork_in_child(void)
{
    init_changed(); /* the parent's thread waited on it: a waiter the child lacks */
    running = 0; /* the thread is the parent's: the child's next watch starts its own */
    stopping = 0;
    watches = NULL;
    pthread_mutex_unlock(&lock);
}

static const rdss__process_state process_watchdog = {"watchdog thread", stop_thread, 0, lock_watches,
                                                     unlock_watches, after_fork_in_child, 0};

static void *watch_loop(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&lock);
    while (!stopping) {
        int64_t earliest = INT64_MAX;
        for (rdss__watch *w = watches; w != NULL; w = w->next) {
            if (atomic_load(&w->fired))
                continue;
            if (rdss__deadline_passed(w->deadline)) {
                shutdown(w->fd, SHUT_RDWR);
                atomic_store(&w->fired, 1);
            } else if (w->deadline.at_ms < earliest) {
                earliest = w->deadline.at_ms;
            }
        }
        if (earliest == INT64_MAX) {
            pthread_cond_wait(&changed, &lock);
        } else {
            struct timespec until = {(time_t)(earliest / 1000), (long)(earliest % 1000) * 1000000L};
            pthread_cond_timedwait(&changed, &lock, &until);
        }
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* Under lock. */
static int ensure_thread(void)
{
    if (running)
        return 1;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, (size_t)64 * 1024);
    /* a program's signal handlers never run on our thread */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    running = pthread_create(&thread, &attr, watch_loop, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return running;
}

rdss__watch *rdss__watchdog_arm(int fd, rdss__deadline deadline)
{
    pthread_once(&changed_once, init_changed);
    rdss__process_register(&process_watchdog);
    rdss__watch *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    w->deadline = deadline;
    atomic_init(&w->fired, 0);
    if (w->fd < 0) {
        free(w);
        return NULL;
    }
    pthread_mutex_lock(&lock);
    if (!ensure_thread()) {
        pthread_mutex_unlock(&lock);
        close(w->fd);
        free(w);
        return NULL;
    }
    w->next = watches;
    watches = w;
    pthread_cond_signal(&changed);
    pthread_mutex_unlock(&lock);
    return w;
}

void rdss__watchdog_disarm(rdss__watch *watch)
{
    if (watch == NULL)
        return;
    pthread_mutex_lock(&lock);
    for (rdss__watch **p = &watches; *p != NULL; p = &(*p)->next) {
        if (*p == watch) {
            *p = watch->next;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    close(watch->fd);
    free(watch);
}

int rdss__watchdog_fired(const rdss__watch *watch)
{
    return watch != NULL && atomic_load(&((rdss__watch *)watch)->fired);
}
