/* Test scenarios both engines go through against a scratch server whose
 * certificate the test controls. */
#ifndef RDSS_TEST_SCENARIOS_H
#define RDSS_TEST_SCENARIOS_H

#include <rdssecure/rdssecure.h>

#include "certgen.h"

/* The certificates of a rotation: the test PKI's root (A, with its
 * intermediate `sub`), another trusted root (B) and a root outside the
 * trust, a leaf under each for the RDS-style name, and a config trusting
 * the embedded bundle plus A and B. */
typedef struct rotation_set {
    char *dir, *extra_pem, *extra;
    tc_cert sub, root_a, root_b, outsider;
    tc_cert leaf_a, leaf_b, leaf_out;
    rdss_config *cfg;
} rotation_set;

void rotation_set_make(rotation_set *r);
void rotation_set_free(rotation_set *r);

/* The embedded bundle plus two test roots; the server presents a leaf of
 * root A, then of root B (both trusted), then of a root outside the trust,
 * then A again: connect_with must give ok, ok, ok, ok, cert_verify, ok.
 * The library narrows the driver's CA file to the last anchor in between;
 * rotations must not notice. `serve` installs a leaf (and the rest of its
 * chain) on the server. */
void scenario_rotations(void (*serve)(const tc_cert *leaf, const tc_cert *chain_rest),
                        rdss_code (*connect_with)(const rdss_config *cfg));

/* The server presents an expired leaf now: the probe says cert_verify,
 * days to expiry <= -1, and the error's chain expiry is the leaf's. */
void scenario_probe_sees_expired_chain(rdss_engine engine, int port);

/* Serves a leaf that expires in 10 days: the probe says 10 days and the
 * warning state; two connects call the config's log callback once, naming
 * the endpoint. The leaf stays served. */
void scenario_expiring_leaf(void (*serve)(const tc_cert *leaf, const tc_cert *chain_rest),
                            rdss_code (*connect_with)(const rdss_config *cfg), rdss_engine engine,
                            int port);

/* A config trusting the embedded bundle plus the CAs in `extra_ca`: more
 * than a few certificates, so the anchor cache and the probe run. */
rdss_config *scenario_bundle_plus(const char *extra_ca);

#endif
