/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.json parsing. The document is untrusted: it is read bounded, with
 * duplicate keys refused (common/json.c), every array is capped at
 * CTR_MAX_ARRAY entries, and every field is checked for its type and range
 * before use. Unknown fields are ignored, as the OCI spec requires; a known
 * field of the wrong shape is refused with its JSON path in the message
 * ("process.args[0]: expected a string"). Strings in the result point into
 * the jansson document the config keeps a reference to.
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

#include "common/cleanup.h"
#include "common/file.h"
#include "common/json.h"
#include "ctr/oci-internal.h"

#define P_MAX 192

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

static const char *type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT: return "an object";
        case JSON_ARRAY: return "an array";
        case JSON_STRING: return "a string";
        case JSON_INTEGER: return "an integer";
        case JSON_REAL: return "a number";
        case JSON_TRUE:
        case JSON_FALSE: return "a boolean";
        default: return "null";
        }
}

static int want(struct bv_error *err, const char *path, const char *what, const json_t *v)
{
        return bv_error_set(err, EINVAL, "%s: expected %s, got %s", path, what, type_name(v));
}

/* Looks up key in obj; *ret = NULL when absent or null. */
static int get(json_t *obj, const char *key, json_type t, const char *path, json_t **ret,
               struct bv_error *err)
{
        json_t *v = json_object_get(obj, key);
        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (t == JSON_TRUE ? !json_is_boolean(v) : json_typeof(v) != t) {
                char p[P_MAX];
                snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", key);
                static const char *names[] = { [JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
                                               [JSON_STRING] = "a string", [JSON_INTEGER] = "an integer",
                                               [JSON_TRUE] = "a boolean" };
                return want(err, p, names[t], v);
        }
        *ret = v;
        return 0;
}

static int get_str(json_t *obj, const char *key, const char *path, const char **ret,
                   struct bv_error *err)
{
        json_t *v;
        int r = get(obj, key, JSON_STRING, path, &v, err);
        if (r < 0)
                return r;
        *ret = v ? json_string_value(v) : NULL;
        if (v && strlen(*ret) != json_string_length(v))
                return bv_error_set(err, EINVAL, "%s.%s: contains a NUL byte", path, key);
        return 0;
}

static int get_bool(json_t *obj, const char *key, const char *path, bool *ret, struct bv_error *err)
{
        json_t *v;
        int r = get(obj, key, JSON_TRUE, path, &v, err);
        if (r < 0)
                return r;
        if (v)
                *ret = json_is_true(v);
        return 0;
}

static int get_int(json_t *obj, const char *key, const char *path, int64_t min, int64_t max,
                   int64_t *ret, bool *present, struct bv_error *err)
{
        json_t *v;
        int r = get(obj, key, JSON_INTEGER, path, &v, err);
        if (r < 0)
                return r;
        if (present)
                *present = v != NULL;
        if (!v)
                return 0;
        json_int_t i = json_integer_value(v);
        if (i < min || i > max)
                return bv_error_set(err, ERANGE, "%s%s%s: %lld is out of range [%lld, %lld]", path,
                                    *path ? "." : "", key, (long long)i, (long long)min,
                                    (long long)max);
        *ret = i;
        return 0;
}

static int get_u64(json_t *obj, const char *key, const char *path, uint64_t *ret, bool *present,
                   struct bv_error *err)
{
        json_t *v = json_object_get(obj, key);
        if (present)
                *present = false;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v) && !json_is_real(v))
                return bv_error_set(err, EINVAL, "%s.%s: expected an integer, got %s", path, key,
                                    type_name(v));
        if (json_is_real(v)) {
                double d = json_real_value(v);
                if (d < 0 || d > 1.8446744073709552e19 || d != (double)(uint64_t)d)
                        return bv_error_set(err, ERANGE, "%s.%s: not an unsigned integer", path, key);
                *ret = (uint64_t)d;
        } else {
                json_int_t i = json_integer_value(v);
                if (i < 0)
                        return bv_error_set(err, ERANGE, "%s.%s: must not be negative", path, key);
                *ret = (uint64_t)i;
        }
        if (present)
                *present = true;
        return 0;
}

/* A NULL-terminated array of the strings of arr, which must all be strings. */
static int str_array(json_t *arr, const char *path, const char ***ret, size_t *ret_n,
                     struct bv_error *err)
{
        size_t n = json_array_size(arr);
        if (n > CTR_MAX_ARRAY)
                return bv_error_set(err, E2BIG, "%s: more than %d entries", path, CTR_MAX_ARRAY);
        const char **a = calloc(n + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_t *s = json_array_get(arr, i);
                if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s)) {
                        free(a);
                        if (json_is_string(s))
                                return bv_error_set(err, EINVAL, "%s[%zu]: contains a NUL byte", path, i);
                        return bv_error_set(err, EINVAL, "%s[%zu]: expected a string, got %s", path, i,
                                            type_name(s));
                }
                a[i] = json_string_value(s);
        }
        *ret = a;
        if (ret_n)
                *ret_n = n;
        return 0;
}

static int get_str_array(json_t *obj, const char *key, const char *path, const char ***ret,
                         size_t *ret_n, struct bv_error *err)
{
        json_t *v;
        char p[P_MAX];
        int r = get(obj, key, JSON_ARRAY, path, &v, err);
        if (r < 0 || !v)
                return r;
        snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", key);
        return str_array(v, p, ret, ret_n, err);
}

/* Iterates over an optional array of objects with a bounded count. */
#define FOR_OBJECTS(arr, i, item, path, p, err)                                                 \
        for (size_t i = 0; i < json_array_size(arr); i++)                                      \
                if ((item = json_array_get(arr, i)),                                            \
                    snprintf(p, sizeof(p), "%s[%zu]", path, i),                                 \
                    !json_is_object(item) ? (r = want(err, p, "an object", item)) < 0 : 0)     \
                        return r;                                                               \
                else

static int check_count(json_t *arr, const char *path, struct bv_error *err)
{
        if (arr && json_array_size(arr) > CTR_MAX_ARRAY)
                return bv_error_set(err, E2BIG, "%s: more than %d entries", path, CTR_MAX_ARRAY);
        return 0;
}

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
                r = get_str_array(obj, sets[s], pp, &names, &n, err);
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

int ctr_process_parse(json_t *obj, const char *path, struct ctr_process **ret, struct bv_error *err)
{
        _cleanup_(ctr_process_freep) struct ctr_process *p = calloc(1, sizeof(*p));
        char pp[P_MAX];
        json_t *v, *item;
        int64_t i64;
        bool has;
        int r;

        if (!p)
                return -ENOMEM;
        p->json = json_incref(obj);
        if ((r = get_bool(obj, "terminal", path, &p->terminal, err)) < 0)
                return r;
        if ((r = get(obj, "consoleSize", JSON_OBJECT, path, &v, err)) < 0)
                return r;
        if (v) {
                snprintf(pp, sizeof(pp), "%s.consoleSize", path);
                if ((r = get_int(v, "height", pp, 0, 65535, &i64, &has, err)) < 0)
                        return r;
                p->console_height = has ? (unsigned)i64 : 0;
                if ((r = get_int(v, "width", pp, 0, 65535, &i64, &has, err)) < 0)
                        return r;
                p->console_width = has ? (unsigned)i64 : 0;
        }
        if ((r = get(obj, "user", JSON_OBJECT, path, &v, err)) < 0)
                return r;
        if (v) {
                snprintf(pp, sizeof(pp), "%s.user", path);
                if ((r = get_int(v, "uid", pp, 0, UINT32_MAX - 1, &i64, &has, err)) < 0)
                        return r;
                p->uid = has ? (uid_t)i64 : 0;
                if ((r = get_int(v, "gid", pp, 0, UINT32_MAX - 1, &i64, &has, err)) < 0)
                        return r;
                p->gid = has ? (gid_t)i64 : 0;
                if ((r = get_int(v, "umask", pp, 0, 0777, &i64, &p->has_umask, err)) < 0)
                        return r;
                p->umask = (mode_t)i64;
                json_t *g;
                if ((r = get(v, "additionalGids", JSON_ARRAY, pp, &g, err)) < 0)
                        return r;
                snprintf(pp, sizeof(pp), "%s.user.additionalGids", path);
                if ((r = check_count(g, pp, err)) < 0)
                        return r;
                if (g && json_array_size(g) > 0) {
                        p->additional_gids = calloc(json_array_size(g), sizeof(gid_t));
                        if (!p->additional_gids)
                                return -ENOMEM;
                        for (size_t i = 0; i < json_array_size(g); i++) {
                                json_t *x = json_array_get(g, i);
                                if (!json_is_integer(x) || json_integer_value(x) < 0 ||
                                    json_integer_value(x) >= UINT32_MAX)
                                        return bv_error_set(err, EINVAL, "%s[%zu]: expected a gid", pp, i);
                                p->additional_gids[p->n_additional_gids++] = (gid_t)json_integer_value(x);
                        }
                }
        }
        size_t n_args = 0;
        if ((r = get_str_array(obj, "args", path, &p->args, &n_args, err)) < 0)
                return r;
        if (n_args == 0)
                return bv_error_set(err, EINVAL, "%s.args: must name the program to run", path);
        if ((r = get_str_array(obj, "env", path, &p->env, NULL, err)) < 0)
                return r;
        if (!p->env && !(p->env = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if ((r = get_str(obj, "cwd", path, &p->cwd, err)) < 0)
                return r;
        if (!p->cwd)
                p->cwd = "/";
        if (p->cwd[0] != '/')
                return bv_error_set(err, EINVAL, "%s.cwd: '%s' is not an absolute path", path, p->cwd);
        if ((r = get(obj, "capabilities", JSON_OBJECT, path, &v, err)) < 0)
                return r;
        if (v) {
                snprintf(pp, sizeof(pp), "%s.capabilities", path);
                if ((r = parse_caps(v, pp, p, err)) < 0)
                        return r;
        }
        if ((r = get(obj, "rlimits", JSON_ARRAY, path, &v, err)) < 0)
                return r;
        if (v) {
                snprintf(pp, sizeof(pp), "%s.rlimits", path);
                if ((r = check_count(v, pp, err)) < 0)
                        return r;
                p->rlimits = calloc(json_array_size(v) + 1, sizeof(*p->rlimits));
                if (!p->rlimits)
                        return -ENOMEM;
                char ip[P_MAX];
                FOR_OBJECTS(v, i, item, pp, ip, err) {
                        const char *type = NULL;
                        struct ctr_rlimit *rl = &p->rlimits[p->n_rlimits];
                        if ((r = get_str(item, "type", ip, &type, err)) < 0)
                                return r;
                        if (!type)
                                return bv_error_set(err, EINVAL, "%s.type: missing", ip);
                        rl->resource = -1;
                        for (size_t k = 0; k < BV_ELEMENTSOF(rlimit_names); k++)
                                if (strcmp(rlimit_names[k].name, type) == 0)
                                        rl->resource = rlimit_names[k].res;
                        if (rl->resource < 0)
                                return bv_error_set(err, EINVAL, "%s.type: unknown rlimit '%s'", ip, type);
                        if ((r = get_u64(item, "soft", ip, &rl->soft, NULL, err)) < 0 ||
                            (r = get_u64(item, "hard", ip, &rl->hard, NULL, err)) < 0)
                                return r;
                        if (rl->soft > rl->hard)
                                return bv_error_set(err, EINVAL, "%s: soft limit above the hard limit", ip);
                        p->n_rlimits++;
                }
        }
        if ((r = get_bool(obj, "noNewPrivileges", path, &p->no_new_privileges, err)) < 0)
                return r;
        if ((r = get_int(obj, "oomScoreAdj", path, -1000, 1000, &i64, &p->has_oom_score_adj, err)) < 0)
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

static int propagation_parse(const char *s, unsigned long *ret)
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

        if ((r = get_str(item, "destination", path, &m->destination, err)) < 0 ||
            (r = get_str(item, "source", path, &m->source, err)) < 0 ||
            (r = get_str(item, "type", path, &m->type, err)) < 0 ||
            (r = get_str_array(item, "options", path, &opts, &n_opts, err)) < 0)
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
                if (!done && propagation_parse(o, &prop) == 0) {
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

/* ---- linux ---- */

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
                if ((r = get_int(item, "containerID", ip, 0, UINT32_MAX - 1, &c, &hc, err)) < 0 ||
                    (r = get_int(item, "hostID", ip, 0, UINT32_MAX - 1, &h, &hh, err)) < 0 ||
                    (r = get_int(item, "size", ip, 1, UINT32_MAX, &s, &hs, err)) < 0)
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

        if ((r = check_count(arr, "linux.namespaces", err)) < 0)
                return r;
        FOR_OBJECTS(arr, i, item, "linux.namespaces", ip, err) {
                const char *type = NULL, *path = NULL;
                if ((r = get_str(item, "type", ip, &type, err)) < 0 ||
                    (r = get_str(item, "path", ip, &path, err)) < 0)
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
        int r;

        if ((r = check_count(arr, "linux.devices", err)) < 0)
                return r;
        cfg->devices = calloc(json_array_size(arr) + 1, sizeof(*cfg->devices));
        if (!cfg->devices)
                return -ENOMEM;
        FOR_OBJECTS(arr, i, item, "linux.devices", ip, err) {
                struct ctr_device *d = &cfg->devices[cfg->n_devices];
                const char *type = NULL;
                int64_t v;
                bool has;
                if ((r = get_str(item, "path", ip, &d->path, err)) < 0 ||
                    (r = get_str(item, "type", ip, &type, err)) < 0)
                        return r;
                if (!d->path || strncmp(d->path, "/dev/", 5) != 0 || strstr(d->path, ".."))
                        return bv_error_set(err, EINVAL, "%s.path: must be a path under /dev", ip);
                if (!type || strlen(type) != 1 || !strchr("cbup", type[0]))
                        return bv_error_set(err, EINVAL, "%s.type: expected 'c', 'b', 'u' or 'p'", ip);
                d->type = type[0];
                if ((r = get_int(item, "major", ip, 0, UINT32_MAX, &d->major, &has, err)) < 0)
                        return r;
                if (!has && d->type != 'p')
                        return bv_error_set(err, EINVAL, "%s.major: missing", ip);
                if ((r = get_int(item, "minor", ip, 0, UINT32_MAX, &d->minor, &has, err)) < 0)
                        return r;
                if (!has && d->type != 'p')
                        return bv_error_set(err, EINVAL, "%s.minor: missing", ip);
                if ((r = get_int(item, "fileMode", ip, 0, 07777, &v, &has, err)) < 0)
                        return r;
                d->mode = has ? (mode_t)v : 0666;
                if ((r = get_int(item, "uid", ip, 0, UINT32_MAX - 1, &v, &has, err)) < 0)
                        return r;
                d->uid = has ? (uid_t)v : 0;
                if ((r = get_int(item, "gid", ip, 0, UINT32_MAX - 1, &v, &has, err)) < 0)
                        return r;
                d->gid = has ? (gid_t)v : 0;
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
                                            type_name(v));
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
        int r = get_str(obj, key, path, &s, err);
        if (r < 0)
                return r;
        if (!s)
                return bv_error_set(err, EINVAL, "%s.%s: missing", path, key);
        for (size_t k = 0; k < BV_ELEMENTSOF(seccomp_actions); k++)
                if (strcmp(s, seccomp_actions[k].name) == 0) {
                        *ret = seccomp_actions[k].act;
                        if ((r = get_int(obj, "errnoRet", path, 0, 4095, &e, &has, err)) < 0)
                                return r;
                        if (has && strcmp(s, "SCMP_ACT_ERRNO") == 0)
                                *ret = SCMP_ACT_ERRNO((uint32_t)e);
                        else if (has && strcmp(s, "SCMP_ACT_TRACE") == 0)
                                *ret = SCMP_ACT_TRACE((uint32_t)e);
                        return 0;
                }
        return bv_error_set(err, EINVAL, "%s.%s: unknown seccomp action '%s'", path, key, s);
}

static int parse_seccomp(json_t *obj, struct ctr_config *cfg, struct bv_error *err)
{
        static const struct { const char *name; int op; } ops[] = {
                { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
                { "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
                { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
                { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
        };
        struct ctr_seccomp *s = calloc(1, sizeof(*s));
        const char *path = "linux.seccomp";
        _cleanup_free_ const char **arches = NULL, **flags = NULL;
        size_t n_arches = 0, n_flags = 0;
        char ip[P_MAX], ap[P_MAX];
        json_t *v, *item, *a;
        int r;

        if (!s)
                return -ENOMEM;
        cfg->seccomp = s;
        if ((r = seccomp_action(obj, "defaultAction", path, &s->default_action, err)) < 0)
                return r;
        if ((r = get_int(obj, "defaultErrnoRet", path, 0, 4095, &(int64_t){ 0 }, NULL, err)) < 0)
                return r;
        json_t *der = json_object_get(obj, "defaultErrnoRet");
        if (json_is_integer(der) && s->default_action == SCMP_ACT_ERRNO(EPERM))
                s->default_action = SCMP_ACT_ERRNO((uint32_t)json_integer_value(der));
        if ((r = get_str_array(obj, "architectures", path, &arches, &n_arches, err)) < 0)
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
        if ((r = get_str_array(obj, "flags", path, &flags, &n_flags, err)) < 0)
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
        if ((r = get(obj, "syscalls", JSON_ARRAY, path, &v, err)) < 0)
                return r;
        if (!v)
                return 0;
        if ((r = check_count(v, "linux.seccomp.syscalls", err)) < 0)
                return r;
        s->rules = calloc(json_array_size(v) + 1, sizeof(*s->rules));
        if (!s->rules)
                return -ENOMEM;
        FOR_OBJECTS(v, i, item, "linux.seccomp.syscalls", ip, err) {
                struct ctr_seccomp_rule *rule = &s->rules[s->n_rules];
                if ((r = get_str_array(item, "names", ip, &rule->names, NULL, err)) < 0)
                        return r;
                s->n_rules++;
                if (!rule->names || !rule->names[0])
                        return bv_error_set(err, EINVAL, "%s.names: missing", ip);
                if ((r = seccomp_action(item, "action", ip, &rule->action, err)) < 0)
                        return r;
                if ((r = get(item, "args", JSON_ARRAY, ip, &a, err)) < 0)
                        return r;
                if (json_array_size(a) > CTR_SECCOMP_MAX_ARGS)
                        return bv_error_set(err, E2BIG, "%s.args: more than %d entries", ip,
                                            CTR_SECCOMP_MAX_ARGS);
                json_t *arg;
                char argp[P_MAX];
                snprintf(ap, sizeof(ap), "%s.args", ip);
                FOR_OBJECTS(a, j, arg, ap, argp, err) {
                        struct ctr_seccomp_arg *sa = &rule->args[rule->n_args];
                        int64_t idx;
                        bool has;
                        const char *op = NULL;
                        if ((r = get_int(arg, "index", argp, 0, 5, &idx, &has, err)) < 0)
                                return r;
                        if (!has)
                                return bv_error_set(err, EINVAL, "%s.index: missing", argp);
                        sa->index = (unsigned)idx;
                        if ((r = get_u64(arg, "value", argp, &sa->value, NULL, err)) < 0 ||
                            (r = get_u64(arg, "valueTwo", argp, &sa->value2, NULL, err)) < 0 ||
                            (r = get_str(arg, "op", argp, &op, err)) < 0)
                                return r;
                        sa->op = 0;
                        for (size_t k = 0; op && k < BV_ELEMENTSOF(ops); k++)
                                if (strcmp(op, ops[k].name) == 0)
                                        sa->op = ops[k].op;
                        if (!sa->op)
                                return bv_error_set(err, EINVAL, "%s.op: unknown operator '%s'", argp,
                                                    op ? op : "");
                        rule->n_args++;
                }
        }
        return 0;
}

static int cgw_add(struct ctr_config *cfg, const char *controller, const char *file,
                   const char *json_path, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

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

/*
 * linux.resources -> cgroup v2 file writes. Only what is set produces a
 * write; a write whose controller the host lacks is refused later, in
 * ctr_cgroup_plan(), with the JSON path kept here.
 */
static int parse_resources(json_t *res, struct ctr_config *cfg, struct bv_error *err)
{
        json_t *o, *v;
        uint64_t u;
        bool has;
        int64_t i64;
        int r;

        if ((r = get(res, "memory", JSON_OBJECT, "linux.resources", &o, err)) < 0)
                return r;
        if (o) {
                int64_t lim = -1;
                bool has_lim;
                if ((r = get_int(o, "limit", "linux.resources.memory", -1, INT64_MAX, &lim, &has_lim, err)) < 0)
                        return r;
                if (has_lim && lim >= 0 && (r = cgw_add(cfg, "memory", "memory.max", "linux.resources.memory.limit", "%lld", (long long)lim)) < 0)
                        return r;
                if ((r = get_int(o, "reservation", "linux.resources.memory", -1, INT64_MAX, &i64, &has, err)) < 0)
                        return r;
                if (has && i64 >= 0 && (r = cgw_add(cfg, "memory", "memory.low", "linux.resources.memory.reservation", "%lld", (long long)i64)) < 0)
                        return r;
                if ((r = get_int(o, "swap", "linux.resources.memory", -1, INT64_MAX, &i64, &has, err)) < 0)
                        return r;
                if (has && i64 >= 0) {
                        if (has_lim && lim >= 0 && i64 < lim)
                                return bv_error_set(err, EINVAL, "linux.resources.memory.swap: below memory.limit");
                        if ((r = i64 < 0 || !has_lim || lim < 0
                                         ? cgw_add(cfg, "memory", "memory.swap.max", "linux.resources.memory.swap", "max")
                                         : cgw_add(cfg, "memory", "memory.swap.max", "linux.resources.memory.swap", "%lld",
                                                   (long long)(i64 - lim))) < 0)
                                return r;
                }
        }
        if ((r = get(res, "cpu", JSON_OBJECT, "linux.resources", &o, err)) < 0)
                return r;
        if (o) {
                if ((r = get_u64(o, "shares", "linux.resources.cpu", &u, &has, err)) < 0)
                        return r;
                if (has && u > 0) {
                        /* The conversion runc and crun use: [2, 262144] -> [1, 10000]. */
                        uint64_t w = u < 2 ? 2 : u > 262144 ? 262144 : u;
                        if ((r = cgw_add(cfg, "cpu", "cpu.weight", "linux.resources.cpu.shares", "%llu",
                                         (unsigned long long)(1 + ((w - 2) * 9999) / 262142))) < 0)
                                return r;
                }
                int64_t quota = 0;
                uint64_t period = 0;
                bool has_q, has_p;
                if ((r = get_int(o, "quota", "linux.resources.cpu", -1, INT64_MAX, &quota, &has_q, err)) < 0 ||
                    (r = get_u64(o, "period", "linux.resources.cpu", &period, &has_p, err)) < 0)
                        return r;
                if ((has_q && quota != 0) || (has_p && period != 0)) {
                        if (!period)
                                period = 100000;
                        if ((r = quota > 0 ? cgw_add(cfg, "cpu", "cpu.max", "linux.resources.cpu.quota", "%lld %llu",
                                                     (long long)quota, (unsigned long long)period)
                                           : cgw_add(cfg, "cpu", "cpu.max", "linux.resources.cpu.quota", "max %llu",
                                                     (unsigned long long)period)) < 0)
                                return r;
                }
                const char *s = NULL;
                if ((r = get_str(o, "cpus", "linux.resources.cpu", &s, err)) < 0)
                        return r;
                if (s && *s && (r = cgw_add(cfg, "cpuset", "cpuset.cpus", "linux.resources.cpu.cpus", "%s", s)) < 0)
                        return r;
                if ((r = get_str(o, "mems", "linux.resources.cpu", &s, err)) < 0)
                        return r;
                if (s && *s && (r = cgw_add(cfg, "cpuset", "cpuset.mems", "linux.resources.cpu.mems", "%s", s)) < 0)
                        return r;
        }
        if ((r = get(res, "pids", JSON_OBJECT, "linux.resources", &o, err)) < 0)
                return r;
        if (o) {
                if ((r = get_int(o, "limit", "linux.resources.pids", INT64_MIN, INT64_MAX, &i64, &has, err)) < 0)
                        return r;
                /* 0 and -1 mean unlimited: the default, which needs no controller. */
                if (has && i64 > 0 && (r = cgw_add(cfg, "pids", "pids.max", "linux.resources.pids.limit", "%lld",
                                                   (long long)i64)) < 0)
                        return r;
        }
        if ((r = get(res, "blockIO", JSON_OBJECT, "linux.resources", &o, err)) < 0)
                return r;
        if (o) {
                if ((r = get_int(o, "weight", "linux.resources.blockIO", 0, 1000, &i64, &has, err)) < 0)
                        return r;
                if (has && i64 > 0 &&
                    (r = cgw_add(cfg, "io", "io.weight", "linux.resources.blockIO.weight", "default %lld",
                                 (long long)(1 + (i64 - 10) * 9999 / 990))) < 0)
                        return r;
                const char *keys[] = { "weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice",
                                       "throttleReadIOPSDevice", "throttleWriteIOPSDevice" };
                for (size_t k = 0; k < BV_ELEMENTSOF(keys); k++)
                        if (json_array_size(json_object_get(o, keys[k])) > 0)
                                return bv_error_set(err, EOPNOTSUPP, "linux.resources.blockIO.%s: not supported yet",
                                                    keys[k]);
        }
        if ((r = get(res, "hugepageLimits", JSON_ARRAY, "linux.resources", &v, err)) < 0)
                return r;
        if (v) {
                char ip[P_MAX];
                json_t *item;
                if ((r = check_count(v, "linux.resources.hugepageLimits", err)) < 0)
                        return r;
                FOR_OBJECTS(v, i, item, "linux.resources.hugepageLimits", ip, err) {
                        const char *size = NULL;
                        if ((r = get_str(item, "pageSize", ip, &size, err)) < 0 ||
                            (r = get_u64(item, "limit", ip, &u, &has, err)) < 0)
                                return r;
                        if (!size || strspn(size, "0123456789KMGB") != strlen(size) || strlen(size) > 16)
                                return bv_error_set(err, EINVAL, "%s.pageSize: invalid", ip);
                        char file[64];
                        char sz[20];
                        snprintf(sz, sizeof(sz), "%s", size);
                        size_t l = strlen(sz);
                        if (l > 1 && sz[l - 1] == 'B')
                                sz[l - 1] = 0;
                        snprintf(file, sizeof(file), "hugetlb.%s.max", sz);
                        if ((r = cgw_add(cfg, "hugetlb", file, "linux.resources.hugepageLimits", "%llu",
                                         (unsigned long long)u)) < 0)
                                return r;
                }
        }
        if ((r = get(res, "unified", JSON_OBJECT, "linux.resources", &o, err)) < 0)
                return r;
        if (o) {
                const char *key;
                json_object_foreach(o, key, v) {
                        if (!json_is_string(v))
                                return bv_error_set(err, EINVAL, "linux.resources.unified.%s: expected a string", key);
                        const char *dot = strchr(key, '.');
                        if (!dot || strchr(key, '/') || strlen(key) >= 64 || key[0] == '.' ||
                            json_string_length(v) >= 96)
                                return bv_error_set(err, EINVAL, "linux.resources.unified: invalid key '%s'", key);
                        /* The controller is the prefix; "cgroup.*" files belong to the core. */
                        static const char *ctrls[] = { "memory", "cpu", "cpuset", "io", "pids",
                                                       "hugetlb", "rdma", "misc" };
                        const char *c = NULL;
                        for (size_t k = 0; k < BV_ELEMENTSOF(ctrls); k++)
                                if (strlen(ctrls[k]) == (size_t)(dot - key) &&
                                    strncmp(key, ctrls[k], (size_t)(dot - key)) == 0)
                                        c = ctrls[k];
                        if (!c && strncmp(key, "cgroup.", 7) != 0)
                                return bv_error_set(err, EINVAL, "linux.resources.unified: unknown controller in '%s'", key);
                        if ((r = cgw_add(cfg, c, key, "linux.resources.unified", "%s", json_string_value(v))) < 0)
                                return r;
                }
        }
        if ((r = get(res, "devices", JSON_ARRAY, "linux.resources", &v, err)) < 0)
                return r;
        if (v) {
                char ip[P_MAX];
                json_t *item;
                if ((r = check_count(v, "linux.resources.devices", err)) < 0)
                        return r;
                cfg->dev_rules = calloc(json_array_size(v) + 1, sizeof(*cfg->dev_rules));
                if (!cfg->dev_rules)
                        return -ENOMEM;
                FOR_OBJECTS(v, i, item, "linux.resources.devices", ip, err) {
                        struct ctr_dev_rule *d = &cfg->dev_rules[cfg->n_dev_rules];
                        const char *type = NULL, *access = NULL;
                        bool present;
                        if (!json_is_boolean(json_object_get(item, "allow")))
                                return bv_error_set(err, EINVAL, "%s.allow: expected a boolean", ip);
                        d->allow = json_is_true(json_object_get(item, "allow"));
                        if ((r = get_str(item, "type", ip, &type, err)) < 0 ||
                            (r = get_str(item, "access", ip, &access, err)) < 0)
                                return r;
                        d->type = type && *type ? type[0] : 'a';
                        if (!strchr("acb", d->type) || (type && strlen(type) > 1))
                                return bv_error_set(err, EINVAL, "%s.type: expected 'a', 'c' or 'b'", ip);
                        if ((r = get_int(item, "major", ip, -1, UINT32_MAX, &d->major, &present, err)) < 0)
                                return r;
                        if (!present)
                                d->major = -1;
                        if ((r = get_int(item, "minor", ip, -1, UINT32_MAX, &d->minor, &present, err)) < 0)
                                return r;
                        if (!present)
                                d->minor = -1;
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
                        cfg->n_dev_rules++;
                }
        }
        const char *other[] = { "network", "rdma" };
        for (size_t k = 0; k < BV_ELEMENTSOF(other); k++) {
                json_t *x = json_object_get(res, other[k]);
                if (x && !json_is_null(x) && json_object_size(x) > 0)
                        return bv_error_set(err, EOPNOTSUPP, "linux.resources.%s: not supported", other[k]);
        }
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
                if ((r = get(hooks, kinds[k], JSON_ARRAY, "hooks", &arr, err)) < 0)
                        return r;
                if (!arr)
                        continue;
                snprintf(kp, sizeof(kp), "hooks.%s", kinds[k]);
                if ((r = check_count(arr, kp, err)) < 0)
                        return r;
                cfg->hooks[k] = calloc(json_array_size(arr) + 1, sizeof(struct ctr_hook));
                if (!cfg->hooks[k])
                        return -ENOMEM;
                FOR_OBJECTS(arr, i, item, kp, ip, err) {
                        struct ctr_hook *h = &cfg->hooks[k][cfg->n_hooks[k]++];
                        int64_t t;
                        bool has;
                        if ((r = get_str(item, "path", ip, &h->path, err)) < 0 ||
                            (r = get_str_array(item, "args", ip, &h->args, NULL, err)) < 0 ||
                            (r = get_str_array(item, "env", ip, &h->env, NULL, err)) < 0 ||
                            (r = get_int(item, "timeout", ip, 1, 3600, &t, &has, err)) < 0)
                                return r;
                        if (!h->path || h->path[0] != '/')
                                return bv_error_set(err, EINVAL, "%s.path: must be an absolute path", ip);
                        h->timeout = has ? (int)t : 0;
                }
        }
        return 0;
}

static int parse_linux(json_t *lx, struct ctr_config *cfg, struct bv_error *err)
{
        json_t *v;
        const char *s;
        int r;

        if ((r = get(lx, "namespaces", JSON_ARRAY, "linux", &v, err)) < 0)
                return r;
        if (v && (r = parse_namespaces(v, cfg, err)) < 0)
                return r;
        if ((r = get(lx, "uidMappings", JSON_ARRAY, "linux", &v, err)) < 0)
                return r;
        if (v && (r = parse_idmaps(v, "linux.uidMappings", &cfg->uid_maps, &cfg->n_uid_maps, err)) < 0)
                return r;
        if ((r = get(lx, "gidMappings", JSON_ARRAY, "linux", &v, err)) < 0)
                return r;
        if (v && (r = parse_idmaps(v, "linux.gidMappings", &cfg->gid_maps, &cfg->n_gid_maps, err)) < 0)
                return r;
        if ((r = get(lx, "devices", JSON_ARRAY, "linux", &v, err)) < 0)
                return r;
        if (v && (r = parse_devices(v, cfg, err)) < 0)
                return r;
        if ((r = get_str_array(lx, "maskedPaths", "linux", &cfg->masked_paths, &cfg->n_masked_paths, err)) < 0 ||
            (r = get_str_array(lx, "readonlyPaths", "linux", &cfg->readonly_paths, &cfg->n_readonly_paths, err)) < 0)
                return r;
        for (size_t i = 0; i < cfg->n_masked_paths; i++)
                if (cfg->masked_paths[i][0] != '/')
                        return bv_error_set(err, EINVAL, "linux.maskedPaths[%zu]: not an absolute path", i);
        for (size_t i = 0; i < cfg->n_readonly_paths; i++)
                if (cfg->readonly_paths[i][0] != '/')
                        return bv_error_set(err, EINVAL, "linux.readonlyPaths[%zu]: not an absolute path", i);
        if ((r = get(lx, "sysctl", JSON_OBJECT, "linux", &v, err)) < 0)
                return r;
        if (v && (r = parse_sysctl(v, cfg, err)) < 0)
                return r;
        if ((r = get_str(lx, "rootfsPropagation", "linux", &s, err)) < 0)
                return r;
        if (s && *s && propagation_parse(s, &cfg->rootfs_propagation) < 0)
                return bv_error_set(err, EINVAL, "linux.rootfsPropagation: unknown '%s'", s);
        if ((r = get(lx, "seccomp", JSON_OBJECT, "linux", &v, err)) < 0)
                return r;
        if (v && (r = parse_seccomp(v, cfg, err)) < 0)
                return r;
        if ((r = get(lx, "resources", JSON_OBJECT, "linux", &v, err)) < 0)
                return r;
        if (v && (r = parse_resources(v, cfg, err)) < 0)
                return r;
        if ((r = get_str(lx, "cgroupsPath", "linux", &cfg->cgroups_path, err)) < 0)
                return r;
        if (cfg->cgroups_path && (strstr(cfg->cgroups_path, "..") || strlen(cfg->cgroups_path) > 512))
                return bv_error_set(err, EINVAL, "linux.cgroupsPath: '%s' is not allowed", cfg->cgroups_path);
        if (cfg->cgroups_path && strchr(cfg->cgroups_path, ':') && cfg->cgroups_path[0] != '/')
                return bv_error_set(err, EOPNOTSUPP,
                                    "linux.cgroupsPath: '%s' is a systemd slice path; the systemd cgroup driver is not supported",
                                    cfg->cgroups_path);
        const char *unsupported[] = { "intelRdt", "personality", "mountLabel" };
        for (size_t k = 0; k < BV_ELEMENTSOF(unsupported); k++) {
                json_t *x = json_object_get(lx, unsupported[k]);
                if (x && !json_is_null(x) && !(json_is_string(x) && !*json_string_value(x)) &&
                    !(json_is_object(x) && json_object_size(x) == 0))
                        return bv_error_set(err, EOPNOTSUPP, "linux.%s: not supported", unsupported[k]);
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

BV_DEFINE_CLEANUP(struct ctr_config, ctr_config_free)

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
        if ((r = get_str(j, "ociVersion", "", &cfg->oci_version, err)) < 0)
                return r;
        if (!cfg->oci_version)
                return bv_error_set(err, EINVAL, "ociVersion: missing");
        if (strncmp(cfg->oci_version, "1.", 2) != 0)
                return bv_error_set(err, EINVAL, "ociVersion: unsupported version '%s'", cfg->oci_version);
        if ((r = get(j, "root", JSON_OBJECT, "", &v, err)) < 0)
                return r;
        if (!v)
                return bv_error_set(err, EINVAL, "root: missing");
        if ((r = get_str(v, "path", "root", &cfg->root_path, err)) < 0 ||
            (r = get_bool(v, "readonly", "root", &cfg->root_readonly, err)) < 0)
                return r;
        if (!cfg->root_path || !*cfg->root_path)
                return bv_error_set(err, EINVAL, "root.path: missing");
        if ((r = get_str(j, "hostname", "", &cfg->hostname, err)) < 0 ||
            (r = get_str(j, "domainname", "", &cfg->domainname, err)) < 0)
                return r;
        if (cfg->hostname && strlen(cfg->hostname) > 64)
                return bv_error_set(err, EINVAL, "hostname: longer than 64 bytes");
        if (cfg->domainname && strlen(cfg->domainname) > 64)
                return bv_error_set(err, EINVAL, "domainname: longer than 64 bytes");
        if ((r = get(j, "process", JSON_OBJECT, "", &v, err)) < 0)
                return r;
        if (v && (r = ctr_process_parse(v, "process", &cfg->process, err)) < 0)
                return r;
        if ((r = get(j, "mounts", JSON_ARRAY, "", &v, err)) < 0)
                return r;
        if (v) {
                if ((r = check_count(v, "mounts", err)) < 0)
                        return r;
                cfg->mounts = calloc(json_array_size(v) + 1, sizeof(*cfg->mounts));
                if (!cfg->mounts)
                        return -ENOMEM;
                FOR_OBJECTS(v, i, item, "mounts", ip, err) {
                        r = parse_mount(item, ip, &cfg->mounts[cfg->n_mounts++], err);
                        if (r < 0)
                                return r;
                }
        }
        if ((r = get(j, "hooks", JSON_OBJECT, "", &v, err)) < 0)
                return r;
        if (v && (r = parse_hooks(v, cfg, err)) < 0)
                return r;
        if ((r = get(j, "annotations", JSON_OBJECT, "", &cfg->annotations, err)) < 0)
                return r;
        if ((r = get(j, "linux", JSON_OBJECT, "", &v, err)) < 0)
                return r;
        if (v && (r = parse_linux(v, cfg, err)) < 0)
                return r;
        if (cfg->ns[CTR_NS_USER].enabled && !cfg->ns[CTR_NS_USER].path &&
            (!cfg->n_uid_maps || !cfg->n_gid_maps))
                return bv_error_set(err, EINVAL, "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
        if (!cfg->ns[CTR_NS_USER].enabled && (cfg->n_uid_maps || cfg->n_gid_maps))
                return bv_error_set(err, EINVAL, "linux.uidMappings: given without a user namespace");
        if (cfg->hostname && *cfg->hostname && !cfg->ns[CTR_NS_UTS].enabled)
                return bv_error_set(err, EINVAL, "hostname: needs a uts namespace");
        if (!cfg->ns[CTR_NS_MOUNT].enabled)
                return bv_error_set(err, EINVAL, "linux.namespaces: a mount namespace is required");
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
