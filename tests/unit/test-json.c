/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounded JSON loading: duplicates, depth, size, trailing data, types; the
 * checked definition readers of common/common.h (json-def.c); and JSON strings from
 * bytes that are not UTF-8 (each class of ill-formed sequence).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
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

/* Checks that bv_json_string_lossy(in) holds exactly the bytes want/want_len. */
static void lossy_is(const char *in, size_t len, const char *want, size_t want_len, const char *what)
{
        json_t *v = bv_json_string_lossy(in, len);
        bool ok = v && json_string_length(v) == want_len && memcmp(json_string_value(v), want, want_len) == 0;

        tap_ok(ok, "lossy: %s", what);
        json_decref(v);
}

#define LOSSY(in, want, what) lossy_is(in, sizeof(in) - 1, want, sizeof(want) - 1, what)
#define R "\xef\xbf\xbd" /* U+FFFD */

static void string_lossy(void)
{
        LOSSY("plain", "plain", "valid ASCII kept");
        LOSSY("a\0b", "a\0b", "NUL bytes kept");
        LOSSY("\xc3\xa9\xe2\x82\xac", "\xc3\xa9\xe2\x82\xac", "valid 2- and 3-byte sequences kept");
        LOSSY("\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!", "valid 4-byte sequence (U+1F600) kept");
        LOSSY("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", "U+10FFFF kept");
        LOSSY("a\xe2\x82", "a" R, "truncated sequence at the end: one U+FFFD");
        LOSSY("\xe2\x82z", R "z", "truncated sequence before ASCII: one U+FFFD");
        LOSSY("\xf0\x9f\x98", R, "truncated 4-byte sequence: one U+FFFD");
        LOSSY("\xc0\xaf", R R, "overlong C0 AF: two");
        LOSSY("\xe0\x80\xaf", R R R, "overlong E0 80 AF: three");
        LOSSY("\xf0\x8f\xbf\xbf", R R R R, "overlong F0 8F BF BF: four");
        LOSSY("\xed\xa0\x80", R R R, "surrogate ED A0 80: three");
        LOSSY("\xed\x9f\xbf", "\xed\x9f\xbf", "U+D7FF just below the surrogates kept");
        LOSSY("\xf4\x90\x80\x80", R R R R, "above U+10FFFF (F4 90 80 80): four");
        LOSSY("\xf5\x80", R R, "F5 lead byte: two");
        LOSSY("a\x80" "b\xbf", "a" R "b" R, "stray continuation bytes");
        LOSSY("\xff\xfe", R R, "FF FE");
        /* The example of the Unicode standard (chapter 3, "U+FFFD Substitution of Maximal Subparts"). */
        LOSSY("\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64",
              "a" R R R "b" R "c" R R "d", "the Unicode standard's example");
        json_t *v = bv_json_string_lossy(NULL, 0);
        tap_ok(v && json_string_length(v) == 0, "lossy: NULL with length 0 is \"\"");
        json_decref(v);
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
        string_lossy();
        tap_done();
}
