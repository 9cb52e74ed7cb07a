#include "trust/edition.h"

#include <string.h>

#include "rdssecure/rdssecure.h"

const char *rdss__edition_of_sha256(const char *hex)
{
    for (size_t i = 0; hex != NULL && i < rdss__known_edition_count; i++)
        if (strcmp(rdss__known_editions[i].sha256, hex) == 0)
            return rdss__known_editions[i].date;
    return NULL;
}

const char *rdss_embedded_edition(void)
{
    return rdss__embedded_edition_date;
}

const char *rdss_embedded_edition_sha256(void)
{
    return rdss__embedded_edition_sha256;
}
