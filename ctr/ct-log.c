/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A container's console log, RUN/containers/NAME/console.log (written by
 * its monitor, rotated to console.log.1): read with a tail, and followed.
 *
 * A follower holds console.log open at the offset it has sent and an
 * inotify watch on the run directory; what is appended is read and handed
 * on, and a new console.log (after a rotation) is opened and read from its
 * start. Followers end with their container: when it reaches an ended
 * state, or when the owner forgets it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

#define LOG_MAX_READ (16 * 1024 * 1024)

struct ctr_ct_follower {
        struct ctr_ct_follower *next;
        struct ctr_ct *ct;
        int fd;                  /* console.log being followed, or -1 until it exists */
        int ino;                 /* inotify on the run dir */
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

/*
 * console.log.1 (rotated) then console.log into *ret_buf (the last
 * LOG_MAX_READ/2 bytes when longer), from the start of its last tail
 * lines. Returns the fd of console.log, at its end (for following), or -1.
 */
static int read_log(const struct ctr_ct *ct, long long tail, char **ret_buf, size_t *ret_len)
{
        char path[PATH_MAX];
        char *buf = NULL;
        size_t len = 0;

        ctr_ct_run_path(ct, "console.log.1", path, sizeof(path));
        bv_file_read(path, LOG_MAX_READ, &buf, &len, NULL);
        ctr_ct_run_path(ct, "console.log", path, sizeof(path));
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

int ctr_ct_log_read(const struct ctr_ct *ct, long long tail, char **ret, size_t *ret_len)
{
        char *buf = NULL;
        size_t len = 0;
        int fd = read_log(ct, tail, &buf, &len);

        if (fd >= 0)
                close(fd);
        if (!buf && !(buf = strdup("")))
                return -ENOMEM;
        *ret = buf;
        *ret_len = len;
        return 0;
}

/* ---- followers ------------------------------------------------------------------------ */

static void follower_free(struct ctr_ct_follower *f)
{
        for (struct ctr_ct_follower **p = f->ct ? &f->ct->followers : NULL; p && *p; p = &(*p)->next)
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

void ctr_ct_log_unfollow(struct ctr_ct_follower *f)
{
        if (f)
                follower_free(f);
}

/* Sends the tail (once), then what f->fd has beyond its offset. Returns < 0 when the reader is gone or too slow. */
static int follower_drain(struct ctr_ct_follower *f)
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

/* Ends f: what is left is sent, then on_end (unless the reader is gone). */
static void follower_end(struct ctr_ct_follower *f)
{
        void (*on_end)(void *) = f->on_end;
        void *userdata = f->userdata;
        int r = follower_drain(f);

        follower_free(f);
        if (r >= 0)
                on_end(userdata);
}

void ctr_ct_log_end_followers(struct ctr_ct *ct)
{
        while (ct->followers)
                follower_end(ct->followers);
}

/* Whether the inotify events in fd name a new or moved console.log. */
static bool log_rotated(int fd)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool rotated = false;
        ssize_t n = read(fd, buf, sizeof(buf));

        for (char *p = buf; n > 0 && p < buf + n;) {
                struct inotify_event *ev = (struct inotify_event *)p;
                if (ev->len && strcmp(ev->name, "console.log") == 0 && (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM)))
                        rotated = true;
                p += sizeof(*ev) + ev->len;
        }
        return rotated;
}

static void on_follow_start(struct bv_loop *loop, void *userdata)
{
        struct ctr_ct_follower *f = userdata;

        f->timer = NULL;
        if (follower_drain(f) < 0)
                follower_free(f);
}

static void on_follow(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct ctr_ct_follower *f = userdata;
        bool reopen = log_rotated(fd);
        char path[PATH_MAX];

        if (follower_drain(f) < 0) {
                follower_free(f);
                return;
        }
        if (!reopen && f->fd >= 0)
                return;
        ctr_ct_run_path(f->ct, "console.log", path, sizeof(path));
        int nfd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (nfd < 0)
                return;
        if (f->fd >= 0)
                close(f->fd);
        f->fd = nfd;
        if (follower_drain(f) < 0)
                follower_free(f);
}

int ctr_ct_log_follow(struct ctr_ct *ct, long long tail, int (*on_data)(const char *data, size_t len, void *userdata),
                      void (*on_end)(void *userdata), void *userdata, struct ctr_ct_follower **ret,
                      struct bv_error *err)
{
        struct bv_loop *loop = ct->h->o.loop;
        char path[PATH_MAX];

        if (!ctr_ct_is_live(ct))
                return bv_error_set(err, EALREADY, "Container '%s' is %s", ct->def->name, ctr_ct_state_name(ct->state));
        struct ctr_ct_follower *f = calloc(1, sizeof(*f));
        if (!f)
                return bv_error_set(err, ENOMEM, "Out of memory");
        *f = (struct ctr_ct_follower){ .ct = ct, .on_data = on_data, .on_end = on_end, .userdata = userdata };
        f->fd = read_log(ct, tail, &f->pending, &f->pending_len);
        if (!f->pending)
                f->pending = strdup("");
        f->ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        ctr_ct_run_path(ct, NULL, path, sizeof(path));
        if (!f->pending || f->ino < 0 ||
            inotify_add_watch(f->ino, path, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM) < 0 ||
            bv_loop_add_fd(loop, f->ino, EPOLLIN, on_follow, f, &f->watch) < 0 ||
            bv_loop_add_timer(loop, 1, on_follow_start, f, &f->timer) < 0) {
                int e = errno ? errno : ENOMEM;
                f->ct = NULL;
                follower_free(f);
                return bv_error_set_errno(err, e, "Cannot follow the log");
        }
        f->next = ct->followers;
        ct->followers = f;
        *ret = f;
        return 0;
}
