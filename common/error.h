/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Error reporting shared by every folder. A function that can fail returns
 * an int: >= 0 on success, -errno on failure. The detail travels in an
 * optional, caller-owned, fixed-size struct bv_error so that the error path
 * never allocates. Callers may pass NULL when they only want the errno.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#define BV_ERROR_MSG_MAX 256

struct bv_error {
        int error;                   /* positive errno, 0 when clear */
        char msg[BV_ERROR_MSG_MAX];  /* NUL-terminated, possibly truncated */
};

/*
 * Records errno_value (positive or negative) and a printf-style message in
 * err (which may be NULL) and returns -errno_value, so that callers can write
 * `return bv_error_set(err, ENOENT, "No VM named '%s'", name);`.
 * A message that does not fit is truncated, never an error.
 */
int bv_error_set(struct bv_error *err, int errno_value, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
int bv_error_setv(struct bv_error *err, int errno_value, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

/*
 * Like bv_error_set(), but appends ": <strerror>" to the message. For
 * wrapping a failed system call.
 */
int bv_error_set_errno(struct bv_error *err, int errno_value, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Prefixes an existing message with more context ("Failed to start 'vm1': ..."). */
int bv_error_prefix(struct bv_error *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Clears err (NULL accepted). */
void bv_error_clear(struct bv_error *err);

/*
 * The message of err, or strerror(-ret) when err is NULL or empty. Never NULL.
 * The returned pointer lives as long as err (or is a static string).
 */
const char *bv_error_message(const struct bv_error *err, int ret);
