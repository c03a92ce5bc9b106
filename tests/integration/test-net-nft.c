/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net/'s nftables tables against the real kernel, in throwaway namespaces:
 * the test's own namespace is the "host" with bridge br0 (10.77.0.1/24),
 * two "instance" namespaces behind it (10.77.0.2, 10.77.0.3) and an
 * "upstream" namespace (192.0.2.2) that has no route to the instances.
 * `nft list` is the witness of what was applied; small TCP listeners that
 * print their peer's address show what NAT did; a raw sender shows what
 * anti-spoofing drops.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/net.h"
#include "tests/integration/test-net-lib.h"

#define T "bvtest"

static struct net_ctx *ctx;
static int ns_i1, ns_i2, ns_up;
static char listing[1 << 16];

static int attach(const char *port, const char *addr, const char *gw)
{
        struct net_veth_opts vo = { .peer = "eth0", .master = "br0", .up = true, .peer_up = true };
        struct bv_error err = { 0 };
        struct net_ctx *inner = NULL;
        int ns = tn_ns_new();

        vo.peer_netns_fd = ns;
        if (net_link_add_veth(ctx, port, &vo, &err) < 0 || net_ctx_new(ns, &inner, &err) < 0 ||
            net_addr_add(inner, "eth0", addr, &err) < 0 || net_link_set_up(inner, "lo", true, &err) < 0 ||
            (gw && net_route_add(inner, "default", gw, NULL, &err) < 0))
                tap_diag("attach %s: %s", port, err.msg);
        net_ctx_free(inner);
        return ns;
}

/* Serves one TCP connection on port in ns: writes the peer's address and closes. Returns the pid. */
static pid_t serve(int ns, uint16_t port)
{
        int p[2];
        char c;
        pid_t pid;

        if (pipe(p) < 0)
                exit(2);
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) }, peer;
                socklen_t pl = sizeof(peer);
                char buf[INET_ADDRSTRLEN + 1];
                int one = 1, s, a;

                alarm(6);
                if (setns(ns, CLONE_NEWNET) < 0)
                        _exit(1);
                s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                if (bind(s, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(s, 4) < 0)
                        _exit(1);
                if (write(p[1], "R", 1) != 1)
                        _exit(1);
                a = accept(s, (struct sockaddr *) &peer, &pl);
                inet_ntop(AF_INET, &peer.sin_addr, buf, sizeof(buf));
                if (a < 0 || write(a, buf, strlen(buf)) < 0)
                        _exit(1);
                close(a);
                _exit(0);
        }
        close(p[1]);
        if (read(p[0], &c, 1) != 1)
                tap_diag("listener on port %u did not start", port);
        close(p[0]);
        return pid;
}

static void unserve(pid_t pid)
{
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

/* Connects from ns (< 0: the host) to addr:port within 2 s and reads what the listener says into out. */
static bool reach(int ns, const char *addr, uint16_t port, char *out, size_t len)
{
        int p[2];
        ssize_t n;
        pid_t pid;

        if (pipe(p) < 0)
                exit(2);
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
                struct timeval tv = { .tv_sec = 2 };
                char buf[64];
                int s;

                alarm(4);
                if (ns >= 0 && setns(ns, CLONE_NEWNET) < 0)
                        _exit(1);
                inet_pton(AF_INET, addr, &sa.sin_addr);
                s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
                setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                if (connect(s, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                        _exit(1);
                n = read(s, buf, sizeof(buf));
                if (n <= 0 || write(p[1], buf, (size_t) n) != n)
                        _exit(1);
                _exit(0);
        }
        close(p[1]);
        n = read(p[0], out, len - 1);
        out[n > 0 ? n : 0] = 0;
        close(p[0]);
        waitpid(pid, NULL, 0);
        return n > 0;
}

static void list(const char *what, char *buf, size_t len)
{
        tn_run(-1, buf, len, "nft list %s", what);
}

static struct net_nft_network nets[1];
static struct net_nft_forward fws[3];

static struct net_nft_ruleset nat_ruleset(size_t n_forwards)
{
        const char *to[] = { "10.77.0.2", "10.77.0.3", "10.77.0.3" };

        nets[0] = (struct net_nft_network) { .bridge = "br0", .has_subnet4 = true, .nat = true };
        net_cidr_parse("10.77.0.0/24", true, &nets[0].subnet4, NULL);
        for (int i = 0; i < 3; i++) {
                fws[i] = (struct net_nft_forward) { .proto = IPPROTO_TCP, .port = (uint16_t) (8080 + i), .to_port = 80,
                                                    .bridge = "br0" };
                inet_pton(AF_INET, to[i], &fws[i].to);
        }
        return (struct net_nft_ruleset) { .networks = nets, .n_networks = 1, .forwards = fws, .n_forwards = n_forwards };
}

static void contains(const char *hay, const char *needle, const char *what)
{
        if (!tap_ok(strstr(hay, needle) != NULL, "%s", what))
                tap_diag("'%s' not in:\n%s", needle, hay);
}

static void test_nat_forwards(void)
{
        struct net_nft_ruleset rs = nat_ruleset(1);
        struct bv_error err = { 0 };
        struct net_nft *nft = NULL, *nft2 = NULL;
        char again[sizeof(listing)], foreign[4096], out[64];
        pid_t pid;

        tn_run(-1, NULL, 0, "nft add table inet foreign && nft add chain inet foreign c && "
                            "nft add rule inet foreign c tcp dport 9 counter accept");
        list("table inet foreign", foreign, sizeof(foreign));

        tap_is_int(net_nft_new(-1, T, &nft, &err), 0, "net_nft_new");
        if (!tap_is_int(net_nft_apply(nft, &rs, &err), 0, "apply a NAT network with one forward"))
                tap_diag("%s", err.msg);
        list("table inet " T, listing, sizeof(listing));
        contains(listing, "ip saddr 10.77.0.0/24 oifname != \"br0\" masquerade", "nft: masquerade of 10.77.0.0/24");
        contains(listing, "tcp dport 8080 dnat ip to 10.77.0.2:80", "nft: DNAT of tcp 8080 in chain forwards");
        contains(listing, "fib daddr type local jump forwards", "nft: prerouting sends local destinations to the forwards");
        contains(listing, "ip daddr != 127.0.0.0/8 jump forwards", "nft: so does output (hairpin from the host)");
        contains(listing, "ct status dnat masquerade", "nft: hairpin masquerade");
        contains(listing, "oifname \"br0\" ct state established,related accept", "nft: replies to br0 accepted");

        tap_is_int(net_nft_apply(nft, &rs, &err), 0, "apply the same ruleset again");
        list("table inet " T, again, sizeof(again));
        tap_is_str(again, listing, "nft: identical listing after applying again");
        tap_is_int(net_nft_new(-1, T, &nft2, &err), 0, "a second net_nft (a restarted daemon)");
        tap_is_int(net_nft_apply(nft2, &rs, &err), 0, "it applies the same ruleset");
        list("table inet " T, again, sizeof(again));
        tap_is_str(again, listing, "nft: identical listing from the new net_nft");

        pid = serve(ns_up, 7000);
        tap_ok(reach(ns_i1, "192.0.2.2", 7000, out, sizeof(out)), "instance reaches upstream");
        tap_is_str(out, "192.0.2.1", "upstream sees the host's address");
        unserve(pid);

        pid = serve(ns_i1, 80);
        tap_ok(reach(ns_up, "192.0.2.1", 8080, out, sizeof(out)), "upstream reaches the instance through tcp 8080");
        tap_is_str(out, "192.0.2.2", "the instance sees the upstream address");
        unserve(pid);
        pid = serve(ns_i1, 80);
        tap_ok(reach(-1, "192.0.2.1", 8080, out, sizeof(out)), "the host reaches the instance through the forward (hairpin)");
        unserve(pid);
        pid = serve(ns_i1, 80);
        tap_ok(reach(ns_i2, "192.0.2.1", 8080, out, sizeof(out)), "another instance on br0 reaches it through the forward");
        tap_is_str(out, "10.77.0.1", "it sees the bridge's address (hairpin masquerade), so replies return through the host");
        unserve(pid);

        /* One more forward: appended to what nft holds; the listing is what a full apply gives. */
        rs = nat_ruleset(2);
        tap_is_int(net_nft_apply(nft, &rs, &err), 0, "add a second forward");
        list("table inet " T, listing, sizeof(listing));
        contains(listing, "tcp dport 8081 dnat ip to 10.77.0.3:80", "nft: the second forward");
        tap_is_int(net_nft_apply(nft2, &rs, &err), 0, "the other net_nft applies the same (a full replace)");
        list("table inet " T, again, sizeof(again));
        tap_is_str(again, listing, "nft: appending gives the listing of a full apply");
        /* nft2 changed the ruleset: nft's append must notice and replace. */
        rs = nat_ruleset(3);
        tap_is_int(net_nft_apply(nft, &rs, &err), 0, "add a third forward after another net_nft's commit");
        list("table inet " T, listing, sizeof(listing));
        contains(listing, "tcp dport 8082 dnat ip to 10.77.0.3:80", "nft: the third forward");
        {
                int n = 0;
                for (const char *p = listing; (p = strstr(p, "dport 8081")); p++)
                        n++;
                tap_is_int(n, 1, "nft: forward 8081 once (no duplicate)");
        }

        rs = nat_ruleset(0);
        tap_is_int(net_nft_apply(nft, &rs, &err), 0, "remove the forwards");
        pid = serve(ns_i1, 80);
        tap_ok(!reach(ns_up, "192.0.2.1", 8080, out, sizeof(out)), "tcp 8080 is closed again");
        unserve(pid);

        tap_is_int(net_nft_remove(nft, &err), 0, "remove the tables");
        tap_ok(tn_run(-1, NULL, 0, "nft list table inet " T) != 0, "nft: inet " T " is gone");
        tap_ok(tn_run(-1, NULL, 0, "nft list table bridge " T) != 0, "nft: bridge " T " is gone");
        tap_is_int(net_nft_remove(nft, &err), 0, "removing absent tables is fine");
        list("table inet foreign", again, sizeof(again));
        tap_is_str(again, foreign, "nft: the foreign table is untouched");
        net_nft_free(nft);
        net_nft_free(nft2);
}

static void test_refusals(void)
{
        struct net_nft_ruleset rs = nat_ruleset(2);
        struct net_nft_rule rule = { .in = true, .proto = 0, .port_lo = 80 };
        struct net_nft_group g = { .name = "g", .rules = &rule, .n_rules = 1 };
        struct net_nft_port port = { .ifname = "vi1", .mac = { 2, 1 }, .group = "nope" };
        struct bv_error err = { 0 };
        struct net_nft *nft = NULL;
        char before[sizeof(listing)];

        net_nft_new(-1, T, &nft, &err);
        net_nft_apply(nft, &rs, &err);
        list("ruleset", before, sizeof(before));

        rs.n_groups = 1;
        rs.groups = &g;
        tap_is_int(net_nft_apply(nft, &rs, &err), -EINVAL, "rule with a port and proto any: refused");
        tap_diag("%s", err.msg);
        rule.proto = IPPROTO_TCP;
        rs.n_ports = 1;
        rs.ports = &port;
        tap_is_int(net_nft_apply(nft, &rs, &err), -EINVAL, "port naming an unknown group: refused");
        tap_diag("%s", err.msg);
        rs = nat_ruleset(2);
        fws[1].port = 8080;
        tap_is_int(net_nft_apply(nft, &rs, &err), -EINVAL, "duplicate forward: refused");
        tap_diag("%s", err.msg);
        rs = nat_ruleset(2);
        fws[1].port = 0;
        tap_is_int(net_nft_apply(nft, &rs, &err), -EINVAL, "forward port 0: refused");
        rs = nat_ruleset(2);
        nets[0].bridge = "br0/x";
        tap_is_int(net_nft_apply(nft, &rs, &err), -EINVAL, "bad bridge name: refused");
        list("ruleset", listing, sizeof(listing));
        tap_is_str(listing, before, "nft list ruleset: unchanged by the refusals");
        tap_is_int(net_nft_new(-1, "bad.name", &nft, &err), -EINVAL, "bad table name: refused");
        net_nft_remove(nft, NULL);
        net_nft_free(nft);
}

/* Receives UDP on port 9999 in ns for 1.5 s, after sender() ran; returns what arrived, joined by ','. */
static void udp_sink(int ns, void (*sender)(void), char *out, size_t len)
{
        int p[2];
        char c;
        pid_t pid;

        if (pipe(p) < 0)
                exit(2);
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9999) };
                char got[256] = "", buf[64];
                uint64_t end;
                int s;

                if (setns(ns, CLONE_NEWNET) < 0)
                        _exit(1);
                s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (bind(s, (struct sockaddr *) &sa, sizeof(sa)) < 0 || write(p[1], "R", 1) != 1)
                        _exit(1);
                end = bv_now_usec() + 1500000;
                while (bv_now_usec() < end) {
                        struct pollfd pfd = { .fd = s, .events = POLLIN };
                        ssize_t n;
                        if (poll(&pfd, 1, 100) <= 0)
                                continue;
                        n = recv(s, buf, sizeof(buf) - 1, 0);
                        if (n <= 0)
                                continue;
                        buf[n] = 0;
                        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", *got ? "," : "", buf);
                }
                if (write(p[1], got, strlen(got)) < 0)
                        _exit(1);
                _exit(0);
        }
        close(p[1]);
        if (read(p[0], &c, 1) != 1)
                tap_diag("udp sink did not start");
        sender();
        ssize_t n = read(p[0], out, len - 1);
        out[n > 0 ? n : 0] = 0;
        close(p[0]);
        waitpid(pid, NULL, 0);
}

/* From instance 1: one raw UDP datagram to 10.77.0.3:9999 from src, carrying text. */
static void raw_send(const char *src, const char *text)
{
        pid_t pid;

        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                struct sockaddr_in dst = { .sin_family = AF_INET };
                unsigned char pkt[128] = { 0 };
                struct iphdr *ip = (struct iphdr *) pkt;
                struct udphdr *udp = (struct udphdr *) (pkt + sizeof(*ip));
                size_t tl = strlen(text), len = sizeof(*ip) + sizeof(*udp) + tl;
                int s;

                if (setns(ns_i1, CLONE_NEWNET) < 0)
                        _exit(1);
                inet_pton(AF_INET, "10.77.0.3", &dst.sin_addr);
                ip->version = 4;
                ip->ihl = 5;
                ip->ttl = 64;
                ip->protocol = IPPROTO_UDP;
                ip->tot_len = htons((uint16_t) len);
                inet_pton(AF_INET, src, &ip->saddr);
                ip->daddr = dst.sin_addr.s_addr;
                udp->source = htons(5555);
                udp->dest = htons(9999);
                udp->len = htons((uint16_t) (sizeof(*udp) + tl));
                memcpy(pkt + sizeof(*ip) + sizeof(*udp), text, tl);     /* checksum 0: none (IPv4) */
                s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
                if (s < 0 || sendto(s, pkt, len, 0, (struct sockaddr *) &dst, sizeof(dst)) < 0)
                        _exit(1);
                _exit(0);
        }
        waitpid(pid, NULL, 0);
}

static void send_both(void)
{
        raw_send("10.77.0.99", "spoofed");
        raw_send("10.77.0.2", "legit");
}

static void test_antispoof(void)
{
        struct net_nft_ruleset rs = nat_ruleset(0);
        struct in_addr ip;
        struct net_nft_port port = { .ifname = "vi1", .ip4 = &ip, .n_ip4 = 1, .antispoof = true };
        struct bv_error err = { 0 };
        struct net_ctx *inner = NULL;
        struct net_link l = { 0 };
        struct net_nft *nft = NULL;
        char got[256];

        net_ctx_new(ns_i1, &inner, &err);
        net_link_get(inner, "eth0", &l, &err);
        net_ctx_free(inner);
        memcpy(port.mac, l.mac, 6);
        inet_pton(AF_INET, "10.77.0.2", &ip);
        tn_run(ns_i1, NULL, 0, "ping -c1 -W2 10.77.0.3");       /* ARP resolved before counting */
        udp_sink(ns_i2, send_both, got, sizeof(got));
        tap_is_str(got, "spoofed,legit", "without anti-spoofing both raw datagrams arrive");

        rs.ports = &port;
        rs.n_ports = 1;
        net_nft_new(-1, T, &nft, &err);
        if (!tap_is_int(net_nft_apply(nft, &rs, &err), 0, "apply anti-spoofing on vi1"))
                tap_diag("%s", err.msg);
        list("table bridge " T, listing, sizeof(listing));
        contains(listing, "ip saddr 10.77.0.2 return", "nft: vi1 may send from 10.77.0.2");
        udp_sink(ns_i2, send_both, got, sizeof(got));
        tap_is_str(got, "legit", "with anti-spoofing the spoofed source is dropped, the real one arrives");
        tap_is_int(tn_run(ns_i1, NULL, 0, "ping -c1 -W2 10.77.0.3"), 0, "instance 1 still pings instance 2 (ARP passes)");
        tn_run(ns_i1, NULL, 0, "ip link set eth0 address 02:00:00:00:00:99");
        tn_run(ns_i1, NULL, 0, "ip neigh flush all");
        tap_ok(tn_run(ns_i1, NULL, 0, "ping -c1 -W1 10.77.0.3") != 0, "with another MAC instance 1 cannot reach anyone");
        {
                char mac[32];
                snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", l.mac[0], l.mac[1], l.mac[2], l.mac[3],
                         l.mac[4], l.mac[5]);
                tn_run(ns_i1, NULL, 0, "ip link set eth0 address %s", mac);
        }
        net_nft_remove(nft, NULL);
        net_nft_free(nft);
}

static void test_firewall(void)
{
        struct net_nft_ruleset rs = nat_ruleset(0);
        struct net_nft_rule rule = { .in = true, .proto = IPPROTO_TCP, .port_lo = 80 };
        struct net_nft_group g = { .name = "web", .default_in_accept = true, .default_out_accept = true,
                                   .rules = &rule, .n_rules = 1 };
        struct net_nft_port port = { .ifname = "vi2", .group = "web" };
        struct bv_error err = { 0 };
        struct net_nft *nft = NULL;
        char out[64];
        pid_t pid;

        rs.groups = &g;
        rs.n_groups = 1;
        rs.ports = &port;
        rs.n_ports = 1;
        net_nft_new(-1, T, &nft, &err);
        if (!tap_is_int(net_nft_apply(nft, &rs, &err), 0, "apply group 'web' (drop inbound tcp 80) on vi2"))
                tap_diag("%s", err.msg);
        tap_diag("firewall groups are %s here", net_nft_stateful(nft) ? "stateful (bridge conntrack)" : "stateless (no nf_conntrack_bridge)");
        list("table bridge " T, listing, sizeof(listing));
        contains(listing, "dport 80 drop", "nft: in-web drops dport 80");
        contains(listing, "oifname \"vi2\" jump in-web", "nft: traffic to vi2 goes through in-web");
        tap_ok(strstr(listing, "ct-probe") == NULL, "nft: the probe of bridge conntrack left nothing");
        {
                char again[sizeof(listing)];
                struct net_nft *nft2 = NULL;
                tap_is_int(net_nft_apply(nft, &rs, &err), 0, "apply the same groups again");
                list("table bridge " T, again, sizeof(again));
                tap_is_str(again, listing, "nft: identical bridge listing after applying again");
                net_nft_new(-1, T, &nft2, &err);
                tap_is_int(net_nft_apply(nft2, &rs, &err), 0, "a new net_nft applies them");
                list("table bridge " T, again, sizeof(again));
                tap_is_str(again, listing, "nft: identical bridge listing from the new net_nft");
                net_nft_free(nft2);
        }
        pid = serve(ns_i2, 80);
        tap_ok(!reach(ns_i1, "10.77.0.3", 80, out, sizeof(out)), "instance 1 cannot reach instance 2's tcp 80");
        unserve(pid);
        pid = serve(ns_i2, 81);
        tap_ok(reach(ns_i1, "10.77.0.3", 81, out, sizeof(out)), "instance 1 reaches instance 2's tcp 81");
        unserve(pid);
        tap_is_int(tn_run(ns_i1, NULL, 0, "ping -c1 -W2 10.77.0.3"), 0, "instance 1 pings instance 2 (ICMP allowed)");
        pid = serve(ns_i1, 80);
        tap_ok(reach(ns_i2, "10.77.0.2", 80, out, sizeof(out)), "instance 2 reaches instance 1's tcp 80 (replies pass)");
        unserve(pid);

        g.default_in_accept = false;
        rule.accept = true;
        tap_is_int(net_nft_apply(nft, &rs, &err), 0, "group 'web': accept inbound tcp 80, drop the rest");
        pid = serve(ns_i2, 80);
        tap_ok(reach(ns_i1, "10.77.0.3", 80, out, sizeof(out)), "instance 1 reaches instance 2's tcp 80");
        unserve(pid);
        pid = serve(ns_i2, 81);
        tap_ok(!reach(ns_i1, "10.77.0.3", 81, out, sizeof(out)), "instance 1 cannot reach instance 2's tcp 81");
        unserve(pid);
        tap_ok(tn_run(ns_i1, NULL, 0, "ping -c1 -W1 10.77.0.3") != 0, "ping to instance 2 is dropped by default");
        net_nft_remove(nft, NULL);
        net_nft_free(nft);
}

static void body(void)
{
        struct net_bridge_opts bo = { .up = true };
        struct net_veth_opts vo = { .peer = "eth0", .up = true, .peer_up = true };
        struct bv_error err = { 0 };
        struct net_ctx *up = NULL;

        if (system("nft --version >/dev/null 2>&1") != 0)
                tap_skip_all("nft (Debian package nftables) is missing");
        tap_is_int(net_ctx_new(-1, &ctx, &err), 0, "netlink context");
        tn_run(-1, NULL, 0, "echo 1 > /proc/sys/net/ipv4/ip_forward; ip link set lo up");
        tap_is_int(net_link_add_bridge(ctx, "br0", &bo, &err), 0, "bridge br0");
        net_addr_add(ctx, "br0", "10.77.0.1/24", &err);
        ns_i1 = attach("vi1", "10.77.0.2/24", "10.77.0.1");
        ns_i2 = attach("vi2", "10.77.0.3/24", "10.77.0.1");
        ns_up = tn_ns_new();
        vo.peer_netns_fd = ns_up;
        if (net_link_add_veth(ctx, "up0", &vo, &err) < 0 || net_addr_add(ctx, "up0", "192.0.2.1/24", &err) < 0 ||
            net_ctx_new(ns_up, &up, &err) < 0 || net_addr_add(up, "eth0", "192.0.2.2/24", &err) < 0)
                tap_diag("upstream: %s", err.msg);
        net_ctx_free(up);

        test_nat_forwards();
        test_refusals();
        test_firewall();
        test_antispoof();
        net_ctx_free(ctx);
}

int main(void)
{
        tn_main_in_netns(body);
}
