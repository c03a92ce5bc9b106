/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checked reads of user-written JSON definitions (VMs, containers): every
 * key checked against the known keys of its object, every value's type and
 * range checked. Messages start with the JSON path of the offending key
 * ("limits.memory: 0 is out of range 4..1048576", "nics[1].ipv4: unknown
 * key"), built from where + key. where is "" at the top level and ends in
 * "." below it ("limits.", "nics[1]."). All functions fail with -EINVAL and
 * a message in the caller-owned err (NULL accepted), or -ENOMEM without one.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Whether s is one of the strings of the NULL-terminated list. */
bool bv_json_in_list(const char *s, const char *const *list);

/* The index of s (NULL accepted) in the NULL-terminated list, or -EINVAL. */
int bv_json_list_index(const char *s, const char *const *list);

/* Refuses the first key of object o that is not in the NULL-terminated list known. */
int bv_json_check_keys(const json_t *o, const char *const *known, const char *where,
                       struct bv_error *err);

/*
 * Element i of the array named array, before its keys are read: where
 * becomes "array[i]." (len bytes) for their messages; an element that is
 * not an object is refused, and so is a key of it outside known.
 */
int bv_json_check_element(const json_t *o, const char *array, size_t i, const char *const *known, char *where,
                          size_t len, struct bv_error *err);

/* Parses "52:54:00:12:34:56" into mac: -EINVAL unless it has that form and is unicast. */
int bv_json_parse_mac(const char *s, uint8_t mac[6]);

/* mac as the JSON string "52:54:00:12:34:56": a new reference, NULL when out of memory. */
json_t *bv_json_mac(const uint8_t mac[6]);

/*
 * The following read o[key]. Absent or null: return 0 and leave *ret alone.
 * Present and valid: set *ret and return 1.
 */

/* An array of at most max_n elements (borrowed). */
int bv_json_get_array(const json_t *o, const char *key, const char *where, size_t max_n, json_t **ret,
                      struct bv_error *err);

/* A string of at most max bytes without NUL, strdup'ed into *ret. */
int bv_json_get_str(const json_t *o, const char *key, const char *where, size_t max, char **ret,
                    struct bv_error *err);

/* true or false. */
int bv_json_get_bool(const json_t *o, const char *key, const char *where, bool *ret,
                     struct bv_error *err);

/* An integer in min..max. */
int bv_json_get_u64(const json_t *o, const char *key, const char *where, uint64_t min, uint64_t max,
                    uint64_t *ret, struct bv_error *err);
int bv_json_get_uint(const json_t *o, const char *key, const char *where, unsigned min, unsigned max,
                     unsigned *ret, struct bv_error *err);

/*
 * An array of at most max_n strings of at most max_len bytes each into a
 * NULL-terminated vector *ret of *ret_n strings. check (may be NULL) vets
 * each element; it gets the element's path ("env[2]") for its message. On
 * failure *ret may hold a partial vector that the caller frees.
 */
int bv_json_get_strv(const json_t *o, const char *key, const char *where, size_t max_n, size_t max_len,
                     int (*check)(const char *s, const char *path, struct bv_error *err),
                     char ***ret, size_t *ret_n, struct bv_error *err);
