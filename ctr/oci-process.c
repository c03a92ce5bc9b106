/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The last steps of a container process before execve(): rlimits, groups
 * and ids, capabilities (libcap), noNewPrivileges, seccomp (libseccomp),
 * umask, the working directory and the lookup of the program. These run in
 * the container's init (and in exec'ed processes) after pivot_root, so every
 * path here is already inside the container's root.
 *
 * Order matters: the working directory is entered before the seccomp
 * filter exists (a profile need not allow openat2 or getcwd), the bounding
 * set is dropped while we still hold CAP_SETPCAP, ids change with
 * PR_SET_KEEPCAPS so that the permitted set survives, and the seccomp
 * filter comes last, right before execve, when noNewPrivileges is set (or
 * before the id change, while CAP_SYS_ADMIN is held, when it is not).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

static bool cap_in(uint64_t mask, int cap)
{
        return cap < 64 && (mask & (1ULL << cap));
}

static int caps_drop_bounding(const struct ctr_process *p, struct bv_error *err)
{
        for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
                if (cap_in(p->caps[CTR_CAP_BOUNDING], cap))
                        continue;
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                        return bv_error_set_errno(err, errno, "Failed to drop capability %d from the bounding set", cap);
        }
        return 0;
}

static int caps_apply(const struct ctr_process *p, struct bv_error *err)
{
        cap_t caps = cap_init();
        int r = 0;

        if (!caps)
                return bv_error_set_errno(err, errno, "Failed to allocate capabilities");
        for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
                cap_value_t v = cap;
                if (cap_in(p->caps[CTR_CAP_EFFECTIVE], cap))
                        cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
                if (cap_in(p->caps[CTR_CAP_PERMITTED], cap))
                        cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
                if (cap_in(p->caps[CTR_CAP_INHERITABLE], cap))
                        cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
        }
        if (cap_set_proc(caps) < 0)
                r = bv_error_set_errno(err, errno, "Failed to set capabilities");
        cap_free(caps);
        if (r < 0)
                return r;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return bv_error_set_errno(err, errno, "Failed to clear the ambient set");
        for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
                /* As runc: an ambient cap outside permitted and inheritable is skipped (the kernel refuses it). */
                if (cap_in(p->caps[CTR_CAP_AMBIENT], cap) && cap_in(p->caps[CTR_CAP_PERMITTED], cap) &&
                    cap_in(p->caps[CTR_CAP_INHERITABLE], cap) &&
                    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                        return bv_error_set_errno(err, errno, "Failed to raise ambient capability %d", cap);
        return 0;
}

static const char *env_get(const struct ctr_process *p, const char *name)
{
        size_t l = strlen(name);
        for (const char **e = p->env; *e; e++)
                if (strncmp(*e, name, l) == 0 && (*e)[l] == '=')
                        return *e + l + 1;
        return NULL;
}

static bool is_exec_file(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int ctr_process_find_exec(const struct ctr_process *p, char *buf, size_t len, struct bv_error *err)
{
        const char *name = p->args[0];

        /* Podman and Docker map these messages (runc's wording) to exit codes 127 and 126. */
        if (strchr(name, '/')) {
                struct stat st;
                if (stat(name, &st) < 0)
                        return bv_error_set(err, errno, "exec: \"%s\": stat %s: no such file or directory", name, name);
                if (S_ISDIR(st.st_mode) || access(name, X_OK) < 0)
                        return bv_error_set(err, EACCES, "exec: \"%s\": permission denied", name);
                snprintf(buf, len, "%s", name);
                return 0;
        }
        const char *path = env_get(p, "PATH");
        if (!path)
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        while (*path) {
                size_t l = strcspn(path, ":");
                int n = snprintf(buf, len, "%.*s%s%s", (int)l, path, l ? "/" : "", name);
                if (n > 0 && (size_t)n < len && is_exec_file(buf))
                        return 0;
                path += l;
                if (*path)
                        path++;
        }
        return bv_error_set(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

/*
 * The working directory as an O_PATH fd, resolved before the seccomp filter
 * is loaded (a profile without openat2 must not break every container).
 * CVE-2024-21626: a cwd such as /proc/self/fd/7 once reached a host
 * directory through an fd the runtime leaked. The cwd is resolved in our
 * root (after pivot_root), magic links refused, and every fd of ours is
 * close-on-exec.
 */
static int cwd_open(const struct ctr_process *p, struct bv_error *err)
{
        struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return bv_error_set_errno(err, errno, "Failed to open /");
        const char *rel = p->cwd;
        while (*rel == '/')
                rel++;
        int fd = (int)syscall(SYS_openat2, root, *rel ? rel : ".", &how, sizeof(how));
        if (fd < 0 && errno == ENOSYS)
                fd = open(p->cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return bv_error_set_errno(err, errno, "Failed to enter the working directory '%s'", p->cwd);
        return fd;
}

/*
 * After fchdir(): is the cwd inside our root? The kernel names a cwd
 * outside it "(unreachable)...", which getcwd() turns into ENOENT (only
 * the open() fallback of kernels without openat2 can get there). Any other
 * getcwd() failure (a seccomp profile without getcwd, ERANGE) says nothing
 * about where we are.
 */
static int cwd_check(const char *cwd, struct bv_error *err)
{
        char buf[PATH_MAX];

        if (!getcwd(buf, sizeof(buf)) && errno == ENOENT)
                return bv_error_set(err, EPERM, "Working directory '%s' is outside the container", cwd);
        return 0;
}

/* The bounding set, ids and capabilities (with PR_SET_KEEPCAPS around the id change). */
static int credentials_apply(const struct ctr_process *p, struct bv_error *err)
{
        int r;

        if (p->has_caps && (r = caps_drop_bounding(p, err)) < 0)
                return r;
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return bv_error_set_errno(err, errno, "Failed to keep capabilities");
        if (setgroups(p->n_additional_gids, p->additional_gids) < 0 && errno != EPERM)
                return bv_error_set_errno(err, errno, "Failed to set additional groups");
        if (setresgid(p->gid, p->gid, p->gid) < 0)
                return bv_error_set_errno(err, errno, "Failed to set gid %u", (unsigned)p->gid);
        if (setresuid(p->uid, p->uid, p->uid) < 0)
                return bv_error_set_errno(err, errno, "Failed to set uid %u", (unsigned)p->uid);
        if (p->has_caps && (r = caps_apply(p, err)) < 0)
                return r;
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return bv_error_set_errno(err, errno, "Failed to reset keepcaps");
        return 0;
}

static int limits_apply(const struct ctr_process *p, struct bv_error *err)
{
        for (size_t i = 0; i < p->n_rlimits; i++) {
                struct rlimit rl = { p->rlimits[i].soft, p->rlimits[i].hard };
                if (setrlimit((__rlimit_resource_t)p->rlimits[i].resource, &rl) < 0)
                        return bv_error_set_errno(err, errno, "Failed to set rlimit %d", p->rlimits[i].resource);
        }
        if (p->has_oom_score_adj) {
                char v[16];
                int n = snprintf(v, sizeof(v), "%d", p->oom_score_adj);
                _cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, v, (size_t)n) < 0)
                        return bv_error_set_errno(err, errno, "Failed to set oomScoreAdj to %d", p->oom_score_adj);
        }
        return 0;
}

/*
 * The working directory is resolved and entered first, as root (as runc
 * does: a directory only the container's user may enter is entered again
 * after the id change), the AppArmor exec profile and the umask are set,
 * and only then, without noNewPrivileges, the seccomp filter: it needs
 * CAP_SYS_ADMIN, so it comes before the id change, and as with runc the
 * profile must allow what follows up to execve (prctl, capget, capset,
 * setgroups, setresgid, setresuid, close; the lookup of the program:
 * newfstatat, access; the wait for start: sendto, poll, read, recvfrom;
 * close_range or fcntl, rt_sigaction, rt_sigprocmask). With
 * noNewPrivileges the caller loads it right before execve.
 */
int ctr_process_finalize(const struct ctr_config *cfg, const struct ctr_process *p,
                         const struct ctr_bpf *filter, struct bv_error *err)
{
        int r;

        if ((r = limits_apply(p, err)) < 0)
                return r;
        _cleanup_close_ int cwd = cwd_open(p, err);
        if (cwd < 0)
                return cwd;
        bool entered = fchdir(cwd) == 0;
        if (!entered && errno != EACCES && errno != EPERM)
                return bv_error_set_errno(err, errno, "Failed to enter the working directory '%s'", p->cwd);
        if (entered && (r = cwd_check(p->cwd, err)) < 0)
                return r;
        if ((r = ctr_lsm_apply_exec(p, err)) < 0)
                return r;
        umask(p->has_umask ? p->umask : 0022);
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return bv_error_set_errno(err, errno, "Failed to set noNewPrivileges");
        if (!p->no_new_privileges && (r = ctr_seccomp_apply(cfg ? cfg->seccomp : NULL, filter, err)) < 0)
                return r;
        if ((r = credentials_apply(p, err)) < 0)
                return r;
        if (!entered && fchdir(cwd) < 0)
                return bv_error_set_errno(err, errno, "Failed to enter the working directory '%s'", p->cwd);
        return entered ? 0 : cwd_check(p->cwd, err);
}

void ctr_signals_reset(void)
{
        sigset_t none;

        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}
