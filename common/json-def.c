/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checked reads of JSON definitions, shared by the VM (vmm/def.c) and
 * container (ctr/ct-def.c) parsers so that both word their errors alike.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

int bv_json_list_index(const char *s, const char *const *list)
{
        for (size_t i = 0; s && list[i]; i++)
                if (strcmp(s, list[i]) == 0)
                        return (int)i;
        return -EINVAL;
}

bool bv_json_in_list(const char *s, const char *const *list)
{
        return bv_json_list_index(s, list) >= 0;
}

int bv_json_check_keys(const json_t *o, const char *const *known, const char *where,
                       struct bv_error *err)
{
        const char *key;
        json_t *v;

        json_object_foreach((json_t *)o, key, v)
                if (!bv_json_in_list(key, known))
                        return bv_error_set(err, EINVAL, "%s%.64s: unknown key", where, key);
        return 0;
}

int bv_json_check_element(const json_t *o, const char *array, size_t i, const char *const *known, char *where,
                          size_t len, struct bv_error *err)
{
        snprintf(where, len, "%s[%zu].", array, i);
        if (!json_is_object(o))
                return bv_error_set(err, EINVAL, "%s[%zu]: expected an object", array, i);
        return bv_json_check_keys(o, known, where, err);
}

int bv_json_parse_mac(const char *s, uint8_t mac[6])
{
        unsigned b[6];
        char tail;

        if (strlen(s) != 17 ||
            sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
                return -EINVAL;
        for (int i = 0; i < 6; i++)
                mac[i] = (uint8_t)b[i];
        return mac[0] & 1 ? -EINVAL : 0;   /* multicast */
}

json_t *bv_json_mac(const uint8_t mac[6])
{
        char s[18];

        snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
        return json_string(s);
}

int bv_json_get_array(const json_t *o, const char *key, const char *where, size_t max_n, json_t **ret,
                      struct bv_error *err)
{
        json_t *a = json_object_get(o, key);

        if (!a || json_is_null(a))
                return 0;
        if (!json_is_array(a))
                return bv_error_set(err, EINVAL, "%s%s: expected an array", where, key);
        if (json_array_size(a) > max_n)
                return bv_error_set(err, EINVAL, "%s%s: at most %zu", where, key, max_n);
        *ret = a;
        return 1;
}

static bool string_ok(const json_t *v, size_t max)
{
        return json_string_length(v) <= max && strlen(json_string_value(v)) == json_string_length(v);
}

int bv_json_get_str(const json_t *o, const char *key, const char *where, size_t max, char **ret,
                    struct bv_error *err)
{
        json_t *v = json_object_get(o, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return bv_error_set(err, EINVAL, "%s%s: expected a string", where, key);
        if (!string_ok(v, max))
                return bv_error_set(err, EINVAL, "%s%s: too long or contains NUL", where, key);
        *ret = strdup(json_string_value(v));
        return *ret ? 1 : -ENOMEM;
}

int bv_json_get_bool(const json_t *o, const char *key, const char *where, bool *ret,
                     struct bv_error *err)
{
        json_t *v = json_object_get(o, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return bv_error_set(err, EINVAL, "%s%s: expected true or false", where, key);
        *ret = json_is_true(v);
        return 1;
}

int bv_json_get_u64(const json_t *o, const char *key, const char *where, uint64_t min, uint64_t max,
                    uint64_t *ret, struct bv_error *err)
{
        json_t *v = json_object_get(o, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v))
                return bv_error_set(err, EINVAL, "%s%s: expected an integer", where, key);
        json_int_t i = json_integer_value(v);
        if (i < 0 || (uint64_t)i < min || (uint64_t)i > max)
                return bv_error_set(err, EINVAL, "%s%s: %lld is out of range %llu..%llu", where, key,
                                    (long long)i, (unsigned long long)min, (unsigned long long)max);
        *ret = (uint64_t)i;
        return 1;
}

int bv_json_get_uint(const json_t *o, const char *key, const char *where, unsigned min, unsigned max,
                     unsigned *ret, struct bv_error *err)
{
        uint64_t u;
        int r = bv_json_get_u64(o, key, where, min, max, &u, err);

        if (r > 0)
                *ret = (unsigned)u;
        return r;
}

int bv_json_get_strv(const json_t *o, const char *key, const char *where, size_t max_n, size_t max_len,
                     int (*check)(const char *s, const char *path, struct bv_error *err),
                     char ***ret, size_t *ret_n, struct bv_error *err)
{
        json_t *a = json_object_get(o, key), *v;
        size_t i;
        char path[96];

        if (!a || json_is_null(a))
                return 0;
        if (!json_is_array(a))
                return bv_error_set(err, EINVAL, "%s%s: expected an array of strings", where, key);
        if (json_array_size(a) > max_n)
                return bv_error_set(err, EINVAL, "%s%s: more than %zu entries", where, key, max_n);
        char **l = calloc(json_array_size(a) + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        *ret = l;   /* the caller's from here on, also on failure */
        *ret_n = 0;
        json_array_foreach(a, i, v) {
                snprintf(path, sizeof(path), "%s%s[%zu]", where, key, i);
                if (!json_is_string(v))
                        return bv_error_set(err, EINVAL, "%s: expected a string", path);
                if (!string_ok(v, max_len))
                        return bv_error_set(err, EINVAL, "%s: too long or contains NUL", path);
                if (check) {
                        int r = check(json_string_value(v), path, err);
                        if (r < 0)
                                return r;
                }
                if (!(l[i] = strdup(json_string_value(v))))
                        return -ENOMEM;
                *ret_n = i + 1;
        }
        return 1;
}
