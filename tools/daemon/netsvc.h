/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What netsvc.c (dnsmasq, pools, host files) and netsvc-nft.c (nftables,
 * port forwards) share: the per-network service state. Internal to those two.
 */
#pragma once

#include <limits.h>

#include "net/net.h"
#include "tools/daemon/daemon.h"

#define ALLOC_MAX (4u << 20)
#define MAX_NETWORKS 256

struct netsvc_net {
        struct barevirtd *d;
        struct net_def def;
        struct net_dnsmasq *dm;
        json_t *alloc;                /* the pool's file, loaded */
        json_t *forwards;             /* STATE/forwards/NAME.json, loaded: [{"proto", "port", "listen"?, "to"}] */
        char forwards_file[PATH_MAX];
        char dir[PATH_MAX];
        char lease_file[PATH_MAX];
        char alloc_file[PATH_MAX];
};

struct netsvc {
        struct netsvc_net *nets[MAX_NETWORKS];
        size_t n;
        struct bv_timer *sync;
        struct net_nft *nft;          /* barevirtd's nftables tables (opened on first use) */
        bool nft_dirty;               /* the networks changed since the last apply */
        char *nft_ports;              /* the ports of the last apply, as text (netsvc-nft.c) */
        struct bv_timer *lease_poll;  /* a running VM waits for its first DHCP lease: look again */
};

struct netsvc_net *netsvc_find(struct barevirtd *d, const char *name);
