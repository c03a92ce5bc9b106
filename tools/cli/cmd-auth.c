/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt token ..., barevirt trust ... and barevirt trust token ...: who
 * may use barevirtd's --listen, through /v1/tokens, /v1/trust and
 * /v1/trust/tokens (admin only over HTTPS, root on the socket). A token is printed once, when it is made; only
 * its SHA-256 stays with barevirtd.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "tools/cli/cli.h"

enum { OPT_ROLE = CLI_OPT_OWN + 160, OPT_EXPIRES, OPT_NAME, OPT_PROJECT };

static const struct cli_option token_create_options[] = {
        { "role", 0, "admin|operator|viewer", "what the token may do", "viewer", OPT_ROLE },
        { "expires", 0, "DURATION", "lifetime: seconds, or N with s, m, h or d (1h, 7d)", "never", OPT_EXPIRES },
        { "project", 0, "PROJECT", "restrict it to one project's instances and networks", "every project", OPT_PROJECT },
        CLI_OPTION_JSON,
        {},
};

static const struct cli_option join_create_options[] = {
        { "role", 0, "admin|operator|viewer", "what the enrolled certificate may do", "viewer", OPT_ROLE },
        { "project", 0, "PROJECT", "the project the certificate is restricted to", "every project", OPT_PROJECT },
        { "expires", 0, "DURATION", "the token's lifetime: seconds, or N with s, m, h or d (1h, 7d)", "never",
          OPT_EXPIRES },
        CLI_OPTION_JSON,
        {},
};

static const struct cli_option trust_add_options[] = {
        { "role", 0, "admin|operator|viewer", "what the certificate may do", "viewer", OPT_ROLE },
        { "name", 0, "NAME", "the entry's name", "the file's name without .pem", OPT_NAME },
        { "project", 0, "PROJECT", "restrict it to one project's instances and networks", "every project", OPT_PROJECT },
        CLI_OPTION_JSON,
        {},
};

/* "90", "90s", "15m", "1h", "7d" in seconds; -EINVAL otherwise. */
static int parse_duration(const char *s, uint64_t *ret)
{
        char num[32];
        size_t n = strlen(s);
        uint64_t v, unit = 1;

        if (n == 0 || n >= sizeof(num))
                return -EINVAL;
        memcpy(num, s, n + 1);
        switch (num[n - 1]) {
        case 's': unit = 1; num[--n] = '\0'; break;
        case 'm': unit = 60; num[--n] = '\0'; break;
        case 'h': unit = 3600; num[--n] = '\0'; break;
        case 'd': unit = 86400; num[--n] = '\0'; break;
        }
        if (bv_parse_u64(num, 1, 100ULL * 365 * 86400 / unit, &v) < 0)
                return -EINVAL;
        *ret = v * unit;
        return 0;
}

static int on_option(struct cli *cli, int id, const char *val, void *userdata)
{
        json_t *body = userdata;
        uint64_t secs;

        switch (id) {
        case OPT_ROLE: json_object_set_new(body, "role", json_string(val)); return 0;
        case OPT_NAME: json_object_set_new(body, "name", json_string(val)); return 0;
        case OPT_PROJECT: json_object_set_new(body, "project", json_string(val)); return 0;
        default:
                if (parse_duration(val, &secs) < 0)
                        return cli_usage_error(cli, "--expires '%s': expected seconds or N[smhd] (1h, 7d)", val);
                json_object_set_new(body, "expires_in", json_integer((json_int_t)secs));
                return 0;
        }
}

/* "VERB NAME [OPTIONS]" POSTed to path; prints the token (what: "token", "join token"). */
static int create_token(struct cli *cli, int argc, char **argv, const char *what, const char *path)
{
        json_auto_t *body = json_object(), *res = NULL;
        const char *name = NULL;
        int r = cli_parse_name(cli, what, argc, argv, on_option, body, &name);

        if (r)
                return r;
        json_object_set_new(body, "name", json_string(name));
        if ((r = cli_api(cli, "POST", path, body, 0, &res)))
                return r;
        if (cli->json)
                return cli_print_json(res);
        /* The token alone on stdout (for $(...)); what it is on stderr. */
        fprintf(stderr, "%c%s '%s' (%s) created; it is shown only now:\n", what[0] - 32, what + 1, name,
                cli_jstr(res, "role"));
        printf("%s\n", cli_jstr(res, "token"));
        return 0;
}

static int token_create(struct cli *cli, int argc, char **argv)
{
        return create_token(cli, argc, argv, "token", "/v1/tokens");
}

static void time_cell(const json_t *o, const char *key, const char *never, char *buf, size_t len)
{
        json_int_t t = json_integer_value(json_object_get(o, key));
        time_t tt = (time_t)t;
        struct tm tm;

        if (t <= 0 || !gmtime_r(&tt, &tm))
                snprintf(buf, len, "%s", never);
        else
                strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
}

static void token_row(const json_t *t, char cells[][CLI_CELL_MAX])
{
        snprintf(cells[0], CLI_CELL_MAX, "%s", cli_jstr(t, "name"));
        snprintf(cells[1], CLI_CELL_MAX, "%s", cli_jstr(t, "role"));
        time_cell(t, "created", "-", cells[2], CLI_CELL_MAX);
        time_cell(t, "expires", "never", cells[3], CLI_CELL_MAX);
        snprintf(cells[4], CLI_CELL_MAX, "%s", json_object_get(t, "project") ? cli_jstr(t, "project") : "*");
        if (json_is_true(json_object_get(t, "expired")))
                strncat(cells[3], " (expired)", CLI_CELL_MAX - strlen(cells[3]) - 1);
}

static const struct cli_column token_columns[] = {
        { "NAME", CLI_COL_SHRINK }, { "ROLE", 0 }, { "CREATED", 0 }, { "EXPIRES", 0 }, { "PROJECT", 0 }, {},
};

static int token_list(struct cli *cli, int argc, char **argv)
{
        static const struct cli_table t = { token_columns, "name", token_row, NULL };

        return cli_list(cli, "/v1/tokens", argc, argv, &t);
}

/* DELETE /v1/COLLECTION/NAME, then "<what> 'NAME' <done>". */
static int remove_named(struct cli *cli, int argc, char **argv, const char *what, const char *collection,
                        const char *done)
{
        const char *name = NULL;
        char path[160];
        int r = cli_parse_name(cli, what, argc, argv, NULL, NULL, &name);

        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/%s/%s", collection, name);
        if ((r = cli_api(cli, "DELETE", path, NULL, 0, NULL)))
                return r;
        printf("%c%s '%s' %s\n", what[0] - 32, what + 1, name, done);
        return 0;
}

static int token_revoke(struct cli *cli, int argc, char **argv)
{
        return remove_named(cli, argc, argv, "token", "tokens", "revoked");
}

static int trust_add(struct cli *cli, int argc, char **argv)
{
        json_auto_t *body = json_object();
        _cleanup_free_ char *pem = NULL;
        struct cli_args a = { .max = 1 };
        struct bv_error err = {};
        char name[64];
        size_t len;
        int r = cli_parse(cli, argc, argv, &a, on_option, body);

        if (r)
                return r;
        if (a.n == 0)
                return cli_usage_error(cli, "expected a certificate file (PEM)");
        if (bv_file_read(a.arg[0], 64 * 1024, &pem, &len, &err) < 0)
                return cli_fail("%s", err.msg);
        if (!json_object_get(body, "name")) {
                const char *base = strrchr(a.arg[0], '/') ? strrchr(a.arg[0], '/') + 1 : a.arg[0];
                snprintf(name, sizeof(name), "%.*s", (int)strcspn(base, "."), base);
                json_object_set_new(body, "name", json_string(name));
        }
        json_object_set_new(body, "certificate", json_stringn(pem, len));
        return cli_create(cli, "Trusted certificate", "/v1/trust", body);
}

static void trust_row(const json_t *t, char cells[][CLI_CELL_MAX])
{
        snprintf(cells[0], CLI_CELL_MAX, "%s", cli_jstr(t, "name"));
        snprintf(cells[1], CLI_CELL_MAX, "%s", cli_jstr(t, "role"));
        snprintf(cells[2], CLI_CELL_MAX, "%s", cli_jstr(t, "fingerprint"));
        time_cell(t, "added", "-", cells[3], CLI_CELL_MAX);
        snprintf(cells[4], CLI_CELL_MAX, "%s", json_object_get(t, "project") ? cli_jstr(t, "project") : "*");
}

static const struct cli_column trust_columns[] = {
        { "NAME", CLI_COL_SHRINK }, { "ROLE", 0 }, { "SHA-256 FINGERPRINT", 0 }, { "ADDED", 0 }, { "PROJECT", 0 }, {},
};

static int trust_list(struct cli *cli, int argc, char **argv)
{
        static const struct cli_table t = { trust_columns, "name", trust_row, NULL };

        return cli_list(cli, "/v1/trust", argc, argv, &t);
}

static void print_trust(const json_t *t)
{
        char added[64];

        time_cell(t, "added", "-", added, sizeof(added));
        printf("%-12s %s\n%-12s %s\n%-12s %s\n%-12s %s\n%s", "name", cli_jstr(t, "name"), "role", cli_jstr(t, "role"),
               "fingerprint", cli_jstr(t, "fingerprint"), "added", added, cli_jstr(t, "certificate"));
}

static int trust_show(struct cli *cli, int argc, char **argv)
{
        return cli_show(cli, "certificate", "trust", argc, argv, print_trust);
}

static int trust_remove(struct cli *cli, int argc, char **argv)
{
        return remove_named(cli, argc, argv, "trusted certificate", "trust", "removed");
}

/* ---- trust token: join tokens for `barevirt remote add` ---------------------------------------- */

static int join_create(struct cli *cli, int argc, char **argv)
{
        return create_token(cli, argc, argv, "join token", "/v1/trust/tokens");
}

static void join_row(const json_t *t, char cells[][CLI_CELL_MAX])
{
        char when[64];

        token_row(t, cells);
        memcpy(cells[4], cells[3], CLI_CELL_MAX);
        memcpy(cells[3], cells[2], CLI_CELL_MAX);
        snprintf(cells[2], CLI_CELL_MAX, "%s", json_object_get(t, "project") ? cli_jstr(t, "project") : "(all)");
        time_cell(t, "spent", "", when, sizeof(when));
        if (when[0])
                snprintf(cells[5], CLI_CELL_MAX, "spent %s", when);
        else
                snprintf(cells[5], CLI_CELL_MAX, "%s", json_is_true(json_object_get(t, "expired")) ? "expired" : "usable");
}

static const struct cli_column join_columns[] = {
        { "NAME", CLI_COL_SHRINK }, { "ROLE", 0 }, { "PROJECT", 0 }, { "CREATED", 0 }, { "EXPIRES", 0 }, { "STATE", 0 }, {},
};

static int join_list(struct cli *cli, int argc, char **argv)
{
        static const struct cli_table t = { join_columns, "name", join_row, NULL };

        return cli_list(cli, "/v1/trust/tokens", argc, argv, &t);
}

static int join_revoke(struct cli *cli, int argc, char **argv)
{
        return remove_named(cli, argc, argv, "join token", "trust/tokens", "revoked");
}

static const struct cli_command cli_join_commands[] = {
        CLI_VERB("create", join_create,
                 "trust token create NAME [--role admin|operator|viewer] [--project PROJECT] [--expires DURATION] [--json]",
                 "make a one-use join token for 'barevirt remote add' on another machine and print it (once)",
                 join_create_options),
        CLI_VERB("list", join_list, "trust token list [-q] [--format TEMPLATE] [--json]",
                 "list join tokens: role, project, expiry, spent or not (never the tokens)", cli_table_options),
        CLI_VERB("revoke", join_revoke, "trust token revoke NAME", "revoke a join token before it is used", NULL),
        {},
};

const struct cli_command cli_token_commands[] = {
        CLI_VERB("create", token_create, "token create NAME [--role admin|operator|viewer] [--expires DURATION] [--project P] [--json]",
                 "make a bearer token for --listen clients and print it (once)", token_create_options),
        CLI_VERB("list", token_list, "token list [-q] [--format TEMPLATE] [--json]",
                 "list tokens: role, created, expires (never the tokens)", cli_table_options),
        CLI_VERB("revoke", token_revoke, "token revoke NAME", "revoke a token: refused from its next request", NULL),
        {},
};

const struct cli_command cli_trust_commands[] = {
        CLI_VERB("add", trust_add, "trust add CERT.pem [--role admin|operator|viewer] [--name NAME] [--project P] [--json]",
                 "trust a client certificate (pinned by its SHA-256 fingerprint)", trust_add_options),
        CLI_VERB("list", trust_list, "trust list [-q] [--format TEMPLATE] [--json]", "list trusted certificates",
                 cli_table_options),
        CLI_VERB("show", trust_show, "trust show NAME [--json]", "one trusted certificate and its PEM",
                 cli_json_options),
        CLI_VERB("remove", trust_remove, "trust remove NAME",
                 "stop trusting a certificate: refused from its next request", NULL),
        CLI_GROUP("token", "trust token create|list|revoke ...", "join tokens: enrolment of another machine's CLI",
                  cli_join_commands),
        {},
};
