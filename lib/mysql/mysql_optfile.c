#define _GNU_SOURCE /* strcasestr */
#include "mysql/mysql_optfile.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/ssl.h>

#include "core/error.h"
#include "policy/option_table.h"

/* libmariadb's limits: lines are read in pieces of 4094 bytes, includes
 * nest at most 64 deep. */
#define LINE_MAX_BYTES 4095
#define RECURSION_MAX 64
#define FILE_MAX_BYTES (1L << 20)
#define FILES_MAX 256

typedef struct reader {
    unsigned files; /* opened so far: a file that !includes itself twice
                       would otherwise be read 2^64 times */
    const char *group;
    FILE *out; /* the sanitized copy */
    rdss__mysql_options *result;
    rdss_code code;
    rdss_error **err;
} reader;

static void read_any(reader *r, const char *dir, const char *file, unsigned recursion);

int rdss__mysql_tls_versions_ok(const char *list)
{
    if (list == NULL)
        return 0;
    /* libmariadb looks for these words anywhere in the list */
    static const char *const weak[] = {"TLSv1.0", "TLSv1.1", "SSLv3"};
    for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++)
        if (strcasestr(list, weak[i]) != NULL)
            return 0;
    int named = strcasestr(list, "TLSv1.2") != NULL || strcasestr(list, "TLSv1.3") != NULL;
    /* a bare "TLSv1" would mean 1.0 */
    for (const char *p = strcasestr(list, "TLSv1"); p != NULL; p = strcasestr(p + 5, "TLSv1"))
        if (p[5] != '.')
            return 0;
    return named;
}

int rdss__mysql_cipher_list_ok(const char *list)
{
    if (list == NULL || list[0] == '\0')
        return 0;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    int ok = ctx != NULL && SSL_CTX_set_cipher_list(ctx, list) == 1;
    STACK_OF(SSL_CIPHER) *ciphers = ok ? SSL_CTX_get_ciphers(ctx) : NULL;
    for (int i = 0; ok && i < sk_SSL_CIPHER_num(ciphers); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(ciphers, i);
        ok = SSL_CIPHER_get_auth_nid(c) != NID_auth_null && SSL_CIPHER_get_cipher_nid(c) != NID_undef;
    }
    SSL_CTX_free(ctx);
    return ok;
}

/* libmariadb reads booleans with atoi: "ON" and "true" are 0 there. */
static int is_off(const char *value)
{
    return value == NULL || atoi(value) == 0;
}

typedef enum verdict { KEEP, DROP, REFUSE } verdict;

static int is_key_file(const char *key)
{
    return strcasecmp(key, "ssl-cert") == 0 || strcasecmp(key, "ssl-key") == 0 ||
           strcasecmp(key, "tls-cert") == 0 || strcasecmp(key, "tls-key") == 0;
}

int rdss__mysql_file_ok(const char *path)
{
    struct stat st;
    return path == NULL || path[0] == '\0' || stat(path, &st) != 0 || S_ISREG(st.st_mode);
}

/* What becomes of one setting, by the option table (lib/option_table.c):
 * refused keys are refused, forced ones are dropped from the copy (the
 * library sets them) unless their value asks for less, checked ones are
 * checked, and keys libmariadb does not know are left out. *why says what
 * a refused one would do. */
static verdict judge(const char *key, const char *value, const char **why)
{
    const rdss__option *o = rdss__option_find(RDSS__OPTIONS_MARIADB_FILE, key);
    if (o == NULL)
        return DROP;
    *why = o->why;
    switch (o->rule) {
    case RDSS__OPTION_ALLOWED:
        if (is_key_file(key) && !rdss__mysql_file_ok(value)) {
            *why = "a client certificate or key must be a regular file (libmariadb opens it "
                   "blocking: a FIFO would hang the connect)";
            return REFUSE;
        }
        return KEEP;
    case RDSS__OPTION_REFUSED:
        return REFUSE;
    case RDSS__OPTION_FORCED:
        /* "ssl-verify-server-cert=0" and the like ask for less than we force */
        if (strcasecmp(key, "reconnect") != 0 && strcasecmp(key, "socket") != 0 &&
            strcasecmp(key, "unix-socket") != 0 && strcasecmp(key, "pipe") != 0 &&
            strcasecmp(key, "shared-memory-base-name") != 0 && is_off(value))
            return REFUSE;
        return DROP;
    case RDSS__OPTION_CHECKED:
        break;
    }
    if (strcasecmp(key, "ssl") == 0)
        return value == NULL || !is_off(value) || strcasecmp(value, "on") == 0 ||
                       strcasecmp(value, "true") == 0
                   ? DROP
                   : REFUSE;
    if (strcasecmp(key, "ssl-mode") == 0) {
        static const char *const strong[] = {"REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"};
        for (size_t i = 0; value != NULL && i < sizeof(strong) / sizeof(strong[0]); i++)
            if (strcasecmp(value, strong[i]) == 0)
                return DROP;
        return REFUSE;
    }
    if (strcasecmp(key, "ssl-cipher") == 0 || strcasecmp(key, "tls-cipher") == 0)
        return rdss__mysql_cipher_list_ok(value) ? KEEP : REFUSE;
    if (strcasecmp(key, "tls-version") == 0)
        return rdss__mysql_tls_versions_ok(value) ? KEEP : REFUSE;
    if (strcasecmp(key, "protocol") == 0)
        return value != NULL && (atoi(value) == 1 || strcasecmp(value, "tcp") == 0) ? DROP : REFUSE;
    /* host and servername: checked with the host the caller passed */
    return KEEP;
}

/* Writes value so that libmariadb's reader gives back exactly value. */
static void write_quoted(FILE *out, const char *value)
{
    fputc('"', out);
    for (const char *c = value; *c; c++) {
        switch (*c) {
        case '\\': fputs("\\\\", out); break;
        case '"': fputs("\\\"", out); break;
        case '\n': fputs("\\n", out); break;
        case '\t': fputs("\\t", out); break;
        case '\r': fputs("\\r", out); break;
        case '\b': fputs("\\b", out); break;
        default: fputc(*c, out);
        }
    }
    fputc('"', out);
}

static void take(reader *r, const char *file, char *key, const char *value)
{
    if (r->code != RDSS_OK)
        return;
    for (char *c = key; *c; c++) /* libmariadb reads ssl_ca as ssl-ca */
        if (*c == '_')
            *c = '-';
    const char *why = "";
    switch (judge(key, value, &why)) {
    case REFUSE:
        r->code = rdss__fail(r->err, RDSS_ERR_INSECURE_OPTION,
                             "option file %s sets \"%s%s%s\", which librdssecure refuses: %s; "
                             "remove that line (TLS with a verified certificate and host name is "
                             "always on)",
                             file, key, value ? "=" : "", value ? value : "", why);
        return;
    case DROP:
        return;
    case KEEP:
        break;
    }
    if ((strcmp(key, "host") == 0 || strcmp(key, "servername") == 0) && value != NULL) {
        free(r->result->host);
        r->result->host = value[0] ? strdup(value) : NULL;
    } else if (strcmp(key, "port") == 0) {
        r->result->port = value ? atoi(value) : 0;
    }
    fputs(key, r->out);
    if (value != NULL) {
        fputc('=', r->out);
        write_quoted(r->out, value);
    }
    fputc('\n', r->out);
    r->result->count++;
}

static char *skip_space(char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

static void trim_end(char *start, char *end)
{
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    *end = '\0';
}

/* The escapes libmariadb decodes in values; unknown ones keep the '\'. */
static void unescape(char *dst, const char *value, const char *value_end)
{
    for (; value != value_end; value++) {
        if (*value == '\\' && value != value_end - 1) {
            switch (*++value) {
            case 'n': *dst++ = '\n'; break;
            case 't': *dst++ = '\t'; break;
            case 'r': *dst++ = '\r'; break;
            case 'b': *dst++ = '\b'; break;
            case 's': *dst++ = ' '; break;
            case '"': *dst++ = '"'; break;
            case '\'': *dst++ = '\''; break;
            case '\\': *dst++ = '\\'; break;
            default:
                *dst++ = '\\';
                *dst++ = *value;
            }
        } else {
            *dst++ = *value;
        }
    }
    *dst = '\0';
}

static int is_our_group(const char *name, const char *group)
{
    return strcmp(name, "client") == 0 || strcmp(name, "client-server") == 0 ||
           strcmp(name, "client-mariadb") == 0 || (group != NULL && strcmp(name, group) == 0);
}

/* One file, line by line, as libmariadb 3.3's reader does it. Only regular
 * files, and at most FILE_MAX_BYTES of each: an !include of /dev/zero or a
 * FIFO must not hang a connect (libmariadb never sees what we skip: it
 * reads our sanitized copy). */
static void read_file(reader *r, const char *path, unsigned recursion)
{
    if (++r->files > FILES_MAX) {
        r->code = rdss__fail(r->err, RDSS_ERR_INVALID_ARGUMENT,
                             "option files: more than %d files to read (an !include loop?), at %s",
                             FILES_MAX, path);
        return;
    }
    /* O_NONBLOCK: opening a FIFO must not wait for a writer */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return;
    struct stat st;
    FILE *in = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (in = fdopen(fd, "r")) == NULL) {
        close(fd);
        return;
    }
    char line[LINE_MAX_BYTES + 1];
    int in_group = 0, found_group = 0, escaped = 0;
    long consumed = 0;
    while (r->code == RDSS_OK && consumed < FILE_MAX_BYTES && fgets(line, LINE_MAX_BYTES, in) != NULL) {
        consumed += (long)strlen(line) + 1;
        char *p = skip_space(line);
        if (!escaped && (*p == '"' || *p == '\''))
            continue; /* libmariadb skips a line that starts with a quote */
        if (*p == '!') {
            char *arg = strchr(++p, ' ');
            if (arg == NULL)
                continue;
            *arg++ = '\0';
            trim_end(arg, strchr(arg, '\0'));
            if (strcmp(p, "includedir") == 0)
                read_any(r, arg, NULL, recursion + 1);
            else if (strcmp(p, "include") == 0)
                read_any(r, NULL, arg, recursion + 1);
            continue;
        }
        if (*p == '#' || *p == ';' || *p == '\0')
            continue;
        escaped = *p == '\\';
        if (*p == '[') {
            found_group = 1;
            char *end = strchr(++p, ']');
            if (end == NULL)
                break; /* libmariadb stops reading the file here */
            trim_end(p, end);
            in_group = is_our_group(p, r->group);
            continue;
        }
        if (!found_group)
            break;
        if (!in_group)
            continue;
        char *equals = strchr(p, '=');
        if (equals == NULL) {
            trim_end(p, strchr(p, '\0'));
            take(r, path, p, NULL);
            continue;
        }
        trim_end(p, equals);
        char *value = skip_space(equals + 1);
        char *value_end = strchr(value, '\0');
        while (value_end > value && isspace((unsigned char)value_end[-1]))
            value_end--;
        if (*value == '\'' || *value == '"') {
            value++;
            if (value_end > value && (value_end[-1] == '\'' || value_end[-1] == '"'))
                value_end--;
        }
        if (value_end < value)
            value_end = value;
        char *decoded = malloc((size_t)(value_end - value) * 2 + 1);
        if (decoded == NULL) {
            r->code = rdss__fail(r->err, RDSS_ERR_INTERNAL, "out of memory");
            break;
        }
        unescape(decoded, value, value_end);
        take(r, path, p, decoded);
        free(decoded);
    }
    fclose(in);
}

static void read_dir(reader *r, const char *dir, const char *name, unsigned recursion)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (path == NULL) {
        r->code = rdss__fail(r->err, RDSS_ERR_INTERNAL, "out of memory");
        return;
    }
    snprintf(path, len, "%s/%s", dir, name);
    if (access(path, R_OK) == 0)
        read_file(r, path, recursion);
    free(path);
}

/* libmariadb's _mariadb_read_options: a file; or a directory's my.cnf (what
 * !includedir means there); or the default places. */
static void read_any(reader *r, const char *dir, const char *file, unsigned recursion)
{
    if (recursion >= RECURSION_MAX || r->code != RDSS_OK)
        return;
    if (file != NULL && file[0] != '\0') {
        read_file(r, file, recursion);
        return;
    }
    if (dir != NULL && dir[0] != '\0') {
        read_dir(r, dir, "my.cnf", recursion);
        return;
    }
    /* libmariadb reads the environment with getenv: the same files here */
    const char *home_dir = getenv("MARIADB_HOME");
    if (home_dir == NULL)
        home_dir = getenv("MYSQL_HOME");
    read_dir(r, "/etc", "my.cnf", recursion);
    read_dir(r, "/etc/mysql", "my.cnf", recursion);
    /* libmariadb lists a directory once */
    if (home_dir != NULL && strcmp(home_dir, "/etc") != 0 && strcmp(home_dir, "/etc/mysql") != 0)
        read_dir(r, home_dir, "my.cnf", recursion);
    const char *home = getenv("HOME");
    if (home != NULL)
        read_dir(r, home, ".my.cnf", recursion);
}

rdss_code rdss__mysql_options_read(const char *file, const char *group, rdss__mysql_options *out,
                                rdss_error **err)
{
    memset(out, 0, sizeof(*out));
    reader r = {0, group, open_memstream(&out->text, &out->len), out, RDSS_OK, err};
    if (r.out == NULL)
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    fputs("[client]\n", r.out);
    /* The file the caller named: a FIFO or a directory there is a mistake
     * to report, not to skip as libmariadb would (an !include'd one is
     * skipped, as there). */
    struct stat st;
    if (file != NULL && file[0] != '\0' && stat(file, &st) == 0 && !S_ISREG(st.st_mode))
        r.code = rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "option file %s is not a regular file", file);
    read_any(&r, NULL, file, 0);
    if (fclose(r.out) != 0 && r.code == RDSS_OK)
        r.code = rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    if (r.code != RDSS_OK) {
        rdss__mysql_options_free(out);
        return r.code;
    }
    return rdss__succeed(err);
}

void rdss__mysql_options_free(rdss__mysql_options *options)
{
    free(options->text);
    free(options->host);
    memset(options, 0, sizeof(*options));
}
