/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A tiny TAP producer for C tests, header-only. Plan at the end
 * (tap_done()), so tests need not count their cases.
 *
 * Skips: tap_skip_all() skips the whole program with a reason. When
 * BAREVIRT_TEST_STRICT=1 and the lane is one CI provides, the skip becomes a
 * failure (tap_require() decides that for prerequisites).
 */
#pragma once

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tap_n;
static int tap_failed;

static inline __attribute__((format(printf, 2, 0))) void tap_vresult(bool ok, const char *fmt, va_list ap)
{
        tap_n++;
        if (!ok)
                tap_failed++;
        printf("%s %d - ", ok ? "ok" : "not ok", tap_n);
        vprintf(fmt, ap);
        printf("\n");
        fflush(stdout);
}

static inline __attribute__((format(printf, 2, 3))) bool tap_ok(bool ok, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        tap_vresult(ok, fmt, ap);
        va_end(ap);
        return ok;
}

static inline __attribute__((format(printf, 1, 2))) void tap_diag(const char *fmt, ...)
{
        va_list ap;
        printf("# ");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
}

static inline __attribute__((format(printf, 1, 2))) void tap_skip(const char *fmt, ...)
{
        va_list ap;
        tap_n++;
        printf("ok %d # SKIP ", tap_n);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
}

static inline bool tap_strict(void)
{
        const char *s = getenv("BAREVIRT_TEST_STRICT");
        return s && strcmp(s, "1") == 0;
}

/* Skips the whole test program; a failure instead under BAREVIRT_TEST_STRICT=1. */
static inline __attribute__((noreturn, format(printf, 1, 2))) void tap_skip_all(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        if (tap_strict()) {
                printf("not ok %d - required lane missing (BAREVIRT_TEST_STRICT=1): ", ++tap_n);
                vprintf(fmt, ap);
                printf("\n1..%d\n", tap_n);
                exit(1);
        }
        printf("1..0 # SKIP ");
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
        exit(0);
}

/*
 * The folder of a test's case files, written to buf (size bytes): argv[1]
 * when the program was given one, else $top_srcdir/tests/unit/name, else
 * name beside the test's own source file (pass __FILE__ as source).
 */
static inline void tap_cases_dir(char *buf, size_t size, int argc, char **argv, const char *name,
                                 const char *source)
{
        const char *top = getenv("top_srcdir");
        char self[4096];

        if (argc > 1)
                snprintf(buf, size, "%s", argv[1]);
        else if (top)
                snprintf(buf, size, "%s/tests/unit/%s", top, name);
        else {
                snprintf(self, sizeof(self), "%s", source);
                snprintf(buf, size, "%s/%s", dirname(self), name);
        }
}

/* Ends the program with the plan; exit status 1 if anything failed. */
static inline __attribute__((noreturn)) void tap_done(void)
{
        printf("1..%d\n", tap_n);
        exit(tap_failed ? 1 : 0);
}

#define tap_is_int(got, want, what)                                                    \
        ({                                                                             \
                long long _g = (got), _w = (want);                                     \
                bool _r = tap_ok(_g == _w, "%s", what);                                \
                if (!_r)                                                               \
                        tap_diag("  got %lld, want %lld (%s:%d)", _g, _w, __FILE__, __LINE__); \
                _r;                                                                    \
        })

#define tap_is_str(got, want, what)                                                    \
        ({                                                                             \
                const char *_g = (got), *_w = (want);                                  \
                bool _r = tap_ok(_g && _w && strcmp(_g, _w) == 0, "%s", what);         \
                if (!_r)                                                               \
                        tap_diag("  got '%s', want '%s' (%s:%d)", _g ? _g : "(null)",  \
                                 _w ? _w : "(null)", __FILE__, __LINE__);              \
                _r;                                                                    \
        })

/*
 * For tests under tests/integration: skips unless BAREVIRT_TEST_LANES (when
 * set) names "integration" (a choice, so a plain skip even in strict mode),
 * and skips (fails in strict mode) when not root.
 */
static inline void tap_require_root(void)
{
        const char *lanes = getenv("BAREVIRT_TEST_LANES");

        if (lanes && !strstr(lanes, "integration")) {
                printf("1..0 # SKIP lane 'integration' not selected (BAREVIRT_TEST_LANES)\n");
                exit(0);
        }
        if (geteuid() != 0)
                tap_skip_all("needs root");
}
