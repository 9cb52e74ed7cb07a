#define _GNU_SOURCE /* strcasestr */
#include "trust/endpoint.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int ends_with(const char *text, const char *suffix)
{
    size_t text_len = strlen(text), suffix_len = strlen(suffix);
    return text_len > suffix_len && strcasecmp(text + text_len - suffix_len, suffix) == 0;
}

int rdss__is_rds_name(const char *name)
{
    if (name == NULL)
        return 0;
    if (ends_with(name, ".rds.amazonaws.com") || ends_with(name, ".rds.amazonaws.com.cn"))
        return 1;
    /* China: <id>.rds.<region>.amazonaws.com.cn */
    return ends_with(name, ".amazonaws.com.cn") && strcasestr(name, ".rds.") != NULL;
}

/* The region is a fixed label: the one before .rds.amazonaws.com[.cn], or
 * in China the one after .rds. (a cluster named "my-db-1" must not count). */
int rdss__endpoint_region(const char *name, char out[RDSS__REGION_MAX])
{
    if (!rdss__is_rds_name(name))
        return 0;
    const char *start, *end;
    const char *suffix = strcasestr(name, ".rds.amazonaws.com");
    if (suffix != NULL) {
        end = suffix;
        start = end;
        while (start > name && start[-1] != '.')
            start--;
    } else {
        start = strcasestr(name, ".rds.") + 5;
        end = strchr(start, '.');
    }
    size_t len = end ? (size_t)(end - start) : 0;
    char label[RDSS__REGION_MAX];
    if (len == 0 || len >= sizeof(label))
        return 0;
    /* DNS names are case-insensitive; region names are lower case */
    for (size_t i = 0; i < len; i++)
        label[i] = (char)tolower((unsigned char)start[i]);
    label[len] = '\0';
    return rdss__find_region(label, out);
}

int rdss__endpoint_is_proxy(const char *name)
{
    return rdss__is_rds_name(name) && strcasestr(name, ".proxy-") != NULL;
}

static const rdss__partition partitions[] = {
    {"us-gov-", "AWS GovCloud (US)",
     "https://truststore.pki.us-gov-west-1.rds.amazonaws.com/global/global-bundle.pem"},
    {"cn-", "the AWS China Regions",
     "https://rds-truststore.s3.cn-north-1.amazonaws.com.cn/global/global-bundle.pem"},
};

const rdss__partition *rdss__region_partition(const char *region)
{
    for (size_t i = 0; region != NULL && i < sizeof(partitions) / sizeof(partitions[0]); i++)
        if (strncmp(region, partitions[i].region_prefix, strlen(partitions[i].region_prefix)) == 0)
            return &partitions[i];
    return NULL;
}
