#define _GNU_SOURCE
// Descriptors of special kinds: pipes, eventfds, locks, terminal sizes, O_PATH.
#include "ccorral.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

const int ccorral_o_path = O_PATH;

int ccorral_pipe2_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int ccorral_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

int ccorral_flock_exclusive(int fd) {
    int rc;
    do {
        rc = flock(fd, LOCK_EX);
    } while (rc < 0 && errno == EINTR);
    return rc;
}

int ccorral_set_window_size(int fd, unsigned short rows, unsigned short columns) {
    struct winsize size = {.ws_row = rows, .ws_col = columns};
    return ioctl(fd, TIOCSWINSZ, &size);
}
