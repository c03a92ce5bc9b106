/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A single-threaded epoll event loop: fd watches, one-shot timers, signals
 * (signalfd) and child exits (pidfd). barevirtd runs everything on one of
 * these; nothing that runs on it may block.
 *
 * Invariants: callbacks run on the thread that called bv_loop_run(); a
 * watch, timer or child source may be removed from any callback, including
 * its own, and is never called again after removal. Sources are freed by
 * their remove function (or by bv_loop_free()).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct bv_loop;
struct bv_watch;
struct bv_timer;
struct bv_child;

/* Monotonic time in microseconds. */
uint64_t bv_now_usec(void);

/* A new loop (an epoll fd, close-on-exec). Returns 0, -ENOMEM or the -errno of epoll_create1(). */
int bv_loop_new(struct bv_loop **ret, struct bv_error *err);
/* Frees the loop and every source still registered. NULL accepted; returns NULL. */
struct bv_loop *bv_loop_free(struct bv_loop *loop);

/*
 * Watches fd for events (EPOLLIN, EPOLLOUT, ...; level-triggered). cb gets the
 * events that fired (EPOLLERR/EPOLLHUP included). The loop does not own fd.
 */
typedef void (*bv_watch_cb)(struct bv_loop *loop, int fd, uint32_t events, void *userdata);
int bv_loop_add_fd(struct bv_loop *loop, int fd, uint32_t events, bv_watch_cb cb,
                   void *userdata, struct bv_watch **ret);
/* Changes the events w waits for. Returns 0, -ESTALE (w was removed) or -errno of epoll_ctl(). */
int bv_watch_set_events(struct bv_watch *w, uint32_t events);
/* Removes the watch (NULL accepted). Returns NULL. */
struct bv_watch *bv_watch_remove(struct bv_watch *w);

/*
 * Calls cb once, usec microseconds from now. The timer is freed after cb
 * returns; do not touch it from inside cb except to ignore it.
 */
typedef void (*bv_timer_cb)(struct bv_loop *loop, void *userdata);
int bv_loop_add_timer(struct bv_loop *loop, uint64_t usec, bv_timer_cb cb, void *userdata,
                      struct bv_timer **ret);
/* Cancels a pending timer (NULL accepted). Returns NULL. */
struct bv_timer *bv_timer_cancel(struct bv_timer *t);

/*
 * Delivers signo through a signalfd. The signal is blocked in the calling
 * thread for as long as the loop lives. One callback per signal number.
 */
typedef void (*bv_signal_cb)(struct bv_loop *loop, int signo, void *userdata);
int bv_loop_add_signal(struct bv_loop *loop, int signo, bv_signal_cb cb, void *userdata);

/*
 * Calls cb once when child pid exits, through a pidfd, with the wait status
 * (as from waitpid) after reaping it, or -1 when someone else reaped it
 * first. Returns 0, -ESRCH when pid is gone, -ENOMEM or -errno.
 */
typedef void (*bv_child_cb)(struct bv_loop *loop, pid_t pid, int status, void *userdata);
int bv_loop_add_child(struct bv_loop *loop, pid_t pid, bv_child_cb cb, void *userdata,
                      struct bv_child **ret);
/* Stops watching (the child is not killed nor reaped). NULL accepted; returns NULL. */
struct bv_child *bv_child_remove(struct bv_child *c);

/*
 * Runs one iteration: waits up to timeout_usec (-1: until the next event or
 * timer) and dispatches what is ready. Returns the number of dispatched
 * sources or -errno.
 */
int bv_loop_run_once(struct bv_loop *loop, int64_t timeout_usec);

/* Runs until bv_loop_quit(). Returns the code given to bv_loop_quit() or -errno. */
int bv_loop_run(struct bv_loop *loop);
/* Makes bv_loop_run() return code after the current iteration; and whether that was asked. */
void bv_loop_quit(struct bv_loop *loop, int code);
bool bv_loop_quitting(const struct bv_loop *loop);

/*
 * Runs the loop until *done becomes true or timeout_usec passes. For blocking
 * wrappers (CLI, tests). Returns 0, -ETIMEDOUT, or -errno.
 */
int bv_loop_run_until(struct bv_loop *loop, const bool *done, uint64_t timeout_usec);
