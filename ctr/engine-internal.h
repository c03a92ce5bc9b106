/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What differs between container engines: one table per backend
 * (engine-docker.c, engine-podman.c), used by engine*.c; and the call
 * machinery shared by engine.c (core calls), engine-ops.c (create, exec,
 * images, ...) and engine-stream.c (events, logs follow). Internal to ctr/.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/http.h"
#include "ctr/engine.h"

struct ctr_engine_backend {
        const char *name;          /* "docker": ref prefix and instance type */
        const char *title;         /* "Docker": for messages */
        const char *max_version;   /* highest compat API version we speak with it */
        const char *min_version;   /* lowest we accept */
        const char *ping_path;     /* liveness check, answers "OK" */
        const char *version_path;  /* unversioned: {"Version", "ApiVersion", "MinAPIVersion"} */
        /* The engine's state word mapped to barevirt's (running, paused, exited, ...). */
        const char *(*map_state)(const char *engine_state);
        /* The human text of an error body (status >= 400) into buf. */
        void (*error_text)(const json_t *body, char *buf, size_t len);
        /* The errno for an error reply (status >= 400) with that text. */
        int (*error_errno)(int status, const char *text);
        /* An event's action word mapped to Docker's ("died" -> "die"), or
         * NULL to drop the event (engine-internal noise). */
        const char *(*map_action)(const char *action);
        /* The path (after the version prefix) that loads an image tarball. */
        const char *image_load_path;
        /* The container list: path, and whether it takes the version prefix. */
        const char *list_path;
        bool list_versioned;
};

/* Shared helpers: body's "message" string, or nothing; errno of an HTTP status. */
void ctr_engine_error_message(const json_t *body, char *buf, size_t len);
int ctr_engine_status_errno(int status, const char *text);

struct ctr_engine {
        const struct ctr_engine_backend *b;
        struct bv_loop *loop;
        struct bv_http_client *client;
        char socket[256];
        char version[16];           /* negotiated, "" when not */
        struct engine_op *ops;      /* every call in flight */
};

struct engine_op;
/* Handles a successful (status < 400) reply. Returns 0 with *ret (may be
 * NULL), 1 when the op continued with another exchange (or a timer), or
 * -errno. */
typedef int (*op_finish_fn)(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                            struct bv_error *err);

struct engine_op {
        struct ctr_engine *e;
        struct engine_op *next, *prev;
        struct bv_http_client *own;  /* a dedicated connection for long calls, or NULL */
        const char *method;
        char path[1024];            /* after the version prefix */
        bool versioned;
        uint64_t timeout_usec;
        size_t max_body;
        op_finish_fn finish;
        bool negotiating;           /* the exchange in flight negotiates (ping, or /version) */
        bool negotiating_full;      /* ... and it is GET /version */
        ctr_engine_done_cb done;
        void *userdata;
        char *body;                 /* request body (owned), or NULL */
        size_t body_len;
        const char *content_type;
        /* logs, exec */
        char id[160];
        char exec_id[160];
        int tail;
        bool tty;
        int tries;
        json_t *acc;                /* what an op collects across exchanges */
        struct bv_timer *timer;
};

struct engine_op *ctr_engine_op_new(struct ctr_engine *e, const struct ctr_engine_opts *o, ctr_engine_done_cb done,
                                    void *userdata);
/* Gives op its own connection (for calls that may take long, so they never
 * hold up the engine's shared one). Returns 0 or -errno. */
int ctr_engine_op_own_client(struct engine_op *op, struct bv_error *err);
/* Sends op's (next) exchange, negotiating first when needed. On failure
 * op_start frees op; op_send leaves it to the caller. */
int ctr_engine_op_start(struct engine_op *op, struct bv_error *err);
int ctr_engine_op_send(struct engine_op *op, struct bv_error *err);
/* An op on /containers/ID<suffix>, id checked. */
int ctr_engine_id_op(struct ctr_engine *e, const char *id, const char *method, const char *suffix, op_finish_fn finish,
                     const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata, struct bv_error *err,
                     struct engine_op **ret);
/* ctr_engine_id_op() and ctr_engine_op_start() in one: the common shape of a call on one container. */
int ctr_engine_id_call(struct ctr_engine *e, const char *id, const char *method, const char *suffix,
                       op_finish_fn finish, const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                       struct bv_error *err);
/*
 * POST /containers/ID/<verb>[?t=grace_sec] (stop, restart): grace_sec < 0 is
 * the engine's default (10 s); the timeout covers the grace time, and the
 * call gets its own connection, so it never holds up other calls.
 */
int ctr_engine_grace_call(struct ctr_engine *e, const char *id, const char *verb, int grace_sec,
                          const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                          struct bv_error *err);
/* Sets op's request body (copied). */
int ctr_engine_op_set_body(struct engine_op *op, const char *content_type, const void *body, size_t len,
                           struct bv_error *err);
/* Ends op: done, then frees it. */
void ctr_engine_op_finish(struct engine_op *op, int r, json_t *result, const struct bv_error *err);
/* Frees an op that is not in flight (not started, or ended) with what it owns. */
void ctr_engine_op_free(struct engine_op *op);

/* Reply readers. */
int ctr_engine_load_reply(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                          struct bv_error *err);
int ctr_engine_finish_json_object(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                                  struct bv_error *err);
int ctr_engine_finish_none(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                           struct bv_error *err);
/* The API version from a /version reply into e->version. */
int ctr_engine_negotiate(struct ctr_engine *e, const json_t *v, struct bv_error *err);
/* The API version from a ping reply's Api-Version header (what Docker's
 * own client does; Podman's /version takes seconds): 0 when negotiated, 1
 * when the header is missing and /version must be asked, or -errno. */
int ctr_engine_negotiate_ping(struct ctr_engine *e, const struct bv_http_response *resp, struct bv_error *err);
/* The error of an unreachable engine (and forgets the version). */
int ctr_engine_unreachable(struct ctr_engine *e, int r, const struct bv_error *cause, struct bv_error *err);
/* The error of a reply with status >= 400. */
int ctr_engine_http_error(struct ctr_engine *e, const struct bv_http_response *resp, struct bv_error *err);

/* Terminal reply handlers by name, for ctr_engine_reply_replay() (tests, fuzzing). */
struct engine_reply_kind {
        const char *name;
        op_finish_fn finish;
};
extern const struct engine_reply_kind ctr_engine_core_replies[];  /* engine.c, ended by {} */
extern const struct engine_reply_kind ctr_engine_ops_replies[];   /* engine-ops.c, ended by {} */
