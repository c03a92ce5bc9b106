/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Names and integers from untrusted input. strtoull() alone accepts
 * leading spaces, signs and trailing junk; these wrappers accept exactly one
 * decimal number and nothing else.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"

bool bv_name_is_valid(const char *name)
{
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n < 1 || n > 63)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9');
                if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
                        return false;
        }
        return true;
}

int bv_name_check(const char *name, const char *what, struct bv_error *err)
{
        if (bv_name_is_valid(name))
                return 0;
        return bv_error_set(err, EINVAL,
                            "Invalid %s name '%.64s': use 1-63 characters [A-Za-z0-9._-], "
                            "starting with a letter or digit",
                            what, name ? name : "");
}

int bv_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
        char *end;
        unsigned long long v;

        if (!s || !*s || !(*s >= '0' && *s <= '9'))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (*end)
                return -EINVAL;
        if (errno == ERANGE || v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int bv_parse_size(const char *s, uint64_t plain_unit, uint64_t *ret)
{
        static const char units[] = "bkmgt";
        const char *u;
        char *end;
        unsigned long long v;
        uint64_t mult = plain_unit;

        if (s && *s == '-' && s[1] >= '0' && s[1] <= '9')
                return -EDOM;
        if (!s || !(*s >= '0' && *s <= '9'))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (*end) {
                u = strchr(units, tolower((unsigned char)*end));
                if (!u || !*u)
                        return -EINVAL;
                mult = 1ull << (10 * (u - units));
                end++;
                if (mult > 1 && (!strcasecmp(end, "b") || !strcasecmp(end, "ib")))
                        end += strlen(end);
                if (*end)
                        return -EINVAL;
        }
        if (mult && v > UINT64_MAX / mult)
                return -ERANGE;
        *ret = v * mult;
        return 0;
}

int bv_parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret)
{
        bool neg = s && *s == '-';
        uint64_t mag;
        int64_t v;
        /* The digits after the sign, by the one parser of decimal digits above. */
        int r = bv_parse_u64(neg ? s + 1 : s, 0, UINT64_MAX, &mag);

        if (r < 0)
                return r;
        if (mag > (uint64_t)INT64_MAX + neg)
                return -ERANGE;
        if (neg)
                v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
        else
                v = (int64_t)mag;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int bv_parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret)
{
        uint64_t v;
        int r = bv_parse_u64(s, min, max, &v);

        if (r < 0)
                return r;
        *ret = (unsigned)v;
        return 0;
}

int bv_parse_signal(const char *s)
{
        unsigned n;

        if (bv_parse_uint(s, 1, 64, &n) == 0)
                return (int)n;
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (int sig = 1; sig < NSIG; sig++) {
                const char *abbrev = sigabbrev_np(sig);
                if (abbrev && strcasecmp(abbrev, s) == 0)
                        return sig;
        }
        return -EINVAL;
}

bool bv_hostname_is_valid(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        if (n < 1 || n > 63 || s[0] == '-' || s[0] == '.')
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.')
                        return false;
        return true;
}
