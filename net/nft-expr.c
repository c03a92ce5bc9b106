/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The small pieces nftables batches are made of, over libnftnl: the batch
 * itself (libnftnl's pages plus what each message does, so that a refusal
 * by the kernel can be named), tables, chains, rules, and the expressions
 * of rules with the matches barevirt builds from them. Matches produce the
 * same bytecode `nft` produces for the equivalent text (checked with
 * `nft --debug=netlink`), so `nft list` prints our rules as rules, not as
 * raw payload expressions.
 *
 * Invariants: building never fails half way. The first allocation failure
 * is remembered (nft_batch.error, nft_rb.oom) and every later step does
 * nothing, so callers build a whole batch and check once. Every load goes
 * to register 1; only NAT's port uses register 2.
 */
#include "net/net-internal.h"   /* first: netinet/in.h before linux/in.h */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>


/* Records what the message about to be added does; false when out of memory. */
static bool batch_note(struct nft_batch *b, const char *what, const char *name, size_t index)
{
        if (b->error < 0)
                return false;
        if (b->n == b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 64;
                struct nft_msg_what *w = realloc(b->whats, cap * sizeof(*w));
                if (!w) {
                        b->error = -ENOMEM;
                        return false;
                }
                b->whats = w;
                b->cap = cap;
        }
        struct nft_msg_what *w = &b->whats[b->n++];
        w->what = what;
        w->index = index;
        snprintf(w->name, sizeof(w->name), "%s", name ? name : "");
        return true;
}

/* Ends the message just built: the next one starts on a fresh page if needed. */
static void batch_next(struct nft_batch *b)
{
        b->seq++;
        if (nftnl_batch_update(b->b) < 0)
                b->error = -ENOMEM;
}

int net_nft_batch_init(struct nft_batch *b, uint32_t seq, uint32_t genid)
{
        struct nlmsghdr *nlh;

        *b = (struct nft_batch) { .seq0 = seq, .seq = seq };
        b->b = nftnl_batch_alloc(MNL_SOCKET_BUFFER_SIZE, MNL_SOCKET_BUFFER_SIZE);
        if (!b->b)
                return -ENOMEM;
        if (!batch_note(b, "commit the batch", NULL, SIZE_MAX))
                return b->error;
        /* A failed commit is reported against the begin message's sequence number. */
        nlh = nftnl_batch_begin(nftnl_batch_buffer(b->b), b->seq);
        /* The kernel refuses the batch (-ERESTART) if the ruleset is no longer generation genid. */
        if (genid)
                mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
        batch_next(b);
        return b->error;
}

void net_nft_batch_finish(struct nft_batch *b)
{
        if (!batch_note(b, "end the batch", NULL, SIZE_MAX))
                return;
        nftnl_batch_end(nftnl_batch_buffer(b->b), b->seq);
        batch_next(b);
}

void net_nft_batch_clear(struct nft_batch *b)
{
        if (b->b)
                nftnl_batch_free(b->b);
        free(b->whats);
        *b = (struct nft_batch) { 0 };
}

void net_nft_batch_table(struct nft_batch *b, uint16_t type, int family, const char *table)
{
        struct nftnl_table *t;
        struct nlmsghdr *nlh;

        if (!batch_note(b, type == NFT_MSG_NEWTABLE ? "add table" : "delete table", NULL, SIZE_MAX))
                return;
        t = nftnl_table_alloc();
        if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, table) < 0) {
                nftnl_table_free(t);
                b->error = -ENOMEM;
                return;
        }
        nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, (uint32_t) family);
        nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b->b), type, (uint16_t) family,
                                    type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0, b->seq);
        nftnl_table_nlmsg_build_payload(nlh, t);
        nftnl_table_free(t);
        batch_next(b);
}

void net_nft_batch_chain(struct nft_batch *b, int family, const char *table, const char *chain, const char *type,
                     int hook, int prio)
{
        struct nftnl_chain *c;
        struct nlmsghdr *nlh;

        if (!batch_note(b, "add chain", chain, SIZE_MAX))
                return;
        c = nftnl_chain_alloc();
        if (!c || nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table) < 0 ||
            nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain) < 0 ||
            (hook >= 0 && nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type) < 0)) {
                nftnl_chain_free(c);
                b->error = -ENOMEM;
                return;
        }
        nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, (uint32_t) family);
        if (hook >= 0) {
                nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t) hook);
                nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
                nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
        }
        nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b->b), NFT_MSG_NEWCHAIN, (uint16_t) family,
                                    NLM_F_CREATE, b->seq);
        nftnl_chain_nlmsg_build_payload(nlh, c);
        nftnl_chain_free(c);
        batch_next(b);
}

void net_nft_rb_start(struct nft_rb *rb, int family, const char *table, const char *chain)
{
        rb->oom = false;
        rb->rule = nftnl_rule_alloc();
        if (!rb->rule || nftnl_rule_set_str(rb->rule, NFTNL_RULE_TABLE, table) < 0 ||
            nftnl_rule_set_str(rb->rule, NFTNL_RULE_CHAIN, chain) < 0) {
                rb->oom = true;
                return;
        }
        nftnl_rule_set_u32(rb->rule, NFTNL_RULE_FAMILY, (uint32_t) family);
}

void net_nft_rb_put(struct nft_batch *b, struct nft_rb *rb, const char *what, const char *name, size_t index)
{
        struct nlmsghdr *nlh;

        if (rb->oom)
                b->error = -ENOMEM;
        if (batch_note(b, what, name, index)) {
                nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b->b), NFT_MSG_NEWRULE,
                                            (uint16_t) nftnl_rule_get_u32(rb->rule, NFTNL_RULE_FAMILY),
                                            NLM_F_CREATE | NLM_F_APPEND, b->seq);
                nftnl_rule_nlmsg_build_payload(nlh, rb->rule);
                batch_next(b);
        }
        if (rb->rule)
                nftnl_rule_free(rb->rule);
        rb->rule = NULL;
}

/* A new expression of kind name, or NULL (rb marked) when out of memory or already failed. */
static struct nftnl_expr *expr_new(struct nft_rb *rb, const char *name)
{
        struct nftnl_expr *e;

        if (rb->oom)
                return NULL;
        e = nftnl_expr_alloc(name);
        if (!e)
                rb->oom = true;
        return e;
}

/* Adds e to the rule; a failed setter along the way counts as out of memory. */
static void expr_add(struct nft_rb *rb, struct nftnl_expr *e, bool ok)
{
        if (!ok) {
                nftnl_expr_free(e);
                rb->oom = true;
                return;
        }
        nftnl_rule_add_expr(rb->rule, e);
}

void net_nft_e_meta(struct nft_rb *rb, uint32_t key)
{
        struct nftnl_expr *e = expr_new(rb, "meta");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
        expr_add(rb, e, true);
}

void net_nft_e_cmp(struct nft_rb *rb, uint32_t op, const void *data, size_t len)
{
        struct nftnl_expr *e = expr_new(rb, "cmp");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
        expr_add(rb, e, nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, (uint32_t) len) == 0);
}

void net_nft_e_payload(struct nft_rb *rb, uint32_t base, uint32_t offset, uint32_t len)
{
        struct nftnl_expr *e = expr_new(rb, "payload");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
        expr_add(rb, e, true);
}

/* Register 1 = register 1 & mask (len bytes). */
static void e_and(struct nft_rb *rb, const void *mask, size_t len)
{
        static const uint8_t zero[16];
        struct nftnl_expr *e = expr_new(rb, "bitwise");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, (uint32_t) len);
        expr_add(rb, e, nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, (uint32_t) len) == 0 &&
                        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, (uint32_t) len) == 0);
}

void net_nft_e_ct(struct nft_rb *rb, uint32_t key)
{
        struct nftnl_expr *e = expr_new(rb, "ct");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
        expr_add(rb, e, true);
}

void net_nft_e_verdict(struct nft_rb *rb, int verdict, const char *chain)
{
        struct nftnl_expr *e = expr_new(rb, "immediate");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t) verdict);
        expr_add(rb, e, !chain || nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) == 0);
}

/* Loads len bytes of data into register reg. */
static void e_imm(struct nft_rb *rb, uint32_t reg, const void *data, size_t len)
{
        struct nftnl_expr *e = expr_new(rb, "immediate");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
        expr_add(rb, e, nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, (uint32_t) len) == 0);
}

void net_nft_e_dnat4(struct nft_rb *rb, struct in_addr to, uint16_t port)
{
        uint16_t be = htons(port);
        struct nftnl_expr *e;

        e_imm(rb, NFT_REG_1, &to.s_addr, sizeof(to.s_addr));
        e_imm(rb, NFT_REG_2, &be, sizeof(be));
        e = expr_new(rb, "nat");
        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
        expr_add(rb, e, true);
}

void net_nft_e_masq(struct nft_rb *rb)
{
        struct nftnl_expr *e = expr_new(rb, "masq");

        if (e)
                expr_add(rb, e, true);
}

void net_nft_m_meta_u8(struct nft_rb *rb, uint32_t key, uint8_t v)
{
        net_nft_e_meta(rb, key);
        net_nft_e_cmp(rb, NFT_CMP_EQ, &v, sizeof(v));
}

void net_nft_m_meta_be16(struct nft_rb *rb, uint32_t key, uint16_t v)
{
        uint16_t be = htons(v);

        net_nft_e_meta(rb, key);
        net_nft_e_cmp(rb, NFT_CMP_EQ, &be, sizeof(be));
}

void net_nft_m_ifname(struct nft_rb *rb, uint32_t key, const char *name, bool eq)
{
        char buf[IFNAMSIZ] = { 0 };

        /* The kernel compares the whole zero-padded IFNAMSIZ field, as nft does. */
        strncpy(buf, name, sizeof(buf) - 1);
        net_nft_e_meta(rb, key);
        net_nft_e_cmp(rb, eq ? NFT_CMP_EQ : NFT_CMP_NEQ, buf, sizeof(buf));
}

void net_nft_m_bytes(struct nft_rb *rb, uint32_t base, uint32_t offset, const void *v, size_t len, bool eq)
{
        net_nft_e_payload(rb, base, offset, (uint32_t) len);
        net_nft_e_cmp(rb, eq ? NFT_CMP_EQ : NFT_CMP_NEQ, v, len);
}

void net_nft_m_cidr(struct nft_rb *rb, uint32_t base, uint32_t offset, const struct net_cidr *c, bool eq)
{
        size_t len = c->family == AF_INET ? 4 : 16;
        uint8_t mask[16] = { 0 }, addr[16];

        for (unsigned i = 0; i < c->prefixlen && i < len * 8; i++)
                mask[i / 8] |= (uint8_t) (0x80 >> (i % 8));
        for (size_t i = 0; i < len; i++)
                addr[i] = c->addr.bytes[i] & mask[i];
        net_nft_e_payload(rb, base, offset, (uint32_t) len);
        if (c->prefixlen < len * 8)
                e_and(rb, mask, len);
        net_nft_e_cmp(rb, eq ? NFT_CMP_EQ : NFT_CMP_NEQ, addr, len);
}

void net_nft_m_port_range(struct nft_rb *rb, uint32_t offset, uint16_t lo, uint16_t hi)
{
        uint16_t blo = htons(lo), bhi = htons(hi);

        net_nft_e_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2);
        if (lo == hi) {
                net_nft_e_cmp(rb, NFT_CMP_EQ, &blo, 2);
                return;
        }
        net_nft_e_cmp(rb, NFT_CMP_GTE, &blo, 2);
        net_nft_e_cmp(rb, NFT_CMP_LTE, &bhi, 2);
}

void net_nft_m_u8_range(struct nft_rb *rb, uint32_t offset, uint8_t lo, uint8_t hi)
{
        net_nft_e_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, offset, 1);
        if (lo == hi) {
                net_nft_e_cmp(rb, NFT_CMP_EQ, &lo, 1);
                return;
        }
        net_nft_e_cmp(rb, NFT_CMP_GTE, &lo, 1);
        net_nft_e_cmp(rb, NFT_CMP_LTE, &hi, 1);
}

void net_nft_m_ct_any(struct nft_rb *rb, uint32_t key, uint32_t bits)
{
        uint32_t zero = 0;

        net_nft_e_ct(rb, key);
        e_and(rb, &bits, sizeof(bits));
        net_nft_e_cmp(rb, NFT_CMP_NEQ, &zero, sizeof(zero));
}

void net_nft_m_fib_daddr_local(struct nft_rb *rb)
{
        uint32_t local = RTN_LOCAL;
        struct nftnl_expr *e = expr_new(rb, "fib");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
        expr_add(rb, e, true);
        net_nft_e_cmp(rb, NFT_CMP_EQ, &local, sizeof(local));
}

void net_nft_m_tcp_not_syn(struct nft_rb *rb)
{
        const uint8_t syn = 0x02, syn_ack = 0x12;

        net_nft_m_meta_u8(rb, NFT_META_L4PROTO, IPPROTO_TCP);
        net_nft_e_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1);
        e_and(rb, &syn_ack, 1);
        net_nft_e_cmp(rb, NFT_CMP_NEQ, &syn, 1);
}
