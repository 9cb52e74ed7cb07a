#include "trust/certinfo.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "core/error.h"

char *rdss__cert_subject_cn(X509 *cert)
{
    X509_NAME *name = X509_get_subject_name(cert);
    int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0)
        return NULL;
    ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0)
        return NULL;
    char *cn = NULL;
    /* A CN with an embedded NUL is a known trick; never let it pass as text. */
    if (memchr(utf8, '\0', (size_t)len) == NULL) {
        cn = malloc((size_t)len + 1);
        if (cn != NULL) {
            memcpy(cn, utf8, (size_t)len);
            cn[len] = '\0';
        }
    }
    OPENSSL_free(utf8);
    return cn;
}

static char *name_rfc2253(const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        return NULL;
    char *text = NULL;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        char *data = NULL;
        long len = BIO_get_mem_data(bio, &data);
        text = malloc((size_t)len + 1);
        if (text != NULL) {
            memcpy(text, data, (size_t)len);
            text[len] = '\0';
        }
    }
    BIO_free(bio);
    return text;
}

char *rdss__cert_subject(X509 *cert)
{
    return name_rfc2253(X509_get_subject_name(cert));
}

char *rdss__cert_issuer(X509 *cert)
{
    return name_rfc2253(X509_get_issuer_name(cert));
}

static void hex_of_sha256(const unsigned char digest[32], char out[RDSS__SHA256_HEX_LEN + 1])
{
    for (size_t i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

int rdss__cert_sha256_hex(X509 *cert, char out[RDSS__SHA256_HEX_LEN + 1])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!X509_digest(cert, EVP_sha256(), digest, &len) || len != 32)
        return 0;
    hex_of_sha256(digest, out);
    return 1;
}

int rdss__sha256_hex(const void *data, size_t len, char out[RDSS__SHA256_HEX_LEN + 1])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (!EVP_Digest(data, len, digest, &digest_len, EVP_sha256(), NULL) || digest_len != 32)
        return 0;
    hex_of_sha256(digest, out);
    return 1;
}

int rdss__asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    *out = (int64_t)timegm(&tm);
    return 1;
}

int rdss__asn1_time_iso(const ASN1_TIME *t, char out[RDSS__ISO_TIME_LEN + 1])
{
    struct tm tm;
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    return strftime(out, RDSS__ISO_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) == RDSS__ISO_TIME_LEN;
}

int rdss__cert_key_type(X509 *cert, char *out, size_t out_size)
{
    EVP_PKEY *key = X509_get0_pubkey(cert);
    if (key == NULL)
        return 0;
    const char *family;
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: family = "RSA"; break;
    case EVP_PKEY_EC: family = "ECC"; break;
    case EVP_PKEY_ED25519: family = "ED"; break;
    default: family = "KEY"; break;
    }
    snprintf(out, out_size, "%s%d", family, EVP_PKEY_get_bits(key));
    return 1;
}

/* A region word: two letters, one or more lower-case parts, then a number,
 * all joined by dashes: "us-east-1", "ap-southeast-4", "us-gov-west-1". */
static int is_region_word(const char *w)
{
    if (!islower((unsigned char)w[0]) || !islower((unsigned char)w[1]))
        return 0;
    w += 2;
    int letter_parts = 0;
    while (w[0] == '-' && islower((unsigned char)w[1])) {
        w++;
        while (islower((unsigned char)*w))
            w++;
        letter_parts++;
    }
    if (letter_parts == 0 || w[0] != '-' || !isdigit((unsigned char)w[1]))
        return 0;
    w++;
    while (isdigit((unsigned char)*w))
        w++;
    return *w == '\0';
}

int rdss__find_region(const char *text, char out[RDSS__REGION_MAX])
{
    if (text == NULL)
        return 0;
    const char *p = text;
    while (*p != '\0') {
        while (*p != '\0' && (*p == ' ' || *p == '.'))
            p++;
        const char *word = p;
        while (*p != '\0' && *p != ' ' && *p != '.')
            p++;
        size_t len = (size_t)(p - word);
        char candidate[RDSS__REGION_MAX];
        if (len > 0 && len < RDSS__REGION_MAX) {
            memcpy(candidate, word, len);
            candidate[len] = '\0';
            if (is_region_word(candidate)) {
                memcpy(out, candidate, len + 1);
                return 1;
            }
        }
    }
    return 0;
}

int rdss__cert_is_ca(X509 *cert)
{
    /* X509_check_ca also accepts old v1 roots and keyCertSign-only certs;
     * require what a CA should say: basicConstraints CA:TRUE. */
    return (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;
}

int rdss__cert_expired_at(X509 *cert, time_t now)
{
    return X509_cmp_time(X509_get0_notAfter(cert), &now) <= 0 ||
           X509_cmp_time(X509_get0_notBefore(cert), &now) > 0;
}

const char *rdss__anchor_problem(X509 *cert, time_t now)
{
    if (cert == NULL)
        return "malformed PEM block";
    if (!rdss__cert_is_ca(cert))
        return "not a CA certificate";
    if (X509_cmp_time(X509_get0_notAfter(cert), &now) <= 0)
        return "expired";
    if (X509_cmp_time(X509_get0_notBefore(cert), &now) > 0)
        return "not yet valid";
    if (X509_check_issued(cert, cert) != X509_V_OK)
        return "not self-signed";
    EVP_PKEY *key = X509_get0_pubkey(cert);
    if (key == NULL || X509_verify(cert, key) != 1)
        return "bad self-signature";
    return NULL;
}

void rdss__error_set_cert_of(rdss_error *e, X509 *cert)
{
    char *subject = rdss__cert_subject(cert);
    char *issuer = rdss__cert_issuer(cert);
    char not_after[RDSS__ISO_TIME_LEN + 1] = "";
    rdss__asn1_time_iso(X509_get0_notAfter(cert), not_after);
    rdss__error_set_cert(e, subject, issuer, not_after[0] ? not_after : NULL);
    free(subject);
    free(issuer);
}

int rdss__chain_earliest_not_after(STACK_OF(X509) *chain, char iso[RDSS__ISO_TIME_LEN + 1],
                                   int64_t *unix_time)
{
    const ASN1_TIME *earliest = NULL;
    int64_t earliest_unix = 0;
    for (int i = 0; i < sk_X509_num(chain); i++) {
        const ASN1_TIME *t = X509_get0_notAfter(sk_X509_value(chain, i));
        int64_t when = 0;
        if (rdss__asn1_time_unix(t, &when) && (earliest == NULL || when < earliest_unix)) {
            earliest = t;
            earliest_unix = when;
        }
    }
    if (earliest == NULL || !rdss__asn1_time_iso(earliest, iso))
        return 0;
    if (unix_time != NULL)
        *unix_time = earliest_unix;
    return 1;
}

const char *rdss__rds_ca_family(X509 *anchor)
{
    static const char *const amazon_roots[] = {
        "Amazon Root CA 1", "Amazon Root CA 2", "Amazon Root CA 3", "Amazon Root CA 4",
        "Starfield Services Root Certificate Authority - G2"};
    char *cn = anchor ? rdss__cert_subject_cn(anchor) : NULL;
    const char *family = "not-rds";
    if (cn != NULL && strncmp(cn, "Amazon RDS ", 11) == 0 && strstr(cn, " Root CA ") != NULL) {
        if (strstr(cn, " Root CA RSA2048 G1") != NULL)
            family = "rds-ca-rsa2048-g1";
        else if (strstr(cn, " Root CA RSA4096 G1") != NULL)
            family = "rds-ca-rsa4096-g1";
        else if (strstr(cn, " Root CA ECC384 G1") != NULL)
            family = "rds-ca-ecc384-g1";
    }
    for (size_t i = 0; cn != NULL && i < sizeof(amazon_roots) / sizeof(amazon_roots[0]); i++)
        if (strcmp(cn, amazon_roots[i]) == 0)
            family = "rds-proxy-amazon-root";
    free(cn);
    return family;
}

int rdss__san_text(const GENERAL_NAME *san, int with_kind, char *out, size_t size)
{
    if (san->type == GEN_DNS) {
        snprintf(out, size, "%s%.*s", with_kind ? "DNS:" : "", ASN1_STRING_length(san->d.dNSName),
                 (const char *)ASN1_STRING_get0_data(san->d.dNSName));
        return 1;
    }
    int len = san->type == GEN_IPADD ? ASN1_STRING_length(san->d.iPAddress) : 0;
    char address[INET6_ADDRSTRLEN];
    if ((len != 4 && len != 16) ||
        inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(san->d.iPAddress), address,
                  sizeof(address)) == NULL)
        return 0;
    snprintf(out, size, "%s%s", with_kind ? "IP:" : "", address);
    return 1;
}

int rdss__production_root_region(const char *name, char out[RDSS__REGION_MAX])
{
    static const char prefix[] = "Amazon RDS ";
    const char *rest = name ? strstr(name, prefix) : NULL;
    if (rest == NULL || !rdss__find_region(rest, out))
        return 0;
    rest += sizeof(prefix) - 1;
    return strncmp(rest, out, strlen(out)) == 0;
}
