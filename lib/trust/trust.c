#define _GNU_SOURCE /* secure_getenv */
#include "trust/trust.h"

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "trust/bundle_file.h"
#include "trust/cafile.h"
#include "trust/certinfo.h"
#include "trust/edition.h"
#include "trust/embedded.h"
#include "core/error.h"
#include "core/process.h"
#include "trust/cadir.h"
#include "trust/pem.h"

/* The roots of one region, cut from a trust for a driver (rdss__trust_region). */
typedef struct region_slice {
    char region[RDSS__REGION_MAX];
    rdss__trust *slice; /* NULL: the trust has none */
} region_slice;

struct rdss__trust {
    atomic_int refs;
    char *label;
    /* A trust of an official edition's bytes (rdss__trust_of_edition) is
     * parsed only when something needs its certificates: a connect by an
     * RDS name needs only its region's roots. */
    const char *pem;   /* those bytes (owned when pem_owned), or NULL */
    size_t pem_len;
    char *pem_owned;
    /* the lazy parts, under lazy_lock: */
    atomic_int parsed;    /* certs, store and digest are there */
    atomic_int ca_ready;  /* ca_file is there */
    unsigned char digest[32]; /* of the certificates: equal content, equal digest */
    STACK_OF(X509) *certs;
    X509_STORE *store; /* the same certificates, for our own verification */
    rdss__ca_file ca_file;
    atomic_int dir_tried; /* ca_dir was made, or could not be */
    atomic_int uses;      /* rdss__trust_count_use */
    rdss__ca_dir *ca_dir; /* NULL until asked for, or when it could not be made */
    region_slice *slices;
    size_t slice_count;
    /* When `pem` begins with the embedded edition's bytes: the names of its
     * first blocks, so that a region's roots are found without decoding. */
    const char *const *block_names;
    size_t block_name_count;
};

/* One lock for the lazy parts of every trust (decoding an edition, its CA
 * file, its region slices: each once per trust), so that fork() can hold
 * it (see lock_both): a child never inherits it held. Taken after the
 * anchor cache's lock and the process-wide trusts', never before. */
static pthread_mutex_t lazy_lock = PTHREAD_MUTEX_INITIALIZER;

static void trust_destroy(rdss__trust *trust)
{
    for (size_t i = 0; i < trust->slice_count; i++)
        rdss__trust_unref(trust->slices[i].slice);
    free(trust->slices);
    rdss__ca_file_destroy(&trust->ca_file);
    rdss__ca_dir_destroy(trust->ca_dir);
    X509_STORE_free(trust->store);
    sk_X509_pop_free(trust->certs, X509_free);
    free(trust->label);
    free(trust->pem_owned);
    free(trust);
}

static const rdss__process_state process_trusts;

/* The trusts' process state, after the CA directories' (see cadir.h). */
static void register_trusts(void)
{
    rdss__ca_dir_register();
    rdss__process_register(&process_trusts);
}

static rdss__trust *trust_new(const char *label)
{
    register_trusts(); /* its fork handlers hold lazy_lock */
    rdss__trust *trust = calloc(1, sizeof(*trust));
    if (trust == NULL || (trust->label = strdup(label)) == NULL) {
        free(trust);
        return NULL;
    }
    atomic_init(&trust->refs, 1);
    atomic_init(&trust->parsed, 0);
    atomic_init(&trust->ca_ready, 0);
    atomic_init(&trust->dir_tried, 0);
    atomic_init(&trust->uses, 0);
    trust->ca_file.fd = -1;
    return trust;
}

rdss_code rdss__trust_check(const rdss__trust *trust, rdss_error **err)
{
    if (trust->pem == NULL)
        return rdss__succeed(err); /* decoded and checked when it was built */
    rdss__trust *checked = NULL;
    rdss_code code = rdss__trust_from_pem(trust->pem, trust->pem_len, trust->label, &checked, err);
    rdss__trust_unref(checked);
    return code;
}

int rdss__trust_decoded(const rdss__trust *trust)
{
    return atomic_load(&trust->parsed);
}

int rdss__trust_has_more_than(const rdss__trust *trust, int count)
{
    if (!atomic_load(&trust->parsed) && trust->pem != NULL)
        return 1; /* an official edition: about a hundred roots */
    return sk_X509_num(trust->certs) > count;
}

/* Digest and store of trust->certs: 0 when that failed. */
static int index_certs(rdss__trust *trust)
{
    STACK_OF(X509) *certs = trust->certs;
    /* SHA-256 over each certificate's SHA-256, in order */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int hashed = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (int i = 0; hashed && i < sk_X509_num(certs); i++) {
        unsigned char one[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        hashed = X509_digest(sk_X509_value(certs, i), EVP_sha256(), one, &len) &&
                 EVP_DigestUpdate(md, one, len);
    }
    hashed = hashed && EVP_DigestFinal_ex(md, trust->digest, NULL);
    EVP_MD_CTX_free(md);
    trust->store = hashed ? X509_STORE_new() : NULL;
    for (int i = 0; trust->store != NULL && i < sk_X509_num(certs); i++) {
        if (!X509_STORE_add_cert(trust->store, sk_X509_value(certs, i))) {
            X509_STORE_free(trust->store);
            trust->store = NULL;
        }
    }
    return trust->store != NULL;
}

/* Takes ownership of `certs` whatever happens. */
static rdss_code trust_build(STACK_OF(X509) *certs, const char *label, rdss__trust **out,
                             rdss_error **err)
{
    rdss__trust *trust = trust_new(label);
    if (trust == NULL) {
        sk_X509_pop_free(certs, X509_free);
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory building trust from %s", label);
    }
    trust->certs = certs;
    if (!index_certs(trust)) {
        trust_destroy(trust);
        return rdss__fail(err, RDSS_ERR_INTERNAL, "cannot index the certificates of %s", label);
    }
    rdss_code code = rdss__ca_file_create(certs, &trust->ca_file, err);
    if (code != RDSS_OK) {
        trust_destroy(trust);
        return code;
    }
    atomic_store(&trust->parsed, 1);
    atomic_store(&trust->ca_ready, 1);
    *out = trust;
    return RDSS_OK;
}

static int contains(STACK_OF(X509) *certs, X509 *cert)
{
    for (int i = 0; i < sk_X509_num(certs); i++)
        if (X509_cmp(sk_X509_value(certs, i), cert) == 0)
            return 1;
    return 0;
}

/* An edition's certificates, decoded now; those that do not decode are left
 * out (none do: the edition was checked when it was pinned). */
static void parse_now(rdss__trust *trust)
{
    pthread_mutex_lock(&lazy_lock);
    if (!atomic_load(&trust->parsed)) {
        rdss__pem_blocks blocks;
        trust->certs = sk_X509_new_null();
        if (trust->certs != NULL && rdss__pem_split(trust->pem, trust->pem_len, trust->label, &blocks, NULL) == RDSS_OK) {
            for (size_t i = 0; i < blocks.count; i++)
                if (blocks.items[i].cert != NULL && !contains(trust->certs, blocks.items[i].cert) &&
                    sk_X509_push(trust->certs, blocks.items[i].cert))
                    blocks.items[i].cert = NULL;
            rdss__pem_blocks_free(&blocks);
        }
        if (trust->certs == NULL || !index_certs(trust)) {
            /* out of memory: an empty store, which verifies nothing */
            if (trust->certs == NULL)
                trust->certs = sk_X509_new_null();
            if (trust->store == NULL)
                trust->store = X509_STORE_new();
        }
        atomic_store(&trust->parsed, 1);
    }
    pthread_mutex_unlock(&lazy_lock);
}

static rdss__trust *parsed(const rdss__trust *trust)
{
    rdss__trust *t = (rdss__trust *)trust; /* logically const: parsing adds, never changes */
    if (!atomic_load(&t->parsed))
        parse_now(t);
    return t;
}

static int begins_with_the_embedded_edition(const char *pem, size_t len)
{
    return len >= rdss__embedded_rds_roots_pem_len &&
           memcmp(pem, rdss__embedded_rds_roots_pem, rdss__embedded_rds_roots_pem_len) == 0;
}

/* A trust of bytes not decoded yet: `pem`, which `owned` (NULL, or the same
 * bytes) hands over, freed whatever happens. */
static rdss_code undecoded_trust(const char *pem, size_t len, char *owned, const char *label, rdss__trust **out,
                                 rdss_error **err)
{
    *out = NULL;
    rdss__trust *trust = trust_new(label);
    if (trust == NULL) {
        free(owned);
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory building trust from %s", label);
    }
    trust->pem_owned = owned;
    trust->pem = pem;
    trust->pem_len = len;
    if (begins_with_the_embedded_edition(pem, len)) {
        trust->block_names = rdss__embedded_root_names;
        trust->block_name_count = rdss__embedded_root_name_count;
    }
    *out = trust;
    return rdss__succeed(err);
}

/* A copy of `len` bytes and a NUL, or NULL. */
static char *copy_of(const char *bytes, size_t len)
{
    char *copy = malloc(len + 1);
    if (copy != NULL) {
        memcpy(copy, bytes, len);
        copy[len] = '\0';
    }
    return copy;
}

rdss_code rdss__trust_of_edition(const char *pem, size_t len, int copy, const char *label, rdss__trust **out,
                                 rdss_error **err)
{
    if (!copy)
        return undecoded_trust(pem, len, NULL, label, out, err);
    char *owned = copy_of(pem, len);
    if (owned == NULL) {
        *out = NULL;
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory building trust from %s", label);
    }
    return undecoded_trust(owned, len, owned, label, out, err);
}

static rdss_code bundle_entry_error(rdss_error **err, const char *label, size_t index,
                                    const rdss__pem_block *block, const char *problem)
{
    rdss_error *e = rdss__error_new(RDSS_ERR_BUNDLE, "CA bundle %s: entry %zu (line %zu) %s", label,
                                    index + 1, block->line, problem);
    if (block->cert != NULL)
        rdss__error_set_cert_of(e, block->cert);
    return rdss__hand_over(err, e);
}

rdss_code rdss__trust_from_pem(const char *pem, size_t len, const char *label, rdss__trust **out,
                               rdss_error **err)
{
    *out = NULL;
    rdss__pem_blocks blocks;
    rdss_code code = rdss__pem_split(pem, len, label, &blocks, err);
    if (code != RDSS_OK)
        return code;
    time_t now = time(NULL);
    size_t current = 0;
    for (size_t i = 0; i < blocks.count; i++) {
        const rdss__pem_block *block = &blocks.items[i];
        const char *problem = NULL;
        if (block->cert == NULL)
            problem = "is malformed (a truncated download or a damaged file?)";
        else if (!rdss__cert_is_ca(block->cert))
            problem = "is not a CA certificate";
        if (problem != NULL) {
            code = bundle_entry_error(err, label, i, block, problem);
            rdss__pem_blocks_free(&blocks);
            return code;
        }
        if (!rdss__cert_expired_at(block->cert, now))
            current++;
    }
    if (current == 0) {
        size_t count = blocks.count;
        rdss__pem_blocks_free(&blocks);
        return rdss__fail(err, RDSS_ERR_BUNDLE,
                          "CA bundle %s has no usable CA: all %zu certificates are expired or "
                          "not yet valid",
                          label, count);
    }
    STACK_OF(X509) *certs = sk_X509_new_reserve(NULL, (int)blocks.count);
    if (certs == NULL) {
        rdss__pem_blocks_free(&blocks);
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory building trust from %s", label);
    }
    for (size_t i = 0; i < blocks.count; i++) {
        sk_X509_push(certs, blocks.items[i].cert); /* reserved above: cannot fail */
        blocks.items[i].cert = NULL;
    }
    rdss__pem_blocks_free(&blocks);
    return trust_build(certs, label, out, err);
}

static int has_known_digest(const char *data, size_t len)
{
    unsigned char digest[32];
    char hex[65];
    if (!EVP_Digest(data, len, digest, NULL, EVP_sha256(), NULL))
        return 0;
    for (int i = 0; i < 32; i++)
        snprintf(hex + (size_t)2 * (size_t)i, 3, "%02x", digest[i]);
    return rdss__edition_of_sha256(hex) != NULL;
}

/* Whether `data` is, byte for byte, an official edition the library knows
 * (checked when it was pinned): then it need not be checked again. */
static int is_known_edition(const char *data, size_t len)
{
    /* a file too small for any edition's roots (each PEM root takes more
     * than 500 bytes) is not hashed: an extra CA file, typically */
    int could_be = 0;
    for (size_t i = 0; i < rdss__known_edition_count; i++)
        could_be |= len >= (size_t)rdss__known_editions[i].roots * 500;
    return could_be && has_known_digest(data, len);
}

rdss_code rdss__trust_from_file(const char *path, rdss__trust **out, rdss_error **err)
{
    *out = NULL;
    char *data = NULL;
    size_t len = 0;
    char *label = NULL;
    rdss_code code = rdss__read_bundle_file_unless(path, rdss__embedded_rds_roots_pem,
                                                   rdss__embedded_rds_roots_pem_len, &data, &len, &label, err);
    if (code == RDSS_OK && data == NULL) {
        /* the embedded edition: its bytes in the library, not a copy of the
         * file's (a fresh process pays for every page it fills) */
        code = rdss__trust_of_edition(rdss__embedded_rds_roots_pem, len, 0, label, out, err);
    } else if (code == RDSS_OK && is_known_edition(data, len)) {
        code = undecoded_trust(data, len, data, label, out, err); /* takes `data` */
        data = NULL;
    } else if (code == RDSS_OK)
        code = rdss__trust_from_pem(data, len, label, out, err);
    free(data);
    free(label);
    return code;
}


/* An edition nobody decoded yet, plus decoded certificates: the edition's
 * bytes and theirs, still undecoded as one (the extras were checked when
 * they were read; duplicates go when it is decoded). */
static rdss_code undecoded_union(const rdss__trust *edition, const rdss__trust *extra, const char *label,
                                 rdss__trust **out, rdss_error **err)
{
    /* the edition's bytes first, unchanged: its blocks keep their names */
    BIO *bio = BIO_new(BIO_s_mem());
    int written = bio != NULL && BIO_write(bio, "\n", 1) == 1;
    STACK_OF(X509) *certs = rdss__trust_certs(extra);
    for (int i = 0; written && i < sk_X509_num(certs); i++)
        written = PEM_write_bio_X509(bio, sk_X509_value(certs, i));
    char *extras = NULL;
    long extras_len = written ? BIO_get_mem_data(bio, &extras) : 0;
    size_t len = edition->pem_len + (size_t)extras_len;
    char *pem = written && extras_len > 0 ? malloc(len + 1) : NULL;
    if (pem != NULL) {
        memcpy(pem, edition->pem, edition->pem_len);
        memcpy(pem + edition->pem_len, extras, (size_t)extras_len);
        pem[len] = '\0';
    }
    BIO_free(bio);
    if (pem == NULL) {
        *out = NULL;
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory combining trust for %s", label);
    }
    return undecoded_trust(pem, len, pem, label, out, err);
}

rdss_code rdss__trust_union(const rdss__trust *a, const rdss__trust *b, const char *label,
                            rdss__trust **out, rdss_error **err)
{
    *out = NULL;
    if (!rdss__trust_decoded(a) && rdss__trust_decoded(b))
        return undecoded_union(a, b, label, out, err);
    STACK_OF(X509) *certs = sk_X509_new_null();
    const rdss__trust *parts[2] = {a, b};
    for (int p = 0; certs != NULL && p < 2; p++) {
        STACK_OF(X509) *from = rdss__trust_certs(parts[p]);
        for (int i = 0; i < sk_X509_num(from); i++) {
            X509 *cert = sk_X509_value(from, i);
            if (contains(certs, cert))
                continue;
            if (!X509_up_ref(cert))
                goto oom;
            if (!sk_X509_push(certs, cert)) {
                X509_free(cert);
                goto oom;
            }
        }
    }
    if (certs == NULL)
        goto oom;
    return trust_build(certs, label, out, err);
oom:
    sk_X509_pop_free(certs, X509_free);
    return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory combining trust for %s", label);
}

rdss__trust *rdss__trust_ref(rdss__trust *trust)
{
    if (trust != NULL)
        atomic_fetch_add_explicit(&trust->refs, 1, memory_order_relaxed);
    return trust;
}

void rdss__trust_unref(rdss__trust *trust)
{
    if (trust != NULL && atomic_fetch_sub_explicit(&trust->refs, 1, memory_order_acq_rel) == 1)
        trust_destroy(trust);
}

const char *rdss__trust_ca_file(const rdss__trust *trust)
{
    rdss__trust *t = (rdss__trust *)trust; /* logically const, as in parsed() */
    if (!atomic_load(&t->ca_ready)) {
        pthread_mutex_lock(&lazy_lock);
        /* an edition's bytes go to the driver as they are, undecoded */
        if (!atomic_load(&t->ca_ready) &&
            rdss__text_file_create("ca.pem", t->pem, t->pem_len, &t->ca_file, NULL) == RDSS_OK)
            atomic_store(&t->ca_ready, 1);
        pthread_mutex_unlock(&lazy_lock);
    }
    return t->ca_file.path;
}

/* Under lazy_lock. */
static rdss__ca_dir *make_ca_dir(const rdss__trust *t)
{
    if (t->pem != NULL) /* an edition's bytes, undecoded */
        return rdss__ca_dir_create(t->pem, t->pem_len);
    BIO *bio = rdss__certs_pem(t->certs);
    char *pem = NULL;
    long len = bio ? BIO_get_mem_data(bio, &pem) : 0;
    rdss__ca_dir *dir = len > 0 ? rdss__ca_dir_create(pem, (size_t)len) : NULL;
    BIO_free(bio);
    return dir;
}

const char *rdss__trust_ca_dir(const rdss__trust *trust)
{
    rdss__trust *t = (rdss__trust *)trust; /* logically const, as in parsed() */
    if (!atomic_load(&t->dir_tried)) {
        pthread_mutex_lock(&lazy_lock);
        if (!atomic_load(&t->dir_tried)) {
            t->ca_dir = make_ca_dir(t);
            atomic_store(&t->dir_tried, 1);
        }
        pthread_mutex_unlock(&lazy_lock);
    }
    return t->ca_dir != NULL ? rdss__ca_dir_path(t->ca_dir) : NULL;
}

int rdss__trust_count_use(const rdss__trust *trust)
{
    return atomic_fetch_add(&((rdss__trust *)trust)->uses, 1); /* logically const, as in parsed() */
}

int rdss__trust_ca_fd(const rdss__trust *trust)
{
    return rdss__trust_ca_file(trust) != NULL ? trust->ca_file.fd : -1;
}

const char *rdss__trust_label(const rdss__trust *trust)
{
    return trust->label;
}

X509_STORE *rdss__trust_store(const rdss__trust *trust)
{
    return parsed(trust)->store;
}

STACK_OF(X509) *rdss__trust_certs(const rdss__trust *trust)
{
    return parsed(trust)->certs;
}

/* ---- process-wide trusts, built on first use ------------------------- */

/* Built under its lock on first use and kept, failures included (every
 * caller gets the same answer), until rdss_global_cleanup() or exit. */
typedef struct lazy_trust {
    pthread_mutex_t lock;
    int built;
    rdss__trust *trust;
    rdss_code code;  /* the build's result, remembered for every caller */
    char *message;   /* its message when it failed */
} lazy_trust;

static lazy_trust embedded_trust = {PTHREAD_MUTEX_INITIALIZER, 0, NULL, RDSS_OK, NULL};
static lazy_trust default_trust = {PTHREAD_MUTEX_INITIALIZER, 0, NULL, RDSS_OK, NULL};

static void release_process_trusts(void)
{
    lazy_trust *all[2] = {&default_trust, &embedded_trust};
    for (int i = 0; i < 2; i++) {
        pthread_mutex_lock(&all[i]->lock);
        rdss__trust_unref(all[i]->trust);
        free(all[i]->message);
        all[i]->trust = NULL;
        all[i]->message = NULL;
        all[i]->code = RDSS_OK;
        all[i]->built = 0;
        pthread_mutex_unlock(&all[i]->lock);
    }
}

/* Held across fork(), in the order build_default takes them: a child never
 * inherits a lock a thread it lacks was holding. */
static void lock_both(void)
{
    pthread_mutex_lock(&default_trust.lock);
    pthread_mutex_lock(&embedded_trust.lock);
    pthread_mutex_lock(&lazy_lock);
}

static void unlock_both(void)
{
    pthread_mutex_unlock(&lazy_lock);
    pthread_mutex_unlock(&embedded_trust.lock);
    pthread_mutex_unlock(&default_trust.lock);
}

/* Released before OpenSSL's own clean-up (core/process.c), so the
 * fallback CA file (when memfd is unavailable) does not outlive the
 * process and leak checkers see nothing left. */
static const rdss__process_state process_trusts = {"trusts", release_process_trusts, 0, lock_both,
                                                   unlock_both, unlock_both, 0};

static void remember(lazy_trust *lazy, rdss_code code, rdss__trust *trust, rdss_error *e)
{
    lazy->code = code;
    lazy->trust = trust;
    if (e != NULL)
        lazy->message = strdup(rdss_error_message(e));
    rdss_error_free(e);
    lazy->built = 1;
}

static rdss_code hand_out(lazy_trust *lazy, void (*build)(lazy_trust *), rdss__trust **out,
                          rdss_error **err)
{
    *out = NULL;
    register_trusts();
    pthread_mutex_lock(&lazy->lock);
    if (!lazy->built)
        build(lazy);
    rdss_code code = lazy->code;
    if (code != RDSS_OK)
        rdss__fail(err, code, "%s", lazy->message ? lazy->message : rdss_strerror(code));
    else
        *out = rdss__trust_ref(lazy->trust);
    pthread_mutex_unlock(&lazy->lock);
    return code == RDSS_OK ? rdss__succeed(err) : code;
}

static void build_embedded(lazy_trust *lazy)
{
    rdss__trust *trust = NULL;
    rdss_error *e = NULL;
    /* checked when it was pinned: parsed only when needed */
    rdss_code code = rdss__trust_of_edition(rdss__embedded_rds_roots_pem, rdss__embedded_rds_roots_pem_len, 0,
                                            "embedded", &trust, &e);
    remember(lazy, code, trust, e);
}

/* Under default_trust's lock; takes embedded_trust's (never the reverse). */
static void build_default(lazy_trust *lazy)
{
    rdss__trust *trust = NULL;
    rdss_error *e = NULL;
    rdss_code code;
    /* secure_getenv: a set-uid program must not let its caller pick the CAs. */
    const char *path = secure_getenv("RDSSECURE_CA_BUNDLE");
    if (path != NULL && path[0] != '\0') {
        code = rdss__trust_from_file(path, &trust, &e);
        if (code != RDSS_OK)
            rdss__error_prefix_message(e, "RDSSECURE_CA_BUNDLE: ");
    } else {
        code = rdss__trust_embedded(&trust, &e);
    }
    remember(lazy, code, trust, e);
}

rdss_code rdss__trust_embedded(rdss__trust **out, rdss_error **err)
{
    return hand_out(&embedded_trust, build_embedded, out, err);
}

rdss_code rdss__trust_default(rdss__trust **out, rdss_error **err)
{
    return hand_out(&default_trust, build_default, out, err);
}

int rdss__trust_covers_region(const rdss__trust *trust, const char *region)
{
    STACK_OF(X509) *certs = rdss__trust_certs(trust);
    int covered = 0;
    for (int i = 0; !covered && i < sk_X509_num(certs); i++) {
        char *cn = rdss__cert_subject_cn(sk_X509_value(certs, i));
        char found[RDSS__REGION_MAX];
        covered = cn != NULL && rdss__find_region(cn, found) && strcmp(found, region) == 0;
        free(cn);
    }
    return covered;
}

int rdss__trust_has_proxy_roots(const rdss__trust *trust)
{
    STACK_OF(X509) *certs = rdss__trust_certs(trust);
    for (int i = 0; i < sk_X509_num(certs); i++)
        if (strcmp(rdss__rds_ca_family(sk_X509_value(certs, i)), "rds-proxy-amazon-root") == 0)
            return 1;
    return 0;
}

const unsigned char *rdss__trust_digest(const rdss__trust *trust)
{
    return parsed(trust)->digest;
}

/* A certificate that is not its own issuer: an intermediate CA a bundle
 * may carry for servers that send their leaf alone. */
static int is_intermediate(X509 *cert)
{
    return X509_check_issued(cert, cert) != X509_V_OK;
}

rdss_code rdss__trust_narrowed(const rdss__trust *full, X509 *cert, rdss__trust **out)
{
    STACK_OF(X509) *narrowed = sk_X509_new_null();
    int failed = narrowed == NULL || !sk_X509_push(narrowed, cert);
    if (!failed)
        X509_up_ref(cert);
    /* The root alone would fail a server whose path runs through one of
     * the bundle's intermediates: they come along (a bundle of roots, as
     * RDS's, has none). Without the root they lead to, they anchor
     * nothing: the drivers accept no partial chain. */
    STACK_OF(X509) *all = rdss__trust_certs(full);
    for (int i = 0; !failed && i < sk_X509_num(all); i++) {
        X509 *other = sk_X509_value(all, i);
        if (X509_cmp(other, cert) == 0 || !is_intermediate(other))
            continue;
        failed = !sk_X509_push(narrowed, other);
        if (!failed)
            X509_up_ref(other);
    }
    if (failed) {
        sk_X509_pop_free(narrowed, X509_free);
        return RDSS_ERR_INTERNAL;
    }
    char *cn = rdss__cert_subject_cn(cert);
    char label[512];
    snprintf(label, sizeof(label), "%s (narrowed to %s)", full->label, cn ? cn : "one root");
    free(cn);
    return trust_build(narrowed, label, out, NULL);
}

/* The certificates of `trust` whose RDS name carries `region`, with its
 * intermediates, from the parsed certificates. Under lazy_lock. */
static rdss_code slice_of_certs(rdss__trust *trust, const char *region, const char *label, rdss__trust **out)
{
    STACK_OF(X509) *slice = sk_X509_new_null();
    int failed = slice == NULL, matched = 0;
    for (int i = 0; !failed && i < sk_X509_num(trust->certs); i++) {
        X509 *cert = sk_X509_value(trust->certs, i);
        char *cn = rdss__cert_subject_cn(cert);
        char found[RDSS__REGION_MAX];
        int in_region = cn != NULL && rdss__production_root_region(cn, found) && strcmp(found, region) == 0;
        free(cn);
        matched += in_region;
        if (!in_region && !is_intermediate(cert))
            continue;
        failed = !sk_X509_push(slice, cert);
        if (!failed)
            X509_up_ref(cert);
    }
    if (failed || !matched) {
        sk_X509_pop_free(slice, X509_free);
        return failed ? RDSS_ERR_INTERNAL : RDSS_OK;
    }
    return trust_build(slice, label, out, NULL);
}

/* The same, cut from an edition's bytes without decoding the rest. */
static rdss_code slice_of_pem(const rdss__trust *trust, const char *region, const char *label, rdss__trust **out)
{
    char *pem = NULL;
    size_t len = 0;
    rdss_code code = rdss__pem_region_slice(trust->pem, trust->pem_len, trust->block_names, trust->block_name_count,
                                            region, &pem, &len);
    /* blocks of checked bytes: undecoded too, the driver decodes them */
    if (code == RDSS_OK && pem != NULL)
        return undecoded_trust(pem, len, pem, label, out, NULL);
    free(pem);
    return code;
}

#define MAX_SLICES 64 /* more regions than AWS has: names are the caller's */

rdss__trust *rdss__trust_region(const rdss__trust *trust, const char *region)
{
    rdss__trust *t = (rdss__trust *)trust; /* logically const, as in parsed() */
    rdss__trust *slice = NULL;
    register_trusts(); /* before lazy_lock: a slice is a new trust */
    pthread_mutex_lock(&lazy_lock);
    for (size_t i = 0; i < t->slice_count; i++) {
        if (strcmp(t->slices[i].region, region) == 0) {
            slice = rdss__trust_ref(t->slices[i].slice);
            pthread_mutex_unlock(&lazy_lock);
            return slice;
        }
    }
    char label[600];
    snprintf(label, sizeof(label), "%s (the %s roots)", t->label, region);
    rdss_code code = atomic_load(&t->parsed) || t->pem == NULL ? slice_of_certs(t, region, label, &slice)
                                                                : slice_of_pem(t, region, label, &slice);
    region_slice *grown = NULL;
    if (code == RDSS_OK && t->slice_count < MAX_SLICES &&
        (grown = realloc(t->slices, (t->slice_count + 1) * sizeof(*grown))) != NULL) {
        t->slices = grown;
        snprintf(t->slices[t->slice_count].region, RDSS__REGION_MAX, "%s", region);
        t->slices[t->slice_count++].slice = rdss__trust_ref(slice);
    }
    pthread_mutex_unlock(&lazy_lock);
    return slice;
}
