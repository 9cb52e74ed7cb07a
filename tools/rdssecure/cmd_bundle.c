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
    cli_json_add_string(entry, "stage", rdss_bundle_entry_stage(bundle, i));
    cli_json_add_string(entry, "key_type", rdss_bundle_entry_key_type(bundle, i));
    cli_json_add_string(entry, "problem", rdss_bundle_entry_problem(bundle, i));
    return entry;
}

static const char *or_dash(const char *text)
{
    return text != NULL ? text : "-";
}

/* What every bundle subcommand says about the source it read: its SHA-256,
 * which official edition it is, and the edition the library embeds. */
static void add_source_json(cJSON *out, const rdss_bundle *bundle)
{
    cJSON_AddStringToObject(out, "source", rdss_bundle_source(bundle));
    cli_json_add_string(out, "sha256", rdss_bundle_sha256(bundle));
    cli_json_add_string(out, "edition", rdss_bundle_edition(bundle));
    cJSON *embedded = cJSON_AddObjectToObject(out, "embedded_edition");
    cJSON_AddStringToObject(embedded, "date", rdss_embedded_edition());
    cJSON_AddStringToObject(embedded, "sha256", rdss_embedded_edition_sha256());
}

static void print_source(const rdss_bundle *bundle)
{
    const char *edition = rdss_bundle_edition(bundle);
    cli_printf("%s: SHA-256 %s\n", rdss_bundle_source(bundle), or_dash(rdss_bundle_sha256(bundle)));
    if (edition != NULL)
        cli_printf("edition %s of the official RDS global bundle", edition);
    else if (strcmp(rdss_bundle_source(bundle), "embedded-proxy") == 0)
        cli_printf("the roots RDS Proxy endpoints chain to, not part of the RDS global bundle");
    else
        cli_printf("not a known edition of the official RDS global bundle");
    if (edition == NULL || strcmp(edition, rdss_embedded_edition()) != 0)
        cli_printf("; the library embeds edition %s (SHA-256 %s)", rdss_embedded_edition(),
               rdss_embedded_edition_sha256());
    cli_printf("\n");
}

static int list(const rdss_bundle *bundle, const cli_options *opts)
{
    size_t count = rdss_bundle_count(bundle);
    if (opts->json) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "error", rdss_error_name(RDSS_OK));
        add_source_json(out, bundle);
        cJSON_AddNumberToObject(out, "count", (double)count);
        cJSON *entries = cJSON_AddArrayToObject(out, "certificates");
        for (size_t i = 0; i < count; i++)
            cJSON_AddItemToArray(entries, entry_json(bundle, i));
        cli_print_json(out);
        return 0;
    }
    print_source(bundle);
    cli_printf("%zu certificates\n", count);
    for (size_t i = 0; i < count; i++) {
        const char *problem = rdss_bundle_entry_problem(bundle, i);
        cli_printf("%3zu  %-50s  %s  %s  %-14s%s%s\n", i + 1,
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
    if (!opts->json)
        print_source(bundle);
    for (size_t i = 0; i < count; i++) {
        const char *problem = rdss_bundle_entry_problem(bundle, i);
        if (problem == NULL)
            continue;
        bad++;
        cJSON_AddItemToArray(bad_entries, entry_json(bundle, i));
        if (!opts->json)
            cli_printf("BAD  entry %zu (line %zu) %s: %s\n", i + 1, rdss_bundle_entry_line(bundle, i),
                   or_dash(rdss_bundle_entry_subject_cn(bundle, i)), problem);
    }
    rdss_code code = bad == 0 ? RDSS_OK : RDSS_ERR_BUNDLE;
    char message[4096 + 256]; /* a path (PATH_MAX) and the verdict: never cut mid-character */
    if (bad == 0)
        snprintf(message, sizeof(message), "all %zu certificates of %s are valid CA roots", count,
                 rdss_bundle_source(bundle));
    else
        snprintf(message, sizeof(message), "%zu of %zu certificates of %s are not valid CA roots",
                 bad, count, rdss_bundle_source(bundle));
    if (opts->json) {
        cJSON_AddStringToObject(out, "error", rdss_error_name(code));
        cJSON_AddStringToObject(out, "message", message);
        add_source_json(out, bundle);
        cJSON_AddNumberToObject(out, "count", (double)count);
        cJSON_AddNumberToObject(out, "good", (double)(count - bad));
        cJSON_AddItemToObject(out, "bad", bad_entries);
        cli_print_json(out);
    } else {
        cJSON_Delete(bad_entries);
        cJSON_Delete(out);
        cli_printf("%s: %s\n", bad == 0 ? "OK" : "FAILED", message);
    }
    return cli_exit_status(code);
}

/* "us-east-1", or "us-east-1 (Beta)" for the roots of an RDS stage; NULL
 * when the entry names no region. */
static int region_name(const rdss_bundle *bundle, size_t i, char *out, size_t size)
{
    const char *region = rdss_bundle_entry_region(bundle, i);
    const char *stage = rdss_bundle_entry_stage(bundle, i);
    if (region == NULL)
        return 0;
    if (stage != NULL)
        snprintf(out, size, "%s (%s)", region, stage);
    else
        snprintf(out, size, "%s", region);
    return 1;
}

/* RDS's order: RSA2048, RSA4096, ECC384, then anything else. */
static int key_type_rank(const char *type)
{
    static const char *const order[] = {"RSA2048", "RSA4096", "ECC384"};
    for (int i = 0; i < 3; i++)
        if (strcmp(type, order[i]) == 0)
            return i;
    return 3;
}

typedef struct region_row {
    char name[64]; /* region_name() */
    size_t first;  /* an entry of the row, for its region and stage */
    int roots;
} region_row;

static int by_row_name(const void *a, const void *b)
{
    return strcmp(((const region_row *)a)->name, ((const region_row *)b)->name);
}

/* The key types of the entries named `name`, in RDS's order. */
static cJSON *key_types_of(const rdss_bundle *bundle, const char *name)
{
    cJSON *types = cJSON_CreateArray();
    for (int rank = 0; rank <= 3; rank++) {
        for (size_t i = 0; i < rdss_bundle_count(bundle); i++) {
            char entry_name[64];
            const char *type = or_dash(rdss_bundle_entry_key_type(bundle, i));
            if (region_name(bundle, i, entry_name, sizeof(entry_name)) &&
                strcmp(entry_name, name) == 0 && key_type_rank(type) == rank)
                cJSON_AddItemToArray(types, cJSON_CreateString(type));
        }
    }
    return types;
}

/* [{"name", "region", "stage", "roots", "key_types"}] sorted by name, one row
 * per region and stage (the Beta and Preview roots name a region too); the
 * entries without a region go to `without`. */
static cJSON *region_table(const rdss_bundle *bundle, cJSON *without)
{
    size_t count = rdss_bundle_count(bundle), used = 0;
    region_row *rows = calloc(count + 1, sizeof(*rows));
    for (size_t i = 0; rows != NULL && i < count; i++) {
        char name[64];
        if (!region_name(bundle, i, name, sizeof(name))) {
            cJSON_AddItemToArray(without, cJSON_CreateString(or_dash(rdss_bundle_entry_subject_cn(bundle, i))));
            continue;
        }
        size_t r = 0;
        while (r < used && strcmp(rows[r].name, name) != 0)
            r++;
        if (r == used) {
            snprintf(rows[r].name, sizeof(rows[r].name), "%s", name);
            rows[r].first = i;
            used++;
        }
        rows[r].roots++;
    }
    cJSON *table = cJSON_CreateArray();
    if (rows != NULL)
        qsort(rows, used, sizeof(*rows), by_row_name);
    for (size_t r = 0; r < used; r++) {
        cJSON *row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "name", rows[r].name);
        cli_json_add_string(row, "region", rdss_bundle_entry_region(bundle, rows[r].first));
        cli_json_add_string(row, "stage", rdss_bundle_entry_stage(bundle, rows[r].first));
        cJSON_AddNumberToObject(row, "roots", rows[r].roots);
        cJSON_AddItemToObject(row, "key_types", key_types_of(bundle, rows[r].name));
        cJSON_AddItemToArray(table, row);
    }
    free(rows);
    return table;
}

/* Which regions (and RDS stages) the bundle has roots for, of which types. */
static int regions(const rdss_bundle *bundle, const cli_options *opts)
{
    cJSON *without = cJSON_CreateArray();
    cJSON *table = region_table(bundle, without);
    size_t problems = 0; /* a coverage table of an unusable bundle must say so */
    for (size_t i = 0; i < rdss_bundle_count(bundle); i++)
        problems += rdss_bundle_entry_problem(bundle, i) != NULL;
    if (opts->json) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "error", rdss_error_name(RDSS_OK));
        add_source_json(out, bundle);
        cJSON_AddNumberToObject(out, "region_count", cJSON_GetArraySize(table));
        cJSON_AddNumberToObject(out, "problems", (double)problems);
        cJSON_AddItemToObject(out, "regions", table);
        cJSON_AddItemToObject(out, "without_region", without);
        cli_print_json(out);
        return 0;
    }
    print_source(bundle);
    int names = cJSON_GetArraySize(table), stages = 0;
    const cJSON *row, *item;
    cJSON_ArrayForEach(row, table) stages += !cJSON_IsNull(cJSON_GetObjectItem(row, "stage"));
    cli_printf("%d region%s", names - stages, names - stages == 1 ? "" : "s");
    if (stages > 0)
        cli_printf(", and %d RDS stage%s (Beta, Preview): %d names", stages, stages == 1 ? "" : "s", names);
    cli_printf("\n");
    cJSON_ArrayForEach(row, table) {
        int roots = cJSON_GetObjectItem(row, "roots")->valueint;
        cli_printf("  %-22s %d root%s:", cJSON_GetObjectItem(row, "name")->valuestring, roots,
               roots == 1 ? " " : "s");
        cJSON_ArrayForEach(item, cJSON_GetObjectItem(row, "key_types")) cli_printf(" %s", item->valuestring);
        cli_printf("\n");
    }
    cJSON_ArrayForEach(item, without) cli_printf("  (no region)            %s\n", item->valuestring);
    if (problems > 0)
        cli_printf("WARNING: %zu certificate%s of %s cannot serve as trust anchors: `rdssecure bundle "
               "verify` names them, and connects refuse the bundle\n",
               problems, problems == 1 ? "" : "s", rdss_bundle_source(bundle));
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
    if (!opts->json)
        print_source(bundle);
    for (size_t i = 0; i < count; i++) {
        if (rdss_bundle_entry_not_after_unix(bundle, i) >= limit)
            continue;
        cJSON_AddItemToArray(expiring, entry_json(bundle, i));
        if (!opts->json)
            cli_printf("EXPIRING  %s  not after %s (entry %zu, line %zu)\n",
                   or_dash(rdss_bundle_entry_subject_cn(bundle, i)),
                   or_dash(rdss_bundle_entry_not_after(bundle, i)), i + 1,
                   rdss_bundle_entry_line(bundle, i));
    }
    int found = cJSON_GetArraySize(expiring);
    rdss_code code = found == 0 ? RDSS_OK : RDSS_ERR_BUNDLE;
    char message[4096 + 256]; /* a path (PATH_MAX) and the verdict: never cut mid-character */
    if (found == 0)
        snprintf(message, sizeof(message), "no certificate of %s expires within %ld days", rdss_bundle_source(bundle), days);
    else
        snprintf(message, sizeof(message), "%d of %zu certificates of %s expire within %ld days: get a newer bundle",
                 found, count, rdss_bundle_source(bundle), days);
    if (opts->json) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "error", rdss_error_name(code));
        cJSON_AddStringToObject(out, "message", message);
        add_source_json(out, bundle);
        cJSON_AddNumberToObject(out, "within_days", (double)days);
        cJSON_AddItemToObject(out, "expiring", expiring);
        cli_print_json(out);
    } else {
        cJSON_Delete(expiring);
        cli_printf("%s: %s\n", found == 0 ? "OK" : "EXPIRING", message);
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
    if (strcmp(args->action, "expiry") == 0 && args->within < 0)
        return cli_usage_error(opts, "bundle expiry: needs --within DAYS (the horizon to check)");
    if (strcmp(args->action, "expiry") != 0 && args->within >= 0)
        return cli_usage_error(opts, "bundle %s: --within DAYS goes with 'expiry' only", args->action);
    return 0;
}

int cmd_bundle(int argc, char **argv, const cli_options *opts)
{
    bundle_args args = {0};
    int status = parse(argc, argv, &args, opts);
    if (status != 0)
        return status;
    /* list inspects the embedded set unless given FILE; verify, regions and
     * expiry look at the active bundle, the one connects use, which
     * RDSSECURE_CA_BUNDLE may name. */
    const char *env = getenv("RDSSECURE_CA_BUNDLE");
    if (args.action == NULL) /* parse() set it when it returned 0 */
        return CLI_EXIT_USAGE;
    int active = strcmp(args.action, "list") != 0;
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
