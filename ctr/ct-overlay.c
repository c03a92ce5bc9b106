/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The root filesystem of a container made from an image: overlayfs with
 * the shared, never-written image rootfs as the lower layer and the
 * container's own upper and work directories (STATE/containers/NAME/upper,
 * .../work), mounted on RUN/containers/NAME/rootfs. Paths go into the mount
 * options string, so the characters that separate options or layers there
 * (',' ':' '\\') are refused rather than escaped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "common/common.h"
#include "ctr/ctr.h"

static int check_path(const char *p, const char *what, struct bv_error *err)
{
        if (!p || p[0] != '/')
                return bv_error_set(err, EINVAL, "Overlay %s must be an absolute path", what);
        if (strpbrk(p, ",:\\"))
                return bv_error_set(err, EINVAL, "Overlay %s '%s' contains ',', ':' or '\\'", what, p);
        return 0;
}

int ctr_ct_overlay_mount(const char *lower, const char *upper, const char *work, const char *merged,
                         struct bv_error *err)
{
        char opts[3 * 4096 + 64];
        struct stat st;
        int r;

        if ((r = check_path(lower, "lower directory", err)) < 0 ||
            (r = check_path(upper, "upper directory", err)) < 0 ||
            (r = check_path(work, "work directory", err)) < 0 ||
            (r = check_path(merged, "mount point", err)) < 0)
                return r;
        if (stat(lower, &st) < 0)
                return bv_error_set_errno(err, errno, "Overlay lower directory '%s'", lower);
        if (!S_ISDIR(st.st_mode))
                return bv_error_set(err, ENOTDIR, "Overlay lower directory '%s' is not a directory", lower);
        if ((r = bv_mkdir_p(upper, 0755, err)) < 0 || (r = bv_mkdir_p(work, 0755, err)) < 0 ||
            (r = bv_mkdir_p(merged, 0755, err)) < 0)
                return r;
        if (snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work) >=
            (int)sizeof(opts))
                return bv_error_set(err, ENAMETOOLONG, "Overlay paths too long");
        if (mount("overlay", merged, "overlay", MS_NODEV, opts) < 0)
                return bv_error_set_errno(err, errno, "Failed to mount the overlay on '%s'", merged);
        return 0;
}

int ctr_ct_overlay_umount(const char *merged, struct bv_error *err)
{
        if (umount2(merged, UMOUNT_NOFOLLOW) == 0)
                return 0;
        if (errno == EINVAL || errno == ENOENT)
                return 0;   /* not a mount point (any more) */
        if (errno == EBUSY && umount2(merged, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
                return 0;
        return bv_error_set_errno(err, errno, "Failed to unmount '%s'", merged);
}
