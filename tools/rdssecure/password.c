/* The MySQL password of `rdssecure connect|audit mysql` when the URI has
 * none: never only the URI, which `ps` and shell history show. */
#define _GNU_SOURCE /* strcasecmp, explicit_bzero, sigaction */
#include "password.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* Where the user name and the password sit in a mysql:// URI, by the rule
 * the library reads it with (the last '@' of the authority). */
typedef struct userinfo {
    size_t start;    /* after the scheme */
    size_t at;       /* the '@', or 0 when there is no user */
    int has_password;
} userinfo;

static int split(const char *uri, userinfo *out)
{
    size_t scheme = strncasecmp(uri, "mysql://", 8) == 0 ? 8 : strncasecmp(uri, "mariadb://", 10) == 0 ? 10 : 0;
    if (scheme == 0)
        return 0;
    size_t authority_end = scheme + strcspn(uri + scheme, "/?");
    *out = (userinfo){scheme, 0, 0};
    for (size_t i = scheme; i < authority_end; i++)
        if (uri[i] == '@')
            out->at = i;
    out->has_password = out->at != 0 && memchr(uri + scheme, ':', out->at - scheme) != NULL;
    return 1;
}

/* The first line of `path`, which only its owner may read. */
static int read_password_file(const char *path, char *out, size_t size, char *problem, size_t problem_size)
{
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(problem, problem_size, "--password-file %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return 0;
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        snprintf(problem, problem_size, "--password-file %s: %s", path,
                 S_ISREG(st.st_mode) ? "others may read it (chmod 600 it)" : "not a regular file");
        close(fd);
        return 0;
    }
    ssize_t n = read(fd, out, size - 1);
    close(fd);
    if (n < 0) {
        snprintf(problem, problem_size, "--password-file %s: %s", path, strerror(errno));
        return 0;
    }
    out[n] = '\0';
    size_t line = strcspn(out, "\r\n");
    if ((size_t)n == size - 1 && line == (size_t)n) {
        snprintf(problem, problem_size, "--password-file %s: the first line is longer than %zu bytes", path,
                 size - 2);
        return 0;
    }
    if (memchr(out, '\0', line) != NULL) {
        snprintf(problem, problem_size, "--password-file %s: the password holds a NUL byte", path);
        return 0;
    }
    out[line] = '\0';
    return 1;
}

/* The terminal as it was before the prompt, put back by a signal that ends
 * the process during it (tcsetattr is async-signal-safe). */
static int prompt_tty = -1;
static struct termios prompt_saved;
static const int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};

static void restore_and_reraise(int sig)
{
    tcsetattr(prompt_tty, TCSAFLUSH, &prompt_saved);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* A prompt on the terminal, without echo: 1 with a line read, 0 when there
 * is no terminal, -1 when the input ended or was too long (`problem`). */
static int prompt(char *out, size_t size, char *problem, size_t problem_size)
{
    int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (tty < 0 || !isatty(STDIN_FILENO) || tcgetattr(tty, &prompt_saved) != 0) {
        if (tty >= 0)
            close(tty);
        return 0;
    }
    struct sigaction restore = {.sa_handler = restore_and_reraise}, previous[5];
    sigemptyset(&restore.sa_mask);
    prompt_tty = tty;
    for (size_t i = 0; i < 5; i++)
        sigaction(prompt_signals[i], &restore, &previous[i]);
    struct termios quiet = prompt_saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(tty, TCSAFLUSH, &quiet);
    (void)!write(tty, "Password: ", 10);
    size_t len = 0;
    char c;
    int ended = 0;
    for (;;) {
        ssize_t got = read(tty, &c, 1);
        if (got != 1 || c == '\n' || c == '\r') {
            ended = got != 1;
            break;
        }
        if (len + 1 >= size) {
            ended = 2;
            break;
        }
        out[len++] = c;
    }
    out[len] = '\0';
    (void)!write(tty, "\n", 1);
    tcsetattr(tty, TCSAFLUSH, &prompt_saved);
    for (size_t i = 0; i < 5; i++)
        sigaction(prompt_signals[i], &previous[i], NULL);
    close(tty);
    prompt_tty = -1;
    if (ended) {
        snprintf(problem, problem_size, ended == 2 ? "the password is longer than %zu bytes"
                                                   : "no password given (the input ended)", size - 1);
        return -1;
    }
    return 1;
}

static void percent_encode(const char *in, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)in; *p != '\0'; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p) != NULL) {
            *out++ = (char)*p;
        } else {
            *out++ = '%';
            *out++ = hex[*p >> 4];
            *out++ = hex[*p & 15];
        }
    }
    *out = '\0';
}

char *uri_with_password(const char *uri, const char *password_file, char *problem, size_t problem_size)
{
    userinfo u;
    char password[1024];
    password[0] = '\0';
    int parsed = split(uri, &u);
    if (parsed && u.has_password && password_file != NULL) {
        snprintf(problem, problem_size, "the URI has a password already: --password-file goes with a URI "
                                        "without one");
        return NULL;
    }
    if (!parsed || u.has_password)
        return strdup(uri);
    const char *from_env = getenv("MYSQL_PWD");
    int found = 0;
    if (password_file != NULL) {
        if (!read_password_file(password_file, password, sizeof(password), problem, problem_size))
            return NULL;
        found = 1;
    } else if (from_env != NULL) {
        if (strlen(from_env) >= sizeof(password)) {
            snprintf(problem, problem_size, "MYSQL_PWD is longer than %zu bytes", sizeof(password) - 1);
            return NULL;
        }
        snprintf(password, sizeof(password), "%s", from_env);
        found = 1;
    } else {
        found = prompt(password, sizeof(password), problem, problem_size);
        if (found < 0) {
            explicit_bzero(password, sizeof(password));
            return NULL;
        }
    }
    if (!found)
        return strdup(uri); /* no password from anywhere: the URI as given */
    size_t len = strlen(uri) + 3 * strlen(password) + 3;
    char *encoded = malloc(3 * strlen(password) + 1), *out = malloc(len);
    if (encoded == NULL || out == NULL) {
        free(encoded);
        free(out);
        explicit_bzero(password, sizeof(password));
        snprintf(problem, problem_size, "out of memory");
        return NULL;
    }
    percent_encode(password, encoded);
    if (u.at != 0) /* user@: user:password@ */
        snprintf(out, len, "%.*s:%s%s", (int)u.at, uri, encoded, uri + u.at);
    else /* no user: an empty one */
        snprintf(out, len, "%.*s:%s@%s", (int)u.start, uri, encoded, uri + u.start);
    explicit_bzero(password, sizeof(password));
    explicit_bzero(encoded, strlen(encoded));
    free(encoded);
    return out;
}
