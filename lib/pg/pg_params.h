/* PostgreSQL connection options: collected from what the caller passed,
 * checked against the policy, and completed with what we always enforce. */
#ifndef RDSS__LIB_PG_PARAMS_H
#define RDSS__LIB_PG_PARAMS_H

#include <stddef.h>

#include "connect/connect.h"
#include "rdssecure/rdssecure.h"

/* keyword/value pairs, NULL-terminated for PQconnectStartParams */
typedef struct rdss__pg_params {
    char **keywords;
    char **values;
    size_t count;
    size_t capacity;
} rdss__pg_params;

/* One host libpq will try: where it connects and what name it verifies. */
typedef struct rdss__pg_target {
    char *host;        /* as the caller named it */
    char *address;     /* numeric address given to libpq as hostaddr */
    char *verify_name; /* the name the certificate must cover */
    int port;
} rdss__pg_target;

typedef struct rdss__pg_plan {
    rdss__pg_params params;   /* what goes to libpq */
    rdss__pg_target *targets; /* in libpq's order */
    size_t target_count;
} rdss__pg_plan;

/* From a conninfo string or URI. */
rdss_code rdss__pg_params_from_conninfo(const char *conninfo, rdss__pg_params *out, rdss_error **err);
/* From PQconnectdbParams-style arrays (expand_dbname as libpq does it). */
rdss_code rdss__pg_params_from_arrays(const char *const *keywords, const char *const *values,
                                      int expand_dbname, rdss__pg_params *out, rdss_error **err);

/* Applies the policy to `params` (taken over by the plan, also on failure):
 * refuses what would weaken TLS (insecure_option), settles the connect's
 * trust (the caller's sslrootcert, else the config's: rdss__connect_trust),
 * forces verify-full, resolves every host within the connect's deadline
 * and pins it with hostaddr, so that neither the environment nor a service
 * file can change where we connect or how we verify. */
rdss_code rdss__pg_plan_make(rdss__pg_params *params, rdss__connect *c, const rdss_config *cfg,
                             rdss__pg_plan *out, rdss_error **err);

/* The CA file libpq gets (sslrootcert): set before each driver connect,
 * the one place it is written. 0 when out of memory. */
int rdss__pg_plan_use_ca_file(rdss__pg_plan *plan, const char *path);

/* The TLS policy alone (what rdss__pg_plan refuses or raises before it
 * resolves anything): for the fuzzer, which must not reach the network. */
rdss_code rdss__pg_check_policy(rdss__pg_params *params, rdss_error **err);

/* Sets (or with value NULL removes) a keyword; 0 when out of memory. */
int rdss__pg_params_set(rdss__pg_params *params, const char *keyword, const char *value);

void rdss__pg_params_free(rdss__pg_params *params);
void rdss__pg_plan_free(rdss__pg_plan *plan);

#endif
