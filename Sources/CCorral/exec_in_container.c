#define _GNU_SOURCE
#include "ccorral_exec.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

// What the children tell the caller, one record per write (atomic on a pipe).
struct report {
    int32_t kind;  // 1: the process's pid; 2: a failure
    int32_t stage;
    int32_t error;
    int32_t pid;
};

static void send_report(int fd, int32_t kind, int32_t stage, int32_t error, int32_t pid) {
    struct report r = {kind, stage, error, pid};
    ssize_t n;
    do {
        n = write(fd, &r, sizeof(r));
    } while (n < 0 && errno == EINTR);
}

__attribute__((noreturn)) static void fail(int report_fd, int stage) {
    send_report(report_fd, 2, stage, errno, 0);
    _exit(127);
}

static size_t length_of(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

static int starts_with(const char *s, const char *prefix) {
    while (*prefix) {
        if (*s++ != *prefix++) return 0;
    }
    return 1;
}

// Closes every descriptor from 3 up but those in `keep` (any order, repeats and negatives
// allowed). Closed, not marked close-on-exec: a descriptor still open when a path of the
// container is resolved is reachable as /proc/self/fd/N (CVE-2024-21626).
static int close_all_except(const int *keep, int count) {
    int sorted[CCORRAL_EXEC_MAX_KEPT];
    int n = 0;
    for (int i = 0; i < count; i++) {
        if (keep[i] < 3) continue;
        if (n == CCORRAL_EXEC_MAX_KEPT) {
            errno = EMFILE;
            return -1;
        }
        int j = n++;
        while (j > 0 && sorted[j - 1] > keep[i]) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = keep[i];
    }
    unsigned int from = 3;
    for (int i = 0; i <= n; i++) {
        unsigned int to = i < n ? (unsigned int)sorted[i] : ~0U;
        if (to > from) {
            unsigned int last = i < n ? to - 1 : ~0U;
            if (syscall(SYS_close_range, from, last, 0) < 0) {
                // Kernels before 5.9: one close per possible descriptor.
                struct rlimit limit;
                if (getrlimit(RLIMIT_NOFILE, &limit) < 0) return -1;
                unsigned int end = limit.rlim_cur < last ? (unsigned int)limit.rlim_cur : last;
                for (unsigned int fd = from; fd <= end && fd < limit.rlim_cur; fd++) close((int)fd);
            }
        }
        if (i < n) from = (unsigned int)sorted[i] + 1;
    }
    return 0;
}

// runc's check against CVE-2024-21626: the kernel's getcwd reports a directory outside the root
// (of the mount namespace, or a chroot) as "(unreachable)/...", never as an absolute path.
static int cwd_inside_root(void) {
    static char cwd[4096];
    long n = syscall(SYS_getcwd, cwd, sizeof(cwd));
    return n > 0 && cwd[0] == '/';
}

// Moves the stdio fds to 0, 1 and 2, whatever numbers they had (even each other's).
static int wire_stdio(const int stdio[3]) {
    int moved[3];
    for (int i = 0; i < 3; i++) {
        int source = stdio[i];
        if (source < 0) {
            source = open("/dev/null", O_RDWR | O_CLOEXEC);
            if (source < 0) return -1;
        }
        moved[i] = fcntl(source, F_DUPFD_CLOEXEC, 3);
        if (stdio[i] < 0) close(source);
        if (moved[i] < 0) return -1;
    }
    for (int i = 0; i < 3; i++) {
        if (dup2(moved[i], i) < 0) return -1;
    }
    for (int i = 0; i < 3; i++) close(moved[i]);
    return 0;
}

static int open_terminal(const struct ccorral_exec_plan *plan) {
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) return -1;
    int unlock = 0, number = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &number) < 0) return -1;
    char path[32] = "/dev/pts/";
    char digits[12];
    int count = 0;
    do {
        digits[count++] = (char)('0' + number % 10);
        number /= 10;
    } while (number > 0 && count < 11);
    size_t at = length_of(path);
    while (count > 0) path[at++] = digits[--count];
    path[at] = 0;
    int slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) return -1;
    if (plan->terminal_rows || plan->terminal_columns) {
        struct winsize size = {.ws_row = plan->terminal_rows, .ws_col = plan->terminal_columns};
        ioctl(slave, TIOCSWINSZ, &size);
    }
    char byte = 0;
    struct iovec vector = {.iov_base = &byte, .iov_len = 1};
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof(control));
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control,
                             .msg_controllen = sizeof(control)};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &master, sizeof(int));
    if (sendmsg(plan->terminal_socket, &message, MSG_NOSIGNAL) < 0) return -1;
    close(master);
    for (int i = 0; i < 3; i++) {
        if (dup2(slave, i) < 0) return -1;
    }
    if (slave > 2) close(slave);
    return ioctl(0, TIOCSCTTY, 0);
}

// As runc does for a non-root user: stdio it can reopen (/proc/self/fd/N) and a usable terminal.
// Failures are ignored, as runc ignores them.
static void give_stdio_to(uid_t uid) {
    for (int fd = 0; fd < 3; fd++) {
        struct stat s;
        if (fstat(fd, &s) < 0 || s.st_uid == uid) continue;
        if (S_ISCHR(s.st_mode) && major(s.st_rdev) == 1 && minor(s.st_rdev) == 3) continue;  // /dev/null
        if (fchown(fd, uid, s.st_gid) < 0) continue;
    }
}

static int apply_capabilities(const struct ccorral_exec_plan *plan) {
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    data[0].effective = (uint32_t)plan->capability_effective;
    data[1].effective = (uint32_t)(plan->capability_effective >> 32);
    data[0].permitted = (uint32_t)plan->capability_permitted;
    data[1].permitted = (uint32_t)(plan->capability_permitted >> 32);
    data[0].inheritable = (uint32_t)plan->capability_inheritable;
    data[1].inheritable = (uint32_t)(plan->capability_inheritable >> 32);
    if (syscall(SYS_capset, &header, data) < 0) return -1;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) return -1;
    for (int cap = 0; cap <= plan->capability_last && cap < 64; cap++) {
        if ((plan->capability_ambient >> cap) & 1) {
            if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) return -1;
        }
    }
    return 0;
}

static int load_seccomp(const struct ccorral_exec_plan *plan) {
    struct sock_fprog program = {.len = (unsigned short)plan->seccomp_instructions,
                                 .filter = (struct sock_filter *)plan->seccomp_program};
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, plan->seccomp_flags, &program);
}

static const char *environment_value(char *const *envp, const char *name) {
    size_t n = length_of(name);
    for (; *envp; envp++) {
        if (starts_with(*envp, name) && (*envp)[n] == '=') return *envp + n + 1;
    }
    return NULL;
}

// HOME from the container's /etc/passwd, "/" when the user has no entry (as runc sets it).
static char home_entry[4096 + 8];
static void add_home(char **envp, uid_t uid) {
    char **slot = envp;
    while (*slot) slot++;
    const char *home = "/";
    size_t home_length = 1;
    static char passwd[65536];
    int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat s;
    if (fd >= 0 && fstat(fd, &s) == 0 && S_ISREG(s.st_mode)) {
        ssize_t total = 0, n;
        while (total < (ssize_t)sizeof(passwd) - 1 && (n = read(fd, passwd + total, sizeof(passwd) - 1 - total)) > 0) total += n;
        passwd[total] = 0;
        // name:password:uid:gid:gecos:home:shell
        for (char *line = passwd; *line;) {
            char *end = line;
            while (*end && *end != '\n') end++;
            const char *field[7] = {0};
            size_t field_length[7] = {0};
            int count = 0;
            const char *start = line;
            for (char *p = line; p <= end && count < 7; p++) {
                if (p == end || *p == ':') {
                    field[count] = start;
                    field_length[count] = (size_t)(p - start);
                    count++;
                    start = p + 1;
                }
            }
            if (count >= 6 && field_length[2] > 0) {
                uint64_t value = 0;
                int numeric = 1;
                for (size_t i = 0; i < field_length[2]; i++) {
                    char c = field[2][i];
                    if (c < '0' || c > '9') { numeric = 0; break; }
                    value = value * 10 + (uint64_t)(c - '0');
                }
                if (numeric && value == uid && field_length[5] > 0 && field_length[5] < 4096) {
                    home = field[5];
                    home_length = field_length[5];
                    break;
                }
            }
            line = *end ? end + 1 : end;
        }
    }
    if (fd >= 0) close(fd);
    memcpy(home_entry, "HOME=", 5);
    memcpy(home_entry + 5, home, home_length);
    home_entry[5 + home_length] = 0;
    *slot = home_entry;
    slot[1] = NULL;
}

// argv[0] as the process's PATH finds it (as Go's exec.LookPath does for runc).
static char found_path[4096];
static const char *look_up(const char *name, char *const *envp) {
    for (const char *p = name; *p; p++) {
        if (*p == '/') return name;
    }
    const char *search = environment_value(envp, "PATH");
    if (!search || !*search) {
        errno = ENOENT;
        return NULL;
    }
    size_t name_length = length_of(name);
    const char *dir = search;
    for (;;) {
        const char *end = dir;
        while (*end && *end != ':') end++;
        size_t dir_length = (size_t)(end - dir);
        if (dir_length == 0) {
            dir = ".";
            dir_length = 1;
        }
        if (dir_length + 1 + name_length < sizeof(found_path)) {
            memcpy(found_path, dir, dir_length);
            found_path[dir_length] = '/';
            memcpy(found_path + dir_length + 1, name, name_length + 1);
            struct stat s;
            if (stat(found_path, &s) == 0 && S_ISREG(s.st_mode) && access(found_path, X_OK) == 0) return found_path;
        }
        if (!*end) break;
        dir = end + 1;
    }
    errno = ENOENT;
    return NULL;
}

// The process itself: in the container's namespaces and cgroups already; takes on the identity
// the spec gives it, in the order runc's exec uses, and execs.
__attribute__((noreturn)) static void become_process(const struct ccorral_exec_plan *plan, int report_fd) {
    // The cgroup namespace comes last, once the process is in the container's cgroup, as with
    // runc: under nsdelegate (systemd's cgroup2 mount) a move into a cgroup is refused (ENOENT)
    // to a process whose own cgroup lies outside its cgroup namespace, which the helper's would.
    for (int i = 0; i < plan->namespace_count; i++) {
        if (plan->namespace_types[i] == CLONE_NEWCGROUP && setns(plan->namespace_fds[i], CLONE_NEWCGROUP) < 0)
            fail(report_fd, CCORRAL_EXEC_NAMESPACE);
    }
    // The helper's descriptors of the container's cgroups and namespaces, and whatever else it
    // held, go before the process resolves anything: only stdio, the report pipe and the
    // terminal's socket stay, and the socket goes as soon as the terminal is made.
    int keep[2] = {report_fd, plan->terminal ? plan->terminal_socket : -1};
    if (close_all_except(keep, 2) < 0) fail(report_fd, CCORRAL_EXEC_DESCRIPTORS);
    // The shim's signal mask and the signals it ignores (SIGPIPE among them) survive execve;
    // the process starts as runc's would, with none blocked and every one at its default.
    struct sigaction fallback;
    memset(&fallback, 0, sizeof(fallback));
    fallback.sa_handler = SIG_DFL;
    for (int signal_number = 1; signal_number < _NSIG; signal_number++) {
        if (signal_number != SIGKILL && signal_number != SIGSTOP) sigaction(signal_number, &fallback, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) fail(report_fd, CCORRAL_EXEC_SETSID);
    if (setsid() < 0) fail(report_fd, CCORRAL_EXEC_SETSID);
    if (plan->terminal) {
        if (open_terminal(plan) < 0) fail(report_fd, CCORRAL_EXEC_TERMINAL);
        close(plan->terminal_socket);
    }
    for (int i = 0; i < plan->rlimit_count; i++) {
        struct rlimit limit = {.rlim_cur = plan->rlimit_soft[i], .rlim_max = plan->rlimit_hard[i]};
        if (setrlimit(plan->rlimit_resources[i], &limit) < 0) fail(report_fd, CCORRAL_EXEC_RLIMIT);
    }
    if (plan->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        fail(report_fd, CCORRAL_EXEC_NO_NEW_PRIVILEGES);
    // Without no_new_privs, loading a filter takes CAP_SYS_ADMIN: before the capabilities go.
    if (plan->seccomp_program && !plan->no_new_privileges && load_seccomp(plan) < 0) fail(report_fd, CCORRAL_EXEC_SECCOMP);
    for (int cap = 0; cap <= plan->capability_last && cap < 64; cap++) {
        if (!((plan->capability_bounding >> cap) & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            fail(report_fd, CCORRAL_EXEC_CAPABILITY_BOUNDING);
    }
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail(report_fd, CCORRAL_EXEC_USER);
    // As root first: a dir the user cannot reach may still be its cwd, as with runc.
    int in_cwd = plan->cwd && *plan->cwd ? chdir(plan->cwd) == 0 : 1;
    give_stdio_to(plan->uid);
    if (setgroups((size_t)plan->group_count, plan->groups) < 0) fail(report_fd, CCORRAL_EXEC_USER);
    if (setgid(plan->gid) < 0) fail(report_fd, CCORRAL_EXEC_USER);
    if (setuid(plan->uid) < 0) fail(report_fd, CCORRAL_EXEC_USER);
    if (!in_cwd && chdir(plan->cwd) < 0) fail(report_fd, CCORRAL_EXEC_CWD);
    if (!cwd_inside_root()) {
        errno = EPERM;
        fail(report_fd, CCORRAL_EXEC_CWD_OUTSIDE_ROOT);
    }
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) fail(report_fd, CCORRAL_EXEC_USER);
    if (apply_capabilities(plan) < 0) fail(report_fd, CCORRAL_EXEC_CAPABILITIES);
    if (plan->umask >= 0) umask((mode_t)plan->umask);
    if (!environment_value(plan->envp, "HOME")) add_home(plan->envp, plan->uid);
    const char *path = look_up(plan->argv[0], plan->envp);
    if (!path) fail(report_fd, CCORRAL_EXEC_LOOKUP);
    // As late as possible, so that the profile need not allow what comes before execve.
    if (plan->seccomp_program && plan->no_new_privileges && load_seccomp(plan) < 0) fail(report_fd, CCORRAL_EXEC_SECCOMP);
    execve(path, plan->argv, plan->envp);
    fail(report_fd, CCORRAL_EXEC_EXECVE);
}

// The helper: joins the container, forks the process into it (a PID namespace only takes the
// children of whoever enters it), reports the process's pid and leaves it to the shim.
__attribute__((noreturn)) static void join_container(const struct ccorral_exec_plan *plan, int report_fd) {
    // Nothing in the container may look into this process, whose executable is the shim's.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    // Of the shim's descriptors, only what joining the container takes comes along into it.
    int keep[CCORRAL_EXEC_MAX_KEPT];
    int kept = 0;
    if (3 + 1 + plan->cgroup_tasks_count + plan->namespace_count + 2 > CCORRAL_EXEC_MAX_KEPT) {
        errno = EMFILE;
        fail(report_fd, CCORRAL_EXEC_DESCRIPTORS);
    }
    keep[kept++] = report_fd;
    for (int i = 0; i < 3; i++) keep[kept++] = plan->terminal ? -1 : plan->stdio[i];
    for (int i = 0; i < plan->cgroup_tasks_count; i++) keep[kept++] = plan->cgroup_tasks_fds[i];
    for (int i = 0; i < plan->namespace_count; i++) keep[kept++] = plan->namespace_fds[i];
    keep[kept++] = plan->cgroup2_fd;
    keep[kept++] = plan->terminal ? plan->terminal_socket : -1;
    if (close_all_except(keep, kept) < 0) fail(report_fd, CCORRAL_EXEC_DESCRIPTORS);
    if (plan->set_oom_score_adj) {
        char text[16];
        int value = plan->oom_score_adj, at = 0;
        unsigned magnitude = value < 0 ? (unsigned)(-value) : (unsigned)value;
        char digits[12];
        int count = 0;
        do {
            digits[count++] = (char)('0' + magnitude % 10);
            magnitude /= 10;
        } while (magnitude > 0);
        if (value < 0) text[at++] = '-';
        while (count > 0) text[at++] = digits[--count];
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, text, (size_t)at) < 0) fail(report_fd, CCORRAL_EXEC_OOM_SCORE_ADJ);
        close(fd);
    }
    // With a terminal, stdio is /dev/null until the pty replaces it: the shim's own stdio (its
    // log) must not follow the process into the container.
    static const int no_stdio[3] = {-1, -1, -1};
    if (wire_stdio(plan->terminal ? no_stdio : plan->stdio) < 0) fail(report_fd, CCORRAL_EXEC_STDIO);
    for (int i = 0; i < plan->cgroup_tasks_count; i++) {
        if (write(plan->cgroup_tasks_fds[i], "0", 1) < 0) fail(report_fd, CCORRAL_EXEC_CGROUP);
    }
    for (int i = 0; i < plan->namespace_count; i++) {
        if (plan->namespace_types[i] == CLONE_NEWCGROUP) continue;  // the process joins it (become_process)
        if (setns(plan->namespace_fds[i], plan->namespace_types[i]) < 0) fail(report_fd, CCORRAL_EXEC_NAMESPACE);
    }
    pid_t child;
    if (plan->cgroup2_fd >= 0) {
        struct clone_args args;
        memset(&args, 0, sizeof(args));
        args.flags = CLONE_INTO_CGROUP;
        args.exit_signal = SIGCHLD;
        args.cgroup = (uint64_t)plan->cgroup2_fd;
        child = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
    } else {
        child = fork();
    }
    if (child < 0) fail(report_fd, plan->cgroup2_fd >= 0 ? CCORRAL_EXEC_CGROUP : CCORRAL_EXEC_FORK);
    if (child == 0) become_process(plan, report_fd);
    send_report(report_fd, 1, 0, 0, child);
    _exit(0);
}

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int ccorral_exec_in_container(const struct ccorral_exec_plan *plan, pid_t *helper, pid_t *pid,
                              struct ccorral_exec_failure *failure) {
    *helper = 0;
    *pid = 0;
    failure->stage = 0;
    failure->error = 0;
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
        failure->stage = CCORRAL_EXEC_FORK;
        failure->error = errno;
        return -1;
    }
    pid_t forked = fork();
    if (forked < 0) {
        failure->stage = CCORRAL_EXEC_FORK;
        failure->error = errno;
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return -1;
    }
    if (forked == 0) {
        close(pipe_fds[0]);
        join_container(plan, pipe_fds[1]);
    }
    close(pipe_fds[1]);
    *helper = forked;
    // End of file: the helper has exited and the process has exec'd (or died).
    int64_t deadline = now_ms() + plan->timeout_ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            if (*pid > 0) kill(*pid, SIGKILL);
            kill(forked, SIGKILL);
            failure->stage = CCORRAL_EXEC_TIMEOUT;
            failure->error = ETIMEDOUT;
            break;
        }
        struct pollfd p = {.fd = pipe_fds[0], .events = POLLIN};
        int ready = poll(&p, 1, (int)left);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) continue;
        struct report r;
        ssize_t n = read(pipe_fds[0], &r, sizeof(r));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (n != sizeof(r)) continue;
        if (r.kind == 1) *pid = r.pid;
        if (r.kind == 2 && failure->stage == 0) {
            failure->stage = r.stage;
            failure->error = r.error;
        }
    }
    close(pipe_fds[0]);
    if (failure->stage == 0 && *pid <= 0) {
        failure->stage = CCORRAL_EXEC_FORK;
        failure->error = ECHILD;
    }
    return failure->stage == 0 ? 0 : -1;
}
