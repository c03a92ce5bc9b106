/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * struct bv_error helpers. None of them allocates: messages are formatted
 * into the caller's fixed-size buffer and silently truncated.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"

static int norm(int e)
{
        if (e < 0)
                e = -e;
        return e ? e : EIO;
}

int bv_error_setv(struct bv_error *err, int errno_value, const char *fmt, va_list ap)
{
        int e = norm(errno_value);

        if (err) {
                err->error = e;
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        }
        return -e;
}

int bv_error_set(struct bv_error *err, int errno_value, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = bv_error_setv(err, errno_value, fmt, ap);
        va_end(ap);
        return r;
}

int bv_error_set_errno(struct bv_error *err, int errno_value, const char *fmt, ...)
{
        int e = norm(errno_value);
        va_list ap;

        if (!err)
                return -e;
        va_start(ap, fmt);
        bv_error_setv(err, e, fmt, ap);
        va_end(ap);
        size_t n = strlen(err->msg);
        if (n < sizeof(err->msg))
                snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(e));
        return -e;
}

int bv_error_prefix(struct bv_error *err, const char *fmt, ...)
{
        char old[BV_ERROR_MSG_MAX];
        va_list ap;

        if (!err)
                return -EIO;
        if (!err->error)
                err->error = EIO;
        memcpy(old, err->msg, sizeof(old));
        va_start(ap, fmt);
        int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < sizeof(err->msg))
                snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", old);
        return -err->error;
}

void bv_error_clear(struct bv_error *err)
{
        if (err) {
                err->error = 0;
                err->msg[0] = '\0';
        }
}

const char *bv_error_message(const struct bv_error *err, int ret)
{
        if (err && err->msg[0])
                return err->msg;
        return strerror(ret < 0 ? -ret : (ret ? ret : EIO));
}
