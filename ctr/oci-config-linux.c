/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.json, the "linux" object: namespaces, id maps, devices, sysctl,
 * seccomp, resources (turned into cgroup v2 file writes and device rules)
 * and cgroupsPath. Same rules as ctr/oci-config.c: bounded arrays, typed
 * fields, the JSON path in every refusal.
 */
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"


static const struct {
        const char *name, *proc;
        int flag;
} ns_table[CTR_NS_MAX] = {
        [CTR_NS_USER] = { "user", "user", CLONE_NEWUSER },
        [CTR_NS_MOUNT] = { "mount", "mnt", CLONE_NEWNS },
        [CTR_NS_PID] = { "pid", "pid", CLONE_NEWPID },
        [CTR_NS_NET] = { "network", "net", CLONE_NEWNET },
        [CTR_NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
        [CTR_NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
        [CTR_NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
        [CTR_NS_TIME] = { "time", "time", CLONE_NEWTIME },
};

const char *ctr_ns_name(enum ctr_ns_type t) { return ns_table[t].name; }
const char *ctr_ns_proc_name(enum ctr_ns_type t) { return ns_table[t].proc; }
int ctr_ns_flag(enum ctr_ns_type t) { return ns_table[t].flag; }

static int parse_idmaps(json_t *arr, const char *path, struct ctr_idmap **ret, size_t *ret_n,
                        struct bv_error *err)
{
        char ip[P_MAX];
        json_t *item;
        int r;

        if (json_array_size(arr) > 340)
                return bv_error_set(err, E2BIG, "%s: more than 340 entries", path);
        *ret = calloc(json_array_size(arr) + 1, sizeof(**ret));
        if (!*ret)
                return -ENOMEM;
        FOR_OBJECTS(arr, i, item, path, ip, err) {
                int64_t c, h, s;
                bool hc, hh, hs;
                if ((r = ctr_cfg_get_int(item, "containerID", ip, 0, UINT32_MAX - 1, &c, &hc, err)) < 0 ||
                    (r = ctr_cfg_get_int(item, "hostID", ip, 0, UINT32_MAX - 1, &h, &hh, err)) < 0 ||
                    (r = ctr_cfg_get_int(item, "size", ip, 1, UINT32_MAX, &s, &hs, err)) < 0)
                        return r;
                if (!hc || !hh || !hs)
                        return bv_error_set(err, EINVAL, "%s: needs containerID, hostID and size", ip);
                (*ret)[i] = (struct ctr_idmap){ (uint32_t)c, (uint32_t)h, (uint32_t)s };
                (*ret_n)++;
        }
        return 0;
}

static int parse_namespaces(json_t *arr, struct ctr_config *cfg, struct bv_error *err)
{
        char ip[P_MAX];
        json_t *item;
        int r;

        if ((r = ctr_cfg_check_count(arr, "linux.namespaces", err)) < 0)
                return r;
        FOR_OBJECTS(arr, i, item, "linux.namespaces", ip, err) {
                const char *type = NULL, *path = NULL;
                if ((r = ctr_cfg_get_str(item, "type", ip, &type, err)) < 0 ||
                    (r = ctr_cfg_get_str(item, "path", ip, &path, err)) < 0)
                        return r;
                if (!type)
                        return bv_error_set(err, EINVAL, "%s.type: missing", ip);
                int t = -1;
                for (int k = 0; k < CTR_NS_MAX; k++)
                        if (strcmp(ns_table[k].name, type) == 0)
                                t = k;
                if (t < 0)
                        return bv_error_set(err, EINVAL, "%s.type: unknown namespace type '%s'", ip, type);
                if (cfg->ns[t].enabled)
                        return bv_error_set(err, EINVAL, "%s.type: namespace '%s' given twice", ip, type);
                if (path && (path[0] != '/' || !*path))
                        return bv_error_set(err, EINVAL, "%s.path: '%s' is not an absolute path", ip, path);
                cfg->ns[t].enabled = true;
                cfg->ns[t].path = path && *path ? path : NULL;
        }
        return 0;
}

static int parse_devices(json_t *arr, struct ctr_config *cfg, struct bv_error *err)
{
        char ip[P_MAX];
        json_t *item;
        void *devices;
        int r;

        if ((r = ctr_cfg_array_alloc(arr, "linux.devices", sizeof(*cfg->devices), &devices, err)) < 0)
                return r;
        cfg->devices = devices;
        FOR_OBJECTS(arr, i, item, "linux.devices", ip, err) {
                struct ctr_device *d = &cfg->devices[cfg->n_devices];
                const char *type = NULL;
                int64_t v;
                bool has;
                if ((r = ctr_cfg_get_str(item, "path", ip, &d->path, err)) < 0 ||
                    (r = ctr_cfg_get_str(item, "type", ip, &type, err)) < 0)
                        return r;
                if (!d->path || strncmp(d->path, "/dev/", 5) != 0 || strstr(d->path, ".."))
                        return bv_error_set(err, EINVAL, "%s.path: must be a path under /dev", ip);
                if (!type || strlen(type) != 1 || !strchr("cbup", type[0]))
                        return bv_error_set(err, EINVAL, "%s.type: expected 'c', 'b', 'u' or 'p'", ip);
                d->type = type[0];
                if ((r = ctr_cfg_get_int(item, "major", ip, 0, UINT32_MAX, &d->major, &has, err)) < 0)
                        return r;
                if (!has && d->type != 'p')
                        return bv_error_set(err, EINVAL, "%s.major: missing", ip);
                if ((r = ctr_cfg_get_int(item, "minor", ip, 0, UINT32_MAX, &d->minor, &has, err)) < 0)
                        return r;
                if (!has && d->type != 'p')
                        return bv_error_set(err, EINVAL, "%s.minor: missing", ip);
                if ((r = ctr_cfg_get_int(item, "fileMode", ip, 0, 07777, &v, &has, err)) < 0)
                        return r;
                d->mode = has ? (mode_t)v : 0666;
                if ((r = ctr_cfg_get_ids(item, ip, &d->uid, &d->gid, err)) < 0)
                        return r;
                cfg->n_devices++;
        }
        return 0;
}

static int parse_sysctl(json_t *obj, struct ctr_config *cfg, struct bv_error *err)
{
        const char *key;
        json_t *v;

        if (json_object_size(obj) > CTR_MAX_ARRAY)
                return bv_error_set(err, E2BIG, "linux.sysctl: too many entries");
        cfg->sysctls = calloc(json_object_size(obj) + 1, sizeof(*cfg->sysctls));
        if (!cfg->sysctls)
                return -ENOMEM;
        json_object_foreach(obj, key, v) {
                if (!json_is_string(v))
                        return bv_error_set(err, EINVAL, "linux.sysctl.%s: expected a string, got %s", key,
                                            ctr_cfg_type_name(v));
                /* Defends against "../../" keys writing outside /proc/sys. */
                if (!*key || strstr(key, "..") || key[0] == '.' || key[0] == '/' ||
                    strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") !=
                            strlen(key))
                        return bv_error_set(err, EINVAL, "linux.sysctl: invalid key '%s'", key);
                cfg->sysctls[cfg->n_sysctls++] = (struct ctr_sysctl){ key, json_string_value(v) };
        }
        return 0;
}

static const struct { const char *name; uint32_t act; } seccomp_actions[] = {
        { "SCMP_ACT_KILL", SCMP_ACT_KILL }, { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
        { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS }, { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
        { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(EPERM) }, { "SCMP_ACT_TRACE", SCMP_ACT_TRACE(EPERM) },
        { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW }, { "SCMP_ACT_LOG", SCMP_ACT_LOG },
};

static int seccomp_action(json_t *obj, const char *key, const char *path, uint32_t *ret,
                          struct bv_error *err)
{
        const char *s = NULL;
        int64_t e;
        bool has;
        int r = ctr_cfg_get_str(obj, key, path, &s, err);
        if (r < 0)
                return r;
        if (!s)
                return bv_error_set(err, EINVAL, "%s.%s: missing", path, key);
        for (size_t k = 0; k < BV_ELEMENTSOF(seccomp_actions); k++)
                if (strcmp(s, seccomp_actions[k].name) == 0) {
                        *ret = seccomp_actions[k].act;
                        if ((r = ctr_cfg_get_int(obj, "errnoRet", path, 0, 4095, &e, &has, err)) < 0)
                                return r;
                        if (has && strcmp(s, "SCMP_ACT_ERRNO") == 0)
                                *ret = SCMP_ACT_ERRNO((uint32_t)e);
                        else if (has && strcmp(s, "SCMP_ACT_TRACE") == 0)
                                *ret = SCMP_ACT_TRACE((uint32_t)e);
                        return 0;
                }
        return bv_error_set(err, EINVAL, "%s.%s: unknown seccomp action '%s'", path, key, s);
}

/* linux.seccomp.architectures: SCMP_ARCH_* names into libseccomp's numbers. */
static int parse_seccomp_arches(json_t *obj, const char *path, struct ctr_seccomp *s, struct bv_error *err)
{
        _cleanup_free_ const char **arches = NULL;
        size_t n_arches = 0;
        int r;

        if ((r = ctr_cfg_get_str_array(obj, "architectures", path, &arches, &n_arches, err)) < 0)
                return r;
        s->arches = calloc(n_arches + 1, sizeof(uint32_t));
        if (!s->arches)
                return -ENOMEM;
        for (size_t i = 0; i < n_arches; i++) {
                const char *n = arches[i];
                if (strncmp(n, "SCMP_ARCH_", 10) != 0)
                        return bv_error_set(err, EINVAL, "%s.architectures[%zu]: unknown '%s'", path, i, n);
                char lower[32];
                size_t k;
                for (k = 0; n[10 + k] && k < sizeof(lower) - 1; k++)
                        lower[k] = (char)(n[10 + k] >= 'A' && n[10 + k] <= 'Z' ? n[10 + k] + 32 : n[10 + k]);
                lower[k] = 0;
                uint32_t arch = seccomp_arch_resolve_name(lower);
                if (!arch)
                        return bv_error_set(err, EINVAL, "%s.architectures[%zu]: unknown '%s'", path, i, n);
                s->arches[s->n_arches++] = arch;
        }
        return 0;
}

/* linux.seccomp.flags. */
static int parse_seccomp_flags(json_t *obj, const char *path, struct ctr_seccomp *s, struct bv_error *err)
{
        _cleanup_free_ const char **flags = NULL;
        size_t n_flags = 0;
        int r;

        if ((r = ctr_cfg_get_str_array(obj, "flags", path, &flags, &n_flags, err)) < 0)
                return r;
        for (size_t i = 0; i < n_flags; i++) {
                if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_LOG") == 0)
                        s->flag_log = true;
                else if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
                        s->flag_spec_allow = true;
                else if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_TSYNC") == 0)
                        s->flag_tsync = true;
                else
                        return bv_error_set(err, EINVAL, "%s.flags[%zu]: unknown flag '%s'", path, i, flags[i]);
        }
        return 0;
}

/* One argument condition of a syscall rule. */
static int parse_seccomp_arg(json_t *arg, const char *argp, struct ctr_seccomp_arg *sa, struct bv_error *err)
{
        static const struct { const char *name; int op; } ops[] = {
                { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
                { "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
                { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
                { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
        };
        const char *op = NULL;
        int64_t idx;
        bool has;
        int r;

        if ((r = ctr_cfg_get_int(arg, "index", argp, 0, 5, &idx, &has, err)) < 0)
                return r;
        if (!has)
                return bv_error_set(err, EINVAL, "%s.index: missing", argp);
        sa->index = (unsigned)idx;
        if ((r = ctr_cfg_get_u64(arg, "value", argp, &sa->value, NULL, err)) < 0 ||
            (r = ctr_cfg_get_u64(arg, "valueTwo", argp, &sa->value2, NULL, err)) < 0 ||
            (r = ctr_cfg_get_str(arg, "op", argp, &op, err)) < 0)
                return r;
        sa->op = 0;
        for (size_t k = 0; op && k < BV_ELEMENTSOF(ops); k++)
                if (strcmp(op, ops[k].name) == 0)
                        sa->op = ops[k].op;
        if (!sa->op)
                return bv_error_set(err, EINVAL, "%s.op: unknown operator '%s'", argp, op ? op : "");
        return 0;
}

/* One linux.seccomp.syscalls entry (counted in *n_rules once its names are read, so they are freed). */
static int parse_seccomp_rule(json_t *item, const char *ip, struct ctr_seccomp_rule *rule, size_t *n_rules,
                              struct bv_error *err)
{
        char ap[P_MAX], argp[P_MAX];
        json_t *a, *arg;
        int r;

        if ((r = ctr_cfg_get_str_array(item, "names", ip, &rule->names, NULL, err)) < 0)
                return r;
        (*n_rules)++;
        if (!rule->names || !rule->names[0])
                return bv_error_set(err, EINVAL, "%s.names: missing", ip);
        if ((r = seccomp_action(item, "action", ip, &rule->action, err)) < 0)
                return r;
        if ((r = ctr_cfg_get(item, "args", JSON_ARRAY, ip, &a, err)) < 0)
                return r;
        if (json_array_size(a) > CTR_SECCOMP_MAX_ARGS)
                return bv_error_set(err, E2BIG, "%s.args: more than %d entries", ip, CTR_SECCOMP_MAX_ARGS);
        snprintf(ap, sizeof(ap), "%s.args", ip);
        FOR_OBJECTS(a, j, arg, ap, argp, err) {
                if ((r = parse_seccomp_arg(arg, argp, &rule->args[rule->n_args], err)) < 0)
                        return r;
                rule->n_args++;
        }
        return 0;
}

static int parse_seccomp(json_t *obj, struct ctr_config *cfg, struct bv_error *err)
{
        struct ctr_seccomp *s = calloc(1, sizeof(*s));
        const char *path = "linux.seccomp";
        char ip[P_MAX];
        json_t *v, *item;
        void *rules;
        int r;

        if (!s)
                return -ENOMEM;
        cfg->seccomp = s;
        if ((r = seccomp_action(obj, "defaultAction", path, &s->default_action, err)) < 0)
                return r;
        if ((r = ctr_cfg_get_int(obj, "defaultErrnoRet", path, 0, 4095, &(int64_t){ 0 }, NULL, err)) < 0)
                return r;
        json_t *der = json_object_get(obj, "defaultErrnoRet");
        if (json_is_integer(der) && s->default_action == SCMP_ACT_ERRNO(EPERM))
                s->default_action = SCMP_ACT_ERRNO((uint32_t)json_integer_value(der));
        if ((r = parse_seccomp_arches(obj, path, s, err)) < 0 || (r = parse_seccomp_flags(obj, path, s, err)) < 0 ||
            (r = ctr_cfg_get(obj, "syscalls", JSON_ARRAY, path, &v, err)) < 0)
                return r;
        if (!v)
                return 0;
        if ((r = ctr_cfg_array_alloc(v, "linux.seccomp.syscalls", sizeof(*s->rules), &rules, err)) < 0)
                return r;
        s->rules = rules;
        FOR_OBJECTS(v, i, item, "linux.seccomp.syscalls", ip, err)
                if ((r = parse_seccomp_rule(item, ip, &s->rules[s->n_rules], &s->n_rules, err)) < 0)
                        return r;
        return 0;
}

static int cgw_add(struct ctr_config *cfg, const char *controller, const char *file,
                   const char *json_path, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int cgw_v1(struct ctr_config *cfg, const char *controller, const char *file, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* A write in its v2 form (file "" and fmt "": none, only a v1 form follows through cgw_v1()). */
static int cgw_add(struct ctr_config *cfg, const char *controller, const char *file,
                   const char *json_path, const char *fmt, ...)
{
        if (cfg->n_cgroup_writes >= 64)
                return -E2BIG;
        struct ctr_cgroup_write *w = realloc(cfg->cgroup_writes, (cfg->n_cgroup_writes + 1) * sizeof(*w));
        if (!w)
                return -ENOMEM;
        cfg->cgroup_writes = w;
        w = &w[cfg->n_cgroup_writes++];
        memset(w, 0, sizeof(*w));
        w->controller = controller;
        w->json_path = json_path;
        snprintf(w->file, sizeof(w->file), "%s", file);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->value, sizeof(w->value), fmt, ap);
        va_end(ap);
        return 0;
}

/* The v1 form of the write cgw_add() just added. */
static int cgw_v1(struct ctr_config *cfg, const char *controller, const char *file, const char *fmt, ...)
{
        struct ctr_cgroup_write *w = &cfg->cgroup_writes[cfg->n_cgroup_writes - 1];
        va_list ap;

        w->v1_controller = controller;
        snprintf(w->v1_file, sizeof(w->v1_file), "%s", file);
        va_start(ap, fmt);
        vsnprintf(w->v1_value, sizeof(w->v1_value), fmt, ap);
        va_end(ap);
        return 0;
}

/* A knob only cgroup v1 has. */
static int cgw_v1_only(struct ctr_config *cfg, const char *controller, const char *file, const char *json_path,
                       const char *value)
{
        int r = cgw_add(cfg, NULL, "", json_path, "%s", "");
        return r < 0 ? r : cgw_v1(cfg, controller, file, "%s", value);
}

/* linux.resources.memory: limit, reservation, swap (memory plus swap in the spec and v1, swap alone in v2). */
static int parse_memory_limits(json_t *o, struct ctr_config *cfg, struct bv_error *err)
{
        int64_t lim = -1, i64;
        bool has_lim, has;
        int r;

        if ((r = ctr_cfg_get_int(o, "limit", "linux.resources.memory", -1, INT64_MAX, &lim, &has_lim, err)) < 0)
                return r;
        if (has_lim && lim >= 0 &&
            ((r = cgw_add(cfg, "memory", "memory.max", "linux.resources.memory.limit", "%lld", (long long)lim)) < 0 ||
             (r = cgw_v1(cfg, "memory", "memory.limit_in_bytes", "%lld", (long long)lim)) < 0))
                return r;
        if ((r = ctr_cfg_get_int(o, "reservation", "linux.resources.memory", -1, INT64_MAX, &i64, &has, err)) < 0)
                return r;
        if (has && i64 >= 0 &&
            ((r = cgw_add(cfg, "memory", "memory.low", "linux.resources.memory.reservation", "%lld",
                          (long long)i64)) < 0 ||
             (r = cgw_v1(cfg, "memory", "memory.soft_limit_in_bytes", "%lld", (long long)i64)) < 0))
                return r;
        if ((r = ctr_cfg_get_int(o, "swap", "linux.resources.memory", -1, INT64_MAX, &i64, &has, err)) < 0)
                return r;
        if (!has || i64 < 0)
                return 0;
        if (has_lim && lim >= 0 && i64 < lim)
                return bv_error_set(err, EINVAL, "linux.resources.memory.swap: below memory.limit");
        if (!has_lim || lim < 0)
                return cgw_add(cfg, "memory", "memory.swap.max", "linux.resources.memory.swap", "max");
        /* v1 limits memory plus swap in memsw, which exists only with swap accounting; without it, no swap limit. */
        if ((r = cgw_add(cfg, "memory", "memory.swap.max", "linux.resources.memory.swap", "%lld",
                         (long long)(i64 - lim))) < 0)
                return r;
        cgw_v1(cfg, "memory", "memory.memsw.limit_in_bytes", "%lld", (long long)i64);
        cfg->cgroup_writes[cfg->n_cgroup_writes - 1].v1_optional = true;
        return 0;
}

/* linux.resources.memory: the limits, and the knobs only v1 has (the OOM killer, swappiness). */
static int parse_memory(json_t *o, struct ctr_config *cfg, struct bv_error *err)
{
        uint64_t u;
        bool has, b = false;
        int r;

        if ((r = parse_memory_limits(o, cfg, err)) < 0)
                return r;
        if ((r = ctr_cfg_get_bool(o, "disableOOMKiller", "linux.resources.memory", &b, err)) < 0)
                return r;
        if (b && (r = cgw_v1_only(cfg, "memory", "memory.oom_control", "linux.resources.memory.disableOOMKiller",
                                  "1")) < 0)
                return r;
        if ((r = ctr_cfg_get_u64(o, "swappiness", "linux.resources.memory", &u, &has, err)) < 0)
                return r;
        if (has && u > 100 && u != UINT64_MAX)
                return bv_error_set(err, EINVAL, "linux.resources.memory.swappiness: %llu is above 100",
                                    (unsigned long long)u);
        if (has && u <= 100) {
                char v[8];
                snprintf(v, sizeof(v), "%llu", (unsigned long long)u);
                if ((r = cgw_v1_only(cfg, "memory", "memory.swappiness", "linux.resources.memory.swappiness", v)) < 0)
                        return r;
        }
        return 0;
}

/* linux.resources.cpu quota and period: v2 cpu.max, v1 the period and then the quota. */
static int parse_cpu_quota(json_t *o, struct ctr_config *cfg, struct bv_error *err)
{
        int64_t quota = 0;
        uint64_t period = 0;
        bool has_q, has_p;
        int r;

        if ((r = ctr_cfg_get_int(o, "quota", "linux.resources.cpu", -1, INT64_MAX, &quota, &has_q, err)) < 0 ||
            (r = ctr_cfg_get_u64(o, "period", "linux.resources.cpu", &period, &has_p, err)) < 0)
                return r;
        if (!((has_q && quota != 0) || (has_p && period != 0)))
                return 0;
        if (!period)
                period = 100000;
        if ((r = quota > 0 ? cgw_add(cfg, "cpu", "cpu.max", "linux.resources.cpu.quota", "%lld %llu",
                                     (long long)quota, (unsigned long long)period)
                           : cgw_add(cfg, "cpu", "cpu.max", "linux.resources.cpu.quota", "max %llu",
                                     (unsigned long long)period)) < 0)
                return r;
        cgw_v1(cfg, "cpu", "cpu.cfs_period_us", "%llu", (unsigned long long)period);
        char q[24];
        snprintf(q, sizeof(q), "%lld", quota > 0 ? (long long)quota : -1LL);
        return cgw_v1_only(cfg, "cpu", "cpu.cfs_quota_us", "linux.resources.cpu.quota", q);
}

/* linux.resources.cpu: shares, quota and period, cpus and mems. */
static int parse_cpu(json_t *o, struct ctr_config *cfg, struct bv_error *err)
{
        uint64_t u;
        bool has;
        const char *s = NULL;
        int r;

        if ((r = ctr_cfg_get_u64(o, "shares", "linux.resources.cpu", &u, &has, err)) < 0)
                return r;
        if (has && u > 0) {
                /* The conversion runc and crun use: [2, 262144] -> [1, 10000]; v1 takes the shares as they are. */
                uint64_t w = u < 2 ? 2 : u > 262144 ? 262144 : u;
                if ((r = cgw_add(cfg, "cpu", "cpu.weight", "linux.resources.cpu.shares", "%llu",
                                 (unsigned long long)(1 + ((w - 2) * 9999) / 262142))) < 0)
                        return r;
                cgw_v1(cfg, "cpu", "cpu.shares", "%llu", (unsigned long long)w);
        }
        if ((r = parse_cpu_quota(o, cfg, err)) < 0)
                return r;
        if ((r = ctr_cfg_get_str(o, "cpus", "linux.resources.cpu", &s, err)) < 0)
                return r;
        if (s && *s && ((r = cgw_add(cfg, "cpuset", "cpuset.cpus", "linux.resources.cpu.cpus", "%s", s)) < 0 ||
                        (r = cgw_v1(cfg, "cpuset", "cpuset.cpus", "%s", s)) < 0))
                return r;
        if ((r = ctr_cfg_get_str(o, "mems", "linux.resources.cpu", &s, err)) < 0)
                return r;
        if (s && *s && ((r = cgw_add(cfg, "cpuset", "cpuset.mems", "linux.resources.cpu.mems", "%s", s)) < 0 ||
                        (r = cgw_v1(cfg, "cpuset", "cpuset.mems", "%s", s)) < 0))
                return r;
        return 0;
}

/* linux.resources.pids.limit. */
static int parse_pids(json_t *o, struct ctr_config *cfg, struct bv_error *err)
{
        int64_t i64;
        bool has;
        int r;

        if ((r = ctr_cfg_get_int(o, "limit", "linux.resources.pids", INT64_MIN, INT64_MAX, &i64, &has, err)) < 0)
                return r;
        /* 0 and -1 mean unlimited: the default, which needs no controller. */
        if (has && i64 > 0 &&
            ((r = cgw_add(cfg, "pids", "pids.max", "linux.resources.pids.limit", "%lld", (long long)i64)) < 0 ||
             (r = cgw_v1(cfg, "pids", "pids.max", "%lld", (long long)i64)) < 0))
                return r;
        return 0;
}

/* One linux.resources.blockIO per-device list: weights (io.weight) or one of the four throttles (io.max). */
static int parse_blockio_devices(json_t *o, const char *key, const char *v2_key, const char *v1_file,
                                 struct ctr_config *cfg, struct bv_error *err)
{
        char ip[P_MAX], path[P_MAX];
        json_t *item, *v = json_object_get(o, key);
        uint64_t major, minor, rate;
        bool has_maj, has_min, has;
        int r;

        if (!v || json_is_null(v))
                return 0;
        snprintf(path, sizeof(path), "linux.resources.blockIO.%s", key);
        if (!json_is_array(v))
                return bv_error_set(err, EINVAL, "%s: expected an array", path);
        FOR_OBJECTS(v, i, item, path, ip, err) {
                const char *rk = v2_key ? "rate" : "weight";
                if ((r = ctr_cfg_get_u64(item, "major", ip, &major, &has_maj, err)) < 0 ||
                    (r = ctr_cfg_get_u64(item, "minor", ip, &minor, &has_min, err)) < 0 ||
                    (r = ctr_cfg_get_u64(item, rk, ip, &rate, &has, err)) < 0)
                        return r;
                if (!has_maj || !has_min || major > UINT32_MAX || minor > UINT32_MAX)
                        return bv_error_set(err, EINVAL, "%s: major and minor are required", ip);
                if (!has)
                        continue;
                if (!v2_key && (rate < 10 || rate > 1000))
                        return bv_error_set(err, EINVAL, "%s.weight: %llu is outside 10-1000", ip,
                                            (unsigned long long)rate);
                r = v2_key ? cgw_add(cfg, "io", "io.max", "linux.resources.blockIO", "%llu:%llu %s=%llu",
                                     (unsigned long long)major, (unsigned long long)minor, v2_key,
                                     (unsigned long long)rate)
                           : cgw_add(cfg, "io", "io.weight", "linux.resources.blockIO.weightDevice", "%llu:%llu %llu",
                                     (unsigned long long)major, (unsigned long long)minor,
                                     (unsigned long long)(1 + (rate - 10) * 9999 / 990));
                if (r < 0)
                        return r;
                cgw_v1(cfg, "blkio", v1_file, "%llu:%llu %llu", (unsigned long long)major,
                       (unsigned long long)minor, (unsigned long long)rate);
        }
        return 0;
}

/* linux.resources.blockIO: the weight, per-device weights and throttles. */
static int parse_blockio(json_t *o, struct ctr_config *cfg, struct bv_error *err)
{
        static const struct {
                const char *key, *v2_key, *v1_file;
        } devs[] = {
                { "weightDevice", NULL, "blkio.weight_device|blkio.bfq.weight_device" },
                { "throttleReadBpsDevice", "rbps", "blkio.throttle.read_bps_device" },
                { "throttleWriteBpsDevice", "wbps", "blkio.throttle.write_bps_device" },
                { "throttleReadIOPSDevice", "riops", "blkio.throttle.read_iops_device" },
                { "throttleWriteIOPSDevice", "wiops", "blkio.throttle.write_iops_device" },
        };
        int64_t i64;
        bool has;
        int r;

        if ((r = ctr_cfg_get_int(o, "weight", "linux.resources.blockIO", 0, 1000, &i64, &has, err)) < 0)
                return r;
        if (has && i64 > 0 &&
            ((r = cgw_add(cfg, "io", "io.weight", "linux.resources.blockIO.weight", "default %lld",
                          (long long)(1 + (i64 - 10) * 9999 / 990))) < 0 ||
             (r = cgw_v1(cfg, "blkio", "blkio.weight|blkio.bfq.weight", "%lld", (long long)i64)) < 0))
                return r;
        for (size_t k = 0; k < BV_ELEMENTSOF(devs); k++)
                if ((r = parse_blockio_devices(o, devs[k].key, devs[k].v2_key, devs[k].v1_file, cfg, err)) < 0)
                        return r;
        return 0;
}

/* linux.resources.hugepageLimits: hugetlb.<size>.max (v2), hugetlb.<size>.limit_in_bytes (v1); size as "2MB". */
static int parse_hugepages(json_t *v, struct ctr_config *cfg, struct bv_error *err)
{
        char ip[P_MAX];
        json_t *item;
        uint64_t u;
        bool has;
        int r;

        if ((r = ctr_cfg_check_count(v, "linux.resources.hugepageLimits", err)) < 0)
                return r;
        FOR_OBJECTS(v, i, item, "linux.resources.hugepageLimits", ip, err) {
                const char *size = NULL;
                char file[64], sz[20];
                if ((r = ctr_cfg_get_str(item, "pageSize", ip, &size, err)) < 0 ||
                    (r = ctr_cfg_get_u64(item, "limit", ip, &u, &has, err)) < 0)
                        return r;
                if (!size || !*size || strspn(size, "0123456789") == 0 ||
                    strspn(size, "0123456789KMGB") != strlen(size) || strlen(size) > 16)
                        return bv_error_set(err, EINVAL, "%s.pageSize: invalid", ip);
                /* The kernel names the files "2MB", "1GB"; "2M" is taken as the same. */
                snprintf(sz, sizeof(sz), "%s%s", size, size[strlen(size) - 1] == 'B' ? "" : "B");
                snprintf(file, sizeof(file), "hugetlb.%s.max", sz);
                if ((r = cgw_add(cfg, "hugetlb", file, "linux.resources.hugepageLimits", "%llu",
                                 (unsigned long long)u)) < 0)
                        return r;
                snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", sz);
                cgw_v1(cfg, "hugetlb", file, "%llu", (unsigned long long)u);
        }
        return 0;
}

/* linux.resources.unified: cgroup v2 files by name, each of a known controller (or the core's cgroup.*). */
static int parse_unified(json_t *o, struct ctr_config *cfg, struct bv_error *err)
{
        static const char *const ctrls[] = { "memory", "cpu", "cpuset", "io", "pids", "hugetlb", "rdma", "misc" };
        const char *key;
        json_t *v;
        int r;

        json_object_foreach(o, key, v) {
                if (!json_is_string(v))
                        return bv_error_set(err, EINVAL, "linux.resources.unified.%s: expected a string", key);
                const char *dot = strchr(key, '.');
                if (!dot || strchr(key, '/') || strlen(key) >= 64 || key[0] == '.' || json_string_length(v) >= 96)
                        return bv_error_set(err, EINVAL, "linux.resources.unified: invalid key '%s'", key);
                /* The controller is the prefix; "cgroup.*" files belong to the core. */
                const char *c = NULL;
                for (size_t k = 0; k < BV_ELEMENTSOF(ctrls); k++)
                        if (strlen(ctrls[k]) == (size_t)(dot - key) && strncmp(key, ctrls[k], (size_t)(dot - key)) == 0)
                                c = ctrls[k];
                if (!c && strncmp(key, "cgroup.", 7) != 0)
                        return bv_error_set(err, EINVAL, "linux.resources.unified: unknown controller in '%s'", key);
                if ((r = cgw_add(cfg, c, key, "linux.resources.unified", "%s", json_string_value(v))) < 0)
                        return r;
        }
        return 0;
}

/* One linux.resources.devices rule's major or minor: -1 (any) when absent. */
static int dev_rule_number(json_t *item, const char *key, const char *ip, int64_t *ret, struct bv_error *err)
{
        bool present;
        int r = ctr_cfg_get_int(item, key, ip, -1, UINT32_MAX, ret, &present, err);

        if (r < 0)
                return r;
        if (!present)
                *ret = -1;
        return 0;
}

/* One linux.resources.devices rule. */
static int parse_dev_rule(json_t *item, const char *ip, struct ctr_dev_rule *d, struct bv_error *err)
{
        const char *type = NULL, *access = NULL;
        int r;

        if (!json_is_boolean(json_object_get(item, "allow")))
                return bv_error_set(err, EINVAL, "%s.allow: expected a boolean", ip);
        d->allow = json_is_true(json_object_get(item, "allow"));
        if ((r = ctr_cfg_get_str(item, "type", ip, &type, err)) < 0 ||
            (r = ctr_cfg_get_str(item, "access", ip, &access, err)) < 0)
                return r;
        d->type = type && *type ? type[0] : 'a';
        if (!strchr("acb", d->type) || (type && strlen(type) > 1))
                return bv_error_set(err, EINVAL, "%s.type: expected 'a', 'c' or 'b'", ip);
        if ((r = dev_rule_number(item, "major", ip, &d->major, err)) < 0 ||
            (r = dev_rule_number(item, "minor", ip, &d->minor, err)) < 0)
                return r;
        if (!access || !*access)
                access = "rwm";
        for (const char *a = access; *a; a++) {
                if (*a == 'm')
                        d->access |= 1;
                else if (*a == 'r')
                        d->access |= 2;
                else if (*a == 'w')
                        d->access |= 4;
                else
                        return bv_error_set(err, EINVAL, "%s.access: unknown access '%c'", ip, *a);
        }
        return 0;
}

/* linux.resources.devices: the device cgroup's rules, in order. */
static int parse_dev_rules(json_t *v, struct ctr_config *cfg, struct bv_error *err)
{
        char ip[P_MAX];
        json_t *item;
        void *rules;
        int r;

        if ((r = ctr_cfg_array_alloc(v, "linux.resources.devices", sizeof(*cfg->dev_rules), &rules, err)) < 0)
                return r;
        cfg->dev_rules = rules;
        FOR_OBJECTS(v, i, item, "linux.resources.devices", ip, err) {
                if ((r = parse_dev_rule(item, ip, &cfg->dev_rules[cfg->n_dev_rules], err)) < 0)
                        return r;
                cfg->n_dev_rules++;
        }
        return 0;
}

/*
 * linux.resources -> cgroup v2 file writes. Only what is set produces a
 * write; a write whose controller the host lacks is refused later, in
 * ctr_cgroup_plan(), with the JSON path kept here.
 */
static int parse_resources(json_t *res, struct ctr_config *cfg, struct bv_error *err)
{
        static const struct {
                const char *key;
                json_type type;
                int (*parse)(json_t *v, struct ctr_config *cfg, struct bv_error *err);
        } parts[] = {
                { "memory", JSON_OBJECT, parse_memory }, { "cpu", JSON_OBJECT, parse_cpu },
                { "pids", JSON_OBJECT, parse_pids }, { "blockIO", JSON_OBJECT, parse_blockio },
                { "hugepageLimits", JSON_ARRAY, parse_hugepages }, { "unified", JSON_OBJECT, parse_unified },
                { "devices", JSON_ARRAY, parse_dev_rules },
        };
        static const char *const other[] = { "network", "rdma" };
        json_t *v;
        int r;

        for (size_t k = 0; k < BV_ELEMENTSOF(parts); k++) {
                if ((r = ctr_cfg_get(res, parts[k].key, parts[k].type, "linux.resources", &v, err)) < 0)
                        return r;
                if (v && (r = parts[k].parse(v, cfg, err)) < 0)
                        return r;
        }
        for (size_t k = 0; k < BV_ELEMENTSOF(other); k++) {
                json_t *x = json_object_get(res, other[k]);
                if (x && !json_is_null(x) && json_object_size(x) > 0)
                        return bv_error_set(err, EOPNOTSUPP, "linux.resources.%s: not supported", other[k]);
        }
        return 0;
}

int ctr_config_parse_linux(json_t *lx, struct ctr_config *cfg, struct bv_error *err)
{
        json_t *v;
        const char *s;
        int r;

        if ((r = ctr_cfg_get(lx, "namespaces", JSON_ARRAY, "linux", &v, err)) < 0)
                return r;
        if (v && (r = parse_namespaces(v, cfg, err)) < 0)
                return r;
        if ((r = ctr_cfg_get(lx, "uidMappings", JSON_ARRAY, "linux", &v, err)) < 0)
                return r;
        if (v && (r = parse_idmaps(v, "linux.uidMappings", &cfg->uid_maps, &cfg->n_uid_maps, err)) < 0)
                return r;
        if ((r = ctr_cfg_get(lx, "gidMappings", JSON_ARRAY, "linux", &v, err)) < 0)
                return r;
        if (v && (r = parse_idmaps(v, "linux.gidMappings", &cfg->gid_maps, &cfg->n_gid_maps, err)) < 0)
                return r;
        if ((r = ctr_cfg_get(lx, "devices", JSON_ARRAY, "linux", &v, err)) < 0)
                return r;
        if (v && (r = parse_devices(v, cfg, err)) < 0)
                return r;
        if ((r = ctr_cfg_get_str_array(lx, "maskedPaths", "linux", &cfg->masked_paths, &cfg->n_masked_paths, err)) < 0 ||
            (r = ctr_cfg_get_str_array(lx, "readonlyPaths", "linux", &cfg->readonly_paths, &cfg->n_readonly_paths, err)) < 0)
                return r;
        for (size_t i = 0; i < cfg->n_masked_paths; i++)
                if (cfg->masked_paths[i][0] != '/')
                        return bv_error_set(err, EINVAL, "linux.maskedPaths[%zu]: not an absolute path", i);
        for (size_t i = 0; i < cfg->n_readonly_paths; i++)
                if (cfg->readonly_paths[i][0] != '/')
                        return bv_error_set(err, EINVAL, "linux.readonlyPaths[%zu]: not an absolute path", i);
        if ((r = ctr_cfg_get(lx, "sysctl", JSON_OBJECT, "linux", &v, err)) < 0)
                return r;
        if (v && (r = parse_sysctl(v, cfg, err)) < 0)
                return r;
        if ((r = ctr_cfg_get_str(lx, "rootfsPropagation", "linux", &s, err)) < 0)
                return r;
        if (s && *s && ctr_cfg_propagation_parse(s, &cfg->rootfs_propagation) < 0)
                return bv_error_set(err, EINVAL, "linux.rootfsPropagation: unknown '%s'", s);
        if ((r = ctr_cfg_get(lx, "seccomp", JSON_OBJECT, "linux", &v, err)) < 0)
                return r;
        if (v && (r = parse_seccomp(v, cfg, err)) < 0)
                return r;
        if ((r = ctr_cfg_get(lx, "resources", JSON_OBJECT, "linux", &v, err)) < 0)
                return r;
        if (v && (r = parse_resources(v, cfg, err)) < 0)
                return r;
        if ((r = ctr_cfg_get_str(lx, "cgroupsPath", "linux", &cfg->cgroups_path, err)) < 0)
                return r;
        if (cfg->cgroups_path && (strstr(cfg->cgroups_path, "..") || strlen(cfg->cgroups_path) > 512))
                return bv_error_set(err, EINVAL, "linux.cgroupsPath: '%s' is not allowed", cfg->cgroups_path);
        char rel[2048];
        if (cfg->cgroups_path && *cfg->cgroups_path &&
            (r = ctr_cgroup_rel(cfg->cgroups_path, "x", rel, sizeof(rel), err)) < 0)
                return r;
        /* Checked against the host at create (ctr_lsm_check()). */
        if ((r = ctr_cfg_get_str(lx, "mountLabel", "linux", &cfg->mount_label, err)) < 0)
                return r;
        const char *unsupported[] = { "intelRdt", "personality" };
        for (size_t k = 0; k < BV_ELEMENTSOF(unsupported); k++) {
                json_t *x = json_object_get(lx, unsupported[k]);
                if (x && !json_is_null(x) && !(json_is_string(x) && !*json_string_value(x)) &&
                    !(json_is_object(x) && json_object_size(x) == 0))
                        return bv_error_set(err, EOPNOTSUPP, "linux.%s: not supported", unsupported[k]);
        }
        return 0;
}

