#define _GNU_SOURCE /* memfd_create, F_ADD_SEALS */
#include "trust/cafile.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/pem.h>

#include "core/error.h"
#include "core/process.h"

int rdss__write_all(int fd, const char *data, size_t len)
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

BIO *rdss__certs_pem(STACK_OF(X509) *certs)
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

static int create_memfd(const char *name, const char *text, size_t len, rdss__ca_file *out)
{
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return 0;
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    if (!rdss__write_all(fd, text, len) ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) != 0 ||
        access(path, R_OK) != 0 || (out->path = strdup(path)) == NULL) {
        close(fd);
        return 0;
    }
    out->fd = fd;
    return 1;
}

static int create_private_file(const char *name, const char *text, size_t len, rdss__ca_file *out)
{
    const char *base = secure_getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    size_t dir_len = strlen(base) + sizeof("/rdssecure-XXXXXX");
    char *dir = malloc(dir_len);
    size_t path_len = dir_len + 1 + strlen(name);
    char *path = malloc(path_len);
    if (dir == NULL || path == NULL)
        goto fail;
    snprintf(dir, dir_len, "%s/rdssecure-XXXXXX", base);
    if (mkdtemp(dir) == NULL) /* mode 0700, unpredictable name */
        goto fail;
    snprintf(path, path_len, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rmdir(dir);
        goto fail;
    }
    int written = rdss__write_all(fd, text, len);
    if (close(fd) != 0 || !written) {
        unlink(path);
        rmdir(dir);
        goto fail;
    }
    out->path = path;
    out->tmp_dir = dir;
    out->owner = getpid();
    return 1;
fail:
    free(dir);
    free(path);
    return 0;
}

static rdss_code create(const char *name, const char *text, size_t len, rdss__ca_file *out,
                        int try_memfd, rdss_error **err)
{
    out->fd = -1;
    out->path = NULL;
    out->tmp_dir = NULL;
    if ((try_memfd && create_memfd(name, text, len, out)) ||
        create_private_file(name, text, len, out))
        return rdss__succeed(err);
    return rdss__fail(err, RDSS_ERR_INTERNAL,
                      "cannot create %s for the database driver (memfd and a private temporary "
                      "file both failed): %s",
                      name, strerror(errno));
}

static rdss_code create_ca(STACK_OF(X509) *certs, rdss__ca_file *out, int try_memfd, rdss_error **err)
{
    BIO *bio = rdss__certs_pem(certs);
    char *pem = NULL;
    long len = bio ? BIO_get_mem_data(bio, &pem) : 0;
    if (len <= 0) {
        BIO_free(bio);
        out->fd = -1;
        out->path = out->tmp_dir = NULL;
        return rdss__fail(err, RDSS_ERR_INTERNAL, "cannot encode the CA certificates as PEM");
    }
    rdss_code code = create("ca.pem", pem, (size_t)len, out, try_memfd, err);
    BIO_free(bio);
    return code;
}

rdss_code rdss__ca_file_create(STACK_OF(X509) *certs, rdss__ca_file *out, rdss_error **err)
{
    return create_ca(certs, out, 1, err);
}

rdss_code rdss__ca_file_create_on_disk(STACK_OF(X509) *certs, rdss__ca_file *out, rdss_error **err)
{
    return create_ca(certs, out, 0, err);
}

rdss_code rdss__text_file_create(const char *name, const char *text, size_t len, rdss__ca_file *out,
                                 rdss_error **err)
{
    return create(name, text, len, out, 1, err);
}

void rdss__ca_file_destroy(rdss__ca_file *file)
{
    if (file->tmp_dir != NULL && file->path != NULL && file->owner == getpid()) {
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

static rdss__ca_file empty_file = {-1, NULL, NULL, 0};
static pthread_mutex_t empty_lock = PTHREAD_MUTEX_INITIALIZER;

static void release_empty_file(void)
{
    pthread_mutex_lock(&empty_lock);
    rdss__ca_file_destroy(&empty_file);
    pthread_mutex_unlock(&empty_lock);
}

static void lock_empty(void)
{
    pthread_mutex_lock(&empty_lock);
}

static void unlock_empty(void)
{
    pthread_mutex_unlock(&empty_lock);
}

static const rdss__process_state process_empty_file = {"empty file", release_empty_file, 0, lock_empty,
                                                       unlock_empty, unlock_empty, 0};

/* The path stays valid until rdss_global_cleanup() or exit. */
rdss_code rdss__empty_file_path(const char **path, rdss_error **err)
{
    rdss__process_register(&process_empty_file);
    pthread_mutex_lock(&empty_lock);
    if (empty_file.path == NULL)
        create("rdssecure-empty", "", 0, &empty_file, 1, NULL);
    *path = empty_file.path;
    pthread_mutex_unlock(&empty_lock);
    return *path != NULL ? RDSS_OK
                         : rdss__fail(err, RDSS_ERR_INTERNAL, "cannot create an empty file for the driver");
}
