/* What an RDS endpoint name says about itself: its region, whether it is an
 * RDS Proxy. Used to explain verification failures. */
#ifndef RDSS__LIB_ENDPOINT_H
#define RDSS__LIB_ENDPOINT_H

#include "trust/certinfo.h"

/* Whether `name` is under rds.amazonaws.com or rds.amazonaws.com.cn. */
int rdss__is_rds_name(const char *name);

/* The region an RDS endpoint name carries ("db.abc.us-east-1.rds.amazonaws.com"
 * -> "us-east-1", "x.rds.cn-north-1.amazonaws.com.cn" -> "cn-north-1");
 * 0 when `name` is not an RDS name or names no region. */
int rdss__endpoint_region(const char *name, char out[RDSS__REGION_MAX]);

/* Whether an RDS name is an RDS Proxy endpoint (".proxy-" in it). */
int rdss__endpoint_is_proxy(const char *name);

/* An AWS partition whose RDS certificates chain to a bundle of its own,
 * which the global bundle does not include: AWS GovCloud (US), China. */
typedef struct rdss__partition {
    const char *region_prefix; /* "us-gov-", "cn-" */
    const char *name;          /* "AWS GovCloud (US)" */
    const char *bundle_url;    /* where AWS publishes that partition's bundle */
} rdss__partition;

/* The partition `region` belongs to, or NULL for the commercial regions the
 * global bundle serves. */
const rdss__partition *rdss__region_partition(const char *region);

#endif
