/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parsing of what users give net/: link names, CIDRs, addresses and MACs.
 * Pure functions, no kernel: the unit tests run them without privileges.
 * Each refusal says what is wrong with the input, quoting it (bounded).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "net/net-internal.h"

int net_name_check_what(const char *name, const char *what, struct bv_error *err)
{
        size_t n;

        if (!name || !*name)
                return bv_error_set(err, EINVAL, "Missing %s name", what);
        n = strnlen(name, IFNAMSIZ + 1);
        if (n >= IFNAMSIZ)
                return bv_error_set(err, EINVAL,
                                    "Invalid %s name '%.64s': too long (%zu bytes, at most %d)",
                                    what, name, strlen(name), IFNAMSIZ - 1);
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return bv_error_set(err, EINVAL, "Invalid %s name '%s'", what, name);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) name[i];
                /* The kernel's dev_valid_name() refuses these; '%' would be a template. */
                if (c == '/' || c == ':' || c <= ' ' || c == 0x7f || c == '%')
                        return bv_error_set(err, EINVAL,
                                            "Invalid %s name '%s': no '/', ':', '%%', spaces or "
                                            "control characters", what, name);
        }
        return 0;
}

int net_name_check(const char *name, struct bv_error *err)
{
        return net_name_check_what(name, "interface", err);
}

static int ip_parse(const char *s, size_t len, struct net_cidr *ret)
{
        char buf[INET6_ADDRSTRLEN];

        if (len == 0 || len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, len);
        buf[len] = 0;
        memset(ret, 0, sizeof(*ret));
        if (inet_pton(AF_INET, buf, &ret->addr.v4) == 1) {
                ret->family = AF_INET;
                ret->prefixlen = 32;
                return 0;
        }
        if (inet_pton(AF_INET6, buf, &ret->addr.v6) == 1) {
                ret->family = AF_INET6;
                ret->prefixlen = 128;
                return 0;
        }
        return -EINVAL;
}

int net_ip_parse(const char *s, struct net_cidr *ret, struct bv_error *err)
{
        struct net_cidr c;

        if (!s || ip_parse(s, strlen(s), &c) < 0)
                return bv_error_set(err, EINVAL, "Invalid IP address '%.64s'", s ? s : "");
        *ret = c;
        return 0;
}

int net_cidr_parse(const char *s, bool require_prefix, struct net_cidr *ret, struct bv_error *err)
{
        const char *slash;
        struct net_cidr c;
        unsigned len, max;

        if (!s || !*s)
                return bv_error_set(err, EINVAL, "Missing CIDR");
        slash = strchr(s, '/');
        if (ip_parse(s, slash ? (size_t) (slash - s) : strlen(s), &c) < 0)
                return bv_error_set(err, EINVAL, "Invalid CIDR '%.64s': '%.*s' is not an IPv4 or IPv6 address",
                                    s, (int) BV_MIN(slash ? (size_t) (slash - s) : strlen(s), 64), s);
        max = c.family == AF_INET ? 32 : 128;
        if (!slash) {
                if (require_prefix)
                        return bv_error_set(err, EINVAL, "Invalid CIDR '%.64s': missing '/prefix-length'", s);
        } else {
                if (bv_parse_uint(slash + 1, 0, max, &len) < 0)
                        return bv_error_set(err, EINVAL,
                                            "Invalid CIDR '%.64s': prefix length must be a number from 0 to %u",
                                            s, max);
                c.prefixlen = (uint8_t) len;
        }
        *ret = c;
        return 0;
}

const char *net_cidr_format(const struct net_cidr *c, char *buf, size_t len)
{
        char a[INET6_ADDRSTRLEN];

        if (!inet_ntop(c->family, &c->addr, a, sizeof(a)))
                snprintf(a, sizeof(a), "?");
        snprintf(buf, len, "%s/%u", a, c->prefixlen);
        return buf;
}

int net_mac_parse(const char *s, uint8_t mac[6], struct bv_error *err)
{
        unsigned v[6];
        int n = 0;

        if (!s || strlen(s) != 17 ||
            sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &n) != 6 ||
            n != 17)
                return bv_error_set(err, EINVAL, "Invalid MAC address '%.32s': want aa:bb:cc:dd:ee:ff",
                                    s ? s : "");
        for (int i = 0; i < 17; i++)
                if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char) s[i]))
                        return bv_error_set(err, EINVAL, "Invalid MAC address '%s': want aa:bb:cc:dd:ee:ff", s);
        for (int i = 0; i < 6; i++)
                mac[i] = (uint8_t) v[i];
        if (mac[0] & 1)
                return bv_error_set(err, EINVAL, "Invalid MAC address '%s': multicast bit set", s);
        return 0;
}
