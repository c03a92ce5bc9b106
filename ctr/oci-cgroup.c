/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container's cgroup: where it lives and where each limit goes. On a
 * pure v2 host, one directory in the v2 tree (/sys/fs/cgroup); on hybrid
 * and v1 hosts, one in every v1 hierarchy (cgroup-v1.c) and one in the v2
 * tree at unified/ where there is one, which tracks the processes (systemd
 * does the same). The relative path is linux.cgroupsPath (a path, or
 * systemd's "slice:prefix:name", expanded as runc's systemd driver names
 * it), or barevirt/<id>. Each write from linux.resources goes through the v1
 * hierarchy of its controller where that is mounted, else through the v2
 * tree; one the host can enforce in neither is refused before anything is
 * made, with its JSON path and the controller named, never silently
 * dropped. The host's cgroup mounts are never changed.
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

/* systemd's slice name into its path: "machine-libpod.slice" -> "machine.slice/machine-libpod.slice". */
static int expand_slice(const char *slice, char *buf, size_t len)
{
        size_t l = strlen(slice), n = 0;

        buf[0] = 0;
        if (l < 7 || strcmp(slice + l - 6, ".slice") != 0 || strchr(slice, '/'))
                return -EINVAL;
        if (strcmp(slice, "-.slice") == 0)
                return 0;
        const char *name_end = slice + l - 6;
        if (slice[0] == '-' || name_end[-1] == '-' || strstr(slice, "--"))
                return -EINVAL;
        for (const char *p = slice; (p = memchr(p, '-', (size_t)(name_end - p))); p++)
                n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%.*s.slice/", (int)(p - slice), slice);
        n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s", slice);
        return n < len ? 0 : -ENAMETOOLONG;
}

int ctr_cgroup_rel(const char *cgroups_path, const char *id, char *buf, size_t len, struct bv_error *err)
{
        int n;

        if (!cgroups_path || !*cgroups_path)
                n = snprintf(buf, len, "barevirt/%s", id);
        else if (cgroups_path[0] == '/' || !strchr(cgroups_path, ':'))
                n = snprintf(buf, len, "%s", cgroups_path + strspn(cgroups_path, "/"));
        else {
                /* systemd: "slice:prefix:name" is slice's path plus prefix-name.scope (a ".slice" name as it is). */
                char slice[512], prefix[256], name[512], sp[2048];
                const char *c1 = strchr(cgroups_path, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2 || strchr(c2 + 1, ':') || (size_t)(c1 - cgroups_path) >= sizeof(slice) ||
                    (size_t)(c2 - c1 - 1) >= sizeof(prefix) || strlen(c2 + 1) >= sizeof(name) || !c2[1])
                        return bv_error_set(err, EINVAL, "linux.cgroupsPath: '%s' is not \"slice:prefix:name\"",
                                            cgroups_path);
                snprintf(slice, sizeof(slice), "%.*s", (int)(c1 - cgroups_path), cgroups_path);
                snprintf(prefix, sizeof(prefix), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
                snprintf(name, sizeof(name), "%s", c2 + 1);
                if (expand_slice(slice[0] ? slice : "system.slice", sp, sizeof(sp)) < 0 || strchr(name, '/') ||
                    strchr(prefix, '/'))
                        return bv_error_set(err, EINVAL, "linux.cgroupsPath: '%s': invalid slice or name",
                                            cgroups_path);
                size_t nl = strlen(name);
                if (nl > 6 && strcmp(name + nl - 6, ".slice") == 0)
                        n = snprintf(buf, len, "%s%s%s", sp, sp[0] ? "/" : "", name);
                else
                        n = snprintf(buf, len, "%s%s%s%s%s.scope", sp, sp[0] ? "/" : "", prefix, prefix[0] ? "-" : "",
                                     name);
        }
        if (n < 0 || (size_t)n >= len)
                return bv_error_set(err, ENAMETOOLONG, "cgroup path too long");
        while (n > 0 && buf[n - 1] == '/')
                buf[--n] = 0;
        if (!n)
                return bv_error_set(err, EINVAL, "linux.cgroupsPath: '%s' is the root cgroup", cgroups_path);
        return 0;
}

/* What the host offers, for the error naming a missing controller. */
static void describe(const struct ctr_cgroup_info *info, char *buf, size_t len)
{
        size_t n = (size_t)snprintf(buf, len, "%s cgroups", ctr_cgroup_mode_name(info->mode));

        if (info->n_v1 && n < len) {
                n += (size_t)snprintf(buf + n, len - n, "; v1 hierarchies:");
                for (size_t i = 0; i < info->n_v1 && n < len; i++)
                        n += (size_t)snprintf(buf + n, len - n, " %s", info->v1[i].controllers);
        }
        if (info->v2_root[0] && n < len) {
                n += (size_t)snprintf(buf + n, len - n, "; %s offers:", info->v2_root);
                for (size_t i = 0; i < info->n_controllers && n < len; i++)
                        n += (size_t)snprintf(buf + n, len - n, " %s", info->controllers[i]);
                if (!info->n_controllers && n < len)
                        snprintf(buf + n, len - n, " none");
        }
}

/* Where write w goes: v1 (with the alternative file), v2, skipped, or refused. */
static int plan_write(const struct ctr_cgroup_write *w, const struct ctr_cgroup_info *info, unsigned char *how,
                      struct bv_error *err)
{
        const char *m = w->v1_controller ? ctr_cgroup_v1_mount(info, w->v1_controller) : NULL;
        char file[64], avail[1024];

        /* A single v1 file is taken as it is (the root lacks some, pids.max); only alternatives are looked up there. */
        if (m && !w->v1_optional && !strchr(w->v1_file, '|')) {
                *how = CTR_CGW_V1;
                return 0;
        }
        if (m) {
                for (unsigned k = 0; k < 8 && ctr_cgv1_file_pick(NULL, w->v1_file, k, file, sizeof(file)); k++)
                        if (ctr_cgv1_file_pick(m, w->v1_file, k, file, sizeof(file))) {
                                *how = (unsigned char)(CTR_CGW_V1 + k);
                                return 0;
                        }
                if (w->v1_optional) {
                        *how = CTR_CGW_SKIP;
                        return 0;
                }
                return bv_error_set(err, EOPNOTSUPP,
                                    "%s: the cgroup v1 '%s' hierarchy (%s) has no %s on this host, so the limit cannot be enforced",
                                    w->json_path, w->v1_controller, m, w->v1_file);
        }
        if (w->file[0] && info->v2_root[0] && (!w->controller || ctr_cgroup_v2_has(info, w->controller))) {
                *how = CTR_CGW_V2;
                return 0;
        }
        /* A knob only v1 has, on a host whose controller is v2: skipped, as runc and crun do. */
        if (!w->file[0] && info->mode == CTR_CGROUP_V2) {
                *how = CTR_CGW_SKIP;
                return 0;
        }
        describe(info, avail, sizeof(avail));
        return bv_error_set(err, EOPNOTSUPP, "%s: the cgroup controller '%s' is not available on this host (%s)",
                            w->json_path, w->controller ? w->controller : w->v1_controller, avail);
}

int ctr_cgroup_plan(const struct ctr_config *cfg, const char *id, struct ctr_cgroup_plan *p, struct bv_error *err)
{
        int r, n;

        p->rel[0] = p->v2[0] = 0;
        memset(p->how, 0, sizeof(p->how));
        if ((r = ctr_cgroup_detect("/sys/fs/cgroup", &p->info, err)) < 0 ||
            (r = ctr_cgroup_rel(cfg->cgroups_path, id, p->rel, sizeof(p->rel), err)) < 0)
                return r;
        if (!p->info.v2_root[0] && !p->info.n_v1) {
                if (cfg->n_cgroup_writes || cfg->n_dev_rules)
                        return bv_error_set(err, EOPNOTSUPP,
                                            "%s: this host has no cgroups mounted, so the limit cannot be enforced",
                                            cfg->n_cgroup_writes ? cfg->cgroup_writes[0].json_path : "linux.resources.devices");
                p->rel[0] = 0;
                return 0;
        }
        if (cfg->n_cgroup_writes > BV_ELEMENTSOF(p->how))
                return bv_error_set(err, E2BIG, "linux.resources: too many limits");
        for (size_t i = 0; i < cfg->n_cgroup_writes; i++)
                if ((r = plan_write(&cfg->cgroup_writes[i], &p->info, &p->how[i], err)) < 0)
                        return r;
        if (cfg->n_dev_rules && !ctr_cgroup_v1_mount(&p->info, "devices") && !p->info.v2_root[0])
                return bv_error_set(err, EOPNOTSUPP, "linux.resources.devices: this host has no devices cgroup");
        if (p->info.v2_root[0]) {
                n = snprintf(p->v2, sizeof(p->v2), "%s/%s", p->info.v2_root, p->rel);
                if (n < 0 || (size_t)n >= sizeof(p->v2))
                        return bv_error_set(err, ENAMETOOLONG, "cgroup path too long");
        }
        return 0;
}

int ctr_cgroup_file_write(const char *dir, const char *file, const char *value)
{
        char path[4200];
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 || write(fd, value, strlen(value)) < 0)
                return -errno;
        return 0;
}

static int write_file(const char *dir, const char *file, const char *value, struct bv_error *err)
{
        int r = ctr_cgroup_file_write(dir, file, value);
        return r < 0 ? bv_error_set_errno(err, -r, "Failed to write '%s' to %s/%s", value, dir, file) : 0;
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
 * anything, the default devices (null, zero, full, random, urandom, tty,
 * ptmx), ptys, /dev/net/tun, and every device the config itself creates:
 * exactly runc's list (/dev/console is a pty bound there).
 */
int ctr_dev_rules_full(const struct ctr_config *cfg, struct ctr_dev_rule **ret, size_t *ret_n)
{
        static const struct ctr_dev_rule defaults[] = {
                { true, 'c', -1, -1, 1 }, { true, 'b', -1, -1, 1 }, { true, 'c', 1, 3, 7 },
                { true, 'c', 1, 5, 7 }, { true, 'c', 1, 7, 7 }, { true, 'c', 1, 8, 7 },
                { true, 'c', 1, 9, 7 }, { true, 'c', 5, 0, 7 }, { true, 'c', 5, 2, 7 },
                { true, 'c', 136, -1, 7 }, { true, 'c', 10, 200, 7 },
        };
        size_t n = cfg->n_dev_rules + BV_ELEMENTSOF(defaults) + cfg->n_devices;
        struct ctr_dev_rule *all = calloc(n, sizeof(*all));
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
        *ret = all;
        *ret_n = k;
        return 0;
}

int ctr_cgroup_setup(const struct ctr_config *cfg, const struct ctr_cgroup_plan *p, struct bv_error *err)
{
        const char *path = p->v2;
        int r;

        r = bv_mkdir_p(path, 0755, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < cfg->n_cgroup_writes; i++) {
                const struct ctr_cgroup_write *w = &cfg->cgroup_writes[i];
                if (p->how[i] != CTR_CGW_V2)
                        continue;
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
        /* The device rules go into the v1 devices controller where it is mounted, else a BPF program. */
        if (cfg->n_dev_rules && !ctr_cgroup_v1_mount(&p->info, "devices")) {
                _cleanup_free_ struct ctr_dev_rule *all = NULL;
                size_t n;
                if ((r = ctr_dev_rules_full(cfg, &all, &n)) < 0 || (r = ctr_devices_attach(fd, all, n, err)) < 0) {
                        close(fd);
                        goto fail;
                }
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
