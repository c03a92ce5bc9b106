/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exec: a new process in a running container. The runtime opens the
 * container init's namespaces (/proc/<pid>/ns/..., only those that differ
 * from its own) and root before cloning, joins the pid and time namespaces
 * for its children for that one clone only, and clones the process
 * straight into the container's cgroup. The child joins the user namespace
 * first, then the others, enters the container's root with fchdir+chroot on
 * the pre-opened fd, applies the process settings (user, capabilities,
 * seccomp of the container, cwd) and execs. Errors come back over a close-on-exec socketpair: the errno
 * (4 bytes) then the text, so a command not found (-ENOENT) or not executable (-EACCES) stays itself.
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
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

static __attribute__((noreturn)) void exec_fail(int sync, int r, const struct bv_error *err)
{
        char msg[sizeof(int32_t) + BV_ERROR_MSG_MAX];
        int32_t e = r < 0 ? -r : EIO;

        memcpy(msg, &e, sizeof(e));
        snprintf(msg + sizeof(e), sizeof(msg) - sizeof(e), "%s", bv_error_message(err, r));
        if (send(sync, msg, sizeof(e) + strlen(msg + sizeof(e)) + 1, MSG_NOSIGNAL) < 0)
                _exit(1);
        _exit(1);
}

struct exec_args {
        const struct ctr_config *cfg;
        const struct ctr_process *p;
        const struct ctr_exec_opts *o;
        int ns_fds[CTR_NS_MAX];
        int rootfd, sync, console;
        const struct ctr_bpf *filter;
};

static __attribute__((noreturn)) void exec_child(struct exec_args *a)
{
        static const enum ctr_ns_type order[] = { CTR_NS_USER, CTR_NS_MOUNT, CTR_NS_NET, CTR_NS_IPC,
                                                  CTR_NS_UTS, CTR_NS_CGROUP };
        struct bv_error err = { 0 };
        char exe[4096];
        int r;

        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        for (size_t i = 0; i < BV_ELEMENTSOF(order); i++) {
                int fd = a->ns_fds[order[i]];
                if (fd >= 0 && setns(fd, ctr_ns_flag(order[i])) < 0)
                        exec_fail(a->sync, bv_error_set_errno(&err, errno, "Failed to join the container's %s namespace",
                                                              ctr_ns_name(order[i])), &err);
                if (order[i] == CTR_NS_USER && fd >= 0 && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
                        exec_fail(a->sync, bv_error_set_errno(&err, errno, "Failed to become root in the user namespace"), &err);
        }
        if (fchdir(a->rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0)
                exec_fail(a->sync, bv_error_set_errno(&err, errno, "Failed to enter the container's root"), &err);
        close(a->rootfd);
        if (a->p->terminal) {
                int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), unlock = 0;
                if (master < 0 || ioctl(master, TIOCSPTLCK, &unlock) < 0)
                        exec_fail(a->sync, bv_error_set_errno(&err, errno, "Failed to open a pty"), &err);
                int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
                if (slave < 0)
                        exec_fail(a->sync, bv_error_set_errno(&err, errno, "Failed to open the pty's peer"), &err);
                if ((r = bv_fd_send(a->console, "console", 7, &master, 1)) < 0)
                        exec_fail(a->sync, bv_error_set_errno(&err, -r, "Failed to send the pty"), &err);
                close(master);
                close(a->console);
                if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0 || dup2(slave, 0) < 0 || dup2(slave, 1) < 0 ||
                    dup2(slave, 2) < 0)
                        exec_fail(a->sync, bv_error_set_errno(&err, errno, "Failed to set up the terminal"), &err);
                if (slave > 2)
                        close(slave);
        }
        if ((r = ctr_process_finalize(a->cfg, a->p, a->filter, &err)) < 0)
                exec_fail(a->sync, r, &err);
        if ((r = ctr_process_find_exec(a->p, exe, sizeof(exe), &err)) < 0)
                exec_fail(a->sync, r, &err);
        unsigned first = 3 + a->o->preserve_fds;
        for (unsigned fd = 3; fd < first; fd++)
                bv_fd_set_cloexec((int)fd, 0);
        syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC);
        /* The parent-death signal survives execve: with --detach the runtime exits right away. */
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        ctr_signals_reset();
        /* With noNewPrivileges the filter comes last: nothing but execve runs under it (as in runc). */
        if (a->p->no_new_privileges && (r = ctr_seccomp_apply(a->cfg->seccomp, a->filter, &err)) < 0)
                exec_fail(a->sync, r, &err);
        execve(exe, (char *const *)a->p->args, (char *const *)a->p->env);
        exec_fail(a->sync, bv_error_set_errno(&err, errno, "exec: \"%s\"", a->p->args[0]), &err);
}

static void close_fds(int (*fds)[CTR_NS_MAX])
{
        for (int t = 0; t < CTR_NS_MAX; t++)
                if ((*fds)[t] >= 0)
                        close((*fds)[t]);
}

/* The state of a running (or created) container and its bundle's config. */
static int exec_load(const char *state_root, const char *id, const struct ctr_process *p,
                     const struct ctr_exec_opts *o, struct ctr_saved *s, struct ctr_config **ret_cfg,
                     struct bv_error *err)
{
        int r = ctr_state_load(state_root, id, s, err);

        if (r < 0)
                return r;
        json_decref(s->annotations);
        s->annotations = NULL;
        if (s->status != CTR_STATUS_RUNNING && s->status != CTR_STATUS_CREATED)
                return bv_error_set(err, s->status == CTR_STATUS_PAUSED ? EBUSY : EINVAL, "cannot exec in a %s container",
                                    ctr_status_name(s->status));
        if (p->terminal && !o->console_socket)
                return bv_error_set(err, EINVAL, "--tty needs --console-socket");
        return ctr_config_load(s->bundle, ret_cfg, err);
}

/* The init's namespaces that differ from ours into ns, and its root (*ret_rootfd), checked to be still it. */
static int open_container(const struct ctr_saved *s, int ns[CTR_NS_MAX], int *ret_rootfd, struct bv_error *err)
{
        char path[128], self[64];
        bool zombie;

        for (int t = 0; t < CTR_NS_MAX; t++) {
                struct stat mine, theirs;
                snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)s->pid, ctr_ns_proc_name(t));
                snprintf(self, sizeof(self), "/proc/self/ns/%s", ctr_ns_proc_name(t));
                if (stat(path, &theirs) < 0 || stat(self, &mine) < 0 || mine.st_ino == theirs.st_ino)
                        continue;
                ns[t] = open(path, O_RDONLY | O_CLOEXEC);
                if (ns[t] < 0)
                        return bv_error_set_errno(err, errno, "Failed to open '%s'", path);
        }
        snprintf(path, sizeof(path), "/proc/%d/root", (int)s->pid);
        *ret_rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (*ret_rootfd < 0 || ctr_pid_starttime(s->pid, &zombie) != s->starttime)
                return bv_error_set(err, ESRCH, "container not running");
        return 0;
}

/* clone3() into cgfd's cgroup (-1: none), without it when refused, fork() without clone3(). */
static pid_t clone_into(int cgfd)
{
        struct clone_args ca = { .exit_signal = SIGCHLD };

        if (cgfd >= 0) {
                ca.flags = CLONE_INTO_CGROUP;
                ca.cgroup = (uint64_t)cgfd;
        }
        pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
        if (pid < 0 && cgfd >= 0) {
                ca.flags = 0;
                pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
        }
        if (pid < 0 && errno == ENOSYS)
                pid = fork();
        return pid;
}

/*
 * Clones the process (which runs exec_child() and never returns here) with
 * the pid and time namespaces entered for it, and the netns too when it
 * joins a user namespace, which would leave it no right over a netns the
 * host's owns. Returns the pid or -errno.
 */
static pid_t exec_spawn(struct exec_args *a, const int ns[CTR_NS_MAX], int cgfd, int sp0, struct bv_error *err)
{
        unsigned mask = CTR_NS_CHILDREN | (ns[CTR_NS_USER] >= 0 ? 1u << CTR_NS_NET : 0);
        struct ctr_ns_saved saved;
        int r;

        memcpy(a->ns_fds, ns, sizeof(a->ns_fds));
        a->ns_fds[CTR_NS_PID] = a->ns_fds[CTR_NS_TIME] = -1;
        if (mask & (1u << CTR_NS_NET))
                a->ns_fds[CTR_NS_NET] = -1;
        if ((r = ctr_ns_clone_enter(ns, mask, &saved, err)) < 0)
                return r;
        pid_t pid = clone_into(cgfd);
        int clone_errno = errno;
        if (pid != 0 && (r = ctr_ns_clone_leave(&saved)) < 0) {
                if (pid > 0) {
                        kill(pid, SIGKILL);
                        ctr_child_wait_exit(pid);
                }
                return bv_error_set_errno(err, -r, "Failed to return to the runtime's own namespaces");
        }
        if (pid < 0)
                return bv_error_set_errno(err, clone_errno, "Failed to create the process");
        if (pid == 0) {
                close(sp0);
                exec_child(a);
        }
        return pid;
}

/* Waits (bounded) until the process has exec'ed (EOF) or sent its error; kills it on failure. */
static int exec_wait(int sp0, pid_t pid, struct bv_error *err)
{
        char msg[sizeof(int32_t) + BV_ERROR_MSG_MAX];
        struct pollfd pfd = { .fd = sp0, .events = POLLIN };
        int r = poll(&pfd, 1, 60000);
        ssize_t n = r > 0 ? recv(sp0, msg, sizeof(msg) - 1, 0) : -1;
        int32_t e;

        if (n > 0) {
                msg[n] = 0;
                kill(pid, SIGKILL);
                ctr_child_wait_exit(pid);
                if ((size_t)n <= sizeof(e))
                        return bv_error_set(err, EIO, "exec: the process failed to start");
                memcpy(&e, msg, sizeof(e));
                return bv_error_set(err, e > 0 && e < 4096 ? e : EIO, "%s", msg + sizeof(e));
        }
        if (r == 0) {
                kill(pid, SIGKILL);
                ctr_child_wait_exit(pid);
                return bv_error_set(err, ETIMEDOUT, "exec: the process did not start within 60 s");
        }
        return 0;
}

int ctr_container_exec(const char *state_root, const char *id, const struct ctr_process *p,
                       const struct ctr_exec_opts *o, pid_t *ret_pid, struct bv_error *err)
{
        struct ctr_saved s;
        _cleanup_(ctr_config_freep) struct ctr_config *cfg = NULL;
        _cleanup_(close_fds) int ns[CTR_NS_MAX];
        _cleanup_close_ int rootfd = -1, cgfd = -1, console = -1, sp0 = -1, sp1 = -1;
        _cleanup_(ctr_bpf_done) struct ctr_bpf filter = { 0 };
        struct ctr_lsm_host lsm;
        int sp[2], r;

        for (int t = 0; t < CTR_NS_MAX; t++)
                ns[t] = -1;
        ctr_lsm_host_detect("/sys", &lsm);
        if ((r = ctr_lsm_check(NULL, p, &lsm, err)) < 0 ||
            (r = exec_load(state_root, id, p, o, &s, &cfg, err)) < 0 ||
            (r = ctr_seccomp_compile(cfg, state_root, &filter, err)) < 0 ||
            (r = open_container(&s, ns, &rootfd, err)) < 0)
                return r;
        if (s.cgroup[0])
                cgfd = open(s.cgroup, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (p->terminal && (console = bv_unix_connect(o->console_socket, 0, err)) < 0)
                return bv_error_prefix(err, "--console-socket");
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
                return bv_error_set_errno(err, errno, "Failed to create the sync socket");
        sp0 = sp[0];
        sp1 = sp[1];
        struct exec_args a = { .cfg = cfg, .p = p, .o = o, .rootfd = rootfd, .sync = sp1, .console = console,
                                .filter = &filter };
        pid_t pid = exec_spawn(&a, ns, cgfd, sp0, err);
        if (pid < 0)
                return pid;
        close(TAKE_FD(sp1));
        /* Into the container's v1 directories too (it has not exec'ed yet), so its limits and a pause hold it. */
        struct ctr_cgroup_info info;
        if (s.cgroup_v1[0] && ((r = ctr_cgroup_detect("/sys/fs/cgroup", &info, err)) < 0 ||
                               (r = ctr_cgv1_join(&info, s.cgroup_v1, pid, err)) < 0)) {
                kill(pid, SIGKILL);
                ctr_child_wait_exit(pid);
                return r;
        }
        if ((r = exec_wait(sp0, pid, err)) < 0)
                return r;
        if (o->pid_file && (r = ctr_pid_file_write(o->pid_file, pid, err)) < 0)
                return r;
        *ret_pid = pid;
        return 0;
}
