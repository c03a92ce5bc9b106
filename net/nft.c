/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt's nftables tables (see net/net.h for what they hold): a
 * NETLINK_NETFILTER socket opened inside the context's namespace, batches
 * sent in one sendmsg, the kernel's refusals mapped into struct bv_error
 * naming the object refused, and the cache of what was applied last.
 *
 * Invariants: every change is one batch, so the kernel applies all of it
 * or nothing. A batch carries the ruleset generation it was computed
 * against (NFNL_BATCH_GENID): the kernel refuses it with -ERESTART if
 * anyone committed anything since, so the cache (the last ruleset applied
 * and the generation our commit made) is only trusted while nobody else
 * changed the ruleset; otherwise the whole tables are replaced. nf_tables
 * handles a batch synchronously inside sendmsg(), so every error it will
 * ever report is queued on the socket when sendmsg() returns.
 */
#include "net/net-internal.h"   /* first: netinet/in.h before linux/in.h */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/batch.h>
#include <libnftnl/common.h>


struct cached_forward {
        struct net_nft_forward f;       /* f.bridge unused: see bridge */
        char bridge[IFNAMSIZ];
};

struct net_nft {
        struct mnl_socket *nl;
        uint32_t portid;
        uint32_t seq;
        char table[32];
        int stateful;                   /* -1: not probed yet */
        bool applied;                   /* the cache below holds what our last commit made */
        uint32_t gen;                   /* the ruleset generation after that commit */
        char *key;                      /* net_nft_ruleset_key() of it */
        size_t key_len;
        struct cached_forward *fw;
        size_t n_fw;
};

int net_nft_new(int netns_fd, const char *table, struct net_nft **ret, struct bv_error *err)
{
        _cleanup_free_ struct net_nft *nft = NULL;
        int saved, r, one = 1;

        r = net_nft_table_check(table, err);
        if (r < 0)
                return r;
        nft = calloc(1, sizeof(*nft));
        if (!nft)
                return bv_error_set(err, ENOMEM, "Out of memory");
        snprintf(nft->table, sizeof(nft->table), "%s", table);
        nft->stateful = -1;
        r = net_ns_enter(netns_fd, &saved, err);
        if (r < 0)
                return r;
        nft->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
        r = nft->nl ? 0 : -errno;
        net_ns_leave(saved);
        if (r < 0)
                return bv_error_set_errno(err, -r, "Failed to open a netfilter netlink socket");
        (void) mnl_socket_setsockopt(nft->nl, NETLINK_EXT_ACK, &one, sizeof(one));
        (void) mnl_socket_setsockopt(nft->nl, NETLINK_CAP_ACK, &one, sizeof(one));
        if (mnl_socket_bind(nft->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                r = errno;
                mnl_socket_close(nft->nl);
                return bv_error_set_errno(err, r, "Failed to bind a netfilter netlink socket");
        }
        nft->portid = mnl_socket_get_portid(nft->nl);
        nft->seq = (uint32_t) getpid() << 8;
        *ret = TAKE_PTR(nft);
        return 0;
}

static void cache_drop(struct net_nft *nft)
{
        nft->applied = false;
        free(nft->key);
        free(nft->fw);
        nft->key = NULL;
        nft->fw = NULL;
        nft->key_len = nft->n_fw = 0;
}

struct net_nft *net_nft_free(struct net_nft *nft)
{
        if (!nft)
                return NULL;
        cache_drop(nft);
        mnl_socket_close(nft->nl);
        free(nft);
        return NULL;
}

bool net_nft_stateful(const struct net_nft *nft)
{
        return nft->stateful != 0;
}

/* The current ruleset generation (NFT_MSG_GETGEN). */
static int gen_get(struct net_nft *nft, uint32_t *ret, struct bv_error *err)
{
        char buf[NET_RECV_BUF];
        struct nlmsghdr *nlh;
        uint32_t seq = ++nft->seq;
        ssize_t n;

        /* No NLM_F_ACK: the reply (or an error) is the only answer. */
        nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, 0, seq);
        if (mnl_socket_sendto(nft->nl, nlh, nlh->nlmsg_len) < 0)
                return bv_error_set_errno(err, errno, "Failed to ask for the nftables generation");
        for (;;) {
                n = mnl_socket_recvfrom(nft->nl, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return bv_error_set_errno(err, errno, "Failed to read the nftables generation");
                for (nlh = (struct nlmsghdr *) buf; mnl_nlmsg_ok(nlh, (int) n); nlh = mnl_nlmsg_next(nlh, (int *) &n)) {
                        const struct nlattr *a;
                        const char *msg;
                        int e;

                        if (nlh->nlmsg_seq != seq)
                                continue;
                        if (nlh->nlmsg_type == NLMSG_ERROR) {
                                e = net_nl_parse_error(nlh, &msg);
                                if (e < 0)
                                        return bv_error_set(err, -e, "Failed to read the nftables generation: %s",
                                                            msg ? msg : strerror(-e));
                                return bv_error_set(err, EPROTO, "The kernel acked instead of giving the nftables generation");
                        }
                        if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWGEN)
                                continue;
                        mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
                                if (mnl_attr_get_type(a) == NFTA_GEN_ID &&
                                    mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
                                        *ret = ntohl(mnl_attr_get_u32(a));
                                        return 0;
                                }
                }
        }
}

/*
 * Sends b in one sendmsg and collects what the kernel said. The first
 * refused message's index goes to *ret_failed (if not NULL). Returns 0 or
 * -errno with "Failed to <what> ...: <kernel text>" in err.
 */
static int batch_send(struct net_nft *nft, struct nft_batch *b, const struct net_nft_ruleset *rs,
                      size_t *ret_failed, struct bv_error *err)
{
        int n_iov = nftnl_batch_iovec_len(b->b), first = 0;
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
        size_t failed = SIZE_MAX, len = 0;
        char buf[NET_RECV_BUF], msgbuf[BV_ERROR_MSG_MAX] = "";
        _cleanup_free_ struct iovec *iov = NULL;
        struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa) };
        int sndbuf;

        if (b->error < 0)
                return bv_error_set(err, -b->error, "Out of memory building an nftables batch");
        iov = calloc((size_t) n_iov, sizeof(*iov));
        if (!iov)
                return bv_error_set(err, ENOMEM, "Out of memory");
        nftnl_batch_iovec(b->b, iov, (uint32_t) n_iov);
        for (int i = 0; i < n_iov; i++)
                len += iov[i].iov_len;
        /* The whole batch is one datagram: the send buffer must hold it (FORCE: past wmem_max). */
        sndbuf = (int) BV_MIN(len + 65536, (size_t) 1 << 30);
        if (setsockopt(mnl_socket_get_fd(nft->nl), SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
                (void) setsockopt(mnl_socket_get_fd(nft->nl), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
        mh.msg_iov = iov;
        mh.msg_iovlen = (size_t) n_iov;
        if (sendmsg(mnl_socket_get_fd(nft->nl), &mh, 0) < 0)
                return bv_error_set_errno(err, errno, "Failed to send an nftables batch of %zu bytes", len);

        for (;;) {
                ssize_t n = recv(mnl_socket_get_fd(nft->nl), buf, sizeof(buf), MSG_DONTWAIT);
                int left;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        break;          /* EAGAIN: all read; ENOBUFS: later errors lost, the first is kept */
                left = (int) n;
                for (struct nlmsghdr *nlh = (struct nlmsghdr *) buf; mnl_nlmsg_ok(nlh, left);
                     nlh = mnl_nlmsg_next(nlh, &left)) {
                        const char *msg;
                        size_t idx = nlh->nlmsg_seq - b->seq0;
                        int e;

                        if (nlh->nlmsg_type != NLMSG_ERROR || (e = net_nl_parse_error(nlh, &msg)) == 0)
                                continue;
                        if (idx >= b->n)
                                idx = 0;
                        if (failed == SIZE_MAX || idx < failed) {
                                failed = idx;
                                first = e;
                                snprintf(msgbuf, sizeof(msgbuf), "%s", msg && *msg ? msg : strerror(-e));
                        }
                }
        }
        if (failed == SIZE_MAX)
                return 0;
        if (ret_failed)
                *ret_failed = failed;

        const struct nft_msg_what *w = &b->whats[failed];
        char name[128] = "";
        if (w->what == net_nft_what_forward && rs && w->index < rs->n_forwards) {
                char f[96];
                snprintf(name, sizeof(name), " '%s'", net_nft_forward_format(&rs->forwards[w->index], f, sizeof(f)));
        } else if (w->name[0])
                snprintf(name, sizeof(name), " '%s'", w->name);
        if (first == -ERESTART)
                return bv_error_set(err, ERESTART, "The nftables ruleset changed while barevirt was changing it");
        return bv_error_set(err, -first, "Failed to %s%s in nftables table '%s': %s", w->what, name, nft->table,
                            msgbuf);
}

/* Probes whether the kernel tracks bridged connections (ct in the bridge family); changes nothing. */
static int probe_bridge_ct(struct net_nft *nft, struct bv_error *err)
{
        struct nft_batch b;
        struct nft_rb rb;
        size_t failed = SIZE_MAX, ct_rule;
        int r;

        r = net_nft_batch_init(&b, ++nft->seq, 0);
        net_nft_rules_ct_probe(&b, nft->table);
        ct_rule = b.n - 1;
        /* A rule for a chain that does not exist: the kernel then aborts the whole batch. */
        net_nft_rb_start(&rb, NFPROTO_BRIDGE, nft->table, "ct-probe-absent");
        net_nft_e_verdict(&rb, NFT_RETURN, NULL);
        net_nft_rb_put(&b, &rb, "end the probe of bridge conntrack", NULL, SIZE_MAX);
        net_nft_batch_finish(&b);
        if (r >= 0)
                r = batch_send(nft, &b, NULL, &failed, err);
        nft->seq = b.seq;
        net_nft_batch_clear(&b);
        if (failed == SIZE_MAX)
                return r < 0 ? r : bv_error_set(err, EPROTO, "The probe of bridge conntrack was not refused");
        bv_error_clear(err);
        nft->stateful = failed != ct_rule;
        return 0;
}

static bool cached_forward_equal(const struct cached_forward *c, const struct net_nft_forward *f)
{
        struct net_nft_forward a = c->f;

        a.bridge = c->bridge;
        return net_nft_forward_equal(&a, f);
}

/* Remembers rs (its key and forwards) as what generation gen holds. */
static int cache_set(struct net_nft *nft, const struct net_nft_ruleset *rs, char *key, size_t key_len, uint32_t gen)
{
        struct cached_forward *fw = calloc(rs->n_forwards ? rs->n_forwards : 1, sizeof(*fw));

        cache_drop(nft);
        if (!fw) {
                free(key);
                return -ENOMEM;
        }
        for (size_t i = 0; i < rs->n_forwards; i++) {
                fw[i].f = rs->forwards[i];
                fw[i].f.bridge = NULL;
                snprintf(fw[i].bridge, sizeof(fw[i].bridge), "%s", rs->forwards[i].bridge);
        }
        nft->key = key;
        nft->key_len = key_len;
        nft->fw = fw;
        nft->n_fw = rs->n_forwards;
        nft->gen = gen ? gen : 1;
        nft->applied = true;
        return 0;
}

/* Whether rs is the cached ruleset plus forwards. */
static bool is_append(const struct net_nft *nft, const struct net_nft_ruleset *rs, const char *key, size_t key_len)
{
        if (!nft->applied || rs->n_forwards <= nft->n_fw || key_len != nft->key_len ||
            memcmp(key, nft->key, key_len) != 0)
                return false;
        for (size_t i = 0; i < nft->n_fw; i++)
                if (!cached_forward_equal(&nft->fw[i], &rs->forwards[i]))
                        return false;
        return true;
}

static int apply_append(struct net_nft *nft, const struct net_nft_ruleset *rs, struct bv_error *err)
{
        struct nft_batch b;
        int r;

        r = net_nft_batch_init(&b, ++nft->seq, nft->gen);
        for (size_t i = nft->n_fw; i < rs->n_forwards; i++)
                net_nft_rules_forward(&b, nft->table, &rs->forwards[i], i);
        net_nft_batch_finish(&b);
        if (r >= 0)
                r = batch_send(nft, &b, rs, NULL, err);
        nft->seq = b.seq;
        net_nft_batch_clear(&b);
        return r;
}

/* The atomic replace, against generation gen. */
static int apply_replace(struct net_nft *nft, const struct net_nft_ruleset *rs, uint32_t gen, struct bv_error *err)
{
        static const int families[] = { NFPROTO_INET, NFPROTO_BRIDGE };
        struct nft_batch b;
        int r;

        r = net_nft_batch_init(&b, ++nft->seq, gen);
        for (size_t i = 0; i < BV_ELEMENTSOF(families); i++) {
                /* Add (so that delete finds it), delete, add again: the old table goes, the new one comes. */
                net_nft_batch_table(&b, NFT_MSG_NEWTABLE, families[i], nft->table);
                net_nft_batch_table(&b, NFT_MSG_DELTABLE, families[i], nft->table);
                net_nft_batch_table(&b, NFT_MSG_NEWTABLE, families[i], nft->table);
                if (families[i] == NFPROTO_INET)
                        net_nft_rules_inet(&b, nft->table, rs);
                else
                        net_nft_rules_bridge(&b, nft->table, rs, nft->stateful != 0);
        }
        net_nft_batch_finish(&b);
        if (r >= 0)
                r = batch_send(nft, &b, rs, NULL, err);
        nft->seq = b.seq;
        net_nft_batch_clear(&b);
        return r;
}

int net_nft_apply(struct net_nft *nft, const struct net_nft_ruleset *rs, struct bv_error *err)
{
        char *key = NULL;
        size_t key_len = 0;
        uint32_t gen;
        int r;

        r = net_nft_ruleset_check(rs, err);
        if (r < 0)
                return r;
        /* Group chains are built one way or the other even when no port uses them yet. */
        if (rs->n_groups && nft->stateful < 0) {
                r = probe_bridge_ct(nft, err);
                if (r < 0)
                        return r;
        }
        if (net_nft_ruleset_key(rs, &key, &key_len) < 0)
                return bv_error_set(err, ENOMEM, "Out of memory");

        if (is_append(nft, rs, key, key_len)) {
                r = apply_append(nft, rs, err);
                if (r >= 0)
                        return cache_set(nft, rs, key, key_len, nft->gen + 1);
                if (r != -ERESTART) {
                        free(key);
                        return r;
                }
        }
        for (int attempt = 0; attempt < 3; attempt++) {
                r = gen_get(nft, &gen, err);
                if (r >= 0)
                        r = apply_replace(nft, rs, gen, err);
                if (r != -ERESTART)
                        break;
        }
        if (r < 0) {
                free(key);
                return r;
        }
        return cache_set(nft, rs, key, key_len, gen + 1);
}

int net_nft_remove(struct net_nft *nft, struct bv_error *err)
{
        struct nft_batch b;
        int r;

        cache_drop(nft);
        r = net_nft_batch_init(&b, ++nft->seq, 0);
        net_nft_batch_table(&b, NFT_MSG_NEWTABLE, NFPROTO_INET, nft->table);
        net_nft_batch_table(&b, NFT_MSG_DELTABLE, NFPROTO_INET, nft->table);
        net_nft_batch_table(&b, NFT_MSG_NEWTABLE, NFPROTO_BRIDGE, nft->table);
        net_nft_batch_table(&b, NFT_MSG_DELTABLE, NFPROTO_BRIDGE, nft->table);
        net_nft_batch_finish(&b);
        if (r >= 0)
                r = batch_send(nft, &b, NULL, NULL, err);
        nft->seq = b.seq;
        net_nft_batch_clear(&b);
        return r;
}
