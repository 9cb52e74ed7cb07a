/* Facts about one X.509 certificate, as text, for messages, the bundle
 * tools and (later) the probe report. */
#ifndef RDSS__LIB_CERTINFO_H
#define RDSS__LIB_CERTINFO_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rdssecure/rdssecure.h"

#define RDSS__SHA256_HEX_LEN 64
#define RDSS__ISO_TIME_LEN 20 /* "2061-05-25T23:34:57Z" */
#define RDSS__REGION_MAX 32

/* Each returns a malloc'd string the caller frees, or NULL (none / no memory). */
char *rdss__cert_subject_cn(X509 *cert);
char *rdss__cert_subject(X509 *cert); /* RFC 2253 */
char *rdss__cert_issuer(X509 *cert);  /* RFC 2253 */

/* Lower-case hex SHA-256 of the DER encoding into out[65]; 0 on failure. */
int rdss__cert_sha256_hex(X509 *cert, char out[RDSS__SHA256_HEX_LEN + 1]);
/* Lower-case hex SHA-256 of `len` bytes into out[65]; 0 on failure. */
int rdss__sha256_hex(const void *data, size_t len, char out[RDSS__SHA256_HEX_LEN + 1]);

/* ISO 8601 UTC text into out[21] and seconds since the epoch; 0 on failure. */
int rdss__asn1_time_iso(const ASN1_TIME *t, char out[RDSS__ISO_TIME_LEN + 1]);
int rdss__asn1_time_unix(const ASN1_TIME *t, int64_t *out);

/* "RSA2048", "ECC384", ... into out; 0 when the key cannot be read. */
int rdss__cert_key_type(X509 *cert, char *out, size_t out_size);

/* Copies into out the first word of `text` shaped like an AWS region
 * ("us-east-1", "us-gov-west-1", "cn-north-1"); 0 when there is none. */
int rdss__find_region(const char *text, char out[RDSS__REGION_MAX]);

/* The region of a production RDS root's name ("Amazon RDS us-east-1 Root
 * CA RSA2048 G1" -> "us-east-1"); 0 for other names, and for the roots of
 * RDS's Beta and Preview stages ("Amazon RDS Beta us-east-1 ..."), which
 * production endpoints do not chain to. */
int rdss__production_root_region(const char *name, char out[RDSS__REGION_MAX]);

/* Why `cert` is not a good trust anchor at time `now`: NULL when it is,
 * otherwise a static reason ("expired", "not a CA certificate", ...). */
const char *rdss__anchor_problem(X509 *cert, time_t now);

/* A DNS or IP subject alternative name as text ("db.example.com",
 * "127.0.0.1"), with its kind first when `with_kind` ("DNS:...", "IP:...");
 * 0 for other kinds or an unreadable address. */
int rdss__san_text(const GENERAL_NAME *san, int with_kind, char *out, size_t size);

/* Attaches cert's subject, issuer and not_after to an error object. */
void rdss__error_set_cert_of(rdss_error *e, X509 *cert);

/* The earliest not_after among `chain` (ISO text and seconds); 0 when the
 * chain is empty or unreadable. */
int rdss__chain_earliest_not_after(STACK_OF(X509) *chain, char iso[RDSS__ISO_TIME_LEN + 1],
                                   int64_t *unix_time);

/* The RDS CA family a trust anchor belongs to, from its name:
 * "rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1" (Amazon RDS
 * <region> Root CA <type> G1), "rds-proxy-amazon-root" (Amazon Root CA 1-4,
 * Starfield Services G2: what RDS Proxy endpoints chain to), else "not-rds". */
const char *rdss__rds_ca_family(X509 *anchor);

/* Whether `cert` may sign other certificates (basicConstraints CA:TRUE). */
int rdss__cert_is_ca(X509 *cert);

/* Whether `now` lies outside the validity period of `cert`. */
int rdss__cert_expired_at(X509 *cert, time_t now);

#endif
