#define _GNU_SOURCE /* memmem */
#include "trust/pem.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/error.h"
#include "trust/certinfo.h"

static const char BEGIN_LINE[] = "-----BEGIN CERTIFICATE-----";
static const char END_LINE[] = "-----END CERTIFICATE-----";

/* memmem that also counts the newlines it passes, so blocks can be reported
 * by line. */
static const char *find(const char *from, const char *end, const char *needle, size_t *line)
{
    size_t needle_len = strlen(needle);
    for (const char *p = from; p < end; p++) {
        if (*p == '\n')
            (*line)++;
        else if ((size_t)(end - p) >= needle_len && memcmp(p, needle, needle_len) == 0)
            return p;
    }
    return NULL;
}

static X509 *decode_block(const char *begin, const char *end)
{
    BIO *bio = BIO_new_mem_buf(begin, (int)(end - begin));
    if (bio == NULL)
        return NULL;
    X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return cert;
}

static int append(rdss__pem_blocks *blocks, size_t *capacity, X509 *cert, size_t line)
{
    if (blocks->count == *capacity) {
        size_t grown = *capacity ? *capacity * 2 : 16;
        rdss__pem_block *items = realloc(blocks->items, grown * sizeof(*items));
        if (items == NULL)
            return 0;
        blocks->items = items;
        *capacity = grown;
    }
    blocks->items[blocks->count].cert = cert;
    blocks->items[blocks->count].line = line;
    blocks->count++;
    return 1;
}

rdss_code rdss__pem_split(const char *pem, size_t len, const char *label, rdss__pem_blocks *out,
                          rdss_error **err)
{
    out->items = NULL;
    out->count = 0;
    if (len > (size_t)INT32_MAX)
        return rdss__fail(err, RDSS_ERR_BUNDLE, "CA bundle %s: %zu bytes is too large", label, len);
    size_t capacity = 0;
    size_t line = 1;
    const char *end = pem + len;
    const char *cursor = pem;
    for (;;) {
        const char *begin = find(cursor, end, BEGIN_LINE, &line);
        if (begin == NULL)
            break;
        size_t begin_line = line;
        const char *block_end = find(begin + sizeof(BEGIN_LINE) - 1, end, END_LINE, &line);
        X509 *cert = NULL;
        if (block_end != NULL) {
            block_end += sizeof(END_LINE) - 1;
            cert = decode_block(begin, block_end);
        }
        if (!append(out, &capacity, cert, begin_line)) {
            X509_free(cert);
            rdss__pem_blocks_free(out);
            return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory splitting PEM input");
        }
        if (block_end == NULL)
            break;
        cursor = block_end;
    }
    if (out->count == 0)
        return rdss__fail(err, RDSS_ERR_BUNDLE,
                          "CA bundle %s holds no PEM certificate (no \"-----BEGIN CERTIFICATE-----\" line)",
                          label);
    return rdss__succeed(err);
}

void rdss__pem_blocks_free(rdss__pem_blocks *blocks)
{
    for (size_t i = 0; i < blocks->count; i++)
        X509_free(blocks->items[i].cert);
    free(blocks->items);
    blocks->items = NULL;
    blocks->count = 0;
}

/* The DER of one block's base64 body (between its BEGIN and END lines), or
 * NULL; *der_len its length. */
/* 512 base64 characters (and the newlines between them) hold about the
 * first 380 bytes of the DER; a multiple of 4 plus newlines is fine for the
 * decoder, which skips what it cannot finish. */
#define PREFIX_BASE64 520

static unsigned char *block_der(const char *body, const char *body_end, int *der_len)
{
    int in = (int)(body_end - body);
    unsigned char *der = malloc((size_t)in * 3 / 4 + 3);
    EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
    int len = 0, tail = 0;
    if (der == NULL || ctx == NULL) {
        free(der);
        EVP_ENCODE_CTX_free(ctx);
        return NULL;
    }
    EVP_DecodeInit(ctx);
    /* a prefix ends mid-block: what decoded so far is what we want */
    int ok = EVP_DecodeUpdate(ctx, der, &len, (const unsigned char *)body, in) >= 0;
    if (ok && EVP_DecodeFinal(ctx, der + len, &tail) != 1)
        tail = 0;
    EVP_ENCODE_CTX_free(ctx);
    if (!ok) {
        free(der);
        return NULL;
    }
    *der_len = len + tail;
    return der;
}

/* The region an RDS root's name carries, read from its DER without decoding
 * the certificate: the first "Amazon RDS " string in it (the subject and
 * issuer of a root are the same name). */
static int der_region(const unsigned char *der, int len, char out[RDSS__REGION_MAX])
{
    static const char marker[] = "Amazon RDS ";
    const unsigned char *at = memmem(der, (size_t)len, marker, sizeof(marker) - 1);
    if (at == NULL)
        return 0;
    char name[128];
    size_t n = 0;
    for (const unsigned char *k = at; k < der + len && n + 1 < sizeof(name) && *k >= 0x20 && *k < 0x7f; k++)
        name[n++] = (char)*k;
    name[n] = '\0';
    return rdss__production_root_region(name, out);
}

/* The region of a block's RDS name, from its DER. The issuer's name comes
 * within the first few hundred bytes of a certificate: those are decoded
 * first, the rest only when needed. */
static int decoded_region(const char *body, const char *body_end, char found[RDSS__REGION_MAX])
{
    int der_len = 0, known = 0;
    if (body_end - body > PREFIX_BASE64) {
        unsigned char *der = block_der(body, body + PREFIX_BASE64, &der_len);
        known = der != NULL && der_region(der, der_len, found);
        free(der);
    }
    if (!known) {
        unsigned char *der = block_der(body, body_end, &der_len);
        known = der != NULL && der_region(der, der_len, found);
        free(der);
    }
    return known;
}

int rdss__pem_next_block(const char **cursor, const char *end, const char **begin, const char **block_end)
{
    /* memmem: no lines to count here */
    const char *at = memmem(*cursor, (size_t)(end - *cursor), BEGIN_LINE, sizeof(BEGIN_LINE) - 1);
    const char *after = at ? at + sizeof(BEGIN_LINE) - 1 : NULL;
    const char *found_end = after ? memmem(after, (size_t)(end - after), END_LINE, sizeof(END_LINE) - 1) : NULL;
    if (found_end == NULL)
        return 0;
    *begin = at;
    *block_end = *cursor = found_end + sizeof(END_LINE) - 1;
    return 1;
}

rdss_code rdss__pem_region_slice(const char *pem, size_t len, const char *const *names, size_t name_count,
                                 const char *region, char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    size_t used = 0, capacity = 0;
    const char *cursor = pem, *begin, *block_end;
    for (size_t index = 0; rdss__pem_next_block(&cursor, pem + len, &begin, &block_end); index++) {
        const char *body = begin + sizeof(BEGIN_LINE) - 1, *body_end = block_end - (sizeof(END_LINE) - 1);
        char found[RDSS__REGION_MAX];
        int known = index < name_count ? rdss__production_root_region(names[index], found)
                                       : decoded_region(body, body_end, found);
        if (!known || strcmp(found, region) != 0)
            continue;
        size_t block_len = (size_t)(block_end - begin);
        if (*out == NULL || used + block_len + 2 > capacity) {
            size_t grown = (used + block_len + 2) * 2;
            char *bigger = realloc(*out, grown);
            if (bigger == NULL) {
                free(*out);
                *out = NULL;
                return RDSS_ERR_INTERNAL;
            }
            *out = bigger;
            capacity = grown;
        }
        memcpy(*out + used, begin, block_len);
        used += block_len;
        (*out)[used++] = '\n';
        (*out)[used] = '\0';
    }
    *out_len = used;
    return RDSS_OK;
}

/* The header of the DER element at *p, which must end by `end`: its tag
 * and class, *p moved to its content, *content_end after it. 0 when it is
 * malformed or of indefinite length (not DER). */
static int der_element(const unsigned char **p, const unsigned char *end, int *tag, int *class,
                       const unsigned char **content_end)
{
    long len = 0;
    if (*p >= end)
        return 0;
    int info = ASN1_get_object(p, &len, tag, class, end - *p);
    if ((info & 0x80) || (info & 0x01))
        return 0;
    *content_end = *p + len;
    return 1;
}

/* The subject of a certificate's DER: Certificate ::= SEQUENCE {
 * tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber, signature,
 * issuer, validity, subject, ... }, ... }. */
static X509_NAME *der_subject(const unsigned char *der, long len)
{
    const unsigned char *p = der, *cert_end, *tbs_end, *next;
    int tag, class;
    if (!der_element(&p, der + len, &tag, &class, &cert_end) || tag != V_ASN1_SEQUENCE ||
        !der_element(&p, cert_end, &tag, &class, &tbs_end) || tag != V_ASN1_SEQUENCE)
        return NULL;
    const unsigned char *first = p;
    for (int skipped = 0;;) {
        const unsigned char *element = p;
        if (!der_element(&p, tbs_end, &tag, &class, &next))
            return NULL;
        if (skipped == 4) /* serial, signature, issuer, validity: the subject */
            return d2i_X509_NAME(NULL, &element, next - element);
        /* absent from version 1 certificates */
        int is_version = element == first && class == V_ASN1_CONTEXT_SPECIFIC && tag == 0;
        skipped += !is_version;
        p = next;
    }
}

int rdss__pem_block_subject_hash(const char *begin, const char *block_end, unsigned long *hash)
{
    const char *body = begin + sizeof(BEGIN_LINE) - 1, *body_end = block_end - (sizeof(END_LINE) - 1);
    if (block_end - begin < (long)(sizeof(BEGIN_LINE) + sizeof(END_LINE) - 2) ||
        memcmp(begin, BEGIN_LINE, sizeof(BEGIN_LINE) - 1) != 0)
        return 0;
    int der_len = 0, ok = 0;
    ERR_set_mark(); /* a malformed block leaves nothing on the caller's error queue */
    unsigned char *der = block_der(body, body_end, &der_len);
    X509_NAME *subject = der != NULL ? der_subject(der, der_len) : NULL;
    if (subject != NULL)
        *hash = X509_NAME_hash_ex(subject, NULL, NULL, &ok);
    X509_NAME_free(subject);
    free(der);
    ERR_pop_to_mark();
    return ok;
}
