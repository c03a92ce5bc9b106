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
};

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
        if (p->seconds)
                fprintf(stderr, "\r\033[K  %c %lld s left", spin[p->ticks % 4],
                        elapsed < p->seconds ? p->seconds - elapsed : 0);
        else
                fprintf(stderr, "\r\033[K  %c %lld s", spin[p->ticks % 4], elapsed);
        p->ticks++;
        if (bv_loop_add_timer(loop, 250000, tick, p, &p->timer) < 0)
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
