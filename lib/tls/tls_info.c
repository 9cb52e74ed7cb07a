#include "tls/tls_info.h"

#include <stdlib.h>
#include <string.h>

#include "trust/certinfo.h"
#include "core/error.h"

struct rdss_tls_info {
    char *version;
    char *cipher;
    char *peer_subject;
    char *peer_issuer;
    char peer_not_after[RDSS__ISO_TIME_LEN + 1];
    char chain_not_after[RDSS__ISO_TIME_LEN + 1];
};

rdss_code rdss__tls_info_from_ssl(const SSL *ssl, rdss_tls_info **out, rdss_error **err)
{
    *out = NULL;
    if (ssl == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "the connection is not using TLS");
    rdss_tls_info *info = calloc(1, sizeof(*info));
    if (info == NULL)
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    info->version = strdup(SSL_get_version(ssl));
    info->cipher = strdup(SSL_get_cipher_name(ssl));
    X509 *peer = SSL_get0_peer_certificate(ssl);
    if (peer != NULL) {
        info->peer_subject = rdss__cert_subject(peer);
        info->peer_issuer = rdss__cert_issuer(peer);
        rdss__asn1_time_iso(X509_get0_notAfter(peer), info->peer_not_after);
    }
    rdss__chain_earliest_not_after(SSL_get_peer_cert_chain(ssl), info->chain_not_after, NULL);
    *out = info;
    return rdss__succeed(err);
}

const char *rdss_tls_info_version(const rdss_tls_info *info)
{
    return info ? info->version : NULL;
}

const char *rdss_tls_info_cipher(const rdss_tls_info *info)
{
    return info ? info->cipher : NULL;
}

const char *rdss_tls_info_peer_subject(const rdss_tls_info *info)
{
    return info ? info->peer_subject : NULL;
}

const char *rdss_tls_info_peer_issuer(const rdss_tls_info *info)
{
    return info ? info->peer_issuer : NULL;
}

const char *rdss_tls_info_peer_not_after(const rdss_tls_info *info)
{
    return info && info->peer_not_after[0] ? info->peer_not_after : NULL;
}

const char *rdss_tls_info_chain_not_after(const rdss_tls_info *info)
{
    return info && info->chain_not_after[0] ? info->chain_not_after : NULL;
}

void rdss_tls_info_free(rdss_tls_info *info)
{
    if (info == NULL)
        return;
    free(info->version);
    free(info->cipher);
    free(info->peer_subject);
    free(info->peer_issuer);
    free(info);
}
