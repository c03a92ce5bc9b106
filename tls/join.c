/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Join tokens (tls/tls.h (join tokens)): what `barevirt trust token
 * create` prints and `barevirt remote add` reads on another machine, as
 * Incus does it: base64 of one JSON object {"name", "fingerprint",
 * "addresses", "secret"}. The decoder reads text someone pasted (or
 * anyone sent), so it is bounded, strict (known keys, no duplicates,
 * names, 64-hex-digit fingerprint and secret, IP addresses with a port)
 * and fuzzed; nothing in a token is trusted beyond being well formed: the
 * fingerprint is what the client pins, the secret is checked by the
 * server against its hash.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "tls/tls.h"

int tls_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *ret_len)
{
        const char *colon = s ? strrchr(s, ':') : NULL;
        char host[64];
        unsigned port;
        size_t hl;

        if (!colon || bv_parse_uint(colon + 1, 1, 65535, &port) < 0)
                return -EINVAL;
        memset(ss, 0, sizeof(*ss));
        hl = (size_t)(colon - s);
        if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
                if (hl - 2 >= sizeof(host))
                        return -EINVAL;
                snprintf(host, sizeof(host), "%.*s", (int)(hl - 2), s + 1);
                if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
                        return -EINVAL;
                a->sin6_family = AF_INET6;
                a->sin6_port = htons((uint16_t)port);
                *ret_len = sizeof(*a);
                return 0;
        }
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        if (hl >= sizeof(host))
                return -EINVAL;
        snprintf(host, sizeof(host), "%.*s", (int)hl, s);
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
                return -EINVAL;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        *ret_len = sizeof(*a);
        return 0;
}

bool tls_hex64_is_valid(const char *s)
{
        size_t n = 0;

        for (; s && s[n]; n++)
                if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
                        return false;
        return n == 64;
}

int tls_join_encode(const struct tls_join *j, char **ret)
{
        json_auto_t *addrs = json_array(), *o = NULL;
        _cleanup_free_ char *s = NULL;
        char *out;

        for (size_t i = 0; addrs && i < j->n_addrs; i++)
                if (json_array_append_new(addrs, json_string(j->addrs[i])) < 0)
                        return -ENOMEM;
        o = addrs ? json_pack("{s:s,s:s,s:O,s:s}", "name", j->name, "fingerprint", j->fingerprint, "addresses",
                              addrs, "secret", j->secret)
                  : NULL;
        s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        if (!s)
                return -ENOMEM;
        out = malloc(BV_BASE64_LEN(strlen(s)));
        if (!out)
                return -ENOMEM;
        bv_base64_encode(s, strlen(s), out);
        *ret = out;
        return 0;
}

static int decode_addrs(const json_t *a, struct tls_join *j, struct bv_error *err)
{
        struct sockaddr_storage ss;
        socklen_t len;
        json_t *v;
        size_t i;

        if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > TLS_JOIN_MAX_ADDRS)
                return bv_error_set(err, EINVAL, "Join token: addresses: expected 1 to %d ADDR:PORT",
                                    TLS_JOIN_MAX_ADDRS);
        json_array_foreach(a, i, v) {
                const char *s = json_string_value(v);
                if (!s || strlen(s) >= TLS_PEER_MAX || tls_addr_parse(s, &ss, &len) < 0)
                        return bv_error_set(err, EINVAL, "Join token: addresses[%zu]: expected IPv4:PORT or [IPv6]:PORT",
                                            i);
                snprintf(j->addrs[i], TLS_PEER_MAX, "%s", s);
        }
        j->n_addrs = json_array_size(a);
        return 0;
}

int tls_join_decode(const char *s, size_t len, struct tls_join *ret, struct bv_error *err)
{
        static const char *const keys[] = { "name", "fingerprint", "addresses", "secret", NULL };
        uint8_t buf[TLS_JOIN_MAX];
        json_auto_t *o = NULL;
        struct tls_join j = {};
        const char *name, *fp, *secret;
        ssize_t n;
        int r;

        if (len > TLS_JOIN_MAX)
                return bv_error_set(err, EMSGSIZE, "Join token longer than %d bytes", TLS_JOIN_MAX);
        n = bv_base64_decode(s, len, buf, sizeof(buf));
        if (n <= 0)
                return bv_error_set(err, EINVAL, "Not a join token (expected base64, as 'barevirt trust token "
                                                 "create' prints it)");
        r = bv_json_load_object((const char *)buf, (size_t)n, sizeof(buf), &o, err);
        explicit_bzero(buf, sizeof(buf));
        if (r < 0 || (r = bv_json_check_keys(o, keys, "", err)) < 0) {
                bv_error_prefix(err, "Join token");
                return r;
        }
        name = json_string_value(json_object_get(o, "name"));
        fp = json_string_value(json_object_get(o, "fingerprint"));
        secret = json_string_value(json_object_get(o, "secret"));
        if (!name || !bv_name_is_valid(name))
                return bv_error_set(err, EINVAL, "Join token: name: missing or not a valid name");
        if (!tls_hex64_is_valid(fp))
                return bv_error_set(err, EINVAL, "Join token: fingerprint: expected 64 lowercase hex digits");
        if (!tls_hex64_is_valid(secret))
                return bv_error_set(err, EINVAL, "Join token: secret: expected 64 lowercase hex digits");
        if ((r = decode_addrs(json_object_get(o, "addresses"), &j, err)) < 0)
                return r;
        snprintf(j.name, sizeof(j.name), "%s", name);
        memcpy(j.fingerprint, fp, BV_SHA256_HEX);
        memcpy(j.secret, secret, BV_SHA256_HEX);
        *ret = j;
        explicit_bzero(&j, sizeof(j));
        return 0;
}
