/* Bundle loading from a file (size, permission and content checks). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rdssecure/rdssecure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer calls it */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/rdss-fuzz-bundle-XXXXXX";
    int fd = mkstemp(path); /* mode 0600: acceptable to the loader */
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        rdss_config *cfg = rdss_config_new();
        rdss_error *err = NULL;
        rdss_config_set_bundle_file(cfg, path, &err);
        rdss_error_free(err);
        rdss_config_free(cfg);
        rdss_bundle *bundle = NULL;
        if (rdss_bundle_open_file(path, &bundle, NULL) == RDSS_OK)
            rdss_bundle_free(bundle);
    }
    close(fd);
    unlink(path);
    return 0;
}
