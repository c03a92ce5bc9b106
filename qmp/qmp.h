/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP client: one connection to a QEMU monitor socket, driven by a
 * struct bv_loop. The connection reads the greeting (everything before it
 * is discarded, since a previous session's reply or event may still be in
 * flight), negotiates qmp_capabilities, then sends commands, each with a
 * unique id and its own timeout, and matches replies by id. Asynchronous
 * events go to a callback with their name, timestamp and data.
 *
 * Nothing here blocks except the *_sync functions, which run the loop
 * until their reply arrives or their timeout passes (for the CLI and tests;
 * barevirtd uses qmp_conn_call() and the qmp_*_parse() helpers). They
 * run the loop themselves, so they must not be called from inside a loop
 * callback (the loop is not re-entrant).
 *
 * Every byte QEMU sends is untrusted: a message is one line, at most
 * max_message bytes (a longer one closes the connection), parsed with
 * duplicate keys rejected and a nesting cap. Malformed lines, replies with
 * unknown ids and error replies without an id are dropped (reported to the
 * diagnostic callback) and never paired with a pending command.
 *
 * Integers above INT64_MAX: jansson refuses them together with the whole
 * message. Such a message is never delivered with lost precision: when it
 * is the reply to a pending command, that command fails with -ERANGE and
 * a clear message; otherwise (an event) it is dropped and reported. The
 * connection stays usable either way.
 *
 * Errors passed to callbacks and returned from the sync functions:
 *   -EREMOTEIO   QEMU answered with an error; err holds "CLASS: desc"
 *   -ETIMEDOUT   no reply within the command's timeout (the connection stays)
 *   -ECONNRESET  the connection went away (EOF, reset, protocol error);
 *                every pending command fails at once with it
 *   -EPROTO      the reply to this command was malformed
 *   -ERANGE      the reply held an integer above INT64_MAX
 *   -ECANCELED   the connection was freed with the command pending
 *   -ENOTCONN    (returned when submitting) the connection is closed
 *   -EBUSY       (returned when submitting) too many commands pending
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

struct qmp_conn;

#define QMP_MESSAGE_MAX_DEFAULT (10u * 1024u * 1024u)
#define QMP_PENDING_MAX_DEFAULT 256u
#define QMP_TIMEOUT_MS_DEFAULT 10000u

/* Options for a new connection. Zero fields take the defaults. */
struct qmp_options {
        size_t max_message;          /* bytes in one message; default 10 MiB */
        unsigned max_pending;        /* commands in flight; default 256 */
        unsigned timeout_ms;         /* default per-command timeout; default 10 s */
        unsigned handshake_timeout_ms; /* greeting + capabilities; default timeout_ms */
        uint64_t first_id;           /* 0: the default scheme below; tests set it */
};
/*
 * Ids. QEMU's monitor output belongs to the socket, not to a session: the
 * replies to a client that left with commands in flight can arrive after
 * our greeting, carrying that client's ids. QEMU answers in order, so all
 * of them come before the reply to our qmp_capabilities; that command gets
 * a random id in [2^32, 2^48), and until its reply arrives every other
 * reply is discarded. Commands then use small ids counting from 1 (QEMU
 * reads QMP input one byte per main-loop iteration, so every byte of an id
 * costs latency on each command). With first_id set, qmp_capabilities and
 * commands share one sequence starting there (predictable, for tests).
 */

/* An asynchronous event. Every pointer is borrowed for the callback's duration. */
struct qmp_event {
        const char *name;            /* "SHUTDOWN", "STOP", ... */
        int64_t seconds;             /* timestamp as sent by QEMU (-1 if absent) */
        int64_t microseconds;
        json_t *data;                /* the "data" object, or NULL when absent */
        json_t *message;             /* the whole message */
};

/* Counters, for tests and diagnostics. */
struct qmp_stats {
        uint64_t bytes_read;
        uint64_t messages;           /* lines parsed as JSON objects */
        uint64_t replies;            /* replies paired with a pending command */
        uint64_t events;
        uint64_t discarded;          /* lines before the greeting */
        uint64_t dropped;            /* malformed lines, unknown ids, id-less errors */
        uint64_t late;               /* replies to timed-out or cancelled commands */
        uint64_t timeouts;
};

/*
 * Completion of a command. r is 0 and result the "return" value (borrowed:
 * json_incref() it to keep it), or r is -errno (see above), result NULL
 * and err holds the message. Called exactly once per accepted command, from
 * the loop (never from inside qmp_conn_call()).
 */
typedef void (*qmp_reply_cb)(struct qmp_conn *c, int r, json_t *result, const struct bv_error *err,
                             void *userdata);
typedef void (*qmp_event_cb)(struct qmp_conn *c, const struct qmp_event *ev, void *userdata);
/* The handshake finished (r == 0) or failed (r < 0, and the connection is closed). */
typedef void (*qmp_ready_cb)(struct qmp_conn *c, int r, const struct bv_error *err, void *userdata);
/* The connection closed; r is the reason (-ECONNRESET for EOF, -EMSGSIZE, -EPROTO, ...). */
typedef void (*qmp_close_cb)(struct qmp_conn *c, int r, const struct bv_error *err, void *userdata);
/* Something was dropped (malformed line, unknown id, id-less error). Informational. */
typedef void (*qmp_diag_cb)(struct qmp_conn *c, const struct bv_error *err, void *userdata);

/*
 * Creates a connection over fd, a connected stream socket, which the
 * connection takes over (closed on failure too) and makes non-blocking.
 * The handshake starts at once. opts may be NULL. Does not block.
 * Returns 0, -EINVAL (bad options), -ENOMEM or another -errno from the loop.
 */
int qmp_conn_new(struct bv_loop *loop, int fd, const struct qmp_options *opts,
                 struct qmp_conn **ret, struct bv_error *err);

/*
 * Connects to the QMP UNIX socket at path and starts the handshake, as
 * qmp_conn_new(). Returns 0 or -errno (-ENOENT, -ECONNREFUSED, ...) with
 * the path in err.
 */
int qmp_conn_connect(struct bv_loop *loop, const char *path, const struct qmp_options *opts,
                     struct qmp_conn **ret, struct bv_error *err);

/*
 * Closes the connection (if open) and frees it. Pending commands complete
 * with -ECANCELED first. Safe from inside any of the connection's
 * callbacks (the memory is released once the callback returns). NULL
 * accepted; returns NULL.
 */
struct qmp_conn *qmp_conn_free(struct qmp_conn *c);

/* Callback setters; each replaces the previous one. cb may be NULL. */
void qmp_conn_set_event_cb(struct qmp_conn *c, qmp_event_cb cb, void *userdata);
void qmp_conn_set_ready_cb(struct qmp_conn *c, qmp_ready_cb cb, void *userdata);
void qmp_conn_set_close_cb(struct qmp_conn *c, qmp_close_cb cb, void *userdata);
void qmp_conn_set_diag_cb(struct qmp_conn *c, qmp_diag_cb cb, void *userdata);

/*
 * Runs the loop until the handshake is done or timeout_ms passes (0: the
 * handshake timeout). Blocks. Returns 0, -ETIMEDOUT, or the failure of the
 * handshake (-ECONNRESET, -EPROTO, -EREMOTEIO) with the detail in err.
 */
int qmp_conn_wait_ready(struct qmp_conn *c, unsigned timeout_ms, struct bv_error *err);

/* True until the connection is closed; true while the handshake is running. */
bool qmp_conn_is_open(const struct qmp_conn *c);
/* True once qmp_capabilities has been accepted. */
bool qmp_conn_is_ready(const struct qmp_conn *c);

/*
 * QEMU's version and package string from the greeting ("" before it), and
 * whether the greeting offered a capability ("oob"). The string lives as
 * long as the connection.
 */
void qmp_conn_get_version(const struct qmp_conn *c, int *ret_major, int *ret_minor, int *ret_micro);
const char *qmp_conn_get_package(const struct qmp_conn *c);
bool qmp_conn_has_capability(const struct qmp_conn *c, const char *name);

/* Copies the connection's counters into *ret. */
void qmp_conn_get_stats(const struct qmp_conn *c, struct qmp_stats *ret);

/*
 * Sends command with arguments (an object, or NULL; not stolen) and calls
 * cb with the reply, the QMP error, a timeout after timeout_ms (0: the
 * connection's default) or the loss of the connection. Commands given
 * before the handshake finishes are queued and sent after it. Does not
 * block. ret_id (may be NULL) gets the command's id for qmp_conn_cancel().
 * Returns 0, -ENOTCONN, -EBUSY, -EINVAL (bad name or arguments) or -ENOMEM;
 * on failure cb is not called.
 */
int qmp_conn_call(struct qmp_conn *c, const char *command, json_t *arguments, unsigned timeout_ms,
                  qmp_reply_cb cb, void *userdata, uint64_t *ret_id, struct bv_error *err);

/*
 * Forgets a pending command: its callback is not called and its reply, if
 * one comes, is dropped. Returns 0 or -ENOENT.
 */
int qmp_conn_cancel(struct qmp_conn *c, uint64_t id);

/*
 * Sends command and runs the loop until its reply (blocks at most about
 * timeout_ms; 0: the default). On success *ret (may be NULL) gets a new
 * reference to the "return" value. Events arriving meanwhile go to the
 * event callback. Returns 0 or -errno as listed at the top of this file.
 */
int qmp_conn_call_sync(struct qmp_conn *c, const char *command, json_t *arguments,
                       unsigned timeout_ms, json_t **ret, struct bv_error *err);

/* ---- Typed helpers (commands.c) -------------------------------------- */

/* query-status. */
struct qmp_status {
        bool running;
        char status[32];             /* "running", "paused", "shutdown", ... */
};
/* Parses a query-status "return" value into *ret_status. Returns 0 or -EPROTO. */
int qmp_status_parse(json_t *result, struct qmp_status *ret_status, struct bv_error *err);
/* Runs query-status and parses its reply (blocks, see above). Returns 0 or -errno. */
int qmp_status_query(struct qmp_conn *c, unsigned timeout_ms, struct qmp_status *ret,
                     struct bv_error *err);

/* query-version. */
struct qmp_version {
        int64_t major, minor, micro;
        char package[64];
};
/*
 * Parses a query-version "return" value (or the greeting's "version"),
 * {"qemu": {"major", "minor", "micro"}, "package"}, into *ret_version (the
 * package string truncated to fit). Returns 0 or -EPROTO.
 */
int qmp_version_parse(json_t *result, struct qmp_version *ret_version, struct bv_error *err);
/* Runs query-version and parses its reply (blocks, see above). Returns 0 or -errno. */
int qmp_version_query(struct qmp_conn *c, unsigned timeout_ms, struct qmp_version *ret,
                      struct bv_error *err);

/*
 * stop, cont, system_powerdown, system_reset and quit. Each blocks until
 * QEMU acknowledges (the acknowledgement precedes the effect: wait for the
 * STOP/RESUME/SHUTDOWN/RESET event for that). quit's reply may be lost
 * when QEMU exits first: qmp_vm_quit() treats -ECONNRESET as success.
 */
int qmp_vm_stop(struct qmp_conn *c, unsigned timeout_ms, struct bv_error *err);
int qmp_vm_cont(struct qmp_conn *c, unsigned timeout_ms, struct bv_error *err);
int qmp_vm_powerdown(struct qmp_conn *c, unsigned timeout_ms, struct bv_error *err);
int qmp_vm_reset(struct qmp_conn *c, unsigned timeout_ms, struct bv_error *err);
int qmp_vm_quit(struct qmp_conn *c, unsigned timeout_ms, struct bv_error *err);

/* query-block: *ret gets a new reference to the array of block devices. */
int qmp_block_query(struct qmp_conn *c, unsigned timeout_ms, json_t **ret, struct bv_error *err);

/* blockdev-add with options (not stolen); blockdev-del of node_name. */
int qmp_blockdev_add(struct qmp_conn *c, unsigned timeout_ms, json_t *options, struct bv_error *err);
int qmp_blockdev_del(struct qmp_conn *c, unsigned timeout_ms, const char *node_name,
                     struct bv_error *err);

/*
 * device_add with options ({"driver": ..., "id": ..., ...}, not stolen);
 * device_del of id (completion is the DEVICE_DELETED event, not the reply).
 */
int qmp_device_add(struct qmp_conn *c, unsigned timeout_ms, json_t *options, struct bv_error *err);
int qmp_device_del(struct qmp_conn *c, unsigned timeout_ms, const char *id, struct bv_error *err);

/*
 * human-monitor-command: runs an HMP command line; *ret_output (may be
 * NULL) gets its malloc'ed output. Returns 0 or -errno.
 */
int qmp_hmp_run(struct qmp_conn *c, unsigned timeout_ms, const char *command_line,
                char **ret_output, struct bv_error *err);
