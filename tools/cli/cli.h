/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The barevirt CLI: command tables, one function per verb, with its usage,
 * summary and option table in its row (args.c parses and prints help from
 * them). Verbs talk to barevirtd through cli_api() (the HTTP client in
 * common/) and print a table for people, or the API's own JSON with --json.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/common.h"

struct cli_command;
struct cli_remote;

struct cli {
        const char *socket;          /* --socket, $BAREVIRT_SOCKET, or the default */
        bool socket_given;           /* --socket: that socket, not the default remote */
        const char *remote;          /* --remote, $BAREVIRT_REMOTE, or NULL: the default (remote switch) */
        bool remote_given;           /* --remote (not the environment): it wins over --socket */
        char remote_name[64];        /* the remote cli->client talks to; "": the socket (remote.c) */
        struct cli_remote *rmt;      /* its TLS client (remote.c) */
        bool json;                   /* --json */
        const char *project;         /* --project: what a create puts in, what a list shows */
        struct bv_loop *loop;
        struct bv_http_client *client;
        const struct cli_command *root;     /* main.c's table, for `barevirt help` */
        const struct cli_command *command;  /* the verb being run: its usage and options */
        struct cli_progress *progress;      /* the wait being shown, ended by the next cli_api() reply */
};

/* ---- option tables ---------------------------------------------------------------
 *
 * Every verb's options are one table: cli_parse() builds getopt_long()'s
 * struct option[] and optstring from it, and the help (--help, `barevirt
 * help`, --list-options) prints the same rows, so the two cannot drift.
 */
struct cli_option {
        const char *name;            /* long name without "--"; NULL: short only */
        int short_name;              /* 't' for -t, or 0; name and short_name both 0/NULL end a table */
        const char *metavar;         /* "SECONDS": takes a value; NULL: a flag */
        const char *help;            /* one line */
        const char *default_value;   /* printed as "(default X)"; NULL: none */
        int id;                      /* what on_option gets; 0: short_name */
};

/* Ids that cli_parse() answers itself; a verb's own long-only ids start at CLI_OPT_OWN. */
enum {
        CLI_OPT_HELP = 'h',          /* added to every table: dispatch prints the help */
        CLI_OPT_JSON = 0x100,        /* sets cli->json */
        CLI_OPT_PROJECT,             /* sets cli->project (a valid name) */
        CLI_OPT_REMOTE,              /* --remote NAME, which every verb takes (not in their tables) */
        CLI_OPT_OWN,
};
#define CLI_OPTION_JSON { "json", 0, NULL, "print the API's JSON instead of a table", NULL, CLI_OPT_JSON }
#define CLI_OPTION_PROJECT { "project", 0, "PROJECT", "the project it belongs to", "default", CLI_OPT_PROJECT }

/* Where a verb's own arguments end and the argv of a command it runs begins. */
enum cli_rest {
        CLI_REST_NONE,               /* options anywhere (GNU order); "--" only ends the options */
        CLI_REST_AT_DASHDASH,        /* options anywhere up to "--"; after it: the command */
        CLI_REST_AT_ARG0,            /* options only before the first argument, which begins the rest */
        CLI_REST_AT_ARG1,            /* the second argument (or "--") begins the rest: ct exec NAME ... CMD */
        CLI_REST_AFTER_ARG0,         /* options only before the first argument (arg[0]: REF, IMAGE); the rest
                                      * begins right after it, a "--" there only separates: exec REF [--] CMD */
};
/*
 * The rule for "--" in every verb that runs a command: before the
 * arguments it ends the options (the verb's own arguments may follow it),
 * and where the command would begin it only marks that beginning (never
 * part of the command); a "--" with no command after it is a usage error.
 */

struct cli_command {
        const char *name;
        int (*fn)(struct cli *cli, int argc, char **argv);  /* argv[0] is the verb; NULL: subcommands */
        const char *usage;           /* "host [--json]", also for usage errors */
        const char *summary;         /* one line for the command list and --help */
        const struct cli_option *options;       /* NULL: none (but --help) */
        const struct cli_command *subcommands;  /* "vm COMMAND ...": cli_dispatch() goes on there */
        enum cli_rest rest;
};

/* Rows of command tables: a verb, a verb that runs a command (see enum cli_rest), a verb with sub-commands. */
#define CLI_VERB(name, fn, usage, summary, options) { name, fn, usage, summary, options, NULL, CLI_REST_NONE }
#define CLI_VERB_REST(name, fn, usage, summary, options, rest) { name, fn, usage, summary, options, NULL, rest }
#define CLI_GROUP(name, usage, summary, subcommands) { name, NULL, usage, summary, NULL, subcommands, CLI_REST_NONE }

#define CLI_ARGS_MAX 4

/*
 * What cli_parse() leaves besides the options: set max (how many
 * arguments the verb takes, at most CLI_ARGS_MAX) before the call.
 */
struct cli_args {
        int max;
        int n;
        const char *arg[CLI_ARGS_MAX];
        char **rest;                 /* the command's argv (see enum cli_rest); n_rest 0: none */
        int n_rest;
        bool dashdash;               /* the rest came after "--" */
};

/* A verb's handler of one option: value is NULL for a flag. Returns 0 or an exit code. */
typedef int cli_option_fn(struct cli *cli, int id, const char *value, void *userdata);

/* An on_option for a table of one flag: sets the bool at userdata. */
int cli_on_flag(struct cli *cli, int id, const char *value, void *userdata);

/*
 * Parses argv (argv[0] is the verb) with the options of cli->command:
 * --json sets cli->json, every other option goes to on_option (may be NULL
 * for a table of --json alone); arguments and the rest go to *a. Unknown
 * options, abbreviated ones, a missing value and more than a->max
 * arguments are usage errors. Returns 0 or the exit code of the error it
 * printed (2 for usage). --help never reaches it: cli_dispatch() and main()
 * answer it first (cli_wants_help()).
 */
int cli_parse(struct cli *cli, int argc, char **argv, struct cli_args *a, cli_option_fn *on_option, void *userdata);

/*
 * cli_parse() for "VERB NAME [OPTIONS]": *ret_name is the one valid name of
 * a what ("VM", "container", "network"). Returns 0 or an exit code.
 */
int cli_parse_name(struct cli *cli, const char *what, int argc, char **argv, cli_option_fn *on_option,
                   void *userdata, const char **ret_name);

/*
 * When argv asks for --help (or -h) among the options that come before
 * the first error or the rest, prints c's help on stdout and returns true.
 */
bool cli_wants_help(struct cli *cli, const struct cli_command *c, int argc, char **argv);

/* Prints c's help: usage, summary, options (and its sub-commands). */
void cli_print_help(struct cli *cli, const struct cli_command *c, FILE *f);

/* Prints every command's long options, a line per command: "barevirt vm create: --memory= ... --help". */
void cli_list_options(const struct cli_command *root);

/*
 * Runs argv[0], a sub-command of parent (main.c's root table or a verb
 * such as "vm"); sets cli->command. Returns the exit code.
 */
int cli_dispatch(struct cli *cli, const struct cli_command *parent, int argc, char **argv);

/* The sub-command of parent named name, or NULL. */
const struct cli_command *cli_find_command(const struct cli_command *parent, const char *name);

/* Top-level verbs. Add a line to the table in main.c for each new verb. */
int cmd_host(struct cli *cli, int argc, char **argv);
int cmd_events(struct cli *cli, int argc, char **argv);  /* cmd-host.c */
int cmd_audit(struct cli *cli, int argc, char **argv);
extern const struct cli_option cli_audit_options[];  /* cmd-audit.c */
int cmd_qmp(struct cli *cli, int argc, char **argv);
/* Generic instance verbs (cmd-list.c): refs NAME, docker:NAME, podman:NAME. */
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_action(struct cli *cli, int argc, char **argv);  /* start, stop, kill, restart, pause, resume */
int cmd_logs(struct cli *cli, int argc, char **argv);
int cmd_exec(struct cli *cli, int argc, char **argv);
int cmd_show(struct cli *cli, int argc, char **argv);
int cmd_delete(struct cli *cli, int argc, char **argv);

/* Option tables of top-level verbs, for main.c's table. */
extern const struct cli_option cli_json_options[];     /* --json alone (args.c) */
extern const struct cli_option cli_qmp_options[];
extern const struct cli_option cli_grace_options[];    /* stop, restart: -t SECONDS */
extern const struct cli_option cli_kill_options[];
extern const struct cli_option cli_logs_options[];
extern const struct cli_option cli_exec_options[];
extern const struct cli_option cli_delete_options[];

/* Sub-command tables: vm, ct, net (their cmd-*.c), docker and podman (cmd-run.c). */
extern const struct cli_command cli_vm_commands[];
extern const struct cli_command cli_ct_commands[];
extern const struct cli_command cli_net_commands[];
extern const struct cli_command cli_firewall_commands[];      /* net firewall (cmd-firewall.c) */
extern const struct cli_command cli_token_commands[];         /* token (cmd-auth.c) */
extern const struct cli_command cli_trust_commands[];         /* trust (cmd-auth.c) */
extern const struct cli_command cli_project_commands[];       /* project (cmd-project.c) */
extern const struct cli_command cli_remote_commands[];        /* remote (cmd-remote.c) */
extern const struct cli_command cli_docker_commands[];
extern const struct cli_command cli_podman_commands[];

/* Prints an exec or logs reply's "stdout" to stdout and "stderr" to stderr. */
void cli_print_output(const json_t *reply);

/*
 * GETs path as a stream: body bytes go to on_body as they arrive, until
 * the server ends the stream (returns 0) or on_body returns < 0 (-EPIPE:
 * stop quietly, exit code 0). Errors are printed like cli_api's; returns
 * the exit code.
 */
int cli_stream(struct cli *cli, const char *path, int (*on_body)(const char *data, size_t len, void *userdata),
               void *userdata);
/*
 * For options like --nic NETWORK[,OPT]...: appends an object to list with
 * the head of val at head_key (made absolute when head_key is "file"),
 * then gives each OPT to on_opt (< 0: a bad one). Returns 0, or the exit
 * code of "bad OPT 'VAL'", a usage error.
 */
int cli_add_spec(struct cli *cli, const char *opt, json_t *list, const char *val, const char *head_key,
                 int (*on_opt)(json_t *o, char *opt));
/*
 * A size flag (opt, e.g. "--memory") in MiB: a number with a suffix (512M, 1G,
 * 64m, as Docker reads them) or plain MiB, a whole number of MiB from min_mib to
 * max_mib, into *ret_mib. Returns 0, or 2 after a usage error that names the
 * flag and the unit ("--memory: 0 MiB is below the minimum of 16 MiB").
 */
int cli_parse_mib(struct cli *cli, const char *opt, const char *val, uint64_t min_mib, uint64_t max_mib,
                  uint64_t *ret_mib);

/* An on_opt of cli_add_spec(): "KEY=VALUE" with KEY one of keys (NULL-ended) sets o[KEY]; else -EINVAL. */
int cli_spec_set(json_t *o, char *opt, const char *const *keys);

/* Sets o[key] to path, made absolute when it exists (barevirtd does not run in our directory). */
void cli_json_set_path(json_t *o, const char *key, const char *path);

/* Sets o[key] to v (a new reference) when v is a non-empty array or object. */
void cli_json_set_nonempty(json_t *o, const char *key, json_t *v);

/* A cli_stream() on_body that writes to stdout (-EPIPE when it is closed). */
int cli_write_stdout(const char *data, size_t len, void *userdata);

/*
 * Calls the API: method, path, optional JSON body (not stolen). On success
 * returns 0 and the reply JSON in *ret (may be NULL if not wanted). On
 * failure prints one line to stderr ("barevirt: <error from the API>" or
 * "barevirt: barevirtd is not running (socket '...')") and returns the
 * exit code to use (1). Timeout in ms (0: 60 s).
 */
int cli_api(struct cli *cli, const char *method, const char *path, json_t *body,
            unsigned timeout_ms, json_t **ret);

/* The string at key in o, or "-" when absent: for table cells. */
const char *cli_jstr(const json_t *o, const char *key);

/*
 * Joins the strings of array a (or of its objects' key) with commas into
 * buf; "-" when there are none. Returns buf.
 */
const char *cli_join(const json_t *a, const char *key, char *buf, size_t len);
/* Units one way in lists and shows alike: "128 MiB"; "1 vcpu", "2 vcpus". Return buf. */
const char *cli_mib_text(long long mib, char *buf, size_t len);
const char *cli_vcpus_text(long long n, char *buf, size_t len);

/*
 * For verbs that show what one GET returns ("host", "vm list"): takes no
 * arguments but the options of cli->command (cli_parse()), GETs path.
 * With --json it prints the reply itself and sets *ret to NULL; otherwise
 * *ret is the reply for the caller to print. Returns the exit code.
 */
int cli_fetch(struct cli *cli, const char *path, int argc, char **argv, json_t **ret);

/*
 * GETs path, an array: with --json prints it, else print_row(NULL) for the
 * header line, then print_row(element) for each element. Returns the exit code.
 */
int cli_get_table(struct cli *cli, const char *path, void (*print_row)(const json_t *row));
/* ---- progress of waits (progress.c) ------------------------------------------------ */

struct cli_progress;

/* Whether waits show progress: stdout and stderr terminals, no --json, BAREVIRT_NO_PROGRESS unset or 0. */
bool cli_progress_wanted(const struct cli *cli);

/*
 * When wanted, prints what is waited for (fmt) on stderr and counts down
 * from seconds (0: a spinner and the time so far) while cli->loop runs,
 * until the next cli_api() call has its reply (before it prints anything);
 * Ctrl-C meanwhile exits 130. Sets cli->progress.
 */
void cli_progress_start(struct cli *cli, unsigned seconds, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * After cli_progress_start(): show a bar of bytes done out of total instead
 * of the spinner, from the offset of whichever process on this host reads
 * file (barevirtd's tar, importing an image), found in /proc; the spinner
 * stays until such a reader shows up (an image imported before has none).
 */
void cli_progress_file(struct cli *cli, const char *file, uint64_t total);

/* Clears the progress line, if any (cli_api() calls it). */
void cli_progress_end(struct cli *cli);

/* ---- tables (table.c) ---------------------------------------------------------------
 *
 * A list verb describes its columns and fills one row of cells (strings of
 * up to CLI_CELL_MAX bytes) per JSON element; cli_table_print() aligns,
 * fits and shortens them.
 */
#define CLI_TABLE_COLS_MAX 8
#define CLI_CELL_MAX 256

enum {
        CLI_COL_RIGHT = 1 << 0,      /* numbers: aligned right */
        CLI_COL_PATH = 1 << 1,       /* may shrink; shortened from the left: "…/guest/vmlinuz" */
        CLI_COL_SHRINK = 1 << 2,     /* may shrink; shortened from the right: "long-na…" */
};

struct cli_column {
        const char *title;           /* NULL ends the table */
        unsigned flags;
};

struct cli_table {
        const struct cli_column *columns;
        const char *name_key;        /* the JSON key that -q prints: "name" or "ref" */
        void (*row)(const json_t *in, char cells[][CLI_CELL_MAX]);
        const struct cli_table *projects;  /* the table instead when more than one project exists, or NULL */
};

/* The options of every list verb: --json, -q, -a, --format. */
extern const struct cli_option cli_table_options[];

/* Columns to fit in: $COLUMNS, else the terminal's width when stdout is one, else 0 (no limit). */
int cli_table_width(void);

/* Prints the header and a line per element of rows in at most width columns (0: no limit). */
void cli_table_print(const struct cli_table *t, const json_t *rows, int width, FILE *f);

/*
 * A list verb: no arguments but cli_table_options (cli->command's table),
 * GETs path (an array) and prints it as the table t, names (-q), a
 * template per row (--format '{{.name}} {{.state}}'; an unknown field is
 * a usage error) or JSON (--json, --format json). Returns the exit code.
 */
int cli_list(struct cli *cli, const char *path, int argc, char **argv, const struct cli_table *t);

/* GETs /v1/<collection>/<name> (name already valid) into *ret. Returns the exit code. */
int cli_get(struct cli *cli, const char *collection, const char *name, json_t **ret);

/*
 * A show verb: "VERB NAME [--json]" (cli_parse_name() for a what), GETs
 * /v1/<collection>/NAME, prints it with --json, else with print().
 */
int cli_show(struct cli *cli, const char *what, const char *collection, int argc, char **argv,
             void (*print)(const json_t *v));

/*
 * For create verbs: POSTs body to path; prints the reply with --json, else
 * "<what> '<name>' created". Returns the exit code.
 */
int cli_create(struct cli *cli, const char *what, const char *path, json_t *body);

/*
 * For create verbs with --file: POSTs the definition in file (with "name"
 * set to name when not NULL) like cli_create(). Returns the exit code.
 */
int cli_create_from_file(struct cli *cli, const char *what, const char *path, const char *file, const char *name);

/* Prints v as pretty JSON on stdout. Returns 0. */
int cli_print_json(const json_t *v);

/* Prints "barevirt: <fmt>" to stderr and returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, then the usage of cli->command; returns 2 (the exit code of bad usage). */
int cli_usage_error(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A logs verb of barevirt's own kind, "VERB NAME [-f] [-n LINES]", with an
 * options table of -f (no value) and -n LINES: streams
 * /v1/<collection>/NAME/logs to stdout; what names the kind ("VM").
 * Returns the exit code.
 */
int cli_kind_logs(struct cli *cli, const char *what, const char *collection, int argc, char **argv);

/*
 * attach.c, for `run -i` in the foreground: connects to ENGINE's socket
 * (as GET /v1/host names it) and attaches to container id with stdin,
 * stdout and stderr, before it starts: *ret_fd the raw stream. Then
 * cli_attach_relay() copies stdin to it (EOF half-closes) and it to stdout
 * and stderr (demultiplexed unless tty) until the engine closes it. Both
 * return 0 or the exit code of the error they printed.
 */
int cli_attach_open(struct cli *cli, const char *engine, const char *id, int *ret_fd);
int cli_attach_relay(int fd, bool tty);

/*
 * Relays the terminal to a console socket (console.c): raw mode and Ctrl-]
 * to detach on a terminal; what names it in the messages ("VM 'x'").
 * Returns the exit code.
 */
int cli_console_relay(const char *socket_path, const char *what);

/*
 * A console verb, "VERB NAME": GETs /v1/<collection>/NAME of a what ("VM",
 * "container"), refuses unless its state is one of states (NULL-ended),
 * then relays its "console"."socket". Returns the exit code.
 */
int cli_console(struct cli *cli, const char *what, const char *collection, const char *const *states, int argc,
                char **argv);

/* stdin in raw mode when it is a terminal (restored at exit too); whether it is one. */
bool cli_tty_raw(void);
void cli_tty_restore(void);

/*
 * Relays fd <-> stdin/stdout until fd ends. After stdin ends: with
 * eot_on_eof, sends ^D (a pty's EOF); the relay then waits for fd alone, for
 * at most quiet_ms of silence (-1: until it ends). detach_key: Ctrl-] on stdin
 * stops the relay (returns 1). Returns 0 when fd or stdout ended.
 */
struct cli_relay_opts {
        bool detach_key;
        bool eot_on_eof;
        int quiet_ms;
};
int cli_relay(int fd, const struct cli_relay_opts *o);

/* ---- remotes (remote.c; TLS builds) ------------------------------------------------ */

/* $XDG_CONFIG_HOME/barevirt/FILE (or ~/.config/barevirt; file NULL: the directory) in buf. Returns the exit code. */
int cli_config_path(const char *file, char *buf, size_t len);
/* The remotes file, checked (missing: no remotes, default "local"), into *ret. Returns the exit code. */
int cli_remotes_load(json_t **ret);
/* Writes it, 0600, atomically (the directory made 0700). Returns the exit code. */
int cli_remotes_save(const json_t *cfg);
/* The remote a command talks to: --remote, $BAREVIRT_REMOTE, else cfg's default ("local": the socket). */
const char *cli_remote_current(struct cli *cli, const json_t *cfg);
/* Makes cli->client for the current remote, unless that is "local" (then leaves it NULL). Returns the exit code. */
int cli_remote_open(struct cli *cli);
/*
 * remote add: decodes the join token, makes the client certificate when
 * there is none, connects to the token's addresses pinned to its
 * fingerprint and enrols (POST /v1/enrol). *ret_entry: the server's trust
 * entry; *ret_remote: the remotes file's entry to be. Returns the exit code.
 */
int cli_remote_enrol(struct cli *cli, const char *name, const char *token, json_t **ret_entry, json_t **ret_remote);
/* Frees the TLS client (after cli->client, before cli->loop). */
void cli_remote_free(struct cli *cli);
