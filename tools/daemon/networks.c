/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registry's networks. A network's definition lives in
 * STATE/networks/NAME.json only (net/network.c parses and stores it; no
 * copy is kept in memory, so nothing can disagree with it) and its bridge
 * in the kernel. Here: the bridge a NIC attaches to, the bridges
 * re-created at start when missing, who uses a network (the registry's
 * instances), and the live state of links that `net show` reports.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "net/net.h"
#include "tools/daemon/daemon.h"
#include "vmm/vmm.h"

const char *networks_project(struct barevirtd *d, const char *name, char ret[64])
{
        struct net_def def;

        if (!bv_name_is_valid(name) || net_def_load(d->state_dir, name, &def, NULL) < 0)
                return NULL;
        snprintf(ret, 64, "%s", projects_of(def.project));
        net_def_clear(&def);
        return ret;
}

int networks_bridge(struct barevirtd *d, const char *name, char *ret_bridge, size_t len, struct bv_error *err)
{
        if (!net_def_exists(d->state_dir, name))
                return bv_error_set(err, ENOENT, "No network named '%.64s'", name);
        if (strlen(name) >= len)
                return bv_error_set(err, ENAMETOOLONG, "Bridge name buffer too small");
        snprintf(ret_bridge, len, "%s", name);
        return 0;
}

/* Appends "N running KIND(s) ('a', 'b')" for the live users of one kind. */
static void describe_kind(char *buf, size_t len, const char *kind, const char *const *names, size_t n)
{
        size_t at = strlen(buf);

        if (n == 0)
                return;
        at += (size_t)snprintf(buf + at, at < len ? len - at : 0, "%s%zu running %s%s (", at ? " and " : "", n, kind,
                               n == 1 ? "" : "s");
        for (size_t i = 0; i < n && at < len; i++)
                at += (size_t)snprintf(buf + at, len - at, "%s'%s'", i ? ", " : "", names[i]);
        if (at < len)
                snprintf(buf + at, len - at, ")");
}

size_t networks_users_describe(struct barevirtd *d, const char *network, char *buf, size_t len)
{
        const char *vms[64], *cts[64];
        size_t nv = 0, nc = 0;

        for (size_t i = 0; i < d->reg.n_vms && nv < BV_ELEMENTSOF(vms); i++)
                if (vmm_vm_uses_network(d->reg.vms[i], network))
                        vms[nv++] = vmm_vm_name(d->reg.vms[i]);
        for (size_t i = 0; i < d->reg.n_cts && nc < BV_ELEMENTSOF(cts); i++)
                if (ctr_ct_uses_network(d->reg.cts[i], network))
                        cts[nc++] = ctr_ct_name(d->reg.cts[i]);
        *buf = '\0';
        describe_kind(buf, len, "VM", vms, nv);
        describe_kind(buf, len, "container", cts, nc);
        return nv + nc;
}

const char *networks_port_owner(struct barevirtd *d, const char *ifname, const char *network,
                                const struct instance_kind **ret_kind, unsigned *ret_nic)
{
        for (size_t i = 0; i < d->reg.n_vms; i++) {
                const struct vmm_vm *vm = d->reg.vms[i];
                if (vmm_vm_owns_tap(vm, ifname, ret_nic) && strcmp(vmm_vm_def(vm)->nics[*ret_nic].network, network) == 0) {
                        *ret_kind = &instance_kind_vm;
                        return vmm_vm_name(vm);
                }
        }
        for (size_t i = 0; i < d->reg.n_cts; i++)
                if (ctr_ct_owns_veth(d->reg.cts[i], ifname, ret_nic)) {
                        *ret_kind = &instance_kind_ct;
                        return ctr_ct_name(d->reg.cts[i]);
                }
        return NULL;
}

/* ---- live state --------------------------------------------------------------------------- */

void networks_live_clear(struct networks_live *lv)
{
        free(lv->links);
        if (lv->addrs)
                freeifaddrs(lv->addrs);
        *lv = (struct networks_live){};
}

int networks_live_get(struct barevirtd *d, struct networks_live *lv, struct bv_error *err)
{
        *lv = (struct networks_live){};
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

const struct net_link *networks_live_find(const struct networks_live *lv, const char *name)
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

size_t networks_live_addresses(const struct networks_live *lv, const char *name, char (*ret)[NETWORKS_CIDR_LEN],
                               size_t max)
{
        size_t n = 0;

        for (const struct ifaddrs *ifa = lv->addrs; ifa && n < max; ifa = ifa->ifa_next) {
                char buf[INET6_ADDRSTRLEN];
                int af = ifa->ifa_addr ? ifa->ifa_addr->sa_family : AF_UNSPEC;
                unsigned bits = 0;
                if ((af != AF_INET && af != AF_INET6) || !ifa->ifa_netmask || strcmp(ifa->ifa_name, name) != 0 ||
                    !inet_ntop(af, in_bytes(ifa->ifa_addr), buf, sizeof(buf)))
                        continue;
                for (size_t i = 0; i < (af == AF_INET ? 4u : 16u); i++)
                        bits += (unsigned)__builtin_popcount(in_bytes(ifa->ifa_netmask)[i]);
                snprintf(ret[n++], sizeof(ret[0]), "%s/%u", buf, bits);
        }
        return n;
}

/* ---- start-up ------------------------------------------------------------------------------- */

static void load_one(struct barevirtd *d, const char *path, json_t *o, void *userdata)
{
        const struct networks_live *lv = userdata;
        struct bv_error err = {};
        struct net_def def;

        if (networks_def_from_file(path, o, &def, &err) < 0) {
                bv_warn("ignoring '%s': %s", path, err.msg);
                return;
        }
        const struct net_link *l = networks_live_find(lv, def.name);
        if (!d->net)
                bv_warn("network '%s': networking unavailable, bridge not checked", def.name);
        else if (!l) {
                if (net_network_create(d->net, &def, &err) < 0)
                        bv_warn("network '%s': cannot re-create its bridge: %s", def.name, err.msg);
                else
                        bv_info("network '%s': bridge was missing, re-created it", def.name);
        } else if (!net_link_is_network(l))
                bv_warn("network '%s': link '%s' exists but is not a barevirt bridge; leaving it alone", def.name,
                        def.name);
        else
                bv_debug("network '%s': bridge present (%s)", def.name, l->up ? "up" : "down");
        if (netsvc_network_up(d, &def, &err) < 0)
                bv_warn("network '%s': %s", def.name, err.msg);
        net_def_clear(&def);
}

int networks_def_from_file(const char *path, const json_t *o, struct net_def *def, struct bv_error *err)
{
        const char *base = strrchr(path, '/') + 1;
        int r = net_def_from_json(o, def, err);

        if (r < 0)
                return r;
        if (strncmp(base, def->name, strlen(base) - 5) != 0 || strlen(def->name) != strlen(base) - 5) {
                r = bv_error_set(err, EINVAL, "it names network '%s'", def->name);
                net_def_clear(def);
        }
        return r;
}

int networks_load(struct barevirtd *d)
{
        struct bv_error err = {};
        struct networks_live lv = {};

        if (d->net && networks_live_get(d, &lv, &err) < 0)
                bv_warn("networks: cannot list links: %s", err.msg);
        int r = registry_defs_foreach(d, "networks", load_one, &lv);
        networks_live_clear(&lv);
        if (r < 0)
                bv_warn("networks: %s", strerror(-r));
        else if (r > 0)
                bv_info("%d network(s) loaded", r);
        return r;
}

/* ---- IP forwarding ---------------------------------------------------------------------------- */

/* /proc/sys/net/ipv4/ip_forward of barevirtd's namespace (the thread's: it entered --netns at start). */
static bool forwarding_on(void)
{
        _cleanup_free_ char *v = NULL;

        return bv_file_read_line("/proc/sys/net/ipv4/ip_forward", &v, NULL) == 0 && strcmp(v, "1") == 0;
}

bool networks_forwarding(struct barevirtd *d)
{
        return forwarding_on();
}

bool networks_nat_possible(struct barevirtd *d)
{
        return forwarding_on() || d->netns_path || d->allow_forwarding;
}

int networks_forwarding_enable(struct barevirtd *d, struct bv_error *err)
{
        if (forwarding_on())
                return 0;
        if (!d->netns_path && !d->allow_forwarding)
                return bv_error_set(err, EPERM, "IP forwarding is off and barevirtd may not turn it on "
                                    "(start it with --allow-forwarding)");
        _cleanup_close_ int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || bv_fd_write_all(fd, "1\n", 2) < 0)
                return bv_error_set_errno(err, errno, "Failed to turn on IP forwarding");
        bv_info("IP forwarding turned on%s", d->netns_path ? " in barevirtd's network namespace" : "");
        return 0;
}
