/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stderr logging for tools/ (library folders never log): one line per
 * message, "<program>: <level>: <text>", written with one stdio call per
 * part and no allocation. The program name and the most verbose level
 * shown are process-wide, set once at start by bv_log_init().
 */
#include <stdarg.h>
#include <stdio.h>

#include "common/common.h"

static const char *log_prog = "barevirt";
static enum bv_log_level log_max = BV_LOG_INFO;

void bv_log_init(const char *prog, enum bv_log_level max)
{
        log_prog = prog;
        log_max = max;
}

void bv_log(enum bv_log_level level, const char *fmt, ...)
{
        static const char *const names[] = { "error", "warning", "info", "debug" };
        va_list ap;

        if (level > log_max)
                return;
        fprintf(stderr, "%s: %s: ", log_prog, names[level]);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}
