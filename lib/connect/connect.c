#include "connect/connect.h"

#include <stdlib.h>
#include <string.h>

#include "anchors/narrow.h"
#include "core/counters.h"
#include "core/error.h"
#include "trust/config.h"
#include "trust/endpoint.h"

rdss_code rdss__connect_begin(rdss__connect *c, rdss_engine engine, const rdss_config *cfg,
                              rdss_error **err)
{
    memset(c, 0, sizeof(*c));
    c->engine = engine;
    c->timeout_ms = rdss_config_timeout_ms(cfg);
    c->deadline = rdss__deadline_in(c->timeout_ms);
    c->expiry = rdss__expiry_watch_of(cfg);
    const char *name = rdss_config_verify_name(cfg);
    if (name != NULL && (c->verify_name = strdup(name)) == NULL)
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    return RDSS_OK;
}

rdss_code rdss__connect_trust(rdss__connect *c, const rdss_config *cfg, const char *callers_ca_file,
                              rdss_error **err)
{
    rdss__trust_unref(c->trust);
    c->trust = NULL;
    return callers_ca_file != NULL ? rdss__trust_from_file(callers_ca_file, &c->trust, err)
                                   : rdss__config_trust(cfg, &c->trust, err);
}

static rdss_code probe(const rdss__connect *c, const rdss__endpoint *ep, rdss__probe_facts *facts,
                       rdss_error **err)
{
    return ep->addresses != NULL
               ? rdss__probe_at(c->engine, ep->addresses, ep->host, ep->port, ep->verify_name, c->trust,
                                c->deadline, facts, err)
               : rdss__probe(c->engine, ep->address ? ep->address : ep->host, ep->port,
                             ep->verify_name, c->trust, c->deadline, facts, err);
}


rdss_code rdss__connect_choose_anchor(rdss__connect *c, const rdss__endpoint *endpoint, X509 **leaf,
                                      int may_probe, rdss_error **err)
{
    rdss__narrow_key(endpoint->host, endpoint->port, endpoint->verify_name, c->key, sizeof(c->key));
    int caching = c->key[0] != '\0' && rdss__narrow_worth_it(c->trust);
    if (!caching)
        c->key[0] = '\0';
    if (leaf == NULL) {
        if (!caching)
            return RDSS_OK;
        /* What a verified connect taught, first: it may be a root of
         * another region than the name's. Not for a trust nobody has
         * decoded yet (the cache keys on the certificates, and nothing was
         * learned under it): decoding it is for the probe, once the server
         * has shown a chain to verify, not for a server that never answers. */
        if (rdss__trust_decoded(c->trust) && (c->narrow = rdss__narrow_lookup(c->trust, c->key)) != NULL)
            return RDSS_OK;
        /* An RDS name, and no probe (see connect.h): the root learned among
         * its region's roots, else those roots. */
        char region[RDSS__REGION_MAX];
        if (rdss__endpoint_region(endpoint->verify_name, region) &&
            (c->region = rdss__trust_region(c->trust, region)) != NULL) {
            if (rdss__trust_decoded(c->region))
                c->narrow = rdss__narrow_lookup(c->region, c->key);
            if (c->narrow == NULL) {
                c->narrow = rdss__trust_ref(c->region);
                c->narrow_is_region = 1;
            }
            return RDSS_OK;
        }
        if (!may_probe)
            return RDSS_OK;
    } else {
        *leaf = NULL;
    }
    rdss__probe_facts facts = {0};
    rdss_code code = probe(c, endpoint, &facts, err);
    if (code == RDSS_OK) {
        /* the anchor the probe found: the driver gets it alone */
        if (caching && facts.anchor != NULL)
            c->narrow = rdss__narrow_learn(c->trust, c->key, facts.anchor);
        if (leaf != NULL && (*leaf = sk_X509_value(facts.chain, 0)) != NULL)
            X509_up_ref(*leaf);
    }
    rdss__probe_facts_free(&facts);
    return code;
}

const char *rdss__connect_ca_file(const rdss__connect *c)
{
    const rdss__trust *trust = c->narrow != NULL ? c->narrow : c->trust;
    return trust != NULL ? rdss__trust_ca_file(trust) : NULL;
}

const char *rdss__connect_ca_dir(const rdss__connect *c)
{
    return c->narrow != NULL && c->narrow_is_region ? rdss__trust_ca_dir(c->narrow) : NULL;
}

void rdss__connect_succeeded(rdss__connect *c, const char *host, int port, const char *verify_name,
                             const SSL *ssl)
{
    rdss__warn_if_expiring(&c->expiry, host, port, ssl);
    if (c->key[0] == '\0' || ssl == NULL)
        return;
    if (c->narrow == NULL)
        rdss__narrow_learn_from(c->trust, c->key, verify_name, SSL_get_peer_cert_chain(ssl));
    /* From a region's second verified connect on: learning decodes the
     * region's roots, which a process that connects once does not pay. */
    else if (c->narrow_is_region && rdss__trust_count_use(c->narrow) > 0)
        rdss__narrow_learn_from(c->narrow, c->key, verify_name, SSL_get_peer_cert_chain(ssl));
}

rdss_error *rdss__connect_timeout(const rdss__connect *c, const char *host, int port, const char *stage)
{
    return rdss__error_new(RDSS_ERR_TIMEOUT,
                           "connect to %s port %d did not complete within %ld ms%s%s%s: check the "
                           "security group, network ACLs and the endpoint",
                           host ? host : "?", port, c->timeout_ms, stage ? " (" : "", stage ? stage : "",
                           stage ? ")" : "");
}

/* What the probe of every endpoint says; NULL when TLS verifies on all. */
static rdss_error *probe_all(const rdss__connect *c, const rdss__endpoint *endpoints, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        rdss_error *found = NULL;
        if (probe(c, &endpoints[i], NULL, &found) != RDSS_OK) {
            if (count > 1)
                rdss__error_prefix_message(found, "%s port %d: ", endpoints[i].host, endpoints[i].port);
            return found;
        }
    }
    return NULL;
}

rdss_error *rdss__connect_failed(rdss__connect *c, const rdss__endpoint *endpoints, size_t count,
                                 rdss__driver_facts *facts)
{
    rdss_error *e = NULL;
    int retry = 0;
    if (rdss__deadline_passed(c->deadline) || facts->timed_out) {
        e = rdss__connect_timeout(c, facts->host, facts->port, facts->stage);
    } else if (facts->server_code != RDSS_OK) {
        e = rdss__error_new(facts->server_code,
                            facts->server_code == RDSS_ERR_AUTH
                                ? "TLS was verified, then the server rejected the credentials (%s)"
                                : "TLS was verified, then the server refused the connection (%s)",
                            facts->server_said ? facts->server_said : "?");
    } else if (facts->known != NULL) {
        e = facts->known;
        facts->known = NULL;
    } else {
        /* After a retry the probe that allowed it has spoken: the driver's
         * second failure is its own (no third handshake to learn that). */
        if (!c->retried)
            e = probe_all(c, endpoints, count);
        /* The probe verifies the server against the whole trust, yet the
         * narrowed driver failed: the server moved to another root (a
         * rotation), or moved back and forth. The driver connects once
         * more with the whole trust, which no rotation within it can
         * fail; the cache learns the new root when it succeeds. */
        retry = e == NULL && c->narrow != NULL && facts->may_retry && !c->retried;
        if (retry) {
            rdss__narrow_forget(c->region != NULL ? c->region : c->trust, c->key);
            rdss__trust_unref(c->narrow);
            c->narrow = NULL;
            c->narrow_is_region = 0;
            c->retried = 1;
        } else if (e == NULL) {
            e = facts->if_tls_verifies;
            facts->if_tls_verifies = NULL;
            if (e == NULL)
                e = rdss__error_new(RDSS_ERR_SERVER, "TLS to the server verifies, but the connection "
                                                     "failed after it (see the driver's message)");
        }
    }
    rdss_error_free(facts->known);
    rdss_error_free(facts->if_tls_verifies);
    facts->known = facts->if_tls_verifies = NULL;
    if (e != NULL)
        rdss__error_set_driver_message(e, facts->driver_message);
    return e;
}

void rdss__connect_end(rdss__connect *c, const rdss_error *e)
{
    if (c->ended)
        return;
    c->ended = 1;
    rdss__count_result(rdss_error_code(e));
}

void rdss__connect_release(rdss__connect *c)
{
    rdss__trust_unref(c->trust);
    rdss__trust_unref(c->narrow);
    rdss__trust_unref(c->region);
    free(c->verify_name);
    c->trust = c->narrow = c->region = NULL;
    c->verify_name = NULL;
}
