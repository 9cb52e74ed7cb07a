/* The editions of the official RDS global bundle the library knows: the one
 * it embeds as the default trust (certs/rds-global-roots.pins) and the
 * published editions listed in certs/editions.txt. The data is generated at
 * build time by cmake/embedded_edition.cmake. */
#ifndef RDSS__LIB_EDITION_H
#define RDSS__LIB_EDITION_H

#include <stddef.h>

typedef struct rdss__known_edition {
    const char *date;   /* "2026-09" */
    const char *sha256; /* of the published file, lower-case hex */
    unsigned roots;
} rdss__known_edition;

extern const char rdss__embedded_edition_date[];
extern const char rdss__embedded_edition_sha256[];
extern const rdss__known_edition rdss__known_editions[];
extern const size_t rdss__known_edition_count;

/* The subject name of each root of the embedded edition, in the order of
 * its PEM blocks (from the pins, which certs/update writes in that order). */
extern const char *const rdss__embedded_root_names[];
extern const size_t rdss__embedded_root_name_count;

/* The date of the known edition whose published file has SHA-256 `hex`;
 * NULL when it is none of them. */
const char *rdss__edition_of_sha256(const char *hex);

/* Where the newest official global bundle is published. */
#define RDSS__GLOBAL_BUNDLE_URL "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"

#endif
