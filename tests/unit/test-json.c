/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounded JSON loading: duplicates, depth, size, trailing data, types; and
 * the checked definition readers of common/json-def.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/json-def.h"
#include "tests/tap.h"

static int load(const char *s, size_t max, struct bv_error *err)
{
        json_t *v = NULL;
        int r = bv_json_load_object(s, strlen(s), max, &v, err);
        json_decref(v);
        return r;
}

static int no_x(const char *s, const char *path, struct bv_error *err)
{
        return strchr(s, 'x') ? bv_error_set(err, EINVAL, "%s: no x please", path) : 0;
}

static void def_readers(void)
{
        static const char *const known[] = { "s", "b", "n", "l", "nul", NULL };
        struct bv_error err = {};
        json_t *o = json_pack("{s:s,s:b,s:i,s:[s,s],s:n}", "s", "abc", "b", 1, "n", 7, "l", "a", "b", "nul");
        char *str = NULL, **l = NULL;
        bool b = false;
        uint64_t u = 0;
        unsigned ui = 5;
        size_t n = 0;

        tap_ok(bv_json_in_list("b", known) && !bv_json_in_list("c", known), "in_list");
        tap_is_int(bv_json_check_keys(o, known, "x.", &err), 0, "known keys pass");
        json_object_set_new(o, "zz", json_true());
        tap_is_int(bv_json_check_keys(o, known, "x.", &err), -EINVAL, "unknown key refused");
        tap_is_str(err.msg, "x.zz: unknown key", "unknown key message has the path");
        json_object_del(o, "zz");

        tap_is_int(bv_json_get_str(o, "s", "", 8, &str, &err), 1, "string read");
        tap_is_str(str, "abc", "string value");
        free(str);
        str = NULL;
        tap_is_int(bv_json_get_str(o, "missing", "", 8, &str, &err), 0, "absent string");
        tap_is_int(bv_json_get_str(o, "nul", "", 8, &str, &err), 0, "null string is absent");
        tap_ok(str == NULL, "absent leaves *ret alone");
        tap_is_int(bv_json_get_str(o, "s", "", 2, &str, &err), -EINVAL, "string over max");
        tap_is_str(err.msg, "s: too long or contains NUL", "too long message");
        tap_is_int(bv_json_get_str(o, "n", "top.", 8, &str, &err), -EINVAL, "number is no string");
        tap_is_str(err.msg, "top.n: expected a string", "string type message");

        tap_is_int(bv_json_get_bool(o, "b", "", &b, &err), 1, "bool read");
        tap_ok(b, "bool value");
        tap_is_int(bv_json_get_bool(o, "s", "", &b, &err), -EINVAL, "string is no bool");
        tap_is_str(err.msg, "s: expected true or false", "bool type message");

        tap_is_int(bv_json_get_u64(o, "n", "", 1, 10, &u, &err), 1, "u64 read");
        tap_ok(u == 7, "u64 value");
        tap_is_int(bv_json_get_u64(o, "n", "lim.", 8, 10, &u, &err), -EINVAL, "u64 below min");
        tap_is_str(err.msg, "lim.n: 7 is out of range 8..10", "range message");
        tap_is_int(bv_json_get_uint(o, "missing", "", 1, 10, &ui, &err), 0, "absent uint");
        tap_ok(ui == 5, "absent uint keeps the default");
        tap_is_int(bv_json_get_uint(o, "s", "", 1, 10, &ui, &err), -EINVAL, "string is no integer");
        tap_is_str(err.msg, "s: expected an integer", "integer type message");
        json_object_set_new(o, "neg", json_integer(-1));
        tap_is_int(bv_json_get_uint(o, "neg", "", 0, 10, &ui, &err), -EINVAL, "negative refused");
        tap_is_str(err.msg, "neg: -1 is out of range 0..10", "negative message");

        tap_is_int(bv_json_get_strv(o, "l", "", 4, 8, NULL, &l, &n, &err), 1, "strv read");
        tap_ok(n == 2 && l && strcmp(l[0], "a") == 0 && strcmp(l[1], "b") == 0 && !l[2], "strv values");
        for (size_t i = 0; l && l[i]; i++)
                free(l[i]);
        free(l);
        l = NULL;
        tap_is_int(bv_json_get_strv(o, "l", "", 1, 8, NULL, &l, &n, &err), -EINVAL, "strv over max_n");
        tap_is_str(err.msg, "l: more than 1 entries", "max_n message");
        json_array_append_new(json_object_get(o, "l"), json_string("xy"));
        tap_is_int(bv_json_get_strv(o, "l", "p.", 4, 8, no_x, &l, &n, &err), -EINVAL, "check refuses");
        tap_is_str(err.msg, "p.l[2]: no x please", "check gets the element path");
        tap_ok(n == 2, "partial vector counted");
        for (size_t i = 0; l && l[i]; i++)
                free(l[i]);
        free(l);
        l = NULL;
        json_array_append_new(json_object_get(o, "l"), json_integer(3));
        tap_is_int(bv_json_get_strv(o, "l", "", 4, 8, NULL, &l, &n, &err), -EINVAL, "number in strv");
        tap_is_str(err.msg, "l[3]: expected a string", "strv element message");
        for (size_t i = 0; l && l[i]; i++)
                free(l[i]);
        free(l);
        tap_is_int(bv_json_get_strv(o, "s", "", 4, 8, NULL, &l, &n, &err), -EINVAL, "string is no strv");
        tap_is_str(err.msg, "s: expected an array of strings", "strv type message");
        json_decref(o);
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
        def_readers();
        tap_done();
}
