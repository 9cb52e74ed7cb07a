#include "trust/cadir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/process.h"
#include "trust/cafile.h" /* rdss__write_all */
#include "trust/pem.h"

#define FILE_NAME_MAX sizeof("ffffffffffffffff.4294967295")

struct rdss__ca_dir {
    int fd;               /* the directory, opened */
    char path[64];        /* /proc/self/fd/N */
    char *location;       /* where it was made */
    char (*names)[FILE_NAME_MAX];
    size_t count;
    pid_t owner;
    int removed;          /* from disk, at exit; under live_lock */
    rdss__ca_dir *next;   /* in `live` */
};

/* Every directory not destroyed yet, for the exit handler: a trust a
 * caller's config holds is not freed at exit, its directory must go. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static rdss__ca_dir *live;

/* Under live_lock. */
static void remove_from_disk(rdss__ca_dir *dir)
{
    if (dir->removed || dir->owner != getpid())
        return;
    for (size_t i = 0; i < dir->count; i++)
        unlinkat(dir->fd, dir->names[i], 0);
    rmdir(dir->location);
    dir->removed = 1;
}

static void remove_all_at_exit(void)
{
    pthread_mutex_lock(&live_lock);
    for (rdss__ca_dir *dir = live; dir != NULL; dir = dir->next)
        remove_from_disk(dir);
    pthread_mutex_unlock(&live_lock);
}

static void lock_live(void)
{
    pthread_mutex_lock(&live_lock);
}

static void unlock_live(void)
{
    pthread_mutex_unlock(&live_lock);
}

static const rdss__process_state process_ca_dirs = {"CA directories", remove_all_at_exit, 0, lock_live,
                                                    unlock_live, unlock_live, 1};

static int name_taken(const rdss__ca_dir *dir, const char *name)
{
    for (size_t i = 0; i < dir->count; i++)
        if (strcmp(dir->names[i], name) == 0)
            return 1;
    return 0;
}

void rdss__ca_dir_register(void)
{
    rdss__process_register(&process_ca_dirs);
}

/* One file <subject hash>.<n> holding the block: n counts the certificates
 * of equal subject hash, as OpenSSL looks them up (.0, .1, ...). */
static int add_file(rdss__ca_dir *dir, const char *begin, const char *block_end)
{
    unsigned long hash = 0;
    if (!rdss__pem_block_subject_hash(begin, block_end, &hash))
        return 0;
    char name[FILE_NAME_MAX];
    unsigned n = 0;
    do
        snprintf(name, sizeof(name), "%08lx.%u", hash, n++);
    while (name_taken(dir, name));
    int fd = openat(dir->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400);
    if (fd < 0)
        return 0;
    memcpy(dir->names[dir->count++], name, sizeof(name));
    int written = rdss__write_all(fd, begin, (size_t)(block_end - begin)) && rdss__write_all(fd, "\n", 1);
    return close(fd) == 0 && written;
}

#define BASE "/dev/shm"
#define PREFIX "rdssecure-ca-"

/* What a process killed before its exit handler ran left in BASE: this
 * user's directories named for a process that is gone. Removed once per
 * process, before its first directory. */
static void sweep_leftovers(void)
{
    static atomic_int swept;
    DIR *base = atomic_exchange(&swept, 1) ? NULL : opendir(BASE);
    if (base == NULL)
        return;
    for (struct dirent *e; (e = readdir(base)) != NULL;) {
        long pid = 0;
        int end = 0;
        if (sscanf(e->d_name, PREFIX "%ld-%n", &pid, &end) != 1 || end == 0 || pid <= 0 ||
            pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* not ours by name, or its process lives (or is another user's) */
        int fd = openat(dirfd(base), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;
        DIR *left = fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == geteuid() ? fdopendir(fd) : NULL;
        if (left == NULL) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        for (struct dirent *f; (f = readdir(left)) != NULL;)
            if (f->d_name[0] != '.')
                unlinkat(dirfd(left), f->d_name, 0);
        closedir(left);
        unlinkat(dirfd(base), e->d_name, AT_REMOVEDIR);
    }
    closedir(base);
}

/* A fresh directory in BASE (mode 0700, unpredictable name, named for this
 * process), or NULL. */
static char *private_dir_make(void)
{
    sweep_leftovers();
    char template[64];
    snprintf(template, sizeof(template), BASE "/" PREFIX "%ld-XXXXXX", (long)getpid());
    return mkdtemp(template) != NULL ? strdup(template) : NULL;
}

/* Whether the directory opened is the one mkdtemp made: ours, private. */
static int is_private_dir(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
           (st.st_mode & 077) == 0;
}

rdss__ca_dir *rdss__ca_dir_create(const char *pem, size_t len)
{
    size_t blocks = 0;
    const char *cursor = pem, *begin, *block_end;
    while (rdss__pem_next_block(&cursor, pem + len, &begin, &block_end))
        blocks++;
    rdss__ca_dir *dir = calloc(1, sizeof(*dir));
    if (dir == NULL || blocks == 0 || (dir->names = calloc(blocks, sizeof(*dir->names))) == NULL ||
        (dir->location = private_dir_make()) == NULL) {
        if (dir != NULL)
            free(dir->names);
        free(dir);
        return NULL;
    }
    dir->owner = getpid();
    dir->fd = open(dir->location, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    int ok = dir->fd >= 0 && is_private_dir(dir->fd);
    snprintf(dir->path, sizeof(dir->path), "/proc/self/fd/%d", dir->fd);
    for (cursor = pem; ok && rdss__pem_next_block(&cursor, pem + len, &begin, &block_end);)
        ok = add_file(dir, begin, block_end);
    ok = ok && access(dir->path, X_OK) == 0; /* /proc is there */
    if (!ok) {
        remove_from_disk(dir);
        if (dir->fd >= 0)
            close(dir->fd);
        free(dir->names);
        free(dir->location);
        free(dir);
        return NULL;
    }
    rdss__ca_dir_register(); /* a no-op by now (rdss__trust's own calls come first) */
    pthread_mutex_lock(&live_lock);
    dir->next = live;
    live = dir;
    pthread_mutex_unlock(&live_lock);
    return dir;
}

const char *rdss__ca_dir_path(const rdss__ca_dir *dir)
{
    return dir->path;
}

void rdss__ca_dir_destroy(rdss__ca_dir *dir)
{
    if (dir == NULL)
        return;
    pthread_mutex_lock(&live_lock);
    for (rdss__ca_dir **at = &live; *at != NULL; at = &(*at)->next) {
        if (*at == dir) {
            *at = dir->next;
            break;
        }
    }
    remove_from_disk(dir);
    pthread_mutex_unlock(&live_lock);
    close(dir->fd);
    free(dir->names);
    free(dir->location);
    free(dir);
}
