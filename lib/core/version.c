/* The version of the library actually linked (the header's macros give the
 * version compiled against). */
#include "rdssecure/rdssecure.h"

#define RDSS__STR2(x) #x
#define RDSS__STR(x) RDSS__STR2(x)

const char *rdss_version(void)
{
    return RDSS__STR(RDSSECURE_VERSION_MAJOR) "." RDSS__STR(RDSSECURE_VERSION_MINOR) "." RDSS__STR(
        RDSSECURE_VERSION_PATCH);
}

unsigned int rdss_version_number(void)
{
    return (RDSSECURE_VERSION_MAJOR << 16) | (RDSSECURE_VERSION_MINOR << 8) | RDSSECURE_VERSION_PATCH;
}
