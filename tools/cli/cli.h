/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The barevirt CLI: a command table, one function per verb. Verbs talk to
 * barevirtd through cli_api() (the HTTP client in common/) and print a table
 * for people, or the API's own JSON with --json.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "common/http.h"
#include "common/loop.h"

struct cli {
        const char *socket;          /* --socket, $BAREVIRT_SOCKET, or the default */
        bool json;                   /* --json */
        struct bv_loop *loop;
        struct bv_http_client *client;
};

struct cli_command {
        const char *name;
        int (*fn)(struct cli *cli, int argc, char **argv);  /* argv[0] is the verb */
        const char *usage;           /* "host [--json]" */
        const char *summary;         /* one line for --help */
};

/* Top-level verbs. Add a line to the table in main.c for each new verb. */
int cmd_host(struct cli *cli, int argc, char **argv);
int cmd_qmp(struct cli *cli, int argc, char **argv);
int cmd_vm(struct cli *cli, int argc, char **argv);
int cmd_net(struct cli *cli, int argc, char **argv);
int cmd_ct(struct cli *cli, int argc, char **argv);
/* Generic instance verbs (cmd-list.c): refs NAME, docker:NAME, podman:NAME. */
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_start(struct cli *cli, int argc, char **argv);
int cmd_stop(struct cli *cli, int argc, char **argv);
int cmd_kill(struct cli *cli, int argc, char **argv);
int cmd_logs(struct cli *cli, int argc, char **argv);
int cmd_restart(struct cli *cli, int argc, char **argv);
int cmd_pause(struct cli *cli, int argc, char **argv);
int cmd_resume(struct cli *cli, int argc, char **argv);
int cmd_exec(struct cli *cli, int argc, char **argv);
int cmd_show(struct cli *cli, int argc, char **argv);
int cmd_delete(struct cli *cli, int argc, char **argv);
/* Engine verbs (cmd-run.c): run, images, load, rmi. */
int cmd_docker(struct cli *cli, int argc, char **argv);
int cmd_podman(struct cli *cli, int argc, char **argv);
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
 * For "VERB list [--json]"-style verbs: accepts only --json in argv (any
 * other argument is a usage error), GETs path. With --json it prints the
 * reply itself and sets *ret to NULL; otherwise *ret is the reply for the
 * caller's table. Returns the exit code (0 on success).
 */
int cli_fetch(struct cli *cli, const char *usage, const char *path, int argc, char **argv, json_t **ret);

/*
 * For create verbs: POSTs body to path; prints the reply with --json, else
 * "<what> '<name>' created". Returns the exit code.
 */
int cli_create(struct cli *cli, const char *what, const char *path, json_t *body);

/* Prints v as pretty JSON on stdout. Returns 0. */
int cli_print_json(const json_t *v);

/*
 * Parses a verb's own flags: returns true when argv[*i] is "--help" or "-h",
 * after printing "usage: barevirt <usage>". For the common case of
 * for-loops over argv in verb functions.
 */
bool cli_wants_help(const char *usage, int argc, char **argv);

/* Prints "barevirt: <fmt>" to stderr and returns 1 (exit code for bad usage: 2). */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Parses "NAME [--json]" for a verb on one instance of kind what ("VM",
 * "container", "network"): *ret_name is the one valid name. cli NULL: the
 * verb takes no --json. Returns 0 or the exit code of the error it printed.
 */
int cli_name_and_json(struct cli *cli, const char *usage, const char *what, int argc, char **argv,
                      const char **ret_name);

/* Runs a sub-command table (for verbs like "net create"): argv[0] is the verb. */
int cli_dispatch(struct cli *cli, const char *verb, const struct cli_command *table, int argc,
                 char **argv);

/*
 * Relays the terminal to a console socket (console.c): raw mode and Ctrl-]
 * to detach on a terminal; what names it in the messages ("VM 'x'").
 * Returns the exit code.
 */
int cli_console_relay(const char *socket_path, const char *what);

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
