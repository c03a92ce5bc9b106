/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Atomic file replacement and bounded reads. A state file is either the old
 * or the new version after a crash, never a mix: the data goes to a temp
 * file in the same directory, is fsynced, renamed over the target, and the
 * directory is fsynced so the rename itself is durable.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"

static int fsync_parent(const char *path)
{
        char buf[PATH_MAX];

        if (strlen(path) >= sizeof(buf))
                return -ENAMETOOLONG;
        strcpy(buf, path);
        _cleanup_close_ int dfd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        if (fsync(dfd) < 0)
                return -errno;
        return 0;
}

/* Fills the temporary file fd (named tmp) with data and flushes it to disk. */
static int write_temp(int fd, const char *tmp, const void *data, size_t len, mode_t mode,
                      struct bv_error *err)
{
        int r;

        if (fchmod(fd, mode) < 0)
                return bv_error_set_errno(err, errno, "Failed to chmod '%s'", tmp);
        r = bv_fd_write_all(fd, data, len);
        if (r < 0)
                return bv_error_set_errno(err, -r, "Failed to write '%s'", tmp);
        if (fsync(fd) < 0)
                return bv_error_set_errno(err, errno, "Failed to fsync '%s'", tmp);
        return 0;
}

int bv_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct bv_error *err)
{
        char tmp[PATH_MAX];
        int r;

        if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
                return bv_error_set(err, ENAMETOOLONG, "Path '%.200s' is too long", path);
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return bv_error_set_errno(err, errno, "Failed to create a temporary file for '%s'", path);
        r = write_temp(fd, tmp, data, len, mode, err);
        if (r == 0 && rename(tmp, path) < 0)
                r = bv_error_set_errno(err, errno, "Failed to rename '%s' to '%s'", tmp, path);
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        r = fsync_parent(path);
        if (r < 0)
                return bv_error_set_errno(err, -r, "Failed to fsync the directory of '%s'", path);
        return 0;
}

int bv_file_read(const char *path, size_t max, char **ret, size_t *ret_len, struct bv_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return bv_error_set_errno(err, errno, "Failed to open '%s'", path);

        size_t cap = 4096, len = 0;
        _cleanup_free_ char *buf = malloc(cap + 1);
        if (!buf)
                return bv_error_set(err, ENOMEM, "Out of memory");
        for (;;) {
                if (len == cap) {
                        if (cap > max)
                                break;
                        size_t ncap = cap * 2;
                        if (ncap > max + 1)
                                ncap = max + 1;
                        char *nb = realloc(buf, ncap + 1);
                        if (!nb)
                                return bv_error_set(err, ENOMEM, "Out of memory");
                        buf = nb;
                        cap = ncap;
                }
                ssize_t n = bv_fd_read(fd, buf + len, cap - len);
                if (n < 0)
                        return bv_error_set_errno(err, (int)-n, "Failed to read '%s'", path);
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (len > max)
                return bv_error_set(err, EFBIG, "'%s' is larger than %zu bytes", path, max);
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

int bv_file_read_line(const char *path, char **ret, struct bv_error *err)
{
        char *buf;
        size_t len;
        int r = bv_file_read(path, 64 * 1024, &buf, &len, err);

        if (r < 0)
                return r;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
                buf[--len] = '\0';
        *ret = buf;
        return 0;
}

int bv_mkdir_p(const char *path, mode_t mode, struct bv_error *err)
{
        char buf[PATH_MAX];

        if (strlen(path) >= sizeof(buf))
                return bv_error_set(err, ENAMETOOLONG, "Path '%.200s' is too long", path);
        strcpy(buf, path);
        for (char *p = buf + 1;; p++) {
                if (*p == '/' || *p == '\0') {
                        char c = *p;
                        *p = '\0';
                        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                                return bv_error_set_errno(err, errno, "Failed to create '%s'", buf);
                        *p = c;
                        if (!c)
                                break;
                }
        }
        struct stat st;
        if (stat(path, &st) < 0)
                return bv_error_set_errno(err, errno, "Failed to stat '%s'", path);
        if (!S_ISDIR(st.st_mode))
                return bv_error_set(err, ENOTDIR, "'%s' is not a directory", path);
        return 0;
}

#define RM_MAX_DEPTH 256

static bool is_mount_root(int dfd, const char *name)
{
        struct statx stx;

        return statx(dfd, name, AT_SYMLINK_NOFOLLOW, 0, &stx) == 0 &&
               (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

int bv_dir_dup(int dfd, DIR **ret)
{
        int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);

        if (!d) {
                int e = errno;
                if (fd >= 0)
                        close(fd);
                return -e;
        }
        *ret = d;
        return 0;
}

/* Removes what dfd holds; dfd itself stays. */
static int rm_contents(int dfd, unsigned depth)
{
        int r = 0;

        if (depth > RM_MAX_DEPTH)
                return -ELOOP;
        DIR *d;
        if ((r = bv_dir_dup(dfd, &d)) < 0)
                return r;
        for (struct dirent *e; (e = readdir(d));) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                if (unlinkat(dfd, e->d_name, 0) == 0)
                        continue;
                if (errno != EISDIR && errno != EPERM) {
                        r = r ?: -errno;
                        continue;
                }
                if (is_mount_root(dfd, e->d_name)) {
                        r = r ?: -EBUSY;
                        continue;
                }
                int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0) {
                        r = r ?: -errno;
                        continue;
                }
                int q = rm_contents(sub, depth + 1);
                close(sub);
                if (q < 0)
                        r = r ?: q;
                else if (unlinkat(dfd, e->d_name, AT_REMOVEDIR) < 0)
                        r = r ?: -errno;
        }
        closedir(d);
        return r;
}

int bv_rm_rf(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                if (errno != ENOTDIR && errno != ELOOP)
                        return -errno;
                return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
        }
        int r = rm_contents(fd, 0);
        if (r == 0 && rmdir(path) < 0)
                r = -errno;
        return r;
}

void bv_def_path(char *buf, size_t len, const char *state_dir, const char *kind, const char *name)
{
        snprintf(buf, len, "%s/%s/%s.json", state_dir, kind, name);
}
