#include "trust/pem.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/pem.h>

#include "core/error.h"

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
