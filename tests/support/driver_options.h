/*
 * Test support: list, at run time, every option the installed database
 * drivers know, so a test can fail when a driver grows an option that the
 * policy table does not classify.
 */
#ifndef RDSSECURE_TESTS_DRIVER_OPTIONS_H
#define RDSSECURE_TESTS_DRIVER_OPTIONS_H

#include <stddef.h>

/* One option a driver knows. */
typedef struct driver_option {
    char *name;   /* libpq keyword ("sslcrl"), libmariadb option-file key
                     ("ssl-crl"), or mysql_option enum name ("MYSQL_OPT_SSL_CRL") */
    char *envvar; /* libpq only: its environment variable ("PGSSLCRL") or NULL */
} driver_option;

typedef struct driver_option_list {
    driver_option *items;
    size_t count;
} driver_option_list;

/* Every keyword PQconndefaults() lists, with its envvar. 0 on success. */
int driver_options_libpq(driver_option_list *out);

/* Every key libmariadb's option-file reader knows (its internal table of
 * option-file keys, aliases included, deduplicated), read from the
 * libmariadb shared object loaded in this process. 0 on success; non-zero
 * (never an empty success) when the table cannot be found. */
int driver_options_mariadb_keys(driver_option_list *out);

/* Every enumerator of `enum mysql_option` in the mysql.h at mysql_h_path.
 * 0 on success; non-zero when the enum is not found or is empty. */
int driver_options_mysql_enum(const char *mysql_h_path, driver_option_list *out);

/* Frees the items and resets the list to empty; safe on an empty list. */
void driver_option_list_free(driver_option_list *list);

#endif
