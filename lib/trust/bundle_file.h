/* Reading a CA bundle from disk with the checks every on-disk bundle gets. */
#ifndef RDSS__LIB_BUNDLE_FILE_H
#define RDSS__LIB_BUNDLE_FILE_H

#include <stddef.h>

#include "rdssecure/rdssecure.h"

#define RDSS__BUNDLE_MAX_BYTES 16777216u /* 16 MiB */

/* Reads `path` into a malloc'd buffer (NUL-terminated, *len excludes the NUL).
 * RDSS_ERR_BUNDLE, naming the path and the reason, when the file is missing,
 * unreadable, not a regular file, writable by group or others, empty (or
 * only white space) or larger than RDSS__BUNDLE_MAX_BYTES. */
rdss_code rdss__read_bundle_file(const char *path, char **data, size_t *len, rdss_error **err);

/* The label a file's trust and inspection carry, malloc'd (NULL: out of
 * memory): its path, with "./" in front when the path is one of the built-in
 * labels ("embedded", "embedded-proxy", "memory"), so that no file passes for
 * the embedded sets in messages and reports. */
char *rdss__bundle_file_label(const char *path);

#endif
