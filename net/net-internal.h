/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by the files of net/: the context layout, the netlink
 * request/ack/dump helpers of nl.c and the message builders that the unit
 * tests check without a kernel. Not for use outside net/ and its tests.
 */
#pragma once

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "net/net.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000     /* linux/if.h; clashes with net/if.h */
#endif

/* Request buffers live on the stack; dumps are received in one of these. */
#define NET_MSG_BUF 8192
#define NET_RECV_BUF 32768

struct net_ctx {
        struct mnl_socket *nl;
        uint32_t portid;
        uint32_t seq;
        int netns_fd;           /* -1: the namespace the ctx was made in */
};

/*
 * Switches the calling thread into netns_fd (no-op when < 0), saving the
 * current namespace in *ret_saved (-1 when nothing was switched).
 * net_ns_leave() switches back and closes the saved fd.
 */
int net_ns_enter(int netns_fd, int *ret_saved, struct bv_error *err);
void net_ns_leave(int saved);

/* Opens a netlink socket (NETLINK_ROUTE, ext acks, capped acks) in the current namespace. */
int net_nl_open(struct mnl_socket **ret, uint32_t groups, struct bv_error *err);

/*
 * Sends nlh (NLM_F_ACK is added, the sequence number set) and reads until
 * the ack or NLMSG_DONE; cb (may be NULL) sees each data message. On a
 * kernel error, err gets "<prefix>: <kernel ext-ack text or strerror>",
 * where prefix is printf(fmt, ...). Returns 0 or -errno.
 */
int net_nl_talk(struct net_ctx *ctx, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
                struct bv_error *err, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/*
 * Sends the n messages of buf/len in one sendmsg (each already carrying
 * NLM_F_ACK and consecutive sequence numbers starting at first_seq) and
 * collects the n acks. The first error is returned; *ret_failed (if not
 * NULL) says which message failed. Returns 0 or -errno.
 */
int net_nl_batch(struct net_ctx *ctx, const void *buf, size_t len, size_t n, uint32_t first_seq,
                 size_t *ret_failed, struct bv_error *err);

/* Builds an RTM_NEWLINK/RTM_SETLINK/... header with an ifinfomsg. */
struct nlmsghdr *net_msg_link(void *buf, uint16_t type, uint16_t flags, int family, int index);

/* What every new link of ours may carry (zero/NULL: not set). */
struct net_newlink {
        const char *name;
        const char *kind;       /* IFLA_INFO_KIND */
        bool up;
        unsigned mtu;
        const uint8_t *mac;     /* 6 bytes */
        int master;             /* ifindex */
        uint32_t group;
};

/*
 * Starts an exclusive RTM_NEWLINK in buf (NET_MSG_BUF) for l and opens its
 * IFLA_LINKINFO nest with the kind; the caller adds IFLA_INFO_DATA if any and
 * ends *ret_info. Returns 0 or -EMSGSIZE.
 */
int net_msg_newlink(void *buf, const struct net_newlink *l, struct nlmsghdr **ret, struct nlattr **ret_info);

/*
 * Builders checked by the unit tests. All write into buf (NET_MSG_BUF) and
 * return -EMSGSIZE when attributes do not fit.
 */
int net_msg_bridge_new(void *buf, const char *name, const struct net_bridge_opts *opts,
                       struct nlmsghdr **ret);
int net_msg_veth_new(void *buf, const char *name, const struct net_veth_opts *opts, int master,
                     struct nlmsghdr **ret);
int net_msg_vlan(void *buf, uint16_t type, int index, const uint16_t *vids,
                 const uint16_t *vflags, size_t n, struct nlmsghdr **ret);
int net_msg_addr(void *buf, uint16_t type, int index, const struct net_cidr *c,
                 struct nlmsghdr **ret);

/* ---- tc messages of rate limits (tc.c) ---- */

#define NET_TC_RTAB_CELLS 256   /* cells of a tc rate table (TCA_TBF_RTAB) */

/* A tbf qdisc, in bytes and bytes per second. */
struct net_tbf {
        uint64_t rate;
        uint32_t burst;         /* bucket size */
        uint32_t limit;         /* queue: bytes waiting for tokens */
};

/*
 * Psched ticks per microsecond from a /proc/net/psched line, computed as
 * tc(8) does (15.625 on kernels with 64 ns ticks). Returns 0 or -EINVAL.
 * net_tc_psched_read() reads the file (errors in err).
 */
int net_tc_psched_parse(const char *line, double *ret_ticks_per_usec);
int net_tc_psched_read(double *ret_ticks_per_usec, struct bv_error *err);

/* iproute2's tc_calc_xmittime: ticks to send size bytes at rate; saturates at UINT32_MAX. */
uint32_t net_tc_xmittime(uint64_t rate, uint64_t size, double ticks_per_usec);

/* iproute2's tc_calc_rtable for the default MTU (no MPU, Ethernet); returns the cell_log (3). */
unsigned net_tc_rate_table(uint64_t rate, double ticks_per_usec, uint32_t rtab[NET_TC_RTAB_CELLS]);

/* Starts a tc request (RTM_*QDISC, RTM_*TFILTER) with its tcmsg in buf (NET_MSG_BUF). */
struct nlmsghdr *net_msg_tc(void *buf, uint16_t type, uint16_t flags, int ifindex, uint32_t parent,
                            uint32_t handle, uint32_t info);

/*
 * tc builders, into buf (NET_MSG_BUF), -EMSGSIZE when attributes do not fit:
 * the tbf root qdisc 1: of ifindex (create or replace), its ingress qdisc
 * (exclusive), and a u32 match-all filter on that ingress (priority 1, all
 * protocols) whose mirred action redirects every packet to the egress of
 * to_ifindex.
 */
int net_msg_tbf(void *buf, int ifindex, const struct net_tbf *t, double ticks_per_usec, struct nlmsghdr **ret);
int net_msg_ingress(void *buf, int ifindex, struct nlmsghdr **ret);
int net_msg_redirect(void *buf, int ifindex, int to_ifindex, struct nlmsghdr **ret);

/* Validates that a name fits and is acceptable to the kernel, naming what it is. */
int net_name_check_what(const char *name, const char *what, struct bv_error *err);

/* Parses a bare IPv4/IPv6 address (no prefix). */
int net_ip_parse(const char *s, struct net_cidr *ret, struct bv_error *err);

/* ---- nftables internals (nft.c, nft-expr.c, nft-rules.c, nft-check.c) ---- */

struct nftnl_batch;
struct nftnl_rule;

/* What one message of a batch does, to name it when the kernel refuses it. */
struct nft_msg_what {
        const char *what;               /* "add rule of forward", "add chain", ... */
        char name[72];                  /* a chain, group or port name (copied: callers build it on their stack), or "" */
        size_t index;                   /* of the forward, network, port or rule; SIZE_MAX: none */
};

/*
 * A batch being built: libnftnl's pages, the sequence numbers, one
 * nft_msg_what per message (the batch's begin and end included). Building
 * never fails half way: the first error is kept in error and every later
 * step does nothing.
 */
struct nft_batch {
        struct nftnl_batch *b;
        uint32_t seq0, seq;             /* first and next sequence number */
        struct nft_msg_what *whats;
        size_t n, cap;
        int error;                      /* 0 or -ENOMEM */
};

/* A rule being built: expressions load into register 1 (2 for NAT's port). */
struct nft_rb {
        struct nftnl_rule *rule;
        bool oom;
};

/* Starts b at sequence seq with a batch begin carrying genid (0: none). */
int net_nft_batch_init(struct nft_batch *b, uint32_t seq, uint32_t genid);
/* Adds the batch end: b is ready to send. */
void net_nft_batch_finish(struct nft_batch *b);
void net_nft_batch_clear(struct nft_batch *b);

/* NFT_MSG_NEWTABLE or NFT_MSG_DELTABLE for family/table. */
void net_nft_batch_table(struct nft_batch *b, uint16_t type, int family, const char *table);
/* A base chain (hook >= 0, policy accept) or a regular chain (hook < 0, type NULL). */
void net_nft_batch_chain(struct nft_batch *b, int family, const char *table, const char *chain, const char *type,
                     int hook, int prio);

/* Starts a rule appended to family/table/chain. */
void net_nft_rb_start(struct nft_rb *rb, int family, const char *table, const char *chain);
/* Adds rb's rule to b (and frees it), described by what/name/index. */
void net_nft_rb_put(struct nft_batch *b, struct nft_rb *rb, const char *what, const char *name, size_t index);

/* Expressions (nft-expr.c); values are in network byte order unless said. */
void net_nft_e_meta(struct nft_rb *rb, uint32_t key);
void net_nft_e_cmp(struct nft_rb *rb, uint32_t op, const void *data, size_t len);
void net_nft_e_payload(struct nft_rb *rb, uint32_t base, uint32_t offset, uint32_t len);
void net_nft_e_ct(struct nft_rb *rb, uint32_t key);
void net_nft_e_verdict(struct nft_rb *rb, int verdict, const char *chain);
void net_nft_e_dnat4(struct nft_rb *rb, struct in_addr to, uint16_t port);
void net_nft_e_masq(struct nft_rb *rb);

/* Matches built from them. */
void net_nft_m_meta_u8(struct nft_rb *rb, uint32_t key, uint8_t v);         /* nfproto, l4proto */
void net_nft_m_meta_be16(struct nft_rb *rb, uint32_t key, uint16_t v);      /* protocol (ethertype), host order in */
void net_nft_m_ifname(struct nft_rb *rb, uint32_t key, const char *name, bool eq);
void net_nft_m_cidr(struct nft_rb *rb, uint32_t base, uint32_t offset, const struct net_cidr *c, bool eq);
void net_nft_m_bytes(struct nft_rb *rb, uint32_t base, uint32_t offset, const void *v, size_t len, bool eq);
void net_nft_m_port_range(struct nft_rb *rb, uint32_t offset, uint16_t lo, uint16_t hi); /* transport header, host order */
void net_nft_m_u8_range(struct nft_rb *rb, uint32_t offset, uint8_t lo, uint8_t hi);     /* transport header */
void net_nft_m_ct_any(struct nft_rb *rb, uint32_t key, uint32_t bits);      /* ct KEY & bits != 0 */
void net_nft_m_fib_daddr_local(struct nft_rb *rb);
void net_nft_m_tcp_not_syn(struct nft_rb *rb);                             /* tcp flags & (syn|ack) != syn */

/* The rules (nft-rules.c). */
void net_nft_rules_inet(struct nft_batch *b, const char *table, const struct net_nft_ruleset *rs);
void net_nft_rules_forward(struct nft_batch *b, const char *table, const struct net_nft_forward *f, size_t index);
void net_nft_rules_bridge(struct nft_batch *b, const char *table, const struct net_nft_ruleset *rs, bool stateful);
/* A rule of `bridge TABLE` using ct, in a chain made for it (the probe of bridge conntrack). */
void net_nft_rules_ct_probe(struct nft_batch *b, const char *table);

/*
 * The ruleset without its forwards as bytes (nft-check.c): two rulesets
 * with equal keys differ in forwards only. *ret is malloc'ed. 0 or -ENOMEM.
 */
int net_nft_ruleset_key(const struct net_nft_ruleset *rs, char **ret, size_t *ret_len);
/* Whether a and b are the same forward (bridge names compared as strings). */
bool net_nft_forward_equal(const struct net_nft_forward *a, const struct net_nft_forward *b);
/* Formats f as "tcp 10.0.0.1:80 -> 10.1.0.2:8080" ("*" for any address). */
const char *net_nft_forward_format(const struct net_nft_forward *f, char *buf, size_t len);
/* The what of a forward's rule: index is the forward's. */
extern const char net_nft_what_forward[];
/*
 * The error an NLMSG_ERROR message carries (nl.c): 0 for an ack, the
 * kernel's -errno, or -EPROTO when too short. *msg: the ext-ack text or NULL.
 */
int net_nl_parse_error(const struct nlmsghdr *nlh, const char **msg);
