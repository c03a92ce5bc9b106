/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Blocking child helpers with timeouts. A child that does not finish in
 * time is SIGKILLed (run_capture) or left to the caller (wait_timeout);
 * neither ever waits without a bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"

static long ms_since(const struct timespec *t0)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

int bv_proc_wait_timeout(pid_t pid, unsigned timeout_ms, int *ret_status)
{
        _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        int status = 0;

        if (pidfd >= 0) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                int r;
                do
                        r = poll(&p, 1, (int)timeout_ms);
                while (r < 0 && errno == EINTR);
                if (r < 0)
                        return -errno;
                if (r == 0)
                        return -ETIMEDOUT;
                if (waitpid(pid, &status, 0) != pid)
                        return -errno;
                *ret_status = status;
                return 0;
        }
        /* No pidfd (kernel before 5.3): poll waitpid in small steps. */
        for (unsigned waited = 0; waited <= timeout_ms; waited += 2) {
                pid_t r = waitpid(pid, &status, WNOHANG);
                if (r == pid) {
                        *ret_status = status;
                        return 0;
                }
                if (r < 0)
                        return -errno;
                usleep(2000);
        }
        return -ETIMEDOUT;
}

int bv_proc_run_capture(char *const argv[], unsigned timeout_ms, char *out, size_t len,
                        int *ret_status, struct bv_error *err)
{
        int pipefd[2];
        struct timespec t0;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return bv_error_set_errno(err, errno, "pipe2 failed");
        _cleanup_close_ int rfd = pipefd[0];
        _cleanup_close_ int wfd = pipefd[1];
        pid_t pid = fork();
        if (pid < 0)
                return bv_error_set_errno(err, errno, "fork failed");
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(wfd, 1) < 0 || dup2(wfd, 2) < 0)
                        _exit(127);
                execv(argv[0], argv);
                _exit(127);
        }
        close(TAKE_FD(wfd));
        clock_gettime(CLOCK_MONOTONIC, &t0);
        size_t used = 0;
        for (;;) {
                long left = (long)timeout_ms - ms_since(&t0);
                if (left <= 0)
                        break;
                struct pollfd p = { .fd = rfd, .events = POLLIN };
                int r = poll(&p, 1, (int)left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                char buf[1024];
                ssize_t n = read(rfd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                size_t take = len > 0 ? BV_MIN((size_t)n, len - 1 - used) : 0;
                memcpy(out + used, buf, take);
                used += take;
        }
        if (len > 0)
                out[used] = '\0';
        long left = (long)timeout_ms - ms_since(&t0);
        int status;
        int r = bv_proc_wait_timeout(pid, left > 0 ? (unsigned)left : 0, &status);
        if (r == -ETIMEDOUT) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                return bv_error_set(err, ETIMEDOUT, "'%s' did not finish within %u ms", argv[0], timeout_ms);
        }
        if (r < 0)
                return bv_error_set_errno(err, -r, "Failed to wait for '%s'", argv[0]);
        *ret_status = status;
        return 0;
}

int bv_proc_start_time(pid_t pid, unsigned long long *ret)
{
        char path[64], buf[1024];

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return -ESRCH;
        buf[n] = '\0';
        /* comm (field 2) may contain spaces and ')': fields resume after the last ')'. */
        char *p = strrchr(buf, ')');
        if (!p || p[1] != ' ')
                return -EPROTO;
        /* A zombie (or dead) process is gone: nothing of it can be adopted or signalled any more. */
        if (p[2] == 'Z' || p[2] == 'X')
                return -ESRCH;
        p++;
        for (int field = 3; field < 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EPROTO;
        }
        char *end;
        unsigned long long v = strtoull(p + 1, &end, 10);
        if (end == p + 1)
                return -EPROTO;
        *ret = v;
        return 0;
}

int bv_proc_uptime(pid_t pid, uint64_t *ret_seconds)
{
        unsigned long long start;
        double up;
        long hz = sysconf(_SC_CLK_TCK);
        int r;

        if (pid <= 0)
                return -EINVAL;
        if (hz <= 0)
                return -EPROTO;
        r = bv_proc_start_time(pid, &start);
        if (r < 0)
                return r;
        _cleanup_fclose_ FILE *f = fopen("/proc/uptime", "re");
        if (!f)
                return -errno;
        if (fscanf(f, "%lf", &up) != 1)
                return -EPROTO;
        double t = up - (double)start / (double)hz;
        *ret_seconds = t < 0 ? 0 : (uint64_t)t;
        return 0;
}
