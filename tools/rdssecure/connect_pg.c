/* rdssecure connect pg: through rdss_pg_connect, like any application. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rdssecure/pg.h>

#include "connect.h"

/* host and port as the target names them (for the report). */
static void describe_target(const char *target, connect_result *res)
{
    PQconninfoOption *options = PQconninfoParse(target, NULL);
    for (PQconninfoOption *o = options; o != NULL && o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "host") == 0 && o->val != NULL)
            res->host = strdup(o->val);
        else if (strcmp(o->keyword, "port") == 0 && o->val != NULL)
            res->port = atoi(o->val);
    }
    if (res->port == 0)
        res->port = 5432;
    PQconninfoFree(options);
}

/* Runs the query; a failure is the server's (TLS was verified by then). */
static void run_query(PGconn *conn, const char *sql, connect_result *res)
{
    PGresult *result = PQexec(conn, sql);
    ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        res->code = RDSS_ERR_SERVER;
        snprintf(res->message, sizeof(res->message), "connected and verified, then the query failed");
        snprintf(res->driver_message, sizeof(res->driver_message), "%s", PQerrorMessage(conn));
        res->driver_message[strcspn(res->driver_message, "\n")] = '\0';
        PQclear(result);
        return;
    }
    res->rows = cJSON_CreateArray();
    for (int r = 0; r < PQntuples(result); r++) {
        cJSON *row = cJSON_CreateArray();
        for (int c = 0; c < PQnfields(result); c++)
            cJSON_AddItemToArray(row, PQgetisnull(result, r, c) ? cJSON_CreateNull()
                                                                 : cJSON_CreateString(PQgetvalue(result, r, c)));
        cJSON_AddItemToArray(res->rows, row);
    }
    PQclear(result);
}

int connect_pg(const rdss_config *cfg, const connect_request *req, connect_result *res)
{
    describe_target(req->target, res);
    PGconn *conn = rdss_pg_connect(cfg, req->target, &res->error);
    if (conn == NULL) {
        res->code = rdss_error_code(res->error);
        return 0;
    }
    free(res->host);
    res->host = strdup(PQhost(conn));
    res->port = atoi(PQport(conn));
    rdss_pg_tls_info(conn, &res->tls, NULL);
    connect_result_connected(res);
    if (req->audit && rdss_pg_audit(conn, &res->audit, &res->error) != RDSS_OK)
        res->code = rdss_error_code(res->error);
    if (req->query != NULL)
        run_query(conn, req->query, res);
    PQfinish(conn);
    return 0;
}
