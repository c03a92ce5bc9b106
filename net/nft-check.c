/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Rulesets before the kernel sees them: the checks of
 * net_nft_ruleset_check() (every refusal names the object and what is
 * wrong with it, and nothing is sent), and the key that tells nft.c
 * whether a new ruleset differs from the last one in forwards only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "net/net-internal.h"

int net_nft_table_check(const char *name, struct bv_error *err)
{
        size_t n = name ? strlen(name) : 0;

        if (n == 0 || n > 31 || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != n)
                return bv_error_set(err, EINVAL, "Invalid nftables table name '%s': 1-31 bytes of [A-Za-z0-9_-]",
                                    name ? name : "");
        return 0;
}

static const char *proto_name(int proto)
{
        return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_ICMP ? "icmp" : "any";
}

const char *net_nft_forward_format(const struct net_nft_forward *f, char *buf, size_t len)
{
        char l[INET_ADDRSTRLEN] = "*", t[INET_ADDRSTRLEN];

        if (f->has_listen)
                inet_ntop(AF_INET, &f->listen, l, sizeof(l));
        inet_ntop(AF_INET, &f->to, t, sizeof(t));
        snprintf(buf, len, "%s %s:%u -> %s:%u", proto_name(f->proto), l, f->port, t, f->to_port);
        return buf;
}

bool net_nft_forward_equal(const struct net_nft_forward *a, const struct net_nft_forward *b)
{
        return a->proto == b->proto && a->port == b->port && a->has_listen == b->has_listen &&
               (!a->has_listen || a->listen.s_addr == b->listen.s_addr) && a->to.s_addr == b->to.s_addr &&
               a->to_port == b->to_port && strcmp(a->bridge ? a->bridge : "", b->bridge ? b->bridge : "") == 0;
}

static int group_name_check(const char *name, struct bv_error *err)
{
        size_t n = name ? strlen(name) : 0;

        if (n == 0 || n > 63 || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
                return bv_error_set(err, EINVAL, "Invalid firewall group name '%s': 1-63 bytes of [A-Za-z0-9._-]",
                                    name ? name : "");
        return 0;
}

static const struct net_nft_network *find_network(const struct net_nft_ruleset *rs, const char *bridge)
{
        for (size_t i = 0; i < rs->n_networks; i++)
                if (strcmp(rs->networks[i].bridge, bridge) == 0)
                        return &rs->networks[i];
        return NULL;
}

static const struct net_nft_group *find_group(const struct net_nft_ruleset *rs, const char *name, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(rs->groups[i].name, name) == 0)
                        return &rs->groups[i];
        return NULL;
}

static int check_networks(const struct net_nft_ruleset *rs, struct bv_error *err)
{
        for (size_t i = 0; i < rs->n_networks; i++) {
                const struct net_nft_network *n = &rs->networks[i];
                int r = net_name_check_what(n->bridge, "bridge", err);

                if (r < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        if (strcmp(rs->networks[j].bridge, n->bridge) == 0)
                                return bv_error_set(err, EINVAL, "Network bridge '%s' is listed twice", n->bridge);
                if (n->has_subnet4 && (n->subnet4.family != AF_INET || n->subnet4.prefixlen > 32))
                        return bv_error_set(err, EINVAL, "Network '%s': the IPv4 subnet is not an IPv4 CIDR", n->bridge);
                if (n->nat && !n->has_subnet4)
                        return bv_error_set(err, EINVAL, "Network '%s': NAT needs an IPv4 subnet", n->bridge);
        }
        return 0;
}

/* Whether two forwards catch the same packets: same proto and port, and a listen address in common. */
static bool forwards_clash(const struct net_nft_forward *a, const struct net_nft_forward *b)
{
        return a->proto == b->proto && a->port == b->port &&
               (!a->has_listen || !b->has_listen || a->listen.s_addr == b->listen.s_addr);
}

static int check_forwards(const struct net_nft_ruleset *rs, struct bv_error *err)
{
        char a[96], b[96];

        for (size_t i = 0; i < rs->n_forwards; i++) {
                const struct net_nft_forward *f = &rs->forwards[i];

                if (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP)
                        return bv_error_set(err, EINVAL, "Port forward %zu: the protocol must be tcp or udp", i);
                if (f->port == 0 || f->to_port == 0)
                        return bv_error_set(err, EINVAL, "Port forward '%s': ports must be 1-65535",
                                            net_nft_forward_format(f, a, sizeof(a)));
                if (!f->bridge || !find_network(rs, f->bridge))
                        return bv_error_set(err, EINVAL, "Port forward '%s': '%s' is not a network of the ruleset",
                                            net_nft_forward_format(f, a, sizeof(a)),
                                            f->bridge ? f->bridge : "");
                for (size_t j = 0; j < i; j++)
                        if (forwards_clash(&rs->forwards[j], f))
                                return bv_error_set(err, EINVAL, "Port forward '%s' clashes with '%s', which forwards the same port",
                                                    net_nft_forward_format(f, a, sizeof(a)),
                                                    net_nft_forward_format(&rs->forwards[j], b, sizeof(b)));
        }
        return 0;
}

static int check_groups(const struct net_nft_ruleset *rs, struct bv_error *err)
{
        for (size_t i = 0; i < rs->n_groups; i++) {
                const struct net_nft_group *g = &rs->groups[i];
                int r = group_name_check(g->name, err);

                if (r < 0)
                        return r;
                if (find_group(rs, g->name, i))
                        return bv_error_set(err, EINVAL, "Firewall group '%s' is listed twice", g->name);
                if (g->n_rules > NET_NFT_MAX_RULES)
                        return bv_error_set(err, E2BIG, "Firewall group '%s' has %zu rules (at most %d)", g->name,
                                            g->n_rules, NET_NFT_MAX_RULES);
                for (size_t k = 0; k < g->n_rules; k++) {
                        const struct net_nft_rule *ru = &g->rules[k];

                        if (ru->proto != 0 && ru->proto != IPPROTO_TCP && ru->proto != IPPROTO_UDP &&
                            ru->proto != IPPROTO_ICMP)
                                return bv_error_set(err, EINVAL, "Firewall group '%s', rule %zu: unknown protocol %d",
                                                    g->name, k + 1, ru->proto);
                        if ((ru->port_lo || ru->port_hi) && ru->proto != IPPROTO_TCP && ru->proto != IPPROTO_UDP)
                                return bv_error_set(err, EINVAL,
                                                    "Firewall group '%s', rule %zu: a port needs protocol tcp or udp, not %s",
                                                    g->name, k + 1, proto_name(ru->proto));
                        if ((!ru->port_lo && ru->port_hi) || (ru->port_hi && ru->port_hi < ru->port_lo))
                                return bv_error_set(err, EINVAL, "Firewall group '%s', rule %zu: bad port range %u-%u",
                                                    g->name, k + 1, ru->port_lo, ru->port_hi);
                        if (ru->has_peer && ((ru->peer.family != AF_INET && ru->peer.family != AF_INET6) ||
                                             ru->peer.prefixlen > (ru->peer.family == AF_INET ? 32 : 128)))
                                return bv_error_set(err, EINVAL, "Firewall group '%s', rule %zu: bad peer CIDR",
                                                    g->name, k + 1);
                }
        }
        return 0;
}

static int check_ports(const struct net_nft_ruleset *rs, struct bv_error *err)
{
        static const uint8_t zero[6];

        for (size_t i = 0; i < rs->n_ports; i++) {
                const struct net_nft_port *p = &rs->ports[i];
                int r = net_name_check_what(p->ifname, "port", err);

                if (r < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        if (strcmp(rs->ports[j].ifname, p->ifname) == 0)
                                return bv_error_set(err, EINVAL, "Port '%s' is listed twice", p->ifname);
                if (p->antispoof && memcmp(p->mac, zero, 6) == 0)
                        return bv_error_set(err, EINVAL, "Port '%s': anti-spoofing needs its MAC address", p->ifname);
                if (p->n_ip4 > NET_NFT_MAX_PORT_IP4)
                        return bv_error_set(err, E2BIG, "Port '%s' has %zu IPv4 addresses (at most %d)", p->ifname,
                                            p->n_ip4, NET_NFT_MAX_PORT_IP4);
                if (p->group && !find_group(rs, p->group, rs->n_groups))
                        return bv_error_set(err, EINVAL, "Port '%s' names firewall group '%s', which does not exist",
                                            p->ifname, p->group);
        }
        return 0;
}

int net_nft_ruleset_check(const struct net_nft_ruleset *rs, struct bv_error *err)
{
        if (rs->n_networks > NET_NFT_MAX_NETWORKS || rs->n_forwards > NET_NFT_MAX_FORWARDS ||
            rs->n_groups > NET_NFT_MAX_GROUPS || rs->n_ports > NET_NFT_MAX_PORTS)
                return bv_error_set(err, E2BIG, "Ruleset too large: at most %d networks, %d forwards, %d groups, %d ports",
                                    NET_NFT_MAX_NETWORKS, NET_NFT_MAX_FORWARDS, NET_NFT_MAX_GROUPS, NET_NFT_MAX_PORTS);
        int r = check_networks(rs, err);
        if (r >= 0)
                r = check_forwards(rs, err);
        if (r >= 0)
                r = check_groups(rs, err);
        if (r >= 0)
                r = check_ports(rs, err);
        return r < 0 ? r : 0;
}

/* ---- the key: everything but the forwards, as bytes ---- */

struct key {
        char *buf;
        size_t len, cap;
        bool oom;
};

static void key_put(struct key *k, const void *p, size_t n)
{
        if (k->oom)
                return;
        if (k->len + n > k->cap) {
                size_t cap = (k->len + n) * 2 + 256;
                char *b = realloc(k->buf, cap);
                if (!b) {
                        k->oom = true;
                        return;
                }
                k->buf = b;
                k->cap = cap;
        }
        memcpy(k->buf + k->len, p, n);
        k->len += n;
}

/* Strings with their terminating NUL, so that ("ab","c") and ("a","bc") differ; NULL as one 0xff. */
static void key_str(struct key *k, const char *s)
{
        key_put(k, s ? s : "\xff", s ? strlen(s) + 1 : 1);
}

#define KEY_VAL(k, v) key_put((k), &(v), sizeof(v))

int net_nft_ruleset_key(const struct net_nft_ruleset *rs, char **ret, size_t *ret_len)
{
        struct key k = { 0 };

        KEY_VAL(&k, rs->n_networks);
        for (size_t i = 0; i < rs->n_networks; i++) {
                const struct net_nft_network *n = &rs->networks[i];
                uint8_t flags = (uint8_t) (n->has_subnet4 | n->nat << 1);
                key_str(&k, n->bridge);
                KEY_VAL(&k, flags);
                if (n->has_subnet4) {
                        KEY_VAL(&k, n->subnet4.addr.v4);
                        KEY_VAL(&k, n->subnet4.prefixlen);
                }
        }
        KEY_VAL(&k, rs->n_groups);
        for (size_t i = 0; i < rs->n_groups; i++) {
                const struct net_nft_group *g = &rs->groups[i];
                uint8_t flags = (uint8_t) (g->default_in_accept | g->default_out_accept << 1);
                key_str(&k, g->name);
                KEY_VAL(&k, flags);
                KEY_VAL(&k, g->n_rules);
                for (size_t j = 0; j < g->n_rules; j++) {
                        const struct net_nft_rule *r = &g->rules[j];
                        uint8_t rf = (uint8_t) (r->in | r->has_peer << 1 | r->accept << 2);
                        KEY_VAL(&k, rf);
                        KEY_VAL(&k, r->proto);
                        KEY_VAL(&k, r->port_lo);
                        KEY_VAL(&k, r->port_hi);
                        if (r->has_peer) {
                                KEY_VAL(&k, r->peer.family);
                                KEY_VAL(&k, r->peer.prefixlen);
                                KEY_VAL(&k, r->peer.addr.bytes);
                        }
                }
        }
        KEY_VAL(&k, rs->n_ports);
        for (size_t i = 0; i < rs->n_ports; i++) {
                const struct net_nft_port *p = &rs->ports[i];
                key_str(&k, p->ifname);
                key_put(&k, p->mac, 6);
                KEY_VAL(&k, p->antispoof);
                key_str(&k, p->group);
                KEY_VAL(&k, p->n_ip4);
                key_put(&k, p->ip4, p->n_ip4 * sizeof(*p->ip4));
        }
        if (k.oom) {
                free(k.buf);
                return -ENOMEM;
        }
        *ret = k.buf;
        *ret_len = k.len;
        return 0;
}
