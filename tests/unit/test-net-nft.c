/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net_nft_ruleset_check() and net_nft_table_check() without a kernel: every
 * bad ruleset is refused with -EINVAL (or -E2BIG) and a message naming what
 * is wrong; a good one passes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "net/net.h"
#include "tests/tap.h"

static struct net_nft_network nets[] = {
        { .bridge = "br0", .subnet4 = { .family = AF_INET, .prefixlen = 24 }, .has_subnet4 = true, .nat = true },
};
static struct net_nft_forward fws[2];
static struct net_nft_rule rules[1];
static struct net_nft_group groups[] = { { .name = "web", .default_in_accept = true, .default_out_accept = true,
                                           .rules = rules, .n_rules = 1 } };
static struct net_nft_port ports[] = { { .ifname = "tap0", .mac = { 2, 0, 0, 0, 0, 1 }, .antispoof = true,
                                         .group = "web" } };

static struct net_nft_ruleset good(void)
{
        memset(fws, 0, sizeof(fws));
        for (int i = 0; i < 2; i++) {
                fws[i].proto = IPPROTO_TCP;
                fws[i].port = (uint16_t) (8080 + i);
                fws[i].to_port = 80;
                fws[i].bridge = "br0";
                inet_pton(AF_INET, "10.0.0.2", &fws[i].to);
        }
        inet_pton(AF_INET, "10.0.0.0", &nets[0].subnet4.addr.v4);
        nets[0].nat = true;
        rules[0] = (struct net_nft_rule) { .in = true, .proto = IPPROTO_TCP, .port_lo = 80 };
        ports[0].group = "web";
        return (struct net_nft_ruleset) { nets, 1, fws, 2, groups, 1, ports, 1 };
}

static void refused(struct net_nft_ruleset rs, int want, const char *needle, const char *what)
{
        struct bv_error err = { 0 };
        int r = net_nft_ruleset_check(&rs, &err);

        if (!tap_ok(r == -want && strstr(err.msg, needle), "%s: refused", what))
                tap_diag("r=%d msg='%s' (want '%s')", r, err.msg, needle);
}

int main(void)
{
        struct net_nft_ruleset rs = good();
        struct bv_error err = { 0 };

        tap_is_int(net_nft_ruleset_check(&rs, &err), 0, "a good ruleset passes");
        tap_is_int(net_nft_table_check("barevirt_1-a", NULL), 0, "table name barevirt_1-a");
        tap_is_int(net_nft_table_check("", NULL), -EINVAL, "empty table name refused");
        tap_is_int(net_nft_table_check("a.b", NULL), -EINVAL, "table name with '.' refused");
        tap_is_int(net_nft_table_check("abcdefghijabcdefghijabcdefghij12", NULL), -EINVAL, "32-byte table name refused");

        rs = good();
        rules[0].proto = 0;
        refused(rs, EINVAL, "a port needs protocol tcp or udp, not any", "rule with a port and proto any");
        rs = good();
        rules[0].proto = IPPROTO_ICMP;
        refused(rs, EINVAL, "not icmp", "rule with a port and proto icmp");
        rs = good();
        rules[0].port_hi = 70;
        refused(rs, EINVAL, "bad port range 80-70", "rule with lo > hi");
        rs = good();
        fws[1].port = 0;
        refused(rs, EINVAL, "ports must be 1-65535", "forward port 0");
        rs = good();
        fws[1].port = 8080;
        refused(rs, EINVAL, "'tcp *:8080 -> 10.0.0.2:80' clashes with 'tcp *:8080 -> 10.0.0.2:80'", "duplicate forward");
        rs = good();
        fws[1].port = 8080;
        fws[1].has_listen = true;
        inet_pton(AF_INET, "192.0.2.1", &fws[1].listen);
        refused(rs, EINVAL, "'tcp 192.0.2.1:8080 -> 10.0.0.2:80' clashes with 'tcp *:8080", "forward on an address vs any");
        rs = good();
        fws[1].port = 8080;
        fws[1].proto = IPPROTO_UDP;
        tap_is_int(net_nft_ruleset_check(&rs, NULL), 0, "udp and tcp on the same port are two forwards");
        rs = good();
        fws[0].bridge = "br9";
        refused(rs, EINVAL, "'br9' is not a network of the ruleset", "forward to an unknown network");
        rs = good();
        ports[0].group = "db";
        refused(rs, EINVAL, "Port 'tap0' names firewall group 'db', which does not exist", "unknown group");
        rs = good();
        nets[0].has_subnet4 = false;
        refused(rs, EINVAL, "NAT needs an IPv4 subnet", "NAT without a subnet");
        nets[0].has_subnet4 = true;
        rs = good();
        rs.n_forwards = NET_NFT_MAX_FORWARDS + 1;
        refused(rs, E2BIG, "Ruleset too large", "too many forwards");
        tap_done();
}
