/* For the fuzz targets whose parser takes a C string. */
#ifndef RDSS_FUZZ_TEXT_H
#define RDSS_FUZZ_TEXT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The input as a NUL-terminated copy (embedded NULs end it early, as they
 * would for any caller); NULL when out of memory. Free it. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text != NULL) {
        memcpy(text, data, size);
        text[size] = '\0';
    }
    return text;
}

#endif
