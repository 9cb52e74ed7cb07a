/* Bundle inspection: every certificate block of a PEM source with its
 * details and its own verdict (what `rdssecure bundle list|verify` shows). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trust/bundle_file.h"
#include "trust/certinfo.h"
#include "trust/edition.h"
#include "trust/embedded.h"
#include "core/error.h"
#include "trust/pem.h"

typedef struct bundle_entry {
    size_t line;
    const char *problem; /* static; NULL when good */
    char *subject_cn;
    char *subject;
    char *issuer;
    int64_t not_after_unix;
    char sha256[RDSS__SHA256_HEX_LEN + 1];
    char not_before[RDSS__ISO_TIME_LEN + 1];
    char not_after[RDSS__ISO_TIME_LEN + 1];
    char region[RDSS__REGION_MAX];
    char stage[16]; /* "Beta", "Preview"; empty for production roots */
    char key_type[16];
    int parsed;
    int has_region;
} bundle_entry;

struct rdss_bundle {
    char *source;
    const char *edition; /* static; NULL when not a known edition */
    char sha256[RDSS__SHA256_HEX_LEN + 1];
    bundle_entry *entries;
    size_t count;
};

/* "Amazon RDS Beta us-east-1 Root CA RSA2048 G1": the words between the
 * prefix and the region name the stage. */
static void find_stage(bundle_entry *entry)
{
    static const char prefix[] = "Amazon RDS ";
    const char *cn = entry->subject_cn;
    if (!entry->has_region || cn == NULL || strncmp(cn, prefix, sizeof(prefix) - 1) != 0)
        return;
    const char *start = cn + sizeof(prefix) - 1;
    const char *region = strstr(start, entry->region);
    size_t len = region != NULL ? (size_t)(region - start) : 0;
    if (len > 1 && len < sizeof(entry->stage) && start[len - 1] == ' ') {
        memcpy(entry->stage, start, len - 1);
        entry->stage[len - 1] = '\0';
    }
}

static void describe(bundle_entry *entry, X509 *cert, size_t line, time_t now)
{
    entry->line = line;
    entry->problem = rdss__anchor_problem(cert, now);
    if (cert == NULL)
        return;
    entry->parsed = 1;
    entry->subject_cn = rdss__cert_subject_cn(cert);
    entry->subject = rdss__cert_subject(cert);
    entry->issuer = rdss__cert_issuer(cert);
    rdss__cert_sha256_hex(cert, entry->sha256);
    rdss__asn1_time_iso(X509_get0_notBefore(cert), entry->not_before);
    rdss__asn1_time_iso(X509_get0_notAfter(cert), entry->not_after);
    rdss__asn1_time_unix(X509_get0_notAfter(cert), &entry->not_after_unix);
    rdss__cert_key_type(cert, entry->key_type, sizeof(entry->key_type));
    entry->has_region = rdss__find_region(entry->subject_cn, entry->region);
    find_stage(entry);
}

static rdss_code open_pem(const char *pem, size_t len, const char *source, rdss_bundle **out,
                          rdss_error **err)
{
    rdss__pem_blocks blocks;
    rdss_code code = rdss__pem_split(pem, len, source, &blocks, err);
    if (code != RDSS_OK)
        return code;
    rdss_bundle *bundle = calloc(1, sizeof(*bundle));
    if (bundle != NULL) {
        bundle->source = strdup(source);
        bundle->entries = calloc(blocks.count, sizeof(*bundle->entries));
    }
    if (bundle == NULL || bundle->source == NULL || bundle->entries == NULL) {
        rdss_bundle_free(bundle);
        rdss__pem_blocks_free(&blocks);
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory opening CA bundle %s", source);
    }
    time_t now = time(NULL);
    if (rdss__sha256_hex(pem, len, bundle->sha256))
        bundle->edition = rdss__edition_of_sha256(bundle->sha256);
    bundle->count = blocks.count;
    for (size_t i = 0; i < blocks.count; i++)
        describe(&bundle->entries[i], blocks.items[i].cert, blocks.items[i].line, now);
    rdss__pem_blocks_free(&blocks);
    *out = bundle;
    return rdss__succeed(err);
}

rdss_code rdss_bundle_open_embedded(int which, rdss_bundle **out, rdss_error **err)
{
    if (out == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "rdss_bundle_open_embedded: out is NULL");
    *out = NULL;
    switch (which) {
    case RDSS_EMBEDDED_RDS_ROOTS: {
        rdss_code code = open_pem(rdss__embedded_rds_roots_pem, rdss__embedded_rds_roots_pem_len,
                                  "embedded", out, err);
        /* the pinned edition, even when certs/update had to drop expired roots */
        if (code == RDSS_OK)
            (*out)->edition = rdss__embedded_edition_date;
        return code;
    }
    case RDSS_EMBEDDED_PROXY_ROOTS:
        return open_pem(rdss__embedded_proxy_roots_pem, rdss__embedded_proxy_roots_pem_len,
                        "embedded-proxy", out, err);
    default:
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                          "rdss_bundle_open_embedded: no embedded set %d", which);
    }
}

rdss_code rdss_bundle_open_file(const char *path, rdss_bundle **out, rdss_error **err)
{
    if (out == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "rdss_bundle_open_file: out is NULL");
    *out = NULL;
    char *data = NULL;
    size_t len = 0;
    char *label = NULL;
    rdss_code code = rdss__read_bundle_file(path, &data, &len, &label, err);
    if (code == RDSS_OK)
        code = open_pem(data, len, label, out, err);
    free(data);
    free(label);
    return code;
}

rdss_code rdss_bundle_open_pem(const char *pem, size_t len, rdss_bundle **out, rdss_error **err)
{
    if (out == NULL || pem == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "rdss_bundle_open_pem: %s is NULL",
                          out == NULL ? "out" : "pem");
    *out = NULL;
    if (len == 0)
        return rdss__fail(err, RDSS_ERR_BUNDLE, "CA bundle in memory is empty");
    return open_pem(pem, len, "memory", out, err);
}

void rdss_bundle_free(rdss_bundle *bundle)
{
    if (bundle == NULL)
        return;
    for (size_t i = 0; bundle->entries != NULL && i < bundle->count; i++) {
        free(bundle->entries[i].subject_cn);
        free(bundle->entries[i].subject);
        free(bundle->entries[i].issuer);
    }
    free(bundle->entries);
    free(bundle->source);
    free(bundle);
}

const char *rdss_bundle_source(const rdss_bundle *bundle)
{
    return bundle == NULL ? NULL : bundle->source;
}

const char *rdss_bundle_sha256(const rdss_bundle *bundle)
{
    return bundle == NULL || bundle->sha256[0] == '\0' ? NULL : bundle->sha256;
}

const char *rdss_bundle_edition(const rdss_bundle *bundle)
{
    return bundle == NULL ? NULL : bundle->edition;
}

size_t rdss_bundle_count(const rdss_bundle *bundle)
{
    return bundle == NULL ? 0 : bundle->count;
}

static const bundle_entry *entry_at(const rdss_bundle *bundle, size_t index)
{
    if (bundle == NULL || index >= bundle->count)
        return NULL;
    return &bundle->entries[index];
}

/* The parsed entry at index, or NULL: the guard every string accessor needs. */
static const bundle_entry *parsed_at(const rdss_bundle *bundle, size_t index)
{
    const bundle_entry *entry = entry_at(bundle, index);
    return entry != NULL && entry->parsed ? entry : NULL;
}

#define RDSS__ENTRY_STRING(function, expression)                                  \
    const char *function(const rdss_bundle *bundle, size_t index)                \
    {                                                                            \
        const bundle_entry *entry = parsed_at(bundle, index);                    \
        return entry == NULL ? NULL : (expression);                              \
    }

RDSS__ENTRY_STRING(rdss_bundle_entry_subject_cn, entry->subject_cn)
RDSS__ENTRY_STRING(rdss_bundle_entry_subject, entry->subject)
RDSS__ENTRY_STRING(rdss_bundle_entry_issuer, entry->issuer)
RDSS__ENTRY_STRING(rdss_bundle_entry_sha256, entry->sha256[0] ? entry->sha256 : NULL)
RDSS__ENTRY_STRING(rdss_bundle_entry_not_before, entry->not_before[0] ? entry->not_before : NULL)
RDSS__ENTRY_STRING(rdss_bundle_entry_not_after, entry->not_after[0] ? entry->not_after : NULL)
RDSS__ENTRY_STRING(rdss_bundle_entry_region, entry->has_region ? entry->region : NULL)
RDSS__ENTRY_STRING(rdss_bundle_entry_stage, entry->stage[0] ? entry->stage : NULL)
RDSS__ENTRY_STRING(rdss_bundle_entry_key_type, entry->key_type[0] ? entry->key_type : NULL)

int64_t rdss_bundle_entry_not_after_unix(const rdss_bundle *bundle, size_t index)
{
    const bundle_entry *entry = parsed_at(bundle, index);
    return entry == NULL ? 0 : entry->not_after_unix;
}

size_t rdss_bundle_entry_line(const rdss_bundle *bundle, size_t index)
{
    const bundle_entry *entry = entry_at(bundle, index);
    return entry == NULL ? 0 : entry->line;
}

const char *rdss_bundle_entry_problem(const rdss_bundle *bundle, size_t index)
{
    const bundle_entry *entry = entry_at(bundle, index);
    return entry == NULL ? "no such entry" : entry->problem;
}
