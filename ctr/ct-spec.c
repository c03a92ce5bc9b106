/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * From a container definition to the OCI config.json the runtime runs, and
 * the check of its limits against the host's cgroup v2 controllers.
 *
 * Security defaults, as Docker's: the default capability set (add/drop on
 * top), the default seccomp profile (ct-seccomp.c), /proc and /sys paths
 * masked or read-only, all devices denied in the device cgroup except the
 * runtime's default set, sysfs and the cgroup tree read-only. privileged
 * turns all of that off (every capability, no seccomp, no masking, all
 * devices). Limits are mapped to the spec's own keys, which the runtime
 * writes to v2 (memory.max, memory.swap.max, cpu.max, cpu.weight, pids.max,
 * io.weight) or to v1 where that controller is (memory.limit_in_bytes,
 * memory.memsw.limit_in_bytes, cpu.cfs_quota_us, cpu.shares, pids.max,
 * blkio.weight).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"
#include "ctr/ctr.h"

#define CPU_PERIOD_US 100000
#define MIB (1024LL * 1024)
#define SECCOMP_FILE_MAX (1024 * 1024)

static const char *const default_caps[] = {
        "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
        "CAP_SETUID", "CAP_SYS_CHROOT", NULL,
};

static const char *const masked_paths[] = {
        "/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
        "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
        "/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware", NULL,
};

static const char *const readonly_paths[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* Which controller enforces which key of "limits", in v2 and in v1 (with the v1 file it needs, if any). */
static const struct {
        const char *limit;
        const char *controller;
        const char *v1_controller, *v1_files;
} limit_controllers[] = {
        { "memory", "memory", "memory", NULL },
        { "memory_swap", "memory", "memory", "memory.memsw.limit_in_bytes" },
        { "cpus", "cpu", "cpu", NULL },
        { "cpu_weight", "cpu", "cpu", NULL },
        { "pids", "pids", "pids", NULL },
        { "io_weight", "io", "blkio", "blkio.weight|blkio.bfq.weight" },
};

static json_t *strv_json(const char *const *l)
{
        json_t *a = json_array();
        for (; a && l && *l; l++)
                if (json_array_append_new(a, json_string(*l)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static bool strv_has(char *const *l, const char *s)
{
        for (; l && *l; l++)
                if (strcmp(*l, s) == 0)
                        return true;
        return false;
}

/* The capability set as a sorted 64-bit mask of libcap values. */
static uint64_t cap_mask(const struct ctr_ct_def *def)
{
        uint64_t m = 0, all = 0;
        cap_value_t v;
        int last = (int)cap_max_bits();

        if (last > 64)
                last = 64;
        /* "All" is what we may hand out: the caps of our own bounding set. */
        for (int i = 0; i < last; i++)
                if (prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 1)
                        all |= 1ULL << i;
        if (def->privileged)
                return all;
        for (size_t i = 0; default_caps[i]; i++)
                if (cap_from_name(default_caps[i], &v) == 0 && v < last)
                        m |= 1ULL << v;
        if (def->system && cap_from_name("CAP_SYS_BOOT", &v) == 0)
                m |= 1ULL << v;   /* reboot(2) in a pid namespace ends only its init */
        if (strv_has(def->cap_drop, "ALL"))
                m = 0;
        for (size_t i = 0; i < def->n_cap_drop; i++)
                if (cap_from_name(def->cap_drop[i], &v) == 0 && v < last)
                        m &= ~(1ULL << v);
        if (strv_has(def->cap_add, "ALL"))
                m = all;
        for (size_t i = 0; i < def->n_cap_add; i++)
                if (cap_from_name(def->cap_add[i], &v) == 0 && v < last)
                        m |= 1ULL << v;
        return m & all;   /* a capability we do not hold cannot be given */
}

static json_t *cap_list(uint64_t m)
{
        json_t *a = json_array();

        for (int i = 0; a && i < 64; i++) {
                if (!(m & (1ULL << i)))
                        continue;
                char *n = cap_to_name(i), buf[64];
                if (!n)
                        continue;
                snprintf(buf, sizeof(buf), "%s", n);
                cap_free(n);
                for (char *p = buf; *p; p++)
                        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
                if (strncmp(buf, "CAP_", 4) != 0)
                        continue;  /* a number: unknown to this libcap */
                if (json_array_append_new(a, json_string(buf)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

static json_t *process_json(const struct ctr_ct_def *def, uint64_t caps)
{
        json_auto_t *env = json_array();
        bool has_path = false;

        if (!env)
                return NULL;
        for (size_t i = 0; i < def->n_env; i++)
                has_path |= strncmp(def->env[i], "PATH=", 5) == 0;
        if (!has_path)
                json_array_append_new(env, json_string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
        if (def->system)
                json_array_append_new(env, json_string("TERM=xterm"));
        json_array_append_new(env, json_string("container=barevirt"));
        for (size_t i = 0; i < def->n_env; i++)
                json_array_append_new(env, json_string(def->env[i]));
        if (json_array_size(env) != def->n_env + 1 + !has_path + def->system)
                return NULL;

        json_t *c = json_pack("{s:o, s:o, s:o, s:o}", "bounding", cap_list(caps), "effective",
                              cap_list(caps), "permitted", cap_list(caps), "inheritable", json_array());
        /* No rlimits: the container inherits the monitor's (raising a hard limit may not be allowed). */
        return json_pack("{s:b, s:{s:I, s:I}, s:o, s:O, s:s, s:o, s:b}",
                         "terminal", def->system,
                         "user", "uid", (json_int_t)def->uid, "gid", (json_int_t)def->gid,
                         "args", strv_json((const char *const *)def->command),
                         "env", env,
                         "cwd", def->cwd,
                         "capabilities", c,
                         "noNewPrivileges", false);
}

static int mounts_json(const struct ctr_ct_def *def, const struct ctr_ct_paths *p, json_t **ret)
{
        json_auto_t *m = json_array();
        int bad = 0;

        if (!m)
                return -ENOMEM;
        bad |= json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:[sss]}", "destination", "/proc", "type", "proc",
                                                  "source", "proc", "options", "nosuid", "noexec", "nodev"));
        bad |= json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:[ssss]}", "destination", "/dev", "type", "tmpfs",
                                                  "source", "tmpfs", "options", "nosuid", "strictatime", "mode=755",
                                                  "size=65536k"));
        bad |= json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:[ssssss]}", "destination", "/dev/pts", "type",
                                                  "devpts", "source", "devpts", "options", "nosuid", "noexec",
                                                  "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"));
        bad |= json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:[sssss]}", "destination", "/dev/shm", "type",
                                                  "tmpfs", "source", "shm", "options", "nosuid", "noexec", "nodev",
                                                  "mode=1777", "size=65536k"));
        bad |= json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:[sss]}", "destination", "/dev/mqueue", "type",
                                                  "mqueue", "source", "mqueue", "options", "nosuid", "noexec", "nodev"));
        /*
         * sysfs can only be mounted by the user namespace that owns the
         * network namespace; a userns container in a netns the host owns
         * gets the host's /sys bound read-only instead.
         */
        if (def->userns && p->netns && !p->userns)
                bad |= json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:[sssss]}", "destination", "/sys", "type",
                                                          "bind", "source", "/sys", "options", "rbind", "nosuid",
                                                          "noexec", "nodev", "ro"));
        else
                bad |= json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:[ssss]}", "destination", "/sys", "type",
                                                          "sysfs", "source", "sysfs", "options", "nosuid", "noexec",
                                                          "nodev", def->privileged ? "rw" : "ro"));
        bad |= json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:[sssss]}", "destination", "/sys/fs/cgroup",
                                                  "type", "cgroup", "source", "cgroup", "options", "nosuid",
                                                  "noexec", "nodev", "relatime", def->privileged ? "rw" : "ro"));
        if (p->resolv_conf)
                bad |= json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:[ssss]}", "destination",
                                                          "/etc/resolv.conf", "type", "bind", "source", p->resolv_conf,
                                                          "options", "bind", "rprivate", "nosuid", "ro"));
        for (size_t i = 0; i < def->n_mounts; i++) {
                const struct ctr_ct_mount *mt = &def->mounts[i];
                char src[PATH_MAX];
                if (mt->idmap && p->idmap_dir)
                        snprintf(src, sizeof(src), "%s/%zu", p->idmap_dir, i);
                else
                        snprintf(src, sizeof(src), "%s", mt->source);
                json_t *o = mt->readonly
                        ? json_pack("{s:s, s:s, s:s, s:[sss]}", "destination", mt->destination, "type", "bind",
                                    "source", src, "options", "rbind", "rprivate", "ro")
                        : json_pack("{s:s, s:s, s:s, s:[ss]}", "destination", mt->destination, "type", "bind",
                                    "source", src, "options", "rbind", "rprivate");
                bad |= json_array_append_new(m, o);
        }
        if (bad)
                return -ENOMEM;
        *ret = TAKE_PTR(m);
        return 0;
}

static int resources_json(const struct ctr_ct_def *def, json_t **ret)
{
        const struct ctr_ct_limits *l = &def->limits;
        json_auto_t *res = json_object();
        int bad = 0;

        if (!res)
                return -ENOMEM;
        if (l->memory_mib) {
                json_t *mem = json_pack("{s:I}", "limit", (json_int_t)l->memory_mib * MIB);
                if (mem && l->memory_swap_mib)
                        bad |= json_object_set_new(mem, "swap", json_integer((json_int_t)l->memory_swap_mib * MIB));
                bad |= json_object_set_new(res, "memory", mem);
        }
        /*
         * The weights in the spec's own terms, which v1 takes as they are: cpu.shares and blkio.weight, chosen
         * so that the runtime's conversion back to v2 (runc's and crun's) gives exactly cpu_weight, and
         * io_weight to within v1's coarser steps.
         */
        json_t *cpu = l->cpus > 0 || l->cpu_weight ? json_object() : NULL;
        if (l->cpus > 0) {
                bad |= json_object_set_new(cpu, "quota", json_integer((json_int_t)(l->cpus * CPU_PERIOD_US + 0.5)));
                bad |= json_object_set_new(cpu, "period", json_integer((json_int_t)CPU_PERIOD_US));
        }
        if (l->cpu_weight)
                bad |= json_object_set_new(cpu, "shares",
                                           json_integer(2 + ((json_int_t)(l->cpu_weight - 1) * 262142 + 9998) / 9999));
        if (cpu)
                bad |= json_object_set_new(res, "cpu", cpu);
        if (l->pids)
                bad |= json_object_set_new(res, "pids", json_pack("{s:I}", "limit", (json_int_t)l->pids));
        if (l->io_weight)
                bad |= json_object_set_new(res, "blockIO", json_pack("{s:I}", "weight",
                                                                     10 + ((json_int_t)(l->io_weight - 1) * 990 + 9998) / 9999));
        /* Deny every device but the runtime's default set (null, zero, full, tty, random, urandom, ptmx). */
        if (!def->privileged)
                bad |= json_object_set_new(res, "devices", json_pack("[{s:b, s:s}]", "allow", false, "access", "rwm"));
        if (bad)
                return -ENOMEM;
        *ret = TAKE_PTR(res);
        return 0;
}

static int seccomp_json(const struct ctr_ct_def *def, uint64_t caps, json_t **ret, struct bv_error *err)
{
        cap_value_t admin = CAP_SYS_ADMIN, ptrace = CAP_SYS_PTRACE;
        int r;

        *ret = NULL;
        if (def->privileged || strcmp(def->seccomp, "none") == 0)
                return 0;
        if (strcmp(def->seccomp, "default") == 0) {
                *ret = ctr_ct_seccomp_default(caps & (1ULL << admin), caps & (1ULL << ptrace));
                return *ret ? 0 : -ENOMEM;
        }
        r = bv_json_load_file(def->seccomp, SECCOMP_FILE_MAX, ret, err);
        if (r < 0)
                return bv_error_prefix(err, "seccomp profile '%s'", def->seccomp);
        return 0;
}

int ctr_ct_spec(const struct ctr_ct_def *def, const struct ctr_ct_paths *p, json_t **ret_config,
                struct bv_error *err)
{
        uint64_t caps = cap_mask(def);
        uint32_t base = p->userns_base ? p->userns_base : def->userns_base;
        json_auto_t *proc = NULL, *mounts = NULL, *res = NULL, *seccomp = NULL, *ns = NULL, *lx = NULL,
                    *cfg = NULL;
        char cgpath[128];
        int r, bad = 0;

        if (!p->rootfs || p->rootfs[0] != '/')
                return bv_error_set(err, EINVAL, "The rootfs of container '%s' must be an absolute path", def->name);
        if (def->userns && !base)
                return bv_error_set(err, EINVAL, "Container '%s' uses a user namespace but has no userns_base",
                                    def->name);
        if (!(proc = process_json(def, caps)))
                return -ENOMEM;
        if ((r = mounts_json(def, p, &mounts)) < 0 || (r = resources_json(def, &res)) < 0)
                return r;
        if ((r = seccomp_json(def, caps, &seccomp, err)) < 0)
                return r;

        ns = json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}]", "type", "pid", "type", "mount", "type", "ipc",
                       "type", "uts", "type", "cgroup");
        if (!ns)
                return -ENOMEM;
        bad |= json_array_append_new(ns, p->netns ? json_pack("{s:s, s:s}", "type", "network", "path", p->netns)
                                                  : json_pack("{s:s}", "type", "network"));
        if (def->userns)
                bad |= json_array_append_new(ns, p->userns ? json_pack("{s:s, s:s}", "type", "user", "path", p->userns)
                                                           : json_pack("{s:s}", "type", "user"));

        if (p->cgroups_path)
                snprintf(cgpath, sizeof(cgpath), "%s", p->cgroups_path);
        else
                snprintf(cgpath, sizeof(cgpath), "/barevirt/%s", def->name);
        lx = json_pack("{s:O, s:O, s:s}", "namespaces", ns, "resources", res, "cgroupsPath", cgpath);
        if (!lx)
                return -ENOMEM;
        if (def->userns) {
                bad |= json_object_set_new(lx, "uidMappings",
                                           json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                                     (json_int_t)base, "size", CTR_CT_USERNS_SIZE));
                bad |= json_object_set_new(lx, "gidMappings",
                                           json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                                     (json_int_t)base, "size", CTR_CT_USERNS_SIZE));
        }
        if (!def->privileged) {
                bad |= json_object_set_new(lx, "maskedPaths", strv_json(masked_paths));
                bad |= json_object_set_new(lx, "readonlyPaths", strv_json(readonly_paths));
        }
        if (seccomp)
                bad |= json_object_set(lx, "seccomp", seccomp);

        cfg = json_pack("{s:s, s:O, s:{s:s, s:b}, s:s, s:O, s:O, s:{s:s}}", "ociVersion", CTR_OCI_VERSION,
                        "process", proc, "root", "path", p->rootfs, "readonly", false, "hostname", def->hostname,
                        "mounts", mounts, "linux", lx, "annotations", "org.barevirt.container", def->name);
        if (!cfg || bad)
                return -ENOMEM;

        /* A profile file is the user's: let the runtime's parser judge it now, with its JSON path. */
        if (seccomp && strcmp(def->seccomp, "default") != 0) {
                _cleanup_free_ char *text = bv_json_dumps(cfg);
                struct ctr_config *c = NULL;
                if (!text)
                        return -ENOMEM;
                r = ctr_config_parse(text, strlen(text), &c, err);
                ctr_config_free(c);
                if (r < 0)
                        return bv_error_prefix(err, "seccomp profile '%s'", def->seccomp);
        }
        *ret_config = TAKE_PTR(cfg);
        return 0;
}

static bool limit_set(const struct ctr_ct_limits *l, const char *name)
{
        if (strcmp(name, "memory") == 0)
                return l->memory_mib;
        if (strcmp(name, "memory_swap") == 0)
                return l->memory_swap_mib;
        if (strcmp(name, "cpus") == 0)
                return l->cpus > 0;
        if (strcmp(name, "cpu_weight") == 0)
                return l->cpu_weight;
        if (strcmp(name, "pids") == 0)
                return l->pids;
        if (strcmp(name, "io_weight") == 0)
                return l->io_weight;
        return false;
}

/*
 * Whether limit k can be enforced here: through the v1 hierarchy of its
 * controller where that is mounted (and has the file it needs), else the
 * v2 root. How (or why not) into buf; true when it can.
 */
static bool limit_how(const struct ctr_cgroup_info *cg, size_t k, char *buf, size_t len)
{
        const char *m = ctr_cgroup_v1_mount(cg, limit_controllers[k].v1_controller);
        const char *files = limit_controllers[k].v1_files;
        char file[64];

        if (m) {
                for (unsigned i = 0; !files || ctr_cgv1_file_pick(NULL, files, i, file, sizeof(file)); i++)
                        if (!files || ctr_cgv1_file_pick(m, files, i, file, sizeof(file))) {
                                snprintf(buf, len, "cgroup v1 '%s' (%s)", limit_controllers[k].v1_controller, m);
                                return true;
                        }
                snprintf(buf, len, "the cgroup v1 '%s' hierarchy (%s) has no %s%s", limit_controllers[k].v1_controller,
                         m, files, strcmp(limit_controllers[k].limit, "memory_swap") == 0 ? " (no swap accounting)"
                                   : strcmp(limit_controllers[k].limit, "io_weight") == 0 ? " (no BFQ or CFQ I/O scheduler)" : "");
                return false;
        }
        if (ctr_cgroup_v2_has(cg, limit_controllers[k].controller)) {
                snprintf(buf, len, "cgroup v2 '%s' (%s)", limit_controllers[k].controller, cg->v2_root);
                return true;
        }
        snprintf(buf, len, "neither a cgroup v1 '%s' hierarchy nor the cgroup v2 '%s' controller is available (%s cgroups)",
                 limit_controllers[k].v1_controller, limit_controllers[k].controller, ctr_cgroup_mode_name(cg->mode));
        return false;
}

bool ctr_ct_limit_supported(const struct ctr_cgroup_info *cg, const char *limit)
{
        char how[256];

        for (size_t i = 0; i < BV_ELEMENTSOF(limit_controllers); i++)
                if (strcmp(limit, limit_controllers[i].limit) == 0)
                        return limit_how(cg, i, how, sizeof(how));
        return false;
}

int ctr_ct_limits_check(const struct ctr_ct_def *def, const struct ctr_cgroup_info *cg, struct bv_error *err)
{
        char how[256];

        for (size_t i = 0; i < BV_ELEMENTSOF(limit_controllers); i++) {
                if (!limit_set(&def->limits, limit_controllers[i].limit) || limit_how(cg, i, how, sizeof(how)))
                        continue;
                return bv_error_set(err, EOPNOTSUPP, "Limit '%s' cannot be enforced on this host: %s",
                                    limit_controllers[i].limit, how);
        }
        return 0;
}

json_t *ctr_ct_limits_available(const struct ctr_cgroup_info *cg)
{
        json_t *o = json_object();
        char how[256];

        for (size_t i = 0; o && i < BV_ELEMENTSOF(limit_controllers); i++) {
                bool ok = limit_how(cg, i, how, sizeof(how));
                if (json_object_set_new(o, limit_controllers[i].limit,
                                        json_pack("{s:b,s:s}", "supported", ok, ok ? "via" : "reason", how)) < 0) {
                        json_decref(o);
                        return NULL;
                }
        }
        return o;
}
