/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt remote add|list|remove|switch: the barevirtd instances this
 * user talks to (remote.c keeps the file and the connections). add enrols
 * this user's client certificate with a join token from `barevirt trust
 * token create` on the other machine; switch picks the one used without
 * --remote. "local", the UNIX socket, is always there. Without TLS in the
 * build every verb says so.
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "tools/cli/cli.h"

#ifdef BV_TLS

/* "remote VERB NAME": the name, valid and (unless local_ok) not "local". Returns the exit code. */
static int remote_name(struct cli *cli, int argc, char **argv, bool local_ok, const char **ret)
{
        int r = cli_parse_name(cli, "remote", argc, argv, NULL, NULL, ret);

        if (r == 0 && !local_ok && strcmp(*ret, "local") == 0)
                return cli_fail("the remote 'local' (barevirtd's socket) is built in");
        return r;
}

static int remote_add(struct cli *cli, int argc, char **argv)
{
        json_auto_t *cfg = NULL, *entry = NULL, *rm = NULL;
        struct cli_args a = { .max = 2 };
        int r = cli_parse(cli, argc, argv, &a, NULL, NULL);

        if (r)
                return r;
        if (a.n < 2)
                return cli_usage_error(cli, "expected a remote name and a join token");
        if (!bv_name_is_valid(a.arg[0]) || strcmp(a.arg[0], "local") == 0)
                return cli_fail("invalid remote name '%s'", a.arg[0]);
        if ((r = cli_remotes_load(&cfg)))
                return r;
        if (json_object_get(json_object_get(cfg, "remotes"), a.arg[0]))
                return cli_fail("a remote named '%s' exists already", a.arg[0]);
        if ((r = cli_remote_enrol(cli, a.arg[0], a.arg[1], &entry, &rm)))
                return r;
        if (json_object_set(json_object_get(cfg, "remotes"), a.arg[0], rm) < 0 || (r = cli_remotes_save(cfg)))
                return r ? r : cli_fail("out of memory");
        if (cli->json)
                return cli_print_json(entry);
        printf("Remote '%s' added: trusted there as '%s' (%s%s%s)\n", a.arg[0], cli_jstr(entry, "name"),
               cli_jstr(entry, "role"), json_object_get(entry, "project") ? ", project " : "",
               json_object_get(entry, "project") ? cli_jstr(entry, "project") : "");
        return 0;
}

static void remote_row(const json_t *v, char cells[][CLI_CELL_MAX])
{
        char addrs[CLI_CELL_MAX];

        snprintf(cells[0], CLI_CELL_MAX, "%s%s", cli_jstr(v, "name"),
                 json_is_true(json_object_get(v, "current")) ? " (current)" : "");
        snprintf(cells[1], CLI_CELL_MAX, "%s", cli_join(json_object_get(v, "addresses"), NULL, addrs, sizeof(addrs)));
        snprintf(cells[2], CLI_CELL_MAX, "%s", cli_jstr(v, "fingerprint"));
}

static const struct cli_column remote_columns[] = {
        { "NAME", 0 }, { "ADDRESSES", CLI_COL_SHRINK }, { "SHA-256 FINGERPRINT", 0 }, {},
};

static int remote_list(struct cli *cli, int argc, char **argv)
{
        static const struct cli_table t = { remote_columns, "name", remote_row, NULL };
        json_auto_t *cfg = NULL, *rows = json_array();
        struct cli_args a = {};
        char sock[4200];
        const char *name;
        json_t *v;
        int r = cli_parse(cli, argc, argv, &a, NULL, NULL);

        if (r || (r = cli_remotes_load(&cfg)))
                return r;
        const char *cur = cli_remote_current(cli, cfg);
        snprintf(sock, sizeof(sock), "unix:%s", cli->socket);
        json_array_append_new(rows, json_pack("{s:s,s:[s],s:b}", "name", "local", "addresses", sock, "current",
                                              strcmp(cur, "local") == 0));
        json_object_foreach(json_object_get(cfg, "remotes"), name, v) {
                json_t *row = json_deep_copy(v);
                json_object_set_new(row, "name", json_string(name));
                json_object_set_new(row, "current", json_boolean(strcmp(cur, name) == 0));
                json_array_append_new(rows, row);
        }
        if (cli->json)
                return cli_print_json(rows);
        cli_table_print(&t, rows, cli_table_width(), stdout);
        return 0;
}

static int remote_remove(struct cli *cli, int argc, char **argv)
{
        json_auto_t *cfg = NULL;
        const char *name = NULL;
        int r = remote_name(cli, argc, argv, false, &name);

        if (r || (r = cli_remotes_load(&cfg)))
                return r;
        if (json_object_del(json_object_get(cfg, "remotes"), name) < 0)
                return cli_fail("no remote named '%s'", name);
        if (strcmp(json_string_value(json_object_get(cfg, "default")), name) == 0)
                json_object_set_new(cfg, "default", json_string("local"));
        if ((r = cli_remotes_save(cfg)))
                return r;
        printf("Remote '%s' removed (its certificate stays trusted there until 'barevirt trust remove')\n", name);
        return 0;
}

static int remote_switch(struct cli *cli, int argc, char **argv)
{
        json_auto_t *cfg = NULL;
        const char *name = NULL;
        int r = remote_name(cli, argc, argv, true, &name);

        if (r || (r = cli_remotes_load(&cfg)))
                return r;
        if (strcmp(name, "local") != 0 && !json_object_get(json_object_get(cfg, "remotes"), name))
                return cli_fail("no remote named '%s'", name);
        json_object_set_new(cfg, "default", json_string(name));
        if ((r = cli_remotes_save(cfg)))
                return r;
        printf("Default remote is now '%s'\n", name);
        return 0;
}

#else

static int no_tls(struct cli *cli, int argc, char **argv)
{
        struct cli_args a = { .max = CLI_ARGS_MAX };
        int r = cli_parse(cli, argc, argv, &a, NULL, NULL);

        return r ? r : cli_fail("remotes need TLS support, which was left out of this build (--disable-tls)");
}
#define remote_add no_tls
#define remote_list no_tls
#define remote_remove no_tls
#define remote_switch no_tls

#endif

const struct cli_command cli_remote_commands[] = {
        CLI_VERB("add", remote_add, "remote add NAME TOKEN [--json]",
                 "enrol with a join token ('barevirt trust token create' there) and add the remote", cli_json_options),
        CLI_VERB("list", remote_list, "remote list [--json]", "list the remotes; the current one is marked",
                 cli_json_options),
        CLI_VERB("remove", remote_remove, "remote remove NAME", "forget a remote (it trusts us until told otherwise)",
                 NULL),
        CLI_VERB("switch", remote_switch, "remote switch NAME", "talk to NAME by default ('local': the socket)", NULL),
        {},
};
