#include "certgen.h"

#include <fcntl.h>
#include <pwd.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static void die(const char *what)
{
    fprintf(stderr, "certgen: %s failed\n", what);
    abort();
}

/* The text a memory BIO holds, malloc'd and NUL-terminated; frees the BIO. */
static char *bio_text(BIO *bio)
{
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    char *text = malloc((size_t)len + 1);
    memcpy(text, data, (size_t)len);
    text[len] = '\0';
    BIO_free(bio);
    return text;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL || !X509_add_ext(cert, ext, -1))
        die("X509_add_ext");
    X509_EXTENSION_free(ext);
}

/* The NID an "extendedKeyUsage=clientAuth" string names; dies when unknown. */
static int extra_nid(const char *extra, char *name, size_t size)
{
    const char *eq = strchr(extra, '=');
    if (eq == NULL || (size_t)(eq - extra) >= size)
        die("an extension string without '='");
    memcpy(name, extra, (size_t)(eq - extra));
    name[eq - extra] = '\0';
    int nid = OBJ_txt2nid(name);
    if (nid == NID_undef)
        die("an unknown extension name");
    return nid;
}

/* Whether `extra` (NULL-terminated) sets the extension `nid` itself. */
static int extra_sets(const char *const *extra, int nid)
{
    char name[64];
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
        if (extra_nid(extra[i], name, sizeof(name)) == nid)
            return 1;
    return 0;
}

/* make() with extension strings added (replacing the default basic
 * constraints and key usage when they name those) and, when `raw_sans` is
 * not NULL, that subjectAltName in place of `sans`. */
static tc_cert make_ext(const char *cn, int is_ca, const char *sans, GENERAL_NAMES *raw_sans,
                        const char *const *extra, long from_days, long to_days, const tc_cert *issuer);

static tc_cert make(const char *cn, int is_ca, const char *sans, long from_days, long to_days,
                    const tc_cert *issuer)
{
    return make_ext(cn, is_ca, sans, NULL, NULL, from_days, to_days, issuer);
}

static tc_cert make_ext(const char *cn, int is_ca, const char *sans, GENERAL_NAMES *raw_sans,
                        const char *const *extra, long from_days, long to_days, const tc_cert *issuer)
{
    static long serial = 1000;
    tc_cert out;
    out.key = EVP_EC_gen("P-256");
    out.cert = X509_new();
    if (out.key == NULL || out.cert == NULL)
        die("key or certificate allocation");
    X509_set_version(out.cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(out.cert), serial++);
    X509_time_adj_ex(X509_getm_notBefore(out.cert), (int)from_days, 0, NULL);
    X509_time_adj_ex(X509_getm_notAfter(out.cert), (int)to_days, 0, NULL);
    X509_NAME *name = X509_get_subject_name(out.cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"rdssecure tests", -1, -1, 0);
    if (cn != NULL) /* NULL: no common name at all */
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509 *issuer_cert = issuer ? issuer->cert : out.cert;
    EVP_PKEY *issuer_key = issuer ? issuer->key : out.key;
    X509_set_issuer_name(out.cert, X509_get_subject_name(issuer_cert));
    X509_set_pubkey(out.cert, out.key);
    if (!extra_sets(extra, NID_basic_constraints))
        add_ext(out.cert, issuer_cert, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    if (!extra_sets(extra, NID_key_usage))
        add_ext(out.cert, issuer_cert, NID_key_usage,
                is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    add_ext(out.cert, issuer_cert, NID_subject_key_identifier, "hash");
    /* names the issuer's key: OpenSSL then finds the right issuer even
     * among several CAs of the same name */
    if (issuer != NULL)
        add_ext(out.cert, issuer_cert, NID_authority_key_identifier, "keyid:always");
    if (raw_sans != NULL) {
        if (X509_add1_ext_i2d(out.cert, NID_subject_alt_name, raw_sans, 0, X509V3_ADD_APPEND) != 1)
            die("X509_add1_ext_i2d(subjectAltName)");
    } else if (sans != NULL) {
        add_ext(out.cert, issuer_cert, NID_subject_alt_name, sans);
    }
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
        char ext_name[64];
        int nid = extra_nid(extra[i], ext_name, sizeof(ext_name));
        add_ext(out.cert, issuer_cert, nid, strchr(extra[i], '=') + 1);
    }
    if (!X509_sign(out.cert, issuer_key, EVP_sha256()))
        die("X509_sign");
    return out;
}

tc_cert tc_make(const char *cn, int is_ca, long from_days, long to_days, const tc_cert *issuer)
{
    return make(cn, is_ca, NULL, from_days, to_days, issuer);
}

tc_cert tc_make_server(const char *cn, const char *sans, long from_days, long to_days,
                       const tc_cert *issuer)
{
    return make(cn, 0, sans, from_days, to_days, issuer);
}

tc_cert tc_make_with(const char *cn, int is_ca, const char *sans, const char *const *extra,
                     long from_days, long to_days, const tc_cert *issuer)
{
    return make_ext(cn, is_ca, sans, NULL, extra, from_days, to_days, issuer);
}

tc_cert tc_make_server_raw_dns(const char *cn, const char *const *names, const size_t *lens, int n,
                               long from_days, long to_days, const tc_cert *issuer)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    if (gens == NULL)
        die("sk_GENERAL_NAME_new_null");
    for (int i = 0; i < n; i++) {
        GENERAL_NAME *gen = GENERAL_NAME_new();
        ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
        /* the explicit length keeps every byte, NULs included */
        if (gen == NULL || ia5 == NULL || !ASN1_STRING_set(ia5, names[i], (int)lens[i]))
            die("ASN1_STRING_set");
        GENERAL_NAME_set0_value(gen, GEN_DNS, ia5);
        if (!sk_GENERAL_NAME_push(gens, gen))
            die("sk_GENERAL_NAME_push");
    }
    tc_cert out = make_ext(cn, 0, NULL, gens, NULL, from_days, to_days, issuer);
    GENERAL_NAMES_free(gens);
    return out;
}

tc_cert tc_load(const char *cert_path, const char *key_path)
{
    tc_cert out;
    FILE *f = fopen(cert_path, "r");
    out.cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    f = fopen(key_path, "r");
    out.key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (out.cert == NULL || out.key == NULL)
        die("loading a certificate and key");
    return out;
}

char *tc_key_pem(const tc_cert *c)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!PEM_write_bio_PrivateKey(bio, c->key, NULL, NULL, 0, NULL, NULL))
        die("PEM_write_bio_PrivateKey");
    return bio_text(bio);
}

void tc_cert_free(tc_cert *c)
{
    X509_free(c->cert);
    EVP_PKEY_free(c->key);
    c->cert = NULL;
    c->key = NULL;
}

char *tc_pem(const tc_cert *certs, int n)
{
    BIO *bio = BIO_new(BIO_s_mem());
    for (int i = 0; i < n; i++)
        if (!PEM_write_bio_X509(bio, certs[i].cert))
            die("PEM_write_bio_X509");
    return bio_text(bio);
}

char *tc_tmpdir(void)
{
    char *dir = strdup("/tmp/rdss-test-XXXXXX");
    if (dir == NULL || mkdtemp(dir) == NULL)
        die("mkdtemp");
    return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tc_rmdir_all(char *dir)
{
    if (dir == NULL)
        return;
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

char *tc_write(const char *dir, const char *name, const char *data, size_t len, mode_t mode)
{
    size_t path_len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(path_len);
    snprintf(path, path_len, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) != 0 || close(fd) != 0)
        die("writing a test file");
    return path;
}

char *tc_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + used, 1, cap - used - 1, f)) > 0) {
        used += got;
        if (cap - used < 2)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[used] = '\0';
    if (len != NULL)
        *len = used;
    return buf;
}

void tc_install_server_chain(const char *dir, const char *owner, const tc_cert *certs, int n)
{
    char *chain = tc_pem(certs, n);
    char *key = tc_key_pem(&certs[0]);
    char *chain_path = tc_write(dir, "server-chain.pem", chain, strlen(chain), 0644);
    char *key_path = tc_write(dir, "server.key", key, strlen(key), 0600);
    struct passwd *user = getpwnam(owner);
    if (user == NULL ||
        (geteuid() == 0 && (chown(chain_path, user->pw_uid, (gid_t)-1) != 0 ||
                            chown(key_path, user->pw_uid, (gid_t)-1) != 0))) {
        fprintf(stderr, "cannot give the server certificate to %s\n", owner);
        abort();
    }
    free(chain_path);
    free(key_path);
    free(key);
    free(chain);
}

void tc_install_server_cert(const char *dir, const char *owner, const tc_cert *leaf,
                            const tc_cert *chain_rest)
{
    tc_cert both[2] = {*leaf, chain_rest ? *chain_rest : *leaf};
    tc_install_server_chain(dir, owner, both, chain_rest ? 2 : 1);
}

char *tc_crl_pem(const tc_cert *issuer)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *now = ASN1_TIME_adj(NULL, time(NULL), -1, 0);
    ASN1_TIME *next = ASN1_TIME_adj(NULL, time(NULL), 30, 0);
    if (crl == NULL || now == NULL || next == NULL || !X509_CRL_set_version(crl, 1) ||
        !X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer->cert)) ||
        !X509_CRL_set1_lastUpdate(crl, now) || !X509_CRL_set1_nextUpdate(crl, next))
        die("X509_CRL");
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer->cert, NULL, NULL, crl, 0);
    X509_EXTENSION *akid = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
    if (akid == NULL || !X509_CRL_add_ext(crl, akid, -1) || !X509_CRL_sign(crl, issuer->key, EVP_sha256()))
        die("X509_CRL");
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_X509_CRL(bio, crl))
        die("PEM_write_bio_X509_CRL");
    char *text = bio_text(bio);
    X509_EXTENSION_free(akid);
    ASN1_TIME_free(now);
    ASN1_TIME_free(next);
    X509_CRL_free(crl);
    return text;
}
