/* The MySQL password of `rdssecure connect|audit mysql` when the URI has
 * none: never only the URI, which `ps` and shell history show. */
#define _GNU_SOURCE /* strcasecmp, explicit_bzero */
#include "password.h"

#include <errno.h>
#include <fcntl.h>
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
    out[strcspn(out, "\r\n")] = '\0';
    return 1;
}

/* A prompt on the terminal, without echo; 0 when there is no terminal. */
static int prompt(char *out, size_t size)
{
    int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (tty < 0 || !isatty(STDIN_FILENO)) {
        if (tty >= 0)
            close(tty);
        return 0;
    }
    struct termios saved, quiet;
    int restore = tcgetattr(tty, &saved) == 0;
    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    if (restore)
        tcsetattr(tty, TCSAFLUSH, &quiet);
    (void)!write(tty, "Password: ", 10);
    size_t len = 0;
    char c;
    while (len + 1 < size && read(tty, &c, 1) == 1 && c != '\n' && c != '\r')
        out[len++] = c;
    out[len] = '\0';
    (void)!write(tty, "\n", 1);
    if (restore)
        tcsetattr(tty, TCSAFLUSH, &saved);
    close(tty);
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
    if (!split(uri, &u) || u.has_password)
        return strdup(uri);
    const char *from_env = getenv("MYSQL_PWD");
    int found = 0;
    if (password_file != NULL) {
        if (!read_password_file(password_file, password, sizeof(password), problem, problem_size))
            return NULL;
        found = 1;
    } else if (from_env != NULL) {
        snprintf(password, sizeof(password), "%s", from_env);
        found = 1;
    } else {
        found = prompt(password, sizeof(password));
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
