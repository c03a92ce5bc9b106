/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounded JSON loading, and JSON strings from bytes that may not be UTF-8.
 * jansson's own depth limit is a compile-time 2048, far more than any of
 * our documents need, so a cheap pre-scan enforces BV_JSON_MAX_DEPTH
 * before jansson allocates anything. Invalid UTF-8 is replaced the way the
 * Unicode standard recommends ("substitution of maximal subparts", as the
 * WHATWG decoder does), so every producer of such strings agrees.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

/* Returns the maximum nesting depth of arrays/objects, ignoring string contents. */
static unsigned json_depth(const char *buf, size_t len, unsigned limit)
{
        unsigned depth = 0, max = 0;
        bool in_str = false, esc = false;

        for (size_t i = 0; i < len; i++) {
                char c = buf[i];
                if (in_str) {
                        if (esc)
                                esc = false;
                        else if (c == '\\')
                                esc = true;
                        else if (c == '"')
                                in_str = false;
                        continue;
                }
                if (c == '"')
                        in_str = true;
                else if (c == '[' || c == '{') {
                        if (++depth > max)
                                max = depth;
                        if (max > limit)
                                return max;
                } else if ((c == ']' || c == '}') && depth > 0)
                        depth--;
        }
        return max;
}

int bv_json_loadb(const char *buf, size_t len, size_t max, size_t flags, json_t **ret,
                  struct bv_error *err)
{
        json_error_t jerr;

        if (len > max)
                return bv_error_set(err, EMSGSIZE, "JSON document of %zu bytes exceeds the limit of %zu",
                                    len, max);
        if (json_depth(buf, len, BV_JSON_MAX_DEPTH) > BV_JSON_MAX_DEPTH)
                return bv_error_set(err, EINVAL, "JSON nested deeper than %d levels", BV_JSON_MAX_DEPTH);
        json_t *v = json_loadb(buf, len, flags | JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        if (!v)
                return bv_error_set(err, EINVAL, "Invalid JSON at line %d column %d: %s", jerr.line,
                                    jerr.column, jerr.text);
        *ret = v;
        return 0;
}

int bv_json_load_object(const char *buf, size_t len, size_t max, json_t **ret,
                        struct bv_error *err)
{
        json_t *v;
        int r = bv_json_loadb(buf, len, max, 0, &v, err);

        if (r < 0)
                return r;
        if (!json_is_object(v)) {
                json_decref(v);
                return bv_error_set(err, EINVAL, "Expected a JSON object");
        }
        *ret = v;
        return 0;
}

int bv_json_load_file(const char *path, size_t max, json_t **ret, struct bv_error *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = bv_file_read(path, max, &buf, &len, err);

        if (r < 0)
                return r;
        r = bv_json_load_object(buf, len, max, ret, err);
        if (r < 0)
                return bv_error_prefix(err, "'%s'", path);
        return 0;
}

char *bv_json_dumps(const json_t *v)
{
        return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

int bv_json_write_file(const char *path, const json_t *v, struct bv_error *err)
{
        _cleanup_free_ char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
        if (!s)
                return bv_error_set(err, ENOMEM, "Out of memory serialising '%s'", path);
        size_t n = strlen(s);
        _cleanup_free_ char *withnl = malloc(n + 2);
        if (!withnl)
                return bv_error_set(err, ENOMEM, "Out of memory");
        memcpy(withnl, s, n);
        withnl[n] = '\n';
        withnl[n + 1] = '\0';
        return bv_file_write_atomic(path, withnl, n + 1, 0644, err);
}

/*
 * The length of the UTF-8 sequence at s[0, n) (n > 0), with *ret_valid
 * telling whether it is well-formed (Unicode Table 3-7: no overlongs, no
 * surrogates, nothing above U+10FFFF). An ill-formed one is its maximal
 * subpart: the lead byte and the continuation bytes that could still have
 * begun a valid sequence, or a single byte that cannot begin any.
 */
static size_t utf8_sequence(const unsigned char *s, size_t n, bool *ret_valid)
{
        unsigned char c = s[0], lo = 0x80, hi = 0xBF;
        size_t need;

        *ret_valid = false;
        if (c < 0x80) {
                *ret_valid = true;
                return 1;
        }
        if (c >= 0xC2 && c <= 0xDF)
                need = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
                need = 2;
                lo = c == 0xE0 ? 0xA0 : lo;     /* overlong below U+0800 */
                hi = c == 0xED ? 0x9F : hi;     /* surrogates U+D800-DFFF */
        } else if (c >= 0xF0 && c <= 0xF4) {
                need = 3;
                lo = c == 0xF0 ? 0x90 : lo;     /* overlong below U+10000 */
                hi = c == 0xF4 ? 0x8F : hi;     /* above U+10FFFF */
        } else
                return 1;                       /* stray continuation, C0, C1, F5-FF */
        for (size_t i = 1; i <= need; i++) {
                if (i >= n || s[i] < lo || s[i] > hi)
                        return i;
                lo = 0x80;
                hi = 0xBF;
        }
        *ret_valid = true;
        return need + 1;
}

json_t *bv_json_string_lossy(const char *s, size_t len)
{
        const unsigned char *u = (const unsigned char *)s;

        if (len == 0)
                return json_stringn("", 0);
        json_t *v = json_stringn(s, len);
        if (v)
                return v; /* valid (or out of memory, which the copy below meets again) */
        if (len > (SIZE_MAX - 1) / 3)
                return NULL;
        _cleanup_free_ char *out = malloc(len * 3); /* each byte at worst one U+FFFD */
        if (!out)
                return NULL;
        size_t o = 0;
        for (size_t i = 0; i < len;) {
                bool valid;
                size_t n = utf8_sequence(u + i, len - i, &valid);
                if (valid)
                        memcpy(out + o, s + i, n);
                else
                        memcpy(out + o, "\xef\xbf\xbd", 3);
                o += valid ? n : 3;
                i += n;
        }
        return json_stringn_nocheck(out, o);
}
