/* A CA file for the drivers, which accept trust only as a file path.
 *
 * Preferred: an anonymous, sealed memory file (memfd) reached through
 * /proc/self/fd/N: nothing on disk, nothing another process can change.
 * Fallback (no memfd or no /proc): a 0600 file in a fresh 0700 directory
 * made by mkdtemp under $TMPDIR or /tmp, removed when destroyed. */
#ifndef RDSS__LIB_CAFILE_H
#define RDSS__LIB_CAFILE_H

#include <openssl/bio.h>
#include <openssl/x509.h>

#include "rdssecure/rdssecure.h"

typedef struct rdss__ca_file {
    int fd;        /* the memfd, or -1 */
    char *path;    /* what the drivers are given */
    char *tmp_dir; /* fallback only: the private directory to remove */
    pid_t owner;   /* fallback only: the process that removes it (not a forked child) */
} rdss__ca_file;

/* Writes `certs` as PEM. On failure RDSS_ERR_INTERNAL. */
rdss_code rdss__ca_file_create(STACK_OF(X509) *certs, rdss__ca_file *out, rdss_error **err);

/* The fallback alone, for its own test. */
rdss_code rdss__ca_file_create_on_disk(STACK_OF(X509) *certs, rdss__ca_file *out, rdss_error **err);

/* The same for any text the drivers must read from a file (a sanitized
 * option file, say); `name` names the memfd or the fallback file. */
rdss_code rdss__text_file_create(const char *name, const char *text, size_t len, rdss__ca_file *out,
                                 rdss_error **err);

/* A sealed empty file, one for the whole process (made on first use,
 * removed at exit): for a driver setting that must name a file yet add
 * nothing. */
rdss_code rdss__empty_file_path(const char **path, rdss_error **err);

/* The PEM text of `certs`, in a memory BIO the caller frees, or NULL. */
BIO *rdss__certs_pem(STACK_OF(X509) *certs);

/* write(2) until all of `data` is written; 0 on failure. */
int rdss__write_all(int fd, const char *data, size_t len);

/* Closes and removes it. Safe on a zeroed or already destroyed rdss__ca_file
 * with fd set to -1. */
void rdss__ca_file_destroy(rdss__ca_file *file);

#endif
