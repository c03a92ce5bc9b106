/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The epoll event loop. fd watches, signals (one signalfd) and children
 * (one pidfd each) are epoll sources; timers are a sorted list whose head
 * bounds the epoll_wait() timeout.
 *
 * Removal is safe from any callback: a removed source is marked dead, taken
 * out of epoll at once, skipped by the rest of the current dispatch, and
 * freed at the end of the iteration.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"

enum source_kind { SRC_FD, SRC_SIGNAL, SRC_CHILD };

struct source {
        enum source_kind kind;
        bool dead;
        struct bv_loop *loop;
        struct source *next_all, *prev_all;   /* every live source */
        struct source *next_dead;
};

struct bv_watch {
        struct source s;
        int fd;
        bv_watch_cb cb;
        void *userdata;
};

struct bv_child {
        struct source s;
        int pidfd;
        pid_t pid;
        bv_child_cb cb;
        void *userdata;
};

struct bv_timer {
        struct bv_loop *loop;
        uint64_t when;
        bv_timer_cb cb;
        void *userdata;
        bool cancelled;
        struct bv_timer *next;
};

struct signal_slot {
        bv_signal_cb cb;
        void *userdata;
};

struct bv_loop {
        int epfd;
        struct source *all;
        struct source *dead;
        struct bv_timer *timers;        /* sorted by when */
        struct bv_timer *firing;
        int sigfd;
        struct source sigsrc;
        sigset_t sigmask;
        sigset_t saved_mask;
        struct signal_slot signals[_NSIG];
        bool quit;
        int quit_code;
};

uint64_t bv_now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

void bv_now_iso(char *buf, size_t len)
{
        struct timespec ts;
        struct tm tm;

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

int bv_loop_new(struct bv_loop **ret, struct bv_error *err)
{
        struct bv_loop *loop = calloc(1, sizeof(*loop));

        if (!loop)
                return bv_error_set(err, ENOMEM, "Out of memory");
        loop->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (loop->epfd < 0) {
                int e = errno;
                free(loop);
                return bv_error_set_errno(err, e, "epoll_create1 failed");
        }
        loop->sigfd = -1;
        loop->sigsrc.kind = SRC_SIGNAL;
        loop->sigsrc.loop = loop;
        sigemptyset(&loop->sigmask);
        *ret = loop;
        return 0;
}

static void link_source(struct bv_loop *loop, struct source *s)
{
        s->loop = loop;
        s->next_all = loop->all;
        if (loop->all)
                loop->all->prev_all = s;
        loop->all = s;
}

/* Registers fd with epoll for s and makes s a live source. Returns 0 or -errno. */
static int add_source(struct bv_loop *loop, struct source *s, int fd, uint32_t events)
{
        struct epoll_event ev = { .events = events, .data.ptr = s };

        if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
                return -errno;
        link_source(loop, s);
        return 0;
}

static void unlink_source(struct source *s)
{
        struct bv_loop *loop = s->loop;

        if (s->prev_all)
                s->prev_all->next_all = s->next_all;
        else
                loop->all = s->next_all;
        if (s->next_all)
                s->next_all->prev_all = s->prev_all;
        s->next_all = s->prev_all = NULL;
}

static void kill_source(struct source *s, int fd)
{
        if (s->dead)
                return;
        s->dead = true;
        if (fd >= 0)
                epoll_ctl(s->loop->epfd, EPOLL_CTL_DEL, fd, NULL);
        unlink_source(s);
        s->next_dead = s->loop->dead;
        s->loop->dead = s;
}

static void free_source(struct source *s)
{
        if (s->kind == SRC_CHILD) {
                struct bv_child *c = (struct bv_child *)s;
                if (c->pidfd >= 0)
                        close(c->pidfd);
        }
        free(s);
}

static void collect_dead(struct bv_loop *loop)
{
        while (loop->dead) {
                struct source *s = loop->dead;
                loop->dead = s->next_dead;
                free_source(s);
        }
}

struct bv_loop *bv_loop_free(struct bv_loop *loop)
{
        if (!loop)
                return NULL;
        while (loop->all) {
                struct source *s = loop->all;
                int fd = s->kind == SRC_FD ? ((struct bv_watch *)s)->fd : ((struct bv_child *)s)->pidfd;
                kill_source(s, fd);
        }
        collect_dead(loop);
        while (loop->timers) {
                struct bv_timer *t = loop->timers;
                loop->timers = t->next;
                free(t);
        }
        if (loop->sigfd >= 0) {
                close(loop->sigfd);
                sigprocmask(SIG_SETMASK, &loop->saved_mask, NULL);
        }
        close(loop->epfd);
        free(loop);
        return NULL;
}

int bv_loop_add_fd(struct bv_loop *loop, int fd, uint32_t events, bv_watch_cb cb, void *userdata,
                   struct bv_watch **ret)
{
        struct bv_watch *w = calloc(1, sizeof(*w));

        if (!w)
                return -ENOMEM;
        w->s.kind = SRC_FD;
        w->fd = fd;
        w->cb = cb;
        w->userdata = userdata;
        int r = add_source(loop, &w->s, fd, events);
        if (r < 0) {
                free(w);
                return r;
        }
        if (ret)
                *ret = w;
        return 0;
}

int bv_watch_set_events(struct bv_watch *w, uint32_t events)
{
        struct epoll_event ev = { .events = events, .data.ptr = &w->s };

        if (w->s.dead)
                return -ESTALE;
        if (epoll_ctl(w->s.loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
                return -errno;
        return 0;
}

struct bv_watch *bv_watch_remove(struct bv_watch *w)
{
        if (w)
                kill_source(&w->s, w->fd);
        return NULL;
}

int bv_loop_add_timer(struct bv_loop *loop, uint64_t usec, bv_timer_cb cb, void *userdata,
                      struct bv_timer **ret)
{
        struct bv_timer *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        t->loop = loop;
        t->when = bv_now_usec() + usec;
        t->cb = cb;
        t->userdata = userdata;
        struct bv_timer **p = &loop->timers;
        while (*p && (*p)->when <= t->when)
                p = &(*p)->next;
        t->next = *p;
        *p = t;
        if (ret)
                *ret = t;
        return 0;
}

struct bv_timer *bv_timer_cancel(struct bv_timer *t)
{
        if (!t)
                return NULL;
        if (t == t->loop->firing) {
                t->cancelled = true;
                return NULL;
        }
        for (struct bv_timer **p = &t->loop->timers; *p; p = &(*p)->next)
                if (*p == t) {
                        *p = t->next;
                        free(t);
                        break;
                }
        return NULL;
}

int bv_loop_add_signal(struct bv_loop *loop, int signo, bv_signal_cb cb, void *userdata)
{
        sigset_t mask;

        if (signo <= 0 || signo >= _NSIG)
                return -EINVAL;
        mask = loop->sigmask;
        sigaddset(&mask, signo);
        int fd = signalfd(loop->sigfd, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (loop->sigfd < 0) {
                struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &loop->sigsrc };
                if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        int e = errno;
                        close(fd);
                        return -e;
                }
                loop->sigfd = fd;
                sigprocmask(SIG_BLOCK, &mask, &loop->saved_mask);
        } else
                sigprocmask(SIG_BLOCK, &mask, NULL);
        loop->sigmask = mask;
        loop->signals[signo].cb = cb;
        loop->signals[signo].userdata = userdata;
        return 0;
}

int bv_loop_add_child(struct bv_loop *loop, pid_t pid, bv_child_cb cb, void *userdata,
                      struct bv_child **ret)
{
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

        if (pidfd < 0)
                return -errno;
        /* pidfd_open() fds are close-on-exec by definition (O_CLOEXEC is implied). */
        struct bv_child *c = calloc(1, sizeof(*c));
        if (!c) {
                close(pidfd);
                return -ENOMEM;
        }
        c->s.kind = SRC_CHILD;
        c->pidfd = pidfd;
        c->pid = pid;
        c->cb = cb;
        c->userdata = userdata;
        int r = add_source(loop, &c->s, pidfd, EPOLLIN);
        if (r < 0) {
                close(pidfd);
                free(c);
                return r;
        }
        if (ret)
                *ret = c;
        return 0;
}

struct bv_child *bv_child_remove(struct bv_child *c)
{
        if (c)
                kill_source(&c->s, c->pidfd);
        return NULL;
}

static void dispatch_signals(struct bv_loop *loop)
{
        struct signalfd_siginfo si;

        while (read(loop->sigfd, &si, sizeof(si)) == sizeof(si)) {
                struct signal_slot *slot = &loop->signals[si.ssi_signo % _NSIG];
                if (slot->cb)
                        slot->cb(loop, (int)si.ssi_signo, slot->userdata);
        }
}

static void dispatch_child(struct bv_child *c)
{
        int status = 0;
        pid_t r;

        do
                r = waitpid(c->pid, &status, WNOHANG);
        while (r < 0 && errno == EINTR);
        if (r == 0)
                return; /* spurious: not exited yet */
        bv_child_cb cb = c->cb;
        void *ud = c->userdata;
        pid_t pid = c->pid;
        struct bv_loop *loop = c->s.loop;
        kill_source(&c->s, c->pidfd);
        /* r < 0 (ECHILD): someone else reaped it; report an unknown status. */
        cb(loop, pid, r < 0 ? -1 : status, ud);
}

static int run_timers(struct bv_loop *loop)
{
        int n = 0;
        uint64_t now = bv_now_usec();

        while (loop->timers && loop->timers->when <= now) {
                struct bv_timer *t = loop->timers;
                loop->timers = t->next;
                loop->firing = t;
                t->cb(loop, t->userdata);
                loop->firing = NULL;
                free(t);
                n++;
        }
        return n;
}

int bv_loop_run_once(struct bv_loop *loop, int64_t timeout_usec)
{
        struct epoll_event evs[64];
        int timeout_ms = -1;

        if (loop->timers) {
                uint64_t now = bv_now_usec();
                uint64_t until = loop->timers->when > now ? loop->timers->when - now : 0;
                if (timeout_usec < 0 || (uint64_t)timeout_usec > until)
                        timeout_usec = (int64_t)until;
        }
        if (timeout_usec >= 0)
                timeout_ms = (int)((timeout_usec + 999) / 1000);

        int n = epoll_wait(loop->epfd, evs, (int)BV_ELEMENTSOF(evs), timeout_ms);
        if (n < 0) {
                if (errno == EINTR)
                        return 0;
                return -errno;
        }
        for (int i = 0; i < n; i++) {
                struct source *s = evs[i].data.ptr;
                if (s->dead)
                        continue;
                switch (s->kind) {
                case SRC_FD: {
                        struct bv_watch *w = (struct bv_watch *)s;
                        w->cb(loop, w->fd, evs[i].events, w->userdata);
                        break;
                }
                case SRC_SIGNAL:
                        dispatch_signals(loop);
                        break;
                case SRC_CHILD:
                        dispatch_child((struct bv_child *)s);
                        break;
                }
        }
        n += run_timers(loop);
        collect_dead(loop);
        return n;
}

int bv_loop_run(struct bv_loop *loop)
{
        loop->quit = false;
        while (!loop->quit) {
                int r = bv_loop_run_once(loop, -1);
                if (r < 0)
                        return r;
        }
        return loop->quit_code;
}

void bv_loop_quit(struct bv_loop *loop, int code)
{
        loop->quit = true;
        loop->quit_code = code;
}

bool bv_loop_quitting(const struct bv_loop *loop)
{
        return loop->quit;
}

int bv_loop_run_until(struct bv_loop *loop, const bool *done, uint64_t timeout_usec)
{
        uint64_t deadline = bv_now_usec() + timeout_usec;

        while (!*done) {
                uint64_t now = bv_now_usec();
                if (now >= deadline)
                        return -ETIMEDOUT;
                int r = bv_loop_run_once(loop, (int64_t)(deadline - now));
                if (r < 0)
                        return r;
        }
        return 0;
}
