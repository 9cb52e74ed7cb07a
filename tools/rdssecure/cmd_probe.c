/* rdssecure probe pg|mysql HOST[:PORT] [options]: the server's certificate
 * chain, what anchors it and when it expires, with no credentials. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "connect.h"

/* HOST, HOST:PORT, [V6] or [V6]:PORT into host (brackets removed) and port
 * (0 when absent); 0 on success. */
static int split_host_port(const char *target, char *host, size_t size, int *port)
{
    const char *port_text = NULL;
    size_t host_len;
    if (target[0] == '[') {
        const char *close = strchr(target, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':'))
            return -1;
        host_len = (size_t)(close - target - 1);
        target++;
        port_text = close[1] == ':' ? close + 2 : NULL;
    } else {
        const char *colon = strchr(target, ':');
        if (colon != NULL && strchr(colon + 1, ':') != NULL)
            colon = NULL; /* a bare IPv6 address */
        host_len = colon ? (size_t)(colon - target) : strlen(target);
        port_text = colon ? colon + 1 : NULL;
    }
    if (host_len == 0 || host_len >= size)
        return -1;
    memcpy(host, target, host_len);
    host[host_len] = '\0';
    *port = 0;
    if (port_text != NULL) {
        char *end = NULL;
        long value = strtol(port_text, &end, 10);
        if (*port_text == '\0' || *end != '\0' || value < 1 || value > 65535)
            return -1;
        *port = (int)value;
    }
    return 0;
}

static void add_json(cJSON *out, const rdss_probe_report *r)
{
    cli_json_add_string(out, "verify_name", rdss_probe_report_verify_name(r));
    cli_json_add_string(out, "tls_version", rdss_probe_report_tls_version(r));
    cli_json_add_string(out, "cipher", rdss_probe_report_cipher(r));
    size_t length = rdss_probe_report_chain_length(r);
    if (length > 0) { /* the connect report's fields, for the leaf */
        cli_json_add_string(out, "peer_subject", rdss_probe_report_cert_subject(r, 0));
        cli_json_add_string(out, "peer_issuer", rdss_probe_report_cert_issuer(r, 0));
        cli_json_add_string(out, "peer_not_after", rdss_probe_report_cert_not_after(r, 0));
    }
    cJSON *chain = cJSON_AddArrayToObject(out, "chain");
    for (size_t i = 0; i < length; i++) {
        cJSON *cert = cJSON_CreateObject();
        cli_json_add_string(cert, "subject", rdss_probe_report_cert_subject(r, i));
        cli_json_add_string(cert, "issuer", rdss_probe_report_cert_issuer(r, i));
        cli_json_add_string(cert, "not_before", rdss_probe_report_cert_not_before(r, i));
        cli_json_add_string(cert, "not_after", rdss_probe_report_cert_not_after(r, i));
        cli_json_add_string(cert, "sha256", rdss_probe_report_cert_sha256(r, i));
        cJSON_AddItemToArray(chain, cert);
    }
    cJSON *sans = cJSON_AddArrayToObject(out, "leaf_sans");
    for (size_t i = 0; i < rdss_probe_report_leaf_san_count(r); i++)
        cJSON_AddItemToArray(sans, cJSON_CreateString(rdss_probe_report_leaf_san(r, i)));
    if (rdss_probe_report_anchor_subject(r) != NULL) {
        cJSON *anchor = cJSON_AddObjectToObject(out, "anchor");
        cli_json_add_string(anchor, "subject", rdss_probe_report_anchor_subject(r));
        cli_json_add_string(anchor, "not_after", rdss_probe_report_anchor_not_after(r));
        cli_json_add_string(anchor, "family", rdss_probe_report_anchor_family(r));
    } else {
        cJSON_AddNullToObject(out, "anchor");
    }
    int hostname = rdss_probe_report_hostname_verified(r);
    if (hostname < 0)
        cJSON_AddNullToObject(out, "hostname_verified");
    else
        cJSON_AddBoolToObject(out, "hostname_verified", hostname);
    cli_json_add_string(out, "earliest_not_after", rdss_probe_report_earliest_not_after(r));
    long days = rdss_probe_report_days_until_expiry(r);
    if (days == RDSS_DAYS_UNKNOWN)
        cJSON_AddNullToObject(out, "days_until_expiry");
    else
        cJSON_AddNumberToObject(out, "days_until_expiry", (double)days);
    cJSON_AddBoolToObject(out, "expiry_warning", rdss_probe_report_expiry_warning(r));
}

static void print_text(const rdss_probe_report *r, rdss_code code, const char *message)
{
    if (code == RDSS_OK)
        cli_printf("ok: %s:%d presents a chain that verifies for %s over %s (%s)\n",
               rdss_probe_report_host(r), rdss_probe_report_port(r), rdss_probe_report_verify_name(r),
               rdss_probe_report_tls_version(r), rdss_probe_report_cipher(r));
    else /* the one error format of every subcommand; what the server showed follows */
        cli_eprintf("rdssecure: %s: %s\n", rdss_error_name(code), message);
    for (size_t i = 0; i < rdss_probe_report_chain_length(r); i++)
        cli_printf("  [%zu] %s\n      issuer %s\n      valid %s .. %s  sha256 %s\n", i,
               rdss_probe_report_cert_subject(r, i), rdss_probe_report_cert_issuer(r, i),
               rdss_probe_report_cert_not_before(r, i), rdss_probe_report_cert_not_after(r, i),
               rdss_probe_report_cert_sha256(r, i));
    if (rdss_probe_report_anchor_subject(r) != NULL)
        cli_printf("  anchored by %s (%s), valid until %s\n", rdss_probe_report_anchor_subject(r),
               rdss_probe_report_anchor_family(r), rdss_probe_report_anchor_not_after(r));
    long days = rdss_probe_report_days_until_expiry(r);
    if (days < 0 && days != RDSS_DAYS_UNKNOWN)
        cli_printf("  earliest expiry in the chain: %s (expired %ld day%s ago)\n",
                   rdss_probe_report_earliest_not_after(r), -days, days == -1 ? "" : "s");
    else if (days != RDSS_DAYS_UNKNOWN)
        cli_printf("  earliest expiry in the chain: %s (in %ld day%s)%s\n", rdss_probe_report_earliest_not_after(r),
                   days, days == 1 ? "" : "s",
                   rdss_probe_report_expiry_warning(r) ? "  WARNING: renew or rotate soon" : "");
}

int cmd_probe(int argc, char **argv, const cli_options *opts)
{
    if (argc < 1 || (strcmp(argv[0], "pg") != 0 && strcmp(argv[0], "mysql") != 0))
        return cli_usage_error(opts, "probe: expected 'pg' or 'mysql'");
    connect_request req = {.engine = argv[0]};
    int status = parse_target_options("probe", 0, argc - 1, argv + 1, &req, opts);
    if (status != 0)
        return status;
    char host[256];
    int port = 0;
    if (split_host_port(req.target, host, sizeof(host), &port) != 0)
        return cli_usage_error(opts, "probe: '%s' is not HOST, HOST:PORT or [IPV6]:PORT", req.target);
    rdss_engine engine = strcmp(req.engine, "pg") == 0 ? RDSS_ENGINE_PG : RDSS_ENGINE_MYSQL;
    rdss_error *err = NULL;
    rdss_probe_report *report = NULL;
    rdss_config *cfg = config_for(&req, &err);
    rdss_code code = cfg ? rdss_probe(cfg, engine, host, port, &report, &err)
                         : (err ? rdss_error_code(err) : RDSS_ERR_INTERNAL);
    const char *message = err ? rdss_error_message(err) : "the chain verifies and names the host";
    if (opts->json) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "error", rdss_error_name(code));
        cJSON_AddStringToObject(out, "engine", req.engine);
        cJSON_AddStringToObject(out, "host", host);
        cJSON_AddNumberToObject(out, "port", port ? port : (engine == RDSS_ENGINE_PG ? 5432 : 3306));
        cJSON_AddStringToObject(out, "message", message);
        if (report != NULL)
            add_json(out, report);
        cli_print_json(out);
    } else if (report != NULL) {
        print_text(report, code, message);
    } else {
        cli_eprintf("rdssecure: %s: %s\n", rdss_error_name(code), message);
    }
    rdss_probe_report_free(report);
    rdss_error_free(err);
    rdss_config_free(cfg);
    return cli_exit_status(code);
}
