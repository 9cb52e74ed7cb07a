/* Servers that speak only TLS 1.0 or only TLS 1.1, for both engines,
 * connects and the credential-free probe: tls_refused, at once, and the
 * server never completes a handshake (so not one byte of login can follow).
 *
 * The refusal must be librdssecure's own, not the system's: this program
 * runs with OPENSSL_CONF set to tests/fixtures/openssl-permissive.cnf (no
 * minimum version, security level 0), and first shows that under it a
 * plain OpenSSL client with no minimum does complete a verified handshake
 * with each server (and fails with a TLS 1.2 minimum alone). The servers
 * are `openssl s_server -tls1` / `-tls1_1` with a config of their own that
 * allows old TLS, and a certificate for IP:127.0.0.1 from a root made here;
 * fake servers do each engine's pre-TLS step (SSLRequest and 'S', or the
 * MySQL handshake and SSL request) and relay the TLS bytes to them. What
 * s_server prints ("CIPHER is ..." for each handshake it completes) is how
 * the test knows that no handshake completed.
 *
 * Every connect runs twice: with the default trust plus the test root as
 * an extra CA (so many roots that the library probes the server itself
 * before the driver runs, see lib/anchors/narrow.h), and with the test root alone,
 * where libpq and libmariadb meet the server first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

#include "certgen.h"
#include "fake_server.h"
#include "testenv.h"

#define DEADLINE_MS 3000
/* how long s_server may take to listen */
#define START_S 10
/* how long a handshake s_server completed may take to show in its output
 * (seen within milliseconds; a loaded machine gets more) */
#define SETTLE_MS 300

/* The old-TLS servers, started once for all cases. */
typedef struct old_server {
    const char *name;    /* for messages */
    const char *flag;    /* s_server's only version */
    const char *version; /* what SSL_get_version says of it */
    const char *file;    /* its output, in the test directory */
    pid_t pid;
    int port;
    int stdin_fd; /* the write end of its stdin, kept open: s_server stops at EOF */
    char *out;
} old_server;

static old_server servers[] = {
    {"TLS 1.0-only server", "-tls1", "TLSv1", "tls1_0", 0, 0, -1, NULL},
    {"TLS 1.1-only server", "-tls1_1", "TLSv1.1", "tls1_1", 0, 0, -1, NULL},
};
#define SERVERS (sizeof(servers) / sizeof(servers[0]))

/* s_server's own OPENSSL_CONF: old TLS allowed on its side. */
static const char server_conf_text[] = "openssl_conf = default_conf\n"
                                       "[default_conf]\n"
                                       "ssl_conf = ssl_sect\n"
                                       "[ssl_sect]\n"
                                       "system_default = system_default_sect\n"
                                       "[system_default_sect]\n"
                                       "MinProtocol = None\n"
                                       "CipherString = DEFAULT@SECLEVEL=0\n";

static char *dir, *root_path, *cert_path, *key_path, *server_conf;
static tc_cert root_ca, leaf;

static void kill_servers(void)
{
    for (size_t i = 0; i < SERVERS; i++)
        if (servers[i].pid > 0)
            kill(servers[i].pid, SIGKILL);
}

/* A case that hangs fails here with its name, long before ctest's timeout
 * (and takes the s_servers with it). */
#define GUARD_S 30
static char guarded[256];

static void guard_fired(int sig)
{
    (void)sig;
    static const char says[] = ": still not done after 30 s\n";
    kill_servers();
    (void)!write(STDERR_FILENO, guarded, strlen(guarded));
    (void)!write(STDERR_FILENO, says, sizeof(says) - 1);
    _exit(1);
}

static void guard(const char *what)
{
    if (what != NULL)
        snprintf(guarded, sizeof(guarded), "%s", what);
    alarm(what != NULL ? GUARD_S : 0);
}

/* A port nothing listens on right now (s_server binds it a moment later:
 * a small race, retried by start_server). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
        fail_msg("no free port: %s", strerror(errno));
    close(fd);
    return ntohs(addr.sin_port);
}

/* How many handshakes the server says it completed ("CIPHER is ..." each). */
static int handshakes_completed(const old_server *s)
{
    char *text = tc_read(s->out, NULL);
    int count = 0;
    for (const char *p = text; p != NULL && (p = strstr(p, "CIPHER is ")) != NULL; p++)
        count++;
    free(text);
    return count;
}

/* The count once it reaches `at_least`, or after `patience_ms`: s_server
 * prints a handshake a moment after its client has seen it complete. */
static int handshakes_awaited(const old_server *s, int at_least, int patience_ms)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int count = handshakes_completed(s);
    while (count < at_least && seconds_since(&start) * 1000 < patience_ms) {
        usleep(10000);
        count = handshakes_completed(s);
    }
    return count;
}

static void stop_server(old_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    if (s->stdin_fd >= 0)
        close(s->stdin_fd);
    s->stdin_fd = -1;
}

/* Starts s_server and waits until it says ACCEPT (it is listening). */
static int start_server(old_server *s)
{
    char err_path[512];
    snprintf(err_path, sizeof(err_path), "%s.err", s->out);
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = free_port();
        char accept_arg[64];
        snprintf(accept_arg, sizeof(accept_arg), "127.0.0.1:%d", port);
        int in[2];
        int out_fd = open(s->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int err_fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (out_fd < 0 || err_fd < 0 || pipe2(in, O_CLOEXEC) != 0)
            fail_msg("cannot set up s_server's files: %s", strerror(errno));
        pid_t pid = fork();
        if (pid < 0)
            fail_msg("fork: %s", strerror(errno));
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* gone with the test, whatever happens to it */
            if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
                dup2(err_fd, STDERR_FILENO) < 0 || setenv("OPENSSL_CONF", server_conf, 1) != 0)
                _exit(126);
            execlp("openssl", "openssl", "s_server", "-accept", accept_arg, "-cert", cert_path, "-key", key_path,
                   s->flag, "-cipher", "DEFAULT@SECLEVEL=0", (char *)NULL);
            _exit(127);
        }
        close(in[0]);
        close(out_fd);
        close(err_fd);
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        int ready = 0, exited = 0, status = 0;
        while (!ready && !exited && seconds_since(&start) < START_S) {
            char *text = tc_read(s->out, NULL);
            ready = text != NULL && strstr(text, "ACCEPT\n") != NULL;
            free(text);
            exited = !ready && waitpid(pid, &status, WNOHANG) == pid;
            if (!ready && !exited)
                usleep(20000);
        }
        if (ready) {
            s->pid = pid;
            s->port = port;
            s->stdin_fd = in[1];
            print_message("%s: openssl s_server %s on 127.0.0.1:%d (pid %d)\n", s->name, s->flag, port, (int)pid);
            return 1;
        }
        if (!exited) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
        close(in[1]);
        char *err_text = tc_read(err_path, NULL);
        print_message("%s: s_server on port %d did not start (status %d): %s\n", s->name, port, status,
                      err_text ? err_text : "-");
        free(err_text);
        if (exited && WIFEXITED(status) && WEXITSTATUS(status) == 127)
            break; /* no openssl program: no retrying */
    }
    return 0;
}

static int setup(void **state)
{
    (void)state;
    const char *conf = getenv("OPENSSL_CONF");
    print_message("OPENSSL_CONF (this program): %s\n", conf ? conf : "(unset)");
    dir = tc_tmpdir();
    root_ca = tc_make("rdssecure old-TLS test root", 1, -1, 30, NULL);
    leaf = tc_make_server("127.0.0.1", "IP:127.0.0.1", -1, 30, &root_ca);
    char *pem = tc_pem(&root_ca, 1);
    root_path = tc_write(dir, "root.pem", pem, strlen(pem), 0644);
    free(pem);
    pem = tc_pem(&leaf, 1);
    cert_path = tc_write(dir, "server.pem", pem, strlen(pem), 0644);
    free(pem);
    pem = tc_key_pem(&leaf);
    key_path = tc_write(dir, "server.key", pem, strlen(pem), 0600);
    free(pem);
    server_conf = tc_write(dir, "s_server.cnf", server_conf_text, strlen(server_conf_text), 0644);
    for (size_t i = 0; i < SERVERS; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s.out", servers[i].file);
        servers[i].out = tc_write(dir, name, "", 0, 0600);
        if (!start_server(&servers[i])) {
            print_error("%s: openssl s_server %s would not start\n", servers[i].name, servers[i].flag);
            return -1;
        }
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < SERVERS; i++) {
        stop_server(&servers[i]);
        free(servers[i].out);
        servers[i].out = NULL;
    }
    free(root_path);
    free(cert_path);
    free(key_path);
    free(server_conf);
    tc_cert_free(&leaf);
    tc_cert_free(&root_ca);
    tc_rmdir_all(dir);
    return 0;
}

/* ---- a plain OpenSSL client, through the same relays ---------------------- */

static int connect_local(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    struct timeval patience = {5, 0}; /* a broken relay fails the read, not the guard */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof(patience));
    return fd;
}

static void read_exactly(int fd, unsigned char *buffer, size_t n, const char *what)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = recv(fd, buffer + got, n - got, 0);
        if (r <= 0)
            fail_msg("%s: the relay closed or said nothing", what);
        got += (size_t)r;
    }
}

/* The engine's pre-TLS step by hand: SSLRequest and its 'S', or the MySQL
 * handshake and a 32-byte SSL request with CLIENT_SSL. */
static void pre_tls(fake_mode mode, int fd, const char *what)
{
    unsigned char buffer[256];
    if (mode == FAKE_PG_TLS_RELAY) {
        static const unsigned char ssl_request[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
        assert_int_equal(send(fd, ssl_request, sizeof(ssl_request), MSG_NOSIGNAL), sizeof(ssl_request));
        read_exactly(fd, buffer, 1, what);
        assert_int_equal(buffer[0], 'S');
        return;
    }
    read_exactly(fd, buffer, 4, what);
    size_t len = buffer[0] | (size_t)buffer[1] << 8 | (size_t)buffer[2] << 16;
    assert_true(len > 0 && len <= sizeof(buffer));
    read_exactly(fd, buffer, len, what);
    assert_int_equal(buffer[0], 10); /* protocol 10 */
    /* LONG_PASSWORD, PROTOCOL_41, SSL, SECURE_CONNECTION; 16 MiB; utf8 */
    unsigned char request[36] = {32, 0, 0, 1, 0x01, 0x8a, 0, 0, 0, 0, 0, 1, 33};
    assert_int_equal(send(fd, request, sizeof(request), MSG_NOSIGNAL), sizeof(request));
}

/* A plain OpenSSL client with `min_version` (0: none) through a relay of
 * `mode` to s: 1 when the handshake completed and the certificate verified
 * for 127.0.0.1 against the test root; the version in `version`, or the
 * error in `detail`. */
static int plain_handshake(const old_server *s, fake_mode mode, int min_version, char *version, char *detail,
                           size_t size)
{
    fake_server *relay = fake_server_start_relay(mode, s->port);
    int fd = connect_local(fake_server_port(relay));
    pre_tls(mode, fd, s->name);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_set_min_proto_version(ctx, min_version), 1);
    assert_int_equal(SSL_CTX_load_verify_locations(ctx, root_path, NULL), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL *ssl = SSL_new(ctx);
    assert_non_null(ssl);
    assert_int_equal(X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1"), 1);
    SSL_set_fd(ssl, fd);
    ERR_clear_error();
    int ok = SSL_connect(ssl) == 1 && SSL_get_verify_result(ssl) == X509_V_OK;
    snprintf(version, size, "%s", ok ? SSL_get_version(ssl) : "-");
    unsigned long error = ERR_peek_last_error();
    if (error != 0)
        ERR_error_string_n(error, detail, size);
    else
        snprintf(detail, size, "%s", ok ? "-" : "no OpenSSL error (connection closed?)");
    if (ok)
        SSL_shutdown(ssl);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    close(fd);
    fake_server_stop(relay);
    return ok;
}

/* Only librdssecure's own minimum stands in the way: under this program's
 * OpenSSL configuration a client with no minimum completes a verified
 * handshake with each server, through each relay, at the server's old
 * version (and the server reports the handshake: the check the library
 * cases rely on); with a TLS 1.2 minimum alone, the same client fails. */
static void a_plain_client_completes_old_handshakes(void **state)
{
    (void)state;
    static const struct {
        fake_mode mode;
        const char *name;
    } relays[] = {{FAKE_PG_TLS_RELAY, "PostgreSQL relay"}, {FAKE_MY_TLS_RELAY, "MySQL relay"}};
    for (size_t i = 0; i < SERVERS; i++) {
        old_server *s = &servers[i];
        for (size_t r = 0; r < 2; r++) {
            char what[160], version[256], detail[256];
            snprintf(what, sizeof(what), "%s, %s, plain OpenSSL client", s->name, relays[r].name);
            guard(what);
            int before = handshakes_completed(s);
            int ok = plain_handshake(s, relays[r].mode, 0, version, detail, sizeof(version));
            int after = handshakes_awaited(s, before + 1, 5000);
            print_message("%s, no minimum: %s, %s (%s); the server counts %d handshake(s) more\n", what,
                          ok ? "handshake completed" : "FAILED", version, detail, after - before);
            if (!ok)
                fail_msg("%s: with no minimum version the handshake failed (%s): this OpenSSL configuration "
                         "(OPENSSL_CONF=%s) does not allow old TLS, so the library cases would prove nothing",
                         what, detail, getenv("OPENSSL_CONF") ? getenv("OPENSSL_CONF") : "unset");
            if (strcmp(version, s->version) != 0)
                fail_msg("%s: negotiated %s, expected %s", what, version, s->version);
            if (after != before + 1)
                fail_msg("%s: the server's output shows %d more handshakes, expected 1: the check of the "
                         "library cases would be blind", what, after - before);

            before = after;
            ok = plain_handshake(s, relays[r].mode, TLS1_2_VERSION, version, detail, sizeof(version));
            after = handshakes_awaited(s, before + 1, SETTLE_MS);
            guard(NULL);
            print_message("%s, minimum TLS 1.2: %s (%s)\n", what, ok ? "handshake completed" : "refused", detail);
            if (ok || after != before)
                fail_msg("%s: with a TLS 1.2 minimum the handshake completed (%s)", what, version);
        }
    }
}

/* ---- the library ------------------------------------------------------------ */

typedef struct trust_case {
    const char *name;
    int small; /* the test root alone: the driver meets the server first */
} trust_case;

static const trust_case trusts[] = {
    {"default trust + test root, library probes first", 0},
    {"test root alone, driver first", 1},
};
#define TRUSTS (sizeof(trusts) / sizeof(trusts[0]))

static rdss_config *config(const trust_case *t)
{
    rdss_config *cfg = rdss_config_new();
    assert_non_null(cfg);
    if (t->small)
        assert_int_equal(rdss_config_set_bundle_file(cfg, root_path, NULL), RDSS_OK);
    else
        assert_int_equal(rdss_config_add_extra_ca_file(cfg, root_path, NULL), RDSS_OK);
    assert_int_equal(rdss_config_set_timeout_ms(cfg, DEADLINE_MS, NULL), RDSS_OK);
    return cfg;
}

typedef enum kind { PG_CONNECT, MY_CONNECT, PG_PROBE, MY_PROBE } kind;
static const char *const kind_names[] = {"rdss_pg_connect", "rdss_mysql_connect", "rdss_probe (pg)",
                                         "rdss_probe (mysql)"};

static rdss_code pg_connect(const rdss_config *cfg, int port, const char *what)
{
    char info[128];
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%d user=u password=p dbname=d", port);
    rdss_error *err = NULL;
    PGconn *conn = rdss_pg_connect(cfg, info, &err);
    rdss_code code = conn ? RDSS_OK : rdss_error_code(err);
    print_message("%s: %s: %s (driver: %s)\n", what, rdss_error_name(code), err ? rdss_error_message(err) : "-",
                  err && rdss_error_driver_message(err) ? rdss_error_driver_message(err) : "-");
    PQfinish(conn);
    rdss_error_free(err);
    return code;
}

static rdss_code mysql_connect(const rdss_config *cfg, int port, const char *what)
{
    MYSQL *mysql = mysql_init(NULL);
    assert_non_null(mysql);
    rdss_error *err = NULL;
    MYSQL *connected = rdss_mysql_connect(cfg, mysql, "127.0.0.1", "u", "p", "d", (unsigned)port, NULL, 0, &err);
    rdss_code code = connected ? RDSS_OK : rdss_error_code(err);
    print_message("%s: %s: %s (driver: %s)\n", what, rdss_error_name(code), err ? rdss_error_message(err) : "-",
                  err && rdss_error_driver_message(err) ? rdss_error_driver_message(err) : "-");
    mysql_close(mysql);
    rdss_error_free(err);
    return code;
}

/* The probe's verdict; *version the TLS version its report gives ("-":
 * no handshake). */
static rdss_code probe(const rdss_config *cfg, rdss_engine engine, int port, const char *what, char *version,
                       size_t size)
{
    rdss_probe_report *report = NULL;
    rdss_error *err = NULL;
    rdss_code code = rdss_probe(cfg, engine, "127.0.0.1", port, &report, &err);
    const char *negotiated = report ? rdss_probe_report_tls_version(report) : NULL;
    snprintf(version, size, "%s", negotiated ? negotiated : "-");
    print_message("%s: %s, TLS version in the report: %s: %s\n", what, rdss_error_name(code), version,
                  err ? rdss_error_message(err) : "-");
    rdss_code reported = report ? rdss_probe_report_code(report) : (rdss_code)-1;
    rdss_probe_report_free(report);
    rdss_error_free(err);
    if (reported != code)
        fail_msg("%s: the report says %s, the call %s", what, rdss_error_name((int)reported), rdss_error_name(code));
    return code;
}

/* One case: through a relay to s, tls_refused at once, the ClientHello
 * reached the server, and the server completed no handshake. What went
 * wrong goes to `problem` ("" when nothing). */
static void refused(old_server *s, kind k, const trust_case *t, char *problem, size_t size)
{
    char what[256];
    snprintf(what, sizeof(what), "%s, %s (%s)", s->name, kind_names[k], t->name);
    rdss_config *cfg = config(t);
    fake_mode mode = k == PG_CONNECT || k == PG_PROBE ? FAKE_PG_TLS_RELAY : FAKE_MY_TLS_RELAY;
    int before = handshakes_completed(s);
    fake_server *relay = fake_server_start_relay(mode, s->port);
    int port = fake_server_port(relay);
    char version[64] = "-";
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    guard(what);
    rdss_code code = k == PG_CONNECT   ? pg_connect(cfg, port, what)
                     : k == MY_CONNECT ? mysql_connect(cfg, port, what)
                     : probe(cfg, k == PG_PROBE ? RDSS_ENGINE_PG : RDSS_ENGINE_MYSQL, port, what, version,
                             sizeof(version));
    guard(NULL);
    double took = seconds_since(&start);
    int connections = fake_server_connections(relay);
    size_t relayed = fake_server_stop(relay);
    int completed = handshakes_awaited(s, before + 1, SETTLE_MS) - before;
    print_message("%s: %.3f s, %d connection(s), %zu bytes of TLS relayed to the server, %d handshake(s) "
                  "completed by the server\n",
                  what, took, connections, relayed, completed);
    rdss_config_free(cfg);
    problem[0] = '\0';
    if (code != RDSS_ERR_TLS_REFUSED)
        snprintf(problem, size, "%s: expected tls_refused, got %s after %.3f s", what, rdss_error_name(code), took);
    else if (took >= DEADLINE_MS / 1000.0)
        snprintf(problem, size, "%s: tls_refused only after %.3f s (deadline %.3f s): a refusal comes at once", what,
                 took, DEADLINE_MS / 1000.0);
    else if (connections < 1 || relayed == 0)
        snprintf(problem, size,
                 "%s: the TLS server was never reached (%d connections, %zu bytes relayed): the refusal is not "
                 "the one tested",
                 what, connections, relayed);
    if (completed != 0) /* said even when the code was wrong: it is the worse news */
        snprintf(problem + strlen(problem), size - strlen(problem),
                 "%s%s: the %s completed %d TLS handshake(s) with the library (at %s): its TLS 1.2 minimum "
                 "did not hold",
                 problem[0] ? "; " : "", what, s->name, completed, s->version);
    else if (strcmp(version, "-") != 0)
        snprintf(problem + strlen(problem), size - strlen(problem), "%s%s: the probe report gives TLS version %s",
                 problem[0] ? "; " : "", what, version);
}

/* Both trusts, whatever the first gives; then the failures, all of them. */
static void each_trust(old_server *s, kind k)
{
    char problems[TRUSTS][1024];
    int failed = 0;
    for (size_t i = 0; i < TRUSTS; i++) {
        refused(s, k, &trusts[i], problems[i], sizeof(problems[i]));
        failed += problems[i][0] != '\0';
    }
    for (size_t i = 0; i < TRUSTS; i++)
        if (problems[i][0] != '\0')
            print_error("%s\n", problems[i]);
    if (failed)
        fail_msg("%d of %zu trusts failed (above)", failed, TRUSTS);
}

#define CASES(index, suffix)                                                                                 \
    static void pg_connect_##suffix(void **state)                                                            \
    {                                                                                                        \
        (void)state;                                                                                         \
        each_trust(&servers[index], PG_CONNECT);                                                             \
    }                                                                                                        \
    static void mysql_connect_##suffix(void **state)                                                         \
    {                                                                                                        \
        (void)state;                                                                                         \
        each_trust(&servers[index], MY_CONNECT);                                                             \
    }                                                                                                        \
    static void pg_probe_##suffix(void **state)                                                              \
    {                                                                                                        \
        (void)state;                                                                                         \
        each_trust(&servers[index], PG_PROBE);                                                               \
    }                                                                                                        \
    static void mysql_probe_##suffix(void **state)                                                           \
    {                                                                                                        \
        (void)state;                                                                                         \
        each_trust(&servers[index], MY_PROBE);                                                               \
    }

CASES(0, refuses_tls1_0_only)
CASES(1, refuses_tls1_1_only)

/* An argument runs only the cases whose names match it (cmocka's filter,
 * * wildcards). */
int main(int argc, char **argv)
{
    signal(SIGALRM, guard_fired);
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_plain_client_completes_old_handshakes),
        cmocka_unit_test(pg_connect_refuses_tls1_0_only),
        cmocka_unit_test(mysql_connect_refuses_tls1_0_only),
        cmocka_unit_test(pg_probe_refuses_tls1_0_only),
        cmocka_unit_test(mysql_probe_refuses_tls1_0_only),
        cmocka_unit_test(pg_connect_refuses_tls1_1_only),
        cmocka_unit_test(mysql_connect_refuses_tls1_1_only),
        cmocka_unit_test(pg_probe_refuses_tls1_1_only),
        cmocka_unit_test(mysql_probe_refuses_tls1_1_only),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    mysql_library_end();
    return failed;
}
