/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files: atomic replacement (write temp, fsync, rename, fsync directory), so
 * a crash leaves either the old or the new content and never half of either;
 * bounded reads, so a file we did not write cannot make us allocate without
 * limit; directory creation and recursive removal.
 */
#pragma once

#include <dirent.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

/*
 * Replaces path with data/len atomically: writes "<path>.tmp.XXXXXX" in the
 * same directory, fsyncs it, renames it over path and fsyncs the directory.
 * On failure the temp file is removed and path is untouched.
 * Returns 0 or -errno. Blocks on disk I/O.
 */
int bv_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct bv_error *err);

/*
 * Reads the whole of path into a NUL-terminated malloc'ed buffer, failing
 * with -EFBIG when it is larger than max bytes. *ret_len excludes the NUL.
 */
int bv_file_read(const char *path, size_t max, char **ret, size_t *ret_len,
                 struct bv_error *err);

/* Like bv_file_read(), but strips trailing newlines; for one-line files in /proc and /sys. */
int bv_file_read_line(const char *path, char **ret, struct bv_error *err);

/* mkdir -p with mode for each created component. Returns 0 or -errno. */
int bv_mkdir_p(const char *path, mode_t mode, struct bv_error *err);

/* A DIR stream over a duplicate of dfd (dfd stays the caller's) into *ret. Returns 0 or -errno. */
int bv_dir_dup(int dfd, DIR **ret);

/*
 * rm -rf path. Never follows a symlink and never descends into a mount
 * point, bind mounts of the same filesystem included (a mount left behind,
 * say an idmapped bind of a container's rootfs, would otherwise be emptied
 * at its source): such a directory stays, and the result is -EBUSY. At most
 * 256 levels deep (-ELOOP below). 0 also when path does not exist; else
 * the first -errno, having removed what it could. Blocks on disk I/O.
 */
int bv_rm_rf(const char *path);

/* STATE_DIR/KIND/NAME.json: where the definition of an instance or network of kind lives. */
void bv_def_path(char *buf, size_t len, const char *state_dir, const char *kind, const char *name);
