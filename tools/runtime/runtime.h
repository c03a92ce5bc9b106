/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt-runtime: the OCI runtime command line over ctr/ctr.h (OCI runtime). This
 * program only parses arguments and prints; the work is in ctr/. Errors go
 * to stderr and, with --log, to the log file in runc's format (JSON lines
 * {"level","msg","time"} with --log-format json), which Podman and Docker
 * read back.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "common/common.h"

struct rt_globals {
        const char *root;
        const char *log;
        bool log_json;
        bool debug;
};

extern struct rt_globals rt;

/* Logs an error (stderr and --log) and returns 1, the exit status for failures. */
int rt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int rt_fail_err(const char *what, int r, const struct bv_error *err);

/* Option parsing for verbs: returns the index of the first positional argument or -1. */
struct rt_opt {
        const char *long_name;
        char short_name;
        bool has_arg;
        const char **str;            /* for has_arg */
        bool *flag;                  /* for !has_arg */
};
/* Values of a repeatable --env option (NULL-terminated), collected by rt_parse_opts(). */
extern const char *rt_env_value;
extern char *rt_env_list[65];
/* Parses argv's options into opts: the index of the first operand, or -EINVAL (reason printed). */
int rt_parse_opts(int argc, char **argv, struct rt_opt *opts, const char *verb);

/* The foreground part of `run` (tools/runtime/foreground.c); master -1 without a tty relay. */
int rt_foreground(pid_t pid, int master);

int cmd_create(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_spec(int argc, char **argv);
int cmd_features(int argc, char **argv);
/* `monitor`: barevirtd's per-container supervisor (tools/runtime/monitor.c). */
int cmd_monitor(int argc, char **argv);
