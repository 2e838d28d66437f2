#define _GNU_SOURCE
// Namespaces: entering, creating and pinning them on throwaway threads, the pod's PID-namespace
// init, and connecting to a port or reading a file inside a pod's network namespace.
#include "ccorral.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

const int ccorral_clone_newnet = CLONE_NEWNET;
const int ccorral_clone_newipc = CLONE_NEWIPC;
const int ccorral_clone_newuts = CLONE_NEWUTS;
const int ccorral_clone_newpid = CLONE_NEWPID;
const int ccorral_clone_newns = CLONE_NEWNS;

int ccorral_setns(int fd, int nstype) { return setns(fd, nstype); }
int ccorral_unshare(int flags) { return unshare(flags); }

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

struct pod_request {
    struct pin_request pin;
    struct init_request init;
};

// The init spawned from the thread that made the namespaces is in them, as a pause container
// would be: nothing a container gains by taking it over is the host's.
static void *pin_then_spawn_thread(void *argument) {
    struct pod_request *request = argument;
    pin_thread(&request->pin);
    if (request->pin.error == 0) init_thread(&request->init);
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
    if (pinning && spawning) {
        struct pod_request both = {pin, init};
        int rc = pthread_create(&pin_thread_id, NULL, pin_then_spawn_thread, &both);
        if (rc != 0) {
            both.pin.error = rc;
        } else {
            pthread_join(pin_thread_id, NULL);
        }
        *pin_error = both.pin.error;
        *init_error = both.init.error;
        return both.pin.error == 0 && both.init.error == 0 ? 0 : -1;
    }
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

// PID 1 of a pod's shared PID namespace is visible to its containers, and one granted
// CAP_SYS_PTRACE passes the kernel's checks on /proc/1/root, /proc/1/cwd and /proc/1/mem. So
// the init keeps nothing worth reaching: a mount namespace of its own whose root is an empty,
// read-only tmpfs (the host's is unmounted), no capability at all, no way to regain one, no fork.
static int confine_pid1(void) {
    if (unshare(CLONE_NEWNS) < 0) return -1;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) return -1;
    unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (mount("corral-init", "/proc", "tmpfs", flags, "mode=0555,size=4k") < 0) return -1;
    if (chdir("/proc") < 0) return -1;
    if (syscall(SYS_pivot_root, ".", ".") < 0) return -1;
    if (umount2(".", MNT_DETACH) < 0) return -1;
    if (chdir("/") < 0) return -1;
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | flags, NULL) < 0) return -1;
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_NPROC, &none) < 0) return -1;
    for (int cap = 0; cap < 64; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) return -1;
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) return -1;
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capset, &header, data) < 0) return -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -1;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return -1;
    return 0;
}

void ccorral_pid1_loop(void) {
    // Unconfined, it must not serve as the pod's PID 1 at all: the pod fails to start instead.
    if (confine_pid1() < 0) _exit(127);
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

struct netns_connect_request {
    const char *netns_path;
    int port;
    int fd;
    int error;
};

// Moves the calling (throwaway) thread into the network namespace at `path`: 0, or the errno.
static int enter_netns(const char *path) {
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns < 0) return errno;
    int rc = setns(ns, CLONE_NEWNET) < 0 ? errno : 0;
    close(ns);
    return rc;
}

static void *netns_connect_thread(void *argument) {
    struct netns_connect_request *request = argument;
    if ((request->error = enter_netns(request->netns_path)) != 0) return NULL;
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

struct netns_read_request {
    const char *netns_path;
    const char *path;
    char *buffer;
    size_t capacity;
    ssize_t length;
    int error;
};

static void *netns_read_thread(void *argument) {
    struct netns_read_request *request = argument;
    if ((request->error = enter_netns(request->netns_path)) != 0) return NULL;
    int fd = open(request->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        request->error = errno;
        return NULL;
    }
    // procfs hands out a page or so per read: read until the end or the buffer is full.
    size_t length = 0;
    while (length < request->capacity) {
        ssize_t got = read(fd, request->buffer + length, request->capacity - length);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            request->error = errno;
            close(fd);
            return NULL;
        }
        if (got == 0) break;
        length += (size_t)got;
    }
    close(fd);
    request->length = (ssize_t)length;
    return NULL;
}

ssize_t ccorral_read_in_netns(const char *netns_path, const char *path, void *buffer, size_t capacity) {
    struct netns_read_request request = {netns_path, path, buffer, capacity, -1, 0};
    if (run_on_throwaway_thread(netns_read_thread, &request, &request.error) < 0) return -1;
    return request.length;
}
