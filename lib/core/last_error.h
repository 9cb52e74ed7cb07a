/* The per-thread error of the drop-in connect forms. */
#ifndef RDSS__LIB_LAST_ERROR_H
#define RDSS__LIB_LAST_ERROR_H

#include "rdssecure/rdssecure.h"

/* Takes ownership of e (NULL: success), freeing the thread's previous one. */
void rdss__set_last_error(rdss_error *e);

#endif
