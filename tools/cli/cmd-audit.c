/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt audit [--since T] [--identity N]: the audit log of GET
 * /v1/audit, one line per request that changed something or was refused.
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "tools/cli/cli.h"

enum { OPT_SINCE = CLI_OPT_OWN + 180, OPT_IDENTITY };

const struct cli_option cli_audit_options[] = {
        { "since", 0, "T", "from time T (2026-12-03T15:00:00Z, or a prefix) or T ago (30m, 2h, 7d)", "the start",
          OPT_SINCE },
        { "identity", 0, "N", "only requests of N: a token or certificate name, or uid:N on the socket", "all",
          OPT_IDENTITY },
        CLI_OPTION_JSON,
        {},
};

struct audit_query {
        char q[320];
};

static int on_option(struct cli *cli, int id, const char *val, void *userdata)
{
        struct audit_query *a = userdata;
        const char *key = id == OPT_SINCE ? "since" : "identity";
        size_t l = strlen(a->q);

        /* Names, uid:N and times need no escaping; anything else is not one of them. */
        if (!*val || strlen(val) > 128 || strspn(val, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") != strlen(val))
                return cli_usage_error(cli, "--%s: '%s' is not a %s", key, val,
                                       id == OPT_SINCE ? "time or duration" : "name or uid:N");
        snprintf(a->q + l, sizeof(a->q) - l, "%c%s=%s", l ? '&' : '?', key, val);
        return 0;
}

static void audit_row(const json_t *e, char cells[][CLI_CELL_MAX])
{
        snprintf(cells[0], CLI_CELL_MAX, "%s", cli_jstr(e, "time"));
        snprintf(cells[1], CLI_CELL_MAX, "%s", cli_jstr(e, "identity"));
        snprintf(cells[2], CLI_CELL_MAX, "%s", cli_jstr(e, "source"));
        const json_t *status = json_object_get(e, "status");
        if (json_is_integer(status)) {
                snprintf(cells[3], CLI_CELL_MAX, "%s %s", cli_jstr(e, "method"), cli_jstr(e, "path"));
                snprintf(cells[4], CLI_CELL_MAX, "%lld", (long long)json_integer_value(status));
        } else {  /* a connection refused before HTTP */
                snprintf(cells[3], CLI_CELL_MAX, "%s %s", cli_jstr(e, "method"), cli_jstr(e, "refused"));
                snprintf(cells[4], CLI_CELL_MAX, "refused");
        }
}

static const struct cli_column audit_columns[] = {
        { "TIME", 0 }, { "IDENTITY", 0 }, { "SOURCE", 0 }, { "REQUEST", CLI_COL_SHRINK }, { "STATUS", 0 }, {},
};

int cmd_audit(struct cli *cli, int argc, char **argv)
{
        static const struct cli_table t = { audit_columns, "time", audit_row, NULL };
        struct audit_query a = {};
        struct cli_args args = {};
        json_auto_t *rows = NULL;
        char path[400];
        int r = cli_parse(cli, argc, argv, &args, on_option, &a);

        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/audit%s", a.q);
        if ((r = cli_api(cli, "GET", path, NULL, 0, &rows)))
                return r;
        if (cli->json)
                return cli_print_json(rows);
        cli_table_print(&t, rows, cli_table_width(), stdout);
        return 0;
}
