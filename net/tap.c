/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Taps for QEMU: /dev/net/tun opened close-on-exec inside the context's
 * namespace (a tun device is born in the namespace of whoever opens the
 * file), TUNSETIFF with IFF_TAP|IFF_NO_PI (+IFF_VNET_HDR, IFF_MULTI_QUEUE
 * with one fd per queue), then one RTM_SETLINK that sets master, MTU, group
 * and up together. The fds are the caller's (they go to QEMU).
 *
 * Rollback: unless persist is asked for, the tap lives only as long as its
 * fds, so every failure path just closes what it opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "common/common.h"
#include "net/net-internal.h"

static void close_all(int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0) {
                        close(fds[i]);
                        fds[i] = -1;
                }
}

/* Opens one queue of tap ifname (updated with the kernel's choice). */
static int tap_open_queue(int netns_fd, char ifname[IFNAMSIZ], short flags, bool persist,
                          struct bv_error *err)
{
        _cleanup_close_ int fd = -1;
        struct ifreq ifr = { .ifr_flags = flags };
        int saved, r;

        r = net_ns_enter(netns_fd, &saved, err);
        if (r < 0)
                return r;
        fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        r = fd < 0 ? -errno : 0;
        net_ns_leave(saved);
        if (r < 0)
                return bv_error_set_errno(err, -r, "Failed to open /dev/net/tun");

        memcpy(ifr.ifr_name, ifname, IFNAMSIZ);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0)
                return bv_error_set_errno(err, errno, "Failed to create tap '%s'", ifname[0] ? ifname : "tap%d");
        memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
        ifname[IFNAMSIZ - 1] = 0;
        if (persist && ioctl(fd, TUNSETPERSIST, 1) < 0)
                return bv_error_set_errno(err, errno, "Failed to make tap '%s' persistent", ifname);
        return TAKE_FD(fd);
}

/* Checks name (NULL: the kernel's "tap%d") and copies it into ifname. */
static int tap_name(const char *name, char ifname[IFNAMSIZ], struct bv_error *err)
{
        if (!name)
                return 0;
        /* A "%d" template is the kernel's to fill; anything else is a plain name. */
        const char *pct = strchr(name, '%');
        if (pct && (strcmp(pct, "%d") != 0 || strlen(name) >= IFNAMSIZ - 1 || pct == name))
                return bv_error_set(err, EINVAL, "Invalid tap name '%.64s': only a trailing '%%d' template", name);
        if (!pct) {
                int r = net_name_check_what(name, "tap", err);
                if (r < 0)
                        return r;
        }
        snprintf(ifname, IFNAMSIZ, "%s", name);
        return 0;
}

/* One RTM_SETLINK for master, MTU, group and up together (nothing to do: no message). */
static int tap_configure(struct net_ctx *ctx, const char *ifname, const struct net_tap_opts *opts, int master,
                         struct bv_error *err)
{
        char buf[NET_MSG_BUF];
        struct nlmsghdr *nlh;
        struct ifinfomsg *ifi;

        if (!master && !opts->up && !opts->mtu && !opts->group)
                return 0;
        nlh = net_msg_link(buf, RTM_SETLINK, 0, AF_UNSPEC, 0);
        ifi = mnl_nlmsg_get_payload(nlh);
        if (opts->up) {
                ifi->ifi_change = IFF_UP;
                ifi->ifi_flags = IFF_UP;
        }
        if (!mnl_attr_put_strz_check(nlh, sizeof(buf), IFLA_IFNAME, ifname) ||
            (opts->mtu && !mnl_attr_put_u32_check(nlh, sizeof(buf), IFLA_MTU, opts->mtu)) ||
            (opts->group && !mnl_attr_put_u32_check(nlh, sizeof(buf), IFLA_GROUP, opts->group)) ||
            (master && !mnl_attr_put_u32_check(nlh, sizeof(buf), IFLA_MASTER, (uint32_t) master)))
                return bv_error_set(err, EMSGSIZE, "Netlink message too large");
        return net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to set up tap '%s'", ifname);
}

int net_tap_open(struct net_ctx *ctx, const char *name, const struct net_tap_opts *opts,
                 int *ret_fds, char *ret_name, struct bv_error *err)
{
        static const struct net_tap_opts defaults = { .queues = 1 };
        int fds[NET_TAP_MAX_QUEUES];
        char ifname[IFNAMSIZ] = "";
        unsigned nq;
        short flags = IFF_TAP | IFF_NO_PI;
        int r, master = 0;

        if (!opts)
                opts = &defaults;
        nq = opts->queues ? opts->queues : 1;
        if (nq > NET_TAP_MAX_QUEUES)
                return bv_error_set(err, EINVAL, "Too many tap queues: %u (at most %d)", nq, NET_TAP_MAX_QUEUES);
        r = tap_name(name, ifname, err);
        if (r < 0)
                return r;
        if (opts->vnet_hdr)
                flags |= IFF_VNET_HDR;
        if (nq > 1)
                flags |= IFF_MULTI_QUEUE;
        if (opts->master) {
                master = net_link_index(ctx, opts->master, err);
                if (master < 0)
                        return bv_error_prefix(err, "Failed to attach tap '%s'", name ? name : "tap%d");
        }

        for (unsigned i = 0; i < nq; i++)
                fds[i] = -1;
        for (unsigned i = 0; i < nq; i++) {
                r = tap_open_queue(ctx->netns_fd, ifname, flags, opts->persist && i == 0, err);
                if (r < 0)
                        goto fail;
                fds[i] = r;
        }
        r = tap_configure(ctx, ifname, opts, master, err);
        if (r < 0)
                goto fail;

        memcpy(ret_fds, fds, nq * sizeof(int));
        if (ret_name)
                memcpy(ret_name, ifname, IFNAMSIZ);
        return 0;

fail:
        /* A persistent tap outlives its fds: unmark it before closing. */
        if (opts->persist && fds[0] >= 0)
                (void) ioctl(fds[0], TUNSETPERSIST, 0);
        close_all(fds, nq);
        return r;
}
