/* rdssecure bundle list|verify|regions|expiry [FILE] [--bundle FILE] [--proxy]
 * [--within DAYS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* [{"region", "key_types"}] sorted by region, key types in RDS's order. */
static cJSON *region_table(const rdss_bundle *bundle, cJSON *without)
{
    static const char *const key_order[] = {"RSA2048", "RSA4096", "ECC384"};
    size_t count = rdss_bundle_count(bundle), names = 0;
    const char **regions = calloc(count + 1, sizeof(char *));
    for (size_t i = 0; regions != NULL && i < count; i++) {
        const char *region = rdss_bundle_entry_region(bundle, i);
        int seen = region == NULL;
        for (size_t j = 0; j < names && !seen; j++)
            seen = strcmp(regions[j], region) == 0;
        if (!seen)
            regions[names++] = region;
        if (region == NULL)
            cJSON_AddItemToArray(without, cJSON_CreateString(or_dash(rdss_bundle_entry_subject_cn(bundle, i))));
    }
    if (regions != NULL)
        qsort(regions, names, sizeof(char *), by_name);
    cJSON *table = cJSON_CreateArray();
    for (size_t j = 0; j < names; j++) {
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddStringToObject(entry, "region", regions[j]);
        cJSON *types = cJSON_AddArrayToObject(entry, "key_types");
        for (size_t k = 0; k < sizeof(key_order) / sizeof(key_order[0]); k++) {
            int has = 0;
            for (size_t i = 0; i < count && !has; i++)
                has = rdss_bundle_entry_region(bundle, i) != NULL &&
                      strcmp(rdss_bundle_entry_region(bundle, i), regions[j]) == 0 &&
                      strcmp(or_dash(rdss_bundle_entry_key_type(bundle, i)), key_order[k]) == 0;
            if (has)
                cJSON_AddItemToArray(types, cJSON_CreateString(key_order[k]));
        }
        cJSON_AddItemToArray(table, entry);
    }
    free(regions);
    return table;
}

/* Which key types each region has a root of. */
static int regions(const rdss_bundle *bundle, const cli_options *opts)
{
    cJSON *without = cJSON_CreateArray();
    cJSON *table = region_table(bundle, without);
    if (opts->json) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "error", rdss_error_name(RDSS_OK));
        cJSON_AddStringToObject(out, "source", rdss_bundle_source(bundle));
        cJSON_AddNumberToObject(out, "region_count", cJSON_GetArraySize(table));
        cJSON_AddItemToObject(out, "regions", table);
        cJSON_AddItemToObject(out, "without_region", without);
        cli_print_json(out);
        return 0;
    }
    printf("%s: %d regions\n", rdss_bundle_source(bundle), cJSON_GetArraySize(table));
    const cJSON *entry, *item;
    cJSON_ArrayForEach(entry, table) {
        printf("  %-16s", cJSON_GetObjectItem(entry, "region")->valuestring);
        cJSON_ArrayForEach(item, cJSON_GetObjectItem(entry, "key_types")) printf(" %s", item->valuestring);
        printf("\n");
    }
    cJSON_ArrayForEach(item, without) printf("  (no region)      %s\n", item->valuestring);
    cJSON_Delete(table);
    cJSON_Delete(without);
    return 0;
}

/* Non-zero exit naming each certificate that expires within `days`. */
static int expiry(const rdss_bundle *bundle, long days, const cli_options *opts)
{
    size_t count = rdss_bundle_count(bundle);
    int64_t limit = (int64_t)time(NULL) + (int64_t)days * 86400;
    cJSON *expiring = cJSON_CreateArray();
    for (size_t i = 0; i < count; i++) {
        if (rdss_bundle_entry_not_after_unix(bundle, i) >= limit)
            continue;
        cJSON_AddItemToArray(expiring, entry_json(bundle, i));
        if (!opts->json)
            printf("EXPIRING  %s  not after %s (entry %zu, line %zu)\n",
                   or_dash(rdss_bundle_entry_subject_cn(bundle, i)),
                   or_dash(rdss_bundle_entry_not_after(bundle, i)), i + 1,
                   rdss_bundle_entry_line(bundle, i));
    }
    int found = cJSON_GetArraySize(expiring);
    rdss_code code = found == 0 ? RDSS_OK : RDSS_ERR_BUNDLE;
    char message[256];
    if (found == 0)
        snprintf(message, sizeof(message), "no certificate of %s expires within %ld days", rdss_bundle_source(bundle), days);
    else
        snprintf(message, sizeof(message), "%d of %zu certificates of %s expire within %ld days: get a newer bundle",
                 found, count, rdss_bundle_source(bundle), days);
    if (opts->json) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "error", rdss_error_name(code));
        cJSON_AddStringToObject(out, "message", message);
        cJSON_AddStringToObject(out, "source", rdss_bundle_source(bundle));
        cJSON_AddNumberToObject(out, "within_days", (double)days);
        cJSON_AddItemToObject(out, "expiring", expiring);
        cli_print_json(out);
    } else {
        cJSON_Delete(expiring);
        printf("%s: %s\n", found == 0 ? "OK" : "EXPIRING", message);
    }
    return cli_exit_status(code);
}

typedef struct bundle_args {
    const char *action, *file;
    int proxy;
    long within; /* -1 when not given */
} bundle_args;

static int parse(int argc, char **argv, bundle_args *args, const cli_options *opts)
{
    static const char *const actions[] = {"list", "verify", "regions", "expiry"};
    int known = 0;
    for (size_t i = 0; argc > 0 && i < sizeof(actions) / sizeof(actions[0]); i++)
        known |= strcmp(argv[0], actions[i]) == 0;
    if (!known)
        return cli_usage_error(opts, "bundle: expected 'list', 'verify', 'regions' or 'expiry'");
    args->action = argv[0];
    args->within = -1;
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--proxy") == 0) {
            args->proxy = 1;
        } else if (strcmp(argv[i], "--within") == 0 || strcmp(argv[i], "--bundle") == 0) {
            if (value == NULL)
                return cli_usage_error(opts, "bundle %s: %s needs a value", args->action, argv[i]);
            if (strcmp(argv[i], "--bundle") == 0 && args->file != NULL)
                return cli_usage_error(opts, "bundle %s: more than one FILE given", args->action);
            if (strcmp(argv[i], "--bundle") == 0) {
                args->file = value;
            } else {
                char *end = NULL;
                args->within = strtol(value, &end, 10);
                if (*value == '\0' || *end != '\0' || args->within < 0 || args->within > 36500)
                    return cli_usage_error(opts, "bundle %s: --within takes a number of days", args->action);
            }
            i++;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error(opts, "bundle %s: unknown option '%s'", args->action, argv[i]);
        } else if (args->file == NULL) {
            args->file = argv[i];
        } else {
            return cli_usage_error(opts, "bundle %s: more than one FILE given", args->action);
        }
    }
    if (args->file != NULL && args->proxy)
        return cli_usage_error(opts, "bundle %s: --proxy selects an embedded set; it does not "
                                     "go with FILE", args->action);
    if ((args->within >= 0) != (strcmp(args->action, "expiry") == 0))
        return cli_usage_error(opts, "bundle: --within DAYS goes with 'expiry', and only there");
    return 0;
}

int cmd_bundle(int argc, char **argv, const cli_options *opts)
{
    bundle_args args = {0};
    int status = parse(argc, argv, &args, opts);
    if (status != 0)
        return status;
    /* list and verify inspect the embedded set unless given FILE (the
     * contract); regions and expiry look at the active bundle, which
     * RDSSECURE_CA_BUNDLE may name. */
    const char *env = getenv("RDSSECURE_CA_BUNDLE");
    if (args.action == NULL) /* parse() set it when it returned 0 */
        return CLI_EXIT_USAGE;
    int active = strcmp(args.action, "regions") == 0 || strcmp(args.action, "expiry") == 0;
    if (args.file == NULL && active && !args.proxy && env != NULL && env[0] != '\0')
        args.file = env;
    rdss_bundle *bundle = NULL;
    rdss_error *err = NULL;
    rdss_code code = args.file != NULL
                         ? rdss_bundle_open_file(args.file, &bundle, &err)
                         : rdss_bundle_open_embedded(args.proxy ? RDSS_EMBEDDED_PROXY_ROOTS
                                                                : RDSS_EMBEDDED_RDS_ROOTS,
                                                     &bundle, &err);
    if (code != RDSS_OK) {
        status = cli_report_error(opts, err);
        rdss_error_free(err);
        return status;
    }
    if (strcmp(args.action, "list") == 0)
        status = list(bundle, opts);
    else if (strcmp(args.action, "verify") == 0)
        status = verify(bundle, opts);
    else if (strcmp(args.action, "regions") == 0)
        status = regions(bundle, opts);
    else
        status = expiry(bundle, args.within, opts);
    rdss_bundle_free(bundle);
    return status;
}
