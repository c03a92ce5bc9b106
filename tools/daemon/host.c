/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host probe: facts that take time to learn (does a KVM vCPU really
 * run? which QEMU version is installed?) are gathered by a forked helper
 * process that writes one JSON object to a pipe. The loop watches the pipe
 * and the helper's pidfd, kills the helper after PROBE_TIMEOUT_MS, and
 * answers everyone waiting. The result is cached in memory and in
 * RUN_DIR/host-probe.json for the same boot_id and QEMU path, so a daemon
 * restart costs nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "tools/daemon/daemon.h"
#include "vmm/vmm.h"

#define KVM_PROBE_TIMEOUT_MS 2000
#define QEMU_VERSION_TIMEOUT_MS 5000
#define KVM_QEMU_PROBE_TIMEOUT_MS 5000
#define PROBE_TIMEOUT_MS 10000
#define PROBE_MAX_OUTPUT 8192
#define PROBE_MAX_WAITERS 256

struct waiter {
        void (*done)(struct barevirtd *d, void *userdata);
        void *userdata;
};

struct host_probe {
        json_t *result;
        pid_t pid;
        int fd;
        bool eof, exited;
        int status;
        struct bv_watch *watch;
        struct bv_child *child;
        struct bv_timer *timer;
        char buf[PROBE_MAX_OUTPUT];
        size_t len;
        struct waiter waiters[PROBE_MAX_WAITERS];
        size_t n_waiters;
        char boot_id[64];
        struct bv_timer *later;       /* deferred first probe, see host_probe_start() */
};

/* Runs in the forked helper: gathers the facts, writes JSON to fd, exits. */
static void __attribute__((noreturn)) probe_child(struct barevirtd *d, int fd)
{
        char reason[256], path[4096], version[64];
        bool usable = false;
        struct bv_error err = {};
        json_t *o = json_object();

        int r = vmm_kvm_probe(KVM_PROBE_TIMEOUT_MS, &usable, reason, sizeof(reason));
        if (r < 0)
                snprintf(reason, sizeof(reason), "KVM probe failed: %s", strerror(-r));

        json_t *q = json_object();
        r = vmm_qemu_find(d->qemu_path, path, sizeof(path), &err);
        if (r >= 0) {
                json_object_set_new(q, "path", json_string(path));
                r = vmm_qemu_version(path, QEMU_VERSION_TIMEOUT_MS, version, sizeof(version), &err);
                json_object_set_new(q, "version", r >= 0 ? json_string(version) : json_null());
                struct bv_error qerr = {};
                if (usable && vmm_qemu_probe_accel(path, "kvm", d->run_dir, KVM_QEMU_PROBE_TIMEOUT_MS,
                                                   &usable, reason, sizeof(reason), &qerr) < 0)
                        snprintf(reason, sizeof(reason), "QEMU KVM probe failed: %s", qerr.msg);
        } else {
                json_object_set_new(q, "path", json_null());
                json_object_set_new(q, "version", json_null());
        }
        if (r < 0)
                json_object_set_new(q, "error", json_string(err.msg));
        json_object_set_new(o, "kvm", json_pack("{s:b,s:s}", "usable", usable, "reason", reason));
        json_object_set_new(o, "qemu", q);
        char *s = bv_json_dumps(o);
        if (s)
                bv_fd_write_all(fd, s, strlen(s));
        _exit(s ? 0 : 1);
}

static void cache_path(struct barevirtd *d, char *buf, size_t len)
{
        snprintf(buf, len, "%s/host-probe.json", d->run_dir);
}

static void read_boot_id(struct host_probe *p)
{
        _cleanup_free_ char *id = NULL;
        if (bv_file_read_line("/proc/sys/kernel/random/boot_id", &id, NULL) >= 0)
                snprintf(p->boot_id, sizeof(p->boot_id), "%s", id);
}

static json_t *load_cache(struct barevirtd *d, struct host_probe *p)
{
        char path[4096];
        json_t *v = NULL;

        cache_path(d, path, sizeof(path));
        if (bv_json_load_file(path, PROBE_MAX_OUTPUT, &v, NULL) < 0)
                return NULL;
        const char *boot = json_string_value(json_object_get(v, "boot_id"));
        const char *qemu = json_string_value(json_object_get(v, "qemu_name"));
        if (!boot || !qemu || strcmp(boot, p->boot_id) != 0 || strcmp(qemu, d->qemu_path) != 0) {
                json_decref(v);
                return NULL;
        }
        json_object_del(v, "boot_id");
        json_object_del(v, "qemu_name");
        return v;
}

static void save_cache(struct barevirtd *d, struct host_probe *p)
{
        char path[4096];
        struct bv_error err = {};
        json_auto_t *v = json_deep_copy(p->result);

        if (!v || !p->boot_id[0])
                return;
        json_object_set_new(v, "boot_id", json_string(p->boot_id));
        json_object_set_new(v, "qemu_name", json_string(d->qemu_path));
        cache_path(d, path, sizeof(path));
        if (bv_json_write_file(path, v, &err) < 0)
                bv_warn("Failed to cache the host probe: %s", err.msg);
}

static void finish(struct barevirtd *d, json_t *result)
{
        struct host_probe *p = d->probe;

        p->watch = bv_watch_remove(p->watch);
        p->child = bv_child_remove(p->child);
        p->timer = bv_timer_cancel(p->timer);
        if (p->fd >= 0)
                close(p->fd);
        p->fd = -1;
        p->pid = 0;
        json_decref(p->result);
        p->result = result;
        const json_t *kvm = json_object_get(result, "kvm");
        bv_info("host probe: KVM %s (%s)", json_is_true(json_object_get(kvm, "usable")) ? "usable" : "unusable",
                json_string_value(json_object_get(kvm, "reason")));
        if (!json_object_get(result, "error"))
                save_cache(d, p);
        /* Callbacks may queue new waiters; only answer the ones we have now. */
        size_t n = p->n_waiters;
        struct waiter w[PROBE_MAX_WAITERS];
        memcpy(w, p->waiters, n * sizeof(w[0]));
        p->n_waiters = 0;
        for (size_t i = 0; i < n; i++)
                w[i].done(d, w[i].userdata);
}

static void failed(struct barevirtd *d, const char *why)
{
        bv_warn("host probe failed: %s", why);
        finish(d, json_pack("{s:{s:b,s:s},s:{s:n,s:n,s:s},s:s}", "kvm", "usable", 0, "reason", why,
                            "qemu", "path", "version", "error", why, "error", why));
}

static void maybe_done(struct barevirtd *d)
{
        struct host_probe *p = d->probe;
        json_t *v = NULL;
        struct bv_error err = {};

        if (!p->eof || !p->exited)
                return;
        if (!WIFEXITED(p->status) || WEXITSTATUS(p->status) != 0 ||
            bv_json_load_object(p->buf, p->len, PROBE_MAX_OUTPUT, &v, &err) < 0) {
                failed(d, "the probe helper failed");
                return;
        }
        finish(d, v);
}

static void on_output(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct barevirtd *d = userdata;
        struct host_probe *p = d->probe;

        if (p->len >= sizeof(p->buf)) {
                kill(p->pid, SIGKILL);
                failed(d, "the probe helper wrote too much");
                return;
        }
        ssize_t n = read(fd, p->buf + p->len, sizeof(p->buf) - p->len);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                p->eof = true;
                p->watch = bv_watch_remove(p->watch);
                maybe_done(d);
                return;
        }
        p->len += (size_t)n;
}

static void on_exit_(struct bv_loop *loop, pid_t pid, int status, void *userdata)
{
        struct barevirtd *d = userdata;

        d->probe->child = NULL;
        d->probe->exited = true;
        d->probe->status = status;
        maybe_done(d);
}

static void on_timeout(struct bv_loop *loop, void *userdata)
{
        struct barevirtd *d = userdata;

        d->probe->timer = NULL;
        kill(d->probe->pid, SIGKILL);
        failed(d, "the probe helper did not finish in time");
}

/* The probe's state, made (and the cache read) on first use. NULL on ENOMEM. */
static struct host_probe *probe_get(struct barevirtd *d)
{
        struct host_probe *p = d->probe;

        if (p)
                return p;
        p = d->probe = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        p->fd = -1;
        read_boot_id(p);
        if ((p->result = load_cache(d, p)))
                bv_debug("host probe: using the cached result");
        return p;
}

static void on_later(struct bv_loop *loop, void *userdata)
{
        struct barevirtd *d = userdata;

        d->probe->later = NULL;
        host_probe_start(d, false);
}

int host_probe_start_later(struct barevirtd *d, uint64_t usec)
{
        struct host_probe *p = probe_get(d);

        if (!p)
                return -ENOMEM;
        if (p->result || p->pid > 0 || p->later)
                return 0;
        return bv_loop_add_timer(d->loop, usec, on_later, d, &p->later);
}

int host_probe_start(struct barevirtd *d, bool force)
{
        struct host_probe *p = probe_get(d);
        int fds[2];

        if (!p)
                return -ENOMEM;
        if (!force && p->result)
                return 0;
        p->later = bv_timer_cancel(p->later);
        if (p->pid > 0)
                return 0; /* already running */
        if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(fds[0]);
                close(fds[1]);
                return -e;
        }
        if (pid == 0) {
                close(fds[0]);
                bv_fd_set_nonblock(fds[1], 0);
                probe_child(d, fds[1]);
        }
        close(fds[1]);
        p->pid = pid;
        p->fd = fds[0];
        p->eof = p->exited = false;
        p->len = 0;
        json_decref(p->result);
        p->result = NULL;
        if (bv_loop_add_fd(d->loop, p->fd, EPOLLIN, on_output, d, &p->watch) < 0 ||
            bv_loop_add_child(d->loop, pid, on_exit_, d, &p->child) < 0 ||
            bv_loop_add_timer(d->loop, PROBE_TIMEOUT_MS * 1000ULL, on_timeout, d, &p->timer) < 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                failed(d, "could not watch the probe helper");
                return -ENOMEM;
        }
        return 0;
}

const json_t *host_probe_result(struct barevirtd *d)
{
        return d->probe ? d->probe->result : NULL;
}

int host_probe_wait(struct barevirtd *d, void (*done)(struct barevirtd *d, void *userdata),
                    void *userdata)
{
        struct host_probe *p = probe_get(d);

        if (!p)
                return -ENOMEM;
        if (!p->result && p->pid <= 0) {
                int r = host_probe_start(d, false);
                if (r < 0)
                        return r;
        }
        if (p->result) {
                done(d, userdata);
                return 0;
        }
        if (p->n_waiters >= PROBE_MAX_WAITERS)
                return -EBUSY;
        p->waiters[p->n_waiters++] = (struct waiter){ done, userdata };
        return 0;
}

void host_probe_free(struct barevirtd *d)
{
        struct host_probe *p = d->probe;

        if (!p)
                return;
        if (p->pid > 0) {
                kill(p->pid, SIGKILL);
                waitpid(p->pid, NULL, 0);
        }
        /* Waiters get their answer (without a result) before the probe goes away. */
        json_decref(p->result);
        p->result = NULL;
        for (size_t i = 0; i < p->n_waiters; i++)
                p->waiters[i].done(d, p->waiters[i].userdata);
        bv_watch_remove(p->watch);
        bv_child_remove(p->child);
        bv_timer_cancel(p->timer);
        bv_timer_cancel(p->later);
        if (p->fd >= 0)
                close(p->fd);
        free(p);
        d->probe = NULL;
}
