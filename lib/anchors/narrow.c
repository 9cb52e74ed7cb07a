#include "anchors/narrow.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/process.h"
#include "tls/verify.h"

/* Two tables: endpoints (many: a client of hundreds of databases is
 * remembered whole) point to anchors, and narrowed trusts, each with its own
 * memfd, exist per trust and anchor (few: a descriptor each, so they are
 * bounded well below a process's descriptor limit). An endpoint whose
 * anchor's file was evicted is looked up as not known, and learns again. */
#define ENDPOINTS 1024
#define FILES 64
#define SMALL_TRUST 4

int rdss__narrow_worth_it(const rdss__trust *full)
{
    return rdss__trust_has_more_than(full, SMALL_TRUST);
}

typedef struct endpoint_entry {
    char *key;
    uint64_t key_hash;        /* of key: most entries are passed over by it */
    unsigned char full[32];   /* the digest of the trust it was learned under */
    unsigned char anchor[32]; /* the SHA-256 of the anchor */
    uint64_t used;            /* for least-recently-used eviction */
} endpoint_entry;

typedef struct file_entry {
    unsigned char full[32];
    unsigned char anchor[32];
    rdss__trust *narrow; /* the anchor alone (and the trust's intermediates), with its CA file */
    uint64_t used;
} file_entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static endpoint_entry endpoints[ENDPOINTS];
static file_entry files[FILES];
static uint64_t tick;

static void clear_endpoint(endpoint_entry *e)
{
    free(e->key);
    memset(e, 0, sizeof(*e));
}

static void clear_file(file_entry *f)
{
    rdss__trust_unref(f->narrow);
    memset(f, 0, sizeof(*f));
}

static void release_all(void)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < ENDPOINTS; i++)
        clear_endpoint(&endpoints[i]);
    for (int i = 0; i < FILES; i++)
        clear_file(&files[i]);
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
                                                  unlock_only, 0};

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
static endpoint_entry *find_endpoint(const unsigned char *digest, const char *key, uint64_t key_hash)
{
    for (int i = 0; i < ENDPOINTS; i++) {
        endpoint_entry *e = &endpoints[i];
        if (e->key != NULL && e->key_hash == key_hash && strcmp(e->key, key) == 0 &&
            memcmp(e->full, digest, sizeof(e->full)) == 0)
            return e;
    }
    return NULL;
}

/* Under the lock: the file of `anchor` under the trust of `digest`, or NULL.
 * The trust is part of the match: another trust's narrowed file may carry
 * intermediates this trust does not have. */
static file_entry *find_file(const unsigned char *digest, const unsigned char *anchor)
{
    for (int i = 0; i < FILES; i++) {
        file_entry *f = &files[i];
        if (f->narrow != NULL && memcmp(f->anchor, anchor, sizeof(f->anchor)) == 0 &&
            memcmp(f->full, digest, sizeof(f->full)) == 0)
            return f;
    }
    return NULL;
}

rdss__trust *rdss__narrow_lookup(const rdss__trust *full, const char *key)
{
    rdss__trust *found = NULL;
    const unsigned char *digest = rdss__trust_digest(full);
    uint64_t key_hash = hash_of(key);
    lock_cache();
    endpoint_entry *e = find_endpoint(digest, key, key_hash);
    file_entry *f = e != NULL ? find_file(digest, e->anchor) : NULL;
    if (f != NULL) {
        e->used = f->used = ++tick;
        found = rdss__trust_ref(f->narrow);
    }
    pthread_mutex_unlock(&lock);
    return found;
}

/* Under the lock: keeps `narrow` (the cache's reference) as the file of
 * `anchor` under `digest`, unless another thread kept one first; the file
 * kept, as a new reference. */
static rdss__trust *keep_file(const unsigned char *digest, const unsigned char *anchor, rdss__trust *narrow)
{
    file_entry *f = find_file(digest, anchor);
    if (f == NULL) {
        f = &files[0];
        for (int i = 1; i < FILES && f->narrow != NULL; i++)
            if (files[i].narrow == NULL || files[i].used < f->used)
                f = &files[i];
        clear_file(f); /* the least recently used goes: its endpoints learn again */
        memcpy(f->full, digest, sizeof(f->full));
        memcpy(f->anchor, anchor, sizeof(f->anchor));
        f->narrow = rdss__trust_ref(narrow);
    }
    f->used = ++tick;
    return rdss__trust_ref(f->narrow);
}

/* Under the lock: remembers that `anchor` anchored `key` under `digest`. */
static void keep_endpoint(const unsigned char *digest, const char *key, uint64_t key_hash,
                          const unsigned char *anchor, char *copy)
{
    endpoint_entry *e = find_endpoint(digest, key, key_hash);
    for (int i = 0; e == NULL && i < ENDPOINTS; i++)
        if (endpoints[i].key == NULL)
            e = &endpoints[i];
    if (e == NULL) { /* full: the least recently used goes */
        e = &endpoints[0];
        for (int i = 1; i < ENDPOINTS; i++)
            if (endpoints[i].used < e->used)
                e = &endpoints[i];
    }
    clear_endpoint(e);
    e->key = copy;
    e->key_hash = key_hash;
    memcpy(e->full, digest, sizeof(e->full));
    memcpy(e->anchor, anchor, sizeof(e->anchor));
    e->used = ++tick;
}

rdss__trust *rdss__narrow_learn(const rdss__trust *full, const char *key, X509 *anchor)
{
    unsigned char anchor_digest[32];
    unsigned int digest_len = 0;
    if (!rdss__trust_has_more_than(full, 1) || !X509_digest(anchor, EVP_sha256(), anchor_digest, &digest_len) ||
        digest_len != sizeof(anchor_digest))
        return NULL;
    const unsigned char *digest = rdss__trust_digest(full);
    uint64_t key_hash = hash_of(key);
    lock_cache();
    file_entry *f = find_file(digest, anchor_digest);
    rdss__trust *narrow = f != NULL ? rdss__trust_ref(f->narrow) : NULL;
    pthread_mutex_unlock(&lock);
    /* built outside the lock: it writes a memfd */
    if (narrow == NULL && rdss__trust_narrowed(full, anchor, &narrow) != RDSS_OK)
        return NULL;
    char *copy = strdup(key);
    if (copy == NULL) {
        rdss__trust_unref(narrow);
        return NULL;
    }
    lock_cache();
    rdss__trust *kept = keep_file(digest, anchor_digest, narrow);
    keep_endpoint(digest, key, key_hash, anchor_digest, copy);
    pthread_mutex_unlock(&lock);
    rdss__trust_unref(narrow);
    return kept;
}

void rdss__narrow_learn_from(const rdss__trust *full, const char *key, const char *name,
                             STACK_OF(X509) *chain)
{
    /* one root: nothing to narrow, nothing to verify again */
    if (!rdss__trust_has_more_than(full, 1))
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
    endpoint_entry *e = find_endpoint(digest, key, key_hash);
    if (e != NULL)
        clear_endpoint(e); /* the anchor's file stays for the other endpoints */
    pthread_mutex_unlock(&lock);
}
