/* A program outside the tree, built against an installed librdssecure. */
#include <stdio.h>

#include <rdssecure/rdssecure.h>

int main(void)
{
    rdss_bundle *bundle = NULL;
    rdss_error *err = NULL;
    if (rdss_bundle_open_embedded(RDSS_EMBEDDED_RDS_ROOTS, &bundle, &err) != RDSS_OK) {
        fprintf(stderr, "%s: %s\n", rdss_error_name(rdss_error_code(err)), rdss_error_message(err));
        rdss_error_free(err);
        return 1;
    }
    size_t count = rdss_bundle_count(bundle);
    rdss_bundle_free(bundle);
    printf("librdssecure %s: %zu embedded roots\n", rdss_version(), count);
    return count >= 87 ? 0 : 1;
}
