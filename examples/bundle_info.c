/* bundle_info: check the trust librdssecure will use, the way an
 * application would at start-up, and say what to do when it is bad.
 *
 *   example_bundle_info            the default (RDSSECURE_CA_BUNDLE or embedded)
 *   example_bundle_info FILE       an on-disk bundle
 */
#include <stdio.h>

#include <rdssecure/rdssecure.h>

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: %s [BUNDLE-FILE]\n", argv[0]);
        return 2;
    }
    printf("librdssecure %s, embedding edition %s of the RDS global bundle (SHA-256 %s)\n",
           rdss_version(), rdss_embedded_edition(), rdss_embedded_edition_sha256());
    if (argc == 2) {
        /* Which edition is this file? Known editions are recognised by hash. */
        rdss_bundle *bundle = NULL;
        if (rdss_bundle_open_file(argv[1], &bundle, NULL) == RDSS_OK) {
            const char *edition = rdss_bundle_edition(bundle);
            printf("%s: SHA-256 %s, %s%s\n", argv[1], rdss_bundle_sha256(bundle),
                   edition ? "edition " : "not a known edition", edition ? edition : "");
        }
        rdss_bundle_free(bundle);
    }
    fflush(stdout); /* keep the order of lines when stderr follows */

    rdss_config *cfg = rdss_config_new();
    if (cfg == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    rdss_error *err = NULL;
    rdss_code code = argc > 1 ? rdss_config_set_bundle_file(cfg, argv[1], &err)
                              : rdss_config_check_trust(cfg, &err);
    if (code == RDSS_ERR_BUNDLE) {
        /* The typed name tells the program what happened; the message says
         * which file and why, for the person reading the log. */
        fprintf(stderr, "%s: %s\n", rdss_error_name(code), rdss_error_message(err));
        fprintf(stderr, "Fix: download the current RDS bundle, make it readable and not "
                        "writable by others (chmod 644), and point RDSSECURE_CA_BUNDLE at it.\n");
    } else if (code != RDSS_OK) {
        fprintf(stderr, "%s: %s\n", rdss_error_name(code), rdss_error_message(err));
    } else {
        printf("trust: %s\n", rdss_config_trust_source(cfg));
    }
    rdss_error_free(err);
    rdss_config_free(cfg);
    return code == RDSS_OK ? 0 : 1;
}
