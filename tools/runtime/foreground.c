/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `run` in the foreground: the runtime stays the parent of the container's
 * init, forwards the signals it gets to it, and, when the process has a
 * terminal but no --console-socket was given, relays between our own stdio
 * and the pty master (stdin in raw mode while it runs, window size kept in
 * step on SIGWINCH). Returns the init's exit status (128+signal if killed).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/common.h"
#include "tools/runtime/runtime.h"

static void copy_winsize(int from, int to)
{
        struct winsize ws;
        if (ioctl(from, TIOCGWINSZ, &ws) == 0)
                ioctl(to, TIOCSWINSZ, &ws);
}

/* Copies what is readable on from to to; returns false at EOF or error. */
static bool pump(int from, int to)
{
        char buf[4096];
        ssize_t n = read(from, buf, sizeof(buf));
        if (n <= 0)
                return n < 0 && errno == EINTR;
        return bv_fd_write_all(to, buf, (size_t)n) == 0;
}

int rt_foreground(pid_t pid, int master)
{
        static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD };
        struct termios saved;
        bool raw = false, in_open = master >= 0, master_open = master >= 0;
        sigset_t set;
        int code = 255;

        sigemptyset(&set);
        for (size_t k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++)
                sigaddset(&set, sigs[k]);
        sigprocmask(SIG_BLOCK, &set, NULL);
        int sfd = signalfd(-1, &set, SFD_CLOEXEC);
        if (master >= 0 && isatty(0) && tcgetattr(0, &saved) == 0) {
                struct termios t = saved;
                cfmakeraw(&t);
                raw = tcsetattr(0, TCSANOW, &t) == 0;
                copy_winsize(0, master);
        }
        /*
         * The process may have exited before SIGCHLD was blocked, when the
         * signal was discarded: without this check the wait never ends (seen
         * inside a one-CPU TCG guest, about one run in ten).
         */
        int status;
        bool done = false;
        if (waitpid(pid, &status, WNOHANG) == pid) {
                code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                done = true;
        }
        while (!done) {
                struct pollfd p[3] = { { .fd = sfd, .events = POLLIN },
                                       { .fd = master_open ? master : -1, .events = POLLIN },
                                       { .fd = in_open ? 0 : -1, .events = POLLIN } };
                if (poll(p, 3, -1) < 0 && errno != EINTR)
                        break;
                if (p[1].revents && !pump(master, 1))
                        master_open = false;
                if (p[2].revents && !pump(0, master))
                        in_open = false;
                if (!p[0].revents)
                        continue;
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof(si)) != sizeof(si))
                        continue;
                if (si.ssi_signo == SIGWINCH && master >= 0) {
                        copy_winsize(0, master);
                } else if (si.ssi_signo == SIGCHLD) {
                        if (waitpid(pid, &status, WNOHANG) == pid) {
                                code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                                done = true;
                        }
                } else
                        kill(pid, (int)si.ssi_signo);
        }
        /* What the process wrote last is still in the pty. */
        while (master_open) {
                struct pollfd p = { .fd = master, .events = POLLIN };
                if (poll(&p, 1, 0) <= 0 || !pump(master, 1))
                        break;
        }
        if (raw)
                tcsetattr(0, TCSANOW, &saved);
        if (sfd >= 0)
                close(sfd);
        return code;
}
