/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Roles and bearer tokens (tls/tls.h (roles and bearer tokens)): the
 * Authorization header's parser, which sees bytes from anyone on the
 * network before any credential is checked (so it is bounded, copies at
 * most len bytes and is fuzzed), and the tokens we hand out.
 */
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "tls/tls.h"

static const char *const role_names[] = { "viewer", "operator", "admin", NULL };

const char *tls_role_name(enum tls_role role)
{
        return (unsigned)role < BV_ELEMENTSOF(role_names) - 1 ? role_names[role] : "?";
}

int tls_role_from_name(const char *name)
{
        return bv_json_list_index(name, role_names);
}

int tls_bearer_parse(const char *header, char *buf, size_t len)
{
        const char *p = header;
        size_t n = 0;

        if (!header)
                return 0;
        if (strncasecmp(p, "Bearer", 6) != 0 || p[6] != ' ')
                return -EINVAL;
        p += 6;
        while (*p == ' ')
                p++;
        while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
               (*p && strchr("._~+/-", *p)))
                p++, n++;
        while (*p == '=')
                p++, n++;
        if (n == 0)
                return -EINVAL;
        for (const char *q = p; *q; q++)
                if (*q != ' ' && *q != '\t')
                        return -EINVAL;
        if (n + 1 > len)
                return -ENOBUFS;
        memcpy(buf, p - n, n);
        buf[n] = '\0';
        return 1;
}

int tls_token_new(char buf[TLS_TOKEN_MAX])
{
        uint8_t rnd[32];
        size_t got = 0;

        while (got < sizeof(rnd)) {
                ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                got += (size_t)n;
        }
        memcpy(buf, TLS_TOKEN_PREFIX, strlen(TLS_TOKEN_PREFIX));
        bv_hex(rnd, sizeof(rnd), buf + strlen(TLS_TOKEN_PREFIX));
        return 0;
}

bool tls_hash_equal(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        unsigned char diff = la != lb;

        for (size_t i = 0; i < la && i < lb; i++)
                diff |= (unsigned char)(a[i] ^ b[i]);
        return diff == 0;
}
