/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Creating a container: the runtime (parent) and the container's init
 * (child, made by clone3() with the new namespaces, straight into the
 * container's cgroup) talk over a SOCK_SEQPACKET socketpair in fixed-size
 * messages:
 *
 *   parent -> child  'M'  id maps written, cgroup joined (carries the host pid)
 *
 * Without a user namespace the child joins its v1 hierarchies itself,
 * right after 'M', by writing 0 to each one's "tasks": the kernel moves the
 * calling thread without taking the global threadgroup lock, whose write
 * side waits for an RCU grace period (7-12 ms on this 2-core host, the
 * largest cost of `run`; issue 21). The child is single-threaded, so its
 * thread is its process.
 *   child  -> parent 'H'  mounts done: run prestart/createRuntime hooks
 *   parent -> child  'h'  hooks done
 *   child  -> parent 'R'  set up; now waiting for start (exec.fifo or 'S')
 *   parent -> child  'S'  start now (`run`)
 *   child  -> parent 'E'  a step failed: errno and message; the child exits
 *
 * The socket is close-on-exec, so EOF after 'S' means the user process has
 * been exec'ed. Every wait is bounded. On any failure the parent kills the
 * child, removes the cgroup and the state directory: the mounts lived only
 * in the child's mount namespace and go with it.
 *
 * The child never returns: it _exit()s after reporting, and it never runs
 * the parent's cleanup scopes.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

#define SYNC_TIMEOUT_MS 60000

struct sync_msg {
        char type;
        int32_t value;
        char msg[BV_ERROR_MSG_MAX];
};

static int sync_send(int fd, char type, int32_t value, const char *msg)
{
        struct sync_msg m = { .type = type, .value = value };
        if (msg)
                snprintf(m.msg, sizeof(m.msg), "%s", msg);
        return send(fd, &m, sizeof(m), MSG_NOSIGNAL) == (ssize_t)sizeof(m) ? 0 : -errno;
}

/* Receives one message; 0 on EOF, 1 on a message, -ETIMEDOUT, -errno. */
static int sync_recv(int fd, struct sync_msg *m, int timeout_ms)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r;
        do
                r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return -errno;
        if (r == 0)
                return -ETIMEDOUT;
        ssize_t n = recv(fd, m, sizeof(*m), 0);
        if (n < 0)
                return -errno;
        if (n == 0)
                return 0;
        if (n != (ssize_t)sizeof(*m))
                return -EBADMSG;
        m->msg[sizeof(m->msg) - 1] = 0;
        return 1;
}

struct child_args {
        const struct ctr_config *cfg;
        const struct ctr_create_opts *opts;
        const char *rootfs;
        int sync;
        int fifo;
        int console;
        int ns_fds[CTR_NS_MAX];      /* namespaces to join (-1: none) */
        const struct ctr_bpf *filter;
        bool cgroup_by_clone;
        bool cgroupns_late;           /* made after the v1 joins ('M'), so it is rooted at the container's cgroups */
        const struct ctr_cgroup_plan *cgroup_v1;   /* its v1 directories, NULL without */
        bool cgroup_v1_self;          /* the child joins them itself (no user namespace) */
};

static __attribute__((noreturn)) void child_fail(int sync, int r, const struct bv_error *err)
{
        sync_send(sync, 'E', -r, bv_error_message(err, r));
        _exit(1);
}

/* Waits for start: 'S' on the sync socket (run) or a byte through exec.fifo (start). */
static int child_wait_start(int sync, int fifo, struct bv_error *err)
{
        struct pollfd p[2] = { { .fd = fifo, .events = POLLIN }, { .fd = sync, .events = POLLIN } };
        bool sync_open = true;

        for (;;) {
                int r = poll(p, sync_open ? 2 : 1, -1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return bv_error_set_errno(err, errno, "Failed to wait for start");
                if (p[0].revents) {
                        char c;
                        if (read(fifo, &c, 1) == 1)
                                return 0;
                        return bv_error_set(err, EPIPE, "exec.fifo closed without start");
                }
                if (sync_open && p[1].revents) {
                        struct sync_msg m;
                        r = sync_recv(sync, &m, 0);
                        if (r == 1 && m.type == 'S')
                                return 0;
                        if (r <= 0)
                                sync_open = false; /* the runtime exited after create */
                }
        }
}

static int set_pdeathsig(int sig)
{
        return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) < 0 ? -errno : 0;
}

/* Runs the hooks of kind (none: nothing) with the state (status, pid) on their stdin. */
static int hooks_run_state(const struct ctr_config *cfg, const struct ctr_create_opts *o, enum ctr_hook_kind kind,
                           enum ctr_status status, pid_t pid, struct bv_error *err)
{
        if (!cfg->n_hooks[kind])
                return 0;
        _cleanup_free_ char *state = ctr_state_json_text(o->id, status, pid, o->bundle, cfg->annotations);
        if (!state)
                return -ENOMEM;
        return ctr_hooks_run(cfg, kind, state, err);
}

/* Moves *fd, when it is one of 0-2, to the lowest free fd above them (close-on-exec). */
static int child_fd_off_stdio(int *fd)
{
        if (*fd < 0 || *fd > 2)
                return 0;
        int n = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
        if (n < 0)
                return -errno;
        *fd = n;
        return 0;
}

/*
 * opts->stdio_fds onto the init's 0, 1 and 2 (has_stdio). Our own fds that
 * sit on 0-2 (when the caller runs with those closed) move away first; then
 * every source is copied above 2 before the dup2()s, so that a source among
 * 0-2 ({ 1, 0, 2 }, or one fd for all three) is not overwritten on the way,
 * and so that dup2() always clears FD_CLOEXEC on the target (it would not
 * for a source that already stands on its own number).
 */
static int child_stdio(struct child_args *a, struct bv_error *err)
{
        int tmp[3] = { -1, -1, -1 }, r = 0;

        if (!a->opts->has_stdio)
                return 0;
        if ((r = child_fd_off_stdio(&a->sync)) < 0 || (r = child_fd_off_stdio(&a->fifo)) < 0 ||
            (r = child_fd_off_stdio(&a->console)) < 0)
                return bv_error_set_errno(err, -r, "Failed to set up stdio");
        for (int t = 0; t < CTR_NS_MAX; t++)
                if ((r = child_fd_off_stdio(&a->ns_fds[t])) < 0)
                        return bv_error_set_errno(err, -r, "Failed to set up stdio");
        for (int fd = 0; fd < 3 && r == 0; fd++)
                if ((tmp[fd] = fcntl(a->opts->stdio_fds[fd], F_DUPFD_CLOEXEC, 3)) < 0)
                        r = -errno;
        for (int fd = 0; fd < 3 && r == 0; fd++)
                if (dup2(tmp[fd], fd) < 0)
                        r = -errno;
        for (int fd = 0; fd < 3; fd++)
                if (tmp[fd] >= 0)
                        close(tmp[fd]);
        return r < 0 ? bv_error_set_errno(err, -r, "Failed to set up stdio") : 0;
}

/*
 * Becomes root of a new user namespace, joins the namespaces given by path,
 * makes the cgroup namespace when clone() could not, sets host and domain
 * name. A failed setresuid() leaves err empty (its errno says it all).
 */
static int child_join(const struct child_args *a, struct bv_error *err)
{
        static const enum ctr_ns_type order[] = { CTR_NS_USER, CTR_NS_MOUNT, CTR_NS_NET, CTR_NS_IPC,
                                                  CTR_NS_UTS, CTR_NS_CGROUP };
        const struct ctr_config *cfg = a->cfg;

        if (cfg->ns[CTR_NS_USER].enabled && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
                return -errno;
        for (size_t i = 0; i < BV_ELEMENTSOF(order); i++) {
                int fd = a->ns_fds[order[i]];
                if (fd >= 0 && setns(fd, ctr_ns_flag(order[i])) < 0)
                        return bv_error_set_errno(err, errno, "Failed to join the %s namespace '%s'",
                                                  ctr_ns_name(order[i]), cfg->ns[order[i]].path);
        }
        if (cfg->ns[CTR_NS_CGROUP].enabled && !cfg->ns[CTR_NS_CGROUP].path &&
            (!a->cgroup_by_clone || a->cgroupns_late) && unshare(CLONE_NEWCGROUP) < 0)
                return bv_error_set_errno(err, errno, "Failed to create the cgroup namespace");
        if (cfg->hostname && *cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
                return bv_error_set_errno(err, errno, "Failed to set the hostname");
        if (cfg->domainname && *cfg->domainname && setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
                return bv_error_set_errno(err, errno, "Failed to set the domainname");
        return 0;
}

/* The pty (process.terminal) becomes the controlling terminal and stdio. */
static int child_pty_stdio(struct ctr_child *c, struct bv_error *err)
{
        if (c->pty_slave < 0)
                return 0;
        if (setsid() < 0 || ioctl(c->pty_slave, TIOCSCTTY, 0) < 0)
                return bv_error_set_errno(err, errno, "Failed to make the pty the controlling terminal");
        for (int fd = 0; fd < 3; fd++)
                if (dup2(c->pty_slave, fd) < 0)
                        return bv_error_set_errno(err, errno, "Failed to set up stdio");
        close(c->pty_slave);
        return 0;
}

/*
 * Mounts, the prestart/createRuntime round trip with the runtime (a failed
 * one ends us without a word: the runtime is gone or has given up),
 * console, createContainer hooks, pivot_root, the pty, the process's
 * credentials; and the path of the program into exe.
 */
static int child_prepare(const struct child_args *a, pid_t host_pid, char *exe, size_t exe_len,
                         struct bv_error *err)
{
        const struct ctr_config *cfg = a->cfg;
        struct ctr_child c = { .config = cfg, .process = cfg->process, .rootfs = a->rootfs,
                               .bundle = a->opts->bundle, .rootfd = -1,
                               .userns = cfg->ns[CTR_NS_USER].enabled, .no_pivot = a->opts->no_pivot,
                               .console_sock = a->console, .pty_slave = -1, .cgroup_v1 = a->cgroup_v1 };
        struct sync_msg m;
        int r;

        if ((r = ctr_rootfs_prepare(&c, err)) < 0)
                return r;
        if (cfg->n_hooks[CTR_HOOK_PRESTART] || cfg->n_hooks[CTR_HOOK_CREATE_RUNTIME]) {
                if (sync_send(a->sync, 'H', 0, NULL) < 0 || sync_recv(a->sync, &m, SYNC_TIMEOUT_MS * 2) != 1 ||
                    m.type != 'h')
                        _exit(1);
        }
        if ((r = ctr_console_setup(&c, err)) < 0 ||
            (r = hooks_run_state(cfg, a->opts, CTR_HOOK_CREATE_CONTAINER, CTR_STATUS_CREATING, host_pid, err)) < 0 ||
            (r = ctr_rootfs_enter(&c, err)) < 0 || (r = child_pty_stdio(&c, err)) < 0 ||
            (r = ctr_process_finalize(cfg, c.process, a->filter, err)) < 0)
                return r;
        return ctr_process_find_exec(c.process, exe, exe_len, err);
}

/* No fd of ours reaches the container: all but stdio and the preserved ones close on exec. */
static void child_close_on_exec(unsigned preserve_fds)
{
        unsigned first = 3 + preserve_fds;

        for (unsigned fd = 3; fd < first; fd++)
                bv_fd_set_cloexec((int)fd, 0);
        if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                for (int fd = (int)first; fd < 65536; fd++)
                        fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Reports ready, waits for start, runs startContainer hooks, seccomp (with NNP), and execs. */
static __attribute__((noreturn)) void child_exec(const struct child_args *a, pid_t host_pid, const char *exe)
{
        const struct ctr_config *cfg = a->cfg;
        const struct ctr_process *p = cfg->process;
        struct bv_error err = { 0 };
        int r;

        /*
         * From here the runtime may end (after create): it must not take us
         * along, unless the creator is the container's monitor, with which
         * it lives and dies. Set after the credentials changed (that clears
         * it) and kept through execve.
         */
        set_pdeathsig(a->opts->die_with_parent ? SIGKILL : 0);
        if (sync_send(a->sync, 'R', 0, NULL) < 0)
                _exit(1);
        if ((r = child_wait_start(a->sync, a->fifo, &err)) < 0 ||
            (r = hooks_run_state(cfg, a->opts, CTR_HOOK_START_CONTAINER, CTR_STATUS_RUNNING, host_pid, &err)) < 0)
                child_fail(a->sync, r, &err);
        child_close_on_exec(a->opts->preserve_fds);
        ctr_signals_reset();
        /* With noNewPrivileges the filter comes last: nothing but execve runs under it (as in runc). */
        if (p->no_new_privileges && (r = ctr_seccomp_apply(cfg->seccomp, a->filter, &err)) < 0)
                child_fail(a->sync, r, &err);
        execve(exe, (char *const *)p->args, (char *const *)p->env);
        r = -errno;
        bv_error_set_errno(&err, -r, "exec: \"%s\"", p->args[0]);
        child_fail(a->sync, r, &err);
}

static __attribute__((noreturn)) void child_main(struct child_args *a)
{
        struct bv_error err = { 0 };
        struct sync_msg m;
        char exe[4096];
        int r;

        set_pdeathsig(SIGKILL);
        r = sync_recv(a->sync, &m, SYNC_TIMEOUT_MS);
        if (r != 1 || m.type != 'M')
                _exit(1);
        pid_t host_pid = m.value;
        if (a->cgroup_v1_self && (r = ctr_cgv1_join(&a->cgroup_v1->info, a->cgroup_v1->rel, 0, &err)) < 0)
                child_fail(a->sync, r, &err);
        if ((r = child_stdio(a, &err)) < 0 || (r = child_join(a, &err)) < 0 ||
            (r = child_prepare(a, host_pid, exe, sizeof(exe), &err)) < 0)
                child_fail(a->sync, r, &err);
        child_exec(a, host_pid, exe);
}

static int write_idmap(pid_t pid, const char *file, const struct ctr_idmap *maps, size_t n,
                       struct bv_error *err)
{
        char path[64], buf[340 * 36];
        size_t o = 0;

        for (size_t i = 0; i < n; i++)
                o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%u %u %u\n", maps[i].container_id,
                                      maps[i].host_id, maps[i].size);
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, buf, o) != (ssize_t)o)
                return bv_error_set_errno(err, errno, "Failed to write %s", file);
        return 0;
}

/* clone3() with the namespaces and the cgroup; falls back to clone() without CLONE_INTO_CGROUP. */
static pid_t clone_child(uint64_t flags, int cgfd, bool *by_clone)
{
        struct clone_args ca = { .flags = flags, .exit_signal = SIGCHLD };

        if (cgfd >= 0) {
                ca.flags |= CLONE_INTO_CGROUP;
                ca.cgroup = (uint64_t)cgfd;
        }
        long r = syscall(SYS_clone3, &ca, sizeof(ca));
        if (r >= 0) {
                *by_clone = cgfd >= 0;
                return (pid_t)r;
        }
        if (errno != ENOSYS && errno != E2BIG && errno != EINVAL && errno != EOPNOTSUPP)
                return -errno;
        *by_clone = false;
        flags &= ~(uint64_t)(CLONE_NEWCGROUP | CLONE_NEWTIME);
        r = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, 0);
        return r < 0 ? -errno : (pid_t)r;
}

int ctr_ns_clone_enter(const int fds[CTR_NS_MAX], unsigned mask, struct ctr_ns_saved *saved,
                       struct bv_error *err)
{
        for (int t = 0; t < CTR_NS_MAX; t++)
                saved->fd[t] = -1;
        for (int t = 0; t < CTR_NS_MAX; t++) {
                if (!(mask & (1u << t)) || fds[t] < 0)
                        continue;
                char path[64];
                snprintf(path, sizeof(path), "/proc/self/ns/%s", ctr_ns_proc_name(t));
                saved->fd[t] = open(path, O_RDONLY | O_CLOEXEC);
                if (saved->fd[t] < 0 || setns(fds[t], ctr_ns_flag(t)) < 0) {
                        int e = errno;
                        (void)ctr_ns_clone_leave(saved);
                        return bv_error_set_errno(err, e, "Failed to join the container's %s namespace",
                                                  ctr_ns_name(t));
                }
        }
        return 0;
}

int ctr_ns_clone_leave(struct ctr_ns_saved *saved)
{
        int r = 0;

        for (int t = 0; t < CTR_NS_MAX; t++) {
                if (saved->fd[t] < 0)
                        continue;
                if (setns(saved->fd[t], ctr_ns_flag(t)) < 0)
                        r = -errno;
                close(saved->fd[t]);
                saved->fd[t] = -1;
        }
        return r;
}

/*
 * Namespaces made by clone() belong to the user namespace of the process
 * that clones, and the runtime cannot enter a user namespace and come back.
 * So when the configuration joins an existing user namespace (by path) a
 * short-lived intermediate process joins the other namespaces to enter
 * (mask), then the user namespace, and clones the container's init from
 * there with CLONE_PARENT: the init is the runtime's child, and its new
 * mount, pid, ... namespaces belong to the joined user namespace, so it has
 * the capabilities it needs in them. The intermediate passes the pid back
 * through a pipe and exits. No CLONE_INTO_CGROUP: the runtime moves the
 * init into its cgroup afterwards. Returns the init's pid or -errno (the
 * init itself never returns: it runs child_main()).
 */
static pid_t clone_in_userns(const int ns_fds[CTR_NS_MAX], unsigned mask, uint64_t flags, struct child_args *a,
                             int sp0)
{
        int p[2];

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid_t mid = fork();
        if (mid < 0) {
                int e = errno;
                close(p[0]);
                close(p[1]);
                return -e;
        }
        if (mid == 0) {
                struct ctr_ns_saved saved;   /* never left: this process ends here */
                bool unused;
                int32_t v;
                close(p[0]);
                set_pdeathsig(SIGKILL);
                if ((v = ctr_ns_clone_enter(ns_fds, mask, &saved, NULL)) < 0)
                        ;
                else if (setns(ns_fds[CTR_NS_USER], CLONE_NEWUSER) < 0)
                        v = -errno;
                else {
                        pid_t pid = clone_child(flags | CLONE_PARENT, -1, &unused);
                        if (pid == 0) {
                                close(p[1]);
                                close(sp0);
                                a->cgroup_by_clone = false;
                                child_main(a);
                        }
                        v = pid;
                }
                _exit(write(p[1], &v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : 1);
        }
        close(p[1]);
        int32_t v = -EIO;
        struct pollfd pfd = { .fd = p[0], .events = POLLIN };
        if (poll(&pfd, 1, SYNC_TIMEOUT_MS) <= 0 || read(p[0], &v, sizeof(v)) != (ssize_t)sizeof(v))
                v = -EIO;
        close(p[0]);
        if (v == -EIO)
                kill(mid, SIGKILL);
        while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
                ;
        return (pid_t)v;
}

static bool id_is_valid(const char *id)
{
        size_t l = strlen(id);
        if (l == 0 || l > 128 || id[0] == '.' || id[0] == '-')
                return false;
        return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == l;
}

/* Everything create made, undone in reverse. */
struct create_undo {
        char state_dir[4096];
        struct ctr_cgroup_plan cg;
        char freezer[4096];       /* the v1 freezer cgroup, "" without one */
        pid_t pid;
        bool dir_made, v1_made, v2_made;
};

static void undo(struct create_undo *u)
{
        if (u->pid > 0) {
                int status;
                kill(u->pid, SIGKILL);
                if (waitpid(u->pid, &status, 0) < 0 && errno == EINTR)
                        waitpid(u->pid, &status, 0);
        }
        if (u->v2_made)
                ctr_cgroup_destroy(u->cg.v2, NULL);
        if (u->v1_made)
                ctr_cgv1_destroy(&u->cg.info, u->cg.rel);
        if (u->dir_made)
                ctr_state_dir_remove(u->state_dir);
}

static void close_ns_fds(int (*fds)[CTR_NS_MAX])
{
        for (int t = 0; t < CTR_NS_MAX; t++)
                if ((*fds)[t] >= 0)
                        close((*fds)[t]);
}

/* What create refuses before it makes anything; the real root.path into rootfs. */
static int check_create(const struct ctr_config *cfg, const struct ctr_create_opts *o, char rootfs[4096],
                        struct bv_error *err)
{
        struct ctr_lsm_host lsm;
        char rp[4200];
        struct stat st;
        int r;

        if (!id_is_valid(o->id))
                return bv_error_set(err, EINVAL, "invalid container id '%s'", o->id);
        if (!cfg->process)
                return bv_error_set(err, EINVAL, "process: missing (nothing to run)");
        ctr_lsm_host_detect("/sys", &lsm);
        if ((r = ctr_lsm_check(cfg, cfg->process, &lsm, err)) < 0)
                return r;
        if (cfg->process->terminal && !o->console_socket && !o->has_console_fd)
                return bv_error_set(err, EINVAL, "process.terminal is true: --console-socket is required");
        for (int fd = 0; o->has_stdio && fd < 3; fd++)
                if (fcntl(o->stdio_fds[fd], F_GETFD) < 0)
                        return bv_error_set_errno(err, errno, "stdio fd %d for the container's fd %d",
                                                  o->stdio_fds[fd], fd);
        if (cfg->root_path[0] == '/')
                snprintf(rp, sizeof(rp), "%s", cfg->root_path);
        else
                snprintf(rp, sizeof(rp), "%s/%s", o->bundle, cfg->root_path);
        if (!realpath(rp, rootfs))
                return bv_error_set_errno(err, errno, "root.path '%s'", rp);
        if (stat(rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
                return bv_error_set(err, ENOTDIR, "root.path '%s' is not a directory", rp);
        return 0;
}

/*
 * Plans the cgroup (u->cg), makes the state directory, then the v1
 * directories and the v2 cgroup with their limits (*ret_cgfd, the v2 one):
 * each recorded in u once made.
 */
static int make_dir_and_cgroup(const struct ctr_config *cfg, const struct ctr_create_opts *o, struct create_undo *u,
                               int *ret_cgfd, struct bv_error *err)
{
        struct stat st;
        int r;

        if ((r = ctr_cgroup_plan(cfg, o->id, &u->cg, err)) < 0 ||
            (r = ctr_state_dir_make(o->state_root, o->id, u->state_dir, sizeof(u->state_dir), err)) < 0)
                return r;
        u->dir_made = true;
        if ((u->cg.v2[0] || u->cg.rel[0]) &&
            (r = ctr_state_pending_write(u->state_dir, u->cg.v2, u->cg.info.n_v1 ? u->cg.rel : "", err)) < 0)
                return r;
        if (u->cg.rel[0] && u->cg.info.n_v1) {
                if ((r = ctr_cgv1_setup(cfg, &u->cg, err)) < 0)
                        return r;
                u->v1_made = true;
                (void)ctr_cgv1_path(&u->cg.info, u->cg.rel, "freezer", u->freezer, sizeof(u->freezer));
        }
        if (!u->cg.v2[0])
                return 0;
        if (stat(u->cg.v2, &st) == 0)
                return bv_error_set(err, EEXIST, "cgroup '%s' already exists", u->cg.v2);
        int cgfd = ctr_cgroup_setup(cfg, &u->cg, err);
        if (cgfd < 0)
                return cgfd;
        u->v2_made = true;
        *ret_cgfd = cgfd;
        return 0;
}

/* exec.fifo in the state directory (path into fifo), opened for reading without blocking (*ret_fd). */
static int open_fifo(const char *state_dir, char fifo[4200], int *ret_fd, struct bv_error *err)
{
        snprintf(fifo, 4200, "%s/exec.fifo", state_dir);
        if (mkfifo(fifo, 0600) < 0)
                return bv_error_set_errno(err, errno, "Failed to create '%s'", fifo);
        *ret_fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (*ret_fd < 0)
                return bv_error_set_errno(err, errno, "Failed to open '%s'", fifo);
        return 0;
}

/* The socket the pty master goes to (process.terminal) into *ret_fd; it stays -1 when there is none. */
static int open_console(const struct ctr_config *cfg, const struct ctr_create_opts *o, int *ret_fd,
                        struct bv_error *err)
{
        if (o->console_socket && cfg->process->terminal) {
                *ret_fd = bv_unix_connect(o->console_socket, 0, err);
                if (*ret_fd < 0)
                        return bv_error_prefix(err, "--console-socket");
        } else if (o->has_console_fd && cfg->process->terminal) {
                *ret_fd = fcntl(o->console_fd, F_DUPFD_CLOEXEC, 3);
                if (*ret_fd < 0)
                        return bv_error_set_errno(err, errno, "Failed to duplicate the console socket");
        }
        return 0;
}

/* The namespaces to join (by path) into fds; the CLONE_* flags of those to create into *ret_flags. */
static int open_namespaces(const struct ctr_config *cfg, int fds[CTR_NS_MAX], uint64_t *ret_flags,
                           struct bv_error *err)
{
        uint64_t flags = 0;

        for (int t = 0; t < CTR_NS_MAX; t++) {
                if (!cfg->ns[t].enabled)
                        continue;
                if (!cfg->ns[t].path) {
                        flags |= (uint64_t)ctr_ns_flag(t);
                        continue;
                }
                fds[t] = open(cfg->ns[t].path, O_RDONLY | O_CLOEXEC);
                if (fds[t] < 0)
                        return bv_error_set_errno(err, errno, "linux.namespaces: '%s'", cfg->ns[t].path);
        }
        *ret_flags = flags;
        return 0;
}

/*
 * Clones the init (which runs child_main() and never returns here). A
 * process in a user namespace other than the host's cannot join a netns
 * the host owns: for a new user namespace, or one joined by path, the
 * netns is joined before, for the clone. Returns the pid (and whether
 * clone() put it into cgfd's cgroup) or -errno.
 */
static pid_t spawn_init(struct child_args *a, const int ns_fds[CTR_NS_MAX], uint64_t flags, int cgfd, int sp0,
                        bool *ret_by_clone, struct bv_error *err)
{
        bool join_user = ns_fds[CTR_NS_USER] >= 0, by_clone = false;
        unsigned mask = CTR_NS_CHILDREN | ((flags & CLONE_NEWUSER) || join_user ? 1u << CTR_NS_NET : 0);
        pid_t pid;
        int r;

        memcpy(a->ns_fds, ns_fds, sizeof(a->ns_fds));
        a->ns_fds[CTR_NS_PID] = a->ns_fds[CTR_NS_TIME] = -1;
        if (mask & (1u << CTR_NS_NET))
                a->ns_fds[CTR_NS_NET] = -1;
        if (join_user) {
                a->ns_fds[CTR_NS_USER] = -1;
                pid = clone_in_userns(ns_fds, mask, flags, a, sp0);
        } else {
                struct ctr_ns_saved saved;
                if ((r = ctr_ns_clone_enter(ns_fds, mask, &saved, err)) < 0)
                        return r;
                pid = clone_child(flags, cgfd, &by_clone);
                if (pid != 0 && (r = ctr_ns_clone_leave(&saved)) < 0) {
                        if (pid > 0) {
                                kill(pid, SIGKILL);
                                waitpid(pid, NULL, 0);
                        }
                        return bv_error_set_errno(err, -r, "Failed to return to the runtime's own namespaces");
                }
        }
        if (pid < 0)
                return bv_error_set_errno(err, -pid, "Failed to create the container process");
        if (pid == 0) {
                close(sp0);
                a->cgroup_by_clone = by_clone;
                child_main(a);
        }
        *ret_by_clone = by_clone;
        return pid;
}

/* Moves pid into cgroup cg when clone() could not put it there. */
static int join_cgroup(const char *cg, pid_t pid, struct bv_error *err)
{
        char v[16], procs[4200];

        snprintf(v, sizeof(v), "%d", (int)pid);
        snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
        if (bv_file_write_atomic(procs, v, strlen(v), 0644, NULL) < 0) {
                _cleanup_close_ int pfd = open(procs, O_WRONLY | O_CLOEXEC);
                if (pfd < 0 || write(pfd, v, strlen(v)) < 0)
                        return bv_error_set_errno(err, errno, "Failed to move the container into '%s'", cg);
        }
        return 0;
}

/* The error an init reported ('E'). */
static int init_error(const struct sync_msg *m, struct bv_error *err)
{
        return bv_error_set(err, m->value > 0 ? m->value : EIO, "%s", m->msg);
}

/* Serves the init until it is set up ('R'): prestart and createRuntime hooks on its 'H'. */
static int wait_ready(const struct ctr_config *cfg, const struct ctr_create_opts *o, int sp0, pid_t pid,
                      struct bv_error *err)
{
        for (;;) {
                struct sync_msg m;
                int r = sync_recv(sp0, &m, SYNC_TIMEOUT_MS * 2);
                if (r == 0 || r == -ECONNRESET)
                        return bv_error_set(err, EIO, "The container process exited during setup");
                if (r < 0)
                        return bv_error_set_errno(err, -r, "Failed to wait for the container process");
                if (m.type == 'E')
                        return init_error(&m, err);
                if (m.type == 'R')
                        return 0;
                if (m.type == 'H' &&
                    ((r = hooks_run_state(cfg, o, CTR_HOOK_PRESTART, CTR_STATUS_CREATING, pid, err)) < 0 ||
                     (r = hooks_run_state(cfg, o, CTR_HOOK_CREATE_RUNTIME, CTR_STATUS_CREATING, pid, err)) < 0 ||
                     (r = sync_send(sp0, 'h', 0, NULL)) < 0))
                        return r;
        }
}

/* `run`: releases the init ('S'), removes exec.fifo, runs the poststart hooks (their failure is theirs). */
static int start_now(const struct ctr_config *cfg, const struct ctr_create_opts *o, int sp0, pid_t pid,
                     const char *fifo, struct bv_error *err)
{
        struct sync_msg m;
        int r;

        if ((r = sync_send(sp0, 'S', 0, NULL)) < 0)
                return bv_error_set_errno(err, -r, "Failed to start the container");
        r = sync_recv(sp0, &m, SYNC_TIMEOUT_MS * 2);
        if (r == 1 && m.type == 'E')
                return init_error(&m, err);
        unlink(fifo);
        (void)hooks_run_state(cfg, o, CTR_HOOK_POSTSTART, CTR_STATUS_RUNNING, pid, NULL);
        return 0;
}

/* The state file, the pid file, and with start_now the start. */
static int record_and_start(const struct ctr_config *cfg, const struct ctr_create_opts *o, struct create_undo *u,
                            const char *rootfs, int sp0, pid_t pid, const char *fifo, struct bv_error *err)
{
        int r;

        struct ctr_saved_cgroups cg = { u->v2_made ? u->cg.v2 : "", u->v1_made ? u->cg.rel : "", u->freezer };
        if ((r = ctr_state_write(u->state_dir, o, pid, &cg, rootfs, cfg->annotations, err)) < 0)
                return r;
        if (o->pid_file && (r = ctr_pid_file_write(o->pid_file, pid, err)) < 0)
                return r;
        return o->start_now ? start_now(cfg, o, sp0, pid, fifo, err) : 0;
}

static int create_in(const struct ctr_config *cfg, const struct ctr_create_opts *o, struct create_undo *u,
                     pid_t *ret_pid, struct bv_error *err)
{
        char rootfs[4096], fifo[4200];
        struct child_args a = { .cfg = cfg, .opts = o, .rootfs = rootfs, .sync = -1, .fifo = -1,
                                .console = -1 };
        _cleanup_close_ int cgfd = -1, fifo_fd = -1, console = -1, sp0 = -1, sp1 = -1;
        _cleanup_(close_ns_fds) int ns_fds[CTR_NS_MAX];
        _cleanup_(ctr_bpf_done) struct ctr_bpf filter = { 0 };
        uint64_t flags = 0;
        int sp[2], r;

        for (int t = 0; t < CTR_NS_MAX; t++)
                ns_fds[t] = -1;
        if ((r = check_create(cfg, o, rootfs, err)) < 0 ||
            (r = ctr_seccomp_compile(cfg, o->state_root, &filter, err)) < 0 ||
            (r = make_dir_and_cgroup(cfg, o, u, &cgfd, err)) < 0 ||
            (r = open_fifo(u->state_dir, fifo, &fifo_fd, err)) < 0 ||
            (r = open_console(cfg, o, &console, err)) < 0 ||
            (r = open_namespaces(cfg, ns_fds, &flags, err)) < 0)
                return r;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
                return bv_error_set_errno(err, errno, "Failed to create the sync socket");
        /* The v1 hierarchies are joined after the clone: a cgroup namespace made by it would be rooted above them. */
        a.cgroup_v1 = u->v1_made ? &u->cg : NULL;
        a.cgroup_v1_self = u->v1_made && !(flags & CLONE_NEWUSER) && !cfg->ns[CTR_NS_USER].enabled;
        if (u->v1_made && (flags & CLONE_NEWCGROUP)) {
                flags &= ~(uint64_t)CLONE_NEWCGROUP;
                a.cgroupns_late = true;
        }
        sp0 = sp[0];
        sp1 = sp[1];
        a.sync = sp1;
        a.fifo = fifo_fd;
        a.console = console;
        a.filter = &filter;
        bool by_clone = false;
        pid_t pid = spawn_init(&a, ns_fds, flags, cgfd, sp0, &by_clone, err);
        if (pid < 0)
                return pid;
        u->pid = pid;
        close(TAKE_FD(sp1));
        if (u->v2_made && !by_clone && (r = join_cgroup(u->cg.v2, pid, err)) < 0)
                return r;
        if (u->v1_made && !a.cgroup_v1_self && (r = ctr_cgv1_join(&u->cg.info, u->cg.rel, pid, err)) < 0)
                return r;
        if ((flags & CLONE_NEWUSER) &&
            ((r = write_idmap(pid, "uid_map", cfg->uid_maps, cfg->n_uid_maps, err)) < 0 ||
             (r = write_idmap(pid, "gid_map", cfg->gid_maps, cfg->n_gid_maps, err)) < 0))
                return r;
        if ((r = sync_send(sp0, 'M', pid, NULL)) < 0)
                return bv_error_set_errno(err, -r, "The container process died during setup");
        if ((r = wait_ready(cfg, o, sp0, pid, err)) < 0 ||
            (r = record_and_start(cfg, o, u, rootfs, sp0, pid, fifo, err)) < 0)
                return r;
        *ret_pid = pid;
        return 0;
}

int ctr_container_create(const struct ctr_config *cfg, const struct ctr_create_opts *opts,
                         pid_t *ret_pid, struct bv_error *err)
{
        struct create_undo *u = calloc(1, sizeof(*u));
        pid_t pid = 0;
        int r;

        if (!u)
                return -ENOMEM;
        r = create_in(cfg, opts, u, &pid, err);
        if (r < 0)
                undo(u);
        free(u);
        if (r < 0)
                return r;
        *ret_pid = pid;
        return 0;
}

int ctr_child_wait_exit(pid_t pid)
{
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return 255;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 255;
}
