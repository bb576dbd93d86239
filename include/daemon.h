/* daemon.h - service management: background mode, pid file, sd_notify, socket activation */
#ifndef PGW_DAEMON_H
#define PGW_DAEMON_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Background mode (--daemon), in two steps so the caller (the init script's daemon()) gets
 * the real result of the start-up:
 *
 * daemon_start() forks. The parent waits until the child calls daemon_detach() and then
 * exits 0, or, if the child exits first (a start-up error, already reported on the inherited
 * stderr), exits with the child's status. It never returns in the parent. In the child it
 * calls setsid() and returns 0; -1 with *err if the fork failed (no child).
 *
 * daemon_detach() is called by the child once it serves (ports bound, pid file written):
 * chdir("/"), standard streams to /dev/null, and tells the parent to exit 0. Idempotent;
 * a no-op without daemon_start().
 */
int daemon_start(char **err);
void daemon_detach(void);

/*
 * State of process pid from /proc/PID/stat: 1 when it exists and is not a zombie (a zombie
 * has exited, but stays visible until its parent reaps it), 0 otherwise.
 */
int daemon_pid_alive(pid_t pid);

/*
 * Check the pid file before start-up: returns the pid of a live pushgateway it names (a
 * second instance must not start), or 0 when the file is missing, unreadable as a pid, or
 * stale (the process is gone, a zombie, or another program that reused the pid).
 */
pid_t daemon_pidfile_running(const char *path);

/*
 * Write getpid() to path atomically: a temporary file in the same directory, then rename(),
 * so a reader never sees a partial file. Replaces a stale file. Returns 0, or -1 with *err.
 */
int daemon_pidfile_write(const char *path, char **err);

/* Remove path if it still holds our pid (a newer instance's file is left alone). */
void daemon_pidfile_remove(const char *path);

/*
 * sd_notify(3) without libsystemd: send state (e.g. "READY=1\nSTATUS=serving") as one
 * datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for the
 * abstract namespace). Returns 1 when sent, 0 when $NOTIFY_SOCKET is unset, -1 on error.
 */
int daemon_notify(const char *state);

/*
 * Socket activation (sd_listen_fds(3)): when $LISTEN_PID is our pid, the $LISTEN_FDS
 * descriptors from 3 on. Each must be a listening stream socket; each gets FD_CLOEXEC.
 * LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are removed from the environment. On success
 * *fds is an array of *n descriptors (caller frees; *n may be 0 and *fds NULL) and 0 is
 * returned; -1 with *err otherwise.
 */
int daemon_listen_fds(int **fds, size_t *n, char **err);

#endif
