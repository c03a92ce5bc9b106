/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Detecting the cgroup layout: pure v2 (cgroup2 at the root), hybrid (tmpfs
 * of v1 controllers with a cgroup2 tree at unified/) or v1 only, which
 * controllers the v2 root offers, and where each v1 hierarchy is mounted
 * (from /proc/self/mountinfo, so comounted controllers such as
 * "cpu,cpuacct" are one hierarchy). Read-only: barevirt never changes the
 * host's cgroup mounts.
 */
#include <errno.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"
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

/* The v1 controllers barevirt knows; named hierarchies (name=systemd) hold none of them. */
static const char *const v1_known[] = { "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio",
                                        "pids", "hugetlb", "net_cls", "net_prio", "perf_event", "rdma", "misc" };

/* The known controllers in a v1 mount's super options ("rw,cpu,cpuacct") into out ("cpu,cpuacct"). */
static void v1_controllers(const char *opts, char *out, size_t len)
{
        size_t n = 0;

        out[0] = 0;
        for (const char *o = opts; *o;) {
                size_t l = strcspn(o, ",");
                for (size_t k = 0; k < BV_ELEMENTSOF(v1_known); k++)
                        if (strlen(v1_known[k]) == l && strncmp(o, v1_known[k], l) == 0 && n + l + 2 < len) {
                                n += (size_t)snprintf(out + n, len - n, "%s%.*s", n ? "," : "", (int)l, o);
                                break;
                        }
                o += l + (o[l] == ',');
        }
}

/* Every cgroup v1 mount under sysfs_cgroup that holds a known controller (the whole hierarchy: root "/"). */
static void read_v1(const char *sysfs_cgroup, struct ctr_cgroup_info *info)
{
        _cleanup_free_ char *text = NULL;
        size_t plen = strlen(sysfs_cgroup);

        if (bv_file_read("/proc/self/mountinfo", 1 << 20, &text, NULL, NULL) < 0)
                return;
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char root[256], mnt[256], type[32], opts[512];
                const char *sep = strstr(line, " - ");
                if (!sep || sscanf(line, "%*s %*s %*s %255s %255s", root, mnt) != 2 ||
                    sscanf(sep + 3, "%31s %*s %511s", type, opts) != 2)
                        continue;
                if (strcmp(type, "cgroup") != 0 || strcmp(root, "/") != 0 || strncmp(mnt, sysfs_cgroup, plen) != 0 ||
                    mnt[plen] != '/' || strlen(mnt) >= sizeof(info->v1[0].mount) || info->n_v1 >= CTR_CGROUP_MAX_V1)
                        continue;
                struct ctr_cgroup_v1 *h = &info->v1[info->n_v1];
                v1_controllers(opts, h->controllers, sizeof(h->controllers));
                if (!h->controllers[0])
                        continue;
                snprintf(h->mount, sizeof(h->mount), "%s", mnt);
                info->n_v1++;
        }
}

const char *ctr_cgroup_v1_mount(const struct ctr_cgroup_info *info, const char *c)
{
        size_t l = strlen(c);

        for (size_t i = 0; i < info->n_v1; i++)
                for (const char *p = info->v1[i].controllers; *p; p += strcspn(p, ","), p += *p == ',')
                        if (strncmp(p, c, l) == 0 && (p[l] == ',' || !p[l]))
                                return info->v1[i].mount;
        return NULL;
}

bool ctr_cgroup_v2_has(const struct ctr_cgroup_info *info, const char *c)
{
        if (!info->v2_root[0])
                return false;
        for (size_t i = 0; i < info->n_controllers; i++)
                if (strcmp(info->controllers[i], c) == 0)
                        return true;
        return false;
}

int ctr_cgroup_detect(const char *sysfs_cgroup, struct ctr_cgroup_info *ret, struct bv_error *err)
{
        /* Only the counts and names are set: the arrays are large and mostly unused (kept untouched). */
        struct ctr_cgroup_info *info = ret;
        char unified[64];

        if (strlen(sysfs_cgroup) > 40)
                return bv_error_set(err, ENAMETOOLONG, "cgroup path '%s' is too long", sysfs_cgroup);
        info->mode = CTR_CGROUP_NONE;
        info->v2_root[0] = 0;
        info->n_controllers = info->n_v1 = 0;
        snprintf(unified, sizeof(unified), "%s/unified", sysfs_cgroup);
        int r = is_cgroup2(sysfs_cgroup);
        if (r < 0)
                return bv_error_set_errno(err, -r, "Failed to inspect '%s'", sysfs_cgroup);
        if (r > 0) {
                info->mode = CTR_CGROUP_V2;
                snprintf(info->v2_root, sizeof(info->v2_root), "%s", sysfs_cgroup);
        } else if (is_cgroup2(unified) > 0) {
                info->mode = CTR_CGROUP_HYBRID;
                snprintf(info->v2_root, sizeof(info->v2_root), "%s", unified);
        } else {
                char cpu[64];
                snprintf(cpu, sizeof(cpu), "%s/cpu", sysfs_cgroup);
                struct statfs sf;
                if (statfs(cpu, &sf) == 0 && sf.f_type == CGROUP_SUPER_MAGIC)
                        info->mode = CTR_CGROUP_V1;
        }
        if (info->v2_root[0])
                read_controllers(info);
        if (info->mode == CTR_CGROUP_HYBRID || info->mode == CTR_CGROUP_V1)
                read_v1(sysfs_cgroup, info);
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

json_t *ctr_cgroup_info_json(const struct ctr_cgroup_info *info)
{
        json_t *ctl = json_array(), *by = json_object();

        for (size_t i = 0; i < info->n_controllers; i++) {
                json_array_append_new(ctl, json_string(info->controllers[i]));
                json_object_set_new(by, info->controllers[i],
                                    json_pack("{s:i,s:s,s:b}", "version", 2, "path", info->v2_root, "usable",
                                              access(info->v2_root, W_OK) == 0));
        }
        for (size_t i = 0; i < info->n_v1; i++) {
                bool usable = access(info->v1[i].mount, W_OK) == 0;
                char c[sizeof(info->v1[i].controllers)];
                snprintf(c, sizeof(c), "%s", info->v1[i].controllers);
                for (char *save = NULL, *t = strtok_r(c, ",", &save); t; t = strtok_r(NULL, ",", &save))
                        json_object_set_new(by, t, json_pack("{s:i,s:s,s:b}", "version", 1, "path", info->v1[i].mount,
                                                             "usable", usable));
        }
        return json_pack("{s:s,s:o,s:s?,s:o}", "mode", ctr_cgroup_mode_name(info->mode), "controllers", ctl,
                         "v2_root", info->v2_root[0] ? info->v2_root : NULL, "by_controller", by);
}
