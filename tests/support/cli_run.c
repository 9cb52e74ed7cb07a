#include "cli_run.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

run_result cli_run(const char *cli_path, const char *args)
{
    char command[4096];
    snprintf(command, sizeof(command), "'%s' %s 2>/dev/null", cli_path, args);
    FILE *pipe = popen(command, "r");
    assert_non_null(pipe);
    size_t cap = 1 << 16, used = 0, got;
    char *out = malloc(cap);
    while ((got = fread(out + used, 1, cap - used - 1, pipe)) > 0) {
        used += got;
        if (cap - used < 2)
            out = realloc(out, cap *= 2);
    }
    out[used] = '\0';
    int status = pclose(pipe);
    run_result r = {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
    return r;
}

cJSON *cli_parse_one_object(const char *out)
{
    const char *end = NULL;
    cJSON *json = cJSON_ParseWithOpts(out, &end, 0);
    if (json == NULL || !cJSON_IsObject(json))
        fail_msg("not a JSON object: %.200s", out);
    while (*end == '\n' || *end == ' ')
        end++;
    if (*end != '\0')
        fail_msg("more than one JSON value on stdout: %.200s", end);
    return json;
}

const char *cli_string_field(const cJSON *json, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

void cli_assert_connect_report(const cJSON *json, const char *host, int port)
{
    assert_string_equal(cli_string_field(json, "error"), "ok");
    assert_string_equal(cli_string_field(json, "host"), host);
    assert_int_equal(cJSON_GetObjectItem(json, "port")->valueint, port);
    assert_int_equal(strncmp(cli_string_field(json, "tls_version"), "TLSv1.", 6), 0);
    assert_non_null(cli_string_field(json, "cipher"));
    assert_non_null(strstr(cli_string_field(json, "peer_subject"), "db1.abc123xyz"));
    assert_non_null(strstr(cli_string_field(json, "peer_issuer"), "Subordinate"));
    assert_non_null(cli_string_field(json, "peer_not_after"));
    cJSON *rows = cJSON_GetObjectItem(json, "rows");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetArrayItem(rows, 0), 0)->valuestring, "42");
}

void cli_check_probe(const char *cli_path, const char *engine, int port, const char *root,
                     const char *untrusted_root)
{
    char args[1024];
    const char *rds_name = "db1.abc123xyz.us-east-1.rds.amazonaws.com";
    snprintf(args, sizeof(args), "probe %s 127.0.0.1:%d --bundle '%s' --verify-name %s --json", engine,
             port, root, rds_name);
    run_result r = cli_run(cli_path, args);
    assert_int_equal(r.status, 0);
    cJSON *json = cli_parse_one_object(r.out);
    free(r.out);
    assert_string_equal(cli_string_field(json, "error"), "ok");
    assert_string_equal(cli_string_field(json, "engine"), engine);
    assert_int_equal(cJSON_GetObjectItem(json, "port")->valueint, port);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(json, "chain")), 2);
    const cJSON *anchor = cJSON_GetObjectItem(json, "anchor");
    assert_string_equal(cli_string_field(anchor, "family"), "rds-ca-rsa2048-g1");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(json, "hostname_verified")));
    assert_true(cJSON_GetObjectItem(json, "days_until_expiry")->valueint > 800);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(json, "expiry_warning")));
    assert_non_null(strstr(cli_string_field(json, "peer_subject"), rds_name));
    cJSON_Delete(json);
    snprintf(args, sizeof(args), "probe %s 127.0.0.1:%d --bundle '%s' --verify-name %s --json", engine,
             port, untrusted_root, rds_name);
    r = cli_run(cli_path, args);
    assert_int_equal(r.status, 11); /* 10 + cert_verify */
    json = cli_parse_one_object(r.out);
    free(r.out);
    assert_string_equal(cli_string_field(json, "error"), "cert_verify");
    assert_non_null(strstr(cli_string_field(json, "message"), "no root for us-east-1"));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(json, "anchor")));
    cJSON_Delete(json);
}
