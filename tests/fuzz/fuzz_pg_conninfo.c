/* PostgreSQL conninfo strings and URIs, up to the TLS policy (the part
 * that runs before anything is resolved or sent). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_text.h"

#include "pg/pg_params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer calls it */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (text == NULL)
        return 0;
    rdss__pg_params params;
    rdss_error *err = NULL;
    if (rdss__pg_params_from_conninfo(text, &params, &err) == RDSS_OK) {
        rdss__pg_check_policy(&params, &err);
        rdss__pg_params_free(&params);
    }
    rdss_error_free(err);
    free(text);
    return 0;
}
