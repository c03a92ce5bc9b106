/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Command lines: the option tables of cli.h become getopt_long()'s
 * struct option[] and optstring, the help of every verb is printed from
 * the same tables, and cli_dispatch() walks the command tables.
 *
 * getopt_long() always runs with a leading '-' (arguments come back in
 * order, argv is never permuted, POSIXLY_CORRECT changes nothing), so
 * cli_parse() itself decides where a verb's arguments end and the argv of
 * the command it runs begins (enum cli_rest). Abbreviated long options
 * are refused: a script that says --mem must not change meaning when
 * another --mem... option comes.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "tools/cli/cli.h"

#define OPTIONS_MAX 40

const struct cli_option cli_json_options[] = {
        CLI_OPTION_JSON,
        {},
};

static const struct cli_option help_option = { "help", 'h', NULL, "show this help", NULL, CLI_OPT_HELP };
/* Every verb takes it (in getopt's tables, not in each help: `barevirt --help` names it). */
static const struct cli_option remote_option = { "remote", 0, "NAME", "the remote to talk to", NULL, CLI_OPT_REMOTE };

static bool option_is_end(const struct cli_option *o)
{
        return !o->name && !o->short_name;
}

static int option_id(const struct cli_option *o)
{
        return o->id ? o->id : o->short_name;
}

/* The row of options (may be NULL) with this id, or with this short name when by_short. */
static const struct cli_option *table_find(const struct cli_option *options, int id, bool by_short)
{
        for (const struct cli_option *o = options; o && !option_is_end(o); o++)
                if (by_short ? o->short_name == id : option_id(o) == id)
                        return o;
        return NULL;
}

static bool has_own_help(const struct cli_option *options)
{
        return table_find(options, CLI_OPT_HELP, false);
}

/* c's options, then --help unless the table has its own row for it: calls fn on each. */
static void for_each_option(const struct cli_command *c, void (*fn)(const struct cli_option *o, void *userdata),
                            void *userdata)
{
        for (const struct cli_option *o = c->options; o && !option_is_end(o); o++)
                fn(o, userdata);
        if (!has_own_help(c->options))
                fn(&help_option, userdata);
}

/* ---- getopt_long() tables -------------------------------------------------------- */

struct getopt_table {
        struct option longopts[OPTIONS_MAX + 1];
        char optstring[3 * OPTIONS_MAX + 4];
        size_t n_long, n_short;
        bool overflow;
};

static void add_to_getopt(const struct cli_option *o, void *userdata)
{
        struct getopt_table *t = userdata;

        if (t->n_long >= OPTIONS_MAX || t->n_short + 3 >= sizeof(t->optstring)) {
                t->overflow = true;
                return;
        }
        if (o->name)
                t->longopts[t->n_long++] = (struct option){ o->name, o->metavar ? required_argument : no_argument,
                                                            NULL, option_id(o) };
        if (o->short_name) {
                t->optstring[t->n_short++] = (char)o->short_name;
                if (o->metavar)
                        t->optstring[t->n_short++] = ':';
        }
}

/* "-": arguments in order; ":": a missing value is ':', not '?'. */
static void build_getopt(const struct cli_command *c, struct getopt_table *t)
{
        *t = (struct getopt_table){ .optstring = "-:", .n_short = 2 };
        for_each_option(c, add_to_getopt, t);
        if (!table_find(c->options, CLI_OPT_REMOTE, false))
                add_to_getopt(&remote_option, t);
        t->longopts[t->n_long] = (struct option){};
        t->optstring[t->n_short] = '\0';
}

static const struct cli_option *find_option(const struct cli_command *c, int id)
{
        const struct cli_option *o = table_find(c->options, id, false);

        return o || id != CLI_OPT_HELP ? o : &help_option;
}

/* ---- parsing ---------------------------------------------------------------------- */

enum { PARSE_GO_ON = -1, PARSE_HELP = -2 };

struct parse {
        struct cli *cli;
        const struct cli_command *c;
        int argc;
        char **argv;
        struct cli_args *a;
        bool help_only;               /* only look for --help: no errors, no handler */
        cli_option_fn *on_option;
        void *userdata;
};

static enum cli_rest rest_of(const struct cli_command *c)
{
        return c->subcommands ? CLI_REST_AT_ARG0 : c->rest;
}

/* How many of the verb's own arguments come before the command it runs. */
static int args_before_rest(enum cli_rest rest)
{
        return rest == CLI_REST_AT_ARG1 || rest == CLI_REST_AFTER_ARG0;
}

/* The rest begins at this argument (how many came before it)? */
static bool rest_begins(const struct parse *p)
{
        enum cli_rest rest = rest_of(p->c);

        return (rest == CLI_REST_AT_ARG0 && p->a->n == 0) || (rest == CLI_REST_AT_ARG1 && p->a->n == 1);
}

/* One more argument; past a->max a usage error (when looking for --help: counted, not kept). */
static int add_arg(struct parse *p, const char *arg)
{
        if (p->a->n < p->a->max && p->a->n < CLI_ARGS_MAX)
                p->a->arg[p->a->n] = arg;
        else if (!p->help_only)
                return cli_usage_error(p->cli, "unexpected argument '%s'", arg);
        p->a->n++;
        return PARSE_GO_ON;
}

/*
 * The command begins at argv[i] (cli.h's rule for "--"). dashdash: a "--"
 * came right before it; after_arg: the verb's own argument came right
 * before it, so a "--" at i only marks where the command begins.
 */
static int take_rest(struct parse *p, int i, bool dashdash, bool after_arg)
{
        if (after_arg && i < p->argc && strcmp(p->argv[i], "--") == 0) {
                dashdash = true;
                i++;
        }
        p->a->rest = p->argv + i;
        p->a->n_rest = p->argc - i;
        p->a->dashdash = dashdash;
        if (dashdash && p->a->n_rest == 0 && !p->help_only)
                return cli_usage_error(p->cli, "expected a command after '--'");
        return 0;
}

/* getopt_long() ended at cur: at the end or after "--" (the verb's own arguments may follow it). */
static int parse_end(struct parse *p, int cur)
{
        bool dashdash = cur < p->argc && strcmp(p->argv[cur], "--") == 0;
        enum cli_rest rest = rest_of(p->c);
        int i = optind, r;

        if (dashdash && rest != CLI_REST_NONE) {
                bool took = false;
                for (; p->a->n < args_before_rest(rest) && i < p->argc; i++, took = true)
                        if ((r = add_arg(p, p->argv[i])) != PARSE_GO_ON)
                                return r;
                return take_rest(p, i, !took, took);
        }
        for (; i < p->argc; i++)
                if ((r = add_arg(p, p->argv[i])) != PARSE_GO_ON)
                        return r;
        return 0;
}

/* A '?' or ':' from getopt_long() at argv[cur]. */
static int option_error(struct parse *p, int c, int cur)
{
        const char *elem = p->argv[cur];
        bool is_long = strncmp(elem, "--", 2) == 0;
        const char *eq = strchr(elem, '=');
        const struct cli_option *o = find_option(p->c, optopt);

        if (p->help_only)
                return 0;
        if (c == ':' && is_long)
                return cli_usage_error(p->cli, "%s needs a value", elem);
        if (c == ':')
                return cli_usage_error(p->cli, "-%c needs a value", optopt);
        if (is_long && eq && o && o->name && strlen(o->name) == (size_t)(eq - elem - 2) &&
            strncmp(o->name, elem + 2, strlen(o->name)) == 0)
                return cli_usage_error(p->cli, "--%s takes no value", o->name);
        if (!is_long && optopt)
                return cli_usage_error(p->cli, "unknown option '-%c'", optopt);
        return cli_usage_error(p->cli, "unknown option '%.*s'", (int)(eq ? eq - elem : (long)strlen(elem)), elem);
}

/* getopt_long() took a long option from argv[cur]: refuse abbreviations. */
static bool long_option_exact(const struct parse *p, const struct option *lo, int cur)
{
        const char *elem = p->argv[cur] + 2;
        size_t n = strlen(lo->name);

        return strncmp(elem, lo->name, n) == 0 && (elem[n] == '\0' || elem[n] == '=');
}

/* getopt_long() returns a short option as its letter: the option's id instead. */
static int id_of(const struct cli_command *c, int ch)
{
        const struct cli_option *o = table_find(c->options, ch, true);

        return o ? option_id(o) : ch;
}

/* long: getopt_long() found a long option, whose val already is the id (a short letter maps). */
static int take_option(struct parse *p, int c, bool is_long)
{
        if (!is_long)
                c = id_of(p->c, c);
        if (c == CLI_OPT_HELP)
                return p->help_only ? PARSE_HELP : PARSE_GO_ON;
        if (p->help_only)
                return PARSE_GO_ON;
        if (c == CLI_OPT_JSON) {
                p->cli->json = true;
                return PARSE_GO_ON;
        }
        if (c == CLI_OPT_PROJECT) {
                if (!bv_name_is_valid(optarg))
                        return cli_usage_error(p->cli, "--project '%s' is not a valid name", optarg);
                p->cli->project = optarg;
                return PARSE_GO_ON;
        }
        if (c == CLI_OPT_REMOTE) {
                p->cli->remote = optarg;
                p->cli->remote_given = true;
                return PARSE_GO_ON;
        }
        if (!p->on_option)
                return cli_fail("internal error: no handler for the options of '%s'", p->c->name);
        int r = p->on_option(p->cli, c, optarg, p->userdata);
        return r ? r : PARSE_GO_ON;
}

/*
 * The getopt_long() loop. Returns 0 when argv is parsed, PARSE_HELP (only
 * when looking for --help), or the exit code of an error it printed.
 */
static int parse_loop(struct parse *p)
{
        struct getopt_table t;
        int r = PARSE_GO_ON;

        build_getopt(p->c, &t);
        if (t.overflow)
                return cli_fail("internal error: '%s' has more than %d options", p->c->name, OPTIONS_MAX);
        p->a->n = p->a->n_rest = 0;
        p->a->rest = NULL;
        p->a->dashdash = false;
        optind = 0;   /* glibc: start over, and read optstring's '-' again */
        opterr = 0;
        while (r == PARSE_GO_ON) {
                int cur = optind ? optind : 1, li = -1;
                optopt = 0;
                int c = getopt_long(p->argc, p->argv, t.optstring, t.longopts, &li);
                if (c == -1)
                        return parse_end(p, cur);
                if (c == 1 && rest_begins(p))
                        return take_rest(p, cur, false, false);
                if (c == 1 && rest_of(p->c) == CLI_REST_AFTER_ARG0 && p->a->n == 0) {
                        r = add_arg(p, optarg);
                        return r == PARSE_GO_ON ? take_rest(p, cur + 1, false, true) : r;
                }
                if (c == 1)
                        r = add_arg(p, optarg);
                else if (c == '?' || c == ':' || (li >= 0 && !long_option_exact(p, &t.longopts[li], cur)))
                        r = option_error(p, c == ':' ? ':' : '?', cur);
                else
                        r = take_option(p, c, li >= 0);
        }
        return r;
}

int cli_parse(struct cli *cli, int argc, char **argv, struct cli_args *a, cli_option_fn *on_option, void *userdata)
{
        struct parse p = { cli, cli->command, argc, argv, a, false, on_option, userdata };

        return parse_loop(&p);
}

int cli_on_flag(struct cli *cli, int id, const char *value, void *userdata)
{
        *(bool *)userdata = true;
        return 0;
}

int cli_parse_name(struct cli *cli, const char *what, int argc, char **argv, cli_option_fn *on_option,
                   void *userdata, const char **ret_name)
{
        struct cli_args a = { .max = 1 };
        int r = cli_parse(cli, argc, argv, &a, on_option, userdata);

        if (r)
                return r;
        if (a.n == 0)
                return cli_usage_error(cli, "expected a %s name", what);
        if (!bv_name_is_valid(a.arg[0]))
                return cli_fail("invalid %s name '%s'", what, a.arg[0]);
        *ret_name = a.arg[0];
        return 0;
}

bool cli_wants_help(struct cli *cli, const struct cli_command *c, int argc, char **argv)
{
        struct cli_args a = { .max = CLI_ARGS_MAX };
        struct parse p = { cli, c, argc, argv, &a, true, NULL, NULL };

        if (parse_loop(&p) != PARSE_HELP)
                return false;
        cli_print_help(cli, c, stdout);
        return true;
}

/* ---- help ------------------------------------------------------------------------- */

/* "-t, --timeout SECONDS", "    --json", "-e NAME=VALUE" */
static void flag_text(const struct cli_option *o, char *buf, size_t len)
{
        char s[8] = "    ";

        if (o->short_name)
                snprintf(s, sizeof(s), "-%c%s", o->short_name, o->name ? ", " : "");
        snprintf(buf, len, "%s%s%s%s%s", s, o->name ? "--" : "", o->name ? o->name : "", o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
}

static void widest_flag(const struct cli_option *o, void *userdata)
{
        size_t *w = userdata;
        char buf[128];

        flag_text(o, buf, sizeof(buf));
        if (strlen(buf) > *w)
                *w = strlen(buf);
}

struct option_lines {
        FILE *f;
        int width;
};

static void print_option(const struct cli_option *o, void *userdata)
{
        struct option_lines *l = userdata;
        char buf[128];

        flag_text(o, buf, sizeof(buf));
        fprintf(l->f, "  %-*s  %s", l->width, buf, o->help);
        if (o->default_value)
                fprintf(l->f, " (default %s)", o->default_value);
        fputc('\n', l->f);
}

static void print_options(const struct cli_command *c, const char *title, FILE *f)
{
        size_t width = 12;

        for_each_option(c, widest_flag, &width);
        struct option_lines l = { f, (int)BV_MIN(width, 34) };
        fprintf(f, "\n%s:\n", title);
        for_each_option(c, print_option, &l);
}

static void print_subcommands(const struct cli_command *c, FILE *f)
{
        fprintf(f, "usage:\n");
        for (const struct cli_command *s = c->subcommands; s->name; s++)
                fprintf(f, "  barevirt %-40s %s\n", s->usage, s->summary);
}

void cli_print_help(struct cli *cli, const struct cli_command *c, FILE *f)
{
        bool root = c == cli->root;

        if (c->subcommands && !root) {
                print_subcommands(c, f);
                print_options(c, "Options", f);
                return;
        }
        fprintf(f, "usage: barevirt %s\n\n%s\n", c->usage, c->summary);
        print_options(c, root ? "Global options" : "Options", f);
        if (!root)
                return;
        fprintf(f, "\nCommands:\n");
        for (const struct cli_command *s = c->subcommands; s->name; s++)
                fprintf(f, "  %-10s %s\n", s->name, s->summary);
}

static void print_long_option(const struct cli_option *o, void *userdata)
{
        bool *first = userdata;

        if (!o->name)
                return;
        printf("%s--%s%s", *first ? "" : " ", o->name, o->metavar ? "=" : "");
        *first = false;
}

static void list_options(const struct cli_command *c, const char *path)
{
        bool first = true;

        printf("%s: ", path);
        for_each_option(c, print_long_option, &first);
        putchar('\n');
        for (const struct cli_command *s = c->subcommands; s && s->name; s++) {
                char sub[128];
                snprintf(sub, sizeof(sub), "%s %s", path, s->name);
                list_options(s, sub);
        }
}

void cli_list_options(const struct cli_command *root)
{
        list_options(root, "barevirt");
}

/* ---- dispatch --------------------------------------------------------------------- */

const struct cli_command *cli_find_command(const struct cli_command *parent, const char *name)
{
        for (const struct cli_command *s = parent->subcommands; s && s->name; s++)
                if (strcmp(s->name, name) == 0)
                        return s;
        return NULL;
}

int cli_dispatch(struct cli *cli, const struct cli_command *parent, int argc, char **argv)
{
        const struct cli_command *c = cli_find_command(parent, argv[0]);

        if (!c && parent == cli->root)
                return cli_fail("unknown command '%s' (see 'barevirt --help')", argv[0]);
        if (!c)
                return cli_fail("unknown command '%s %s' (see 'barevirt %s --help')", parent->name, argv[0],
                                parent->name);
        cli->command = c;
        if (cli_wants_help(cli, c, argc, argv))
                return 0;
        if (!c->subcommands)
                return c->fn(cli, argc, argv);
        struct cli_args a = {};
        int r = cli_parse(cli, argc, argv, &a, NULL, NULL);
        if (r)
                return r;
        if (a.n_rest == 0) {
                print_subcommands(c, stderr);
                return 2;
        }
        return cli_dispatch(cli, c, a.n_rest, a.rest);
}

int cli_parse_mib(struct cli *cli, const char *opt, const char *val, uint64_t min_mib, uint64_t max_mib,
                  uint64_t *ret_mib)
{
        uint64_t bytes;
        int r = bv_parse_size(val, 1 << 20, &bytes);

        if (r == -EDOM)
                return cli_usage_error(cli, "%s: '%s' must be positive", opt, val);
        if (r == -ERANGE || (r >= 0 && bytes >> 20 > max_mib))
                return cli_usage_error(cli, "%s: '%s' is above the maximum of %llu MiB", opt, val,
                                       (unsigned long long)max_mib);
        if (r < 0)
                return cli_usage_error(cli, "%s: '%s' is not a size (512M, 1G, or plain MiB)", opt, val);
        if (bytes & ((1 << 20) - 1))
                return cli_usage_error(cli, "%s: '%s' is not a whole number of MiB", opt, val);
        if (bytes >> 20 < min_mib)
                return cli_usage_error(cli, "%s: %llu MiB is below the minimum of %llu MiB", opt,
                                       (unsigned long long)(bytes >> 20), (unsigned long long)min_mib);
        *ret_mib = bytes >> 20;
        return 0;
}
