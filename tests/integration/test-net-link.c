/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net/ against the real kernel, inside throwaway network namespaces: make
 * bridges, veths (peer born in another namespace), taps, addresses, routes
 * and VLANs with the library, then ask iproute2 (`ip -j`, `bridge -j`)
 * whether that is what happened (tc(8) for rate limits). Link events for
 * add/up/down/remove. Every error path must leave `ip -j link` exactly as
 * it was, and carry the kernel's extended-ack text where the kernel gives
 * one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "net/net.h"
#include "tests/integration/test-net-lib.h"

static struct net_ctx *ctx;
static int ns_b;
static bool have_vlan_filtering;

/* Kernels without CONFIG_BRIDGE_VLAN_FILTERING refuse vlan_filtering (and bridge VLANs). */
static bool probe_vlan_filtering(void)
{
        struct net_bridge_opts o = { .vlan_filtering = true };
        struct bv_error err = { 0 };

        if (net_link_add_bridge(ctx, "vfprobe", &o, &err) < 0) {
                tap_diag("no bridge VLAN filtering: %s", err.msg);
                return false;
        }
        net_link_delete(ctx, "vfprobe", NULL);
        return true;
}

static void test_bridge(void)
{
        static const char *const addrs[] = { "10.0.0.1/24", "fd00::1/64", NULL };
        uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
        struct net_bridge_opts o = { .mtu = 1400, .mac = mac, .vlan_filtering = have_vlan_filtering, .up = true,
                                     .addresses = addrs };
        struct bv_error err = { 0 };
        json_t *l, *data;

        if (!tap_is_int(net_link_add_bridge(ctx, "br0", &o, &err), 0, "bridge br0 created"))
                tap_diag("%s", err.msg);
        l = tn_ip_link(-1, "br0");
        tap_ok(l != NULL, "ip sees br0");
        data = json_object_get(json_object_get(l, "linkinfo"), "info_data");
        tap_is_str(tn_str(json_object_get(l, "linkinfo"), "info_kind"), "bridge", "ip: kind bridge");
        tap_is_int(json_integer_value(json_object_get(data, "stp_state")), 0, "ip: STP off");
        if (have_vlan_filtering)
                tap_is_int(json_integer_value(json_object_get(data, "vlan_filtering")), 1, "ip: vlan_filtering on");
        else
                tap_skip("kernel without CONFIG_BRIDGE_VLAN_FILTERING");
        tap_is_int(json_integer_value(json_object_get(l, "mtu")), 1400, "ip: mtu 1400");
        tap_is_str(tn_str(l, "address"), "02:00:00:00:00:01", "ip: mac");
        tap_ok(tn_has_str(json_object_get(l, "flags"), "UP"), "ip: br0 is UP");
        json_decref(l);
        tap_ok(tn_has_addr(-1, "br0", "10.0.0.1", 24), "ip: 10.0.0.1/24 on br0");
        tap_ok(tn_has_addr(-1, "br0", "fd00::1", 64), "ip: fd00::1/64 on br0");
}

static void test_veth_tap(void)
{
        struct net_veth_opts vo = { .peer = "v0p", .peer_netns_fd = ns_b, .master = "br0", .up = true,
                                    .mtu = 1400 };
        struct net_tap_opts to = { .vnet_hdr = true, .queues = 2, .master = "br0", .up = true };
        struct bv_error err = { 0 };
        char name[IFNAMSIZ];
        int fds[2] = { -1, -1 };
        json_t *l, *data;

        tap_is_int(net_link_add_veth(ctx, "v0", &vo, &err), 0, "veth v0 created, peer in netns B");
        l = tn_ip_link(-1, "v0");
        tap_is_str(tn_str(l, "master"), "br0", "ip: v0 master br0");
        tap_ok(tn_has_str(json_object_get(l, "flags"), "UP"), "ip: v0 UP");
        json_decref(l);
        l = tn_ip_link(-1, "v0p");
        tap_ok(l == NULL, "ip: peer v0p not in our namespace");
        json_decref(l);
        l = tn_ip_link(ns_b, "v0p");
        tap_ok(l != NULL, "ip: peer v0p inside netns B");
        tap_is_int(json_integer_value(json_object_get(l, "mtu")), 1400, "ip: peer mtu 1400");
        json_decref(l);

        tap_is_int(net_tap_open(ctx, "tap0", &to, fds, name, &err), 0, "tap0 opened with 2 queues");
        tap_is_str(name, "tap0", "tap name returned");
        tap_ok(fds[0] >= 0 && fds[1] >= 0 && (fcntl(fds[0], F_GETFD) & FD_CLOEXEC), "tap fds, close-on-exec");
        l = tn_ip_link(-1, "tap0");
        data = json_object_get(json_object_get(l, "linkinfo"), "info_data");
        tap_is_str(tn_str(json_object_get(l, "linkinfo"), "info_kind"), "tun", "ip: tap0 kind tun");
        tap_is_str(tn_str(data, "type"), "tap", "ip: type tap");
        tap_ok(json_is_true(json_object_get(data, "vnet_hdr")), "ip: vnet_hdr on");
        tap_ok(json_is_true(json_object_get(data, "multi_queue")), "ip: multi_queue on");
        tap_ok(json_is_false(json_object_get(data, "pi")), "ip: pi off");
        tap_is_str(tn_str(l, "master"), "br0", "ip: tap0 master br0");
        tap_ok(tn_has_str(json_object_get(l, "flags"), "UP"), "ip: tap0 UP");
        json_decref(l);
        close(fds[0]);
        close(fds[1]);
        l = tn_ip_link(-1, "tap0");
        tap_ok(l == NULL, "closing the fds removed tap0");
        json_decref(l);

        tap_is_int(net_tap_open(ctx, "tq%d", NULL, fds, name, &err), 0, "tap from template");
        tap_is_str(name, "tq0", "kernel picked tq0");
        close(fds[0]);
}

static void test_link_ops(void)
{
        struct net_veth_opts vo = { .peer = "x1", .peer_netns_fd = -1 };
        uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
        struct bv_error err = { 0 };
        struct net_link *links = NULL, lk;
        size_t n = 0;
        bool found = false;
        json_t *l;

        tap_is_int(net_link_add_veth(ctx, "x0", &vo, &err), 0, "veth x0/x1");
        tap_is_int(net_link_set_mtu(ctx, "x0", 1300, &err), 0, "set mtu");
        tap_is_int(net_link_set_mac(ctx, "x0", mac, &err), 0, "set mac");
        tap_is_int(net_link_set_master(ctx, "x0", "br0", &err), 0, "set master");
        tap_is_int(net_link_set_group(ctx, "x0", 42, &err), 0, "set group");
        tap_is_int(net_link_set_up(ctx, "x0", true, &err), 0, "set up");
        tap_is_int(net_link_rename(ctx, "x0", "y0", &err), 0, "rename x0 -> y0");
        l = tn_ip_link(-1, "y0");
        tap_is_int(json_integer_value(json_object_get(l, "mtu")), 1300, "ip: y0 mtu 1300");
        tap_is_str(tn_str(l, "address"), "02:11:22:33:44:55", "ip: y0 mac");
        tap_is_str(tn_str(l, "master"), "br0", "ip: y0 master br0");
        tap_is_str(tn_str(l, "group"), "42", "ip: y0 group 42");
        json_decref(l);

        tap_is_int(net_link_list(ctx, &links, &n, &err), 0, "list links");
        for (size_t i = 0; i < n; i++)
                if (strcmp(links[i].name, "y0") == 0) {
                        found = true;
                        tap_is_str(links[i].kind, "veth", "list: y0 kind veth");
                        tap_is_int(links[i].mtu, 1300, "list: y0 mtu");
                        tap_ok(links[i].up && links[i].has_mac && links[i].mac[5] == 0x55, "list: y0 up, mac");
                        tap_is_int(links[i].master, net_link_index(ctx, "br0", NULL), "list: y0 master index");
                        tap_is_int(links[i].group, 42, "list: y0 group");
                }
        tap_ok(found, "list has y0");
        free(links);

        tap_is_int(net_link_set_master(ctx, "y0", NULL, &err), 0, "nomaster");
        tap_is_int(net_link_set_up(ctx, "y0", false, &err), 0, "set down");
        tap_is_int(net_link_get(ctx, "y0", &lk, &err), 0, "get y0");
        tap_ok(!lk.up && lk.master == 0, "y0 down, no master");
        tap_is_int(net_link_set_netns(ctx, "x1", ns_b, &err), 0, "move x1 to netns B");
        l = tn_ip_link(ns_b, "x1");
        tap_ok(l != NULL, "ip: x1 inside netns B");
        json_decref(l);
        tap_is_int(net_link_delete(ctx, "y0", &err), 0, "delete y0");
        l = tn_ip_link(ns_b, "x1");
        tap_ok(l == NULL, "ip: its peer x1 went with it");
        json_decref(l);
}

static void test_routes_vlans(void)
{
        struct bv_error err = { 0 };
        char out[8192];

        tap_is_int(net_route_add(ctx, "192.168.5.0/24", "10.0.0.254", NULL, &err), 0, "route via gateway");
        tap_is_int(net_route_add(ctx, "default", "10.0.0.254", "br0", &err), 0, "default route");
        tap_is_int(net_route_add(ctx, "default6", "fd00::fe", NULL, &err), 0, "IPv6 default route");
        tn_run(-1, out, sizeof(out), "ip -j route show 192.168.5.0/24");
        tap_ok(strstr(out, "\"gateway\":\"10.0.0.254\"") != NULL, "ip: 192.168.5.0/24 via 10.0.0.254");
        tn_run(-1, out, sizeof(out), "ip -j route show default");
        tap_ok(strstr(out, "\"dst\":\"default\"") && strstr(out, "\"dev\":\"br0\""), "ip: default via br0");
        tn_run(-1, out, sizeof(out), "ip -j -6 route show default");
        tap_ok(strstr(out, "fd00::fe") != NULL, "ip: IPv6 default via fd00::fe");
        tap_is_int(net_route_del(ctx, "default", "10.0.0.254", NULL, &err), 0, "delete default route");
        tn_run(-1, out, sizeof(out), "ip -j route show default");
        tap_is_str(out, "[]\n", "ip: no IPv4 default route");
        tap_is_int(net_route_add(ctx, "10.5.5.1/24", NULL, "br0", &err), -EINVAL, "host bits set: refused");
        tap_ok(strstr(err.msg, "Invalid prefix") != NULL, "kernel's text kept: %s", err.msg);
        tap_is_int(net_route_del(ctx, "172.16.0.0/16", NULL, "br0", &err), -ESRCH, "delete missing route");

        if (!have_vlan_filtering) {
                tap_skip("bridge VLANs: kernel without CONFIG_BRIDGE_VLAN_FILTERING");
                tap_is_int(net_vlan_add(ctx, "v0", 10, 0, &err), -EOPNOTSUPP, "VLAN add refused cleanly");
                tap_diag("  message: %s", err.msg);
                return;
        }
        tap_is_int(net_vlan_set_access(ctx, "v0", 10, &err), 0, "v0 access port of VLAN 10");
        tap_is_int(net_vlan_add(ctx, "v0", 20, 0, &err), 0, "v0 tagged VLAN 20");
        tn_run(-1, out, sizeof(out), "bridge -j vlan show dev v0");
        tap_ok(strstr(out, "{\"vlan\":10,\"flags\":[\"PVID\",\"Egress Untagged\"]}") != NULL,
               "bridge: VLAN 10 PVID untagged");
        tap_ok(strstr(out, "{\"vlan\":20}") != NULL, "bridge: VLAN 20 tagged");
        tap_ok(strstr(out, "{\"vlan\":1,") == NULL && strstr(out, "{\"vlan\":1}") == NULL, "bridge: VLAN 1 gone");
        if (tap_failed)
                tap_diag("bridge -j vlan: %s", out);
        tap_is_int(net_vlan_del(ctx, "v0", 20, &err), 0, "delete VLAN 20");
        tap_is_int(net_vlan_add(ctx, "v0", 4095, 0, &err), -EINVAL, "VLAN 4095 refused");
}

static void test_batch_delete(void)
{
        struct net_tap_opts to = { .persist = true, .group = 77, .master = "br0" };
        struct bv_error err = { 0 };
        char names[20][IFNAMSIZ];
        const char *ptrs[20];
        char before[65536], after[65536], out[4096];
        int fd;

        for (int i = 0; i < 20; i++) {
                struct net_veth_opts vo = { .peer = names[i], .peer_netns_fd = -1 };
                char a[IFNAMSIZ];
                snprintf(names[i], IFNAMSIZ, "dp%d", i);
                snprintf(a, sizeof(a), "da%d", i);
                if (net_link_add_veth(ctx, a, &vo, &err) < 0)
                        tap_diag("veth %s: %s", a, err.msg);
                ptrs[i] = names[i];
        }
        tap_is_int(net_link_delete_many(ctx, ptrs, 20, &err), 0, "20 veths deleted in one batch");
        /* The kernel may still list a peer for a moment under load: bounded wait. */
        for (int i = 0; i < 40; i++) {
                tn_run(-1, out, sizeof(out), "ip -o link | grep -c ' d[ap][0-9]*[@:]'");
                if (strcmp(out, "0\n") == 0)
                        break;
                usleep(50 * 1000);
        }
        tap_is_str(out, "0\n", "ip: none left");

        for (int i = 0; i < 20; i++) {
                char n[IFNAMSIZ];
                snprintf(n, sizeof(n), "gt%d", i);
                if (net_tap_open(ctx, n, &to, &fd, NULL, &err) == 0)
                        close(fd);      /* persistent: the tap stays */
        }
        tn_run(-1, out, sizeof(out), "ip -o link show group 77 | wc -l");
        tap_is_str(out, "20\n", "ip: 20 persistent taps in group 77");
        tap_is_int(net_link_delete_group(ctx, 77, &err), 0, "group 77 deleted in one request");
        tn_run(-1, out, sizeof(out), "ip -o link show group 77 | wc -l");
        tap_is_str(out, "0\n", "ip: group 77 empty");
        tap_is_int(net_link_delete_group(ctx, 0, &err), -EINVAL, "group 0 refused");

        ptrs[0] = "br0";
        ptrs[1] = "nosuchlink";
        tn_link_snapshot(-1, before, sizeof(before));
        tap_is_int(net_link_delete_many(ctx, ptrs, 2, &err), -ENODEV, "delete_many with a missing name");
        tn_link_snapshot(-1, after, sizeof(after));
        tap_is_str(after, before, "ip -j link unchanged");
}

struct seen {
        bool added, up, down, removed;
};

static void on_event(const struct net_event *ev, void *userdata)
{
        struct seen *s = userdata;

        if (strcmp(ev->name, "evbr") != 0)
                return;
        switch (ev->type) {
        case NET_EVENT_ADDED: s->added = true; break;
        case NET_EVENT_UP: s->up = true; break;
        case NET_EVENT_DOWN: s->down = true; break;
        case NET_EVENT_REMOVED: s->removed = true; break;
        }
}

static void test_events(void)
{
        struct bv_loop *loop = NULL;
        struct net_events *ev = NULL;
        struct bv_error err = { 0 };
        struct seen s = { 0 };
        uint64_t deadline;

        tap_is_int(bv_loop_new(&loop, &err), 0, "loop");
        tap_is_int(net_events_new(loop, -1, on_event, &s, &ev, &err), 0, "subscribed to link events");
        net_link_add_bridge(ctx, "evbr", NULL, &err);
        net_link_set_up(ctx, "evbr", true, &err);
        net_link_set_up(ctx, "evbr", false, &err);
        net_link_delete(ctx, "evbr", &err);
        deadline = bv_now_usec() + 2000000;
        while (!s.removed && bv_now_usec() < deadline)
                bv_loop_run_once(loop, 100000);
        tap_ok(s.added, "event: evbr added");
        tap_ok(s.up, "event: evbr up");
        tap_ok(s.down, "event: evbr down");
        tap_ok(s.removed, "event: evbr removed");
        net_events_free(ev);
        bv_loop_free(loop);
}

/* Runs op, checks its errno, and that `ip -j link` did not change. */
#define CHECK_UNCHANGED(op, want_errno, what)                                           \
        do {                                                                            \
                char _b[65536], _a[65536];                                              \
                int _ret;                                                               \
                tn_link_snapshot(-1, _b, sizeof(_b));                                   \
                bv_error_clear(&err);                                                   \
                _ret = (op);                                                            \
                tap_is_int(_ret, -(want_errno), what);                                    \
                tap_diag("  message: %s", err.msg);                                     \
                tn_link_snapshot(-1, _a, sizeof(_a));                                   \
                tap_is_str(_a, _b, what ": ip -j link unchanged");                      \
        } while (0)

static void test_errors(void)
{
        static const char *const bad[] = { "10.0.0.300/24", NULL };
        static const char *const dup[] = { "10.7.0.1/24", "10.7.0.1/24", NULL };
        struct net_bridge_opts bo_bad = { .addresses = bad }, bo_dup = { .addresses = dup };
        struct net_veth_opts vo = { .peer = "ep1", .peer_netns_fd = -1 };
        struct net_tap_opts to = { .master = "nosuchbr", .up = true };
        struct bv_error err = { 0 };
        int fd, devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

        CHECK_UNCHANGED(net_link_add_bridge(ctx, "br0", NULL, &err), EEXIST, "duplicate bridge name");
        tap_ok(strstr(err.msg, "'br0'") != NULL, "message names br0");
        CHECK_UNCHANGED(net_link_add_bridge(ctx, "a-very-long-name0", NULL, &err), EINVAL, "name too long");
        tap_ok(strstr(err.msg, "too long") != NULL, "message says too long");
        CHECK_UNCHANGED(net_link_add_bridge(ctx, "brx", &bo_bad, &err), EINVAL, "bad CIDR");
        tap_ok(strstr(err.msg, "10.0.0.300") != NULL, "message quotes the CIDR");
        CHECK_UNCHANGED(net_link_add_bridge(ctx, "brx", &bo_dup, &err), EEXIST,
                        "address fails after bridge creation (rolled back)");
        tap_ok(strstr(err.msg, "removed it again") != NULL, "message says rolled back");
        vo.peer_netns_fd = devnull;
        CHECK_UNCHANGED(net_link_add_veth(ctx, "ep0", &vo, &err), EINVAL, "veth into a bad netns fd");
        vo.peer_netns_fd = 9999;
        CHECK_UNCHANGED(net_link_add_veth(ctx, "ep0", &vo, &err), EBADF, "veth into a closed netns fd");
        vo.peer_netns_fd = -1;
        vo.master = "nosuchbr";
        CHECK_UNCHANGED(net_link_add_veth(ctx, "ep0", &vo, &err), ENODEV, "veth with missing master");
        tap_ok(strstr(err.msg, "nosuchbr") != NULL, "message names the master");
        vo.master = "v0";       /* not a bridge: the kernel refuses to enslave */
        CHECK_UNCHANGED(net_link_add_veth(ctx, "ep0", &vo, &err), EOPNOTSUPP, "veth with a non-bridge master");
        CHECK_UNCHANGED(net_tap_open(ctx, "tapx", &to, &fd, NULL, &err), ENODEV, "tap with missing master");
        CHECK_UNCHANGED(net_link_set_mtu(ctx, "v0", 100000, &err), EINVAL, "mtu too large");
        tap_ok(strstr(err.msg, "mtu greater than device maximum") != NULL, "kernel ext-ack text kept");
        CHECK_UNCHANGED(net_link_set_master(ctx, "v0", "nosuchbr", &err), ENODEV, "set missing master");
        CHECK_UNCHANGED(net_addr_add(ctx, "br0", "10.0.0.1/33", &err), EINVAL, "prefix out of range");
        CHECK_UNCHANGED(net_addr_add(ctx, "br0", "10.0.0.1/24", &err), EEXIST, "duplicate address");
        CHECK_UNCHANGED(net_link_delete(ctx, "nosuch", &err), ENODEV, "delete missing link");
        close(devnull);
}

/* Rate limits as tc(8) shows them: replaced, switched to one direction, refused without change, cleared. */
static void test_ratelimit(void)
{
        struct bv_error err = { 0 };
        char out[8192], before[8192], ifb[IFNAMSIZ];
        json_t *l;

        snprintf(ifb, sizeof(ifb), "bvifb%d", net_link_index(ctx, "v0", NULL));
        if (!tap_is_int(net_ratelimit_set(ctx, "v0", 30, NET_RATELIMIT_EGRESS | NET_RATELIMIT_INGRESS, &err), 0,
                        "v0 limited to 30 Mbit/s both ways"))
                tap_diag("%s", err.msg);
        tn_run(-1, out, sizeof(out), "tc qdisc show dev %s", ifb);
        tap_ok(strstr(out, "tbf") && strstr(out, "rate 30Mbit"), "tc: %s shapes at 30Mbit", ifb);
        tap_is_int(net_ratelimit_set(ctx, "v0", 50, NET_RATELIMIT_EGRESS, &err), 0, "replaced by 50 Mbit/s egress");
        tn_run(-1, out, sizeof(out), "tc qdisc show dev v0");
        tap_ok(strstr(out, "rate 50Mbit") && !strstr(out, "30Mbit") && !strstr(out, "ingress"),
               "tc: v0 has one tbf at 50Mbit and no ingress qdisc");
        l = tn_ip_link(-1, ifb);
        tap_ok(l == NULL, "the ifb went with the ingress limit");
        json_decref(l);

        tn_run(-1, before, sizeof(before), "tc qdisc show dev v0");
        CHECK_UNCHANGED(net_ratelimit_set(ctx, "nosuch", 10, NET_RATELIMIT_EGRESS, &err), ENODEV, "limit a missing link");
        tap_ok(strstr(err.msg, "'nosuch'") != NULL, "message names the link");
        CHECK_UNCHANGED(net_ratelimit_set(ctx, "nosuch", 10, NET_RATELIMIT_EGRESS, NULL), ENODEV,
                        "limit a missing link without an error struct");
        CHECK_UNCHANGED(net_ratelimit_set(ctx, "v0", 10001, NET_RATELIMIT_EGRESS, &err), ERANGE, "10001 Mbit/s");
        tap_ok(strstr(err.msg, "1-10000") != NULL, "message gives the range");
        CHECK_UNCHANGED(net_ratelimit_set(ctx, "v0", 10, 0, &err), EINVAL, "no direction");
        CHECK_UNCHANGED(net_ratelimit_set(ctx, "v0", 10, 4, &err), EINVAL, "unknown direction");
        tn_run(-1, out, sizeof(out), "tc qdisc show dev v0");
        tap_is_str(out, before, "tc: the refusals left v0's qdiscs alone");

        tap_is_int(net_ratelimit_clear(ctx, "v0", &err), 0, "limit cleared");
        tn_run(-1, out, sizeof(out), "tc qdisc show dev v0");
        tap_ok(!strstr(out, "tbf") && !strstr(out, "ingress"), "tc: no tbf, no ingress on v0");
        tap_is_int(net_ratelimit_clear(ctx, "v0", &err), 0, "clearing again is fine");
        CHECK_UNCHANGED(net_ratelimit_clear(ctx, "nosuch", &err), ENODEV, "clear a missing link");
}

static void body(void)
{
        struct bv_error err = { 0 };

        ns_b = tn_ns_new();
        tap_is_int(net_ctx_new(-1, &ctx, &err), 0, "netlink context");
        have_vlan_filtering = probe_vlan_filtering();
        test_bridge();
        test_veth_tap();
        test_link_ops();
        test_routes_vlans();
        test_batch_delete();
        test_events();
        test_errors();
        test_ratelimit();
        net_ctx_free(ctx);
}

int main(void)
{
        tn_main_in_netns(body);
}
