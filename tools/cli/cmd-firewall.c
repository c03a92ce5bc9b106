/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt net firewall ...: firewall groups through /v1/firewall/groups,
 * one sub-verb per endpoint. A NIC joins a group with firewall=GROUP in
 * its --nic option. Rules and names are checked by barevirtd, so the CLI
 * and the API refuse the same things with the same words.
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "tools/cli/cli.h"

enum { OPT_DEFAULT_IN = CLI_OPT_OWN + 128, OPT_DEFAULT_OUT, OPT_IN, OPT_OUT, OPT_PROTO, OPT_PORT, OPT_FROM, OPT_TO,
       OPT_ACTION };

static const struct cli_option create_options[] = {
        { "default-in", 0, "accept|drop", "what happens to traffic towards the NIC that no rule matched", "accept",
          OPT_DEFAULT_IN },
        { "default-out", 0, "accept|drop", "what happens to traffic from the NIC that no rule matched", "accept",
          OPT_DEFAULT_OUT },
        CLI_OPTION_JSON,
        {},
};

static const struct cli_option rule_options[] = {
        { "in", 0, NULL, "the rule judges traffic towards the NIC", NULL, OPT_IN },
        { "out", 0, NULL, "the rule judges traffic from the NIC", NULL, OPT_OUT },
        { "proto", 0, "tcp|udp|icmp|any", "the protocol", NULL, OPT_PROTO },
        { "port", 0, "N[-M]", "destination port or range (tcp and udp only)", "any port", OPT_PORT },
        { "from", 0, "CIDR", "the source of --in traffic", "anyone", OPT_FROM },
        { "to", 0, "CIDR", "the destination of --out traffic", "anyone", OPT_TO },
        { "action", 0, "accept|drop", "what happens to matching traffic", NULL, OPT_ACTION },
        CLI_OPTION_JSON,
        {},
};

static int on_create_option(struct cli *cli, int id, const char *val, void *userdata)
{
        json_object_set_new(userdata, id == OPT_DEFAULT_IN ? "default_in" : "default_out", json_string(val));
        return 0;
}

static int fw_create(struct cli *cli, int argc, char **argv)
{
        json_auto_t *body = json_object();
        struct cli_args a = { .max = 1 };
        int r = cli_parse(cli, argc, argv, &a, on_create_option, body);

        if (r)
                return r;
        if (a.n == 0)
                return cli_usage_error(cli, "expected a firewall group name");
        json_object_set_new(body, "name", json_string(a.arg[0]));
        return cli_create(cli, "Firewall group", "/v1/firewall/groups", body);
}

static void group_row(const json_t *g, char cells[][CLI_CELL_MAX])
{
        snprintf(cells[0], CLI_CELL_MAX, "%s", cli_jstr(g, "name"));
        snprintf(cells[1], CLI_CELL_MAX, "%s", cli_jstr(g, "default_in"));
        snprintf(cells[2], CLI_CELL_MAX, "%s", cli_jstr(g, "default_out"));
        snprintf(cells[3], CLI_CELL_MAX, "%zu", json_array_size(json_object_get(g, "rules")));
        cli_join(json_object_get(g, "used_by"), "instance", cells[4], CLI_CELL_MAX);
}

static const struct cli_column group_columns[] = {
        { "NAME", CLI_COL_SHRINK }, { "IN", 0 }, { "OUT", 0 }, { "RULES", CLI_COL_RIGHT }, { "USED BY", CLI_COL_SHRINK },
        {},
};

static int fw_list(struct cli *cli, int argc, char **argv)
{
        static const struct cli_table t = { group_columns, "name", group_row, NULL };

        return cli_list(cli, "/v1/firewall/groups", argc, argv, &t);
}

/* "in tcp port 80 from 10.0.0.0/24 drop" */
static void rule_text(const json_t *r, char *buf, size_t len)
{
        const json_t *port = json_object_get(r, "port");
        const char *peer = json_object_get(r, "from") ? "from" : json_object_get(r, "to") ? "to" : NULL;
        char p[32] = "", q[96] = "";

        if (json_is_integer(port))
                snprintf(p, sizeof(p), " port %lld", (long long)json_integer_value(port));
        else if (json_is_string(port))
                snprintf(p, sizeof(p), " port %s", json_string_value(port));
        if (peer)
                snprintf(q, sizeof(q), " %s %s", peer, cli_jstr(r, peer));
        snprintf(buf, len, "%s %s%s%s %s", cli_jstr(r, "direction"), cli_jstr(r, "proto"), p, q, cli_jstr(r, "action"));
}

static void print_group(const json_t *g)
{
        char buf[512];
        const json_t *v;
        size_t i;

        printf("%-16s %s\n", "name", cli_jstr(g, "name"));
        printf("%-16s %s\n", "default in", cli_jstr(g, "default_in"));
        printf("%-16s %s\n", "default out", cli_jstr(g, "default_out"));
        printf("%-16s %s\n", "replies", json_is_true(json_object_get(g, "stateful")) ? "tracked (stateful)"
                                                                                        : "judged statelessly (no bridge conntrack)");
        json_array_foreach(json_object_get(g, "rules"), i, v) {
                rule_text(v, buf, sizeof(buf));
                printf("%-16s %lld: %s\n", i ? "" : "rules", (long long)json_integer_value(json_object_get(v, "index")),
                       buf);
        }
        if (json_array_size(json_object_get(g, "rules")) == 0)
                printf("%-16s (none)\n", "rules");
        json_array_foreach(json_object_get(g, "used_by"), i, v)
                printf("%-16s %s nic %lld\n", i ? "" : "used by", cli_jstr(v, "instance"),
                       (long long)json_integer_value(json_object_get(v, "nic")));
}

static int fw_show(struct cli *cli, int argc, char **argv)
{
        return cli_show(cli, "firewall group", "firewall/groups", argc, argv, print_group);
}

static int fw_delete(struct cli *cli, int argc, char **argv)
{
        const char *name = NULL;
        char path[128];
        int r = cli_parse_name(cli, "firewall group", argc, argv, NULL, NULL, &name);

        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/firewall/groups/%s", name);
        if ((r = cli_api(cli, "DELETE", path, NULL, 0, NULL)))
                return r;
        printf("Firewall group '%s' deleted\n", name);
        return 0;
}

/* ---- rules ------------------------------------------------------------------------------------- */

static int on_rule_option(struct cli *cli, int id, const char *val, void *userdata)
{
        json_t *rule = userdata;
        unsigned port;

        switch (id) {
        case OPT_IN:
        case OPT_OUT:
                if (json_object_get(rule, "direction"))
                        return cli_usage_error(cli, "give one of --in and --out");
                json_object_set_new(rule, "direction", json_string(id == OPT_IN ? "in" : "out"));
                return 0;
        case OPT_PROTO: json_object_set_new(rule, "proto", json_string(val)); return 0;
        case OPT_FROM: json_object_set_new(rule, "from", json_string(val)); return 0;
        case OPT_TO: json_object_set_new(rule, "to", json_string(val)); return 0;
        case OPT_ACTION: json_object_set_new(rule, "action", json_string(val)); return 0;
        default:
                /* A single port goes as a number, a range as the text "N-M" (barevirtd checks both). */
                if (bv_parse_uint(val, 0, ~0u, &port) == 0)
                        json_object_set_new(rule, "port", json_integer(port));
                else
                        json_object_set_new(rule, "port", json_string(val));
                return 0;
        }
}

/* GROUP and the options; *path: /v1/firewall/groups/GROUP/rules. n_extra: more arguments allowed. */
static int rule_args(struct cli *cli, int argc, char **argv, json_t *rule, int n_extra, struct cli_args *a,
                     char *path, size_t len)
{
        a->max = 1 + n_extra;
        int r = cli_parse(cli, argc, argv, a, on_rule_option, rule);

        if (r)
                return r;
        if (a->n < a->max)
                return cli_usage_error(cli, n_extra ? "expected a firewall group name and a rule index"
                                                    : "expected a firewall group name");
        if (!bv_name_is_valid(a->arg[0]))
                return cli_fail("invalid firewall group name '%s'", a->arg[0]);
        snprintf(path, len, "/v1/firewall/groups/%s/rules", a->arg[0]);
        return 0;
}

static int rule_add(struct cli *cli, int argc, char **argv)
{
        json_auto_t *rule = json_object(), *res = NULL;
        struct cli_args a = {};
        char path[160], buf[512];
        int r;

        if ((r = rule_args(cli, argc, argv, rule, 0, &a, path, sizeof(path))))
                return r;
        if (!json_object_get(rule, "direction") || !json_object_get(rule, "proto") || !json_object_get(rule, "action"))
                return cli_usage_error(cli, "expected --in or --out, --proto and --action");
        if ((r = cli_api(cli, "POST", path, rule, 0, &res)))
                return r;
        if (cli->json)
                return cli_print_json(res);
        const json_t *rules = json_object_get(res, "rules");
        const json_t *last = json_array_get(rules, json_array_size(rules) - 1);
        rule_text(last, buf, sizeof(buf));
        printf("Rule %lld of firewall group '%s' added: %s\n", (long long)json_integer_value(json_object_get(last, "index")),
               a.arg[0], buf);
        return 0;
}

static void rule_row(const json_t *v, char cells[][CLI_CELL_MAX])
{
        const json_t *port = json_object_get(v, "port");

        snprintf(cells[0], CLI_CELL_MAX, "%lld", (long long)json_integer_value(json_object_get(v, "index")));
        snprintf(cells[1], CLI_CELL_MAX, "%s", cli_jstr(v, "direction"));
        snprintf(cells[2], CLI_CELL_MAX, "%s", cli_jstr(v, "proto"));
        if (json_is_integer(port))
                snprintf(cells[3], CLI_CELL_MAX, "%lld", (long long)json_integer_value(port));
        else
                snprintf(cells[3], CLI_CELL_MAX, "%s", json_is_string(port) ? json_string_value(port) : "*");
        snprintf(cells[4], CLI_CELL_MAX, "%s",
                 json_object_get(v, "from") ? cli_jstr(v, "from") : json_object_get(v, "to") ? cli_jstr(v, "to") : "*");
        snprintf(cells[5], CLI_CELL_MAX, "%s", cli_jstr(v, "action"));
}

static const struct cli_column rule_columns[] = {
        { "#", CLI_COL_RIGHT }, { "DIR", 0 }, { "PROTO", 0 }, { "PORT", 0 }, { "PEER", CLI_COL_SHRINK }, { "ACTION", 0 },
        {},
};

static int rule_list(struct cli *cli, int argc, char **argv)
{
        json_auto_t *rule = json_object(), *res = NULL;
        struct cli_args a = {};
        char path[160];
        int r;

        if ((r = rule_args(cli, argc, argv, rule, 0, &a, path, sizeof(path))) ||
            (r = cli_api(cli, "GET", path, NULL, 0, &res)))
                return r;
        if (cli->json)
                return cli_print_json(res);
        static const struct cli_table t = { rule_columns, "index", rule_row, NULL };
        cli_table_print(&t, res, cli_table_width(), stdout);
        return 0;
}

static int rule_delete(struct cli *cli, int argc, char **argv)
{
        json_auto_t *rule = json_object();
        struct cli_args a = {};
        char path[160], full[200];
        unsigned index;
        int r;

        if ((r = rule_args(cli, argc, argv, rule, 1, &a, path, sizeof(path))))
                return r;
        if (bv_parse_uint(a.arg[1], 1, 1u << 20, &index) < 0)
                return cli_usage_error(cli, "'%s' is not a rule index (1, 2, ... as 'net firewall rule list' numbers them)",
                                       a.arg[1]);
        snprintf(full, sizeof(full), "%s/%u", path, index);
        if ((r = cli_api(cli, "DELETE", full, NULL, 0, NULL)))
                return r;
        printf("Rule %u of firewall group '%s' deleted\n", index, a.arg[0]);
        return 0;
}

static const struct cli_command rule_commands[] = {
        CLI_VERB("add", rule_add,
                 "net firewall rule add GROUP --in|--out --proto tcp|udp|icmp|any [--port N[-M]] [--from CIDR|--to CIDR] "
                 "--action accept|drop [--json]",
                 "append a rule to a group (rules are checked in order, then the group's default)", rule_options),
        CLI_VERB("list", rule_list, "net firewall rule list GROUP [--json]", "a group's rules, numbered", cli_json_options),
        CLI_VERB("delete", rule_delete, "net firewall rule delete GROUP INDEX", "remove rule INDEX (from 'rule list')",
                 NULL),
        {},
};

const struct cli_command cli_firewall_commands[] = {
        CLI_VERB("create", fw_create, "net firewall create GROUP [--default-in accept|drop] [--default-out accept|drop] [--json]",
                 "create a firewall group; NICs join it with --nic NETWORK,firewall=GROUP", create_options),
        CLI_VERB("list", fw_list, "net firewall list [-q] [--format TEMPLATE] [--json]",
                 "list firewall groups: defaults, rules, the instances using them", cli_table_options),
        CLI_VERB("show", fw_show, "net firewall show GROUP [--json]", "one firewall group: defaults, rules, users",
                 cli_json_options),
        CLI_VERB("delete", fw_delete, "net firewall delete GROUP", "delete a firewall group no NIC uses", NULL),
        CLI_GROUP("rule", "net firewall rule add|list|delete ...", "the rules of a firewall group", rule_commands),
        {},
};
