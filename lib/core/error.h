/* Building error objects inside the library. */
#ifndef RDSS__LIB_ERROR_H
#define RDSS__LIB_ERROR_H

#include "rdssecure/rdssecure.h"

#define RDSS__PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))

/* A new error object with a formatted message. Never NULL: when memory runs
 * out it returns a shared static "internal" error that rdss_error_free()
 * leaves alone, and the setters below ignore. */
rdss_error *rdss__error_new(rdss_code code, const char *fmt, ...) RDSS__PRINTF(2, 3);

/* Report `code` to the caller: when err is not NULL, *err gets a new error
 * object with the formatted message. Returns code, for `return rdss__fail(..)`. */
rdss_code rdss__fail(rdss_error **err, rdss_code code, const char *fmt, ...) RDSS__PRINTF(3, 4);

/* Hand a built error to the caller (or free it when err is NULL); returns its code. */
rdss_code rdss__hand_over(rdss_error **err, rdss_error *e);

/* Clears *err (when err is not NULL) and returns RDSS_OK. */
rdss_code rdss__succeed(rdss_error **err);

/* Optional detail. Each copies its strings; NULL leaves the field unset.
 * The driver's message is kept as one line (newlines become spaces). */
void rdss__error_set_driver_message(rdss_error *e, const char *message);
void rdss__error_set_cert(rdss_error *e, const char *subject, const char *issuer,
                          const char *not_after);

/* The earliest not_after of the chain the server presented (ISO 8601). */
void rdss__error_set_chain_not_after(rdss_error *e, const char *not_after);

/* Add context before the message, or advice after it. */
void rdss__error_prefix_message(rdss_error *e, const char *fmt, ...) RDSS__PRINTF(2, 3);
void rdss__error_append_message(rdss_error *e, const char *fmt, ...) RDSS__PRINTF(2, 3);

#endif
