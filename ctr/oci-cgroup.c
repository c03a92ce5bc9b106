/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container's cgroup, always in the cgroup v2 tree: /sys/fs/cgroup on a
 * pure v2 host, /sys/fs/cgroup/unified on a hybrid one (where the v2 tree
 * usually offers no controllers at all). The path is the v2 root plus
 * linux.cgroupsPath, or barevirt/<id>. Every limit from linux.resources is
 * checked against the controllers the v2 root offers before anything is
 * created: a limit the host cannot enforce is refused with its JSON path and
 * the controller named, never silently dropped. The host's cgroup mounts are
 * never changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"
#include "ctr/ctr.h"

static bool has_controller(const struct ctr_cgroup_info *info, const char *c)
{
        for (size_t i = 0; i < info->n_controllers; i++)
                if (strcmp(info->controllers[i], c) == 0)
                        return true;
        return false;
}

int ctr_cgroup_plan(const struct ctr_config *cfg, const char *id, char *buf, size_t len,
                    struct bv_error *err)
{
        struct ctr_cgroup_info info;
        char avail[CTR_CGROUP_MAX_CONTROLLERS * 17] = "";
        int r, n;

        r = ctr_cgroup_detect("/sys/fs/cgroup", &info, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < info.n_controllers; i++) {
                strcat(avail, i ? " " : "");
                strcat(avail, info.controllers[i]);
        }
        if (!info.v2_root[0]) {
                if (cfg->n_cgroup_writes || cfg->n_dev_rules)
                        return bv_error_set(err, EOPNOTSUPP,
                                            "%s: this host has no cgroup v2 tree (cgroups are %s), so the limit cannot be enforced",
                                            cfg->n_cgroup_writes ? cfg->cgroup_writes[0].json_path : "linux.resources.devices",
                                            ctr_cgroup_mode_name(info.mode));
                buf[0] = 0;
                return 0;
        }
        for (size_t i = 0; i < cfg->n_cgroup_writes; i++) {
                const struct ctr_cgroup_write *w = &cfg->cgroup_writes[i];
                if (w->controller && !has_controller(&info, w->controller))
                        return bv_error_set(err, EOPNOTSUPP,
                                            "%s: the cgroup v2 controller '%s' is not available on this host (%s cgroups; %s offers: %s)",
                                            w->json_path, w->controller, ctr_cgroup_mode_name(info.mode),
                                            info.v2_root, avail[0] ? avail : "none");
        }
        if (cfg->cgroups_path && *cfg->cgroups_path)
                n = snprintf(buf, len, "%s%s%s", info.v2_root, cfg->cgroups_path[0] == '/' ? "" : "/",
                             cfg->cgroups_path);
        else
                n = snprintf(buf, len, "%s/barevirt/%s", info.v2_root, id);
        if (n < 0 || (size_t)n >= len)
                return bv_error_set(err, ENAMETOOLONG, "cgroup path too long");
        return 0;
}

static int write_file(const char *dir, const char *file, const char *value, struct bv_error *err)
{
        char path[4200];
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 || write(fd, value, strlen(value)) < 0)
                return bv_error_set_errno(err, errno, "Failed to write '%s' to %s", value, path);
        return 0;
}

/* Enables controller c on every level from the v2 root down to the parent of path. */
static int enable_controller(const char *path, const char *c, struct bv_error *err)
{
        char dir[4096], val[32];
        const char *root_end = strstr(path, "/sys/fs/cgroup/unified") == path ? path + 22 : path + 14;

        snprintf(val, sizeof(val), "+%s", c);
        for (const char *p = root_end; (p = strchr(p, '/')); p++) {
                if ((size_t)(p - path) >= sizeof(dir))
                        break;
                memcpy(dir, path, (size_t)(p - path));
                dir[p - path] = 0;
                int r = write_file(dir, "cgroup.subtree_control", val, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * The config's device rules, then what runc and crun always allow after
 * them (Podman and Docker rely on it: they send "deny all" alone): mknod of
 * anything, the default devices, ptys, /dev/net/tun, and every device the
 * config itself creates.
 */
static int attach_device_rules(const struct ctr_config *cfg, int fd, struct bv_error *err)
{
        static const struct ctr_dev_rule defaults[] = {
                { true, 'c', -1, -1, 1 }, { true, 'b', -1, -1, 1 }, { true, 'c', 1, 3, 7 },
                { true, 'c', 1, 5, 7 }, { true, 'c', 1, 7, 7 }, { true, 'c', 1, 8, 7 },
                { true, 'c', 1, 9, 7 }, { true, 'c', 5, 0, 7 }, { true, 'c', 5, 1, 7 },
                { true, 'c', 5, 2, 7 }, { true, 'c', 136, -1, 7 }, { true, 'c', 10, 200, 7 },
        };
        size_t n = cfg->n_dev_rules + BV_ELEMENTSOF(defaults) + cfg->n_devices;
        _cleanup_free_ struct ctr_dev_rule *all = calloc(n, sizeof(*all));
        size_t k = 0;

        if (!all)
                return -ENOMEM;
        memcpy(all, cfg->dev_rules, cfg->n_dev_rules * sizeof(*all));
        k = cfg->n_dev_rules;
        memcpy(all + k, defaults, sizeof(defaults));
        k += BV_ELEMENTSOF(defaults);
        for (size_t i = 0; i < cfg->n_devices; i++) {
                const struct ctr_device *d = &cfg->devices[i];
                if (d->type == 'p')
                        continue;
                all[k++] = (struct ctr_dev_rule){ true, d->type == 'b' ? 'b' : 'c', d->major, d->minor, 7 };
        }
        return ctr_devices_attach(fd, all, k, err);
}

int ctr_cgroup_setup(const struct ctr_config *cfg, const char *path, struct bv_error *err)
{
        int r;

        r = bv_mkdir_p(path, 0755, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < cfg->n_cgroup_writes; i++) {
                const struct ctr_cgroup_write *w = &cfg->cgroup_writes[i];
                if (w->controller && (r = enable_controller(path, w->controller, err)) < 0)
                        goto fail;
                if ((r = write_file(path, w->file, w->value, err)) < 0) {
                        bv_error_prefix(err, "%s", w->json_path);
                        goto fail;
                }
        }
        int fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                r = bv_error_set_errno(err, errno, "Failed to open cgroup '%s'", path);
                goto fail;
        }
        if (cfg->n_dev_rules && (r = attach_device_rules(cfg, fd, err)) < 0) {
                close(fd);
                goto fail;
        }
        return fd;
fail:
        rmdir(path);
        return r;
}

int ctr_cgroup_signal(const char *cgroup, int sig)
{
        char path[4200];
        _cleanup_free_ char *procs = NULL;
        size_t len;
        snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
        int r = bv_file_read(path, 1 << 20, &procs, &len, NULL);
        if (r < 0)
                return r;
        for (char *p = procs; *p;) {
                long pid = strtol(p, &p, 10);
                if (pid > 0)
                        kill((pid_t)pid, sig);
                while (*p == '\n')
                        p++;
        }
        return 0;
}

int ctr_cgroup_destroy(const char *path, struct bv_error *err)
{
        char f[4200];

        if (!path || !*path)
                return 0;
        for (int attempt = 0; attempt < 200; attempt++) {
                if (rmdir(path) == 0 || errno == ENOENT)
                        break;
                if (errno != EBUSY)
                        return bv_error_set_errno(err, errno, "Failed to remove cgroup '%s'", path);
                /* Still populated: kill what is left (cgroup.kill needs 5.14). */
                if (write_file(path, "cgroup.kill", "1", NULL) < 0)
                        (void)ctr_cgroup_signal(path, SIGKILL);
                nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
                if (attempt == 199)
                        return bv_error_set(err, EBUSY, "Failed to remove cgroup '%s': still busy", path);
        }
        /* Our default parent goes when it is empty; anything else keeps it. */
        const char *slash = strrchr(path, '/');
        if (slash && slash - path > 9 && strncmp(slash - 9, "/barevirt", 9) == 0) {
                snprintf(f, sizeof(f), "%.*s", (int)(slash - path), path);
                rmdir(f);
        }
        return 0;
}
