/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A container's cgroup v1 directories, on hybrid and v1-only hosts: one in
 * every mounted v1 hierarchy (memory, cpu, cpuacct, cpuset, pids, blkio,
 * devices, freezer, ...), all at the same relative path (cgroupsPath or
 * barevirt/<id>), as runc and crun make them. The limits go into the v1
 * files (the v1 form of each write, chosen by ctr_cgroup_plan()), the device
 * rules into devices.allow and devices.deny, and the init and every exec'd
 * process join each directory before they run anything of the container's.
 * Removal thaws the freezer, kills what is left and removes each directory,
 * and the default parent when it is empty. Only directories under the v1
 * mounts are made; the host's mounts are never changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"
#include "ctr/ctr.h"

static int dir_of(const struct ctr_cgroup_v1 *h, const char *rel, char *buf, size_t len)
{
        int n = snprintf(buf, len, "%s/%s", h->mount, rel);
        return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ctr_cgv1_path(const struct ctr_cgroup_info *info, const char *rel, const char *controller, char *buf, size_t len)
{
        const char *m = rel && *rel ? ctr_cgroup_v1_mount(info, controller) : NULL;
        int n = m ? snprintf(buf, len, "%s/%s", m, rel) : -1;

        if (n < 0 || (size_t)n >= len) {
                if (len)
                        buf[0] = 0;
                return -ENOENT;
        }
        return 0;
}

/*
 * Makes dir (and its missing parents) in hierarchy h. A new cpuset cgroup
 * starts with no CPUs and no memory nodes, where no task can join: each
 * level made gets its parent's, as runc does.
 */
static int make_dir(const struct ctr_cgroup_v1 *h, const char *dir, struct bv_error *err)
{
        bool cpuset = strstr(h->controllers, "cpuset") != NULL;
        size_t mlen = strlen(h->mount);
        char path[4096], parent[4096];

        for (const char *p = dir + mlen; p && *p; ) {
                p = strchr(p + 1, '/');
                size_t l = p ? (size_t)(p - dir) : strlen(dir);
                snprintf(path, sizeof(path), "%.*s", (int)l, dir);
                if (mkdir(path, 0755) < 0) {
                        if (errno == EEXIST)
                                continue;
                        return bv_error_set_errno(err, errno, "Failed to create cgroup '%s'", path);
                }
                if (!cpuset)
                        continue;
                snprintf(parent, sizeof(parent), "%.*s", (int)(strrchr(path, '/') - path), path);
                static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
                for (size_t k = 0; k < BV_ELEMENTSOF(files); k++) {
                        char f[4200];
                        _cleanup_free_ char *v = NULL;
                        snprintf(f, sizeof(f), "%s/%s", parent, files[k]);
                        if (bv_file_read_line(f, &v, NULL) == 0 && *v && ctr_cgroup_file_write(path, files[k], v) < 0)
                                return bv_error_set_errno(err, errno, "Failed to copy %s into '%s'", files[k], path);
                }
        }
        return 0;
}

/* One v1 device rule line: "c 1:3 rwm", "a" for every device. */
static void dev_rule_line(const struct ctr_dev_rule *d, char *buf, size_t len)
{
        char maj[24] = "*", min[24] = "*";

        if (d->type == 'a') {
                snprintf(buf, len, "a");
                return;
        }
        if (d->major >= 0)
                snprintf(maj, sizeof(maj), "%lld", (long long)d->major);
        if (d->minor >= 0)
                snprintf(min, sizeof(min), "%lld", (long long)d->minor);
        snprintf(buf, len, "%c %s:%s %s%s%s", d->type, maj, min, d->access & 2 ? "r" : "", d->access & 4 ? "w" : "",
                 d->access & 1 ? "m" : "");
}

static int devices_write(const char *dir, const struct ctr_dev_rule *rules, size_t n, struct bv_error *err)
{
        char line[64];

        for (size_t i = 0; i < n; i++) {
                dev_rule_line(&rules[i], line, sizeof(line));
                const char *file = rules[i].allow ? "devices.allow" : "devices.deny";
                int r = ctr_cgroup_file_write(dir, file, line);
                if (r < 0)
                        return bv_error_set_errno(err, -r, "linux.resources.devices: Failed to write '%s' to %s/%s",
                                                  line, dir, file);
        }
        return 0;
}

/* The first of a write's v1 alternatives ("a|b") that hierarchy mount m has, into buf; false when none. */
bool ctr_cgv1_file_pick(const char *m, const char *alts, unsigned idx, char *buf, size_t len)
{
        const char *p = alts;
        for (unsigned i = 0; i < idx && p; i++)
                if ((p = strchr(p, '|')))
                        p++;
        if (!p)
                return false;
        snprintf(buf, len, "%.*s", (int)strcspn(p, "|"), p);
        if (!m)
                return true;
        char f[256];
        snprintf(f, sizeof(f), "%s/%s", m, buf);
        if (access(f, F_OK) == 0)
                return true;
        /* BFQ makes its weight files only below the root; the root has its statistics when BFQ is there. */
        snprintf(f, sizeof(f), "%s/blkio.bfq.io_service_bytes", m);
        return strncmp(buf, "blkio.bfq.", 10) == 0 && access(f, F_OK) == 0;
}

/* Makes the directories and writes the limits; the caller removes them on failure. */
static int setup(const struct ctr_config *cfg, const struct ctr_cgroup_plan *p, struct bv_error *err)
{
        char dir[4096], file[64];
        int r;

        for (size_t i = 0; i < p->info.n_v1; i++) {
                dir_of(&p->info.v1[i], p->rel, dir, sizeof(dir));
                if ((r = make_dir(&p->info.v1[i], dir, err)) < 0)
                        return r;
        }
        for (size_t i = 0; i < cfg->n_cgroup_writes; i++) {
                const struct ctr_cgroup_write *w = &cfg->cgroup_writes[i];
                if (p->how[i] < CTR_CGW_V1)
                        continue;
                ctr_cgv1_path(&p->info, p->rel, w->v1_controller, dir, sizeof(dir));
                ctr_cgv1_file_pick(NULL, w->v1_file, p->how[i] - CTR_CGW_V1, file, sizeof(file));
                if ((r = ctr_cgroup_file_write(dir, file, w->v1_value)) < 0)
                        return bv_error_set_errno(err, -r, "%s: Failed to write '%s' to %s/%s", w->json_path,
                                                  w->v1_value, dir, file);
        }
        if (!cfg->n_dev_rules || ctr_cgv1_path(&p->info, p->rel, "devices", dir, sizeof(dir)) < 0)
                return 0;
        _cleanup_free_ struct ctr_dev_rule *all = NULL;
        size_t n;
        if ((r = ctr_dev_rules_full(cfg, &all, &n)) < 0)
                return r;
        return devices_write(dir, all, n, err);
}

int ctr_cgv1_setup(const struct ctr_config *cfg, const struct ctr_cgroup_plan *p, struct bv_error *err)
{
        char dir[4096];
        struct stat st;

        for (size_t i = 0; i < p->info.n_v1; i++) {
                if (dir_of(&p->info.v1[i], p->rel, dir, sizeof(dir)) < 0)
                        return bv_error_set(err, ENAMETOOLONG, "cgroup path too long");
                if (stat(dir, &st) == 0)
                        return bv_error_set(err, EEXIST, "cgroup '%s' already exists", dir);
        }
        int r = setup(cfg, p, err);
        if (r < 0)
                ctr_cgv1_destroy(&p->info, p->rel);
        return r;
}

int ctr_cgv1_join(const struct ctr_cgroup_info *info, const char *rel, pid_t pid, struct bv_error *err)
{
        char dir[4096], v[16];

        /* pid 0: the calling thread into "tasks", without the kernel's global threadgroup lock (see ctr-internal.h). */
        snprintf(v, sizeof(v), "%d", (int)pid);
        for (size_t i = 0; rel && *rel && i < info->n_v1; i++) {
                if (dir_of(&info->v1[i], rel, dir, sizeof(dir)) < 0)
                        continue;
                int r = ctr_cgroup_file_write(dir, pid == 0 ? "tasks" : "cgroup.procs", v);
                if (r < 0 && pid == 0)
                        return bv_error_set_errno(err, -r, "Failed to join '%s'", dir);
                if (r < 0)
                        return bv_error_set_errno(err, -r, "Failed to move process %d into '%s'", (int)pid, dir);
        }
        return 0;
}

/* Removes one directory: kills what is left (bounded), then its parent when it is right under the mount. */
static void remove_dir(const char *mount, const char *dir)
{
        for (int attempt = 0; attempt < 200; attempt++) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        break;
                if (errno != EBUSY)
                        return;
                (void)ctr_cgroup_signal(dir, SIGKILL);
                nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
        }
        /*
         * The parent goes when it is empty and right under the mount (barevirt/,
         * barevirtd's --cgroup-parent), no deeper owner's directory. A non-empty
         * one stays (rmdir refuses).
         */
        const char *slash = strrchr(dir, '/');
        size_t mlen = strlen(mount);
        if (slash && slash > dir + mlen + 1 && !memchr(dir + mlen + 1, '/', (size_t)(slash - dir) - mlen - 1)) {
                char parent[4096];
                snprintf(parent, sizeof(parent), "%.*s", (int)(slash - dir), dir);
                rmdir(parent);
        }
}

void ctr_cgv1_destroy(const struct ctr_cgroup_info *info, const char *rel)
{
        char dir[4096];

        if (!rel || !*rel)
                return;
        /* Thawed first: a frozen task does not act on SIGKILL under the v1 freezer. */
        if (ctr_cgv1_path(info, rel, "freezer", dir, sizeof(dir)) == 0)
                (void)ctr_cgroup_file_write(dir, "freezer.state", "THAWED");
        for (size_t i = 0; i < info->n_v1; i++)
                if (dir_of(&info->v1[i], rel, dir, sizeof(dir)) == 0)
                        remove_dir(info->v1[i].mount, dir);
}
