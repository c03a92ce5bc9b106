/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to the config.json parser (ctr/oci-config*.c): typed field
 * extraction with JSON paths in errors. Every function returns 0 (with the
 * out-parameter set, or NULL/untouched when the field is absent or null) or
 * -errno with err naming the path.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct ctr_config;

#define P_MAX 192

const char *ctr_cfg_type_name(const json_t *v);
int ctr_cfg_want(struct bv_error *err, const char *path, const char *what, const json_t *v);
/* t is the JSON type wanted; JSON_TRUE stands for "a boolean". */
int ctr_cfg_get(json_t *obj, const char *key, json_type t, const char *path, json_t **ret,
                struct bv_error *err);
int ctr_cfg_get_str(json_t *obj, const char *key, const char *path, const char **ret,
                    struct bv_error *err);
int ctr_cfg_get_bool(json_t *obj, const char *key, const char *path, bool *ret, struct bv_error *err);
int ctr_cfg_get_int(json_t *obj, const char *key, const char *path, int64_t min, int64_t max,
                    int64_t *ret, bool *present, struct bv_error *err);
/* obj's "uid" and "gid" (each 0 when absent). */
int ctr_cfg_get_ids(json_t *obj, const char *path, uid_t *ret_uid, gid_t *ret_gid, struct bv_error *err);
int ctr_cfg_get_u64(json_t *obj, const char *key, const char *path, uint64_t *ret, bool *present,
                    struct bv_error *err);
/* A malloc'ed NULL-terminated array of the strings of arr (pointers into arr). */
int ctr_cfg_str_array(json_t *arr, const char *path, const char ***ret, size_t *ret_n,
                      struct bv_error *err);
int ctr_cfg_get_str_array(json_t *obj, const char *key, const char *path, const char ***ret,
                          size_t *ret_n, struct bv_error *err);
int ctr_cfg_check_count(json_t *arr, const char *path, struct bv_error *err);
/* ctr_cfg_check_count(), then room for one element more than arr has (zeroed, malloc'ed) into *ret. */
int ctr_cfg_array_alloc(json_t *arr, const char *path, size_t size, void **ret, struct bv_error *err);
/* "private", "rslave", ... -> MS_* flags; -EINVAL when unknown. */
int ctr_cfg_propagation_parse(const char *s, unsigned long *ret);
/* Parses the "linux" object into cfg. */
int ctr_config_parse_linux(json_t *lx, struct ctr_config *cfg, struct bv_error *err);

/* Iterates over an optional array of objects with a bounded count. */
#define FOR_OBJECTS(arr, i, item, path, p, err)                                                 \
        for (size_t i = 0; i < json_array_size(arr); i++)                                      \
                if ((item = json_array_get(arr, i)),                                            \
                    snprintf(p, sizeof(p), "%s[%zu]", path, i),                                 \
                    !json_is_object(item) ? (r = ctr_cfg_want(err, p, "an object", item)) < 0 : 0)     \
                        return r;                                                               \
                else

