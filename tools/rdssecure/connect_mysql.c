/* rdssecure connect mysql: through rdss_mysql_connect_uri, like any application. */
#define _GNU_SOURCE /* explicit_bzero */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rdssecure/mysql.h>

#include "connect.h"
#include "password.h"

/* Runs the query; a failure is the server's (TLS was verified by then). */
static void run_query(MYSQL *mysql, const char *sql, connect_result *res)
{
    if (mysql_query(mysql, sql) != 0) {
        res->code = RDSS_ERR_SERVER;
        snprintf(res->message, sizeof(res->message), "connected and verified, then the query failed");
        snprintf(res->driver_message, sizeof(res->driver_message), "%s", mysql_error(mysql));
        return;
    }
    res->rows = cJSON_CreateArray();
    MYSQL_RES *result = mysql_store_result(mysql);
    if (result == NULL) /* a statement without rows */
        return;
    unsigned int fields = mysql_num_fields(result);
    for (MYSQL_ROW row = mysql_fetch_row(result); row != NULL; row = mysql_fetch_row(result)) {
        cJSON *out = cJSON_CreateArray();
        for (unsigned int c = 0; c < fields; c++)
            cJSON_AddItemToArray(out, row[c] ? cJSON_CreateString(row[c]) : cJSON_CreateNull());
        cJSON_AddItemToArray(res->rows, out);
    }
    mysql_free_result(result);
}

int connect_mysql(const rdss_config *cfg, const connect_request *req, connect_result *res)
{
    char host[256];
    unsigned int port = 0;
    if (rdss_mysql_uri_host_port(req->target, host, sizeof(host), &port, &res->error) != RDSS_OK) {
        res->code = rdss_error_code(res->error);
        return 0;
    }
    res->host = strdup(host);
    res->port = (int)port;
    MYSQL *mysql = mysql_init(NULL);
    if (mysql == NULL) {
        res->code = RDSS_ERR_INTERNAL;
        snprintf(res->message, sizeof(res->message), "out of memory");
        return 0;
    }
    char problem[512] = "";
    char *uri = uri_with_password(req->target, req->password_file, problem, sizeof(problem));
    if (uri == NULL) {
        res->code = RDSS_ERR_INVALID_ARGUMENT;
        snprintf(res->message, sizeof(res->message), "%s", problem);
        mysql_close(mysql);
        return 0;
    }
    MYSQL *connected = rdss_mysql_connect_uri(cfg, mysql, uri, 0, &res->error);
    explicit_bzero(uri, strlen(uri));
    free(uri);
    if (connected == NULL) {
        res->code = rdss_error_code(res->error);
        mysql_close(mysql);
        return 0;
    }
    rdss_mysql_tls_info(mysql, &res->tls, NULL);
    connect_result_connected(res);
    if (req->audit && rdss_mysql_audit(mysql, &res->audit, &res->error) != RDSS_OK)
        res->code = rdss_error_code(res->error);
    if (req->query != NULL)
        run_query(mysql, req->query, res);
    mysql_close(mysql);
    return 0;
}
