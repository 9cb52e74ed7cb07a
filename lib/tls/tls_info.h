/* TLS facts of an established connection, read from the driver's SSL. */
#ifndef RDSS__LIB_TLS_INFO_H
#define RDSS__LIB_TLS_INFO_H

#include <openssl/ssl.h>

#include "rdssecure/rdssecure.h"

rdss_code rdss__tls_info_from_ssl(const SSL *ssl, rdss_tls_info **out, rdss_error **err);

#endif
