#include "tls/verify.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/x509v3.h>

#include "trust/certinfo.h"
#include "trust/edition.h"
#include "trust/endpoint.h"
#include "core/error.h"

/* libpq's rule: "*." only as the whole first label, matching one label. */
static int dns_name_matches(const char *pattern, size_t pattern_len, const char *name)
{
    size_t name_len = strlen(name);
    if (memchr(pattern, '\0', pattern_len) != NULL)
        return 0; /* an embedded NUL is an attack, never a match */
    if (pattern_len > 2 && pattern[0] == '*' && pattern[1] == '.') {
        const char *dot = strchr(name, '.');
        if (dot == NULL || dot == name)
            return 0;
        size_t rest = name_len - (size_t)(dot - name);
        return rest == pattern_len - 1 && strncasecmp(dot, pattern + 1, rest) == 0;
    }
    return name_len == pattern_len && strncasecmp(pattern, name, name_len) == 0;
}

/* The IP address `name` stands for, in `out` (4 or 16 bytes); 0 if it is not one. */
static int parse_ip(const char *name, unsigned char out[16])
{
    if (inet_pton(AF_INET, name, out) == 1)
        return 4;
    if (inet_pton(AF_INET6, name, out) == 1)
        return 16;
    return 0;
}

/* libpq 15's rule (fe-secure-openssl.c), so a probe and a connect agree:
 * every DNS SAN is compared with the host as a name, every IP SAN with the
 * host as an address; the CN counts only when the certificate has no SAN
 * of the host's own kind (DNS for a name, IP for an address). */
int rdss__cert_matches_name(X509 *cert, const char *name)
{
    unsigned char ip[16];
    int ip_len = parse_ip(name, ip);
    int host_type = ip_len > 0 ? GEN_IPADD : GEN_DNS;
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    int check_cn = 1, match = 0;
    for (int i = 0; sans != NULL && !match && i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *san = sk_GENERAL_NAME_value(sans, i);
        if (san->type == host_type)
            check_cn = 0;
        if (san->type == GEN_DNS)
            match = dns_name_matches((const char *)ASN1_STRING_get0_data(san->d.dNSName),
                                     (size_t)ASN1_STRING_length(san->d.dNSName), name);
        else if (san->type == GEN_IPADD)
            match = ip_len > 0 && ASN1_STRING_length(san->d.iPAddress) == ip_len &&
                    memcmp(ASN1_STRING_get0_data(san->d.iPAddress), ip, (size_t)ip_len) == 0;
    }
    GENERAL_NAMES_free(sans);
    if (match || !check_cn)
        return match;
    char *cn = rdss__cert_subject_cn(cert);
    match = cn != NULL && dns_name_matches(cn, strlen(cn), name);
    free(cn);
    return match;
}

/* "a, b, c": the names the certificate covers, for the mismatch message. */
static void covered_names(X509 *cert, char *out, size_t size)
{
    out[0] = '\0';
    size_t used = 0;
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans) && used + 1 < size; i++) {
        char text[256];
        if (rdss__san_text(sk_GENERAL_NAME_value(sans, i), 0, text, sizeof(text)))
            used += (size_t)snprintf(out + used, size - used, "%s%s", used ? ", " : "", text);
    }
    GENERAL_NAMES_free(sans);
    if (out[0] == '\0') {
        char *cn = rdss__cert_subject_cn(cert);
        snprintf(out, size, "%s (common name; no subject alternative names)", cn ? cn : "no name at all");
        free(cn);
    }
}

/* How to name a bundle file to the library, for the messages below. */
#define RDSS__HOW_TO_TRUST_A_FILE                                                          \
    "rdss_config_set_bundle_file(), the environment variable RDSSECURE_CA_BUNDLE=FILE or " \
    "the CLI option --bundle FILE; no rebuild needed"

/* Why the bundle cannot verify an RDS endpoint, when the name says so: a
 * GovCloud or China endpoint (bundles of their own), a region the bundle has
 * no root for (a region newer than the embedded edition, or a user's bundle
 * older than it), or a Proxy endpoint without the Amazon roots. */
static void explain_missing_roots(rdss_error *e, const rdss__trust *trust, const char *name)
{
    char region[RDSS__REGION_MAX];
    if (rdss__endpoint_is_proxy(name)) {
        if (!rdss__trust_has_proxy_roots(trust))
            rdss__error_append_message(
                e, ". %s is an RDS Proxy endpoint: its certificate chains to the Amazon roots "
                   "(Amazon Root CA 1-4, Starfield Services G2), not to the RDS bundle; trust them "
                   "as well: rdss_config_add_rds_proxy_roots() or the CLI option --rds-proxy "
                   "(the embedded copies: `rdssecure bundle list --proxy`)", name);
        return;
    }
    if (!rdss__endpoint_region(name, region) || rdss__trust_covers_region(trust, region))
        return;
    const rdss__partition *partition = rdss__region_partition(region);
    const char *label = rdss__trust_label(trust);
    if (partition != NULL) {
        rdss__error_append_message(
            e, ". %s is in %s (region %s): its certificates chain to the RDS bundle of %s, which "
               "the bundle in use (%s) does not hold; download %s and trust it with "
               RDSS__HOW_TO_TRUST_A_FILE, name, partition->name, region, partition->name, label,
            partition->bundle_url);
        return;
    }
    rdss__trust *embedded = NULL;
    int embedded_covers = rdss__trust_embedded(&embedded, NULL) == RDSS_OK &&
                          rdss__trust_covers_region(embedded, region);
    rdss__trust_unref(embedded);
    if (embedded_covers)
        rdss__error_append_message(
            e, ". The bundle (%s) has no root for %s, the region of %s, though the embedded RDS "
               "global bundle (edition %s) has: trust the embedded bundle "
               "(rdss_config_use_embedded_bundle(), or no RDSSECURE_CA_BUNDLE or --bundle) or a "
               "current official global bundle (%s)",
            label, region, name, rdss__embedded_edition_date, RDSS__GLOBAL_BUNDLE_URL);
    else if (strcmp(label, "embedded") == 0)
        rdss__error_append_message(
            e, ". The embedded RDS global bundle (edition %s) has no root for %s, the region of "
               "%s: it does not know that region, which is newer than the edition; download the "
               "current official global bundle (%s) and trust it with " RDSS__HOW_TO_TRUST_A_FILE,
            rdss__embedded_edition_date, region, name, RDSS__GLOBAL_BUNDLE_URL);
    else
        rdss__error_append_message(
            e, ". The bundle (%s) has no root for %s, the region of %s, and the embedded RDS "
               "global bundle (edition %s) does not know that region either: download the "
               "current official global bundle (%s) and trust it with " RDSS__HOW_TO_TRUST_A_FILE,
            label, region, name, rdss__embedded_edition_date, RDSS__GLOBAL_BUNDLE_URL);
}

/* The certificate's own RDS name, to suggest as verify-name; NULL if none. */
static char *rds_name_of(X509 *cert)
{
    char *found = NULL;
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; sans != NULL && found == NULL && i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *san = sk_GENERAL_NAME_value(sans, i);
        if (san->type != GEN_DNS)
            continue;
        char *dns = strndup((const char *)ASN1_STRING_get0_data(san->d.dNSName),
                            (size_t)ASN1_STRING_length(san->d.dNSName));
        if (dns != NULL && rdss__is_rds_name(dns))
            found = dns;
        else
            free(dns);
    }
    GENERAL_NAMES_free(sans);
    if (found == NULL) {
        char *cn = rdss__cert_subject_cn(cert);
        if (cn != NULL && rdss__is_rds_name(cn))
            found = cn;
        else
            free(cn);
    }
    return found;
}

/* Asked for an address, a CNAME or a tunnel's end while the certificate is
 * an RDS one: say how to keep verification (other drivers' users turn it off
 * here). */
static void suggest_verify_name(rdss_error *e, X509 *leaf, const char *name)
{
    unsigned char ip[16];
    if (parse_ip(name, ip) == 0 && rdss__is_rds_name(name))
        return;
    char *rds_name = rds_name_of(leaf);
    if (rds_name != NULL)
        rdss__error_append_message(
            e, ". Connecting through an address, a CNAME or a tunnel? Keep verification and check "
               "the certificate against the endpoint's name: --verify-name %s "
               "(rdss_config_set_verify_name)%s", rds_name,
            rds_name[0] == '*' ? ", with your endpoint's name in place of the *" : "");
    free(rds_name);
}

rdss_code rdss__verify_chain(const rdss__trust *trust, STACK_OF(X509) *chain, const char *name,
                             X509 **anchor_out, rdss_error **err)
{
    if (anchor_out != NULL)
        *anchor_out = NULL;
    if (chain == NULL || sk_X509_num(chain) == 0)
        return rdss__fail(err, RDSS_ERR_CERT_VERIFY, "the server presented no certificate");
    X509 *leaf = sk_X509_value(chain, 0);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (ctx == NULL || !X509_STORE_CTX_init(ctx, rdss__trust_store(trust), leaf, chain)) {
        X509_STORE_CTX_free(ctx);
        return rdss__fail(err, RDSS_ERR_INTERNAL, "cannot set up certificate verification");
    }
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    int verified = X509_verify_cert(ctx) == 1;
    int reason = X509_STORE_CTX_get_error(ctx);
    X509 *culprit = X509_STORE_CTX_get_current_cert(ctx);
    char *culprit_subject = culprit ? rdss__cert_subject(culprit) : NULL;
    STACK_OF(X509) *path = verified ? X509_STORE_CTX_get0_chain(ctx) : NULL;
    if (anchor_out != NULL && path != NULL && sk_X509_num(path) > 0) {
        *anchor_out = sk_X509_value(path, sk_X509_num(path) - 1);
        X509_up_ref(*anchor_out);
    }
    X509_STORE_CTX_free(ctx);
    char chain_end[RDSS__ISO_TIME_LEN + 1] = "";
    rdss__chain_earliest_not_after(chain, chain_end, NULL);
    rdss_error *e = NULL;
    if (!verified) {
        e = rdss__error_new(
            RDSS_ERR_CERT_VERIFY,
            "the server's certificate chain does not verify against the trusted bundle (%s): %s%s%s",
            rdss__trust_label(trust), X509_verify_cert_error_string(reason),
            culprit_subject ? "; certificate: " : "", culprit_subject ? culprit_subject : "");
        explain_missing_roots(e, trust, name);
    } else if (!rdss__cert_matches_name(leaf, name)) {
        char names[1024];
        covered_names(leaf, names, sizeof(names));
        e = rdss__error_new(RDSS_ERR_HOSTNAME_MISMATCH,
                            "the server's certificate does not cover \"%s\"; it covers: %s", name, names);
        suggest_verify_name(e, leaf, name);
    }
    free(culprit_subject);
    if (e == NULL)
        return rdss__succeed(err);
    rdss__error_set_cert_of(e, leaf);
    rdss__error_set_chain_not_after(e, chain_end[0] ? chain_end : NULL);
    return rdss__hand_over(err, e);
}
