/* MySQL option files, read the way libmariadb reads them, and the policy. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "mysql/mysql_optfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer calls it */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/rdss-fuzz-my-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        rdss__mysql_options options;
        rdss_error *err = NULL;
        if (rdss__mysql_options_read(path, "fuzz", &options, &err) == RDSS_OK)
            rdss__mysql_options_free(&options);
        rdss_error_free(err);
    }
    close(fd);
    unlink(path);
    return 0;
}
