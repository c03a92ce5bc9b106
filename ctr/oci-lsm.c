/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Linux security modules for barevirt-runtime: what this host enforces,
 * which LSM keys of a spec it can honour, and the AppArmor exec profile.
 *
 * The rule is that nobody gets less confinement than asked for without
 * knowing: process.apparmorProfile is applied where AppArmor is enabled
 * and refused by name elsewhere (crun and runc refuse it too). SELinux
 * labels (linux.mountLabel, process.selinuxLabel) are not applied by
 * barevirt-runtime: where SELinux is enabled they are refused, since they
 * would be dropped; where it is not, they mean nothing and are ignored, as
 * crun and runc ignore them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

static bool path_exists(const char *sys, const char *rel)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", sys, rel);
        return access(path, F_OK) == 0;
}

void ctr_lsm_host_detect(const char *sys, struct ctr_lsm_host *ret)
{
        char path[512], buf[4] = "";

        *ret = (struct ctr_lsm_host){ 0 };
        snprintf(path, sizeof(path), "%s/module/apparmor/parameters/enabled", sys);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0)
                ret->apparmor = buf[0] == 'Y' && path_exists(sys, "kernel/security/apparmor");
        ret->selinux = path_exists(sys, "fs/selinux/enforce");
}

void ctr_process_set_lsm(struct ctr_process *p, const char *apparmor_profile, const char *selinux_label)
{
        if (apparmor_profile)
                p->apparmor_profile = apparmor_profile;
        if (selinux_label)
                p->selinux_label = selinux_label;
}

static bool is_set(const char *s)
{
        return s && *s;
}

int ctr_lsm_check(const struct ctr_config *cfg, const struct ctr_process *p, const struct ctr_lsm_host *host,
                  struct bv_error *err)
{
        if (p && is_set(p->apparmor_profile) && !host->apparmor)
                return bv_error_set(err, EOPNOTSUPP,
                                    "process.apparmorProfile: cannot confine the process in '%s': "
                                    "AppArmor is not enabled on this host", p->apparmor_profile);
        if (!host->selinux)
                return 0;
        if (p && is_set(p->selinux_label))
                return bv_error_set(err, EOPNOTSUPP,
                                    "process.selinuxLabel: SELinux is enabled on this host and barevirt-runtime "
                                    "does not apply labels ('%s' would be dropped)", p->selinux_label);
        if (cfg && is_set(cfg->mount_label))
                return bv_error_set(err, EOPNOTSUPP,
                                    "linux.mountLabel: SELinux is enabled on this host and barevirt-runtime "
                                    "does not apply labels ('%s' would be dropped)", cfg->mount_label);
        return 0;
}

int ctr_lsm_apply_exec(const struct ctr_process *p, struct bv_error *err)
{
        char value[4200];

        if (!is_set(p->apparmor_profile))
                return 0;
        int n = snprintf(value, sizeof(value), "exec %s", p->apparmor_profile);
        if (n < 0 || (size_t)n >= sizeof(value))
                return bv_error_set(err, ENAMETOOLONG, "process.apparmorProfile: too long");
        /* Since Linux 5.8 each LSM has its own attr directory; before, attr/exec is AppArmor's. */
        _cleanup_close_ int fd = open("/proc/thread-self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
                fd = open("/proc/thread-self/attr/exec", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, value, (size_t)n) != n)
                return bv_error_set_errno(err, errno, "Failed to set the AppArmor profile '%s'", p->apparmor_profile);
        return 0;
}
