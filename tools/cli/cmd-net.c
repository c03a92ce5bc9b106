/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt net ...: networks (bridges barevirt owns) through /v1/networks,
 * one sub-verb per endpoint. Names and addresses are checked by barevirtd,
 * so the CLI and the API refuse the same things with the same words.
 */
#include <stdio.h>
#include <string.h>

#include "common/parse.h"
#include "tools/cli/cli.h"

/* Joins the strings of a (or its objects' key) with commas into buf; "-" when empty. */
static const char *join(const json_t *a, const char *key, char *buf, size_t len)
{
        json_t *v;
        size_t i;

        buf[0] = '\0';
        json_array_foreach(a, i, v) {
                const char *s = key ? json_string_value(json_object_get(v, key)) : json_string_value(v);
                size_t used = strlen(buf);
                snprintf(buf + used, len - used, "%s%s", i ? "," : "", s ? s : "?");
        }
        if (!buf[0])
                snprintf(buf, len, "-");
        return buf;
}

static int net_create(struct cli *cli, int argc, char **argv)
{
        static const char usage[] = "net create NAME [--address CIDR ...] [--mtu N] [--vlan-filtering] [--json]";
        json_auto_t *body = json_object();
        json_t *addrs = json_array();
        const char *name = NULL;
        unsigned mtu;

        json_object_set_new(body, "addresses", addrs);
        for (int k = 1; k < argc; k++) {
                const char *a = argv[k];
                if (strcmp(a, "--json") == 0)
                        cli->json = true;
                else if (strcmp(a, "--vlan-filtering") == 0)
                        json_object_set_new(body, "vlan_filtering", json_true());
                else if (strcmp(a, "--address") == 0 || strcmp(a, "--mtu") == 0) {
                        if (k + 1 >= argc)
                                return cli_usage_error(usage, "%s needs a value", a);
                        const char *val = argv[++k];
                        if (strcmp(a, "--address") == 0)
                                json_array_append_new(addrs, json_string(val));
                        else if (bv_parse_uint(val, 0, 1u << 30, &mtu) < 0)
                                return cli_usage_error(usage, "--mtu: '%s' is not a number", val);
                        else
                                json_object_set_new(body, "mtu", json_integer(mtu));
                } else if (a[0] == '-')
                        return cli_usage_error(usage, "unknown option '%s'", a);
                else if (!name)
                        name = a;
                else
                        return cli_usage_error(usage, "unexpected argument '%s'", a);
        }
        if (!name)
                return cli_usage_error(usage, "expected a network name");
        json_object_set_new(body, "name", json_string(name));
        return cli_create(cli, "Network", "/v1/networks", body);
}

static int net_list(struct cli *cli, int argc, char **argv)
{
        json_auto_t *a = NULL;
        json_t *n;
        size_t i;
        int r = cli_fetch(cli, "net list [--json]", "/v1/networks", argc, argv, &a);

        if (r || !a)
                return r;
        printf("%-16s %-8s %-40s %s\n", "NAME", "STATE", "ADDRESSES", "PORTS");
        json_array_foreach(a, i, n) {
                char addrs[512], ports[512];
                printf("%-16s %-8s %-40s %s\n", cli_jstr(n, "name"), cli_jstr(n, "state"),
                       join(json_object_get(json_object_get(n, "definition"), "addresses"), NULL, addrs,
                            sizeof(addrs)),
                       join(json_object_get(n, "ports"), "name", ports, sizeof(ports)));
        }
        return 0;
}

/* One NAME argument, and --json where allowed (cli may be NULL: not allowed). */
static int need_name(struct cli *cli, const char *usage, int argc, char **argv, const char **ret)
{
        int r = cli_name_and_json(cli, usage, "network", argc, argv, ret);

        /* Names past the bridge name limit cannot exist; do not put them in a URL. */
        if (r == 0 && strlen(*ret) > 15)
                return cli_fail("No network named '%s'", *ret);
        return r;
}

static int net_show(struct cli *cli, int argc, char **argv)
{
        json_auto_t *n = NULL;
        const char *name;
        char path[128];
        json_t *v;
        size_t i;
        int r;

        if ((r = need_name(cli, "net show NAME [--json]", argc, argv, &name)))
                return r;
        snprintf(path, sizeof(path), "/v1/networks/%s", name);
        if ((r = cli_api(cli, "GET", path, NULL, 0, &n)))
                return r;
        if (cli->json)
                return cli_print_json(n);
        const json_t *def = json_object_get(n, "definition"), *br = json_object_get(n, "bridge");
        char buf[512];
        printf("%-16s %s\n", "name", cli_jstr(n, "name"));
        printf("%-16s %s\n", "state", cli_jstr(n, "state"));
        printf("%-16s %s\n", "addresses", join(json_object_get(def, "addresses"), NULL, buf, sizeof(buf)));
        if (json_object_get(def, "mtu"))
                printf("%-16s %lld\n", "mtu (defined)", (long long)json_integer_value(json_object_get(def, "mtu")));
        printf("%-16s %s\n", "vlan filtering", json_is_true(json_object_get(def, "vlan_filtering")) ? "yes" : "no");
        if (json_is_object(br)) {
                printf("%-16s %s, %s, mtu %lld, mac %s\n", "bridge", cli_jstr(br, "name"),
                       json_is_true(json_object_get(br, "up")) ? "up" : "down",
                       (long long)json_integer_value(json_object_get(br, "mtu")), cli_jstr(br, "mac"));
                printf("%-16s %s\n", "live addresses", join(json_object_get(br, "addresses"), NULL, buf, sizeof(buf)));
        }
        json_t *ports = json_object_get(n, "ports");
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
        return 0;
}

static int net_delete(struct cli *cli, int argc, char **argv)
{
        const char *name;
        char path[128];
        int r;

        if ((r = need_name(NULL, "net delete NAME", argc, argv, &name)))
                return r;
        snprintf(path, sizeof(path), "/v1/networks/%s", name);
        if ((r = cli_api(cli, "DELETE", path, NULL, 0, NULL)))
                return r;
        printf("Network '%s' deleted\n", name);
        return 0;
}

static const struct cli_command net_commands[] = {
        { "create", net_create, "net create NAME [--address CIDR ...] [--mtu N] [--vlan-filtering]",
          "create a network: a bridge with these addresses, up" },
        { "list", net_list, "net list [--json]", "list networks: state, addresses, ports" },
        { "show", net_show, "net show NAME [--json]", "one network: definition, bridge, ports" },
        { "delete", net_delete, "net delete NAME", "delete a network without ports and its bridge" },
        {},
};

int cmd_net(struct cli *cli, int argc, char **argv)
{
        return cli_dispatch(cli, "net", net_commands, argc - 1, argv + 1);
}
