/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The golden-file loop shared by the definition tests (test-vmm-def.c,
 * test-ct-def.c), header-only like tap.h: golden_each() calls fn for every
 * NAME.json in tests/unit/SUB, and golden_refused() checks that a bad
 * definition was refused with a message containing the line in NAME.err.
 */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/error.h"
#include "common/file.h"
#include "tests/tap.h"

/* Calls fn(dir, name) for each NAME.json of $top_srcdir/tests/unit/sub, in name order. */
static inline void golden_each(const char *sub, void (*fn)(const char *dir, const char *name))
{
        char dir[1024];
        struct dirent **list;
        const char *src = getenv("top_srcdir") ?: ".";

        snprintf(dir, sizeof(dir), "%s/tests/unit/%s", src, sub);
        int n = scandir(dir, &list, NULL, alphasort);
        if (n < 0) {
                tap_ok(false, "cannot read %s", dir);
                return;
        }
        for (int i = 0; i < n; i++) {
                size_t len = strlen(list[i]->d_name);
                if (len > 5 && strcmp(list[i]->d_name + len - 5, ".json") == 0)
                        fn(dir, list[i]->d_name);
                free(list[i]);
        }
        free(list);
}

/* r and err are what loading dir/name (NAME.json) returned: -EINVAL and the message in NAME.err. */
static inline void golden_refused(const char *dir, const char *name, int r, const struct bv_error *err)
{
        char err_path[1024];
        _cleanup_free_ char *want = NULL;

        snprintf(err_path, sizeof(err_path), "%s/%.*s.err", dir, (int)(strlen(name) - 5), name);
        if (!tap_ok(r == -EINVAL, "%s is refused", name))
                tap_diag("  returned %d", r);
        if (bv_file_read_line(err_path, &want, NULL) < 0)
                tap_ok(false, "%s has no .err file", name);
        else if (!tap_ok(strstr(err->msg, want) != NULL, "%s: message says '%s'", name, want))
                tap_diag("  got '%s'", err->msg);
}
