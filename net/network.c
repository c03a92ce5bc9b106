/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt networks: their definitions and the bridge that carries each.
 *
 * A network is a Linux bridge that barevirt owns, named exactly as the
 * network (so names are 1-15 bytes of [A-Za-z0-9][A-Za-z0-9._-]), defined
 * in STATE/networks/NAME.json (written atomically):
 * {"name", "addresses": [CIDR...], "mtu"?, "vlan_filtering"}. Parsing
 * refuses unknown keys, bad CIDRs, duplicates and MTUs out of 68-65535,
 * naming the field; addresses are stored in canonical form.
 *
 * Ownership mark: barevirt's bridges are created in link group
 * NET_NETWORK_GROUP (IFLA_GROUP 0x62766e74, "bvnt"; `ip link` shows it as
 * "group 1651928692"), in the same RTM_NEWLINK that creates them. A link of
 * a network's name that is not a bridge in that group is someone else's: it
 * is never changed or deleted. The group is below 0x80000000, clear of the
 * temporary groups of net_link_delete_many().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "net/net.h"

#define NETWORK_DEF_MAX (64 * 1024)
#define NETWORK_NAME_MAX (IFNAMSIZ - 1)

void net_def_clear(struct net_def *def)
{
        for (size_t i = 0; i < def->n_addresses; i++)
                free(def->addresses[i]);
        *def = (struct net_def){};
}

int net_def_name_check(const char *name, struct bv_error *err)
{
        if (name && strlen(name) > NETWORK_NAME_MAX)
                return bv_error_set(err, EINVAL,
                                    "Network name '%.64s' is too long: at most %d bytes (it names the bridge)",
                                    name, NETWORK_NAME_MAX);
        if (!bv_name_is_valid(name))
                return bv_error_set(err, EINVAL, "Invalid network name '%.64s': use 1-%d characters [A-Za-z0-9._-], "
                                    "starting with a letter or digit", name ? name : "", NETWORK_NAME_MAX);
        return 0;
}

/* Appends the CIDR v (addresses[i]) in canonical form, refusing a bad or repeated one. */
static int add_address(struct net_def *def, size_t i, const json_t *v, struct bv_error *err)
{
        struct net_cidr c;
        char buf[INET6_ADDRSTRLEN + 8];
        int r;

        if (!json_is_string(v))
                return bv_error_set(err, EINVAL, "addresses[%zu]: must be a string like '10.0.0.1/24'", i);
        if ((r = net_cidr_parse(json_string_value(v), true, &c, err)) < 0)
                return bv_error_prefix(err, "addresses[%zu]", i);
        net_cidr_format(&c, buf, sizeof(buf));
        for (size_t k = 0; k < def->n_addresses; k++)
                if (strcmp(def->addresses[k], buf) == 0)
                        return bv_error_set(err, EINVAL, "addresses[%zu]: '%s' is listed twice", i, buf);
        if (!(def->addresses[def->n_addresses] = strdup(buf)))
                return bv_error_set(err, ENOMEM, "Out of memory");
        def->n_addresses++;
        return 0;
}

static int parse_mtu(const json_t *mtu, struct net_def *def, struct bv_error *err)
{
        if (!mtu || json_is_null(mtu))
                return 0;
        if (!json_is_integer(mtu) || json_integer_value(mtu) < 68 || json_integer_value(mtu) > 65535)
                return bv_error_set(err, EINVAL, "mtu: must be an integer from 68 to 65535");
        def->mtu = (unsigned)json_integer_value(mtu);
        return 0;
}

/* "FIRST-LAST", two IPv4 addresses. */
static int parse_range(const char *s, struct net_def *def, struct bv_error *err)
{
        char first[INET_ADDRSTRLEN], last[INET_ADDRSTRLEN];
        const char *dash = s ? strchr(s, '-') : NULL;

        if (!s)
                return 0;
        if (!dash || (size_t)(dash - s) >= sizeof(first) || strlen(dash + 1) >= sizeof(last))
                return bv_error_set(err, EINVAL, "dhcp_range: '%.64s' is not FIRST-LAST (two IPv4 addresses)", s);
        snprintf(first, sizeof(first), "%.*s", (int)(dash - s), s);
        snprintf(last, sizeof(last), "%s", dash + 1);
        if (inet_pton(AF_INET, first, &def->dhcp_first) != 1 || inet_pton(AF_INET, last, &def->dhcp_last) != 1)
                return bv_error_set(err, EINVAL, "dhcp_range: '%.64s' is not FIRST-LAST (two IPv4 addresses)", s);
        if (ntohl(def->dhcp_first.s_addr) > ntohl(def->dhcp_last.s_addr))
                return bv_error_set(err, EINVAL, "dhcp_range: '%.64s' ends before it begins", s);
        return 0;
}

/* A DNS domain: dot-separated labels of [A-Za-z0-9-], 1-63 bytes each, not starting or ending with '-'. */
static bool domain_is_valid(const char *s)
{
        size_t label = 0;

        if (!*s || strlen(s) > NET_DNS_DOMAIN_MAX)
                return false;
        for (const char *p = s; ; p++) {
                if (*p == '.' || !*p) {
                        if (label == 0 || label > 63 || p[-1] == '-')
                                return false;
                        if (!*p)
                                return true;
                        label = 0;
                } else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                           (*p == '-' && label > 0)) {
                        label++;
                } else {
                        return false;
                }
        }
}

int net_def_from_json(const json_t *o, struct net_def *def, struct bv_error *err)
{
        const char *name = NULL, *range = NULL, *domain = NULL, *project = NULL;
        json_t *addrs = NULL, *mtu = NULL, *v;
        int vlan = 0, r;
        json_error_t jerr;
        size_t i;

        *def = (struct net_def){ .nat = -1, .dhcp = -1 };
        if (json_unpack_ex((json_t *)o, &jerr, JSON_STRICT, "{s:s,s?o,s?o,s?b,s?b,s?b,s?s,s?s,s?s}", "name", &name,
                           "addresses", &addrs, "mtu", &mtu, "vlan_filtering", &vlan, "nat", &def->nat, "dhcp",
                           &def->dhcp, "dhcp_range", &range, "dns_domain", &domain, "project", &project) < 0)
                return bv_error_set(err, EINVAL,
                                    "A network is {\"name\": STRING, \"addresses\": [CIDR...], \"mtu\": N, "
                                    "\"vlan_filtering\": BOOL, \"nat\": BOOL, \"dhcp\": BOOL, "
                                    "\"dhcp_range\": \"FIRST-LAST\", \"dns_domain\": STRING, \"project\": STRING}: %s",
                                    jerr.text);
        if ((r = net_def_name_check(name, err)) < 0 || (r = parse_mtu(mtu, def, err)) < 0 ||
            (r = parse_range(range, def, err)) < 0)
                return r;
        if (domain && !domain_is_valid(domain))
                return bv_error_set(err, EINVAL, "dns_domain: '%.64s' is not a DNS domain (labels of [A-Za-z0-9-] "
                                    "joined by dots)", domain);
        snprintf(def->dns_domain, sizeof(def->dns_domain), "%s", domain ? domain : "");
        if (project && (r = bv_name_check(project, "project", err)) < 0)
                return r;
        snprintf(def->project, sizeof(def->project), "%s", project ? project : "");
        snprintf(def->name, sizeof(def->name), "%s", name);
        def->vlan_filtering = vlan;
        if (addrs && !json_is_null(addrs) && !json_is_array(addrs))
                return bv_error_set(err, EINVAL, "addresses: must be an array of CIDR strings");
        if (json_array_size(addrs) > NET_DEF_MAX_ADDRESSES)
                return bv_error_set(err, EINVAL, "addresses: at most %d", NET_DEF_MAX_ADDRESSES);
        json_array_foreach(addrs, i, v)
                if ((r = add_address(def, i, v, err)) < 0) {
                        net_def_clear(def);
                        return r;
                }
        return 0;
}

bool net_def_ipv4(const struct net_def *def, struct net_cidr *ret)
{
        for (size_t i = 0; i < def->n_addresses; i++)
                if (net_cidr_parse(def->addresses[i], true, ret, NULL) == 0 && ret->family == AF_INET)
                        return true;
        return false;
}

bool net_def_has_ipv6_64(const struct net_def *def)
{
        struct net_cidr c;

        for (size_t i = 0; i < def->n_addresses; i++)
                if (net_cidr_parse(def->addresses[i], true, &c, NULL) == 0 && c.family == AF_INET6 &&
                    c.prefixlen == 64)
                        return true;
        return false;
}

/* The host-order bounds of c's IPv4 subnet. */
static void subnet4(const struct net_cidr *c, uint32_t *ret_lo, uint32_t *ret_hi)
{
        uint32_t mask = c->prefixlen ? ~0u << (32 - c->prefixlen) : 0;

        *ret_lo = ntohl(c->addr.v4.s_addr) & mask;
        *ret_hi = *ret_lo | ~mask;
}

int net_def_set_defaults(struct net_def *def, bool nat_possible, struct bv_error *err)
{
        struct net_cidr v4;
        bool has4 = net_def_ipv4(def, &v4);
        uint32_t lo = 0, hi = 0, gw = has4 ? ntohl(v4.addr.v4.s_addr) : 0;

        if (has4)
                subnet4(&v4, &lo, &hi);
        if (def->nat < 0)
                def->nat = has4 && nat_possible;
        if (def->dhcp < 0)
                def->dhcp = has4 && (def->dhcp_first.s_addr || hi - lo >= 3);
        if (def->nat && !has4)
                return bv_error_set(err, EINVAL, "--nat needs an IPv4 --address on the network");
        if (def->dhcp && !has4)
                return bv_error_set(err, EINVAL, "--dhcp needs an IPv4 --address on the network");
        if (def->dhcp_first.s_addr && !def->dhcp)
                return bv_error_set(err, EINVAL, "--dhcp-range needs DHCP (it was turned off with --no-dhcp)");
        if (def->dhcp && !def->dhcp_first.s_addr) {
                if (hi - lo < 3)
                        return bv_error_set(err, EINVAL, "--dhcp: the subnet of '%s' is too small for a pool",
                                            def->addresses[0]);
                /* The upper half, without the broadcast address (and the gateway, when it sits there). */
                uint32_t first = lo + (hi - lo + 1) / 2, last = hi - 1;
                if (gw == last)
                        last--;
                else if (gw == first)
                        first++;
                def->dhcp_first.s_addr = htonl(first);
                def->dhcp_last.s_addr = htonl(last);
        }
        if (def->dhcp) {
                char b[2][INET_ADDRSTRLEN];
                uint32_t first = ntohl(def->dhcp_first.s_addr), last = ntohl(def->dhcp_last.s_addr);
                inet_ntop(AF_INET, &def->dhcp_first, b[0], sizeof(b[0]));
                inet_ntop(AF_INET, &def->dhcp_last, b[1], sizeof(b[1]));
                if (first <= lo || last >= hi)
                        return bv_error_set(err, EINVAL, "--dhcp-range: %s-%s is not inside the subnet of '%s' "
                                            "(without its network and broadcast addresses)", b[0], b[1],
                                            def->addresses[0]);
                if (gw >= first && gw <= last)
                        return bv_error_set(err, EINVAL, "--dhcp-range: %s-%s holds the bridge's own address", b[0],
                                            b[1]);
        }
        if (!*def->dns_domain)
                snprintf(def->dns_domain, sizeof(def->dns_domain), "%s.barevirt", def->name);
        return 0;
}

bool net_cidr_contains(const struct net_cidr *c, const struct net_cidr *a)
{
        if (c->family != a->family || a->prefixlen < c->prefixlen)
                return false;
        size_t full = c->prefixlen / 8, rest = c->prefixlen % 8;
        if (memcmp(c->addr.bytes, a->addr.bytes, full) != 0)
                return false;
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        return rest == 0 || (c->addr.bytes[full] & mask) == (a->addr.bytes[full] & mask);
}

bool net_cidr_overlaps(const struct net_cidr *a, const struct net_cidr *b)
{
        return a->prefixlen <= b->prefixlen ? net_cidr_contains(a, b) : net_cidr_contains(b, a);
}

json_t *net_def_to_json(const struct net_def *def)
{
        json_t *a = json_array();

        for (size_t i = 0; i < def->n_addresses; i++)
                json_array_append_new(a, json_string(def->addresses[i]));
        json_t *o = json_pack("{s:s,s:o,s:b,s:b,s:b}", "name", def->name, "addresses", a, "vlan_filtering",
                              def->vlan_filtering, "nat", def->nat > 0, "dhcp", def->dhcp > 0);
        if (o && def->mtu)
                json_object_set_new(o, "mtu", json_integer(def->mtu));
        if (o && def->dhcp > 0 && def->dhcp_first.s_addr) {
                char b[2][INET_ADDRSTRLEN], range[2 * INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &def->dhcp_first, b[0], sizeof(b[0]));
                inet_ntop(AF_INET, &def->dhcp_last, b[1], sizeof(b[1]));
                snprintf(range, sizeof(range), "%s-%s", b[0], b[1]);
                json_object_set_new(o, "dhcp_range", json_string(range));
        }
        if (o && *def->dns_domain)
                json_object_set_new(o, "dns_domain", json_string(def->dns_domain));
        if (o)
                json_object_set_new(o, "project", json_string(*def->project ? def->project : "default"));
        return o;
}

bool net_def_exists(const char *state_dir, const char *name)
{
        char path[PATH_MAX];

        if (net_def_name_check(name, NULL) < 0)
                return false;
        bv_def_path(path, sizeof(path), state_dir, "networks", name);
        return access(path, F_OK) == 0;
}

int net_def_load(const char *state_dir, const char *name, struct net_def *def, struct bv_error *err)
{
        json_auto_t *o = NULL;
        char path[PATH_MAX];
        int r;

        if (!net_def_exists(state_dir, name))
                return bv_error_set(err, ENOENT, "No network named '%.64s'", name);
        bv_def_path(path, sizeof(path), state_dir, "networks", name);
        if ((r = bv_json_load_file(path, NETWORK_DEF_MAX, &o, err)) < 0 || (r = net_def_from_json(o, def, err)) < 0)
                return bv_error_prefix(err, "Bad definition '%s'", path);
        if (strcmp(def->name, name) != 0) {
                net_def_clear(def);
                return bv_error_set(err, EINVAL, "Bad definition '%s': it names network '%s'", path, def->name);
        }
        return 0;
}

int net_def_store(const char *state_dir, const struct net_def *def, struct bv_error *err)
{
        char path[PATH_MAX];
        json_auto_t *o = net_def_to_json(def);

        bv_def_path(path, sizeof(path), state_dir, "networks", def->name);
        return o ? bv_json_write_file(path, o, err) : bv_error_set(err, ENOMEM, "Out of memory");
}

int net_def_remove(const char *state_dir, const char *name, struct bv_error *err)
{
        char path[PATH_MAX];

        bv_def_path(path, sizeof(path), state_dir, "networks", name);
        if (unlink(path) < 0 && errno != ENOENT)
                return bv_error_set_errno(err, errno, "Failed to remove '%s'", path);
        return 0;
}

/* ---- the bridge of a network ----------------------------------------------------------- */

bool net_link_is_network(const struct net_link *l)
{
        return strcmp(l->kind, "bridge") == 0 && l->group == NET_NETWORK_GROUP;
}

int net_network_create(struct net_ctx *ctx, const struct net_def *def, struct bv_error *err)
{
        struct net_bridge_opts opts = {
                .vlan_filtering = def->vlan_filtering,
                .up = true,
                .mtu = def->mtu,
                .group = NET_NETWORK_GROUP,
                .addresses = (const char *const *)def->addresses,
        };

        return net_link_add_bridge(ctx, def->name, &opts, err);
}

static bool listed(const char *const *have, size_t n_have, const char *addr)
{
        for (size_t k = 0; k < n_have; k++)
                if (strcmp(have[k], addr) == 0)
                        return true;
        return false;
}

int net_network_adopt(struct net_ctx *ctx, const struct net_def *def, const char *const *have, size_t n_have,
                      struct bv_error *err)
{
        bool added[NET_DEF_MAX_ADDRESSES] = {};
        int r = 0;

        if (def->mtu)
                r = net_bridge_pin_mtu(ctx, def->name, def->mtu, err);
        for (size_t i = 0; r >= 0 && i < def->n_addresses; i++)
                if (!listed(have, n_have, def->addresses[i]) && (r = net_addr_add(ctx, def->name, def->addresses[i], err)) >= 0)
                        added[i] = true;
        if (r >= 0)
                r = net_link_set_up(ctx, def->name, true, err);
        if (r < 0) {
                for (size_t i = 0; i < def->n_addresses; i++)
                        if (added[i])
                                (void)net_addr_del(ctx, def->name, def->addresses[i], NULL);
                return bv_error_prefix(err, "Failed to adopt bridge '%s'", def->name);
        }
        return 0;
}
