/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounded JSON loading: duplicates, depth, size, trailing data, types. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "tests/tap.h"

static int load(const char *s, size_t max, struct bv_error *err)
{
        json_t *v = NULL;
        int r = bv_json_load_object(s, strlen(s), max, &v, err);
        json_decref(v);
        return r;
}

int main(void)
{
        struct bv_error err = {};
        char deep[200], ok_deep[200];

        tap_is_int(load("{\"a\": 1}", 100, &err), 0, "object loads");
        tap_is_int(load("{\"a\": 1, \"a\": 2}", 100, &err), -EINVAL, "duplicate keys rejected");
        tap_ok(strstr(err.msg, "duplicate") != NULL, "message says duplicate");
        tap_is_int(load("[1, 2]", 100, &err), -EINVAL, "array where an object is required");
        tap_is_int(load("{\"a\": 1} {}", 100, &err), -EINVAL, "trailing data rejected");
        tap_is_int(load("{\"a\": ", 100, &err), -EINVAL, "truncated rejected");
        tap_ok(strstr(err.msg, "line 1") != NULL, "position reported");
        tap_is_int(load("{\"a\": \"xxxxxxxxxxxxxxxxxxxx\"}", 10, &err), -EMSGSIZE, "size cap");

        memset(deep, 0, sizeof(deep));
        strcpy(deep, "{\"a\":");
        for (int i = 0; i < BV_JSON_MAX_DEPTH; i++)
                strcat(deep, "[");
        for (int i = 0; i < BV_JSON_MAX_DEPTH; i++)
                strcat(deep, "]");
        strcat(deep, "}");
        tap_is_int(load(deep, 1000, &err), -EINVAL, "nesting past the cap rejected");
        tap_ok(strstr(err.msg, "nested") != NULL, "message says nesting");

        strcpy(ok_deep, "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"\"}");
        tap_is_int(load(ok_deep, 1000, &err), 0, "brackets inside strings do not count");

        json_t *v = NULL;
        tap_is_int(bv_json_loadb("42", 2, 10, 0, &v, &err), 0, "loadb takes any value");
        tap_ok(json_integer_value(v) == 42, "value 42");
        json_decref(v);

        char dir[] = "/tmp/bv-test-json.XXXXXX", path[128];
        mkdtemp(dir);
        snprintf(path, sizeof(path), "%s/x.json", dir);
        json_t *o = json_pack("{s:s,s:i}", "name", "vm1", "memory", 256);
        tap_is_int(bv_json_write_file(path, o, &err), 0, "write file");
        json_decref(o);
        tap_is_int(bv_json_load_file(path, 4096, &v, &err), 0, "load file");
        tap_is_str(json_string_value(json_object_get(v, "name")), "vm1", "round trip");
        json_decref(v);
        unlink(path);
        tap_is_int(bv_json_load_file(path, 4096, &v, &err), -ENOENT, "missing file");
        rmdir(dir);
        tap_done();
}
