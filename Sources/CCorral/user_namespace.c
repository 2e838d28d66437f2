#define _GNU_SOURCE
// A pod in a user namespace of its own: one child cloned into a new user namespace and, owned by
// it, the pod's net, ipc and uts namespaces (and a PID namespace when it is to be the pod's
// init). Owned by that user namespace, they let the containers' root mount sysfs, proc and
// mqueue and manage its network, which namespaces of the host's user namespace would refuse.
// A thread cannot do this (unshare(CLONE_NEWUSER) wants a single-threaded caller), hence the
// child; it makes only raw system calls, as the multithreaded shim it was copied from may hold
// any lock.
#include "ccorral.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

const int ccorral_clone_newuser = CLONE_NEWUSER;

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t length = strlen(text);
    ssize_t written = write(fd, text, length);
    int saved = errno;
    close(fd);
    errno = saved;
    return written == (ssize_t)length ? 0 : -1;
}

static void child_fail(int report_fd, int error) {
    (void)!write(report_fd, &error, sizeof(error));
    _exit(1);
}

// In the child: waits for its maps, becomes root of its namespace, names the host, then execs
// the init or ends (the pins hold the namespaces).
static void child(int go_fd, int report_fd, int flags, const char *hostname, int init_fd,
                  char *const argv[], char *const envp[]) {
    char byte;
    if (read(go_fd, &byte, 1) != 1) _exit(1);
    if (syscall(SYS_setresgid, 0, 0, 0) < 0) child_fail(report_fd, errno);
    if (syscall(SYS_setgroups, 0, NULL) < 0) child_fail(report_fd, errno);
    if (syscall(SYS_setresuid, 0, 0, 0) < 0) child_fail(report_fd, errno);
    if ((flags & CLONE_NEWUTS) && hostname && hostname[0] &&
        syscall(SYS_sethostname, hostname, strlen(hostname)) < 0) child_fail(report_fd, errno);
    if (init_fd < 0) _exit(0);
    // As ccorral_spawn starts an init: stdio on /dev/null, nothing else inherited, default
    // signals, a session of its own.
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd < 0) child_fail(report_fd, errno);
    for (int target = 0; target < 3; target++) {
        if (dup2(null_fd, target) < 0) child_fail(report_fd, errno);
    }
    if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) child_fail(report_fd, errno);
    struct sigaction fallback;
    memset(&fallback, 0, sizeof(fallback));
    fallback.sa_handler = SIG_DFL;
    for (int signal_number = 1; signal_number < 65; signal_number++) {
        if (signal_number != SIGKILL && signal_number != SIGSTOP) sigaction(signal_number, &fallback, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(long));
    if (setsid() < 0) child_fail(report_fd, errno);
    // Through the descriptor opened before: as the namespace's root, the child may not be let
    // through the runtime's state dirs (0700, the host root's) to the path.
    syscall(SYS_execveat, init_fd, "", argv, envp, AT_EMPTY_PATH);
    child_fail(report_fd, errno);
}

int ccorral_create_user_pod(int flags, const char *uid_map, const char *gid_map, const char *hostname,
                            const char *user_path, const char *net_path, const char *ipc_path,
                            const char *uts_path, const char *init_path, char *const argv[],
                            char *const envp[], pid_t *pid_out) {
    int go[2], report[2];
    int init_fd = -1;
    if (init_path && (init_fd = open(init_path, O_PATH | O_CLOEXEC)) < 0) return -1;
    if (pipe2(go, O_CLOEXEC) < 0) {
        int saved = errno;
        if (init_fd >= 0) close(init_fd);
        errno = saved;
        return -1;
    }
    if (pipe2(report, O_CLOEXEC) < 0) {
        int saved = errno;
        close(go[0]);
        close(go[1]);
        if (init_fd >= 0) close(init_fd);
        errno = saved;
        return -1;
    }
    long clone_flags = CLONE_NEWUSER | (flags & (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)) |
                       (init_path ? CLONE_NEWPID : 0) | SIGCHLD;
    pid_t pid = (pid_t)syscall(SYS_clone, clone_flags, NULL, NULL, NULL, NULL);
    if (pid < 0) {
        int saved = errno;
        close(go[0]), close(go[1]), close(report[0]), close(report[1]);
        if (init_fd >= 0) close(init_fd);
        errno = saved;
        return -1;
    }
    if (pid == 0) {
        close(go[1]);
        close(report[0]);
        child(go[0], report[1], flags, hostname, init_fd, argv, envp);
    }
    close(go[0]);
    close(report[1]);
    if (init_fd >= 0) close(init_fd);

    const char *names[4] = {"user", "net", "ipc", "uts"};
    const char *pins[4] = {user_path, (flags & CLONE_NEWNET) ? net_path : NULL,
                           (flags & CLONE_NEWIPC) ? ipc_path : NULL, (flags & CLONE_NEWUTS) ? uts_path : NULL};
    int pinned = 0, error = 0;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
    if (write_file(path, uid_map) < 0) error = errno;
    snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
    if (!error && write_file(path, gid_map) < 0) error = errno;
    for (; !error && pinned < 4; pinned++) {
        if (!pins[pinned]) continue;
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, names[pinned]);
        if (mount(path, pins[pinned], NULL, MS_BIND, NULL) < 0) error = errno;
    }
    if (!error) {
        // Go; then EOF on the report pipe means the child has exec'd its init or ended well.
        if (write(go[1], "g", 1) != 1) error = errno;
    }
    close(go[1]);
    if (!error) {
        int reported = 0;
        ssize_t got;
        do { got = read(report[0], &reported, sizeof(reported)); } while (got < 0 && errno == EINTR);
        if (got == (ssize_t)sizeof(reported)) error = reported ? reported : EIO;
    }
    close(report[0]);
    if (error) {
        kill(pid, SIGKILL);
        for (int i = 0; i < 4; i++) {
            if (pins[i]) umount2(pins[i], MNT_DETACH);
        }
        errno = error;
        return -1;
    }
    *pid_out = pid;
    return 0;
}
