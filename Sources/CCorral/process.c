#define _GNU_SOURCE
// The calling process and its children: prctl settings, pidfds, wait statuses, posix_spawn,
// malloc tuning.
#include "ccorral.h"
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int ccorral_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
int ccorral_set_pdeathsig(int signal) { return prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0); }
int ccorral_set_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

int ccorral_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int ccorral_wifexited(int status) { return WIFEXITED(status); }
int ccorral_wexitstatus(int status) { return WEXITSTATUS(status); }
int ccorral_wifsignaled(int status) { return WIFSIGNALED(status); }
int ccorral_wtermsig(int status) { return WTERMSIG(status); }

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

int ccorral_single_malloc_arena(void) { return mallopt(M_ARENA_MAX, 1); }
int ccorral_malloc_trim(void) { return malloc_trim(0); }
