/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A container's files: create (the host checks, an image tarball imported
 * in a child process, the definition written atomically to
 * STATE/containers/NAME.json) and delete (the definition, the host side,
 * then the upper layer, the run directory and the runtime's state, removed
 * in a child process: they may be large, and never block the loop).
 *
 * Invariants: bad input changes nothing (everything a definition names is
 * checked before any file is written); a failed create leaves no file.
 * A create or delete in flight is one struct ct_op, which the job's
 * callback finds the container through; ctr_ct_free() detaches it, so a
 * job that ends after the container was forgotten touches nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"
#include "ctr/ctr.h"

#define IMPORT_TIMEOUT_USEC (600 * 1000000ULL)
#define REMOVE_TIMEOUT_USEC (600 * 1000000ULL)
#define STOP_WAIT_USEC (30 * 1000000ULL)

struct ctr_ct_op {
        struct ctr_ct *ct;            /* NULL once the container was forgotten */
        struct bv_timer *timer;       /* a result ready now, answered from the loop */
        int r;
        char images[PATH_MAX];        /* create: STATE/images and the tarball */
        char tar[PATH_MAX];
        char dirs[2][PATH_MAX];       /* delete: state and run directories */
        char runtime_root[PATH_MAX];
        char name[64];
};

static void def_path(const struct ctr_ct *ct, char *buf, size_t len)
{
        bv_def_path(buf, len, ct->h->o.state_dir, "containers", ct->def->name);
}

int ctr_ct_store_def(struct ctr_ct *ct, struct bv_error *err)
{
        char path[PATH_MAX];
        json_auto_t *o = ctr_ct_def_to_json(ct->def);

        def_path(ct, path, sizeof(path));
        return o ? bv_json_write_file(path, o, err) : bv_error_set(err, ENOMEM, "Out of memory");
}

static struct ctr_ct_op *op_new(struct ctr_ct *ct)
{
        struct ctr_ct_op *op = calloc(1, sizeof(*op));

        if (op) {
                op->ct = ct;
                snprintf(op->name, sizeof(op->name), "%s", ct->def->name);
                ct->op = op;
        }
        return op;
}

/* The job of op ended: its container (when still there) answers its waiters with r. */
static void op_done(struct ctr_ct_op *op, int r, const char *msg)
{
        struct ctr_ct *ct = op->ct;

        free(op);
        if (!ct)
                return;
        ct->op = NULL;
        ctr_ct_waiters_fire(ct, CTR_CT_WAIT_OP, r, msg);
}

static void on_op_soon(struct bv_loop *loop, void *userdata)
{
        struct ctr_ct_op *op = userdata;

        op->timer = NULL;
        op_done(op, op->r, NULL);
}

/* op_done() from the loop, for a result that is there before the call returns. */
static void op_done_soon(struct ctr_ct_op *op, int r)
{
        op->r = r;
        if (bv_loop_add_timer(op->ct->h->o.loop, 1, on_op_soon, op, &op->timer) < 0)
                op_done(op, r, NULL);
}

void ctr_ct_op_detach(struct ctr_ct *ct)
{
        struct ctr_ct_op *op = ct->op;

        if (!op)
                return;
        ct->op = NULL;
        op->ct = NULL;
        if (op->timer) {
                bv_timer_cancel(op->timer);
                free(op);
        }
}

/* ---- create ---------------------------------------------------------------------------- */

static int check_path(const char *what, const char *path, bool dir, struct bv_error *err)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return bv_error_set_errno(err, errno, "%s '%s'", what, path);
        if (dir && !S_ISDIR(st.st_mode))
                return bv_error_set(err, ENOTDIR, "%s '%s' is not a directory", what, path);
        if (!dir && !S_ISREG(st.st_mode))
                return bv_error_set(err, EINVAL, "%s '%s' is not a regular file", what, path);
        return 0;
}

/* Everything a definition names on this host; nothing is changed. */
static int check_host(const struct ctr_ct *ct, struct bv_error *err)
{
        const struct ctr_ct_def *def = ct->def;
        const struct ctr_ct_host *h = ct->h;
        char bridge[64];
        struct stat st;
        int r;

        if (def->rootfs && (r = check_path("rootfs", def->rootfs, true, err)) < 0)
                return r;
        if (def->image && (r = check_path("image", def->image, false, err)) < 0)
                return r;
        for (size_t i = 0; i < def->n_mounts; i++)
                if (stat(def->mounts[i].source, &st) < 0)
                        return bv_error_set_errno(err, errno, "mounts[%zu]: source '%s'", i, def->mounts[i].source);
        for (size_t i = 0; i < def->n_nics; i++)
                if ((r = h->o.bridge_of(h->o.userdata, def->nics[i].network, bridge, sizeof(bridge), err)) < 0)
                        return bv_error_prefix(err, "nics[%zu]", i);
        if (def->n_nics && !h->o.net)
                return bv_error_set(err, EOPNOTSUPP, "Networking is unavailable in barevirtd (netlink failed at start)");
        return ctr_ct_limits_check(def, ctr_ct_host_cgroups(h), err);
}

/* Stores the definition (and makes the upper layer's directory of an image container). */
static int finish_create(struct ctr_ct *ct, struct bv_error *err)
{
        char dir[PATH_MAX];
        int r;

        if (ct->def->image) {
                ctr_ct_state_path(ct, NULL, dir, sizeof(dir));
                if ((r = bv_mkdir_p(dir, 0700, err)) < 0)
                        return r;
        }
        if ((r = ctr_ct_store_def(ct, err)) < 0) {
                if (ct->def->image)
                        rmdir(dir);
                return r;
        }
        ct->state = CTR_CT_CREATED;
        ctr_ct_log(ct->h, CTR_LOG_INFO, "container '%s' created", ct->def->name);
        ctr_ct_emit(ct, "created", NULL);
        return 0;
}

static int import_child(void *arg, char *out, size_t len)
{
        struct ctr_ct_op *op = arg;
        struct bv_error err = {};
        char id[32];

        int r = ctr_image_import(op->images, op->tar, id, sizeof(id), &err);
        snprintf(out, len, "%s", r < 0 ? err.msg : id);
        return r;
}

static void import_done(int r, const char *out, void *userdata)
{
        struct ctr_ct_op *op = userdata;
        struct ctr_ct *ct = op->ct;
        struct bv_error err = {};
        char msg[300];

        if (!ct) {
                op_done(op, r, NULL);
                return;
        }
        if (r < 0) {
                /* The import's own message usually names the image already: never say it twice. */
                if (out[0] && strstr(out, ct->def->image))
                        snprintf(msg, sizeof(msg), "%s", out);
                else
                        snprintf(msg, sizeof(msg), "Image '%s': %s", ct->def->image, out[0] ? out : strerror(-r));
                op_done(op, r == -EINVAL || r == -ENOENT ? -EINVAL : r, msg);
        } else if (!(ct->def->image_id = strdup(out)))
                op_done(op, -ENOMEM, "Out of memory");
        else if ((r = finish_create(ct, &err)) < 0)
                op_done(op, r, err.msg);
        else
                op_done(op, 0, NULL);
}

static int start_import(struct ctr_ct *ct, struct bv_error *err)
{
        struct ctr_ct_op *op = op_new(ct);
        int r;

        if (!op)
                return bv_error_set(err, ENOMEM, "Out of memory");
        snprintf(op->images, sizeof(op->images), "%s/images", ct->h->o.state_dir);
        snprintf(op->tar, sizeof(op->tar), "%s", ct->def->image);
        if ((r = bv_mkdir_p(op->images, 0700, err)) < 0 ||
            (r = bv_job_fork(ct->h->jobs, import_child, op, IMPORT_TIMEOUT_USEC, import_done, op)) < 0) {
                ct->op = NULL;
                free(op);
                return err->msg[0] ? r : bv_error_set(err, -r, "Failed to start the image import");
        }
        return 0;
}

int ctr_ct_create(struct ctr_ct *ct, ctr_ct_done_cb done, void *userdata, struct bv_error *err)
{
        struct ctr_ct_def *def = ct->def;
        char dir[PATH_MAX];
        int r;

        if (ct->state != CTR_CT_CREATING || ct->op)
                return bv_error_set(err, EALREADY, "Container '%s' exists", def->name);
        if ((r = check_host(ct, err)) < 0)
                return r;
        if (def->userns && !def->userns_base)
                def->userns_base = ctr_ct_host_userns_alloc(ct->h);
        snprintf(dir, sizeof(dir), "%s/containers", ct->h->o.state_dir);
        if ((r = bv_mkdir_p(dir, 0700, err)) < 0)
                return r;
        if ((r = ctr_ct_wait_add(ct, CTR_CT_WAIT_OP, 0, done, userdata)) < 0)
                return bv_error_set(err, -r, "Out of memory");
        if (def->image)
                r = start_import(ct, err);
        else if ((r = finish_create(ct, err)) >= 0) {
                struct ctr_ct_op *op = op_new(ct);
                if (op)
                        op_done_soon(op, 0);
                else
                        r = bv_error_set(err, ENOMEM, "Out of memory");
        }
        if (r < 0)
                ctr_ct_wait_cancel(ct, CTR_CT_WAIT_OP);
        return r;
}

/* ---- delete ------------------------------------------------------------------------------ */

/* In a child: leftovers of the runtime, then the container's directories (never across mounts). */
static int removal_child(void *arg, char *out, size_t len)
{
        struct ctr_ct_op *op = arg;
        struct bv_error err = {};
        char state[PATH_MAX + 64];

        snprintf(state, sizeof(state), "%s/%s", op->runtime_root, op->name);
        if (access(state, F_OK) == 0 && ctr_container_delete(op->runtime_root, op->name, true, &err) < 0)
                snprintf(out, len, "runtime state: %s", err.msg);
        for (int i = 0; i < 2; i++)
                if (op->dirs[i][0])
                        bv_rm_rf(op->dirs[i]);
        return 0;
}

static void removal_done(int r, const char *out, void *userdata)
{
        struct ctr_ct_op *op = userdata;

        if (out && out[0] && op->ct)
                ctr_ct_log(op->ct->h, CTR_LOG_WARN, "container '%s': %s", op->name, out);
        op_done(op, 0, NULL);
}

/*
 * Without an upper layer and runtime leftovers there are only the few small
 * files of the run directory, all ours: removed here, no child.
 */
static bool removal_is_small(const struct ctr_ct_op *op)
{
        char path[PATH_MAX + 64];
        struct stat st;

        snprintf(path, sizeof(path), "%s/%s", op->runtime_root, op->name);
        return stat(op->dirs[0], &st) < 0 && stat(path, &st) < 0;
}

static void start_removal(struct ctr_ct *ct)
{
        struct ctr_ct_op *op = op_new(ct);

        if (!op) {
                ctr_ct_waiters_fire(ct, CTR_CT_WAIT_OP, 0, NULL);
                return;
        }
        ctr_ct_state_path(ct, NULL, op->dirs[0], sizeof(op->dirs[0]));
        ctr_ct_run_path(ct, NULL, op->dirs[1], sizeof(op->dirs[1]));
        snprintf(op->runtime_root, sizeof(op->runtime_root), "%s", ct->h->runtime_root);
        if (removal_is_small(op)) {
                bv_rm_rf(op->dirs[1]);
                op_done_soon(op, 0);
        } else if (bv_job_fork(ct->h->jobs, removal_child, op, REMOVE_TIMEOUT_USEC, removal_done, op) < 0) {
                /* The definition is gone; the files stay behind. */
                ctr_ct_log(ct->h, CTR_LOG_WARN, "container '%s': could not remove its files", op->name);
                op_done_soon(op, 0);
        }
}

static int drop_definition(struct ctr_ct *ct, struct bv_error *err)
{
        char path[PATH_MAX];

        def_path(ct, path, sizeof(path));
        if (unlink(path) < 0 && errno != ENOENT)
                return bv_error_set_errno(err, errno, "Failed to remove the definition");
        return 0;
}

/* The definition is gone: the host side and the files follow. */
static void remove_rest(struct ctr_ct *ct)
{
        ctr_ct_host_teardown(ct);
        ctr_ct_log(ct->h, CTR_LOG_INFO, "container '%s' deleted", ct->def->name);
        ctr_ct_emit(ct, "deleted", NULL);
        start_removal(ct);
}

static void delete_failed(struct ctr_ct *ct, int r, const char *msg)
{
        ct->deleting = false;
        ctr_ct_waiters_fire(ct, CTR_CT_WAIT_OP, r, msg);
}

static void delete_after_stop(struct ctr_ct *ct, int r, const struct bv_error *err, void *userdata)
{
        struct bv_error e = {};

        if (r >= 0 && !ctr_ct_state_ended(ct->state)) {
                /* It was starting and now runs: stop it, then come back. */
                if ((r = ctr_ct_stop_now(ct, 0, &e)) >= 0 &&
                    (r = ctr_ct_wait_add(ct, CTR_CT_WAIT_END, STOP_WAIT_USEC, delete_after_stop, NULL)) >= 0)
                        return;
                err = &e;
        }
        if (r < 0 && r != -EALREADY && !ctr_ct_state_ended(ct->state))
                delete_failed(ct, r, err ? err->msg : NULL);
        else if ((r = drop_definition(ct, &e)) < 0)
                delete_failed(ct, r, e.msg);
        else
                remove_rest(ct);
}

/* Stops a live container for its deletion; delete_after_stop() goes on. */
static int stop_for_delete(struct ctr_ct *ct, struct bv_error *err)
{
        int r = 0;

        if (ct->state != CTR_CT_STOPPING && ct->state != CTR_CT_STARTING)
                r = ctr_ct_stop_now(ct, 0, err);
        if (r >= 0 && (r = ctr_ct_wait_add(ct, ct->state == CTR_CT_STARTING ? CTR_CT_WAIT_START : CTR_CT_WAIT_END,
                                           STOP_WAIT_USEC, delete_after_stop, NULL)) < 0)
                r = bv_error_set(err, -r, "Out of memory");
        return r;
}

int ctr_ct_delete(struct ctr_ct *ct, bool force, ctr_ct_done_cb done, void *userdata, struct bv_error *err)
{
        bool ended = ctr_ct_state_ended(ct->state);
        int r;

        if (ct->state == CTR_CT_CREATING || ct->deleting)
                return bv_error_set(err, EBUSY, "Container '%s' is %s", ct->def->name,
                                    ct->deleting ? "being deleted" : "being created");
        if (!ended && !force)
                return bv_error_set(err, EBUSY, "Container '%s' is %s: stop it first or use --force",
                                    ct->def->name, ctr_ct_state_name(ct->state));
        if ((r = ctr_ct_wait_add(ct, CTR_CT_WAIT_OP, 0, done, userdata)) < 0)
                return bv_error_set(err, -r, "Out of memory");
        if ((r = ended ? drop_definition(ct, err) : stop_for_delete(ct, err)) < 0) {
                ctr_ct_wait_cancel(ct, CTR_CT_WAIT_OP);
                return r;
        }
        ct->deleting = true;
        if (ended)
                remove_rest(ct);
        return 0;
}
