/* The PostgreSQL adapter: plan (policy), connect within the deadline,
 * classify failures from facts. */
#include "rdssecure/pg.h"

#include <libpq-events.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/classify.h"
#include "trust/config.h"
#include "core/counters.h"
#include "core/deadline.h"
#include "core/error.h"
#include "tls/expiry.h"
#include "anchors/narrow.h"
#include "core/last_error.h"
#include "pg/pg_params.h"
#include "tls/probe.h"
#include "tls/tls_info.h"

/* What lives as long as the PGconn: the trust (libpq re-reads the CA file on
 * PQreset) and, while connecting, the plan and the deadline. */
typedef struct pg_attempt {
    rdss__pg_plan plan;
    rdss__deadline deadline;
    long timeout_ms;
    rdss__expiry_watch expiry;
    rdss__trust *narrow; /* libpq's CA file comes from it, or NULL: the plan's full trust */
    char key[512];      /* the narrowing cache's key; "" when not narrowing */
    int in_tls;         /* libpq was in its TLS handshake at the last poll */
    int tls_done;       /* ...and came out of it: the server was verified */
} pg_attempt;

static const char EVENT_NAME[] = "librdssecure";

static void free_attempt(pg_attempt *attempt)
{
    if (attempt == NULL)
        return;
    rdss__pg_plan_free(&attempt->plan);
    rdss__trust_unref(attempt->narrow);
    free(attempt);
}

static int attempt_event(PGEventId id, void *event_info, void *pass_through)
{
    (void)pass_through;
    if (id == PGEVT_CONNDESTROY) {
        PGEventConnDestroy *destroy = event_info;
        pg_attempt *attempt = PQinstanceData(destroy->conn, attempt_event);
        free_attempt(attempt);
    }
    return 1;
}

static pg_attempt *attempt_of(const PGconn *conn)
{
    return conn ? PQinstanceData(conn, attempt_event) : NULL;
}

static const char *stage_of(const PGconn *conn)
{
    switch (PQstatus(conn)) {
    case CONNECTION_STARTED: return "waiting for the TCP connection";
    case CONNECTION_MADE: return "sending the TLS request";
    case CONNECTION_SSL_STARTUP: return "in the TLS handshake";
    case CONNECTION_AWAITING_RESPONSE: return "waiting for the server's answer";
    case CONNECTION_AUTH_OK: return "after authentication";
    default: return "connecting";
    }
}

static rdss_error *timeout_error(const PGconn *conn, long timeout_ms)
{
    const char *host = PQhost(conn);
    return rdss__error_new(RDSS_ERR_TIMEOUT,
                           "connect to %s port %s did not complete within %ld ms (%s): check the "
                           "security group, network ACLs and the endpoint",
                           host ? host : "?", PQport(conn) ? PQport(conn) : "?", timeout_ms,
                           stage_of(conn));
}

/* PQconnectPoll, noting when libpq leaves its TLS handshake for the next
 * step: it has verified the server's chain and name by then. Until it has,
 * what the server says is anyone's word (libpq reads an error answer to its
 * SSL request as the server's error, SQLSTATE and all). */
static PostgresPollingStatusType poll_driver(PGconn *conn, pg_attempt *attempt)
{
    PostgresPollingStatusType status = PQconnectPoll(conn);
    ConnStatusType now = PQstatus(conn);
    if (attempt->in_tls && now != CONNECTION_SSL_STARTUP && now != CONNECTION_BAD)
        attempt->tls_done = 1;
    attempt->in_tls = now == CONNECTION_SSL_STARTUP;
    return status;
}

/* Why the connect failed, decided from facts: the clock, the SQLSTATE the
 * server sent and whether it asked for a password we lacked (both only
 * once TLS was verified), and else what the probe finds on each host libpq
 * tried. */
static rdss_error *classify_failure(const PGconn *conn, const pg_attempt *attempt)
{
    const char *driver = PQerrorMessage(conn);
    rdss_error *e = NULL;
    char sqlstate[6];
    if (rdss__deadline_passed(attempt->deadline)) {
        e = timeout_error(conn, attempt->timeout_ms);
    } else if (attempt->tls_done && rdss__find_sqlstate(driver, sqlstate)) {
        rdss_code code = rdss__code_for_sqlstate(sqlstate);
        e = rdss__error_new(code, code == RDSS_ERR_AUTH
                                      ? "TLS was verified, then the server rejected the credentials "
                                        "(SQLSTATE %s)"
                                      : "TLS was verified, then the server refused the connection "
                                        "(SQLSTATE %s)",
                            sqlstate);
    } else if (attempt->tls_done && PQconnectionNeedsPassword(conn)) {
        e = rdss__error_new(RDSS_ERR_AUTH, "TLS was verified; the server asked for a password and "
                                           "none was given");
    } else {
        for (size_t i = 0; i < attempt->plan.target_count && e == NULL; i++) {
            const rdss__pg_target *t = &attempt->plan.targets[i];
            rdss_error *found = NULL;
            if (rdss__probe(RDSS_ENGINE_PG, t->address, t->port, t->verify_name,
                            attempt->plan.trust, attempt->deadline, NULL, &found) != RDSS_OK) {
                e = found;
                if (attempt->plan.target_count > 1)
                    rdss__error_prefix_message(e, "%s port %d: ", t->host, t->port);
            }
        }
        if (e == NULL)
            e = rdss__error_new(RDSS_ERR_SERVER, "TLS to the server verifies, but the connection "
                                                 "failed after it (see the driver's message)");
    }
    rdss__error_set_driver_message(e, driver);
    return e;
}

/* Plans the connect and starts it: NULL with *err when refused or failed
 * before any attempt. The attempt then belongs to the PGconn. */
/* Plans a connect (NULL with *err when refused or failed before any
 * attempt). With `narrow`, a single-host plan gives libpq the one root that
 * anchored this endpoint last time, when remembered (see narrow.h). */
static pg_attempt *plan_attempt(const rdss_config *cfg, rdss__pg_params *params, int narrow,
                                rdss_error **err)
{
    pg_attempt *attempt = calloc(1, sizeof(*attempt));
    if (attempt == NULL) {
        rdss__pg_params_free(params);
        rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    attempt->timeout_ms = rdss_config_timeout_ms(cfg);
    attempt->expiry = rdss__expiry_watch_of(cfg);
    attempt->deadline = rdss__deadline_in(attempt->timeout_ms);
    if (rdss__pg_plan_make(params, cfg, attempt->deadline, &attempt->plan, err) != RDSS_OK) {
        free_attempt(attempt);
        return NULL;
    }
    if (narrow && attempt->plan.target_count == 1) {
        const rdss__pg_target *t = &attempt->plan.targets[0];
        rdss__narrow_key("pg", t->address, t->port, t->verify_name, attempt->key, sizeof(attempt->key));
        attempt->narrow = rdss__narrow_lookup(attempt->plan.trust, attempt->key);
        if (attempt->narrow == NULL &&
            rdss__narrow_first(RDSS_ENGINE_PG, t->address, NULL, t->port, t->verify_name, attempt->plan.trust,
                               attempt->deadline, attempt->key, &attempt->narrow, err) != RDSS_OK) {
            free_attempt(attempt); /* typed by the probe: the driver could not have connected */
            return NULL;
        }
        if (attempt->narrow != NULL &&
            !rdss__pg_params_set(&attempt->plan.params, "sslrootcert", rdss__trust_ca_file(attempt->narrow))) {
            free_attempt(attempt);
            rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
            return NULL;
        }
    }
    return attempt;
}

/* Starts libpq's connect for a planned attempt, which then belongs to the
 * PGconn (freed with it); NULL with *err on failure, the attempt still the
 * caller's. */
static PGconn *launch(pg_attempt *attempt, rdss_error **err)
{
    PGconn *conn = PQconnectStartParams((const char *const *)attempt->plan.params.keywords,
                                        (const char *const *)attempt->plan.params.values, 0);
    if (conn == NULL || !PQregisterEventProc(conn, attempt_event, EVENT_NAME, NULL) ||
        !PQsetInstanceData(conn, attempt_event, attempt)) {
        if (conn != NULL)
            PQsetInstanceData(conn, attempt_event, NULL);
        PQfinish(conn);
        rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory starting the connection");
        return NULL;
    }
    /* SQLSTATEs in messages: how we tell auth from server failures in any
     * language. Restored to the default once connected. */
    PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
    rdss__succeed(err);
    return conn;
}

static PGconn *start(const rdss_config *cfg, rdss__pg_params *params, rdss_error **err)
{
    /* the event-loop form keeps the caller's PGconn: no retry, no narrowing */
    pg_attempt *attempt = plan_attempt(cfg, params, 0, err);
    PGconn *conn = attempt ? launch(attempt, err) : NULL;
    if (conn == NULL)
        free_attempt(attempt);
    return conn;
}

static void connected(PGconn *conn)
{
    PQsetErrorVerbosity(conn, PQERRORS_DEFAULT);
    const pg_attempt *attempt = attempt_of(conn);
    const SSL *ssl = PQsslStruct(conn, "OpenSSL");
    rdss__warn_if_expiring(&attempt->expiry, PQhost(conn), atoi(PQport(conn)), ssl);
    if (attempt->key[0] != '\0' && attempt->narrow == NULL && ssl != NULL)
        rdss__narrow_learn_from(attempt->plan.trust, attempt->key, attempt->plan.targets[0].verify_name,
                                SSL_get_peer_cert_chain(ssl));
}

/* A narrowed connect that failed before the server answered (no SQLSTATE,
 * no password request: TLS, most likely) is tried again with the full
 * trust, on a new PGconn, within the same deadline. NULL when not. */
static PGconn *retry_with_full_trust(PGconn *conn, pg_attempt *attempt)
{
    char sqlstate[6];
    if (attempt->narrow == NULL || rdss__find_sqlstate(PQerrorMessage(conn), sqlstate) ||
        PQconnectionNeedsPassword(conn) || rdss__deadline_passed(attempt->deadline))
        return NULL;
    rdss__narrow_forget(attempt->plan.trust, attempt->key);
    rdss__trust_unref(attempt->narrow);
    attempt->narrow = NULL;
    if (!rdss__pg_params_set(&attempt->plan.params, "sslrootcert", rdss__trust_ca_file(attempt->plan.trust)))
        return NULL;
    PQsetInstanceData(conn, attempt_event, NULL); /* the attempt moves to the new PGconn */
    PGconn *again = launch(attempt, NULL);
    if (again == NULL) {
        PQsetInstanceData(conn, attempt_event, attempt);
        return NULL;
    }
    PQfinish(conn);
    return again;
}

/* The failed connect's typed error; NULL when it was tried again with the
 * full trust instead (*connp is then the new PGconn). */
static rdss_error *classify_failure_unless_retried(PGconn **connp, pg_attempt *attempt)
{
    PGconn *again = retry_with_full_trust(*connp, attempt);
    if (again == NULL)
        return classify_failure(*connp, attempt);
    *connp = again;
    return NULL;
}

/* Runs a started connect to its end. Returns 1 when connected; otherwise
 * the typed error is in *err and *connp is the failed connection (NULL only
 * if a retry could not even start). */
static int finish(PGconn **connp, rdss_error **err)
{
    for (;;) {
        PGconn *conn = *connp;
        pg_attempt *attempt = attempt_of(conn);
        PostgresPollingStatusType status =
            PQstatus(conn) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
        while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED) {
            int ready = rdss__wait_fd(PQsocket(conn), status == PGRES_POLLING_WRITING, attempt->deadline);
            if (ready == 0) {
                rdss__hand_over(err, timeout_error(conn, attempt->timeout_ms));
                return 0;
            }
            status = poll_driver(conn, attempt);
        }
        if (status == PGRES_POLLING_OK) {
            connected(conn);
            rdss__succeed(err);
            return 1;
        }
        rdss_error *e = classify_failure_unless_retried(connp, attempt);
        if (e == NULL)
            continue;
        rdss__hand_over(err, e);
        return 0;
    }
}

static PGconn *connect_blocking(const rdss_config *cfg, rdss__pg_params *params, int keep_failed,
                                rdss_error **err)
{
    pg_attempt *attempt = plan_attempt(cfg, params, 1, err);
    PGconn *conn = attempt ? launch(attempt, err) : NULL;
    if (conn == NULL) {
        free_attempt(attempt);
        return NULL;
    }
    if (finish(&conn, err))
        return conn;
    if (keep_failed)
        return conn;
    PQfinish(conn);
    return NULL;
}

/* Counts the result of a finished connect and hands the error over. */
static PGconn *counted(PGconn *conn, rdss_error *e, rdss_error **err)
{
    rdss__count_result(rdss_error_code(e));
    if (e != NULL)
        rdss__hand_over(err, e);
    else
        rdss__succeed(err);
    return conn;
}

PGconn *rdss_pg_connect(const rdss_config *cfg, const char *conninfo, rdss_error **err)
{
    rdss_error *e = NULL;
    rdss__pg_params params;
    PGconn *conn = NULL;
    if (rdss__pg_params_from_conninfo(conninfo, &params, &e) == RDSS_OK)
        conn = connect_blocking(cfg, &params, 0, &e);
    return counted(conn, e, err);
}

PGconn *rdss_pg_connect_params(const rdss_config *cfg, const char *const *keywords,
                               const char *const *values, int expand_dbname, rdss_error **err)
{
    rdss_error *e = NULL;
    rdss__pg_params params;
    PGconn *conn = NULL;
    if (rdss__pg_params_from_arrays(keywords, values, expand_dbname, &params, &e) == RDSS_OK)
        conn = connect_blocking(cfg, &params, 0, &e);
    return counted(conn, e, err);
}

PGconn *rdss_pg_connect_start(const rdss_config *cfg, const char *conninfo, rdss_error **err)
{
    rdss_error *e = NULL;
    rdss__pg_params params;
    if (rdss__pg_params_from_conninfo(conninfo, &params, &e) != RDSS_OK)
        return counted(NULL, e, err);
    PGconn *conn = start(cfg, &params, &e);
    if (conn == NULL)
        return counted(NULL, e, err);
    if (PQstatus(conn) == CONNECTION_BAD) {
        e = classify_failure(conn, attempt_of(conn));
        PQfinish(conn);
        return counted(NULL, e, err);
    }
    return conn; /* counted when the poll ends */
}

PostgresPollingStatusType rdss_pg_connect_poll(PGconn *conn, rdss_error **err)
{
    pg_attempt *attempt = attempt_of(conn);
    if (attempt == NULL) {
        rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                   "rdss_pg_connect_poll: the connection was not started by rdss_pg_connect_start");
        return PGRES_POLLING_FAILED;
    }
    if (rdss__deadline_passed(attempt->deadline)) {
        counted(NULL, timeout_error(conn, attempt->timeout_ms), err);
        return PGRES_POLLING_FAILED;
    }
    PostgresPollingStatusType status = poll_driver(conn, attempt);
    if (status == PGRES_POLLING_OK) {
        connected(conn);
        counted(conn, NULL, err);
    } else if (status == PGRES_POLLING_FAILED) {
        counted(NULL, classify_failure(conn, attempt), err);
    } else {
        rdss__succeed(err);
    }
    return status;
}

long rdss_pg_connect_remaining_ms(const PGconn *conn)
{
    const pg_attempt *attempt = attempt_of(conn);
    return attempt ? rdss__deadline_remaining_ms(attempt->deadline) : -1;
}

PGconn *rdss_PQconnectdb(const char *conninfo)
{
    rdss_error *e = NULL;
    rdss__pg_params params;
    PGconn *conn = NULL;
    if (rdss__pg_params_from_conninfo(conninfo, &params, &e) == RDSS_OK)
        conn = connect_blocking(NULL, &params, 1, &e);
    rdss__count_result(rdss_error_code(e));
    rdss__set_last_error(e);
    return conn;
}

PGconn *rdss_PQconnectdbParams(const char *const *keywords, const char *const *values,
                               int expand_dbname)
{
    rdss_error *e = NULL;
    rdss__pg_params params;
    PGconn *conn = NULL;
    if (rdss__pg_params_from_arrays(keywords, values, expand_dbname, &params, &e) == RDSS_OK)
        conn = connect_blocking(NULL, &params, 1, &e);
    rdss__count_result(rdss_error_code(e));
    rdss__set_last_error(e);
    return conn;
}

rdss_code rdss_pg_tls_info(const PGconn *conn, rdss_tls_info **out, rdss_error **err)
{
    if (out == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "rdss_pg_tls_info: out is NULL");
    *out = NULL;
    if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "rdss_pg_tls_info: not a connected PGconn");
    /* PQsslStruct takes a non-const PGconn but only reads it. */
    return rdss__tls_info_from_ssl(PQsslStruct((PGconn *)conn, "OpenSSL"), out, err);
}
