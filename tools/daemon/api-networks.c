/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/networks: barevirt networks. A network is a Linux bridge that
 * barevirt owns, named exactly as the network (so names are 1-15 bytes of
 * [A-Za-z0-9][A-Za-z0-9._-]), defined in STATE/networks/NAME.json
 * (written atomically): {"name", "addresses": [CIDR...], "mtu"?, "vlan_filtering"}.
 *
 *   GET    /v1/networks          list (each as GET /v1/networks/NAME)
 *   POST   /v1/networks          create: {"name", "addresses"?, "mtu"?, "vlan_filtering"?}
 *   GET    /v1/networks/NAME     definition + live bridge state + ports
 *   DELETE /v1/networks/NAME     refused while running VMs use it or it has ports
 *
 * Ownership mark: barevirt's bridges are created in link group
 * NETWORK_GROUP (IFLA_GROUP 0x62766e74, "bvnt"; `ip link` shows it as
 * "group 1651928692"), in the same RTM_NEWLINK that creates them. A link of
 * a network's name that is not a bridge in that group is someone else's: it
 * is never changed or deleted, and creating a network of its name is
 * refused (409). A barevirt bridge without a definition (left behind) is
 * adopted by `create`. The group is below 0x80000000, clear of the
 * temporary groups of net_link_delete_many().
 *
 * Invariants: the state dir is the truth (no copy is kept in memory, so
 * nothing can disagree with it); a failed create leaves neither bridge nor
 * file; a network's bridge is re-created at start when it is missing.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/file.h"
#include "common/json.h"
#include "common/log.h"
#include "common/parse.h"
#include "net/net.h"
#include "tools/daemon/daemon.h"
#include "vmm/def.h"
#include "vmm/vm.h"

#define NETWORK_GROUP 0x62766e74u       /* "bvnt" */
#define NETWORK_MAX_ADDRESSES 64
#define NETWORK_DEF_MAX (64 * 1024)
#define NETWORK_NAME_MAX (IFNAMSIZ - 1)

struct network_def {
        char name[IFNAMSIZ];
        char *addresses[NETWORK_MAX_ADDRESSES + 1];   /* canonical CIDRs, NULL-terminated */
        size_t n_addresses;
        unsigned mtu;                                  /* 0: not set */
        bool vlan_filtering;
};

static void def_clear(struct network_def *def)
{
        for (size_t i = 0; i < def->n_addresses; i++)
                free(def->addresses[i]);
        *def = (struct network_def){};
}

static int name_check(const char *name, struct bv_error *err)
{
        if (name && strlen(name) > NETWORK_NAME_MAX)
                return bv_error_set(err, EINVAL,
                                    "Network name '%.64s' is too long: at most %d bytes (it names the bridge)",
                                    name, NETWORK_NAME_MAX);
        if (!bv_name_is_valid(name))
                return bv_error_set(err, EINVAL, "Invalid network name '%.64s': use 1-%d characters [A-Za-z0-9._-], "
                                    "starting with a letter or digit", name ? name : "", NETWORK_NAME_MAX);
        return 0;
}

static void def_path(struct barevirtd *d, const char *name, char *buf, size_t len)
{
        snprintf(buf, len, "%s/networks/%s.json", d->state_dir, name);
}

/*
 * Checks a definition (from a request or a file) and fills *def with
 * canonical addresses. Unknown keys, bad CIDRs, duplicates and MTUs out of
 * 68-65535 are -EINVAL with a message naming the field.
 */
static int def_from_json(json_t *o, struct network_def *def, struct bv_error *err)
{
        const char *name = NULL;
        json_t *addrs = NULL, *mtu = NULL, *v;
        int vlan = 0, r;
        json_error_t jerr;
        size_t i;

        *def = (struct network_def){};
        if (json_unpack_ex(o, &jerr, JSON_STRICT, "{s:s,s?o,s?o,s?b}", "name", &name, "addresses", &addrs,
                           "mtu", &mtu, "vlan_filtering", &vlan) < 0)
                return bv_error_set(err, EINVAL,
                                    "A network is {\"name\": STRING, \"addresses\": [CIDR...], \"mtu\": N, "
                                    "\"vlan_filtering\": BOOL}: %s", jerr.text);
        if ((r = name_check(name, err)) < 0)
                return r;
        snprintf(def->name, sizeof(def->name), "%s", name);
        def->vlan_filtering = vlan;
        if (mtu && !json_is_null(mtu)) {
                if (!json_is_integer(mtu) || json_integer_value(mtu) < 68 || json_integer_value(mtu) > 65535)
                        return bv_error_set(err, EINVAL, "mtu: must be an integer from 68 to 65535");
                def->mtu = (unsigned)json_integer_value(mtu);
        }
        if (addrs && !json_is_null(addrs) && !json_is_array(addrs))
                return bv_error_set(err, EINVAL, "addresses: must be an array of CIDR strings");
        if (json_array_size(addrs) > NETWORK_MAX_ADDRESSES)
                return bv_error_set(err, EINVAL, "addresses: at most %d", NETWORK_MAX_ADDRESSES);
        json_array_foreach(addrs, i, v) {
                struct net_cidr c;
                char buf[INET6_ADDRSTRLEN + 8];
                if (!json_is_string(v))
                        r = bv_error_set(err, EINVAL, "addresses[%zu]: must be a string like '10.0.0.1/24'", i);
                else if ((r = net_cidr_parse(json_string_value(v), true, &c, err)) < 0)
                        r = bv_error_prefix(err, "addresses[%zu]", i);
                else
                        net_cidr_format(&c, buf, sizeof(buf));
                for (size_t k = 0; r >= 0 && k < def->n_addresses; k++)
                        if (strcmp(def->addresses[k], buf) == 0)
                                r = bv_error_set(err, EINVAL, "addresses[%zu]: '%s' is listed twice", i, buf);
                if (r >= 0 && !(def->addresses[def->n_addresses++] = strdup(buf)))
                        r = bv_error_set(err, ENOMEM, "Out of memory");
                if (r < 0) {
                        def_clear(def);
                        return r;
                }
        }
        return 0;
}

static json_t *def_to_json(const struct network_def *def)
{
        json_t *a = json_array();

        for (size_t i = 0; i < def->n_addresses; i++)
                json_array_append_new(a, json_string(def->addresses[i]));
        json_t *o = json_pack("{s:s,s:o,s:b}", "name", def->name, "addresses", a, "vlan_filtering",
                              def->vlan_filtering);
        if (o && def->mtu)
                json_object_set_new(o, "mtu", json_integer(def->mtu));
        return o;
}

/* Loads STATE/networks/NAME.json. -ENOENT "No network named" when there is none. */
static int def_load(struct barevirtd *d, const char *name, struct network_def *def, struct bv_error *err)
{
        json_auto_t *o = NULL;
        char path[4096];
        int r;

        if (name_check(name, NULL) < 0)
                return bv_error_set(err, ENOENT, "No network named '%.64s'", name);
        def_path(d, name, path, sizeof(path));
        if (access(path, F_OK) < 0)
                return bv_error_set(err, ENOENT, "No network named '%s'", name);
        if ((r = bv_json_load_file(path, NETWORK_DEF_MAX, &o, err)) < 0 || (r = def_from_json(o, def, err)) < 0)
                return bv_error_prefix(err, "Bad definition '%s'", path);
        if (strcmp(def->name, name) != 0) {
                def_clear(def);
                return bv_error_set(err, EINVAL, "Bad definition '%s': it names network '%s'", path, def->name);
        }
        return 0;
}

static bool link_is_ours(const struct net_link *l)
{
        return strcmp(l->kind, "bridge") == 0 && l->group == NETWORK_GROUP;
}

int network_bridge(struct barevirtd *d, const char *name, char *ret_bridge, size_t len,
                   struct bv_error *err)
{
        struct network_def def;
        int r = def_load(d, name, &def, err);

        if (r < 0)
                return r;
        def_clear(&def);
        if (strlen(name) >= len)
                return bv_error_set(err, ENAMETOOLONG, "Bridge name buffer too small");
        snprintf(ret_bridge, len, "%s", name);
        return 0;
}

/* ---- live state ------------------------------------------------------------ */

struct live {
        struct net_link *links;
        size_t n_links;
        struct ifaddrs *addrs;
};

static void live_clear(struct live *lv)
{
        free(lv->links);
        if (lv->addrs)
                freeifaddrs(lv->addrs);
        *lv = (struct live){};
}

static int live_get(struct barevirtd *d, struct live *lv, struct bv_error *err)
{
        *lv = (struct live){};
        if (!d->net)
                return bv_error_set(err, EOPNOTSUPP, "Networking is unavailable in barevirtd (netlink failed at start)");
        int r = net_link_list(d->net, &lv->links, &lv->n_links, err);
        if (r < 0)
                return r;
        /* getifaddrs() asks the namespace barevirtd runs in, the one d->net talks to. */
        if (getifaddrs(&lv->addrs) < 0)
                lv->addrs = NULL;
        return 0;
}

static const struct net_link *live_find(const struct live *lv, const char *name)
{
        for (size_t i = 0; i < lv->n_links; i++)
                if (strcmp(lv->links[i].name, name) == 0)
                        return &lv->links[i];
        return NULL;
}

/* The address bytes of an AF_INET or AF_INET6 sockaddr. */
static const uint8_t *in_bytes(const struct sockaddr *sa)
{
        if (sa->sa_family == AF_INET)
                return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
        return (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
}

static json_t *live_addresses(const struct live *lv, const char *name)
{
        json_t *a = json_array();

        for (const struct ifaddrs *ifa = lv->addrs; ifa; ifa = ifa->ifa_next) {
                char buf[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN + 8];
                int af = ifa->ifa_addr ? ifa->ifa_addr->sa_family : AF_UNSPEC;
                unsigned bits = 0;
                if ((af != AF_INET && af != AF_INET6) || !ifa->ifa_netmask || strcmp(ifa->ifa_name, name) != 0 ||
                    !inet_ntop(af, in_bytes(ifa->ifa_addr), buf, sizeof(buf)))
                        continue;
                for (size_t i = 0; i < (af == AF_INET ? 4u : 16u); i++)
                        bits += (unsigned)__builtin_popcount(in_bytes(ifa->ifa_netmask)[i]);
                snprintf(s, sizeof(s), "%s/%u", buf, bits);
                json_array_append_new(a, json_string(s));
        }
        return a;
}

/*
 * The VM owning tap "bvXXXXXX-N" on network: vmm/vm.c names taps by an
 * FNV-1a hash of the VM name and the NIC index; NIC N must be on network.
 */
static struct vmm_vm *tap_owner(struct barevirtd *d, const char *tap, const char *network, unsigned *ret_nic)
{
        unsigned hash, nic;
        int n = 0;

        if (strncmp(tap, "bv", 2) != 0 || sscanf(tap + 2, "%6x-%u%n", &hash, &nic, &n) != 2 || tap[2 + n] ||
            strlen(tap) < 10 || tap[8] != '-')
                return NULL;
        for (size_t i = 0; i < d->n_vms; i++) {
                uint32_t h = 2166136261u;
                for (const char *p = vmm_vm_name(d->vms[i]); *p; p++)
                        h = (h ^ (uint8_t)*p) * 16777619u;
                const struct vmm_def *def = vmm_vm_def(d->vms[i]);
                if ((h & 0xffffff) == hash && nic < def->n_nics && strcmp(def->nics[nic].network, network) == 0) {
                        *ret_nic = nic;
                        return d->vms[i];
                }
        }
        return NULL;
}

static json_t *ports_json(struct barevirtd *d, const struct live *lv, const char *network, int master)
{
        json_t *a = json_array();

        for (size_t i = 0; master > 0 && i < lv->n_links; i++) {
                const struct net_link *l = &lv->links[i];
                unsigned nic = 0;
                if (l->master != master)
                        continue;
                struct vmm_vm *vm = tap_owner(d, l->name, network, &nic);
                const char *ct = vm ? NULL : containers_veth_owner(d, l->name, &nic);
                json_t *p = json_pack("{s:s,s:s,s:b,s:b}", "name", l->name, "kind", *l->kind ? l->kind : "device",
                                      "up", l->up, "carrier", l->carrier);
                json_object_set_new(p, "vm", vm ? json_string(vmm_vm_name(vm)) : json_null());
                json_object_set_new(p, "container", ct ? json_string(ct) : json_null());
                if (vm || ct)
                        json_object_set_new(p, "nic", json_integer(nic));
                json_array_append_new(a, p);
        }
        return a;
}

static json_t *network_json(struct barevirtd *d, const struct network_def *def, const struct live *lv)
{
        const struct net_link *l = live_find(lv, def->name);
        const char *state = !l ? "missing" : !link_is_ours(l) ? "foreign" : l->up ? "up" : "down";
        json_t *bridge = json_null();

        if (l && link_is_ours(l)) {
                char mac[18] = "";
                if (l->has_mac)
                        snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", l->mac[0], l->mac[1],
                                 l->mac[2], l->mac[3], l->mac[4], l->mac[5]);
                bridge = json_pack("{s:s,s:i,s:b,s:b,s:I,s:s,s:o}", "name", l->name, "index", l->index, "up",
                                   l->up, "carrier", l->carrier, "mtu", (json_int_t)l->mtu, "mac", mac,
                                   "addresses", live_addresses(lv, l->name));
        }
        return json_pack("{s:s,s:o,s:s,s:o,s:o}", "name", def->name, "definition", def_to_json(def), "state",
                         state, "bridge", bridge, "ports",
                         ports_json(d, lv, def->name, l && link_is_ours(l) ? l->index : 0));
}

/* ---- bridge setup ----------------------------------------------------------- */

/* Creates the bridge of def; nothing is left on failure. */
static int bridge_create(struct barevirtd *d, const struct network_def *def, struct bv_error *err)
{
        struct net_bridge_opts opts = {
                .vlan_filtering = def->vlan_filtering,
                .up = true,
                .mtu = def->mtu,
                .group = NETWORK_GROUP,
                .addresses = (const char *const *)def->addresses,
        };

        return net_link_add_bridge(d->net, def->name, &opts, err);
}

/*
 * Adopts a barevirt bridge left behind without a definition: sets the MTU
 * when one is defined, adds the defined addresses it lacks and brings it up.
 * On failure the addresses added here are removed again (the bridge was
 * there before and stays).
 */
static int bridge_adopt(struct barevirtd *d, const struct network_def *def, const struct live *lv,
                        struct bv_error *err)
{
        bool added[NETWORK_MAX_ADDRESSES] = {};
        json_auto_t *have = live_addresses(lv, def->name);
        int r = 0;

        if (def->mtu)
                r = net_bridge_pin_mtu(d->net, def->name, def->mtu, err);
        for (size_t i = 0; r >= 0 && i < def->n_addresses; i++) {
                bool present = false;
                json_t *v;
                size_t k;
                json_array_foreach(have, k, v)
                        present |= strcmp(json_string_value(v), def->addresses[i]) == 0;
                if (!present && (r = net_addr_add(d->net, def->name, def->addresses[i], err)) >= 0)
                        added[i] = true;
        }
        if (r >= 0)
                r = net_link_set_up(d->net, def->name, true, err);
        if (r < 0) {
                for (size_t i = 0; i < def->n_addresses; i++)
                        if (added[i])
                                (void)net_addr_del(d->net, def->name, def->addresses[i], NULL);
                return bv_error_prefix(err, "Failed to adopt bridge '%s'", def->name);
        }
        return 0;
}

/* ---- handlers --------------------------------------------------------------- */

/* Calls fn for each definition file, in name order. Returns how many it read. */
static size_t for_each_def(struct barevirtd *d,
                           void (*fn)(struct barevirtd *d, const struct network_def *def, void *userdata),
                           void *userdata)
{
        char dir[4096];
        struct dirent **list;
        size_t count = 0;

        snprintf(dir, sizeof(dir), "%s/networks", d->state_dir);
        int n = scandir(dir, &list, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                char name[64];
                size_t len = strlen(list[i]->d_name);
                struct network_def def;
                struct bv_error err = {};
                if (len > 5 && len - 5 < sizeof(name) && strcmp(list[i]->d_name + len - 5, ".json") == 0) {
                        snprintf(name, sizeof(name), "%.*s", (int)(len - 5), list[i]->d_name);
                        if (def_load(d, name, &def, &err) < 0)
                                bv_warn("ignoring network '%s': %s", name, err.msg);
                        else {
                                fn(d, &def, userdata);
                                def_clear(&def);
                                count++;
                        }
                }
                free(list[i]);
        }
        if (n >= 0)
                free(list);
        return count;
}

static void append_network(struct barevirtd *d, const struct network_def *def, void *userdata)
{
        void **ctx = userdata;
        json_array_append_new(ctx[0], network_json(d, def, ctx[1]));
}

static void get_networks(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                         char **args)
{
        struct bv_error err = {};
        struct live lv;
        int r = live_get(d, &lv, &err);

        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        json_t *a = json_array();
        void *ctx[2] = { a, &lv };
        for_each_def(d, append_network, ctx);
        live_clear(&lv);
        api_reply_json(c, 200, a);
}

static void get_network(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                        char **args)
{
        struct network_def def;
        struct bv_error err = {};
        struct live lv;
        int r;

        if ((r = def_load(d, args[0], &def, &err)) < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        if ((r = live_get(d, &lv, &err)) < 0) {
                def_clear(&def);
                api_reply_errno(c, r, err.msg);
                return;
        }
        api_reply_json(c, 200, network_json(d, &def, &lv));
        live_clear(&lv);
        def_clear(&def);
}

/* Validates, makes (or adopts) the bridge, then writes the definition; undoes the bridge if that fails. */
static int create(struct barevirtd *d, const struct network_def *def, struct live *lv, struct bv_error *err)
{
        char path[4096];
        int r;

        def_path(d, def->name, path, sizeof(path));
        if (access(path, F_OK) == 0)
                return bv_error_set(err, EEXIST, "A network named '%s' already exists", def->name);
        const struct net_link *l = live_find(lv, def->name);
        if (l && !link_is_ours(l))
                return bv_error_set(err, EEXIST, "A link named '%s' exists and is not a barevirt bridge (%s%s)",
                                    def->name, *l->kind ? "kind " : "a device without kind", l->kind);
        bool adopted = l != NULL;
        if (adopted)
                r = bridge_adopt(d, def, lv, err);
        else
                r = bridge_create(d, def, err);
        if (r < 0)
                return r;
        json_auto_t *stored = def_to_json(def);
        r = stored ? bv_json_write_file(path, stored, err) : bv_error_set(err, ENOMEM, "Out of memory");
        if (r < 0) {
                if (!adopted)
                        (void)net_link_delete(d->net, def->name, NULL);
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
        struct network_def def;
        struct bv_error err = {};
        struct live lv;
        int r;

        if (api_read_json(c, req, &body) < 0)
                return;
        if ((r = def_from_json(body, &def, &err)) < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        if ((r = live_get(d, &lv, &err)) < 0 || (r = create(d, &def, &lv, &err)) < 0) {
                api_reply_errno(c, r, err.msg);
        } else {
                live_clear(&lv);
                if ((r = live_get(d, &lv, &err)) < 0)
                        api_reply_errno(c, r, err.msg);
                else
                        api_reply_json(c, 201, network_json(d, &def, &lv));
                events_emit(d, "network-created", json_pack("{s:s}", "name", def.name));
        }
        live_clear(&lv);
        def_clear(&def);
}

/* Needs only the name (a definition that no longer parses can still be deleted). */
static void delete_network(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                           char **args)
{
        const char *name = args[0];
        struct bv_error err = {};
        struct live lv = {};
        char path[4096];
        size_t users;
        int r;

        def_path(d, name, path, sizeof(path));
        if (name_check(name, NULL) < 0 || access(path, F_OK) < 0)
                r = bv_error_set(&err, ENOENT, "No network named '%.64s'", name);
        else if ((users = vms_using_network(d, name)) > 0)
                r = bv_error_set(&err, EBUSY, "Network '%s' is used by %zu running VM(s): stop them first", name,
                                 users);
        else if ((users = containers_using_network(d, name)) > 0)
                r = bv_error_set(&err, EBUSY, "Network '%s' is used by %zu running container(s): stop them first",
                                 name, users);
        else if ((r = live_get(d, &lv, &err)) >= 0) {
                const struct net_link *l = live_find(&lv, name);
                bool ours = l && link_is_ours(l);
                json_auto_t *ports = ports_json(d, &lv, name, ours ? l->index : 0);
                /*
                 * With no container using the network, container veths still
                 * on it are leftovers of stopped ones, gone once the kernel has
                 * destroyed their network namespaces (asynchronously): not users.
                 */
                size_t n = 0, k;
                json_t *port, *first = NULL;
                json_array_foreach(ports, k, port) {
                        const char *pn = json_string_value(json_object_get(port, "name"));
                        if (containers_is_veth_name(pn) && strcmp(json_string_value(json_object_get(port, "kind")), "veth") == 0)
                                continue;
                        first = first ? first : port;
                        n++;
                }
                if (n > 0)
                        r = bv_error_set(&err, EBUSY, "Network '%s' still has %zu port(s) (first: '%s'): detach them first",
                                         name, n, json_string_value(json_object_get(first, "name")));
                else if (ours)
                        r = net_link_delete(d->net, name, &err);
                else if (l)
                        bv_warn("network '%s': link '%s' is not barevirt's, leaving it", name, name);
        }
        if (r >= 0 && unlink(path) < 0 && errno != ENOENT)
                r = bv_error_set_errno(&err, errno, "Failed to remove '%s'", path);
        live_clear(&lv);
        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        bv_info("network '%s' deleted", name);
        events_emit(d, "network-deleted", json_pack("{s:s}", "name", name));
        bv_http_conn_respond(c, 204, NULL, NULL, 0);
}

/* ---- start-up ---------------------------------------------------------------- */

static void load_one(struct barevirtd *d, const struct network_def *def, void *userdata)
{
        const struct live *lv = userdata;
        const struct net_link *l = live_find(lv, def->name);
        struct bv_error err = {};

        if (!d->net)
                bv_warn("network '%s': networking unavailable, bridge not checked", def->name);
        else if (!l) {
                if (bridge_create(d, def, &err) < 0)
                        bv_warn("network '%s': cannot re-create its bridge: %s", def->name, err.msg);
                else
                        bv_info("network '%s': bridge was missing, re-created it", def->name);
        } else if (!link_is_ours(l))
                bv_warn("network '%s': link '%s' exists but is not a barevirt bridge; leaving it alone",
                        def->name, def->name);
        else
                bv_debug("network '%s': bridge present (%s)", def->name, l->up ? "up" : "down");
}

int networks_load(struct barevirtd *d)
{
        struct bv_error err = {};
        struct live lv = {};
        char dir[4096];

        snprintf(dir, sizeof(dir), "%s/networks", d->state_dir);
        if (bv_mkdir_p(dir, 0700, &err) < 0) {
                bv_warn("networks: %s", err.msg);
                return -err.error;
        }
        if (d->net && live_get(d, &lv, &err) < 0)
                bv_warn("networks: cannot list links: %s", err.msg);
        size_t n = for_each_def(d, load_one, &lv);
        live_clear(&lv);
        if (n)
                bv_info("%zu network(s) loaded", n);
        return 0;
}

void networks_free(struct barevirtd *d)
{
        /* Nothing is kept in memory: definitions are read from the state dir when needed. */
}

const struct api_route api_networks_routes[] = {
        { "GET", "/v1/networks", get_networks },
        { "POST", "/v1/networks", post_networks },
        { "GET", "/v1/networks/{}", get_network },
        { "DELETE", "/v1/networks/{}", delete_network },
        {},
};
