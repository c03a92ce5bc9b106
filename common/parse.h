/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parsing of untrusted scalars: names and integers. Anything a user, a peer
 * or a file gives us goes through these before it is used.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/*
 * A valid instance or network name: [A-Za-z0-9][A-Za-z0-9._-]{0,62}.
 * Defends against path traversal ("../x"), option injection ("-x") and names
 * that cannot be file names. what names the kind of object in the message.
 */
bool bv_name_is_valid(const char *name);
int bv_name_check(const char *name, const char *what, struct bv_error *err);

/*
 * Parses a whole decimal string (no sign for the unsigned variant, no
 * leading or trailing junk, no empty string) into [min, max].
 * Returns 0, -EINVAL (not a number) or -ERANGE (out of range).
 */
int bv_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
int bv_parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret);
int bv_parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret);

/* A signal as a number 1-64 or a name with or without SIG ("9", "KILL", "sigterm"); the number or -EINVAL. */
int bv_parse_signal(const char *s);
