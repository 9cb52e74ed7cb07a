/* Runs part of a test in a forked child: a private mount namespace, a
 * process that must not hang, a fresh process after fork(). */
#ifndef RDSS_TEST_CHILD_H
#define RDSS_TEST_CHILD_H

/* Runs fn(arg) in a child and returns what it returned (0..255), or -1 when
 * the child died or had not answered after timeout_s seconds (it is then
 * killed). The child reports through a pipe and ends with SIGKILL, so that
 * nothing of the parent's it inherited (other threads' memory, say) is
 * judged as the child's leak under valgrind. */
int run_in_child(int (*fn)(void *arg), void *arg, int timeout_s);

#endif
