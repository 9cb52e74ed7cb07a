/* The CA files of certs/, turned into C by cmake/embed_pem.cmake at build
 * time. Each array holds the file's bytes followed by a NUL. */
#ifndef RDSS__LIB_EMBEDDED_H
#define RDSS__LIB_EMBEDDED_H

#include <stddef.h>

extern const char rdss__embedded_rds_roots_pem[];
extern const size_t rdss__embedded_rds_roots_pem_len;
extern const char rdss__embedded_proxy_roots_pem[];
extern const size_t rdss__embedded_proxy_roots_pem_len;

#endif
