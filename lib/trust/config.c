#include "trust/config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trust/embedded.h"
#include "core/error.h"

struct rdss_config {
    rdss__trust *base;      /* NULL: the process default (env or embedded) */
    rdss__trust *extras;    /* extra CAs alone, or NULL */
    rdss__trust *effective; /* base + extras when there are extras, else NULL */
    char *source;          /* rdss_config_trust_source() */
    long timeout_ms;
    char *verify_name;
    long warning_days;
    rdss_log_fn log;
    void *log_user;
};

rdss_config *rdss_config_new(void)
{
    rdss_config *cfg = calloc(1, sizeof(*cfg));
    if (cfg != NULL) {
        cfg->timeout_ms = RDSS_DEFAULT_TIMEOUT_MS;
        cfg->warning_days = RDSS_DEFAULT_WARNING_DAYS;
    }
    return cfg;
}

void rdss_config_free(rdss_config *cfg)
{
    if (cfg == NULL)
        return;
    rdss__trust_unref(cfg->base);
    rdss__trust_unref(cfg->extras);
    rdss__trust_unref(cfg->effective);
    free(cfg->source);
    free(cfg->verify_name);
    free(cfg);
}

static rdss_code null_config(rdss_error **err, const char *function)
{
    return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "%s: config is NULL", function);
}

/* Recomputes `effective` and `source` after base or extras changed. */
static rdss_code refresh(rdss_config *cfg, rdss_error **err)
{
    rdss__trust *effective = NULL;
    if (cfg->extras != NULL) {
        rdss__trust *base = cfg->base ? rdss__trust_ref(cfg->base) : NULL;
        rdss_code code = base ? RDSS_OK : rdss__trust_default(&base, err);
        if (code != RDSS_OK)
            return code;
        code = rdss__trust_union(base, cfg->extras, rdss__trust_label(base), &effective, err);
        rdss__trust_unref(base);
        if (code != RDSS_OK)
            return code;
    }
    const char *label = cfg->base ? rdss__trust_label(cfg->base) : "default";
    int extra_count = cfg->extras ? sk_X509_num(rdss__trust_certs(cfg->extras)) : 0;
    char *source = NULL;
    size_t len = strlen(label) + 32;
    if ((source = malloc(len)) == NULL) {
        rdss__trust_unref(effective);
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    }
    if (extra_count > 0)
        snprintf(source, len, "%s + %d extra", label, extra_count);
    else
        snprintf(source, len, "%s", label);
    rdss__trust_unref(cfg->effective);
    cfg->effective = effective;
    free(cfg->source);
    cfg->source = source;
    return rdss__succeed(err);
}

/* Installs a freshly built trust as base (extra = 0) or adds it to the
 * extras (extra = 1). Takes the reference `trust` carries. */
static rdss_code install(rdss_config *cfg, rdss__trust *trust, int extra, rdss_error **err)
{
    rdss__trust **slot = extra ? &cfg->extras : &cfg->base;
    rdss__trust *previous = *slot;
    rdss__trust *next = trust;
    if (extra && previous != NULL) {
        rdss_code code = rdss__trust_union(previous, trust, "extra CAs", &next, err);
        rdss__trust_unref(trust);
        if (code != RDSS_OK)
            return code;
    }
    *slot = next;
    rdss_code code = refresh(cfg, err);
    if (code != RDSS_OK) { /* keep the config as it was */
        *slot = previous;
        rdss__trust_unref(next);
        return code;
    }
    rdss__trust_unref(previous);
    return RDSS_OK;
}

static rdss_code set_from_file(rdss_config *cfg, const char *path, int extra, rdss_error **err,
                               const char *function)
{
    if (cfg == NULL)
        return null_config(err, function);
    if (path == NULL || path[0] == '\0')
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "%s: path is NULL or empty", function);
    rdss__trust *trust = NULL;
    rdss_code code = rdss__trust_from_file(path, &trust, err);
    return code == RDSS_OK ? install(cfg, trust, extra, err) : code;
}

static rdss_code set_from_pem(rdss_config *cfg, const char *pem, size_t len, int extra,
                              rdss_error **err, const char *function)
{
    if (cfg == NULL)
        return null_config(err, function);
    if (pem == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "%s: pem is NULL", function);
    if (len == 0)
        return rdss__fail(err, RDSS_ERR_BUNDLE, "CA bundle in memory is empty");
    rdss__trust *trust = NULL;
    rdss_code code = rdss__trust_from_pem(pem, len, "memory", &trust, err);
    return code == RDSS_OK ? install(cfg, trust, extra, err) : code;
}

rdss_code rdss_config_set_bundle_file(rdss_config *cfg, const char *path, rdss_error **err)
{
    return set_from_file(cfg, path, 0, err, __func__);
}

rdss_code rdss_config_set_bundle_pem(rdss_config *cfg, const char *pem, size_t len,
                                     rdss_error **err)
{
    return set_from_pem(cfg, pem, len, 0, err, __func__);
}

rdss_code rdss_config_add_extra_ca_file(rdss_config *cfg, const char *path, rdss_error **err)
{
    return set_from_file(cfg, path, 1, err, __func__);
}

rdss_code rdss_config_add_extra_ca_pem(rdss_config *cfg, const char *pem, size_t len,
                                       rdss_error **err)
{
    return set_from_pem(cfg, pem, len, 1, err, __func__);
}

rdss_code rdss_config_add_rds_proxy_roots(rdss_config *cfg, rdss_error **err)
{
    if (cfg == NULL)
        return null_config(err, __func__);
    rdss__trust *trust = NULL;
    rdss_code code = rdss__trust_from_pem(rdss__embedded_proxy_roots_pem,
                                          rdss__embedded_proxy_roots_pem_len,
                                          "embedded RDS Proxy roots", &trust, err);
    return code == RDSS_OK ? install(cfg, trust, 1, err) : code;
}

rdss_code rdss_config_use_embedded_bundle(rdss_config *cfg, rdss_error **err)
{
    if (cfg == NULL)
        return null_config(err, __func__);
    rdss__trust *trust = NULL;
    rdss_code code = rdss__trust_embedded(&trust, err);
    return code == RDSS_OK ? install(cfg, trust, 0, err) : code;
}

rdss_code rdss_config_set_timeout_ms(rdss_config *cfg, long timeout_ms, rdss_error **err)
{
    if (cfg == NULL)
        return null_config(err, __func__);
    if (timeout_ms < 1 || timeout_ms > RDSS_MAX_TIMEOUT_MS)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                          "timeout of %ld ms is out of range (1 to %d ms)", timeout_ms,
                          RDSS_MAX_TIMEOUT_MS);
    cfg->timeout_ms = timeout_ms;
    return rdss__succeed(err);
}

long rdss_config_timeout_ms(const rdss_config *cfg)
{
    return cfg == NULL ? RDSS_DEFAULT_TIMEOUT_MS : cfg->timeout_ms;
}

static int is_ip_literal(const char *name)
{
    unsigned char address[16];
    return inet_pton(AF_INET, name, address) == 1 || inet_pton(AF_INET6, name, address) == 1;
}

/* A DNS name as certificates carry it: 1-63 character labels of letters,
 * digits and inner hyphens, 253 characters at most, no wildcard. */
static int is_dns_name(const char *name)
{
    size_t total = strlen(name);
    if (total == 0 || total > 253)
        return 0;
    size_t label = 0;
    for (const char *p = name;; p++) {
        if (*p == '.' || *p == '\0') {
            if (label == 0 || label > 63 || p[-1] == '-')
                return 0;
            if (*p == '\0')
                return 1;
            label = 0;
            continue;
        }
        int letter_or_digit = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                              (*p >= '0' && *p <= '9');
        if (!letter_or_digit && !(*p == '-' && label > 0))
            return 0;
        label++;
    }
}

rdss_code rdss_config_set_verify_name(rdss_config *cfg, const char *name, rdss_error **err)
{
    if (cfg == NULL)
        return null_config(err, __func__);
    char *copy = NULL;
    if (name != NULL) {
        if (!is_ip_literal(name) && !is_dns_name(name))
            return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                              "verify-name \"%s\" is neither a DNS name (letters, digits, "
                              "hyphens and dots; no wildcard) nor an IP address",
                              name);
        if ((copy = strdup(name)) == NULL)
            return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    }
    free(cfg->verify_name);
    cfg->verify_name = copy;
    return rdss__succeed(err);
}

const char *rdss_config_verify_name(const rdss_config *cfg)
{
    return cfg == NULL ? NULL : cfg->verify_name;
}

const char *rdss_config_trust_source(const rdss_config *cfg)
{
    if (cfg == NULL || cfg->source == NULL)
        return "default";
    return cfg->source;
}

rdss_code rdss__config_trust(const rdss_config *cfg, rdss__trust **out, rdss_error **err)
{
    *out = NULL;
    if (cfg != NULL && cfg->effective != NULL)
        *out = rdss__trust_ref(cfg->effective);
    else if (cfg != NULL && cfg->base != NULL)
        *out = rdss__trust_ref(cfg->base);
    else
        return rdss__trust_default(out, err);
    return rdss__succeed(err);
}

rdss_code rdss_config_check_trust(rdss_config *cfg, rdss_error **err)
{
    if (cfg == NULL)
        return null_config(err, __func__);
    rdss__trust *trust = NULL;
    rdss_code code = rdss__config_trust(cfg, &trust, err);
    if (code == RDSS_OK) /* an edition's bytes are checked on use only: now */
        code = rdss__trust_check(trust, err);
    if (code == RDSS_OK && cfg->source == NULL) {
        /* Now that the default is decided, say which it is. */
        cfg->source = strdup(rdss__trust_label(trust));
    }
    rdss__trust_unref(trust);
    return code;
}

rdss_code rdss_config_set_expiry_warning(rdss_config *cfg, long days, rdss_log_fn log, void *user,
                                         rdss_error **err)
{
    if (cfg == NULL)
        return null_config(err, "rdss_config_set_expiry_warning");
    if (days < 0 || days > 3650)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                          "rdss_config_set_expiry_warning: days must be 0 to 3650, not %ld", days);
    cfg->warning_days = days;
    cfg->log = log;
    cfg->log_user = user;
    return rdss__succeed(err);
}

long rdss_config_expiry_warning_days(const rdss_config *cfg)
{
    return cfg ? cfg->warning_days : RDSS_DEFAULT_WARNING_DAYS;
}

rdss_log_fn rdss__config_log(const rdss_config *cfg, void **user)
{
    *user = cfg ? cfg->log_user : NULL;
    return cfg ? cfg->log : NULL;
}
