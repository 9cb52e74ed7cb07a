/* The mysql:// URI parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_text.h"

#include "mysql/mysql_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer calls it */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (text == NULL)
        return 0;
    rdss__mysql_uri uri;
    rdss_error *err = NULL;
    if (rdss__mysql_uri_parse(text, &uri, &err) == RDSS_OK)
        rdss__mysql_uri_free(&uri);
    rdss_error_free(err);
    free(text);
    return 0;
}
