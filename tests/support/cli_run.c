#include "cli_run.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
