/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The golden-file loop shared by the definition tests (test-vmm-def.c,
 * test-ct-def.c), header-only like tap.h: golden_each() calls fn for every
 * NAME.json in tests/unit/SUB, golden_load() reads one of them,
 * golden_round_trip() checks that a definition's JSON reads back the same,
 * and golden_each_refused() checks that each bad definition of a folder is
 * refused with a message containing the line in NAME.err.
 */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "tests/tap.h"

/* Loads dir/name (at most 64 KiB of JSON) into *ret. Returns 0 or -errno, with err set. */
static inline int golden_load(const char *dir, const char *name, json_t **ret, struct bv_error *err)
{
        char path[1024];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return bv_json_load_file(path, 65536, ret, err);
}

/*
 * A parsed definition's JSON survives a round trip: reparse(json, err)
 * parses it again and returns the new definition's JSON (NULL when it was
 * refused; it frees the definition), which must equal json.
 */
static inline void golden_round_trip(const char *name, json_t *json,
                                     json_t *(*reparse)(json_t *o, struct bv_error *err))
{
        struct bv_error err = {};
        json_auto_t *again = json ? reparse(json, &err) : NULL;

        tap_ok(again != NULL, "%s survives a round trip", name);
        tap_ok(again && json_equal(json, again), "%s round trip is stable", name);
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

/* parse (which frees what it made) refuses dir/name as golden_refused() wants it. */
static inline void golden_refuses(const char *dir, const char *name,
                                  int (*parse)(json_t *o, struct bv_error *err))
{
        json_auto_t *o = NULL;
        struct bv_error err = {};
        int r = golden_load(dir, name, &o, &err);

        golden_refused(dir, name, r < 0 ? r : parse(o, &err), &err);
}

/*
 * Calls fn(dir, name) for each NAME.json of $top_srcdir/tests/unit/sub, in
 * name order; with fn NULL, golden_refuses(dir, name, parse) instead.
 */
static inline void golden_scan(const char *sub, void (*fn)(const char *dir, const char *name),
                               int (*parse)(json_t *o, struct bv_error *err))
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
                if (len > 5 && strcmp(list[i]->d_name + len - 5, ".json") == 0) {
                        if (fn)
                                fn(dir, list[i]->d_name);
                        else
                                golden_refuses(dir, list[i]->d_name, parse);
                }
                free(list[i]);
        }
        free(list);
}

/* Calls fn(dir, name) for each NAME.json of $top_srcdir/tests/unit/sub, in name order. */
static inline void golden_each(const char *sub, void (*fn)(const char *dir, const char *name))
{
        golden_scan(sub, fn, NULL);
}

/*
 * Each NAME.json of $top_srcdir/tests/unit/sub must be refused: either as
 * JSON, or by parse(o, err) (which frees whatever it made), with -EINVAL and
 * a message containing the line in NAME.err.
 */
static inline void golden_each_refused(const char *sub, int (*parse)(json_t *o, struct bv_error *err))
{
        golden_scan(sub, NULL, parse);
}
