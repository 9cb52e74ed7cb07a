#include "core/process.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <openssl/ssl.h>

#include "rdssecure/rdssecure.h"

#define MAX_STATES 16

/* The registry: appended to under `lock`; read without it (a state is
 * stored before the count that makes it visible). */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;
static const rdss__process_state *_Atomic states[MAX_STATES];
static atomic_int count;

static int registered(const rdss__process_state *state)
{
    int n = atomic_load(&count);
    for (int i = 0; i < n; i++)
        if (atomic_load(&states[i]) == state)
            return 1;
    return 0;
}

static void before_fork(void)
{
    pthread_mutex_lock(&lock);
    for (int i = atomic_load(&count) - 1; i >= 0; i--)
        if (states[i]->before_fork != NULL)
            states[i]->before_fork();
}

static void after_fork_in_parent(void)
{
    for (int i = 0; i < atomic_load(&count); i++)
        if (states[i]->after_fork_in_parent != NULL)
            states[i]->after_fork_in_parent();
    pthread_mutex_unlock(&lock);
}

static void after_fork_in_child(void)
{
    for (int i = 0; i < atomic_load(&count); i++)
        if (states[i]->after_fork_in_child != NULL)
            states[i]->after_fork_in_child();
    pthread_mutex_unlock(&lock);
}

/* Releases what was registered, in reverse order: what was built on top of
 * other state (the anchor cache on the trusts) goes first. States without
 * a release stay registered. The lock is not held while a module releases:
 * a release may use another module (a trust freed closes its CA file) or
 * register again (the watchdog, when a connect still holds it). */
static void release_all(int at_exit)
{
    const rdss__process_state *releasing[MAX_STATES];
    int n = 0;
    pthread_mutex_lock(&lock);
    int kept = 0;
    for (int i = 0; i < atomic_load(&count); i++) {
        const rdss__process_state *state = states[i];
        if (state->release == NULL || (at_exit && state->not_at_exit) || (!at_exit && state->exit_only))
            atomic_store(&states[kept++], state);
        else
            releasing[n++] = state;
    }
    atomic_store(&count, kept);
    pthread_mutex_unlock(&lock);
    for (int i = n - 1; i >= 0; i--)
        releasing[i]->release();
}

static void at_exit(void)
{
    release_all(1);
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
    if (registered(state))
        return;
    pthread_once(&handlers_once, install_handlers);
    pthread_mutex_lock(&lock);
    int n = atomic_load(&count);
    if (!registered(state) && n < MAX_STATES) { /* MAX_STATES exceeds the modules that register */
        atomic_store(&states[n], state);
        atomic_store(&count, n + 1);
    }
    pthread_mutex_unlock(&lock);
}

void rdss_global_cleanup(void)
{
    release_all(0);
}
