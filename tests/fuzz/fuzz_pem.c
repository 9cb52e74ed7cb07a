/* Bundle loading from memory: strict trust loading and the inspection API. */
#include <stddef.h>
#include <stdint.h>

#include "trust/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer calls it */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rdss__trust *trust = NULL;
    if (rdss__trust_from_pem((const char *)data, size, "fuzz", &trust, NULL) == RDSS_OK)
        rdss__trust_unref(trust);
    rdss_bundle *bundle = NULL;
    if (rdss_bundle_open_pem((const char *)data, size, &bundle, NULL) == RDSS_OK) {
        for (size_t i = 0; i < rdss_bundle_count(bundle); i++) {
            (void)rdss_bundle_entry_subject(bundle, i);
            (void)rdss_bundle_entry_region(bundle, i);
            (void)rdss_bundle_entry_problem(bundle, i);
        }
        rdss_bundle_free(bundle);
    }
    return 0;
}
