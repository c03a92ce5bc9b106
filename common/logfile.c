/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Log files: appended and rotated at a size (bv_log_writer: a container's
 * console.log, rotated to console.log.1 by its monitor; barevirtd's
 * audit.log), and a log someone else appends to (those, or a VM's
 * console.log written by QEMU) read with a tail and followed. ctr/ct-log.c
 * and vmm/vm-log.c are thin over this.
 *
 * A follower holds the file open at the offset it has sent and an inotify
 * watch on its directory; what is appended is read and handed on, and a
 * new file of that name (a rotation, or the first start) is opened and read
 * from its start. Followers sit on their owner's list and end with it
 * (bv_log_end_followers()). Reads keep at most the last LOG_MAX_READ/2
 * bytes, so a huge log never fills memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"

#define LOG_MAX_READ (16 * 1024 * 1024)

struct bv_log_follower {
        struct bv_log_follower *next, **list;
        char dir[PATH_MAX], name[NAME_MAX + 1];
        int fd;                  /* the file being followed, or -1 until it exists */
        int ino;                 /* inotify on dir */
        struct bv_watch *watch;
        char *pending;           /* the tail, sent from the loop before anything appended */
        size_t pending_len;
        struct bv_timer *timer;
        int (*on_data)(const char *data, size_t len, void *userdata);
        void (*on_end)(void *userdata);
        void *userdata;
};

/* The last n lines of buf (len bytes): the offset where they start. */
static size_t tail_offset(const char *buf, size_t len, long long n)
{
        size_t i = len;

        if (n <= 0)
                return len;
        if (i > 0 && buf[i - 1] == '\n')
                i--;    /* the final newline ends the last line */
        for (; i > 0; i--)
                if (buf[i - 1] == '\n' && --n == 0)
                        return i;
        return 0;
}

/* rotated (if any) then name, in dir, into *ret_buf; returns the fd of name at its end, or -1. */
static int read_log(const char *dir, const char *name, const char *rotated, long long tail, char **ret_buf,
                    size_t *ret_len)
{
        char path[PATH_MAX + NAME_MAX + 2];
        char *buf = NULL;
        size_t len = 0;

        if (rotated) {
                snprintf(path, sizeof(path), "%s/%s", dir, rotated);
                bv_file_read(path, LOG_MAX_READ, &buf, &len, NULL);
        }
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        for (; fd >= 0;) {
                char *nb = realloc(buf, len + 65536 + 1);
                if (!nb)
                        break;
                buf = nb;
                ssize_t n = read(fd, buf + len, 65536);
                if (n <= 0)
                        break;
                len += (size_t)n;
                if (len > LOG_MAX_READ) {
                        memmove(buf, buf + len - LOG_MAX_READ / 2, LOG_MAX_READ / 2);
                        len = LOG_MAX_READ / 2;
                }
        }
        size_t off = tail >= 0 && buf ? tail_offset(buf, len, tail) : 0;
        if (buf && off)
                memmove(buf, buf + off, len - off);
        len -= off;
        if (buf)
                buf[len] = '\0';
        *ret_buf = buf;
        *ret_len = len;
        return fd;
}

int bv_log_read(const char *dir, const char *name, const char *rotated, long long tail, char **ret, size_t *ret_len)
{
        char *buf = NULL;
        size_t len = 0;
        int fd = read_log(dir, name, rotated, tail, &buf, &len);

        if (fd >= 0)
                close(fd);
        if (!buf && !(buf = strdup("")))
                return -ENOMEM;
        *ret = buf;
        *ret_len = len;
        return 0;
}

/* ---- followers ------------------------------------------------------------------------ */

void bv_log_unfollow(struct bv_log_follower *f)
{
        if (!f)
                return;
        for (struct bv_log_follower **p = f->list; p && *p; p = &(*p)->next)
                if (*p == f) {
                        *p = f->next;
                        break;
                }
        bv_watch_remove(f->watch);
        bv_timer_cancel(f->timer);
        free(f->pending);
        if (f->fd >= 0)
                close(f->fd);
        if (f->ino >= 0)
                close(f->ino);
        free(f);
}

/* Sends the tail (once), then what f->fd has beyond its offset. Returns < 0 when the reader is gone or too slow. */
static int follower_drain(struct bv_log_follower *f)
{
        char buf[16384];

        f->timer = bv_timer_cancel(f->timer);
        if (f->pending) {
                int r = f->pending_len ? f->on_data(f->pending, f->pending_len, f->userdata) : 0;
                free(f->pending);
                f->pending = NULL;
                if (r < 0)
                        return r;
        }
        if (f->fd < 0)
                return 0;
        for (;;) {
                ssize_t n = read(f->fd, buf, sizeof(buf));
                if (n <= 0)
                        return 0;
                int r = f->on_data(buf, (size_t)n, f->userdata);
                if (r < 0)
                        return r;
        }
}

void bv_log_end_followers(struct bv_log_follower **list)
{
        while (*list) {
                struct bv_log_follower *f = *list;
                void (*on_end)(void *) = f->on_end;
                void *userdata = f->userdata;
                int r = follower_drain(f);

                bv_log_unfollow(f);
                if (r >= 0)
                        on_end(userdata);
        }
}

/* Whether the inotify events in fd name a new or moved file called name. */
static bool log_replaced(int fd, const char *name)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool replaced = false;
        ssize_t n = read(fd, buf, sizeof(buf));

        for (char *p = buf; n > 0 && p < buf + n;) {
                struct inotify_event *ev = (struct inotify_event *)p;
                if (ev->len && strcmp(ev->name, name) == 0 && (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM)))
                        replaced = true;
                p += sizeof(*ev) + ev->len;
        }
        return replaced;
}

static void on_follow_start(struct bv_loop *loop, void *userdata)
{
        struct bv_log_follower *f = userdata;

        f->timer = NULL;
        if (follower_drain(f) < 0)
                bv_log_unfollow(f);
}

static void on_follow(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct bv_log_follower *f = userdata;
        bool reopen = log_replaced(fd, f->name);
        char path[PATH_MAX + NAME_MAX + 2];

        if (follower_drain(f) < 0) {
                bv_log_unfollow(f);
                return;
        }
        if (!reopen && f->fd >= 0)
                return;
        snprintf(path, sizeof(path), "%s/%s", f->dir, f->name);
        int nfd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (nfd < 0)
                return;
        if (f->fd >= 0)
                close(f->fd);
        f->fd = nfd;
        if (follower_drain(f) < 0)
                bv_log_unfollow(f);
}

int bv_log_follow(struct bv_loop *loop, const struct bv_log_follow_opts *o, struct bv_log_follower **list,
                  struct bv_log_follower **ret, struct bv_error *err)
{
        struct bv_log_follower *f = calloc(1, sizeof(*f));

        if (!f)
                return bv_error_set(err, ENOMEM, "Out of memory");
        *f = (struct bv_log_follower){ .on_data = o->on_data, .on_end = o->on_end, .userdata = o->userdata,
                                       .fd = -1, .ino = -1 };
        if (strlen(o->dir) >= sizeof(f->dir) || strlen(o->name) >= sizeof(f->name)) {
                free(f);
                return bv_error_set(err, ENAMETOOLONG, "Log path too long");
        }
        snprintf(f->dir, sizeof(f->dir), "%s", o->dir);
        snprintf(f->name, sizeof(f->name), "%s", o->name);
        f->fd = read_log(o->dir, o->name, o->rotated, o->tail, &f->pending, &f->pending_len);
        if (!f->pending)
                f->pending = strdup("");
        f->ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (!f->pending || f->ino < 0 ||
            inotify_add_watch(f->ino, o->dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM) < 0 ||
            bv_loop_add_fd(loop, f->ino, EPOLLIN, on_follow, f, &f->watch) < 0 ||
            bv_loop_add_timer(loop, 1, on_follow_start, f, &f->timer) < 0) {
                int e = errno ? errno : ENOMEM;
                bv_log_unfollow(f);
                return bv_error_set_errno(err, e, "Cannot follow the log");
        }
        f->list = list;
        f->next = *list;
        *list = f;
        *ret = f;
        return 0;
}

int bv_log_writer_open(struct bv_log_writer *w, const char *path, const char *old, uint64_t max, struct bv_error *err)
{
        struct stat st;

        w->path = path;
        w->old = old;
        w->max = max;
        w->size = 0;
        w->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (w->fd < 0)
                return bv_error_set_errno(err, errno, "Failed to open '%s'", path);
        if (fstat(w->fd, &st) == 0)
                w->size = (uint64_t)st.st_size;
        return 0;
}

int bv_log_writer_append(struct bv_log_writer *w, const void *buf, size_t len)
{
        if (w->fd < 0)
                return -EBADF;
        if (w->max && w->size >= w->max && rename(w->path, w->old) == 0) {
                /* Rotated: path -> old (replacing the older one), a new path from empty. */
                int fd = open(w->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd >= 0) {
                        close(w->fd);
                        w->fd = fd;
                        w->size = 0;
                }
        }
        int r = bv_fd_write_all(w->fd, buf, len);
        if (r == 0)
                w->size += len;
        return r;
}

void bv_log_writer_close(struct bv_log_writer *w)
{
        if (w->fd >= 0)
                close(w->fd);
        w->fd = -1;
}
