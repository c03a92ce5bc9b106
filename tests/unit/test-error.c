/* SPDX-License-Identifier: GPL-2.0-or-later */
/* struct bv_error: set, errno suffix, prefix, truncation, NULL err. */
#include <errno.h>
#include <string.h>

#include "common/common.h"
#include "tests/tap.h"

int main(void)
{
        struct bv_error err = {};
        char big[600];

        tap_is_int(bv_error_set(&err, ENOENT, "No VM named '%s'", "vm1"), -ENOENT, "set returns -errno");
        tap_is_int(err.error, ENOENT, "errno recorded positive");
        tap_is_str(err.msg, "No VM named 'vm1'", "message formatted");
        tap_is_int(bv_error_set(&err, -EINVAL, "x"), -EINVAL, "negative errno accepted");
        tap_is_int(bv_error_set(NULL, EPERM, "ignored %d", 1), -EPERM, "NULL err still returns -errno");
        tap_is_int(bv_error_set(&err, 0, "zero"), -EIO, "errno 0 becomes EIO");

        bv_error_set_errno(&err, ENOENT, "Failed to open '%s'", "/x");
        tap_is_str(err.msg, "Failed to open '/x': No such file or directory", "set_errno appends strerror");

        bv_error_set(&err, ENOENT, "inner");
        tap_is_int(bv_error_prefix(&err, "outer %d", 2), -ENOENT, "prefix keeps errno");
        tap_is_str(err.msg, "outer 2: inner", "prefix prepends");

        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        bv_error_set(&err, E2BIG, "%s", big);
        tap_is_int((long long)strlen(err.msg), BV_ERROR_MSG_MAX - 1, "long message truncated, NUL-terminated");

        bv_error_clear(&err);
        tap_ok(err.error == 0 && err.msg[0] == '\0', "clear");
        tap_is_str(bv_error_message(&err, -ENOENT), "No such file or directory", "message falls back to strerror");
        tap_is_str(bv_error_message(NULL, -EPERM), "Operation not permitted", "message with NULL err");
        tap_done();
}
