/* daemon.c - service management: background mode, pid file, sd_notify, socket activation */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "xmalloc.h"

/* Write end of the pipe to the waiting parent; -1 when not started or already detached. */
static int ready_fd = -1;

/* Parent side: wait for the child's byte or its exit, then exit accordingly. */
static void
parent_wait(pid_t child, int rfd)
{
    char c;
    ssize_t n;
    int status;

    do
        n = read(rfd, &c, 1);
    while (n < 0 && errno == EINTR);
    if (n == 1)
        _exit(0);
    /* The child closed the pipe without a byte: it exited during start-up. */
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR)
            _exit(1);
    }
    if (WIFEXITED(status))
        _exit(WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1);
    _exit(1);
}

int
daemon_start(char **err)
{
    int p[2];
    pid_t pid;

    if (pipe(p) < 0) {
        *err = xasprintf("pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        *err = xasprintf("fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid > 0) {
        close(p[1]);
        parent_wait(pid, p[0]);
    }
    close(p[0]);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    ready_fd = p[1];
    /* A new session: no controlling terminal, not killed with the starting shell's group. */
    setsid();
    return 0;
}

void
daemon_detach(void)
{
    int fd;

    if (ready_fd < 0)
        return;
    if (chdir("/") < 0) {
        /* "/" always exists; nothing sensible to do otherwise. */
    }
    fd = open("/dev/null", O_RDWR | O_NOCTTY);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
    while (write(ready_fd, "1", 1) < 0 && errno == EINTR)
        ;
    close(ready_fd);
    ready_fd = -1;
}

int
daemon_pid_alive(pid_t pid)
{
    char path[64], buf[512], *rp;
    ssize_t n;
    int fd;

    if (pid <= 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* "pid (comm) S ...": the state follows the last ')' (comm may contain ')'). */
    rp = strrchr(buf, ')');
    if (rp == NULL || rp[1] != ' ')
        return 1;
    return rp[2] != 'Z' && rp[2] != 'X';
}

/* The command name of pid from /proc/PID/comm into buf; 0, or -1 if unavailable. */
static int
pid_comm(pid_t pid, char *buf, size_t size)
{
    char path[64];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if (buf[n - 1] == '\n')
        buf[n - 1] = '\0';
    return 0;
}

/* Read the pid in path; 0 when missing or malformed. */
static pid_t
pidfile_read(const char *path)
{
    char buf[32], *end;
    ssize_t n;
    long v;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    errno = 0;
    v = strtol(buf, &end, 10);
    if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || v <= 0 || v > INT_MAX)
        return 0;
    return (pid_t)v;
}

pid_t
daemon_pidfile_running(const char *path)
{
    char mine[64], theirs[64];
    pid_t pid = pidfile_read(path);

    if (pid == 0 || pid == getpid() || !daemon_pid_alive(pid))
        return 0;
    /* A reused pid belongs to another program: compare the command names. */
    if (pid_comm(getpid(), mine, sizeof(mine)) == 0 && pid_comm(pid, theirs, sizeof(theirs)) == 0 &&
        strcmp(mine, theirs) != 0)
        return 0;
    return pid;
}

int
daemon_pidfile_write(const char *path, char **err)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    char buf[32];
    int fd, len;

    len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        *err = xasprintf("pid file %s: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    if (write(fd, buf, (size_t)len) != len || fchmod(fd, 0644) < 0 || close(fd) < 0) {
        *err = xasprintf("pid file %s: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    if (rename(tmp, path) < 0) {
        *err = xasprintf("pid file %s: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

void
daemon_pidfile_remove(const char *path)
{
    if (path != NULL && path[0] != '\0' && pidfile_read(path) == getpid())
        unlink(path);
}

int
daemon_notify(const char *state)
{
    const char *sock = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa;
    socklen_t salen;
    size_t n;
    ssize_t sent;
    int fd;

    if (sock == NULL || sock[0] == '\0')
        return 0;
    n = strlen(sock);
    if ((sock[0] != '/' && sock[0] != '@') || n >= sizeof(sa.sun_path))
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, sock, n);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0'; /* abstract namespace */
    salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    do
        sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
    while (sent < 0 && errno == EINTR);
    close(fd);
    return sent < 0 ? -1 : 1;
}

/* Parse a decimal environment value; -1 when absent or malformed. */
static long
env_long(const char *name)
{
    const char *s = getenv(name);
    char *end;
    long v;

    if (s == NULL || *s == '\0')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 0)
        return -1;
    return v;
}

int
daemon_listen_fds(int **fds, size_t *n, char **err)
{
    /* SD_LISTEN_FDS_START: passed descriptors start at 3. */
    const int first = 3;
    long pid = env_long("LISTEN_PID"), count = env_long("LISTEN_FDS");
    int *v = NULL;
    long i;

    *fds = NULL;
    *n = 0;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (pid != (long)getpid() || count <= 0)
        return 0;
    if (count > 1024) {
        *err = xasprintf("LISTEN_FDS=%ld: too many descriptors", count);
        return -1;
    }
    v = xcalloc((size_t)count, sizeof(*v));
    for (i = 0; i < count; i++) {
        int fd = first + (int)i, type = 0, listening = 0;
        socklen_t len = sizeof(type);

        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM) {
            *err = xasprintf("socket activation fd %d is not a stream socket", fd);
            free(v);
            return -1;
        }
        len = sizeof(listening);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening) {
            *err = xasprintf("socket activation fd %d is not listening", fd);
            free(v);
            return -1;
        }
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        v[i] = fd;
    }
    *fds = v;
    *n = (size_t)count;
    return 0;
}
