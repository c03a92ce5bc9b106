/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every container of one owner shares (struct ctr_ct_host): the
 * runtime binary, the cgroup layout, the owner's network namespace, the
 * jobs in flight and the user namespace ranges in use; plus the small
 * helpers every lifecycle file needs (paths, the owner's log).
 *
 * The runtime is found once (--runtime, else beside the program or its
 * ../bin, else in $PATH) and copied into a sealed memfd that the monitor
 * runs from, so it need not copy itself to defend against an overwrite of
 * its binary (CVE-2019-5736). Without a memfd it runs from the path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

#define USERNS_FIRST 0x100000u          /* host ids for user namespaces start here */

void ctr_ct_log(const struct ctr_ct_host *h, int level, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        if (!h->o.on_log)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        h->o.on_log(h->o.userdata, level, msg);
}

static void dir_path(const char *root, const struct ctr_ct *ct, const char *file, char *buf, size_t len)
{
        snprintf(buf, len, "%s/containers/%s%s%s", root, ct->def->name, file ? "/" : "", file ? file : "");
}

void ctr_ct_run_path(const struct ctr_ct *ct, const char *file, char *buf, size_t len)
{
        dir_path(ct->h->o.run_dir, ct, file, buf, len);
}

void ctr_ct_state_path(const struct ctr_ct *ct, const char *file, char *buf, size_t len)
{
        dir_path(ct->h->o.state_dir, ct, file, buf, len);
}

const struct ctr_cgroup_info *ctr_ct_host_cgroups(const struct ctr_ct_host *h)
{
        static const struct ctr_cgroup_info none = { .mode = CTR_CGROUP_NONE };

        return h->cg_ok < 0 ? &none : &h->cg;
}

json_t *ctr_ct_host_limits(const struct ctr_ct_host *h)
{
        json_t *a = h && h->cg_ok >= 0 ? ctr_ct_limits_available(&h->cg) : NULL;

        return a ? a : json_object();
}

uint32_t ctr_ct_host_userns_alloc(const struct ctr_ct_host *h)
{
        for (uint32_t base = USERNS_FIRST;; base += CTR_CT_USERNS_SIZE) {
                bool used = false;
                for (const struct ctr_ct *ct = h->cts; ct && !used; ct = ct->next)
                        used = ct->def->userns_base == base;
                if (!used)
                        return base;
        }
}

static bool executable(const char *p)
{
        return access(p, X_OK) == 0;
}

/* barevirt-runtime beside the running program (build tree, one prefix), or sbin -> bin. */
static void find_beside_self(char *ret, size_t len)
{
        char self[PATH_MAX], cand[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (n <= 0)
                return;
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash)
                *slash = '\0';
        snprintf(cand, sizeof(cand), "%s/barevirt-runtime", self);
        if (!executable(cand))
                snprintf(cand, sizeof(cand), "%s/../bin/barevirt-runtime", self);
        if (executable(cand) && realpath(cand, ret) == NULL)
                snprintf(ret, len, "%s", cand);
}

static void find_in_path(char *ret, size_t len)
{
        const char *pathenv = getenv("PATH");
        _cleanup_free_ char *copy = pathenv ? strdup(pathenv) : NULL;
        char cand[PATH_MAX], *save = NULL;

        for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir; dir = strtok_r(NULL, ":", &save)) {
                snprintf(cand, sizeof(cand), "%s/barevirt-runtime", dir);
                if (executable(cand)) {
                        snprintf(ret, len, "%s", cand);
                        return;
                }
        }
}

/* A sealed memfd copy of path, or -errno (the caller then runs the path itself). */
static int sealed_copy(const char *path)
{
        struct stat st;
        _cleanup_close_ int src = open(path, O_RDONLY | O_CLOEXEC);

        if (src < 0 || fstat(src, &st) < 0)
                return -errno;
        _cleanup_close_ int mfd = memfd_create("barevirt-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return -errno;
        for (off_t off = 0; off < st.st_size;) {
                ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
        }
        if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return -errno;
        return TAKE_FD(mfd);
}

static int runtime_init(struct ctr_ct_host *h, struct bv_error *err)
{
        const char *configured = h->o.runtime;

        if (configured) {
                if (!executable(configured))
                        return bv_error_set_errno(err, errno, "The runtime '%s' is not executable", configured);
                snprintf(h->runtime_path, sizeof(h->runtime_path), "%s", configured);
        } else {
                find_beside_self(h->runtime_path, sizeof(h->runtime_path));
                if (!h->runtime_path[0])
                        find_in_path(h->runtime_path, sizeof(h->runtime_path));
                if (!h->runtime_path[0])
                        return bv_error_set(err, ENOENT, "No barevirt-runtime beside barevirtd or in $PATH");
        }
        int fd = sealed_copy(h->runtime_path);
        h->runtime_fd = fd >= 0 ? fd : -1;
        return 0;
}

int ctr_ct_host_new(const struct ctr_ct_host_opts *o, struct ctr_ct_host **ret)
{
        struct ctr_ct_host *h = calloc(1, sizeof(*h));
        struct bv_error err = {};

        if (!h)
                return -ENOMEM;
        h->o = *o;
        h->runtime_fd = -1;
        if (bv_jobs_new(o->loop, &h->jobs) < 0) {
                free(h);
                return -ENOMEM;
        }
        h->host_netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        snprintf(h->runtime_root, sizeof(h->runtime_root), "%s/runtime", o->run_dir);
        h->cg_ok = ctr_cgroup_detect(o->sysfs_cgroup ? o->sysfs_cgroup : "/sys/fs/cgroup", &h->cg, &err);
        if (h->cg_ok < 0)
                ctr_ct_log(h, CTR_LOG_WARN, "containers: %s", err.msg);
        if (runtime_init(h, &err) < 0)
                ctr_ct_log(h, CTR_LOG_WARN, "containers cannot start: %s", err.msg);
        *ret = h;
        return 0;
}

struct ctr_ct_host *ctr_ct_host_free(struct ctr_ct_host *h)
{
        if (!h)
                return NULL;
        bv_jobs_free(h->jobs);
        if (h->runtime_fd >= 0)
                close(h->runtime_fd);
        if (h->host_netns_fd >= 0)
                close(h->host_netns_fd);
        free(h);
        return NULL;
}
