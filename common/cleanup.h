/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scope-bound cleanup helpers built on __attribute__((cleanup)). A variable
 * marked with one of these is released when it goes out of scope; TAKE_PTR
 * and TAKE_FD hand ownership out of the scope. Do not mix them with goto
 * cleanup in one function (clang refuses jumps past cleanup variables).
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void bv_freep(void *p)
{
        free(*(void **)p);
}

static inline void bv_closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

static inline void bv_fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

#define _cleanup_(fn) __attribute__((cleanup(fn)))
#define _cleanup_free_ _cleanup_(bv_freep)
#define _cleanup_close_ _cleanup_(bv_closep)
#define _cleanup_fclose_ _cleanup_(bv_fclosep)

/* Defines a cleanup function for `type *` variables released by func (NULL-safe). */
#define BV_DEFINE_CLEANUP(type, func)                   \
        static inline void func##p(type **p)            \
        {                                               \
                if (*p)                                 \
                        func(*p);                       \
        }

#define TAKE_PTR(ptr)                           \
        ({                                      \
                __typeof__(ptr) _p_ = (ptr);    \
                (ptr) = NULL;                   \
                _p_;                            \
        })

#define TAKE_FD(fd)                             \
        ({                                      \
                int _fd_ = (fd);                \
                (fd) = -1;                      \
                _fd_;                           \
        })

#define BV_ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define BV_MIN(a, b) ((a) < (b) ? (a) : (b))
#define BV_MAX(a, b) ((a) > (b) ? (a) : (b))
