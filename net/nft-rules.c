/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rules of barevirt's two tables, as net/net.h describes them: which
 * chains exist, and the expressions of each rule, added to a batch built
 * by nft.c. Every rule here has the shape `nft` would give the same text,
 * shown in the comment above the code that builds it. The bridge family
 * numbers its hooks as inet does (NF_BR_PRE_ROUTING == NF_INET_PRE_ROUTING,
 * ...); linux/netfilter_bridge.h would drag in linux/if.h, which clashes
 * with net/if.h.
 *
 * Chains exist only when something needs them, so a namespace without
 * networks pays no netfilter hook and a bridge without anti-spoofed or
 * firewalled ports pays none in the bridge family:
 *   inet TABLE:   prerouting, output, postrouting (nat), forward (filter)
 *                 and forwards (the DNAT rules, jumped to from prerouting
 *                 and output for local destinations) when the ruleset has
 *                 networks;
 *   bridge TABLE: in-GROUP and out-GROUP for every group, spoof-PORT for
 *                 every anti-spoofed port; prerouting when some port is
 *                 anti-spoofed; forward, input and output when some port
 *                 has a group.
 * Group chains end in `return` (accept) or `drop`, never `accept`, since
 * an accept would end the base chain and skip the other port's group on
 * the same bridge.
 */
#include "net/net-internal.h"   /* first: netinet/in.h before linux/in.h */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_common.h>


const char net_nft_what_forward[] = "add a rule of forward";

#define CHAIN_MAX 80            /* "spoof-" + a link name, "out-" + a group name */

/* ---- inet TABLE: NAT, forwards, the forward chain ---- */

/* `meta nfproto ipv4 ip saddr SUBNET oifname [!=] BRIDGE [ct status dnat] masquerade` */
static void masquerade(struct nft_batch *b, const char *table, const struct net_nft_network *n, size_t i,
                       bool hairpin)
{
        struct nft_rb rb;

        net_nft_rb_start(&rb, NFPROTO_INET, table, "postrouting");
        net_nft_m_meta_u8(&rb, NFT_META_NFPROTO, NFPROTO_IPV4);
        net_nft_m_cidr(&rb, NFT_PAYLOAD_NETWORK_HEADER, 12, &n->subnet4, true);
        net_nft_m_ifname(&rb, NFT_META_OIFNAME, n->bridge, hairpin);
        if (hairpin)
                net_nft_m_ct_any(&rb, NFT_CT_STATUS, IPS_DST_NAT);
        net_nft_e_masq(&rb);
        net_nft_rb_put(b, &rb, hairpin ? "add the hairpin masquerade of network" : "add the masquerade of network",
                   n->bridge, i);
}

/* `iifname BR accept`, `oifname BR ct state established,related accept`, `oifname BR ct status dnat accept` */
static void forward_accept(struct nft_batch *b, const char *table, const struct net_nft_network *n, size_t i)
{
        static const struct { uint32_t key; uint32_t ct_key, ct_bits; } rules[] = {
                { NFT_META_IIFNAME, 0, 0 },
                { NFT_META_OIFNAME, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED) },
                { NFT_META_OIFNAME, NFT_CT_STATUS, IPS_DST_NAT },
        };
        struct nft_rb rb;

        for (size_t k = 0; k < BV_ELEMENTSOF(rules); k++) {
                net_nft_rb_start(&rb, NFPROTO_INET, table, "forward");
                net_nft_m_ifname(&rb, rules[k].key, n->bridge, true);
                if (rules[k].ct_bits)     /* NFT_CT_STATE is 0 */
                        net_nft_m_ct_any(&rb, rules[k].ct_key, rules[k].ct_bits);
                net_nft_e_verdict(&rb, NF_ACCEPT, NULL);
                net_nft_rb_put(b, &rb, "add a forward rule of network", n->bridge, i);
        }
}

/*
 * Chain forwards, one rule per forward: `[meta nfproto ipv4 ip daddr LISTEN] PROTO dport PORT dnat ip to TO:TOPORT`.
 * (Without a listen address no family match is needed: the kernel applies an IPv4 DNAT to IPv4 only.)
 */
void net_nft_rules_forward(struct nft_batch *b, const char *table, const struct net_nft_forward *f, size_t index)
{
        struct nft_rb rb;

        net_nft_rb_start(&rb, NFPROTO_INET, table, "forwards");
        if (f->has_listen) {
                net_nft_m_meta_u8(&rb, NFT_META_NFPROTO, NFPROTO_IPV4);
                net_nft_m_bytes(&rb, NFT_PAYLOAD_NETWORK_HEADER, 16, &f->listen.s_addr, 4, true);
        }
        net_nft_m_meta_u8(&rb, NFT_META_L4PROTO, (uint8_t) f->proto);
        net_nft_m_port_range(&rb, 2, f->port, f->port);
        net_nft_e_dnat4(&rb, f->to, f->to_port);
        net_nft_rb_put(b, &rb, net_nft_what_forward, "forwards", index);
}

/*
 * prerouting: `meta nfproto ipv4 fib daddr type local jump forwards`
 * output:     `meta nfproto ipv4 fib daddr type local ip daddr != 127.0.0.0/8 jump forwards`
 * Each forward is one rule, found from both hooks; adding one appends one rule.
 */
static void forwards_jump(struct nft_batch *b, const char *table, const char *chain, bool loopback_too)
{
        static const struct net_cidr loopback = { .family = AF_INET, .prefixlen = 8, .addr.bytes = { 127 } };
        struct nft_rb rb;

        net_nft_rb_start(&rb, NFPROTO_INET, table, chain);
        net_nft_m_meta_u8(&rb, NFT_META_NFPROTO, NFPROTO_IPV4);
        net_nft_m_fib_daddr_local(&rb);
        if (!loopback_too)
                net_nft_m_cidr(&rb, NFT_PAYLOAD_NETWORK_HEADER, 16, &loopback, false);
        net_nft_e_verdict(&rb, NFT_JUMP, "forwards");
        net_nft_rb_put(b, &rb, "add the rule sending to the forwards in chain", chain, SIZE_MAX);
}

void net_nft_rules_inet(struct nft_batch *b, const char *table, const struct net_nft_ruleset *rs)
{
        if (rs->n_networks == 0)
                return;
        net_nft_batch_chain(b, NFPROTO_INET, table, "prerouting", "nat", NF_INET_PRE_ROUTING, -100);
        net_nft_batch_chain(b, NFPROTO_INET, table, "output", "nat", NF_INET_LOCAL_OUT, -100);
        net_nft_batch_chain(b, NFPROTO_INET, table, "postrouting", "nat", NF_INET_POST_ROUTING, 100);
        net_nft_batch_chain(b, NFPROTO_INET, table, "forward", "filter", NF_INET_FORWARD, 0);
        net_nft_batch_chain(b, NFPROTO_INET, table, "forwards", NULL, -1, 0);
        forwards_jump(b, table, "prerouting", true);
        forwards_jump(b, table, "output", false);
        for (size_t i = 0; i < rs->n_networks; i++) {
                const struct net_nft_network *n = &rs->networks[i];

                if (n->has_subnet4 && n->nat)
                        masquerade(b, table, n, i, false);
                if (n->has_subnet4)
                        masquerade(b, table, n, i, true);
                forward_accept(b, table, n, i);
        }
        for (size_t i = 0; i < rs->n_forwards; i++)
                net_nft_rules_forward(b, table, &rs->forwards[i], i);
}

/* ---- bridge TABLE: firewall groups ---- */

/* `meta l4proto L4 (icmp|icmpv6) type LO[-HI] return` */
static void icmp_pass(struct nft_batch *b, const char *table, const char *chain, uint8_t l4, uint8_t lo, uint8_t hi)
{
        struct nft_rb rb;

        net_nft_rb_start(&rb, NFPROTO_BRIDGE, table, chain);
        net_nft_m_meta_u8(&rb, NFT_META_L4PROTO, l4);
        net_nft_m_u8_range(&rb, 0, lo, hi);
        net_nft_e_verdict(&rb, NFT_RETURN, NULL);
        net_nft_rb_put(b, &rb, "add a fixed rule of group chain", chain, SIZE_MAX);
}

/* What passes every group in both directions before its rules. */
static void group_prologue(struct nft_batch *b, const char *table, const char *chain, bool in, bool stateful)
{
        uint16_t ip = htons(ETH_P_IP), ip6 = htons(ETH_P_IPV6);
        struct nft_rb rb;

        /* `meta protocol != { ip, ip6 } return`: ARP is anti-spoofing's business. */
        net_nft_rb_start(&rb, NFPROTO_BRIDGE, table, chain);
        net_nft_e_meta(&rb, NFT_META_PROTOCOL);
        net_nft_e_cmp(&rb, NFT_CMP_NEQ, &ip, 2);
        net_nft_e_cmp(&rb, NFT_CMP_NEQ, &ip6, 2);
        net_nft_e_verdict(&rb, NFT_RETURN, NULL);
        net_nft_rb_put(b, &rb, "add a fixed rule of group chain", chain, SIZE_MAX);

        net_nft_rb_start(&rb, NFPROTO_BRIDGE, table, chain);
        if (stateful)   /* `ct state established,related return` */
                net_nft_m_ct_any(&rb, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
        else            /* `tcp flags & (syn|ack) != syn return`: rules judge a connection's first SYN */
                net_nft_m_tcp_not_syn(&rb);
        net_nft_e_verdict(&rb, NFT_RETURN, NULL);
        net_nft_rb_put(b, &rb, "add a fixed rule of group chain", chain, SIZE_MAX);
        if (!stateful) {
                /* Echo replies and errors (unreachable, time exceeded, parameter problem). */
                icmp_pass(b, table, chain, IPPROTO_ICMP, 0, 0);
                icmp_pass(b, table, chain, IPPROTO_ICMP, 3, 3);
                icmp_pass(b, table, chain, IPPROTO_ICMP, 11, 12);
                icmp_pass(b, table, chain, IPPROTO_ICMPV6, 1, 4);
                icmp_pass(b, table, chain, IPPROTO_ICMPV6, 129, 129);
        }

        /* `meta protocol ip udp sport 67 udp dport 68 return` (in; 68 -> 67 out): DHCP. */
        net_nft_rb_start(&rb, NFPROTO_BRIDGE, table, chain);
        net_nft_m_meta_be16(&rb, NFT_META_PROTOCOL, ETH_P_IP);
        net_nft_m_meta_u8(&rb, NFT_META_L4PROTO, IPPROTO_UDP);
        net_nft_m_port_range(&rb, 0, in ? 67 : 68, in ? 67 : 68);
        net_nft_m_port_range(&rb, 2, in ? 68 : 67, in ? 68 : 67);
        net_nft_e_verdict(&rb, NFT_RETURN, NULL);
        net_nft_rb_put(b, &rb, "add a fixed rule of group chain", chain, SIZE_MAX);

        /* `icmpv6 type 133-137 return`: router and neighbour solicitations and advertisements, redirects. */
        icmp_pass(b, table, chain, IPPROTO_ICMPV6, 133, 137);
}

/* One user rule: `[meta protocol ip|ip6 ip[6] saddr|daddr PEER] [meta l4proto P [th dport LO-HI]] return|drop` */
static void group_rule(struct nft_batch *b, const char *table, const char *chain, const struct net_nft_rule *r,
                       size_t index, int family)
{
        bool v4 = family == AF_INET;
        struct nft_rb rb;

        net_nft_rb_start(&rb, NFPROTO_BRIDGE, table, chain);
        if (r->has_peer) {
                net_nft_m_meta_be16(&rb, NFT_META_PROTOCOL, v4 ? ETH_P_IP : ETH_P_IPV6);
                net_nft_m_cidr(&rb, NFT_PAYLOAD_NETWORK_HEADER, v4 ? (r->in ? 12 : 16) : (r->in ? 8 : 24), &r->peer,
                           true);
        }
        if (r->proto)
                net_nft_m_meta_u8(&rb, NFT_META_L4PROTO,
                              (uint8_t) (r->proto == IPPROTO_ICMP && !v4 ? IPPROTO_ICMPV6 : r->proto));
        if (r->port_lo)
                net_nft_m_port_range(&rb, 2, r->port_lo, r->port_hi ? r->port_hi : r->port_lo);
        net_nft_e_verdict(&rb, r->accept ? NFT_RETURN : NF_DROP, NULL);
        net_nft_rb_put(b, &rb, "add rule of group chain", chain, index);
}

static void group_chain(struct nft_batch *b, const char *table, const struct net_nft_group *g, bool in,
                        bool stateful)
{
        char chain[CHAIN_MAX];
        struct nft_rb rb;

        snprintf(chain, sizeof(chain), "%s-%s", in ? "in" : "out", g->name);
        group_prologue(b, table, chain, in, stateful);
        for (size_t i = 0; i < g->n_rules; i++) {
                const struct net_nft_rule *r = &g->rules[i];

                if (r->in != in)
                        continue;
                if (r->has_peer)
                        group_rule(b, table, chain, r, i, r->peer.family);
                else {
                        group_rule(b, table, chain, r, i, AF_INET);
                        /* ICMP without a peer means ICMP and ICMPv6. */
                        if (r->proto == IPPROTO_ICMP)
                                group_rule(b, table, chain, r, i, AF_INET6);
                }
        }
        if (!(in ? g->default_in_accept : g->default_out_accept)) {
                net_nft_rb_start(&rb, NFPROTO_BRIDGE, table, chain);
                net_nft_e_verdict(&rb, NF_DROP, NULL);
                net_nft_rb_put(b, &rb, "add the default of group chain", chain, SIZE_MAX);
        }
}

/* ---- bridge TABLE: anti-spoofing ---- */

/* `meta protocol PROTO [payload == v] [l4 sport 68 dport 67] return|drop` in chain. */
static void spoof_rule(struct nft_batch *b, const char *table, const char *chain, uint16_t proto, uint32_t off,
                       const void *v, size_t len, bool eq, bool dhcp, int verdict)
{
        struct nft_rb rb;

        net_nft_rb_start(&rb, NFPROTO_BRIDGE, table, chain);
        net_nft_m_meta_be16(&rb, NFT_META_PROTOCOL, proto);
        if (v)
                net_nft_m_bytes(&rb, NFT_PAYLOAD_NETWORK_HEADER, off, v, len, eq);
        if (dhcp) {
                net_nft_m_meta_u8(&rb, NFT_META_L4PROTO, IPPROTO_UDP);
                net_nft_m_port_range(&rb, 0, 68, 68);
                net_nft_m_port_range(&rb, 2, 67, 67);
        }
        net_nft_e_verdict(&rb, verdict, NULL);
        net_nft_rb_put(b, &rb, "add an anti-spoofing rule of port", chain + strlen("spoof-"), SIZE_MAX);
}

static void spoof_chain(struct nft_batch *b, const char *table, const struct net_nft_port *p)
{
        static const uint32_t any = 0;
        char chain[CHAIN_MAX];
        struct nft_rb rb;

        snprintf(chain, sizeof(chain), "spoof-%s", p->ifname);
        /* `ether saddr != MAC drop` */
        net_nft_rb_start(&rb, NFPROTO_BRIDGE, table, chain);
        net_nft_m_bytes(&rb, NFT_PAYLOAD_LL_HEADER, 6, p->mac, 6, false);
        net_nft_e_verdict(&rb, NF_DROP, NULL);
        net_nft_rb_put(b, &rb, "add an anti-spoofing rule of port", p->ifname, SIZE_MAX);
        /* VLAN tags would carry frames past the checks below. */
        spoof_rule(b, table, chain, ETH_P_8021Q, 0, NULL, 0, false, false, NF_DROP);
        spoof_rule(b, table, chain, ETH_P_8021AD, 0, NULL, 0, false, false, NF_DROP);
        /* ARP: `arp saddr ether != MAC drop`, `arp saddr ip IP return` (and 0.0.0.0, probes), else drop. */
        spoof_rule(b, table, chain, ETH_P_ARP, 8, p->mac, 6, false, false, NF_DROP);
        for (size_t i = 0; i < p->n_ip4; i++)
                spoof_rule(b, table, chain, ETH_P_ARP, 14, &p->ip4[i].s_addr, 4, true, false, NFT_RETURN);
        spoof_rule(b, table, chain, ETH_P_ARP, 14, &any, 4, true, false, NFT_RETURN);
        spoof_rule(b, table, chain, ETH_P_ARP, 0, NULL, 0, false, false, NF_DROP);
        /* IPv4: `ip saddr IP return`, 0.0.0.0 for DHCP requests only, else drop. */
        for (size_t i = 0; i < p->n_ip4; i++)
                spoof_rule(b, table, chain, ETH_P_IP, 12, &p->ip4[i].s_addr, 4, true, false, NFT_RETURN);
        spoof_rule(b, table, chain, ETH_P_IP, 12, &any, 4, true, true, NFT_RETURN);
        spoof_rule(b, table, chain, ETH_P_IP, 0, NULL, 0, false, false, NF_DROP);
}

/* `iifname|oifname PORT jump CHAIN` in base chain base. */
static void dispatch(struct nft_batch *b, const char *table, const char *base, uint32_t key, const char *port,
                     const char *prefix, const char *name, size_t index)
{
        char chain[CHAIN_MAX];
        struct nft_rb rb;

        snprintf(chain, sizeof(chain), "%s-%s", prefix, name);
        net_nft_rb_start(&rb, NFPROTO_BRIDGE, table, base);
        net_nft_m_ifname(&rb, key, port, true);
        net_nft_e_verdict(&rb, NFT_JUMP, chain);
        net_nft_rb_put(b, &rb, "add the rule sending port", port, index);
}

void net_nft_rules_bridge(struct nft_batch *b, const char *table, const struct net_nft_ruleset *rs, bool stateful)
{
        bool spoof = false, fw = false;
        char chain[CHAIN_MAX];

        for (size_t i = 0; i < rs->n_groups; i++)
                for (int in = 0; in < 2; in++) {
                        snprintf(chain, sizeof(chain), "%s-%s", in ? "in" : "out", rs->groups[i].name);
                        net_nft_batch_chain(b, NFPROTO_BRIDGE, table, chain, NULL, -1, 0);
                }
        for (size_t i = 0; i < rs->n_ports; i++) {
                spoof |= rs->ports[i].antispoof;
                fw |= rs->ports[i].group != NULL;
                if (rs->ports[i].antispoof) {
                        snprintf(chain, sizeof(chain), "spoof-%s", rs->ports[i].ifname);
                        net_nft_batch_chain(b, NFPROTO_BRIDGE, table, chain, NULL, -1, 0);
                }
        }
        if (spoof)
                net_nft_batch_chain(b, NFPROTO_BRIDGE, table, "prerouting", "filter", NF_INET_PRE_ROUTING, -300);
        if (fw) {
                net_nft_batch_chain(b, NFPROTO_BRIDGE, table, "forward", "filter", NF_INET_FORWARD, 0);
                net_nft_batch_chain(b, NFPROTO_BRIDGE, table, "input", "filter", NF_INET_LOCAL_IN, 0);
                net_nft_batch_chain(b, NFPROTO_BRIDGE, table, "output", "filter", NF_INET_LOCAL_OUT, 0);
        }
        for (size_t i = 0; i < rs->n_groups; i++) {
                group_chain(b, table, &rs->groups[i], true, stateful);
                group_chain(b, table, &rs->groups[i], false, stateful);
        }
        for (size_t i = 0; i < rs->n_ports; i++) {
                const struct net_nft_port *p = &rs->ports[i];

                if (p->antispoof) {
                        spoof_chain(b, table, p);
                        dispatch(b, table, "prerouting", NFT_META_IIFNAME, p->ifname, "spoof", p->ifname, i);
                }
                if (p->group) {
                        /* From the port: its out rules; to it: its in rules (bridged, and to/from the host). */
                        dispatch(b, table, "forward", NFT_META_IIFNAME, p->ifname, "out", p->group, i);
                        dispatch(b, table, "forward", NFT_META_OIFNAME, p->ifname, "in", p->group, i);
                        dispatch(b, table, "input", NFT_META_IIFNAME, p->ifname, "out", p->group, i);
                        dispatch(b, table, "output", NFT_META_OIFNAME, p->ifname, "in", p->group, i);
                }
        }
}

void net_nft_rules_ct_probe(struct nft_batch *b, const char *table)
{
        struct nft_rb rb;

        net_nft_batch_table(b, NFT_MSG_NEWTABLE, NFPROTO_BRIDGE, table);
        net_nft_batch_chain(b, NFPROTO_BRIDGE, table, "ct-probe", NULL, -1, 0);
        net_nft_rb_start(&rb, NFPROTO_BRIDGE, table, "ct-probe");
        net_nft_m_ct_any(&rb, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED));
        net_nft_e_verdict(&rb, NFT_RETURN, NULL);
        net_nft_rb_put(b, &rb, "probe bridge conntrack", NULL, SIZE_MAX);
}
