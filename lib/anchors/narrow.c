#include "anchors/narrow.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/process.h"
#include "tls/verify.h"

#define CACHE_SIZE 64
#define SMALL_TRUST 4

int rdss__narrow_worth_it(const rdss__trust *full)
{
    return rdss__trust_has_more_than(full, SMALL_TRUST);
}

typedef struct entry {
    char *key;
    unsigned char full[32]; /* the digest of the trust it was learned under */
    rdss__trust *narrow; /* the anchor alone, with its own CA file */
    uint64_t used;      /* for least-recently-used eviction */
} entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry cache[CACHE_SIZE];
static uint64_t tick;

static void clear(entry *e)
{
    free(e->key);
    rdss__trust_unref(e->narrow);
    memset(e, 0, sizeof(*e));
}

static void release_all(void)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < CACHE_SIZE; i++)
        clear(&cache[i]);
    pthread_mutex_unlock(&lock);
}

/* fork() while another thread holds the lock would leave it held forever in
 * the child: it is held across fork, so the cache is consistent on both
 * sides. The child keeps the entries: their memfds are inherited under the
 * same numbers, sealed, and read only. */
static void lock_only(void)
{
    pthread_mutex_lock(&lock);
}

static void unlock_only(void)
{
    pthread_mutex_unlock(&lock);
}

static const rdss__process_state process_cache = {"anchor cache", release_all, 0, lock_only, unlock_only,
                                                  unlock_only};

static void lock_cache(void)
{
    rdss__process_register(&process_cache);
    pthread_mutex_lock(&lock);
}

void rdss__narrow_key(const char *host, int port, const char *verify_name, char *out, size_t size)
{
    int len = snprintf(out, size, "%s\n%d\n%s", host, port, verify_name);
    if (len < 0 || (size_t)len >= size)
        out[0] = '\0';
}

/* An endpoint has an entry per trust: configs with other bundles that
 * alternate on it do not evict each other. */
/* Under the lock. `digest`: the trust's, taken before the lock (taking it
 * may decode the trust). */
static entry *find(const unsigned char *digest, const char *key)
{
    for (int i = 0; i < CACHE_SIZE; i++)
        if (cache[i].key != NULL && strcmp(cache[i].key, key) == 0 &&
            memcmp(cache[i].full, digest, sizeof(cache[i].full)) == 0)
            return &cache[i];
    return NULL;
}

rdss__trust *rdss__narrow_lookup(const rdss__trust *full, const char *key)
{
    rdss__trust *found = NULL;
    const unsigned char *digest = rdss__trust_digest(full);
    lock_cache();
    entry *e = find(digest, key);
    if (e != NULL) {
        e->used = ++tick;
        found = rdss__trust_ref(e->narrow);
    }
    pthread_mutex_unlock(&lock);
    return found;
}

rdss__trust *rdss__narrow_learn(const rdss__trust *full, const char *key, X509 *anchor)
{
    if (!rdss__narrow_worth_it(full))
        return NULL;
    /* built outside the lock: it writes a memfd */
    rdss__trust *narrow = NULL;
    if (rdss__trust_narrowed(full, anchor, &narrow) != RDSS_OK)
        return NULL;
    rdss__trust *result = NULL;
    char *copy = strdup(key);
    const unsigned char *digest = rdss__trust_digest(full);
    lock_cache();
    entry *e = find(digest, key);
    for (int i = 0; e == NULL && i < CACHE_SIZE; i++)
        if (cache[i].key == NULL)
            e = &cache[i];
    if (e == NULL) { /* full: the least recently used goes */
        e = &cache[0];
        for (int i = 1; i < CACHE_SIZE; i++)
            if (cache[i].used < e->used)
                e = &cache[i];
    }
    if (copy != NULL) {
        clear(e);
        e->key = copy;
        memcpy(e->full, digest, sizeof(e->full));
        e->narrow = narrow;
        e->used = ++tick;
        result = rdss__trust_ref(narrow);
        narrow = NULL;
        copy = NULL;
    }
    pthread_mutex_unlock(&lock);
    rdss__trust_unref(narrow);
    free(copy);
    return result;
}

void rdss__narrow_learn_from(const rdss__trust *full, const char *key, const char *name,
                             STACK_OF(X509) *chain)
{
    /* after every successful connect with a small trust: skip the
     * verification, not only the remembering */
    if (!rdss__narrow_worth_it(full))
        return;
    X509 *anchor = NULL;
    if (rdss__verify_chain(full, chain, name, &anchor, NULL) == RDSS_OK && anchor != NULL)
        rdss__trust_unref(rdss__narrow_learn(full, key, anchor));
    X509_free(anchor);
}

void rdss__narrow_forget(const rdss__trust *full, const char *key)
{
    const unsigned char *digest = rdss__trust_digest(full);
    lock_cache();
    entry *e = find(digest, key);
    if (e != NULL)
        clear(e);
    pthread_mutex_unlock(&lock);
}
