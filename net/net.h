/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net/: links, bridges, taps, veths, addresses, routes, bridge VLANs, link
 * events and port rate limits (tc), spoken to the kernel over rtnetlink
 * with libmnl. Nothing here runs `ip`, `bridge` or `tc`.
 *
 * A struct net_ctx holds one netlink socket and its sequence counter. Each
 * caller makes its own (no singletons); a context may live inside another
 * network namespace, given by fd or path, and then every operation on it
 * acts inside that namespace. Contexts are not thread-safe; calls block for
 * one netlink round trip (tens of microseconds; deleting a link waits for
 * the kernel's RCU grace period, about 16 ms).
 *
 * Errors: every function returns >= 0 or -errno and fills the optional
 * caller-owned struct bv_error. When the kernel sent an extended ack, its
 * text is kept in the message. Every operation either completes or leaves
 * the links as they were (multi-step operations roll back what they made).
 *
 * Names: link names are validated like the kernel does (1-15 bytes, no '/',
 * ':' or whitespace, not "." or "..") before anything is sent.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>

#include "common/common.h"

struct bv_loop;
struct net_ctx;

/* ---- context ------------------------------------------------------------ */

/*
 * Opens a netlink context in the caller's network namespace (netns_fd < 0)
 * or inside the namespace netns_fd refers to (the fd is duplicated; entering
 * it needs CAP_SYS_ADMIN). The socket is close-on-exec and has extended acks
 * enabled. Returns 0 and *ret, or -errno.
 */
int net_ctx_new(int netns_fd, struct net_ctx **ret, struct bv_error *err);

/* Like net_ctx_new() for a namespace file such as /run/netns/NAME. */
int net_ctx_new_path(const char *netns_path, struct net_ctx **ret, struct bv_error *err);

/* Closes the socket and frees ctx. NULL accepted; returns NULL. */
struct net_ctx *net_ctx_free(struct net_ctx *ctx);

/* ---- parsing (no kernel involved) -------------------------------------- */

/* Checks a link name as the kernel would. 0 or -EINVAL with a clear message. */
int net_name_check(const char *name, struct bv_error *err);

struct net_cidr {
        int family;             /* AF_INET or AF_INET6 */
        uint8_t prefixlen;
        union {
                struct in_addr v4;
                struct in6_addr v6;
                uint8_t bytes[16];
        } addr;
};

/*
 * Parses "ADDR/LEN" (IPv4 or IPv6). With require_prefix false, a bare
 * address means a host prefix (/32 or /128). "default" is refused here; see
 * net_route_add(). Returns 0 or -EINVAL with a message naming what is wrong.
 */
int net_cidr_parse(const char *s, bool require_prefix, struct net_cidr *ret, struct bv_error *err);

/* Formats c as "ADDR/LEN" into buf (at least INET6_ADDRSTRLEN + 4 bytes). */
const char *net_cidr_format(const struct net_cidr *c, char *buf, size_t len);

/* Parses "aa:bb:cc:dd:ee:ff". Returns 0 or -EINVAL. */
int net_mac_parse(const char *s, uint8_t mac[6], struct bv_error *err);

/* ---- links (link.c) ------------------------------------------------------ */

struct net_link {
        int index;
        char name[IFNAMSIZ];
        char kind[16];          /* "bridge", "veth", "tun", ... ; "" if none */
        unsigned flags;         /* IFF_* */
        bool up;                /* IFF_UP (administrative state) */
        bool carrier;           /* IFF_LOWER_UP */
        int master;             /* ifindex of the master, 0 if none */
        unsigned mtu;
        uint32_t group;
        bool has_mac;
        uint8_t mac[6];
        uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets, rx_dropped, tx_dropped;
};

/* Resolves name to its ifindex (> 0) or -ENODEV with "No link named '...'". */
int net_link_index(struct net_ctx *ctx, const char *name, struct bv_error *err);

/* Fills *ret for one link. -ENODEV when it does not exist. */
int net_link_get(struct net_ctx *ctx, const char *name, struct net_link *ret, struct bv_error *err);

/*
 * Lists every link of the namespace. *ret is a malloc'ed array the caller
 * frees; *ret_n its length. At most 65536 links. Returns 0 or -errno.
 */
int net_link_list(struct net_ctx *ctx, struct net_link **ret, size_t *ret_n, struct bv_error *err);

/* Administrative state up (true) or down. */
int net_link_set_up(struct net_ctx *ctx, const char *name, bool up, struct bv_error *err);
int net_link_set_mtu(struct net_ctx *ctx, const char *name, unsigned mtu, struct bv_error *err);
/* Enslaves name to master, or frees it from its master when master is NULL. */
int net_link_set_master(struct net_ctx *ctx, const char *name, const char *master, struct bv_error *err);
int net_link_rename(struct net_ctx *ctx, const char *name, const char *new_name, struct bv_error *err);
int net_link_set_mac(struct net_ctx *ctx, const char *name, const uint8_t mac[6], struct bv_error *err);
/* Sets the link group (for batched teardown with net_link_delete_group()). */
int net_link_set_group(struct net_ctx *ctx, const char *name, uint32_t group, struct bv_error *err);
/* Moves name into the namespace netns_fd refers to (the link leaves ctx's). */
int net_link_set_netns(struct net_ctx *ctx, const char *name, int netns_fd, struct bv_error *err);

/* Deletes one link (both ends of a veth pair). Blocks ~16 ms (RCU). */
int net_link_delete(struct net_ctx *ctx, const char *name, struct bv_error *err);

/*
 * Deletes every link of group (not 0, the default group) in one request:
 * the kernel unregisters them together and waits for one grace period, so
 * 200 links cost about as much as one. Returns 0 (also when the group was
 * empty) or -errno; group 0 is refused with -EINVAL.
 */
int net_link_delete_group(struct net_ctx *ctx, uint32_t group, struct bv_error *err);

/*
 * Deletes n links at once: moves them into a fresh, unused group with one
 * batch of messages, then deletes that group in one request. Names that do
 * not exist give -ENODEV before anything changes. Returns 0 or -errno.
 */
int net_link_delete_many(struct net_ctx *ctx, const char *const *names, size_t n, struct bv_error *err);

/* ---- bridges (bridge.c) ------------------------------------------------- */

struct net_bridge_opts {
        unsigned mtu;                   /* 0: kernel default */
        const uint8_t *mac;             /* NULL: random */
        bool vlan_filtering;
        bool stp;                       /* false (default): STP off */
        bool up;
        uint32_t group;                 /* 0: default group */
        const char *const *addresses;   /* CIDRs to add, NULL-terminated; may be NULL */
};

/*
 * Creates bridge name with opts (NULL: defaults) in one RTM_NEWLINK, then
 * adds the addresses. If any step fails the bridge is deleted again and
 * the error names the step. -EEXIST if a link of that name exists.
 */
int net_link_add_bridge(struct net_ctx *ctx, const char *name, const struct net_bridge_opts *opts,
                        struct bv_error *err);

/*
 * Pins a bridge's MTU. The kernel treats an MTU given at creation (or "set"
 * to the value it already has) as not chosen by the user and moves the
 * bridge to its ports' minimum as ports join; only a real change through
 * RTM_SETLINK sticks, so this steps away and back when needed.
 * net_link_add_bridge() does it for opts->mtu. Returns 0 or -errno.
 */
int net_bridge_pin_mtu(struct net_ctx *ctx, const char *name, unsigned mtu, struct bv_error *err);

/* ---- veth pairs (veth.c) ------------------------------------------------- */

struct net_veth_opts {
        const char *peer;               /* peer name (required) */
        int peer_netns_fd;              /* < 0: same namespace as ctx; else created directly there */
        unsigned mtu;                   /* both ends; 0: default */
        const char *master;             /* bridge to enslave name to; NULL: none */
        bool up;                        /* bring name up (the peer is left to its namespace's owner) */
        bool peer_up;                   /* bring the peer up too (a second request; rolled back on failure) */
        uint32_t group;                 /* group of name */
};

/*
 * Creates the pair name <-> opts->peer in one RTM_NEWLINK: the peer is born
 * inside opts->peer_netns_fd (IFLA_NET_NS_FD), master and up are applied in
 * the same request, so a failure leaves no half pair. -EEXIST, -EBADF/-EINVAL
 * for a bad namespace fd, -ENODEV for a missing master.
 */
int net_link_add_veth(struct net_ctx *ctx, const char *name, const struct net_veth_opts *opts,
                      struct bv_error *err);

/* ---- taps (tap.c) --------------------------------------------------------- */

#define NET_TAP_MAX_QUEUES 16

struct net_tap_opts {
        bool vnet_hdr;                  /* IFF_VNET_HDR (virtio-net offloads) */
        unsigned queues;                /* 0 or 1: single queue; >1: IFF_MULTI_QUEUE, one fd each */
        const char *master;             /* bridge to attach to; NULL: none */
        bool up;
        unsigned mtu;                   /* 0: default */
        uint32_t group;                 /* 0: default */
        bool persist;                   /* TUNSETPERSIST: the tap outlives its fds */
};

/*
 * Opens a tap through /dev/net/tun (IFF_TAP|IFF_NO_PI, close-on-exec fds)
 * inside ctx's namespace, then attaches it to opts->master, sets mtu/group
 * and brings it up with a single RTM_SETLINK. name may be NULL or contain
 * "%d" to let the kernel pick; the chosen name goes to ret_name (IFNAMSIZ)
 * if not NULL. ret_fds receives max(1, queues) fds, which the caller owns
 * (QEMU gets them). Closing every fd removes a non-persistent tap, so a
 * failure after opening rolls back by closing. Returns 0 or -errno.
 */
int net_tap_open(struct net_ctx *ctx, const char *name, const struct net_tap_opts *opts,
                 int *ret_fds, char *ret_name, struct bv_error *err);

/* ---- addresses (addr.c) and routes (route.c) ------------------------------ */

/* Adds or deletes an address given as CIDR ("10.0.0.1/24", "fd00::1/64"). */
int net_addr_add(struct net_ctx *ctx, const char *name, const char *cidr, struct bv_error *err);
int net_addr_del(struct net_ctx *ctx, const char *name, const char *cidr, struct bv_error *err);

/*
 * Adds or deletes a route in the main table. dst is a CIDR or "default"
 * (IPv4, or IPv6 when gateway is IPv6; "default6" forces IPv6). gateway may
 * be NULL for an on-link route; dev may be NULL when gateway is given.
 */
int net_route_add(struct net_ctx *ctx, const char *dst, const char *gateway, const char *dev,
                  struct bv_error *err);
int net_route_del(struct net_ctx *ctx, const char *dst, const char *gateway, const char *dev,
                  struct bv_error *err);

/* ---- bridge port VLANs (vlan.c) ------------------------------------------- */

#define NET_VLAN_PVID     (1u << 0)     /* untagged ingress goes to this VLAN */
#define NET_VLAN_UNTAGGED (1u << 1)     /* egress leaves untagged */

/*
 * Adds VLAN vid (1-4094) to bridge port name with NET_VLAN_* flags
 * (AF_BRIDGE RTM_SETLINK, IFLA_AF_SPEC/IFLA_BRIDGE_VLAN_INFO). Needs a
 * bridge with vlan_filtering for the VLANs to take effect.
 */
int net_vlan_add(struct net_ctx *ctx, const char *name, uint16_t vid, unsigned flags,
                 struct bv_error *err);
int net_vlan_del(struct net_ctx *ctx, const char *name, uint16_t vid, struct bv_error *err);

/*
 * Makes name an access port of vid: vid becomes PVID and untagged, and the
 * default VLAN 1 is removed, in one request. Returns 0 or -errno.
 */
int net_vlan_set_access(struct net_ctx *ctx, const char *name, uint16_t vid, struct bv_error *err);

/* ---- link events (events.c) ----------------------------------------------- */

enum net_event_type {
        NET_EVENT_ADDED,
        NET_EVENT_REMOVED,
        NET_EVENT_UP,
        NET_EVENT_DOWN,
};

struct net_event {
        enum net_event_type type;
        int index;
        char name[IFNAMSIZ];
};

struct net_events;
typedef void (*net_event_cb)(const struct net_event *ev, void *userdata);

/*
 * Subscribes to RTNLGRP_LINK in the namespace netns_fd (< 0: the caller's)
 * and calls cb from loop for every link added or removed and every change
 * of administrative state (IFF_UP). Links present at subscription are known
 * and not reported. At most 65536 links are tracked. Returns 0 or -errno.
 */
int net_events_new(struct bv_loop *loop, int netns_fd, net_event_cb cb, void *userdata,
                   struct net_events **ret, struct bv_error *err);
/* Unsubscribes. NULL accepted; returns NULL. */
struct net_events *net_events_free(struct net_events *ev);

/* ---- rate limits (ratelimit.c, tc.c) -------------------------------------- */

#define NET_RATELIMIT_EGRESS  (1u << 0)   /* traffic the port sends (towards the guest) */
#define NET_RATELIMIT_INGRESS (1u << 1)   /* traffic the port receives (from the guest) */

/*
 * Limits port name to mbit Mbit/s (1-10000) in the given directions.
 * Egress: a tbf root qdisc on the port. Ingress: the port's ingress traffic
 * is redirected (ingress qdisc + u32 match-all + mirred) to an ifb device
 * named "bvifb<ifindex>" that shapes it with tbf, so it is shaped like
 * egress instead of policed (dropped), which TCP handles badly. Replaces an
 * existing limit; on failure what was made is removed again.
 */
int net_ratelimit_set(struct net_ctx *ctx, const char *name, unsigned mbit, unsigned directions,
                      struct bv_error *err);
/* Removes both directions' limits (and the ifb). Missing limits are fine. */
int net_ratelimit_clear(struct net_ctx *ctx, const char *name, struct bv_error *err);

/* ---- barevirt networks: definitions and their bridges (network.c) ---------- */

#define NET_NETWORK_GROUP 0x62766e74u       /* link group of barevirt's bridges, "bvnt" */
#define NET_DEF_MAX_ADDRESSES 64
#define NET_DNS_DOMAIN_MAX 200

/* A network definition (STATE/networks/NAME.json). */
struct net_def {
        char name[IFNAMSIZ];                            /* also the bridge's name */
        char *addresses[NET_DEF_MAX_ADDRESSES + 1];     /* canonical CIDRs, NULL-terminated */
        size_t n_addresses;
        unsigned mtu;                                   /* 0: not set */
        bool vlan_filtering;
        /*
         * Services (net_def_set_defaults() fills what a request left unset):
         * masquerade of the IPv4 subnet leaving through other interfaces,
         * DHCP (and DNS) by a supervised dnsmasq, its pool, its domain.
         */
        int nat;                                        /* 1, 0; -1: unset */
        int dhcp;                                       /* 1, 0; -1: unset */
        struct in_addr dhcp_first, dhcp_last;           /* the pool; 0.0.0.0: unset */
        char dns_domain[NET_DNS_DOMAIN_MAX + 1];        /* "": unset */
        char project[64];                               /* the project it belongs to; "": "default" */
};

/*
 * Checks a definition object (from a request or a file) and fills *def with
 * canonical addresses. Unknown keys, bad names (net_def_name_check()),
 * bad or repeated CIDRs and MTUs out of 68-65535 are -EINVAL with a message
 * naming the field; -ENOMEM. Clear the result with net_def_clear().
 */
int net_def_from_json(const json_t *o, struct net_def *def, struct bv_error *err);
/*
 * Fills what a create request left unset, as Incus and libvirt do: NAT and
 * DHCP on when the network has an IPv4 address, the pool the upper half of
 * that subnet (without its last address), the domain "NAME.barevirt".
 * nat_possible false (IP forwarding is off and may not be turned on) turns
 * a defaulted NAT off rather than refusing the network. Then checks the
 * whole: NAT or DHCP without an IPv4 address, a pool outside the subnet
 * or holding the bridge's own address, a bad domain: -EINVAL naming the
 * flag.
 */
int net_def_set_defaults(struct net_def *def, bool nat_possible, struct bv_error *err);
/* The bridge's first IPv4 address with its prefix; false when it has none. */
bool net_def_ipv4(const struct net_def *def, struct net_cidr *ret);
/* Whether the bridge has an IPv6 /64 (router advertisements for SLAAC). */
bool net_def_has_ipv6_64(const struct net_def *def);
/* Whether a and b (same family) share an address. */
bool net_cidr_overlaps(const struct net_cidr *a, const struct net_cidr *b);
/* Whether a (same family) lies in the subnet c. */
bool net_cidr_contains(const struct net_cidr *c, const struct net_cidr *a);
/* The definition as stored (a new reference; NULL on ENOMEM). */
json_t *net_def_to_json(const struct net_def *def);
void net_def_clear(struct net_def *def);
/* A network name is a bridge name: 1-15 bytes of [A-Za-z0-9._-], starting with a letter or digit. -EINVAL. */
int net_def_name_check(const char *name, struct bv_error *err);
/*
 * STATE_DIR/networks/NAME.json: whether it exists (a bad name never does),
 * loaded (-ENOENT "No network named ...", -EINVAL for a bad file, naming
 * it), stored atomically, removed (0 also when absent). Block on file I/O.
 */
bool net_def_exists(const char *state_dir, const char *name);
int net_def_load(const char *state_dir, const char *name, struct net_def *def, struct bv_error *err);
int net_def_store(const char *state_dir, const struct net_def *def, struct bv_error *err);
int net_def_remove(const char *state_dir, const char *name, struct bv_error *err);

/* Whether l is a barevirt network's bridge (a bridge in NET_NETWORK_GROUP). */
bool net_link_is_network(const struct net_link *l);
/* Creates the bridge of def, up, in NET_NETWORK_GROUP, with its MTU and addresses; nothing is left on failure. */
int net_network_create(struct net_ctx *ctx, const struct net_def *def, struct bv_error *err);
/*
 * Adopts a barevirt bridge left behind without a definition: pins the MTU
 * when one is defined, adds the defined addresses it lacks (have: the
 * canonical CIDRs it has) and brings it up. On failure the addresses added
 * here are removed again (the bridge was there before and stays).
 */
int net_network_adopt(struct net_ctx *ctx, const struct net_def *def, const char *const *have, size_t n_have,
                      struct bv_error *err);

/* ---- dnsmasq per network (dnsmasq.c) ---------------------------------------- */

struct net_dnsmasq;

/* An instance's address on a network: pinned by MAC for DHCP clients (has_mac), named in DNS. */
struct net_dnsmasq_host {
        uint8_t mac[6];
        bool has_mac;
        struct in_addr ip;
        const char *name;
};

/* A DHCP lease from dnsmasq's lease file. */
struct net_lease {
        uint8_t mac[6];
        struct in_addr ip;
        char hostname[64];      /* as the client sent it, or "" */
        int64_t expiry;         /* seconds since the epoch */
};

struct net_dnsmasq_opts {
        struct bv_loop *loop;
        const struct net_def *def;      /* borrowed; must outlive the dnsmasq (after net_def_set_defaults()) */
        const char *dir;                /* its run directory (made 0711) */
        const char *lease_file;         /* its lease file (the owner's state dir) */
        /* "network-dhcp-died" {"name", "pid", "reason", "restart_in_ms"}, "network-dhcp-started" {"name", "pid", "restarts"}. */
        void (*on_event)(struct net_dnsmasq *dm, const char *event, const json_t *data, void *userdata);
        void *userdata;
};

/* Finds the dnsmasq binary ($BAREVIRT_DNSMASQ, else the sbin/bin dirs) into buf. -ENOENT. */
int net_dnsmasq_find(char *buf, size_t len);
/*
 * Adopts the dnsmasq that o->dir records (same pid, start time and
 * configuration), else writes the configuration and spawns one, in the
 * caller's network namespace and its own session. -ENOENT (with the
 * package to install) when dnsmasq is missing. Does not wait for it.
 */
int net_dnsmasq_start(const struct net_dnsmasq_opts *o, struct net_dnsmasq **ret, bool *ret_adopted,
                      struct bv_error *err);
/* Writes the pins and names (when they changed) and makes dnsmasq re-read them (SIGHUP). */
int net_dnsmasq_set_hosts(struct net_dnsmasq *dm, const struct net_dnsmasq_host *hosts, size_t n,
                          struct bv_error *err);
pid_t net_dnsmasq_pid(const struct net_dnsmasq *dm);
/* Forgets dm; dnsmasq keeps running (to be adopted). NULL accepted; returns NULL. */
struct net_dnsmasq *net_dnsmasq_free(struct net_dnsmasq *dm);
/* Stops dnsmasq (SIGTERM, then SIGKILL after 2 s; blocks until it is gone) and frees dm; with remove_files its files and lease file go too. */
void net_dnsmasq_stop(struct net_dnsmasq *dm, bool remove_files);
/* The IPv4 leases in lease_file (missing: none). Free *ret. -ENOMEM, -errno of reading. */
int net_dnsmasq_leases(const char *lease_file, struct net_lease **ret, size_t *ret_n, struct bv_error *err);
/* The same over the text of a lease file (NUL-terminated; changed in place). */
int net_dnsmasq_leases_parse(char *buf, struct net_lease **ret, size_t *ret_n, struct bv_error *err);

/* ---- nftables: NAT, port forwards, firewall groups, anti-spoofing (nft*.c) -- */

/*
 * barevirt owns exactly two nftables tables named TABLE, in the namespace a
 * struct net_nft was made for, and never touches any other table nor
 * flushes the ruleset:
 *
 *  - `inet TABLE` (when the ruleset has networks): chain postrouting (nat)
 *    masquerades each NAT network's IPv4 subnet leaving through any
 *    interface but its bridge, and masquerades DNATed traffic from a
 *    network's subnet going back into its own bridge (hairpin, so replies
 *    come back through the host); chain forwards holds one DNAT rule per
 *    port forward (any address, or its listen address), reached from
 *    prerouting (nat) for traffic to a local address and from output (nat)
 *    for the host's own connections to a local address but 127.0.0.0/8
 *    (hairpin); forward (filter) accepts traffic from and replies to the
 *    networks' bridges. Every chain's policy is accept.
 *  - `bridge TABLE`: per port, anti-spoofing in prerouting (priority -300:
 *    frames must carry the port's MAC, IPv4 sources and ARP senders must be
 *    one of its ip4; 0.0.0.0 only for DHCP requests and ARP probes; 802.1Q
 *    and 802.1ad frames are dropped; IPv6 is checked by MAC only), and the
 *    port's firewall group on the forward hook both ways (instance to
 *    instance on one bridge) and on input/output (instance to and from the
 *    host and everything routed through it). Non-IP frames (ARP), DHCP
 *    and IPv6 neighbour discovery always pass a group; rules are checked in
 *    order, then the group's default for the direction.
 *
 * Firewall groups are stateful when the kernel tracks bridged traffic
 * (nf_conntrack_bridge, CONFIG_NF_CONNTRACK_BRIDGE): replies to allowed
 * connections (ct state established,related) always pass. Without it they
 * are judged statelessly: TCP segments other than a connection's first SYN
 * always pass (so the rules and defaults judge new connections), as do
 * ICMP echo replies and errors; UDP is judged packet by packet (a group
 * that drops by default must allow the UDP replies it expects).
 * net_nft_stateful() says which, after the first apply with groups.
 *
 * Every change is one netlink batch carrying the ruleset generation it was
 * computed against: applying replaces both tables (add, delete, add again
 * with everything, in one transaction: no moment without rules, and a
 * failure changes nothing), except that a ruleset equal to the last one
 * applied plus forwards appends just their rules. If anything changed the
 * ruleset since (another process, another net_nft), the append is refused
 * by the kernel and a replace follows. Calls block for one batch (about
 * 30 ms for 1,000 forwards; about 1 ms to add one to 1,000, most of it the
 * kernel rebuilding the chain); not thread-safe.
 */

#define NET_NFT_MAX_NETWORKS 4096
#define NET_NFT_MAX_FORWARDS 16384
#define NET_NFT_MAX_GROUPS 4096
#define NET_NFT_MAX_RULES 1024          /* per group */
#define NET_NFT_MAX_PORTS 16384
#define NET_NFT_MAX_PORT_IP4 64

struct net_nft_network {
        const char *bridge;             /* the network's bridge (a link name) */
        struct net_cidr subnet4;        /* AF_INET; host bits are ignored */
        bool has_subnet4;
        bool nat;                       /* masquerade subnet4 leaving through other interfaces; needs subnet4 */
};

struct net_nft_forward {
        int proto;                      /* IPPROTO_TCP or IPPROTO_UDP */
        uint16_t port;                  /* host port, 1-65535 */
        struct in_addr listen;          /* network byte order */
        bool has_listen;                /* a local address of the host; else any local address */
        struct in_addr to;              /* the instance's address */
        uint16_t to_port;               /* 1-65535 */
        const char *bridge;             /* the target's network: one of the ruleset's networks */
};

struct net_nft_rule {
        bool in;                        /* towards the port (else from it) */
        int proto;                      /* 0 any, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP (ICMPv6 for IPv6 peers) */
        uint16_t port_lo, port_hi;      /* destination ports (tcp/udp only); 0: any; port_hi 0: port_lo only */
        struct net_cidr peer;           /* source for in rules (--from), destination for out (--to) */
        bool has_peer;
        bool accept;                    /* else drop */
};

struct net_nft_group {
        const char *name;               /* 1-63 bytes of [A-Za-z0-9._-] */
        bool default_in_accept, default_out_accept;
        const struct net_nft_rule *rules;
        size_t n_rules;
};

struct net_nft_port {
        const char *ifname;             /* host side tap or veth on a bridge */
        uint8_t mac[6];                 /* the guest's MAC (required with antispoof) */
        const struct in_addr *ip4;      /* the guest's IPv4 addresses */
        size_t n_ip4;
        bool antispoof;
        const char *group;              /* a group of the ruleset, or NULL */
};

struct net_nft_ruleset {
        const struct net_nft_network *networks;
        size_t n_networks;
        const struct net_nft_forward *forwards;
        size_t n_forwards;
        const struct net_nft_group *groups;
        size_t n_groups;
        const struct net_nft_port *ports;
        size_t n_ports;
};

struct net_nft;

/* A table name: 1-31 bytes of [A-Za-z0-9_-]. 0 or -EINVAL with a message. */
int net_nft_table_check(const char *name, struct bv_error *err);

/*
 * Checks rs without a kernel: bridge and port names, duplicate networks,
 * groups and ports, NAT without a subnet, forwards (proto, ports 1-65535,
 * a network of rs, one forward per proto/port/listen address, "any"
 * clashing with every address; the message names the first), rules (a port
 * needs tcp or udp, lo <= hi, peer family), ports (MAC with antispoof, a
 * known group), and the limits above. 0, -EINVAL or -E2BIG with a message.
 * net_nft_apply() calls it first; the daemon may call it to refuse a
 * request before changing its state.
 */
int net_nft_ruleset_check(const struct net_nft_ruleset *rs, struct bv_error *err);

/*
 * Opens a NETLINK_NETFILTER socket inside netns_fd (< 0: the caller's
 * namespace; the fd is not kept) for tables named table. Nothing is sent.
 * Returns 0 and *ret, or -errno (-EINVAL for a bad table name).
 */
int net_nft_new(int netns_fd, const char *table, struct net_nft **ret, struct bv_error *err);
/* Closes the socket (the tables stay). NULL accepted; returns NULL. */
struct net_nft *net_nft_free(struct net_nft *nft);

/*
 * Makes `inet TABLE` and `bridge TABLE` exactly rs (see above), in one
 * batch. rs is only read during the call. Returns 0, -EINVAL/-E2BIG for a
 * bad ruleset (nothing sent), or the kernel's -errno with a message naming
 * the object it refused (nothing changed).
 */
int net_nft_apply(struct net_nft *nft, const struct net_nft_ruleset *rs, struct bv_error *err);

/* Deletes both tables in one batch (absent tables are fine). Returns 0 or -errno. */
int net_nft_remove(struct net_nft *nft, struct bv_error *err);

/* Whether firewall groups are stateful in this namespace (see above); true until probed. */
bool net_nft_stateful(const struct net_nft *nft);
