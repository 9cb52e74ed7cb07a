/* The one home of process-wide state. Every module that keeps state beyond
 * one call (the trusts built once, the anchor cache, the expiry list, the
 * empty CA file, the probe's BIO method, the watchdog thread, the
 * thread's last error, the counters) registers it here when it first
 * creates it. This module alone installs the exit handler and the fork
 * handlers, and rdss_global_cleanup() releases everything registered, in
 * the reverse order of registration. docs/ARCHITECTURE.md lists each piece
 * and what happens to it in a child after fork(). */
#ifndef RDSS__LIB_PROCESS_H
#define RDSS__LIB_PROCESS_H

typedef struct rdss__process_state {
    const char *name;
    /* Frees the state; the module builds it again on next use. Runs in
     * rdss_global_cleanup(), never concurrently with the module's other
     * calls (the caller's promise), and at exit unless not_at_exit. NULL:
     * nothing to free, and the state stays registered (its fork handlers
     * keep running). */
    void (*release)(void);
    /* At exit other threads may still be inside the library: state that a
     * call in progress uses without holding a reference stays. */
    int not_at_exit;
    /* Around fork(), or NULL: take the module's locks before, release
     * them after, in the parent and the child (the child may also reset
     * what it cannot keep). */
    void (*before_fork)(void);
    void (*after_fork_in_parent)(void);
    void (*after_fork_in_child)(void);
    /* Released at exit only, never by rdss_global_cleanup(): state that
     * objects the caller still holds use (a config's trust keeps its CA
     * directories), of which exit removes what is left on disk. */
    int exit_only;
} rdss__process_state;

/* Registers `state` (a static object of the module) once; registering it
 * again is a no-op until it has been released. Thread-safe, and takes no
 * lock once `state` is registered, so a module may call it while holding
 * its own lock after a first call made without. */
void rdss__process_register(const rdss__process_state *state);

#endif
