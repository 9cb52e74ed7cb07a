/* What the engine adapters read from a config. */
#ifndef RDSS__LIB_CONFIG_H
#define RDSS__LIB_CONFIG_H

#include "rdssecure/rdssecure.h"
#include "trust/trust.h"

/* The trust to give the driver for a connect with `cfg` (NULL: defaults).
 * On success *out holds a reference the caller releases with
 * rdss__trust_unref(). */
rdss_code rdss__config_trust(const rdss_config *cfg, rdss__trust **out, rdss_error **err);

/* The expiry-warning callback and its user pointer (NULL when none). */
rdss_log_fn rdss__config_log(const rdss_config *cfg, void **user);

#endif
