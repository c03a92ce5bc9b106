/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirtd's nftables tables (net/nft*.c) from its networks: NAT of each
 * network's subnet, and the port forwards of STATE/forwards/NAME.json, each
 * DNAT pointed at its target instance's current address (pool or fixed),
 * waiting while it has none; the firewall groups (firewall.c) and one port
 * per running VM tap and container veth on a network, with its MAC, its
 * address (anti-spoofed when it has one) and its NIC's group. Rebuilt
 * whole and applied in one batch whenever networks, forwards, groups,
 * addresses or ports change (net_nft_apply() keeps an append fast path for
 * added forwards).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "net/net.h"
#include "tools/daemon/daemon.h"
#include "tools/daemon/netsvc.h"
#include "vmm/vmm.h"

/* ---- nftables: barevirtd's own tables ---------------------------------------------------------- */

/*
 * The index of instance's first NIC on network n (by its definition, running
 * or not), or -1; *buf gets that NIC's current IPv4 address (pool or fixed),
 * "" when it has none yet.
 */
static int target_nic(struct barevirtd *d, struct netsvc_net *n, const char *instance, char *buf, size_t len)
{
        const struct ctr_ct *ct = registry_ct(d, instance);
        const struct vmm_vm *vm = registry_vm(d, instance);
        const struct ctr_ct_def *cd = ct ? ctr_ct_get_def(ct) : NULL;
        const struct vmm_def *vd = vm ? vmm_vm_def(vm) : NULL;
        size_t nics = cd ? cd->n_nics : vd ? vd->n_nics : 0;

        *buf = '\0';
        for (size_t k = 0; k < nics; k++) {
                if (strcmp(cd ? cd->nics[k].network : vd->nics[k].network, n->def.name) != 0)
                        continue;
                if (cd && cd->nics[k].ip)
                        snprintf(buf, len, "%.*s", (int)strcspn(cd->nics[k].ip, "/"), cd->nics[k].ip);
                else
                        snprintf(buf, len, "%s", netsvc_instance_address(d, n->def.name, instance, (unsigned)k));
                return (int)k;
        }
        return -1;
}

/* Forward f of network n for nftables; false when its target has no address yet (the DNAT waits for one). */
static bool nft_forward(struct barevirtd *d, struct netsvc_net *n, const json_t *f, struct net_nft_forward *ret)
{
        const char *to = json_string_value(json_object_get(f, "to")), *listen;
        const char *colon = to ? strrchr(to, ':') : NULL;
        char inst[96], ip[64];
        unsigned port;

        if (!colon || (size_t)(colon - to) >= sizeof(inst) || bv_parse_uint(colon + 1, 1, 65535, &port) < 0)
                return false;
        snprintf(inst, sizeof(inst), "%.*s", (int)(colon - to), to);
        *ret = (struct net_nft_forward){
                .proto = strcmp(json_string_value(json_object_get(f, "proto")) ?: "", "udp") == 0 ? IPPROTO_UDP
                                                                                                   : IPPROTO_TCP,
                .port = (uint16_t)json_integer_value(json_object_get(f, "port")), .to_port = (uint16_t)port,
                .bridge = n->def.name,
        };
        if ((listen = json_string_value(json_object_get(f, "listen"))))
                ret->has_listen = inet_pton(AF_INET, listen, &ret->listen) == 1;
        target_nic(d, n, inst, ip, sizeof(ip));
        return inet_pton(AF_INET, ip, &ret->to) == 1;
}

/* ---- ports: the running instances' taps and veths ---- */

struct ports {
        struct net_nft_port *p;
        struct in_addr *ip4;          /* one per port (n_ip4 0 or 1) */
        char (*ifname)[IFNAMSIZ];
        size_t n, cap;
        char *text;                   /* what they are, to tell whether they changed */
        size_t text_len;
        bool waiting;                 /* a running VM has no lease yet */
        struct {                      /* each network's lease file, read once per apply */
                const struct netsvc_net *n;
                struct net_lease *l;
                size_t nl;
        } leases[MAX_NETWORKS];
        size_t n_leases;
};

static void ports_clear(struct ports *ps)
{
        free(ps->p);
        free(ps->ip4);
        free(ps->ifname);
        free(ps->text);
        for (size_t i = 0; i < ps->n_leases; i++)
                free(ps->leases[i].l);
        *ps = (struct ports){};
}

/*
 * One bridge port: ifname on network, the instance's MAC, its IPv4 address
 * (fixed, else the pool's; "" when none) and group. Anti-spoofed whenever
 * it has an address: frames must then carry its MAC, IPv4 packets and ARP
 * its address, so an instance cannot pass itself off as another.
 */
static int port_add(struct barevirtd *d, struct ports *ps, const char *ifname, const uint8_t mac[6],
                    const char *ip, const char *group)
{
        if (ps->n >= NET_NFT_MAX_PORTS)
                return 0;
        if (ps->n == ps->cap) {
                size_t cap = ps->cap ? ps->cap * 2 : 16;
                struct net_nft_port *p = realloc(ps->p, cap * sizeof(*p));
                if (p)
                        ps->p = p;
                struct in_addr *a = realloc(ps->ip4, cap * sizeof(*a));
                if (a)
                        ps->ip4 = a;
                char (*names)[IFNAMSIZ] = realloc(ps->ifname, cap * sizeof(*names));
                if (names)
                        ps->ifname = names;
                if (!p || !a || !names)
                        return -ENOMEM;
                ps->cap = cap;
        }
        size_t i = ps->n++;
        snprintf(ps->ifname[i], IFNAMSIZ, "%s", ifname);
        struct net_nft_port *p = &ps->p[i];
        *p = (struct net_nft_port){ .ifname = ps->ifname[i] };
        memcpy(p->mac, mac, 6);
        if (ip && inet_pton(AF_INET, ip, &ps->ip4[i]) == 1) {
                p->n_ip4 = 1;
                p->antispoof = true;
        }
        /* A group that is gone (refused at start, so only a hand-edited state) is left out. */
        p->group = group && firewall_exists(d, group) ? group : NULL;
        return 0;
}

/*
 * The address dnsmasq leased to mac on network n (into buf), or NULL: a VM
 * is anti-spoofed once its guest took its lease, not before, since a guest
 * may configure an address of its own (bv.ip=) and never ask. A running VM
 * without a lease yet sets ps->waiting, so that the lease file is read again.
 */
static const char *vm_lease(struct netsvc_net *n, const uint8_t mac[6], char *buf, size_t len, struct ports *ps)
{
        const char *ret = NULL;
        time_t now = time(NULL);
        size_t c = 0;

        if (n->def.dhcp <= 0)
                return NULL;
        while (c < ps->n_leases && ps->leases[c].n != n)
                c++;
        if (c == ps->n_leases) {
                if (c == MAX_NETWORKS)
                        return NULL;
                ps->leases[c].n = n;
                (void)net_dnsmasq_leases(n->lease_file, &ps->leases[c].l, &ps->leases[c].nl, NULL);
                ps->n_leases++;
        }
        const struct net_lease *l = ps->leases[c].l;
        for (size_t i = 0; i < ps->leases[c].nl && !ret; i++)
                if (memcmp(l[i].mac, mac, 6) == 0 && (l[i].expiry == 0 || l[i].expiry > now))
                        ret = inet_ntop(AF_INET, &l[i].ip, buf, (socklen_t)len);
        ps->waiting |= !ret;
        return ret;
}

static int by_ifname(const void *a, const void *b)
{
        return strcmp(((const struct net_nft_port *)a)->ifname, ((const struct net_nft_port *)b)->ifname);
}

static int ports_get(struct barevirtd *d, struct ports *ps)
{
        char ip[64], tap[IFNAMSIZ];
        int r = 0;

        for (size_t i = 0; r >= 0 && i < d->reg.n_vms; i++) {
                const struct vmm_vm *vm = d->reg.vms[i];
                const struct vmm_def *def = vmm_vm_def(vm);
                if (vmm_vm_state(vm) == VMM_STOPPED || vmm_vm_state(vm) == VMM_CRASHED)
                        continue;
                for (size_t k = 0; r >= 0 && k < def->n_nics; k++) {
                        struct netsvc_net *n = netsvc_find(d, def->nics[k].network);
                        if (!n)
                                continue;
                        vmm_vm_tap_name(vm, (unsigned)k, tap, sizeof(tap));
                        r = port_add(d, ps, tap, def->nics[k].mac, vm_lease(n, def->nics[k].mac, ip, sizeof(ip), ps),
                                     def->nics[k].firewall);
                }
        }
        for (size_t i = 0; r >= 0 && i < d->reg.n_cts; i++) {
                const struct ctr_ct *ct = d->reg.cts[i];
                const struct ctr_ct_def *def = ctr_ct_get_def(ct);
                for (size_t k = 0; r >= 0 && k < def->n_nics; k++) {
                        const char *veth = ctr_ct_host_ifname(ct, (unsigned)k);
                        if (!veth || !netsvc_find(d, def->nics[k].network))
                                continue;
                        if (def->nics[k].ip)
                                snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(def->nics[k].ip, "/"), def->nics[k].ip);
                        else
                                snprintf(ip, sizeof(ip), "%s",
                                         netsvc_instance_address(d, def->nics[k].network, def->name, (unsigned)k));
                        r = port_add(d, ps, veth, def->nics[k].mac, ip, def->nics[k].firewall);
                }
        }
        if (r < 0)
                return r;
        /* In one order, whatever the registry's, so that a restart applies the same table. */
        if (ps->n) {
                /* Sorting moves the ports away from their ifname and ip4 slots: point them again after. */
                for (size_t i = 0; i < ps->n; i++) {
                        ps->p[i].ifname = ps->ifname[i];
                        ps->p[i].ip4 = ps->p[i].n_ip4 ? &ps->ip4[i] : NULL;
                }
                qsort(ps->p, ps->n, sizeof(*ps->p), by_ifname);
        }
        FILE *f = open_memstream(&ps->text, &ps->text_len);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < ps->n; i++) {
                const struct net_nft_port *p = &ps->p[i];
                fprintf(f, "%s %02x%02x%02x%02x%02x%02x %u %s %s\n", p->ifname, p->mac[0], p->mac[1], p->mac[2],
                        p->mac[3], p->mac[4], p->mac[5], p->n_ip4 ? (unsigned)p->ip4[0].s_addr : 0u,
                        p->antispoof ? "spoof" : "-", p->group ? p->group : "-");
        }
        return fclose(f) == 0 ? 0 : -ENOMEM;
}

bool netsvc_nft_stateful(struct barevirtd *d)
{
        return !d->svc || !d->svc->nft || net_nft_stateful(d->svc->nft);
}

/* The whole ruleset with ports ps, applied (or both tables removed without networks). */
static int apply_ports(struct barevirtd *d, const struct ports *ps, struct bv_error *err)
{
        struct net_nft_network nets[MAX_NETWORKS];
        _cleanup_free_ struct net_nft_forward *fwds = NULL;
        _cleanup_free_ struct net_nft_group *groups = NULL;
        _cleanup_free_ struct net_nft_rule *rules = NULL;
        size_t n = 0, n_fwds = 0, max_fwds = 0, n_groups = 0;
        int r;

        if (!d->svc->nft && (r = net_nft_new(-1, d->nft_table, &d->svc->nft, err)) < 0)
                return r;
        for (size_t i = 0; i < d->svc->n; i++) {
                const struct net_def *def = &d->svc->nets[i]->def;
                struct net_nft_network *nn = &nets[n++];
                *nn = (struct net_nft_network){ .bridge = def->name, .nat = def->nat > 0 };
                nn->has_subnet4 = net_def_ipv4(def, &nn->subnet4);
                nn->nat &= nn->has_subnet4;
        }
        if (n == 0)
                return net_nft_remove(d->svc->nft, err);
        for (size_t i = 0; i < d->svc->n; i++)
                max_fwds += json_array_size(d->svc->nets[i]->forwards);
        if ((max_fwds && !(fwds = calloc(max_fwds, sizeof(*fwds)))) ||
            firewall_nft_groups(d, &groups, &n_groups, &rules) < 0)
                return bv_error_set(err, ENOMEM, "Out of memory");
        for (size_t i = 0; i < d->svc->n; i++) {
                size_t k;
                json_t *f;
                json_array_foreach(d->svc->nets[i]->forwards, k, f)
                        n_fwds += nft_forward(d, d->svc->nets[i], f, &fwds[n_fwds]);
        }
        struct net_nft_ruleset rs = {
                .networks = nets, .n_networks = n, .forwards = fwds, .n_forwards = n_fwds,
                .groups = groups, .n_groups = n_groups, .ports = ps->p, .n_ports = ps->n,
        };
        return net_nft_apply(d->svc->nft, &rs, err);
}

static void on_lease_poll(struct bv_loop *loop, void *userdata)
{
        struct barevirtd *d = userdata;

        d->svc->lease_poll = NULL;
        netsvc_changed(d);
}

#define LEASE_POLL_USEC (1000 * 1000)

static int apply(struct barevirtd *d, bool only_if_changed, struct bv_error *err)
{
        struct ports ps = {};
        int r;

        if (!d->svc)
                return 0;
        r = ports_get(d, &ps);
        if (ps.waiting && !d->svc->lease_poll)
                bv_loop_add_timer(d->loop, LEASE_POLL_USEC, on_lease_poll, d, &d->svc->lease_poll);
        if (r < 0)
                r = bv_error_set(err, -r, "Out of memory");
        else if (only_if_changed && !d->svc->nft_dirty && d->svc->nft_ports && strcmp(d->svc->nft_ports, ps.text) == 0)
                r = 0;
        else if ((r = apply_ports(d, &ps, err)) >= 0) {
                free(d->svc->nft_ports);
                d->svc->nft_ports = TAKE_PTR(ps.text);
                d->svc->nft_dirty = false;
        }
        ports_clear(&ps);
        return r;
}

int netsvc_nft_apply(struct barevirtd *d, struct bv_error *err)
{
        return apply(d, false, err);
}

int netsvc_nft_sync(struct barevirtd *d, struct bv_error *err)
{
        return apply(d, true, err);
}

/* ---- port forwards ---------------------------------------------------------------------------- */

void netsvc_forward_key(const json_t *f, char *buf, size_t len)
{
        const char *listen = json_string_value(json_object_get(f, "listen"));

        snprintf(buf, len, "%s:%s%s%lld", json_string_value(json_object_get(f, "proto")) ?: "", listen ? listen : "",
                 listen ? ":" : "", (long long)json_integer_value(json_object_get(f, "port")));
}

json_t *netsvc_forwards_json(struct barevirtd *d, const char *network)
{
        struct netsvc_net *n = netsvc_find(d, network);
        json_t *a = json_array(), *f;
        size_t i;

        if (!n)
                return a;
        json_array_foreach(n->forwards, i, f) {
                json_t *o = json_deep_copy(f);
                struct net_nft_forward nf;
                char ip[INET_ADDRSTRLEN], key[96];
                netsvc_forward_key(f, key, sizeof(key));
                json_object_set_new(o, "key", json_string(key));
                json_object_set_new(o, "address", nft_forward(d, n, f, &nf) && inet_ntop(AF_INET, &nf.to, ip, sizeof(ip))
                                                          ? json_string(ip) : json_null());
                json_array_append_new(a, o);
        }
        return a;
}

bool netsvc_instance_on(struct barevirtd *d, const char *network, const char *instance)
{
        struct netsvc_net *n = netsvc_find(d, network);
        char ip[64];

        return n && target_nic(d, n, instance, ip, sizeof(ip)) >= 0;
}

int netsvc_forward_clash(struct barevirtd *d, const char *proto, const char *listen, unsigned port,
                         struct bv_error *err)
{
        for (size_t i = 0; d->svc && i < d->svc->n; i++) {
                size_t k;
                json_t *f;
                json_array_foreach(d->svc->nets[i]->forwards, k, f) {
                        const char *l = json_string_value(json_object_get(f, "listen"));
                        if (strcmp(json_string_value(json_object_get(f, "proto")) ?: "", proto) != 0 ||
                            json_integer_value(json_object_get(f, "port")) != port ||
                            (l && listen && strcmp(l, listen) != 0))
                                continue;
                        return bv_error_set(err, EEXIST, "Port %s/%u%s%s is already forwarded to '%s' on network '%s'",
                                            proto, port, l ? " on " : "", l ? l : "",
                                            json_string_value(json_object_get(f, "to")), d->svc->nets[i]->def.name);
                }
        }
        return 0;
}

static int store_forwards(struct barevirtd *d, struct netsvc_net *n, struct bv_error *err)
{
        char dir[PATH_MAX];
        json_auto_t *o = json_pack("{s:O}", "forwards", n->forwards);
        int r;

        snprintf(dir, sizeof(dir), "%s/forwards", d->state_dir);
        if ((r = bv_mkdir_p(dir, 0755, err)) < 0)
                return r;
        return o ? bv_json_write_file(n->forwards_file, o, err) : bv_error_set(err, ENOMEM, "Out of memory");
}

int netsvc_forward_add(struct barevirtd *d, const char *network, const json_t *f, struct bv_error *err)
{
        struct netsvc_net *n = netsvc_find(d, network);
        int r;

        if (!n)
                return bv_error_set(err, ENOENT, "No network named '%.64s'", network);
        if (json_array_size(n->forwards) >= NET_NFT_MAX_FORWARDS)
                return bv_error_set(err, ENOSPC, "Network '%s' has too many forwards (at most %d)", network,
                                    NET_NFT_MAX_FORWARDS);
        json_array_append_new(n->forwards, json_deep_copy(f));
        /* Applied now (not on the next turn), so a refusal by the kernel is the request's answer. */
        if ((r = netsvc_nft_apply(d, err)) < 0 || (r = store_forwards(d, n, err)) < 0) {
                json_array_remove(n->forwards, json_array_size(n->forwards) - 1);
                struct bv_error ignored = {};
                (void)netsvc_nft_apply(d, &ignored);
                return r;
        }
        return 0;
}

int netsvc_forward_delete(struct barevirtd *d, const char *network, const char *key, struct bv_error *err)
{
        struct netsvc_net *n = netsvc_find(d, network);
        size_t i;
        json_t *f;

        if (!n)
                return bv_error_set(err, ENOENT, "No network named '%.64s'", network);
        json_array_foreach(n->forwards, i, f) {
                char k[96];
                netsvc_forward_key(f, k, sizeof(k));
                if (strcmp(k, key) != 0)
                        continue;
                json_t *keep = json_incref(f);
                json_array_remove(n->forwards, i);
                int r = store_forwards(d, n, err);
                if (r < 0) {
                        json_array_insert_new(n->forwards, i, keep);
                        return r;
                }
                json_decref(keep);
                d->svc->nft_dirty = true;
                netsvc_changed(d);
                return 0;
        }
        return bv_error_set(err, ENOENT, "Network '%s' has no forward '%.64s' (see 'barevirt net forward list %s')",
                            network, key, network);
}
