/* Reading a CA bundle from disk with the checks every on-disk bundle gets. */
#ifndef RDSS__LIB_BUNDLE_FILE_H
#define RDSS__LIB_BUNDLE_FILE_H

#include <stddef.h>

#include "rdssecure/rdssecure.h"

#define RDSS__BUNDLE_MAX_BYTES 16777216u /* 16 MiB */

/* Reads `path` into a malloc'd buffer (NUL-terminated, *len excludes the NUL)
 * and gives the label its trust and inspection carry, malloc'd: the path,
 * with "./" in front when it is one of the built-in labels ("embedded",
 * "embedded-proxy", "memory"), so that no file passes for the embedded sets.
 * RDSS_ERR_BUNDLE, naming the path and the reason, when the file is missing,
 * unreadable, not a regular file, writable by group or others, empty (or
 * only white space) or larger than RDSS__BUNDLE_MAX_BYTES. */
rdss_code rdss__read_bundle_file(const char *path, char **data, size_t *len, char **label,
                                 rdss_error **err);

/* The same, except when the file holds exactly the `same_len` bytes of
 * `same_as`: then *data is NULL (nothing read into memory) and *len is
 * same_len. */
rdss_code rdss__read_bundle_file_unless(const char *path, const char *same_as, size_t same_len, char **data,
                                        size_t *len, char **label, rdss_error **err);

#endif
