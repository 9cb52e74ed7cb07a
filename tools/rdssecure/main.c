/* rdssecure: the command-line face of librdssecure. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#ifdef RDSSECURE_CLI_WITH_POSTGRES
#include <libpq-fe.h>
#endif
#ifdef RDSSECURE_CLI_WITH_MYSQL
#include <mysql.h>
#endif

#include "cli.h"

/* Each command's part of the help, printed alone by `rdssecure COMMAND
 * --help` and `rdssecure help COMMAND`, and together by `rdssecure --help`. */
typedef struct command_help {
    const char *name;
    const char *text;
} command_help;

static const command_help helps[] = {
    {"version", "  version                      print the library version, the edition of the RDS\n"
                "                               global bundle it embeds, and the OpenSSL, libpq and\n"
                "                               libmariadb versions in use (also -V, --version)\n"},
    {"connect", "  connect pg TARGET [options]  connect over verified TLS (TARGET: a libpq conninfo\n"
                "                               string or postgresql:// URI) and report it\n"
                "  connect mysql URI [options]  the same for MySQL/MariaDB (URI:\n"
                "                               mysql://user[:password]@host:port/database); without\n"
                "                               a password in the URI: --password-file, else\n"
                "                               MYSQL_PWD, else a prompt on a terminal\n"
                "      --bundle FILE            trust this on-disk bundle instead of the embedded one\n"
                "      --extra-ca FILE          trust these CAs as well\n"
                "      --rds-proxy              trust the embedded RDS Proxy roots as well\n"
                "      --timeout-ms N           deadline for the whole connect\n"
                "      --verify-name NAME       verify the certificate against NAME (tunnels)\n"
                "      --query SQL              run SQL once connected and print the rows\n"
                "      --password-file FILE     (mysql) the password: the file's first line\n"},
    {"probe", "  probe pg|mysql HOST[:PORT] [--bundle FILE] [--extra-ca FILE] [--rds-proxy]\n"
              "        [--verify-name NAME] [--timeout-ms N]\n"
              "                               TLS handshake and verification, no credentials: the\n"
              "                               chain, its anchor and RDS CA family, days to expiry\n"},
    {"audit", "  audit pg|mysql TARGET [options] [--require-enforced]\n"
              "                               connect as 'connect' does, then report whether the\n"
              "                               server itself refuses clients without TLS\n"
              "                               (\"enforced\": yes, no or unknown) and its view of\n"
              "                               the session's TLS; --require-enforced: exit 3 unless\n"
              "                               the answer is yes (a CI gate); options: those of\n"
              "                               connect but --query (--bundle, --extra-ca,\n"
              "                               --rds-proxy, --timeout-ms, --verify-name,\n"
              "                               --password-file)\n"},
    {"bundle", "  bundle list [FILE] [--proxy] list the certificates of the embedded RDS bundle\n"
               "                               (--proxy: the embedded RDS Proxy roots), or of FILE,\n"
               "                               with its SHA-256 and the official edition it is\n"
               "  bundle regions [FILE]        the regions the active bundle (FILE, --bundle FILE,\n"
               "                               RDSSECURE_CA_BUNDLE or the embedded one) has roots\n"
               "                               for: how many, of which key types\n"
               "  bundle expiry --within DAYS [FILE]\n"
               "                               exits non-zero naming each certificate of the active\n"
               "                               bundle that expires within DAYS\n"
               "  bundle verify [FILE] [--proxy]\n"
               "                               check every certificate of the active bundle is a\n"
               "                               valid CA root; exits non-zero naming each bad one\n"},
};

static void print_exit_statuses(void)
{
    printf("Exit status:\n"
           "  0   ok\n"
           "  2   usage error\n"
           "  3   audit --require-enforced: the server does not enforce TLS (or cannot say)\n");
    for (int code = RDSS_OK + 1; code <= RDSS_CODE_MAX; code++)
        printf("  %-3d %s\n", cli_exit_status((rdss_code)code), rdss_error_name(code));
}

static int known_command(const char *command)
{
    for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
        if (strcmp(helps[i].name, command) == 0)
            return 1;
    return 0;
}

/* The help of `command`, or of every command when it is NULL or unknown. */
static void print_help(const char *command)
{
    for (size_t i = 0; command != NULL && i < sizeof(helps) / sizeof(helps[0]); i++) {
        if (strcmp(helps[i].name, command) == 0) {
            printf("Usage:\n%s\n  --json                       print exactly one JSON object on stdout\n\n",
                   helps[i].text);
            print_exit_statuses();
            return;
        }
    }
    printf("Usage: rdssecure COMMAND [ARGS] [--json]\n\nCommands:\n");
    for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
        fputs(helps[i].text, stdout);
    printf("  help [COMMAND]               this help, or COMMAND's\n"
           "\n"
           "Options:\n"
           "  --json        print exactly one JSON object on stdout\n"
           "  -h, --help    this help (after a command: that command's)\n"
           "  -V, --version the version\n"
           "\n"
           "Environment:\n"
           "  RDSSECURE_CA_BUNDLE  an on-disk bundle used instead of the embedded one\n"
           "                       by connects whose caller set none\n"
           "  MYSQL_PWD            connect/audit mysql: the password when the URI has none\n"
           "                       (and no --password-file)\n"
           "\n");
    print_exit_statuses();
}

/* The versions of the libraries this process runs with (not those it was
 * built against); NULL for a driver the build left out. */
static void dependency_versions(char *libpq, size_t libpq_size, const char **libmariadb)
{
    libpq[0] = '\0';
    *libmariadb = NULL;
#ifdef RDSSECURE_CLI_WITH_POSTGRES
    int v = PQlibVersion(); /* 150010: 15.10 */
    snprintf(libpq, libpq_size, "%d.%d", v / 10000, v % 10000);
#else
    (void)libpq_size;
#endif
#ifdef RDSSECURE_CLI_WITH_MYSQL
    *libmariadb = mysql_get_client_info();
#endif
}

static int cmd_version(const cli_options *opts)
{
    char libpq[32];
    const char *libmariadb = NULL;
    dependency_versions(libpq, sizeof(libpq), &libmariadb);
    const char *openssl = OpenSSL_version(OPENSSL_VERSION);
    if (opts->json) {
        char header[32];
        snprintf(header, sizeof(header), "%d.%d.%d", RDSSECURE_VERSION_MAJOR,
                 RDSSECURE_VERSION_MINOR, RDSSECURE_VERSION_PATCH);
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "error", rdss_error_name(RDSS_OK));
        cJSON_AddStringToObject(out, "version", rdss_version());
        cJSON_AddStringToObject(out, "header_version", header);
        cJSON *bundle = cJSON_AddObjectToObject(out, "embedded_edition");
        cJSON_AddStringToObject(bundle, "date", rdss_embedded_edition());
        cJSON_AddStringToObject(bundle, "sha256", rdss_embedded_edition_sha256());
        cli_json_add_string(out, "openssl", openssl);
        cli_json_add_string(out, "libpq", libpq[0] ? libpq : NULL);
        cli_json_add_string(out, "libmariadb", libmariadb);
        cli_print_json(out);
    } else {
        printf("rdssecure %s\n", rdss_version());
        printf("embedded RDS global bundle: edition %s, SHA-256 %s\n", rdss_embedded_edition(),
               rdss_embedded_edition_sha256());
        printf("running with %s, libpq %s, libmariadb %s\n", openssl, libpq[0] ? libpq : "(not built)",
               libmariadb ? libmariadb : "(not built)");
    }
    return 0;
}

int main(int argc, char **argv)
{
    cli_options opts = {0};
    /* --json and --help may stand anywhere; the rest is positional. */
    char *args[256];
    int count = 0;
    int help = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            opts.json = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            help = 1;
        else if (count < (int)(sizeof(args) / sizeof(args[0])))
            args[count++] = argv[i];
        else
            return cli_usage_error(&opts, "too many arguments");
    }
    if (help) {
        print_help(count > 0 ? args[0] : NULL);
        return 0;
    }
    if (count == 0)
        return cli_usage_error(&opts, "no command given");
    if (strcmp(args[0], "help") == 0) {
        if (count > 2)
            return cli_usage_error(&opts, "help takes at most one command");
        if (count == 2 && !known_command(args[1]))
            return cli_usage_error(&opts, "help: unknown command '%s'", args[1]);
        print_help(count == 2 ? args[1] : NULL);
        return 0;
    }
    if (strcmp(args[0], "version") == 0 || strcmp(args[0], "--version") == 0 || strcmp(args[0], "-V") == 0) {
        if (count > 1)
            return cli_usage_error(&opts, "version takes no arguments");
        return cmd_version(&opts);
    }
    if (strcmp(args[0], "bundle") == 0)
        return cmd_bundle(count - 1, args + 1, &opts);
    if (strcmp(args[0], "connect") == 0)
        return cmd_connect(count - 1, args + 1, &opts);
    if (strcmp(args[0], "probe") == 0)
        return cmd_probe(count - 1, args + 1, &opts);
    if (strcmp(args[0], "audit") == 0)
        return cmd_audit(count - 1, args + 1, &opts);
    return cli_usage_error(&opts, "unknown command '%s'", args[0]);
}
