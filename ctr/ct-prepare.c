/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host side of a container's start, and its undoing: the run
 * directory RUN/containers/NAME; for a --userns container its user
 * namespace (pinned on RUN/.../userns) and idmapped mounts; the overlay
 * mount of an image's rootfs; the network namespace and one veth per NIC
 * (ct-net.c); the bundle's config.json from ctr_ct_spec(). Everything made
 * here is found again from the run directory, so a teardown after the
 * owner's restart undoes it as well.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"
#include "net/net.h"

/* ---- teardown ------------------------------------------------------------------------- */

static void umount_rmdir(struct ctr_ct *ct, const char *file)
{
        char path[PATH_MAX];
        struct bv_error err = {};

        ctr_ct_run_path(ct, file, path, sizeof(path));
        if (ctr_ct_overlay_umount(path, &err) < 0)
                ctr_ct_log(ct->h, CTR_LOG_WARN, "container '%s': %s", ct->def->name, err.msg);
        rmdir(path);
}

/* Unmounts and removes what prepare_rootfs() mounted under RUN/containers/NAME. */
static void host_mounts_drop(struct ctr_ct *ct)
{
        umount_rmdir(ct, "rootfs");   /* first: the overlay sits on lower */
        umount_rmdir(ct, "lower");
        for (size_t i = 0; i < ct->def->n_mounts; i++) {
                char f[32];
                snprintf(f, sizeof(f), "mounts/%zu", i);
                umount_rmdir(ct, f);
        }
        umount_rmdir(ct, "mounts");
}

void ctr_ct_host_teardown(struct ctr_ct *ct)
{
        static const char *const pins[] = { "netns", "userns" };   /* ctr_ct_ns_pin() */
        char path[PATH_MAX];

        for (size_t i = 0; i < BV_ELEMENTSOF(pins); i++) {
                ctr_ct_run_path(ct, pins[i], path, sizeof(path));
                int r = ctr_ct_netns_remove(path);
                if (r < 0)
                        ctr_ct_log(ct->h, CTR_LOG_WARN, "container '%s': failed to remove '%s': %s", ct->def->name,
                                   path, strerror(-r));
        }
        host_mounts_drop(ct);
        memset(ct->veth, 0, sizeof(ct->veth));
}

bool ctr_ct_rootfs_idmapped(const struct ctr_ct *ct)
{
        char path[PATH_MAX];
        struct statx stx;

        ctr_ct_run_path(ct, ct->def->image ? "lower" : "rootfs", path, sizeof(path));
        return statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) == 0 &&
               (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* ---- network ----------------------------------------------------------------------------- */

/* /etc/resolv.conf for the container, as the first NIC's network gives it (Docker binds one too). */
static int write_resolv_conf(struct ctr_ct *ct, const struct ctr_ct_nic_addr *a, struct bv_error *err)
{
        char path[PATH_MAX], text[512];

        ctr_ct_run_path(ct, "resolv.conf", path, sizeof(path));
        int n = snprintf(text, sizeof(text), "# written by barevirt for container '%s'\nnameserver %s\n%s%s%s",
                         ct->def->name, a->dns, *a->search ? "search " : "", a->search, *a->search ? "\n" : "");
        return bv_file_write_atomic(path, text, (size_t)n, 0644, err);
}

static int attach_nics(struct ctr_ct *ct, int nsfd, struct net_ctx *ns, unsigned salt, bool *ret_resolv,
                       struct bv_error *err)
{
        const struct ctr_ct_host *h = ct->h;
        int r = 0;

        for (size_t i = 0; i < ct->def->n_nics && r >= 0; i++) {
                char bridge[IFNAMSIZ], ifname[IFNAMSIZ];
                struct net_link br;
                struct ctr_ct_nic_addr a = {};
                const struct ctr_ct_nic *n = &ct->def->nics[i];
                if ((r = h->o.bridge_of(h->o.userdata, n->network, bridge, sizeof(bridge), err)) < 0 ||
                    (r = net_link_get(h->o.net, bridge, &br, err)) < 0 ||
                    (!n->ip && h->o.nic_address &&
                     (r = h->o.nic_address(h->o.userdata, ct->def->name, (unsigned)i, n->network, n->mac, &a, err)) < 0))
                        return bv_error_prefix(err, "nics[%zu]", i);
                if (!*ret_resolv && !ct->def->dns_none && *a.dns) {
                        if ((r = write_resolv_conf(ct, &a, err)) < 0)
                                return r;
                        *ret_resolv = true;
                }
                snprintf(ifname, sizeof(ifname), "eth%zu", i);
                ctr_ct_net_host_ifname(ct->def->name, salt, (unsigned)i, ct->veth[i]);
                struct ctr_ct_net_nic nic = {
                        .host_ifname = ct->veth[i], .bridge = bridge, .ifname = ifname, .mac = n->mac,
                        .ip = n->ip ? n->ip : *a.ip ? a.ip : NULL, .gw = n->ip ? n->gw : *a.gw ? a.gw : NULL,
                        .mtu = br.mtu,
                };
                if ((r = ctr_ct_net_attach(h->o.net, nsfd, ns, &nic, i == 0, err)) < 0)
                        bv_error_prefix(err, "nics[%zu]", i);
        }
        return r;
}

/*
 * Netns (made here, or given_nsfd made by prepare_userns()) and one veth per
 * NIC; the netns path goes to netns (else it stays "").
 */
static int prepare_network(struct ctr_ct *ct, int given_nsfd, char *netns, size_t len, bool *ret_resolv,
                           struct bv_error *err)
{
        uint64_t t0 = bv_now_usec();
        unsigned char salt = 0;
        int r;

        if (ct->def->n_nics == 0)
                return 0;
        if (!ct->h->o.net)
                return bv_error_set(err, EOPNOTSUPP, "Networking is unavailable in barevirtd (netlink failed at start)");
        if (getrandom(&salt, 1, GRND_NONBLOCK) < 0)
                salt = (unsigned char)t0;
        ctr_ct_run_path(ct, "netns", netns, len);
        _cleanup_close_ int own_nsfd = -1;
        if (given_nsfd < 0 && (r = ctr_ct_netns_create(netns, ct->h->host_netns_fd, &own_nsfd, err)) < 0)
                return r;
        if (given_nsfd >= 0 && (r = ctr_ct_ns_pin(netns, given_nsfd, err)) < 0)
                return r;
        int nsfd = given_nsfd >= 0 ? given_nsfd : own_nsfd;
        struct net_ctx *ns = NULL;
        if ((r = net_ctx_new(nsfd, &ns, err)) < 0) {
                ctr_ct_netns_remove(netns);
                return r;
        }
        uint64_t t1 = bv_now_usec();
        ct->netns_usec = t1 - t0;
        r = attach_nics(ct, nsfd, ns, salt, ret_resolv, err);
        net_ctx_free(ns);
        if (r < 0) {
                /* Veths made so far die with the namespace. */
                ctr_ct_netns_remove(netns);
                memset(ct->veth, 0, sizeof(ct->veth));
                return r;
        }
        ct->net_usec = bv_now_usec() - t1;
        return 0;
}

/* ---- user namespace ------------------------------------------------------------------------- */

/*
 * Root of a user-namespace container is an unprivileged host id that must
 * reach its rootfs (RUN/containers/NAME/rootfs) to mount it. As Incus does:
 * RUN/containers is search-only for everyone, and NAME is search-only for
 * the container's root alone, so no other host user reaches the files
 * (setuid ones too) that container root writes as host root through the
 * idmapped mount. The files inside keep their own modes (bundle 0700, logs
 * and sockets 0600); the owner and the monitor are root and need no more.
 */
static int run_dir_for_userns(struct ctr_ct *ct, struct bv_error *err)
{
        char dir[PATH_MAX];
        uint32_t id = ct->def->userns_base;

        ctr_ct_run_path(ct, NULL, dir, sizeof(dir));
        char *slash = strrchr(dir, '/');
        if (chown(dir, id, id) < 0 || chmod(dir, 0100) < 0)
                return bv_error_set_errno(err, errno, "Failed to give '%s' to the container's root", dir);
        *slash = 0;
        if (chmod(dir, 0711) < 0)
                return bv_error_set_errno(err, errno, "Failed to chmod '%s'", dir);
        return 0;
}

/*
 * The user namespace of a --userns container, made here and pinned on
 * RUN/containers/NAME/userns for the runtime to join, so that what the
 * owner makes for the container belongs to it: the idmapped mounts and,
 * with NICs, the network namespace (*ret_netns, made inside it). Owning its
 * netns, container root has its network capabilities there (raw sockets,
 * its own addresses and routes) and mounts a sysfs of its own.
 */
static int prepare_userns(struct ctr_ct *ct, int *ret_userns, int *ret_netns, struct bv_error *err)
{
        char path[PATH_MAX];
        int r;

        if ((r = run_dir_for_userns(ct, err)) < 0 ||
            (r = ctr_ct_userns_open(ct->def->userns_base, CTR_CT_USERNS_SIZE, ret_userns,
                                    ct->def->n_nics ? ret_netns : NULL, err)) < 0)
                return r;
        ctr_ct_run_path(ct, "userns", path, sizeof(path));
        return ctr_ct_ns_pin(path, *ret_userns, err);
}

/* ---- rootfs ------------------------------------------------------------------------------------ */

/* The bind mounts asked with idmap, idmapped on RUN/containers/NAME/mounts/I (ctr_ct_paths.idmap_dir). */
static int idmap_binds(struct ctr_ct *ct, int userns, struct bv_error *err)
{
        char dir[PATH_MAX], path[PATH_MAX + 16];
        int r;

        ctr_ct_run_path(ct, "mounts", dir, sizeof(dir));
        for (size_t i = 0; i < ct->def->n_mounts; i++) {
                if (!ct->def->mounts[i].idmap)
                        continue;
                if (mkdir(dir, 0711) < 0 && errno != EEXIST)
                        return bv_error_set_errno(err, errno, "Failed to create '%s'", dir);
                snprintf(path, sizeof(path), "%s/%zu", dir, i);
                if ((r = ctr_ct_idmap_bind(ct->def->mounts[i].source, path, userns, false, err)) < 0)
                        return bv_error_prefix(err, "mounts[%zu]", i);
        }
        return 0;
}

/* The idmapped view of src for a user namespace; *ret_idmapped says whether the filesystem allowed it. */
static int idmap_rootfs(struct ctr_ct *ct, int userns, const char *src, const char *dst, bool *ret_idmapped,
                        struct bv_error *err)
{
        struct bv_error e = {};
        int r;

        if ((r = idmap_binds(ct, userns, err)) < 0)
                return r;
        r = ctr_ct_idmap_bind(src, dst, userns, ct->def->image != NULL, &e);
        if (r < 0 && r != -EOPNOTSUPP)
                return bv_error_set(err, -r, "%s", e.msg);
        if (r < 0)
                ctr_ct_log(ct->h, CTR_LOG_WARN, "container '%s': %s: files the host owns show as nobody inside",
                           ct->def->name, e.msg);
        *ret_idmapped = r == 0;
        return 0;
}

/*
 * The directory that becomes the container's /: the definition's rootfs, or
 * an overlay of the image (its own upper layer) on RUN/containers/NAME/rootfs.
 * With a user namespace (userns, an fd of it, else -1) the host-owned tree
 * is idmapped (ct-idmap.c), so container root owns it: the directory itself
 * is bound idmapped on RUN/.../rootfs; for an image the read-only lower
 * layer is bound idmapped on RUN/.../lower and the upper layer belongs to
 * the container's root, so what it writes lands there under its own host
 * ids. Where the filesystem has no idmapped mounts the container still
 * runs, with host-owned files showing as nobody (warned, and "idmapped":
 * false in show).
 */
static int prepare_rootfs(struct ctr_ct *ct, int userns, char *rootfs, size_t len, struct bv_error *err)
{
        const struct ctr_ct_def *def = ct->def;
        char src[PATH_MAX], lower[PATH_MAX], upper[PATH_MAX], work[PATH_MAX];
        bool idmapped = false;
        int r;

        ctr_ct_run_path(ct, "rootfs", rootfs, len);
        ctr_ct_run_path(ct, "lower", lower, sizeof(lower));
        host_mounts_drop(ct);   /* stale mounts from a crash */
        if (def->image)
                snprintf(src, sizeof(src), "%s/images/%s/rootfs", ct->h->o.state_dir, def->image_id ? def->image_id : "-");
        else
                snprintf(src, sizeof(src), "%s", def->rootfs);
        if (userns >= 0 && (r = idmap_rootfs(ct, userns, src, def->image ? lower : rootfs, &idmapped, err)) < 0)
                return r;
        if (!def->image) {
                if (!idmapped)
                        snprintf(rootfs, len, "%s", def->rootfs);
                return 0;
        }
        ctr_ct_state_path(ct, "upper", upper, sizeof(upper));
        ctr_ct_state_path(ct, "work", work, sizeof(work));
        if (def->userns) {
                /* The upper layer's top is the container's /: container root owns it. */
                if ((r = bv_mkdir_p(upper, 0755, err)) < 0)
                        return r;
                if (chown(upper, def->userns_base, def->userns_base) < 0)
                        return bv_error_set_errno(err, errno, "Failed to chown '%s'", upper);
        }
        return ctr_ct_overlay_mount(idmapped ? lower : src, upper, work, rootfs, err);
}

/* ---- bundle ----------------------------------------------------------------------------------- */

static int write_config(const char *path, const json_t *cfg, struct bv_error *err)
{
        _cleanup_free_ char *s = json_dumps(cfg, JSON_COMPACT);
        if (!s)
                return bv_error_set(err, ENOMEM, "Out of memory");
        /* A bundle in the run dir (tmpfs): no fsync, it is made again at every start. */
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 || bv_fd_write_all(fd, s, strlen(s)) < 0)
                return bv_error_set_errno(err, errno, "Failed to write '%s'", path);
        return 0;
}

static int write_bundle(struct ctr_ct *ct, const char *rootfs, const char *netns, bool resolv, struct bv_error *err)
{
        char path[PATH_MAX], idmap_dir[PATH_MAX], userns_path[PATH_MAX], cgroups_path[PATH_MAX], rc[PATH_MAX];
        json_auto_t *cfg = NULL;
        int r;

        ctr_ct_run_path(ct, "mounts", idmap_dir, sizeof(idmap_dir));
        ctr_ct_run_path(ct, "userns", userns_path, sizeof(userns_path));
        snprintf(cgroups_path, sizeof(cgroups_path), "/%s/%s", ct->h->o.cgroup_parent, ct->def->name);
        struct ctr_ct_paths p = { .rootfs = rootfs, .netns = netns[0] ? netns : NULL, .idmap_dir = idmap_dir,
                                  .userns = ct->def->userns ? userns_path : NULL, .cgroups_path = cgroups_path,
                                  .resolv_conf = resolv ? rc : NULL };
        ctr_ct_run_path(ct, "resolv.conf", rc, sizeof(rc));
        ctr_ct_run_path(ct, "bundle/config.json", path, sizeof(path));
        if ((r = ctr_ct_spec(ct->def, &p, &cfg, err)) < 0)
                return r;
        return write_config(path, cfg, err);
}

int ctr_ct_prepare(struct ctr_ct *ct, struct bv_error *err)
{
        char bundle[PATH_MAX], path[PATH_MAX], netns[PATH_MAX] = "", rootfs[PATH_MAX];
        _cleanup_close_ int userns = -1, userns_net = -1;
        bool resolv = false;
        int r;

        ctr_ct_run_path(ct, "bundle", bundle, sizeof(bundle));
        if ((r = bv_mkdir_p(bundle, 0700, err)) < 0)
                return r;
        ctr_ct_run_path(ct, "monitor.json", path, sizeof(path));
        unlink(path);
        if ((ct->def->userns && (r = prepare_userns(ct, &userns, &userns_net, err)) < 0) ||
            (r = prepare_rootfs(ct, userns, rootfs, sizeof(rootfs), err)) < 0 ||
            (r = prepare_network(ct, userns_net, netns, sizeof(netns), &resolv, err)) < 0)
                return r;
        return write_bundle(ct, rootfs, netns, resolv, err);
}
