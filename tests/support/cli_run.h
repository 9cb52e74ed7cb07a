/* Running the rdssecure CLI from tests and reading its JSON. */
#ifndef RDSS_TEST_CLI_RUN_H
#define RDSS_TEST_CLI_RUN_H

#include <cjson/cJSON.h>

typedef struct run_result {
    int status;
    char *out; /* stdout, malloc'd */
} run_result;

/* Runs `rdssecure <args>` (args is a shell word list), capturing stdout. */
run_result cli_run(const char *cli_path, const char *args);

/* Exactly one JSON object, ending the output; the test fails otherwise. */
cJSON *cli_parse_one_object(const char *out);

/* A string field, or NULL when absent or not a string. */
const char *cli_string_field(const cJSON *json, const char *name);

/* The CONTRACT's fields of a successful `connect --query 'SELECT 40 + 2'`
 * against a test-PKI server at host:port; the test fails otherwise. */
void cli_assert_connect_report(const cJSON *json, const char *host, int port);

/* `rdssecure probe ENGINE 127.0.0.1:PORT` against a test-PKI server: with
 * the test root, the whole report; with the untrusted root, cert_verify
 * naming the missing region. The test fails otherwise. */
void cli_check_probe(const char *cli_path, const char *engine, int port, const char *root,
                     const char *untrusted_root);

#endif
