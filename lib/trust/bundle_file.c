#include "trust/bundle_file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

static int only_white_space(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)data[i]))
            return 0;
    return 1;
}

static rdss_code read_all(int fd, const char *path, size_t size, char **data, size_t *len,
                          rdss_error **err)
{
    char *buffer = malloc(size + 1);
    if (buffer == NULL)
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory reading CA bundle %s", path);
    size_t done = 0;
    while (done < size) {
        ssize_t got = read(fd, buffer + done, size - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int saved = errno;
            free(buffer);
            return rdss__fail(err, RDSS_ERR_BUNDLE, "CA bundle %s: cannot read: %s", path,
                              strerror(saved));
        }
        if (got == 0)
            break; /* shrank while we read: take what is there */
        done += (size_t)got;
    }
    buffer[done] = '\0';
    *data = buffer;
    *len = done;
    return rdss__succeed(err);
}

/* Whether the open file of `size` bytes holds `same_as`, read a piece at
 * a time into a small buffer, not into memory of the file's size (a fresh
 * process pays for every page it fills); the file is read from its start
 * again when not. Not mapped: a file truncated under a mapping would end
 * the program with SIGBUS. */
static int holds(int fd, size_t size, const char *same_as, size_t same_len)
{
    if (same_as == NULL || size != same_len)
        return 0;
    char piece[16384];
    size_t done = 0;
    int same = 1;
    while (same && done < size) {
        size_t want = size - done < sizeof(piece) ? size - done : sizeof(piece);
        ssize_t got = read(fd, piece, want);
        if (got < 0 && errno == EINTR)
            continue;
        same = got > 0 && memcmp(piece, same_as + done, (size_t)got) == 0;
        done += got > 0 ? (size_t)got : 0;
    }
    char more;
    if (same && read(fd, &more, 1) == 0) /* and nothing after */
        return 1;
    lseek(fd, 0, SEEK_SET); /* a regular file: read_all reads it from its start */
    return 0;
}

static rdss_code read_checked(const char *path, const char *same_as, size_t same_len, char **data, size_t *len,
                              rdss_error **err)
{
    *data = NULL;
    *len = 0;
    if (path == NULL || path[0] == '\0')
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "CA bundle path is NULL or empty");
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is then
     * refused as not a regular file) */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return rdss__fail(err, RDSS_ERR_BUNDLE, "CA bundle %s: cannot open: %s", path,
                          strerror(errno));
    struct stat st;
    rdss_code code = RDSS_OK;
    if (fstat(fd, &st) != 0) {
        code = rdss__fail(err, RDSS_ERR_BUNDLE, "CA bundle %s: cannot stat: %s", path,
                          strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        code = rdss__fail(err, RDSS_ERR_BUNDLE, "CA bundle %s is not a regular file", path);
    } else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        /* Whoever can write the bundle can make us trust their server. */
        code = rdss__fail(err, RDSS_ERR_BUNDLE,
                          "CA bundle %s is writable by group or others (mode %04o): anyone "
                          "who can write it can add a CA; run chmod go-w on it",
                          path, (unsigned)(st.st_mode & 07777));
    } else if (st.st_uid != 0 && st.st_uid != geteuid()) {
        /* Its owner can chmod it and write it whatever its mode says. */
        code = rdss__fail(err, RDSS_ERR_BUNDLE,
                          "CA bundle %s is owned by uid %u, neither root nor this program's user "
                          "(uid %u): its owner could rewrite it to add a CA; copy it to a file "
                          "you or root own", path, (unsigned)st.st_uid, (unsigned)geteuid());
    } else if (st.st_size == 0) {
        code = rdss__fail(err, RDSS_ERR_BUNDLE, "CA bundle %s is empty", path);
    } else if ((unsigned long long)st.st_size > RDSS__BUNDLE_MAX_BYTES) {
        code = rdss__fail(err, RDSS_ERR_BUNDLE, "CA bundle %s is %lld bytes, more than the %u allowed",
                          path, (long long)st.st_size, RDSS__BUNDLE_MAX_BYTES);
    } else if (holds(fd, (size_t)st.st_size, same_as, same_len)) {
        *len = same_len; /* *data stays NULL */
    } else {
        code = read_all(fd, path, (size_t)st.st_size, data, len, err);
        if (code == RDSS_OK && only_white_space(*data, *len)) {
            free(*data);
            *data = NULL;
            *len = 0;
            code = rdss__fail(err, RDSS_ERR_BUNDLE, "CA bundle %s is empty", path);
        }
    }
    close(fd);
    return code;
}

/* The path, with "./" in front when it is one of the built-in labels. */
static char *label_of(const char *path)
{
    static const char *const built_in[] = {"embedded", "embedded-proxy", "memory"};
    for (size_t i = 0; i < sizeof(built_in) / sizeof(built_in[0]); i++) {
        if (strcmp(path, built_in[i]) != 0)
            continue;
        size_t size = strlen(path) + 3;
        char *label = malloc(size);
        if (label != NULL)
            snprintf(label, size, "./%s", path);
        return label;
    }
    return strdup(path);
}

rdss_code rdss__read_bundle_file(const char *path, char **data, size_t *len, char **label,
                                 rdss_error **err)
{
    return rdss__read_bundle_file_unless(path, NULL, 0, data, len, label, err);
}

rdss_code rdss__read_bundle_file_unless(const char *path, const char *same_as, size_t same_len, char **data,
                                        size_t *len, char **label, rdss_error **err)
{
    *label = NULL;
    rdss_code code = read_checked(path, same_as, same_len, data, len, err);
    if (code != RDSS_OK)
        return code;
    *label = label_of(path);
    if (*label != NULL)
        return RDSS_OK;
    free(*data);
    *data = NULL;
    return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory reading CA bundle %s", path);
}
