/* Splitting PEM text into certificate blocks and decoding each. */
#ifndef RDSS__LIB_PEM_H
#define RDSS__LIB_PEM_H

#include <stddef.h>
#include <openssl/x509.h>

#include "rdssecure/rdssecure.h"

typedef struct rdss__pem_block {
    X509 *cert;  /* NULL when the block did not decode */
    size_t line; /* 1-based line of its BEGIN line */
} rdss__pem_block;

typedef struct rdss__pem_blocks {
    rdss__pem_block *items;
    size_t count;
} rdss__pem_blocks;

/* Finds every "-----BEGIN CERTIFICATE-----" block of `pem` (which may hold
 * NUL bytes, comments and other PEM types) and decodes it. A block without
 * its END line counts as one that did not decode. RDSS_ERR_BUNDLE, naming
 * `label`, when there is no block at all. On success the caller frees `out`
 * with rdss__pem_blocks_free(). */
rdss_code rdss__pem_split(const char *pem, size_t len, const char *label, rdss__pem_blocks *out,
                          rdss_error **err);

void rdss__pem_blocks_free(rdss__pem_blocks *blocks);

#endif
