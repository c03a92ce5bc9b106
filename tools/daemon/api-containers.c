/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/containers: barevirt's own containers (definitions in
 * STATE/containers/NAME.json, written atomically; see ctr/ct.h for the
 * keys). The lifecycle is ct-run.c; this file is the API and the files.
 *
 *   GET    /v1/containers                 list
 *   POST   /v1/containers                 create (body: a definition); an image tarball
 *                                         is imported first, in a child process
 *   GET    /v1/containers/NAME            one container, with live usage from its cgroup
 *   DELETE /v1/containers/NAME[?force=1]  delete (a running one only with force)
 *   POST   /v1/containers/NAME/ACTION     start, stop, kill, restart
 *   POST   /v1/containers/NAME/exec       {"cmd": [...], "env": [...], "tty": false}
 *                                         -> {"exit_code", "stdout", "stderr"}
 *   GET    /v1/containers/NAME/logs[?tail=N][&follow=1]   console.log as text
 *
 * Invariants: bad input changes nothing (definitions are validated, and
 * everything they name on the host checked, before any file is written);
 * requested limits the host cannot enforce are refused at create and at
 * start, naming the missing controller; a container and a VM never share
 * a name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/file.h"
#include "common/json.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/parse.h"
#include "ctr/oci.h"
#include "tools/daemon/containers.h"

#define MAX_CONTAINERS 4096
#define DEF_MAX (256 * 1024)
#define IMPORT_TIMEOUT_USEC (600 * 1000000ULL)
#define REMOVE_TIMEOUT_USEC (600 * 1000000ULL)
#define EXEC_MAX_OUTPUT (1024 * 1024)
#define EXEC_DEFAULT_TIMEOUT 300
#define LOG_MAX_READ (16 * 1024 * 1024)
#define STOP_WAIT_EXTRA_USEC (30 * 1000000ULL)
#define KILL_WAIT_USEC (10 * 1000000ULL)
#define START_WAIT_USEC (90 * 1000000ULL)
#define USERNS_FIRST 0x100000u          /* host ids for user namespaces start here */

/* ---- paths, lookup, JSON -------------------------------------------------------- */

void ct_run_path(struct ct *ct, const char *file, char *buf, size_t len)
{
        snprintf(buf, len, "%s/containers/%s%s%s", ct->cts->d->run_dir, ct->def->name, file ? "/" : "", file ? file : "");
}

void ct_state_path(struct ct *ct, const char *file, char *buf, size_t len)
{
        snprintf(buf, len, "%s/containers/%s%s%s", ct->cts->d->state_dir, ct->def->name, file ? "/" : "", file ? file : "");
}

static void def_path(struct barevirtd *d, const char *name, char *buf, size_t len)
{
        snprintf(buf, len, "%s/containers/%s.json", d->state_dir, name);
}

struct ct *cts_find(struct barevirtd *d, const char *name)
{
        struct containers *cts = d->cts;

        for (size_t i = 0; cts && i < cts->n; i++)
                if (strcmp(cts->v[i]->def->name, name) == 0)
                        return cts->v[i];
        return NULL;
}

bool containers_exists(struct barevirtd *d, const char *name)
{
        return cts_find(d, name) != NULL;
}

int ct_store_def(struct ct *ct, struct bv_error *err)
{
        char path[PATH_MAX];
        json_auto_t *o = ctr_ct_def_to_json(ct->def);

        def_path(ct->cts->d, ct->def->name, path, sizeof(path));
        return o ? bv_json_write_file(path, o, err) : bv_error_set(err, ENOMEM, "Out of memory");
}

static bool ended(enum ct_state s)
{
        return s == CT_CREATED || s == CT_STOPPED || s == CT_CRASHED;
}

/* A cgroup file's first number, or -1. */
static long long cg_read(struct ct *ct, const char *file, const char *key)
{
        char path[PATH_MAX], buf[4096];
        const struct ctr_cgroup_info *cg = &ct->cts->cg;

        if (ct->cts->cg_ok < 0 || !cg->v2_root[0])
                return -1;
        snprintf(path, sizeof(path), "%s/%s/%s/%s", cg->v2_root, ct->cts->d->cgroup_parent, ct->def->name, file);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return -1;
        buf[n] = '\0';
        const char *p = buf;
        if (key) {
                size_t kl = strlen(key);
                for (p = buf; p && !(strncmp(p, key, kl) == 0 && p[kl] == ' '); p = strchr(p, '\n'))
                        if (*p == '\n')
                                p++;
                if (!p)
                        return -1;
                p += kl + 1;
        }
        char *end;
        long long v = strtoll(p, &end, 10);
        return end == p ? -1 : v;
}

static json_t *num_or_null(long long v)
{
        return v >= 0 ? json_integer(v) : json_null();
}

/* The part of a container's JSON that the list shows too. */
static json_t *ct_summary(struct ct *ct, bool live)
{
        const struct ctr_ct_def *def = ct->def;
        const struct ctr_ct_limits *l = &def->limits;
        json_t *limits = json_object();

        if (l->memory_mib)
                json_object_set_new(limits, "memory", json_integer((json_int_t)l->memory_mib));
        if (l->memory_swap_mib)
                json_object_set_new(limits, "memory_swap", json_integer((json_int_t)l->memory_swap_mib));
        if (l->cpus > 0)
                json_object_set_new(limits, "cpus", json_real(l->cpus));
        if (l->cpu_weight)
                json_object_set_new(limits, "cpu_weight", json_integer(l->cpu_weight));
        if (l->pids)
                json_object_set_new(limits, "pids", json_integer((json_int_t)l->pids));
        if (l->io_weight)
                json_object_set_new(limits, "io_weight", json_integer(l->io_weight));
        json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:b,s:s?,s:s?,s:I,s:s?,s:o,s:s?,s:s?,s:s?}",
                              "name", def->name,
                              "state", ct_state_name(ct->state),
                              "pid", live && ct->st.pid > 0 ? json_integer(ct->st.pid) : json_null(),
                              "monitor_pid", ct->monitor_pid > 0 ? json_integer(ct->monitor_pid) : json_null(),
                              "exit_code", ct->have_status && ct->st.exit_code >= 0 ? json_integer(ct->st.exit_code) : json_null(),
                              "signal", ct->have_status && ct->st.signal > 0 ? json_integer(ct->st.signal) : json_null(),
                              "oom_killed", ct->have_status && ct->st.oom_killed,
                              "started_at", ct->have_status && ct->st.started_at[0] ? ct->st.started_at : NULL,
                              "finished_at", ct->have_status && ct->st.finished_at[0] ? ct->st.finished_at : NULL,
                              "restarts", (json_int_t)(ct->have_status ? ct->st.restarts : 0),
                              "error", ct->error[0] ? ct->error : NULL,
                              "limits", limits,
                              "rootfs", def->rootfs, "image", def->image, "image_id", def->image_id);
        if (!o)
                return NULL;
        json_t *nics = json_array();
        for (size_t i = 0; i < def->n_nics; i++) {
                const struct ctr_ct_nic *n = &def->nics[i];
                char mac[18], ifname[16];
                snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1], n->mac[2], n->mac[3],
                         n->mac[4], n->mac[5]);
                snprintf(ifname, sizeof(ifname), "eth%zu", i);
                json_array_append_new(nics, json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:s?}", "network", n->network,
                                                      "ifname", ifname, "mac", mac, "ip", n->ip, "gw", n->gw,
                                                      "host_ifname", live && ct->veth[i][0] ? ct->veth[i] : NULL));
        }
        json_object_set_new(o, "nics", nics);
        return o;
}

/* Whether start_rootfs() could idmap the rootfs (the idmapped view is a mount root). */
static bool rootfs_idmapped(struct ct *ct)
{
        char path[PATH_MAX];
        struct statx stx;

        ct_run_path(ct, ct->def->image ? "lower" : "rootfs", path, sizeof(path));
        return statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) == 0 &&
               (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

json_t *ct_to_json(struct ct *ct, bool full)
{
        bool live = ct->state == CT_RUNNING || ct->state == CT_STOPPING || ct->state == CT_RESTARTING;
        json_t *o = ct_summary(ct, live);

        if (!o || !full)
                return o;
        struct containers *cts = ct->cts;
        char sock[PATH_MAX], log[PATH_MAX];
        ct_run_path(ct, "console.sock", sock, sizeof(sock));
        ct_run_path(ct, "console.log", log, sizeof(log));
        json_object_set_new(o, "console", json_pack("{s:s,s:s}", "socket", sock, "log", log));
        json_object_set_new(o, "runtime", json_pack("{s:s,s:s}", "path", cts->runtime_path, "root", cts->runtime_root));
        json_object_set_new(o, "definition", ctr_ct_def_to_json(ct->def));
        if (ct->net_usec && live) {
                json_object_set_new(o, "net_attach_usec", json_integer((json_int_t)ct->net_usec));
                json_object_set_new(o, "netns_usec", json_integer((json_int_t)ct->netns_usec));
        }
        if (ct->def->userns)
                json_object_set_new(o, "idmapped", live ? json_boolean(rootfs_idmapped(ct)) : json_null());
        json_object_set_new(o, "usage", live ? json_pack("{s:o,s:o,s:o}",
                                                         "memory_bytes", num_or_null(cg_read(ct, "memory.current", NULL)),
                                                         "cpu_usec", num_or_null(cg_read(ct, "cpu.stat", "usage_usec")),
                                                         "pids", num_or_null(cg_read(ct, "pids.current", NULL)))
                                             : json_null());
        return o;
}

static bool has_netns(const struct ct *ct)
{
        return ct->state == CT_STARTING || ct->state == CT_RUNNING || ct->state == CT_RESTARTING ||
               ct->state == CT_STOPPING;
}

size_t containers_using_network(struct barevirtd *d, const char *network)
{
        size_t n = 0;

        for (size_t i = 0; d->cts && i < d->cts->n; i++) {
                const struct ct *ct = d->cts->v[i];
                for (size_t k = 0; has_netns(ct) && k < ct->def->n_nics; k++)
                        if (strcmp(ct->def->nics[k].network, network) == 0) {
                                n++;
                                break;
                        }
        }
        return n;
}

const char *containers_veth_owner(struct barevirtd *d, const char *ifname, unsigned *ret_nic)
{
        for (size_t i = 0; d->cts && i < d->cts->n; i++) {
                const struct ct *ct = d->cts->v[i];
                for (unsigned k = 0; has_netns(ct) && k < ct->def->n_nics && k < CTR_CT_MAX_NICS; k++)
                        if (ct->veth[k][0] && strcmp(ct->veth[k], ifname) == 0) {
                                *ret_nic = k;
                                return ct->def->name;
                        }
        }
        return NULL;
}

bool containers_is_veth_name(const char *ifname)
{
        return strncmp(ifname, "vc", 2) == 0 && strlen(ifname) == 13;
}

json_t *containers_instance(struct barevirtd *d, const char *name)
{
        struct ct *ct = cts_find(d, name);
        char status[64] = "";

        if (!ct)
                return json_null();
        if (ct->have_status && ct->st.exit_code >= 0 && (ct->state == CT_STOPPED || ct->state == CT_CRASHED))
                snprintf(status, sizeof(status), "exit code %d", ct->st.exit_code);
        json_t *addrs = json_array();
        for (size_t i = 0; addrs && i < ct->def->n_nics; i++)
                if (ct->def->nics[i].ip)
                        json_array_append_new(addrs, json_stringn(ct->def->nics[i].ip, strcspn(ct->def->nics[i].ip, "/")));
        bool live = ct->state == CT_RUNNING && ct->st.pid > 0;
        uint64_t up = 0;
        bool have_up = live && bv_proc_uptime(ct->st.pid, &up) == 0;
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o}", "ref", ct->def->name, "type", "ct", "state",
                         ct_state_name(ct->state), "image", ct->def->image ? ct->def->image : ct->def->rootfs,
                         "status", status, "addresses", addrs, "uptime", have_up ? json_integer((json_int_t)up) : json_null());
}

void containers_instances(struct barevirtd *d, json_t *array)
{
        for (size_t i = 0; d->cts && i < d->cts->n; i++)
                json_array_append_new(array, containers_instance(d, d->cts->v[i]->def->name));
}

json_t *containers_host_json(struct barevirtd *d)
{
        struct containers *cts = d->cts;

        if (!cts || cts->cg_ok < 0)
                return json_array();
        json_t *a = ctr_ct_limits_available(&cts->cg);
        return a ? a : json_array();
}

/* ---- list and registry ------------------------------------------------------------- */

static int add_ct(struct barevirtd *d, struct ctr_ct_def *def, enum ct_state state, struct ct **ret)
{
        struct containers *cts = d->cts;

        if (cts->n >= MAX_CONTAINERS)
                return -ENOSPC;
        struct ct **nv = realloc(cts->v, (cts->n + 1) * sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        cts->v = nv;
        struct ct *ct = calloc(1, sizeof(*ct));
        if (!ct)
                return -ENOMEM;
        ct->cts = cts;
        ct->def = def;
        ct->state = state;
        ct->ready_fd = ct->sub_fd = ct->ctl_fd = -1;
        ct->st.exit_code = -1;
        cts->v[cts->n++] = ct;
        *ret = ct;
        return 0;
}

static void follower_end_all(struct ct *ct);

static void remove_ct(struct ct *ct)
{
        struct containers *cts = ct->cts;

        for (size_t i = 0; i < cts->n; i++)
                if (cts->v[i] == ct) {
                        memmove(&cts->v[i], &cts->v[i + 1], (cts->n - i - 1) * sizeof(cts->v[0]));
                        cts->n--;
                        break;
                }
        ct_detach(ct, "The container was deleted");
        follower_end_all(ct);
        ctr_ct_def_free(ct->def);
        free(ct);
}

/* ---- replies ----------------------------------------------------------------------- */

struct pending {
        struct barevirtd *d;
        struct bv_http_conn *conn;
        char name[64];
        int status;           /* HTTP status of a success */
        bool force;
        int timeout;
};

static struct pending *pending_new(struct barevirtd *d, struct bv_http_conn *c, const char *name)
{
        struct pending *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        p->d = d;
        p->conn = bv_http_conn_ref(c);
        p->status = 200;
        p->timeout = -1;
        snprintf(p->name, sizeof(p->name), "%s", name);
        return p;
}

static void pending_free(struct pending *p)
{
        bv_http_conn_unref(p->conn);
        free(p);
}

static struct ct *find_or_404(struct barevirtd *d, struct bv_http_conn *c, const char *name)
{
        struct ct *ct = cts_find(d, name);
        if (!ct)
                bv_http_conn_respond_error(c, 404, "No container named '%.64s'", name);
        return ct;
}

/* Answers with the container (r >= 0) or the error. */
static void reply_ct(struct ct *ct, int r, const char *msg, void *userdata)
{
        struct pending *p = userdata;

        if (r < 0 && r != -EALREADY)
                api_reply_errno(p->conn, r, msg);
        else
                api_reply_json(p->conn, p->status, ct_to_json(ct, true));
        pending_free(p);
}

/* Value of key in a query string ("a=1&b=2"), copied into buf; NULL when absent. */
static const char *query_get(const char *query, const char *key, char *buf, size_t len)
{
        size_t kl = strlen(key);

        for (const char *q = query; q && *q;) {
                const char *amp = strchr(q, '&');
                size_t seg = amp ? (size_t)(amp - q) : strlen(q);
                if (seg >= kl && strncmp(q, key, kl) == 0 && (seg == kl || q[kl] == '=')) {
                        size_t vl = seg == kl ? 0 : seg - kl - 1;
                        if (vl >= len)
                                vl = len - 1;
                        memcpy(buf, q + kl + (seg == kl ? 0 : 1), vl);
                        buf[vl] = '\0';
                        return buf;
                }
                q = amp ? amp + 1 : NULL;
        }
        return NULL;
}

static bool query_flag(const char *query, const char *key)
{
        char v[16];
        const char *s = query_get(query, key, v, sizeof(v));
        return s && (strcmp(s, "") == 0 || strcmp(s, "1") == 0 || strcmp(s, "true") == 0);
}

/* ---- handlers: list, show, create --------------------------------------------------- */

static void get_containers(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_t *a = json_array();

        for (size_t i = 0; i < d->cts->n; i++)
                json_array_append_new(a, ct_to_json(d->cts->v[i], false));
        api_reply_json(c, 200, a);
}

static void get_container(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ct *ct = find_or_404(d, c, args[0]);
        if (ct)
                api_reply_json(c, 200, ct_to_json(ct, true));
}

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
static int check_new(struct barevirtd *d, const struct ctr_ct_def *def, struct bv_error *err)
{
        char bridge[64];
        struct stat st;
        int r;

        if (cts_find(d, def->name))
                return bv_error_set(err, EEXIST, "A container named '%s' already exists", def->name);
        if (vms_find(d, def->name))
                return bv_error_set(err, EEXIST, "A VM named '%s' already exists (VMs and containers share names)", def->name);
        if (def->rootfs && (r = check_path("rootfs", def->rootfs, true, err)) < 0)
                return r;
        if (def->image && (r = check_path("image", def->image, false, err)) < 0)
                return r;
        for (size_t i = 0; i < def->n_mounts; i++)
                if (stat(def->mounts[i].source, &st) < 0)
                        return bv_error_set_errno(err, errno, "mounts[%zu]: source '%s'", i, def->mounts[i].source);
        for (size_t i = 0; i < def->n_nics; i++)
                if ((r = network_bridge(d, def->nics[i].network, bridge, sizeof(bridge), err)) < 0)
                        return bv_error_prefix(err, "nics[%zu]", i);
        if (def->n_nics && !d->net)
                return bv_error_set(err, EOPNOTSUPP, "Networking is unavailable in barevirtd (netlink failed at start)");
        if (d->cts->cg_ok < 0) {
                struct ctr_cgroup_info none = { .mode = CTR_CGROUP_NONE };
                return ctr_ct_limits_check(def, &none, err);
        }
        return ctr_ct_limits_check(def, &d->cts->cg, err);
}

/* A free range of CTR_CT_USERNS_SIZE host ids. */
static uint32_t userns_alloc(struct barevirtd *d)
{
        for (uint32_t base = USERNS_FIRST;; base += CTR_CT_USERNS_SIZE) {
                bool used = false;
                for (size_t i = 0; i < d->cts->n && !used; i++)
                        used = d->cts->v[i]->def->userns_base == base;
                if (!used)
                        return base;
        }
}

/* The status for a refused definition: limits the host lacks are the request's problem (400). */
static void reply_refused(struct bv_http_conn *c, int r, const char *msg)
{
        if (r == -EOPNOTSUPP || r == -ENOTDIR)
                bv_http_conn_respond_error(c, 400, "%s", msg);
        else
                api_reply_errno(c, r, msg);
}

static int finish_create(struct barevirtd *d, struct ct *ct, struct bv_error *err)
{
        char dir[PATH_MAX];
        int r;

        if (ct->def->image) {
                ct_state_path(ct, NULL, dir, sizeof(dir));
                if ((r = bv_mkdir_p(dir, 0700, err)) < 0)
                        return r;
        }
        if ((r = ct_store_def(ct, err)) < 0) {
                if (ct->def->image)
                        rmdir(dir);
                return r;
        }
        ct->state = CT_CREATED;
        bv_info("container '%s' created", ct->def->name);
        events_emit(d, "container-created", json_pack("{s:s}", "name", ct->def->name));
        return 0;
}

struct import {
        struct pending *p;
        char images[PATH_MAX];
        char tar[PATH_MAX];
};

static int import_child(void *arg, char *out, size_t len)
{
        struct import *im = arg;
        struct bv_error err = {};
        char id[32];

        int r = ctr_image_import(im->images, im->tar, id, sizeof(id), &err);
        snprintf(out, len, "%s", r < 0 ? err.msg : id);
        return r;
}

static void import_done(int r, const char *out, void *userdata)
{
        struct import *im = userdata;
        struct pending *p = im->p;
        struct ct *ct = cts_find(p->d, p->name);
        struct bv_error err = {};

        if (!ct) {
                api_reply_errno(p->conn, -ECANCELED, "barevirtd is shutting down");
        } else if (r < 0) {
                char msg[300];
                snprintf(msg, sizeof(msg), "Image '%s': %s", ct->def->image, out[0] ? out : strerror(-r));
                remove_ct(ct);
                reply_refused(p->conn, r == -EINVAL || r == -ENOENT ? -EINVAL : r, msg);
        } else if (!(ct->def->image_id = strdup(out)) || (r = finish_create(p->d, ct, &err)) < 0) {
                remove_ct(ct);
                api_reply_errno(p->conn, r < 0 ? r : -ENOMEM, err.msg);
        } else
                api_reply_json(p->conn, 201, ct_to_json(ct, true));
        pending_free(p);
        free(im);
}

static void post_containers(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL;
        struct ctr_ct_def *def = NULL;
        struct bv_error err = {};
        char dir[PATH_MAX];
        struct ct *ct;
        int r;

        if (api_read_json(c, req, &body) < 0)
                return;
        /* image_id is barevirtd's to set. */
        if (json_object_get(body, "image_id")) {
                bv_http_conn_respond_error(c, 400, "image_id: set by barevirtd, not accepted in a request");
                return;
        }
        if ((r = ctr_ct_def_parse(body, &def, &err)) < 0 || (r = check_new(d, def, &err)) < 0) {
                ctr_ct_def_free(def);
                reply_refused(c, r, err.msg);
                return;
        }
        if (def->userns && !def->userns_base)
                def->userns_base = userns_alloc(d);
        snprintf(dir, sizeof(dir), "%s/containers", d->state_dir);
        if ((r = bv_mkdir_p(dir, 0700, &err)) < 0 || (r = add_ct(d, def, CT_CREATING, &ct)) < 0) {
                ctr_ct_def_free(def);
                api_reply_errno(c, r, err.msg);
                return;
        }
        if (!def->image) {
                if ((r = finish_create(d, ct, &err)) < 0) {
                        remove_ct(ct);
                        api_reply_errno(c, r, err.msg);
                        return;
                }
                api_reply_json(c, 201, ct_to_json(ct, true));
                return;
        }
        struct import *im = calloc(1, sizeof(*im));
        if (im)
                im->p = pending_new(d, c, def->name);
        if (!im || !im->p) {
                free(im);
                remove_ct(ct);
                api_reply_errno(c, -ENOMEM, NULL);
                return;
        }
        snprintf(im->images, sizeof(im->images), "%s/images", d->state_dir);
        snprintf(im->tar, sizeof(im->tar), "%s", def->image);
        if ((r = bv_mkdir_p(im->images, 0700, &err)) < 0 ||
            (r = ct_job_fork(d, import_child, im, IMPORT_TIMEOUT_USEC, import_done, im)) < 0) {
                remove_ct(ct);
                api_reply_errno(c, r, err.msg[0] ? err.msg : "Failed to start the image import");
                pending_free(im->p);
                free(im);
        }
}

/* ---- delete ------------------------------------------------------------------------ */

struct removal {
        struct pending *p;
        char dirs[3][PATH_MAX];
        char runtime_root[PATH_MAX];
        char name[64];
};

/* In a child: leftovers of the runtime, then the container's directories (never across mounts). */
static int removal_child(void *arg, char *out, size_t len)
{
        struct removal *rm = arg;
        struct bv_error err = {};
        char state[PATH_MAX];

        snprintf(state, sizeof(state), "%s/%s", rm->runtime_root, rm->name);
        if (access(state, F_OK) == 0 && ctr_container_delete(rm->runtime_root, rm->name, true, &err) < 0)
                snprintf(out, len, "runtime state: %s", err.msg);
        for (int i = 0; i < 3; i++)
                if (rm->dirs[i][0])
                        bv_rm_rf(rm->dirs[i]);
        return 0;
}

static void removal_done(int r, const char *out, void *userdata)
{
        struct removal *rm = userdata;

        if (out && out[0])
                bv_warn("container '%s': %s", rm->name, out);
        if (rm->p) {
                bv_http_conn_respond(rm->p->conn, 204, NULL, NULL, 0);
                pending_free(rm->p);
        }
        free(rm);
}

static void do_delete(struct barevirtd *d, struct ct *ct, struct pending *p)
{
        char path[PATH_MAX];
        struct removal *rm = calloc(1, sizeof(*rm));

        def_path(d, ct->def->name, path, sizeof(path));
        if (unlink(path) < 0 && errno != ENOENT) {
                api_reply_errno(p->conn, -errno, "Failed to remove the definition");
                pending_free(p);
                free(rm);
                return;
        }
        ct_host_teardown(ct);
        snprintf(p->name, sizeof(p->name), "%s", ct->def->name);
        bv_info("container '%s' deleted", p->name);
        events_emit(d, "container-deleted", json_pack("{s:s}", "name", p->name));
        if (rm) {
                rm->p = p;
                ct_state_path(ct, NULL, rm->dirs[0], sizeof(rm->dirs[0]));
                ct_run_path(ct, NULL, rm->dirs[1], sizeof(rm->dirs[1]));
                snprintf(rm->runtime_root, sizeof(rm->runtime_root), "%s", d->cts->runtime_root);
                snprintf(rm->name, sizeof(rm->name), "%s", ct->def->name);
        }
        remove_ct(ct);
        /*
         * Without an upper layer and runtime leftovers there are only the few
         * small files of the run directory, all ours: removed here, no child.
         */
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", rm ? rm->runtime_root : "", rm ? rm->name : "");
        if (rm && stat(rm->dirs[0], &st) < 0 && stat(path, &st) < 0) {
                bv_rm_rf(rm->dirs[1]);
                rm->dirs[0][0] = rm->dirs[1][0] = '\0';
                removal_done(0, NULL, rm);
                return;
        }
        if (!rm || ct_job_fork(d, removal_child, rm, REMOVE_TIMEOUT_USEC, removal_done, rm) < 0) {
                /* The definition is gone; the files stay behind. */
                bv_warn("container '%s': could not remove its files", p->name);
                bv_http_conn_respond(p->conn, 204, NULL, NULL, 0);
                pending_free(p);
                free(rm);
        }
}

static void delete_after_stop(struct ct *ct, int r, const char *msg, void *userdata)
{
        struct pending *p = userdata;
        struct bv_error err = {};

        if (r >= 0 && !ended(ct->state)) {
                /* It was starting and now runs: stop it, then come back. */
                if ((r = ct_stop(ct, 0, &err)) >= 0 &&
                    (r = ct_wait_add(ct, CT_WAIT_END, STOP_WAIT_EXTRA_USEC, delete_after_stop, p)) >= 0)
                        return;
                msg = err.msg;
        }
        if (r < 0 && r != -EALREADY && !ended(ct->state)) {
                ct->deleting = false;
                api_reply_errno(p->conn, r, msg);
                pending_free(p);
                return;
        }
        do_delete(p->d, ct, p);
}

static void delete_container(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ct *ct = find_or_404(d, c, args[0]);
        struct bv_error err = {};

        if (!ct)
                return;
        if (ct->state == CT_CREATING || ct->deleting) {
                bv_http_conn_respond_error(c, 409, "Container '%s' is %s", ct->def->name,
                                           ct->deleting ? "being deleted" : "being created");
                return;
        }
        bool force = query_flag(req->query, "force");
        struct pending *p = pending_new(d, c, ct->def->name);
        if (!p) {
                api_reply_errno(c, -ENOMEM, NULL);
                return;
        }
        if (ended(ct->state)) {
                do_delete(d, ct, p);
                return;
        }
        if (!force) {
                bv_http_conn_respond_error(c, 409, "Container '%s' is %s: stop it first (or delete with force)",
                                           ct->def->name, ct_state_name(ct->state));
                pending_free(p);
                return;
        }
        int r = 0;
        if (ct->state != CT_STOPPING && ct->state != CT_STARTING)
                r = ct_stop(ct, 0, &err);
        if (r >= 0 && (r = ct_wait_add(ct, ct->state == CT_STARTING ? CT_WAIT_START : CT_WAIT_END,
                                       STOP_WAIT_EXTRA_USEC, delete_after_stop, p)) < 0)
                err.msg[0] = '\0';
        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                pending_free(p);
                return;
        }
        ct->deleting = true;
}

/* ---- actions ------------------------------------------------------------------------ */

static void restart_after_stop(struct ct *ct, int r, const char *msg, void *userdata)
{
        struct pending *p = userdata;
        struct bv_error err = {};

        if (r < 0 && r != -EALREADY) {
                reply_ct(ct, r, msg, p);
                return;
        }
        if ((r = ct_start(ct, &err)) < 0 || (r = ct_wait_add(ct, CT_WAIT_START, START_WAIT_USEC, reply_ct, p)) < 0)
                reply_ct(ct, r, err.msg, p);
}

/* Body of stop/kill: {"timeout": S} / {"signal": N}; empty allowed. */
static int action_args(struct bv_http_conn *c, const struct bv_http_request *req, int *timeout, int *signo)
{
        json_auto_t *body = NULL;
        json_error_t jerr;
        json_int_t t = -1, s = SIGKILL;
        int64_t v;
        char buf[16];

        /* ?t= and signal names too: /v1/instances forwards its own query here. */
        if (query_get(req->query, "timeout", buf, sizeof(buf)) || query_get(req->query, "t", buf, sizeof(buf))) {
                if (bv_parse_i64(buf, 0, CTR_CT_MAX_STOP_TIMEOUT, &v) < 0) {
                        bv_http_conn_respond_error(c, 400, "timeout: expected 0-%d seconds", CTR_CT_MAX_STOP_TIMEOUT);
                        return -EINVAL;
                }
                t = v;
        }
        if (query_get(req->query, "signal", buf, sizeof(buf))) {
                int sig = bv_parse_signal(buf);
                if (sig < 0) {
                        bv_http_conn_respond_error(c, 400, "signal: expected a signal number 1-64 or name");
                        return -EINVAL;
                }
                s = sig;
        }
        if (req->body_len > 0) {
                if (api_read_json(c, req, &body) < 0)
                        return -EINVAL;
                if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s?I,s?I}", "timeout", &t, "signal", &s) < 0 ||
                    t < -1 || t > CTR_CT_MAX_STOP_TIMEOUT || s < 1 || s > 64) {
                        bv_http_conn_respond_error(c, 400, "Body must be {\"timeout\": 0-%d} or {\"signal\": 1-64}",
                                                   CTR_CT_MAX_STOP_TIMEOUT);
                        return -EINVAL;
                }
        }
        *timeout = (int)t;
        *signo = (int)s;
        return 0;
}

static void post_action(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        const char *action = args[1];
        struct bv_error err = {};
        int timeout, signo, r;
        struct ct *ct;

        if (strcmp(action, "start") && strcmp(action, "stop") && strcmp(action, "kill") && strcmp(action, "restart")) {
                bv_http_conn_respond_error(c, 404, "No container action '%.32s' (start, stop, kill, restart)", action);
                return;
        }
        if (!(ct = find_or_404(d, c, args[0])) || action_args(c, req, &timeout, &signo) < 0)
                return;
        if (ct->deleting) {
                bv_http_conn_respond_error(c, 409, "Container '%s' is being deleted", ct->def->name);
                return;
        }
        struct pending *p = pending_new(d, c, args[0]);
        if (!p) {
                api_reply_errno(c, -ENOMEM, NULL);
                return;
        }
        uint64_t stop_wait = (timeout >= 0 ? (unsigned)timeout : ct->def->stop_timeout) * 1000000ULL + STOP_WAIT_EXTRA_USEC;
        if (strcmp(action, "start") == 0) {
                r = ct_start(ct, &err);
                if (r >= 0)
                        r = ct_wait_add(ct, CT_WAIT_START, START_WAIT_USEC, reply_ct, p);
        } else if (strcmp(action, "stop") == 0) {
                r = ct_stop(ct, timeout, &err);
                if (r >= 0)
                        r = ct_wait_add(ct, CT_WAIT_END, stop_wait, reply_ct, p);
        } else if (strcmp(action, "kill") == 0) {
                r = ct_kill(ct, signo, &err);
                /*
                 * SIGKILL ends the init: answer once that is recorded (for good
                 * without a restart policy). Other signals: at once.
                 */
                if (r >= 0 && signo == SIGKILL)
                        r = ct_wait_add(ct, ct->def->restart == CTR_CT_RESTART_NO ? CT_WAIT_END : CT_WAIT_EXIT,
                                        KILL_WAIT_USEC, reply_ct, p);
                else if (r >= 0) {
                        reply_ct(ct, 0, NULL, p);
                        return;
                }
        } else {
                if (ended(ct->state)) {
                        restart_after_stop(ct, 0, NULL, p);
                        return;
                }
                r = ct_stop(ct, timeout, &err);
                if (r >= 0)
                        r = ct_wait_add(ct, CT_WAIT_END, stop_wait, restart_after_stop, p);
        }
        if (r == -EALREADY && strcmp(action, "kill") != 0) {
                reply_ct(ct, r, NULL, p);   /* already in the wanted state */
                return;
        }
        if (r < 0) {
                api_reply_errno(c, r == -EALREADY ? -EBUSY : r, err.msg);
                pending_free(p);
        }
}

/* ---- exec ---------------------------------------------------------------------------- */

/* jansson wants UTF-8: invalid bytes become U+FFFD. */
static json_t *utf8_string(const char *s, size_t len)
{
        json_t *v = json_stringn(s, len);
        if (v)
                return v;
        _cleanup_free_ char *o = malloc(len * 3 + 1);
        size_t k = 0;
        if (!o)
                return json_string("");
        for (size_t i = 0; i < len;) {
                unsigned char ch = (unsigned char)s[i];
                size_t n = ch < 0x80 ? 1 : (ch >> 5) == 6 ? 2 : (ch >> 4) == 14 ? 3 : (ch >> 3) == 30 ? 4 : 0;
                json_t *t = n && i + n <= len ? json_stringn(s + i, n) : NULL;
                if (t) {
                        memcpy(o + k, s + i, n);
                        k += n;
                        i += n;
                        json_decref(t);
                } else {
                        memcpy(o + k, "\xef\xbf\xbd", 3);
                        k += 3;
                        i++;
                }
        }
        return json_stringn(o, k);
}

static void exec_done(int status, const char *out, size_t out_len, const char *errout, size_t err_len, bool truncated,
                      void *userdata)
{
        struct pending *p = userdata;

        if (status < 0)
                api_reply_errno(p->conn, -ETIMEDOUT, "The command did not finish in time (killed)");
        else {
                int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                api_reply_json(p->conn, 200, json_pack("{s:i,s:o,s:o,s:b}", "exit_code", code,
                                                       "stdout", utf8_string(out, out_len),
                                                       "stderr", utf8_string(errout, err_len), "truncated", truncated));
        }
        pending_free(p);
}

static void post_exec(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL;
        json_t *cmd = NULL, *env = NULL, *v;
        const char *cwd = NULL, *user = NULL;
        int tty = 0;
        json_int_t timeout = EXEC_DEFAULT_TIMEOUT;
        json_error_t jerr;
        struct ct *ct;
        size_t i;

        if (!(ct = find_or_404(d, c, args[0])) || api_read_json(c, req, &body) < 0)
                return;
        if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s:o,s?o,s?b,s?s,s?s,s?I}", "cmd", &cmd, "env", &env, "tty", &tty,
                           "cwd", &cwd, "user", &user, "timeout", &timeout) < 0) {
                bv_http_conn_respond_error(c, 400, "Body must be {\"cmd\": [...], \"env\": [...], \"tty\": false, "
                                           "\"cwd\", \"user\", \"timeout\"}: %s", jerr.text);
                return;
        }
        if (!json_is_array(cmd) || json_array_size(cmd) == 0 || json_array_size(cmd) > CTR_CT_MAX_ARGS ||
            (env && (!json_is_array(env) || json_array_size(env) > 64)) || timeout < 1 || timeout > 86400) {
                bv_http_conn_respond_error(c, 400, "cmd: a non-empty array of strings; env: an array of \"K=V\"; "
                                           "timeout: 1-86400 seconds");
                return;
        }
        if (tty) {
                bv_http_conn_respond_error(c, 400, "An exec with a tty is interactive: run `barevirt ct exec -t` "
                                           "(barevirt-runtime exec --tty) instead");
                return;
        }
        if (ct->state != CT_RUNNING) {
                bv_http_conn_respond_error(c, 409, "Container '%s' is %s", ct->def->name, ct_state_name(ct->state));
                return;
        }
        size_t n = 8 + 2 * json_array_size(env) + json_array_size(cmd) + 6;
        _cleanup_free_ char **argv = calloc(n, sizeof(char *));
        size_t k = 0;
        if (!argv) {
                api_reply_errno(c, -ENOMEM, NULL);
                return;
        }
        argv[k++] = d->cts->runtime_path;
        argv[k++] = (char *)"--root";
        argv[k++] = d->cts->runtime_root;
        argv[k++] = (char *)"exec";
        json_array_foreach(env, i, v) {
                const char *s = json_string_value(v);
                if (!s || !strchr(s, '=') || s[0] == '=') {
                        bv_http_conn_respond_error(c, 400, "env[%zu]: expected \"K=V\"", i);
                        return;
                }
                argv[k++] = (char *)"--env";
                argv[k++] = (char *)s;
        }
        if (cwd) {
                argv[k++] = (char *)"--cwd";
                argv[k++] = (char *)cwd;
        }
        if (user) {
                argv[k++] = (char *)"--user";
                argv[k++] = (char *)user;
        }
        argv[k++] = (char *)"--";
        argv[k++] = ct->def->name;
        json_array_foreach(cmd, i, v) {
                if (!json_is_string(v)) {
                        bv_http_conn_respond_error(c, 400, "cmd[%zu]: expected a string", i);
                        return;
                }
                argv[k++] = (char *)json_string_value(v);
        }
        struct pending *p = pending_new(d, c, ct->def->name);
        int r = p ? ct_job_spawn(d, d->cts->runtime_fd, argv, EXEC_MAX_OUTPUT, (uint64_t)timeout * 1000000ULL, exec_done, p)
                  : -ENOMEM;
        if (r < 0) {
                api_reply_errno(c, r, "Failed to run barevirt-runtime exec");
                if (p)
                        pending_free(p);
        }
}

/* ---- logs ------------------------------------------------------------------------------ */

struct ct_follower {
        struct ct_follower *next;
        struct ct *ct;
        struct bv_http_conn *conn;
        int fd;                  /* console.log being followed, or -1 until it exists */
        int ino;                 /* inotify on the run dir */
        struct bv_watch *watch;
};

/* Detaches f from its container; the memory goes when the connection is done with it. */
static void follower_detach(struct ct_follower *f)
{
        for (struct ct_follower **p = f->ct ? &f->ct->followers : NULL; p && *p; p = &(*p)->next)
                if (*p == f) {
                        *p = f->next;
                        break;
                }
        f->ct = NULL;
        f->next = NULL;
        f->watch = bv_watch_remove(f->watch);
        if (f->fd >= 0)
                close(f->fd);
        if (f->ino >= 0)
                close(f->ino);
        f->fd = f->ino = -1;
}

static void follower_free(struct ct_follower *f)
{
        follower_detach(f);
        bv_http_conn_unref(f->conn);
        free(f);
}

/* Sends what f->fd has beyond its offset. Returns < 0 when the reader is gone or too slow. */
static int follower_drain(struct ct_follower *f)
{
        char buf[16384];

        if (f->fd < 0)
                return 0;
        for (;;) {
                ssize_t n = read(f->fd, buf, sizeof(buf));
                if (n <= 0)
                        return 0;
                int r = bv_http_conn_stream_write(f->conn, buf, (size_t)n);
                if (r < 0)
                        return r;
        }
}

/*
 * Ends f's stream. A connection already closed by the peer calls
 * on_follow_close() from the loop later, which frees f; until then f is
 * only detached.
 */
static void follower_end(struct ct_follower *f)
{
        if (!bv_http_conn_closed(f->conn)) {
                follower_drain(f);
                if (bv_http_conn_stream_end(f->conn) >= 0) {
                        follower_free(f);
                        return;
                }
        }
        follower_detach(f);
}

static void follower_end_all(struct ct *ct)
{
        while (ct->followers)
                follower_end(ct->followers);
}

void ct_logs_state_changed(struct ct *ct)
{
        if (ended(ct->state))
                follower_end_all(ct);
}

static void on_follow(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct ct_follower *f = userdata;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool reopen = false;

        ssize_t n = read(fd, buf, sizeof(buf));
        for (char *p = buf; n > 0 && p < buf + n;) {
                struct inotify_event *ev = (struct inotify_event *)p;
                if (ev->len && strcmp(ev->name, "console.log") == 0 && (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM)))
                        reopen = true;
                p += sizeof(*ev) + ev->len;
        }
        if (follower_drain(f) < 0) {
                follower_end(f);
                return;
        }
        if (reopen || f->fd < 0) {
                char path[PATH_MAX];
                ct_run_path(f->ct, "console.log", path, sizeof(path));
                int nfd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (nfd >= 0) {
                        if (f->fd >= 0)
                                close(f->fd);
                        f->fd = nfd;
                        if (follower_drain(f) < 0)
                                follower_end(f);
                }
        }
}

static void on_follow_close(struct bv_http_conn *c, void *userdata)
{
        follower_free(userdata);
}

/* The last n lines of buf (len bytes): the offset where they start. */
static size_t tail_offset(const char *buf, size_t len, long long n)
{
        size_t i = len;

        if (n <= 0)
                return len;
        if (i > 0 && buf[i - 1] == '\n')
                i--;    /* the final newline ends the last line */
        for (; i > 0; i--)
                if (buf[i - 1] == '\n' && --n == 0)
                        return i;
        return 0;
}

/*
 * console.log.1 (rotated) then console.log into *buf (the last LOG_MAX_READ/2
 * bytes when longer). Returns the fd of console.log, at its end (for
 * following), or -1.
 */
static int read_log(struct ct *ct, char **ret_buf, size_t *ret_len)
{
        char path[PATH_MAX];
        char *buf = NULL;
        size_t len = 0;

        ct_run_path(ct, "console.log.1", path, sizeof(path));
        bv_file_read(path, LOG_MAX_READ, &buf, &len, NULL);
        ct_run_path(ct, "console.log", path, sizeof(path));
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        for (; fd >= 0;) {
                char *nb = realloc(buf, len + 65536 + 1);
                if (!nb)
                        break;
                buf = nb;
                ssize_t n = read(fd, buf + len, 65536);
                if (n <= 0)
                        break;
                len += (size_t)n;
                if (len > LOG_MAX_READ) {
                        memmove(buf, buf + len - LOG_MAX_READ / 2, LOG_MAX_READ / 2);
                        len = LOG_MAX_READ / 2;
                }
        }
        *ret_buf = buf;
        *ret_len = len;
        return fd;
}

json_t *containers_logs(struct barevirtd *d, const char *name, long long tail)
{
        struct ct *ct = cts_find(d, name);
        char *buf = NULL;
        size_t len = 0;

        if (!ct)
                return NULL;
        int fd = read_log(ct, &buf, &len);
        if (fd >= 0)
                close(fd);
        size_t off = tail >= 0 ? tail_offset(buf ? buf : "", len, tail) : 0;
        json_t *o = json_pack("{s:o,s:b}", "output", utf8_string(buf ? buf + off : "", len - off), "tty", ct->def->system);
        free(buf);
        return o;
}

static void get_logs(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        char path[PATH_MAX], qv[32];
        struct ct *ct = find_or_404(d, c, args[0]);
        int64_t tail = -1;

        if (!ct)
                return;
        if (query_get(req->query, "tail", qv, sizeof(qv)) && bv_parse_i64(qv, 0, 1000000000, &tail) < 0) {
                bv_http_conn_respond_error(c, 400, "tail: expected a number of lines");
                return;
        }
        bool follow = query_flag(req->query, "follow");
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        _cleanup_close_ int fd = read_log(ct, &buf, &len);
        size_t off = tail >= 0 ? tail_offset(buf ? buf : "", len, tail) : 0;
        if (!follow || ended(ct->state) || ct->state == CT_CREATING) {
                bv_http_conn_respond(c, 200, "text/plain; charset=utf-8", buf ? buf + off : "", len - off);
                return;
        }
        struct ct_follower *f = calloc(1, sizeof(*f));
        if (!f) {
                api_reply_errno(c, -ENOMEM, NULL);
                return;
        }
        f->ct = ct;
        f->fd = TAKE_FD(fd);
        f->ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        ct_run_path(ct, NULL, path, sizeof(path));
        if (f->ino < 0 || inotify_add_watch(f->ino, path, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM) < 0 ||
            bv_http_conn_stream_begin(c, 200, "text/plain; charset=utf-8", on_follow_close, f) < 0) {
                if (f->fd >= 0)
                        close(f->fd);
                if (f->ino >= 0)
                        close(f->ino);
                free(f);
                api_reply_errno(c, -errno ? -errno : -ENOMEM, "Cannot follow the log");
                return;
        }
        f->conn = bv_http_conn_ref(c);
        f->next = ct->followers;
        ct->followers = f;
        if (bv_loop_add_fd(d->loop, f->ino, EPOLLIN, on_follow, f, &f->watch) < 0 ||
            (len > off && bv_http_conn_stream_write(c, buf + off, len - off) < 0))
                follower_end(f);
}

/* ---- start-up ---------------------------------------------------------------------------- */

static void on_autostarted(struct ct *ct, int r, const char *msg, void *userdata)
{
        if (r < 0)
                bv_warn("container '%s': autostart failed: %s", ct->def->name, msg ? msg : strerror(-r));
}

static void load_ct(struct barevirtd *d, const char *path, json_t *o)
{
        struct bv_error err = {};
        struct ctr_ct_def *def = NULL;
        const char *base = strrchr(path, '/') + 1;
        size_t len = strlen(base) - 5;
        struct ct *ct;

        if (ctr_ct_def_parse(o, &def, &err) < 0)
                bv_warn("ignoring '%s': %s", path, err.msg);
        else if (strncmp(base, def->name, len) != 0 || strlen(def->name) != len) {
                bv_warn("ignoring '%s': it names container '%s'", path, def->name);
                ctr_ct_def_free(def);
        } else if (add_ct(d, def, CT_CREATED, &ct) < 0)
                ctr_ct_def_free(def);
        else
                ct_adopt(ct);
}

int containers_load(struct barevirtd *d, const char *runtime)
{
        struct bv_error err = {};
        struct containers *cts = calloc(1, sizeof(*cts));

        if (!cts)
                return -ENOMEM;
        d->cts = cts;
        cts->d = d;
        cts->host_netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        snprintf(cts->runtime_root, sizeof(cts->runtime_root), "%s/runtime", d->run_dir);
        cts->cg_ok = ctr_cgroup_detect("/sys/fs/cgroup", &cts->cg, &err);
        if (cts->cg_ok < 0)
                bv_warn("containers: %s", err.msg);
        if (cts_runtime_init(cts, runtime, &err) < 0)
                bv_warn("containers cannot start: %s", err.msg);
        int r = state_defs_foreach(d, "containers", DEF_MAX, load_ct);
        if (r < 0)
                return r;
        for (size_t i = 0; i < cts->n; i++) {
                struct ct *ct = cts->v[i];
                if (ct->def->autostart && ended(ct->state)) {
                        bv_info("container '%s': autostart", ct->def->name);
                        if (ct_start(ct, &err) < 0)
                                bv_warn("container '%s': autostart failed: %s", ct->def->name, err.msg);
                        else
                                ct_wait_add(ct, CT_WAIT_START, START_WAIT_USEC, on_autostarted, NULL);
                }
        }
        return 0;
}

void containers_free(struct barevirtd *d)
{
        struct containers *cts = d->cts;

        if (!cts)
                return;
        cts_jobs_free(cts);
        for (size_t i = 0; i < cts->n; i++) {
                struct ct *ct = cts->v[i];
                ct_detach(ct, "barevirtd is shutting down");
                follower_end_all(ct);
                ctr_ct_def_free(ct->def);
                free(ct);
        }
        free(cts->v);
        if (cts->runtime_fd >= 0)
                close(cts->runtime_fd);
        if (cts->host_netns_fd >= 0)
                close(cts->host_netns_fd);
        free(cts);
        d->cts = NULL;
}

const struct api_route api_containers_routes[] = {
        { "GET", "/v1/containers", get_containers },
        { "POST", "/v1/containers", post_containers },
        { "GET", "/v1/containers/{}", get_container },
        { "DELETE", "/v1/containers/{}", delete_container },
        { "POST", "/v1/containers/{}/exec", post_exec },
        { "GET", "/v1/containers/{}/logs", get_logs },
        /* Last: "{}" would also match "exec". */
        { "POST", "/v1/containers/{}/{}", post_action },
        {},
};
