#define _GNU_SOURCE
// Signals delivered through a pipe, so a thread can wait for them without a handler's limits.
#include "ccorral.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

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
