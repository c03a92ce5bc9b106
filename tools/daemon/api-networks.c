/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/networks: barevirt networks (net/network.c: definitions in
 * STATE/networks/NAME.json and the bridge of each, marked as barevirt's by
 * its link group).
 *
 *   GET    /v1/networks          list (each as GET /v1/networks/NAME)
 *   POST   /v1/networks          create: {"name", "addresses"?, "mtu"?, "vlan_filtering"?, "nat"?,
 *                                 "dhcp"?, "dhcp_range"?, "dns_domain"?}
 *   GET    /v1/networks/NAME     definition + live bridge state + ports
 *   DELETE /v1/networks/NAME     refused while running VMs use it or it has ports
 *   GET    /v1/networks/NAME/leases  DHCP leases and containers' pool addresses
 *
 * A link of a network's name that is not a barevirt bridge is someone
 * else's: it is never changed or deleted, and creating a network of its
 * name is refused (409). A barevirt bridge without a definition (left
 * behind) is adopted by `create`.
 *
 * Invariants: the state dir is the truth (no copy is kept in memory, so
 * nothing can disagree with it); a failed create leaves neither bridge nor
 * file; a network's bridge is re-created at start when it is missing
 * (networks.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "net/net.h"
#include "tools/daemon/daemon.h"

static json_t *live_addresses(const struct networks_live *lv, const char *name)
{
        char cidrs[NET_DEF_MAX_ADDRESSES * 2][NETWORKS_CIDR_LEN];
        size_t n = networks_live_addresses(lv, name, cidrs, BV_ELEMENTSOF(cidrs));
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_string(cidrs[i]));
        return a;
}

static json_t *ports_json(struct barevirtd *d, const struct networks_live *lv, const char *network, int master)
{
        json_t *a = json_array();

        for (size_t i = 0; master > 0 && i < lv->n_links; i++) {
                const struct net_link *l = &lv->links[i];
                const struct instance_kind *kind = NULL;
                unsigned nic = 0;
                if (l->master != master)
                        continue;
                const char *owner = networks_port_owner(d, l->name, network, &kind, &nic);
                json_t *p = json_pack("{s:s,s:s,s:b,s:b}", "name", l->name, "kind", *l->kind ? l->kind : "device",
                                      "up", l->up, "carrier", l->carrier);
                json_object_set_new(p, "vm", kind == &instance_kind_vm ? json_string(owner) : json_null());
                json_object_set_new(p, "container", kind == &instance_kind_ct ? json_string(owner) : json_null());
                if (owner)
                        json_object_set_new(p, "nic", json_integer(nic));
                json_array_append_new(a, p);
        }
        return a;
}

static json_t *bridge_json(const struct net_link *l, const struct networks_live *lv)
{
        char mac[18] = "";

        if (l->has_mac)
                snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", l->mac[0], l->mac[1], l->mac[2],
                         l->mac[3], l->mac[4], l->mac[5]);
        return json_pack("{s:s,s:i,s:b,s:b,s:I,s:s,s:o}", "name", l->name, "index", l->index, "up", l->up,
                         "carrier", l->carrier, "mtu", (json_int_t)l->mtu, "mac", mac, "addresses",
                         live_addresses(lv, l->name));
}

static json_t *network_json(struct barevirtd *d, const struct net_def *def, const struct networks_live *lv)
{
        const struct net_link *l = networks_live_find(lv, def->name);
        bool ours = l && net_link_is_network(l);
        const char *state = !l ? "missing" : !ours ? "foreign" : l->up ? "up" : "down";

        json_t *leases = NULL;
        pid_t pid = netsvc_dnsmasq_pid(d, def->name);
        if (netsvc_leases_json(d, def->name, &leases, NULL) < 0)
                leases = json_array();
        return json_pack("{s:s,s:o,s:s,s:o,s:o,s:{s:o},s:o}", "name", def->name, "definition", net_def_to_json(def),
                         "state", state, "bridge", ours ? bridge_json(l, lv) : json_null(), "ports",
                         ports_json(d, lv, def->name, ours ? l->index : 0), "dnsmasq", "pid",
                         pid > 0 ? json_integer(pid) : json_null(), "leases", leases);
}

static void get_leases(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct bv_error err = {};
        json_t *leases = NULL;
        int r;

        if (!net_def_exists(d->state_dir, args[0]))
                r = bv_error_set(&err, ENOENT, "No network named '%.64s'", args[0]);
        else
                r = netsvc_leases_json(d, args[0], &leases, &err);
        if (r < 0)
                api_reply_errno(c, r, err.msg);
        else
                api_reply_json(c, 200, leases);
}

/*
 * Another network's IPv4 or IPv6 subnet that overlaps one of def's: the
 * same address would then be on two bridges and routes would conflict.
 */
static void check_overlap(struct barevirtd *d, const char *path, json_t *o, void *userdata)
{
        void **ctx = userdata;
        const struct net_def *def = ctx[0];
        struct bv_error *err = ctx[1];
        struct net_def other;

        if (err->error || net_def_from_json(o, &other, NULL) < 0)
                return;
        for (size_t i = 0; i < def->n_addresses && !err->error; i++)
                for (size_t k = 0; k < other.n_addresses && !err->error; k++) {
                        struct net_cidr a, b;
                        if (net_cidr_parse(def->addresses[i], true, &a, NULL) == 0 &&
                            net_cidr_parse(other.addresses[k], true, &b, NULL) == 0 && a.family == b.family &&
                            net_cidr_overlaps(&a, &b))
                                bv_error_set(err, EEXIST, "--address '%s' overlaps network '%s' ('%s')",
                                             def->addresses[i], other.name, other.addresses[k]);
                }
        net_def_clear(&other);
}

/* ---- handlers --------------------------------------------------------------- */

static void append_network(struct barevirtd *d, const char *path, json_t *o, void *userdata)
{
        void **ctx = userdata;
        struct bv_error err = {};
        struct net_def def;

        if (networks_def_from_file(path, o, &def, &err) < 0) {
                bv_warn("ignoring '%s': %s", path, err.msg);
                return;
        }
        if (access_sees(ctx[2], def.project))
                json_array_append_new(ctx[0], network_json(d, &def, ctx[1]));
        net_def_clear(&def);
}

static void get_networks(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                         char **args)
{
        struct bv_error err = {};
        struct networks_live lv;
        int r = networks_live_get(d, &lv, &err);

        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        json_t *a = json_array();
        void *ctx[3] = { a, &lv, (void *)req };
        registry_defs_foreach(d, "networks", append_network, ctx);
        networks_live_clear(&lv);
        api_reply_json(c, 200, a);
}

static void get_network(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                        char **args)
{
        struct net_def def;
        struct bv_error err = {};
        struct networks_live lv;
        int r;

        if ((r = net_def_load(d->state_dir, args[0], &def, &err)) < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        if ((r = networks_live_get(d, &lv, &err)) < 0)
                api_reply_errno(c, r, err.msg);
        else
                api_reply_json(c, 200, network_json(d, &def, &lv));
        networks_live_clear(&lv);
        net_def_clear(&def);
}

/* Adopts the barevirt bridge l left behind without a definition. */
static int adopt(struct barevirtd *d, const struct net_def *def, const struct networks_live *lv, struct bv_error *err)
{
        char have[NET_DEF_MAX_ADDRESSES * 2][NETWORKS_CIDR_LEN];
        const char *ptrs[BV_ELEMENTSOF(have)];
        size_t n = networks_live_addresses(lv, def->name, have, BV_ELEMENTSOF(have));

        for (size_t i = 0; i < n; i++)
                ptrs[i] = have[i];
        return net_network_adopt(d->net, def, ptrs, n, err);
}

/* Validates, makes (or adopts) the bridge, then writes the definition; undoes the bridge if that fails. */
static int create(struct barevirtd *d, const struct net_def *def, struct networks_live *lv, struct bv_error *err)
{
        int r;

        if (net_def_exists(d->state_dir, def->name))
                return bv_error_set(err, EEXIST, "A network named '%s' already exists", def->name);
        void *ctx[2] = { (void *)def, err };
        registry_defs_foreach(d, "networks", check_overlap, ctx);
        if (err->error)
                return -err->error;
        char dnsmasq[PATH_MAX];
        if (def->dhcp > 0 && net_dnsmasq_find(dnsmasq, sizeof(dnsmasq)) < 0)
                return bv_error_set(err, ENOENT, "--dhcp needs dnsmasq, which is not installed (Debian package "
                                    "'dnsmasq-base'); use --no-dhcp for a network without it");
        const struct net_link *l = networks_live_find(lv, def->name);
        if (l && !net_link_is_network(l))
                return bv_error_set(err, EEXIST, "A link named '%s' exists and is not a barevirt bridge (%s%s)",
                                    def->name, *l->kind ? "kind " : "a device without kind", l->kind);
        bool adopted = l != NULL;
        if ((r = adopted ? adopt(d, def, lv, err) : net_network_create(d->net, def, err)) < 0)
                return r;
        if ((def->nat > 0 && (r = networks_forwarding_enable(d, err)) < 0) ||
            (r = net_def_store(d->state_dir, def, err)) < 0 || (r = netsvc_network_up(d, def, err)) < 0) {
                if (!adopted)
                        (void)net_link_delete(d->net, def->name, NULL);
                (void)net_def_remove(d->state_dir, def->name, NULL);
                return r;
        }
        bv_info("network '%s' %s (bridge '%s', %zu addresses)", def->name, adopted ? "adopted" : "created",
                def->name, def->n_addresses);
        return 0;
}

static void post_networks(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                          char **args)
{
        json_auto_t *body = NULL;
        struct net_def def;
        struct bv_error err = {};
        struct networks_live lv = {};
        int r;

        if (api_read_json(c, req, &body) < 0)
                return;
        if (json_is_true(json_object_get(body, "nat")) && !networks_nat_possible(d)) {
                api_reply_errno(c, -EPERM, "--nat needs IP forwarding, which is off on this host: turn it on "
                                "(sysctl net.ipv4.ip_forward=1) or start barevirtd with --allow-forwarding");
                return;
        }
        if ((r = net_def_from_json(body, &def, &err)) < 0 ||
            (r = net_def_set_defaults(&def, networks_nat_possible(d), &err)) < 0 ||
            (r = access_network_create(d, req, &def, &err)) < 0) {
                net_def_clear(&def);
                api_reply_errno(c, r, err.msg);
                return;
        }
        if ((r = networks_live_get(d, &lv, &err)) < 0 || (r = create(d, &def, &lv, &err)) < 0) {
                api_reply_errno(c, r, err.msg);
        } else {
                networks_live_clear(&lv);
                if ((r = networks_live_get(d, &lv, &err)) < 0)
                        api_reply_errno(c, r, err.msg);
                else
                        api_reply_json(c, 201, network_json(d, &def, &lv));
                events_emit(d, "network-created", json_pack("{s:s,s:s}", "name", def.name, "project",
                                                            projects_of(def.project)));
        }
        networks_live_clear(&lv);
        net_def_clear(&def);
}

/*
 * Ports still on the bridge that block its deletion. With no container
 * using the network, container veths still on it are leftovers of stopped
 * ones, gone once the kernel has destroyed their network namespaces
 * (asynchronously): not users. *ret_first: the first blocker's name.
 */
static size_t blocking_ports(struct barevirtd *d, const struct networks_live *lv, const char *name, int master,
                             char *ret_first, size_t len)
{
        json_auto_t *ports = ports_json(d, lv, name, master);
        json_t *port;
        size_t n = 0, k;

        json_array_foreach(ports, k, port) {
                const char *pn = json_string_value(json_object_get(port, "name"));
                if (ctr_ct_is_veth_name(pn) && strcmp(json_string_value(json_object_get(port, "kind")), "veth") == 0)
                        continue;
                if (n++ == 0)
                        snprintf(ret_first, len, "%s", pn);
        }
        return n;
}

/* Deletes the bridge of network name when it is barevirt's and nothing is on it. */
static int delete_bridge(struct barevirtd *d, const char *name, struct bv_error *err)
{
        struct networks_live lv = {};
        char first[IFNAMSIZ] = "";
        int r = networks_live_get(d, &lv, err);

        if (r < 0)
                return r;
        const struct net_link *l = networks_live_find(&lv, name);
        bool ours = l && net_link_is_network(l);
        size_t n = blocking_ports(d, &lv, name, ours ? l->index : 0, first, sizeof(first));
        if (n > 0)
                r = bv_error_set(err, EBUSY, "Network '%s' still has %zu port(s) (first: '%s'): detach them first",
                                 name, n, first);
        else if (ours)
                r = net_link_delete(d->net, name, err);
        else if (l)
                bv_warn("network '%s': link '%s' is not barevirt's, leaving it", name, name);
        networks_live_clear(&lv);
        return r;
}

/* Needs only the name (a definition that no longer parses can still be deleted). */
static void delete_network(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                           char **args)
{
        const char *name = args[0];
        struct bv_error err = {};
        char users[160], project[64] = "";
        int r;

        networks_project(d, name, project);
        if (!net_def_exists(d->state_dir, name))
                r = bv_error_set(&err, ENOENT, "No network named '%.64s'", name);
        else if (networks_users_describe(d, name, users, sizeof(users)) > 0)
                r = bv_error_set(&err, EBUSY, "Network '%s' is used by %s: stop them first", name, users);
        else if ((r = delete_bridge(d, name, &err)) >= 0 && (r = net_def_remove(d->state_dir, name, &err)) >= 0)
                netsvc_network_down(d, name);
        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        bv_info("network '%s' deleted", name);
        events_emit(d, "network-deleted", json_pack("{s:s,s:s}", "name", name, "project", projects_of(project)));
        bv_http_conn_respond(c, 204, NULL, NULL, 0);
}

const struct api_route api_networks_routes[] = {
        { "GET", "/v1/networks", get_networks },
        { "POST", "/v1/networks", post_networks },
        { "GET", "/v1/networks/{}", get_network },
        { "DELETE", "/v1/networks/{}", delete_network },
        { "GET", "/v1/networks/{}/leases", get_leases },
        {},
};
