#include "core/process.h"

#include <pthread.h>
#include <stdlib.h>
#include <openssl/ssl.h>

#include "rdssecure/rdssecure.h"

#define MAX_STATES 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;
static const rdss__process_state *states[MAX_STATES]; /* in registration order; under lock */
static int count;

static void before_fork(void)
{
    pthread_mutex_lock(&lock);
    for (int i = count - 1; i >= 0; i--)
        if (states[i]->before_fork != NULL)
            states[i]->before_fork();
}

static void after_fork_in_parent(void)
{
    for (int i = 0; i < count; i++)
        if (states[i]->after_fork_in_parent != NULL)
            states[i]->after_fork_in_parent();
    pthread_mutex_unlock(&lock);
}

static void after_fork_in_child(void)
{
    for (int i = 0; i < count; i++)
        if (states[i]->after_fork_in_child != NULL)
            states[i]->after_fork_in_child();
    pthread_mutex_unlock(&lock);
}

static void at_exit(void)
{
    rdss_global_cleanup();
}

/* OpenSSL is initialised first, so that its own exit handler, registered
 * then, runs after ours: our trusts are OpenSSL objects. */
static void install_handlers(void)
{
    OPENSSL_init_ssl(0, NULL);
    atexit(at_exit);
    pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
}

void rdss__process_register(const rdss__process_state *state)
{
    pthread_once(&handlers_once, install_handlers);
    pthread_mutex_lock(&lock);
    int known = 0;
    for (int i = 0; i < count && !known; i++)
        known = states[i] == state;
    if (!known && count < MAX_STATES) /* MAX_STATES exceeds the modules that register */
        states[count++] = state;
    pthread_mutex_unlock(&lock);
}

/* Releases in the reverse order of registration: what was built on top of
 * other state (the anchor cache on the trusts) goes first. The lock is not
 * held while a module releases: a release may use another module (a trust
 * freed closes its CA file), never register. */
void rdss_global_cleanup(void)
{
    pthread_mutex_lock(&lock);
    const rdss__process_state *releasing[MAX_STATES];
    int n = count;
    for (int i = 0; i < n; i++)
        releasing[i] = states[i];
    count = 0;
    pthread_mutex_unlock(&lock);
    for (int i = n - 1; i >= 0; i--)
        if (releasing[i]->release != NULL)
            releasing[i]->release();
}
