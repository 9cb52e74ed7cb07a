/* A tiny DNS server for tests, on UDP 127.0.0.1:53 in a thread of the test
 * program: a resolver that never answers, or one that answers late. The
 * test points the system resolver at it with an /etc/resolv.conf of its own
 * (tests/fixtures/with_files.sh). */
#ifndef RDSS_TEST_FAKE_DNS_H
#define RDSS_TEST_FAKE_DNS_H

typedef enum fake_dns_mode {
    FAKE_DNS_SILENT, /* reads every query, never answers */
    FAKE_DNS_SLOW,   /* answers each query delay_ms after it arrived */
} fake_dns_mode;

/* FAKE_DNS_SLOW answers: type A for a name under the suffix (or the suffix
 * itself) with one A record 127.0.0.1; AAAA for such a name with NOERROR and
 * no answers; anything else NXDOMAIN. The delays of queries that arrive
 * together run side by side (glibc sends A and AAAA at once). */
typedef struct fake_dns_options {
    fake_dns_mode mode;
    int delay_ms;       /* FAKE_DNS_SLOW only */
    const char *suffix; /* e.g. "rds.amazonaws.com"; case-insensitive */
} fake_dns_options;

/* What the server has seen so far. */
typedef struct fake_dns_counts {
    int queries;   /* datagrams received */
    int a;         /* of which well-formed IN A questions */
    int aaaa;      /* of which well-formed IN AAAA questions */
    int malformed; /* of which unparseable (answered FORMERR when possible) */
    int answered;  /* responses sent */
} fake_dns_counts;

typedef struct fake_dns fake_dns;

/* Binds 127.0.0.1:53 and starts the thread. NULL with errno set when it
 * cannot (EADDRINUSE: port 53 is taken; EACCES: no privilege). */
fake_dns *fake_dns_start(const fake_dns_options *options);

fake_dns_counts fake_dns_counts_now(fake_dns *dns);

/* Stops the thread promptly (answers still waiting are dropped), closes the
 * socket and frees. NULL is ignored. */
void fake_dns_stop(fake_dns *dns);

#endif
