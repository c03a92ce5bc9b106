/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Detecting the cgroup layout: pure v2 (cgroup2 at the root), hybrid (tmpfs
 * of v1 controllers with a cgroup2 tree at unified/) or v1 only, and which
 * controllers the v2 root offers. Read-only: barevirt never changes the
 * host's cgroup mounts.
 */
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>

#include "common/common.h"
#include "ctr/ctr.h"

static int is_cgroup2(const char *path)
{
        struct statfs sf;

        if (statfs(path, &sf) < 0)
                return -errno;
        return sf.f_type == CGROUP2_SUPER_MAGIC;
}

static void read_controllers(struct ctr_cgroup_info *info)
{
        char path[128];
        _cleanup_free_ char *line = NULL;

        snprintf(path, sizeof(path), "%s/cgroup.controllers", info->v2_root);
        if (bv_file_read_line(path, &line, NULL) < 0)
                return;
        for (char *save = NULL, *tok = strtok_r(line, " ", &save); tok;
             tok = strtok_r(NULL, " ", &save)) {
                if (info->n_controllers >= CTR_CGROUP_MAX_CONTROLLERS)
                        break;
                snprintf(info->controllers[info->n_controllers++], sizeof(info->controllers[0]),
                         "%s", tok);
        }
}

int ctr_cgroup_detect(const char *sysfs_cgroup, struct ctr_cgroup_info *ret, struct bv_error *err)
{
        struct ctr_cgroup_info info = { .mode = CTR_CGROUP_NONE };
        char unified[64];

        if (strlen(sysfs_cgroup) > 40)
                return bv_error_set(err, ENAMETOOLONG, "cgroup path '%s' is too long", sysfs_cgroup);
        snprintf(unified, sizeof(unified), "%s/unified", sysfs_cgroup);
        int r = is_cgroup2(sysfs_cgroup);
        if (r < 0)
                return bv_error_set_errno(err, -r, "Failed to inspect '%s'", sysfs_cgroup);
        if (r > 0) {
                info.mode = CTR_CGROUP_V2;
                snprintf(info.v2_root, sizeof(info.v2_root), "%s", sysfs_cgroup);
        } else if (is_cgroup2(unified) > 0) {
                info.mode = CTR_CGROUP_HYBRID;
                snprintf(info.v2_root, sizeof(info.v2_root), "%s", unified);
        } else {
                char cpu[64];
                snprintf(cpu, sizeof(cpu), "%s/cpu", sysfs_cgroup);
                struct statfs sf;
                if (statfs(cpu, &sf) == 0 && sf.f_type == CGROUP_SUPER_MAGIC)
                        info.mode = CTR_CGROUP_V1;
        }
        if (info.v2_root[0])
                read_controllers(&info);
        *ret = info;
        return 0;
}

const char *ctr_cgroup_mode_name(enum ctr_cgroup_mode mode)
{
        switch (mode) {
        case CTR_CGROUP_V2:
                return "v2";
        case CTR_CGROUP_HYBRID:
                return "hybrid";
        case CTR_CGROUP_V1:
                return "v1";
        default:
                return "none";
        }
}
