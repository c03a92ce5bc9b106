/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt net ...: networks (bridges barevirt owns) through /v1/networks,
 * one sub-verb per endpoint. Names and addresses are checked by barevirtd,
 * so the CLI and the API refuse the same things with the same words.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "tools/cli/cli.h"

enum { OPT_ADDRESS = CLI_OPT_OWN, OPT_MTU, OPT_VLAN_FILTERING, OPT_NAT, OPT_NO_NAT, OPT_DHCP, OPT_NO_DHCP,
       OPT_DHCP_RANGE, OPT_DNS_DOMAIN };

static const struct cli_option create_options[] = {
        { "address", 0, "CIDR", "an address of the bridge, IPv4 or IPv6 with a prefix length (repeatable)", NULL,
          OPT_ADDRESS },
        { "mtu", 0, "N", "the bridge's MTU", "the kernel's", OPT_MTU },
        { "vlan-filtering", 0, NULL, "turn on the bridge's VLAN filtering", NULL, OPT_VLAN_FILTERING },
        { "nat", 0, NULL, "masquerade the IPv4 subnet's traffic leaving through other interfaces",
          "on with an IPv4 address", OPT_NAT },
        { "no-nat", 0, NULL, "no masquerading", NULL, OPT_NO_NAT },
        { "dhcp", 0, NULL, "DHCP and DNS for the network by dnsmasq (package dnsmasq-base)",
          "on with an IPv4 address", OPT_DHCP },
        { "no-dhcp", 0, NULL, "no DHCP and DNS (nothing to install)", NULL, OPT_NO_DHCP },
        { "dhcp-range", 0, "FIRST-LAST", "the pool of addresses for instances", "the upper half of the subnet",
          OPT_DHCP_RANGE },
        { "dns-domain", 0, "DOMAIN", "the domain of the instances' names", "NAME.barevirt", OPT_DNS_DOMAIN },
        CLI_OPTION_PROJECT,
        CLI_OPTION_JSON,
        {},
};

static int on_create_option(struct cli *cli, int id, const char *val, void *userdata)
{
        json_t *body = userdata;
        unsigned mtu;

        if (id == OPT_VLAN_FILTERING)
                json_object_set_new(body, "vlan_filtering", json_true());
        else if (id == OPT_NAT || id == OPT_NO_NAT)
                json_object_set_new(body, "nat", json_boolean(id == OPT_NAT));
        else if (id == OPT_DHCP || id == OPT_NO_DHCP)
                json_object_set_new(body, "dhcp", json_boolean(id == OPT_DHCP));
        else if (id == OPT_DHCP_RANGE)
                json_object_set_new(body, "dhcp_range", json_string(val));
        else if (id == OPT_DNS_DOMAIN)
                json_object_set_new(body, "dns_domain", json_string(val));
        else if (id == OPT_ADDRESS)
                json_array_append_new(json_object_get(body, "addresses"), json_string(val));
        else if (bv_parse_uint(val, 0, 1u << 30, &mtu) < 0)
                return cli_usage_error(cli, "--mtu: '%s' is not a number", val);
        else
                json_object_set_new(body, "mtu", json_integer(mtu));
        return 0;
}

static int net_create(struct cli *cli, int argc, char **argv)
{
        json_auto_t *body = json_pack("{s:[]}", "addresses");
        struct cli_args a = { .max = 1 };
        int r = cli_parse(cli, argc, argv, &a, on_create_option, body);

        if (r)
                return r;
        if (a.n == 0)
                return cli_usage_error(cli, "expected a network name");
        json_object_set_new(body, "name", json_string(a.arg[0]));
        return cli_create(cli, "Network", "/v1/networks", body);
}

static void net_row(const json_t *n, char cells[][CLI_CELL_MAX])
{
        snprintf(cells[0], CLI_CELL_MAX, "%s", cli_jstr(n, "name"));
        snprintf(cells[1], CLI_CELL_MAX, "%s", cli_jstr(n, "state"));
        cli_join(json_object_get(json_object_get(n, "definition"), "addresses"), NULL, cells[2], CLI_CELL_MAX);
        cli_join(json_object_get(n, "ports"), "name", cells[3], CLI_CELL_MAX);
}

static const struct cli_column net_columns[] = {
        { "NAME", CLI_COL_SHRINK }, { "STATE", 0 }, { "ADDRESSES", CLI_COL_SHRINK }, { "PORTS", CLI_COL_SHRINK }, {},
};

static int net_list(struct cli *cli, int argc, char **argv)
{
        static const struct cli_table t = { net_columns, "name", net_row, NULL };

        return cli_list(cli, "/v1/networks", argc, argv, &t);
}

/* One NAME argument, and the options of cli->command. */
static int need_name(struct cli *cli, int argc, char **argv, const char **ret)
{
        int r = cli_parse_name(cli, "network", argc, argv, NULL, NULL, ret);

        /* Names past the bridge name limit cannot exist; do not put them in a URL. */
        if (r == 0 && strlen(*ret) > 15)
                return cli_fail("No network named '%s'", *ret);
        return r;
}

static void print_net(const json_t *n)
{
        const json_t *def = json_object_get(n, "definition"), *br = json_object_get(n, "bridge");
        json_t *ports = json_object_get(n, "ports"), *v;
        char buf[512];
        size_t i;

        printf("%-16s %s\n", "name", cli_jstr(n, "name"));
        printf("%-16s %s\n", "state", cli_jstr(n, "state"));
        printf("%-16s %s\n", "addresses", cli_join(json_object_get(def, "addresses"), NULL, buf, sizeof(buf)));
        if (json_object_get(def, "mtu"))
                printf("%-16s %lld\n", "mtu (defined)", (long long)json_integer_value(json_object_get(def, "mtu")));
        printf("%-16s %s\n", "vlan filtering", json_is_true(json_object_get(def, "vlan_filtering")) ? "yes" : "no");
        printf("%-16s %s\n", "nat", json_is_true(json_object_get(def, "nat")) ? "yes" : "no");
        if (json_is_true(json_object_get(def, "dhcp")))
                printf("%-16s yes, pool %s\n", "dhcp", cli_jstr(def, "dhcp_range"));
        else
                printf("%-16s no\n", "dhcp");
        if (json_object_get(def, "dns_domain"))
                printf("%-16s %s\n", "dns domain", cli_jstr(def, "dns_domain"));
        const json_t *pid = json_object_get(json_object_get(n, "dnsmasq"), "pid");
        if (json_is_integer(pid))
                printf("%-16s pid %lld\n", "dnsmasq", (long long)json_integer_value(pid));
        else if (json_is_true(json_object_get(def, "dhcp")))
                printf("%-16s not running\n", "dnsmasq");
        if (json_is_object(br)) {
                printf("%-16s %s, %s, mtu %lld, mac %s\n", "bridge", cli_jstr(br, "name"),
                       json_is_true(json_object_get(br, "up")) ? "up" : "down",
                       (long long)json_integer_value(json_object_get(br, "mtu")), cli_jstr(br, "mac"));
                printf("%-16s %s\n", "live addresses", cli_join(json_object_get(br, "addresses"), NULL, buf, sizeof(buf)));
        }
        if (json_array_size(ports) == 0)
                printf("%-16s %s\n", "ports", "-");
        json_array_foreach(ports, i, v) {
                char owner[128] = "";
                if (json_is_string(json_object_get(v, "vm")))
                        snprintf(owner, sizeof(owner), ", VM '%s' nic %lld", cli_jstr(v, "vm"),
                                 (long long)json_integer_value(json_object_get(v, "nic")));
                printf("%-16s %s (%s, %s%s)\n", i ? "" : "ports", cli_jstr(v, "name"), cli_jstr(v, "kind"),
                       json_is_true(json_object_get(v, "up")) ? "up" : "down", owner);
        }
        json_array_foreach(json_object_get(n, "leases"), i, v)
                printf("%-16s %s %s %s\n", i ? "" : "leases", cli_jstr(v, "ip"), cli_jstr(v, "mac"),
                       json_is_string(json_object_get(v, "instance")) ? cli_jstr(v, "instance") : "-");
}

static void lease_row(const json_t *l, char cells[][CLI_CELL_MAX])
{
        const json_t *inst = json_object_get(l, "instance"), *expiry = json_object_get(l, "expiry");

        snprintf(cells[0], CLI_CELL_MAX, "%s", cli_jstr(l, "mac"));
        snprintf(cells[1], CLI_CELL_MAX, "%s", cli_jstr(l, "ip"));
        snprintf(cells[2], CLI_CELL_MAX, "%s", *cli_jstr(l, "hostname") ? cli_jstr(l, "hostname") : "-");
        snprintf(cells[3], CLI_CELL_MAX, "%s", json_is_string(inst) ? json_string_value(inst) : "-");
        if (json_is_integer(expiry)) {
                time_t t = (time_t)json_integer_value(expiry);
                struct tm tm;
                strftime(cells[4], CLI_CELL_MAX, "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
        } else {
                snprintf(cells[4], CLI_CELL_MAX, "never (%s)", cli_jstr(l, "kind"));
        }
}

static const struct cli_column lease_columns[] = {
        { "MAC", 0 }, { "IP", 0 }, { "HOSTNAME", CLI_COL_SHRINK }, { "INSTANCE", CLI_COL_SHRINK }, { "EXPIRES", 0 }, {},
};

static int net_show(struct cli *cli, int argc, char **argv)
{
        json_auto_t *n = NULL;
        const char *name;
        int r;

        if ((r = need_name(cli, argc, argv, &name)) || (r = cli_get(cli, "networks", name, &n)))
                return r;
        if (cli->json)
                return cli_print_json(n);
        print_net(n);
        return 0;
}

static int net_leases(struct cli *cli, int argc, char **argv)
{
        json_auto_t *a = NULL;
        const char *name;
        char path[128];
        int r;

        if ((r = need_name(cli, argc, argv, &name)))
                return r;
        snprintf(path, sizeof(path), "/v1/networks/%s/leases", name);
        if ((r = cli_api(cli, "GET", path, NULL, 0, &a)))
                return r;
        if (cli->json)
                return cli_print_json(a);
        static const struct cli_table t = { lease_columns, "ip", lease_row, NULL };
        cli_table_print(&t, a, cli_table_width(), stdout);
        return 0;
}

static int net_delete(struct cli *cli, int argc, char **argv)
{
        const char *name;
        char path[128];
        int r;

        if ((r = need_name(cli, argc, argv, &name)))
                return r;
        snprintf(path, sizeof(path), "/v1/networks/%s", name);
        if ((r = cli_api(cli, "DELETE", path, NULL, 0, NULL)))
                return r;
        printf("Network '%s' deleted\n", name);
        return 0;
}

/* ---- net forward add|list|delete ------------------------------------------------------------ */

enum { OPT_PROTO = CLI_OPT_OWN + 64, OPT_PORT, OPT_LISTEN, OPT_TO };

static const struct cli_option forward_options[] = {
        { "proto", 0, "tcp|udp", "the protocol", "tcp", OPT_PROTO },
        { "port", 0, "HOSTPORT", "the host's port", NULL, OPT_PORT },
        { "listen", 0, "ADDR", "only traffic to this local IPv4 address", "every local address", OPT_LISTEN },
        { "to", 0, "INSTANCE:PORT", "the VM or container (its current address) and its port", NULL, OPT_TO },
        CLI_OPTION_JSON,
        {},
};

static int on_forward_option(struct cli *cli, int id, const char *val, void *userdata)
{
        json_t *f = userdata;
        unsigned port;

        if (id == OPT_PROTO)
                json_object_set_new(f, "proto", json_string(val));
        else if (id == OPT_LISTEN)
                json_object_set_new(f, "listen", json_string(val));
        else if (id == OPT_TO)
                json_object_set_new(f, "to", json_string(val));
        else if (bv_parse_uint(val, 1, 65535, &port) < 0)
                return cli_usage_error(cli, "--port: '%s' is not a port (1-65535)", val);
        else
                json_object_set_new(f, "port", json_integer(port));
        return 0;
}

/* NET and the forward's options into f; *ret_path: /v1/networks/NET/forwards. */
static int forward_args(struct cli *cli, int argc, char **argv, json_t *f, char *path, size_t len)
{
        struct cli_args a = { .max = 1 };
        int r = cli_parse(cli, argc, argv, &a, on_forward_option, f);

        if (r)
                return r;
        if (a.n == 0)
                return cli_usage_error(cli, "expected a network name");
        if (strlen(a.arg[0]) > 15)
                return cli_fail("No network named '%s'", a.arg[0]);
        if (!json_object_get(f, "proto"))
                json_object_set_new(f, "proto", json_string("tcp"));
        snprintf(path, len, "/v1/networks/%s/forwards", a.arg[0]);
        return 0;
}

static int forward_add(struct cli *cli, int argc, char **argv)
{
        json_auto_t *f = json_object(), *res = NULL;
        char path[128];
        int r;

        if ((r = forward_args(cli, argc, argv, f, path, sizeof(path))))
                return r;
        if (!json_object_get(f, "port") || !json_object_get(f, "to"))
                return cli_usage_error(cli, "expected --port HOSTPORT and --to INSTANCE:PORT");
        if ((r = cli_api(cli, "POST", path, f, 0, &res)))
                return r;
        if (cli->json)
                return cli_print_json(res);
        printf("Forward %s port %lld%s%s -> %s created\n", cli_jstr(f, "proto"),
               (long long)json_integer_value(json_object_get(f, "port")), json_object_get(f, "listen") ? " on " : "",
               json_object_get(f, "listen") ? cli_jstr(f, "listen") : "", cli_jstr(f, "to"));
        return 0;
}

static void forward_row(const json_t *f, char cells[][CLI_CELL_MAX])
{
        snprintf(cells[0], CLI_CELL_MAX, "%s", cli_jstr(f, "proto"));
        snprintf(cells[1], CLI_CELL_MAX, "%s", json_object_get(f, "listen") ? cli_jstr(f, "listen") : "*");
        snprintf(cells[2], CLI_CELL_MAX, "%lld", (long long)json_integer_value(json_object_get(f, "port")));
        snprintf(cells[3], CLI_CELL_MAX, "%s", cli_jstr(f, "to"));
        snprintf(cells[4], CLI_CELL_MAX, "%s",
                 json_is_string(json_object_get(f, "address")) ? cli_jstr(f, "address") : "(no address yet)");
}

static const struct cli_column forward_columns[] = {
        { "PROTO", 0 }, { "LISTEN", 0 }, { "PORT", CLI_COL_RIGHT }, { "TO", CLI_COL_SHRINK }, { "ADDRESS", 0 }, {},
};

static int forward_list(struct cli *cli, int argc, char **argv)
{
        json_auto_t *f = json_object(), *a = NULL;
        char path[128];
        int r;

        if ((r = forward_args(cli, argc, argv, f, path, sizeof(path))) || (r = cli_api(cli, "GET", path, NULL, 0, &a)))
                return r;
        if (cli->json)
                return cli_print_json(a);
        static const struct cli_table t = { forward_columns, "key", forward_row, NULL };
        cli_table_print(&t, a, cli_table_width(), stdout);
        return 0;
}

static int forward_delete(struct cli *cli, int argc, char **argv)
{
        json_auto_t *f = json_object();
        char path[128], full[256];
        int r;

        if ((r = forward_args(cli, argc, argv, f, path, sizeof(path))))
                return r;
        if (!json_object_get(f, "port"))
                return cli_usage_error(cli, "expected --port HOSTPORT");
        const char *listen = json_string_value(json_object_get(f, "listen"));
        snprintf(full, sizeof(full), "%s/%s:%s%s%lld", path, cli_jstr(f, "proto"), listen ? listen : "",
                 listen ? ":" : "", (long long)json_integer_value(json_object_get(f, "port")));
        if ((r = cli_api(cli, "DELETE", full, NULL, 0, NULL)))
                return r;
        printf("Forward %s port %lld deleted\n", cli_jstr(f, "proto"),
               (long long)json_integer_value(json_object_get(f, "port")));
        return 0;
}

static const struct cli_command forward_commands[] = {
        CLI_VERB("add", forward_add, "net forward add NET [--proto tcp|udp] --port HOSTPORT [--listen ADDR] --to INSTANCE:PORT",
                 "publish INSTANCE:PORT on a host port (DNAT, also from the host itself)", forward_options),
        CLI_VERB("list", forward_list, "net forward list NET [--json]", "a network's port forwards and their targets' addresses",
                 cli_json_options),
        CLI_VERB("delete", forward_delete, "net forward delete NET [--proto tcp|udp] --port HOSTPORT [--listen ADDR]",
                 "remove a port forward", forward_options),
        {},
};

const struct cli_command cli_net_commands[] = {
        CLI_VERB("create", net_create,
                 "net create NAME [--address CIDR ...] [--mtu N] [--vlan-filtering] [--nat|--no-nat] "
                 "[--dhcp|--no-dhcp] [--dhcp-range FIRST-LAST] [--dns-domain D] [--project P] [--json]",
                 "create a network: a bridge with these addresses, up, with NAT, DHCP and DNS", create_options),
        CLI_VERB("list", net_list, "net list [-q] [--format TEMPLATE] [--json]", "list networks: state, addresses, ports",
                 cli_table_options),
        CLI_VERB("show", net_show, "net show NAME [--json]", "one network: definition, bridge, ports, dnsmasq, leases",
                 cli_json_options),
        CLI_VERB("leases", net_leases, "net leases NAME [--json]",
                 "a network's DHCP leases and containers' pool addresses", cli_json_options),
        CLI_VERB("delete", net_delete, "net delete NAME", "delete a network without ports and its bridge", NULL),
        CLI_GROUP("forward", "net forward add|list|delete ...", "port forwards into the network's instances",
                  forward_commands),
        CLI_GROUP("firewall", "net firewall create|list|show|delete|rule ...",
                  "firewall groups of NICs (--nic NETWORK,firewall=GROUP)", cli_firewall_commands),
        {},
};
