/* A CA directory for libmariadb (MYSQL_OPT_SSL_CAPATH), the one driver
 * that reads one. OpenSSL decodes every certificate of a CA file when it
 * loads it (about 0.3 ms a root with OpenSSL 3.0), but a directory's only
 * when a chain needs one, found by its file name, <subject hash>.<n>: a
 * process connecting by an RDS name decodes the one root of its region
 * that anchors the server, not all three.
 *
 * The directory is made by mkdtemp (0700, unpredictable name) in /dev/shm,
 * a memory file system (on a disk, making and removing the files costs
 * what the directory saves; without /dev/shm the driver gets the CA file),
 * its files 0400, and the driver is given /proc/self/fd/N of the directory
 * opened: renaming the directory away, or putting another in its place,
 * changes nothing the driver reads. Removed when destroyed, or at exit,
 * by the process that made it (not by a forked child). Its name carries
 * that process's id: the next process to make one removes this user's
 * directories of processes that are gone (killed before their exit
 * handler ran). */
#ifndef RDSS__LIB_CADIR_H
#define RDSS__LIB_CADIR_H

#include <stddef.h>
#include <sys/types.h>

typedef struct rdss__ca_dir rdss__ca_dir;

/* Registers the directories' process state (its exit handler, its lock
 * held across fork()). Called by every new trust before the trusts' own
 * state registers: fork() takes the states' locks in the reverse order of
 * registration, so it takes the trusts' lock first, then this module's,
 * the order in which a trust makes its directory (else a fork while a
 * directory is made deadlocks). */
void rdss__ca_dir_register(void);

/* A directory of the certificate blocks of `pem`, one file each, or NULL
 * (no /proc, no private directory, a block without a subject, out of
 * memory, ...: the caller then gives the driver a CA file). */
rdss__ca_dir *rdss__ca_dir_create(const char *pem, size_t len);

/* What the driver is given: "/proc/self/fd/N". */
const char *rdss__ca_dir_path(const rdss__ca_dir *dir);

/* Removes it (in the process that made it) and frees it; NULL is fine. */
void rdss__ca_dir_destroy(rdss__ca_dir *dir);

#endif
