/* The PostgreSQL adapter: plan (policy), connect within the deadline,
 * classify failures from facts. */
#include "rdssecure/pg.h"

#include <libpq-events.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect/connect.h"
#include "core/counters.h"
#include "core/error.h"
#include "core/last_error.h"
#include "pg/pg_params.h"
#include "tls/classify.h"
#include "tls/tls_info.h"

/* What lives as long as the PGconn: the connect (its trust: libpq re-reads
 * the CA file on PQreset) and the plan. */
typedef struct pg_attempt {
    rdss__connect core;
    rdss__pg_plan plan;
    /* The event-loop form's CA file, a descriptor of its own: a retry on the
     * caller's PGconn (PQresetStart) reads the whole trust through the
     * same path once this descriptor is made to show it. -1: none. */
    int ca_fd;
    int in_tls;   /* libpq was in its TLS handshake at the last poll */
    int tls_done; /* ...and came out of it: the server was verified */
} pg_attempt;

static const char EVENT_NAME[] = "librdssecure";

static void free_attempt(pg_attempt *attempt)
{
    if (attempt == NULL)
        return;
    rdss__pg_plan_free(&attempt->plan);
    rdss__connect_release(&attempt->core);
    if (attempt->ca_fd >= 0)
        close(attempt->ca_fd);
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

static int port_of(const PGconn *conn)
{
    const char *port = PQport(conn);
    return port ? atoi(port) : 0;
}

static rdss_error *timeout_error(const PGconn *conn, const pg_attempt *attempt)
{
    return rdss__connect_timeout(&attempt->core, PQhost(conn), port_of(conn), stage_of(conn));
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

/* Why libpq's connect failed (NULL: connect again, see
 * rdss__connect_failed). libpq's facts: the SQLSTATE the server sent and
 * whether it asked for a password we lacked, both only once TLS was
 * verified; the core probes each host libpq tried when they say nothing. */
static rdss_error *classify_failure(const PGconn *conn, pg_attempt *attempt)
{
    char sqlstate[6], said[32] = "";
    rdss__driver_facts facts = {0};
    facts.host = PQhost(conn);
    facts.port = port_of(conn);
    facts.stage = stage_of(conn);
    facts.driver_message = PQerrorMessage(conn);
    facts.may_retry = 1;
    if (attempt->tls_done && rdss__find_sqlstate(facts.driver_message, sqlstate)) {
        facts.server_code = rdss__code_for_sqlstate(sqlstate);
        snprintf(said, sizeof(said), "SQLSTATE %s", sqlstate);
        facts.server_said = said;
    } else if (attempt->tls_done && PQconnectionNeedsPassword(conn)) {
        facts.known = rdss__error_new(RDSS_ERR_AUTH, "TLS was verified; the server asked for a "
                                                     "password and none was given");
    }
    rdss__endpoint *endpoints = calloc(attempt->plan.target_count, sizeof(*endpoints));
    if (endpoints == NULL && attempt->plan.target_count > 0) {
        rdss_error_free(facts.known);
        return rdss__error_new(RDSS_ERR_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < attempt->plan.target_count; i++) {
        const rdss__pg_target *t = &attempt->plan.targets[i];
        endpoints[i] = (rdss__endpoint){.host = t->host, .address = t->address, .port = t->port,
                                        .verify_name = t->verify_name};
    }
    rdss_error *e = rdss__connect_failed(&attempt->core, endpoints, attempt->plan.target_count, &facts);
    free(endpoints);
    return e;
}

typedef enum narrowing { WHOLE_TRUST, NARROW_MAY_PROBE, NARROW_NO_PROBE } narrowing;

/* Plans a connect: NULL with *err when refused or failed before any
 * attempt (counted). Narrowing, a single-host plan gives libpq the roots
 * that anchor the endpoint (connect/connect.h). */
static pg_attempt *plan_attempt(const rdss_config *cfg, rdss__pg_params *params, rdss_code parsed,
                                narrowing narrow, rdss_error **err)
{
    pg_attempt *attempt = calloc(1, sizeof(*attempt));
    if (attempt != NULL)
        attempt->ca_fd = -1;
    rdss_code code = parsed;
    if (attempt == NULL && parsed == RDSS_OK) {
        rdss__pg_params_free(params);
        code = rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    }
    if (attempt == NULL) {
        rdss__count_result(code);
        return NULL;
    }
    if (code == RDSS_OK)
        code = rdss__connect_begin(&attempt->core, RDSS_ENGINE_PG, cfg, err);
    if (code == RDSS_OK)
        code = rdss__pg_plan_make(params, &attempt->core, cfg, &attempt->plan, err);
    else if (parsed == RDSS_OK)
        rdss__pg_params_free(params);
    if (code == RDSS_OK && narrow != WHOLE_TRUST && attempt->plan.target_count == 1) {
        const rdss__pg_target *t = &attempt->plan.targets[0];
        rdss__endpoint endpoint = {.host = t->host, .address = t->address, .port = t->port,
                                   .verify_name = t->verify_name};
        /* a refusal here is typed by the probe: the driver could not have connected */
        code = rdss__connect_choose_anchor(&attempt->core, &endpoint, NULL, narrow == NARROW_MAY_PROBE, err);
    }
    if (code != RDSS_OK) {
        rdss__connect_end(&attempt->core, *err);
        free_attempt(attempt);
        return NULL;
    }
    return attempt;
}

/* Starts libpq's connect for a planned attempt, which then belongs to the
 * PGconn (freed with it); NULL with *err on failure, the attempt still the
 * caller's. */
static PGconn *launch(pg_attempt *attempt, rdss_error **err)
{
    char own[64];
    snprintf(own, sizeof(own), "/proc/self/fd/%d", attempt->ca_fd);
    if (!rdss__pg_plan_use_ca_file(&attempt->plan,
                                   attempt->ca_fd >= 0 ? own : rdss__connect_ca_file(&attempt->core))) {
        rdss__fail(err, RDSS_ERR_INTERNAL, "cannot create the CA file for the driver (out of file "
                                           "descriptors or memory?)");
        return NULL;
    }
    attempt->in_tls = attempt->tls_done = 0;
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

/* Launches a planned attempt; counted and freed when it cannot start. */
static PGconn *launch_or_end(pg_attempt *attempt, rdss_error **err)
{
    PGconn *conn = attempt ? launch(attempt, err) : NULL;
    if (conn == NULL && attempt != NULL) {
        rdss__connect_end(&attempt->core, *err);
        free_attempt(attempt);
    }
    return conn;
}

static void connected(PGconn *conn, pg_attempt *attempt)
{
    PQsetErrorVerbosity(conn, PQERRORS_DEFAULT);
    /* the target libpq connected to: a single-host plan's when caching */
    const char *name = attempt->plan.target_count == 1 ? attempt->plan.targets[0].verify_name : PQhost(conn);
    rdss__connect_succeeded(&attempt->core, PQhost(conn), port_of(conn), name, PQsslStruct(conn, "OpenSSL"));
    rdss__connect_end(&attempt->core, NULL);
}

/* The failed connect's typed error (counted); NULL when libpq connects
 * again with the CA file the core chose, on a new PGconn that then holds
 * the attempt (*connp). */
static rdss_error *failed(PGconn **connp, pg_attempt *attempt)
{
    rdss_error *e = classify_failure(*connp, attempt);
    if (e == NULL) {
        PQsetInstanceData(*connp, attempt_event, NULL); /* the attempt moves to the new PGconn */
        PGconn *again = launch(attempt, &e);
        if (again != NULL) {
            PQfinish(*connp);
            *connp = again;
            return NULL;
        }
        PQsetInstanceData(*connp, attempt_event, attempt);
    }
    rdss__connect_end(&attempt->core, e);
    return e;
}

/* Runs a started connect to its end: 1 when connected; otherwise the typed
 * error is in *err and *connp the failed connection. */
static int finish(PGconn **connp, rdss_error **err)
{
    for (;;) {
        PGconn *conn = *connp;
        pg_attempt *attempt = attempt_of(conn);
        PostgresPollingStatusType status =
            PQstatus(conn) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
        while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED) {
            int ready = rdss__wait_fd(PQsocket(conn), status == PGRES_POLLING_WRITING,
                                      attempt->core.deadline);
            if (ready == 0) {
                rdss_error *e = timeout_error(conn, attempt);
                rdss__connect_end(&attempt->core, e);
                rdss__hand_over(err, e);
                return 0;
            }
            status = poll_driver(conn, attempt);
        }
        if (status == PGRES_POLLING_OK) {
            connected(conn, attempt);
            rdss__succeed(err);
            return 1;
        }
        rdss_error *e = failed(connp, attempt);
        if (e == NULL)
            continue;
        rdss__hand_over(err, e);
        return 0;
    }
}

/* The blocking forms. The drop-ins keep a failed PGconn (the caller reads
 * PQstatus and PQerrorMessage on it) and leave the error as the thread's
 * last; the others give NULL and *err. */
/* For the drop-in forms, a failed connect as libpq gives one: a PGconn
 * whose PQstatus is CONNECTION_BAD and whose PQerrorMessage carries the
 * typed error in one line. libpq has no call that sets a connection's
 * message; a connect refused for an unknown option repeats the option's
 * name verbatim, before anything is read or sent, so the name is the
 * message: `invalid connection option "rdssecure: cert_verify: ..."`.
 * NULL when out of memory. */
static PGconn *failed_connection(const rdss_error *e)
{
    char text[2048];
    snprintf(text, sizeof(text), "rdssecure: %s: %s", rdss_error_name(rdss_error_code(e)), rdss_error_message(e));
    const char *const keywords[] = {text, NULL};
    const char *const values[] = {"1", NULL}; /* libpq skips an option whose value is empty */
    return PQconnectStartParams(keywords, values, 0);
}

static PGconn *connect_blocking(const rdss_config *cfg, rdss__pg_params *params, rdss_code parsed,
                                rdss_error *parse_error, int drop_in, rdss_error **err)
{
    rdss_error *e = parse_error;
    PGconn *conn = launch_or_end(plan_attempt(cfg, params, parsed, NARROW_MAY_PROBE, &e), &e);
    if (conn != NULL && !finish(&conn, &e)) {
        if (drop_in) {
            /* libpq's own failed connection: PQconnectionNeedsPassword,
             * PQuser and the rest answer as libpq's would (a caller may
             * prompt and retry); its message stays in the verbose form
             * the library read the SQLSTATE in */
            PQsetErrorVerbosity(conn, PQERRORS_DEFAULT);
        } else {
            PQfinish(conn);
            conn = NULL;
        }
    }
    if (drop_in && e != NULL && conn == NULL)
        conn = failed_connection(e); /* refused before libpq ran: a stand-in that says why */
    if (drop_in)
        rdss__set_last_error(e);
    else if (e != NULL)
        rdss__hand_over(err, e);
    else
        rdss__succeed(err);
    return conn;
}

PGconn *rdss_pg_connect(const rdss_config *cfg, const char *conninfo, rdss_error **err)
{
    rdss_error *e = NULL;
    rdss__pg_params params;
    rdss_code parsed = rdss__pg_params_from_conninfo(conninfo, &params, &e);
    return connect_blocking(cfg, &params, parsed, e, 0, err);
}

PGconn *rdss_pg_connect_params(const rdss_config *cfg, const char *const *keywords,
                               const char *const *values, int expand_dbname, rdss_error **err)
{
    rdss_error *e = NULL;
    rdss__pg_params params;
    rdss_code parsed = rdss__pg_params_from_arrays(keywords, values, expand_dbname, &params, &e);
    return connect_blocking(cfg, &params, parsed, e, 0, err);
}

PGconn *rdss_PQconnectdb(const char *conninfo)
{
    rdss_error *e = NULL;
    rdss__pg_params params;
    rdss_code parsed = rdss__pg_params_from_conninfo(conninfo, &params, &e);
    return connect_blocking(NULL, &params, parsed, e, 1, NULL);
}

PGconn *rdss_PQconnectdbParams(const char *const *keywords, const char *const *values,
                               int expand_dbname)
{
    rdss_error *e = NULL;
    rdss__pg_params params;
    rdss_code parsed = rdss__pg_params_from_arrays(keywords, values, expand_dbname, &params, &e);
    return connect_blocking(NULL, &params, parsed, e, 1, NULL);
}

/* The event-loop form: narrowed, when the trust's CA files are memfds, to
 * a descriptor of the attempt's own (see pg_attempt). */
static void own_ca_descriptor(pg_attempt *attempt)
{
    rdss__connect *c = &attempt->core;
    int narrow_fd = c->narrow ? rdss__trust_ca_fd(c->narrow) : -1;
    if (narrow_fd >= 0 && rdss__trust_ca_fd(c->trust) >= 0)
        attempt->ca_fd = fcntl(narrow_fd, F_DUPFD_CLOEXEC, 0);
    if (attempt->ca_fd < 0 && c->narrow != NULL) { /* the whole trust, then */
        rdss__trust_unref(c->narrow);
        c->narrow = NULL;
    }
}

/* The event-loop form's failure: typed (and counted), or NULL when libpq
 * connects again on the same PGconn with the whole trust (the core found
 * the server fine: a rotation); the caller polls on (PQsocket changed). */
static rdss_error *failed_in_event_loop(PGconn *conn, pg_attempt *attempt)
{
    rdss_error *e = classify_failure(conn, attempt);
    if (e == NULL) {
        if (dup2(rdss__trust_ca_fd(attempt->core.trust), attempt->ca_fd) >= 0 &&
            fcntl(attempt->ca_fd, F_SETFD, FD_CLOEXEC) == 0 && PQresetStart(conn)) {
            attempt->in_tls = attempt->tls_done = 0;
            PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
            return NULL;
        }
        e = rdss__error_new(RDSS_ERR_INTERNAL, "cannot connect again with the whole trust");
    }
    rdss__connect_end(&attempt->core, e);
    return e;
}

PGconn *rdss_pg_connect_start(const rdss_config *cfg, const char *conninfo, rdss_error **err)
{
    rdss_error *e = NULL;
    rdss__pg_params params;
    rdss_code parsed = rdss__pg_params_from_conninfo(conninfo, &params, &e);
    pg_attempt *attempt = plan_attempt(cfg, &params, parsed, NARROW_NO_PROBE, &e);
    if (attempt != NULL)
        own_ca_descriptor(attempt);
    PGconn *conn = launch_or_end(attempt, &e);
    if (conn != NULL && PQstatus(conn) == CONNECTION_BAD && (e = failed_in_event_loop(conn, attempt)) != NULL) {
        PQfinish(conn);
        conn = NULL;
    }
    if (conn == NULL)
        rdss__hand_over(err, e);
    else
        rdss__succeed(err);
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
    rdss_error *e = NULL;
    PostgresPollingStatusType status = PGRES_POLLING_FAILED;
    if (rdss__deadline_passed(attempt->core.deadline)) {
        e = timeout_error(conn, attempt);
        rdss__connect_end(&attempt->core, e);
    } else {
        status = poll_driver(conn, attempt);
        if (status == PGRES_POLLING_OK)
            connected(conn, attempt);
        else if (status == PGRES_POLLING_FAILED && (e = failed_in_event_loop(conn, attempt)) == NULL)
            status = PGRES_POLLING_WRITING; /* connecting again, on a new socket */
    }
    if (e != NULL)
        rdss__hand_over(err, e);
    else
        rdss__succeed(err);
    return status;
}

long rdss_pg_connect_remaining_ms(const PGconn *conn)
{
    const pg_attempt *attempt = attempt_of(conn);
    return attempt ? rdss__deadline_remaining_ms(attempt->core.deadline) : -1;
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
