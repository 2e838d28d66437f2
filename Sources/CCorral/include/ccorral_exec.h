// Starting a process inside a running container without the OCI runtime: what `runc exec`
// does, from the shim. Everything the children need is resolved and opened before the fork,
// so that after it they only make system calls.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ccorral_exec_plan {
    // The process's stdin, stdout and stderr; -1: /dev/null. Ignored with a terminal.
    int stdio[3];
    // Opened for writing: the `tasks` file of each cgroup v1 hierarchy the container is in.
    // Writing "0" there moves the writer's single thread, which skips the global lock (and the
    // RCU grace period) that moving another process by pid costs.
    const int *cgroup_tasks_fds;
    int cgroup_tasks_count;
    // The container's cgroup v2 directory, joined with CLONE_INTO_CGROUP; -1: none.
    int cgroup2_fd;
    int set_oom_score_adj;
    int oom_score_adj;
    // Namespaces to enter, in order (mount last); the fds are /proc/PID/ns/* of the container.
    const int *namespace_fds;
    const int *namespace_types;
    int namespace_count;
    // A terminal: a pty from the container's /dev/ptmx, its master sent with SCM_RIGHTS on
    // terminal_socket, its slave the process's stdio and controlling terminal.
    int terminal;
    int terminal_socket;
    unsigned short terminal_rows, terminal_columns;
    const int *rlimit_resources;
    const uint64_t *rlimit_soft;
    const uint64_t *rlimit_hard;
    int rlimit_count;
    int no_new_privileges;
    // A BPF program (sock_filter array) and the seccomp(2) flags; NULL: no filter.
    const void *seccomp_program;
    size_t seccomp_instructions;
    unsigned int seccomp_flags;
    int capability_last;
    uint64_t capability_bounding, capability_effective, capability_permitted,
        capability_inheritable, capability_ambient;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int group_count;
    int umask;  // -1: inherited
    const char *cwd;
    char *const *argv;
    // NULL-terminated, with one more NULL slot after it for HOME when the environment has none.
    char **envp;
    int timeout_ms;  // how long the children may take to reach execve
};

enum ccorral_exec_stage {
    CCORRAL_EXEC_FORK = 1,
    CCORRAL_EXEC_STDIO,
    CCORRAL_EXEC_OOM_SCORE_ADJ,
    CCORRAL_EXEC_CGROUP,
    CCORRAL_EXEC_NAMESPACE,
    CCORRAL_EXEC_SETSID,
    CCORRAL_EXEC_TERMINAL,
    CCORRAL_EXEC_RLIMIT,
    CCORRAL_EXEC_NO_NEW_PRIVILEGES,
    CCORRAL_EXEC_SECCOMP,
    CCORRAL_EXEC_CAPABILITY_BOUNDING,
    CCORRAL_EXEC_USER,
    CCORRAL_EXEC_CWD,
    CCORRAL_EXEC_CAPABILITIES,
    CCORRAL_EXEC_LOOKUP,
    CCORRAL_EXEC_EXECVE,
    CCORRAL_EXEC_TIMEOUT,
    CCORRAL_EXEC_DESCRIPTORS,
    CCORRAL_EXEC_CWD_OUTSIDE_ROOT,
};

// The most descriptors the helper keeps open while it joins the container.
#define CCORRAL_EXEC_MAX_KEPT 64

struct ccorral_exec_failure {
    int stage;  // enum ccorral_exec_stage
    int error;  // errno
};

// Forks a helper that joins the container's cgroups and namespaces and forks the process, which
// takes on the container's identity and execs argv[0]. Returns 0 once the process has exec'd,
// with its pid and the helper's (for the caller's reaper: neither is waited for here); -1 with
// *failure filled in otherwise (the helper's pid is still set when it was forked).
int ccorral_exec_in_container(const struct ccorral_exec_plan *plan, pid_t *helper, pid_t *pid,
                              struct ccorral_exec_failure *failure);
