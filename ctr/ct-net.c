/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Container networking: a network namespace per container, bind-mounted on
 * RUN/containers/NAME/netns so that it outlives barevirtd and survives the
 * monitor's restarts of the container, and one veth per NIC whose inside
 * end is born in that namespace (never visible in barevirtd's) while the
 * host end joins the network's bridge in the same RTM_NEWLINK. Everything
 * goes over netlink (net/), never `ip`.
 *
 * Teardown is dropping the namespace: unmount and unlink the file; once the
 * container's processes are gone the kernel destroys the namespace with its
 * veths, batching the RCU waits of many namespaces, which is what keeps a
 * teardown at about a millisecond where deleting a veth costs ~16 ms.
 *
 * The namespace is made with unshare() in the caller (barevirtd) itself,
 * which returns to its own namespace right away (setns), so no fork is
 * needed. If returning failed the caller would be in the wrong namespace:
 * it aborts rather than run on there. No container state is used here, so
 * the benchmark calls these functions as they are.
 *
 * A user-namespace container's netns is made inside its user namespace
 * instead (ctr_ct_userns_open(), so that it belongs to it: container root
 * has its network capabilities there and may mount sysfs) and only pinned
 * here with ctr_ct_ns_pin().
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"
#include "net/net.h"

int ctr_ct_ns_pin(const char *path, int nsfd, struct bv_error *err)
{
        char src[32];
        int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);

        if (fd < 0 && errno == EEXIST) {
                /* A stale file from an earlier run: drop it (a mounted one is unmounted first). */
                ctr_ct_netns_remove(path);
                fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
        }
        if (fd < 0)
                return bv_error_set_errno(err, errno, "Failed to create the namespace file '%s'", path);
        close(fd);
        snprintf(src, sizeof(src), "/proc/self/fd/%d", nsfd);
        if (mount(src, path, NULL, MS_BIND, NULL) < 0) {
                int e = errno;
                unlink(path);
                return bv_error_set_errno(err, e, "Failed to bind-mount the namespace on '%s'", path);
        }
        return 0;
}

int ctr_ct_netns_create(const char *path, int host_netns_fd, int *ret_fd, struct bv_error *err)
{
        if (unshare(CLONE_NEWNET) < 0)
                return bv_error_set_errno(err, errno, "Failed to create a network namespace");
        /*
         * As Docker does: ICMP echo sockets for every group, so ping works
         * without CAP_NET_RAW (say with cap_drop), in a namespace where the
         * container has no capabilities. Best effort (an old kernel has no knob).
         */
        int sfd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC);
        if (sfd >= 0) {
                (void)bv_fd_write_all(sfd, "0 2147483647", 12);
                close(sfd);
        }
        int r = 0, nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (nsfd < 0)
                r = bv_error_set_errno(err, errno, "Failed to open the new network namespace");
        if (setns(host_netns_fd, CLONE_NEWNET) < 0)
                abort(); /* never run on in the container's namespace */
        if (r == 0 && (r = ctr_ct_ns_pin(path, nsfd, err)) < 0)
                close(nsfd);
        if (r < 0)
                return r;
        *ret_fd = nsfd;
        return 0;
}

int ctr_ct_netns_remove(const char *path)
{
        int r = 0;

        if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
                r = -errno;
        if (unlink(path) < 0 && errno != ENOENT && r == 0)
                r = -errno;
        return r;
}

void ctr_ct_net_host_ifname(const char *name, unsigned salt, unsigned index, char buf[IFNAMSIZ])
{
        uint32_t h = 2166136261u;

        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                h = (h ^ *p) * 16777619u;
        snprintf(buf, IFNAMSIZ, "vc%08x%02x%u", h, salt & 0xff, index % 10);
}

void ctr_ct_net_find_veths(struct ctr_ct *ct)
{
        struct net_link *links = NULL;
        size_t n = 0;

        if (!ct->h->o.net || net_link_list(ct->h->o.net, &links, &n, NULL) < 0)
                return;
        for (unsigned k = 0; k < ct->def->n_nics && k < CTR_CT_MAX_NICS; k++) {
                char want[IFNAMSIZ];
                bool enslaved = false;

                if (ct->veth[k][0])
                        continue;
                /* "vc" + the name's hash (8) + a salt of this start (2) + the index: any salt will do. */
                ctr_ct_net_host_ifname(ct->def->name, 0, k, want);
                for (size_t i = 0; i < n; i++) {
                        const char *l = links[i].name;
                        if (strlen(l) != 13 || strncmp(l, want, 10) != 0 || l[12] != want[12] ||
                            strcmp(links[i].kind, "veth") != 0 || (enslaved && !links[i].master))
                                continue;
                        snprintf(ct->veth[k], IFNAMSIZ, "%s", l);
                        enslaved = links[i].master != 0;
                }
        }
        free(links);
}

int ctr_ct_net_attach(struct net_ctx *host, int nsfd, struct net_ctx *ns, const struct ctr_ct_net_nic *nic,
                  bool first, struct bv_error *err)
{
        struct net_veth_opts o = {
                .peer = nic->ifname,
                .peer_netns_fd = nsfd,
                .mtu = nic->mtu,
                .master = nic->bridge,
                .up = true,
        };
        int r = net_link_add_veth(host, nic->host_ifname, &o, err);

        if (r < 0)
                return r;
        if ((nic->mac && (r = net_link_set_mac(ns, nic->ifname, nic->mac, err)) < 0) ||
            (first && (r = net_link_set_up(ns, "lo", true, err)) < 0) ||
            (r = net_link_set_up(ns, nic->ifname, true, err)) < 0 ||
            (nic->ip && (r = net_addr_add(ns, nic->ifname, nic->ip, err)) < 0) ||
            (nic->gw && (r = net_route_add(ns, "default", nic->gw, nic->ifname, err)) < 0)) {
                struct bv_error ignored = {};
                net_link_delete(host, nic->host_ifname, &ignored);
                return r;
        }
        return 0;
}
