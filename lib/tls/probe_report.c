/* rdss_probe: the probe as a public call, and its report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/x509v3.h>

#include "trust/certinfo.h"
#include "trust/config.h"
#include "core/deadline.h"
#include "core/error.h"
#include "tls/probe.h"

typedef struct report_cert {
    char *subject, *issuer;
    char not_before[RDSS__ISO_TIME_LEN + 1], not_after[RDSS__ISO_TIME_LEN + 1];
    char sha256[RDSS__SHA256_HEX_LEN + 1];
} report_cert;

struct rdss_probe_report {
    rdss_code code;
    char *host, *verify_name;
    int port;
    char *tls_version, *cipher;
    report_cert *chain;
    size_t chain_length;
    char **sans;
    size_t san_count;
    char *anchor_subject;
    char anchor_not_after[RDSS__ISO_TIME_LEN + 1];
    const char *anchor_family;
    int hostname;
    char earliest[RDSS__ISO_TIME_LEN + 1];
    long days;
    int warning;
};

static void describe(X509 *cert, report_cert *out)
{
    out->subject = rdss__cert_subject(cert);
    out->issuer = rdss__cert_issuer(cert);
    rdss__asn1_time_iso(X509_get0_notBefore(cert), out->not_before);
    rdss__asn1_time_iso(X509_get0_notAfter(cert), out->not_after);
    rdss__cert_sha256_hex(cert, out->sha256);
}

/* "DNS:name" and "IP:address" for each subject alternative name. */
static void collect_sans(X509 *leaf, rdss_probe_report *r)
{
    GENERAL_NAMES *sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    int count = sans ? sk_GENERAL_NAME_num(sans) : 0;
    r->sans = calloc((size_t)count + 1, sizeof(char *));
    for (int i = 0; r->sans != NULL && i < count; i++) {
        char text[300];
        if (rdss__san_text(sk_GENERAL_NAME_value(sans, i), 1, text, sizeof(text)) &&
            (r->sans[r->san_count] = strdup(text)) != NULL)
            r->san_count++;
    }
    GENERAL_NAMES_free(sans);
}

/* Earliest expiry over the presented chain and the anchor, and days left. */
static void compute_expiry(const rdss__probe_facts *facts, rdss_probe_report *r)
{
    STACK_OF(X509) *all = facts->chain ? sk_X509_dup(facts->chain) : sk_X509_new_null();
    if (all != NULL && facts->anchor != NULL)
        sk_X509_push(all, facts->anchor);
    int64_t when = 0;
    if (all != NULL && rdss__chain_earliest_not_after(all, r->earliest, &when)) {
        int64_t left = when - (int64_t)time(NULL);
        r->days = (long)(left >= 0 ? (left + 86399) / 86400 : -((-left + 86399) / 86400));
    }
    sk_X509_free(all);
}

static rdss_probe_report *build(rdss_code code, const char *host, int port, const char *verify_name,
                                const rdss__probe_facts *facts)
{
    rdss_probe_report *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->code = code;
    r->host = strdup(host);
    r->port = port;
    r->verify_name = strdup(verify_name);
    r->hostname = facts->hostname;
    r->days = RDSS_DAYS_UNKNOWN;
    r->anchor_family = facts->anchor ? rdss__rds_ca_family(facts->anchor) : NULL;
    r->tls_version = facts->tls_version ? strdup(facts->tls_version) : NULL;
    r->cipher = facts->cipher ? strdup(facts->cipher) : NULL;
    int length = facts->chain ? sk_X509_num(facts->chain) : 0;
    r->chain = calloc((size_t)length + 1, sizeof(report_cert));
    for (int i = 0; r->chain != NULL && i < length; i++)
        describe(sk_X509_value(facts->chain, i), &r->chain[r->chain_length++]);
    if (length > 0)
        collect_sans(sk_X509_value(facts->chain, 0), r);
    if (facts->anchor != NULL) {
        r->anchor_subject = rdss__cert_subject(facts->anchor);
        rdss__asn1_time_iso(X509_get0_notAfter(facts->anchor), r->anchor_not_after);
    }
    compute_expiry(facts, r);
    return r;
}

rdss_code rdss_probe(const rdss_config *cfg, rdss_engine engine, const char *host, int port,
                     rdss_probe_report **report, rdss_error **err)
{
    if (report != NULL)
        *report = NULL;
    if (report == NULL || host == NULL || host[0] == '\0' || port < 0 || port > 65535 ||
        (engine != RDSS_ENGINE_PG && engine != RDSS_ENGINE_MYSQL))
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                          "rdss_probe: needs an engine, a host, a port from 0 to 65535 and a report");
    if (port == 0)
        port = engine == RDSS_ENGINE_PG ? 5432 : 3306;
    const char *verify_name = rdss_config_verify_name(cfg) ? rdss_config_verify_name(cfg) : host;
    rdss__trust *trust = NULL;
    rdss_code code = rdss__config_trust(cfg, &trust, err);
    if (code != RDSS_OK)
        return code;
    rdss__probe_facts facts = {0};
    rdss__deadline deadline = rdss__deadline_in(rdss_config_timeout_ms(cfg));
    code = rdss__probe(engine, host, port, verify_name, trust, deadline, &facts, err);
    rdss__trust_unref(trust);
    *report = build(code, host, port, verify_name, &facts);
    rdss__probe_facts_free(&facts);
    long horizon = rdss_config_expiry_warning_days(cfg);
    if (*report != NULL && (*report)->days != RDSS_DAYS_UNKNOWN && horizon > 0)
        (*report)->warning = (*report)->days <= horizon;
    if (*report == NULL) {
        if (err != NULL && *err != NULL) {
            rdss_error_free(*err);
            *err = NULL;
        }
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    }
    return code;
}

rdss_code rdss_probe_report_code(const rdss_probe_report *r)
{
    return r ? r->code : RDSS_ERR_INVALID_ARGUMENT;
}

const char *rdss_probe_report_host(const rdss_probe_report *r)
{
    return r ? r->host : NULL;
}

int rdss_probe_report_port(const rdss_probe_report *r)
{
    return r ? r->port : 0;
}

const char *rdss_probe_report_verify_name(const rdss_probe_report *r)
{
    return r ? r->verify_name : NULL;
}

const char *rdss_probe_report_tls_version(const rdss_probe_report *r)
{
    return r ? r->tls_version : NULL;
}

const char *rdss_probe_report_cipher(const rdss_probe_report *r)
{
    return r ? r->cipher : NULL;
}

size_t rdss_probe_report_chain_length(const rdss_probe_report *r)
{
    return r ? r->chain_length : 0;
}

static const report_cert *cert_at(const rdss_probe_report *r, size_t index)
{
    return r && index < r->chain_length ? &r->chain[index] : NULL;
}

static const char *text_or_null(const char *text)
{
    return text && text[0] ? text : NULL;
}

const char *rdss_probe_report_cert_subject(const rdss_probe_report *r, size_t index)
{
    return cert_at(r, index) ? cert_at(r, index)->subject : NULL;
}

const char *rdss_probe_report_cert_issuer(const rdss_probe_report *r, size_t index)
{
    return cert_at(r, index) ? cert_at(r, index)->issuer : NULL;
}

const char *rdss_probe_report_cert_not_before(const rdss_probe_report *r, size_t index)
{
    return cert_at(r, index) ? text_or_null(cert_at(r, index)->not_before) : NULL;
}

const char *rdss_probe_report_cert_not_after(const rdss_probe_report *r, size_t index)
{
    return cert_at(r, index) ? text_or_null(cert_at(r, index)->not_after) : NULL;
}

const char *rdss_probe_report_cert_sha256(const rdss_probe_report *r, size_t index)
{
    return cert_at(r, index) ? text_or_null(cert_at(r, index)->sha256) : NULL;
}

size_t rdss_probe_report_leaf_san_count(const rdss_probe_report *r)
{
    return r ? r->san_count : 0;
}

const char *rdss_probe_report_leaf_san(const rdss_probe_report *r, size_t index)
{
    return r && index < r->san_count ? r->sans[index] : NULL;
}

const char *rdss_probe_report_anchor_subject(const rdss_probe_report *r)
{
    return r ? r->anchor_subject : NULL;
}

const char *rdss_probe_report_anchor_not_after(const rdss_probe_report *r)
{
    return r ? text_or_null(r->anchor_not_after) : NULL;
}

const char *rdss_probe_report_anchor_family(const rdss_probe_report *r)
{
    return r ? r->anchor_family : NULL;
}

int rdss_probe_report_hostname_verified(const rdss_probe_report *r)
{
    return r ? r->hostname : -1;
}

const char *rdss_probe_report_earliest_not_after(const rdss_probe_report *r)
{
    return r ? text_or_null(r->earliest) : NULL;
}

long rdss_probe_report_days_until_expiry(const rdss_probe_report *r)
{
    return r ? r->days : RDSS_DAYS_UNKNOWN;
}

int rdss_probe_report_expiry_warning(const rdss_probe_report *r)
{
    return r ? r->warning : 0;
}

void rdss_probe_report_free(rdss_probe_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->chain_length; i++) {
        free(r->chain[i].subject);
        free(r->chain[i].issuer);
    }
    for (size_t i = 0; i < r->san_count; i++)
        free(r->sans[i]);
    free(r->chain);
    free(r->sans);
    free(r->host);
    free(r->verify_name);
    free(r->tls_version);
    free(r->cipher);
    free(r->anchor_subject);
    free(r);
}
