/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctr/: containers. For now: what the host's cgroup hierarchy looks like,
 * which decides which container limits can be enforced.
 */
#pragma once

#include <stddef.h>

#include "common/error.h"

enum ctr_cgroup_mode {
        CTR_CGROUP_V2,       /* /sys/fs/cgroup is cgroup2 */
        CTR_CGROUP_HYBRID,   /* v1 controllers, a cgroup2 tree at /sys/fs/cgroup/unified */
        CTR_CGROUP_V1,       /* v1 only: no cgroup2 tree at all */
        CTR_CGROUP_NONE,     /* nothing mounted */
};

#define CTR_CGROUP_MAX_CONTROLLERS 16

struct ctr_cgroup_info {
        enum ctr_cgroup_mode mode;
        char v2_root[64];                         /* "" when there is no v2 tree */
        char controllers[CTR_CGROUP_MAX_CONTROLLERS][16]; /* enabled in the v2 root */
        size_t n_controllers;
};

/*
 * Inspects the cgroup mounts under sysfs_cgroup (normally "/sys/fs/cgroup";
 * settable for tests). Never changes anything. Returns 0 or -errno.
 */
int ctr_cgroup_detect(const char *sysfs_cgroup, struct ctr_cgroup_info *ret, struct bv_error *err);

/* "v2", "hybrid", "v1" or "none". */
const char *ctr_cgroup_mode_name(enum ctr_cgroup_mode mode);
