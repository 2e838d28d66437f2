#define _GNU_SOURCE
#include "ccorral.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pthread.h>

int ccorral_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
int ccorral_set_pdeathsig(int signal) { return prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0); }
int ccorral_set_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

int ccorral_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

size_t ccorral_unix_path_max(void) {
    struct sockaddr_un a;
    return sizeof(a.sun_path) - 1;
}

static int fill_address(struct sockaddr_un *address, const char *path) {
    size_t length = strlen(path);
    if (length == 0 || length >= sizeof(address->sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memset(address, 0, sizeof(*address));
    address->sun_family = AF_UNIX;
    memcpy(address->sun_path, path, length);
    return 0;
}

int ccorral_unix_listen(const char *path, int backlog) {
    struct sockaddr_un address;
    if (fill_address(&address, path) < 0) return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0 || listen(fd, backlog) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int ccorral_unix_connect(const char *path) {
    struct sockaddr_un address;
    if (fill_address(&address, path) < 0) return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int rc;
    do {
        rc = connect(fd, (struct sockaddr *)&address, sizeof(address));
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int ccorral_accept4_cloexec(int fd) {
    int rc;
    do {
        rc = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    } while (rc < 0 && errno == EINTR);
    return rc;
}

int ccorral_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct ucred cred;
    socklen_t length = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) < 0) return -1;
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}

int ccorral_set_send_timeout(int fd, int64_t milliseconds) {
    struct timeval tv = {.tv_sec = milliseconds / 1000, .tv_usec = (milliseconds % 1000) * 1000};
    return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int ccorral_pipe2_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int ccorral_wifexited(int status) { return WIFEXITED(status); }
int ccorral_wexitstatus(int status) { return WEXITSTATUS(status); }
int ccorral_wifsignaled(int status) { return WIFSIGNALED(status); }
int ccorral_wtermsig(int status) { return WTERMSIG(status); }

const int ccorral_clone_newnet = CLONE_NEWNET;
const int ccorral_clone_newipc = CLONE_NEWIPC;
const int ccorral_clone_newuts = CLONE_NEWUTS;
const int ccorral_clone_newpid = CLONE_NEWPID;
const int ccorral_clone_newns = CLONE_NEWNS;
int ccorral_setns(int fd, int nstype) { return setns(fd, nstype); }
int ccorral_unshare(int flags) { return unshare(flags); }

int ccorral_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                  int stdin_fd, int stdout_fd, int stderr_fd, int new_session) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    int fds[3] = {stdin_fd, stdout_fd, stderr_fd};
    for (int target = 0; target < 3; target++) {
        if (fds[target] < 0) {
            posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0);
        } else if (fds[target] == target) {
            // dup2 onto itself would keep O_CLOEXEC; clear it instead.
            posix_spawn_file_actions_adddup2(&actions, fds[target], 100 + target);
            posix_spawn_file_actions_adddup2(&actions, 100 + target, target);
            posix_spawn_file_actions_addclose(&actions, 100 + target);
        } else {
            posix_spawn_file_actions_adddup2(&actions, fds[target], target);
        }
    }
    // Nothing else the parent holds (sockets, other pods' fds) leaks into the child.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (new_session) flags |= POSIX_SPAWN_SETSID;
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attributes, &empty);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setflags(&attributes, flags);
    int rc = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return 0;
}

#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/signalfd.h>

static int signal_pipe_write = -1;

static void signal_to_pipe(int signal) {
    int saved = errno;
    unsigned char byte = (unsigned char)signal;
    // Non-blocking: with the pipe full, a wakeup is already pending and this one can go.
    ssize_t ignored = write(signal_pipe_write, &byte, 1);
    (void)ignored;
    errno = saved;
}

int ccorral_signal_pipe(const int *signals, int count) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) return -1;
    signal_pipe_write = fds[1];
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = signal_to_pipe;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigset_t unblock;
    sigemptyset(&unblock);
    for (int i = 0; i < count; i++) {
        if (sigaction(signals[i], &action, NULL) < 0) return -1;
        sigaddset(&unblock, signals[i]);
    }
    pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
    return fds[0];
}

int ccorral_signal_pipe_wait(int fd) {
    for (;;) {
        unsigned char byte;
        ssize_t n = read(fd, &byte, 1);
        if (n == 1) return byte;
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) return -1;
        struct pollfd poller = {.fd = fd, .events = POLLIN};
        if (poll(&poller, 1, -1) < 0 && errno != EINTR) return -1;
    }
}

void ccorral_signal_pipe_interrupt(void) {
    unsigned char byte = 0;
    ssize_t ignored = write(signal_pipe_write, &byte, 1);
    (void)ignored;
}

int ccorral_ignore_signal(int signal) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = SIG_IGN;
    return sigaction(signal, &action, NULL);
}

int ccorral_flock_exclusive(int fd) {
    int rc;
    do {
        rc = flock(fd, LOCK_EX);
    } while (rc < 0 && errno == EINTR);
    return rc;
}

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <termios.h>

// Runs `body` on a throwaway thread and waits for it: namespace changes made there (unshare)
// stay with that thread and never touch the caller's. `error` is the errno the body left in the
// request.
static int run_on_throwaway_thread(void *(*body)(void *), void *request, int *error) {
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, body, request);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    pthread_join(thread, NULL);
    if (*error != 0) {
        errno = *error;
        return -1;
    }
    return 0;
}

struct pin_request {
    int flags;
    const char *hostname;
    const char *paths[3];
    int error;
};

static void *pin_thread(void *argument) {
    struct pin_request *request = argument;
    static const char *const sources[3] = {"/proc/thread-self/ns/net", "/proc/thread-self/ns/ipc",
                                           "/proc/thread-self/ns/uts"};
    if (unshare(request->flags) < 0) {
        request->error = errno;
        return NULL;
    }
    if ((request->flags & CLONE_NEWUTS) && request->hostname && request->hostname[0] &&
        sethostname(request->hostname, strlen(request->hostname)) < 0) {
        request->error = errno;
        return NULL;
    }
    for (int i = 0; i < 3; i++) {
        if (request->paths[i] && mount(sources[i], request->paths[i], NULL, MS_BIND, NULL) < 0) {
            request->error = errno;
            for (int j = 0; j < i; j++) {
                if (request->paths[j]) umount2(request->paths[j], MNT_DETACH);
            }
            return NULL;
        }
    }
    return NULL;
}


int ccorral_unmount_detach(const char *path) { return umount2(path, MNT_DETACH); }

int ccorral_bind_mount(const char *source, const char *target, int readonly) {
    if (mount(source, target, NULL, MS_BIND | MS_REC, NULL) < 0) return -1;
    if (readonly && mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0) return -1;
    return 0;
}

int ccorral_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data) {
    return mount(source, target, type, flags, data);
}

struct init_request {
    pid_t *pid;
    const char *path;
    char *const *argv;
    char *const *envp;
    int error;
};

static void *init_thread(void *argument) {
    struct init_request *request = argument;
    if (unshare(CLONE_NEWPID) < 0) {
        request->error = errno;
        return NULL;
    }
    if (ccorral_spawn(request->pid, request->path, request->argv, request->envp, -1, -1, -1, 1) < 0) {
        request->error = errno;
    }
    return NULL;
}


int ccorral_pin_namespaces_and_spawn_init(int flags, const char *hostname, const char *net_path,
                                          const char *ipc_path, const char *uts_path, pid_t *pid,
                                          const char *path, char *const argv[], char *const envp[],
                                          int *pin_error, int *init_error) {
    struct pin_request pin = {flags, hostname, {net_path, ipc_path, uts_path}, 0};
    struct init_request init = {pid, path, argv, envp, 0};
    pthread_t pin_thread_id, init_thread_id;
    int pinning = flags != 0, spawning = path != NULL;
    if (spawning) {
        int rc = pthread_create(&init_thread_id, NULL, init_thread, &init);
        if (rc != 0) {
            init.error = rc;
            spawning = 0;
        }
    }
    if (pinning) {
        int rc = pthread_create(&pin_thread_id, NULL, pin_thread, &pin);
        if (rc != 0) {
            pin.error = rc;
            pinning = 0;
        }
    }
    // The threads end with their namespaces; the bind mounts, and the init, keep them alive.
    if (spawning) pthread_join(init_thread_id, NULL);
    if (pinning) pthread_join(pin_thread_id, NULL);
    *pin_error = pin.error;
    *init_error = init.error;
    return pin.error == 0 && init.error == 0 ? 0 : -1;
}

void ccorral_pid1_loop(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    prctl(PR_SET_NAME, "corral-init", 0, 0, 0);
    for (;;) {
        int signal = sigwaitinfo(&set, NULL);
        if (signal == SIGTERM || signal == SIGINT) _exit(0);
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
    }
}

int ccorral_receive_fd(int socket_fd) {
    char byte;
    struct iovec vector = {.iov_base = &byte, .iov_len = 1};
    char control[CMSG_SPACE(sizeof(int)) * 4];
    char name[256];
    struct msghdr message = {0};
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    // runc sends the pty's name along with the fd; it is not needed.
    (void)name;
    ssize_t n;
    do {
        n = recvmsg(socket_fd, &message, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) {
            int fd;
            memcpy(&fd, CMSG_DATA(header), sizeof(fd));
            return fd;
        }
    }
    errno = EBADMSG;
    return -1;
}

int ccorral_set_window_size(int fd, unsigned short rows, unsigned short columns) {
    struct winsize size = {.ws_row = rows, .ws_col = columns};
    return ioctl(fd, TIOCSWINSZ, &size);
}

#include <sys/eventfd.h>

int ccorral_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

#include <malloc.h>

int ccorral_single_malloc_arena(void) { return mallopt(M_ARENA_MAX, 1); }
int ccorral_malloc_trim(void) { return malloc_trim(0); }

#include <arpa/inet.h>
#include <netinet/in.h>

struct netns_connect_request {
    const char *netns_path;
    int port;
    int fd;
    int error;
};

static void *netns_connect_thread(void *argument) {
    struct netns_connect_request *request = argument;
    int ns = open(request->netns_path, O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
        request->error = errno;
        if (ns >= 0) close(ns);
        return NULL;
    }
    close(ns);
    // localhost as the pod sees it: IPv4 first, then IPv6, as kubelet's port-forward does.
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)request->port)};
    v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&v4, sizeof(v4)) == 0) {
        request->fd = fd;
        return NULL;
    }
    int saved = errno;
    if (fd >= 0) close(fd);
    fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)request->port)};
    v6.sin6_addr = in6addr_loopback;
    if (fd >= 0 && connect(fd, (struct sockaddr *)&v6, sizeof(v6)) == 0) {
        request->fd = fd;
        return NULL;
    }
    if (fd >= 0) close(fd);
    request->error = saved;
    return NULL;
}

int ccorral_connect_in_netns(const char *netns_path, int port) {
    struct netns_connect_request request = {netns_path, port, -1, 0};
    // The socket keeps the namespace it was made in; the thread that entered it just ends.
    if (run_on_throwaway_thread(netns_connect_thread, &request, &request.error) < 0) return -1;
    return request.fd;
}
