/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Atomic writes, bounded reads, mkdir -p, rm -rf, and their failure paths. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "tests/tap.h"

static int count_entries(const char *dir)
{
        int n = 0;
        DIR *d = opendir(dir);
        struct dirent *e;

        while (d && (e = readdir(d)))
                if (e->d_name[0] != '.')
                        n++;
        if (d)
                closedir(d);
        return n;
}

int main(void)
{
        struct bv_error err = {};
        char dir[] = "/tmp/bv-test-file.XXXXXX", path[256], sub[256];
        char *buf = NULL;
        size_t len;

        tap_ok(mkdtemp(dir) != NULL, "tmp dir");
        snprintf(path, sizeof(path), "%s/def.json", dir);
        tap_is_int(bv_file_write_atomic(path, "one", 3, 0600, &err), 0, "atomic write");
        tap_is_int(bv_file_read(path, 100, &buf, &len, &err), 0, "read back");
        tap_ok(len == 3 && strcmp(buf, "one") == 0, "content is 'one'");
        free(buf);
        struct stat st;
        tap_ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "mode applied");
        tap_is_int(bv_file_write_atomic(path, "second", 6, 0644, &err), 0, "replace");
        tap_is_int(bv_file_read(path, 100, &buf, &len, &err), 0, "read again");
        tap_is_str(buf, "second", "content replaced whole");
        free(buf);
        tap_is_int(count_entries(dir), 1, "no temp file left behind");

        tap_is_int(bv_file_read(path, 3, &buf, &len, &err), -EFBIG, "read over the cap refused");
        tap_ok(strstr(err.msg, "larger than 3 bytes") != NULL, "cap message");
        snprintf(sub, sizeof(sub), "%s/missing/x", dir);
        tap_is_int(bv_file_write_atomic(sub, "x", 1, 0644, &err), -ENOENT, "write into missing dir fails");
        tap_is_int(bv_file_read(sub, 10, &buf, &len, &err), -ENOENT, "read of missing file fails");
        tap_ok(strstr(err.msg, sub) != NULL, "message names the path");

        if (geteuid() != 0) {
                snprintf(sub, sizeof(sub), "%s/ro", dir);
                mkdir(sub, 0500);
                snprintf(path, sizeof(path), "%s/ro/f", dir);
                tap_is_int(bv_file_write_atomic(path, "x", 1, 0644, &err), -EACCES, "unwritable dir fails");
                rmdir(sub);
        } else
                tap_skip("unwritable-directory case needs a non-root user");

        snprintf(sub, sizeof(sub), "%s/a/b/c", dir);
        tap_is_int(bv_mkdir_p(sub, 0755, &err), 0, "mkdir -p");
        tap_is_int(bv_mkdir_p(sub, 0755, &err), 0, "mkdir -p again is fine");
        snprintf(path, sizeof(path), "%s/def.json/x", dir);
        tap_ok(bv_mkdir_p(path, 0755, &err) < 0, "mkdir -p through a file fails");

        snprintf(path, sizeof(path), "%s/line", dir);
        bv_file_write_atomic(path, "hybrid\n\n", 8, 0644, NULL);
        tap_is_int(bv_file_read_line(path, &buf, &err), 0, "read_line");
        tap_is_str(buf, "hybrid", "trailing newlines stripped");
        free(buf);

        /* rm -rf: a tree with a symlink out of it (not followed) and a bind mount in it (not entered). */
        char out[256], keep[300], tree[256], m[300];
        snprintf(out, sizeof(out), "%s/outside", dir);
        snprintf(keep, sizeof(keep), "%s/keep", out);
        snprintf(tree, sizeof(tree), "%s/tree", dir);
        snprintf(sub, sizeof(sub), "%s/x/y", tree);
        snprintf(m, sizeof(m), "%s/m", tree);
        bv_mkdir_p(out, 0755, NULL);
        bv_file_write_atomic(keep, "k", 1, 0644, NULL);
        bv_mkdir_p(sub, 0755, NULL);
        bv_mkdir_p(m, 0755, NULL);
        snprintf(path, sizeof(path), "%s/x/y/f", tree);
        bv_file_write_atomic(path, "f", 1, 0644, NULL);
        snprintf(path, sizeof(path), "%s/link", tree);
        tap_ok(symlink(out, path) == 0, "a symlink out of the tree");
        if (geteuid() == 0 && mount(out, m, NULL, MS_BIND, NULL) == 0) {
                tap_is_int(bv_rm_rf(tree), -EBUSY, "rm -rf stops at a bind mount of the same filesystem");
                tap_ok(access(keep, F_OK) == 0 && access(m, F_OK) == 0, "and leaves the mounted directory alone");
                umount2(m, MNT_DETACH);
        } else {
                tap_skip("bind-mount case needs root");
                tap_skip("bind-mount case needs root");
        }
        tap_is_int(bv_rm_rf(tree), 0, "rm -rf of a tree");
        tap_ok(access(tree, F_OK) < 0 && access(keep, F_OK) == 0, "the tree is gone, the symlink's target is not");
        tap_is_int(bv_rm_rf(tree), 0, "rm -rf of a missing path is 0");
        tap_is_int(bv_rm_rf(keep), 0, "rm -rf of a file removes it");
        tap_ok(access(keep, F_OK) < 0, "the file is gone");
        tap_ok(system("rm -rf /tmp/bv-test-file.*") == 0, "cleanup");
        tap_done();
}
