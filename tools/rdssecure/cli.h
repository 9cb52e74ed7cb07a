/* Shared pieces of the rdssecure command-line tool. */
#ifndef RDSSECURE_CLI_H
#define RDSSECURE_CLI_H

#include <cjson/cJSON.h>
#include <rdssecure/rdssecure.h>

#define CLI_EXIT_USAGE 2
/* audit --require-enforced: connected and verified, but the server does not
 * refuse clients without TLS (or cannot say). */
#define CLI_EXIT_NOT_ENFORCED 3
/* A typed error exits with CLI_EXIT_BASE + its code (11 to 21). */
#define CLI_EXIT_BASE 10

/* Options every subcommand shares. */
typedef struct cli_options {
    int json;
} cli_options;

/* The exit status for a typed result. */
int cli_exit_status(rdss_code code);

/* Report a usage error (JSON on stdout with --json, text on stderr) and
 * return CLI_EXIT_USAGE. */
int cli_usage_error(const cli_options *opts, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Report a failed library call: JSON {"error", "message", ...} or text on
 * stderr. Returns the exit status for its code. */
int cli_report_error(const cli_options *opts, const rdss_error *err);

/* printf to stdout / stderr for a terminal: strings from outside (names in
 * certificates, server messages, file names, query results) cannot move the
 * cursor or rewrite what was printed. Control characters other than newline
 * and tab, DEL, C1 controls and invalid UTF-8 are written as \xNN. Every
 * text-mode line goes through these. */
int cli_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_eprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print a JSON object on stdout, one line, and free it. */
void cli_print_json(cJSON *object);

/* cJSON helpers that add a string field, or null when value is NULL. */
void cli_json_add_string(cJSON *object, const char *name, const char *value);

int cmd_bundle(int argc, char **argv, const cli_options *opts);
int cmd_connect(int argc, char **argv, const cli_options *opts);
int cmd_probe(int argc, char **argv, const cli_options *opts);
int cmd_audit(int argc, char **argv, const cli_options *opts);

#endif
