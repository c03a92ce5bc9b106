/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt-proxy's confinement (tools/proxy/proxy.h). What it defends
 * against: a bug in TLS or HTTP handling that gives a network peer code
 * execution in the proxy. Then the peer holds an unprivileged uid with no
 * capabilities, cannot gain any (no_new_privs: no setuid binaries), and
 * may make only the system calls of an event loop relaying sockets: no
 * open(), no execve(), no socket() or connect(), no ptrace. Its only
 * channel to root is the control socket, whose messages barevirtd checks.
 */
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tools/proxy/proxy.h"

static const char *const allowed[] = {
        "read", "write", "readv", "writev", "close", "recvmsg", "sendmsg", "recvfrom", "sendto", "accept4",
        "shutdown", "getsockname", "getpeername", "epoll_wait", "epoll_pwait", "epoll_pwait2",
        "epoll_ctl", "fcntl", "clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "getrandom",
        "brk", "mmap", "munmap", "mremap", "madvise", "futex", "getpid", "gettid", "rt_sigreturn",
        "rt_sigprocmask", "restart_syscall", "exit", "exit_group", "newfstatat", "fstat", "lseek",
};

static int seccomp_enter(struct bv_error *err)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
        int r;

        if (!ctx)
                return bv_error_set(err, ENOMEM, "Cannot make a seccomp filter");
        for (size_t i = 0; i < BV_ELEMENTSOF(allowed); i++) {
                int nr = seccomp_syscall_resolve_name(allowed[i]);
                if (nr == __NR_SCMP_ERROR)
                        continue;  /* not on this architecture */
                if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0) {
                        seccomp_release(ctx);
                        return bv_error_set_errno(err, -r, "Cannot allow '%s' in the seccomp filter", allowed[i]);
                }
        }
        /* socketpair() for the connections it hands over: AF_UNIX only. */
        const struct scmp_arg_cmp unix_only = { .arg = 0, .op = SCMP_CMP_EQ, .datum_a = AF_UNIX, .datum_b = 0 };
        if ((r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1, &unix_only)) < 0) {
                seccomp_release(ctx);
                return bv_error_set_errno(err, -r, "Cannot add to the seccomp filter");
        }
        /* Opening files fails (EACCES) rather than kills: libraries may probe a file lazily. */
        if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0)) < 0 ||
            (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0)) < 0) {
                seccomp_release(ctx);
                return bv_error_set_errno(err, -r, "Cannot add to the seccomp filter");
        }
        r = seccomp_load(ctx);
        seccomp_release(ctx);
        return r < 0 ? bv_error_set_errno(err, -r, "Cannot load the seccomp filter") : 0;
}

int proxy_sandbox_enter(const char *user, struct bv_error *err)
{
        struct passwd *pw = getpwnam(user);
        pid_t parent = getppid();

        if (!pw)
                return bv_error_set(err, ENOENT, "No user '%s' to run as", user);
        if (pw->pw_uid == 0 || pw->pw_gid == 0)
                return bv_error_set(err, EPERM, "User '%s' is root: the proxy runs unprivileged", user);
        /* Empty the bounding set while we still may (CAP_SETPCAP): nothing can bring a capability back. */
        for (int cap = 0; cap <= 63; cap++)
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                        return bv_error_set_errno(err, errno, "Cannot drop capability %d from the bounding set", cap);
        if (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
            setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
                return bv_error_set_errno(err, errno, "Cannot become user '%s'", user);
        if (setuid(0) == 0)  /* must be impossible now */
                return bv_error_set(err, EPERM, "Still able to become root after dropping to '%s'", user);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
            prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                return bv_error_set_errno(err, errno, "prctl failed");
        if (getppid() != parent)  /* the parent died before PDEATHSIG was set */
                return bv_error_set(err, ESRCH, "barevirtd is gone");
        return seccomp_enter(err);
}
