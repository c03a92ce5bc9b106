/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirtd's context and the interfaces of its parts. One struct barevirtd
 * per daemon (no globals: tests could run two). The parts:
 *   main.c              flags, the run-directory lock, start-up and shut-down order
 *   api.c               the router (route tables of the api-*.c files), replies, pending answers
 *   registry.c          the one registry of instances: VMs (vmm/) and containers (ctr/),
 *                       the kinds a bare NAME can be, who uses a network or owns a port
 *   networks.c          the registry's networks: definitions (net/) and their bridges
 *   netsvc.c            networks' services: dnsmasq per network, address pools, host files
 *   netsvc-nft.c        barevirtd's nftables tables: NAT, port forwards, firewall groups and anti-spoofing
 *   firewall.c          firewall groups (STATE/firewall/GROUP.json) and the NICs that name them
 *   engines.c           Docker and Podman clients (ctr/ctr.h (engines)) and their events
 *   events.c            the /v1/events bus
 *   host.c              slow host facts (KVM probe, QEMU version), probed in a child
 *   remote.c            --listen: the sockets, the server certificate, barevirt-proxy and its connections
 *   auth.c              who may do what over --listen: trust store, bearer tokens, roles
 *   audit.c             the audit log: one line per changing or refused request
 *   projects.c          projects (STATE/projects.json), their usage and quotas
 *   access.c            what an identity may see and name: its project, host paths
 *   groupsock.c         --socket-group: a second UNIX socket for a group, with a role
 *   api-*.c             the endpoints: JSON in, a library call, JSON out
 * api-*.c files export nothing but their route table: everything else goes
 * through the registry and the router, so the parts call each other one way.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/common.h"

struct ctr_ct;
struct ctr_ct_def;
struct ctr_ct_host;
struct ctr_engine;
struct ctr_engine_stream;
struct engines;
struct events;
struct host_probe;
struct net_ctx;
struct netsvc;
struct ctr_ct_nic_addr;
struct vmm_def;
struct vmm_vm;
struct remote;

#define REMOTE_MAX_LISTEN 16

/* The limits of the API servers, each a barevirtd flag of the same name (main.c has the defaults). */
struct remote_limits {
        unsigned max_conns;           /* --max-connections: HTTPS connections in all */
        unsigned max_per_source;      /* --max-connections-per-source: from one client address */
        unsigned request_timeout_s;   /* --request-timeout: a request's head and body, from its first byte (408) */
        unsigned idle_timeout_s;      /* --idle-timeout: a keep-alive connection with no request */
        unsigned max_header_bytes;    /* --max-header-bytes: a request head (431) */
        unsigned max_body;            /* --max-body: a request body, for endpoints without a smaller limit (413) */
};

/* barevirt's own instances (registry.c). */
struct registry {
        struct vmm_vm **vms;
        size_t n_vms;
        struct ctr_ct **cts;
        size_t n_cts;
        struct ctr_ct_host *ct_host;  /* what containers share (runtime, cgroups, jobs) */
};

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
        const char *runtime_path;     /* --runtime: barevirt-runtime for containers, or NULL (beside barevirtd) */
        const char *cgroup_parent;    /* --cgroup-parent: containers' cgroups are /PARENT/NAME */
        int lock_fd;
        int listen_fd;
        struct bv_http_server *api;
        struct host_probe *probe;     /* slow host facts, probed lazily and cached */
        struct events *events;        /* /v1/events subscribers */
        struct net_ctx *net;          /* netlink, in barevirtd's (or --netns) namespace */
        struct registry reg;
        struct engines *engines;      /* Docker, Podman */
        struct netsvc *svc;           /* networks' dnsmasq and address pools (netsvc.c) */
        bool allow_forwarding;        /* --allow-forwarding: NAT may turn on IP forwarding here */
        const char *nft_table;        /* --nft-table: `inet NAME` and `bridge NAME` are ours (default: --cgroup-parent) */
        json_t *fw;                   /* firewall groups by name (firewall.c) */
        const char *listen[REMOTE_MAX_LISTEN];  /* --listen ADDR:PORT (remote.c) */
        size_t n_listen;
        const char *tls_cert, *tls_key;         /* --tls-cert, --tls-key, or NULL: STATE/tls/server.* */
        int tls_min;                  /* 12 or 13 */
        unsigned tls_handshake_ms;
        struct remote_limits limits;  /* --max-connections... (remote.c, api.c) */
        const char *proxy_path;       /* --proxy, or NULL: found */
        const char *proxy_user;
        struct remote *remote;
        json_t *trust;                /* the trust store's entries (auth.c) */
        struct bv_log_writer audit;   /* STATE/audit.log (audit.c) */
        char audit_path[4200], audit_old[4200];
        json_t *tokens;               /* the token store's entries (auth.c) */
        json_t *projects;             /* STATE/projects.json's entries, default not among them (projects.c) */
        const char *socket_group;     /* --socket-group: a second socket for this group (groupsock.c) */
        int socket_group_role;        /* --socket-group-role (enum tls_role) */
        const char *group_socket_path; /* --group-socket */
        struct groupsock *groupsock;
        json_t *join_tokens;          /* the join token store's entries (auth.c) */
};

/* ---- api.c: the router ----------------------------------------------------------------- */

#define API_MAX_ARGS 4

/*
 * A route: method and a path pattern where "{}" matches one non-empty path
 * segment (e.g. "/v1/networks/{}"). args[i] is the i-th match, NUL-terminated.
 * The handler must answer (now or later, see common/common.h (HTTP)).
 */
struct api_route {
        const char *method;
        const char *pattern;
        void (*handler)(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                        char **args);
};

/* Route tables, each ended by an empty {} entry. Register new ones in api.c. */
extern const struct api_route api_host_routes[];
extern const struct api_route api_events_routes[];
extern const struct api_route api_vms_routes[];
extern const struct api_route api_networks_routes[];
extern const struct api_route api_forwards_routes[];
extern const struct api_route api_firewall_routes[];
extern const struct api_route api_instances_routes[];
extern const struct api_route api_containers_routes[];
extern const struct api_route api_containers_io_routes[];
extern const struct api_route api_containers_action_routes[];
extern const struct api_route api_engines_routes[];
extern const struct api_route api_auth_routes[];      /* TLS builds only */
extern const struct api_route api_audit_routes[];
extern const struct api_route api_projects_routes[];

int api_start(struct barevirtd *d, struct bv_error *err);
void api_stop(struct barevirtd *d);
/*
 * Another server of the same API without a socket of its own: for
 * connections handed over with bv_http_server_adopt() (remote.c's, so
 * that remote clients never take the UNIX socket's connection slots).
 */
int api_server_new(struct barevirtd *d, unsigned max_conns, struct bv_http_server **ret, struct bv_error *err);

/*
 * Answers req on c as the endpoint method + path (formatted) would, with
 * req's query and body: how /v1/instances hands a generic verb to the
 * kind's own endpoint. 501 when there is no such endpoint.
 */
void api_forward(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, const char *method,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

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
 * The query's key through bv_http_query_get() / bv_http_query_flag() (one
 * rule for every endpoint: percent-decoded, a bare key is present); a
 * malformed query is answered 400 here and returns < 0.
 */
int api_query_get(struct bv_http_conn *c, const struct bv_http_request *req, const char *key, char *buf, size_t len);
int api_query_flag(struct bv_http_conn *c, const struct bv_http_request *req, const char *key, bool *ret);

/* logs.c: GET .../logs (?tail=N, ?follow=1) of a log that src reads and follows. */
struct api_log_source {
        void *obj;       /* the instance, handed to read and follow */
        bool live;       /* following makes sense (it runs) */
        int (*read)(void *obj, long long tail, char **ret, size_t *ret_len);
        int (*follow)(void *obj, long long tail, int (*on_data)(const char *data, size_t len, void *userdata),
                      void (*on_end)(void *userdata), void *userdata, struct bv_log_follower **ret,
                      struct bv_error *err);
};
void api_logs_serve(struct bv_http_conn *c, const struct bv_http_request *req, const struct api_log_source *src);

/* The 404 of a name that does not exist ("No VM named 'x'"): also what hides another project's. */
void api_reply_missing(struct bv_http_conn *c, const char *what, const char *name);
/* The VM or container named name, or NULL after answering 404 ("No VM named '...'"). */
struct vmm_vm *api_vm_or_404(struct barevirtd *d, struct bv_http_conn *c, const char *name);
struct ctr_ct *api_ct_or_404(struct barevirtd *d, struct bv_http_conn *c, const char *name);

/*
 * A request answered later (when a VM, a container or an engine is done):
 * the connection (referenced), the instance's name and what the answer
 * needs. api_pending_new() answers 500 itself and returns NULL when out of
 * memory; api_pending_free() drops the reference (and an engine stream);
 * api_pending_fail() answers the error, then frees.
 */
struct api_pending {
        struct barevirtd *d;
        struct bv_http_conn *conn;
        char name[160];
        int status;                   /* of a success: 200 unless set */
        bool raw;                     /* answer with the operation's result, not the instance */
        int engine;                   /* engine refs: the engine's index; -1 */
        struct ctr_engine_stream *stream;
};
struct api_pending *api_pending_new(struct barevirtd *d, struct bv_http_conn *c, const char *name);
void api_pending_free(struct api_pending *p);
void api_pending_fail(struct api_pending *p, int r, const char *msg);

/* ---- audit.c: the audit log ---------------------------------------------------------------- */

/* Opens STATE/audit.log for appending. 0 or -errno. */
int audit_open(struct barevirtd *d, struct bv_error *err);
void audit_close(struct barevirtd *d);
/* Notes the request on c (time, method, path, the socket's uid), for audit_on_response(). */
void audit_request(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req);
/* Who a remote request is: its source, "token" or "certificate" and the entry's name (NULLs: unknown). */
void audit_identity(struct bv_http_conn *c, const char *source, const char *kind, const char *name,
                    const char *fingerprint);
/* The HTTP servers' on_response: the line for a noted request that changes something or was refused. */
void audit_on_response(struct bv_http_conn *c, int status, void *note, void *userdata);
/* Notes a request the HTTP server refuses itself (400, 408, 413, 431), so that its answer is logged. */
void audit_on_reject(struct bv_http_conn *c, const struct bv_http_request *req, void *userdata);
/* A line for a connection refused before HTTP (barevirt-proxy's report): method "TLS", status null, "refused". */
void audit_refused(struct barevirtd *d, const char *source, const char *reason, unsigned suppressed);
/* --since: an ISO time (or a prefix of one), or a duration back from now ("30m"), as an ISO time. -EINVAL. */
int audit_since(const char *s, char *buf, size_t len);
/* The lines (both files, oldest first) at or after since and of identity (NULLs: all), as a JSON array. */
int audit_read(struct barevirtd *d, const char *since, const char *identity, json_t **ret, struct bv_error *err);

/* ---- remote.c and auth.c: --listen (TLS builds only) ------------------------------------- */

struct sockaddr_storage;
/* Parses ADDR:PORT or [ADDR]:PORT (numeric addresses only). 0 or -EINVAL with a message. */
int remote_parse_listen(const char *s, struct sockaddr_storage *ss, unsigned *len, struct bv_error *err);
/*
 * Binds every --listen address, makes (first start) or reads the server
 * certificate and starts barevirt-proxy; nothing without --listen.
 * Blocks (certificate generation) at start-up only. 0 or -errno.
 */
int remote_start(struct barevirtd *d, struct bv_error *err);
/* Stops the proxy (SIGKILL: it holds nothing of ours) and closes the sockets. */
void remote_free(struct barevirtd *d);
/*
 * Closes every remote connection (keep-alive ones and streams) whose
 * certificate fingerprint (key "fingerprint") or last token hash (key
 * "hash") is value: a removed certificate or revoked token ends at once.
 */
void remote_drop(struct barevirtd *d, const char *key, const char *value);
/* GET /v1/host's "tls": {"listen", "fingerprint" (sha256 hex or null), "proxy_pid", "proxy_restarts"}. */
json_t *remote_host_json(struct barevirtd *d);
/*
 * What a join token carries: the server certificate's fingerprint (NULL
 * without --listen) and up to max addresses clients may reach us at, each
 * --listen address with a wildcard one (0.0.0.0, ::) expanded to this
 * host's addresses of that family (loopback last, IPv6 link-local left
 * out). Returns how many.
 */
const char *remote_fingerprint(struct barevirtd *d);
size_t remote_join_addrs(struct barevirtd *d, char addrs[][64], size_t max);  /* 64: TLS_PEER_MAX */

/* Who a connection from barevirt-proxy is (its request's peer_data), as the proxy reported it. */
struct auth_peer {
        int role;                     /* enum tls_role of its identity, set by auth_check() for each request */
        char project[64];             /* the project its identity is restricted to, or "" */
        bool local;                   /* a --socket-group connection: role fixed, uid known */
        unsigned uid;
        char addr[64];
        char fingerprint[65];         /* of the client certificate, "" without one */
        bool ca_verified;
        char token_hash[65];          /* of the token its last request authenticated with, or "" */
};
/* The three stores: STATE/trust.json, STATE/tokens.json, STATE/join-tokens.json. */
enum auth_store { AUTH_TRUST, AUTH_TOKENS, AUTH_JOIN };
/* Reads the three stores (missing: empty); a bad file fails the start. */
int auth_load(struct barevirtd *d, struct bv_error *err);
void auth_free(struct barevirtd *d);
/* A store's entries (an array the store owns). */
json_t *auth_store(struct barevirtd *d, enum auth_store which);
/* Writes a store atomically, 0600. 0 or -errno. */
int auth_store_save(struct barevirtd *d, enum auth_store which, struct bv_error *err);
/* The one refusal of anything not authenticated (a join token too): 401, the same words whatever was wrong. */
void auth_refuse(struct bv_http_conn *c);
/*
 * Whether a remote request, seen from its head, carries no credential at
 * all: neither an Authorization header nor a trusted certificate (it can
 * only be refused, or be an enrolment). Its body limit is small.
 */
bool auth_anonymous(struct barevirtd *d, const struct bv_http_request *head);
/* Whether a token store entry has expired at now. */
bool auth_expired(const json_t *e, long long now);
/* The entry of store whose key is value (compared in constant time), its index into *ret_index; or NULL. */
json_t *auth_find(json_t *store, const char *key, const char *value, size_t *ret_index);
/*
 * For every request: true when it may go on. A remote one must come with
 * a trusted certificate or a live bearer token (401 otherwise) whose role
 * covers the endpoint (403 otherwise); answered here when false. Requests
 * of the UNIX socket always pass.
 */
bool auth_check(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req);
/* --socket-group's socket (groupsock.c): nothing without the flag; -ENOENT for an unknown group. */
int groupsock_start(struct barevirtd *d, struct bv_error *err);
void groupsock_free(struct barevirtd *d);
/* The role (enum tls_role) an endpoint needs, from auth.c's table. */
int auth_required_role(const char *method, const char *path);

/* ---- projects.c: projects and quotas --------------------------------------------------- */

/* A project's name: project, or "default" for NULL and "". */
const char *projects_of(const char *project);
/* Reads STATE/projects.json (missing: only default); a bad file fails the start. */
int projects_load(struct barevirtd *d, struct bv_error *err);
void projects_free(struct barevirtd *d);
bool projects_exists(struct barevirtd *d, const char *name);
/* What a project holds now (engine containers are not counted): memory in MiB, vcpus (containers: cpus rounded up). */
struct projects_usage {
        unsigned long long instances, memory, vcpus, networks;
};
void projects_usage(struct barevirtd *d, const char *project, struct projects_usage *u);
/*
 * Whether one more instance of memory MiB and vcpus fits project's quotas:
 * 0, or -EDQUOT naming the quota and the numbers ("project 'a': max-memory
 * 512 MiB would be exceeded (384 in use, 256 asked)"). ct: a container,
 * which must have the limit a quota counts.
 */
int projects_quota_check(struct barevirtd *d, const char *project, unsigned long long memory, unsigned long long vcpus,
                         bool ct, struct bv_error *err);
/* The API's views ({"name", quotas..., "created", "usage"}); scope: only that project (NULL: all). */
json_t *projects_list_json(struct barevirtd *d, const char *scope);
int projects_get_json(struct barevirtd *d, const char *name, json_t **ret, struct bv_error *err);
/* create: {"name", "max_instances"?, "max_memory"?, "max_vcpus"?} (-EINVAL, -EEXIST, -ENOSPC); delete: -EBUSY unless empty. */
int projects_create(struct barevirtd *d, const json_t *body, json_t **ret, struct bv_error *err);
int projects_delete(struct barevirtd *d, const char *name, struct bv_error *err);

/* ---- access.c: what an identity may see and name ------------------------------------------ */

struct vmm_disk;
/* The project the request's identity is restricted to, or NULL (every project; the UNIX socket). */
const char *access_scope(const struct bv_http_request *req);
/* Whether the identity is admin (the root UNIX socket is). */
bool access_is_admin(const struct bv_http_request *req);
/* Whether the identity sees what belongs to project (NULL: default). */
bool access_sees(const struct bv_http_request *req, const char *project);
/* The project of barevirt instance name, or NULL when there is none. */
const char *access_instance_project(struct barevirtd *d, const char *name);
/*
 * A create in *project (NULL: the identity's project, else default; set
 * then): -EACCES outside the identity's project (whether it exists or
 * not), -ENOENT for an unknown project, -EDQUOT past a quota.
 */
int access_create_check(struct barevirtd *d, const struct bv_http_request *req, char **project,
                        unsigned long long memory, unsigned long long vcpus, bool ct, struct bv_error *err);
/*
 * Everything a create checks about who asks, for a VM or a container:
 * access_create_check() (project, quotas), host paths, the NICs' networks
 * (another project's: -ENOENT as a missing one), the name (-EEXIST; held
 * in another project: "not available", no more). Host paths, for
 * identities that are not admin: only files inside STATE/images and
 * STATE/volumes (resolved), no QEMU extra_args, no privileged containers:
 * -EACCES naming the key. access_disk_paths(): a hot-added disk's.
 */
int access_vm_create(struct barevirtd *d, const struct bv_http_request *req, struct vmm_def *def, struct bv_error *err);
int access_ct_create(struct barevirtd *d, const struct bv_http_request *req, struct ctr_ct_def *def,
                     struct bv_error *err);
int access_disk_paths(struct barevirtd *d, const struct bv_http_request *req, const struct vmm_disk *k,
                      const char *where, struct bv_error *err);
struct net_def;
/* A network's project (def->project, set to the identity's when empty): -EACCES, -ENOENT as above. */
int access_network_create(struct barevirtd *d, const struct bv_http_request *req, struct net_def *def,
                          struct bv_error *err);
/* An engine container (default's): -EACCES for another project's identity, and binds or mounts but for admin. */
int access_engine_create(struct barevirtd *d, const struct bv_http_request *req, const json_t *body,
                         struct bv_error *err);
/* One path a request names (an image to load): 0 for admin, else only inside barevirt's store (-EACCES). */
int access_path(struct barevirtd *d, const struct bv_http_request *req, const char *key, const char *path,
                struct bv_error *err);

/* ---- registry.c: barevirt's own instances ------------------------------------------------ */

/*
 * A kind of barevirt instance: what a bare NAME can be. Its own endpoints
 * live under api ("/v1/vms/NAME/..."), where /v1/instances forwards the
 * generic verbs (action() maps a verb to the kind's word, NULL: not
 * available). logs(): the log as /v1/instances/NAME/logs answers it
 * ({"output", "tty"}, its last tail lines; NULL: the kind keeps no log
 * here); a kind with logs follows them at GET api/NAME/logs?follow=1.
 */
struct instance_kind {
        const char *type;            /* "vm", "ct" */
        const char *what;            /* "VM", "container": for messages */
        const char *api;
        const char *(*action)(const char *verb);
        json_t *(*logs)(struct barevirtd *d, const char *name, long long tail);
};
extern const struct instance_kind instance_kind_vm, instance_kind_ct;

/* Loads every definition (networks first), re-adopts what runs, autostarts; frees it all at exit. */
/*
 * Calls fn for every STATE_DIR/kind/NAME.json, in name order, with the
 * file's path and its JSON (borrowed), after making the folder if it is
 * missing. A file that cannot be read or is not JSON is logged and
 * skipped. Returns how many files fn got, or -errno when the folder cannot
 * be made.
 */
int registry_defs_foreach(struct barevirtd *d, const char *kind,
                          void (*fn)(struct barevirtd *d, const char *path, json_t *def, void *userdata),
                          void *userdata);
int registry_load(struct barevirtd *d);
void registry_free(struct barevirtd *d);

struct vmm_vm *registry_vm(struct barevirtd *d, const char *name);
struct ctr_ct *registry_ct(struct barevirtd *d, const char *name);
/* The kind of instance name is, or NULL. */
const struct instance_kind *registry_kind(struct barevirtd *d, const char *name);
/* The /v1/instances summary of name ({"ref", "project", "type", "state", "image", "status", "addresses", "uptime"}). */
json_t *registry_instance_json(struct barevirtd *d, const char *name);
/* Appends every instance's summary (of project scope; NULL: all) to items. */
void registry_instances_json(struct barevirtd *d, const char *scope, json_t *items);
/*
 * Whether name is free for a new instance of kind (VMs and containers
 * share one namespace): -EEXIST naming the holder otherwise.
 */
int registry_name_free(struct barevirtd *d, const char *name, const struct instance_kind *kind, struct bv_error *err);

/*
 * New instances: vmm_vm_create() / ctr_ct_new() + ctr_ct_create() through
 * the registry, which makes them with this daemon's host and adds them
 * (-ENOSPC past the limit of each kind). Remove: forget and free.
 */
int registry_create_vm(struct barevirtd *d, struct vmm_def *def, struct vmm_vm **ret, struct bv_error *err);
void registry_remove_vm(struct barevirtd *d, struct vmm_vm *vm);
int registry_new_ct(struct barevirtd *d, struct ctr_ct_def *def, struct ctr_ct **ret, struct bv_error *err);
void registry_remove_ct(struct barevirtd *d, struct ctr_ct *ct);
/* Whether accel "auto" may use KVM (the host probe's verdict). */
bool registry_kvm_usable(struct barevirtd *d);

/* ---- networks.c: the registry's networks ------------------------------------------------- */

struct net_def;
struct net_link;
struct ifaddrs;
/* The links of barevirtd's network namespace and their addresses, as `net show` reports them. */
struct networks_live {
        struct net_link *links;
        size_t n_links;
        struct ifaddrs *addrs;
};
int networks_live_get(struct barevirtd *d, struct networks_live *lv, struct bv_error *err);
void networks_live_clear(struct networks_live *lv);
const struct net_link *networks_live_find(const struct networks_live *lv, const char *name);
#define NETWORKS_CIDR_LEN 56      /* INET6_ADDRSTRLEN + "/128" */
/* The canonical CIDRs of link name, at most max, into ret; how many. */
size_t networks_live_addresses(const struct networks_live *lv, const char *name, char (*ret)[NETWORKS_CIDR_LEN], size_t max);
/* A definition file's JSON (the file's name must be the network's). */
int networks_def_from_file(const char *path, const json_t *o, struct net_def *def, struct bv_error *err);

/* The project of network name ("default" when its definition names none) in ret, or NULL when there is none. */
const char *networks_project(struct barevirtd *d, const char *name, char ret[64]);
/* The bridge of a barevirt network (for taps and veths). 0 or -ENOENT ("No network named '...'"). */
int networks_bridge(struct barevirtd *d, const char *name, char *ret_bridge, size_t len, struct bv_error *err);
/* Re-creates missing bridges of defined networks (at start). */
int networks_load(struct barevirtd *d);
/*
 * IP forwarding in barevirtd's namespace: whether it is on; whether NAT may
 * be had (on, or barevirtd may turn it on: inside its own --netns, or with
 * --allow-forwarding; on the host it never flips the sysctl silently); and
 * turning it on when allowed (-EPERM else).
 */
bool networks_forwarding(struct barevirtd *d);
bool networks_nat_possible(struct barevirtd *d);
int networks_forwarding_enable(struct barevirtd *d, struct bv_error *err);
/* Names the live users of network ("1 running VM ('a') and 2 running containers ('b', 'c')"); how many. */
size_t networks_users_describe(struct barevirtd *d, const char *network, char *buf, size_t len);
/* The instance owning port ifname of network (a VM's tap or a container's veth), or NULL; *ret_nic. */
const char *networks_port_owner(struct barevirtd *d, const char *ifname, const char *network,
                                const struct instance_kind **ret_kind, unsigned *ret_nic);

/* ---- engines.c: Docker and Podman -------------------------------------------------------- */

#define N_ENGINES 2
/* "docker", "podman": engine index i's name; the index of a name, or -1. */
extern const char *const engine_names[N_ENGINES];
int engines_index(const char *name);
/* The client for engine i, made on first use; NULL with -ENODEV in err when no socket is configured. */
struct ctr_engine *engines_get(struct barevirtd *d, size_t i, struct bv_error *err);
/* Engine i's socket, whether its events subscription is up and how many events it delivered. */
const char *engines_socket(struct barevirtd *d, size_t i);
bool engines_subscribed(struct barevirtd *d, size_t i, uint64_t *ret_events);
/* Events subscriptions: started after the API; freed, with the clients, at exit. */
int engines_start(struct barevirtd *d);
void engines_free(struct barevirtd *d);

/* ---- events.c: /v1/events ---------------------------------------------------------------- */

/* Sends one event, {"type": type, "time": ..., ...fields}, to every subscriber. */
void events_emit(struct barevirtd *d, const char *type, json_t *fields /* stolen, may be NULL */);
/*
 * Makes c (a request for /v1/events) a subscriber: the stream begins with
 * {"type": "hello"}. scope: the only project whose events it gets (NULL: all).
 */
void events_subscribe(struct barevirtd *d, struct bv_http_conn *c, const char *scope);
int events_new(struct barevirtd *d);
void events_free(struct barevirtd *d);

/* ---- host.c: slow host facts ------------------------------------------------------------- */

/*
 * The KVM probe and the QEMU version, found by a forked helper process so
 * the loop never blocks, cached in memory and in RUN_DIR/host-probe.json
 * (valid for the same boot and QEMU binary). host_probe_start() uses the
 * cache or starts the helper; force re-probes. host_probe_start_later()
 * starts it after usec unless something needs it sooner, so that start-up
 * and the first requests do not compete with it. host_probe_result() is
 * NULL while probing. host_probe_wait() calls done once the result is
 * there (at once when it already is).
 */
int host_probe_start(struct barevirtd *d, bool force);
int host_probe_start_later(struct barevirtd *d, uint64_t usec);
const json_t *host_probe_result(struct barevirtd *d);
int host_probe_wait(struct barevirtd *d, void (*done)(struct barevirtd *d, void *userdata), void *userdata);
void host_probe_free(struct barevirtd *d);

/* ---- netsvc.c: the services of networks (dnsmasq, address pools) --------------------------- */

/*
 * Starts (or adopts) the services def asks for: dnsmasq when it has DHCP.
 * def is copied. -ENOENT naming the package when dnsmasq is missing.
 */
int netsvc_network_up(struct barevirtd *d, const struct net_def *def, struct bv_error *err);
/* Stops network name's dnsmasq and removes its files, pool and lease file. */
void netsvc_network_down(struct barevirtd *d, const char *name);
/* Forgets every network's services (each dnsmasq keeps running, to be adopted). */
void netsvc_free(struct barevirtd *d);
/* The registry changed: rewrite the networks' host files on the next loop turn. */
void netsvc_changed(struct barevirtd *d);
/* ctr_ct_host_opts.nic_address: a pool address for a container NIC on a DHCP network. */
int netsvc_ct_address(struct barevirtd *d, const char *ct, unsigned index, const char *network,
                      const uint8_t mac[6], struct ctr_ct_nic_addr *ret, struct bv_error *err);
/* The pid of network name's dnsmasq, 0 when none runs. */
pid_t netsvc_dnsmasq_pid(struct barevirtd *d, const char *name);
/* The leases of network name ([{"mac", "ip", "hostname", "instance", "expiry", "kind"}]). */
int netsvc_leases_json(struct barevirtd *d, const char *name, json_t **ret, struct bv_error *err);
/* The pool address of NIC nic of instance on network ("" when none). */
const char *netsvc_instance_address(struct barevirtd *d, const char *network, const char *instance, unsigned nic);
/*
 * A fixed ip of NIC nic of instance on network: -EINVAL outside the
 * network's subnet, -EEXIST when the bridge or another instance holds it
 * (named). 0 for networks without an IPv4 subnet.
 */
int netsvc_check_fixed(struct barevirtd *d, const char *instance, const char *network, unsigned nic, const char *ip,
                       struct bv_error *err);
/*
 * Makes barevirtd's nftables tables what its networks ask (NAT, the forward
 * chain, the firewall groups and the ports of running instances: each
 * VM tap and container veth with its MAC, address and group, anti-spoofed
 * when it has an address); removes them without networks. Blocks for one
 * netlink batch. netsvc_nft_sync() applies only when something changed
 * since the last apply (networks, forwards, addresses or ports).
 */
int netsvc_nft_apply(struct barevirtd *d, struct bv_error *err);
int netsvc_nft_sync(struct barevirtd *d, struct bv_error *err);
/* Whether firewall groups are stateful here (bridge conntrack); true until probed. */
bool netsvc_nft_stateful(struct barevirtd *d);
/*
 * Port forwards of a network (STATE/forwards/NAME.json), kept by netsvc and
 * applied in nftables to each target's current address. Key: "PROTO:PORT"
 * or "PROTO:LISTEN:PORT". forward_add applies at once (the kernel's
 * refusal is the answer; nothing changes then); delete applies on the
 * next loop turn. clash: -EEXIST naming the forward that holds the port.
 */
json_t *netsvc_forwards_json(struct barevirtd *d, const char *network);
void netsvc_forward_key(const json_t *f, char *buf, size_t len);
bool netsvc_instance_on(struct barevirtd *d, const char *network, const char *instance);
int netsvc_forward_clash(struct barevirtd *d, const char *proto, const char *listen, unsigned port,
                         struct bv_error *err);
int netsvc_forward_add(struct barevirtd *d, const char *network, const json_t *f, struct bv_error *err);
int netsvc_forward_delete(struct barevirtd *d, const char *network, const char *key, struct bv_error *err);

/* ---- firewall.c: firewall groups ------------------------------------------------------------ */

struct net_nft_group;
struct net_nft_rule;

/* Loads STATE/firewall/GROUP.json files into d->fw (bad files are logged and skipped). -ENOMEM, -errno of opendir. */
int firewall_load(struct barevirtd *d);
void firewall_free(struct barevirtd *d);
bool firewall_exists(struct barevirtd *d, const char *name);
/*
 * The groups for nftables, sorted by name: *ret (n of them) and the rules
 * they point into (*ret_rules); both malloc'ed, the names borrowed from
 * d->fw until it changes. -ENOMEM.
 */
int firewall_nft_groups(struct barevirtd *d, struct net_nft_group **ret, size_t *ret_n,
                        struct net_nft_rule **ret_rules);
/* NICs naming a group that does not exist: -EINVAL "nics[N].firewall: no firewall group named ...". */
int firewall_check_nic(struct barevirtd *d, const char *group, size_t nic, struct bv_error *err);
int firewall_check_vm(struct barevirtd *d, const struct vmm_def *def, struct bv_error *err);
int firewall_check_ct(struct barevirtd *d, const struct ctr_ct_def *def, struct bv_error *err);
/* The API's views: every group, one group (-ENOENT), each with "used_by" and rule "index"es from 1. */
json_t *firewall_list_json(struct barevirtd *d);
int firewall_group_json(struct barevirtd *d, const char *name, json_t **ret, struct bv_error *err);
/*
 * Changes, each checked whole, applied to nftables and stored, or nothing
 * changed: create (-EINVAL, -EEXIST for a duplicate, -ENOSPC), delete
 * (-ENOENT, -EBUSY naming an instance whose NIC uses it), rule add
 * (-ENOENT, -EINVAL naming the flag), rule delete by index from 1 (-ENOENT).
 * *ret: the group as firewall_group_json() shows it.
 */
int firewall_group_create(struct barevirtd *d, const json_t *body, json_t **ret, struct bv_error *err);
int firewall_group_delete(struct barevirtd *d, const char *name, struct bv_error *err);
int firewall_rule_add(struct barevirtd *d, const char *name, const json_t *rule, json_t **ret, struct bv_error *err);
int firewall_rule_delete(struct barevirtd *d, const char *name, const char *index, struct bv_error *err);
