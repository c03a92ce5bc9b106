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

#include "common/cleanup.h"
#include "common/json.h"
#include "common/loop.h"
#include "common/parse.h"
#include "qmp/qmp.h"
#include "tools/cli/cli.h"

#define QMP_USAGE "qmp --socket PATH [--timeout MS] [--events N] [--wait MS] COMMAND [ARGUMENTS_JSON]"
/* More events than this in one invocation is a mistake, not a use case. */
#define QMP_CLI_EVENTS_MAX 1000000u

struct qmp_cli {
        unsigned want;               /* events to print; UINT_MAX: all within the wait */
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

static int parse_ms(const char *opt, const char *s, unsigned *ret)
{
        if (!s)
                return cli_usage_error(QMP_USAGE, "%s needs a value", opt);
        if (bv_parse_uint(s, 1, 24u * 3600u * 1000u, ret) < 0)
                return cli_usage_error(QMP_USAGE, "Invalid value '%s' for %s", s, opt);
        return 0;
}

/* The verb (declared in cli.h). */

int cmd_qmp(struct cli *cli, int argc, char **argv)
{
        const char *path = NULL, *command = NULL, *arguments = NULL;
        unsigned timeout_ms = 10000, wait_ms = 0, events = 0;
        bool have_events = false, have_wait = false;
        struct bv_error err = { 0 };
        struct qmp_cli q = { 0 };
        struct bv_loop *loop = NULL;
        struct qmp_conn *c = NULL;
        json_t *args = NULL, *ret = NULL;
        int r, rc = 1;

        if (cli_wants_help(QMP_USAGE, argc, argv))
                return 0;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;

                if (strcmp(a, "--socket") == 0) {
                        if (!v)
                                return cli_usage_error(QMP_USAGE, "--socket needs a path");
                        path = v;
                        i++;
                } else if (strcmp(a, "--timeout") == 0) {
                        if (parse_ms(a, v, &timeout_ms) != 0)
                                return 2;
                        i++;
                } else if (strcmp(a, "--wait") == 0) {
                        if (parse_ms(a, v, &wait_ms) != 0)
                                return 2;
                        have_wait = true;
                        i++;
                } else if (strcmp(a, "--events") == 0) {
                        if (!v || bv_parse_uint(v, 1, QMP_CLI_EVENTS_MAX, &events) < 0)
                                return cli_usage_error(QMP_USAGE, "Invalid value '%s' for --events",
                                                       v ? v : "");
                        have_events = true;
                        i++;
                } else if (a[0] == '-' && a[1] != '\0' && !command) {
                        return cli_usage_error(QMP_USAGE, "Unknown option '%s'", a);
                } else if (!command) {
                        command = a;
                } else if (!arguments) {
                        arguments = a;
                } else {
                        return cli_usage_error(QMP_USAGE, "Unexpected argument '%s'", a);
                }
        }
        if (!path)
                return cli_usage_error(QMP_USAGE, "--socket PATH is required");
        if (!command)
                return cli_usage_error(QMP_USAGE, "No QMP command given");
        if (arguments && bv_json_load_object(arguments, strlen(arguments), QMP_MESSAGE_MAX_DEFAULT,
                                             &args, &err) < 0)
                return cli_usage_error(QMP_USAGE, "Invalid ARGUMENTS_JSON: %s", err.msg);

        /* --events N waits up to --wait (default: --timeout); --wait alone prints all events in it. */
        q.want = have_events ? events : (have_wait ? QMP_CLI_EVENTS_MAX : 0);
        if (!have_wait)
                wait_ms = timeout_ms;
        q.early = json_array();
        if (!q.early) {
                json_decref(args);
                return cli_fail("Out of memory");
        }

        r = bv_loop_new(&loop, &err);
        if (r < 0) {
                cli_fail("%s", err.msg);
                goto out;
        }
        struct qmp_options opts = { .timeout_ms = timeout_ms };
        r = qmp_conn_connect(loop, path, &opts, &c, &err);
        if (r < 0) {
                cli_fail("%s", bv_error_message(&err, r));
                goto out;
        }
        qmp_conn_set_event_cb(c, on_event, &q);
        qmp_conn_set_close_cb(c, on_close, &q);
        r = qmp_conn_wait_ready(c, timeout_ms, &err);
        if (r < 0) {
                cli_fail("%s", bv_error_message(&err, r));
                goto out;
        }
        r = qmp_conn_call_sync(c, command, args, timeout_ms, &ret, &err);
        if (r == -EREMOTEIO) {
                /* QMP's own error, as "CLASS: desc". */
                fprintf(stderr, "%s\n", err.msg);
                goto out;
        }
        if (r < 0) {
                cli_fail("%s", bv_error_message(&err, r));
                goto out;
        }
        print_line(ret, &q);

        if (q.want > 0) {
                size_t i;
                json_t *ev;

                json_array_foreach(q.early, i, ev)
                        print_line(ev, &q);
                json_array_clear(q.early);
                q.live = true;
                if (!q.done && qmp_conn_is_open(c)) {
                        r = bv_loop_run_until(loop, &q.done, (uint64_t)wait_ms * 1000);
                        if (r < 0 && r != -ETIMEDOUT) {
                                cli_fail("Event loop failed: %s", strerror(-r));
                                goto out;
                        }
                }
                if (have_events && q.seen < q.want) {
                        cli_fail("Got %u of %u events within %u ms", q.seen, q.want, wait_ms);
                        goto out;
                }
        }
        if (q.io_error) {
                cli_fail("Cannot write to stdout");
                goto out;
        }
        rc = 0;
out:
        json_decref(ret);
        json_decref(args);
        json_decref(q.early);
        qmp_conn_free(c);
        bv_loop_free(loop);
        return rc;
}
