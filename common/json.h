/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounded JSON loading over jansson for input that is not ours: a size cap,
 * a nesting-depth cap, duplicate keys rejected, exactly one value. Errors
 * keep jansson's text and position. And JSON strings from bytes that may
 * not be UTF-8 (logs, command output, kernel and peer messages).
 */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "common/error.h"

#define BV_JSON_MAX_DEPTH 64

/*
 * Parses buf/len into *ret (a new reference). Fails with -EMSGSIZE when len
 * is over max, -EINVAL on malformed JSON, duplicate keys, trailing data or
 * nesting deeper than BV_JSON_MAX_DEPTH. flags are extra jansson decode flags.
 */
int bv_json_loadb(const char *buf, size_t len, size_t max, size_t flags, json_t **ret,
                  struct bv_error *err);

/* Like bv_json_loadb() but requires the top-level value to be an object. */
int bv_json_load_object(const char *buf, size_t len, size_t max, json_t **ret,
                        struct bv_error *err);

/* Reads and parses a file with bv_json_load_object(). */
int bv_json_load_file(const char *path, size_t max, json_t **ret, struct bv_error *err);

/* Serialises compactly into a malloc'ed NUL-terminated string, or NULL on ENOMEM. */
char *bv_json_dumps(const json_t *v);

/* Writes v (pretty, with a trailing newline) to path atomically (see file.h). */
int bv_json_write_file(const char *path, const json_t *v, struct bv_error *err);

/*
 * A new JSON string of the bytes s/len, which need not be UTF-8 (s may be
 * NULL when len is 0). Each maximal ill-formed subsequence becomes one
 * U+FFFD, as the Unicode standard recommends and the WHATWG decoder does:
 * truncated sequences, overlongs, surrogates (ED A0..BF ..), code points
 * above U+10FFFF and stray continuation bytes; well-formed sequences and
 * NUL bytes are kept (read the result with json_string_length()). Valid
 * input costs one json_stringn(). Returns NULL only when out of memory.
 */
json_t *bv_json_string_lossy(const char *s, size_t len);
