/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.json parsing. The document is untrusted: it is read bounded, with
 * duplicate keys refused (common/json.c), every array is capped at
 * CTR_MAX_ARRAY entries, and every field is checked for its type and range
 * before use. Unknown fields are ignored, as the OCI spec requires; a known
 * field of the wrong shape is refused with its JSON path in the message
 * ("process.args[0]: expected a string"). Strings in the result point into
 * the jansson document the config keeps a reference to. This file has the
 * top level, process, mounts and hooks; ctr/oci-config-linux.c the "linux"
 * object; ctr/oci-config-util.c the typed field helpers.
 */
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

/* ---- process ---- */

static const struct { const char *name; int res; } rlimit_names[] = {
        { "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_CORE", RLIMIT_CORE }, { "RLIMIT_CPU", RLIMIT_CPU },
        { "RLIMIT_DATA", RLIMIT_DATA }, { "RLIMIT_FSIZE", RLIMIT_FSIZE },
        { "RLIMIT_LOCKS", RLIMIT_LOCKS }, { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
        { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
        { "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_NPROC", RLIMIT_NPROC },
        { "RLIMIT_RSS", RLIMIT_RSS }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
        { "RLIMIT_RTTIME", RLIMIT_RTTIME }, { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
        { "RLIMIT_STACK", RLIMIT_STACK },
};

static int parse_caps(json_t *obj, const char *path, struct ctr_process *p, struct bv_error *err)
{
        static const char *sets[CTR_CAP_MAX] = { "bounding", "effective", "permitted",
                                                  "inheritable", "ambient" };
        char pp[P_MAX];
        int r;

        p->has_caps = true;
        for (int s = 0; s < CTR_CAP_MAX; s++) {
                _cleanup_free_ const char **names = NULL;
                size_t n = 0;
                snprintf(pp, sizeof(pp), "%s", path);
                r = ctr_cfg_get_str_array(obj, sets[s], pp, &names, &n, err);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n; i++) {
                        cap_value_t cv;
                        const char *name = names[i];
                        if (cap_from_name(name, &cv) < 0 || strncasecmp(name, "CAP_", 4) != 0)
                                return bv_error_set(err, EINVAL, "%s.%s[%zu]: unknown capability '%s'",
                                                    path, sets[s], i, name);
                        if (cv < 64)
                                p->caps[s] |= 1ULL << cv;
                }
        }
        return 0;
}

struct ctr_process *ctr_process_free(struct ctr_process *p)
{
        if (!p)
                return NULL;
        free(p->args);
        free(p->env);
        free(p->additional_gids);
        free(p->rlimits);
        json_decref(p->json);
        free(p);
        return NULL;
}

BV_DEFINE_CLEANUP(struct ctr_process, ctr_process_free)

/* process.consoleSize. */
static int parse_console_size(json_t *v, const char *path, struct ctr_process *p, struct bv_error *err)
{
        char pp[P_MAX];
        int64_t i64;
        bool has;
        int r;

        snprintf(pp, sizeof(pp), "%s.consoleSize", path);
        if ((r = ctr_cfg_get_int(v, "height", pp, 0, 65535, &i64, &has, err)) < 0)
                return r;
        p->console_height = has ? (unsigned)i64 : 0;
        if ((r = ctr_cfg_get_int(v, "width", pp, 0, 65535, &i64, &has, err)) < 0)
                return r;
        p->console_width = has ? (unsigned)i64 : 0;
        return 0;
}

/* process.user.additionalGids (g may be NULL); pp is the path of the user object. */
static int parse_gids(json_t *g, char pp[P_MAX], const char *path, struct ctr_process *p, struct bv_error *err)
{
        int r;

        snprintf(pp, P_MAX, "%s.user.additionalGids", path);
        if ((r = ctr_cfg_check_count(g, pp, err)) < 0)
                return r;
        if (!g || json_array_size(g) == 0)
                return 0;
        p->additional_gids = calloc(json_array_size(g), sizeof(gid_t));
        if (!p->additional_gids)
                return -ENOMEM;
        for (size_t i = 0; i < json_array_size(g); i++) {
                json_t *x = json_array_get(g, i);
                if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) >= UINT32_MAX)
                        return bv_error_set(err, EINVAL, "%s[%zu]: expected a gid", pp, i);
                p->additional_gids[p->n_additional_gids++] = (gid_t)json_integer_value(x);
        }
        return 0;
}

/* process.user: uid, gid, umask, additionalGids. */
static int parse_user(json_t *v, const char *path, struct ctr_process *p, struct bv_error *err)
{
        char pp[P_MAX];
        int64_t i64;
        json_t *g;
        int r;

        snprintf(pp, sizeof(pp), "%s.user", path);
        if ((r = ctr_cfg_get_ids(v, pp, &p->uid, &p->gid, err)) < 0 ||
            (r = ctr_cfg_get_int(v, "umask", pp, 0, 0777, &i64, &p->has_umask, err)) < 0)
                return r;
        p->umask = (mode_t)i64;
        if ((r = ctr_cfg_get(v, "additionalGids", JSON_ARRAY, pp, &g, err)) < 0)
                return r;
        return parse_gids(g, pp, path, p, err);
}

/* process.rlimits. */
static int parse_rlimits(json_t *v, const char *path, struct ctr_process *p, struct bv_error *err)
{
        char pp[P_MAX], ip[P_MAX];
        json_t *item;
        void *rlimits;
        int r;

        snprintf(pp, sizeof(pp), "%s.rlimits", path);
        if ((r = ctr_cfg_array_alloc(v, pp, sizeof(*p->rlimits), &rlimits, err)) < 0)
                return r;
        p->rlimits = rlimits;
        FOR_OBJECTS(v, i, item, pp, ip, err) {
                const char *type = NULL;
                struct ctr_rlimit *rl = &p->rlimits[p->n_rlimits];
                if ((r = ctr_cfg_get_str(item, "type", ip, &type, err)) < 0)
                        return r;
                if (!type)
                        return bv_error_set(err, EINVAL, "%s.type: missing", ip);
                rl->resource = -1;
                for (size_t k = 0; k < BV_ELEMENTSOF(rlimit_names); k++)
                        if (strcmp(rlimit_names[k].name, type) == 0)
                                rl->resource = rlimit_names[k].res;
                if (rl->resource < 0)
                        return bv_error_set(err, EINVAL, "%s.type: unknown rlimit '%s'", ip, type);
                if ((r = ctr_cfg_get_u64(item, "soft", ip, &rl->soft, NULL, err)) < 0 ||
                    (r = ctr_cfg_get_u64(item, "hard", ip, &rl->hard, NULL, err)) < 0)
                        return r;
                if (rl->soft > rl->hard)
                        return bv_error_set(err, EINVAL, "%s: soft limit above the hard limit", ip);
                p->n_rlimits++;
        }
        return 0;
}

/* process.args, env and cwd (default "/"). */
static int parse_command(json_t *obj, const char *path, struct ctr_process *p, struct bv_error *err)
{
        size_t n_args = 0;
        int r;

        if ((r = ctr_cfg_get_str_array(obj, "args", path, &p->args, &n_args, err)) < 0)
                return r;
        if (n_args == 0)
                return bv_error_set(err, EINVAL, "%s.args: must name the program to run", path);
        if ((r = ctr_cfg_get_str_array(obj, "env", path, &p->env, NULL, err)) < 0)
                return r;
        if (!p->env && !(p->env = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if ((r = ctr_cfg_get_str(obj, "cwd", path, &p->cwd, err)) < 0)
                return r;
        if (!p->cwd)
                p->cwd = "/";
        if (p->cwd[0] != '/')
                return bv_error_set(err, EINVAL, "%s.cwd: '%s' is not an absolute path", path, p->cwd);
        return 0;
}

int ctr_process_parse(json_t *obj, const char *path, struct ctr_process **ret, struct bv_error *err)
{
        _cleanup_(ctr_process_freep) struct ctr_process *p = calloc(1, sizeof(*p));
        char pp[P_MAX];
        json_t *v;
        int64_t i64;
        int r;

        if (!p)
                return -ENOMEM;
        p->json = json_incref(obj);
        if ((r = ctr_cfg_get_bool(obj, "terminal", path, &p->terminal, err)) < 0 ||
            (r = ctr_cfg_get(obj, "consoleSize", JSON_OBJECT, path, &v, err)) < 0 ||
            (v && (r = parse_console_size(v, path, p, err)) < 0) ||
            (r = ctr_cfg_get(obj, "user", JSON_OBJECT, path, &v, err)) < 0 ||
            (v && (r = parse_user(v, path, p, err)) < 0) ||
            (r = parse_command(obj, path, p, err)) < 0 ||
            (r = ctr_cfg_get(obj, "capabilities", JSON_OBJECT, path, &v, err)) < 0)
                return r;
        if (v) {
                snprintf(pp, sizeof(pp), "%s.capabilities", path);
                if ((r = parse_caps(v, pp, p, err)) < 0)
                        return r;
        }
        if ((r = ctr_cfg_get(obj, "rlimits", JSON_ARRAY, path, &v, err)) < 0 ||
            (v && (r = parse_rlimits(v, path, p, err)) < 0) ||
            (r = ctr_cfg_get_bool(obj, "noNewPrivileges", path, &p->no_new_privileges, err)) < 0 ||
            (r = ctr_cfg_get_int(obj, "oomScoreAdj", path, -1000, 1000, &i64, &p->has_oom_score_adj, err)) < 0 ||
            (r = ctr_cfg_get_str(obj, "apparmorProfile", path, &p->apparmor_profile, err)) < 0 ||
            (r = ctr_cfg_get_str(obj, "selinuxLabel", path, &p->selinux_label, err)) < 0)
                return r;
        p->oom_score_adj = (int)i64;
        *ret = TAKE_PTR(p);
        return 0;
}

int ctr_process_load(const char *path, struct ctr_process **ret, struct bv_error *err)
{
        json_t *j = NULL;
        int r = bv_json_load_file(path, CTR_CONFIG_MAX, &j, err);
        if (r < 0)
                return r;
        r = ctr_process_parse(j, "process", ret, err);
        json_decref(j);
        return r;
}

/* ---- mounts ---- */

static const struct {
        const char *name;
        bool clear;
        unsigned long flag;
} mount_flags[] = {
        { "defaults", false, 0 }, { "ro", false, MS_RDONLY }, { "rw", true, MS_RDONLY },
        { "suid", true, MS_NOSUID }, { "nosuid", false, MS_NOSUID }, { "dev", true, MS_NODEV },
        { "nodev", false, MS_NODEV }, { "exec", true, MS_NOEXEC }, { "noexec", false, MS_NOEXEC },
        { "sync", false, MS_SYNCHRONOUS }, { "async", true, MS_SYNCHRONOUS },
        { "dirsync", false, MS_DIRSYNC }, { "remount", false, MS_REMOUNT },
        { "mand", false, MS_MANDLOCK }, { "nomand", true, MS_MANDLOCK },
        { "atime", true, MS_NOATIME }, { "noatime", false, MS_NOATIME },
        { "diratime", true, MS_NODIRATIME }, { "nodiratime", false, MS_NODIRATIME },
        { "relatime", false, MS_RELATIME }, { "norelatime", true, MS_RELATIME },
        { "strictatime", false, MS_STRICTATIME }, { "nostrictatime", true, MS_STRICTATIME },
        { "silent", false, MS_SILENT }, { "loud", true, MS_SILENT },
};

static const struct {
        const char *name;
        unsigned long flag;
} propagation_flags[] = {
        { "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
        { "shared", MS_SHARED }, { "rshared", MS_SHARED | MS_REC },
        { "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
        { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

int ctr_cfg_propagation_parse(const char *s, unsigned long *ret)
{
        for (size_t k = 0; k < BV_ELEMENTSOF(propagation_flags); k++)
                if (strcmp(s, propagation_flags[k].name) == 0) {
                        *ret = propagation_flags[k].flag;
                        return 0;
                }
        return -EINVAL;
}

/* Ignored options: meaningful to other runtimes or filesystems we do not handle specially. */
static const char *ignored_options[] = { "tmpcopyup", "rprivate-ignore", "z", "Z", "U", "copy",
                                         "nocopy", "notmpcopyup" };

static int parse_mount(json_t *item, const char *path, struct ctr_mount *m, struct bv_error *err)
{
        _cleanup_free_ const char **opts = NULL;
        size_t n_opts = 0, data_len = 0;
        int r;

        if ((r = ctr_cfg_get_str(item, "destination", path, &m->destination, err)) < 0 ||
            (r = ctr_cfg_get_str(item, "source", path, &m->source, err)) < 0 ||
            (r = ctr_cfg_get_str(item, "type", path, &m->type, err)) < 0 ||
            (r = ctr_cfg_get_str_array(item, "options", path, &opts, &n_opts, err)) < 0)
                return r;
        if (!m->destination)
                return bv_error_set(err, EINVAL, "%s.destination: missing", path);
        if (m->destination[0] != '/')
                return bv_error_set(err, EINVAL, "%s.destination: '%s' is not an absolute path", path,
                                    m->destination);
        if (m->type && strcmp(m->type, "bind") == 0) {
                m->bind = true;
                m->type = NULL;
        }
        for (size_t i = 0; i < n_opts; i++) {
                const char *o = opts[i];
                bool done = false;
                if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
                        m->bind = true;
                        if (o[0] == 'r')
                                m->flags |= MS_REC;
                        continue;
                }
                if (strcmp(o, "rro") == 0) {
                        m->recursive_ro = true;
                        m->flags |= MS_RDONLY;
                        continue;
                }
                if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0)
                        return bv_error_set(err, EOPNOTSUPP, "%s.options[%zu]: '%s' mounts are not supported",
                                            path, i, o);
                for (size_t k = 0; k < BV_ELEMENTSOF(mount_flags) && !done; k++)
                        if (strcmp(o, mount_flags[k].name) == 0) {
                                if (mount_flags[k].clear)
                                        m->flags &= ~mount_flags[k].flag;
                                else
                                        m->flags |= mount_flags[k].flag;
                                done = true;
                        }
                unsigned long prop;
                if (!done && ctr_cfg_propagation_parse(o, &prop) == 0) {
                        m->propagation = prop;
                        done = true;
                }
                for (size_t k = 0; k < BV_ELEMENTSOF(ignored_options) && !done; k++)
                        done = strcmp(o, ignored_options[k]) == 0;
                if (done)
                        continue;
                if (strchr(o, ','))
                        return bv_error_set(err, EINVAL, "%s.options[%zu]: ',' in an option", path, i);
                /* Anything else is filesystem data ("mode=755", "size=64k", ...). */
                size_t l = strlen(o);
                if (data_len + l + 2 > 4096)
                        return bv_error_set(err, E2BIG, "%s.options: filesystem data too long", path);
                char *d = realloc(m->data, data_len + l + 2);
                if (!d)
                        return -ENOMEM;
                m->data = d;
                if (data_len)
                        d[data_len++] = ',';
                memcpy(d + data_len, o, l + 1);
                data_len += l;
        }
        if (!m->bind && !m->type)
                return bv_error_set(err, EINVAL, "%s.type: missing (and no 'bind' option)", path);
        if (m->bind && !m->source)
                return bv_error_set(err, EINVAL, "%s.source: a bind mount needs a source", path);
        return 0;
}

static int parse_hooks(json_t *hooks, struct ctr_config *cfg, struct bv_error *err)
{
        static const char *kinds[CTR_HOOK_MAX] = { "prestart", "createRuntime", "createContainer",
                                                   "startContainer", "poststart", "poststop" };
        char ip[P_MAX], kp[P_MAX];
        json_t *arr, *item;
        int r;

        for (int k = 0; k < CTR_HOOK_MAX; k++) {
                if ((r = ctr_cfg_get(hooks, kinds[k], JSON_ARRAY, "hooks", &arr, err)) < 0)
                        return r;
                if (!arr)
                        continue;
                void *list;
                snprintf(kp, sizeof(kp), "hooks.%s", kinds[k]);
                if ((r = ctr_cfg_array_alloc(arr, kp, sizeof(struct ctr_hook), &list, err)) < 0)
                        return r;
                cfg->hooks[k] = list;
                FOR_OBJECTS(arr, i, item, kp, ip, err) {
                        struct ctr_hook *h = &cfg->hooks[k][cfg->n_hooks[k]++];
                        int64_t t;
                        bool has;
                        if ((r = ctr_cfg_get_str(item, "path", ip, &h->path, err)) < 0 ||
                            (r = ctr_cfg_get_str_array(item, "args", ip, &h->args, NULL, err)) < 0 ||
                            (r = ctr_cfg_get_str_array(item, "env", ip, &h->env, NULL, err)) < 0 ||
                            (r = ctr_cfg_get_int(item, "timeout", ip, 1, 3600, &t, &has, err)) < 0)
                                return r;
                        if (!h->path || h->path[0] != '/')
                                return bv_error_set(err, EINVAL, "%s.path: must be an absolute path", ip);
                        h->timeout = has ? (int)t : 0;
                }
        }
        return 0;
}

struct ctr_config *ctr_config_free(struct ctr_config *cfg)
{
        if (!cfg)
                return NULL;
        for (size_t i = 0; i < cfg->n_mounts; i++)
                free(cfg->mounts[i].data);
        free(cfg->mounts);
        ctr_process_free(cfg->process);
        for (int k = 0; k < CTR_HOOK_MAX; k++) {
                for (size_t i = 0; i < cfg->n_hooks[k]; i++) {
                        free(cfg->hooks[k][i].args);
                        free(cfg->hooks[k][i].env);
                }
                free(cfg->hooks[k]);
        }
        free(cfg->uid_maps);
        free(cfg->gid_maps);
        free(cfg->devices);
        free(cfg->masked_paths);
        free(cfg->readonly_paths);
        free(cfg->sysctls);
        if (cfg->seccomp) {
                for (size_t i = 0; i < cfg->seccomp->n_rules; i++)
                        free(cfg->seccomp->rules[i].names);
                free(cfg->seccomp->rules);
                free(cfg->seccomp->arches);
                free(cfg->seccomp);
        }
        free(cfg->cgroup_writes);
        free(cfg->dev_rules);
        json_decref(cfg->json);
        free(cfg);
        return NULL;
}

/*
 * A spec without a mount namespace shares the runtime's (the host's): the
 * container is only chroot()ed into root.path, and what would be a mount
 * on the host is refused by name rather than done (runc and crun mount it
 * on the host and leave it there) or dropped.
 */
static int check_without_mountns(const struct ctr_config *cfg, struct bv_error *err)
{
        static const char why[] = "needs a mount namespace (linux.namespaces has none: it would be mounted on the host)";

        if (cfg->n_mounts)
                return bv_error_set(err, EOPNOTSUPP, "mounts[0]: '%s' %s", cfg->mounts[0].destination, why);
        if (cfg->root_readonly)
                return bv_error_set(err, EOPNOTSUPP, "root.readonly: %s", why);
        if (cfg->rootfs_propagation)
                return bv_error_set(err, EOPNOTSUPP, "linux.rootfsPropagation: %s", why);
        if (cfg->n_devices)
                return bv_error_set(err, EOPNOTSUPP, "linux.devices[0]: '%s' %s", cfg->devices[0].path, why);
        return 0;
}

int ctr_config_parse(const char *buf, size_t len, struct ctr_config **ret, struct bv_error *err)
{
        _cleanup_(ctr_config_freep) struct ctr_config *cfg = calloc(1, sizeof(*cfg));
        json_t *j = NULL, *v, *item;
        char ip[P_MAX];
        int r;

        if (!cfg)
                return -ENOMEM;
        r = bv_json_load_object(buf, len, CTR_CONFIG_MAX, &j, err);
        if (r < 0)
                return bv_error_prefix(err, "config.json"), r;
        cfg->json = j;
        if ((r = ctr_cfg_get_str(j, "ociVersion", "", &cfg->oci_version, err)) < 0)
                return r;
        if (!cfg->oci_version)
                return bv_error_set(err, EINVAL, "ociVersion: missing");
        if (strncmp(cfg->oci_version, "1.", 2) != 0)
                return bv_error_set(err, EINVAL, "ociVersion: unsupported version '%s'", cfg->oci_version);
        if ((r = ctr_cfg_get(j, "root", JSON_OBJECT, "", &v, err)) < 0)
                return r;
        if (!v)
                return bv_error_set(err, EINVAL, "root: missing");
        if ((r = ctr_cfg_get_str(v, "path", "root", &cfg->root_path, err)) < 0 ||
            (r = ctr_cfg_get_bool(v, "readonly", "root", &cfg->root_readonly, err)) < 0)
                return r;
        if (!cfg->root_path || !*cfg->root_path)
                return bv_error_set(err, EINVAL, "root.path: missing");
        if ((r = ctr_cfg_get_str(j, "hostname", "", &cfg->hostname, err)) < 0 ||
            (r = ctr_cfg_get_str(j, "domainname", "", &cfg->domainname, err)) < 0)
                return r;
        if (cfg->hostname && strlen(cfg->hostname) > 64)
                return bv_error_set(err, EINVAL, "hostname: longer than 64 bytes");
        if (cfg->domainname && strlen(cfg->domainname) > 64)
                return bv_error_set(err, EINVAL, "domainname: longer than 64 bytes");
        if ((r = ctr_cfg_get(j, "process", JSON_OBJECT, "", &v, err)) < 0)
                return r;
        if (v && (r = ctr_process_parse(v, "process", &cfg->process, err)) < 0)
                return r;
        if ((r = ctr_cfg_get(j, "mounts", JSON_ARRAY, "", &v, err)) < 0)
                return r;
        if (v) {
                void *mounts;
                if ((r = ctr_cfg_array_alloc(v, "mounts", sizeof(*cfg->mounts), &mounts, err)) < 0)
                        return r;
                cfg->mounts = mounts;
                FOR_OBJECTS(v, i, item, "mounts", ip, err) {
                        r = parse_mount(item, ip, &cfg->mounts[cfg->n_mounts++], err);
                        if (r < 0)
                                return r;
                }
        }
        if ((r = ctr_cfg_get(j, "hooks", JSON_OBJECT, "", &v, err)) < 0)
                return r;
        if (v && (r = parse_hooks(v, cfg, err)) < 0)
                return r;
        if ((r = ctr_cfg_get(j, "annotations", JSON_OBJECT, "", &cfg->annotations, err)) < 0)
                return r;
        if ((r = ctr_cfg_get(j, "linux", JSON_OBJECT, "", &v, err)) < 0)
                return r;
        if (v && (r = ctr_config_parse_linux(v, cfg, err)) < 0)
                return r;
        if (cfg->ns[CTR_NS_USER].enabled && !cfg->ns[CTR_NS_USER].path &&
            (!cfg->n_uid_maps || !cfg->n_gid_maps))
                return bv_error_set(err, EINVAL, "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
        if (!cfg->ns[CTR_NS_USER].enabled && (cfg->n_uid_maps || cfg->n_gid_maps))
                return bv_error_set(err, EINVAL, "linux.uidMappings: given without a user namespace");
        if (cfg->hostname && *cfg->hostname && !cfg->ns[CTR_NS_UTS].enabled)
                return bv_error_set(err, EINVAL, "hostname: needs a uts namespace");
        if (!cfg->ns[CTR_NS_MOUNT].enabled && (r = check_without_mountns(cfg, err)) < 0)
                return r;
        *ret = TAKE_PTR(cfg);
        return 0;
}

int ctr_config_load(const char *bundle, struct ctr_config **ret, struct bv_error *err)
{
        _cleanup_free_ char *buf = NULL;
        char path[4096];
        size_t len;
        int r;

        if (snprintf(path, sizeof(path), "%s/config.json", bundle) >= (int)sizeof(path))
                return bv_error_set(err, ENAMETOOLONG, "bundle path too long");
        r = bv_file_read(path, CTR_CONFIG_MAX, &buf, &len, err);
        if (r < 0)
                return r;
        return ctr_config_parse(buf, len, ret, err);
}

const struct ctr_process *ctr_config_process(const struct ctr_config *cfg)
{
        return cfg->process;
}

bool ctr_config_terminal(const struct ctr_config *cfg)
{
        return cfg->process && cfg->process->terminal;
}
