/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Image tarballs, imported once into STATE/images/ID/ and shared read-only
 * by every container made from them (each gets its own overlay upper layer).
 * ID is 16 hex digits of FNV-1a 64 over realpath(tar), size and mtime (no
 * crypto library here): importing the same unchanged file again reuses it.
 *
 * The archive is not ours. GNU tar, run as a child with a timeout, already
 * refuses members whose names climb out with "../" (and strips a leading
 * "/"); after extraction, every symlink is checked and an absolute one
 * refuses the archive, since such a link means a host path to every host
 * tool that looks at the layer without resolving inside the root. The
 * extraction goes to images_dir/.tmp-ID-PID and is renamed into place only
 * when complete, so a failed or interrupted import leaves no image behind.
 * Everything here blocks; barevirtd calls it from a forked child.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr.h"

#define TAR_TIMEOUT_MS (10 * 60 * 1000)
#define MAX_DEPTH 256

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
        const unsigned char *p = data;
        for (size_t i = 0; i < len; i++)
                h = (h ^ p[i]) * 1099511628211ULL;
        return h;
}

static int image_id(const char *tar, char *ret_id, size_t len, char real[PATH_MAX], struct stat *st,
                    struct bv_error *err)
{
        uint64_t h = 14695981039346656037ULL, size, mtime;

        if (len < 17)
                return bv_error_set(err, EINVAL, "Image id buffer too small");
        if (!realpath(tar, real))
                return bv_error_set_errno(err, errno, "Image '%s'", tar);
        if (stat(real, st) < 0)
                return bv_error_set_errno(err, errno, "Image '%s'", tar);
        if (!S_ISREG(st->st_mode))
                return bv_error_set(err, EINVAL, "Image '%s' is not a regular file", tar);
        size = (uint64_t)st->st_size;
        mtime = (uint64_t)st->st_mtim.tv_sec * 1000000000ULL + (uint64_t)st->st_mtim.tv_nsec;
        h = fnv1a(h, real, strlen(real) + 1);
        h = fnv1a(h, &size, sizeof(size));
        h = fnv1a(h, &mtime, sizeof(mtime));
        snprintf(ret_id, len, "%016llx", (unsigned long long)h);
        return 0;
}

int ctr_image_id(const char *tar, char *ret_id, size_t len, struct bv_error *err)
{
        char real[PATH_MAX];
        struct stat st;
        return image_id(tar, ret_id, len, real, &st, err);
}

static bool id_is_valid(const char *id)
{
        return id && strlen(id) == 16 && strspn(id, "0123456789abcdef") == 16;
}

/* Finds an absolute symlink under dfd; writes its path (relative) into found. */
static int find_abs_symlink(int dfd, unsigned depth, char *found, size_t len, size_t off)
{
        if (depth > MAX_DEPTH)
                return -ELOOP;
        DIR *d;
        int r = bv_dir_dup(dfd, &d);
        if (r < 0)
                return r;
        for (struct dirent *e; r == 0 && (e = readdir(d));) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                struct stat st;
                if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = -errno;
                        break;
                }
                size_t n = (size_t)snprintf(found + off, len - off, "/%s", e->d_name);
                size_t next = off + n < len ? off + n : len - 1;
                if (S_ISLNK(st.st_mode)) {
                        char target[8];
                        ssize_t k = readlinkat(dfd, e->d_name, target, sizeof(target));
                        if (k > 0 && target[0] == '/') {
                                r = 1;
                                break;
                        }
                } else if (S_ISDIR(st.st_mode)) {
                        int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0) {
                                r = -errno;
                                break;
                        }
                        r = find_abs_symlink(sub, depth + 1, found, len, next);
                        close(sub);
                }
                if (r == 0)
                        found[off] = 0;
        }
        closedir(d);
        return r;
}

static const char *tar_binary(void)
{
        return access("/usr/bin/tar", X_OK) == 0 ? "/usr/bin/tar" : "/bin/tar";
}

static int extract(const char *tar, const char *real, const char *dir, struct bv_error *err)
{
        char out[512], *argv[] = { (char *)tar_binary(), (char *)"--numeric-owner", (char *)"-xpf",
                                   (char *)real, (char *)"-C", (char *)dir, NULL };
        int status = 0, r;

        r = bv_proc_run_capture(argv, TAR_TIMEOUT_MS, out, sizeof(out), &status, err);
        if (r == -ETIMEDOUT)
                return bv_error_set(err, ETIMEDOUT, "Extracting image '%s' took too long", tar);
        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                /* GNU tar skips "../" members with "Member name contains '..'" and fails at the end. */
                char *bad = strstr(out, "contains '..'");
                if (bad) {
                        char *start = bad;
                        while (start > out && start[-1] != '\n')
                                start--;
                        char *colon = strstr(start, ": ");
                        char *member = colon && colon < bad ? colon + 2 : start;
                        char *end = strstr(member, ": ");
                        int n = end && end < bad ? (int)(end - member) : 0;
                        return bv_error_set(err, EINVAL, "Image '%s' has a member outside its root ('..'): '%.*s': refused",
                                            tar, n, member);
                }
                char *line = out, *nl;
                for (char *l = out; *l; l = nl + 1) {
                        nl = strchr(l, '\n');
                        if (strstr(l, "..") || strstr(l, "Cannot") || strstr(l, "rror")) {
                                line = l;
                                break;
                        }
                        if (!nl)
                                break;
                }
                if ((nl = strchr(line, '\n')))
                        *nl = 0;
                return bv_error_set(err, EINVAL, "Image '%s' is not a usable tar archive: %s", tar,
                                    line[0] ? line : "tar failed");
        }
        return 0;
}

static int import_into(const char *tmp, const char *tar, const char *real, const struct stat *st,
                       const char *id, struct bv_error *err)
{
        char rootfs[PATH_MAX + 16], meta[PATH_MAX + 16], found[512] = "", when[40];
        time_t now = time(NULL);
        struct tm tm;
        int r;

        snprintf(rootfs, sizeof(rootfs), "%s/rootfs", tmp);
        snprintf(meta, sizeof(meta), "%s/image.json", tmp);
        if (mkdir(tmp, 0700) < 0 || mkdir(rootfs, 0755) < 0)
                return bv_error_set_errno(err, errno, "Failed to create '%s'", rootfs);
        if ((r = extract(tar, real, rootfs, err)) < 0)
                return r;
        _cleanup_close_ int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return bv_error_set_errno(err, errno, "Failed to open '%s'", rootfs);
        r = find_abs_symlink(fd, 0, found, sizeof(found), 0);
        if (r > 0)
                return bv_error_set(err, EINVAL, "Image '%s' has an absolute symlink '%s': refused", tar, found);
        if (r < 0)
                return bv_error_set_errno(err, -r, "Failed to check the files of image '%s'", tar);
        /* The image's root is the container's /: world-readable, like any root directory. */
        if (chmod(rootfs, 0755) < 0 || chmod(tmp, 0755) < 0)
                return bv_error_set_errno(err, errno, "chmod '%s'", rootfs);

        gmtime_r(&now, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_auto_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s}", "id", id, "source", real, "size",
                                   (json_int_t)st->st_size, "mtime", (json_int_t)st->st_mtim.tv_sec,
                                   "imported_at", when);
        if (!o)
                return -ENOMEM;
        return bv_json_write_file(meta, o, err);
}

int ctr_image_import(const char *images_dir, const char *tar, char *ret_id, size_t len, struct bv_error *err)
{
        char real[PATH_MAX], id[17], final[PATH_MAX + 32], tmp[PATH_MAX + 64], meta[PATH_MAX + 48];
        struct stat st;
        int r;

        if ((r = image_id(tar, id, sizeof(id), real, &st, err)) < 0)
                return r;
        if (snprintf(final, sizeof(final), "%s/%s", images_dir, id) >= (int)sizeof(final))
                return bv_error_set(err, ENAMETOOLONG, "Path too long");
        snprintf(meta, sizeof(meta), "%s/image.json", final);
        if (access(meta, F_OK) == 0) {
                snprintf(ret_id, len, "%s", id);
                return 0;   /* imported before: reuse */
        }
        if ((r = bv_mkdir_p(images_dir, 0700, err)) < 0)
                return r;
        snprintf(tmp, sizeof(tmp), "%s/.tmp-%s-%d", images_dir, id, (int)getpid());
        bv_rm_rf(tmp);   /* a leftover of a crashed import by a process with our pid */
        r = import_into(tmp, tar, real, &st, id, err);
        if (r == 0 && rename(tmp, final) < 0) {
                if ((errno == EEXIST || errno == ENOTEMPTY) && access(meta, F_OK) == 0)
                        r = 0;   /* a concurrent import of the same file won: use it */
                else
                        r = bv_error_set_errno(err, errno, "Failed to move image '%s' into place", tar);
                bv_rm_rf(tmp);
        } else if (r < 0)
                bv_rm_rf(tmp);
        if (r < 0)
                return r;
        snprintf(ret_id, len, "%s", id);
        return 0;
}

int ctr_image_remove(const char *images_dir, const char *id, struct bv_error *err)
{
        char path[PATH_MAX + 32];
        struct stat st;
        int r;

        if (!id_is_valid(id))
                return bv_error_set(err, EINVAL, "Invalid image id '%.32s'", id ? id : "");
        snprintf(path, sizeof(path), "%s/%s", images_dir, id);
        if (lstat(path, &st) < 0)
                return bv_error_set_errno(err, errno, "Image '%s'", id);
        r = bv_rm_rf(path);
        if (r < 0)
                return bv_error_set_errno(err, -r, "Failed to remove image '%s'", id);
        return 0;
}
