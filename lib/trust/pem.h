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

/* The complete certificate blocks of `pem` whose RDS name carries `region`
 * ("Amazon RDS us-east-1 Root CA RSA2048 G1"), copied out in order, found
 * without decoding the certificates (what a driver then decodes checks
 * them). The first `name_count` blocks are known by `names` (the embedded
 * edition's, when `pem` begins with its bytes): nothing of them is decoded;
 * of the others, the first few hundred bytes. *out is NULL (and *out_len 0)
 * when there are none; free it. RDSS_ERR_INTERNAL when out of memory. */
rdss_code rdss__pem_region_slice(const char *pem, size_t len, const char *const *names, size_t name_count,
                                 const char *region, char **out, size_t *out_len);

/* The next complete certificate block at or after *cursor (below `end`):
 * [*begin, *block_end) from its BEGIN line to the end of its END line, and
 * *cursor moved past it. 0 when there is none. */
int rdss__pem_next_block(const char **cursor, const char *end, const char **begin, const char **block_end);

/* OpenSSL's hash of the subject name of the certificate in one block
 * ([begin, block_end) as rdss__pem_next_block finds it), equal to
 * X509_subject_name_hash(): the name a CA directory gives its file. Read
 * from the DER without decoding the certificate's key. 0 when the block
 * holds no certificate's subject. */
int rdss__pem_block_subject_hash(const char *begin, const char *block_end, unsigned long *hash);

#endif
