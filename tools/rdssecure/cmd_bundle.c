/* rdssecure bundle list|verify [FILE] [--proxy] */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static cJSON *entry_json(const rdss_bundle *bundle, size_t i)
{
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddNumberToObject(entry, "index", (double)(i + 1));
    cJSON_AddNumberToObject(entry, "line", (double)rdss_bundle_entry_line(bundle, i));
    cli_json_add_string(entry, "subject_cn", rdss_bundle_entry_subject_cn(bundle, i));
    cli_json_add_string(entry, "sha256", rdss_bundle_entry_sha256(bundle, i));
    cli_json_add_string(entry, "not_before", rdss_bundle_entry_not_before(bundle, i));
    cli_json_add_string(entry, "not_after", rdss_bundle_entry_not_after(bundle, i));
    cli_json_add_string(entry, "region", rdss_bundle_entry_region(bundle, i));
    cli_json_add_string(entry, "key_type", rdss_bundle_entry_key_type(bundle, i));
    cli_json_add_string(entry, "problem", rdss_bundle_entry_problem(bundle, i));
    return entry;
}

static const char *or_dash(const char *text)
{
    return text != NULL ? text : "-";
}

static int list(const rdss_bundle *bundle, const cli_options *opts)
{
    size_t count = rdss_bundle_count(bundle);
    if (opts->json) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "error", rdss_error_name(RDSS_OK));
        cJSON_AddStringToObject(out, "source", rdss_bundle_source(bundle));
        cJSON_AddNumberToObject(out, "count", (double)count);
        cJSON *entries = cJSON_AddArrayToObject(out, "certificates");
        for (size_t i = 0; i < count; i++)
            cJSON_AddItemToArray(entries, entry_json(bundle, i));
        cli_print_json(out);
        return 0;
    }
    printf("%s: %zu certificates\n", rdss_bundle_source(bundle), count);
    for (size_t i = 0; i < count; i++) {
        const char *problem = rdss_bundle_entry_problem(bundle, i);
        printf("%3zu  %-50s  %s  %s  %-14s%s%s\n", i + 1,
               or_dash(rdss_bundle_entry_subject_cn(bundle, i)),
               or_dash(rdss_bundle_entry_sha256(bundle, i)),
               or_dash(rdss_bundle_entry_not_after(bundle, i)),
               or_dash(rdss_bundle_entry_region(bundle, i)), problem ? "  PROBLEM: " : "",
               problem ? problem : "");
    }
    return 0;
}

static int verify(const rdss_bundle *bundle, const cli_options *opts)
{
    size_t count = rdss_bundle_count(bundle);
    size_t bad = 0;
    cJSON *out = cJSON_CreateObject();
    cJSON *bad_entries = cJSON_CreateArray();
    for (size_t i = 0; i < count; i++) {
        const char *problem = rdss_bundle_entry_problem(bundle, i);
        if (problem == NULL)
            continue;
        bad++;
        cJSON_AddItemToArray(bad_entries, entry_json(bundle, i));
        if (!opts->json)
            printf("BAD  entry %zu (line %zu) %s: %s\n", i + 1, rdss_bundle_entry_line(bundle, i),
                   or_dash(rdss_bundle_entry_subject_cn(bundle, i)), problem);
    }
    rdss_code code = bad == 0 ? RDSS_OK : RDSS_ERR_BUNDLE;
    char message[256];
    if (bad == 0)
        snprintf(message, sizeof(message), "all %zu certificates of %s are valid CA roots", count,
                 rdss_bundle_source(bundle));
    else
        snprintf(message, sizeof(message), "%zu of %zu certificates of %s are not valid CA roots",
                 bad, count, rdss_bundle_source(bundle));
    if (opts->json) {
        cJSON_AddStringToObject(out, "error", rdss_error_name(code));
        cJSON_AddStringToObject(out, "message", message);
        cJSON_AddStringToObject(out, "source", rdss_bundle_source(bundle));
        cJSON_AddNumberToObject(out, "count", (double)count);
        cJSON_AddNumberToObject(out, "good", (double)(count - bad));
        cJSON_AddItemToObject(out, "bad", bad_entries);
        cli_print_json(out);
    } else {
        cJSON_Delete(bad_entries);
        cJSON_Delete(out);
        printf("%s: %s\n", bad == 0 ? "OK" : "FAILED", message);
    }
    return cli_exit_status(code);
}

int cmd_bundle(int argc, char **argv, const cli_options *opts)
{
    if (argc < 1)
        return cli_usage_error(opts, "bundle: expected 'list' or 'verify'");
    const char *action = argv[0];
    if (strcmp(action, "list") != 0 && strcmp(action, "verify") != 0)
        return cli_usage_error(opts, "bundle: unknown action '%s' (expected 'list' or 'verify')",
                               action);
    const char *file = NULL;
    int proxy = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--proxy") == 0)
            proxy = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage_error(opts, "bundle %s: unknown option '%s'", action, argv[i]);
        else if (file == NULL)
            file = argv[i];
        else
            return cli_usage_error(opts, "bundle %s: more than one FILE given", action);
    }
    if (file != NULL && proxy)
        return cli_usage_error(opts, "bundle %s: --proxy selects an embedded set; it does not "
                                     "go with FILE", action);
    rdss_bundle *bundle = NULL;
    rdss_error *err = NULL;
    rdss_code code = file != NULL
                         ? rdss_bundle_open_file(file, &bundle, &err)
                         : rdss_bundle_open_embedded(proxy ? RDSS_EMBEDDED_PROXY_ROOTS
                                                           : RDSS_EMBEDDED_RDS_ROOTS,
                                                     &bundle, &err);
    if (code != RDSS_OK) {
        int status = cli_report_error(opts, err);
        rdss_error_free(err);
        return status;
    }
    int status = strcmp(action, "list") == 0 ? list(bundle, opts) : verify(bundle, opts);
    rdss_bundle_free(bundle);
    return status;
}
