/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt project ...: projects and their quotas, through /v1/projects.
 * Creating and deleting is the admin's; a list shows each project's usage
 * against its quotas ("384/512" MiB; "-" for no quota).
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "tools/cli/cli.h"

enum { OPT_MAX_INSTANCES = CLI_OPT_OWN + 180, OPT_MAX_MEMORY, OPT_MAX_VCPUS };

static const struct cli_option create_options[] = {
        { "max-instances", 0, "N", "at most N instances (VMs and containers)", "no limit", OPT_MAX_INSTANCES },
        { "max-memory", 0, "MIB", "at most MIB of memory, summed over its instances", "no limit", OPT_MAX_MEMORY },
        { "max-vcpus", 0, "N", "at most N vcpus (containers: --cpus rounded up)", "no limit", OPT_MAX_VCPUS },
        CLI_OPTION_JSON,
        {},
};

static int on_option(struct cli *cli, int id, const char *val, void *userdata)
{
        static const char *const keys[] = { "max_instances", "max_memory", "max_vcpus" };
        static const char *const flags[] = { "--max-instances", "--max-memory", "--max-vcpus" };
        size_t i = (size_t)(id - OPT_MAX_INSTANCES);
        unsigned v;

        if (bv_parse_uint(val, 0, 1u << 30, &v) < 0)
                return cli_usage_error(cli, "%s '%s': expected a number", flags[i], val);
        json_object_set_new(userdata, keys[i], json_integer(v));
        return 0;
}

static int project_create(struct cli *cli, int argc, char **argv)
{
        json_auto_t *body = json_object();
        const char *name = NULL;
        int r = cli_parse_name(cli, "project", argc, argv, on_option, body, &name);

        if (r)
                return r;
        json_object_set_new(body, "name", json_string(name));
        return cli_create(cli, "project", "/v1/projects", body);
}

/* "USED/MAX" or "USED" when there is no quota. */
static void usage_cell(const json_t *p, const char *used, const char *max, char *buf)
{
        json_t *m = json_object_get(p, max);
        long long u = json_integer_value(json_object_get(json_object_get(p, "usage"), used));

        if (m)
                snprintf(buf, CLI_CELL_MAX, "%lld/%lld", u, (long long)json_integer_value(m));
        else
                snprintf(buf, CLI_CELL_MAX, "%lld", u);
}

static void project_row(const json_t *p, char cells[][CLI_CELL_MAX])
{
        snprintf(cells[0], CLI_CELL_MAX, "%s", cli_jstr(p, "name"));
        usage_cell(p, "instances", "max_instances", cells[1]);
        usage_cell(p, "memory", "max_memory", cells[2]);
        usage_cell(p, "vcpus", "max_vcpus", cells[3]);
        snprintf(cells[4], CLI_CELL_MAX, "%lld",
                 (long long)json_integer_value(json_object_get(json_object_get(p, "usage"), "networks")));
}

static const struct cli_column columns[] = {
        { "NAME", CLI_COL_SHRINK }, { "INSTANCES", CLI_COL_RIGHT }, { "MEMORY MIB", CLI_COL_RIGHT },
        { "VCPUS", CLI_COL_RIGHT }, { "NETWORKS", CLI_COL_RIGHT }, {},
};

static int project_list(struct cli *cli, int argc, char **argv)
{
        static const struct cli_table t = { columns, "name", project_row, NULL };

        return cli_list(cli, "/v1/projects", argc, argv, &t);
}

static void print_project(const json_t *p)
{
        char cells[5][CLI_CELL_MAX];

        project_row(p, cells);
        printf("%-12s %s\n%-12s %s\n%-12s %s\n%-12s %s\n%-12s %s\n", "name", cells[0], "instances", cells[1],
               "memory", cells[2], "vcpus", cells[3], "networks", cells[4]);
}

static int project_show(struct cli *cli, int argc, char **argv)
{
        return cli_show(cli, "project", "projects", argc, argv, print_project);
}

static int project_delete(struct cli *cli, int argc, char **argv)
{
        const char *name = NULL;
        char path[160];
        int r = cli_parse_name(cli, "project", argc, argv, NULL, NULL, &name);

        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/projects/%s", name);
        if ((r = cli_api(cli, "DELETE", path, NULL, 0, NULL)))
                return r;
        printf("Project '%s' deleted\n", name);
        return 0;
}

const struct cli_command cli_project_commands[] = {
        CLI_VERB("create", project_create,
                 "project create NAME [--max-instances N] [--max-memory MIB] [--max-vcpus N] [--json]",
                 "make a project, with optional quotas", create_options),
        CLI_VERB("list", project_list, "project list [-q] [--format TEMPLATE] [--json]",
                 "list projects: usage against quotas (USED/MAX)", cli_table_options),
        CLI_VERB("show", project_show, "project show NAME [--json]", "one project and its usage", cli_json_options),
        CLI_VERB("delete", project_delete, "project delete NAME",
                 "delete an empty project (default cannot be deleted)", NULL),
        {},
};
