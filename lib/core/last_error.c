#include "core/last_error.h"

#include <pthread.h>

#include "core/process.h"

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void free_at_thread_exit(void *e)
{
    rdss_error_free(e);
}

static void make_key(void)
{
    pthread_key_create(&key, free_at_thread_exit);
}

/* Other threads' errors are freed when they exit; the calling thread's
 * (at exit: the main thread's, whose key destructors never run) here. */
static void release_own(void)
{
    rdss_error_free(pthread_getspecific(key));
    pthread_setspecific(key, NULL);
}

static const rdss__process_state process_last_error = {"last error", release_own, 0, NULL, NULL, NULL, 0};

void rdss__set_last_error(rdss_error *e)
{
    pthread_once(&key_once, make_key);
    rdss__process_register(&process_last_error);
    rdss_error_free(pthread_getspecific(key));
    pthread_setspecific(key, e);
}

const rdss_error *rdss_last_error(void)
{
    pthread_once(&key_once, make_key);
    return pthread_getspecific(key);
}
