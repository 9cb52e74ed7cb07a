/* Fake servers, for what a real one cannot be made to do: never answer,
 * refuse TLS and record what the client sends next, say yes to TLS and
 * then stall or drip, or send an error before TLS (which anyone on the path
 * could forge). Each runs in a thread of the test on 127.0.0.1. */
#ifndef RDSS_TEST_FAKE_SERVER_H
#define RDSS_TEST_FAKE_SERVER_H

#include <stddef.h>

typedef enum fake_mode {
    FAKE_BLACKHOLE,      /* listens, never accepts, never answers */
    FAKE_PG_REFUSE_TLS,  /* answers 'N' to SSLRequest, records everything after */
    FAKE_PG_TLS_STALL,   /* answers 'S', then says nothing */
    FAKE_MY_NO_TLS,      /* a MySQL handshake without CLIENT_SSL; records all after */
    FAKE_MY_TLS_STALL,   /* a MySQL handshake offering TLS, then says nothing */
    /* faults */
    FAKE_PG_YES_THEN_CLOSE, /* answers 'S', then closes */
    FAKE_PG_YES_THEN_RESET, /* answers 'S', resets the connection on the ClientHello */
    FAKE_PG_YES_THEN_ALERT, /* answers 'S', a fatal TLS alert for the ClientHello */
    FAKE_MY_TLS_RESET,      /* handshake offering TLS, reset on the ClientHello */
    FAKE_MY_TLS_ALERT,      /* handshake offering TLS, a fatal alert for the ClientHello */
    FAKE_MY_TRUNCATED,      /* the first 20 bytes of an 80-byte handshake, then closes */
    FAKE_MY_GARBAGE,        /* 64 bytes that are no handshake at all */
    /* untrusted bytes: slow TLS, errors before TLS */
    FAKE_PG_TLS_DRIP,     /* answers 'S'; on the ClientHello, a TLS record header announcing a
                           * 16384-byte handshake record, then one zero byte every 50 ms,
                           * until stopped or the client goes away */
    FAKE_MY_TLS_DRIP,     /* a handshake offering TLS; on the ClientHello (after the 36-byte
                           * SSL request) the same drip */
    FAKE_MY_ERR_FIRST,    /* an ERR packet in place of the handshake (1045, #28000, "Access
                           * denied for user 'x'"); records all after */
    FAKE_PG_ERROR_ANSWER, /* answers SSLRequest with an ErrorResponse (FATAL, 28P01, "password
                           * authentication failed for user \"x\""); records all after */
    /* relays, for a real TLS server on another port (fake_server_start_relay) */
    FAKE_PG_TLS_RELAY,    /* reads the 8-byte SSLRequest, answers 'S', then relays both ways to
                           * 127.0.0.1:relay_port; counts what it relays from the client */
    FAKE_MY_TLS_RELAY,    /* a handshake offering TLS (as FAKE_MY_TLS_STALL); after the client's
                           * 36-byte SSL request, relays both ways to 127.0.0.1:relay_port;
                           * counts what it relays from the client */
    FAKE_TCP_RELAY,       /* relays every byte both ways, from the first, to a real server on
                           * 127.0.0.1:relay_port: a counter of connections in front of it */
} fake_mode;

typedef struct fake_server fake_server;

fake_server *fake_server_start(fake_mode mode);
/* A relay mode (FAKE_PG_TLS_RELAY, FAKE_MY_TLS_RELAY): the engine's pre-TLS
 * step here, the TLS handshake and all after it with whatever listens on
 * 127.0.0.1:relay_port (a client whose server cannot be reached is
 * dropped). Either side closing closes both. */
fake_server *fake_server_start_relay(fake_mode mode, int relay_port);
int fake_server_port(const fake_server *server);
/* Connections accepted so far. */
int fake_server_connections(fake_server *server);
/* Stops the server and returns how many bytes clients sent, over all
 * connections, after their first 8 (the SSLRequest) for the PostgreSQL
 * modes and after the server's first packet for the MySQL ones (what was
 * already sent when it is called is counted); for the relays, the bytes
 * relayed from clients to the relayed-to server (after the SSLRequest or
 * the SSL request packet: the TLS records). Prompt: it does not wait
 * for a client, a dripping one included. */
size_t fake_server_stop(fake_server *server);

#endif
