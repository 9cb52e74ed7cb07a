/* The enforcement audit's report, filled by each engine's audit. */
#ifndef RDSS__LIB_AUDIT_H
#define RDSS__LIB_AUDIT_H

#include "rdssecure/rdssecure.h"

typedef enum rdss__enforced { RDSS__ENFORCED_YES, RDSS__ENFORCED_NO, RDSS__ENFORCED_UNKNOWN } rdss__enforced;

/* A report with its verdict and formatted evidence; NULL when out of memory. */
rdss_audit *rdss__audit_new(rdss__enforced enforced, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The session's TLS as the server reports it (copied; NULL leaves it unset). */
void rdss__audit_set_session(rdss_audit *audit, const char *tls_version, const char *cipher);

/* Hands a built report over (RDSS_ERR_INTERNAL when it is NULL). */
rdss_code rdss__audit_hand_over(rdss_audit *audit, rdss_audit **out, rdss_error **err);

#endif
