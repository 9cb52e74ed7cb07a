#define _GNU_SOURCE /* secure_getenv */
#include "trust/trust.h"

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "trust/bundle_file.h"
#include "trust/cafile.h"
#include "trust/certinfo.h"
#include "trust/embedded.h"
#include "core/error.h"
#include "core/process.h"
#include "trust/pem.h"

struct rdss__trust {
    atomic_int refs;
    unsigned char digest[32]; /* of the certificates: equal content, equal digest */
    char *label;
    STACK_OF(X509) *certs;
    X509_STORE *store; /* the same certificates, for our own verification */
    rdss__ca_file ca_file;
};

static void trust_destroy(rdss__trust *trust)
{
    rdss__ca_file_destroy(&trust->ca_file);
    X509_STORE_free(trust->store);
    sk_X509_pop_free(trust->certs, X509_free);
    free(trust->label);
    free(trust);
}

/* Takes ownership of `certs` whatever happens. */
static rdss_code trust_build(STACK_OF(X509) *certs, const char *label, rdss__trust **out,
                             rdss_error **err)
{
    rdss__trust *trust = calloc(1, sizeof(*trust));
    if (trust == NULL || (trust->label = strdup(label)) == NULL) {
        free(trust);
        sk_X509_pop_free(certs, X509_free);
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory building trust from %s", label);
    }
    atomic_init(&trust->refs, 1);
    trust->certs = certs;
    trust->ca_file.fd = -1;
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
    if (!hashed) {
        trust_destroy(trust);
        return rdss__fail(err, RDSS_ERR_INTERNAL, "cannot hash the certificates of %s", label);
    }
    trust->store = X509_STORE_new();
    for (int i = 0; trust->store != NULL && i < sk_X509_num(certs); i++) {
        if (!X509_STORE_add_cert(trust->store, sk_X509_value(certs, i))) {
            X509_STORE_free(trust->store);
            trust->store = NULL;
        }
    }
    if (trust->store == NULL) {
        trust_destroy(trust);
        return rdss__fail(err, RDSS_ERR_INTERNAL, "cannot build the certificate store for %s", label);
    }
    rdss_code code = rdss__ca_file_create(certs, &trust->ca_file, err);
    if (code != RDSS_OK) {
        trust_destroy(trust);
        return code;
    }
    *out = trust;
    return RDSS_OK;
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

rdss_code rdss__trust_from_file(const char *path, rdss__trust **out, rdss_error **err)
{
    *out = NULL;
    char *data = NULL;
    size_t len = 0;
    char *label = NULL;
    rdss_code code = rdss__read_bundle_file(path, &data, &len, &label, err);
    if (code == RDSS_OK)
        code = rdss__trust_from_pem(data, len, label, out, err);
    free(data);
    free(label);
    return code;
}

static int contains(STACK_OF(X509) *certs, X509 *cert)
{
    for (int i = 0; i < sk_X509_num(certs); i++)
        if (X509_cmp(sk_X509_value(certs, i), cert) == 0)
            return 1;
    return 0;
}

rdss_code rdss__trust_union(const rdss__trust *a, const rdss__trust *b, const char *label,
                            rdss__trust **out, rdss_error **err)
{
    *out = NULL;
    STACK_OF(X509) *certs = sk_X509_new_null();
    const rdss__trust *parts[2] = {a, b};
    for (int p = 0; certs != NULL && p < 2; p++) {
        for (int i = 0; i < sk_X509_num(parts[p]->certs); i++) {
            X509 *cert = sk_X509_value(parts[p]->certs, i);
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
    return trust->ca_file.path;
}

const char *rdss__trust_label(const rdss__trust *trust)
{
    return trust->label;
}

X509_STORE *rdss__trust_store(const rdss__trust *trust)
{
    return trust->store;
}

STACK_OF(X509) *rdss__trust_certs(const rdss__trust *trust)
{
    return trust->certs;
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
}

static void unlock_both(void)
{
    pthread_mutex_unlock(&embedded_trust.lock);
    pthread_mutex_unlock(&default_trust.lock);
}

/* Released before OpenSSL's own clean-up (core/process.c), so the
 * fallback CA file (when memfd is unavailable) does not outlive the
 * process and leak checkers see nothing left. */
static const rdss__process_state process_trusts = {"trusts", release_process_trusts, 0, lock_both,
                                                   unlock_both, unlock_both};

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
    rdss__process_register(&process_trusts);
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
    rdss_code code = rdss__trust_from_pem(rdss__embedded_rds_roots_pem,
                                          rdss__embedded_rds_roots_pem_len, "embedded", &trust, &e);
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
    return trust->digest;
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
    for (int i = 0; !failed && i < sk_X509_num(full->certs); i++) {
        X509 *other = sk_X509_value(full->certs, i);
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
