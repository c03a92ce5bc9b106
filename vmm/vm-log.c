/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VM's serial console log, STATE/vms/NAME/console.log: QEMU's chardev
 * writes it (logfile=, logappend=on, so it holds every boot), barevirt only
 * reads it, with a tail, and follows it, as ctr/ct-log.c does for a
 * container's console.log.
 *
 * A follower holds console.log open at the offset it has sent and an
 * inotify watch on the VM's state directory; what is appended is handed
 * on, and a console.log made meanwhile (the first start) is opened and read
 * from its start. Followers end with the VM's run: when it reaches stopped
 * or crashed, or when the owner frees the VM. Reads keep at most the last
 * LOG_MAX_READ/2 bytes, so a huge log never fills memory.
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
#include "vmm/vmm-internal.h"
#include "vmm/vmm.h"

#define LOG_MAX_READ (16 * 1024 * 1024)

struct vmm_log_follower {
        struct vmm_log_follower *next;
        struct vmm_vm *vm;
        int fd;                  /* console.log being followed, or -1 until it exists */
        int ino;                 /* inotify on the state dir */
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
 * console.log into *ret_buf (NUL-terminated; its last LOG_MAX_READ/2 bytes
 * when longer), from the start of its last tail lines (tail < 0: all).
 * Returns the fd of console.log at its end (for following), or -1.
 */
static int read_log(const struct vmm_vm *vm, long long tail, char **ret_buf, size_t *ret_len)
{
        char path[4096];
        char *buf = NULL;
        size_t len = 0;
        int fd = open(vmm_vm_state_path(vm, "console.log", path, sizeof(path)), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

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

int vmm_vm_log_read(const struct vmm_vm *vm, long long tail, char **ret, size_t *ret_len)
{
        char *buf = NULL;
        size_t len = 0;
        int fd = read_log(vm, tail, &buf, &len);

        if (fd >= 0)
                close(fd);
        if (!buf && !(buf = strdup("")))
                return -ENOMEM;
        *ret = buf;
        *ret_len = len;
        return 0;
}

/* ---- followers ------------------------------------------------------------------------ */

static void follower_free(struct vmm_log_follower *f)
{
        for (struct vmm_log_follower **p = f->vm ? &f->vm->followers : NULL; p && *p; p = &(*p)->next)
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

void vmm_vm_log_unfollow(struct vmm_log_follower *f)
{
        if (f)
                follower_free(f);
}

/* Sends the tail (once), then what f->fd has beyond its offset. Returns < 0 when the reader is gone or too slow. */
static int follower_drain(struct vmm_log_follower *f)
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

void vmm_vm_log_end_followers(struct vmm_vm *vm)
{
        while (vm->followers) {
                struct vmm_log_follower *f = vm->followers;
                void (*on_end)(void *) = f->on_end;
                void *userdata = f->userdata;
                int r = follower_drain(f);

                follower_free(f);
                if (r >= 0)
                        on_end(userdata);
        }
}

static void on_follow_start(struct bv_loop *loop, void *userdata)
{
        struct vmm_log_follower *f = userdata;

        f->timer = NULL;
        if (follower_drain(f) < 0)
                follower_free(f);
}

static void on_follow(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        struct vmm_log_follower *f = userdata;
        char path[4096];

        while (read(fd, buf, sizeof(buf)) > 0)
                ;   /* which event does not matter: drain, and open the file once it exists */
        if (follower_drain(f) < 0) {
                follower_free(f);
                return;
        }
        if (f->fd >= 0)
                return;
        f->fd = open(vmm_vm_state_path(f->vm, "console.log", path, sizeof(path)), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (f->fd >= 0 && follower_drain(f) < 0)
                follower_free(f);
}

static bool vm_is_live(const struct vmm_vm *vm)
{
        return vm->state != VMM_STOPPED && vm->state != VMM_CRASHED;
}

int vmm_vm_log_follow(struct vmm_vm *vm, long long tail, int (*on_data)(const char *data, size_t len, void *userdata),
                      void (*on_end)(void *userdata), void *userdata, struct vmm_log_follower **ret,
                      struct bv_error *err)
{
        char path[4096];

        if (!vm_is_live(vm))
                return bv_error_set(err, EALREADY, "VM '%s' is %s", vm->def->name, vmm_state_name(vm->state));
        struct vmm_log_follower *f = calloc(1, sizeof(*f));
        if (!f)
                return bv_error_set(err, ENOMEM, "Out of memory");
        *f = (struct vmm_log_follower){ .vm = vm, .on_data = on_data, .on_end = on_end, .userdata = userdata };
        f->fd = read_log(vm, tail, &f->pending, &f->pending_len);
        if (!f->pending)
                f->pending = strdup("");
        f->ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        vmm_vm_state_path(vm, NULL, path, sizeof(path));
        if (!f->pending || f->ino < 0 || inotify_add_watch(f->ino, path, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0 ||
            bv_loop_add_fd(vm->host.loop, f->ino, EPOLLIN, on_follow, f, &f->watch) < 0 ||
            bv_loop_add_timer(vm->host.loop, 1, on_follow_start, f, &f->timer) < 0) {
                int e = errno ? errno : ENOMEM;
                f->vm = NULL;
                follower_free(f);
                return bv_error_set_errno(err, e, "Cannot follow the console log of VM '%s'", vm->def->name);
        }
        f->next = vm->followers;
        vm->followers = f;
        *ret = f;
        return 0;
}
