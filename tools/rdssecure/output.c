#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int cli_exit_status(rdss_code code)
{
    return code == RDSS_OK ? 0 : CLI_EXIT_BASE + (int)code;
}

void cli_print_json(cJSON *object)
{
    char *text = cJSON_PrintUnformatted(object);
    if (text != NULL) {
        puts(text);
        free(text);
    } else {
        puts("{\"error\":\"internal\",\"message\":\"cannot format JSON output\"}");
    }
    cJSON_Delete(object);
}

void cli_json_add_string(cJSON *object, const char *name, const char *value)
{
    if (value != NULL)
        cJSON_AddStringToObject(object, name, value);
    else
        cJSON_AddNullToObject(object, name);
}

int cli_usage_error(const cli_options *opts, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized): va_start above */
    va_end(ap);
    if (opts != NULL && opts->json) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "error", rdss_error_name(RDSS_ERR_INVALID_ARGUMENT));
        cJSON_AddBoolToObject(out, "usage", 1);
        cJSON_AddStringToObject(out, "message", message);
        cli_print_json(out);
    } else {
        fprintf(stderr, "rdssecure: %s\nTry 'rdssecure --help'.\n", message);
    }
    return CLI_EXIT_USAGE;
}

int cli_report_error(const cli_options *opts, const rdss_error *err)
{
    rdss_code code = rdss_error_code(err);
    if (opts->json) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "error", rdss_error_name(code));
        cJSON_AddStringToObject(out, "message", rdss_error_message(err));
        cli_json_add_string(out, "driver_message", rdss_error_driver_message(err));
        cli_print_json(out);
    } else {
        fprintf(stderr, "rdssecure: %s: %s\n", rdss_error_name(code), rdss_error_message(err));
    }
    return cli_exit_status(code);
}
