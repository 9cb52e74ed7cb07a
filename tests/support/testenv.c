#include "testenv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

const char *testenv(const char *file, const char *key)
{
    static char values[16][512];
    static int next;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", RDSS_TESTENV_DIR, file);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("%s is missing: did its fixture start?", path);
    char line[1024];
    size_t key_len = strlen(key);
    const char *found = NULL;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, key, key_len) == 0 && line[key_len] == '=') {
            char *value = values[next++ % 16];
            snprintf(value, 512, "%s", line + key_len + 1);
            value[strcspn(value, "\n")] = '\0';
            found = value;
            break;
        }
    }
    fclose(f);
    return found;
}

const char *testenv_pki(const char *name)
{
    static char paths[8][1024];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, 1024, "%s/pki/%s", RDSS_TESTENV_DIR, name);
    return path;
}

double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

void test_log_collect(void *user, const char *message)
{
    test_log *log = user;
    if (log->count++ == 0)
        snprintf(log->first, sizeof(log->first), "%s", message);
}

int count_memfds(const char *name)
{
    DIR *dir = opendir("/proc/self/fd");
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "/memfd:%s", name);
    int count = 0;
    for (struct dirent *e = dir ? readdir(dir) : NULL; e != NULL; e = readdir(dir)) {
        char link[300], target[256];
        snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(link, target, sizeof(target) - 1);
        if (len > 0) {
            target[len] = '\0';
            count += strncmp(target, prefix, strlen(prefix)) == 0;
        }
    }
    if (dir != NULL)
        closedir(dir);
    return count;
}
