/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Link events on the event loop: a non-blocking netlink socket subscribed
 * to RTNLGRP_LINK, read whenever the loop says it is readable, turned into
 * added/removed/up/down callbacks.
 *
 * The kernel sends RTM_NEWLINK for every change of a link, so we keep the
 * last known administrative state per ifindex (seeded from a dump taken
 * just before subscribing) and report transitions
 * only. AF_BRIDGE messages on the same group describe bridge ports, not
 * links, and are ignored. The table is bounded (65536 links); after a
 * receive overrun (ENOBUFS) events may have been lost and the table is
 * re-seeded from a fresh dump without reporting.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/common.h"
#include "net/net-internal.h"

#define NET_EVENTS_MAX_LINKS 65536

struct known_link {
        int index;
        bool up;
};

struct net_events {
        struct bv_loop *loop;
        struct bv_watch *watch;
        struct mnl_socket *nl;
        int netns_fd;
        net_event_cb cb;
        void *userdata;
        struct known_link *known;
        size_t n, cap;
};

static struct known_link *known_find(struct net_events *ev, int index)
{
        for (size_t i = 0; i < ev->n; i++)
                if (ev->known[i].index == index)
                        return &ev->known[i];
        return NULL;
}

/* Remembers a link. Returns 0, -E2BIG past NET_EVENTS_MAX_LINKS or -ENOMEM. */
static int known_add(struct net_events *ev, int index, bool up)
{
        if (ev->n == ev->cap) {
                size_t cap = ev->cap ? ev->cap * 2 : 32;
                struct known_link *v;

                if (ev->n >= NET_EVENTS_MAX_LINKS)
                        return -E2BIG;
                v = reallocarray(ev->known, cap, sizeof(*v));
                if (!v)
                        return -ENOMEM;
                ev->known = v;
                ev->cap = cap;
        }
        ev->known[ev->n++] = (struct known_link) { .index = index, .up = up };
        return 0;
}

static void known_del(struct net_events *ev, struct known_link *k)
{
        *k = ev->known[--ev->n];
}

static int events_seed(struct net_events *ev, struct bv_error *err)
{
        _cleanup_free_ struct net_link *links = NULL;
        struct net_ctx *ctx = NULL;
        size_t n = 0;
        int r;

        r = net_ctx_new(ev->netns_fd, &ctx, err);
        if (r < 0)
                return r;
        r = net_link_list(ctx, &links, &n, err);
        net_ctx_free(ctx);
        if (r < 0)
                return r;
        ev->n = 0;
        for (size_t i = 0; i < n; i++) {
                r = known_add(ev, links[i].index, links[i].up);
                if (r < 0)
                        return bv_error_set(err, r, "Too many links to track");
        }
        return 0;
}

static void emit(struct net_events *ev, enum net_event_type type, int index, const char *name)
{
        struct net_event e = { .type = type, .index = index };

        snprintf(e.name, sizeof(e.name), "%s", name ? name : "");
        ev->cb(&e, ev->userdata);
}

static int events_msg_cb(const struct nlmsghdr *nlh, void *data)
{
        struct net_events *ev = data;
        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
        const struct nlattr *attr;
        const char *name = NULL;
        struct known_link *k;
        bool up;

        if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
                return MNL_CB_OK;
        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)) || ifi->ifi_family == AF_BRIDGE)
                return MNL_CB_OK;
        mnl_attr_for_each(attr, nlh, sizeof(*ifi))
                if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
                    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
                        name = mnl_attr_get_str(attr);
        up = ifi->ifi_flags & IFF_UP;
        k = known_find(ev, ifi->ifi_index);

        if (nlh->nlmsg_type == RTM_DELLINK) {
                if (k)
                        known_del(ev, k);
                emit(ev, NET_EVENT_REMOVED, ifi->ifi_index, name);
                return MNL_CB_OK;
        }
        if (!k) {
                /* If the table is full the link goes untracked: reported, not remembered. */
                (void) known_add(ev, ifi->ifi_index, up);
                emit(ev, NET_EVENT_ADDED, ifi->ifi_index, name);
                if (up)
                        emit(ev, NET_EVENT_UP, ifi->ifi_index, name);
                return MNL_CB_OK;
        }
        if (k->up != up) {
                k->up = up;
                emit(ev, up ? NET_EVENT_UP : NET_EVENT_DOWN, ifi->ifi_index, name);
        }
        return MNL_CB_OK;
}

static void events_readable(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct net_events *ev = userdata;
        char buf[NET_RECV_BUF];

        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == ENOBUFS) {
                                /* Overrun: events were lost. Resynchronise silently. */
                                (void) events_seed(ev, NULL);
                                continue;
                        }
                        return;         /* EAGAIN: drained */
                }
                if (n == 0)
                        return;
                (void) mnl_cb_run(buf, (size_t) n, 0, 0, events_msg_cb, ev);
        }
}

int net_events_new(struct bv_loop *loop, int netns_fd, net_event_cb cb, void *userdata,
                   struct net_events **ret, struct bv_error *err)
{
        struct net_events *ev;
        int r, saved;

        ev = calloc(1, sizeof(*ev));
        if (!ev)
                return bv_error_set(err, ENOMEM, "Out of memory");
        ev->loop = loop;
        ev->cb = cb;
        ev->userdata = userdata;
        ev->netns_fd = -1;
        if (netns_fd >= 0) {
                ev->netns_fd = fcntl(netns_fd, F_DUPFD_CLOEXEC, 3);
                if (ev->netns_fd < 0) {
                        r = bv_error_set_errno(err, errno, "Bad network namespace fd %d", netns_fd);
                        goto fail;
                }
        }
        /*
         * Seeded first, subscribed second: a link made in between is reported as
         * added (right); one removed in between stays in the table (harmless).
         */
        r = events_seed(ev, err);
        if (r < 0)
                goto fail;
        r = net_ns_enter(ev->netns_fd, &saved, err);
        if (r < 0)
                goto fail;
        r = net_nl_open(&ev->nl, RTMGRP_LINK, err);
        net_ns_leave(saved);
        if (r < 0)
                goto fail;
        r = bv_loop_add_fd(loop, mnl_socket_get_fd(ev->nl), EPOLLIN, events_readable, ev, &ev->watch);
        if (r < 0) {
                bv_error_set_errno(err, -r, "Failed to watch link events");
                goto fail;
        }
        *ret = ev;
        return 0;
fail:
        net_events_free(ev);
        return r;
}

struct net_events *net_events_free(struct net_events *ev)
{
        if (!ev)
                return NULL;
        bv_watch_remove(ev->watch);
        if (ev->nl)
                mnl_socket_close(ev->nl);
        if (ev->netns_fd >= 0)
                close(ev->netns_fd);
        free(ev->known);
        free(ev);
        return NULL;
}
