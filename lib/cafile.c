#define _GNU_SOURCE /* memfd_create, F_ADD_SEALS */
#include "cafile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/pem.h>

#include "error.h"

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t done = write(fd, data, len);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return 0;
        data += done;
        len -= (size_t)done;
    }
    return 1;
}

/* The PEM text of all certificates, in a memory BIO the caller frees. */
static BIO *encode_pem(STACK_OF(X509) *certs)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        return NULL;
    for (int i = 0; i < sk_X509_num(certs); i++) {
        if (!PEM_write_bio_X509(bio, sk_X509_value(certs, i))) {
            BIO_free(bio);
            return NULL;
        }
    }
    return bio;
}

static int create_memfd(const char *pem, size_t len, rdss_ca_file *out)
{
    int fd = memfd_create("rdssecure-ca", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return 0;
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    if (!write_all(fd, pem, len) ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) != 0 ||
        access(path, R_OK) != 0 || (out->path = strdup(path)) == NULL) {
        close(fd);
        return 0;
    }
    out->fd = fd;
    return 1;
}

static int create_private_file(const char *pem, size_t len, rdss_ca_file *out)
{
    const char *base = secure_getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    size_t dir_len = strlen(base) + sizeof("/rdssecure-XXXXXX");
    char *dir = malloc(dir_len);
    char *path = malloc(dir_len + sizeof("/ca.pem"));
    if (dir == NULL || path == NULL)
        goto fail;
    snprintf(dir, dir_len, "%s/rdssecure-XXXXXX", base);
    if (mkdtemp(dir) == NULL) /* mode 0700, unpredictable name */
        goto fail;
    snprintf(path, dir_len + sizeof("/ca.pem"), "%s/ca.pem", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rmdir(dir);
        goto fail;
    }
    int written = write_all(fd, pem, len);
    if (close(fd) != 0 || !written) {
        unlink(path);
        rmdir(dir);
        goto fail;
    }
    out->path = path;
    out->tmp_dir = dir;
    return 1;
fail:
    free(dir);
    free(path);
    return 0;
}

static rdss_code create(STACK_OF(X509) *certs, rdss_ca_file *out, int try_memfd, rdss_error **err)
{
    out->fd = -1;
    out->path = NULL;
    out->tmp_dir = NULL;
    BIO *bio = encode_pem(certs);
    if (bio == NULL)
        return rdss__fail(err, RDSS_ERR_INTERNAL, "cannot encode the CA certificates as PEM");
    char *pem = NULL;
    long len = BIO_get_mem_data(bio, &pem);
    int made = len > 0 && ((try_memfd && create_memfd(pem, (size_t)len, out)) ||
                           create_private_file(pem, (size_t)len, out));
    BIO_free(bio);
    if (!made)
        return rdss__fail(err, RDSS_ERR_INTERNAL,
                          "cannot create the CA file for the database driver (memfd and a "
                          "private temporary file both failed): %s",
                          strerror(errno));
    return rdss__succeed(err);
}

rdss_code rdss__ca_file_create(STACK_OF(X509) *certs, rdss_ca_file *out, rdss_error **err)
{
    return create(certs, out, 1, err);
}

rdss_code rdss__ca_file_create_on_disk(STACK_OF(X509) *certs, rdss_ca_file *out, rdss_error **err)
{
    return create(certs, out, 0, err);
}

void rdss__ca_file_destroy(rdss_ca_file *file)
{
    if (file->tmp_dir != NULL && file->path != NULL) {
        unlink(file->path);
        rmdir(file->tmp_dir);
    }
    if (file->fd >= 0)
        close(file->fd);
    free(file->path);
    free(file->tmp_dir);
    file->fd = -1;
    file->path = NULL;
    file->tmp_dir = NULL;
}
