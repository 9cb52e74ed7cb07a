/* What `rdssecure connect` asks of an engine, and what it reports. */
#ifndef RDSSECURE_CLI_CONNECT_H
#define RDSSECURE_CLI_CONNECT_H

#include <cjson/cJSON.h>
#include <rdssecure/rdssecure.h>

#include "cli.h"

typedef struct connect_request {
    const char *engine;
    const char *target;
    const char *bundle;
    const char *extra_ca;
    int rds_proxy; /* --rds-proxy: trust the embedded RDS Proxy roots too */
    const char *verify_name;
    const char *query;
    long timeout_ms;
    int audit; /* rdssecure audit: ask the server whether it enforces TLS */
    int require_enforced;      /* audit --require-enforced: exit 3 unless it does */
    const char *password_file; /* mysql: --password-file */
} connect_request;

typedef struct connect_result {
    rdss_code code;     /* RDSS_OK when connected and the query, if any, ran */
    rdss_error *error;  /* the library's error when the connect failed */
    rdss_tls_info *tls; /* when connected */
    char *host;
    int port;
    char message[512];        /* when there is no `error` */
    char driver_message[512]; /* a failed query's message */
    cJSON *rows;        /* --query: an array of rows, each an array of strings or null */
    rdss_audit *audit;  /* audit: the server's answer */
} connect_result;

/* Parses TARGET and --bundle, --extra-ca, --timeout-ms, --verify-name,
 * --password-file (and --query when with_query, --require-enforced when
 * req->audit) into req; 0, or the usage error's exit status. */
int parse_target_options(const char *command, int with_query, int argc, char **argv,
                         connect_request *req, const cli_options *opts);

/* The config the options describe; NULL with the error in *err. */
rdss_config *config_for(const connect_request *req, rdss_error **err);

/* After a verified connect: res->tls from the engine's tls_info, the message. */
void connect_result_connected(connect_result *res);

/* Each fills `res`; the return value is unused (0). */
int connect_pg(const rdss_config *cfg, const connect_request *req, connect_result *res);
int connect_mysql(const rdss_config *cfg, const connect_request *req, connect_result *res);

#endif
