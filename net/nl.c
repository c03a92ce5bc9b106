/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The netlink plumbing of net/: contexts (one libmnl socket and sequence
 * counter each, optionally inside another network namespace), requests
 * with acks, dumps, batches of requests in one sendmsg, and the mapping of
 * kernel errors into struct bv_error.
 *
 * Invariants: every socket has NETLINK_EXT_ACK (the kernel explains its
 * errors) and NETLINK_CAP_ACK (error replies do not echo the request) set,
 * and is close-on-exec. A request is answered before the next one is sent,
 * so replies are matched by sequence number and a stale reply is an error.
 * Buffers are on the stack; nothing here allocates on the error path.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "common/common.h"
#include "net/net-internal.h"

int net_ns_enter(int netns_fd, int *ret_saved, struct bv_error *err)
{
        _cleanup_close_ int saved = -1;

        if (netns_fd < 0) {
                *ret_saved = -1;
                return 0;
        }
        saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (saved < 0)
                return bv_error_set_errno(err, errno, "Failed to open the current network namespace");
        if (setns(netns_fd, CLONE_NEWNET) < 0)
                return bv_error_set_errno(err, errno, "Failed to enter network namespace");
        *ret_saved = TAKE_FD(saved);
        return 0;
}

void net_ns_leave(int saved)
{
        if (saved < 0)
                return;
        /* Cannot fail for a namespace we were just in; nothing sane to do if it did. */
        (void) setns(saved, CLONE_NEWNET);
        close(saved);
}

int net_nl_open(struct mnl_socket **ret, uint32_t groups, struct bv_error *err)
{
        struct mnl_socket *nl;
        int one = 1;

        nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (!nl)
                return bv_error_set_errno(err, errno, "Failed to open a netlink socket");
        /* Older kernels lack these; errors then come without text, which is fine. */
        (void) mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
        (void) mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
        if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
                int r = errno;
                mnl_socket_close(nl);
                return bv_error_set_errno(err, r, "Failed to bind a netlink socket");
        }
        *ret = nl;
        return 0;
}

int net_ctx_new(int netns_fd, struct net_ctx **ret, struct bv_error *err)
{
        _cleanup_free_ struct net_ctx *ctx = NULL;
        _cleanup_close_ int nsfd = -1;
        struct mnl_socket *nl = NULL;
        int saved, r;

        if (netns_fd >= 0) {
                nsfd = fcntl(netns_fd, F_DUPFD_CLOEXEC, 3);
                if (nsfd < 0)
                        return bv_error_set_errno(err, errno, "Bad network namespace fd %d", netns_fd);
        }
        ctx = calloc(1, sizeof(*ctx));
        if (!ctx)
                return bv_error_set(err, ENOMEM, "Out of memory");

        r = net_ns_enter(nsfd, &saved, err);
        if (r < 0)
                return r;
        r = net_nl_open(&nl, 0, err);
        net_ns_leave(saved);
        if (r < 0)
                return r;

        ctx->nl = nl;
        ctx->portid = mnl_socket_get_portid(nl);
        ctx->seq = (uint32_t) getpid() << 8;
        ctx->netns_fd = TAKE_FD(nsfd);
        *ret = TAKE_PTR(ctx);
        return 0;
}

int net_ctx_new_path(const char *netns_path, struct net_ctx **ret, struct bv_error *err)
{
        _cleanup_close_ int fd = -1;

        fd = open(netns_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return bv_error_set_errno(err, errno, "Failed to open network namespace '%s'", netns_path);
        return net_ctx_new(fd, ret, err);
}

struct net_ctx *net_ctx_free(struct net_ctx *ctx)
{
        if (!ctx)
                return NULL;
        if (ctx->nl)
                mnl_socket_close(ctx->nl);
        if (ctx->netns_fd >= 0)
                close(ctx->netns_fd);
        free(ctx);
        return NULL;
}

/* Next sequence number of ctx (never 0). */
static uint32_t nl_seq(struct net_ctx *ctx)
{
        if (++ctx->seq == 0)
                ctx->seq = 1;
        return ctx->seq;
}

/* The kernel's extended-ack text in the TLVs of nlh from payload offset off on, or NULL. */
static const char *ext_ack_text(const struct nlmsghdr *nlh, size_t off)
{
        const struct nlattr *attr;
        const char *msg = NULL;

        if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || mnl_nlmsg_size(off) > nlh->nlmsg_len)
                return NULL;
        mnl_attr_for_each(attr, nlh, off)
                if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
                    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
                        msg = mnl_attr_get_str(attr);
        return msg;
}

/*
 * The error an NLMSG_ERROR message carries: 0 for an ack, the kernel's
 * -errno, or -EPROTO when the message is too short to hold one. *msg gets
 * the kernel's text, or NULL.
 */
int net_nl_parse_error(const struct nlmsghdr *nlh, const char **msg)
{
        const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

        *msg = NULL;
        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
                return -EPROTO;
        /* TLVs follow the echoed request, which is only a header when capped. */
        size_t off = sizeof(*e);
        if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
                off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
        *msg = ext_ack_text(nlh, off);
        return e->error > 0 ? -e->error : e->error;
}

struct talk {
        mnl_cb_t cb;
        void *data;
        int error;
        char msg[BV_ERROR_MSG_MAX];
        size_t acks;
        size_t want;
        size_t failed;
        uint32_t first_seq;
        bool have_error;
};

static int talk_data_cb(const struct nlmsghdr *nlh, void *data)
{
        struct talk *t = data;

        return t->cb ? t->cb(nlh, t->data) : MNL_CB_OK;
}

static int talk_error_cb(const struct nlmsghdr *nlh, void *data)
{
        struct talk *t = data;
        const char *msg;
        int e;

        e = net_nl_parse_error(nlh, &msg);
        t->acks++;
        if (e < 0 && !t->have_error) {
                t->have_error = true;
                t->error = -e;
                t->failed = nlh->nlmsg_seq - t->first_seq;
                snprintf(t->msg, sizeof(t->msg), "%s", msg && *msg ? msg : strerror(-e));
        }
        /* A batch's acks may share one datagram: keep parsing until all arrived. */
        return t->acks >= t->want ? MNL_CB_STOP : MNL_CB_OK;
}

static int talk_done_cb(const struct nlmsghdr *nlh, void *data)
{
        struct talk *t = data;
        const int *payload = mnl_nlmsg_get_payload(nlh);

        /* A dump that failed half way ends with DONE carrying -errno (and maybe ext-ack). */
        if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int)) && *payload < 0 && !t->have_error) {
                const char *msg = ext_ack_text(nlh, sizeof(int));
                t->have_error = true;
                t->error = -*payload;
                snprintf(t->msg, sizeof(t->msg), "%s", msg ? msg : strerror(t->error));
        }
        t->acks++;
        return MNL_CB_STOP;
}

static mnl_cb_t talk_ctl[NLMSG_MIN_TYPE] = {
        [NLMSG_ERROR] = talk_error_cb,
        [NLMSG_DONE] = talk_done_cb,
};

/* Receives until `want` acks (or DONE) arrived. Returns 0 or -errno of the transport. */
static int talk_recv(struct net_ctx *ctx, struct talk *t, size_t want, uint32_t seq)
{
        char buf[NET_RECV_BUF];

        t->want = want;
        while (t->acks < want) {
                ssize_t n = mnl_socket_recvfrom(ctx->nl, buf, sizeof(buf));
                int r;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                r = mnl_cb_run2(buf, (size_t) n, seq, ctx->portid, talk_data_cb, t, talk_ctl,
                                BV_ELEMENTSOF(talk_ctl));
                if (r < 0)
                        return -errno;
        }
        return 0;
}

int net_nl_talk(struct net_ctx *ctx, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
                struct bv_error *err, const char *fmt, ...)
{
        struct talk t = { .cb = cb, .data = data };
        char prefix[BV_ERROR_MSG_MAX];
        va_list ap;
        int r;

        nlh->nlmsg_flags |= NLM_F_ACK;
        nlh->nlmsg_seq = nl_seq(ctx);
        t.first_seq = nlh->nlmsg_seq;

        if (mnl_socket_sendto(ctx->nl, nlh, nlh->nlmsg_len) < 0)
                r = -errno;
        else
                r = talk_recv(ctx, &t, 1, nlh->nlmsg_seq);
        if (r == 0 && !t.have_error)
                return 0;

        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        if (r < 0)
                return bv_error_set_errno(err, -r, "%s: netlink", prefix);
        return bv_error_set(err, t.error, "%s: %s", prefix, t.msg);
}

int net_nl_batch(struct net_ctx *ctx, const void *buf, size_t len, size_t n, uint32_t first_seq,
                 size_t *ret_failed, struct bv_error *err)
{
        struct talk t = { .first_seq = first_seq };
        int r;

        if (n == 0)
                return 0;
        if (mnl_socket_sendto(ctx->nl, buf, len) < 0)
                return bv_error_set_errno(err, errno, "Failed to send a netlink batch");
        /* seq 0: replies carry many sequence numbers; all are ours (one request in flight). */
        r = talk_recv(ctx, &t, n, 0);
        if (r < 0)
                return bv_error_set_errno(err, -r, "Failed to read netlink acks");
        if (t.have_error) {
                if (ret_failed)
                        *ret_failed = t.failed;
                return bv_error_set(err, t.error, "%s", t.msg);
        }
        return 0;
}

struct nlmsghdr *net_msg_link(void *buf, uint16_t type, uint16_t flags, int family, int index)
{
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifinfomsg *ifi;

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | flags;
        ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
        ifi->ifi_family = (unsigned char) family;
        ifi->ifi_index = index;
        return nlh;
}

int net_msg_newlink(void *buf, const struct net_newlink *l, struct nlmsghdr **ret, struct nlattr **ret_info)
{
        struct nlmsghdr *nlh = net_msg_link(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, AF_UNSPEC, 0);
        struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
        struct nlattr *info;

        if (l->up) {
                ifi->ifi_change = IFF_UP;
                ifi->ifi_flags = IFF_UP;
        }
        if (!mnl_attr_put_strz_check(nlh, NET_MSG_BUF, IFLA_IFNAME, l->name) ||
            (l->mtu && !mnl_attr_put_u32_check(nlh, NET_MSG_BUF, IFLA_MTU, l->mtu)) ||
            (l->mac && !mnl_attr_put_check(nlh, NET_MSG_BUF, IFLA_ADDRESS, 6, l->mac)) ||
            (l->master > 0 && !mnl_attr_put_u32_check(nlh, NET_MSG_BUF, IFLA_MASTER, (uint32_t)l->master)) ||
            (l->group && !mnl_attr_put_u32_check(nlh, NET_MSG_BUF, IFLA_GROUP, l->group)))
                return -EMSGSIZE;
        info = mnl_attr_nest_start_check(nlh, NET_MSG_BUF, IFLA_LINKINFO);
        if (!info || !mnl_attr_put_strz_check(nlh, NET_MSG_BUF, IFLA_INFO_KIND, l->kind))
                return -EMSGSIZE;
        *ret = nlh;
        *ret_info = info;
        return 0;
}
