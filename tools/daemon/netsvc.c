/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The services of barevirt networks: one supervised dnsmasq per network with
 * DHCP (net/dnsmasq.c), and the addresses of the instances on it.
 *
 * Every NIC without a fixed ip on a DHCP network gets an address from the
 * network's pool, kept in STATE/leases/NAME.json ({"INSTANCE/NIC": {"ip",
 * "mac"}}) so that it stays the instance's across restarts of the
 * instance, of dnsmasq and of barevirtd. A VM's address is pinned to its
 * NIC's MAC (dnsmasq dhcp-host), and its guest's DHCP client gets it; a
 * container's is configured by barevirtd in its netns and registered with
 * dnsmasq the same way, so it resolves and is never leased to anyone else.
 * Fixed addresses (ip=) are registered too. An address goes back to the
 * pool when its instance is deleted.
 *
 * The host files follow the registry: any instance event schedules one
 * sync on the next loop turn, which rewrites what changed and SIGHUPs
 * dnsmasq (net_dnsmasq_set_hosts() skips unchanged files).
 *
 * Files: RUN/networks/NAME/ (dnsmasq's), STATE/leases/NAME.json (the
 * pool's), STATE/leases/NAME.leases (dnsmasq's lease file). `net delete`
 * removes all three (and the forwards, netsvc-nft.c). The state both
 * files share is in netsvc.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "net/net.h"
#include "tools/daemon/daemon.h"
#include "vmm/vmm.h"
#include "tools/daemon/netsvc.h"

struct netsvc_net *netsvc_find(struct barevirtd *d, const char *name)
{
        for (size_t i = 0; d->svc && i < d->svc->n; i++)
                if (strcmp(d->svc->nets[i]->def.name, name) == 0)
                        return d->svc->nets[i];
        return NULL;
}

static void net_free(struct netsvc_net *n)
{
        net_dnsmasq_free(n->dm);
        json_decref(n->alloc);
        json_decref(n->forwards);
        net_def_clear(&n->def);
        free(n);
}

void netsvc_free(struct barevirtd *d)
{
        if (!d->svc)
                return;
        bv_timer_cancel(d->svc->sync);
        bv_timer_cancel(d->svc->lease_poll);
        net_nft_free(d->svc->nft);
        free(d->svc->nft_ports);
        for (size_t i = 0; i < d->svc->n; i++)
                net_free(d->svc->nets[i]);
        free(d->svc);
        d->svc = NULL;
}

static void on_dnsmasq_event(struct net_dnsmasq *dm, const char *event, const json_t *data, void *userdata)
{
        struct barevirtd *d = userdata;

        if (strcmp(event, "network-dhcp-died") == 0)
                bv_warn("network '%s': dnsmasq %s; restarting it in %lld ms",
                        json_string_value(json_object_get(data, "name")),
                        json_string_value(json_object_get(data, "reason")),
                        (long long)json_integer_value(json_object_get(data, "restart_in_ms")));
        else
                bv_info("network '%s': dnsmasq started again (pid %d)", json_string_value(json_object_get(data, "name")),
                        (int)json_integer_value(json_object_get(data, "pid")));
        events_emit(d, event, json_deep_copy(data));
}

static int copy_def(struct net_def *dst, const struct net_def *src)
{
        *dst = *src;
        for (size_t i = 0; i < src->n_addresses; i++)
                if (!(dst->addresses[i] = strdup(src->addresses[i]))) {
                        dst->n_addresses = i;
                        net_def_clear(dst);
                        return -ENOMEM;
                }
        return 0;
}

int netsvc_network_up(struct barevirtd *d, const struct net_def *def, struct bv_error *err)
{
        struct netsvc_net *n;
        bool adopted = false;
        int r;

        if (!d->svc && !(d->svc = calloc(1, sizeof(*d->svc))))
                return bv_error_set(err, ENOMEM, "Out of memory");
        if (netsvc_find(d, def->name))
                return 0;
        if (d->svc->n >= MAX_NETWORKS)
                return bv_error_set(err, ENOSPC, "Too many networks with services (at most %d)", MAX_NETWORKS);
        if (!(n = calloc(1, sizeof(*n))) || copy_def(&n->def, def) < 0) {
                free(n);
                return bv_error_set(err, ENOMEM, "Out of memory");
        }
        n->d = d;
        snprintf(n->dir, sizeof(n->dir), "%s/networks/%s", d->run_dir, def->name);
        snprintf(n->lease_file, sizeof(n->lease_file), "%s/leases/%s.leases", d->state_dir, def->name);
        snprintf(n->alloc_file, sizeof(n->alloc_file), "%s/leases/%s.json", d->state_dir, def->name);
        char leases_dir[PATH_MAX];
        snprintf(leases_dir, sizeof(leases_dir), "%s/leases", d->state_dir);
        if (bv_json_load_file(n->alloc_file, ALLOC_MAX, &n->alloc, NULL) < 0)
                n->alloc = json_object();
        snprintf(n->forwards_file, sizeof(n->forwards_file), "%s/forwards/%s.json", d->state_dir, def->name);
        json_t *fw = NULL;
        if (bv_json_load_file(n->forwards_file, ALLOC_MAX, &fw, NULL) == 0)
                n->forwards = json_incref(json_object_get(fw, "forwards"));
        json_decref(fw);
        if (!json_is_array(n->forwards)) {
                json_decref(n->forwards);
                n->forwards = json_array();
        }
        /* IPv4 DHCP, or router advertisements (SLAAC) for an IPv6 /64, when dnsmasq is there for it. */
        char dnsmasq[PATH_MAX];
        bool ra = net_def_has_ipv6_64(def);
        if (def->dhcp <= 0 && ra && net_dnsmasq_find(dnsmasq, sizeof(dnsmasq)) < 0) {
                bv_warn("network '%s': no router advertisements for its IPv6 /64: dnsmasq is not installed "
                        "(Debian package 'dnsmasq-base')", def->name);
                ra = false;
        }
        if (def->dhcp > 0 || ra) {
                struct net_dnsmasq_opts o = {
                        .loop = d->loop, .def = &n->def, .dir = n->dir, .lease_file = n->lease_file,
                        .on_event = on_dnsmasq_event, .userdata = d,
                };
                if ((r = bv_mkdir_p(leases_dir, 0755, err)) < 0 ||
                    (r = net_dnsmasq_start(&o, &n->dm, &adopted, err)) < 0) {
                        net_free(n);
                        return r;
                }
                bv_info("network '%s': dnsmasq %s (pid %d)", def->name, adopted ? "adopted" : "started",
                        (int)net_dnsmasq_pid(n->dm));
        }
        d->svc->nets[d->svc->n++] = n;
        d->svc->nft_dirty = true;
        netsvc_changed(d);
        return 0;
}

void netsvc_network_down(struct barevirtd *d, const char *name)
{
        struct netsvc_net *n = netsvc_find(d, name);
        char path[PATH_MAX];

        if (!n) {
                /* Nothing started (say dnsmasq was missing): still remove what an earlier run left. */
                snprintf(path, sizeof(path), "%s/leases/%s.json", d->state_dir, name);
                unlink(path);
                snprintf(path, sizeof(path), "%s/leases/%s.leases", d->state_dir, name);
                unlink(path);
                snprintf(path, sizeof(path), "%s/forwards/%s.json", d->state_dir, name);
                unlink(path);
                return;
        }
        for (size_t i = 0; i < d->svc->n; i++)
                if (d->svc->nets[i] == n)
                        d->svc->nets[i] = d->svc->nets[--d->svc->n];
        net_dnsmasq_stop(n->dm, true);
        n->dm = NULL;
        d->svc->nft_dirty = true;
        netsvc_changed(d);
        unlink(n->alloc_file);
        unlink(n->lease_file);
        unlink(n->forwards_file);
        net_free(n);
}

pid_t netsvc_dnsmasq_pid(struct barevirtd *d, const char *name)
{
        struct netsvc_net *n = netsvc_find(d, name);

        return n ? net_dnsmasq_pid(n->dm) : 0;
}

/* ---- the pool --------------------------------------------------------------------------------- */

static const char *holder(struct barevirtd *d, struct netsvc_net *n, uint32_t ip, const char *self);

/* Whether a live dnsmasq lease holds ip for a MAC that is not mac. */
static bool leased_to_other(const struct net_lease *l, size_t n, uint32_t ip, const uint8_t mac[6])
{
        for (size_t i = 0; i < n; i++)
                if (ntohl(l[i].ip.s_addr) == ip && memcmp(l[i].mac, mac, 6) != 0)
                        return true;
        return false;
}

static int store_alloc(struct netsvc_net *n, struct bv_error *err)
{
        return bv_json_write_file(n->alloc_file, n->alloc, err);
}

/* The pool address of NIC nic of instance (allocated now when it has none). */
static int address(struct netsvc_net *n, const char *instance, unsigned nic, const uint8_t mac[6],
                   struct in_addr *ret, struct bv_error *err)
{
        char key[96], macs[18], ip[INET_ADDRSTRLEN];
        json_t *v;

        snprintf(key, sizeof(key), "%s/%u", instance, nic);
        snprintf(macs, sizeof(macs), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
        if ((v = json_object_get(n->alloc, key)) &&
            inet_pton(AF_INET, json_string_value(json_object_get(v, "ip")) ?: "", ret) == 1) {
                if (strcmp(json_string_value(json_object_get(v, "mac")) ?: "", macs) != 0) {
                        json_object_set_new(v, "mac", json_string(macs));
                        (void)store_alloc(n, NULL);
                }
                return 0;
        }
        struct net_lease *leases = NULL;
        size_t n_leases = 0;
        (void)net_dnsmasq_leases(n->lease_file, &leases, &n_leases, NULL);
        uint32_t first = ntohl(n->def.dhcp_first.s_addr), last = ntohl(n->def.dhcp_last.s_addr), a = first;
        for (; a <= last && a >= first; a++)
                if (!holder(n->d, n, a, "") && !leased_to_other(leases, n_leases, a, mac))
                        break;
        free(leases);
        if (a > last || a < first)
                return bv_error_set(err, ENOSPC, "Network '%s' has no free address left in its pool", n->def.name);
        ret->s_addr = htonl(a);
        inet_ntop(AF_INET, ret, ip, sizeof(ip));
        json_object_set_new(n->alloc, key, json_pack("{s:s,s:s}", "ip", ip, "mac", macs));
        if (n->d->svc)
                n->d->svc->nft_dirty = true;  /* a forward may point at it */
        int r = store_alloc(n, err);
        if (r < 0)
                json_object_del(n->alloc, key);
        return r;
}

int netsvc_ct_address(struct barevirtd *d, const char *ct, unsigned index, const char *network,
                      const uint8_t mac[6], struct ctr_ct_nic_addr *ret, struct bv_error *err)
{
        struct netsvc_net *n = netsvc_find(d, network);
        struct net_cidr gw;
        struct in_addr a;
        char ip[INET_ADDRSTRLEN], gws[INET_ADDRSTRLEN];
        int r;

        if (!n || n->def.dhcp <= 0 || !net_def_ipv4(&n->def, &gw))
                return 0;
        if ((r = address(n, ct, index, mac, &a, err)) < 0)
                return r;
        inet_ntop(AF_INET, &a, ip, sizeof(ip));
        inet_ntop(AF_INET, &gw.addr.v4, gws, sizeof(gws));
        snprintf(ret->ip, sizeof(ret->ip), "%s/%u", ip, gw.prefixlen);
        snprintf(ret->gw, sizeof(ret->gw), "%s", gws);
        if (n->dm) {
                snprintf(ret->dns, sizeof(ret->dns), "%s", gws);
                snprintf(ret->search, sizeof(ret->search), "%s", n->def.dns_domain);
        }
        netsvc_changed(d);
        return 0;
}

/* ---- the host files --------------------------------------------------------------------------- */

struct hosts {
        struct net_dnsmasq_host h[512];
        size_t n;
        json_t *keep;                 /* the pool keys of live instances */
};

static void add_host(struct hosts *hs, const uint8_t mac[6], struct in_addr ip, const char *name)
{
        if (hs->n >= BV_ELEMENTSOF(hs->h))
                return;
        struct net_dnsmasq_host *h = &hs->h[hs->n++];
        memcpy(h->mac, mac, 6);
        h->has_mac = true;
        h->ip = ip;
        h->name = name;
}

static void add_pool_host(struct netsvc_net *n, struct hosts *hs, const char *name, unsigned nic, const uint8_t mac[6])
{
        struct bv_error err = {};
        struct in_addr a;
        char key[96];

        snprintf(key, sizeof(key), "%s/%u", name, nic);
        json_object_set_new(hs->keep, key, json_true());
        if (address(n, name, nic, mac, &a, &err) < 0)
                bv_warn("network '%s': %s ('%s' NIC %u gets no address)", n->def.name, err.msg, name, nic);
        else
                add_host(hs, mac, a, name);
}

static void sync_net(struct barevirtd *d, struct netsvc_net *n)
{
        struct hosts *hs = calloc(1, sizeof(*hs));
        struct bv_error err = {};
        const char *key;
        json_t *v, *tmp;
        bool pruned = false;

        if (n->def.dhcp <= 0) {
                free(hs);
                return;
        }
        if (!hs || !(hs->keep = json_object())) {
                free(hs);
                return;
        }
        for (size_t i = 0; i < d->reg.n_vms; i++) {
                const struct vmm_def *def = vmm_vm_def(d->reg.vms[i]);
                for (size_t k = 0; k < def->n_nics; k++)
                        if (strcmp(def->nics[k].network, n->def.name) == 0)
                                add_pool_host(n, hs, def->name, (unsigned)k, def->nics[k].mac);
        }
        for (size_t i = 0; i < d->reg.n_cts; i++) {
                const struct ctr_ct_def *def = ctr_ct_get_def(d->reg.cts[i]);
                for (size_t k = 0; k < def->n_nics; k++) {
                        const struct ctr_ct_nic *nic = &def->nics[k];
                        struct net_cidr c;
                        if (strcmp(nic->network, n->def.name) != 0)
                                continue;
                        if (!nic->ip)
                                add_pool_host(n, hs, def->name, (unsigned)k, nic->mac);
                        else if (net_cidr_parse(nic->ip, false, &c, NULL) == 0 && c.family == AF_INET)
                                add_host(hs, nic->mac, c.addr.v4, def->name);
                }
        }
        /* Addresses of instances that are gone go back to the pool. */
        json_object_foreach_safe(n->alloc, tmp, key, v)
                if (!json_object_get(hs->keep, key)) {
                        json_object_del(n->alloc, key);
                        pruned = true;
                }
        if (pruned)
                d->svc->nft_dirty = true;
        if (pruned && store_alloc(n, &err) < 0)
                bv_warn("network '%s': %s", n->def.name, err.msg);
        if (n->dm && net_dnsmasq_set_hosts(n->dm, hs->h, hs->n, &err) < 0)
                bv_warn("network '%s': %s", n->def.name, err.msg);
        json_decref(hs->keep);
        free(hs);
}

static void on_sync(struct bv_loop *loop, void *userdata)
{
        struct barevirtd *d = userdata;
        struct bv_error err = {};

        d->svc->sync = NULL;
        for (size_t i = 0; i < d->svc->n; i++)
                sync_net(d, d->svc->nets[i]);
        if (netsvc_nft_sync(d, &err) < 0)
                bv_warn("nftables table '%s': %s", d->nft_table, err.msg);
}

void netsvc_changed(struct barevirtd *d)
{
        if (d->svc && !d->svc->sync)
                bv_loop_add_timer(d->loop, 0, on_sync, d, &d->svc->sync);
}

/* ---- what `net show` and `net leases` report -------------------------------------------------- */

/* The instance whose NIC has mac on network n ("" when none). */
static const char *mac_owner(struct barevirtd *d, const char *network, const uint8_t mac[6])
{
        for (size_t i = 0; i < d->reg.n_vms; i++) {
                const struct vmm_def *def = vmm_vm_def(d->reg.vms[i]);
                for (size_t k = 0; k < def->n_nics; k++)
                        if (strcmp(def->nics[k].network, network) == 0 && memcmp(def->nics[k].mac, mac, 6) == 0)
                                return def->name;
        }
        for (size_t i = 0; i < d->reg.n_cts; i++) {
                const struct ctr_ct_def *def = ctr_ct_get_def(d->reg.cts[i]);
                for (size_t k = 0; k < def->n_nics; k++)
                        if (strcmp(def->nics[k].network, network) == 0 && memcmp(def->nics[k].mac, mac, 6) == 0)
                                return def->name;
        }
        return "";
}

int netsvc_leases_json(struct barevirtd *d, const char *name, json_t **ret, struct bv_error *err)
{
        struct netsvc_net *n = netsvc_find(d, name);
        struct net_lease *l = NULL;
        size_t nl = 0;
        const char *key;
        json_t *v;
        int r;

        *ret = json_array();
        if (!n)
                return 0;
        if ((r = net_dnsmasq_leases(n->lease_file, &l, &nl, err)) < 0)
                return r;
        for (size_t i = 0; i < nl; i++) {
                char ip[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &l[i].ip, ip, sizeof(ip));
                const char *owner = mac_owner(d, name, l[i].mac);
                json_array_append_new(*ret, json_pack("{s:o,s:s,s:s,s:o,s:I,s:s}", "mac", bv_json_mac(l[i].mac),
                                                      "ip", ip, "hostname", l[i].hostname, "instance",
                                                      *owner ? json_string(owner) : json_null(), "expiry",
                                                      (json_int_t)l[i].expiry, "kind", "dhcp"));
        }
        free(l);
        /* Containers hold pool addresses without DHCP: listed as static, without expiry. */
        json_object_foreach(n->alloc, key, v) {
                char inst[96];
                snprintf(inst, sizeof(inst), "%.*s", (int)strcspn(key, "/"), key);
                if (!registry_ct(d, inst))
                        continue;
                json_array_append_new(*ret, json_pack("{s:O,s:O,s:s,s:s,s:n,s:s}", "mac", json_object_get(v, "mac"),
                                                      "ip", json_object_get(v, "ip"), "hostname", inst, "instance",
                                                      inst, "expiry", "kind", "static"));
        }
        return 0;
}

/* The pool address of NIC nic of instance, as a string ("" when it has none). */
const char *netsvc_instance_address(struct barevirtd *d, const char *network, const char *instance, unsigned nic)
{
        struct netsvc_net *n = netsvc_find(d, network);
        char key[96];

        snprintf(key, sizeof(key), "%s/%u", instance, nic);
        const char *ip = n ? json_string_value(json_object_get(json_object_get(n->alloc, key), "ip")) : NULL;
        return ip ? ip : "";
}

/* ---- fixed addresses -------------------------------------------------------------------------- */

/* Who holds ip on network n, other than instance self: a pool address or another container's fixed ip. */
static const char *holder(struct barevirtd *d, struct netsvc_net *n, uint32_t ip, const char *self)
{
        static char who[96];
        const char *key;
        json_t *v;

        json_object_foreach(n->alloc, key, v) {
                struct in_addr a;
                snprintf(who, sizeof(who), "%.*s", (int)strcspn(key, "/"), key);
                if (strcmp(who, self) != 0 && inet_pton(AF_INET, json_string_value(json_object_get(v, "ip")) ?: "", &a) == 1 &&
                    ntohl(a.s_addr) == ip)
                        return who;
        }
        for (size_t i = 0; i < d->reg.n_cts; i++) {
                const struct ctr_ct_def *def = ctr_ct_get_def(d->reg.cts[i]);
                for (size_t k = 0; strcmp(def->name, self) != 0 && k < def->n_nics; k++) {
                        struct net_cidr c;
                        if (def->nics[k].ip && strcmp(def->nics[k].network, n->def.name) == 0 &&
                            net_cidr_parse(def->nics[k].ip, false, &c, NULL) == 0 && c.family == AF_INET &&
                            ntohl(c.addr.v4.s_addr) == ip) {
                                snprintf(who, sizeof(who), "%s", def->name);
                                return who;
                        }
                }
        }
        return NULL;
}

int netsvc_check_fixed(struct barevirtd *d, const char *instance, const char *network, unsigned nic, const char *ip,
                       struct bv_error *err)
{
        struct netsvc_net *n = netsvc_find(d, network);
        struct net_cidr c, br;

        if (!n || !net_def_ipv4(&n->def, &br) || net_cidr_parse(ip, false, &c, NULL) < 0 || c.family != AF_INET)
                return 0;
        struct net_cidr subnet = br;
        uint32_t a = ntohl(c.addr.v4.s_addr);
        if (!net_cidr_contains(&subnet, &(struct net_cidr){ .family = AF_INET, .prefixlen = 32, .addr.v4 = c.addr.v4 }))
                return bv_error_set(err, EINVAL, "nics[%u].ip: '%s' is outside network '%s' (%s)", nic, ip, network,
                                    n->def.addresses[0]);
        if (a == ntohl(br.addr.v4.s_addr))
                return bv_error_set(err, EEXIST, "nics[%u].ip: '%s' is the bridge's own address on network '%s'", nic,
                                    ip, network);
        const char *who = holder(d, n, a, instance);
        if (who)
                return bv_error_set(err, EEXIST, "nics[%u].ip: '%s' is taken on network '%s' by '%s'", nic, ip,
                                    network, who);
        return 0;
}
