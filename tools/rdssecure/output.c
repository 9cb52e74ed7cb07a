#define _GNU_SOURCE /* vasprintf */
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
        cli_eprintf("rdssecure: %s: %s (see 'rdssecure help')\n", rdss_error_name(RDSS_ERR_INVALID_ARGUMENT),
                    message);
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
        cli_eprintf("rdssecure: %s: %s\n", rdss_error_name(code), rdss_error_message(err));
    }
    return cli_exit_status(code);
}

/* Length of the valid UTF-8 sequence at s that is not a C1 control, or 0. */
static size_t printable_utf8(const unsigned char *s)
{
    size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (len == 2 && s[0] == 0xc2 && s[1] < 0xa0) /* U+0080..U+009F: C1 controls */
        return 0;
    if (len == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
        return 0; /* overlong, surrogate */
    if (len == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
        return 0;
    return len;
}

static int vprint_text(FILE *out, const char *fmt, va_list ap)
{
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0)
        return -1;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0';) {
        size_t len = *p < 0x80 ? 1 : printable_utf8(p);
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f || len == 0) {
            fprintf(out, "\\x%02x", *p);
            p++;
        } else {
            fwrite(p, 1, len, out);
            p += len;
        }
    }
    free(text);
    return 0;
}

int cli_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vprint_text(stdout, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized): va_start above */
    va_end(ap);
    return rc;
}

int cli_eprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vprint_text(stderr, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized): va_start above */
    va_end(ap);
    return rc;
}
