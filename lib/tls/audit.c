#define _GNU_SOURCE /* vasprintf */
#include "tls/audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

struct rdss_audit {
    rdss__enforced enforced;
    char *evidence;
    char *reason;
    char *tls_version;
    char *cipher;
};

rdss_audit *rdss__audit_new(rdss__enforced enforced, const char *reason, const char *fmt, ...)
{
    rdss_audit *audit = calloc(1, sizeof(*audit));
    if (audit == NULL)
        return NULL;
    audit->enforced = enforced;
    va_list ap;
    va_start(ap, fmt);
    int failed = vasprintf(&audit->evidence, fmt, ap) < 0;
    va_end(ap);
    if (failed)
        audit->evidence = NULL;
    audit->reason = reason ? strdup(reason) : NULL;
    if (audit->evidence == NULL || (reason != NULL && audit->reason == NULL)) {
        rdss_audit_free(audit);
        return NULL;
    }
    return audit;
}

void rdss__audit_set_session(rdss_audit *audit, const char *tls_version, const char *cipher)
{
    if (audit == NULL)
        return;
    free(audit->tls_version);
    free(audit->cipher);
    audit->tls_version = tls_version && tls_version[0] ? strdup(tls_version) : NULL;
    audit->cipher = cipher && cipher[0] ? strdup(cipher) : NULL;
}

rdss_code rdss__audit_hand_over(rdss_audit *audit, rdss_audit **out, rdss_error **err)
{
    if (audit == NULL)
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    *out = audit;
    return rdss__succeed(err);
}

const char *rdss_audit_enforced(const rdss_audit *audit)
{
    if (audit == NULL)
        return NULL;
    switch (audit->enforced) {
    case RDSS__ENFORCED_YES: return "yes";
    case RDSS__ENFORCED_NO: return "no";
    case RDSS__ENFORCED_UNKNOWN: return "unknown";
    }
    return "unknown";
}

const char *rdss_audit_evidence(const rdss_audit *audit)
{
    return audit ? audit->evidence : NULL;
}

const char *rdss_audit_reason(const rdss_audit *audit)
{
    return audit ? audit->reason : NULL;
}

const char *rdss_audit_server_tls_version(const rdss_audit *audit)
{
    return audit ? audit->tls_version : NULL;
}

const char *rdss_audit_server_cipher(const rdss_audit *audit)
{
    return audit ? audit->cipher : NULL;
}

void rdss_audit_free(rdss_audit *audit)
{
    if (audit == NULL)
        return;
    free(audit->evidence);
    free(audit->reason);
    free(audit->tls_version);
    free(audit->cipher);
    free(audit);
}
