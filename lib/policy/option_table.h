/* Every option the drivers know, and what librdssecure does with it: one
 * table per way in (libpq keywords with their environment variables,
 * libmariadb option-file keys, libmariadb handle options). A test compares
 * these tables with what the installed drivers list at run time, so a newer
 * driver cannot bring in an option nobody has classified. The tables need
 * no driver header: the adapters look options up by name. */
#ifndef RDSS__LIB_OPTION_TABLE_H
#define RDSS__LIB_OPTION_TABLE_H

#include <stddef.h>

typedef enum rdss__option_rule {
    RDSS__OPTION_ALLOWED, /* reaches the driver as given: it cannot weaken TLS */
    RDSS__OPTION_CHECKED, /* reaches the driver only when the adapter's check passes */
    RDSS__OPTION_FORCED,  /* set by the library on every connect; what the caller
                             gave is overridden, or taken as input where `why` says */
    RDSS__OPTION_REFUSED, /* any value is insecure_option; nothing is sent */
} rdss__option_rule;

typedef struct rdss__option {
    const char *name;
    const char *envvar; /* libpq's environment variable, or NULL */
    rdss__option_rule rule;
    const char *why;    /* the reason, as a refusal message ends */
} rdss__option;

typedef enum rdss__option_table {
    RDSS__OPTIONS_LIBPQ,          /* conninfo keywords (PQconndefaults) */
    RDSS__OPTIONS_MARIADB_FILE,   /* option-file keys, '_' read as '-' */
    RDSS__OPTIONS_MARIADB_HANDLE, /* enum mysql_option, by enumerator name */
} rdss__option_table;

/* The entry for `name` (option-file keys case-insensitively), or NULL. */
const rdss__option *rdss__option_find(rdss__option_table table, const char *name);

/* The whole table, for the test that compares it with the drivers. */
const rdss__option *rdss__option_list(rdss__option_table table, size_t *count);

#endif
