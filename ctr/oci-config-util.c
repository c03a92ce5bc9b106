/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Typed, bounded extraction of config.json fields for ctr/oci-config*.c:
 * each helper names the JSON path of what it refuses, treats null as
 * absent, and caps arrays at CTR_MAX_ARRAY entries.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctr/ctr-internal.h"

const char *ctr_cfg_type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT: return "an object";
        case JSON_ARRAY: return "an array";
        case JSON_STRING: return "a string";
        case JSON_INTEGER: return "an integer";
        case JSON_REAL: return "a number";
        case JSON_TRUE:
        case JSON_FALSE: return "a boolean";
        default: return "null";
        }
}

int ctr_cfg_want(struct bv_error *err, const char *path, const char *what, const json_t *v)
{
        return bv_error_set(err, EINVAL, "%s: expected %s, got %s", path, what, ctr_cfg_type_name(v));
}

/* Looks up key in obj; *ret = NULL when absent or null. */
int ctr_cfg_get(json_t *obj, const char *key, json_type t, const char *path, json_t **ret,
               struct bv_error *err)
{
        json_t *v = json_object_get(obj, key);
        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (t == JSON_TRUE ? !json_is_boolean(v) : json_typeof(v) != t) {
                char p[P_MAX];
                snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", key);
                static const char *names[] = { [JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
                                               [JSON_STRING] = "a string", [JSON_INTEGER] = "an integer",
                                               [JSON_TRUE] = "a boolean" };
                return ctr_cfg_want(err, p, names[t], v);
        }
        *ret = v;
        return 0;
}

int ctr_cfg_get_str(json_t *obj, const char *key, const char *path, const char **ret,
                   struct bv_error *err)
{
        json_t *v;
        int r = ctr_cfg_get(obj, key, JSON_STRING, path, &v, err);
        if (r < 0)
                return r;
        *ret = v ? json_string_value(v) : NULL;
        if (v && strlen(*ret) != json_string_length(v))
                return bv_error_set(err, EINVAL, "%s.%s: contains a NUL byte", path, key);
        return 0;
}

int ctr_cfg_get_bool(json_t *obj, const char *key, const char *path, bool *ret, struct bv_error *err)
{
        json_t *v;
        int r = ctr_cfg_get(obj, key, JSON_TRUE, path, &v, err);
        if (r < 0)
                return r;
        if (v)
                *ret = json_is_true(v);
        return 0;
}

int ctr_cfg_get_int(json_t *obj, const char *key, const char *path, int64_t min, int64_t max,
                   int64_t *ret, bool *present, struct bv_error *err)
{
        json_t *v;
        int r = ctr_cfg_get(obj, key, JSON_INTEGER, path, &v, err);
        if (r < 0)
                return r;
        if (present)
                *present = v != NULL;
        if (!v)
                return 0;
        json_int_t i = json_integer_value(v);
        if (i < min || i > max)
                return bv_error_set(err, ERANGE, "%s%s%s: %lld is out of range [%lld, %lld]", path,
                                    *path ? "." : "", key, (long long)i, (long long)min,
                                    (long long)max);
        *ret = i;
        return 0;
}

int ctr_cfg_get_ids(json_t *obj, const char *path, uid_t *ret_uid, gid_t *ret_gid, struct bv_error *err)
{
        int64_t v;
        bool has;
        int r;

        if ((r = ctr_cfg_get_int(obj, "uid", path, 0, UINT32_MAX - 1, &v, &has, err)) < 0)
                return r;
        *ret_uid = has ? (uid_t)v : 0;
        if ((r = ctr_cfg_get_int(obj, "gid", path, 0, UINT32_MAX - 1, &v, &has, err)) < 0)
                return r;
        *ret_gid = has ? (gid_t)v : 0;
        return 0;
}

int ctr_cfg_get_u64(json_t *obj, const char *key, const char *path, uint64_t *ret, bool *present,
                   struct bv_error *err)
{
        json_t *v = json_object_get(obj, key);
        if (present)
                *present = false;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v) && !json_is_real(v))
                return bv_error_set(err, EINVAL, "%s.%s: expected an integer, got %s", path, key,
                                    ctr_cfg_type_name(v));
        if (json_is_real(v)) {
                double d = json_real_value(v);
                if (d < 0 || d > 1.8446744073709552e19 || d != (double)(uint64_t)d)
                        return bv_error_set(err, ERANGE, "%s.%s: not an unsigned integer", path, key);
                *ret = (uint64_t)d;
        } else {
                json_int_t i = json_integer_value(v);
                if (i < 0)
                        return bv_error_set(err, ERANGE, "%s.%s: must not be negative", path, key);
                *ret = (uint64_t)i;
        }
        if (present)
                *present = true;
        return 0;
}

/* A NULL-terminated array of the strings of arr, which must all be strings. */
int ctr_cfg_str_array(json_t *arr, const char *path, const char ***ret, size_t *ret_n,
                     struct bv_error *err)
{
        size_t n = json_array_size(arr);
        if (n > CTR_MAX_ARRAY)
                return bv_error_set(err, E2BIG, "%s: more than %d entries", path, CTR_MAX_ARRAY);
        const char **a = calloc(n + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_t *s = json_array_get(arr, i);
                if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s)) {
                        free(a);
                        if (json_is_string(s))
                                return bv_error_set(err, EINVAL, "%s[%zu]: contains a NUL byte", path, i);
                        return bv_error_set(err, EINVAL, "%s[%zu]: expected a string, got %s", path, i,
                                            ctr_cfg_type_name(s));
                }
                a[i] = json_string_value(s);
        }
        *ret = a;
        if (ret_n)
                *ret_n = n;
        return 0;
}

int ctr_cfg_get_str_array(json_t *obj, const char *key, const char *path, const char ***ret,
                         size_t *ret_n, struct bv_error *err)
{
        json_t *v;
        char p[P_MAX];
        int r = ctr_cfg_get(obj, key, JSON_ARRAY, path, &v, err);
        if (r < 0 || !v)
                return r;
        snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", key);
        return ctr_cfg_str_array(v, p, ret, ret_n, err);
}

int ctr_cfg_check_count(json_t *arr, const char *path, struct bv_error *err)
{
        if (arr && json_array_size(arr) > CTR_MAX_ARRAY)
                return bv_error_set(err, E2BIG, "%s: more than %d entries", path, CTR_MAX_ARRAY);
        return 0;
}

int ctr_cfg_array_alloc(json_t *arr, const char *path, size_t size, void **ret, struct bv_error *err)
{
        int r = ctr_cfg_check_count(arr, path, err);

        if (r < 0)
                return r;
        *ret = calloc(json_array_size(arr) + 1, size);
        return *ret ? 0 : -ENOMEM;
}

