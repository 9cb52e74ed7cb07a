#include "scratch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <openssl/ssl.h>

#include "testenv.h"

#define SCRATCH(key) testenv("postgres_scratch.env", key)

/* The scratch server's superuser, over its Unix socket (local trust). */
void scratch_pg_admin(const char *sql)
{
    char info[512];
    snprintf(info, sizeof(info), "host=%s port=%s user=postgres dbname=postgres", SCRATCH("PG_SOCKET_DIR"),
             SCRATCH("PG_PORT"));
    PGconn *conn = PQconnectdb(info);
    if (PQstatus(conn) != CONNECTION_OK)
        fail_msg("admin connection: %s", PQerrorMessage(conn));
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
}

/* Whether the server presents `expected` now: a handshake of our own, with
 * no verification (only looking) and no credentials. */
static int presents(const tc_cert *expected)
{
    int same = 0;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = SSL_new(ctx);
    BIO *bio = BIO_new_connect("127.0.0.1");
    BIO_set_conn_port(bio, SCRATCH("PG_PORT"));
    if (BIO_do_connect(bio) == 1) {
        static const unsigned char request[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
        char answer = 0;
        if (BIO_write(bio, request, 8) == 8 && BIO_read(bio, &answer, 1) == 1 && answer == 'S') {
            SSL_set_bio(ssl, bio, bio);
            bio = NULL;
            if (SSL_connect(ssl) == 1) {
                X509 *peer = SSL_get1_peer_certificate(ssl);
                same = peer != NULL && X509_cmp(peer, expected->cert) == 0;
                X509_free(peer);
            }
        }
    }
    BIO_free_all(bio);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    return same;
}

/* Installs leaf (+ chain) as the scratch server's certificate and waits
 * until the server presents it. */
void scratch_pg_serve(const tc_cert *leaf, const tc_cert *chain_rest)
{
    tc_cert both[2] = {*leaf, chain_rest ? *chain_rest : *leaf};
    scratch_pg_serve_chain(both, chain_rest ? 2 : 1);
}

void scratch_pg_serve_chain(const tc_cert *certs, int n)
{
    tc_install_server_chain(SCRATCH("PG_BASE"), SCRATCH("PG_SERVER_USER"), certs, n);
    scratch_pg_admin("SELECT pg_reload_conf()");
    int shown = 0;
    for (int i = 0; i < 100 && !shown; i++) {
        shown = presents(&certs[0]);
        if (!shown)
            usleep(50000);
    }
    assert_true(shown);
}


int scratch_pg_restore(void **state)
{
    (void)state;
    scratch_pg_admin("ALTER SYSTEM RESET ALL");
    tc_cert leaf = tc_load(testenv_pki("server.pem"), testenv_pki("server.key"));
    tc_cert sub = tc_load(testenv_pki("sub.pem"), testenv_pki("sub.key"));
    scratch_pg_serve(&leaf, &sub); /* reloads, and waits for the certificate */
    tc_cert_free(&leaf);
    tc_cert_free(&sub);
    return 0;
}
