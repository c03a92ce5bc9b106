/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names and integers from untrusted input. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>

#include "common/common.h"
#include "tests/tap.h"

int main(void)
{
        static const char *const good[] = { "a", "vm1", "Web-01", "x.y_z", "0abc",
                "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk" /* 63 */ };
        static const char *const bad[] = { "", "-x", ".hidden", "_x", "a/b", "../etc", "a b", "a\n",
                "é", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl" /* 64 */ };
        struct bv_error err = {};
        uint64_t u;
        int64_t i;
        unsigned v;

        for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++)
                tap_ok(bv_name_is_valid(good[k]), "valid name '%s'", good[k]);
        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
                tap_ok(!bv_name_is_valid(bad[k]), "invalid name #%zu rejected", k);
        tap_ok(!bv_name_is_valid(NULL), "NULL name invalid");
        tap_is_int(bv_name_check("../x", "VM", &err), -EINVAL, "name_check fails with EINVAL");
        tap_ok(strstr(err.msg, "Invalid VM name '../x'") != NULL, "name_check message quotes the name");

        tap_ok(bv_parse_u64("42", 0, 100, &u) == 0 && u == 42, "u64 parses");
        tap_is_int(bv_parse_u64("18446744073709551615", 0, UINT64_MAX, &u), 0, "u64 max");
        tap_is_int(bv_parse_u64("18446744073709551616", 0, UINT64_MAX, &u), -ERANGE, "u64 overflow");
        tap_is_int(bv_parse_u64("-1", 0, 100, &u), -EINVAL, "u64 rejects sign");
        tap_is_int(bv_parse_u64(" 1", 0, 100, &u), -EINVAL, "u64 rejects space");
        tap_is_int(bv_parse_u64("1x", 0, 100, &u), -EINVAL, "u64 rejects junk");
        tap_is_int(bv_parse_u64("", 0, 100, &u), -EINVAL, "u64 rejects empty");
        tap_is_int(bv_parse_u64("101", 0, 100, &u), -ERANGE, "u64 above max");
        tap_is_int(bv_parse_u64("0", 1, 100, &u), -ERANGE, "u64 below min");
        tap_ok(bv_parse_i64("-5", -10, 10, &i) == 0 && i == -5, "i64 negative");
        tap_is_int(bv_parse_i64("-", -10, 10, &i), -EINVAL, "i64 lone minus");
        tap_is_int(bv_parse_i64("-11", -10, 10, &i), -ERANGE, "i64 below min");
        tap_is_int(bv_parse_i64("9223372036854775808", INT64_MIN, INT64_MAX, &i), -ERANGE, "i64 overflow");
        tap_ok(bv_parse_i64("9223372036854775807", INT64_MIN, INT64_MAX, &i) == 0 && i == INT64_MAX, "i64 max");
        tap_ok(bv_parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &i) == 0 && i == INT64_MIN, "i64 min");
        tap_is_int(bv_parse_i64("-9223372036854775809", INT64_MIN, INT64_MAX, &i), -ERANGE, "i64 underflow");
        tap_ok(bv_parse_i64("-0", -10, 10, &i) == 0 && i == 0, "i64 minus zero");
        tap_is_int(bv_parse_i64("--1", -10, 10, &i), -EINVAL, "i64 rejects two signs");
        tap_is_int(bv_parse_i64("+1", -10, 10, &i), -EINVAL, "i64 rejects plus");
        tap_is_int(bv_parse_i64("- 1", -10, 10, &i), -EINVAL, "i64 rejects a space after the sign");
        i = 7;
        tap_ok(bv_parse_i64("x", -10, 10, &i) == -EINVAL && i == 7, "i64 leaves *ret on errors");
        tap_ok(bv_parse_uint("4096", 1, 65536, &v) == 0 && v == 4096, "uint parses");
        tap_is_int(bv_parse_signal("9"), 9, "signal by number");
        tap_is_int(bv_parse_signal("SIGTERM"), 15, "signal by SIG name");
        tap_ok(bv_parse_size("512", 1 << 20, &u) == 0 && u == 512ull << 20, "size: plain number in MiB");
        tap_ok(bv_parse_size("512M", 1 << 20, &u) == 0 && u == 512ull << 20, "size: 512M");
        tap_ok(bv_parse_size("64m", 1 << 20, &u) == 0 && u == 64ull << 20, "size: 64m");
        tap_ok(bv_parse_size("1G", 1 << 20, &u) == 0 && u == 1ull << 30, "size: 1G");
        tap_ok(bv_parse_size("1GiB", 1 << 20, &u) == 0 && u == 1ull << 30, "size: 1GiB");
        tap_ok(bv_parse_size("2kb", 1, &u) == 0 && u == 2048, "size: 2kb");
        tap_ok(bv_parse_size("7b", 1 << 20, &u) == 0 && u == 7, "size: 7b is bytes");
        tap_is_int(bv_parse_size("-5", 1 << 20, &u), -EDOM, "size: negative is EDOM");
        tap_is_int(bv_parse_size("abc", 1 << 20, &u), -EINVAL, "size: junk");
        tap_is_int(bv_parse_size("5x", 1 << 20, &u), -EINVAL, "size: bad suffix");
        tap_is_int(bv_parse_size("5bb", 1 << 20, &u), -EINVAL, "size: bb rejected");
        tap_is_int(bv_parse_size("", 1 << 20, &u), -EINVAL, "size: empty");
        tap_is_int(bv_parse_size("99999999999999T", 1, &u), -ERANGE, "size: overflow");
        tap_is_int(bv_parse_signal("kill"), 9, "signal by short name, any case");
        tap_is_int(bv_parse_signal("65"), -EINVAL, "signal number out of range");
        tap_is_int(bv_parse_signal("SIGNOPE"), -EINVAL, "unknown signal name");
        tap_done();
}
