/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the QMP client, shared by conn.c (connection, I/O, command
 * bookkeeping), demux.c (framing and dispatch of what QEMU sends) and
 * commands.c (typed helpers). Not for use outside qmp/ except by the fuzz
 * target and unit tests, which feed bytes through qmp_conn_feed().
 *
 * Lifetime: the connection is reference-counted internally. Every entry
 * point that calls a user callback holds a reference, so a callback may
 * call qmp_conn_free(); the memory goes when the last reference drops,
 * and code after a callback checks c->state before touching anything.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "qmp/qmp.h"

enum qmp_state {
        QMP_STATE_GREETING,          /* waiting for the greeting; writes held back */
        QMP_STATE_NEGOTIATING,       /* qmp_capabilities sent */
        QMP_STATE_READY,
        QMP_STATE_CLOSED,
};

/* Longest command name accepted ([A-Za-z0-9_.-]+, like QAPI names). */
#define QMP_COMMAND_NAME_MAX 127

struct qmp_pending {
        struct qmp_pending *prev, *next;
        struct qmp_conn *conn;
        uint64_t id;
        qmp_reply_cb cb;
        void *userdata;
        struct bv_timer *timer;
        unsigned timeout_ms;
        char command[QMP_COMMAND_NAME_MAX + 1];
};

struct qmp_conn {
        struct bv_loop *loop;
        int fd;
        struct bv_watch *watch;
        uint32_t watch_events;
        enum qmp_state state;
        unsigned refs;
        bool freed;                  /* qmp_conn_free() was called */

        struct qmp_options opts;

        /* Input: unprocessed bytes in in[0, in_len); no '\n' in in[0, in_scan). */
        char *in;
        size_t in_size, in_len, in_scan;
        size_t in_cap;               /* max_message + 2 ("\r\n") */

        /* Output: bytes out[out_off, out_len) not yet written. */
        char *out;
        size_t out_size, out_len, out_off;

        struct qmp_pending *pending_head, *pending_tail;
        unsigned n_pending;
        uint64_t first_id, next_id; /* command ids in [first_id, next_id) were ours */
        uint64_t caps_id;            /* id of our qmp_capabilities (0 before it is sent) */
        bool random_caps_id;
        struct bv_timer *handshake_timer;

        qmp_event_cb event_cb;
        void *event_userdata;
        qmp_ready_cb ready_cb;
        void *ready_userdata;
        qmp_close_cb close_cb;
        void *close_userdata;
        qmp_diag_cb diag_cb;
        void *diag_userdata;

        int version[3];
        char package[64];
        json_t *capabilities;        /* array of strings from the greeting, or NULL */

        struct qmp_stats stats;
        int close_r;                 /* why it closed (0 while open) */
        struct bv_error close_err;
        int ready_r;                 /* 1 once ready, -errno if the handshake failed */
        struct bv_error ready_err;
};

/* conn.c */
/*
 * Closes the connection with reason r (negative errno) and message, fails
 * every pending command with pending_r, calls the ready callback (if the
 * handshake had not finished) and the close callback. Idempotent.
 */
void qmp_conn_close(struct qmp_conn *c, int r, int pending_r, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Removes p from the pending list, cancels its timer, calls its callback, frees it. */
void qmp_pending_complete(struct qmp_conn *c, struct qmp_pending *p, int r, json_t *ret,
                          const struct bv_error *err);
/* The pending command with id, or NULL. */
struct qmp_pending *qmp_pending_find(struct qmp_conn *c, uint64_t id);
/*
 * Sends qmp_capabilities (called once the greeting arrived). Returns 0 or
 * -errno, the connection closed then.
 */
int qmp_conn_negotiate(struct qmp_conn *c);
/* Counts a dropped message and tells the diagnostic callback, if any, why. */
void qmp_conn_diag(struct qmp_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* demux.c */
/*
 * Processes the complete lines in c->in (after bytes were appended) and
 * compacts the buffer. Closes the connection with -EMSGSIZE when an
 * unterminated message exceeds the cap. Calls user callbacks; the caller
 * holds a reference.
 */
void qmp_demux_input(struct qmp_conn *c);

/*
 * Test and fuzzing entry point: feeds buf/len through the same path as
 * bytes read from the socket (framing, caps, parsing, dispatch), in chunks
 * as large as the input buffer allows. Returns 0, or -ENOTCONN once the
 * connection is closed.
 */
int qmp_conn_feed(struct qmp_conn *c, const void *buf, size_t len);
