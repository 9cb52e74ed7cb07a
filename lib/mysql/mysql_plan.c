#include "mysql/mysql_plan.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "mysql/mysql_optfile.h"
#include "policy/option_table.h"

#define MYSQL_DEFAULT_PORT 3306

static const char *option_string(MYSQL *mysql, enum mysql_option option)
{
    const char *value = NULL;
    if (mysql_get_optionv(mysql, option, &value) != 0)
        return NULL;
    return value != NULL && value[0] != '\0' ? value : NULL;
}

/* The handle options kept as strings, which the table may refuse outright
 * (the others are checked one by one below). */
static const struct {
    enum mysql_option id;
    const char *name;
} string_options[] = {
    {MYSQL_OPT_SSL_CAPATH, "MYSQL_OPT_SSL_CAPATH"},
    {MYSQL_OPT_SSL_CRL, "MYSQL_OPT_SSL_CRL"},
    {MYSQL_OPT_SSL_CRLPATH, "MYSQL_OPT_SSL_CRLPATH"},
    {MARIADB_OPT_CONNECTION_HANDLER, "MARIADB_OPT_CONNECTION_HANDLER"},
};

/* What the caller set on the handle before the call. */
static rdss_code check_handle(MYSQL *mysql, const char *verify_name, rdss_error **err)
{
    const struct st_mysql_options *o = &mysql->options;
    if (o->unix_socket != NULL && o->unix_socket[0] != '\0')
        return rdss__fail(err, RDSS_ERR_INSECURE_OPTION,
                          "the handle names a Unix socket (%s): TLS does not apply there; "
                          "librdssecure connects over TCP only", o->unix_socket);
    if (o->protocol != MYSQL_PROTOCOL_DEFAULT && o->protocol != MYSQL_PROTOCOL_TCP)
        return rdss__fail(err, RDSS_ERR_INSECURE_OPTION,
                          "MYSQL_OPT_PROTOCOL %u is not TCP: only TCP carries TLS", o->protocol);
    for (size_t i = 0; i < sizeof(string_options) / sizeof(string_options[0]); i++) {
        const rdss__option *rule = rdss__option_find(RDSS__OPTIONS_MARIADB_HANDLE, string_options[i].name);
        if (rule != NULL && rule->rule == RDSS__OPTION_REFUSED &&
            option_string(mysql, string_options[i].id) != NULL)
            return rdss__fail(err, RDSS_ERR_INSECURE_OPTION, "refused %s: %s; nothing was sent",
                              string_options[i].name, rule->why);
    }
    const char *key = option_string(mysql, MYSQL_OPT_SSL_KEY), *cert = option_string(mysql, MYSQL_OPT_SSL_CERT);
    if (!rdss__mysql_file_ok(key) || !rdss__mysql_file_ok(cert))
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                          "MYSQL_OPT_SSL_KEY or MYSQL_OPT_SSL_CERT is not a regular file (libmariadb "
                          "opens it blocking: a FIFO would hang the connect)");
    const char *cipher = option_string(mysql, MYSQL_OPT_SSL_CIPHER);
    if (cipher != NULL && !rdss__mysql_cipher_list_ok(cipher))
        return rdss__fail(err, RDSS_ERR_INSECURE_OPTION,
                          "MYSQL_OPT_SSL_CIPHER \"%s\" allows suites that do not authenticate the "
                          "server or do not encrypt", cipher);
    const char *versions = option_string(mysql, MARIADB_OPT_TLS_VERSION);
    if (versions != NULL && !rdss__mysql_tls_versions_ok(versions))
        return rdss__fail(err, RDSS_ERR_INSECURE_OPTION,
                          "MARIADB_OPT_TLS_VERSION \"%s\" allows TLS older than 1.2", versions);
    if (verify_name != NULL &&
        (option_string(mysql, MARIADB_OPT_TLS_PEER_FP) != NULL ||
         option_string(mysql, MARIADB_OPT_TLS_PEER_FP_LIST) != NULL))
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                          "a verify-name cannot be combined with a certificate fingerprint of the "
                          "caller's (librdssecure pins the verified certificate itself)");
    return RDSS_OK;
}

#define RELEASED_CA "/proc/self/fd/-1/released-by-librdssecure"

/* What rdss__mysql_plan_apply overwrites, so that a handle whose connect failed
 * can be used again as the caller left it (our CA file path would be read
 * back as the caller's bundle, or name another file by then). */
static rdss_code remember_callers(MYSQL *mysql, rdss__mysql_plan *plan, rdss_error **err)
{
    const char *ca = option_string(mysql, MYSQL_OPT_SSL_CA);
    if (ca != NULL && strcmp(ca, RELEASED_CA) == 0)
        ca = NULL; /* ours, from an earlier connect of this handle */
    const char *values[3] = {ca, mysql->options.my_cnf_file, mysql->options.my_cnf_group};
    char **copies[3] = {&plan->callers_ca, &plan->callers_file, &plan->callers_group};
    for (int i = 0; i < 3; i++)
        if (values[i] != NULL && (*copies[i] = strdup(values[i])) == NULL)
            return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    return RDSS_OK;
}

/* What a connected handle keeps as its CA file when the caller set none: a
 * path nothing can ever open (no descriptor is -1), so that a reconnect
 * libmariadb makes on its own, with MYSQL_OPT_RECONNECT turned back on,
 * fails instead of trusting the system's CAs or a reused descriptor. */
void rdss__mysql_plan_restore(const rdss__mysql_plan *plan, MYSQL *mysql, int connected)
{
    if (mysql == NULL || !plan->applied)
        return;
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CA,
                   plan->callers_ca != NULL || !connected ? plan->callers_ca : RELEASED_CA);
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CAPATH, NULL); /* a caller's is refused */
    mysql_optionsv(mysql, MYSQL_READ_DEFAULT_FILE, plan->callers_file);
    mysql_optionsv(mysql, MYSQL_READ_DEFAULT_GROUP, plan->callers_group);
}

static rdss_code choose_host(const char *host, const rdss__mysql_options *files, MYSQL *mysql,
                             rdss__mysql_plan *plan, rdss_error **err)
{
    if (host == NULL || host[0] == '\0')
        host = mysql->options.host && mysql->options.host[0] ? mysql->options.host : files->host;
    if (host == NULL)
        host = "localhost"; /* libmariadb's default; over TCP here */
    size_t len = strlen(host);
    if (len > 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    if (host[0] == '/')
        return rdss__fail(err, RDSS_ERR_INSECURE_OPTION,
                          "host \"%s\" is a Unix socket path: TLS does not apply there", host);
    if (memchr(host, ',', len) != NULL || strstr(host, "://") != NULL || len == 0)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                          "host \"%s\" must be one host name or address (no host lists or "
                          "connection plugins)", host);
    plan->host = strndup(host, len);
    return plan->host ? RDSS_OK : rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
}

/* The option files the caller asked for, read and sanitized by us. */
static rdss_code read_option_files(MYSQL *mysql, rdss__mysql_options *files, rdss__mysql_plan *plan,
                                   rdss_error **err)
{
    const char *file = mysql->options.my_cnf_file, *group = mysql->options.my_cnf_group;
    memset(files, 0, sizeof(*files));
    if (file == NULL && group == NULL)
        return RDSS_OK;
    rdss_code code = rdss__mysql_options_read(file, group, files, err);
    if (code == RDSS_OK)
        code = rdss__text_file_create("rdssecure-my.cnf", files->text, files->len, &plan->option_file, err);
    return code;
}

rdss_code rdss__mysql_plan_make(MYSQL *mysql, rdss__connect *c, const rdss_config *cfg, const char *host,
                                unsigned port, const char *unix_socket, rdss__mysql_plan *plan,
                                rdss_error **err)
{
    memset(plan, 0, sizeof(*plan));
    plan->option_file.fd = -1;
    if (mysql == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "the MYSQL handle is NULL (call mysql_init first)");
    if (mysql->net.pvio != NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                          "the MYSQL handle is already connected (mysql_close it, or use a new one)");
    /* Connector/C 3.4 reads this and turns verification off; we cannot
     * undo that inside the driver, so we refuse it with any version. */
    if (getenv("MARIADB_TLS_DISABLE_PEER_VERIFICATION") != NULL)
        return rdss__fail(err, RDSS_ERR_INSECURE_OPTION,
                          "MARIADB_TLS_DISABLE_PEER_VERIFICATION is set in the environment; "
                          "librdssecure always verifies: unset it");
    if (unix_socket != NULL && unix_socket[0] != '\0')
        return rdss__fail(err, RDSS_ERR_INSECURE_OPTION,
                          "a Unix socket (%s) was asked for: TLS does not apply there; "
                          "librdssecure connects over TCP only", unix_socket);
    rdss_code code = check_handle(mysql, c->verify_name, err);
    if (code == RDSS_OK)
        code = remember_callers(mysql, plan, err);
    rdss__mysql_options files;
    memset(&files, 0, sizeof(files));
    if (code == RDSS_OK)
        code = read_option_files(mysql, &files, plan, err);
    if (code == RDSS_OK)
        code = choose_host(host, &files, mysql, plan, err);
    if (code == RDSS_OK) {
        plan->port = port ? port : mysql->options.port ? mysql->options.port
                                 : files.port > 0 && files.port < 65536 ? (unsigned)files.port
                                                                         : MYSQL_DEFAULT_PORT;
        const char *name = c->verify_name;
        plan->pinned = name != NULL && strcasecmp(name, plan->host) != 0;
        plan->verify_name = strdup(name ? name : plan->host);
        plan->caller_tls_version = option_string(mysql, MARIADB_OPT_TLS_VERSION) != NULL;
        if (plan->verify_name == NULL)
            code = rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    }
    rdss__mysql_options_free(&files);
    if (code == RDSS_OK) /* a caller's CA file is an on-disk bundle, validated like any */
        code = rdss__connect_trust(c, cfg, plan->callers_ca, err);
    return code == RDSS_OK ? rdss__succeed(err) : code;
}

int rdss__mysql_plan_set_trust(MYSQL *mysql, const rdss__connect *c)
{
    const char *dir = rdss__connect_ca_dir(c);
    const char *file = dir == NULL ? rdss__connect_ca_file(c) : NULL;
    /* without either libmariadb would trust the system's CAs */
    return (dir != NULL || file != NULL) && mysql_optionsv(mysql, MYSQL_OPT_SSL_CA, file) == 0 &&
           mysql_optionsv(mysql, MYSQL_OPT_SSL_CAPATH, dir) == 0;
}

rdss_code rdss__mysql_plan_apply(rdss__mysql_plan *plan, MYSQL *mysql, const rdss__connect *c,
                                 const char *fingerprint, rdss_error **err)
{
    plan->applied = 1; /* from here on the caller's options are put back */
    if (!rdss__mysql_plan_set_trust(mysql, c))
        return rdss__fail(err, RDSS_ERR_INTERNAL, "cannot give libmariadb a CA file or directory (out "
                                                  "of file descriptors or memory?)");
    my_bool on = 1, off = 0, check_name = plan->pinned ? 0 : 1;
    unsigned int tcp = MYSQL_PROTOCOL_TCP;
    int failed = mysql_optionsv(mysql, MYSQL_OPT_SSL_ENFORCE, &on) ||
                 mysql_optionsv(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &check_name) ||
                 mysql_optionsv(mysql, MYSQL_OPT_PROTOCOL, &tcp) ||
                 /* a reconnect would read a CA file that is gone by then */
                 mysql_optionsv(mysql, MYSQL_OPT_RECONNECT, &off) ||
                 (!plan->caller_tls_version &&
                  mysql_optionsv(mysql, MARIADB_OPT_TLS_VERSION, "TLSv1.2,TLSv1.3")) ||
                 (plan->pinned && mysql_optionsv(mysql, MARIADB_OPT_TLS_PEER_FP, fingerprint)) ||
                 (plan->option_file.path &&
                  mysql_optionsv(mysql, MYSQL_READ_DEFAULT_FILE, plan->option_file.path)) ||
                 mysql_optionsv(mysql, MYSQL_OPT_NONBLOCK, 0);
    return failed ? rdss__fail(err, RDSS_ERR_INTERNAL, "libmariadb refused an option: %s",
                               mysql_error(mysql))
                  : RDSS_OK;
}

void rdss__mysql_plan_free(rdss__mysql_plan *plan)
{
    rdss__ca_file_destroy(&plan->option_file);
    free(plan->host);
    free(plan->verify_name);
    free(plan->callers_ca);
    free(plan->callers_file);
    free(plan->callers_group);
    memset(plan, 0, sizeof(*plan));
    plan->option_file.fd = -1;
}
