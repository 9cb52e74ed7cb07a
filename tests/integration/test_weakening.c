/* No driver option, environment variable, service file, default file or
 * option file makes a connect to an untrusted server succeed. The server
 * is real (the scratch PostgreSQL and MariaDB) and an impostor: its root
 * has the same name as the trusted root, and another key. The weapon is a
 * "CRL" file holding the impostor's root and a CRL it signed: both drivers
 * load CRL files with X509_STORE_load_locations, which trusts every
 * certificate in them. Each case first shows the weapon works on the raw
 * driver, so that a refusal here proves something. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "certgen.h"
#include "child.h"
#include "scratch.h"
#include "testenv.h"

#define PGS(key) testenv("postgres_scratch.env", key)
#define MYS(key) testenv("mariadb_scratch.env", key)
#define SANS "DNS:localhost,IP:127.0.0.1"

static tc_cert root, impostor_root, impostor_leaf, good_leaf, wrong_name_leaf;
static char *dir, *trust_path, *attack_path, *attack_dir, *fifo_path, *impostor_root_path;
static rdss_config *cfg;

static int setup(void **state)
{
    (void)state;
    root = tc_make("rdssecure test Root CA", 1, -1, 365, NULL);
    impostor_root = tc_make("rdssecure test Root CA", 1, -1, 365, NULL); /* same name, other key */
    impostor_leaf = tc_make_server("impostor", SANS, -1, 30, &impostor_root);
    good_leaf = tc_make_server("genuine", SANS, -1, 30, &root);
    wrong_name_leaf = tc_make_server("elsewhere", "DNS:elsewhere.example", -1, 30, &root);
    dir = tc_tmpdir();
    char *pem = tc_pem(&root, 1);
    trust_path = tc_write(dir, "trust.pem", pem, strlen(pem), 0644);
    free(pem);
    /* the weapon: the impostor's root and a CRL it signed, as one "CRL" file */
    char *impostor_pem = tc_pem(&impostor_root, 1), *crl = tc_crl_pem(&impostor_root);
    size_t len = strlen(impostor_pem) + strlen(crl) + 1;
    char *weapon = malloc(len);
    snprintf(weapon, len, "%s%s", impostor_pem, crl);
    attack_path = tc_write(dir, "attack.crl", weapon, strlen(weapon), 0644);
    impostor_root_path = tc_write(dir, "impostor-root.pem", impostor_pem, strlen(impostor_pem), 0644);
    /* a CRL directory holding the same, under OpenSSL's hashed names */
    char sub[512];
    snprintf(sub, sizeof(sub), "%s/crldir", dir);
    mkdir(sub, 0755);
    attack_dir = strdup(sub);
    char name[32];
    snprintf(name, sizeof(name), "%08lx.0", X509_NAME_hash_ex(X509_get_subject_name(impostor_root.cert),
                                                            NULL, NULL, NULL));
    free(tc_write(attack_dir, name, impostor_pem, strlen(impostor_pem), 0644));
    snprintf(name, sizeof(name), "%08lx.r0", X509_NAME_hash_ex(X509_get_subject_name(impostor_root.cert),
                                                             NULL, NULL, NULL));
    free(tc_write(attack_dir, name, crl, strlen(crl), 0644));
    free(impostor_pem);
    free(crl);
    free(weapon);
    char fifo[512];
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    if (mkfifo(fifo, 0600) != 0)
        return -1;
    fifo_path = strdup(fifo);
    cfg = rdss_config_new();
    rdss_config_set_timeout_ms(cfg, 3000, NULL);
    if (rdss_config_set_bundle_file(cfg, trust_path, NULL) != RDSS_OK)
        return -1;
    scratch_pg_serve(&impostor_leaf, NULL);
    scratch_mysql_serve(&impostor_leaf, NULL);
    return 0;
}

/* The scratch servers go back to the fixture's own certificate, whatever
 * happened: other tests share them. */
static int teardown(void **state)
{
    (void)state;
    scratch_both_restore(state);
    rdss_config_free(cfg);
    tc_rmdir_all(dir);
    free(trust_path);
    free(attack_path);
    free(attack_dir);
    free(fifo_path);
    free(impostor_root_path);
    tc_cert *all[] = {&root, &impostor_root, &impostor_leaf, &good_leaf, &wrong_name_leaf};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        tc_cert_free(all[i]);
    return 0;
}

/* Environment a case set, undone whether it passed or not. */
static int clear_environment(void **state)
{
    (void)state;
    const char *names[] = {"PGSSLCRL", "PGSSLCRLDIR", "PGSERVICEFILE", "PGSERVICE", "PGSSLCOMPRESSION",
                           "PGSSLMAXPROTOCOLVERSION", "PGSSLCERT", "PGSSLKEY", "PGSSLMODE",
                           "PGSSLROOTCERT", "PGGSSENCMODE", "PGSSLMINPROTOCOLVERSION", "PGSSLSNI"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unsetenv(names[i]);
    return 0;
}

/* ---- PostgreSQL ------------------------------------------------------------ */

static char *pg_info(const char *extra)
{
    static char info[1024];
    char user[64], password[128]; /* testenv's buffers rotate: keep copies */
    snprintf(user, sizeof(user), "%s", PGS("PG_USER"));
    snprintf(password, sizeof(password), "%s", PGS("PG_PASSWORD"));
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%s user=%s password=%s dbname=%s %s",
             PGS("PG_PORT"), user, password, PGS("PG_DATABASE"), extra);
    return info;
}

static int raw_libpq_connects(const char *extra)
{
    char info[1024];
    snprintf(info, sizeof(info), "%s sslmode=verify-full sslrootcert=%s", pg_info(extra), trust_path);
    PGconn *conn = PQconnectdb(info);
    int ok = PQstatus(conn) == CONNECTION_OK;
    if (!ok)
        print_message("raw libpq (%s): %s", extra, PQerrorMessage(conn));
    PQfinish(conn);
    return ok;
}

static rdss_code rdss_pg_code(const char *extra, const char *must_mention)
{
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, pg_info(extra), &err);
    rdss_code code = conn != NULL ? RDSS_OK : rdss_error_code(err);
    if (conn == NULL)
        print_message("librdssecure (%s): %s: %s\n", extra, rdss_error_name(code), rdss_error_message(err));
    if (must_mention != NULL && conn == NULL && strstr(rdss_error_message(err), must_mention) == NULL)
        fail_msg("the message does not name %s: %s", must_mention, rdss_error_message(err));
    rdss_error_free(err);
    PQfinish(conn);
    return code;
}

static void the_weapon_works_on_raw_libpq(void **state)
{
    (void)state;
    assert_false(raw_libpq_connects(""));
    char extra[600];
    snprintf(extra, sizeof(extra), "sslcrl=%s", attack_path);
    assert_true(raw_libpq_connects(extra));
    /* (a CRL directory is looked in only for names the store lacks: with
     * the impostor named like the trusted root it adds nothing, so the
     * directory cases below show refusal, not a working weapon) */
}

static void pg_crl_settings_are_refused(void **state)
{
    (void)state;
    char extra[600];
    snprintf(extra, sizeof(extra), "sslcrl=%s", attack_path);
    assert_int_equal(rdss_pg_code(extra, "sslcrl"), RDSS_ERR_INSECURE_OPTION);
    snprintf(extra, sizeof(extra), "sslcrldir=%s", attack_dir);
    assert_int_equal(rdss_pg_code(extra, "sslcrldir"), RDSS_ERR_INSECURE_OPTION);
    setenv("PGSSLCRL", attack_path, 1);
    assert_int_equal(rdss_pg_code("", "PGSSLCRL"), RDSS_ERR_INSECURE_OPTION);
    unsetenv("PGSSLCRL");
    setenv("PGSSLCRLDIR", attack_dir, 1);
    assert_int_equal(rdss_pg_code("", "PGSSLCRLDIR"), RDSS_ERR_INSECURE_OPTION);
    unsetenv("PGSSLCRLDIR");
    /* and without any: the impostor is refused */
    assert_int_equal(rdss_pg_code("", NULL), RDSS_ERR_CERT_VERIFY);
}

static void a_service_file_crl_adds_no_trust(void **state)
{
    (void)state;
    char text[1400];
    snprintf(text, sizeof(text), "[evil]\nsslcrl=%s\n[evil_dir]\nsslcrldir=%s\n", attack_path, attack_dir);
    char *path = tc_write(dir, "pg_service.conf", text, strlen(text), 0644);
    setenv("PGSERVICEFILE", path, 1);
    assert_true(raw_libpq_connects("service=evil")); /* the weapon, through the file */
    assert_int_equal(rdss_pg_code("service=evil", NULL), RDSS_ERR_CERT_VERIFY);
    assert_int_equal(rdss_pg_code("service=evil_dir", NULL), RDSS_ERR_CERT_VERIFY);
    setenv("PGSERVICE", "evil", 1);
    assert_int_equal(rdss_pg_code("", NULL), RDSS_ERR_CERT_VERIFY);
    unsetenv("PGSERVICE");
    unsetenv("PGSERVICEFILE");
    free(path);
}

/* libpq 15 finds ~/.postgresql/ through the passwd entry's home, not
 * $HOME: a child process gets a private mount namespace with a directory of
 * ours over that home, holding `name` (a copy of `source`, or a FIFO when
 * source is NULL). With raw_extra, the raw driver with that conninfo must
 * connect first (the file is a weapon); then librdssecure must give
 * `expected`. Exit status: 0 as expected, 1 the raw driver did not take the
 * weapon, 2 librdssecure gave something else, 77 no namespace. */
static int home_file_child(const char *name, const char *source, const char *raw_extra, rdss_code expected)
{
    struct passwd *pw = getpwuid(geteuid());
    if (pw == NULL || unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
        return 77;
    char home[512], pgdir[600], path[700];
    snprintf(home, sizeof(home), "%s/home-%d", dir, (int)getpid());
    mkdir(home, 0700);
    snprintf(pgdir, sizeof(pgdir), "%s/.postgresql", home);
    mkdir(pgdir, 0700);
    if (source != NULL) {
        size_t len = 0;
        char *content = tc_read(source, &len);
        free(tc_write(pgdir, name, content, len, 0600));
        free(content);
    } else {
        snprintf(path, sizeof(path), "%s/%s", pgdir, name);
        if (mkfifo(path, 0600) != 0)
            return 77;
    }
    if (mount(home, pw->pw_dir, "none", MS_BIND, NULL) != 0)
        return 77;
    if (raw_extra != NULL) {
        PGconn *conn = PQconnectdb(pg_info(raw_extra));
        int ok = PQstatus(conn) == CONNECTION_OK;
        PQfinish(conn);
        if (!ok)
            return 1;
    }
    return rdss_pg_code("", NULL) == expected ? 0 : 2;
}

typedef struct home_case {
    const char *name, *source, *raw_extra;
    rdss_code expected;
} home_case;

static int home_case_child(void *arg)
{
    const home_case *c = arg;
    return home_file_child(c->name, c->source, c->raw_extra, c->expected);
}

static void in_a_private_home(const char *name, const char *source, const char *raw_extra, rdss_code expected)
{
    home_case c = {name, source, raw_extra, expected};
    int result = run_in_child(home_case_child, &c, 20);
    if (result == 77) {
        print_message("skipped: no private mount namespace here (needs root)\n");
        skip();
    }
    if (result != 0)
        fail_msg("~/.postgresql/%s: %s", name,
                 result == 1   ? "the raw driver did not take the weapon"
                 : result == 2 ? "librdssecure did not give the expected result"
                               : "the child died or hung");
}

static void the_default_files_in_home_add_no_trust(void **state)
{
    (void)state;
    char raw[700];
    snprintf(raw, sizeof(raw), "sslmode=verify-full sslrootcert=%s", trust_path);
    /* root.crl holding the impostor's root: libpq trusts it */
    in_a_private_home("root.crl", attack_path, raw, RDSS_ERR_CERT_VERIFY);
    /* root.crt naming the impostor's root: libpq's default trust */
    in_a_private_home("root.crt", impostor_root_path, "sslmode=verify-full", RDSS_ERR_CERT_VERIFY);
    /* a FIFO as the default client certificate: refused, not waited on */
    in_a_private_home("postgresql.crt", NULL, NULL, RDSS_ERR_INVALID_ARGUMENT);
}

static void pg_other_file_and_tls_settings(void **state)
{
    (void)state;
    /* a FIFO as the bundle is refused at once, never waited on */
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    char extra[600];
    snprintf(extra, sizeof(extra), "sslrootcert=%s", fifo_path);
    assert_int_equal(rdss_pg_code(extra, "regular file"), RDSS_ERR_BUNDLE);
    snprintf(extra, sizeof(extra), "sslcert=%s", fifo_path);
    assert_int_equal(rdss_pg_code(extra, "regular file"), RDSS_ERR_INVALID_ARGUMENT);
    setenv("PGSSLKEY", fifo_path, 1);
    assert_int_equal(rdss_pg_code("", "PGSSLKEY"), RDSS_ERR_INVALID_ARGUMENT);
    unsetenv("PGSSLKEY");
    /* files libpq would open by itself: a FIFO as the service file, or
     * named as the client certificate inside one */
    setenv("PGSERVICEFILE", fifo_path, 1);
    assert_int_equal(rdss_pg_code("service=x", "regular file"), RDSS_ERR_INVALID_ARGUMENT);
    char text[600];
    snprintf(text, sizeof(text), "[fifo]\nsslcert=%s\nsslkey=%s\n", fifo_path, fifo_path);
    char *service = tc_write(dir, "pg_service_fifo.conf", text, strlen(text), 0644);
    setenv("PGSERVICEFILE", service, 1);
    assert_int_equal(rdss_pg_code("service=fifo", NULL), RDSS_ERR_CERT_VERIFY);
    unsetenv("PGSERVICEFILE");
    free(service);
    assert_true(seconds_since(&start) < 2.0);
    /* TLS compression and old TLS, in the conninfo and the environment */
    assert_int_equal(rdss_pg_code("sslcompression=1", "sslcompression"), RDSS_ERR_INSECURE_OPTION);
    setenv("PGSSLMAXPROTOCOLVERSION", "TLSv1.1", 1);
    assert_int_equal(rdss_pg_code("", "PGSSLMAXPROTOCOLVERSION"), RDSS_ERR_INSECURE_OPTION);
    unsetenv("PGSSLMAXPROTOCOLVERSION");
    /* a keyword nobody classified never reaches libpq */
    const char *keywords[] = {"host", "no_such_option", NULL};
    const char *values[] = {"127.0.0.1", "1", NULL};
    rdss_error *err = NULL;
    assert_null(rdss_pg_connect_params(cfg, keywords, values, 0, &err));
    assert_int_equal(rdss_error_code(err), RDSS_ERR_INVALID_ARGUMENT);
    rdss_error_free(err);
}


/* Every libpq setting that touches TLS, trust, files or where libpq
 * connects, at its weakest, through the conninfo, its environment variable
 * and a service file, against a server it would let through: the impostor
 * (an untrusted chain), or one with a trusted chain for another name. The
 * raw driver given the same setting connects, which is what makes each row
 * an attack. */
typedef enum { IMPOSTOR, WRONG_NAME } served;

static void each_weak_libpq_setting_from_each_source(void **state)
{
    (void)state;
    char crl_dir_value[600];
    snprintf(crl_dir_value, sizeof(crl_dir_value), "%s", attack_dir);
    const struct {
        const char *keyword, *value;
        served server;
        int raw_connects; /* the raw driver, with this setting alone, connects */
        int caller_may;   /* in the conninfo it is the caller's own trust choice */
    } rows[] = {
        {"sslmode", "disable", IMPOSTOR, 0, 0}, /* the server itself wants TLS */
        {"sslmode", "allow", IMPOSTOR, 0, 0},
        {"sslmode", "prefer", IMPOSTOR, 1, 0},
        {"sslmode", "require", IMPOSTOR, 1, 0},
        {"sslmode", "verify-ca", WRONG_NAME, 1, 0},
        {"sslrootcert", impostor_root_path, IMPOSTOR, 1, 1},
        {"sslcrl", attack_path, IMPOSTOR, 1, 0},
        {"sslcrldir", crl_dir_value, IMPOSTOR, 0, 0},
        {"gssencmode", "require", IMPOSTOR, 0, 0},
        {"ssl_min_protocol_version", "TLSv1", IMPOSTOR, 0, 0},
        {"ssl_max_protocol_version", "TLSv1.1", IMPOSTOR, 0, 0},
        {"sslcompression", "1", IMPOSTOR, 0, 0},
        {"sslsni", "0", WRONG_NAME, 0, 0},
    };
    served now = IMPOSTOR;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (rows[i].server != now) {
            now = rows[i].server;
            scratch_pg_serve(now == IMPOSTOR ? &impostor_leaf : &wrong_name_leaf, NULL);
        }
        char setting[700];
        snprintf(setting, sizeof(setting), "%s=%s", rows[i].keyword, rows[i].value);
        if (rows[i].raw_connects) {
            /* the raw driver, told to verify only as far as the row says */
            char raw[1400];
            snprintf(raw, sizeof(raw), "%s %s", pg_info(""), setting);
            if (strcmp(rows[i].keyword, "sslmode") != 0)
                snprintf(raw, sizeof(raw), "%s sslmode=verify-full %s", pg_info(""), setting);
            if (strcmp(rows[i].keyword, "sslrootcert") != 0) {
                /* require and prefer verify when a root file exists: none */
                int unverified = strcmp(rows[i].value, "require") == 0 || strcmp(rows[i].value, "prefer") == 0;
                size_t used = strlen(raw);
                snprintf(raw + used, sizeof(raw) - used, " sslrootcert=%s",
                         unverified ? "/proc/self/fd/-1/none" : trust_path);
            }
            PGconn *conn = PQconnectdb(raw);
            if (PQstatus(conn) != CONNECTION_OK)
                fail_msg("row %s: the raw driver does not connect: %s", setting, PQerrorMessage(conn));
            PQfinish(conn);
        }
        /* 1. the conninfo */
        rdss_code code = rdss_pg_code(setting, NULL);
        /* (a conninfo sslrootcert is the caller naming the bundle to trust) */
        if (!rows[i].caller_may && code == RDSS_OK)
            fail_msg("conninfo %s: connected", setting);
        /* 2. the environment variable */
        char envvar[64] = "";
        PQconninfoOption *defaults = PQconndefaults();
        for (PQconninfoOption *o = defaults; o && o->keyword; o++)
            if (strcmp(o->keyword, rows[i].keyword) == 0 && o->envvar)
                snprintf(envvar, sizeof(envvar), "%s", o->envvar);
        PQconninfoFree(defaults);
        if (envvar[0]) {
            setenv(envvar, rows[i].value, 1);
            code = rdss_pg_code("", NULL);
            unsetenv(envvar);
            if (code == RDSS_OK)
                fail_msg("%s=%s in the environment: connected", envvar, rows[i].value);
        }
        /* 3. a service file */
        char text[800];
        snprintf(text, sizeof(text), "[weak]\n%s\n", setting);
        char *service = tc_write(dir, "weak_service.conf", text, strlen(text), 0644);
        setenv("PGSERVICEFILE", service, 1);
        code = rdss_pg_code("service=weak", NULL);
        unsetenv("PGSERVICEFILE");
        free(service);
        if (code == RDSS_OK)
            fail_msg("%s in a service file: connected", setting);
    }
    scratch_pg_serve(&impostor_leaf, NULL);
}

static void pg_the_genuine_server_still_connects(void **state)
{
    (void)state;
    scratch_pg_serve(&good_leaf, NULL);
    assert_int_equal(rdss_pg_code("", NULL), RDSS_OK);
    /* with a service file naming CRLs, too: they are never loaded */
    char text[600];
    snprintf(text, sizeof(text), "[crl]\nsslcrl=%s\n", attack_path);
    char *path = tc_write(dir, "pg_service_crl.conf", text, strlen(text), 0644);
    setenv("PGSERVICEFILE", path, 1);
    assert_int_equal(rdss_pg_code("service=crl", NULL), RDSS_OK);
    unsetenv("PGSERVICEFILE");
    free(path);
    scratch_pg_serve(&impostor_leaf, NULL);
}

/* ---- MySQL ------------------------------------------------------------------ */

static MYSQL *raw_mysql(MYSQL *mysql)
{
    my_bool on = 1;
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CA, trust_path);
    mysql_optionsv(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    mysql_optionsv(mysql, MYSQL_OPT_SSL_ENFORCE, &on);
    MYSQL *connected = mysql_real_connect(mysql, "127.0.0.1", MYS("MY_USER"), MYS("MY_PASSWORD"),
                                          MYS("MY_DATABASE"), (unsigned)atoi(MYS("MY_PORT")), NULL, 0);
    if (connected == NULL)
        print_message("raw libmariadb: %s\n", mysql_error(mysql));
    return connected;
}

static rdss_code librdssecure_mysql_code(MYSQL *mysql, const char *password, const char *must_mention)
{
    rdss_error *err = NULL;
    MYSQL *connected = rdss_mysql_connect(cfg, mysql, "127.0.0.1", MYS("MY_USER"), password,
                                          MYS("MY_DATABASE"), (unsigned)atoi(MYS("MY_PORT")), NULL, 0, &err);
    rdss_code code = connected ? RDSS_OK : rdss_error_code(err);
    if (must_mention != NULL && connected == NULL && strstr(rdss_error_message(err), must_mention) == NULL)
        fail_msg("the message does not name %s: %s", must_mention, rdss_error_message(err));
    rdss_error_free(err);
    return code;
}

static void the_weapon_works_on_raw_libmariadb(void **state)
{
    (void)state;
    MYSQL *mysql = mysql_init(NULL);
    assert_null(raw_mysql(mysql));
    mysql_close(mysql);
    mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CRL, attack_path);
    assert_non_null(raw_mysql(mysql));
    mysql_close(mysql);
}

static void mysql_crl_settings_are_refused(void **state)
{
    (void)state;
    MYSQL *mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CRL, attack_path);
    assert_int_equal(librdssecure_mysql_code(mysql, MYS("MY_PASSWORD"), "MYSQL_OPT_SSL_CRL"), RDSS_ERR_INSECURE_OPTION);
    mysql_close(mysql);
    mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CRLPATH, attack_dir);
    assert_int_equal(librdssecure_mysql_code(mysql, MYS("MY_PASSWORD"), "MYSQL_OPT_SSL_CRLPATH"), RDSS_ERR_INSECURE_OPTION);
    mysql_close(mysql);
    const char *keys[] = {"ssl-crl", "tls-crl", "ssl_crl", "ssl-crlpath", "tls-crlpath"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char text[700];
        snprintf(text, sizeof(text), "[client]\n%s=%s\n", keys[i], strstr(keys[i], "path") ? attack_dir : attack_path);
        char *path = tc_write(dir, "crl.cnf", text, strlen(text), 0644);
        mysql = mysql_init(NULL);
        mysql_optionsv(mysql, MYSQL_READ_DEFAULT_FILE, path);
        assert_int_equal(librdssecure_mysql_code(mysql, MYS("MY_PASSWORD"), "crl"), RDSS_ERR_INSECURE_OPTION);
        mysql_close(mysql);
        free(path);
    }
    mysql = mysql_init(NULL);
    assert_int_equal(librdssecure_mysql_code(mysql, MYS("MY_PASSWORD"), NULL), RDSS_ERR_CERT_VERIFY);
    mysql_close(mysql);
}

static int connect_in_child(void *unused)
{
    (void)unused;
    MYSQL *mysql = mysql_init(NULL);
    return librdssecure_mysql_code(mysql, MYS("MY_PASSWORD"), NULL) == RDSS_OK ? 0 : 1;
}

static void mysql_reconnect_stays_off_and_a_failed_handle_is_reusable(void **state)
{
    (void)state;
    scratch_mysql_serve(&good_leaf, NULL);
    /* reconnect=1 in an option file: libmariadb reads it after our options */
    const char *text = "[client]\nreconnect=1\n";
    char *path = tc_write(dir, "reconnect.cnf", text, strlen(text), 0644);
    MYSQL *mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_READ_DEFAULT_FILE, path);
    assert_int_equal(librdssecure_mysql_code(mysql, MYS("MY_PASSWORD"), NULL), RDSS_OK);
    my_bool reconnect = 1;
    assert_int_equal(mysql_get_optionv(mysql, MYSQL_OPT_RECONNECT, &reconnect), 0);
    assert_int_equal(reconnect, 0);
    /* its CA file, should libmariadb reconnect on its own: one nothing can
     * open (not the system's CAs, not a descriptor number reused later) */
    const char *kept = NULL;
    assert_int_equal(mysql_get_optionv(mysql, MYSQL_OPT_SSL_CA, &kept), 0);
    assert_non_null(kept);
    assert_true(open(kept, O_RDONLY) < 0);
    mysql_close(mysql);
    /* a child forked after connects (the deadline watchdog ran) connects */
    assert_int_equal(run_in_child(connect_in_child, NULL, 20), 0);
    /* a failed connect leaves the handle as the caller had it */
    mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_READ_DEFAULT_FILE, path);
    assert_int_equal(librdssecure_mysql_code(mysql, "wrong password", NULL), RDSS_ERR_AUTH);
    const char *ca = "not read";
    assert_int_equal(mysql_get_optionv(mysql, MYSQL_OPT_SSL_CA, &ca), 0);
    assert_null(ca);
    assert_string_equal(mysql->options.my_cnf_file, path);
    assert_int_equal(librdssecure_mysql_code(mysql, MYS("MY_PASSWORD"), NULL), RDSS_OK);
    mysql_close(mysql);
    free(path);
    scratch_mysql_serve(&impostor_leaf, NULL);
}

static void mysql_fifos_never_hang_a_connect(void **state)
{
    (void)state;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    MYSQL *mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CA, fifo_path);
    assert_int_equal(librdssecure_mysql_code(mysql, MYS("MY_PASSWORD"), "regular file"), RDSS_ERR_BUNDLE);
    mysql_close(mysql);
    /* a client certificate or key that is a FIFO, on the handle or in a file */
    mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CERT, fifo_path);
    assert_int_equal(librdssecure_mysql_code(mysql, MYS("MY_PASSWORD"), "regular file"), RDSS_ERR_INVALID_ARGUMENT);
    mysql_close(mysql);
    char line[1400];
    snprintf(line, sizeof(line), "[client]\nssl-key=%s\n", fifo_path);
    char *keyfile = tc_write(dir, "fifokey.cnf", line, strlen(line), 0644);
    mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_READ_DEFAULT_FILE, keyfile);
    assert_int_equal(librdssecure_mysql_code(mysql, MYS("MY_PASSWORD"), "regular file"), RDSS_ERR_INSECURE_OPTION);
    mysql_close(mysql);
    free(keyfile);
    /* a file that includes itself twice: 2^64 reads, were they not counted */
    char loop_path[600];
    snprintf(loop_path, sizeof(loop_path), "%s/loop.cnf", dir);
    snprintf(line, sizeof(line), "[client]\n!include %s\n!include %s\nuser=x\n", loop_path, loop_path);
    free(tc_write(dir, "loop.cnf", line, strlen(line), 0644));
    mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_READ_DEFAULT_FILE, loop_path);
    assert_int_equal(librdssecure_mysql_code(mysql, MYS("MY_PASSWORD"), "include"), RDSS_ERR_INVALID_ARGUMENT);
    mysql_close(mysql);
    /* the option file itself a FIFO: said, not waited on */
    mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_READ_DEFAULT_FILE, fifo_path);
    assert_int_equal(librdssecure_mysql_code(mysql, MYS("MY_PASSWORD"), "regular file"), RDSS_ERR_INVALID_ARGUMENT);
    mysql_close(mysql);
    /* an !include of a FIFO is skipped, as libmariadb's copy never names it */
    char text[600];
    snprintf(text, sizeof(text), "[client]\n!include %s\nconnect-timeout=2\n", fifo_path);
    char *path = tc_write(dir, "fifo.cnf", text, strlen(text), 0644);
    mysql = mysql_init(NULL);
    mysql_optionsv(mysql, MYSQL_READ_DEFAULT_FILE, path);
    assert_int_equal(librdssecure_mysql_code(mysql, MYS("MY_PASSWORD"), NULL), RDSS_ERR_CERT_VERIFY);
    mysql_close(mysql);
    free(path);
    assert_true(seconds_since(&start) < 2.5);
}

/* ---- the bundle itself ---------------------------------------------------- */

static void a_bundle_another_user_owns_is_refused(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: needs root to give a file to another user\n");
        skip();
    }
    size_t len = 0;
    char *pem = tc_read(trust_path, &len);
    char *path = tc_write(dir, "others.pem", pem, len, 0644);
    assert_int_equal(chown(path, 65534, 65534), 0);
    rdss_config *other = rdss_config_new();
    rdss_error *err = NULL;
    assert_int_equal(rdss_config_set_bundle_file(other, path, &err), RDSS_ERR_BUNDLE);
    assert_non_null(strstr(rdss_error_message(err), "owned by uid 65534"));
    rdss_error_free(err);
    /* the same file, ours again: accepted */
    assert_int_equal(chown(path, 0, 0), 0);
    assert_int_equal(rdss_config_set_bundle_file(other, path, NULL), RDSS_OK);
    rdss_config_free(other);
    free(path);
    free(pem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(the_weapon_works_on_raw_libpq, clear_environment),
        cmocka_unit_test_teardown(pg_crl_settings_are_refused, clear_environment),
        cmocka_unit_test_teardown(a_service_file_crl_adds_no_trust, clear_environment),
        cmocka_unit_test_teardown(the_default_files_in_home_add_no_trust, clear_environment),
        cmocka_unit_test_teardown(pg_other_file_and_tls_settings, clear_environment),
        cmocka_unit_test_teardown(each_weak_libpq_setting_from_each_source, clear_environment),
        cmocka_unit_test_teardown(pg_the_genuine_server_still_connects, clear_environment),
        cmocka_unit_test(the_weapon_works_on_raw_libmariadb),
        cmocka_unit_test(mysql_crl_settings_are_refused),
        cmocka_unit_test(mysql_reconnect_stays_off_and_a_failed_handle_is_reusable),
        cmocka_unit_test(mysql_fifos_never_hang_a_connect),
        cmocka_unit_test(a_bundle_another_user_owns_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
