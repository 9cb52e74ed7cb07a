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
        if (res->audit != NULL) {
            cli_json_add_string(out, "enforced", rdss_audit_enforced(res->audit));
            cli_json_add_string(out, "evidence", rdss_audit_evidence(res->audit));
            cli_json_add_string(out, "reason", rdss_audit_reason(res->audit));
            cli_json_add_string(out, "server_tls_version", rdss_audit_server_tls_version(res->audit));
            cli_json_add_string(out, "server_cipher", rdss_audit_server_cipher(res->audit));
        }
        cli_print_json(out);
    } else if (code != RDSS_OK) {
        if (driver != NULL) /* one line, the driver's words after ours */
            cli_eprintf("rdssecure: %s: %s (driver: %s)\n", rdss_error_name(code), message, driver);
        else
            cli_eprintf("rdssecure: %s: %s\n", rdss_error_name(code), message);
    } else {
        cli_printf("ok: %s\n", message);
        if (res->tls != NULL)
            cli_printf("  server certificate: %s\n  issued by: %s\n  valid until: %s\n",
                   rdss_tls_info_peer_subject(res->tls), rdss_tls_info_peer_issuer(res->tls),
                   rdss_tls_info_peer_not_after(res->tls));
        if (res->audit != NULL) {
            cli_printf("TLS enforced by the server: %s (%s)\n", rdss_audit_enforced(res->audit),
                   rdss_audit_evidence(res->audit));
            if (rdss_audit_reason(res->audit) != NULL)
                cli_printf("  %s\n", rdss_audit_reason(res->audit));
            cli_printf("  the server sees this session as %s, %s\n",
                   rdss_audit_server_tls_version(res->audit) ? rdss_audit_server_tls_version(res->audit) : "?",
                   rdss_audit_server_cipher(res->audit) ? rdss_audit_server_cipher(res->audit) : "?");
        }
        const cJSON *row;
        cJSON_ArrayForEach(row, res->rows)
        {
            const cJSON *cell;
            int first = 1;
            cJSON_ArrayForEach(cell, row)
            {
                cli_printf("%s%s", first ? "" : "|", cJSON_IsString(cell) ? cell->valuestring : "");
                first = 0;
            }
            cli_printf("\n");
        }
    }
    return cli_exit_status(code);
}

void connect_result_connected(connect_result *res)
{
    snprintf(res->message, sizeof(res->message), "connected over %s; certificate chain and host name verified",
             rdss_tls_info_version(res->tls) ? rdss_tls_info_version(res->tls) : "TLS");
}

/* connect, or audit (connect, then ask the server whether it enforces TLS). */
static int connect_or_audit(const char *command, int argc, char **argv, const cli_options *opts)
{
    if (argc < 1)
        return cli_usage_error(opts, "%s: expected 'pg' or 'mysql'", command);
    connect_request req = {.engine = argv[0], .audit = strcmp(command, "audit") == 0};
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
        return cli_usage_error(opts, "%s: unknown or unsupported engine '%s'", command, argv[0]);
    int status = parse_target_options(command, !req.audit, argc - 1, argv + 1, &req, opts);
    if (status != 0)
        return status;
    connect_result res = {0};
    rdss_config *cfg = config_for(&req, &res.error);
    if (cfg != NULL)
        engine(cfg, &req, &res);
    else if (res.error == NULL)
        res.code = RDSS_ERR_INTERNAL;
    status = report(&req, &res, opts);
    if (status == 0 && req.require_enforced &&
        (res.audit == NULL || strcmp(rdss_audit_enforced(res.audit), "yes") != 0)) {
        if (!opts->json)
            cli_eprintf("rdssecure: audit: the server does not enforce TLS (enforced: %s); "
                        "--require-enforced fails\n",
                        res.audit ? rdss_audit_enforced(res.audit) : "unknown");
        status = CLI_EXIT_NOT_ENFORCED;
    }
    rdss_config_free(cfg);
    rdss_error_free(res.error);
    rdss_tls_info_free(res.tls);
    rdss_audit_free(res.audit);
    cJSON_Delete(res.rows);
    free(res.host);
    return status;
}

int cmd_connect(int argc, char **argv, const cli_options *opts)
{
    return connect_or_audit("connect", argc, argv, opts);
}

int cmd_audit(int argc, char **argv, const cli_options *opts)
{
    return connect_or_audit("audit", argc, argv, opts);
}
