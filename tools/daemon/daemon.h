/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirtd's context and its API routing. One struct barevirtd per daemon
 * (no globals: tests could run two). Each api-*.c file exports a
 * NULL-terminated table of routes; api.c matches a request against every
 * table and calls the handler with the path's {} parameters.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "common/http.h"
#include "common/loop.h"

struct containers;
struct ctr_engine;
struct engine_watch;
struct host_probe;
struct net_ctx;
struct vmm_vm;

struct barevirtd {
        struct bv_loop *loop;
        const char *state_dir;        /* definitions: one JSON file per instance */
        const char *run_dir;          /* sockets, pidfiles, lock */
        const char *socket_path;      /* API socket */
        const char *netns_path;       /* --netns: run networking inside this netns, or NULL */
        const char *qemu_path;        /* qemu-system-x86_64 to use (path or name in PATH) */
        char qemu_bin[4096];          /* qemu_path resolved ("" when not found) */
        char qemu_img[4096];          /* qemu-img beside it, or from PATH */
        const char *docker_socket;
        const char *podman_socket;
        int lock_fd;
        int listen_fd;
        struct bv_http_server *api;
        struct host_probe *probe;     /* slow host facts, probed lazily and cached */
        struct events *events;        /* /v1/events subscribers */
        struct net_ctx *net;          /* netlink, in barevirtd's (or --netns) namespace */
        struct vmm_vm **vms;          /* every defined VM */
        size_t n_vms;
        struct ctr_engine *engines[2]; /* docker, podman clients (api-instances.c), made on first use */
        const char *runtime_path;     /* --runtime: barevirt-runtime for containers, or NULL (beside barevirtd) */
        const char *cgroup_parent;    /* --cgroup-parent: containers' cgroups are /PARENT/NAME in the v2 tree */
        struct containers *cts;       /* barevirt containers (api-containers.c, ct-*.c) */
        struct engine_watch *watch;   /* engine events subscriptions (api-engines.c) */
};

#define API_MAX_ARGS 4

/*
 * A route: method and a path pattern where "{}" matches one non-empty path
 * segment (e.g. "/v1/networks/{}"). args[i] is the i-th match, NUL-terminated.
 * The handler must answer (now or later, see common/http.h).
 */
struct api_route {
        const char *method;
        const char *pattern;
        void (*handler)(struct barevirtd *d, struct bv_http_conn *c,
                        const struct bv_http_request *req, char **args);
};

/* Route tables, each ended by an empty {} entry. Register new ones in api.c. */
extern const struct api_route api_host_routes[];
extern const struct api_route api_events_routes[];
extern const struct api_route api_vms_routes[];
extern const struct api_route api_networks_routes[];
extern const struct api_route api_instances_routes[];
extern const struct api_route api_containers_routes[];
extern const struct api_route api_engines_routes[];

int api_start(struct barevirtd *d, struct bv_error *err);
void api_stop(struct barevirtd *d);

/* Responds with a JSON value (stolen reference: it is freed) and status. */
void api_reply_json(struct bv_http_conn *c, int status, json_t *v);
/*
 * Responds with {"error": msg, "code": status}; the status is derived from
 * a negative errno (-ENOENT 404, -EEXIST/-EBUSY 409, -EINVAL 400, -ETIMEDOUT 504,
 * -EMSGSIZE 413, -EPERM/-EACCES 403, -EOPNOTSUPP 501, -EREMOTEIO (QMP error) 422,
 * others 500).
 */
void api_reply_errno(struct bv_http_conn *c, int neg_errno, const char *msg);
int api_status_from_errno(int neg_errno);
/*
 * Parses the request body as a JSON object (duplicate keys and oversize
 * rejected); on failure answers 400 itself and returns < 0.
 */
int api_read_json(struct bv_http_conn *c, const struct bv_http_request *req, json_t **ret);

/*
 * Calls fn for every STATE_DIR/kind/NAME.json, in name order, with the file's
 * path and its JSON (borrowed), after making the folder if it is missing. A
 * file that cannot be read or is not JSON (at most max bytes) is logged and
 * skipped. Returns 0 or -errno when the folder cannot be made.
 */
int state_defs_foreach(struct barevirtd *d, const char *kind, size_t max,
                       void (*fn)(struct barevirtd *d, const char *path, json_t *def));

/* /v1/events: sends one event, {"type": type, "time": ..., ...fields}, to every subscriber. */
void events_emit(struct barevirtd *d, const char *type, json_t *fields /* stolen, may be NULL */);
int events_new(struct barevirtd *d);
void events_free(struct barevirtd *d);

/*
 * Slow host facts (host.c): the KVM probe and the QEMU version, found by a
 * forked helper process so the loop never blocks, cached in memory and in
 * RUN_DIR/host-probe.json (valid for the same boot and QEMU binary).
 * host_probe_start() uses the cache or starts the helper; force re-probes.
 * host_probe_start_later() starts it after usec unless something needs it
 * sooner, so that start-up and the first requests do not compete with it.
 * host_probe_result() is NULL while probing. host_probe_wait() calls done
 * once the result is there (at once when it already is).
 */
int host_probe_start(struct barevirtd *d, bool force);
int host_probe_start_later(struct barevirtd *d, uint64_t usec);
const json_t *host_probe_result(struct barevirtd *d);
int host_probe_wait(struct barevirtd *d, void (*done)(struct barevirtd *d, void *userdata),
                    void *userdata);
void host_probe_free(struct barevirtd *d);

/* VMs (api-vms.c): load definitions and reattach running QEMUs at start; forget them at exit. */
int vms_load(struct barevirtd *d);
void vms_free(struct barevirtd *d);
/* The VM named name, or NULL. */
struct vmm_vm *vms_find(struct barevirtd *d, const char *name);
/* How many running VMs have a NIC on network (for refusing to delete it). */
size_t vms_using_network(struct barevirtd *d, const char *network);

/*
 * Networks (api-networks.c): the bridge of a barevirt network, for taps.
 * Returns 0 or -ENOENT ("No network named '...'").
 */
int network_bridge(struct barevirtd *d, const char *name, char *ret_bridge, size_t len,
                   struct bv_error *err);
/* Load network definitions and re-create missing bridges at start; forget them at exit. */
int networks_load(struct barevirtd *d);
void networks_free(struct barevirtd *d);

/* Engine clients (api-instances.c): frees them at exit (pending calls are cancelled). */
void instances_free(struct barevirtd *d);

/*
 * Containers (api-containers.c): load definitions and re-adopt running
 * monitors at start (runtime: --runtime or NULL); forget them at exit
 * (monitors and containers keep running).
 */
int containers_load(struct barevirtd *d, const char *runtime);
void containers_free(struct barevirtd *d);
/* Whether a container of that name exists (VMs and containers share names). */
bool containers_exists(struct barevirtd *d, const char *name);
/* Containers as /v1/instances shows them ({"ref", "type": "ct", "state", "image", "status"}). */
void containers_instances(struct barevirtd *d, json_t *array);
json_t *containers_instance(struct barevirtd *d, const char *name);
/* How many live containers (starting to stopping) have a NIC on network (for refusing to delete it). */
size_t containers_using_network(struct barevirtd *d, const char *network);
/* The live container whose NIC nic has the host end ifname (NULL: none known). */
const char *containers_veth_owner(struct barevirtd *d, const char *ifname, unsigned *ret_nic);
/* Whether ifname has the form of a container's host veth end ("vc" + 11 characters, ct-net.c). */
bool containers_is_veth_name(const char *ifname);
/* A container's log as /v1/instances/NAME/logs answers it ({"output", "tty"}); NULL when unknown. */
json_t *containers_logs(struct barevirtd *d, const char *name, long long tail);
/* The container limits this host can enforce, for GET /v1/host ("ct_limits"). */
json_t *containers_host_json(struct barevirtd *d);
/* "docker", "podman": the engine index i's name. */
extern const char *const instances_engine_names[2];
/* The client for engine i, made on first use; NULL with -ENODEV in err when
 * no socket is configured. */
struct ctr_engine *instances_engine(struct barevirtd *d, size_t i, struct bv_error *err);
/* Engine events subscriptions (api-engines.c): started after the API, freed
 * before the engine clients. */
int engine_watch_start(struct barevirtd *d);
void engine_watch_free(struct barevirtd *d);
