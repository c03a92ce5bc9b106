/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container's filesystem, built by its init process in its own mount
 * namespace: the host tree is made slave first (nothing we mount ever
 * propagates back to the host), the rootfs is bound onto itself, then every
 * configured mount, the default devices, the console, pivot_root and the
 * masked and read-only paths.
 *
 * Mount targets are untrusted paths inside an untrusted rootfs. Each one is
 * resolved with openat2(RESOLVE_IN_ROOT) (so ".." and absolute symlinks stay
 * inside the rootfs), a target whose last component is a symlink is refused,
 * and the mount goes through /proc/self/fd/N of the resolved O_PATH fd, so
 * that no symlink swapped in later can redirect it onto the host. Without
 * openat2 (kernels before 5.6) resolution falls back to a walk that refuses
 * every symlink and "..".
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

#define FD_PATH_MAX 32

static void fd_path(char buf[FD_PATH_MAX], int fd)
{
        snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

/* Fallback without openat2: walk component by component, refusing symlinks and "..". */
static int open_walk_nofollow(int rootfd, const char *path, int flags)
{
        _cleanup_close_ int dfd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        char comp[256];

        if (dfd < 0)
                return -errno;
        for (const char *p = path;;) {
                while (*p == '/')
                        p++;
                if (!*p) {
                        int fd = openat(dfd, ".", flags | O_CLOEXEC);
                        return fd < 0 ? -errno : fd;
                }
                size_t l = strcspn(p, "/");
                if (l >= sizeof(comp))
                        return -ENAMETOOLONG;
                memcpy(comp, p, l);
                comp[l] = 0;
                p += l;
                while (*p == '/')
                        p++;
                if (strcmp(comp, "..") == 0)
                        return -EXDEV;
                if (strcmp(comp, ".") == 0)
                        continue;
                bool last = !*p;
                int nfd = openat(dfd, comp, (last ? flags : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0)
                        return -errno;
                struct stat st;
                if (!last && fstat(nfd, &st) == 0 && S_ISLNK(st.st_mode)) {
                        close(nfd);
                        return -ELOOP;
                }
                close(dfd);
                dfd = nfd;
                if (last)
                        return TAKE_FD(dfd);
        }
}

int ctr_open_in_root(int rootfd, const char *path, int flags, struct bv_error *err)
{
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        const char *rel = path;

        while (*rel == '/')
                rel++;
        if (!*rel)
                rel = ".";
        int fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
        if (fd < 0 && errno == ENOSYS)
                fd = open_walk_nofollow(rootfd, rel, flags);
        else if (fd < 0)
                fd = -errno;
        if (fd < 0)
                return bv_error_set_errno(err, -fd, "Failed to open '%s' inside the rootfs", path);
        return fd;
}

/* mkdir -p of path inside rootfd; returns an O_PATH fd of the directory. */
static int mkdir_in_root(int rootfd, const char *path, struct bv_error *err)
{
        char prefix[4096];
        _cleanup_close_ int parent = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        size_t len = strlen(path);

        if (parent < 0)
                return bv_error_set_errno(err, errno, "Failed to open the rootfs");
        if (len >= sizeof(prefix))
                return bv_error_set(err, ENAMETOOLONG, "Path '%s' is too long", path);
        for (size_t i = 0; i <= len; i++) {
                if (path[i] != '/' && path[i] != 0)
                        continue;
                if (i == 0 || path[i - 1] == '/')
                        continue;
                memcpy(prefix, path, i);
                prefix[i] = 0;
                int fd = ctr_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, NULL);
                if (fd == -ENOENT) {
                        const char *comp = strrchr(prefix, '/');
                        comp = comp ? comp + 1 : prefix;
                        if (strcmp(comp, "..") == 0)
                                return bv_error_set(err, EINVAL, "Path '%s' contains '..'", path);
                        if (mkdirat(parent, comp, 0755) < 0 && errno != EEXIST)
                                return bv_error_set_errno(err, errno, "Failed to create '%s' in the rootfs", prefix);
                        fd = ctr_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, NULL);
                }
                if (fd < 0)
                        return bv_error_set_errno(err, -fd, "Failed to create '%s' in the rootfs", prefix);
                close(parent);
                parent = fd;
        }
        return TAKE_FD(parent);
}

/* Creates an empty file at path inside rootfd (parents included) unless something is there. */
static int touch_in_root(int rootfd, const char *path, struct bv_error *err)
{
        char dir[4096];
        const char *slash = strrchr(path, '/');
        int fd = ctr_open_in_root(rootfd, path, O_PATH | O_NOFOLLOW, NULL);

        if (fd >= 0) {
                close(fd);
                return 0;
        }
        if (!slash || (size_t)(slash - path) >= sizeof(dir))
                return bv_error_set(err, EINVAL, "Invalid path '%s'", path);
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = 0;
        _cleanup_close_ int dfd = mkdir_in_root(rootfd, dir[0] ? dir : "/", err);
        if (dfd < 0)
                return dfd;
        fd = openat(dfd, slash + 1, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
                return bv_error_set_errno(err, errno, "Failed to create '%s' in the rootfs", path);
        if (fd >= 0)
                close(fd);
        return 0;
}

/*
 * Opens a mount target inside the rootfs, refusing a symlink as the last
 * component: a rootfs could otherwise point a target at a path that only
 * looks harmless, and "/etc" pointing to the host's /etc is the classic.
 */
static int open_target(int rootfd, const char *dest, struct bv_error *err)
{
        int fd = ctr_open_in_root(rootfd, dest, O_PATH | O_NOFOLLOW, err);
        struct stat st;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
                close(fd);
                return bv_error_set(err, ELOOP, "Mount target '%s' is a symlink", dest);
        }
        return fd;
}

/* Flags the kernel locks on a mount (and wants repeated on a remount inside a user namespace). */
static unsigned long locked_flags(const char *path)
{
        static const struct { unsigned long st, ms; } locked[] = {
                { ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV }, { ST_NOEXEC, MS_NOEXEC },
                { ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
        };
        struct statvfs sv;
        unsigned long f = 0;

        if (statvfs(path, &sv) < 0)
                return 0;
        for (size_t i = 0; i < BV_ELEMENTSOF(locked); i++)
                if (sv.f_flag & locked[i].st)
                        f |= locked[i].ms;
        return f;
}

#define MS_REMOUNT_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | \
                          MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_SYNCHRONOUS | MS_DIRSYNC)

/*
 * Without a cgroup namespace a cgroup2 mount shows the host's whole
 * hierarchy. As runc does, the container gets its own cgroup instead: the
 * directory of /proc/self/cgroup's "0::" path in the fresh mount at dest is
 * bound over it. The init has joined its cgroup before mounting.
 */
static int cgroup_own_subtree(struct ctr_child *c, const char *dest, struct bv_error *err)
{
        char line[4096 + 8], sub[FD_PATH_MAX], tp[FD_PATH_MAX];
        FILE *f = fopen("/proc/self/cgroup", "re");
        bool found = false;

        while (f && !found && fgets(line, sizeof(line), f))
                found = strncmp(line, "0::/", 4) == 0;
        if (f)
                fclose(f);
        if (!found)
                return bv_error_set(err, ENOENT, "No cgroup v2 path in /proc/self/cgroup");
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, "0::/") == 0)
                return 0;
        _cleanup_close_ int tfd = open_target(c->rootfd, dest, err);   /* the mount's root, not the directory under it */
        if (tfd < 0)
                return tfd;
        _cleanup_close_ int own = openat(tfd, line + 4, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (own < 0)
                return bv_error_set_errno(err, errno, "Failed to find the container's cgroup '%s'", line + 3);
        fd_path(sub, own);
        fd_path(tp, tfd);
        if (mount(sub, tp, NULL, MS_BIND, NULL) < 0)
                return bv_error_set_errno(err, errno, "Failed to bind the container's cgroup '%s'", line + 3);
        return 0;
}

/*
 * A "cgroup" mount on a hybrid or v1 host, as Docker and runc show it: a
 * tmpfs with the container's own directory of every v1 hierarchy bound at
 * the hierarchy's name (memory, cpu, "cpu,cpuacct" with a symlink for each
 * comounted controller), and the v2 tree at unified/ on a hybrid host; all
 * with the mount's flags (read-only by default), the tmpfs too.
 */
static int mount_cgroup_v1(struct ctr_child *c, const struct ctr_mount *m, int tfd, struct bv_error *err)
{
        const struct ctr_cgroup_plan *p = c->cgroup_v1;
        unsigned long flags = (m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        char tp[FD_PATH_MAX], src[4200], sp[FD_PATH_MAX];

        fd_path(tp, tfd);
        if (mount("tmpfs", tp, "tmpfs", flags & ~(unsigned long)MS_RDONLY, "mode=755,size=64k") < 0)
                return bv_error_set_errno(err, errno, "Failed to mount tmpfs on '%s'", m->destination);
        _cleanup_close_ int dir = open_target(c->rootfd, m->destination, err);
        if (dir < 0)
                return dir;
        for (size_t i = 0; i <= p->info.n_v1; i++) {
                const char *name = i < p->info.n_v1 ? strrchr(p->info.v1[i].mount, '/') + 1 : "unified";
                if (i < p->info.n_v1)
                        snprintf(src, sizeof(src), "%s/%s", p->info.v1[i].mount, p->rel);
                else if (p->v2[0])
                        snprintf(src, sizeof(src), "%s", p->v2);
                else
                        break;
                if (mkdirat(dir, name, 0755) < 0)
                        return bv_error_set_errno(err, errno, "Failed to create '%s/%s'", m->destination, name);
                /* Opened again after the bind: the first fd names the directory under it. */
                for (int step = 0; step < 2; step++) {
                        _cleanup_close_ int sub = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        fd_path(sp, sub);
                        if (sub < 0 || (step == 0 ? mount(src, sp, NULL, MS_BIND, NULL)
                                                  : mount(NULL, sp, NULL, MS_BIND | MS_REMOUNT | flags | locked_flags(sp),
                                                          NULL)) < 0)
                                return bv_error_set_errno(err, errno, "Failed to bind the container's cgroup '%s'", src);
                }
                /* "cpu,cpuacct": cpu and cpuacct link to it. */
                if (i < p->info.n_v1 && strchr(name, ','))
                        for (const char *t = name; *t; t += strcspn(t, ","), t += *t == ',') {
                                char link[64];
                                snprintf(link, sizeof(link), "%.*s", (int)strcspn(t, ","), t);
                                (void)symlinkat(name, dir, link);
                        }
        }
        fd_path(tp, dir);
        if ((flags & MS_RDONLY) && mount(NULL, tp, NULL, MS_REMOUNT | flags, "mode=755,size=64k") < 0)
                return bv_error_set_errno(err, errno, "Failed to remount '%s' read-only", m->destination);
        return 0;
}

static int do_mount_one(struct ctr_child *c, const struct ctr_mount *m, struct bv_error *err)
{
        char src_buf[4096], tp[FD_PATH_MAX];
        const char *src = m->source;
        bool is_dir = true;
        int r;

        if (m->bind) {
                if (src[0] != '/') {
                        snprintf(src_buf, sizeof(src_buf), "%s/%s", c->bundle, src);
                        src = src_buf;
                }
                struct stat st;
                if (stat(src, &st) < 0)
                        return bv_error_set_errno(err, errno, "Failed to mount '%s': source '%s'", m->destination,
                                                  m->source);
                is_dir = S_ISDIR(st.st_mode);
        }
        if (is_dir) {
                r = mkdir_in_root(c->rootfd, m->destination, err);
                if (r < 0)
                        return bv_error_prefix(err, "Failed to mount '%s'", m->destination);
                close(r);
        } else if ((r = touch_in_root(c->rootfd, m->destination, err)) < 0)
                return bv_error_prefix(err, "Failed to mount '%s'", m->destination);

        _cleanup_close_ int tfd = open_target(c->rootfd, m->destination, err);
        if (tfd < 0)
                return tfd;
        fd_path(tp, tfd);
        unsigned long flags = m->flags & ~(unsigned long)MS_REMOUNT;
        if (m->bind) {
                if (mount(src, tp, NULL, MS_BIND | (flags & MS_REC), NULL) < 0)
                        return bv_error_set_errno(err, errno, "Failed to bind '%s' onto '%s'", m->source,
                                                  m->destination);
        } else {
                const char *type = m->type;
                int e = 0;
                if (strcmp(type, "cgroup") == 0 && c->cgroup_v1)
                        return mount_cgroup_v1(c, m, tfd, err);
                if (strcmp(type, "cgroup") == 0)
                        type = "cgroup2";
                if (mount(src ? src : type, tp, type, flags & ~(unsigned long)MS_REC, m->data) < 0)
                        e = errno;
                if (e == EINVAL && strcmp(type, "devpts") == 0 && m->data && strstr(m->data, "gid=")) {
                        /* gid=5 is not mapped in some user namespaces: retry without it. */
                        char data[4096];
                        size_t o = 0;
                        for (char *s = m->data; *s;) {
                                size_t l = strcspn(s, ",");
                                if (strncmp(s, "gid=", 4) != 0 && o + l + 2 < sizeof(data)) {
                                        if (o)
                                                data[o++] = ',';
                                        memcpy(data + o, s, l);
                                        o += l;
                                }
                                s += l;
                                if (*s)
                                        s++;
                        }
                        data[o] = 0;
                        e = mount(src ? src : type, tp, type, flags & ~(unsigned long)MS_REC, data) < 0 ? errno : 0;
                }
                if ((e == EPERM || e == EBUSY) && (strcmp(type, "sysfs") == 0 || strcmp(type, "mqueue") == 0)) {
                        /* Without our own net/ipc namespace: bind the host's instead. */
                        const char *host = strcmp(type, "sysfs") == 0 ? "/sys" : "/dev/mqueue";
                        e = mount(host, tp, NULL, MS_BIND | MS_REC, NULL) < 0 ? errno : 0;
                        flags |= MS_BIND;
                }
                if (e)
                        return bv_error_set_errno(err, e, "Failed to mount %s on '%s'", type, m->destination);
                if (strcmp(type, "cgroup2") == 0 && !c->config->ns[CTR_NS_CGROUP].enabled) {
                        if ((r = cgroup_own_subtree(c, m->destination, err)) < 0)
                                return r;
                        flags |= MS_BIND;   /* the read-only remount below applies to the bind */
                }
        }
        /* The fd still names the directory under the new mount: reopen to reach the mount. */
        close(tfd);
        tfd = open_target(c->rootfd, m->destination, err);
        if (tfd < 0)
                return tfd;
        fd_path(tp, tfd);
        if ((m->bind || (flags & MS_BIND)) && (flags & MS_REMOUNT_FLAGS)) {
                unsigned long f = MS_BIND | MS_REMOUNT | (flags & MS_REMOUNT_FLAGS) | locked_flags(tp);
                if (mount(NULL, tp, NULL, f, NULL) < 0)
                        return bv_error_set_errno(err, errno, "Failed to remount '%s'", m->destination);
        }
        if (m->recursive_ro) {
                struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
                if (syscall(SYS_mount_setattr, tfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                        return bv_error_set_errno(err, errno, "Failed to make '%s' read-only recursively",
                                                  m->destination);
        }
        if (m->propagation && mount(NULL, tp, NULL, m->propagation, NULL) < 0)
                return bv_error_set_errno(err, errno, "Failed to set the propagation of '%s'", m->destination);
        return 0;
}

static const struct {
        const char *path;
        unsigned major, minor;
} default_devices[] = {
        { "/dev/null", 1, 3 }, { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
        { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

/* mknod where we may, else a bind mount of the host's node (user namespaces). */
static int create_device(struct ctr_child *c, const char *path, char type, unsigned major,
                         unsigned minor, mode_t mode, uid_t uid, gid_t gid, struct bv_error *err)
{
        char dir[256], tp[FD_PATH_MAX];
        const char *slash = strrchr(path, '/');

        if ((size_t)(slash - path) >= sizeof(dir))
                return bv_error_set(err, ENAMETOOLONG, "Device path '%s' too long", path);
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = 0;
        _cleanup_close_ int dfd = mkdir_in_root(c->rootfd, dir, err);
        if (dfd < 0)
                return dfd;
        if (!c->userns) {
                mode_t fmt = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
                unlinkat(dfd, slash + 1, 0);
                if (mknodat(dfd, slash + 1, fmt | (mode & 07777), makedev(major, minor)) == 0) {
                        if (fchownat(dfd, slash + 1, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
                            fchmodat(dfd, slash + 1, mode & 07777, 0) < 0)
                                return bv_error_set_errno(err, errno, "Failed to set up device '%s'", path);
                        return 0;
                }
                if (errno != EPERM)
                        return bv_error_set_errno(err, errno, "Failed to create device '%s'", path);
        }
        int r = touch_in_root(c->rootfd, path, err);
        if (r < 0)
                return r;
        _cleanup_close_ int tfd = open_target(c->rootfd, path, err);
        if (tfd < 0)
                return tfd;
        fd_path(tp, tfd);
        if (mount(path, tp, NULL, MS_BIND, NULL) < 0)
                return bv_error_set_errno(err, errno, "Failed to bind device '%s'", path);
        return 0;
}

static int setup_devices(struct ctr_child *c, struct bv_error *err)
{
        const struct ctr_config *cfg = c->config;
        int r;

        for (size_t i = 0; i < BV_ELEMENTSOF(default_devices); i++) {
                bool overridden = false;
                for (size_t k = 0; k < cfg->n_devices; k++)
                        overridden |= strcmp(cfg->devices[k].path, default_devices[i].path) == 0;
                if (overridden)
                        continue;
                r = create_device(c, default_devices[i].path, 'c', default_devices[i].major,
                                  default_devices[i].minor, 0666, 0, 0, err);
                if (r < 0)
                        return r;
        }
        for (size_t k = 0; k < cfg->n_devices; k++) {
                const struct ctr_device *d = &cfg->devices[k];
                r = create_device(c, d->path, d->type == 'u' ? 'c' : d->type, (unsigned)d->major,
                                  (unsigned)d->minor, d->mode, d->uid, d->gid, err);
                if (r < 0)
                        return r;
        }
        _cleanup_close_ int dfd = ctr_open_in_root(c->rootfd, "/dev", O_PATH | O_DIRECTORY, err);
        if (dfd < 0)
                return dfd;
        static const char *links[][2] = { { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
                                          { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
                                          { "pts/ptmx", "ptmx" } };
        for (size_t i = 0; i < BV_ELEMENTSOF(links); i++) {
                if (i == 4) {
                        /* /dev/ptmx -> pts/ptmx only when nothing (e.g. a host bind) is there. */
                        struct stat st;
                        if (fstatat(dfd, "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0)
                                continue;
                }
                if (symlinkat(links[i][0], dfd, links[i][1]) < 0 && errno != EEXIST)
                        return bv_error_set_errno(err, errno, "Failed to create /dev/%s", links[i][1]);
        }
        return 0;
}

/* The rootfs's own mount and everything in config, in our mount namespace. */
static int rootfs_mount(struct ctr_child *c, struct bv_error *err)
{
        const struct ctr_config *cfg = c->config;
        unsigned long prop = cfg->rootfs_propagation == (MS_PRIVATE | MS_REC) ? MS_PRIVATE : MS_SLAVE;
        int r;

        /*
         * Nothing mounted from here on may propagate back to the host. The
         * requested rootfsPropagation comes after pivot_root, which refuses
         * a shared root (ctr_rootfs_enter()).
         */
        if (mount(NULL, "/", NULL, MS_REC | prop, NULL) < 0)
                return bv_error_set_errno(err, errno, "Failed to make the mount tree private");
        if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return bv_error_set_errno(err, errno, "Failed to bind the rootfs '%s'", c->rootfs);
        c->rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c->rootfd < 0)
                return bv_error_set_errno(err, errno, "Failed to open the rootfs '%s'", c->rootfs);
        for (size_t i = 0; i < cfg->n_mounts; i++)
                if ((r = do_mount_one(c, &cfg->mounts[i], err)) < 0)
                        return r;
        return setup_devices(c, err);
}

int ctr_rootfs_prepare(struct ctr_child *c, struct bv_error *err)
{
        int r;

        /*
         * Without a mount namespace of its own the container shares ours,
         * the host's: nothing is mounted then (ctr_config_parse() refused
         * what would need it), the rootfs is only chroot()ed into.
         */
        if (c->config->ns[CTR_NS_MOUNT].enabled)
                r = rootfs_mount(c, err);
        else if ((c->rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                r = bv_error_set_errno(err, errno, "Failed to open the rootfs '%s'", c->rootfs);
        else
                r = 0;
        if (r < 0)
                return r;
        /*
         * A missing process.cwd is created (mode 0755, owned by the
         * container's root) as runc does, resolved inside the rootfs like a
         * mount target, so a symlink in it cannot lead out of the root.
         */
        if (c->process && c->process->cwd) {
                r = mkdir_in_root(c->rootfd, c->process->cwd, err);
                if (r < 0)
                        return bv_error_prefix(err, "Failed to create the working directory '%s'",
                                               c->process->cwd);
                close(r);
        }
        return 0;
}

int ctr_console_setup(struct ctr_child *c, struct bv_error *err)
{
        char sp[FD_PATH_MAX], tp[FD_PATH_MAX];
        int r;

        if (!c->process->terminal)
                return 0;
        if (c->console_sock < 0)
                return bv_error_set(err, EINVAL, "process.terminal needs --console-socket");
        _cleanup_close_ int master = ctr_open_in_root(c->rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, NULL);
        if (master < 0)
                master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return bv_error_set_errno(err, errno, "Failed to open a pty");
        int unlock = 0;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return bv_error_set_errno(err, errno, "Failed to unlock the pty");
        int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return bv_error_set_errno(err, errno, "Failed to open the pty's peer");
        c->pty_slave = slave;
        if (c->process->console_height || c->process->console_width) {
                struct winsize ws = { .ws_row = (unsigned short)c->process->console_height,
                                      .ws_col = (unsigned short)c->process->console_width };
                ioctl(slave, TIOCSWINSZ, &ws);
        }
        /* Without a mount namespace of its own, no /dev/console: it would be a mount on the host. */
        if (c->config->ns[CTR_NS_MOUNT].enabled) {
                r = touch_in_root(c->rootfd, "/dev/console", err);
                if (r < 0)
                        return r;
                _cleanup_close_ int tfd = open_target(c->rootfd, "/dev/console", err);
                if (tfd < 0)
                        return tfd;
                fd_path(sp, slave);
                fd_path(tp, tfd);
                if (mount(sp, tp, NULL, MS_BIND, NULL) < 0)
                        return bv_error_set_errno(err, errno, "Failed to bind the pty onto /dev/console");
        }
        r = bv_fd_send(c->console_sock, "console", 7, &master, 1);
        if (r < 0)
                return bv_error_set_errno(err, -r, "Failed to send the pty to the console socket");
        close(c->console_sock);
        c->console_sock = -1;
        return 0;
}

static int mask_path(const char *path, struct bv_error *err)
{
        struct stat st;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : bv_error_set_errno(err, errno, "Failed to mask '%s'", path);
        if (S_ISLNK(st.st_mode))
                return 0;
        if (S_ISDIR(st.st_mode)) {
                if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k") < 0)
                        return bv_error_set_errno(err, errno, "Failed to mask '%s'", path);
        } else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0)
                return bv_error_set_errno(err, errno, "Failed to mask '%s'", path);
        return 0;
}

static int readonly_path(const char *path, struct bv_error *err)
{
        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
                return errno == ENOENT ? 0 : bv_error_set_errno(err, errno, "Failed to make '%s' read-only", path);
        if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | locked_flags(path), NULL) < 0)
                return bv_error_set_errno(err, errno, "Failed to make '%s' read-only", path);
        return 0;
}

/*
 * Without a mount namespace of its own a masked or read-only path would be
 * a mount on the host: one that exists in the root is refused (one that
 * does not, as /proc/kcore without /proc mounted, needs nothing).
 */
static int paths_unmountable(const struct ctr_config *cfg, struct bv_error *err)
{
        struct stat st;

        for (size_t i = 0; i < cfg->n_masked_paths; i++)
                if (lstat(cfg->masked_paths[i], &st) == 0)
                        return bv_error_set(err, EOPNOTSUPP, "linux.maskedPaths[%zu]: masking '%s' needs a mount "
                                            "namespace (linux.namespaces has none)", i, cfg->masked_paths[i]);
        for (size_t i = 0; i < cfg->n_readonly_paths; i++)
                if (lstat(cfg->readonly_paths[i], &st) == 0)
                        return bv_error_set(err, EOPNOTSUPP, "linux.readonlyPaths[%zu]: making '%s' read-only "
                                            "needs a mount namespace (linux.namespaces has none)", i,
                                            cfg->readonly_paths[i]);
        return 0;
}

int ctr_rootfs_enter(struct ctr_child *c, struct bv_error *err)
{
        const struct ctr_config *cfg = c->config;
        int r;

        if (fchdir(c->rootfd) < 0)
                return bv_error_set_errno(err, errno, "Failed to enter the rootfs");
        if (!cfg->ns[CTR_NS_MOUNT].enabled) {
                /* The host's mount namespace: chroot only (see ctr_rootfs_prepare()). */
                if (chroot(".") < 0)
                        return bv_error_set_errno(err, errno, "Failed to chroot into the rootfs");
        } else if (c->no_pivot) {
                if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                        return bv_error_set_errno(err, errno, "Failed to move the rootfs to /");
                if (chroot(".") < 0)
                        return bv_error_set_errno(err, errno, "Failed to chroot into the rootfs");
        } else {
                if (syscall(SYS_pivot_root, ".", ".") < 0)
                        return bv_error_set_errno(err, errno, "Failed to pivot_root into '%s'", c->rootfs);
                /* The old root is stacked on "."; detach it without telling the host. */
                if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                        return bv_error_set_errno(err, errno, "Failed to make the old root slave");
                if (umount2(".", MNT_DETACH) < 0)
                        return bv_error_set_errno(err, errno, "Failed to detach the old root");
        }
        /* After the pivot: pivot_root refuses a shared root (EINVAL). */
        if (cfg->ns[CTR_NS_MOUNT].enabled && cfg->rootfs_propagation &&
            mount(NULL, "/", NULL, cfg->rootfs_propagation, NULL) < 0)
                return bv_error_set_errno(err, errno, "Failed to set rootfsPropagation");
        if (chdir("/") < 0)
                return bv_error_set_errno(err, errno, "Failed to chdir to /");
        close(c->rootfd);
        c->rootfd = -1;
        /* Before /proc/sys becomes read-only. */
        if ((r = ctr_sysctl_apply(cfg, err)) < 0)
                return r;
        if (!cfg->ns[CTR_NS_MOUNT].enabled)
                return paths_unmountable(cfg, err);
        for (size_t i = 0; i < cfg->n_masked_paths; i++)
                if ((r = mask_path(cfg->masked_paths[i], err)) < 0)
                        return r;
        for (size_t i = 0; i < cfg->n_readonly_paths; i++)
                if ((r = readonly_path(cfg->readonly_paths[i], err)) < 0)
                        return r;
        if (cfg->root_readonly &&
            mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), NULL) < 0)
                return bv_error_set_errno(err, errno, "Failed to make the root read-only");
        return 0;
}

int ctr_sysctl_apply(const struct ctr_config *cfg, struct bv_error *err)
{
        for (size_t i = 0; i < cfg->n_sysctls; i++) {
                char path[512];
                int n = snprintf(path, sizeof(path), "/proc/sys/%s", cfg->sysctls[i].key);
                if (n < 0 || (size_t)n >= sizeof(path))
                        return bv_error_set(err, ENAMETOOLONG, "sysctl '%s' too long", cfg->sysctls[i].key);
                for (char *p = path + 10; *p; p++)
                        if (*p == '.')
                                *p = '/';
                _cleanup_close_ int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return bv_error_set_errno(err, errno, "Failed to set sysctl '%s'", cfg->sysctls[i].key);
                const char *v = cfg->sysctls[i].value;
                if (write(fd, v, strlen(v)) < 0)
                        return bv_error_set_errno(err, errno, "Failed to set sysctl '%s' to '%s'",
                                                  cfg->sysctls[i].key, v);
        }
        return 0;
}
