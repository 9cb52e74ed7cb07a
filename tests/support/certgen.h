/* Certificates made in memory for unit tests (no fixture, no files kept). */
#ifndef RDSS_TEST_CERTGEN_H
#define RDSS_TEST_CERTGEN_H

#include <sys/types.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

typedef struct tc_cert {
    X509 *cert;
    EVP_PKEY *key;
} tc_cert;

/* A certificate for `cn`, valid from now + from_days to now + to_days,
 * CA:TRUE when is_ca, signed by issuer (self-signed when issuer is NULL).
 * Aborts the test program on failure. Free with tc_cert_free(). */
tc_cert tc_make(const char *cn, int is_ca, long from_days, long to_days, const tc_cert *issuer);
/* A server certificate with subjectAltName `sans` ("DNS:a,IP:127.0.0.1"). */
tc_cert tc_make_server(const char *cn, const char *sans, long from_days, long to_days,
                       const tc_cert *issuer);
/* tc_make()/tc_make_server() with more extensions: `extra` is a
 * NULL-terminated list of OpenSSL config strings "name=value", e.g.
 * "extendedKeyUsage=clientAuth" or "basicConstraints=critical,CA:TRUE,pathlen:0".
 * A basicConstraints or keyUsage string replaces the default one that
 * is_ca would give; `sans` as for tc_make_server (NULL: none). */
tc_cert tc_make_with(const char *cn, int is_ca, const char *sans, const char *const *extra,
                     long from_days, long to_days, const tc_cert *issuer);
/* A server certificate whose subjectAltName is the n DNS names names[i] of
 * lens[i] bytes each, kept byte for byte (an embedded NUL included, which
 * the config-string form cannot carry). */
tc_cert tc_make_server_raw_dns(const char *cn, const char *const *names, const size_t *lens, int n,
                               long from_days, long to_days, const tc_cert *issuer);
/* Loads a certificate and its key from PEM files; aborts when it cannot. */
tc_cert tc_load(const char *cert_path, const char *key_path);
/* PEM of the private key; malloc'd. */
char *tc_key_pem(const tc_cert *c);
void tc_cert_free(tc_cert *c);

/* PEM of an empty CRL signed by issuer, valid for 30 days; malloc'd. */
char *tc_crl_pem(const tc_cert *issuer);

/* PEM text of certs[0..n-1]; malloc'd, NUL-terminated. */
char *tc_pem(const tc_cert *certs, int n);

/* A fresh private directory for the test's files; removed by tc_rmdir_all(). */
char *tc_tmpdir(void);
void tc_rmdir_all(char *dir);

/* Writes `data` to dir/name with `mode`; returns the malloc'd path. */
char *tc_write(const char *dir, const char *name, const char *data, size_t len, mode_t mode);

/* Writes leaf (followed by chain_rest, when given) as dir/server-chain.pem
 * and its key as dir/server.key, owned by user `owner` when we are root:
 * how the scratch-server tests change what a real server presents. Aborts
 * the test on failure. */
void tc_install_server_cert(const char *dir, const char *owner, const tc_cert *leaf,
                            const tc_cert *chain_rest);
/* The same for a whole chain: certs[0] the leaf (its key is installed),
 * then the intermediates, n in all. */
void tc_install_server_chain(const char *dir, const char *owner, const tc_cert *certs, int n);

/* The whole content of a file, malloc'd and NUL-terminated; NULL when unreadable. */
char *tc_read(const char *path, size_t *len);

#endif
