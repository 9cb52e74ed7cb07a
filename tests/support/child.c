#include "child.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int run_in_child(int (*fn)(void *arg), void *arg, int timeout_s)
{
    int report[2];
    if (pipe(report) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(report[0]);
        close(report[1]);
        return -1;
    }
    if (pid == 0) {
        close(report[0]);
        unsigned char result = (unsigned char)fn(arg);
        (void)!write(report[1], &result, 1);
        raise(SIGKILL);
    }
    close(report[1]);
    struct pollfd pfd = {report[0], POLLIN, 0};
    unsigned char result = 0;
    int answered = poll(&pfd, 1, timeout_s * 1000) == 1 && read(report[0], &result, 1) == 1;
    close(report[0]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return answered ? result : -1;
}
