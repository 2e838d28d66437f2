// What Swift cannot import cleanly from glibc: function-like macros, variadic
// calls (prctl), and sockaddr_un juggling. Each helper returns -1 and leaves
// errno set on failure, like the call it wraps.
#pragma once
#include <sys/types.h>
#include <stdint.h>
#include "ccorral_exec.h"

// prctl
int ccorral_set_child_subreaper(void);
int ccorral_set_pdeathsig(int signal);
int ccorral_set_name(const char *name);

// sockets
int ccorral_unix_listen(const char *path, int backlog);
int ccorral_unix_connect(const char *path);
int ccorral_accept4_cloexec(int fd);
int ccorral_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid);
int ccorral_set_send_timeout(int fd, int64_t milliseconds);
int ccorral_pipe2_cloexec(int fds[2]);
size_t ccorral_unix_path_max(void);

// A pidfd (close-on-exec) for any process: readable once it has exited.
int ccorral_pidfd_open(pid_t pid);

// wait status
int ccorral_wifexited(int status);
int ccorral_wexitstatus(int status);
int ccorral_wifsignaled(int status);
int ccorral_wtermsig(int status);

// namespaces
extern const int ccorral_clone_newnet;
extern const int ccorral_clone_newipc;
extern const int ccorral_clone_newuts;
extern const int ccorral_clone_newpid;
extern const int ccorral_clone_newns;
int ccorral_setns(int fd, int nstype);
int ccorral_unshare(int flags);

// process spawning: posix_spawn with stdio wired, optional new session.
// argv and envp are NULL-terminated. Fds < 0 mean /dev/null. Every other fd is closed in the child.
int ccorral_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                  int stdin_fd, int stdout_fd, int stderr_fd, int new_session);

// signals: handlers for `signals` that write each signal's number, one byte, to a pipe; returns
// the pipe's read end (close-on-exec, non-blocking). Works whatever the threads' masks are, which
// the Swift runtime and Dispatch change under us.
int ccorral_signal_pipe(const int *signals, int count);
// Waits until the pipe has a byte and returns it: a signal number, or 0 from
// ccorral_signal_pipe_interrupt; -1 if the pipe failed.
int ccorral_signal_pipe_wait(int fd);
// Wakes whoever waits on the pipe with a 0.
void ccorral_signal_pipe_interrupt(void);
int ccorral_ignore_signal(int signal);

// file locks
int ccorral_flock_exclusive(int fd);

// O_PATH, a _GNU_SOURCE name Swift's Glibc leaves out.
extern const int ccorral_o_path;

// Sets FS_TOPDIR_FL (chattr +T) on the directory `fd` is open on; 0, or -1 with errno.
int ccorral_add_topdir_flag(int fd);

// Extended attributes (<sys/xattr.h> is not in Swift's Glibc), flags 0: create or replace.
int ccorral_fsetxattr(int fd, const char *name, const void *value, size_t size);
int ccorral_lsetxattr(const char *path, const char *name, const void *value, size_t size);
int ccorral_setxattr(const char *path, const char *name, const void *value, size_t size);
ssize_t ccorral_lgetxattr(const char *path, const char *name, void *value, size_t size);

// Connects to localhost:port inside the network namespace at netns_path (on a throwaway
// thread); the connected socket, or -1 with errno.
int ccorral_connect_in_netns(const char *netns_path, int port);

// Reads up to `capacity` bytes of the file at `path` from a throwaway thread inside the network
// namespace at netns_path (for /proc/thread-self/net/..., which shows the reader's namespace);
// the bytes read, or -1 with errno.
ssize_t ccorral_read_in_netns(const char *netns_path, const char *path, void *buffer, size_t capacity);

int ccorral_unmount_detach(const char *path);
int ccorral_bind_mount(const char *source, const char *target, int readonly);
int ccorral_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data);
int ccorral_clone_tree(const char *source, const char *target, unsigned long long attr_set,
                       unsigned long long propagation, int userns_fd);
extern const unsigned long long ccorral_mount_attr_rdonly;
extern const unsigned long long ccorral_mount_attr_idmap;
extern const unsigned long long ccorral_ms_private;

// The id of the mount `path` (not followed if a symlink) lies on; -1 where statx cannot tell.
int ccorral_mount_id(const char *path, unsigned long long *id);

// A pod in a user namespace of its own: a child cloned with CLONE_NEWUSER and `flags` (any of
// CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS), plus CLONE_NEWPID when `init_path` is given. Its
// uid_map and gid_map are written (`uid_map`, `gid_map`: the maps' text), its user namespace and
// the others in `flags` bind-mounted onto the given existing files, then it becomes root of its
// namespace, sets `hostname` and either execs the init (PID 1 of the new PID namespace; stdio
// on /dev/null, a session of its own) or ends. *pid gets the child, which the caller's reaper
// reaps. On failure (-1, errno) nothing of it remains but the child's exit to reap.
int ccorral_create_user_pod(int flags, const char *uid_map, const char *gid_map, const char *hostname,
                            const char *user_path, const char *net_path, const char *ipc_path,
                            const char *uts_path, const char *init_path, char *const argv[],
                            char *const envp[], pid_t *pid);
extern const int ccorral_clone_newuser;

// A pod's namespaces, two things at once, each on a throwaway thread of its own:
// - pinned as bind mounts: unshare `flags` (any of CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS;
//   0: none), set `hostname` in a new UTS namespace, and bind-mount
//   /proc/thread-self/ns/{net,ipc,uts} onto the given existing files (NULL: skip);
// - a child that is PID 1 of a new PID namespace (`path` NULL: none): posix_spawn from a thread
//   that unshared CLONE_NEWPID, stdio on /dev/null, in a session of its own.
// Each step's errno, or 0, goes to *pin_error and *init_error; returns 0 when both succeeded,
// else -1. Pins of a failed pinning are undone; whatever succeeded is left for the caller.
int ccorral_pin_namespaces_and_spawn_init(int flags, const char *hostname, const char *net_path,
                                          const char *ipc_path, const char *uts_path, pid_t *pid,
                                          const char *path, char *const argv[], char *const envp[],
                                          int *pin_error, int *init_error);

// The loop of such an init: reap every orphan until SIGTERM or SIGINT. Never returns.
void ccorral_pid1_loop(void) __attribute__((noreturn));

// Receives one descriptor sent with SCM_RIGHTS (runc's console socket); -1 on failure.
int ccorral_receive_fd(int socket_fd);
int ccorral_set_window_size(int fd, unsigned short rows, unsigned short columns);

// A close-on-exec, non-blocking eventfd starting at zero (<sys/eventfd.h> is not in Swift's Glibc).
int ccorral_eventfd(void);

// malloc tuning (<malloc.h> is not in Swift's Glibc).
int ccorral_single_malloc_arena(void);
int ccorral_malloc_trim(void);
