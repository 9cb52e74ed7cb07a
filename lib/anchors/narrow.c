#include "anchors/narrow.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/process.h"
#include "tls/verify.h"

/* Endpoints, not files: entries whose endpoints share an anchor share its
 * narrowed trust (one memfd per trust and anchor, whatever the number of
 * endpoints), so a client of a few hundred databases is remembered whole. */
#define CACHE_SIZE 1024
#define SMALL_TRUST 4

int rdss__narrow_worth_it(const rdss__trust *full)
{
    return rdss__trust_has_more_than(full, SMALL_TRUST);
}

typedef struct entry {
    char *key;
    uint64_t key_hash;        /* of key: most entries are passed over by it */
    unsigned char full[32];   /* the digest of the trust it was learned under */
    unsigned char anchor[32]; /* the SHA-256 of the anchor */
    rdss__trust *narrow;      /* the anchor alone, with its own CA file; shared */
    uint64_t used;            /* for least-recently-used eviction */
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

static uint64_t hash_of(const char *key) /* FNV-1a */
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

/* An endpoint has an entry per trust: configs with other bundles that
 * alternate on it do not evict each other. */
/* Under the lock. `digest`: the trust's, taken before the lock (taking it
 * may decode the trust). */
static entry *find(const unsigned char *digest, const char *key, uint64_t key_hash)
{
    for (int i = 0; i < CACHE_SIZE; i++) {
        entry *e = &cache[i];
        if (e->key != NULL && e->key_hash == key_hash && strcmp(e->key, key) == 0 &&
            memcmp(e->full, digest, sizeof(e->full)) == 0)
            return e;
    }
    return NULL;
}

/* Under the lock: the narrowed trust another endpoint of the same trust and
 * anchor already has, as a new reference, or NULL. */
static rdss__trust *shared_narrow(const unsigned char *digest, const unsigned char *anchor)
{
    for (int i = 0; i < CACHE_SIZE; i++)
        if (cache[i].key != NULL && memcmp(cache[i].anchor, anchor, sizeof(cache[i].anchor)) == 0 &&
            memcmp(cache[i].full, digest, sizeof(cache[i].full)) == 0)
            return rdss__trust_ref(cache[i].narrow);
    return NULL;
}

rdss__trust *rdss__narrow_lookup(const rdss__trust *full, const char *key)
{
    rdss__trust *found = NULL;
    const unsigned char *digest = rdss__trust_digest(full);
    uint64_t key_hash = hash_of(key);
    lock_cache();
    entry *e = find(digest, key, key_hash);
    if (e != NULL) {
        e->used = ++tick;
        found = rdss__trust_ref(e->narrow);
    }
    pthread_mutex_unlock(&lock);
    return found;
}

rdss__trust *rdss__narrow_learn(const rdss__trust *full, const char *key, X509 *anchor)
{
    unsigned char anchor_digest[32];
    unsigned int digest_len = 0;
    if (!rdss__narrow_worth_it(full) || !X509_digest(anchor, EVP_sha256(), anchor_digest, &digest_len) ||
        digest_len != sizeof(anchor_digest))
        return NULL;
    const unsigned char *digest = rdss__trust_digest(full);
    uint64_t key_hash = hash_of(key);
    lock_cache();
    rdss__trust *narrow = shared_narrow(digest, anchor_digest);
    pthread_mutex_unlock(&lock);
    /* built outside the lock: it writes a memfd (two threads may both build
     * one for a new anchor: each endpoint keeps the one it got) */
    if (narrow == NULL && rdss__trust_narrowed(full, anchor, &narrow) != RDSS_OK)
        return NULL;
    rdss__trust *result = NULL;
    char *copy = strdup(key);
    lock_cache();
    entry *e = find(digest, key, key_hash);
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
        e->key_hash = key_hash;
        memcpy(e->full, digest, sizeof(e->full));
        memcpy(e->anchor, anchor_digest, sizeof(e->anchor));
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
    uint64_t key_hash = hash_of(key);
    lock_cache();
    entry *e = find(digest, key, key_hash);
    if (e != NULL)
        clear(e);
    pthread_mutex_unlock(&lock);
}
