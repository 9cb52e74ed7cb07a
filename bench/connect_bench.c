/* connect_bench: connect+close loops side by side, for PostgreSQL and MySQL,
 * raw driver vs librdssecure, whole bundle vs the one root that anchors the
 * server. Each (variant, round) runs in a fresh child process, so that every
 * variant pays its own one-time costs and has its own peak RSS; rounds
 * alternate the variants (A B C ... A B C ...) so drift hits all alike.
 *
 *   connect_bench --env DIR --bundle FILE [--connects N] [--rounds R] [--only fresh|endpoints]
 *
 * DIR holds postgres.env, mariadb.env and pki/ (tests/fixtures write them);
 * FILE is the RDS bundle to compare with (certs/rds-global-roots.pem). The
 * test root is added to it (as an extra CA for librdssecure), since the
 * local servers' certificates chain to the test PKI. Prints medians, the
 * ratios the README's Performance section quotes, client CPU per connect
 * and peak RSS. Asserts nothing about time: it measures. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netdb.h>
#include <poll.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

typedef struct settings {
    const char *env_dir, *bundle, *self;
    int mysql_by_name; /* NAME resolves here (bench/run maps it to 127.0.0.1) */
    char bundle_plus_test[512], root[512];
    int connects, rounds;
    const char *only; /* --only fresh|endpoints: that table alone */
    char pg_port[16], pg_user[64], pg_password[128], pg_db[64];
    char my_port[16], my_user[64], my_password[128], my_db[64];
} settings;

typedef enum kind { RAW, RDSS } kind;

typedef struct variant {
    const char *name;
    int mysql;        /* 0: PostgreSQL */
    kind kind;
    int whole_bundle; /* else the one root */
    int embedded;     /* librdssecure: the embedded bundle (+ the test root) */
    int event_loop;   /* librdssecure: rdss_pg_connect_start/_poll, rdss_mysql_connect_start/_cont */
    int verify_name;  /* librdssecure: with NAME as the verify-name, as through a tunnel */
} variant;

static const variant variants[] = {
    {"pg raw, whole bundle", 0, RAW, 1, 0, 0, 0},
    {"pg raw, one root (floor)", 0, RAW, 0, 0, 0, 0},
    {"pg librdssecure, embedded", 0, RDSS, 1, 1, 0, 0},
    {"pg librdssecure, bundle file", 0, RDSS, 1, 0, 0, 0},
    {"pg librdssecure, one root", 0, RDSS, 0, 0, 0, 0},
    {"pg librdssecure, embedded, event loop", 0, RDSS, 1, 1, 1, 0},
    {"mysql raw, whole bundle", 1, RAW, 1, 0, 0, 0},
    {"mysql raw, one root (floor)", 1, RAW, 0, 0, 0, 0},
    {"mysql librdssecure, embedded", 1, RDSS, 1, 1, 0, 0},
    {"mysql librdssecure, bundle file", 1, RDSS, 1, 0, 0, 0},
    {"mysql librdssecure, one root", 1, RDSS, 0, 0, 0, 0},
    {"mysql librdssecure, embedded, event loop", 1, RDSS, 1, 1, 1, 0},
};
#define VARIANTS (sizeof(variants) / sizeof(variants[0]))

/* MySQL through a tunnel: libmariadb checks no name but the one it connects
 * to, so the library probes (checking the verify-name) before each connect. */
static const variant mysql_tunnel = {"mysql librdssecure, embedded, verify-name", 1, RDSS, 1, 1, 0, 1};

/* One connect per process, the whole process timed: by the RDS endpoint
 * name, librdssecure with the embedded bundle or with an on-disk copy of
 * it (each plus the test root), against the raw driver given the one root
 * (the floor). */
#define NAME "db1.abc123xyz.us-east-1.rds.amazonaws.com"

typedef struct fresh_variant {
    const char *name;
    int mysql;
    kind kind;
    int bundle_file; /* librdssecure: the on-disk copy, else the embedded bundle */
} fresh_variant;

static const fresh_variant fresh_variants[] = {
    {"pg raw, one root (floor)", 0, RAW, 0},
    {"pg librdssecure, embedded", 0, RDSS, 0},
    {"pg librdssecure, bundle file", 0, RDSS, 1},
    {"mysql raw, one root (floor)", 1, RAW, 0},
    {"mysql librdssecure, embedded", 1, RDSS, 0},
    {"mysql librdssecure, bundle file", 1, RDSS, 1},
};
#define FRESH_VARIANTS (sizeof(fresh_variants) / sizeof(fresh_variants[0]))

typedef struct sample {
    double median_ms, first_ms, cpu_ms_per_connect;
    long max_rss_kb;
    int failures;
} sample;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void env_value(const char *dir, const char *file, const char *key, char *out, size_t size)
{
    char path[600], line[512];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "connect_bench: cannot read %s: %s\n", path, strerror(errno));
        exit(2);
    }
    out[0] = '\0';
    size_t key_len = strlen(key);
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, key, key_len) == 0 && line[key_len] == '=') {
            snprintf(out, size, "%s", line + key_len + 1);
            out[strcspn(out, "\n")] = '\0';
        }
    fclose(f);
}

/* The event-loop forms, driven as an event loop would. */
static int connect_event_loop(const settings *s, const variant *v, const rdss_config *cfg, const char *info)
{
    if (!v->mysql) {
        PGconn *conn = rdss_pg_connect_start(cfg, info, NULL);
        PostgresPollingStatusType status = conn ? PGRES_POLLING_WRITING : PGRES_POLLING_FAILED;
        while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED) {
            struct pollfd wait = {PQsocket(conn), status == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};
            poll(&wait, 1, (int)rdss_pg_connect_remaining_ms(conn));
            status = rdss_pg_connect_poll(conn, NULL);
        }
        PQfinish(conn);
        return status == PGRES_POLLING_OK ? 0 : -1;
    }
    MYSQL *mysql = mysql_init(NULL);
    rdss_mysql_attempt *attempt = NULL;
    int waits = rdss_mysql_connect_start(&attempt, cfg, mysql, "127.0.0.1", s->my_user, s->my_password, s->my_db,
                                         (unsigned)atoi(s->my_port), NULL, 0);
    while (waits != 0) {
        struct pollfd wait = {mysql_get_socket(mysql), 0, 0};
        if (waits & MYSQL_WAIT_READ)
            wait.events |= POLLIN;
        if (waits & MYSQL_WAIT_WRITE)
            wait.events |= POLLOUT;
        int ready = poll(&wait, 1, (int)rdss_mysql_connect_wait_ms(attempt));
        int status = ready <= 0 ? MYSQL_WAIT_TIMEOUT
                                : ((wait.revents & POLLIN) ? MYSQL_WAIT_READ : 0) |
                                      ((wait.revents & POLLOUT) ? MYSQL_WAIT_WRITE : 0);
        waits = rdss_mysql_connect_cont(attempt, status);
    }
    MYSQL *connected = rdss_mysql_connect_result(attempt, NULL);
    rdss_mysql_attempt_free(attempt);
    mysql_close(mysql);
    return connected ? 0 : -1;
}

/* One connect+close to `host` (PostgreSQL: at `hostaddr` when not NULL),
 * the raw driver given `ca` or librdssecure with `cfg`; 0 on success. */
static int connect_to(const settings *s, int mysql_engine, kind k, const rdss_config *cfg, const char *host,
                      const char *hostaddr, const char *ca)
{
    if (!mysql_engine) {
        char info[1024];
        snprintf(info, sizeof(info), "host=%s%s%s port=%s user=%s password=%s dbname=%s%s%s", host,
                 hostaddr ? " hostaddr=" : "", hostaddr ? hostaddr : "", s->pg_port, s->pg_user, s->pg_password,
                 s->pg_db, k == RAW ? " sslmode=verify-full sslrootcert=" : "", k == RAW ? ca : "");
        PGconn *conn = k == RAW ? PQconnectdb(info) : rdss_pg_connect(cfg, info, NULL);
        int ok = conn != NULL && PQstatus(conn) == CONNECTION_OK;
        PQfinish(conn);
        return ok ? 0 : -1;
    }
    MYSQL *mysql = mysql_init(NULL);
    MYSQL *connected;
    if (k == RAW) {
        my_bool verify = 1;
        mysql_optionsv(mysql, MYSQL_OPT_SSL_CA, ca);
        mysql_optionsv(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
        connected = mysql_real_connect(mysql, host, s->my_user, s->my_password, s->my_db,
                                       (unsigned)atoi(s->my_port), NULL, 0);
    } else {
        connected = rdss_mysql_connect(cfg, mysql, host, s->my_user, s->my_password, s->my_db,
                                       (unsigned)atoi(s->my_port), NULL, 0, NULL);
    }
    mysql_close(mysql);
    return connected ? 0 : -1;
}

/* One connect+close of variant v to 127.0.0.1; 0 on success. */
static int connect_once(const settings *s, const variant *v, const rdss_config *cfg)
{
    if (v->event_loop) {
        char info[1024];
        snprintf(info, sizeof(info), "host=127.0.0.1 port=%s user=%s password=%s dbname=%s", s->pg_port,
                 s->pg_user, s->pg_password, s->pg_db);
        return connect_event_loop(s, v, cfg, info);
    }
    return connect_to(s, v->mysql, v->kind, cfg, "127.0.0.1", NULL, v->whole_bundle ? s->bundle_plus_test : s->root);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int n)
{
    qsort(values, (size_t)n, sizeof(double), by_value);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static rdss_config *config_for(const settings *s, const variant *v);

/* In the child: the connects of one variant, timed. */
static sample run_variant(const settings *s, const variant *v)
{
    sample out = {0};
    double start = now_ms();
    rdss_config *cfg = config_for(s, v);
    double *times = calloc((size_t)s->connects, sizeof(double));
    for (int i = 0; i < s->connects; i++) {
        double t0 = i == 0 ? start : now_ms(); /* the first includes the config's setup */
        if (connect_once(s, v, cfg) != 0)
            out.failures++;
        times[i] = now_ms() - t0;
    }
    out.first_ms = times[0];
    out.median_ms = median(times, s->connects);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double cpu = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
                 (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
    out.cpu_ms_per_connect = cpu / s->connects;
    out.max_rss_kb = usage.ru_maxrss;
    free(times);
    rdss_config_free(cfg);
    return out;
}

static rdss_config *config_for(const settings *s, const variant *v)
{
    if (v->kind != RDSS)
        return NULL;
    rdss_config *cfg = rdss_config_new();
    rdss_code code = v->embedded ? rdss_config_add_extra_ca_file(cfg, s->root, NULL)
                                 : rdss_config_set_bundle_file(cfg, v->whole_bundle ? s->bundle_plus_test : s->root, NULL);
    if (code == RDSS_OK && v->verify_name)
        code = rdss_config_set_verify_name(cfg, NAME, NULL);
    if (code != RDSS_OK) {
        fprintf(stderr, "connect_bench: cannot set up %s\n", v->name);
        exit(2);
    }
    return cfg;
}

/* In one process, connects of a and b alternated (A B A B ...), after one
 * warm-up connect each: the ratio of b's median to a's, free of the drift
 * and process-to-process variation separate runs see. */
static double paired_ratio(const settings *s, const variant *a, const variant *b)
{
    rdss_config *cfg_a = config_for(s, a), *cfg_b = config_for(s, b);
    double *ta = calloc((size_t)s->connects, sizeof(double)), *tb = calloc((size_t)s->connects, sizeof(double));
    connect_once(s, a, cfg_a);
    connect_once(s, b, cfg_b);
    for (int i = 0; i < s->connects; i++) {
        double t0 = now_ms();
        connect_once(s, a, cfg_a);
        double t1 = now_ms();
        connect_once(s, b, cfg_b);
        ta[i] = t1 - t0;
        tb[i] = now_ms() - t1;
    }
    double ratio = median(tb, s->connects) / median(ta, s->connects);
    free(ta);
    free(tb);
    rdss_config_free(cfg_a);
    rdss_config_free(cfg_b);
    return ratio;
}

/* The tenant endpoint names many_endpoints_ratio connects to. */
#define TENANT_NAME "tenant%d.tenants.rdssecure.test"

/* A long-lived client of many endpoints (one database per tenant): in one
 * process, connects go round-robin over `names` endpoint names (each
 * 127.0.0.1 in bench/run's private /etc/hosts), librdssecure with the
 * embedded bundle and the raw driver given the one root alternated, after a
 * warm-up round over every name; every name is timed at least once. The
 * ratio of their medians, or -1 when a connect failed. `names` 0: the one
 * RDS endpoint name NAME (its region's roots, not the anchor cache). */
static double many_endpoints_ratio(const settings *s, int mysql_engine, int names)
{
    variant rdss = {"", mysql_engine, RDSS, 1, 1, 0, 0};
    rdss_config *cfg = config_for(s, &rdss);
    int rds_name = names == 0;
    names += rds_name;
    int timed = s->connects > names ? s->connects : names, failed = 0;
    double *raw_ms = calloc((size_t)timed, sizeof(double)), *rdss_ms = calloc((size_t)timed, sizeof(double));
    char host[128];
    for (int i = 0; i < names; i++) {
        snprintf(host, sizeof(host), TENANT_NAME, i);
        if (rds_name)
            snprintf(host, sizeof(host), "%s", NAME);
        failed |= connect_to(s, mysql_engine, RAW, NULL, host, NULL, s->root);
        failed |= connect_to(s, mysql_engine, RDSS, cfg, host, NULL, NULL);
    }
    for (int i = 0; i < timed; i++) {
        snprintf(host, sizeof(host), TENANT_NAME, i % names);
        if (rds_name)
            snprintf(host, sizeof(host), "%s", NAME);
        double t0 = now_ms();
        failed |= connect_to(s, mysql_engine, RAW, NULL, host, NULL, s->root);
        double t1 = now_ms();
        failed |= connect_to(s, mysql_engine, RDSS, cfg, host, NULL, NULL);
        raw_ms[i] = t1 - t0;
        rdss_ms[i] = now_ms() - t1;
    }
    double ratio = failed ? -1 : median(rdss_ms, timed) / median(raw_ms, timed);
    free(raw_ms);
    free(rdss_ms);
    rdss_config_free(cfg);
    return ratio;
}

typedef struct ratio_job {
    const variant *a, *b;            /* paired_ratio(a, b), or: */
    int mysql_engine, endpoint_names; /* many_endpoints_ratio */
} ratio_job;

static double ratio_in_child(const settings *s, ratio_job job)
{
    int fds[2];
    double ratio = 0;
    if (pipe(fds) != 0)
        exit(2);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        double result = job.a != NULL ? paired_ratio(s, job.a, job.b)
                                      : many_endpoints_ratio(s, job.mysql_engine, job.endpoint_names);
        ssize_t written = write(fds[1], &result, sizeof(result));
        mysql_library_end();
        _exit(written == (ssize_t)sizeof(result) ? 0 : 1);
    }
    close(fds[1]);
    if (read(fds[0], &ratio, sizeof(ratio)) != (ssize_t)sizeof(ratio))
        ratio = 0;
    close(fds[0]);
    waitpid(pid, NULL, 0);
    return ratio;
}

static sample in_child(const settings *s, const variant *v)
{
    int fds[2];
    sample out = {0};
    if (pipe(fds) != 0)
        exit(2);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        sample result = run_variant(s, v);
        ssize_t written = write(fds[1], &result, sizeof(result));
        mysql_library_end();
        _exit(written == (ssize_t)sizeof(result) ? 0 : 1);
    }
    close(fds[1]);
    if (read(fds[0], &out, sizeof(out)) != (ssize_t)sizeof(out))
        out.failures = s->connects;
    close(fds[0]);
    waitpid(pid, NULL, 0);
    return out;
}

static void write_bundle_plus_test(settings *s)
{
    snprintf(s->bundle_plus_test, sizeof(s->bundle_plus_test), "%s/bench-bundle-plus-test-root.pem", s->env_dir);
    FILE *out = fopen(s->bundle_plus_test, "w");
    const char *parts[] = {s->bundle, s->root};
    for (int i = 0; out != NULL && i < 2; i++) {
        FILE *in = fopen(parts[i], "r");
        if (in == NULL) {
            fprintf(stderr, "connect_bench: cannot read %s\n", parts[i]);
            exit(2);
        }
        char buffer[8192];
        size_t n;
        while ((n = fread(buffer, 1, sizeof(buffer), in)) > 0)
            fwrite(buffer, 1, n, out);
        fclose(in);
    }
    if (out == NULL || fclose(out) != 0) {
        fprintf(stderr, "connect_bench: cannot write %s\n", s->bundle_plus_test);
        exit(2);
    }
}

/* The process --one runs: one connect of fresh_variants[index], by name;
 * 0 when it connected. */
static int one_fresh_connect(const settings *s, int index)
{
    const fresh_variant *v = &fresh_variants[index];
    rdss_config *cfg = NULL;
    if (v->kind == RDSS) {
        cfg = rdss_config_new();
        if ((v->bundle_file && rdss_config_set_bundle_file(cfg, s->bundle, NULL) != RDSS_OK) ||
            rdss_config_add_extra_ca_file(cfg, s->root, NULL) != RDSS_OK)
            return 2;
    }
    int failed = v->mysql ? connect_to(s, 1, v->kind, cfg, s->mysql_by_name ? NAME : "127.0.0.1", NULL, s->root)
                          : connect_to(s, 0, v->kind, cfg, NAME, "127.0.0.1", s->root);
    rdss_config_free(cfg);
    return failed ? 1 : 0;
}

/* A fresh process of this program that makes one connect: its whole time
 * in ms (fork, exec, load, connect, exit), or -1 when it failed. */
static double time_fresh_process(const settings *s, int index)
{
    char number[16];
    snprintf(number, sizeof(number), "%d", index);
    double start = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        execl(s->self, s->self, "--one", number, "--env", s->env_dir, "--bundle", s->bundle,
              "--mysql-by-name", s->mysql_by_name ? "1" : "0", (char *)NULL);
        _exit(127);
    }
    int status = 1;
    waitpid(pid, &status, 0);
    double took = now_ms() - start;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? took : -1;
}

/* Paired: the floor's process and `index`'s, alternated, `runs` times;
 * the median of each and of their per-pair ratios. */
static void fresh_pair(const settings *s, int floor, int index, int runs, double *floor_ms, double *ms,
                       double *ratio, int *failures)
{
    double *a = calloc((size_t)runs, sizeof(double)), *b = calloc((size_t)runs, sizeof(double)),
           *r = calloc((size_t)runs, sizeof(double));
    time_fresh_process(s, floor); /* warm the page cache for both */
    time_fresh_process(s, index);
    for (int i = 0; i < runs; i++) {
        a[i] = time_fresh_process(s, floor);
        b[i] = time_fresh_process(s, index);
        if (a[i] < 0 || b[i] < 0)
            (*failures)++;
        r[i] = b[i] / a[i];
    }
    *ratio = median(r, runs);
    *floor_ms = median(a, runs);
    *ms = median(b, runs);
    free(a);
    free(b);
    free(r);
}

static void fresh_processes(const settings *s, int *failures)
{
    int runs = s->connects;
    printf("\nFresh processes: one connect per process by the name %s%s, the whole process timed "
           "(fork, exec, load, connect, exit); %d pairs per row, the two processes alternated:\n\n",
           NAME, s->mysql_by_name ? "" : " (MySQL by address: the name does not resolve here)", runs);
    printf("| variant | process ms (median) | raw driver, one root (floor) ms | ratio to the floor (median of pairs) |\n");
    printf("| --- | ---: | ---: | ---: |\n");
    for (int engine = 0; engine < 2; engine++) {
        int floor = engine * 3;
        for (int k = 1; k <= 2; k++) {
            double floor_ms = 0, ms = 0, ratio = 0;
            fresh_pair(s, floor, floor + k, runs, &floor_ms, &ms, &ratio, failures);
            printf("| %s | %.2f | %.2f | %.3f |\n", fresh_variants[floor + k].name, ms, floor_ms, ratio);
        }
    }
}

static void many_endpoints(const settings *s, int *failures)
{
    char first[128];
    snprintf(first, sizeof(first), TENANT_NAME, 0);
    struct addrinfo *found = NULL;
    int mapped = getaddrinfo(first, NULL, NULL, &found) == 0;
    if (found != NULL)
        freeaddrinfo(found);
    if (!mapped) {
        printf("\nMany endpoints: skipped (%s does not resolve here; bench/run maps the tenant names)\n", first);
        return;
    }
    static const int counts[] = {0, 1, 200}; /* 0: the RDS endpoint name */
    int rounds = s->rounds < 3 ? s->rounds : 3;
    printf("\nBy name, long-lived process: connects to the RDS endpoint name (%s), or round-robin over N "
           "endpoint names (tenantK.tenants.rdssecure.test), librdssecure with the embedded bundle / raw driver "
           "with the one root, connects alternated, after a warm-up round over every name, max(N, %d) timed; "
           "medians of %d rounds:\n\n| engine | the RDS endpoint name | 1 endpoint name | 200 endpoint names |\n"
           "| --- | ---: | ---: | ---: |\n",
           NAME, s->connects, rounds);
    for (int engine = 0; engine < 2; engine++) {
        printf("| %s |", engine ? "mysql" : "pg");
        for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
            double ratios[3] = {0};
            int failed = 0;
            for (int round = 0; round < rounds; round++) {
                ratios[round] = ratio_in_child(s, (ratio_job){NULL, NULL, engine, counts[c]});
                failed |= ratios[round] <= 0;
            }
            *failures += failed;
            if (failed)
                printf(" FAILED |");
            else
                printf(" %.3f |", median(ratios, rounds));
        }
        printf("\n");
    }
}

static void parse_args(int argc, char **argv, settings *s)
{
    s->connects = 30;
    s->rounds = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--env") == 0)
            s->env_dir = argv[i + 1];
        else if (strcmp(argv[i], "--bundle") == 0)
            s->bundle = argv[i + 1];
        else if (strcmp(argv[i], "--connects") == 0)
            s->connects = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--rounds") == 0)
            s->rounds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--mysql-by-name") == 0)
            s->mysql_by_name = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--only") == 0)
            s->only = argv[i + 1];
        else
            s->connects = 0; /* not an option of ours: the usage below */
    }
    if (argc % 2 == 0 || (s->only != NULL && strcmp(s->only, "fresh") != 0 && strcmp(s->only, "endpoints") != 0))
        s->connects = 0;
    if (s->env_dir == NULL || s->bundle == NULL || s->connects < 1 || s->rounds < 1) {
        fprintf(stderr, "usage: connect_bench --env DIR --bundle FILE [--connects N] [--rounds R] [--only fresh|endpoints]\n");
        exit(2);
    }
    snprintf(s->root, sizeof(s->root), "%s/pki/root.pem", s->env_dir);
    env_value(s->env_dir, "postgres.env", "PG_PORT", s->pg_port, sizeof(s->pg_port));
    env_value(s->env_dir, "postgres.env", "PG_USER", s->pg_user, sizeof(s->pg_user));
    env_value(s->env_dir, "postgres.env", "PG_PASSWORD", s->pg_password, sizeof(s->pg_password));
    env_value(s->env_dir, "postgres.env", "PG_DATABASE", s->pg_db, sizeof(s->pg_db));
    env_value(s->env_dir, "mariadb.env", "MY_PORT", s->my_port, sizeof(s->my_port));
    env_value(s->env_dir, "mariadb.env", "MY_USER", s->my_user, sizeof(s->my_user));
    env_value(s->env_dir, "mariadb.env", "MY_PASSWORD", s->my_password, sizeof(s->my_password));
    env_value(s->env_dir, "mariadb.env", "MY_DATABASE", s->my_db, sizeof(s->my_db));
}

int main(int argc, char **argv)
{
    settings s = {0};
    s.self = "/proc/self/exe";
    if (argc > 2 && strcmp(argv[1], "--one") == 0) {
        int index = atoi(argv[2]);
        parse_args(argc - 2, argv + 2, &s);
        int code = index >= 0 && index < (int)FRESH_VARIANTS ? one_fresh_connect(&s, index) : 2;
        mysql_library_end();
        return code;
    }
    parse_args(argc, argv, &s);
    struct addrinfo *found = NULL;
    s.mysql_by_name = getaddrinfo(NAME, NULL, NULL, &found) == 0;
    if (found != NULL)
        freeaddrinfo(found);
    write_bundle_plus_test(&s);
    if (s.only != NULL) {
        int failures = 0;
        if (strcmp(s.only, "fresh") == 0)
            fresh_processes(&s, &failures);
        else
            many_endpoints(&s, &failures);
        return failures > 0 ? 1 : 0;
    }
    /* per variant: the per-round values, for medians across rounds */
    double *medians = calloc(VARIANTS * (size_t)s.rounds, sizeof(double));
    double *firsts = calloc(VARIANTS * (size_t)s.rounds, sizeof(double));
    double *cpus = calloc(VARIANTS * (size_t)s.rounds, sizeof(double));
    long rss[VARIANTS] = {0};
    int failures = 0;
    for (int round = 0; round < s.rounds; round++) {
        for (size_t v = 0; v < VARIANTS; v++) {
            sample one = in_child(&s, &variants[v]);
            medians[v * (size_t)s.rounds + (size_t)round] = one.median_ms;
            firsts[v * (size_t)s.rounds + (size_t)round] = one.first_ms;
            cpus[v * (size_t)s.rounds + (size_t)round] = one.cpu_ms_per_connect;
            if (one.max_rss_kb > rss[v])
                rss[v] = one.max_rss_kb;
            failures += one.failures;
        }
    }
    double med[VARIANTS], first[VARIANTS], cpu[VARIANTS];
    printf("%d connect+close per variant and round, %d rounds, variants alternated; "
           "medians across rounds\n\n", s.connects, s.rounds);
    printf("| variant | connect ms (median) | first connect ms | client CPU ms/connect | peak RSS MB |\n");
    printf("| --- | ---: | ---: | ---: | ---: |\n");
    for (size_t v = 0; v < VARIANTS; v++) {
        med[v] = median(&medians[v * (size_t)s.rounds], s.rounds);
        first[v] = median(&firsts[v * (size_t)s.rounds], s.rounds);
        cpu[v] = median(&cpus[v * (size_t)s.rounds], s.rounds);
        printf("| %s | %.2f | %.2f | %.2f | %.1f |\n", variants[v].name, med[v], first[v], cpu[v],
               (double)rss[v] / 1024.0);
    }
    printf("\nRatios from paired runs (in one process, the two variants' connects alternated, "
           "medians of %d rounds):\n\n", s.rounds);
    for (int engine = 0; engine < 2; engine++) {
        size_t base = (size_t)engine * 6; /* raw bundle, raw floor, rdss embedded, rdss file, rdss floor, event loop */
        double event_loop[64] = {0}, tunnel[64] = {0};
        double embedded[64] = {0}, same_file[64] = {0}, speedup[64] = {0};
        int rounds = s.rounds < 64 ? s.rounds : 64;
        for (int round = 0; round < rounds; round++) {
            embedded[round] = ratio_in_child(&s, (ratio_job){&variants[base + 1], &variants[base + 2], 0, 0});
            same_file[round] = ratio_in_child(&s, (ratio_job){&variants[base + 1], &variants[base + 4], 0, 0});
            speedup[round] = 1.0 / ratio_in_child(&s, (ratio_job){&variants[base], &variants[base + 2], 0, 0});
            event_loop[round] = ratio_in_child(&s, (ratio_job){&variants[base + 1], &variants[base + 5], 0, 0});
            if (engine == 1)
                tunnel[round] = ratio_in_child(&s, (ratio_job){&variants[base + 1], &mysql_tunnel, 0, 0});
        }
        printf("- %s: librdssecure with the embedded bundle / raw with the one root (floor) = %.3f; "
               "raw with the whole bundle is %.2fx slower than librdssecure; "
               "librdssecure / raw, both given the one-root file = %.3f; one-time "
               "cost (first connect minus median, embedded) %.1f ms\n",
               engine ? "mysql" : "pg", median(embedded, rounds), median(speedup, rounds),
               median(same_file, rounds), first[base + 2] - med[base + 2]);
        printf("- %s: the event-loop form with the embedded bundle / raw with the one root (floor) = %.3f\n",
               engine ? "mysql" : "pg", median(event_loop, rounds));
        if (engine == 1)
            printf("- mysql: with a verify-name, as through a tunnel (the library probes, then libmariadb "
                   "connects) / raw with the one root (floor) = %.3f\n", median(tunnel, rounds));
    }
    many_endpoints(&s, &failures);
    fresh_processes(&s, &failures);
    if (failures > 0)
        printf("\n%d connects FAILED: the numbers above are not comparable\n", failures);
    free(medians);
    free(firsts);
    free(cpus);
    return failures > 0 ? 1 : 0;
}
