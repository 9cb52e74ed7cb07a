/* rdssecure connect pg|mysql TARGET [options]: the options and the report
 * both engines share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "connect.h"

static int report(const connect_request *req, const connect_result *res, const cli_options *opts)
{
    rdss_code code = res->error ? rdss_error_code(res->error) : res->code;
    const char *message = res->error ? rdss_error_message(res->error) : res->message;
    const char *driver = res->error ? rdss_error_driver_message(res->error)
                                    : (res->driver_message[0] ? res->driver_message : NULL);
    if (opts->json) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "error", rdss_error_name(code));
        cJSON_AddStringToObject(out, "engine", req->engine);
        cli_json_add_string(out, "host", res->host);
        if (res->port > 0)
            cJSON_AddNumberToObject(out, "port", res->port);
        else
            cJSON_AddNullToObject(out, "port");
        cJSON_AddStringToObject(out, "message", message ? message : "");
        if (code != RDSS_OK)
            cli_json_add_string(out, "driver_message", driver);
        const char *subject = res->tls ? rdss_tls_info_peer_subject(res->tls) : rdss_error_cert_subject(res->error);
        const char *issuer = res->tls ? rdss_tls_info_peer_issuer(res->tls) : rdss_error_cert_issuer(res->error);
        const char *not_after = res->tls ? rdss_tls_info_peer_not_after(res->tls) : rdss_error_cert_not_after(res->error);
        if (res->tls != NULL) {
            cli_json_add_string(out, "tls_version", rdss_tls_info_version(res->tls));
            cli_json_add_string(out, "cipher", rdss_tls_info_cipher(res->tls));
        }
        if (subject != NULL) {
            cli_json_add_string(out, "peer_subject", subject);
            cli_json_add_string(out, "peer_issuer", issuer);
            cli_json_add_string(out, "peer_not_after", not_after);
        }
        if (res->rows != NULL)
            cJSON_AddItemReferenceToObject(out, "rows", res->rows);
        cli_print_json(out);
    } else if (code != RDSS_OK) {
        fprintf(stderr, "rdssecure: %s: %s\n", rdss_error_name(code), message);
        if (driver != NULL)
            fprintf(stderr, "  driver: %s\n", driver);
    } else {
        printf("ok: %s\n", message);
        if (res->tls != NULL)
            printf("  server certificate: %s\n  issued by: %s\n  valid until: %s\n",
                   rdss_tls_info_peer_subject(res->tls), rdss_tls_info_peer_issuer(res->tls),
                   rdss_tls_info_peer_not_after(res->tls));
        const cJSON *row;
        cJSON_ArrayForEach(row, res->rows)
        {
            const cJSON *cell;
            int first = 1;
            cJSON_ArrayForEach(cell, row)
            {
                printf("%s%s", first ? "" : "|", cJSON_IsString(cell) ? cell->valuestring : "");
                first = 0;
            }
            printf("\n");
        }
    }
    return cli_exit_status(code);
}

void connect_result_connected(connect_result *res)
{
    snprintf(res->message, sizeof(res->message), "connected over %s; certificate chain and host name verified",
             rdss_tls_info_version(res->tls) ? rdss_tls_info_version(res->tls) : "TLS");
}

int cmd_connect(int argc, char **argv, const cli_options *opts)
{
    if (argc < 1)
        return cli_usage_error(opts, "connect: expected 'pg' or 'mysql'");
    connect_request req = {.engine = argv[0]};
    int (*engine)(const rdss_config *, const connect_request *, connect_result *) = NULL;
#ifdef RDSSECURE_CLI_WITH_POSTGRES
    if (strcmp(argv[0], "pg") == 0)
        engine = connect_pg;
#endif
#ifdef RDSSECURE_CLI_WITH_MYSQL
    if (strcmp(argv[0], "mysql") == 0)
        engine = connect_mysql;
#endif
    if (engine == NULL)
        return cli_usage_error(opts, "connect: unknown or unsupported engine '%s'", argv[0]);
    int status = parse_target_options("connect", 1, argc - 1, argv + 1, &req, opts);
    if (status != 0)
        return status;
    connect_result res = {0};
    rdss_config *cfg = config_for(&req, &res.error);
    if (cfg != NULL)
        engine(cfg, &req, &res);
    else if (res.error == NULL)
        res.code = RDSS_ERR_INTERNAL;
    status = report(&req, &res, opts);
    rdss_config_free(cfg);
    rdss_error_free(res.error);
    rdss_tls_info_free(res.tls);
    cJSON_Delete(res.rows);
    free(res.host);
    return status;
}
