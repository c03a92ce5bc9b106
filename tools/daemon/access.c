/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the identity of a request may see and name, beyond its role
 * (auth.c): the project it is restricted to (a token's or certificate's
 * "project"), and host paths.
 *
 * Projects: an identity restricted to project P sees only P's instances
 * and networks. The router hides the others at its one lookup by name
 * (api.c, access_hidden()) with the very answer a missing name gets, so
 * no endpoint can forget; lists ask access_sees(); creates go through
 * access_create_check(), which also applies the quotas.
 *
 * Host paths: a VM disk, kernel or initrd, a container's rootfs, image,
 * seccomp profile or bind mount is opened by root. What it defends
 * against: an operator (or the socket group) naming /dev/sda or / and so
 * becoming root on the host. Identities that are not admin may name only
 * files inside barevirt's own store (STATE/images, STATE/volumes), checked
 * on the resolved path (symlinks followed), and may not pass raw QEMU
 * arguments or ask for privileged containers. Admin and the root UNIX
 * socket keep every path.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "net/net.h"
#include "tools/daemon/daemon.h"
#include "vmm/vmm.h"
#ifdef BV_TLS
#include "tls/tls.h"
#endif

static const char *const store_dirs[] = { "images", "volumes" };

const char *access_scope(const struct bv_http_request *req)
{
#ifdef BV_TLS
        const struct auth_peer *p = req->peer_data;
        if (p && p->project[0])
                return p->project;
#endif
        return NULL;
}

bool access_is_admin(const struct bv_http_request *req)
{
#ifdef BV_TLS
        const struct auth_peer *p = req->peer_data;
        return !p || p->role == TLS_ROLE_ADMIN;
#else
        return true;
#endif
}

bool access_sees(const struct bv_http_request *req, const char *project)
{
        const char *scope = access_scope(req);

        return !scope || strcmp(scope, projects_of(project)) == 0;
}

const char *access_instance_project(struct barevirtd *d, const char *name)
{
        const struct vmm_vm *vm = registry_vm(d, name);
        const struct ctr_ct *ct = vm ? NULL : registry_ct(d, name);

        if (vm)
                return projects_of(vmm_vm_def(vm)->project);
        if (ct)
                return projects_of(ctr_ct_get_def(ct)->project);
        return NULL;
}

int access_create_check(struct barevirtd *d, const struct bv_http_request *req, char **project,
                        unsigned long long memory, unsigned long long vcpus, bool ct, struct bv_error *err)
{
        const char *scope = access_scope(req);

        if (scope && !*project && !(*project = strdup(scope)))
                return -ENOMEM;
        /* The same refusal whether the other project exists or not. */
        if (scope && strcmp(scope, projects_of(*project)) != 0)
                return bv_error_set(err, EACCES, "This identity may create only in project '%s'", scope);
        if (!projects_exists(d, projects_of(*project)))
                return bv_error_set(err, ENOENT, "No project named '%.64s'", *project);
        return projects_quota_check(d, projects_of(*project), memory, vcpus, ct, err);
}

int access_network_create(struct barevirtd *d, const struct bv_http_request *req, struct net_def *def,
                          struct bv_error *err)
{
        const char *scope = access_scope(req);

        if (scope && !def->project[0])
                snprintf(def->project, sizeof(def->project), "%s", scope);
        if (scope && strcmp(scope, projects_of(def->project)) != 0)
                return bv_error_set(err, EACCES, "This identity may create only in project '%s'", scope);
        if (!projects_exists(d, projects_of(def->project)))
                return bv_error_set(err, ENOENT, "No project named '%.64s'", def->project);
        return 0;
}

/* Whether path resolves to a file inside STATE/images or STATE/volumes. */
static bool in_store(struct barevirtd *d, const char *path)
{
        char real[PATH_MAX], dir[PATH_MAX + 16], realdir[PATH_MAX];

        if (!realpath(path, real))
                return false;
        for (size_t i = 0; i < BV_ELEMENTSOF(store_dirs); i++) {
                snprintf(dir, sizeof(dir), "%s/%s", d->state_dir, store_dirs[i]);
                if (!realpath(dir, realdir))
                        continue;
                size_t n = strlen(realdir);
                if (strncmp(real, realdir, n) == 0 && real[n] == '/')
                        return true;
        }
        return false;
}

static int path_ok(struct barevirtd *d, const char *key, const char *path, struct bv_error *err)
{
        if (!path || in_store(d, path))
                return 0;
        return bv_error_set(err, EACCES, "%s: '%.200s' is a host path; only admin may name one outside barevirt's "
                            "store (%s/images, %s/volumes)", key, path, d->state_dir, d->state_dir);
}

int access_disk_paths(struct barevirtd *d, const struct bv_http_request *req, const struct vmm_disk *k,
                      const char *where, struct bv_error *err)
{
        char key[64];
        int r;

        if (access_is_admin(req))
                return 0;
        snprintf(key, sizeof(key), "%sfile", where);
        if ((r = path_ok(d, key, k->file, err)) < 0)
                return r;
        snprintf(key, sizeof(key), "%soverlay_file", where);
        return path_ok(d, key, k->overlay_file, err);
}

static int access_vm_paths(struct barevirtd *d, const struct bv_http_request *req, const struct vmm_def *def,
                    struct bv_error *err)
{
        char where[32];
        int r;

        if (access_is_admin(req))
                return 0;
        if (def->n_extra_args)
                return bv_error_set(err, EACCES, "extra_args: only admin may pass QEMU arguments");
        if ((r = path_ok(d, "kernel", def->kernel, err)) < 0 || (r = path_ok(d, "initrd", def->initrd, err)) < 0)
                return r;
        for (size_t i = 0; i < def->n_disks; i++) {
                snprintf(where, sizeof(where), "disks[%zu].", i);
                if ((r = access_disk_paths(d, req, &def->disks[i], where, err)) < 0)
                        return r;
        }
        return 0;
}

static int access_ct_paths(struct barevirtd *d, const struct bv_http_request *req, const struct ctr_ct_def *def,
                    struct bv_error *err)
{
        char key[48];
        int r;

        if (access_is_admin(req))
                return 0;
        if (def->privileged)
                return bv_error_set(err, EACCES, "privileged: only admin may create a privileged container");
        if ((r = path_ok(d, "rootfs", def->rootfs, err)) < 0 || (r = path_ok(d, "image", def->image, err)) < 0)
                return r;
        if (def->seccomp && def->seccomp[0] == '/' && (r = path_ok(d, "seccomp", def->seccomp, err)) < 0)
                return r;
        for (size_t i = 0; i < def->n_mounts; i++) {
                snprintf(key, sizeof(key), "mounts[%zu].source", i);
                if ((r = path_ok(d, key, def->mounts[i].source, err)) < 0)
                        return r;
        }
        return 0;
}

/* A name held in another project is "not available", with no word of what holds it. */
static int name_free(struct barevirtd *d, const struct bv_http_request *req, const char *name,
                     const struct instance_kind *kind, struct bv_error *err)
{
        int r = registry_name_free(d, name, kind, err);

        if (r == -EEXIST && !access_sees(req, access_instance_project(d, name)))
                return bv_error_set(err, EEXIST, "The name '%s' is not available", name);
        return r;
}

/* A NIC's network must be one the identity sees: another project's is answered as one that does not exist. */
static int network_seen(struct barevirtd *d, const struct bv_http_request *req, const char *network, struct bv_error *err)
{
        char buf[64];
        const char *p = access_scope(req) ? networks_project(d, network, buf) : NULL;

        if (p && !access_sees(req, p))
                return bv_error_set(err, ENOENT, "No network named '%.64s'", network);
        return 0;
}

int access_vm_create(struct barevirtd *d, const struct bv_http_request *req, struct vmm_def *def, struct bv_error *err)
{
        int r;

        if ((r = access_create_check(d, req, &def->project, def->memory_mib, def->vcpus, false, err)) < 0 ||
            (r = access_vm_paths(d, req, def, err)) < 0)
                return r;
        for (size_t i = 0; i < def->n_nics; i++)
                if ((r = network_seen(d, req, def->nics[i].network, err)) < 0)
                        return r;
        return name_free(d, req, def->name, &instance_kind_vm, err);
}

int access_ct_create(struct barevirtd *d, const struct bv_http_request *req, struct ctr_ct_def *def,
                     struct bv_error *err)
{
        unsigned long long cpus = (unsigned long long)(def->limits.cpus + 0.999999);
        int r;

        if ((r = access_create_check(d, req, &def->project, def->limits.memory_mib, cpus, true, err)) < 0 ||
            (r = access_ct_paths(d, req, def, err)) < 0)
                return r;
        for (size_t i = 0; i < def->n_nics; i++)
                if ((r = network_seen(d, req, def->nics[i].network, err)) < 0)
                        return r;
        return name_free(d, req, def->name, &instance_kind_ct, err);
}

int access_engine_create(struct barevirtd *d, const struct bv_http_request *req, const json_t *body,
                         struct bv_error *err)
{
        const char *scope = access_scope(req);
        static const char *const host_keys[] = { "binds", "mounts" };

        if (scope && strcmp(scope, "default") != 0)
                return bv_error_set(err, EACCES, "This identity may create only in project '%s'", scope);
        if (access_is_admin(req))
                return 0;
        for (size_t i = 0; i < BV_ELEMENTSOF(host_keys); i++)
                if (json_object_get(body, host_keys[i]))
                        return bv_error_set(err, EACCES, "%s: only admin may mount host paths into an engine container",
                                            host_keys[i]);
        return 0;
}

int access_path(struct barevirtd *d, const struct bv_http_request *req, const char *key, const char *path,
                struct bv_error *err)
{
        return access_is_admin(req) ? 0 : path_ok(d, key, path, err);
}
