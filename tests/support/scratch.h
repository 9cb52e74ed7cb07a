/* The scratch servers (fixtures postgres_scratch and mariadb_scratch): run
 * SQL as their superuser over the Unix socket, and make them present a
 * given certificate (with the rest of its chain) to new connections. */
#ifndef RDSS_TEST_SCRATCH_H
#define RDSS_TEST_SCRATCH_H

#include "certgen.h"

void scratch_pg_admin(const char *sql);
/* Installs the certificate, reloads, and waits until the server presents it. */
void scratch_pg_serve(const tc_cert *leaf, const tc_cert *chain_rest);

/* certs[0] the leaf, then its intermediates (n in all). */
void scratch_pg_serve_chain(const tc_cert *certs, int n);

void scratch_mysql_admin(const char *sql);
/* The one number `sql` selects (a count, say). */
long scratch_mysql_number(const char *sql);
void scratch_mysql_serve_chain(const tc_cert *certs, int n);
/* Installs the certificate and runs FLUSH SSL. */
void scratch_mysql_serve(const tc_cert *leaf, const tc_cert *chain_rest);

/* The fixture's own certificate (testenv's server.pem under sub.pem) back
 * on the server, and the server's settings as the fixture left them: for
 * teardowns, which run whether the test passed or not. As cmocka
 * teardowns they return 0. */
int scratch_pg_restore(void **state);
int scratch_mysql_restore(void **state);
int scratch_both_restore(void **state);

#endif
