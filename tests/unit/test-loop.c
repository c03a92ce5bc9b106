/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The event loop: fds, timers (order, cancel), signals, children, removal in callbacks. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "tests/tap.h"

static int order[8], n_order;
static int reads;
static bool done;
static struct bv_watch *w2;

static void on_timer(struct bv_loop *loop, void *ud)
{
        order[n_order++] = (int)(long)ud;
}

static void on_read(struct bv_loop *loop, int fd, uint32_t events, void *ud)
{
        char c;
        reads++;
        (void)read(fd, &c, 1);
        /* Remove the other watch, which is also ready in this iteration. */
        w2 = bv_watch_remove(w2);
}

static void on_read2(struct bv_loop *loop, int fd, uint32_t events, void *ud)
{
        char c;
        reads += 100;
        (void)read(fd, &c, 1);
        bv_watch_remove(*(struct bv_watch **)ud); /* itself */
}

static int got_signal;
static void on_signal(struct bv_loop *loop, int signo, void *ud)
{
        got_signal = signo;
        done = true;
}

static int child_status = -2;
static void on_child(struct bv_loop *loop, pid_t pid, int status, void *ud)
{
        child_status = status;
        done = true;
}

static void on_self_cancel(struct bv_loop *loop, void *ud)
{
        bv_timer_cancel(*(struct bv_timer **)ud); /* harmless */
        done = true;
}

int main(void)
{
        struct bv_loop *loop;
        struct bv_timer *t, *t_self;
        int p1[2], p2[2];

        tap_is_int(bv_loop_new(&loop, NULL), 0, "loop created");

        uint64_t start = bv_now_usec();
        bv_loop_add_timer(loop, 3000, on_timer, (void *)3L, NULL);
        bv_loop_add_timer(loop, 1000, on_timer, (void *)1L, NULL);
        bv_loop_add_timer(loop, 2000, on_timer, (void *)2L, &t);
        bv_loop_add_timer(loop, 2500, on_timer, (void *)4L, NULL);
        bv_timer_cancel(t);
        while (n_order < 3 && bv_now_usec() - start < 1000000)
                bv_loop_run_once(loop, -1);
        tap_ok(n_order == 3 && order[0] == 1 && order[1] == 4 && order[2] == 3, "timers fire in order, cancelled one never");
        tap_ok(bv_now_usec() - start >= 3000, "timers do not fire early");

        done = false;
        bv_loop_add_timer(loop, 100, on_self_cancel, &t_self, &t_self);
        tap_is_int(bv_loop_run_until(loop, &done, 1000000), 0, "timer cancelling itself is harmless");

        tap_ok(pipe2(p1, O_CLOEXEC) == 0 && pipe2(p2, O_CLOEXEC) == 0, "pipes");
        struct bv_watch *w1;
        bv_loop_add_fd(loop, p1[0], EPOLLIN, on_read, NULL, &w1);
        bv_loop_add_fd(loop, p2[0], EPOLLIN, on_read2, &w2, &w2);
        (void)write(p1[1], "a", 1);
        (void)write(p2[1], "b", 1);
        bv_loop_run_once(loop, 100000);
        tap_ok(reads == 1 || reads == 101, "fd watch fired");
        int before = reads;
        (void)write(p2[1], "c", 1);
        (void)write(p1[1], "d", 1);
        bv_loop_run_once(loop, 100000);
        tap_is_int(reads, before + 1, "a removed watch is never called again");
        bv_watch_remove(w1);

        tap_is_int(bv_loop_run_once(loop, 1000), 0, "run_once times out with nothing to do");

        done = false;
        tap_is_int(bv_loop_add_signal(loop, SIGUSR1, on_signal, NULL), 0, "signal added");
        kill(getpid(), SIGUSR1);
        tap_is_int(bv_loop_run_until(loop, &done, 1000000), 0, "signal delivered");
        tap_is_int(got_signal, SIGUSR1, "it was SIGUSR1");
        tap_is_int(bv_loop_add_signal(loop, 0, on_signal, NULL), -EINVAL, "bad signal refused");

        done = false;
        pid_t pid = fork();
        if (pid == 0)
                _exit(7);
        tap_is_int(bv_loop_add_child(loop, pid, on_child, NULL, NULL), 0, "child watched");
        tap_is_int(bv_loop_run_until(loop, &done, 2000000), 0, "child exit seen");
        tap_ok(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 7, "exit status 7 reaped");
        tap_is_int(bv_loop_add_child(loop, pid, on_child, NULL, NULL), -ESRCH, "reaped pid refused");

        done = false;
        tap_is_int(bv_loop_run_until(loop, &done, 20000), -ETIMEDOUT, "run_until times out");

        /* Sources still registered are freed with the loop. */
        bv_loop_add_timer(loop, 1000000, on_timer, NULL, NULL);
        bv_loop_add_fd(loop, p1[0], EPOLLIN, on_read, NULL, NULL);
        tap_ok(bv_loop_free(loop) == NULL, "loop freed with live sources");
        tap_done();
}
