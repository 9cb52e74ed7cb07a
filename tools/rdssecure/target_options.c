/* The options connect, probe and audit share: a TARGET, the trust, the
 * deadline and the verify-name, and the config they describe. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "connect.h"

int parse_target_options(const char *command, int with_query, int argc, char **argv,
                         connect_request *req, const cli_options *opts)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (arg == NULL)
            break;
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        int takes_value = strcmp(arg, "--bundle") == 0 || strcmp(arg, "--extra-ca") == 0 ||
                          strcmp(arg, "--timeout-ms") == 0 || strcmp(arg, "--verify-name") == 0 ||
                          (with_query && strcmp(arg, "--query") == 0) ||
                          ((with_query || req->audit) && strcmp(arg, "--password-file") == 0);
        if (takes_value && value == NULL)
            return cli_usage_error(opts, "%s: %s needs a value", command, arg);
        if (strcmp(arg, "--rds-proxy") == 0) {
            req->rds_proxy = 1;
            continue;
        }
        if (req->audit && strcmp(arg, "--require-enforced") == 0) {
            req->require_enforced = 1;
            continue;
        }
        if ((with_query || req->audit) && strcmp(arg, "--password-file") == 0) {
            if (req->engine == NULL || strcmp(req->engine, "mysql") != 0)
                return cli_usage_error(opts, "%s: --password-file goes with mysql (pg reads PGPASSWORD "
                                             "and ~/.pgpass itself)", command);
            req->password_file = value;
            i++;
            continue;
        }
        if (strcmp(arg, "--bundle") == 0)
            req->bundle = value;
        else if (strcmp(arg, "--extra-ca") == 0)
            req->extra_ca = value;
        else if (strcmp(arg, "--verify-name") == 0)
            req->verify_name = value;
        else if (with_query && strcmp(arg, "--query") == 0)
            req->query = value;
        else if (strcmp(arg, "--timeout-ms") == 0 && value != NULL) {
            char *end = NULL;
            req->timeout_ms = strtol(value, &end, 10);
            if (*value == '\0' || *end != '\0' || req->timeout_ms <= 0)
                return cli_usage_error(opts, "%s: --timeout-ms takes a positive number of milliseconds", command);
        } else if (arg[0] == '-' && arg[1] != '\0')
            return cli_usage_error(opts, "%s: unknown option '%s'", command, arg);
        else if (req->target == NULL) {
            req->target = arg;
            continue;
        } else
            return cli_usage_error(opts, "%s: more than one TARGET given", command);
        i++; /* the value */
    }
    if (req->target == NULL)
        return cli_usage_error(opts, "%s: no TARGET given", command);
    return 0;
}

rdss_config *config_for(const connect_request *req, rdss_error **err)
{
    rdss_config *cfg = rdss_config_new();
    if (cfg == NULL)
        return NULL;
    rdss_code code = RDSS_OK;
    if (req->bundle != NULL)
        code = rdss_config_set_bundle_file(cfg, req->bundle, err);
    if (code == RDSS_OK && req->extra_ca != NULL)
        code = rdss_config_add_extra_ca_file(cfg, req->extra_ca, err);
    if (code == RDSS_OK && req->rds_proxy)
        code = rdss_config_add_rds_proxy_roots(cfg, err);
    if (code == RDSS_OK && req->timeout_ms > 0)
        code = rdss_config_set_timeout_ms(cfg, req->timeout_ms, err);
    if (code == RDSS_OK && req->verify_name != NULL)
        code = rdss_config_set_verify_name(cfg, req->verify_name, err);
    if (code != RDSS_OK) {
        rdss_config_free(cfg);
        return NULL;
    }
    return cfg;
}
