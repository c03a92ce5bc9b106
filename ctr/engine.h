/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Clients for container engines (Docker, Podman) over their UNIX-socket HTTP
 * APIs, on the caller's event loop through common/http.h. One struct
 * ctr_engine per engine socket; what differs between engines lives in a
 * backend table (engine-docker.c, engine-podman.c), never in if-chains.
 *
 * Every call is asynchronous and carries a timeout: it returns 0 once the
 * request is queued (then done is called exactly once, never from inside the
 * call) or -errno (then done is not called). The first call after the engine
 * was unreachable negotiates the API version again (GET /version: the highest
 * version both sides speak), so a restarted engine is picked up without
 * restarting the caller.
 *
 * Errors from the engine keep its {"message"} and HTTP status in the
 * bv_error text; an engine that does not answer gives "Docker engine at
 * '/var/run/docker.sock' is not reachable" (-ECONNREFUSED, -ENOENT or
 * -ETIMEDOUT). Replies are untrusted: bounded bodies, JSON checked by type.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/loop.h"

struct ctr_engine;
struct ctr_engine_backend;

/* The backends: "docker" and "podman". */
extern const struct ctr_engine_backend ctr_engine_docker;
extern const struct ctr_engine_backend ctr_engine_podman;

/* The backend named name ("docker", "podman"), or NULL. */
const struct ctr_engine_backend *ctr_engine_backend_find(const char *name);

/*
 * Creates a client for the engine listening on socket_path. Nothing is
 * connected until the first call. Returns 0, -EINVAL or -ENOMEM.
 */
int ctr_engine_new(struct bv_loop *loop, const struct ctr_engine_backend *backend,
                   const char *socket_path, struct ctr_engine **ret, struct bv_error *err);
/*
 * Frees the engine; calls still pending get their done with -ECANCELED
 * (from inside this function). NULL accepted; returns NULL.
 */
struct ctr_engine *ctr_engine_free(struct ctr_engine *e);

/* "docker" or "podman": the ref prefix and instance type. */
const char *ctr_engine_name(const struct ctr_engine *e);
const char *ctr_engine_socket(const struct ctr_engine *e);
/* The engine's container state word mapped to barevirt's ("stopped" from
 * Podman becomes "exited", ...); "unknown" for words it does not know. */
const char *ctr_engine_state(const struct ctr_engine *e, const char *engine_state);
/* The negotiated API version ("1.41"), or "" when not negotiated (yet). */
const char *ctr_engine_api_version(const struct ctr_engine *e);

/*
 * done of every call: r >= 0 with result (borrowed: valid during the call,
 * json_incref() to keep it; may be NULL for calls without a result), or
 * r < 0 with err filled and result NULL.
 */
typedef void (*ctr_engine_done_cb)(int r, json_t *result, const struct bv_error *err,
                                   void *userdata);

/* Per-call options; NULL for defaults. */
struct ctr_engine_opts {
        uint64_t timeout_usec;   /* 0: 10 s (stop: 10 s more than its grace time) */
};

/*
 * GET /_ping, then GET /version. Result: {"engine", "socket", "version",
 * "api_version", "min_api_version"}.
 */
int ctr_engine_ping(struct ctr_engine *e, const struct ctr_engine_opts *o, ctr_engine_done_cb done,
                    void *userdata, struct bv_error *err);

/*
 * Every container (all=1), as an array of {"id", "name", "names", "image",
 * "state" (barevirt's word: running, paused, exited, created, ...),
 * "engine_state" (the engine's word), "status", "created", "labels"}.
 */
int ctr_engine_list(struct ctr_engine *e, const struct ctr_engine_opts *o, ctr_engine_done_cb done,
                    void *userdata, struct bv_error *err);

/* The engine's inspect object, unchanged, for id (a name or id). */
int ctr_engine_inspect(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                       ctr_engine_done_cb done, void *userdata, struct bv_error *err);

/* Start (already running is success), stop with a grace time in seconds
 * (< 0: the engine's default; already stopped is success), kill with a
 * signal name or number (NULL: SIGKILL), remove (force kills first).
 * No result. */
int ctr_engine_start(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                     ctr_engine_done_cb done, void *userdata, struct bv_error *err);
int ctr_engine_stop(struct ctr_engine *e, const char *id, int grace_sec,
                    const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                    struct bv_error *err);
int ctr_engine_kill(struct ctr_engine *e, const char *id, const char *signal,
                    const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                    struct bv_error *err);
int ctr_engine_remove(struct ctr_engine *e, const char *id, bool force,
                      const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                      struct bv_error *err);

/*
 * The log so far (no follow), stdout and stderr, the last tail lines
 * (tail < 0: all). The container is inspected first: without a tty the
 * engine multiplexes the streams with 8-byte frame headers, which are
 * removed. Result: {"tty": bool, "output": interleaved text, "stdout",
 * "stderr"}; bytes that are not UTF-8 are replaced by '?'. At most 4 MiB.
 */
int ctr_engine_logs(struct ctr_engine *e, const char *id, int tail, const struct ctr_engine_opts *o,
                    ctr_engine_done_cb done, void *userdata, struct bv_error *err);

/*
 * Splits a multiplexed log stream (8-byte headers: stream, 0, 0, 0, size
 * big-endian) into out (interleaved) and per-stream buffers. Returns 0, or
 * -EPROTO on a bad header or truncated frame (what came before is kept).
 * Exposed for tests.
 */
struct ctr_engine_demux {
        char *out, *stdout_, *stderr_;
        size_t out_len, stdout_len, stderr_len;
};
int ctr_engine_demux(const char *buf, size_t len, struct ctr_engine_demux *ret, struct bv_error *err);
void ctr_engine_demux_clear(struct ctr_engine_demux *d);

/* True when name is a valid engine container name or id:
 * [A-Za-z0-9][A-Za-z0-9._-]{0,127}. */
bool ctr_engine_name_valid(const char *name);
