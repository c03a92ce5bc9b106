/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Projects (issue 15, item 4): named groups of instances and networks,
 * each with optional quotas, kept in STATE/projects.json:
 *   {"projects": [{"name", "max_instances"?, "max_memory"? (MiB), "max_vcpus"?, "created"}]}
 * written atomically (0600) on every change and parsed as strictly as the
 * trust store (a bad file stops the start). `default` always exists, is
 * never in the file and has no quotas. What belongs to a project says so
 * in its own definition ("project", absent: default); usage is counted from
 * the registry each time, so nothing here can disagree with it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "net/net.h"
#include "tools/daemon/daemon.h"
#include "vmm/vmm.h"

#define PROJECTS_MAX 256
#define PROJECTS_FILE_MAX (256 * 1024)

static const char *const entry_keys[] = { "name", "max_instances", "max_memory", "max_vcpus", "created", NULL };
static const char *const quota_keys[] = { "max_instances", "max_memory", "max_vcpus" };

const char *projects_of(const char *project)
{
        return project && *project ? project : "default";
}

static int path_of(struct barevirtd *d, char *buf, size_t len)
{
        return snprintf(buf, len, "%s/projects.json", d->state_dir) >= (int)len ? -ENAMETOOLONG : 0;
}

static int entry_check(const json_t *e, size_t i, json_t *names, struct bv_error *err)
{
        char where[32];
        const char *name;
        int r;

        snprintf(where, sizeof(where), "projects[%zu].", i);
        if (!json_is_object(e))
                return bv_error_set(err, EINVAL, "projects[%zu]: expected an object", i);
        if ((r = bv_json_check_keys(e, entry_keys, where, err)) < 0)
                return r;
        name = json_string_value(json_object_get(e, "name"));
        if (!name || !bv_name_is_valid(name))
                return bv_error_set(err, EINVAL, "%sname: missing or not a valid name", where);
        if (strcmp(name, "default") == 0 || json_object_get(names, name))
                return bv_error_set(err, EINVAL, "%sname: '%s' is there twice (or is 'default')", where, name);
        for (size_t k = 0; k < BV_ELEMENTSOF(quota_keys) + 1; k++) {
                const char *key = k < BV_ELEMENTSOF(quota_keys) ? quota_keys[k] : "created";
                json_t *v = json_object_get(e, key);
                if (v && (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > (1LL << 40)))
                        return bv_error_set(err, EINVAL, "%s%s: expected a number >= 0", where, key);
        }
        return json_object_set_new(names, name, json_true()) < 0 ? -ENOMEM : 0;
}

static int parse(const char *data, size_t len, json_t **ret, struct bv_error *err)
{
        static const char *const top[] = { "projects", NULL };
        json_auto_t *o = NULL, *names = json_object();
        json_t *a, *e;
        size_t i;
        int r;

        if (!names)
                return -ENOMEM;
        if ((r = bv_json_load_object(data, len, PROJECTS_FILE_MAX, &o, err)) < 0 ||
            (r = bv_json_check_keys(o, top, "", err)) < 0)
                return r;
        a = json_object_get(o, "projects");
        if (a && !json_is_array(a))
                return bv_error_set(err, EINVAL, "projects: expected an array");
        if (json_array_size(a) > PROJECTS_MAX)
                return bv_error_set(err, EMSGSIZE, "projects: more than %d", PROJECTS_MAX);
        json_array_foreach(a, i, e)
                if ((r = entry_check(e, i, names, err)) < 0)
                        return r;
        *ret = a ? json_incref(a) : json_array();
        return *ret ? 0 : -ENOMEM;
}

int projects_load(struct barevirtd *d, struct bv_error *err)
{
        _cleanup_free_ char *data = NULL;
        char path[4096];
        size_t len;
        int r;

        if ((r = path_of(d, path, sizeof(path))) < 0)
                return bv_error_set(err, -r, "State dir path too long");
        r = bv_file_read(path, PROJECTS_FILE_MAX, &data, &len, err);
        if (r == -ENOENT) {
                d->projects = json_array();
                return d->projects ? 0 : -ENOMEM;
        }
        if (r < 0 || (r = parse(data, len, &d->projects, err)) < 0)
                return bv_error_prefix(err, "'%s'", path);
        return 0;
}

void projects_free(struct barevirtd *d)
{
        json_decref(d->projects);
        d->projects = NULL;
}

static int save(struct barevirtd *d, struct bv_error *err)
{
        json_auto_t *o = json_pack("{s:O}", "projects", d->projects);
        _cleanup_free_ char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
        char path[4096];
        int r;

        if (!s)
                return -ENOMEM;
        if ((r = path_of(d, path, sizeof(path))) < 0)
                return bv_error_set(err, -r, "State dir path too long");
        return bv_file_write_atomic(path, s, strlen(s), 0600, err);
}

static json_t *find(struct barevirtd *d, const char *name, size_t *ret_index)
{
        json_t *e;
        size_t i;

        json_array_foreach(d->projects, i, e)
                if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0) {
                        if (ret_index)
                                *ret_index = i;
                        return e;
                }
        return NULL;
}

bool projects_exists(struct barevirtd *d, const char *name)
{
        return name && (strcmp(name, "default") == 0 || find(d, name, NULL));
}

static void count_network(struct barevirtd *d, const char *path, json_t *o, void *userdata)
{
        void **ctx = userdata;
        const char *p = json_string_value(json_object_get(o, "project"));

        if (strcmp(projects_of(p), ctx[0]) == 0)
                (*(unsigned long long *)ctx[1])++;
}

void projects_usage(struct barevirtd *d, const char *project, struct projects_usage *u)
{
        *u = (struct projects_usage){ 0 };
        for (size_t i = 0; i < d->reg.n_vms; i++) {
                const struct vmm_def *def = vmm_vm_def(d->reg.vms[i]);
                if (strcmp(projects_of(def->project), project) == 0) {
                        u->instances++;
                        u->memory += def->memory_mib;
                        u->vcpus += def->vcpus;
                }
        }
        for (size_t i = 0; i < d->reg.n_cts; i++) {
                const struct ctr_ct_def *def = ctr_ct_get_def(d->reg.cts[i]);
                if (strcmp(projects_of(def->project), project) == 0) {
                        u->instances++;
                        u->memory += def->limits.memory_mib;
                        u->vcpus += (unsigned long long)(def->limits.cpus + 0.999999);  /* rounded up */
                }
        }
        void *ctx[2] = { (void *)project, &u->networks };
        registry_defs_foreach(d, "networks", count_network, ctx);
}

/* Quota key of e, or -1 when unset. */
static long long quota(const json_t *e, const char *key)
{
        json_t *v = json_object_get(e, key);
        return v ? json_integer_value(v) : -1;
}

int projects_quota_check(struct barevirtd *d, const char *project, unsigned long long memory, unsigned long long vcpus,
                         bool ct, struct bv_error *err)
{
        const json_t *e = find(d, project, NULL);
        struct projects_usage u;
        long long max;

        if (!e)
                return 0;
        projects_usage(d, project, &u);
        if ((max = quota(e, "max_instances")) >= 0 && u.instances + 1 > (unsigned long long)max)
                return bv_error_set(err, EDQUOT, "project '%s': max-instances %lld would be exceeded (%llu in use, 1 asked)",
                                    project, max, u.instances);
        if ((max = quota(e, "max_memory")) >= 0) {
                if (ct && memory == 0)
                        return bv_error_set(err, EDQUOT, "project '%s': max-memory %lld MiB: a container needs a "
                                            "memory limit (--memory)", project, max);
                if (u.memory + memory > (unsigned long long)max)
                        return bv_error_set(err, EDQUOT, "project '%s': max-memory %lld MiB would be exceeded "
                                            "(%llu in use, %llu asked)", project, max, u.memory, memory);
        }
        if ((max = quota(e, "max_vcpus")) >= 0) {
                if (ct && vcpus == 0)
                        return bv_error_set(err, EDQUOT, "project '%s': max-vcpus %lld: a container needs a cpu "
                                            "limit (--cpus)", project, max);
                if (u.vcpus + vcpus > (unsigned long long)max)
                        return bv_error_set(err, EDQUOT, "project '%s': max-vcpus %lld would be exceeded "
                                            "(%llu in use, %llu asked)", project, max, u.vcpus, vcpus);
        }
        return 0;
}

static json_t *project_json(struct barevirtd *d, const char *name, const json_t *e)
{
        struct projects_usage u;
        json_t *o = e ? json_deep_copy(e) : json_pack("{s:s}", "name", name);

        projects_usage(d, name, &u);
        if (o)
                json_object_set_new(o, "usage", json_pack("{s:I,s:I,s:I,s:I}", "instances", (json_int_t)u.instances,
                                                          "memory", (json_int_t)u.memory, "vcpus", (json_int_t)u.vcpus,
                                                          "networks", (json_int_t)u.networks));
        return o;
}

json_t *projects_list_json(struct barevirtd *d, const char *scope)
{
        json_t *a = json_array(), *e;
        size_t i;

        if (!a)
                return NULL;
        if (!scope || strcmp(scope, "default") == 0)
                json_array_append_new(a, project_json(d, "default", NULL));
        json_array_foreach(d->projects, i, e) {
                const char *name = json_string_value(json_object_get(e, "name"));
                if (!scope || strcmp(scope, name) == 0)
                        json_array_append_new(a, project_json(d, name, e));
        }
        return a;
}

int projects_get_json(struct barevirtd *d, const char *name, json_t **ret, struct bv_error *err)
{
        if (!projects_exists(d, name))
                return bv_error_set(err, ENOENT, "No project named '%.64s'", name);
        *ret = project_json(d, name, find(d, name, NULL));
        return *ret ? 0 : -ENOMEM;
}

int projects_create(struct barevirtd *d, const json_t *body, json_t **ret, struct bv_error *err)
{
        static const char *const keys[] = { "name", "max_instances", "max_memory", "max_vcpus", NULL };
        const char *name = json_string_value(json_object_get(body, "name"));
        json_auto_t *e = NULL;
        int r;

        if ((r = bv_json_check_keys(body, keys, "", err)) < 0 || (r = bv_name_check(name, "project", err)) < 0)
                return r;
        if (projects_exists(d, name))
                return bv_error_set(err, EEXIST, "Project '%s' exists already", name);
        if (json_array_size(d->projects) >= PROJECTS_MAX)
                return bv_error_set(err, ENOSPC, "At most %d projects", PROJECTS_MAX);
        if (!(e = json_pack("{s:s,s:I}", "name", name, "created", (json_int_t)time(NULL))))
                return -ENOMEM;
        for (size_t k = 0; k < BV_ELEMENTSOF(quota_keys); k++) {
                unsigned v;
                if (!json_object_get(body, quota_keys[k]))
                        continue;
                if ((r = bv_json_get_uint(body, quota_keys[k], "", 0, 1u << 30, &v, err)) < 0)
                        return r;
                json_object_set_new(e, quota_keys[k], json_integer(v));
        }
        if (json_array_append(d->projects, e) < 0)
                return -ENOMEM;
        if ((r = save(d, err)) < 0) {
                json_array_remove(d->projects, json_array_size(d->projects) - 1);
                return r;
        }
        *ret = project_json(d, name, e);
        return 0;
}

int projects_delete(struct barevirtd *d, const char *name, struct bv_error *err)
{
        struct projects_usage u;
        size_t i;
        int r;

        if (strcmp(name, "default") == 0)
                return bv_error_set(err, EPERM, "Project 'default' always exists and cannot be deleted");
        json_t *e = find(d, name, &i);
        if (!e)
                return bv_error_set(err, ENOENT, "No project named '%.64s'", name);
        projects_usage(d, name, &u);
        if (u.instances || u.networks)
                return bv_error_set(err, EBUSY, "Project '%s' is not empty (%llu instance%s, %llu network%s)", name,
                                    u.instances, u.instances == 1 ? "" : "s", u.networks, u.networks == 1 ? "" : "s");
        json_incref(e);
        json_array_remove(d->projects, i);
        if ((r = save(d, err)) < 0) {
                json_array_insert(d->projects, i, e);
                json_decref(e);
                return r;
        }
        json_decref(e);
        return 0;
}
