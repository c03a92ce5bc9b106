/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `barevirt qmp`: talks straight to a QEMU QMP socket, without barevirtd,
 * for operators and scripts. Sends one command, prints its "return" value
 * as one line of JSON on stdout; with --events N it then prints the first
 * N events (one JSON object per line) that arrived since the command was
 * sent, waiting up to --wait MS for the rest.
 *
 * Exit codes: 0 success; 1 QMP error (stderr: "CLASS: desc"), connection
 * or timeout error (one line on stderr), or fewer than N events within the
 * wait; 2 bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "qmp/qmp.h"
#include "tools/cli/cli.h"

/* More events than this in one invocation is a mistake, not a use case. */
#define QMP_CLI_EVENTS_MAX 1000000u

struct qmp_cli {
        const char *path, *command;
        unsigned timeout_ms, wait_ms, events;
        bool have_events, have_wait;
        json_t *args;                /* ARGUMENTS_JSON */
        struct bv_loop *loop;
        struct qmp_conn *c;
        unsigned want;               /* events to print; QMP_CLI_EVENTS_MAX: all within the wait */
        unsigned seen;               /* events accepted so far */
        json_t *early;               /* events that came before the reply was printed */
        bool live;                   /* the reply is out: print events as they come */
        bool done;                   /* enough events, or the connection closed */
        bool io_error;
};

static void print_line(const json_t *v, struct qmp_cli *q)
{
        _cleanup_free_ char *s = json_dumps(v, JSON_ENCODE_ANY);

        if (!s || printf("%s\n", s) < 0 || fflush(stdout) != 0)
                q->io_error = true;
}

static void on_event(struct qmp_conn *c, const struct qmp_event *ev, void *userdata)
{
        struct qmp_cli *q = userdata;

        if (q->seen >= q->want)
                return;
        q->seen++;
        if (q->live)
                print_line(ev->message, q);
        else
                json_array_append(q->early, ev->message);
        if (q->seen >= q->want)
                q->done = true;
}

static void on_close(struct qmp_conn *c, int r, const struct bv_error *err, void *userdata)
{
        struct qmp_cli *q = userdata;

        q->done = true;
}

enum { OPT_SOCKET = CLI_OPT_OWN, OPT_TIMEOUT, OPT_EVENTS, OPT_WAIT };

const struct cli_option cli_qmp_options[] = {
        { "socket", 0, "PATH", "QEMU's QMP socket (required)", NULL, OPT_SOCKET },
        { "timeout", 0, "MS", "for the connection, the greeting and the command", "10000", OPT_TIMEOUT },
        { "events", 0, "N", "then print the first N events since the command", NULL, OPT_EVENTS },
        { "wait", 0, "MS", "how long to wait for the events (alone: print every event within MS)", "--timeout",
          OPT_WAIT },
        {},
};

static int parse_ms(struct cli *cli, const char *opt, const char *s, unsigned *ret)
{
        if (bv_parse_uint(s, 1, 24u * 3600u * 1000u, ret) < 0)
                return cli_usage_error(cli, "Invalid value '%s' for %s", s, opt);
        return 0;
}

static int on_option(struct cli *cli, int id, const char *val, void *userdata)
{
        struct qmp_cli *q = userdata;

        switch (id) {
        case OPT_SOCKET:
                q->path = val;
                return 0;
        case OPT_TIMEOUT:
                return parse_ms(cli, "--timeout", val, &q->timeout_ms);
        case OPT_WAIT:
                q->have_wait = true;
                return parse_ms(cli, "--wait", val, &q->wait_ms);
        }
        if (bv_parse_uint(val, 1, QMP_CLI_EVENTS_MAX, &q->events) < 0)
                return cli_usage_error(cli, "Invalid value '%s' for --events", val);
        q->have_events = true;
        return 0;
}

/* The command line into q: socket, command, arguments, and what to wait for. */
static int parse_args(struct cli *cli, int argc, char **argv, struct qmp_cli *q)
{
        struct cli_args a = { .max = 2 };
        struct bv_error err = { 0 };
        int r = cli_parse(cli, argc, argv, &a, on_option, q);

        if (r)
                return r;
        if (!q->path)
                return cli_usage_error(cli, "--socket PATH is required");
        if (a.n == 0)
                return cli_usage_error(cli, "No QMP command given");
        q->command = a.arg[0];
        if (a.n == 2 && bv_json_load_object(a.arg[1], strlen(a.arg[1]), QMP_MESSAGE_MAX_DEFAULT, &q->args, &err) < 0)
                return cli_usage_error(cli, "Invalid ARGUMENTS_JSON: %s", err.msg);
        /* --events N waits up to --wait (default: --timeout); --wait alone prints all events in it. */
        q->want = q->have_events ? q->events : (q->have_wait ? QMP_CLI_EVENTS_MAX : 0);
        if (!q->have_wait)
                q->wait_ms = q->timeout_ms;
        if (!(q->early = json_array()))
                return cli_fail("Out of memory");
        return 0;
}

/* Connects and waits for the greeting. */
static int connect_qmp(struct qmp_cli *q)
{
        struct bv_error err = { 0 };
        struct qmp_options opts = { .timeout_ms = q->timeout_ms };
        int r;

        if ((r = bv_loop_new(&q->loop, &err)) < 0)
                return cli_fail("%s", err.msg);
        if ((r = qmp_conn_connect(q->loop, q->path, &opts, &q->c, &err)) < 0)
                return cli_fail("%s", bv_error_message(&err, r));
        qmp_conn_set_event_cb(q->c, on_event, q);
        qmp_conn_set_close_cb(q->c, on_close, q);
        if ((r = qmp_conn_wait_ready(q->c, q->timeout_ms, &err)) < 0)
                return cli_fail("%s", bv_error_message(&err, r));
        return 0;
}

/* Sends the command, prints its "return". */
static int call(struct qmp_cli *q)
{
        struct bv_error err = { 0 };
        json_auto_t *ret = NULL;
        int r = qmp_conn_call_sync(q->c, q->command, q->args, q->timeout_ms, &ret, &err);

        if (r == -EREMOTEIO) {
                /* QMP's own error, as "CLASS: desc". */
                fprintf(stderr, "%s\n", err.msg);
                return 1;
        }
        if (r < 0)
                return cli_fail("%s", bv_error_message(&err, r));
        print_line(ret, q);
        return 0;
}

/* --events, --wait: the events that came since the command, then the ones within the wait. */
static int print_events(struct qmp_cli *q)
{
        size_t i;
        json_t *ev;

        if (q->want == 0)
                return 0;
        json_array_foreach(q->early, i, ev)
                print_line(ev, q);
        json_array_clear(q->early);
        q->live = true;
        if (!q->done && qmp_conn_is_open(q->c)) {
                int r = bv_loop_run_until(q->loop, &q->done, (uint64_t)q->wait_ms * 1000);
                if (r < 0 && r != -ETIMEDOUT)
                        return cli_fail("Event loop failed: %s", strerror(-r));
        }
        if (q->have_events && q->seen < q->want)
                return cli_fail("Got %u of %u events within %u ms", q->seen, q->want, q->wait_ms);
        return 0;
}

/* The verb (declared in cli.h). */

int cmd_qmp(struct cli *cli, int argc, char **argv)
{
        struct qmp_cli q = { .timeout_ms = 10000 };
        int r = parse_args(cli, argc, argv, &q);

        if (r == 0 && (r = connect_qmp(&q)) == 0 && (r = call(&q)) == 0 && (r = print_events(&q)) == 0 && q.io_error)
                r = cli_fail("Cannot write to stdout");
        json_decref(q.args);
        json_decref(q.early);
        qmp_conn_free(q.c);
        bv_loop_free(q.loop);
        return r;
}
