/* What a server sends before TLS: PostgreSQL's answer to SSLRequest and a
 * MySQL server's first packet, of any length and content. */
#include <stddef.h>
#include <stdint.h>

#include "tls/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer calls it */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rdss_error *err = NULL;
    if (size > 0)
        rdss__pg_check_answer(data[0], "fuzz", &err);
    rdss_error_free(err);
    err = NULL;
    rdss__mysql_check_greeting(data, size, "fuzz", &err);
    rdss_error_free(err);
    return 0;
}
