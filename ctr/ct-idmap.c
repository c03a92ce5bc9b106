/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Idmapped mounts for containers with a user namespace. Container root is
 * an unprivileged host id (userns_base), so files the host owns (a
 * directory rootfs, the shared image) would show up as nobody and stay
 * unwritable. An idmapped mount (open_tree + mount_setattr(MOUNT_ATTR_IDMAP)
 * + move_mount, Linux >= 5.12) shows the same inodes with ids shifted by the
 * container's mapping: on-disk 0 is seen as userns_base, so container root
 * owns them, and what it writes is stored back unshifted (on-disk 0).
 *
 * The mapping comes from a user namespace: ctr_ct_userns_open() makes a
 * short-lived child in a new user namespace (and, when asked, a network
 * namespace that belongs to it), writes "0 base size" as its uid and gid
 * maps, keeps fds of the namespaces and lets the child go. A mount keeps
 * its own reference to the user namespace; barevirtd also pins it (and the
 * netns) on files, for the container's runtime to join.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr.h"

static int write_map(pid_t pid, const char *file, const char *map)
{
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return write(fd, map, strlen(map)) == (ssize_t)strlen(map) ? 0 : -errno;
}

static int open_ns(pid_t pid, const char *type, struct bv_error *err)
{
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, type);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        return fd < 0 ? bv_error_set_errno(err, errno, "Failed to open '%s'", path) : fd;
}

int ctr_ct_userns_open(uint32_t base, uint32_t size, int *ret_fd, int *ret_netns_fd, struct bv_error *err)
{
        char map[64];
        int p[2], r = 0, fd = -1, nfd = -1;

        if (size == 0 || base == 0 || (uint64_t)base + size > 0xffffffffULL)
                return bv_error_set(err, EINVAL, "Bad id range %u+%u for a user namespace", base, size);
        snprintf(map, sizeof(map), "0 %u %u\n", base, size);
        if (pipe2(p, O_CLOEXEC) < 0)
                return bv_error_set_errno(err, errno, "Failed to make a pipe");
        unsigned long flags = CLONE_NEWUSER | (ret_netns_fd ? CLONE_NEWNET : 0) | SIGCHLD;
        pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
        if (pid == 0) {
                /* Wait until the parent has its fd of our namespace (EOF), then go. */
                char c;
                close(p[1]);
                while (read(p[0], &c, 1) < 0 && errno == EINTR)
                        ;
                _exit(0);
        }
        close(p[0]);
        if (pid < 0) {
                close(p[1]);
                return bv_error_set_errno(err, errno, "Failed to create a user namespace");
        }
        if ((r = write_map(pid, "uid_map", map)) < 0 || (r = write_map(pid, "gid_map", map)) < 0)
                bv_error_set_errno(err, -r, "Failed to map ids %u+%u in a user namespace", base, size);
        else if ((fd = open_ns(pid, "user", err)) < 0)
                r = fd;
        else if (ret_netns_fd && (nfd = open_ns(pid, "net", err)) < 0)
                r = nfd;
        close(p[1]);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        if (r < 0) {
                if (fd >= 0)
                        close(fd);
                return r;
        }
        *ret_fd = fd;
        if (ret_netns_fd)
                *ret_netns_fd = nfd;
        return 0;
}

int ctr_ct_idmap_bind(const char *src, const char *dst, int userns_fd, bool readonly, struct bv_error *err)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP | (readonly ? MOUNT_ATTR_RDONLY : 0),
                                   .userns_fd = (uint64_t)userns_fd };

        _cleanup_close_ int fd = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (fd < 0)
                return bv_error_set_errno(err, errno, "Failed to clone the mount of '%s'", src);
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
                int e = errno;
                if (e == EINVAL || e == EOPNOTSUPP || e == ENOSYS)
                        return bv_error_set(err, EOPNOTSUPP,
                                            "The filesystem of '%s' has no idmapped mounts (Linux >= 5.12; "
                                            "ext4, xfs, btrfs, tmpfs >= 6.3)", src);
                return bv_error_set_errno(err, e, "Failed to idmap the mount of '%s'", src);
        }
        struct stat st;
        if (mkdir(dst, 0755) < 0 && errno != EEXIST)
                return bv_error_set_errno(err, errno, "Failed to create '%s'", dst);
        if (lstat(dst, &st) < 0 || !S_ISDIR(st.st_mode))
                return bv_error_set(err, ENOTDIR, "'%s' is not a directory", dst);
        if (syscall(SYS_move_mount, fd, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return bv_error_set_errno(err, errno, "Failed to mount the idmapped '%s' on '%s'", src, dst);
        return 0;
}
