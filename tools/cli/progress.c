/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Progress of a wait: while a verb waits for barevirtd (a guest powering
 * off, QEMU reaching "running", a container's stop timeout, a disk's
 * DEVICE_DELETED), says on stderr what it waits for and counts down (or
 * spins), from a timer on the CLI's own event loop, which runs while
 * cli_api() waits. Only for people: stdout and stderr both terminals, no
 * --json, BAREVIRT_NO_PROGRESS unset or 0. Ctrl-C during a wait clears the
 * line, says that only the waiting stopped, and exits 130.
 */
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "tools/cli/cli.h"

struct cli_progress {
        struct bv_loop *loop;
        struct bv_timer *timer;
        unsigned seconds;            /* the most it waits; 0: unknown (spinner and elapsed time) */
        struct timespec start;
        unsigned ticks;
        char file[PATH_MAX];         /* cli_progress_file(): its reader's offset out of total */
        uint64_t total;
        char fdinfo[64];             /* /proc/PID/fdinfo/FD of the reader, once found */
};

BV_DEFINE_CLEANUP(DIR, closedir)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* The offset of the reader of p->file, found once by a walk of /proc/PID/fd; -1 if none. */
static long long reader_offset(struct cli_progress *p)
{
        if (!p->fdinfo[0]) {
                _cleanup_closedir_ DIR *proc = opendir("/proc");
                struct dirent *de;
                while (proc && !p->fdinfo[0] && (de = readdir(proc))) {
                        char dir[64], link[PATH_MAX + 32], target[PATH_MAX];
                        if (de->d_name[0] < '1' || de->d_name[0] > '9' || strlen(de->d_name) > 10)
                                continue;
                        snprintf(dir, sizeof(dir), "/proc/%s/fd", de->d_name);
                        _cleanup_closedir_ DIR *fds = opendir(dir);
                        struct dirent *fe;
                        while (fds && (fe = readdir(fds))) {
                                snprintf(link, sizeof(link), "%s/%s", dir, fe->d_name);
                                ssize_t n = readlink(link, target, sizeof(target) - 1);
                                if (n <= 0 || (target[n] = '\0', strcmp(target, p->file) != 0))
                                        continue;
                                snprintf(p->fdinfo, sizeof(p->fdinfo), "/proc/%s/fdinfo/%.12s", de->d_name,
                                         fe->d_name);
                                break;
                        }
                }
                if (!p->fdinfo[0])
                        return -1;
        }
        _cleanup_free_ char *info = NULL;
        unsigned long long pos;
        if (bv_file_read(p->fdinfo, 4096, &info, NULL, NULL) < 0 || sscanf(info, "pos: %llu", &pos) != 1) {
                p->fdinfo[0] = '\0';   /* that reader is gone; another may come */
                return -1;
        }
        return (long long)pos;
}

static bool draw_bar(struct cli_progress *p, char spin)
{
        long long pos = p->total ? reader_offset(p) : -1;

        if (pos < 0)
                return false;
        unsigned width = 30, done = (unsigned)(pos >= (long long)p->total ? width : pos * width / p->total);
        char bar[32];
        memset(bar, '#', done);
        memset(bar + done, '.', width - done);
        bar[width] = '\0';
        fprintf(stderr, "\r\033[K  %c [%s] %.1f of %.1f MiB", spin, bar, pos / 1048576.0, p->total / 1048576.0);
        return true;
}

bool cli_progress_wanted(const struct cli *cli)
{
        const char *off = getenv("BAREVIRT_NO_PROGRESS");

        return !cli->json && (!off || !*off || strcmp(off, "0") == 0) && isatty(STDOUT_FILENO) &&
               isatty(STDERR_FILENO);
}

static void on_sigint(int sig)
{
        static const char msg[] = "\r\033[K(stopped waiting; the operation may still complete in barevirtd)\n";

        (void)sig;
        (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
        _exit(130);
}

static void tick(struct bv_loop *loop, void *userdata)
{
        static const char spin[] = "|/-\\";
        struct cli_progress *p = userdata;
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        long long elapsed = now.tv_sec - p->start.tv_sec;
        if (draw_bar(p, spin[p->ticks % 4]))
                ;
        else if (p->seconds)
                fprintf(stderr, "\r\033[K  %c %lld s left", spin[p->ticks % 4],
                        elapsed < p->seconds ? p->seconds - elapsed : 0);
        else
                fprintf(stderr, "\r\033[K  %c %lld s", spin[p->ticks % 4], elapsed);
        p->ticks++;
        if (bv_loop_add_timer(loop, p->total ? 100000 : 250000, tick, p, &p->timer) < 0)
                p->timer = NULL;
}

void cli_progress_start(struct cli *cli, unsigned seconds, const char *fmt, ...)
{
        struct sigaction sa = { .sa_handler = on_sigint };
        va_list ap;

        if (cli->progress || !cli_progress_wanted(cli) || (!cli->loop && bv_loop_new(&cli->loop, NULL) < 0))
                return;
        struct cli_progress *p = calloc(1, sizeof(*p));
        if (!p)
                return;
        *p = (struct cli_progress){ .loop = cli->loop, .seconds = seconds };
        clock_gettime(CLOCK_MONOTONIC, &p->start);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        sigaction(SIGINT, &sa, NULL);
        tick(cli->loop, p);
        cli->progress = p;
}

void cli_progress_file(struct cli *cli, const char *file, uint64_t total)
{
        struct cli_progress *p = cli->progress;

        if (p && realpath(file, p->file))
                p->total = total;
}

void cli_progress_end(struct cli *cli)
{
        struct sigaction sa = { .sa_handler = SIG_DFL };
        struct cli_progress *p = cli->progress;

        if (!p)
                return;
        cli->progress = NULL;
        bv_timer_cancel(p->timer);
        fputs("\r\033[K", stderr);
        sigaction(SIGINT, &sa, NULL);
        free(p);
}
