#define _GNU_SOURCE /* secure_getenv */
#include "pg/pg_params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "trust/cafile.h"
#include "core/error.h"
#include "policy/option_table.h"
#include "net/resolve.h"

/* ---- the keyword/value list ---------------------------------------------- */

static const char *get(const rdss__pg_params *p, const char *keyword)
{
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->keywords[i], keyword) == 0)
            return p->values[i];
    return NULL;
}

/* Sets (or with value NULL removes) a keyword; 0 when out of memory. */
static int set(rdss__pg_params *p, const char *keyword, const char *value)
{
    for (size_t i = 0; i < p->count; i++) {
        if (strcmp(p->keywords[i], keyword) != 0)
            continue;
        if (value == NULL) {
            free(p->keywords[i]);
            free(p->values[i]);
            memmove(&p->keywords[i], &p->keywords[i + 1], (p->count - i) * sizeof(char *));
            memmove(&p->values[i], &p->values[i + 1], (p->count - i) * sizeof(char *));
            p->count--;
            return 1;
        }
        char *copy = strdup(value);
        if (copy == NULL)
            return 0;
        free(p->values[i]);
        p->values[i] = copy;
        return 1;
    }
    if (value == NULL)
        return 1;
    if (p->count + 1 >= p->capacity) {
        size_t grown = p->capacity ? p->capacity * 2 : 16;
        char **keywords = realloc(p->keywords, grown * sizeof(char *));
        if (keywords == NULL)
            return 0;
        p->keywords = keywords;
        char **values = realloc(p->values, grown * sizeof(char *));
        if (values == NULL)
            return 0;
        p->values = values;
        p->capacity = grown;
    }
    p->keywords[p->count] = strdup(keyword);
    p->values[p->count] = strdup(value);
    if (p->keywords[p->count] == NULL || p->values[p->count] == NULL) {
        free(p->keywords[p->count]);
        free(p->values[p->count]);
        return 0;
    }
    p->count++;
    p->keywords[p->count] = NULL; /* keep the arrays NULL-terminated */
    p->values[p->count] = NULL;
    return 1;
}

int rdss__pg_params_set(rdss__pg_params *params, const char *keyword, const char *value)
{
    return set(params, keyword, value);
}

void rdss__pg_params_free(rdss__pg_params *p)
{
    for (size_t i = 0; i < p->count; i++) {
        free(p->keywords[i]);
        free(p->values[i]);
    }
    free(p->keywords);
    free(p->values);
    memset(p, 0, sizeof(*p));
}

static rdss_code out_of_memory(rdss_error **err)
{
    return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
}

/* Adds every option that `conninfo` sets explicitly (no defaults, no
 * environment: PQconninfoParse applies neither). */
static rdss_code merge_conninfo(rdss__pg_params *p, const char *conninfo, rdss_error **err)
{
    char *message = NULL;
    PQconninfoOption *options = PQconninfoParse(conninfo, &message);
    if (options == NULL) {
        rdss_error *e = rdss__error_new(RDSS_ERR_INVALID_ARGUMENT, "cannot parse the connection string: %s",
                                        message ? message : "out of memory");
        if (e != NULL && message != NULL) {
            /* libpq ends its messages with a newline; ours are one line */
            rdss__error_set_driver_message(e, message);
        }
        PQfreemem(message);
        return rdss__hand_over(err, e);
    }
    rdss_code code = RDSS_OK;
    for (PQconninfoOption *o = options; o->keyword != NULL && code == RDSS_OK; o++)
        if (o->val != NULL && !set(p, o->keyword, o->val))
            code = out_of_memory(err);
    PQconninfoFree(options);
    return code;
}

rdss_code rdss__pg_params_from_conninfo(const char *conninfo, rdss__pg_params *out, rdss_error **err)
{
    memset(out, 0, sizeof(*out));
    if (conninfo == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "the connection string is NULL");
    rdss_code code = merge_conninfo(out, conninfo, err);
    if (code != RDSS_OK)
        rdss__pg_params_free(out);
    return code;
}

static int looks_like_conninfo(const char *value)
{
    return strchr(value, '=') != NULL || strncmp(value, "postgresql://", 13) == 0 ||
           strncmp(value, "postgres://", 11) == 0;
}

rdss_code rdss__pg_params_from_arrays(const char *const *keywords, const char *const *values,
                                      int expand_dbname, rdss__pg_params *out, rdss_error **err)
{
    memset(out, 0, sizeof(*out));
    if (keywords == NULL || values == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "keywords or values is NULL");
    rdss_code code = RDSS_OK;
    int expanded = 0;
    for (size_t i = 0; keywords[i] != NULL && code == RDSS_OK; i++) {
        if (values[i] == NULL || values[i][0] == '\0')
            continue; /* libpq ignores NULL and empty values */
        /* As libpq: the first dbname may be a whole connection string; what
         * follows it in the arrays overrides what it sets. */
        if (expand_dbname && !expanded && strcmp(keywords[i], "dbname") == 0) {
            expanded = 1;
            if (looks_like_conninfo(values[i])) {
                code = merge_conninfo(out, values[i], err);
                continue;
            }
        }
        if (!set(out, keywords[i], values[i]))
            code = out_of_memory(err);
    }
    if (code != RDSS_OK)
        rdss__pg_params_free(out);
    return code;
}

/* ---- the policy ------------------------------------------------------------ */

static rdss_code insecure(rdss_error **err, const char *what, const char *why)
{
    return rdss__fail(err, RDSS_ERR_INSECURE_OPTION, "refused %s: %s; nothing was sent", what, why);
}

/* TLS versions in libpq's spelling, oldest first. */
static int tls_version_rank(const char *version)
{
    static const char *const versions[] = {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"};
    for (int i = 0; i < 4; i++)
        if (strcmp(version, versions[i]) == 0)
            return i;
    return -1;
}

/* The checks behind the table's CHECKED and FORCED libpq options: `where`
 * names what set `value` (the keyword, or its environment variable). */
static rdss_code check_value(const char *keyword, const char *where, const char *value,
                             rdss_error **err)
{
    char what[160];
    snprintf(what, sizeof(what), "%s=%s", where, value);
    if (strcmp(keyword, "sslmode") == 0) {
        if (strcmp(value, "disable") == 0)
            return insecure(err, what, "librdssecure connects only over verified TLS");
        /* allow, prefer, require and verify-ca are all raised to verify-full */
        static const char *const modes[] = {"allow", "prefer", "require", "verify-ca", "verify-full"};
        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
            if (strcmp(value, modes[i]) == 0)
                return RDSS_OK;
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "invalid sslmode \"%s\"", value);
    }
    if (strcmp(keyword, "gssencmode") == 0 && strcmp(value, "require") == 0)
        return insecure(err, what, "GSSAPI encryption would replace TLS and its certificate verification");
    if (strcmp(keyword, "sslcompression") == 0 && strcmp(value, "0") != 0)
        return insecure(err, what, "TLS compression leaks secrets (CRIME)");
    if (strcmp(keyword, "ssl_min_protocol_version") == 0 ||
        strcmp(keyword, "ssl_max_protocol_version") == 0) {
        int rank = tls_version_rank(value);
        if (rank < 0)
            return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "invalid %s \"%s\"", where, value);
        if (rank < 2)
            return insecure(err, what, "TLS older than 1.2 is not allowed");
    }
    if (strcmp(keyword, "sslcert") == 0 || strcmp(keyword, "sslkey") == 0) {
        /* libpq opens it blocking: a FIFO there would hang the connect */
        struct stat st;
        if (stat(value, &st) == 0 && !S_ISREG(st.st_mode))
            return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "%s: %s is not a regular file", where,
                              value);
    }
    return RDSS_OK;
}

/* Every option against the table (lib/option_table.c): refused ones in the
 * conninfo or the environment are refused; checked ones are checked where
 * they come from; forced ones are checked in the conninfo (the environment
 * cannot reach libpq for them: they are set explicitly). */
static rdss_code check_tls_options(rdss__pg_params *p, rdss_error **err)
{
    for (size_t i = 0; i < p->count; i++)
        if (rdss__option_find(RDSS__OPTIONS_LIBPQ, p->keywords[i]) == NULL)
            return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                              "connection option \"%s\" is unknown to librdssecure, which "
                              "passes no option it has not classified", p->keywords[i]);
    size_t count = 0;
    const rdss__option *options = rdss__option_list(RDSS__OPTIONS_LIBPQ, &count);
    for (size_t i = 0; i < count; i++) {
        const rdss__option *o = &options[i];
        if (o->rule == RDSS__OPTION_ALLOWED)
            continue;
        const char *where = o->name, *value = get(p, o->name);
        if (value == NULL && o->envvar != NULL && o->rule != RDSS__OPTION_FORCED) {
            where = o->envvar;
            value = secure_getenv(o->envvar);
        }
        if (value == NULL || value[0] == '\0')
            continue; /* libpq ignores empty values */
        if (o->rule == RDSS__OPTION_REFUSED)
            return rdss__fail(err, RDSS_ERR_INSECURE_OPTION, "refused %s: %s; nothing was sent (%s)", where,
                              o->why, where == o->envvar ? "unset it in the environment"
                                                         : "remove it from the connection settings");
        rdss_code code = check_value(o->name, where, value, err);
        if (code != RDSS_OK)
            return code;
    }
    return RDSS_OK;
}

/* ---- files libpq opens by itself --------------------------------------------
 * libpq opens a service file and the client certificate and key with
 * blocking calls: a FIFO in one of those places would hang a connect past
 * any deadline. */

/* A path that never exists: no descriptor is -1. libpq stat()s the client
 * certificate first and goes on without one when there is none. */
#define NO_FILE "/proc/self/fd/-1/none"

/* libpq 15 finds "~" in the passwd entry, not in $HOME. */
static int home_directory(char *out, size_t size)
{
    struct passwd entry, *found = NULL;
    char buffer[4096];
    if (getpwuid_r(geteuid(), &entry, buffer, sizeof(buffer), &found) != 0 || found == NULL)
        return 0;
    snprintf(out, size, "%s", found->pw_dir);
    return 1;
}

static rdss_code must_be_regular(const char *what, const char *path, rdss_error **err)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "%s %s is not a regular file", what, path);
    return RDSS_OK;
}

static rdss_code check_service_files(rdss__pg_params *p, const char *home, rdss_error **err)
{
    if (get(p, "service") == NULL && secure_getenv("PGSERVICE") == NULL)
        return RDSS_OK;
    char path[4200];
    const char *named = secure_getenv("PGSERVICEFILE");
    if (named == NULL && home != NULL)
        snprintf(path, sizeof(path), "%s/.pg_service.conf", home);
    rdss_code code = named != NULL || home != NULL
                         ? must_be_regular("the service file", named ? named : path, err)
                         : RDSS_OK;
    const char *sysconf = secure_getenv("PGSYSCONFDIR");
    snprintf(path, sizeof(path), "%s/pg_service.conf", sysconf ? sysconf : "/etc/postgresql-common");
    return code == RDSS_OK ? must_be_regular("the service file", path, err) : code;
}

/* The client certificate and key, set explicitly: what the caller named
 * (checked by the option table), else ~/.postgresql's when they are
 * regular files, else none. A service file cannot name others. */
static rdss_code settle_client_certificate(rdss__pg_params *p, const char *home, rdss_error **err)
{
    static const char *const keys[2][3] = {{"sslcert", "PGSSLCERT", "postgresql.crt"},
                                           {"sslkey", "PGSSLKEY", "postgresql.key"}};
    for (int i = 0; i < 2; i++) {
        const char *value = get(p, keys[i][0]);
        if (value == NULL || value[0] == '\0')
            value = secure_getenv(keys[i][1]);
        char path[4200];
        if ((value == NULL || value[0] == '\0') && home != NULL) {
            snprintf(path, sizeof(path), "%s/.postgresql/%s", home, keys[i][2]);
            struct stat st;
            if (stat(path, &st) != 0)
                value = NULL;
            else if (!S_ISREG(st.st_mode))
                return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                                  "the default client %s %s is not a regular file",
                                  i == 0 ? "certificate" : "key", path);
            else
                value = path;
        }
        if (!set(p, keys[i][0], value && value[0] ? value : NO_FILE))
            return out_of_memory(err);
    }
    return RDSS_OK;
}

static rdss_code check_files_libpq_reads(rdss__pg_params *p, rdss_error **err)
{
    char home[4096];
    const char *where = home_directory(home, sizeof(home)) ? home : NULL;
    rdss_code code = check_service_files(p, where, err);
    return code == RDSS_OK ? settle_client_certificate(p, where, err) : code;
}

/* Splits a comma-separated libpq list; *count 0 for NULL. */
static char **split_list(const char *list, size_t *count)
{
    *count = 0;
    if (list == NULL)
        return NULL;
    size_t n = 1;
    for (const char *c = list; *c; c++)
        n += *c == ',';
    char **items = calloc(n, sizeof(char *));
    if (items == NULL)
        return NULL;
    const char *start = list;
    for (size_t i = 0; i < n; i++) {
        const char *end = strchr(start, ',');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        items[i] = strndup(start, len);
        if (items[i] == NULL) {
            for (size_t k = 0; k < i; k++)
                free(items[k]);
            free(items);
            return NULL;
        }
        start = end ? end + 1 : start + len;
    }
    *count = n;
    return items;
}

static void free_list(char **items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(items[i]);
    free(items);
}

static int add_target(rdss__pg_plan *plan, const char *host, const char *address, const char *verify,
                      int port)
{
    rdss__pg_target *grown = realloc(plan->targets, (plan->target_count + 1) * sizeof(*grown));
    if (grown == NULL)
        return 0;
    plan->targets = grown;
    rdss__pg_target *t = &plan->targets[plan->target_count];
    t->host = strdup(host);
    t->address = strdup(address);
    t->verify_name = strdup(verify);
    t->port = port;
    if (t->host == NULL || t->address == NULL || t->verify_name == NULL) {
        free(t->host);
        free(t->address);
        free(t->verify_name);
        return 0;
    }
    plan->target_count++;
    return 1;
}

/* "a,b" + "x" -> "a,b,x" */
static int append_item(char **list, const char *item)
{
    size_t old = *list ? strlen(*list) : 0;
    char *grown = realloc(*list, old + strlen(item) + 2);
    if (grown == NULL)
        return 0;
    snprintf(grown + old, strlen(item) + 2, "%s%s", old ? "," : "", item);
    *list = grown;
    return 1;
}

/* Where to connect: host and hostaddr from the caller, else PGHOST and
 * PGHOSTADDR (libpq's own fallbacks); never a Unix-domain socket, where
 * libpq ignores sslmode. Every entry is resolved now, within the deadline,
 * and pinned with hostaddr, one entry per address, so libpq neither
 * resolves again nor falls back to a socket. */
static rdss_code plan_targets(rdss__pg_plan *plan, const rdss__connect *c, rdss_error **err)
{
    rdss__pg_params *p = &plan->params;
    const char *host_list = get(p, "host");
    const char *addr_list = get(p, "hostaddr");
    const char *port_list = get(p, "port");
    if (host_list == NULL && addr_list == NULL) {
        host_list = secure_getenv("PGHOST");
        addr_list = secure_getenv("PGHOSTADDR");
    }
    if (port_list == NULL)
        port_list = secure_getenv("PGPORT");
    size_t hosts_n = 0, addrs_n = 0, ports_n = 0;
    char **hosts = split_list(host_list, &hosts_n);
    char **addrs = split_list(addr_list, &addrs_n);
    char **ports = split_list(port_list, &ports_n);
    size_t entries = hosts_n > addrs_n ? hosts_n : addrs_n;
    rdss_code code = RDSS_OK;
    char *new_hosts = NULL, *new_addrs = NULL, *new_ports = NULL;
    const char *verify_name = c->verify_name;

    if (entries == 0)
        code = rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                          "no host given: libpq would use a Unix-domain socket, where TLS does not apply");
    else if ((hosts_n && addrs_n && hosts_n != addrs_n) || (ports_n > 1 && ports_n != entries))
        code = rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                          "host, hostaddr and port list %zu, %zu and %zu entries", hosts_n, addrs_n, ports_n);
    for (size_t i = 0; i < entries && code == RDSS_OK; i++) {
        const char *host = hosts_n ? hosts[i] : "";
        const char *addr = addrs_n ? addrs[i] : "";
        const char *port_text = ports_n == 0 ? "5432" : ports[ports_n == 1 ? 0 : i];
        if (host[0] == '/' || host[0] == '@' || addr[0] == '/') {
            code = insecure(err, "a Unix-domain socket", "libpq does not use TLS on a socket");
            break;
        }
        char *end = NULL;
        long port = port_text[0] ? strtol(port_text, &end, 10) : 5432;
        if ((end != NULL && *end != '\0') || port < 1 || port > 65535) {
            code = rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "invalid port \"%s\"", port_text);
            break;
        }
        const char *name = verify_name ? verify_name : host;
        if (name[0] == '\0') {
            code = rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                              "hostaddr %s has no host name to verify the certificate against: "
                              "give host (or a verify-name) as well", addr);
            break;
        }
        const char *where = addr[0] ? addr : host;
        struct addrinfo *resolved = NULL;
        code = rdss__resolve(where, (int)port, c->deadline, &resolved, err);
        for (struct addrinfo *a = resolved; a != NULL && code == RDSS_OK; a = a->ai_next) {
            char numeric[64], port_buf[16];
            rdss__address_text(a->ai_addr, numeric, sizeof(numeric));
            snprintf(port_buf, sizeof(port_buf), "%ld", port);
            if (!add_target(plan, where, numeric, name, (int)port) || !append_item(&new_hosts, name) ||
                !append_item(&new_addrs, numeric) || !append_item(&new_ports, port_buf))
                code = out_of_memory(err);
        }
        if (resolved != NULL)
            freeaddrinfo(resolved);
    }
    if (code == RDSS_OK && (!set(p, "host", new_hosts) || !set(p, "hostaddr", new_addrs) ||
                            !set(p, "port", new_ports)))
        code = out_of_memory(err);
    free(new_hosts);
    free(new_addrs);
    free(new_ports);
    free_list(hosts, hosts_n);
    free_list(addrs, addrs_n);
    free_list(ports, ports_n);
    return code;
}

rdss_code rdss__pg_check_policy(rdss__pg_params *params, rdss_error **err)
{
    return check_tls_options(params, err);
}

rdss_code rdss__pg_plan_make(rdss__pg_params *params, rdss__connect *c, const rdss_config *cfg,
                             rdss__pg_plan *out, rdss_error **err)
{
    memset(out, 0, sizeof(*out));
    out->params = *params;
    memset(params, 0, sizeof(*params));
    rdss__pg_params *p = &out->params;

    rdss_code code = check_tls_options(p, err);
    if (code != RDSS_OK)
        return code;
    /* The caller's sslrootcert is an on-disk bundle, validated like any. */
    code = rdss__connect_trust(c, cfg, get(p, "sslrootcert"), err);
    if (code != RDSS_OK)
        return code;
    code = plan_targets(out, c, err);
    if (code == RDSS_OK)
        code = check_files_libpq_reads(p, err);
    if (code != RDSS_OK)
        return code;
    const char *no_crl = NULL;
    code = rdss__empty_file_path(&no_crl, err);
    if (code != RDSS_OK)
        return code;
    /* Set explicitly, these beat PGSSLMODE, PGSSLROOTCERT, PGGSSENCMODE,
     * PGSSLMINPROTOCOLVERSION, service files and ~/.postgresql/root.crt,
     * which libpq consults only for options left unset. */
    const char *min_version = get(p, "ssl_min_protocol_version");
    /* (libpq itself turns the old requiressl into sslmode.) */
    /* sslrootcert: rdss__pg_plan_use_ca_file, before each driver connect */
    if (!set(p, "sslmode", "verify-full") || !set(p, "sslrootcert", NULL) ||
        !set(p, "gssencmode", "disable") ||
        !set(p, "ssl_min_protocol_version", min_version ? min_version : "TLSv1.2") ||
        !set(p, "sslsni", "1") || !set(p, "sslcompression", "0") ||
        /* An empty file of ours beats a service file's CRL settings and
         * ~/.postgresql/root.crl, which would add trust (see the table). */
        !set(p, "sslcrl", no_crl) || !set(p, "sslcrldir", no_crl))
        return out_of_memory(err);
    return rdss__succeed(err);
}

int rdss__pg_plan_use_ca_file(rdss__pg_plan *plan, const char *path)
{
    return path != NULL && set(&plan->params, "sslrootcert", path);
}

void rdss__pg_plan_free(rdss__pg_plan *plan)
{
    rdss__pg_params_free(&plan->params);
    for (size_t i = 0; i < plan->target_count; i++) {
        free(plan->targets[i].host);
        free(plan->targets[i].address);
        free(plan->targets[i].verify_name);
    }
    free(plan->targets);
    memset(plan, 0, sizeof(*plan));
}
