/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `monitor` verb's internals, shared by monitor.c (the container's
 * life: create, exit, restart policy, stop) and monitor-io.c (console.log,
 * console.sock relay, monitor.sock requests). One struct mon per process,
 * passed explicitly; everything runs on one common/common.h (loop) event loop.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/common.h"
#include "ctr/ctr.h"

#define MON_MAX_CLIENTS 32
#define MON_LINE_MAX 4096            /* a monitor.sock request line */
#define MON_OUT_MAX (256 * 1024)     /* queued output per client before it is dropped */

enum mon_client_kind { MON_CLIENT_MONITOR, MON_CLIENT_CONSOLE };

struct mon;

struct mon_client {
        struct mon *m;
        int fd;
        struct bv_watch *watch;
        enum mon_client_kind kind;
        bool subscribed;             /* monitor.sock: gets event lines */
        bool wants_stop_reply;       /* monitor.sock: a stop request waits for the end */
        bool closing;                /* close once out is flushed */
        bool eof;                    /* the peer shut down its side: no more input */
        char *in;                    /* partial request line (MON_LINE_MAX) */
        size_t in_len;
        char *out;                   /* queued output */
        size_t out_len, out_off, out_cap;
};

struct mon {
        struct bv_loop *loop;
        const char *root, *bundle, *dir, *id;
        enum ctr_ct_restart restart;
        int stop_signal;
        unsigned stop_timeout;       /* seconds, for SIGTERM to the monitor */
        uint64_t log_max;
        int ready_fd;

        bool terminal;

        struct ctr_ct_status st;
        pid_t pid;                   /* the running init, 0 when none */
        struct bv_child *child;
        int out_fd;                  /* pty master or pipe read end, -1 when none */
        struct bv_watch *out_watch;
        int requested_signal;        /* the last signal a kill request sent */
        uint64_t started_usec;

        bool stopping;               /* stop asked: no restart, reply when gone */
        struct bv_timer *stop_timer;
        struct bv_timer *restart_timer;
        struct bv_timer *shrink_timer;  /* pending memory give-back after activity */
        uint64_t backoff_ms;

        struct bv_log_writer log;    /* console.log */
        char log_path[4200], log_old[4200], mon_sock[4200], con_sock[4200], status_path[4200];

        int mon_lfd, con_lfd;
        struct bv_watch *mon_lwatch, *con_lwatch;
        struct mon_client *clients[MON_MAX_CLIENTS];
};

/* monitor-io.c */
int mon_io_open(struct mon *m, struct bv_error *err);
void mon_io_close(struct mon *m);
void mon_output_attach(struct mon *m, int fd);
void mon_output_drain(struct mon *m);
void mon_event(struct mon *m, const char *event);
void mon_reply_stopped(struct mon *m);

/* monitor.c */
/* Notes activity: a little later, memory that served it is given back (see mon_shrink()). */
void mon_touch(struct mon *m);
int mon_write_status(struct mon *m);
void mon_request_stop(struct mon *m, unsigned timeout_s);
int mon_request_kill(struct mon *m, int sig);
